"""The teacher's view of a class: every student × exercise, not started / trying / done, with
what the last check found; as data (the teacher service's `api/progress`) and as an HTML page.
Pure functions of the course's exercises and each student's attempts (labkit.progress's
records), as the learner's own progress view is.

An exercise is *done* once a check of it said ok (as the learner's own report counts it: a
student who breaks the bond afterwards to see what the check says has still done it), *trying*
when it has been checked and never passed, *not started* when no check of it was run. The last
check's problems are the sentences the check said where the record keeps them (an attempt's
`said`), else only their count (`problem_count`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.views.progress import AttemptLike, Notebook  # one record, one protocol

NOT_STARTED, TRYING, DONE = "not started", "trying", "done"
STATES = (NOT_STARTED, TRYING, DONE)
COLOURS = {DONE: "#2e7d32", TRYING: "#c62828", NOT_STARTED: "#757575"}
SYMBOLS = {DONE: "✔", TRYING: "✘", NOT_STARTED: "·"}


@dataclass(frozen=True)
class Cell:
    """One student's standing on one exercise."""

    state: str  # one of STATES
    attempts: int  # checks run
    last: str | None  # when the last check ran (ISO 8601 UTC)
    problems: tuple[str, ...]  # the last check's problems, as said (empty: ok, or not kept)
    problem_count: int  # how many the last check found (0: ok or not started)


@dataclass(frozen=True)
class Student:
    """One student's record as the service read it."""

    name: str
    attempts: Sequence[AttemptLike]
    notice: str | None = None  # why the record could not be read, if it could not


def cell(exercise: str, attempts: Sequence[AttemptLike]) -> Cell:
    """What the attempts say of one exercise."""
    mine = [a for a in attempts if a.exercise == exercise]
    if not mine:
        return Cell(NOT_STARTED, 0, None, (), 0)
    last = mine[-1]
    said = tuple(str(p) for p in (getattr(last, "said", None) or ()))
    state = DONE if any(a.ok for a in mine) else TRYING
    return Cell(state, len(mine), last.time, said, 0 if last.ok else int(last.problems))


def exercises(notebooks: Sequence[Notebook]) -> list[str]:
    """The course's exercises in course order."""
    return [e for nb in notebooks for e in nb.exercises]


def table(notebooks: Sequence[Notebook], students: Sequence[Student]) -> dict[str, dict[str, Cell]]:
    """student -> exercise -> Cell, students in the order given, exercises in course order."""
    names = exercises(notebooks)
    return {s.name: {e: cell(e, s.attempts) for e in names} for s in students}


def data(notebooks: Sequence[Notebook], students: Sequence[Student]) -> dict[str, Any]:
    """`api/progress`'s body: {"students": {USER: {EXERCISE: {"state", "problems", ...}}},
    "exercises": [...], "notices": {USER: sentence}}."""
    cells = table(notebooks, students)
    return {
        "exercises": exercises(notebooks),
        "students": {name: {e: {"state": c.state, "problems": list(c.problems),
                                "problem_count": c.problem_count, "attempts": c.attempts,
                                "last": c.last} for e, c in row.items()}
                     for name, row in cells.items()},
        "notices": {s.name: s.notice for s in students if s.notice},
    }


def summary(cells: Mapping[str, Mapping[str, Cell]]) -> str:
    """How many students have done how much: "3 students; 2 of 21 exercise results done"."""
    everything = [c for row in cells.values() for c in row.values()]
    done = sum(c.state == DONE for c in everything)
    trying = sum(c.state == TRYING for c in everything)
    n = len(cells)
    return (f"{n} student{'s' if n != 1 else ''}: {done} done, {trying} trying, "
            f"{len(everything) - done - trying} not started")


