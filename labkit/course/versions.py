"""The versions of a lesson's notebook, made from the one source in nbgrader's convention.

- instructor: the lesson as written, solution regions and their markers in place, with
  nbgrader's cell metadata on the exercise and check cells: what `nbgrader generate_assignment`
  takes as its source version.
- learner: each solution region replaced by one empty line (nbgrader's own replacement with
  `ClearSolutions.code_stub = {"python": ""}`), below the comment that says what to do. Nothing
  raises: a `raise NotImplementedError()` stub would be typed into the lab's shell in a `%%lab`
  cell, and would stop Run All before the check that says what is still missing.
- solution: the solutions worked in, without markers, instructions or nbgrader metadata: the
  lesson to hand out once it is done.

Every version carries the help the same way: a `hints` Markdown cell becomes a code cell, its
input hidden and no nbgrader metadata, whose output is the hint and solution buttons
(labkit.notebook.help); a `predict` cell becomes a code cell showing the question's choices,
and the code cell after it gets `%%predict NAME` as its first line, which holds its output back
until the question is answered. With `solution_button=False` (`labkit course build
--no-solution-button`, for a graded nbgrader release) the help cell shows the hints only and
carries no solution text.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from labkit.course.sources import (
    HELP,
    OPTIONS,
    Lesson,
    Question,
    hints_of,
    question_of,
    regions,
    solution_text,
)

if TYPE_CHECKING:
    from nbformat import NotebookNode

TRANSLATES = "en"  # a translated cell's English cell (labkit.course.translations.KEY)
VERSIONS = ("learner", "instructor", "solution")
NOTEBOOKS_VERSION = "learner"  # what notebooks/ holds (./lab, Binder, nbval)


HELP_IMPORT = "import labkit.notebook.help"  # not `from ... import help`: it would hide help()
HIDDEN = {"jupyter": {"source_hidden": True}}  # JupyterLab's collapsed input


def make(lesson: Lesson, version: str, solution_button: bool = True) -> NotebookNode:
    """A new notebook: `version` of the lesson, not yet run."""
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}")
    nb = copy.deepcopy(lesson.notebook)
    nb.cells = help_cells(nb.cells, solution_button)
    for cell in nb.cells:
        options = {key: cell.metadata.pop(key) for key in OPTIONS if key in cell.metadata}
        cell.metadata.pop(TRANSLATES, None)  # the lesson's bookkeeping, not the notebook's
        if cell.cell_type == "code" and version == "learner":
            cell.source = learner_source(cell.source)
        elif cell.cell_type == "code" and version == "solution":
            cell.source = solution_source(cell.source)
        grading = nbgrader_metadata(options)
        if grading and version != "solution":
            cell.metadata["nbgrader"] = grading
    return nb


def learner_source(source: str) -> str:
    """`source` with each solution region (markers included) left as one empty line."""
    lines = source.split("\n")
    for r in reversed(regions(source)):
        indent = lines[r.begin][: len(lines[r.begin]) - len(lines[r.begin].lstrip())]
        lines[r.begin: r.end + 1] = [indent]
    return "\n".join(lines)


def solution_source(source: str) -> str:
    """`source` with each solution in place: its markers and the instruction above it gone."""
    lines = source.split("\n")
    for r in reversed(regions(source)):
        lines[r.instruction: r.end + 1] = lines[r.begin + 1: r.end]
    return "\n".join(lines)


def nbgrader_metadata(options: dict) -> dict | None:
    """nbgrader's cell metadata (schema version 3) for a cell's lesson options, if it has any.

    An exercise cell is an autograded answer (solution, not graded, editable); a check cell is
    the autograder's test (graded, worth `points`, locked), as nbgrader's create-assignment
    toolbar marks them.
    """
    if "exercise" in options:
        return {"grade": False, "grade_id": options["exercise"], "locked": False,
                "schema_version": 3, "solution": True}
    if "check" in options:
        return {"grade": True, "grade_id": f"{options['check']}-check", "locked": True,
                "points": options.get("points", 1), "schema_version": 3, "solution": False}
    return None


def help_cells(cells: list, solution_button: bool) -> list:
    """The cells with each `hints` and `predict` Markdown cell made the code cell showing it
    (same id), and each predicted cell's output held back by `%%predict NAME`."""
    from nbformat.v4 import new_code_cell

    solutions = {c.metadata["exercise"]: solution_text(c.source) for c in cells
                 if c.cell_type == "code" and isinstance(c.metadata.get("exercise"), str)}
    out = []
    held = None
    for cell in cells:
        key = next((k for k in HELP if k in cell.metadata), None)
        if held is not None and cell.cell_type == "code":
            cell.source = f"%%predict {held}\n{cell.source}"
            held = None
        if key is None or cell.cell_type != "markdown":
            out.append(cell)
            continue
        ident = cell.metadata[key]
        if key == "hints":
            source = hints_source(ident, hints_of(cell.source),
                                  solutions.get(ident) if solution_button else None)
        else:
            source = predict_source(question_of(ident, cell.source))
            held = ident
        new = new_code_cell(source, metadata=copy.deepcopy(HIDDEN))
        new["id"] = cell["id"]
        out.append(new)
    return out


def hints_source(exercise: str, hints: list[str], solution: str | None) -> str:
    """The help cell's code: the exercise's hints, and its solution unless left out."""
    lines = [HELP_IMPORT, f"labkit.notebook.help.hints({exercise!r}, ["]
    lines += [f"    {hint!r}," for hint in hints]
    lines.append("]" + (f", solution={solution!r})" if solution is not None else ")"))
    return "\n".join(lines)


def predict_source(question: Question) -> str:
    """The predict cell's code: the question, its choices and the right one."""
    lines = [HELP_IMPORT, f"labkit.notebook.help.predict({question.ident!r}, "
                          f"{question.question!r}, ["]
    lines += [f"    {choice!r}," for choice in question.choices]
    lines.append(f"], answer={question.answer})")
    return "\n".join(lines)
