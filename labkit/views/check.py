"""A check's result shown: text for the learner, HTML for the notebook, and the machine-readable
`application/vnd.labkit.check+json` that nbgrader's autograder, the progress record and any
outside test read. Pure functions of the result's data.

The data's stable keys are `exercise` and `ok` (what graders and the teacher's view match on);
`problems` are the sentences the learner reads, in the lab's language (labkit.i18n), as the
text and HTML beside them."""

from __future__ import annotations

import html
from typing import Any

from labkit.i18n import ENGLISH, N_, in_language

MIME = "application/vnd.labkit.check+json"
WELL_DONE = N_("Well done: everything the exercise asks for is in place.")
NOT_YET = N_("Not yet:")


def data(exercise: str | None, problems: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """{"exercise": ID, "ok": bool, "problems": [sentences]}: the result as machines read it."""
    return {"exercise": exercise, "ok": not problems, "problems": list(problems)}


def text(exercise: str | None, problems: tuple[str, ...] | list[str],
         lang: str = ENGLISH) -> str:
    """What the learner reads: well done, or every problem, each with what to do next."""
    if not problems:
        return in_language(lang, WELL_DONE)
    return in_language(lang, NOT_YET) + "\n" + "\n".join(f"  - {p}" for p in problems)


def html_of(exercise: str | None, problems: tuple[str, ...] | list[str],
            lang: str = ENGLISH) -> str:
    """The text, green when done, red while something is missing."""
    colour = "#2e7d32" if not problems else "#c62828"
    title = (' title="{}"'.format(html.escape(in_language(lang, N_("exercise {exercise}"))
                                              .format(exercise=exercise)))
             if exercise else "")
    return (f'<pre class="labkit-check" style="color:{colour}"{title}>'
            f"{html.escape(text(exercise, problems, lang))}</pre>")


def bundle(exercise: str | None, problems: tuple[str, ...] | list[str],
           lang: str = ENGLISH) -> dict[str, Any]:
    """The MIME bundle a notebook stores for the result: text/plain, text/html and MIME."""
    return {"text/plain": text(exercise, problems, lang),
            "text/html": html_of(exercise, problems, lang), MIME: data(exercise, problems)}
