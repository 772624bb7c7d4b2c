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
    """A running JupyterLab: where it listens, its token, what `./lab` printed, the
    learner's copy of the notebooks it serves."""

    url: str
    token: str
    log: Path
    notebooks: Path

    def printed(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_lab(repo: Path, workdir: Path, timeout: float = 120) -> Iterator[Server]:
    """`./lab` as a learner starts it, with its copy of the notebooks (which JupyterLab saves
    what it runs into) in `workdir/notebooks` rather than the checkout's my-notebooks/, and
    Jupyter's settings, workspaces and runtime files under `workdir` rather than the user's
    home. JupyterLab exposes its application object to the page, for NotebookPage to read."""
    notebooks = workdir / "notebooks"
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
             f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"],
            cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", token, log, notebooks)
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
def chromium(width: int = 1400, height: int = 1100, args: tuple[str, ...] = ()
             ) -> Iterator[object]:
    """Debian's Chromium, headless, driven by Debian's chromedriver (nothing downloaded);
    `args` are more of Chromium's switches."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", *args):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses root with its sandbox on
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# One look at JupyterLab's own model of the notebook in front (window.jupyterapp, which
# --LabApp.expose_app_in_browser exposes): every cell, whether or not the page has put it in
# the DOM (JupyterLab 4's windowed notebook attaches cells out of view late or never), with
# the kernel's status. Outputs come as their type and text only (no images over the wire).
_STATE_JS = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
if (!panel || !panel.context || !panel.content || !panel.content.model) return null;
const model = panel.content.model, cells = [];
for (let i = 0; i < model.cells.length; i++) {
  const cell = model.cells.get(i), outputs = [];
  if (cell.type === 'code') {
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON(), data = out.data || {};
      outputs.push({type: out.output_type, name: out.name || null,
                    text: [].concat(out.text || [], data['text/plain'] || [],
                                    data['text/html'] || []).join(''),
                    error: out.output_type === 'error'
                      ? [out.ename + ': ' + out.evalue].concat(out.traceback || []).join('\\n')
                      : null});
    }
  }
  cells.push({type: cell.type, count: cell.type === 'code' ? cell.executionCount : null,
              source: cell.sharedModel.getSource(), outputs: outputs});
}
const session = panel.sessionContext.session, kernel = session && session.kernel;
return {path: panel.context.path, ready: panel.context.isReady,
        kernel: kernel ? kernel.status : null, active: panel.content.activeCellIndex,
        cells: cells};
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _content(element) -> str:
    """An element's text whether or not it is scrolled into view (selenium's `.text` is
    only what is rendered)."""
    return element.get_attribute("textContent") or ""


def open_notebook(driver, server: Server, name: str) -> NotebookPage:
    """Open `name` in a JupyterLab workspace of its own (so that notebooks opened before it
    are not restored beside it)."""
    workspace = re.sub(r"\W", "-", name)
    driver.get(f"{server.url}/lab/workspaces/{workspace}/tree/{name}?token={server.token}")
    return NotebookPage(driver, name)


class NotebookPage:
    """The notebook JupyterLab shows in the browser now, once its kernel is idle. What it
    holds is read from JupyterLab's notebook model; what is clicked is clicked on the page."""

    def __init__(self, driver, name: str, timeout: float = 90) -> None:
        from selenium.webdriver.common.by import By

        self.driver, self.by, self.name = driver, By, name
        self.wait_for(lambda: (state := self.state()) and state["path"] == name
                      and state["ready"] and state["cells"] and state["kernel"] == "idle",
                      timeout, f"{name} did not open with an idle kernel")
        # the stored outputs go first: what the page shows after a run is the run's own
        self.menu("Edit", "editmenu:clear-all")
        self.wait_for(lambda: not any(c["count"] or c["outputs"] for c in self.cells()), 10,
                      f"{name}: the stored outputs were not cleared")

    # -- reading the notebook ------------------------------------------------------------
    def state(self) -> dict | None:
        """JupyterLab's model of the notebook in front (None while none is in front)."""
        return self.driver.execute_script(_STATE_JS)

    def cells(self) -> list[dict]:
        """Every cell of the notebook in front: type, execution count, source, outputs."""
        state = self.state()
        if state is None or state["path"] != self.name:
            raise AssertionError(f"{self.name} is no longer the notebook in front")
        return state["cells"]

    def counts(self) -> list[int | None]:
        """The code cells' execution counts (None: not run since the outputs were cleared)."""
        return [c["count"] for c in self.cells() if c["type"] == "code"]

    def kernel_idle(self) -> bool:
        state = self.state()
        return bool(state) and state["kernel"] == "idle"

    def panel(self):
        return self.driver.find_element(self.by.CSS_SELECTOR,
                                        ".jp-NotebookPanel:not(.lm-mod-hidden)")

    def errors(self) -> list[str]:
        """Tracebacks and stderr in the outputs, and widgets the front end could not show
        (that only the page knows)."""
        texts = [_ANSI.sub("", o["error"] or o["text"]) for c in self.cells()
                 for o in c["outputs"] if o["type"] == "error" or o["name"] == "stderr"]
        page = _content(self.panel())
        texts += [line for line in page.splitlines() if "Error displaying widget" in line]
        return texts

    def output_text(self) -> str:
        return "\n".join(o["text"] for c in self.cells() for o in c["outputs"])

    def code_cells_before(self, index: int) -> int:
        """How many code cells come before cell `index`."""
        return sum(c["type"] == "code" for c in self.cells()[:index])

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
    def show_cell(self, index: int):
        """Scroll cell `index` into the middle of the page (JupyterLab puts it in the DOM
        then) and return its element."""
        self.driver.execute_script(
            "window.jupyterapp.shell.currentWidget.content.scrollToItem(arguments[0], 'center')",
            index)
        return self.wait_for(lambda: self.driver.execute_script(
            "const cell = window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]];"
            "return cell && cell.node.isConnected && cell.node.offsetHeight ? cell.node : null",
            index), 10, f"cell {index} of {self.name} did not come into view")

    def select_cell(self, index: int) -> None:
        """Click cell `index`'s prompt, as a learner selects a cell."""
        cell = self.show_cell(index)
        cell.find_element(self.by.CSS_SELECTOR, ".jp-InputPrompt").click()
        self.wait_for(lambda: self.state()["active"] == index, 10,
                      f"cell {index} of {self.name} did not become the selected cell")

    def type_into(self, index: int, text: str) -> None:
        """Click into cell `index`'s editor, go to its end and type `text`, as a learner does
        (keys, not the model: what JupyterLab's editor makes of them is what runs)."""
        from selenium.webdriver.common.keys import Keys

        cell = self.show_cell(index)
        editor = cell.find_element(self.by.CSS_SELECTOR, ".cm-content")
        editor.click()
        editor.send_keys(Keys.CONTROL, Keys.END)
        editor.send_keys(text)
        self.wait_for(lambda: self.cells()[index]["source"].rstrip().endswith(text), 10,
                      f"typing into cell {index} of {self.name} did not reach its source")

    def run_cell(self, index: int, timeout: float = 60) -> list[dict]:
        """Select cell `index`, run it (Run > Run Selected Cell), wait for it; its outputs."""
        before = self.cells()[index]["count"]
        self.select_cell(index)
        self.menu("Run", "runmenu:run")
        self.wait_for(lambda: self.kernel_idle() and self.cells()[index]["count"] not in
                      (None, before), timeout, f"cell {index} of {self.name} did not run")
        return self.cells()[index]["outputs"]

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
        """Run cells with a Run-menu command; wait until the code cells `cells` picks have
        run and the kernel is idle again, or a cell shows an error (JupyterLab stops there)."""
        self.menu("Run", command)
        self.wait_for(lambda: self.errors() or (self.kernel_idle() and all(
            count is not None for count in self.counts()[cells])), timeout,
            f"{self.name}: code cells {cells} did not all run; counts {self.counts()}")
        if self.errors():
            raise AssertionError(f"{self.name} shows an error:\n" + "\n".join(self.errors()))

    def run_all(self, timeout: float = 180) -> None:
        self.run("runmenu:run-all", slice(None), timeout)

    def screenshot(self, css: str, path: Path) -> None:
        """Scroll the element `css` finds to the top of the page, then save the page."""
        path.parent.mkdir(parents=True, exist_ok=True)
        element = self.panel().find_element(self.by.CSS_SELECTOR, css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        self.driver.save_screenshot(str(path))
