"""The class's single-user server: JupyterHub's `jupyterhub-singleuser` with what a student does
not use at start left out, so that a class of 30 on one small machine is ready in time.

The hub runs `python -m labkit.classroom.singleuser` instead of `jupyterhub-singleuser` (hub.py);
it is that same server, with these differences:

- Server extensions a student does not use are not loaded (STUDENT_OFF): nbgrader's formgrader
  (the teacher's grading pages: a teacher's server keeps it, LABKIT_CLASS_ROLE says who is
  one) and jupyter-lsp (it serves language servers, and the class's Python has none). What
  students use stays: JupyterLab, its terminals (`lab.terminal()`), jupytext, Notebook 7,
  and nbgrader's assignment list, course list and validation (below).
- nbgrader's student extensions (assignment list, course list, validation) are loaded on the
  first request to one of their URLs (the student opens Assignments, or validates), not at
  start: a student who does neither never pays for importing nbgrader.
- `rfc3987_syntax` is imported when it is first used rather than at start. jsonschema's format
  checkers import it whenever it is installed (nbformat asks for jsonschema[format-nongpl]),
  and at import it builds ~35 Earley parsers of the IRI grammar: 1.2-1.9 s of CPU a server
  here (jupyter-server issue 1559, jsonschema issue 1428) for a format no Jupyter schema uses. The
  stand-in checks IRIs with the real module the first time one is checked.
- Kernels use Unix sockets (ZeroMQ's ipc transport), private to the student, instead of five
  TCP ports each on loopback.
- JupyterLab does not ask yarn for its npm registry (`node yarn.js config`, a Node.js process
  at every start: ~0.4 s of CPU) and its extension manager is the read-only one: a student
  installs no JupyterLab extension (the class's Python is root's), and a class's machine need
  not reach PyPI.

`compile_class_python` byte-compiles the class's Python (its standard library, labkit's copy)
as root, once: a student cannot write __pycache__ there, so an uncompiled module is compiled
again by every process that imports it.

Measured by bench/classroom.py (its report says how much each saves).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Sequence
from typing import Any

ROLE_ENV = "LABKIT_CLASS_ROLE"  # "teacher" for a teacher's server (hub.py sets it)
NBGRADER_STUDENT = (  # what a student's Assignments panel and Validate button call
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.validate_assignment",
)
NBGRADER_PATHS = r"/(assignments(/.*)?|courses|formgraders|nbgrader_version)"  # theirs, all
STUDENT_OFF = (
    "nbgrader.server_extensions.formgrader",  # the teacher's grading pages
    "jupyter_lsp",  # language servers: the class's Python has none installed
    *NBGRADER_STUDENT,  # loaded on their first request instead (this module's extension)
)
TEACHER_OFF = ("jupyter_lsp",)
LAB_SETTINGS = (
    "--LabApp.extension_manager=readonly",  # no installing, no PyPI queries
    # kernels talk over Unix sockets in the user's runtime directory, not 5 TCP ports each:
    # 30 students' kernels picking random ports took the port the hub had given a server
    # still starting (the hub then waited on a kernel's socket until its timeout)
    "--KernelManager.transport=ipc",
)
DEFERRED = "rfc3987_syntax"


def extensions_off(role: str) -> tuple[str, ...]:
    """The server extensions a server of `role` ("student" or "teacher") starts without."""
    return TEACHER_OFF if role == "teacher" else STUDENT_OFF


def server_args(role: str) -> list[str]:
    """jupyter-server's command-line settings that leave those extensions out (settings given
    on the command line win over the config files that enable them)."""
    lazy = role != "teacher" and importlib.util.find_spec("nbgrader") is not None
    return [*(f"--ServerApp.jpserver_extensions={name}=False" for name in extensions_off(role)),
            *([f"--ServerApp.jpserver_extensions={__name__}=True"] if lazy else []),
            *LAB_SETTINGS]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """This module is also a server extension (a student's): nbgrader's on first use."""
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Route nbgrader's URLs to a handler that loads nbgrader's student extensions on the
    first request to any of them (importing nbgrader costs ~0.5 s of CPU: setuptools, nbconvert,
    SQLAlchemy), then sends that request again (307, same method and body) to nbgrader's own
    handlers; after that the route matches nothing and nbgrader answers directly."""
    from jupyter_server.base.handlers import APIHandler
    from jupyter_server.utils import url_path_join
    from tornado import web
    from tornado.routing import PathMatches, Rule

    loaded: list[str] = []

    class UntilLoaded(PathMatches):
        def match(self, request: Any) -> dict[str, Any] | None:
            return None if loaded else super().match(request)

    class LoadNbgrader(APIHandler):
        async def prepare(self) -> None:  # type: ignore[override]
            await super().prepare()
            if not self.current_user:
                raise web.HTTPError(403)
            if not loaded:
                for name in NBGRADER_STUDENT:
                    importlib.import_module(name)._load_jupyter_server_extension(serverapp)
                    loaded.append(name)
            self.redirect(self.request.uri or "/", status=307)

    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [Rule(UntilLoaded(url_path_join(base, NBGRADER_PATHS)),
                                                LoadNbgrader)])
    serverapp.log.info("labkit: nbgrader's student extensions load on their first request")


