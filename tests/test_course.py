"""The course built from its lessons (labkit/course/): committed notebooks agree with lessons/,
the learner version keeps no solution, the instructor version is what nbgrader takes, and
`labkit course build --check` says which notebook disagrees."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labkit import cli
from labkit.course import build, compare, sources, versions
from labkit.errors import LabkitError

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
NAMES = [p.stem for p in sources.lesson_paths(LESSONS)]

# nbgrader's cell metadata schema, version 3 (nbgrader/nbgraderformat/v3.json), restated so the
# metadata is held to it where nbgrader is not installed
NBGRADER_V3 = {
    "type": "object",
    "properties": {
        "schema_version": {"type": "integer", "minimum": 3, "maximum": 3},
        "grade": {"type": "boolean"}, "locked": {"type": "boolean"},
        "solution": {"type": "boolean"}, "task": {"type": "boolean"},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_\\-]*$"},
        "points": {"type": "number", "minimum": 0},
        "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
        "cell_type": {"type": "string", "enum": ["raw", "code", "markdown"]},
    },
    "required": ["schema_version", "grade", "locked", "solution"],
    "additionalProperties": False,
}


def lesson(name: str, directory: Path = LESSONS) -> sources.Lesson:
    return sources.read(directory / f"{name}.md")


def exercise_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.metadata.get("exercise")]


def test_the_course_has_eight_lessons_each_with_a_check():
    assert NAMES == ["00-start-here", "01-the-machine", "02-build-the-bond",
                     "03-one-mac-for-all", "04-who-is-active", "05-pull-the-cable",
                     "06-change-the-ip", "07-beyond-active-backup"]
    for name in NAMES:
        nb = lesson(name).notebook
        assert any("check" in c.metadata for c in nb.cells), name
        assert len(exercise_cells(nb)) >= 1, name
    assert versions.NOTEBOOKS_VERSION == "learner"  # notebooks/: what ./lab, Binder, nbval use


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_agrees_with_its_lesson(name):
    found = compare.disagreement(lesson(name), NOTEBOOKS / f"{name}.ipynb",
                                 versions.NOTEBOOKS_VERSION)
    assert found is None, found


def test_no_committed_notebook_lacks_a_lesson():
    assert compare.strays(NOTEBOOKS, [lesson(n) for n in NAMES]) == []


@pytest.fixture
def lessons_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "lessons"
    shutil.copytree(LESSONS, copy)
    return copy


def test_an_edited_lesson_disagrees_naming_notebook_and_cell(lessons_copy):
    path = lessons_copy / "03-one-mac-for-all.md"
    path.write_text(path.read_text().replace("type bond-slave ifname ens39",
                                             "type bond-slave ifname ens40"))
    found = compare.disagreement(lesson("03-one-mac-for-all", lessons_copy),
                                 NOTEBOOKS / "03-one-mac-for-all.ipynb", "learner")
    assert found is not None
    assert "notebooks/03-one-mac-for-all.ipynb does not agree with" in found
    assert "cell 03-18's source differs" in found
    assert "labkit course build 03" in found


def test_an_edited_instruction_or_markdown_cell_disagrees(lessons_copy):
    path = lessons_copy / "01-the-machine.md"
    text = path.read_text()
    path.write_text(text.replace("Remember\nthem", "Note\nthem"))
    found = compare.disagreement(lesson("01-the-machine", lessons_copy),
                                 NOTEBOOKS / "01-the-machine.ipynb", "learner")
    assert found is not None and "cell 01-06's source differs" in found
    path.write_text(text.replace("then set the two variables", "then set both variables"))
    found = compare.disagreement(lesson("01-the-machine", lessons_copy),
                                 NOTEBOOKS / "01-the-machine.ipynb", "learner")
    assert found is not None and "cell 01-09's source differs" in found
    # the solution's only place in the learner's notebook is its solution button: changing it
    # changes the help cell, and nothing when the build leaves the button out
    path.write_text(text.replace('gateway = "192.168.1.1"\n###', 'gateway = "192.168.1.1" \n###'))
    found = compare.disagreement(lesson("01-the-machine", lessons_copy),
                                 NOTEBOOKS / "01-the-machine.ipynb", "learner")
    assert found is not None and "cell 01-11's source differs" in found  # the help cell
    without = versions.make(lesson("01-the-machine", lessons_copy), "learner",
                            solution_button=False)
    assert without.cells[:11] == versions.make(lesson("01-the-machine"), "learner",
                                               solution_button=False).cells[:11]


def test_an_added_cell_or_edited_notebook_disagrees(lessons_copy, tmp_path):
    path = lessons_copy / "04-who-is-active.md"
    path.write_text(path.read_text() + "\n```{code-cell} ipython3\nlab.sleep(1)\n```\n")
    found = compare.disagreement(lesson("04-who-is-active", lessons_copy),
                                 NOTEBOOKS / "04-who-is-active.ipynb", "learner")
    assert found is not None and "the lesson has 21 cells, the notebook 20" in found
    nb = nbformat.read(NOTEBOOKS / "02-build-the-bond.ipynb", as_version=4)
    nb.cells[5].source += "\nnmcli c"
    edited = tmp_path / "02-build-the-bond.ipynb"
    nbformat.write(nb, edited)
    found = compare.disagreement(lesson("02-build-the-bond"), edited, "learner")
    assert found is not None and "cell 02-05's source differs" in found
    nb.cells[5].source = nb.cells[5].source.removesuffix("\nnmcli c")
    nb.cells[5].metadata["tags"] = ["hide-input"]
    nbformat.write(nb, edited)
    found = compare.disagreement(lesson("02-build-the-bond"), edited, "learner")
    assert found is not None and "cell 02-05's metadata differs" in found


def test_a_notebook_of_another_kernel_disagrees_but_a_lesson_saved_by_jupyterlab_does_not(
        lessons_copy, tmp_path):
    nb = nbformat.read(NOTEBOOKS / "04-who-is-active.ipynb", as_version=4)
    nb.metadata["kernelspec"] = {"name": "python2", "display_name": "Python 2",
                                 "language": "python"}
    edited = tmp_path / "04-who-is-active.ipynb"
    nbformat.write(nb, edited)
    found = compare.disagreement(lesson("04-who-is-active"), edited, "learner")
    assert found is not None and "its kernelspec differs" in found
    path = lessons_copy / "04-who-is-active.md"  # JupyterLab's save names its kernel so
    path.write_text(path.read_text().replace("display_name: Python 3",
                                             "display_name: Python 3 (ipykernel)"))
    assert compare.disagreement(lesson("04-who-is-active", lessons_copy),
                                NOTEBOOKS / "04-who-is-active.ipynb", "learner") is None


def test_cli_check_exits_0_on_the_checkout_and_1_naming_the_notebook(lessons_copy, capsys):
    assert cli.main(["course", "build", "--check"]) == 0
    assert "8 notebook(s) in" in capsys.readouterr().out
    path = lessons_copy / "06-change-the-ip.md"
    path.write_text(path.read_text().replace("192.168.1.63/24 by editing",
                                             "192.168.1.64/24 by editing"))
    status = cli.main(["course", "build", "--check", "--lessons", str(lessons_copy),
                       "--out", str(NOTEBOOKS)])
    err = capsys.readouterr().err
    assert status == 1
    notes = [line for line in err.splitlines() if line.startswith("labkit: note: ")]
    problems = [line for line in err.splitlines() if line not in notes]
    assert len(problems) == 1 and "06-change-the-ip.ipynb does not agree with" in err
    # the Japanese translation of the edited cell is named stale, as a note (not a failure)
    assert [n for n in notes if "ja/06-change-the-ip.md" in n and "stale translation" in n]
    assert "cell 06-17's source differs" in err


def test_cli_check_names_a_missing_and_a_stray_notebook(tmp_path, capsys):
    out = tmp_path / "nb"
    out.mkdir()
    for name in NAMES[1:]:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", out)
    shutil.copy(NOTEBOOKS / "01-the-machine.ipynb", out / "08-extra.ipynb")
    assert cli.main(["course", "build", "--check", "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("labkit: ") and "00-start-here.ipynb is missing" in err[0]
    assert "08-extra.ipynb has no lesson" in err[1]


def test_cli_says_what_is_wrong_without_a_traceback(tmp_path, capsys):
    assert cli.main(["course", "build", "--check", "99"]) == 2
    assert "no lesson's name starts with '99' (lessons: 00-start-here," in capsys.readouterr().err
    assert cli.main(["course", "build", "--lessons", str(tmp_path / "none"), "--check"]) == 2
    assert "no lessons directory at" in capsys.readouterr().err
    assert cli.main(["course"]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["course", "build", "--version", "teacher", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "invalid choice: 'teacher'" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_learner_version_keeps_no_solution_and_says_what_to_do(name):
    written = lesson(name).notebook
    learner = versions.make(lesson(name), "learner")
    text = "\n".join(c.source for c in learner.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    held = None  # the predict question whose output the next code cell holds back
    for mine, theirs in zip(written.cells, learner.cells, strict=True):
        if set(mine.metadata) & set(sources.HELP):  # a help cell, made by the build
            assert theirs.cell_type == "code" and "labkit.notebook.help." in theirs.source
            held = mine.metadata.get("predict")
            continue
        if held and mine.cell_type == "code":
            assert theirs.source == f"%%predict {held}\n{mine.source}"
            held = None
            continue
        if not mine.metadata.get("exercise"):
            assert theirs.source == mine.source  # only exercise cells change
            continue
        for region in sources.regions(mine.source):
            lines = mine.source.split("\n")
            instruction = lines[region.instruction:region.begin]
            solution = [x.strip() for x in lines[region.begin + 1:region.end] if x.strip()]
            assert instruction and all(x.lstrip().startswith("#") for x in instruction)
            assert "\n".join(instruction) in theirs.source  # the comment saying what to do
            for line in solution:  # and nothing of the answer, not even inside the comment
                assert line not in theirs.source, (name, line)
        assert "raise" not in theirs.source  # Run All goes on to the check


def test_learner_exercise_cells_are_the_instruction_and_an_empty_line():
    learner = versions.make(lesson("01-the-machine"), "learner")
    assert learner.cells[9].source == (
        'address = ""   # ens33\'s IPv4 address with its prefix length, as ip shows it\n'
        'gateway = ""   # the address of the default gateway\n'
        "# Find both with ip (a line `%lab COMMAND` runs a command on the server from this cell),"
        "\n# then set the two variables above to what you found, on the lines below.\n")
    learner = versions.make(lesson("00-start-here"), "learner")
    assert learner.cells[12].source.endswith("notice.\n\nlab.sleep(1)")


def test_a_check_cell_must_name_its_exercise(tmp_path):
    path = write_lesson(tmp_path, "```{code-cell} ipython3\n:check: 09-a\n"
                                  "checks.check(lab, checks.bond('bond0'))\n```\n")
    with pytest.raises(sources.LessonError) as exc:
        sources.read(path)
    assert ('09-test.md, cell 09-01: the check must name its exercise, checks.check(lab, ..., '
            'exercise="09-a")') in str(exc.value)


def test_solution_and_learner_sources_of_an_indented_region():
    source = ("%%lab\nfor x in a b; do\n    # enslave each NIC\n    ### BEGIN SOLUTION\n"
              "    ip link set $x master bond0\n    ### END SOLUTION\ndone")
    assert versions.learner_source(source) == ("%%lab\nfor x in a b; do\n    # enslave each NIC"
                                               "\n    \ndone")
    assert versions.solution_source(source) == ("%%lab\nfor x in a b; do\n"
                                                "    ip link set $x master bond0\ndone")


@pytest.mark.parametrize("name", NAMES)
def test_instructor_version_is_the_lesson_with_nbgrader_metadata(name):
    import jsonschema

    written = lesson(name).notebook
    instructor = versions.make(lesson(name), "instructor")
    grade_ids = []
    for mine, theirs in zip(written.cells, instructor.cells, strict=True):
        assert theirs["id"] == mine["id"]
        if set(mine.metadata) & set(sources.HELP) or theirs.source.startswith("%%predict "):
            assert "nbgrader" not in theirs.metadata  # help cells are nbgrader-neutral
            continue
        assert theirs.source == mine.source
        meta = theirs.metadata.get("nbgrader")
        assert not set(theirs.metadata) & {"exercise", "check", "points"}
        if "exercise" in mine.metadata:
            assert meta == {"grade": False, "grade_id": mine.metadata["exercise"],
                            "locked": False, "schema_version": 3, "solution": True}
            assert "### BEGIN SOLUTION" in theirs.source
        elif "check" in mine.metadata:
            assert meta == {"grade": True, "grade_id": mine.metadata["check"] + "-check",
                            "locked": True, "points": 1, "schema_version": 3,
                            "solution": False}
        else:
            assert meta is None
            continue
        jsonschema.validate(meta, NBGRADER_V3)
        grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids))  # nbgrader refuses a duplicate grade id


def test_solution_version_carries_no_markup():
    for name in NAMES:
        nb = versions.make(lesson(name), "solution")
        assert all(not c.metadata or c.metadata == versions.HIDDEN for c in nb.cells), name
        assert "SOLUTION" not in "\n".join(c.source for c in nb.cells), name


def test_nbgrader_generate_assignment_takes_the_instructor_version(tmp_path):
    """nbgrader's own validator and generate_assignment on the eight instructor notebooks: the
    release version it makes (with `code_stub = {"python": ""}`) is the learner version."""
    pytest.importorskip("nbgrader")
    from nbgrader.nbgraderformat import MetadataValidator

    course = tmp_path / "course"
    source = course / "source" / "bonding"
    source.mkdir(parents=True)
    for name in NAMES:
        nb = versions.make(lesson(name), "instructor")
        MetadataValidator().validate_nb(nb)
        nbformat.write(nb, source / f"{name}.ipynb")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        'c.ClearSolutions.code_stub = {"python": ""}\n')
    started = time.monotonic()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # alembic
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "bonding",
                           "--create"], cwd=course, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": path})
    print(f"nbgrader generate_assignment: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        released = nbformat.read(course / "release" / "bonding" / f"{name}.ipynb", as_version=4)
        learner = versions.make(lesson(name), "learner")
        assert [c.source for c in released.cells] == [c.source for c in learner.cells], name
        graded = [c.metadata["nbgrader"]["grade_id"] for c in released.cells
                  if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded == [c.metadata["nbgrader"]["grade_id"] for c in learner.cells
                          if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("name", NAMES)
def test_every_code_cell_is_python_once_ipython_reads_its_magics(name):
    from IPython.core.inputtransformer2 import TransformerManager

    for cell in lesson(name).notebook.cells:
        if cell.cell_type == "code":
            compile(TransformerManager().transform_cell(cell.source), cell["id"], "exec")


def write_lesson(tmp_path: Path, body: str, name: str = "09-test") -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
                    "  language: python\n---\n\n# t\n\n" + body)
    return path


@pytest.mark.parametrize(("body", "problem"), [
    ("```{code-cell} ipython3\n:exercise: 09-a\n# do it\n### BEGIN SOLUTION\nx = 1\n```\n",
     "09-test.md, cell 09-01: line 2: ### BEGIN SOLUTION is never closed by ### END SOLUTION"),
    ("```{code-cell} ipython3\n:exercise: 09-a\nx = 1\n```\n",
     "09-test.md, cell 09-01: an :exercise: cell needs its solution between"),
    ("```{code-cell} ipython3\n# do it\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n```\n",
     "09-test.md, cell 09-01: a cell with a solution region needs :exercise: 09-NAME"),
    ("```{code-cell} ipython3\n:exercise: 09-a\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n```"
     "\n", "the solution region at line 1 needs a comment right above it saying what to do"),
    ("```{code-cell} ipython3\n:exercise: 00-a\n# do\n### BEGIN SOLUTION\n### END SOLUTION\n```"
     "\n", ":exercise: must be a name like 09-unplug"),
    ("```{code-cell} ipython3\n:check: 09-a\n:points: many\nx\n```\n",
     ":points: must be a number of points (0 or more), not 'many'"),
    ("```{code-cell} ipython3\n:check: 09-a\nx\n```\n\n```{code-cell} ipython3\n:check: 09-a\n"
     "y\n```\n", "09-test.md, cell 09-02: :check: 09-a is already used by cell 09-01"),
    ("### BEGIN SOLUTION\nprose\n### END SOLUTION\n",
     "solution markers belong in code cells"),
])
def test_a_lesson_with_wrong_markup_is_refused_naming_file_and_cell(tmp_path, body, problem):
    with pytest.raises(sources.LessonError) as exc:
        sources.read(write_lesson(tmp_path, body))
    assert problem in str(exc.value)


def test_cli_reports_wrong_markup_in_one_line_per_problem(tmp_path, capsys):
    write_lesson(tmp_path, "```{code-cell} ipython3\n:exercise: 09-a\nx = 1\n```\n\n"
                 "```{code-cell} ipython3\n:check: 09-a\n:points: -1\n"
                 'checks.check(lab, exercise="09-a")\n```\n')
    assert cli.main(["course", "build", "--lessons", str(tmp_path), "--check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("09-test.md, cell ") == 2


# --- running a version (nbclient on the sim: a few seconds for notebook 01) ---

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # nbval skips it: its model ids are random


def sanitizer() -> list[tuple[re.Pattern, str]]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(NOTEBOOKS / "sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Each code cell's outputs, masked as nbval masks them; NBVAL_IGNORE_OUTPUT cells left out."""
    masks = sanitizer()
    shown = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.startswith("# NBVAL_IGNORE_OUTPUT"):
            continue
        text = repr([(o.get("output_type"), o.get("name"), o.get("text"),
                      {k: v for k, v in o.get("data", {}).items() if k != WIDGET_VIEW})
                     for o in cell.outputs])
        for pattern, replace in masks:
            text = pattern.sub(replace, text)
        shown[cell["id"]] = text
    return shown


