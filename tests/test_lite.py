"""The course in the browser, offline: `./lab lite --out DIR` builds the JupyterLite site from
the notebooks the checkout holds now, Python's HTTP server serves it on localhost, and headless
Chromium, whose every request outside localhost goes to a proxy here that records and refuses
it, runs notebooks 00-02 top to bottom (Pyodide's kernel, labkit's sim) with no error output
and each exercise's check saying "Not yet"; then the exercise's solution (from the lesson's
source, as a learner types it) is typed into its cell, and the check says well done.

What the learner did survives in the browser: each edited notebook, saved, is still edited
after a reload, and the progress record (JupyterLite's storage, /drive/.labkit) holds the
exercises done; deleting the learner's copy gives the lesson back as the course has it, and so
does labkit.reset_notebook("01") in a kernel, the learner's version kept in backups/.
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


_EXECUTE_JS = """
const done = arguments[arguments.length - 1];
const panel = window.jupyterapp.shell.currentWidget;
const future = panel.sessionContext.session.kernel.requestExecute({code: arguments[0]}), out = [];
future.onIOPub = m => {
  if (m.header.msg_type === 'stream') out.push(m.content.text);
  if (m.header.msg_type === 'error') out.push(m.content.ename + ': ' + m.content.evalue);
};
future.done.then(() => done(out.join('')), e => done('failed: ' + e));
"""


def grade_id(name: str) -> str:
    nb = json.loads((REPO / "notebooks" / name).read_text())
    return nb["cells"][exercise(name)[0]]["metadata"]["nbgrader"]["grade_id"]


def course_sources(name: str) -> list[str]:
    course = json.loads((REPO / "notebooks" / name).read_text())
    return ["".join(c["source"]) for c in course["cells"]]


def test_reload_keeps_the_work_and_resets_restore(page_of) -> None:
    """After a new page load only the browser's storage remembers: each notebook saved above
    is still the learner's, the progress record still holds each exercise done. Then both
    ways back to a lesson's course version: deleting the learner's copy (the file browser's
    Delete), and labkit.reset_notebook in a kernel, which keeps the learner's in backups/."""
    driver = page_of.home()  # a new page load
    for name in NOTEBOOKS:
        index, typed = exercise(name)
        assert typed in sources(driver, name)[index], f"{name} lost the learner's edit"
    stored = _contents(driver, "get", ".labkit/progress.json")
    record = json.dumps(json.loads(base64.b64decode(stored))) if stored else ""
    assert all(grade_id(name) in record for name in NOTEBOOKS), record
    name = NOTEBOOKS[2]
    assert _contents(driver, "delete", name) == "deleted"
    assert sources(driver, name) == course_sources(name)
    name, (index, typed) = NOTEBOOKS[1], exercise(NOTEBOOKS[1])
    page = page_of(NOTEBOOKS[0])  # a kernel of another notebook: NOTEBOOKS[1] is not open
    driver.set_script_timeout(120)
    said = driver.execute_async_script(
        _EXECUTE_JS, f'import labkit\nlabkit.reset_notebook("{name[:2]}")')
    assert re.search(rf"^{re.escape(name)}: the course's version again; yours is in "
                     rf"/drive/backups/({re.escape(name[:-6])}-\d{{8}}-\d{{6}}\.ipynb)$",
                     said, re.M), said
    # the site's bytecode is the browser's Python's own (else it would compile every module)
    assert driver.execute_async_script(_EXECUTE_JS, (
        "import importlib.util, labkit, IPython\nprint(all(open(m.__cached__, 'rb').read(4)"
        " == importlib.util.MAGIC_NUMBER for m in (labkit, IPython)))")).strip() == "True"
    backup = re.search(r"/drive/(backups/\S+\.ipynb)", said).group(1)
    assert sources(driver, name) == course_sources(name)
    assert typed in sources(driver, backup)[index]
    assert not page.errors()


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


def test_the_site_is_the_whole_course_tuned(site: Path) -> None:
    """The Japanese course is in the site beside the English one; each shipped wheel carries
    its modules' bytecode (unchecked-hash .pyc, PEP 552); the site loads only the kernel's and
    the widgets' JupyterLab extensions; the kernel's own packages load from the lock."""
    import zipfile

    ja = sorted(p.name for p in (REPO / "notebooks" / "ja").glob("*.ipynb"))
    assert ja and sorted(p.name for p in (site / "files" / "ja").glob("*.ipynb")) == ja
    static = site / "static" / "pyodide"
    for name in ("labkit", "ipython", "prompt_toolkit"):
        [whl] = static.glob(f"{name}-*.whl")
        files = set(zipfile.ZipFile(whl).namelist())
        modules = [f for f in files if f.endswith(".py")]
        cached = [f for f in files if f.endswith(".pyc")]
        assert modules and len(cached) == len(modules), whl.name
        data = zipfile.ZipFile(whl).read(cached[0])
        assert int.from_bytes(data[4:8], "little") == 0b01, "not an unchecked-hash pyc"
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert sorted(e["name"] for e in config["federated_extensions"]) == [
        "@jupyter-widgets/jupyterlab-manager", "@jupyterlite/pyodide-kernel-extension"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    preload = kernel["loadPyodideOptions"]["packages"]
    packages = json.loads((static / "pyodide-lock.json").read_text())["packages"]
    # the kernel's worker installs with micropip/piplite whatever of these is not preloaded
    for name in ("piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython"):
        assert name in preload and "://" not in packages[name]["file_name"], name


def test_out_must_be_a_site_or_empty(tmp_path: Path) -> None:
    from labkit.errors import LabkitError
    from labkit.lite import build

    (tmp_path / "precious.txt").write_text("mine")
    with pytest.raises(LabkitError, match="holds files that are not a labkit site"):
        build.build(tmp_path, log=lambda _s: None)
    assert (tmp_path / "precious.txt").read_text() == "mine"