def skip_yarn_registry() -> bool:
    """JupyterLab's application options without `node yarn.js config --json`: the registry
    it reads there is only for building and installing extensions, and the empty answer is
    the one JupyterLab itself uses where Node.js is missing (its default registry)."""
    try:
        from jupyterlab import commands  # type: ignore[import-untyped]
    except ImportError:
        return False
    if not callable(getattr(commands, "_yarn_config", None)):
        return False
    commands._yarn_config = lambda logger: {"yarn config": {}, "npm config": {}}
    return True


class _Deferred(types.ModuleType):
    """Stands in for `rfc3987_syntax` until something calls it: then the real module is
    imported (it takes the stand-in's place in sys.modules) and answers."""

    def __init__(self) -> None:
        super().__init__(DEFERRED, "rfc3987_syntax, imported on its first use")
        self._real: types.ModuleType | None = None

    def _load(self) -> types.ModuleType:
        if self._real is None:
            if sys.modules.get(DEFERRED) is self:
                del sys.modules[DEFERRED]
            self._real = importlib.import_module(DEFERRED)
        return self._real

    def is_valid_syntax(self, term: str, value: str) -> bool:
        """rfc3987_syntax.is_valid_syntax, from the real module."""
        return bool(self._load().is_valid_syntax(term, value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._load(), name)


def defer_rfc3987_syntax() -> bool:
    """Put the stand-in in place if the real module is installed and not yet imported."""
    if DEFERRED in sys.modules or importlib.util.find_spec(DEFERRED) is None:
        return False
    sys.modules[DEFERRED] = _Deferred()
    return True


def compile_class_python(python: str, *trees: str) -> str:
    """Byte-compile the standard library of `python` (the class's interpreter) and `trees`
    with it, as root, where a file has no up-to-date bytecode yet (quick when all have); what
    compileall said, if it failed."""
    import subprocess

    stdlib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                            capture_output=True, text=True, check=False).stdout.strip()
    dirs = [d for d in (stdlib, *trees) if d and os.path.isdir(d)]
    done = subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "-x", r"/(test|tests|"
                           r"idlelib|lib2to3|tkinter|turtledemo)/", *dirs],
                          capture_output=True, text=True, check=False)
    return "" if done.returncode == 0 else (done.stdout + done.stderr).strip()[-2000:]


def main(argv: Sequence[str] | None = None) -> None:
    """Run jupyterhub-singleuser with the settings above (argv: its own arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    defer_rfc3987_syntax()
    skip_yarn_registry()
    from jupyterhub.singleuser import main as singleuser  # type: ignore[import-untyped]

    sys.argv[0] = "jupyterhub-singleuser"
    singleuser(argv=[*server_args(os.environ.get(ROLE_ENV, "student")), *args])


if __name__ == "__main__":
    main()
