"""A check's result shown: text for the learner, HTML for the notebook, and the machine-readable
`application/vnd.labkit.check+json` that nbgrader's autograder, the progress record and any
outside test read. Pure functions of the result's data."""

from __future__ import annotations

import html
from typing import Any

MIME = "application/vnd.labkit.check+json"
WELL_DONE = "Well done: everything the exercise asks for is in place."


def data(exercise: str | None, problems: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """{"exercise": ID, "ok": bool, "problems": [sentences]}: the result as machines read it."""
    return {"exercise": exercise, "ok": not problems, "problems": list(problems)}


def text(exercise: str | None, problems: tuple[str, ...] | list[str]) -> str:
    """What the learner reads: well done, or every problem, each with what to do next."""
    if not problems:
        return WELL_DONE
    return "Not yet:\n" + "\n".join(f"  - {p}" for p in problems)


def html_of(exercise: str | None, problems: tuple[str, ...] | list[str]) -> str:
    """The text, green when done, red while something is missing."""
    colour = "#2e7d32" if not problems else "#c62828"
    title = f' title="exercise {html.escape(exercise)}"' if exercise else ""
    return (f'<pre class="labkit-check" style="color:{colour}"{title}>'
            f"{html.escape(text(exercise, problems))}</pre>")


def bundle(exercise: str | None, problems: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The MIME bundle a notebook stores for the result: text/plain, text/html and MIME."""
    return {"text/plain": text(exercise, problems), "text/html": html_of(exercise, problems),
            MIME: data(exercise, problems)}
