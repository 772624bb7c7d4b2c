"""The help a learner controls: `labkit course build` turns a lesson's hints and predict markup
into help cells in every version; the hint button reveals one hint at a time, the solution
button the lesson's own solution; a predict question records the learner's choice and only
then shows the output it held back; the progress record keeps the help used, and reads a file
written before it did."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from labkit import progress
from labkit.course import build, sources, versions
from labkit.notebook import help as helpwidgets
from labkit.views import help as view

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
FIRST = ["00-start-here", "01-the-machine", "02-build-the-bond", "03-one-mac-for-all",
         "04-who-is-active"]


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(path))
    return path


def lesson(name: str) -> sources.Lesson:
    return sources.read(LESSONS / f"{name}.md")


def write_lesson(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "09-test.md"
    path.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
                    "  language: python\n---\n\n# t\n\n" + body)
    return path


EXERCISE = ("```{code-cell} ipython3\n:exercise: 09-a\n\n# set x\n### BEGIN SOLUTION\n"
            "x = 1\n### END SOLUTION\n```\n\n")
HINTS = '+++ {"hints": "09-a"}\n\n- Look at `x`.\n- Set it to\n  one.\n'
PREDICT = ('+++ {"predict": "09-q"}\n\nWhat does it print?\n\n- [ ] 1\n- [x] 2\n\n'
           '```{code-cell} ipython3\nprint(2)\n```\n')


def run_help_cell(source: str) -> Any:
    """What a help cell displays: its code run, the value of its last expression."""
    tree = ast.parse(source)
    last = ast.Expression(tree.body.pop().value)
    namespace: dict[str, Any] = {}
    exec(compile(tree, "help", "exec"), namespace)
    return eval(compile(last, "help", "eval"), namespace)


def help_cells(nb: nbformat.NotebookNode, call: str) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and f"help.{call}(" in c.source]


# -- the build ----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", versions.VERSIONS)
def test_every_version_turns_the_hints_into_a_hidden_help_cell(version):
    written = lesson("04-who-is-active").notebook
    markup = next(c for c in written.cells if c.metadata.get("hints") == "04-active")
    nb = versions.make(lesson("04-who-is-active"), version)
    cell = next(c for c in nb.cells if c["id"] == markup["id"])
    assert cell.cell_type == "code"
    assert cell.metadata == {"jupyter": {"source_hidden": True}}  # nbgrader-neutral
    shown = run_help_cell(cell.source)
    assert isinstance(shown, helpwidgets.Hints)
    assert list(shown.hints) == sources.hints_of(markup.source)
    assert len(shown.hints) == 2 and shown.hints[0].startswith("`ens38` is active now")
    # the lesson's, between the markers
    assert shown.solution == "ip link set bond0 type bond active_slave ens37"
    # it sits right after the check it helps with
    index = nb.cells.index(cell)
    assert nb.cells[index - 1].metadata.get("nbgrader", {}).get("grade_id") == "04-active-check" \
        or version == "solution"


@pytest.mark.parametrize("name", FIRST)
def test_every_exercise_of_00_to_04_has_two_or_three_hints(name):
    nb = versions.make(lesson(name), "learner")
    exercises = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")]
    helped = {run_help_cell(c.source).exercise: run_help_cell(c.source)
              for c in help_cells(nb, "hints")}
    assert sorted(helped) == sorted(exercises), name
    for shown in helped.values():
        assert 2 <= len(shown.hints) <= 3 and shown.solution, name


def test_the_course_asks_at_least_three_predict_questions_before_the_lab_answers():
    asked = []
    for name in FIRST:
        nb = versions.make(lesson(name), "learner")
        for cell in help_cells(nb, "predict"):
            question = run_help_cell(cell.source)
            following = nb.cells[nb.cells.index(cell) + 1]
            assert following.source.startswith(f"%%predict {question.name}\n"), name
            assert "[x]" not in cell.source and "[ ]" not in cell.source
            asked.append(question.name)
    assert len(asked) >= 3 and len({n[:2] for n in asked}) >= 3, asked


def test_no_solution_button_leaves_the_solution_out():
    nb = versions.make(lesson("01-the-machine"), "instructor", solution_button=False)
    (cell,) = help_cells(nb, "hints")
    assert "solution" not in cell.source and "192.168.1.1" not in cell.source
    shown = run_help_cell(cell.source)
    assert shown.solution is None and shown.solution_button is None
    assert "and the solution" not in shown.text()


@pytest.mark.parametrize(("body", "problem"), [
    (EXERCISE + '+++ {"hints": "09-b"}\n\n- a hint\n',
     "cell 09-02: hints for '09-b', but the lesson has no such exercise (its exercises: 09-a)"),
    (EXERCISE + '+++ {"hints": "09-a"}\n\nJust prose.\n',
     "a hints cell holds a Markdown list of hints"),
    (EXERCISE + HINTS + "\nMore prose, after the list.\n",
     "text follows the list ('More prose, after the list.'): end the help cell with a line +++"),
    (EXERCISE + HINTS + "\n" + HINTS, "the hints of 09-a are already given in cell 09-02"),
    ('+++ {"predict": "09-q"}\n\nWhat?\n\n- [ ] 1\n- [ ] 2\n\n```{code-cell} ipython3\nx\n```\n',
     "mark exactly one choice right, as - [x] choice"),
    ('+++ {"predict": "09-q"}\n\nWhat?\n\n- 1\n- [x] 2\n\n```{code-cell} ipython3\nx\n```\n',
     "a predict cell lists two choices or more, each as - [ ] choice"),
    ('+++ {"predict": "09-q"}\n\nWhat?\n\n- [ ] 1\n- [x] 2\n', "a predict cell is followed by "
     "the code cell whose output answers it"),
    ('+++ {"predict": "00-q"}\n\nWhat?\n\n- [ ] 1\n- [x] 2\n\n```{code-cell} ipython3\nx\n```\n',
     "a predict question's name must be like 09-mac"),
])
def test_wrong_help_markup_is_refused_naming_file_and_cell(tmp_path, body, problem):
    with pytest.raises(sources.LessonError) as exc:
        sources.read(write_lesson(tmp_path, body))
    assert problem in str(exc.value)
    assert "09-test.md, cell 09-" in str(exc.value)


# -- the hints ----------------------------------------------------------------------------------
def test_hints_are_revealed_one_at_a_time_then_the_solution(where):
    nb = versions.make(lesson("02-build-the-bond"), "learner")
    (cell,) = help_cells(nb, "hints")
    shown = run_help_cell(cell.source)
    assert shown.hint_button.description == "Show a hint"
    assert shown.solution_button.description == "Show the solution"
    assert shown.revealed == 0 and shown.left.value == "3 hints left"
    assert shown.solution_view.value == ""  # nothing given away before a press
    for number in (1, 2, 3):
        shown.hint_button.click()
        assert shown.revealed == number
        newest = shown.shown.children[-1]
        assert "labkit-hint" in newest._dom_classes  # what the browser test finds
        assert f"Hint {number} of 3." in newest.value
    assert shown.left.value == "no hints left" and shown.hint_button.disabled
    assert "<code>nmcli c mod ens37 connection.autoconnect no</code>" in \
        shown.shown.children[1].value
    shown.hint_button.click()  # a press too many shows nothing more
    assert shown.revealed == 3
    shown.solution_button.click()
    assert "<pre>nmcli c mod ens37 connection.autoconnect no\n" in shown.solution_view.value
    assert "systemctl restart NetworkManager</pre>" in shown.solution_view.value
    used = progress.load().help
    assert [(u.kind, u.name, u.detail) for u in used] == [
        ("hint", "02-bond", "1 of 3"), ("hint", "02-bond", "2 of 3"),
        ("hint", "02-bond", "3 of 3"), ("solution", "02-bond", "")]


def test_the_solution_shown_is_the_lessons_and_never_run():
    for name in FIRST:
        written = lesson(name).notebook
        exercise = next(c for c in written.cells if c.metadata.get("exercise"))
        nb = versions.make(lesson(name), "learner")
        shown = run_help_cell(help_cells(nb, "hints")[0].source)  # the lab is not touched
        lines = exercise.source.split("\n")
        region = sources.regions(exercise.source)[0]
        assert shown.solution == "\n".join(lines[region.begin + 1:region.end]).strip(), name


def test_without_widgets_the_help_cells_store_a_fixed_sentence():
    for name in FIRST:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in help_cells(nb, "hints"):
            shown = run_help_cell(cell.source)
            (out,) = cell.outputs
            assert out.data["text/plain"] == view.help_text(shown.exercise, len(shown.hints),
                                                            True)
            assert "application/vnd.jupyter.widget-view+json" in out.data
        for cell in help_cells(nb, "predict"):
            question = run_help_cell(cell.source)
            (out,) = cell.outputs
            assert out.data["text/plain"].startswith("Predict, then check: ")
            for choice in question.choices:
                assert f"  ( ) {choice}" in out.data["text/plain"]
            held = nb.cells[nb.cells.index(cell) + 1]
            assert [o.data["text/plain"] for o in held.outputs] == [view.HELD]


# -- predict, then check ------------------------------------------------------------------------
def test_a_prediction_is_recorded_and_only_then_the_output_shown(where):
    question = helpwidgets.predict("09-q", "What does `x` print?", ["1", "2"], answer=1)
    held = helpwidgets.held_output("09-q", lambda: print("2"))
    assert not held.revealed and held.out.outputs == ()
    question.check_button.click()  # no choice yet: nothing recorded, nothing shown
    assert "Choose an answer first" in question.verdict.value
    assert not held.revealed and progress.load().help == ()
    question.options.value = 0  # the wrong one
    question.check_button.click()
    assert held.revealed
    assert held.out.outputs == ({"output_type": "stream", "name": "stdout", "text": "2\n"},)
    assert "the answer is 2" in question.verdict.value
    (used,) = progress.load().help
    assert (used.kind, used.name, used.detail, used.ok) == ("predict", "09-q", "1", False)
    question.options.value = 1  # a second try changes neither the record nor the verdict
    question.check_button.click()
    assert len(progress.load().help) == 1 and question.chosen == 0


def test_a_cell_held_after_its_question_was_answered_shows_at_once(where):
    question = helpwidgets.predict("09-r", "Which?", ["a", "b"], answer=0)
    question.options.value = 0
    question.check_button.click()
    assert progress.load().help[0].ok is True
    held = helpwidgets.held_output("09-r", lambda: print("a"))
    assert held.revealed and held.out.outputs[0]["text"] == "a\n"


def test_predict_in_a_kernel_holds_what_the_cell_printed_and_displayed(tmp_path):
    """%%predict in a real kernel (nbclient): the cell's prints and its result are held, and
    the answer reveals them."""
    path = write_lesson(tmp_path, PREDICT.replace("print(2)", "print(2)\n6 * 7"))
    nb = versions.make(sources.read(path), "learner")
    nb.cells.append(nbformat.v4.new_code_cell(
        "q = labkit.notebook.help._QUESTIONS['09-q']\nheld = q.held[0]\n"
        "print(held.revealed)\nq.options.value = 1\nq.check_button.click()\n"
        "print(held.revealed, q.verdict.value.startswith('<p style=\"color:#2e7d32\">'))\n"
        "print(held.out.outputs)"))
    build.execute(nb, tmp_path, "09-test")
    assert nb.cells[2].outputs[0].data["text/plain"] == view.HELD
    text = nb.cells[3].outputs[0].text
    assert text.startswith("False\nTrue True\n")
    assert "{'output_type': 'stream', 'name': 'stdout', 'text': '2\\n'}" in text
    assert "'data': {'text/plain': '42'}" in text


# -- the record ---------------------------------------------------------------------------------
def test_the_record_keeps_help_beside_attempts_and_reads_an_older_file(where):
    where.write_text(json.dumps({"format": "labkit-progress", "version": 1, "attempts": [
        {"exercise": "00-unplug", "ok": False, "time": "2026-12-03T11:50:02Z", "problems": 2}]}))
    assert progress.load().help == ()  # a file from before the help: no help used
    progress.note("hint", "00-unplug", "1 of 3")
    progress.record({"exercise": "00-unplug", "ok": True, "problems": []})
    data = json.loads(where.read_text())
    assert [a["ok"] for a in data["attempts"]] == [False, True]  # what version 1 reads
    assert [(h["kind"], h["name"], h["detail"]) for h in data["help"]] == [
        ("hint", "00-unplug", "1 of 3")]
    assert data["version"] == 1
    loaded = progress.load()
    assert len(loaded.attempts) == 2 and loaded.notice is None and len(loaded.help) == 1


def test_noting_help_never_raises(where, capsys):
    assert progress.note("peek", "00-unplug") is None
    assert "no help of the kind 'peek'" in capsys.readouterr().err
    assert not where.exists()


def test_the_cli_builds_and_checks_without_the_solution_button(capsys):
    from labkit import cli

    # notebooks/ carries the button: checked as built without it, 01's help cell differs
    assert cli.main(["course", "build", "--check", "01"]) == 0
    capsys.readouterr()
    assert cli.main(["course", "build", "--check", "--no-solution-button", "01"]) == 1
    assert "cell 01-11's source differs" in capsys.readouterr().err


def test_a_held_cell_whose_question_was_never_asked_shows_its_output(where):
    """A learner who skipped the question's cell (or restarted the kernel) still sees the
    lab's output: nothing waits for an answer that cannot come."""
    held = helpwidgets.held_output("09-never-asked", lambda: print("out"))
    assert held.revealed and held.out.outputs[0]["text"] == "out\n"
    assert progress.load().help == ()
