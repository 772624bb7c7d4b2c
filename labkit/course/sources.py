"""Lessons as text: read lessons/NN-name.md (jupytext's MyST Markdown) into a notebook, and check
its exercise markup before any version of it is made.

The markup (lessons/README.md shows it): a code cell holding a solution region between
`### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's markers) carries the cell option
`:exercise: NN-name`, and the comment lines right above the region say what to do; the cell that
checks it carries `:check: NN-name` (and `:points: N`, 1 by default).

The help markup: a Markdown cell with the metadata `{"hints": "NN-name"}` (jupytext's
`+++ {"hints": "NN-name"}`) lists that exercise's hints, one list item each, vaguest first; a
Markdown cell with `{"predict": "NN-name"}` holds a question and its choices as a list, the
right one marked `- [x]` and the others `- [ ]`, and the code cell right after it is the one
whose output is held back until the learner has answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.errors import LabkitError

if TYPE_CHECKING:  # nbformat is slow to import: the labkit command must not wait for it
    from nbformat import NotebookNode

BEGIN = "BEGIN SOLUTION"  # nbgrader's delimiters: a line holding one is a marker, as nbgrader reads
END = "END SOLUTION"
LESSON_NAME = re.compile(r"\d\d-[a-z0-9][a-z0-9-]*")  # NN-name: notebooks/NN-name.ipynb
GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")  # nbgrader's grade_id pattern (schema version 3)
OPTIONS = ("exercise", "check", "points")  # the cell options a lesson adds to MyST's
HELP = ("hints", "predict")  # the Markdown cells' metadata that the build turns into help
LIST_ITEM = re.compile(r"(?:[-*+]|\d+[.)])\s+(.*)")  # a Markdown list item's first line
CHOICE = re.compile(r"\[([ xX])\]\s+(.*)", re.DOTALL)  # a task-list item: [x] right, [ ] wrong
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class LessonError(LabkitError):
    """A lesson's markup is wrong; carries every problem found, each naming file and cell."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Region:
    """One solution region of a cell's lines: the instruction above it, the markers around it."""

    instruction: int  # first line of the comment block right above `begin` (== begin: none)
    begin: int
    end: int


@dataclass(frozen=True)
class Lesson:
    """A lesson as written: solution regions in place, its cell options in cell metadata."""

    name: str  # 00-start-here: its notebook is 00-start-here.ipynb
    path: Path
    notebook: NotebookNode


def default_dir() -> Path:
    """lessons/ of the checkout labkit runs from (the package directory sits beside it)."""
    return Path(__file__).resolve().parents[2] / "lessons"


def lesson_paths(directory: Path) -> list[Path]:
    """The lessons in `directory`, in course order (lessons/README.md and the like are not)."""
    if not directory.is_dir():
        raise LabkitError(f"no lessons directory at {directory}")
    return sorted(p for p in directory.glob("*.md") if LESSON_NAME.fullmatch(p.stem))


def select(directory: Path, wanted: list[str]) -> list[Path]:
    """The lessons whose name starts with one of `wanted` (all when it is empty)."""
    paths = lesson_paths(directory)
    for w in wanted:
        if not any(p.stem.startswith(w) for p in paths):
            known = ", ".join(p.stem for p in paths) or "none"
            raise LabkitError(f"no lesson's name starts with {w!r} (lessons: {known})")
    return [p for p in paths if not wanted or any(p.stem.startswith(w) for w in wanted)]


def read(path: Path) -> Lesson:
    """The lesson at `path`, its cells numbered NN-II as the notebooks' cell ids."""
    import jupytext

    try:
        nb = jupytext.read(path, fmt="md:myst")
    except OSError as exc:
        raise LabkitError(f"{path}: cannot read it: {exc.strerror}") from None
    except Exception as exc:  # jupytext's parse errors have no common class (YAML, MyST, ...)
        raise LabkitError(f"{path}: not a MyST Markdown notebook: {exc}") from None
    name = path.stem
    nb.metadata.pop("jupytext", None)  # how the text file is written, not the notebook's
    # the build runs python3 whatever the header says (JupyterLab's save writes its own name)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"  # by position, as the notebooks always had
    lesson = Lesson(name, path, nb)
    problems = check_markup(lesson)
    if problems:
        raise LessonError(problems)
    return lesson


def regions(source: str) -> list[Region]:
    """The solution regions of a code cell's source (well-formed: check_markup says if not)."""
    lines = source.split("\n")
    found, begin = [], None
    for i, line in enumerate(lines):
        if BEGIN in line and begin is None:
            begin = i
        elif END in line and begin is not None:
            top = begin
            while top > 0 and _instruction_line(lines[top - 1]):
                top -= 1
            found.append(Region(top, begin, i))
            begin = None
    return found


