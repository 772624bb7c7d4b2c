"""JupyterLab in a real browser, for the tests: `./lab` serves, headless Chromium shows,
selenium clicks. Everything the server and the browser write goes to a temporary directory.

    with served_lab(repo, workdir) as server:      # ./lab, as a learner starts it
        with chromium() as driver:
            page = open_notebook(driver, server, "01-the-machine.ipynb")
            page.run_all()
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
EXECUTED = re.compile(r"^\[\d+\]:$")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return (f"{path} is missing (Debian: chromium, chromium-driver; "
                    "./lab test installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is missing (pip install -e '.[test]')"
    return None


@dataclass
class Server:
    """A running JupyterLab: where it listens, its token, what `./lab` printed."""

    url: str
    token: str
    log: Path

    def printed(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_lab(repo: Path, workdir: Path, timeout: float = 120) -> Iterator[Server]:
    """`./lab` on a copy of the notebooks (JupyterLab saves what it runs; the committed
    notebooks stay as they are), with Jupyter's settings, workspaces and runtime files under
    `workdir` rather than the user's home."""
    notebooks = workdir / "notebooks"
    shutil.copytree(repo / "notebooks", notebooks)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, LABKIT_NOTEBOOKS=str(notebooks))
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
        env[var] = str(workdir / sub)
    log = workdir / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(repo / "lab"), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={token}"],
            cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"./lab exited with status {proc.returncode}:\n"
                                   + server.printed())
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("JupyterLab did not answer within "
                                       f"{timeout:.0f} s:\n{server.printed()}") from None
                time.sleep(0.3)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the server stops its kernels
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 1100) -> Iterator[object]:
    """Debian's Chromium, headless, driven by Debian's chromedriver (nothing downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses root with its sandbox on
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _content(element) -> str:
    """An element's text whether or not it is scrolled into view (selenium's `.text` is
    only what is rendered, and JupyterLab skips rendering cells out of view)."""
    return element.get_attribute("textContent") or ""


def open_notebook(driver, server: Server, name: str) -> NotebookPage:
    """Open `name` in a JupyterLab workspace of its own (so that notebooks opened before it
    are not restored beside it)."""
    workspace = re.sub(r"\W", "-", name)
    driver.get(f"{server.url}/lab/workspaces/{workspace}/tree/{name}?token={server.token}")
    return NotebookPage(driver, name)


class NotebookPage:
    """The notebook JupyterLab shows in the browser now, once its kernel is idle."""

    def __init__(self, driver, name: str, timeout: float = 90) -> None:
        from selenium.webdriver.common.by import By

        self.driver, self.by, self.name = driver, By, name
        self.wait_for(lambda: self.title() == name and self.cells("jp-CodeCell")
                      and self.kernel_idle(), timeout, f"{name} did not open with an idle kernel")
        # the stored outputs go first: what the page shows after a run is the run's own
        self.menu("Edit", "editmenu:clear-all")
        self.wait_for(lambda: not any(EXECUTED.match(p) for p in self.prompts()), 10,
                      f"{name}: the stored outputs were not cleared")

    # -- reading the page ----------------------------------------------------------------
    def title(self) -> str:
        """The label of the tab in front."""
        return self.driver.find_element(
            self.by.CSS_SELECTOR, ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current "
                                  ".lm-TabBar-tabLabel").text

    def panel(self):
        return self.driver.find_element(self.by.CSS_SELECTOR,
                                        ".jp-NotebookPanel:not(.lm-mod-hidden)")

    def cells(self, kind: str = "jp-Cell") -> list:
        return self.panel().find_elements(self.by.CSS_SELECTOR, f".jp-Notebook .{kind}")

    def kernel_idle(self) -> bool:
        found = self.driver.find_elements(self.by.CSS_SELECTOR,
                                          ".jp-Notebook-ExecutionIndicator[data-status]")
        return bool(found) and found[0].get_attribute("data-status") == "idle"

    def prompts(self) -> list[str]:
        return [_content(c.find_element(self.by.CSS_SELECTOR, ".jp-InputPrompt")).strip()
                for c in self.cells("jp-CodeCell")]

    def errors(self) -> list[str]:
        """Tracebacks and stderr in the outputs, and widgets the front end could not show."""
        shown = self.panel().find_elements(
            self.by.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type$='stderr'], "
                                  ".jp-OutputArea-output[data-mime-type$='error']")
        texts = [_content(e) for e in shown]
        page = _content(self.panel())
        texts += [line for line in page.splitlines() if "Error displaying widget" in line]
        return texts

    def output_text(self) -> str:
        return "\n".join(_content(e) for e in self.panel().find_elements(
            self.by.CSS_SELECTOR, ".jp-OutputArea-output"))

    def wait_for(self, condition, timeout: float, what: str):
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def safe(_driver):
            try:
                return condition()
            except WebDriverException:  # an element redrawn under us: look again
                return False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(safe)
        except WebDriverException as exc:
            raise AssertionError(f"{what} (after {timeout:.0f} s)") from exc

    # -- acting --------------------------------------------------------------------------
    def select_cell(self, index: int) -> None:
        cell = self.cells()[index]
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        cell.find_element(self.by.CSS_SELECTOR, ".jp-InputPrompt").click()
        self.wait_for(lambda: "jp-mod-selected" in (cell.get_attribute("class") or ""), 10,
                      f"cell {index} of {self.name} did not become the selected cell")

    def menu(self, menu: str, command: str) -> None:
        """Click a menu of JupyterLab's menu bar, then the item running `command`."""
        bar = self.driver.find_element(
            self.by.XPATH, "//li[contains(@class, 'lm-MenuBar-item')]"
                           f"[.//div[contains(@class, 'lm-MenuBar-itemLabel')][text()='{menu}']]")
        bar.click()
        item = self.wait_for(lambda: self.driver.find_element(
            self.by.CSS_SELECTOR, f".lm-Menu li.lm-Menu-item[data-command='{command}']"), 10,
            f"no {command} in the {menu} menu")
        item.click()

    def run(self, command: str, cells: slice, timeout: float) -> None:
        """Run cells with a Run-menu command; wait until those cells have run and the
        kernel is idle again, or a cell shows an error (JupyterLab stops there)."""
        self.menu("Run", command)
        self.wait_for(lambda: self.errors() or (self.kernel_idle() and all(
            EXECUTED.match(p) for p in self.prompts()[cells])), timeout,
            f"{self.name}: cells {cells} did not all run; prompts {self.prompts()}")
        if self.errors():
            raise AssertionError(f"{self.name} shows an error:\n" + "\n".join(self.errors()))

    def run_all(self, timeout: float = 180) -> None:
        self.run("runmenu:run-all", slice(None), timeout)

    def code_cells_before(self, index: int) -> int:
        """How many code cells come before cell `index`."""
        return sum("jp-CodeCell" in (c.get_attribute("class") or "")
                   for c in self.cells()[:index])

    def screenshot(self, css: str, path: Path) -> None:
        """Scroll the element `css` finds to the top of the page, then save the page."""
        path.parent.mkdir(parents=True, exist_ok=True)
        element = self.panel().find_element(self.by.CSS_SELECTOR, css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        self.driver.save_screenshot(str(path))