def _title(c: Cell) -> str:
    """The cell's tooltip: the state, the attempts, the last check's problems."""
    if c.state == NOT_STARTED:
        return NOT_STARTED
    head = f"{c.state}: {c.attempts} check{'s' if c.attempts != 1 else ''}, last {c.last}"
    if c.problems:
        return head + "\n" + "\n".join(f"- {p}" for p in c.problems)
    if c.problem_count:
        return head + f"\n{c.problem_count} problem{'s' if c.problem_count != 1 else ''}"
    return head


def _td(c: Cell) -> str:
    said = "".join(f"<li>{html.escape(p)}</li>" for p in c.problems)
    count = ("" if said or not c.problem_count else
             f"<small>{c.problem_count} problem{'s' if c.problem_count != 1 else ''}</small>")
    return (f"<td class='labkit-{c.state.replace(' ', '-')}' style='color:{COLOURS[c.state]}' "
            f"title='{html.escape(_title(c))}' data-state='{c.state}'>"
            f"<span style='white-space:nowrap'><b>{SYMBOLS[c.state]}</b> {c.state}</span>"
            + (f"<ul>{said}</ul>" if said else count) + "</td>")


def page(notebooks: Sequence[Notebook], students: Sequence[Student], prefix: str = "/",
         xsrf: str = "", refresh: int = 5) -> str:
    """The whole page: the table, one reset button a student, reloading itself every
    `refresh` seconds (its data from `{prefix}api/progress`, so the table stays live without a
    full reload)."""
    cells = table(notebooks, students)
    names = exercises(notebooks)
    notices = {s.name: s.notice for s in students if s.notice}
    head = "".join(f"<th>{html.escape(e)}</th>" for e in names)
    rows = []
    for student, row in cells.items():
        who = html.escape(student)
        note = (f"<br><small style='color:#c62828'>{html.escape(notices[student])}</small>"
                if student in notices else "")
        rows.append(f"<tr data-student='{who}'><th>{who}{note}</th>"
                    + "".join(_td(row[e]) for e in names)
                    + f"<td><button class='labkit-reset' data-student='{who}'>reset lab"
                    "</button></td></tr>")
    if not cells:
        rows.append(f"<tr><td colspan='{len(names) + 2}'>no students</td></tr>")
    script = _SCRIPT % {"api": json.dumps(prefix + "api/"), "xsrf": json.dumps(xsrf),
                        "ms": max(1, refresh) * 1000}
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>labkit: the class</title>"
            f"<style>{_STYLE}</style></head><body><h1>The class</h1>"
            f"<p id='summary'>{html.escape(summary(cells))}</p>"
            f"<table id='labkit-class'><thead><tr><th>student</th>{head}<th></th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><p id='status'></p>"
            f"<script>{script}</script></body></html>")


_STYLE = ("body{font-family:sans-serif}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
          "ul{margin:2px 0;padding-left:16px;font-size:small;max-width:28em}")

# every few seconds: fetch api/progress and reload when it changed (the page is rendered by the
# server, one function of the data, so a reload is the simplest faithful update); the reset
# button posts api/reset/USER with the XSRF token
_SCRIPT = """
const api = %(api)s, xsrf = %(xsrf)s;
let seen = null;
async function poll() {
  try {
    const r = await fetch(api + "progress", {credentials: "same-origin"});
    const text = await r.text();
    if (seen !== null && text !== seen) location.reload();
    seen = text;
  } catch (e) { document.getElementById("status").textContent = "not reachable: " + e; }
}
for (const b of document.querySelectorAll("button.labkit-reset")) {
  b.onclick = async () => {
    const who = b.dataset.student;
    if (!confirm("Reset " + who + "'s lab? Their server restarts; unsaved work is lost.")) return;
    const r = await fetch(api + "reset/" + encodeURIComponent(who), {method: "POST",
      credentials: "same-origin", headers: {"X-XSRFToken": xsrf}});
    const body = await r.json().catch(() => ({}));
    document.getElementById("status").textContent = body.message || ("reset: " + r.status);
  };
}
poll();
setInterval(poll, %(ms)d);
"""
