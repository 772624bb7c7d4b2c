"""Translations kept beside the English lessons, and how a stale one shows.

A translated lesson is lessons/LANG/NN-name.md, written like the English lessons/NN-name.md.
Each of its Markdown cells names the English cell it translates by the first 12 hex digits of
the sha256 of that cell's source as the build reads it (jupytext's cell source):
`+++ {"en": "3f2a9c1b7d04"}` above a Markdown cell, `:en: 3f2a9c1b7d04` in a code cell whose
comments are translated; a cell that exists only in the translation says `"en": "none"`. When
the English cell changes or goes, no English cell has that hash any more: the translation is
stale, and `labkit course build --check --lang LANG` says which file and cell.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from labkit.course.sources import Lesson

LANGS = ("en", "ja")  # the course's languages: English is the source, the others translate it
SOURCE_LANG = "en"
KEY = "en"  # the cell metadata naming the English cell a translated cell follows
ONLY_HERE = "none"  # the value for a cell the English lesson has no counterpart of
HASH = re.compile(r"[0-9a-f]{12}")


def cell_hash(source: str) -> str:
    """The name a translation gives the English cell whose source is `source`."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def lessons_dir(base: Path, lang: str) -> Path:
    """Where the lessons in `lang` are: `base` itself for English, base/LANG otherwise."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    return base if lang == SOURCE_LANG else base / lang


def notebooks_dir(lessons: Path, lang: str) -> Path:
    """Where the notebooks of the lessons in `lessons` go: notebooks/ beside the English
    lessons' directory, notebooks/LANG for a translation."""
    if lang == SOURCE_LANG:
        return lessons.parent / "notebooks"
    return lessons.parent.parent / "notebooks" / lang


def english_path(translated: Path) -> Path:
    """The English lesson a translated lesson (lessons/LANG/NN-name.md) translates."""
    return translated.parent.parent / translated.name


def stale(translated: Lesson, english: Lesson | None) -> list[str]:
    """Every translated cell that names no current English cell, one sentence each naming the
    file and cell; an empty list when the translation is in step with `english`."""
    where_file = f"{translated.path.parent.name}/{translated.path.name}"  # ja/06-....md
    if english is None:
        return [f"{translated.path}: no English lesson {english_path(translated.path)} to "
                f"translate"]
    hashes = {cell_hash(c.source): c["id"] for c in english.notebook.cells}
    problems = []
    for cell in translated.notebook.cells:
        where = f"{where_file}, cell {cell['id']}"
        named = cell.metadata.get(KEY)
        if named is None:
            if cell.cell_type == "markdown":
                problems.append(f'{where}: say which English cell this translates (+++ '
                                f'{{"{KEY}": "HASH"}}, the first 12 hex digits of sha256 of '
                                f'its source) or {{"{KEY}": "{ONLY_HERE}"}} if it has none')
            continue
        if named == ONLY_HERE:
            continue
        if not isinstance(named, str) or not HASH.fullmatch(named):
            problems.append(f"{where}: {KEY}: {named!r} is neither 12 hex digits nor "
                            f"{ONLY_HERE!r}")
        elif named not in hashes:
            problems.append(f"{where}: stale translation: the English cell it translates "
                            f"({KEY} {named}) has changed or gone from {english.path.name}; "
                            f"update the translation and its hash (labkit course hashes "
                            f"{english.name[:2]} lists them)")
    return problems


def in_step(translated: list[Lesson], read) -> list[str]:
    """stale() for each translated lesson, its English lesson read with `read(path)`."""
    problems: list[str] = []
    for lesson in translated:
        path = english_path(lesson.path)
        problems += stale(lesson, read(path) if path.exists() else None)
    return problems


def behind(english: list[Lesson], read) -> list[str]:
    """stale() for every translation of the `english` lessons (lessons/LANG/NN-name.md beside
    them): what an edit of the English text has left behind, one sentence each."""
    problems: list[str] = []
    for lang in LANGS:
        for lesson in english if lang != SOURCE_LANG else []:
            path = lesson.path.parent / lang / lesson.path.name
            if path.exists():
                problems += stale(read(path), lesson)
    return problems


def listing(english: Lesson) -> list[str]:
    """One line per English cell: its hash, id, kind and first line (what a translator names)."""
    lines = []
    for cell in english.notebook.cells:
        first = next((x for x in cell.source.split("\n") if x.strip()), "")
        lines.append(f"{cell_hash(cell.source)}  {cell['id']}  {cell.cell_type:8}  {first[:60]}")
    return lines