def solution_text(source: str) -> str:
    """What the solution regions of an exercise cell hold, markers left out, dedented as one
    block: the answer the solution button shows."""
    import textwrap

    lines = source.split("\n")
    parts = ["\n".join(lines[r.begin + 1:r.end]) for r in regions(source)]
    return textwrap.dedent("\n".join(p for p in parts if p.strip())).strip("\n")


def list_items(source: str) -> tuple[list[str], list[str], list[str]]:
    """A Markdown cell's list items (continuation lines joined with a space), the lines before
    the list (a predict cell's question) and the lines after it (prose that jupytext put in
    the same cell because no `+++` line ended the list)."""
    items: list[str] = []
    before: list[str] = []
    after: list[str] = []
    blank = False
    for line in source.split("\n"):
        if not line.strip():
            blank = True
            if not items:
                before.append(line)  # a question's paragraphs stay apart
            continue
        match = LIST_ITEM.fullmatch(line.strip()) if not line[:1].isspace() else None
        if after or (items and blank and not match and not line[:1].isspace()):
            after.append(line)
        elif match:
            items.append(match.group(1).strip())
        elif items:
            items[-1] += " " + line.strip()
        else:
            before.append(line)
        blank = False
    return items, before, after


def hints_of(source: str) -> list[str]:
    """The hints a `hints` cell lists, in order."""
    return list_items(source)[0]


@dataclass(frozen=True)
class Question:
    """A predict cell: the question (Markdown), its choices, which one is right."""

    ident: str
    question: str
    choices: tuple[str, ...]
    answer: int  # index into choices


def question_of(ident: str, source: str) -> Question:
    """The question a `predict` cell asks (check_markup has said it is well-formed)."""
    items, before, _ = list_items(source)
    marks = [CHOICE.fullmatch(item) for item in items]
    choices = tuple(m.group(2).strip() for m in marks if m)
    answer = next((i for i, m in enumerate(m for m in marks if m)
                   if m.group(1).lower() == "x"), 0)
    return Question(ident, "\n".join(before).strip(), choices, answer)


def _help_problems(lesson: Lesson, exercises: set[str]) -> list[str]:
    """What is wrong with the lesson's hints and predict cells, one sentence each."""
    problems: list[str] = []
    prefix = lesson.name[:2] + "-"
    cells = lesson.notebook.cells
    hinted: dict[str, str] = {}
    asked: dict[str, str] = {}
    for index, cell in enumerate(cells):
        where = f"{lesson.path.name}, cell {cell['id']}"
        keys = [k for k in HELP if k in cell.metadata]
        if not keys:
            continue
        if len(keys) > 1:
            problems.append(f"{where}: a cell holds either hints or a predict question, not both")
            continue
        key, ident = keys[0], cell.metadata[keys[0]]
        if cell.cell_type != "markdown":
            problems.append(f'{where}: {{"{key}": ...}} belongs on a Markdown cell (+++ '
                            f'{{"{key}": "{ident}"}} above its text)')
            continue
        if key == "hints":
            if ident not in exercises:
                known = ", ".join(sorted(exercises)) or "none"
                problems.append(f"{where}: hints for {ident!r}, but the lesson has no such "
                                f"exercise (its exercises: {known})")
            elif ident in hinted:
                problems.append(f"{where}: the hints of {ident} are already given in cell "
                                f"{hinted[ident]}: put them all in one list")
            else:
                hinted[ident] = cell["id"]
            items, before, after = list_items(cell.source)
            if not items or any(x.strip() for x in before):
                problems.append(f"{where}: a hints cell holds a Markdown list of hints "
                                f"(- first hint), and nothing before it")
            problems += _after_list(where, after)
            continue
        if not isinstance(ident, str) or not GRADE_ID.fullmatch(ident) \
                or not ident.startswith(prefix):
            problems.append(f"{where}: a predict question's name must be like {prefix}mac "
                            f"(letters, digits, - and _, starting with {prefix}), not {ident!r}")
            continue
        if ident in asked:
            problems.append(f"{where}: the predict question {ident} is already asked in cell "
                            f"{asked[ident]}")
        asked[ident] = cell["id"]
        items, before, after = list_items(cell.source)
        marks = [CHOICE.fullmatch(item) for item in items]
        problems += _after_list(where, after)
        if not "\n".join(before).strip():
            problems.append(f"{where}: a predict cell asks its question above the choices")
        if len(items) < 2 or not all(marks):
            problems.append(f"{where}: a predict cell lists two choices or more, each as "
                            f"- [ ] choice, the right one as - [x] choice")
        elif sum(m.group(1).lower() == "x" for m in marks if m) != 1:
            problems.append(f"{where}: mark exactly one choice right, as - [x] choice")
        following = cells[index + 1] if index + 1 < len(cells) else None
        if following is None or following.cell_type != "code" \
                or any(k in following.metadata for k in ("exercise", "check")):
            problems.append(f"{where}: a predict cell is followed by the code cell whose "
                            f"output answers it (not an exercise or a check)")
    return problems


