"""The help controls' text: what a hint, a solution and a predict question look like as HTML in
the widgets, and as the plain text a notebook stores for a frontend without widgets (nbval
compares that text, so it depends on nothing but the lesson). Pure functions."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

HINT_BUTTON = "Show a hint"  # the browser test finds the buttons by these descriptions
SOLUTION_BUTTON = "Show the solution"
CHECK_BUTTON = "Check my answer"
HINT_CLASS = "labkit-hint"  # the CSS class of each revealed hint
HELD = "The lab's output shows here once you check your answer to the question above."

_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")
_EM = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")


def inline(markdown: str) -> str:
    """A hint's or question's Markdown as HTML: `code`, **strong**, *emphasis*, paragraphs;
    everything else escaped (lessons write little more, and the kernel needs no Markdown
    library)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    out = []
    for paragraph in paragraphs:
        pieces = _CODE.split(paragraph)  # odd pieces are code, left as written
        text = "".join(
            f"<code>{html.escape(piece)}</code>" if i % 2 else
            _EM.sub(r"<em>\1</em>", _STRONG.sub(r"<strong>\1</strong>", html.escape(piece)))
            for i, piece in enumerate(pieces))
        out.append(f"<p>{text}</p>")
    return "".join(out)


def hint_html(number: int, total: int, hint: str) -> str:
    return f"<b>Hint {number} of {total}.</b> {inline(hint).removeprefix('<p>')}"


def hints_left(left: int) -> str:
    """What the label beside the hint button says."""
    if left == 0:
        return "no hints left"
    return f"{left} hint{'s' if left != 1 else ''} left"


def solution_html(solution: str) -> str:
    return ("<p><b>The solution</b> (shown, not run: type or paste it into the exercise "
            f"cell)</p><pre>{html.escape(solution)}</pre>")


def help_text(exercise: str, hints: int, solution: bool) -> str:
    """The help cell's stored text: what the buttons would give, none of it given away."""
    offer = f"{hints} hint{'s' if hints != 1 else ''}"
    if solution:
        offer += " and the solution"
    return (f"Help for exercise {exercise}: {offer}, one button press at a time "
            "(the buttons need a notebook that shows widgets).")


def question_text(question: str, choices: Sequence[str]) -> str:
    """A predict question's stored text: the question and its choices, not which is right."""
    lines = [f"Predict, then check: {question.strip()}"]
    lines += [f"  ( ) {choice}" for choice in choices]
    lines.append(f"Choose one, then press {CHECK_BUTTON!r} to see what the lab says.")
    return "\n".join(lines)


def verdict_html(right: bool, answer: str) -> str:
    """What the question says once answered: right, or what the right answer was."""
    if right:
        return '<p style="color:#2e7d32"><b>Right.</b> The lab\'s output below shows it.</p>'
    return (f'<p style="color:#c62828"><b>Not what the lab does:</b> the answer is '
            f"{inline(answer).removeprefix('<p>').removesuffix('</p>')}. "
            "Read the lab's output below to see why.</p>")
