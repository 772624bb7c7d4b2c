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
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from labkit.course.sources import OPTIONS, Lesson, regions

if TYPE_CHECKING:
    from nbformat import NotebookNode

VERSIONS = ("learner", "instructor", "solution")
NOTEBOOKS_VERSION = "learner"  # what notebooks/ holds (./lab, Binder, nbval)


def make(lesson: Lesson, version: str) -> NotebookNode:
    """A new notebook: `version` of the lesson, not yet run."""
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}")
    nb = copy.deepcopy(lesson.notebook)
    for cell in nb.cells:
        options = {key: cell.metadata.pop(key) for key in OPTIONS if key in cell.metadata}
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