def _after_list(where: str, after: list[str]) -> list[str]:
    if not after:
        return []
    return [f"{where}: text follows the list ({after[0].strip()[:40]!r}): end the help cell "
            f"with a line +++ before it, or jupytext keeps it in the same cell"]


def _marker(line: str) -> bool:
    return BEGIN in line or END in line


def _instruction_line(line: str) -> bool:
    """A comment that may say what to do: not a marker, not nbval's `# NBVAL_...` directive."""
    text = line.lstrip()
    return text.startswith("#") and not _marker(text) and not text.startswith("# NBVAL_")


def check_markup(lesson: Lesson) -> list[str]:
    """Every problem with the lesson's exercise markup, one sentence each."""
    problems: list[str] = []
    prefix = lesson.name[:2] + "-"
    seen: dict[str, str] = {}
    for cell in lesson.notebook.cells:
        where = f"{lesson.path.name}, cell {cell['id']}"
        meta = cell.metadata
        problems += [f"{where}: {p}" for p in _markers(cell)]
        has_regions = cell.cell_type == "code" and bool(regions(cell.source))
        for key in ("exercise", "check"):
            if key not in meta:
                continue
            ident = meta[key]
            if not isinstance(ident, str) or not GRADE_ID.fullmatch(ident) \
                    or not ident.startswith(prefix):
                problems.append(f"{where}: :{key}: must be a name like {prefix}unplug (letters, "
                                f"digits, - and _, starting with {prefix}), not {ident!r}")
                continue
            grade_id = ident if key == "exercise" else f"{ident}-check"
            if grade_id in seen:
                problems.append(f"{where}: :{key}: {ident} is already used by cell "
                                f"{seen[grade_id]}")
            seen[grade_id] = cell["id"]
        if isinstance(meta.get("check"), str) and cell.cell_type == "code" \
                and f'exercise="{meta["check"]}"' not in cell.source:
            problems.append(f"{where}: the check must name its exercise, "
                            f'checks.check(lab, ..., exercise="{meta["check"]}"): its result '
                            "carries that id")
        if "exercise" in meta and "check" in meta:
            problems.append(f"{where}: a cell is either the exercise or its check, not both")
        if has_regions and "exercise" not in meta:
            problems.append(f"{where}: a cell with a solution region needs :exercise: "
                            f"{prefix}NAME (nbgrader grades it by that id)")
        if "exercise" in meta and not has_regions:
            problems.append(f"{where}: an :exercise: cell needs its solution between "
                            f"### {BEGIN} and ### {END}")
        if has_regions:
            problems += [f"{where}: the solution region at line {r.begin + 1} needs a comment "
                         f"right above it saying what to do (the learner's version keeps only "
                         f"that)" for r in regions(cell.source) if r.instruction == r.begin]
        if "points" in meta:
            points = meta["points"]
            if "check" not in meta:
                problems.append(f"{where}: :points: belongs on a :check: cell")
            elif isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                problems.append(f"{where}: :points: must be a number of points (0 or more), "
                                f"not {points!r}")
    exercises = {c.metadata["exercise"] for c in lesson.notebook.cells
                 if isinstance(c.metadata.get("exercise"), str)}
    return problems + _help_problems(lesson, exercises)


def _markers(cell: NotebookNode) -> list[str]:
    """What is wrong with the cell's markers: unbalanced, nested, or outside a code cell."""
    lines = cell.source.split("\n")
    if cell.cell_type != "code":
        return ([f"solution markers belong in code cells (nbgrader would replace this "
                 f"{cell.cell_type} cell whole)"] if any(_marker(x) for x in lines) else [])
    problems, open_at = [], None
    for i, line in enumerate(lines, 1):
        if BEGIN in line:
            if open_at is not None:
                problems.append(f"line {i}: ### {BEGIN} inside the region opened at line "
                                f"{open_at} (regions do not nest)")
            open_at = i
        elif END in line:
            if open_at is None:
                problems.append(f"line {i}: ### {END} without a ### {BEGIN} above it")
            open_at = None
    if open_at is not None:
        problems.append(f"line {open_at}: ### {BEGIN} is never closed by ### {END}")
    return problems