def test_learner_build_reproduces_the_committed_outputs(tmp_path):
    path = build.build(lesson("01-the-machine"), "learner", tmp_path)
    built = nbformat.read(path, as_version=4)
    committed = nbformat.read(NOTEBOOKS / "01-the-machine.ipynb", as_version=4)
    assert outputs(built) == outputs(committed)
    assert built.cells[9].metadata["nbgrader"]["grade_id"] == "01-route"
    assert built.cells[9].source.startswith('address = ""')
    assert all(o.output_type != "error" for c in built.cells if c.cell_type == "code"
               for o in c.outputs)
    assert not list(tmp_path.glob(".*partial"))


def test_a_failing_cell_writes_nothing_and_says_which_lesson(tmp_path):
    write_lesson(tmp_path, "```{code-cell} ipython3\n1 / 0\n```\n")
    out = tmp_path / "out"
    with pytest.raises(LabkitError) as exc:
        build.build(sources.read(tmp_path / "09-test.md"), "solution", out)
    assert str(exc.value).startswith("09-test (solution): a cell failed, so nothing was written")
    assert "ZeroDivisionError" in str(exc.value)
    assert list(out.iterdir()) == []


def test_a_build_runs_on_the_sim_whatever_engine_the_caller_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_ENGINE", "netns")
    write_lesson(tmp_path, "```{code-cell} ipython3\nimport os\nprint(os.environ['LABKIT_ENGINE'])"
                 "\n```\n")
    path = build.build(sources.read(tmp_path / "09-test.md"), "solution", tmp_path / "out")
    assert nbformat.read(path, as_version=4).cells[1].outputs[0].text == "sim\n"
