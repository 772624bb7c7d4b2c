"""The learner's copy of the notebooks: made once, kept across runs, the course's changes
added or announced (never written over a learner's), reset with a backup; and the `labkit
notebooks` command `./lab` calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit import workcopy
from labkit.cli import main
from labkit.workcopy import WorkcopyError

REPO = Path(__file__).resolve().parent.parent


def notebook(text: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "source": text}]}).encode()


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "checkout" / "notebooks"
    folder.mkdir(parents=True)
    for name in ("00-start-here", "01-the-machine", "02-build-the-bond"):
        (folder / f"{name}.ipynb").write_bytes(notebook(name))
    (folder / "sanitize.cfg").write_text("[regex1]\n")  # the tests' file, not a notebook
    return folder


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return tmp_path / "home" / "my-notebooks"


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}


def test_the_first_run_makes_a_copy_of_every_notebook_and_the_course_stays_as_it_was(
        course: Path, copy: Path) -> None:
    before = {p.name: p.read_bytes() for p in course.iterdir()}
    done = workcopy.sync(course, copy)
    assert files(copy) == files(course) and len(files(copy)) == 3
    assert not (copy / "sanitize.cfg").exists()
    assert done.made and done.report() == [
        f"made your copy of the course's 3 notebooks in {copy}"]
    assert {p.name: p.read_bytes() for p in course.iterdir()} == before
    assert workcopy.sync(course, copy).report() == []  # the second run has nothing to say


def test_what_the_learner_ran_and_wrote_is_kept_across_runs(course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    mine = notebook("01 with my outputs")
    (copy / "01-the-machine.ipynb").write_bytes(mine)
    (copy / "99-my-own.ipynb").write_bytes(notebook("mine"))
    for _ in range(2):
        assert workcopy.sync(course, copy).report() == []
    assert (copy / "01-the-machine.ipynb").read_bytes() == mine
    assert (copy / "99-my-own.ipynb").read_bytes() == notebook("mine")


def test_a_changed_course_adds_updates_what_the_learner_left_alone_and_announces_the_rest(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    mine = notebook("02 as I changed it")
    (copy / "02-build-the-bond.ipynb").write_bytes(mine)
    (course / "01-the-machine.ipynb").write_bytes(notebook("01, second edition"))
    (course / "02-build-the-bond.ipynb").write_bytes(notebook("02, second edition"))
    (course / "03-one-mac-for-all.ipynb").write_bytes(notebook("03"))
    done = workcopy.sync(course, copy)
    assert (done.added, done.updated, done.kept) == (
        ["03-one-mac-for-all.ipynb"], ["01-the-machine.ipynb"], ["02-build-the-bond.ipynb"])
    assert (copy / "01-the-machine.ipynb").read_bytes() == notebook("01, second edition")
    assert (copy / "02-build-the-bond.ipynb").read_bytes() == mine  # never written over
    assert (copy / "03-one-mac-for-all.ipynb").read_bytes() == notebook("03")
    assert done.report() == [
        "added from the course: 03-one-mac-for-all.ipynb",
        "updated to the course's new version (you had not changed them): 01-the-machine.ipynb",
        "the course changed 02-build-the-bond.ipynb since your copy was made; yours is kept as "
        "it is (./lab reset 02 takes the course's version, keeping yours in backups/)"]
    # said again on the next run, until the learner resets it
    assert workcopy.sync(course, copy).kept == ["02-build-the-bond.ipynb"]
    assert (copy / "02-build-the-bond.ipynb").read_bytes() == mine


def test_a_notebook_the_learner_deleted_comes_back_on_the_next_run(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    (copy / "00-start-here.ipynb").unlink()
    assert workcopy.sync(course, copy).added == ["00-start-here.ipynb"]
    assert files(copy) == files(course)


def test_reset_gives_the_course_version_back_and_keeps_the_learners_in_backups(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    mine = notebook("01 with my work")
    (copy / "01-the-machine.ipynb").write_bytes(mine)
    (done,) = workcopy.reset(course, copy, ["01"])
    assert (copy / "01-the-machine.ipynb").read_bytes() == notebook("01-the-machine")
    assert done.backup is not None and done.backup.parent == copy / "backups"
    assert done.backup.read_bytes() == mine
    assert done.report() == (f"01-the-machine.ipynb: the course's version again; yours is in "
                             f"{done.backup}")
    # a second reset in the same second keeps both backups
    (copy / "01-the-machine.ipynb").write_bytes(notebook("01, take two"))
    (again,) = workcopy.reset(course, copy, ["01-the-machine.ipynb"])
    assert again.backup != done.backup and done.backup.read_bytes() == mine
    assert again.backup is not None and again.backup.read_bytes() == notebook("01, take two")
    assert workcopy.sync(course, copy).report() == []


def test_reset_of_a_notebook_the_course_changed_takes_the_new_version(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    (copy / "02-build-the-bond.ipynb").write_bytes(notebook("my 02"))
    (course / "02-build-the-bond.ipynb").write_bytes(notebook("02, second edition"))
    assert workcopy.sync(course, copy).kept == ["02-build-the-bond.ipynb"]
    workcopy.reset(course, copy, ["02-build-the-bond"])
    assert (copy / "02-build-the-bond.ipynb").read_bytes() == notebook("02, second edition")
    assert workcopy.sync(course, copy).report() == []  # no longer announced


def test_reset_all_restores_every_notebook_and_leaves_the_learners_own_alone(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    (copy / "00-start-here.ipynb").write_bytes(notebook("changed"))
    (copy / "02-build-the-bond.ipynb").unlink()
    (copy / "99-my-own.ipynb").write_bytes(notebook("mine"))
    done = {r.name: r.before for r in workcopy.reset(course, copy, None)}
    assert done == {"00-start-here.ipynb": "changed", "01-the-machine.ipynb": "same",
                    "02-build-the-bond.ipynb": "missing"}
    assert {k: v for k, v in files(copy).items() if k != "99-my-own.ipynb"} == files(course)
    assert (copy / "99-my-own.ipynb").read_bytes() == notebook("mine")
    assert [p.read_bytes() for p in (copy / "backups").iterdir()] == [notebook("changed")]


@pytest.mark.parametrize("typed", ["3", "08", "03-one", "notebooks", ""])
def test_reset_names_only_course_notebooks(course: Path, copy: Path, typed: str) -> None:
    workcopy.sync(course, copy)
    with pytest.raises(WorkcopyError, match=r"^no course notebook .* \(there are: 00, 01, 02\)$"):
        workcopy.reset(course, copy, ["01", typed])
    assert files(copy) == files(course)  # nothing reset when one name is wrong


def test_a_copy_whose_record_is_lost_keeps_every_notebook_that_differs(
        course: Path, copy: Path) -> None:
    workcopy.sync(course, copy)
    (copy / "00-start-here.ipynb").write_bytes(notebook("mine"))
    (copy / workcopy.MANIFEST).write_text("{not json")
    (course / "01-the-machine.ipynb").write_bytes(notebook("01, second edition"))
    done = workcopy.sync(course, copy)
    assert done.kept == ["00-start-here.ipynb", "01-the-machine.ipynb"]
    assert (copy / "00-start-here.ipynb").read_bytes() == notebook("mine")
    assert (copy / "01-the-machine.ipynb").read_bytes() == notebook("01-the-machine")


def test_where_the_copy_lives(course: Path, tmp_path: Path) -> None:
    assert workcopy.location(course, {}) == course.resolve().parent / "my-notebooks"
    assert workcopy.location(course, {"LABKIT_NOTEBOOKS": str(tmp_path / "x")}) == tmp_path / "x"
    assert workcopy.location(course, {"LABKIT_NOTEBOOKS": ""}) == course.parent / "my-notebooks"


def test_unusable_places_are_one_sentence(course: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(WorkcopyError, match="a-file: exists and is not a directory"):
        workcopy.sync(course, tmp_path / "a-file")
    with pytest.raises(WorkcopyError, match="no such directory of course notebooks"):
        workcopy.sync(tmp_path / "nowhere", tmp_path / "copy")
    with pytest.raises(WorkcopyError, match="holds no notebooks"):
        workcopy.sync(tmp_path, tmp_path / "copy")


def test_the_real_course_is_copied_whole(tmp_path: Path) -> None:
    done = workcopy.sync(REPO / "notebooks", tmp_path / "copy")
    assert files(tmp_path / "copy") == files(REPO / "notebooks")
    assert done.added == sorted(files(REPO / "notebooks"))


def test_labkit_notebooks_prints_where_the_copy_is_and_says_what_it_did(
        course: Path, copy: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LABKIT_NOTEBOOKS", str(copy))
    assert main(["notebooks", "--course", str(course)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{copy}\n"  # ./lab serves what this prints
    assert err == f"labkit: made your copy of the course's 3 notebooks in {copy}\n"
    (copy / "00-start-here.ipynb").write_bytes(notebook("mine"))
    assert main(["notebooks", "--course", str(course), "reset", "00"]) == 0
    assert capsys.readouterr().out.startswith(
        "00-start-here.ipynb: the course's version again; yours is in ")


@pytest.mark.parametrize(("argv", "said"), [
    (["reset"], "labkit: reset: which notebook? (./lab reset 03, or --all)\n"),
    (["reset", "--all", "00"],
     "labkit: reset: name the notebooks (./lab reset 03 05) or give --all, not both\n"),
    (["reset", "7"], "labkit: no course notebook '7' (there are: 00, 01, 02)\n"),
])
def test_labkit_notebooks_reset_mistakes_are_one_line_and_status_2(
        course: Path, copy: Path, monkeypatch, capsys, argv: list[str], said: str) -> None:
    monkeypatch.setenv("LABKIT_NOTEBOOKS", str(copy))
    assert main(["notebooks", "--course", str(course), *argv]) == 2
    assert capsys.readouterr().err == said


def test_a_copy_that_cannot_be_made_is_one_line_and_status_2(
        course: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("LABKIT_NOTEBOOKS", str(tmp_path / "a-file" / "copy"))
    assert main(["notebooks", "--course", str(course)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"labkit: {tmp_path / 'a-file' / 'copy'}: cannot make the "
                              "directory: Not a directory\n")
