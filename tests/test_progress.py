"""The learner's progress record: where it lives, that concurrent writers lose nothing and a
reader never sees half a file, that a torn or foreign file is kept aside and never raises, that
LABKIT_PROGRESS=off writes nothing, and the course's progress as the table shows it."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit import Lab, checks, progress
from labkit.views import progress as view

REPO = Path(__file__).resolve().parents[1]
COURSE = [view.Notebook("00-start-here", "Start here", ("00-unplug",)),
          view.Notebook("02-build-the-bond", "Build the bond", ("02-bond", "02-extra"))]


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "share" / "labkit" / "progress.json"
    monkeypatch.setenv(progress.ENV, str(path))
    return path


def test_location_follows_the_environment(tmp_path: Path) -> None:
    home = Path.home()
    assert progress.location({}) == home / ".local/share/labkit/progress.json"
    assert progress.location({"XDG_DATA_HOME": str(tmp_path)}) == (
        tmp_path / "labkit/progress.json")
    # the XDG spec: a relative XDG_DATA_HOME is ignored
    assert progress.location({"XDG_DATA_HOME": "rel"}) == home / ".local/share/labkit/progress.json"
    assert progress.location({"LABKIT_PROGRESS": str(tmp_path / "p.json"),
                              "XDG_DATA_HOME": "/x"}) == tmp_path / "p.json"
    assert progress.location({"LABKIT_PROGRESS": "off"}) is None
    assert progress.location({"LABKIT_PROGRESS": "OFF"}) is None


def test_the_suite_never_records_in_a_home() -> None:
    assert os.environ[progress.ENV] == "off"  # conftest's pytest_configure


def test_a_check_report_is_recorded_with_its_time_and_problem_count(lab: Lab, where: Path) -> None:
    failed = checks.check(lab, checks.slaves("bond0", "ens37"), exercise="02-bond")
    assert not failed.ok  # check() recorded it once; record() adds it again
    got = progress.record(failed)
    assert got is not None and got.exercise == "02-bond" and got.ok is False
    assert got.problems == len(failed.problems) >= 1
    assert got.time.endswith("Z") and got.time[:4].isdigit()
    # the MIME bundle's dict works as well as the report
    progress.record(failed.data())
    saved = json.loads(where.read_text())
    assert saved["format"] == "labkit-progress" and saved["version"] == 1
    assert [(a["exercise"], a["ok"], a["problems"]) for a in saved["attempts"]] == [
        ("02-bond", False, got.problems)] * 3
    # the check's sentences are kept (the teacher's view shows them), as said
    assert [a["said"] for a in saved["attempts"]] == [list(failed.problems)] * 3
    third = saved["attempts"][2]
    assert progress.load().attempts[1:] == (got, progress.Attempt(
        **{**third, "said": tuple(third["said"])}))
    # a record written before sentences were kept reads as before, with none
    for attempt in saved["attempts"]:
        del attempt["said"]
    where.write_text(json.dumps(saved))
    assert {a.said for a in progress.load().attempts} == {()}
    assert progress.load().attempts[0].problems == got.problems
    assert sorted(p.name for p in where.parent.iterdir()) == ["progress.json"]  # no temp left


def test_a_result_without_an_exercise_is_not_recorded(where: Path) -> None:
    assert progress.record({"exercise": None, "ok": True, "problems": []}) is None
    assert progress.record(object()) is None
    assert not where.exists()


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress.record({"exercise": "00-unplug", "ok": True, "problems": []}) is None
    assert list(tmp_path.iterdir()) == []
    assert progress.load() == progress.Progress(None)
    assert "LABKIT_PROGRESS=off" in progress.report().text()


def _writer(path: str, who: int, count: int) -> None:
    for i in range(count):
        progress.record({"exercise": f"w{who}-{i}", "ok": i % 2 == 0, "problems": [] if i % 2
                         == 0 else ["x"]}, path=Path(path))


def _reader(path: str, stop: multiprocessing.synchronize.Event, seen: multiprocessing.Queue
            ) -> None:
    torn = 0
    reads = 0
    while not stop.is_set():
        got = progress.load(Path(path))
        reads += 1
        torn += got.notice is not None
    seen.put((reads, torn))


def test_concurrent_writers_lose_nothing_and_readers_never_see_half_a_file(
        tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("fork")
    stop, seen = ctx.Event(), ctx.Queue()
    reader = ctx.Process(target=_reader, args=(str(path), stop, seen))
    reader.start()
    writers = [ctx.Process(target=_writer, args=(str(path), w, 40)) for w in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    stop.set()
    reads, torn = seen.get(timeout=60)
    reader.join(60)
    got = progress.load(path)
    assert got.notice is None
    assert sorted(a.exercise for a in got.attempts) == sorted(
        f"w{w}-{i}" for w in range(4) for i in range(40))
    # each writer's own attempts stay in the order it made them
    for w in range(4):
        assert [a.exercise for a in got.attempts if a.exercise.startswith(f"w{w}-")] == [
            f"w{w}-{i}" for i in range(40)]
    assert reads > 0 and torn == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]


@pytest.mark.parametrize("content, reason", [
    (b'{"format": "labkit-progress", "version": 1, "attempts": [{"exercise": "00-un',
     "not JSON"),
    (b"", "it is empty"),
    (b"\xff\xfe garbage", "not JSON"),
    (b'{"theme": "dark"}', "not labkit's"),
    (b'[1, 2, 3]', "not labkit's"),
    (b'{"format": "labkit-progress", "version": 7, "attempts": []}', "version 7"),
    (b'{"format": "labkit-progress", "version": 1, "attempts": [{"exercise": 3}]}',
     "attempt 1"),
])
def test_a_torn_or_foreign_file_is_kept_aside_never_raises(
        where: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str) -> None:
    where.parent.mkdir(parents=True)
    where.write_bytes(content)
    loaded = progress.load()
    assert loaded.attempts == () and loaded.notice is not None and reason in loaded.notice
    assert where.read_bytes() == content  # reading leaves it as it is
    assert "left as it is" in progress.report().text()

    got = progress.record({"exercise": "00-unplug", "ok": True, "problems": []})
    assert got is not None
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and reason in err  # one sentence
    aside = [p for p in where.parent.iterdir() if p.name.startswith("progress.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content and str(aside[0]) in err
    assert progress.load().attempts == (got,)
    # a second bad file in the same second gets a name of its own
    where.write_bytes(content)
    progress.record({"exercise": "00-unplug", "ok": True, "problems": []})
    assert len([p for p in where.parent.iterdir() if ".damaged-" in p.name]) == 2


def test_a_directory_where_the_file_should_be_is_kept_aside(
        where: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (where / "mine").mkdir(parents=True)
    assert "cannot read it: Is a directory" in (progress.load().notice or "")
    assert progress.record({"exercise": "00-unplug", "ok": False, "problems": ["x"]})
    assert "Is a directory" in capsys.readouterr().err
    aside = next(where.parent.glob("progress.json.damaged-*"))
    assert (aside / "mine").is_dir() and len(progress.load().attempts) == 1


def test_recording_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    monkeypatch.setenv(progress.ENV, str(blocker / "labkit" / "progress.json"))
    assert progress.record({"exercise": "00-unplug", "ok": True, "problems": []}) is None
    err = capsys.readouterr().err
    assert err.startswith("labkit: the check's result was not recorded: ") and err.count("\n") == 1
    assert blocker.read_text() == "a file where the directory should be"


def test_the_view_counts_attempts_and_the_first_done_time() -> None:
    attempts = [progress.Attempt("02-bond", False, "2026-12-03T10:00:00Z", 2),
                progress.Attempt("02-bond", True, "2026-12-03T10:05:09Z", 0),
                progress.Attempt("02-bond", False, "2026-12-03T10:09:00Z", 1),
                progress.Attempt("00-unplug", False, "2026-12-03T09:00:00Z", 1),
                progress.Attempt("99-elsewhere", True, "2026-12-03T09:00:00Z", 0)]
    assert view.rows(COURSE, attempts) == [
        view.Row("00-start-here", "00-unplug", False, None, 1, 1),
        view.Row("02-build-the-bond", "02-bond", True, "2026-12-03T10:05:09Z", 3, 1),
        view.Row("02-build-the-bond", "02-extra", False, None, 0, None)]
    assert view.text(COURSE, attempts, "recorded in /p.json").splitlines() == [
        "Course progress: 1 of 3 exercises done (recorded in /p.json)",
        "notebook           exercise   done  first done            attempts  last check",
        "00-start-here      00-unplug  no                          1         1 problem",
        "02-build-the-bond  02-bond    yes   2026-12-03 10:05 UTC  3         1 problem",
        "02-build-the-bond  02-extra   no                          0         not tried"]
    page = view.html_of(COURSE, attempts)
    assert "1 of 3 exercises done" in page
    assert "00-start-here: Start here" in page and "02-build-the-bond: Build the bond" in page
    assert "<td>02-bond</td><td>yes</td><td>2026-12-03 10:05 UTC</td><td>3</td>" in page
    assert view.text([], []).endswith("(the course has no exercises)")


def test_the_course_is_read_from_the_built_notebooks() -> None:
    course = progress.course()
    assert [nb.name for nb in course] == sorted(p.stem for p in
                                                (REPO / "notebooks").glob("0*.ipynb"))
    every = [e for nb in course for e in nb.exercises]
    assert "00-unplug" in every and "01-route" in every and len(every) == len(set(every))
    # each exercise is a lesson's `:exercise:` markup
    lessons = "".join(p.read_text() for p in (REPO / "lessons").glob("0*.md"))
    assert all(f":exercise: {e}\n" in lessons for e in every)
    assert course[0].title.startswith("00")


def test_labkit_progress_prints_the_table(where: Path) -> None:
    progress.record({"exercise": "01-route", "ok": True, "problems": []})
    env = {**os.environ, progress.ENV: str(where)}
    done = subprocess.run([sys.executable, "-m", "labkit", "progress"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Course progress: 1 of ") and str(where) in lines[0]
    route = next(line for line in lines if " 01-route " in line)
    assert route.split()[:4] == ["01-the-machine", "01-route", "yes", progress.load()
                                 .attempts[0].time[:10]]
    bad = subprocess.run([sys.executable, "-m", "labkit", "progress", "--course", "/no/such"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr == (
        "labkit: /no/such: no such directory of course notebooks\n")


def test_the_record_in_the_home_is_shown_from_the_home(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(progress.ENV)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    progress.record({"exercise": "00-unplug", "ok": True, "problems": []})
    assert (tmp_path / ".local/share/labkit/progress.json").is_file()
    first = progress.report().text().splitlines()[0]
    assert first.endswith("(recorded in ~/.local/share/labkit/progress.json)")
    assert first.startswith("Course progress: 1 of ")


def test_the_table_shows_the_help_used_once_some_was() -> None:
    attempts = [progress.Attempt("02-bond", True, "2026-12-03T10:05:09Z", 0)]
    used = [progress.HelpUsed("hint", "02-bond", "2026-12-03T10:01:00Z", "1 of 3"),
            progress.HelpUsed("hint", "02-bond", "2026-12-03T10:02:00Z", "2 of 3"),
            progress.HelpUsed("hint", "02-bond", "2026-12-03T10:03:00Z", "1 of 3"),  # again
            progress.HelpUsed("solution", "02-bond", "2026-12-03T10:04:00Z"),
            progress.HelpUsed("predict", "02-inactive", "2026-12-03T10:00:00Z", "a", False),
            progress.HelpUsed("predict", "02-inactive", "2026-12-03T10:00:09Z", "b", True),
            progress.HelpUsed("predict", "03-third-mac", "2026-12-03T10:00:30Z", "b", True)]
    lines = view.text(COURSE, attempts, used=used).splitlines()
    assert lines[1].endswith("last check  help used")
    assert lines[3].endswith("ok          2 hints, solution")
    assert lines[2].endswith("not tried") and lines[4].endswith("not tried")
    assert lines[-1] == "Predictions: 2 made, 1 right"  # a question's first answer counts
    page = view.html_of(COURSE, attempts, used=used)
    assert "<th>help used</th>" in page and "<td>2 hints, solution</td>" in page
    assert "<p>Predictions: 2 made, 1 right</p>" in page
    assert "help used" not in view.text(COURSE, attempts)  # no column until help is used
