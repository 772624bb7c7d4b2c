"""The Japanese course as a Japanese learner meets it: `./lab --lang ja` serves JupyterLab on
the learner's copy of notebooks/ja with JupyterLab's own menus in Japanese (its language pack,
the menu bar's labels read from the pack's catalogue itself), notebook 00 runs top to bottom
through the Japanese Run menu with no error, and its check speaks Japanese (labkit's catalogue,
labkit/locale/ja). Binder's way to the same, the link labkit/lang/ja of labkit.jupyter_lang
that binder/start enables, lands on notebooks/ja/00 with the menus in Japanese too. The
checkout's notebooks/ja are as they were.

Screenshots go to artifacts/browser/ (LABKIT_ARTIFACTS overrides), also when a test fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("LABKIT_ARTIFACTS", REPO / "artifacts")) / "browser"
COURSE = REPO / "notebooks" / "ja"
MENUS = ("File", "Edit", "View", "Run", "Kernel", "Tabs", "Settings", "Help")  # the bar's order
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana and kanji

pytestmark = pytest.mark.skipif(browser.missing() is not None,
                                reason=browser.missing() or "")


def committed() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(COURSE.iterdir()) if p.is_file()}


BEFORE = committed()


def pack_menu_labels() -> dict[str, str]:
    """The menu bar's labels as the installed language pack translates them (its catalogue
    jupyterlab.json, context `menu`): English -> Japanese."""
    import jupyterlab_language_pack_ja_JP as pack

    catalogue = json.loads((Path(pack.__file__).parent / "locale" / "ja_JP" / "LC_MESSAGES"
                            / "jupyterlab.json").read_text(encoding="utf-8"))
    return {menu: catalogue[f"menu\x04{menu}"][0] for menu in MENUS}


class JapanesePage(browser.NotebookPage):
    """A notebook in the Japanese JupyterLab: the menus are clicked by their Japanese labels."""

    labels: ClassVar[dict[str, str]] = {}

    def menu(self, menu: str, command: str) -> None:
        super().menu(self.labels[menu], command)


def menu_bar(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")]


def wait(driver, condition, timeout: float, what: str):
    """`condition()` once it is true (a page redrawn under it is looked at again)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def safe(_driver):
        try:
            return condition()
        except WebDriverException:
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(safe)
    except WebDriverException as exc:
        raise AssertionError(f"{what} (after {timeout:.0f} s)") from exc


@contextlib.contextmanager
def shot_on_failure(driver, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{name}-failed.png"))
        raise


@pytest.fixture(scope="module")
def labels() -> dict[str, str]:
    try:
        found = pack_menu_labels()
    except ImportError:
        pytest.fail("JupyterLab's Japanese language pack is not installed "
                    "(pip install -c constraints.txt -e '.[ja]'; ./lab --lang ja installs it)")
    JapanesePage.labels = found
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[browser.Server]:
    """`./lab --lang ja`, literally: browser.served_lab starts DIR/lab with its options, so DIR
    holds a lab that runs the checkout's ./lab with --lang ja first."""
    front = tmp_path_factory.mktemp("lab-ja")
    (front / "lab").write_text(f'#!/bin/sh\nexec "{REPO / "lab"}" --lang ja "$@"\n')
    (front / "lab").chmod(0o755)
    with browser.served_lab(front, tmp_path_factory.mktemp("jupyterlab-ja")) as running:
        yield running


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    with browser.chromium() as running:
        yield running


def test_lab_lang_ja_opens_the_japanese_course_in_a_japanese_jupyterlab(
        server, driver, labels: dict[str, str]) -> None:
    copy = server.notebooks / "ja"  # ja/ where the English copy goes, as notebooks/ja
    assert f"[labkit] your notebooks: {copy} " in server.printed()
    assert sorted(p.name for p in copy.glob("*.ipynb")) == sorted(
        p.name for p in COURSE.glob("*.ipynb"))
    assert not list(server.notebooks.glob("*.ipynb"))  # the English course is not copied
    driver.get(f"{server.url}/?token={server.token}")  # where ./lab's browser goes
    with shot_on_failure(driver, "ja-00-start-here"):
        page = JapanesePage(driver, "00-start-here.ipynb")  # clicks 編集 to clear the outputs
        # JupyterLab's own menus, each the pack's Japanese (another extension's menu, as
        # nbgrader's in the test set, is that extension's own words)
        bar = menu_bar(driver)
        assert [label for label in bar if label in labels.values()] == [
            labels[m] for m in MENUS], bar
        assert not set(MENUS) & set(bar), bar
        assert driver.execute_script("return document.documentElement.lang") == "ja-JP"
        cells = json.loads((copy / "00-start-here.ipynb").read_text())["cells"]
        assert [c["source"] for c in page.cells()] == ["".join(c["source"]) for c in cells]
        page.run_all()  # 実行 > すべてのセルを実行
        assert page.errors() == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "ja-00-after-run.png"))
        check = next(c for c in page.cells() if "checks.check(" in c["source"])
        said = "".join(o["text"] for o in check["outputs"])
        # the exercise (pull ens37's cable) is the learner's: the check says what is missing,
        # in Japanese, not in the English sentences
        assert JAPANESE.search(said), said
        assert "Not yet" not in said and "the cable of ens37 is plugged in" not in said, said
        assert "ens37" in said


