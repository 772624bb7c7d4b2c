"""labkit.reset_notebook("03"): a lesson's course version back, from inside a notebook, the
learner's own version kept in backups/ first, as `./lab reset 03` does in a checkout.

It matters most in the browser (JupyterLite), where there is no `./lab` to run: there the
learner's notebooks are the kernel's /drive (JupyterLite's browser storage) and the course's
versions are the ones labkit's wheel carries beside the package (labkit.lite.build puts them
there); in a checkout, the course is notebooks/ and the copy is where `./lab` serves it from
(my-notebooks/, or $LABKIT_NOTEBOOKS). A translation's lessons are named with their folder:
reset_notebook("ja/03").
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path, PurePosixPath

from labkit import workcopy
from labkit.errors import UsageValueError
from labkit.lite import browser

COURSE = Path(__file__).resolve().parents[2] / "notebooks"  # beside the package, as built


def places(folder: str = "") -> tuple[Path, Path]:
    """The course's notebooks and the learner's copy of them (in `folder`: a translation)."""
    copy = Path(browser.DRIVE) if browser.in_browser() else workcopy.location(COURSE)
    return COURSE / folder, copy / folder


def reset_notebook(*names: str) -> list[workcopy.Reset]:
    """Give each named lesson ("03", "03-one-mac-for-all", "ja/03") its course version
    back; a version of the learner's that differs goes to backups/ first. Says what it did,
    and, since an open notebook keeps what its page holds, how to see the reset one."""
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise UsageValueError('reset_notebook: which lesson? e.g. reset_notebook("03") '
                              '(or "ja/03" for the Japanese one)')
    done: list[workcopy.Reset] = []
    for typed in names:
        path = PurePosixPath(typed.strip())
        folder = "" if path.parent == PurePosixPath(".") else path.parent.as_posix()
        course, copy = places(folder)
        if folder and not course.is_dir():
            raise UsageValueError(f"reset_notebook: no course folder {folder!r} (there are: "
                                  + ", ".join(sorted(p.name for p in COURSE.iterdir()
                                                     if p.is_dir() and any(p.glob("*.ipynb"))))
                                  + ")")
        try:
            if browser.in_browser():
                results = [_in_browser(course, copy, n)
                           for n in workcopy.resolve(course, [path.name])]
            else:
                results = workcopy.reset(course, copy, [path.name])
        except OSError as exc:
            raise workcopy.WorkcopyError(f"{exc.filename or copy}: {exc.strerror}") from None
        for one in results:
            print(f"{folder + '/' if folder else ''}{one.report()}")
        done += results
    if browser.in_browser() and any(d.before == "changed" for d in done):
        print("An open copy of it still shows what it showed: close it without saving and "
              "open it again (or File > Reload Notebook from Disk).")
    return done


def _in_browser(course: Path, copy: Path, name: str) -> workcopy.Reset:
    """One lesson back in JupyterLite: the learner's copy is moved into backups/ (a rename
    keeps it a notebook in the browser's storage, where a file written anew from the kernel
    would be stored as bytes, not as a notebook), and the site's own copy of the lesson, the
    course's, shows in its place again, as after a Delete in the file browser."""
    theirs = copy / name
    if not theirs.exists():
        return workcopy.Reset(name, "missing")
    if json.loads(theirs.read_bytes()) == json.loads((course / name).read_bytes()):
        return workcopy.Reset(name, "same")
    folder = copy / workcopy.BACKUPS
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = next(target for n in range(1, 1000) if not (target := folder / (
        f"{theirs.stem}-{stamp}{'' if n == 1 else f'-{n}'}.ipynb")).exists())
    os.rename(theirs, backup)
    return workcopy.Reset(name, "changed", backup)
