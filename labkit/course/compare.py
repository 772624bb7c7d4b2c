"""Whether a built notebook still agrees with its lesson, without running it: cell for cell, the
same kind of cell, id, source and metadata (outputs, and the timing that running records, are
what a build adds; nbval compares those)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from labkit.course import versions
from labkit.course.sources import LESSON_NAME, Lesson
from labkit.course.translations import LANGS, SOURCE_LANG

RUN_METADATA = ("execution",)  # cell metadata that running writes (nbclient's timing record)


def show(path: Path) -> str:
    """`path` as a user would type it from here: relative when below the working directory."""
    here, there = Path.cwd(), Path(path).resolve()
    return str(there.relative_to(here)) if there.is_relative_to(here) else str(path)


def disagreement(lesson: Lesson, notebook: Path, version: str,
                 solution_button: bool = True) -> str | None:
    """One sentence naming the notebook and the first thing that differs, or None if it agrees."""
    lang = lesson.path.parent.name
    option = f"--lang {lang} " if lang in LANGS and lang != SOURCE_LANG else ""
    rebuild = f"rebuild it: labkit course build {option}{lesson.name[:2]}"
    head = f"{show(notebook)} does not agree with {show(lesson.path)}"
    if not notebook.exists():
        return f"{show(notebook)} is missing ({rebuild})"
    try:
        actual = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError) as exc:  # nbformat's NotJSONError is a ValueError
        return f"{show(notebook)} cannot be read as a notebook: {exc} ({rebuild})"
    expected = versions.make(lesson, version, solution_button)
    if actual.metadata.get("kernelspec") != expected.metadata["kernelspec"]:
        return f"{head}: its kernelspec differs ({rebuild})"
    for index, want in enumerate(expected.cells):
        if index >= len(actual.cells):
            return (f"{head}: the lesson has {len(expected.cells)} cells, the notebook "
                    f"{len(actual.cells)} ({rebuild})")
        got = actual.cells[index]
        cell = f"cell {want['id']}"
        if got.cell_type != want.cell_type:
            return f"{head}: {cell} is a {got.cell_type} cell, the lesson's a {want.cell_type} " \
                   f"cell ({rebuild})"
        if got.get("id") != want["id"]:
            return f"{head}: cell {index} has the id {got.get('id')!r}, not {want['id']!r} " \
                   f"({rebuild})"
        if got.source != want.source:
            return f"{head}: {cell}'s source differs ({rebuild})"
        if _metadata(got) != _metadata(want):
            return f"{head}: {cell}'s metadata differs ({rebuild})"
    if len(actual.cells) > len(expected.cells):
        return (f"{head}: the lesson has {len(expected.cells)} cells, the notebook "
                f"{len(actual.cells)} ({rebuild})")
    return None


def strays(notebooks: Path, lessons: list[Lesson]) -> list[str]:
    """Course notebooks (NN-name.ipynb) in `notebooks` that no lesson makes, one sentence each."""
    names = {lesson.name for lesson in lessons}
    return [f"{show(p)} has no lesson (lessons/{p.stem}.md): remove it, or write its lesson"
            for p in sorted(notebooks.glob("*.ipynb"))
            if LESSON_NAME.fullmatch(p.stem) and p.stem not in names]


def _metadata(cell: nbformat.NotebookNode) -> dict:
    return {k: v for k, v in cell.metadata.items() if k not in RUN_METADATA}
