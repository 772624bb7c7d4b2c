"""What labkit needs inside the browser's Pyodide (sys.platform "emscripten"), set once when
labkit is imported there (labkit/__init__.py imports this module first): the calls
Emscripten's libc lacks, and a home for the learner's progress record that outlives the tab.

Pyodide's os has no geteuid; its files (MEMFS) all belong to uid 0, so labkit's ownership
checks of its own run directory compare with 0. The learner's work lives in JupyterLite's
browser storage, which the kernel mounts at /drive: the progress record goes there
(/drive/.labkit/progress.json), so it survives a reload as the notebooks do, unless
LABKIT_PROGRESS says otherwise.
"""

from __future__ import annotations

import os
import sys

DRIVE = "/drive"
PROGRESS = f"{DRIVE}/.labkit/progress.json"


def in_browser() -> bool:
    return sys.platform == "emscripten"


def prepare() -> None:
    """Make Pyodide's os and environment what labkit expects (nothing outside Pyodide)."""
    if not in_browser():
        return
    if not hasattr(os, "geteuid"):
        os.geteuid = getattr(os, "getuid", lambda: 0)
    if not hasattr(os, "getuid"):
        os.getuid = os.geteuid
    import fcntl

    if not hasattr(fcntl, "flock"):  # one kernel per tab, its cells one at a time: no locking
        fcntl.flock = lambda fd, op: None
        for name, value in (("LOCK_SH", 1), ("LOCK_EX", 2), ("LOCK_NB", 4), ("LOCK_UN", 8)):
            if not hasattr(fcntl, name):
                setattr(fcntl, name, value)
    if os.path.isdir(DRIVE):
        os.environ.setdefault("LABKIT_PROGRESS", PROGRESS)
    os.environ.setdefault("LABKIT_RUN_DIR", "/tmp/labkit")


prepare()
