"""The course's progress shown: per notebook, which exercises are done, when first, after how
many attempts; as text (`labkit progress`) and HTML (notebook 00). Pure functions of the course
and the attempts, in the language spoken (labkit.i18n)."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from labkit.i18n import N_, _, ngettext


class AttemptLike(Protocol):  # read-only members: frozen dataclasses satisfy it
    @property
    def exercise(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def time(self) -> str: ...
    @property
    def problems(self) -> int: ...


class HelpLike(Protocol):
    @property
    def kind(self) -> str: ...  # hint, solution, predict
    @property
    def name(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def ok(self) -> bool | None: ...


@dataclass(frozen=True)
class Notebook:
    """One notebook of the course and its exercises, in order."""

    name: str  # 02-build-the-bond
    title: str
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One exercise as the table shows it."""

    notebook: str
    exercise: str
    done: bool  # some check of it said ok
    first_done: str | None  # the time of the first check that said ok
    attempts: int  # how many times it was checked
    last_problems: int | None  # what the latest check found (None: never checked)
    help_used: str = ""  # "2 hints, solution": the help revealed for it


def rows(notebooks: Sequence[Notebook], attempts: Sequence[AttemptLike],
         used: Sequence[HelpLike] = ()) -> list[Row]:
    """Every exercise of the course, in course order, with what the attempts say of it and
    the help revealed for it."""
    out = []
    for nb in notebooks:
        for exercise in nb.exercises:
            mine = [a for a in attempts if a.exercise == exercise]
            first = next((a.time for a in mine if a.ok), None)
            out.append(Row(nb.name, exercise, first is not None, first, len(mine),
                           mine[-1].problems if mine else None, help_of(exercise, used)))
    return out


def help_of(exercise: str, used: Sequence[HelpLike]) -> str:
    """The help revealed for `exercise`: "2 hints", "1 hint, solution", or ""."""
    hints = len({u.detail for u in used if u.kind == "hint" and u.name == exercise})
    parts = [ngettext("{n} hint", "{n} hints", hints).format(n=hints)] if hints else []
    if any(u.kind == "solution" and u.name == exercise for u in used):
        parts.append(_("solution"))
    return _(", ").join(parts)


def predictions(used: Sequence[HelpLike]) -> str:
    """"Predictions: 3 made, 2 right" (the first answer of each question), or ""."""
    first: dict[str, bool | None] = {}
    for u in used:
        if u.kind == "predict":
            first.setdefault(u.name, u.ok)
    if not first:
        return ""
    return _("Predictions: {made} made, {right} right").format(
        made=len(first), right=sum(ok is True for ok in first.values()))


def summary(table: Sequence[Row]) -> str:
    done = sum(r.done for r in table)
    return _("{done} of {total} exercises done").format(done=done, total=len(table))


def _when(stamp: str | None) -> str:
    """2026-12-03T11:50:02Z as 2026-12-03 11:50 UTC."""
    if not stamp:
        return ""
    return stamp[:16].replace("T", " ") + " UTC" if stamp.endswith("Z") else stamp


def _last(row: Row) -> str:
    if row.last_problems is None:
        return _("not tried")
    if row.last_problems == 0:
        return _("ok")
    return ngettext("{n} problem", "{n} problems", row.last_problems).format(
        n=row.last_problems)


HEADINGS = (N_("notebook"), N_("exercise"), N_("done"), N_("first done"), N_("attempts"),
            N_("last check"))


HELP_HEADING = N_("help used")  # a column only once some help was used


def _headings(table: Sequence[Row]) -> tuple[str, ...]:
    return tuple(_(h) for h in HEADINGS + ((HELP_HEADING,) if any(r.help_used for r in table)
                                           else ()))


def _width(cell: str) -> int:
    """The columns `cell` takes in a terminal: a Japanese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in cell)


def _cells(row: Row, with_help: bool = False) -> tuple[str, ...]:
    return (row.notebook, row.exercise, _("yes") if row.done else _("no"), _when(row.first_done),
            str(row.attempts), _last(row)) + ((row.help_used,) if with_help else ())


def text(notebooks: Sequence[Notebook], attempts: Sequence[AttemptLike], where: str = "",
         notice: str | None = None, used: Sequence[HelpLike] = ()) -> str:
    """A plain table, one line per exercise, under the count of those done."""
    table = rows(notebooks, attempts, used)
    headings = _headings(table)
    lines = [(_("Course progress: {summary} ({where})") if where else
              _("Course progress: {summary}")).format(summary=summary(table), where=where)]
    if notice:
        lines.append(f"labkit: {notice}")
    body = [headings, *(_cells(r, len(headings) > len(HEADINGS)) for r in table)]
    widths = [max(_width(line[i]) for line in body) for i in range(len(headings))]
    for line in body:
        lines.append("  ".join(c + " " * (w - _width(c))
                               for c, w in zip(line, widths, strict=True)).rstrip())
    if not table:
        lines.append(_("(the course has no exercises)"))
    if predictions(used):
        lines.append(predictions(used))
    return "\n".join(lines)


def html_of(notebooks: Sequence[Notebook], attempts: Sequence[AttemptLike], where: str = "",
            notice: str | None = None, used: Sequence[HelpLike] = ()) -> str:
    """The table as HTML: notebooks as group rows, done exercises in green."""
    table = rows(notebooks, attempts, used)
    headings = _headings(table)
    with_help = len(headings) > len(HEADINGS)
    titles = {nb.name: nb.title for nb in notebooks}
    heading = html.escape(_("Course progress: {summary}").format(summary=summary(table)))
    out = [f"<div class='labkit-progress'><p><b>{heading}"
           f"</b>" + (f" <small>({html.escape(where)})</small>" if where else "") + "</p>"]
    if notice:
        out.append(f"<p style='color:#c62828'>{html.escape(notice)}</p>")
    out.append("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in headings[1:])
               + "</tr></thead><tbody>")
    current = None
    for row in table:
        if row.notebook != current:
            current = row.notebook
            out.append(f"<tr><th colspan='{len(headings) - 1}' style='text-align:left'>"
                       f"{html.escape(row.notebook)}: {html.escape(titles[row.notebook])}"
                       "</th></tr>")
        colour = "#2e7d32" if row.done else ("#c62828" if row.attempts else "#616161")
        out.append(f"<tr style='color:{colour}' data-exercise='{html.escape(row.exercise)}'>"
                   + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row, with_help)[1:])
                   + "</tr>")
    out.append("</tbody></table>")
    if predictions(used):
        out.append(f"<p>{html.escape(predictions(used))}</p>")
    out.append("</div>")
    return "".join(out)
