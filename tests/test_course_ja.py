"""The Japanese course (lessons/ja/ into notebooks/ja/): its notebooks agree with their lessons,
each translated cell follows a current English cell (a changed or removed English cell makes the
translation stale, named by file and cell), its exercises are the English ones and judge on the
walkthrough's CentOS 7.8 machine as the English ones do on theirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import test_exercises as english_exercises

from labkit import cli
from labkit.course import build, compare, sources, translations, versions

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
JA = LESSONS / "ja"
NOTEBOOKS_JA = ROOT / "notebooks" / "ja"
NAMES = [p.stem for p in sources.lesson_paths(JA)]


def test_the_japanese_lessons_are_there_and_paired_with_english_ones() -> None:
    assert {"00-start-here", "06-change-the-ip"} <= set(NAMES)
    for name in NAMES:
        assert (LESSONS / f"{name}.md").exists(), name
    assert translations.notebooks_dir(JA, "ja") == NOTEBOOKS_JA


@pytest.mark.parametrize("name", NAMES)
def test_every_translation_is_in_step_with_its_english_lesson(name) -> None:
    assert translations.in_step([sources.read(JA / f"{name}.md")], sources.read) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_japanese_notebook_agrees_with_its_lesson(name) -> None:
    assert compare.disagreement(sources.read(JA / f"{name}.md"), NOTEBOOKS_JA / f"{name}.ipynb",
                                versions.NOTEBOOKS_VERSION) is None


@pytest.mark.parametrize("name", NAMES)
def test_the_exercises_and_hints_are_the_english_ones(name) -> None:
    """The progress record and the checks are shared: same ids, same points, each hinted."""
    def graded(path: Path) -> list[tuple]:
        nb = versions.make(sources.read(path), "learner")
        return [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"].get("points"))
                for c in nb.cells if "nbgrader" in c.metadata]

    def hinted(path: Path) -> list[str]:
        return [c.metadata["hints"] for c in sources.read(path).notebook.cells
                if "hints" in c.metadata]

    assert graded(JA / f"{name}.md") == graded(LESSONS / f"{name}.md")
    assert hinted(JA / f"{name}.md") == hinted(LESSONS / f"{name}.md")


@pytest.mark.parametrize("name", NAMES)
def test_the_japanese_lessons_run_on_the_walkthroughs_machine(name) -> None:
    first = next(c for c in sources.read(JA / f"{name}.md").notebook.cells
                 if c.cell_type == "code")
    assert 'labkit.Lab(flavour="centos7", locale="ja"' in first.source


def test_the_built_notebooks_carry_no_translation_bookkeeping() -> None:
    nb = versions.make(sources.read(JA / "06-change-the-ip.md"), "instructor")
    assert all(translations.KEY not in c.metadata for c in nb.cells)


@pytest.fixture
def copied(tmp_path) -> Path:
    """lessons/ (English 00 and 06, and their translations) in a scratch directory."""
    base = tmp_path / "lessons"
    (base / "ja").mkdir(parents=True)
    for name in NAMES:
        shutil.copy(LESSONS / f"{name}.md", base)
        shutil.copy(JA / f"{name}.md", base / "ja")
    return base


def test_a_changed_english_cell_makes_its_translation_stale(copied) -> None:
    path = copied / "06-change-the-ip.md"
    path.write_text(path.read_text().replace("192.168.1.63/24 by editing",
                                             "192.168.1.64/24 by editing"))
    english = sources.read(path)
    problems = translations.stale(sources.read(copied / "ja" / "06-change-the-ip.md"), english)
    changed = translations.cell_hash(
        sources.read(LESSONS / "06-change-the-ip.md").notebook.cells[17].source)
    assert len(problems) == 1, problems
    assert problems[0].startswith("ja/06-change-the-ip.md, cell 06-")
    assert "stale translation" in problems[0] and changed in problems[0]


def test_a_removed_english_cell_makes_its_translation_stale(copied) -> None:
    path = copied / "00-start-here.md"
    text = path.read_text()
    gone = "## Your progress"
    start = text.index(gone)
    end = text.index("```{code-cell}", start)
    path.write_text(text[:start] + text[end:])
    problems = translations.stale(sources.read(copied / "ja" / "00-start-here.md"),
                                  sources.read(path))
    assert len(problems) == 1 and "stale translation" in problems[0], problems
    assert translations.cell_hash(next(
        c.source for c in sources.read(LESSONS / "00-start-here.md").notebook.cells
        if c.source.startswith(gone))) in problems[0]


def test_a_markdown_cell_must_say_what_it_translates(copied) -> None:
    path = copied / "ja" / "00-start-here.md"
    path.write_text(path.read_text().replace('+++ {"en": "8fd96747ee7c"}\n\n', "", 1))
    problems = translations.stale(sources.read(path), sources.read(copied / "00-start-here.md"))
    assert len(problems) == 1 and "say which English cell this translates" in problems[0]


def test_an_english_change_leaves_the_cells_only_in_japanese_alone(copied) -> None:
    path = copied / "06-change-the-ip.md"
    english = sources.read(path)
    translated = sources.read(copied / "ja" / "06-change-the-ip.md")
    own = [c for c in translated.notebook.cells
           if c.metadata.get(translations.KEY) == translations.ONLY_HERE]
    assert own, "the centos7 track's own cells say en: none"
    assert translations.stale(translated, english) == []


def test_cli_check_lang_ja_names_the_stale_cell(copied, capsys) -> None:
    assert cli.main(["course", "build", "--check", "--lang", "ja"]) == 0
    assert f"{len(NAMES)} notebook(s) in" in capsys.readouterr().out
    path = copied / "00-start-here.md"
    path.write_text(path.read_text().replace("Only the **active** slave's cable",
                                             "Only the **active** slave's own cable"))
    status = cli.main(["course", "build", "--check", "--lang", "ja", "--lessons",
                       str(copied / "ja"), "--out", str(NOTEBOOKS_JA)])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert len(err) == 1 and err[0].startswith("labkit: ja/00-start-here.md, cell 00-")
    assert "stale translation" in err[0]
    # the English check passes on the English lessons, and notes the translation left behind
    assert cli.main(["course", "build", "--check", "00", "--lessons", str(copied),
                     "--out", str(ROOT / "notebooks")]) == 1  # notebooks/00 is the old text
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("labkit: note: ja/00-start-here.md, cell 00-")
    assert "00-start-here.ipynb does not agree with" in err[1]


def test_cli_hashes_lists_what_the_translations_name(capsys) -> None:
    assert cli.main(["course", "hashes", "06"]) == 0
    out = capsys.readouterr().out
    first = sources.read(LESSONS / "06-change-the-ip.md").notebook.cells[0]
    assert f"{translations.cell_hash(first.source)}  06-00  markdown" in out


@pytest.mark.parametrize("name", NAMES)
def test_untouched_learner_version_fails_every_check_and_the_solutions_pass(name, tmp_path):
    lesson = sources.read(JA / f"{name}.md")
    learner = nbformat.read(build.build(lesson, "learner", tmp_path / "learner"), as_version=4)
    english_exercises.no_errors(learner)
    checked = english_exercises.results(learner)
    assert checked, f"{name} has no check"
    for exercise, shown in checked:
        assert shown["exercise"] == exercise
        assert shown["ok"] is False and shown["problems"], (name, shown)
    solved = nbformat.read(build.build(lesson, "instructor", tmp_path / "instructor"),
                           as_version=4)
    english_exercises.no_errors(solved)
    for exercise, shown in english_exercises.results(solved):
        assert shown == {"exercise": exercise, "ok": True, "problems": []}, (name, shown)


CENTOS7_WRONG_WORK = {  # the English lessons' wrong work, where centos7's files differ
    "06-new-address": ["ip addr add 192.168.1.63/24 dev bond0",  # the device, not the file
                       "ip addr del 192.168.1.62/24 dev bond0"],
}


@pytest.mark.parametrize("name", NAMES)
def test_wrong_work_fails_the_check(name, tmp_path):
    lesson = sources.read(JA / f"{name}.md")
    nb = versions.make(lesson, "learner")
    written = {c["id"]: c.source for c in lesson.notebook.cells}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            lines = written[cell["id"]].split("\n")
            region = sources.regions(written[cell["id"]])[0]
            lines[region.begin:region.end + 1] = CENTOS7_WRONG_WORK.get(
                grade_id, english_exercises.WRONG_WORK[grade_id])
            cell.source = "\n".join(lines)
    build.execute(nb, tmp_path, name)
    english_exercises.no_errors(nb)
    checked = english_exercises.results(nb)
    assert checked and all(shown["ok"] is False for _, shown in checked), (name, checked)


def test_the_restart_does_not_apply_the_edited_ipaddr_and_reload_down_up_does() -> None:
    """The walkthrough's surprise as notebooks/ja/06 stores it: after `systemctl restart`, the
    kernel keeps .61; after reload, down and up it holds .62 only."""
    nb = nbformat.read(NOTEBOOKS_JA / "06-change-the-ip.ipynb", as_version=4)

    def text(cell: nbformat.NotebookNode) -> str:
        return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                       for o in cell.outputs)

    code = [c for c in nb.cells if c.cell_type == "code"]
    restarted = text(next(c for c in code if "systemctl restart network" in c.source.split("\n")))
    kernel = restarted.split("ip -br address show bond0")[1]
    assert "192.168.1.61/24" in kernel and "192.168.1.62" not in kernel
    shows = [text(c) for c in code if c.source.strip() == "%%lab\nip -br address show bond0"]
    assert len(shows) == 1
    assert "192.168.1.62/24" in shows[0] and "192.168.1.61" not in shows[0]


def test_lab_takes_its_machine_from_labkit_flavour_when_it_names_none(monkeypatch) -> None:
    """The switch between the courses' machines: LABKIT_FLAVOUR, unless the lesson names one."""
    from labkit import Lab
    from labkit.errors import LabkitError

    monkeypatch.delenv("LABKIT_FLAVOUR", raising=False)
    assert Lab(engine="sim").flavour.name == "nm142"
    monkeypatch.setenv("LABKIT_FLAVOUR", "centos7")
    assert Lab(engine="sim").flavour.name == "centos7"
    assert Lab(engine="sim", flavour="nm142").flavour.name == "nm142"
    monkeypatch.setenv("LABKIT_FLAVOUR", "centos8")
    with pytest.raises(LabkitError, match="LABKIT_FLAVOUR='centos8' names no flavour"):
        Lab(engine="sim")
