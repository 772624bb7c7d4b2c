"""The course in the browser, offline: `./lab lite --out DIR` builds the JupyterLite site from
the notebooks the checkout holds now, Python's HTTP server serves it on localhost, and headless
Chromium, whose every request outside localhost goes to a proxy here that records and refuses
it, runs notebooks 00-02 top to bottom (Pyodide's kernel, labkit's sim) with no error output
and each exercise's check saying "Not yet"; then the exercise's solution (from the lesson's
source, as a learner types it) is typed into its cell, and the check says well done.

What the learner did survives in the browser: the edited notebook, saved, is still edited
after a reload, and the progress record (JupyterLite's storage, /drive/.labkit) holds the
exercise done; deleting the learner's copy gives the lesson back as the course has it.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import browser

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["00-start-here.ipynb", "01-the-machine.ipynb", "02-build-the-bond.ipynb"]
WELL_DONE = "Well done: everything the exercise asks for is in place."
NOT_YET = "Not yet:\n  - "


def _why_not() -> str | None:
    if browser.missing():
        return browser.missing()
    try:
        import jupyterlite_core  # noqa: F401
        import jupyterlite_pyodide_kernel  # noqa: F401
    except ImportError:
        return "jupyterlite is missing (pip install -e '.[lite]'; ./lab test installs it)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


class RefusingProxy:
    """Chromium's proxy for everything outside localhost: notes each request's first line and
    closes the connection (the browser sees it refused)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                except OSError:
                    first = b"?"
                self.seen.append(first.decode(errors="replace"))

    def from_the_page(self) -> list[str]:
        """What was refused, less Chromium's own background calls to Google (updates,
        autofill, accounts: the browser's, not the site's, whatever flags say)."""
        return [r for r in self.seen if not re.search(
            r"^\S+ (https?://)?[\w.-]+\.(google\.com|googleapis\.com)[:/]", r)]

    def args(self) -> tuple[str, ...]:
        return (f"--proxy-server=http://127.0.0.1:{self.port}",
                # localhost goes direct (Chromium's implicit bypass), nothing else does
                "--disable-background-networking", "--disable-component-update",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lite") / "site"
    done = subprocess.run([str(REPO / "lab"), "lite", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def proxy() -> Iterator[RefusingProxy]:
    running = RefusingProxy()
    yield running
    running.close()


@pytest.fixture(scope="module")
def page_of(site: Path, proxy: RefusingProxy):
    from selenium.webdriver.support.ui import WebDriverWait

    from labkit.lite.serve import serving

    with serving(site) as url, browser.chromium(args=proxy.args()) as driver:
        def open_page(name: str) -> browser.NotebookPage:
            driver.get(f"{url}/lab/index.html?path={name}")
            return browser.NotebookPage(driver, name, timeout=240)

        def home():
            """The site's JupyterLab, loaded afresh, once its contents manager answers."""
            driver.get(f"{url}/lab/index.html")
            WebDriverWait(driver, 120, poll_frequency=0.25).until(lambda d: d.execute_script(
                "const app = window.jupyterapp;"
                "return !!(app && app.serviceManager && app.serviceManager.contents"
                " && app.serviceManager.isReady);"))
            return driver

        open_page.home = home
        yield open_page


def exercise(name: str) -> tuple[int, str]:
    """Notebook `name`'s exercise cell (its index) and what a learner types into it: the
    lesson's solution, then the lines the lesson's cell has after it (they run after it)."""
    nb = json.loads((REPO / "notebooks" / name).read_text())
    index, grade_id = next(
        (i, c["metadata"]["nbgrader"]["grade_id"]) for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution"))
    lesson = (REPO / "lessons" / name.replace(".ipynb", ".md")).read_text()
    cell = lesson.split(f":exercise: {grade_id}\n", 1)[1].split("```", 1)[0]
    solution, after = cell.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION\n", 1)
    typed = solution.strip().splitlines() + [line for line in after.splitlines() if line]
    return index, "\n".join(typed)


def output(page: browser.NotebookPage, index: int) -> str:
    """The text of cell `index`'s outputs."""
    return "".join(o["error"] or o["text"] for o in page.cells()[index]["outputs"])


def _contents(driver, action: str, path: str):
    """JupyterLite's contents manager (the browser's storage): get `path`'s content (a
    notebook as a dict, a file as its text; None if there is none) or delete it."""
    js = ("const done = arguments[arguments.length - 1];"
          "const c = window.jupyterapp.serviceManager.contents;"
          "(arguments[0] === 'get' ? c.get(arguments[1], {content: true})"
          " : c.delete(arguments[1]))"
          ".then(m => done(m ? JSON.stringify(m.content) : '\"deleted\"'),"
          " e => done('null'))")
    return json.loads(driver.execute_async_script(js, action, path))


def sources(driver, name: str) -> list[str]:
    """The cells' sources of notebook `name` as the browser's storage holds it."""
    content = _contents(driver, "get", name)
    return [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in content["cells"]] if content else []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_check_works(name: str, page_of, proxy: RefusingProxy) -> None:
    page = page_of(name)
    page.run_all(timeout=300)  # raises on any error or stderr output
    index, typed = exercise(name)
    check = next(i for i, c in enumerate(page.cells())
                 if i > index and "checks.check(" in c["source"])
    assert NOT_YET in output(page, check), output(page, check)
    page.type_into(index, "\n" + typed)
    for i in range(check + 1):  # from the top: the notebook's last cells close its lab
        if page.cells()[i]["type"] == "code":
            page.run_cell(i, timeout=120)
    assert WELL_DONE in output(page, check), output(page, check)
    assert not page.errors()
    assert proxy.from_the_page() == [], "requests outside localhost"
    # the learner's work stays in the browser: the notebook saved, the progress record
    page.menu("File", "docmanager:save")
    page.wait_for(lambda: typed in sources(page.driver, name)[index], 30,
                  f"{name} was not saved into the browser's storage")
    stored = _contents(page.driver, "get", ".labkit/progress.json")  # DriveFS writes it as base64
    record = json.loads(base64.b64decode(stored)) if stored else {}
    grade_id = json.loads((REPO / "notebooks" / name).read_text())["cells"][index][
        "metadata"]["nbgrader"]["grade_id"]
    assert grade_id in json.dumps(record), record


def test_reload_keeps_the_work_and_delete_resets(page_of) -> None:
    name = NOTEBOOKS[1]
    index, typed = exercise(name)
    driver = page_of.home()  # a new page load: only the browser's storage remembers
    assert typed in sources(driver, name)[index]
    assert _contents(driver, "delete", name) == "deleted"
    course = json.loads((REPO / "notebooks" / name).read_text())
    assert sources(driver, name) == ["".join(c["source"]) for c in course["cells"]]


def test_the_sites_lock_names_its_own_files(site: Path) -> None:
    """Every lock entry the site ships is there with the lock's sha256; what the kernel and
    `import labkit` load (their whole closure) is shipped; everything else is on Pyodide's
    CDN, which only a cell importing it (pandas, say) reaches."""
    import hashlib

    static = site / "static" / "pyodide"
    packages = json.loads((static / "pyodide-lock.json").read_text())["packages"]
    local = {name for name, e in packages.items() if "://" not in e["file_name"]}
    for name in local:
        entry = packages[name]
        data = (static / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    key = {n.lower().replace("_", "-"): n for n in packages}
    need, seen = ["micropip", "ipython", "jedi", "labkit"], set()
    while need:
        name = key[need.pop().lower().replace("_", "-")]
        if name not in seen:
            seen.add(name)
            need += packages[name]["depends"]
    assert seen <= local, f"loaded from outside the site: {sorted(seen - local)}"
    assert all(packages[n]["file_name"].startswith("https://cdn.jsdelivr.net/pyodide/")
               for n in set(packages) - local)
    assert "pandas" in packages and "pandas" not in local
    marks = json.loads((site / "labkit-lite.json").read_text())
    course = REPO / "notebooks"
    assert marks["notebooks"] == [p.relative_to(course).as_posix() for p in [
        *sorted(course.glob("*.ipynb")), *sorted(course.glob("*/*.ipynb"))]]


def test_out_must_be_a_site_or_empty(tmp_path: Path) -> None:
    from labkit.errors import LabkitError
    from labkit.lite import build

    (tmp_path / "precious.txt").write_text("mine")
    with pytest.raises(LabkitError, match="holds files that are not a labkit site"):
        build.build(tmp_path, log=lambda _s: None)
    assert (tmp_path / "precious.txt").read_text() == "mine"
