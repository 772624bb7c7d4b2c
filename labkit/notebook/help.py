"""The help controls of a lesson (ipywidgets): an exercise's hints revealed one at a time and its
solution behind a button, and "predict, then check" questions that hold a command's output
back until the learner has chosen an answer.

The lesson's build writes the calls (lessons/README.md shows the markup):

    labkit.notebook.help.hints("04-active", ["vague hint", "precise hint"], solution="...")
    labkit.notebook.help.predict("03-mac", "Which MAC ...?", ["a", "b"], answer=1)

and `%%predict 03-mac` as the first line of the cell whose output answers the question. Nothing
shown is ever run: the solution is text. Each use goes into the learner's progress record
(labkit.progress.note). Without a widget frontend (nbval, a plain text view) each control
shows a fixed sentence (labkit.views.help). The controls speak the language of the newest
running lab (a Japanese notebook's Lab(locale="ja")), else the environment's (labkit.i18n).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from labkit import i18n, progress
from labkit.errors import UsageValueError
from labkit.i18n import _
from labkit.views import help as view

_QUESTIONS: dict[str, Question] = {}  # this kernel's predict questions, by name


class _Shown(widgets.VBox):
    """A box whose stored text/plain is a fixed sentence, not the widgets' repr."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = text

    def text(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._text

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = self._text
        return bundle


class Hints(_Shown):
    """An exercise's hints, one per press of "Show a hint", and its solution on request."""

    def __init__(self, exercise: str, hints: Sequence[str], solution: str | None = None) -> None:
        self.language = i18n.ambient()
        with i18n.speaking(self.language):
            self._build(exercise, hints, solution)

    def _build(self, exercise: str, hints: Sequence[str], solution: str | None) -> None:
        self.exercise = exercise
        self.hints = tuple(hints)
        self.solution = solution
        self.hint_button = widgets.Button(description=_(view.HINT_BUTTON), icon="lightbulb-o",
                                          tooltip=_("one hint more, vaguest first"))
        self.left = widgets.Label(view.hints_left(len(self.hints)))
        self.shown = widgets.VBox()
        self.hint_button.on_click(self._next_hint)
        row = [self.hint_button, self.left]
        self.solution_button: widgets.Button | None = None
        self.solution_view = widgets.HTML()
        if solution is not None:
            self.solution_button = widgets.Button(description=_(view.SOLUTION_BUTTON),
                                                  icon="eye", tooltip=_("shown, not run"))
            self.solution_button.on_click(self._show_solution)
            row.append(self.solution_button)
        if not self.hints:
            self.hint_button.disabled = True
        super().__init__(view.help_text(exercise, len(self.hints), solution is not None),
                         children=[widgets.HBox(row), self.shown, self.solution_view])

    @property
    def revealed(self) -> int:
        """How many hints are shown."""
        return len(self.shown.children)

    def _next_hint(self, _button: Any = None) -> None:
        with i18n.speaking(self.language):
            self._reveal_hint()

    def _reveal_hint(self) -> None:
        number = self.revealed + 1
        if number > len(self.hints):
            return
        hint = widgets.HTML(view.hint_html(number, len(self.hints), self.hints[number - 1]))
        hint.add_class(view.HINT_CLASS)
        self.shown.children = (*self.shown.children, hint)
        left = len(self.hints) - number
        self.left.value = view.hints_left(left)
        self.hint_button.disabled = left == 0
        progress.note("hint", self.exercise, f"{number} of {len(self.hints)}")

    def _show_solution(self, _button: Any = None) -> None:
        if self.solution is None or self.solution_view.value:
            return
        with i18n.speaking(self.language):
            self.solution_view.value = view.solution_html(self.solution)
        if self.solution_button is not None:
            self.solution_button.disabled = True
        progress.note("solution", self.exercise)


class Held(_Shown):
    """Where a predicted cell's output waits until its question is answered."""

    def __init__(self, name: str, outputs: list[dict[str, Any]]) -> None:
        self.name = name
        self.outputs = outputs
        held = i18n.in_language(i18n.ambient(), view.HELD)
        self.placeholder = widgets.HTML(f"<i>{held}</i>")
        self.out = widgets.Output()
        super().__init__(held, children=[self.placeholder, self.out])

    @property
    def revealed(self) -> bool:
        return self.placeholder.layout.display == "none"

    def reveal(self) -> None:
        """Show the held output (the Output widget's outputs, as a notebook stores them)."""
        self.placeholder.layout.display = "none"
        self.out.outputs = tuple(self.outputs)


class Question(_Shown):
    """A predict question: choices, "Check my answer", and then the held output."""

    def __init__(self, name: str, question: str, choices: Sequence[str], answer: int) -> None:
        self.language = i18n.ambient()
        with i18n.speaking(self.language):
            self._build(name, question, choices, answer)

    def _build(self, name: str, question: str, choices: Sequence[str], answer: int) -> None:
        if len(choices) < 2 or not 0 <= answer < len(choices):
            raise UsageValueError(_("help.predict: {name} needs two choices or more and the "
                                    "index of the right one, not {answer} of {count}").format(
                                        name=name, answer=repr(answer), count=len(choices)))
        self.name = name
        self.choices = tuple(choices)
        self.answer = answer
        self.chosen: int | None = None  # the answer checked first (what the record keeps)
        self.held: list[Held] = []
        self.options = widgets.RadioButtons(options=[(c, i) for i, c in enumerate(choices)],
                                            value=None, layout=widgets.Layout(width="auto"))
        self.check_button = widgets.Button(description=_(view.CHECK_BUTTON), icon="check")
        self.check_button.on_click(self._check)
        self.verdict = widgets.HTML()
        super().__init__(view.question_text(question, self.choices),
                         children=[widgets.HTML(view.inline(question)), self.options,
                                   self.check_button, self.verdict])

    @property
    def answered(self) -> bool:
        return self.chosen is not None

    def _check(self, _button: Any = None) -> None:
        with i18n.speaking(self.language):
            self._judge()

    def _judge(self) -> None:
        if self.options.value is None:
            self.verdict.value = "<p>" + _("Choose an answer first.") + "</p>"
            return
        if self.answered:  # the first answer is the prediction; later ones change nothing
            return
        self.chosen = int(self.options.value)
        right = self.chosen == self.answer
        self.verdict.value = view.verdict_html(right, self.choices[self.answer])
        self.options.disabled = True
        self.check_button.disabled = True
        progress.note("predict", self.name, self.choices[self.chosen], ok=right)
        for held in self.held:
            held.reveal()

    def hold(self, held: Held) -> None:
        """Keep `held` back until this question is answered (at once if it is already)."""
        self.held.append(held)
        if self.answered:
            held.reveal()


def hints(exercise: str, hints: Sequence[str], solution: str | None = None) -> Hints:
    """The help control of `exercise`: its hints and, if given, its solution."""
    return Hints(exercise, hints, solution)


def predict(name: str, question: str, choices: Sequence[str], answer: int) -> Question:
    """A predict question; `%%predict NAME` on the next cell holds that cell's output back."""
    found = Question(name, question, choices, answer)
    _QUESTIONS[name] = found
    _register_magic()
    return found


def held_output(name: str, run: Any) -> Held:
    """Run `run()` with its output captured, and hold that output for question `name`."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        run()
    held = Held(name, outputs_of(captured))
    question = _QUESTIONS.get(name)
    if question is None:  # the question's cell was not run: nothing to wait for
        held.reveal()
    else:
        question.hold(held)
    return held


def outputs_of(captured: Any) -> list[dict[str, Any]]:
    """IPython's captured output as notebook outputs (streams, then what was displayed)."""
    out: list[dict[str, Any]] = []
    if captured.stdout:
        out.append({"output_type": "stream", "name": "stdout", "text": captured.stdout})
    if captured.stderr:
        out.append({"output_type": "stream", "name": "stderr", "text": captured.stderr})
    out += [{"output_type": "display_data", "data": o.data, "metadata": o.metadata or {}}
            for o in captured.outputs]
    return out


def _predict_magic(line: str, cell: str) -> Held:
    """%%predict NAME: run the rest of the cell, its output held for question NAME."""
    from IPython import get_ipython

    shell = get_ipython()
    name = line.strip()
    return held_output(name, lambda: shell.run_cell(cell, store_history=False))


def _register_magic() -> None:
    """Make %%predict available in the running IPython (the predict cell runs before it)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        register(shell)


def register(ipython: Any) -> None:
    """Add %%predict to `ipython` (a cell of a question not asked in this kernel shows its
    output at once)."""
    ipython.register_magic_function(_predict_magic, magic_kind="cell", magic_name="predict")
