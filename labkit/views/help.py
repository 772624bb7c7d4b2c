"""The help controls' text: what a hint, a solution and a predict question look like as HTML in
the widgets, and as the plain text a notebook stores for a frontend without widgets (nbval
compares that text, so it depends on nothing but the lesson and the language spoken,
labkit.i18n's: the newest running lab's). Pure functions."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from labkit.i18n import N_, _, ngettext

# the browser test finds the buttons by these descriptions (English; `_()` of them in Japanese)
HINT_BUTTON = N_("Show a hint")
SOLUTION_BUTTON = N_("Show the solution")
CHECK_BUTTON = N_("Check my answer")
HINT_CLASS = "labkit-hint"  # the CSS class of each revealed hint
HELD = N_("The lab's output shows here once you check your answer to the question above.")

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
    label = _("Hint {number} of {total}.").format(number=number, total=total)
    return f"<b>{html.escape(label)}</b> {inline(hint).removeprefix('<p>')}"


def hints_left(left: int) -> str:
    """What the label beside the hint button says."""
    if left == 0:
        return _("no hints left")
    return ngettext("{n} hint left", "{n} hints left", left).format(n=left)


def solution_html(solution: str) -> str:
    return (_("<p><b>The solution</b> (shown, not run: type or paste it into the exercise "
              "cell)</p>") + f"<pre>{html.escape(solution)}</pre>")


def help_text(exercise: str, hints: int, solution: bool) -> str:
    """The help cell's stored text: what the buttons would give, none of it given away."""
    if solution:
        offer = ngettext("{n} hint and the solution", "{n} hints and the solution", hints)
    else:
        offer = ngettext("{n} hint", "{n} hints", hints)
    return _("Help for exercise {exercise}: {offer}, one button press at a time (the buttons "
             "need a notebook that shows widgets).").format(exercise=exercise,
                                                           offer=offer.format(n=hints))


def question_text(question: str, choices: Sequence[str]) -> str:
    """A predict question's stored text: the question and its choices, not which is right."""
    lines = [_("Predict, then check: {question}").format(question=question.strip())]
    lines += [f"  ( ) {choice}" for choice in choices]
    lines.append(_("Choose one, then press {button} to see what the lab says.").format(
        button=repr(_(CHECK_BUTTON))))
    return "\n".join(lines)


def verdict_html(right: bool, answer: str) -> str:
    """What the question says once answered: right, or what the right answer was."""
    if right:
        return ('<p style="color:#2e7d32">'
                + _("<b>Right.</b> The lab's output below shows it.") + "</p>")
    shown = inline(answer).removeprefix("<p>").removesuffix("</p>")
    return ('<p style="color:#c62828">'
            + _("<b>Not what the lab does:</b> the answer is {answer}. Read the lab's output "
                "below to see why.").format(answer=shown) + "</p>")
