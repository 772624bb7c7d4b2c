"""nbgrader's round trip on a course directory from `labkit grading init`: generate the
assignment from notebook 02's instructor version, release it, two students fetch it, fill the
exercise cell as a student would (alice right, bob leaving ens37's autoconnect on) and submit,
the teacher collects and autogrades: alice gets the check's point, bob none, and bob's feedback
says what labkit's check said is wrong.

Every step is nbgrader's own command line, run in the course directory as its documentation
says. The students submit through nbgrader's exchange as a hub's container users do: every one
is the OS user `jovyan`, told apart by JUPYTERHUB_USER (nbgrader.utils.get_username); this test
runs as one OS user, so each submit runs with the OS name reported as `jovyan`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nbgrader")

from labkit.classroom import grading

ASSIGNMENT = "02-build-the-bond"
RIGHT = """nmcli c mod ens37 connection.autoconnect no
nmcli c mod ens38 connection.autoconnect no
nmcli c mod bond-slave-ens37 connection.autoconnect yes
nmcli c mod bond-slave-ens38 connection.autoconnect yes
nmcli c mod bond0 connection.autoconnect yes
systemctl restart NetworkManager"""
WRONG = """nmcli c mod ens38 connection.autoconnect no
nmcli c mod bond-slave-ens37 connection.autoconnect yes
nmcli c mod bond-slave-ens38 connection.autoconnect yes
nmcli c mod bond0 connection.autoconnect yes
systemctl restart NetworkManager"""
# a student's nbgrader command as a hub container runs it: OS user jovyan, JUPYTERHUB_USER set
AS_STUDENT = ("import sys, nbgrader.utils; nbgrader.utils.get_osusername = lambda: 'jovyan'; "
              "from nbgrader.apps.nbgraderapp import main; sys.argv = ['nbgrader', *sys.argv[1:]]; "
              "main()")


def nbgrader(cwd: Path, *args: str, student: str | None = None) -> str:
    """Run one nbgrader command in `cwd`; its output (the test fails on a non-zero exit)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if student:
        env["JUPYTERHUB_USER"] = student
        cmd = [sys.executable, "-c", AS_STUDENT, *args]
    else:
        cmd = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def answer(path: Path, lines: str) -> None:
    """Type `lines` into the exercise cell's empty line, as a student does in JupyterLab."""
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")
             == "02-bond"]
    assert len(cells) == 1
    source = "".join(cells[0]["source"])
    assert "BEGIN SOLUTION" not in source and "connection.autoconnect no" not in source
    assert source.startswith("%%lab\n") and source.endswith("\n")  # the line to type on
    cells[0]["source"] = source[:-1] + "\n" + lines
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("course")
    made = grading.init(root / "course", ["02"], ["alice", "bob"], exchange=root / "exchange")
    assert made == [(ASSIGNMENT, 1)]
    course = root / "course"
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT, "--force")
    for student, lines in (("alice", RIGHT), ("bob", WRONG)):
        home = root / student
        home.mkdir()  # the student's server reads the students' config (/etc/jupyter on a hub)
        (home / "nbgrader_config.py").write_text((course / grading.STUDENTS_CONFIG).read_text())
        nbgrader(home, "fetch_assignment", ASSIGNMENT, student=student)
        # fetched into the course's folder (path_includes_course)
        answer(home / grading.COURSE_ID / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", lines)
        nbgrader(home, "submit", ASSIGNMENT, student=student)
    nbgrader(course, "collect", ASSIGNMENT)
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    return course


def test_grades(graded_course: Path) -> None:
    """The gradebook: alice has the check's point, bob none, of 1."""
    from nbgrader.api import Gradebook

    gradebook = f"sqlite:///{graded_course / 'gradebook.db'}"
    with Gradebook(gradebook, course_id=grading.COURSE_ID) as gb:
        scores = {s: gb.find_submission(ASSIGNMENT, s).score for s in ("alice", "bob")}
        assert gb.find_assignment(ASSIGNMENT).max_score == 1
    assert scores == {"alice": 1, "bob": 0}


def test_feedback_says_the_problem(graded_course: Path) -> None:
    """bob's feedback carries labkit's sentence on ens37's autoconnect; alice's says well done."""
    feedback = {s: (graded_course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
                for s in ("alice", "bob")}
    assert "NotYet" in feedback["bob"] and "ens37" in feedback["bob"]
    assert "autoconnect" in feedback["bob"]
    assert "NotYet" not in feedback["alice"] and "Well done" in feedback["alice"]


def test_students_cannot_change_the_test(graded_course: Path) -> None:
    """The autograded check cell is the one released (nbgrader restores locked cells)."""
    nb = json.loads((graded_course / "autograded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
                    .read_text())
    check = next(c for c in nb["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "02-bond-check")
    assert "".join(check["source"]).startswith(grading.IMPORT)
    errors = [o for o in check["outputs"] if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["NotYet"]
    assert any("ens37" in line for line in errors[0]["evalue"].splitlines())


def test_graded_source_wraps_the_last_expression() -> None:
    source = 'checks.check(lab, checks.bond("bond0"),\n             exercise="02-bond")  # why'
    assert grading.graded_source(source).split("\n")[1:] == [
        'graded(checks.check(lab, checks.bond("bond0"),',
        '             exercise="02-bond"))  # why']


def test_graded_refuses_a_cell_that_checks_nothing() -> None:
    with pytest.raises(grading.LabkitError, match=r"does not end with its checks\.check"):
        grading.graded_source("report = 1")


def test_formgrader_shows_the_course(graded_course: Path) -> None:
    """The teacher's Jupyter server, started in the course directory, serves formgrader with
    the assignment, its two submissions and their scores (nbgrader's own server extension)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.token=teacher"],
        cwd=graded_course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(path: str) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": "token teacher"})
        with urllib.request.urlopen(req, timeout=30) as reply:
            return json.loads(reply.read())

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assignments = get("/formgrader/api/assignments")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no formgrader"
                time.sleep(0.5)
        mine = [a for a in assignments if a["name"] == ASSIGNMENT]
        assert [(a["num_submissions"], a["max_score"]) for a in mine] == [(2, 1.0)]
        submissions = get(f"/formgrader/api/submissions/{ASSIGNMENT}")
        assert sorted((s["student"], s["score"]) for s in submissions) == [("alice", 1.0),
                                                                         ("bob", 0.0)]
    finally:
        server.terminate()
        server.wait(timeout=30)
