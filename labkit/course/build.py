"""Run one version of a lesson with nbclient on the sim engine and write it with its outputs, so
a notebook is committed with what nbval then compares every run with.

The sim makes the outputs reproducible (the lesson's own `Lab(stable_uuids=True)` fixes
NetworkManager's UUIDs, the lab's calendar its dates); notebooks/sanitize.cfg masks what stays
random. A cell whose first line is `# NBVAL_IGNORE_OUTPUT` shows what differs by engine or
machine (the engine's name, widgets).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labkit.course import versions
from labkit.course.sources import Lesson
from labkit.errors import LabkitError

CELL_TIMEOUT = 300  # seconds: 05 runs four failovers in one cell


def language_of(lesson: Lesson) -> str:
    """The course language of `lesson`: lessons/LANG/NN-name.md is in LANG, lessons/ English."""
    from labkit.course.translations import LANGS, SOURCE_LANG

    lang = lesson.path.parent.name
    return lang if lang in LANGS else SOURCE_LANG


def execute(nb: NotebookNode, cwd: Path, name: str, lang: str = "en") -> None:
    """Run every cell of `nb` in a fresh python3 kernel on the sim, in `cwd`, in place, with
    labkit's own words in `lang` whatever the builder's LANG (LANGUAGE comes first in gettext's
    order, so an English course stays English on a Japanese desktop)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            record_timing=False,  # no timestamps: a rebuild differs only in outputs
                            resources={"metadata": {"path": str(cwd)}})
    try:
        # the sim, and no record in the builder's home (an instructor build would mark every
        # exercise done there)
        # the lesson's own machine: LABKIT_FLAVOUR (a learner's switch) is not the build's
        env = {k: v for k, v in os.environ.items() if k != "LABKIT_FLAVOUR"}
        client.execute(env={**env, "LABKIT_ENGINE": "sim", "LABKIT_PROGRESS": "off",
                            "LANGUAGE": lang})
    except (CellControlSignal, DeadKernelError) as exc:
        raise LabkitError(f"{name}: a cell failed, so nothing was written:\n{exc}") from None


def build(lesson: Lesson, version: str, out: Path, solution_button: bool = True) -> Path:
    """`version` of `lesson`, run, written to out/NAME.ipynb (the old file stays if it fails);
    without `solution_button`, its help cells show hints only."""
    nb = versions.make(lesson, version, solution_button)
    out.mkdir(parents=True, exist_ok=True)
    execute(nb, out, f"{lesson.name} ({version})", language_of(lesson))
    path = out / f"{lesson.name}.ipynb"
    partial = out / f".{lesson.name}.ipynb.partial"
    try:
        nbformat.write(nb, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