def _serve_binder(workdir: Path) -> tuple[subprocess.Popen, str, str]:
    """JupyterLab as Binder starts it: through binder/start, rooted where the repository's
    notebooks/ja are (a copy in `workdir/root`: JupyterLab keeps a checkpoint beside what it
    opens), with Jupyter's settings and runtime files under `workdir`."""
    root = workdir / "root" / "notebooks" / "ja"
    root.mkdir(parents=True)
    for notebook in COURSE.glob("*.ipynb"):
        (root / notebook.name).write_bytes(notebook.read_bytes())
    port, token = browser._free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
        env[var] = str(workdir / sub)
    jupyter = Path(sys.executable).parent / "jupyter"  # this venv's, as Binder's is its env's
    command = [str(REPO / "binder" / "start"), str(jupyter), "lab", "--no-browser",
               f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.root_dir={workdir / 'root'}",
               f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with (workdir / "binder.log").open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError("binder/start's JupyterLab exited:\n"
                               + (workdir / "binder.log").read_text(errors="replace"))
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                return proc, url, token
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError("binder/start's JupyterLab did not answer") from None
            time.sleep(0.3)


def test_binders_link_opens_the_japanese_course_in_japanese(
        tmp_path: Path, driver, labels: dict[str, str]) -> None:
    proc, url, token = _serve_binder(tmp_path)
    try:
        # a language it has no course in is a plain 404, not a traceback
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/labkit/lang/fr?token={token}", timeout=30)
        assert missing.value.code == 404
        # ?urlpath=labkit/lang/ja, as the README's Binder link says
        driver.get(f"{url}/labkit/lang/ja?token={token}")
        with shot_on_failure(driver, "ja-binder"):
            # the notebook in front, and the menus
            wait(driver, lambda: (state := driver.execute_script(browser._STATE_JS))
                 and state["path"] == "notebooks/ja/00-start-here.ipynb" and state["ready"],
                 90, "the link did not land on notebooks/ja/00-start-here.ipynb")
            wait(driver, lambda: [label for label in menu_bar(driver) if label in
                                  labels.values()] == [labels[m] for m in MENUS], 30,
                 f"the menus are not the language pack's Japanese: {menu_bar(driver)}")
            saved = json.loads((tmp_path / "settings" / "@jupyterlab" / "translation-extension"
                                / "plugin.jupyterlab-settings").read_text())
            assert saved["locale"] == "ja_JP"  # where Settings > Language writes it
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_running_notebook_00_left_the_checkouts_japanese_notebooks_as_they_were(server) -> None:
    assert committed() == BEFORE
