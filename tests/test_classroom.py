"""A class on the real JupyterHub: three students and a teacher from a roster, real Unix
accounts, PAM login through the hub's HTTP API, notebook 02's exercise run in two students'
own servers (one right, one wrong), the teacher's view read, each student confined to their
own lab, and nothing of theirs left once their servers stop.

Needs root (accounts, a spawner that changes uid), npm's proxy (./lab test installs it) and the
class's Python (./lab test makes it where the checkout's is not one every account can run).
Every account the test makes is removed after it, and only those.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hubharness import Class, a_class, needs_a_hub, processes_of

from labkit.classroom import labids, roster
from labkit.classroom.client import Kernel

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons" / "02-build-the-bond.md"
NOTEBOOK = REPO / "notebooks" / "02-build-the-bond.ipynb"

# -- lab ids and the roster (no hub) -----------------------------------------------------------
def test_a_lab_id_per_user_valid_and_distinct() -> None:
    users = ["alice", "bob", "Alice.Smith", "j_doe", "1student", "a" * 40, "a--b", "ab",
             "x@y.z", "xyz", "jdoe", "é", "u"]
    ids = [labids.for_user(u) for u in users]
    assert all(labids.valid(i) for i in ids), ids
    assert len(set(ids)) == len(ids), ids
    assert ids[:2] == ["alice", "bob"]  # a valid name is its own id, as the teacher reads it
    assert labids.for_user("a--b") != labids.for_user("ab") == "ab"


def test_the_lab_id_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import labkit

    monkeypatch.delenv(labids.ENV_ID, raising=False)
    monkeypatch.delenv(labids.ENV_USER, raising=False)
    assert labkit.Lab(engine="sim").lab_id == "labkit"
    monkeypatch.setenv(labids.ENV_USER, "Alice.Smith")
    assert labkit.Lab(engine="sim").lab_id == labids.for_user("Alice.Smith")
    monkeypatch.setenv(labids.ENV_ID, "given")
    assert labkit.Lab(engine="sim").lab_id == "given"
    assert labkit.Lab(engine="sim", lab_id="mine").lab_id == "mine"  # an argument wins


def test_a_bad_roster_is_refused_line_by_line() -> None:
    good = roster.parse("# the class\nalice\nbob  student\nmsmith teacher\n")
    assert good.students == ["alice", "bob"] and good.teachers == ["msmith"]
    with pytest.raises(roster.RosterError) as err:
        roster.parse("alice\nAlice\nalice\nbob boss\ncarol x y\n", Path("r.txt"))
    said = str(err.value)
    for expected in ("r.txt:2: 'Alice' is not a Unix account name",
                     "r.txt:3: alice is already on line 1",
                     "r.txt:4: the role is student or teacher, not 'boss'",
                     "r.txt:5: one name and at most a role a line"):
        assert expected in said, said
    with pytest.raises(roster.RosterError, match="no one is on the roster"):
        roster.parse("# nobody yet\n")


def test_the_roster_sets_the_idle_timeout() -> None:
    """An hour unless the roster says; the culler looks every tenth of it (5 s to 5 min)."""
    plain = roster.parse("alice\n")
    assert (plain.idle_timeout, plain.cull_every) == (3600, 300)
    short = roster.parse("alice\nidle-timeout: 45m  # a lesson's length\nbob\n")
    assert (short.idle_timeout, short.cull_every, short.students) == (2700, 270,
                                                                    ["alice", "bob"])
    assert roster.parse("alice\nidle-timeout: 20\n").cull_every == 5
    assert roster.parse("alice\nIdle-Timeout: 2h\ncull-every: 1m\n").cull_every == 60
    assert roster.parse("alice\nidle-timeout: never\n").idle_timeout == 0
    with pytest.raises(roster.RosterError) as err:
        roster.parse("alice\nidle: 3\nidle-timeout: soon\ncull-every: 0\n", Path("r"))
    said = str(err.value)
    for expected in ("r:2: 'idle' is no class setting",
                     "r:3: idle-timeout is a duration (90, 90s, 30m, 1h or never), not 'soon'",
                     "r:4: cull-every is at least a second"):
        assert expected in said, said


# -- the hub ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hub() -> Iterator[Class]:
    tag = secrets.token_hex(2)
    with a_class([f"lkt{tag}a", f"lkt{tag}b", f"lkt{tag}c"], [f"lkt{tag}t"]) as the_class:
        yield the_class


# -- notebook 02 and what a user leaves ---------------------------------------------------
def _lesson_solution() -> list[str]:
    text = LESSON.read_text()
    body = text.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def _notebook_02(solution: list[str]) -> list[str]:
    """Notebook 02's code cells as a student runs them, `solution` typed into the exercise;
    the cells after the check (looking around, closing the lab) left out."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            source = "%%lab\n" + "\n".join(solution)
        out.append(source)
        if meta.get("grade"):
            return out
    raise AssertionError("notebook 02 has no graded check cell")


# -- the hub test -----------------------------------------------------------------------------
@needs_a_hub
def test_two_students_one_lab_each_the_teacher_sees_both_nothing_left(hub: Class) -> None:
    names = sorted(n for n in hub.logins if not n.endswith("t"))
    right, wrong = names[0], names[1]
    teacher = next(n for n in hub.logins if n.endswith("t"))
    assert all(hub.logins[n] for n in hub.logins)  # made by the test: a first password each

    # a wrong password is refused, and a student cannot act for another
    status, _ = hub.api("POST", f"/hub/api/users/{right}/tokens",
                        body={"auth": {"username": right, "password": "not-it"}})
    assert status == 403
    tokens = {n: hub.login_as(n) for n in (right, wrong)}
    status, _ = hub.api("POST", f"/hub/api/users/{wrong}/server", tokens[right])
    assert status in (403, 404)

    solution = _lesson_solution()
    forgotten = "nmcli c mod ens38 connection.autoconnect no"
    assert forgotten in solution
    typed = {right: solution, wrong: [line for line in solution if line != forgotten]}
    kernels: dict[str, Kernel] = {}

    def student(name: str) -> dict[str, Any]:
        """Their server, a kernel in it, notebook 02 up to its check; what the kernel saw."""
        kernel = kernels[name] = Kernel(hub, hub.spawn(name, tokens[name]), tokens[name])
        cells = _notebook_02(typed[name])
        for cell in cells[:-1]:
            kernel.run(cell)
        _, data = kernel.run(cells[-1])
        check = next(d["application/vnd.labkit.check+json"] for d in data
                     if "application/vnd.labkit.check+json" in d)
        text, _ = kernel.run(
            "import os, json, pwd\n"
            "from labkit.engines import records\n"
            "print(json.dumps({'lab_id': lab.lab_id, 'engine': lab.engine_name, "
            "'uid': os.geteuid(), 'user': pwd.getpwuid(os.geteuid()).pw_name, "
            "'workdir': str(lab.workdir), 'run_dir': str(records.RUN_DIR), "
            "'records': [r.lab_id for r in records.all_records()], "
            "'notebooks': sorted(os.listdir(os.path.expanduser('~/labkit-notebooks')))}))")
        return {**json.loads(text.strip().splitlines()[-1]), "check": check}

    with ThreadPoolExecutor(2) as pool:  # two students at once, as in a class
        seen = dict(zip((right, wrong), pool.map(student, (right, wrong)), strict=True))

    # each server runs as its student, on the sim (not root), with the student's own lab id
    for name in (right, wrong):
        entry = pwd.getpwnam(name)
        assert seen[name]["uid"] == entry.pw_uid and seen[name]["user"] == name
        assert seen[name]["engine"] == "sim"
        assert seen[name]["lab_id"] == labids.for_user(name)
        assert seen[name]["records"] == [labids.for_user(name)]
        assert "02-build-the-bond.ipynb" in seen[name]["notebooks"]  # their own copy
    assert seen[right]["lab_id"] != seen[wrong]["lab_id"]
    assert seen[right]["check"] == {"exercise": "02-bond", "ok": True, "problems": []}
    assert seen[wrong]["check"]["ok"] is False
    assert any("ens38" in p and "autoconnect" in p for p in seen[wrong]["check"]["problems"])

    # neither reaches the other's lab: its records, its working directory, its cleanup
    other = seen[wrong]
    probe = "\n".join([
        "import os, subprocess, sys",
        f"for path in ({other['run_dir']!r}, {other['workdir']!r}):",
        "    try:",
        "        os.listdir(path); print('OPEN', path)",
        "    except PermissionError:",
        "        print('DENIED', path)",
        f"r = subprocess.run([sys.executable, '-m', 'labkit', 'cleanup', {other['lab_id']!r}],",
        "                   capture_output=True, text=True)",
        "print('CLEANUP', r.returncode, r.stdout.strip(), r.stderr.strip())"])
    text, _ = kernels[right].run(probe)
    assert f"DENIED {other['run_dir']}" in text and f"DENIED {other['workdir']}" in text, text
    assert "CLEANUP 1" in text and "no record of a lab" in text, text
    assert Path(other["workdir"]).is_dir()  # still there: the attempt removed nothing

    # a lab whose process was killed (-9) is left for the hub's post-stop hook to remove
    text, _ = kernels[wrong].run(
        "import subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-c', 'import labkit, os; "
        "l = labkit.Lab(engine=\"sim\", lab_id=\"crashed\").start(); "
        "print(l.workdir, flush=True); os.kill(os.getpid(), 9)'], capture_output=True, "
        "text=True)\n"
        "print(r.stdout.strip())")
    crashed = text.strip().splitlines()[-1]
    assert Path(crashed).is_dir(), text

    # the teacher's view: one done, one trying with the problem
    teacher_token = hub.login_as(teacher)
    status, progress = hub.api("GET", "/services/teacher/api/progress", teacher_token)
    assert status == 200, (status, progress)
    assert progress["students"][right]["02-bond"]["state"] == "done"
    assert progress["students"][wrong]["02-bond"]["state"] == "trying"
    said = progress["students"][wrong]["02-bond"]
    assert said["problem_count"] == len(seen[wrong]["check"]["problems"]) == 1
    assert said["problems"] == seen[wrong]["check"]["problems"]  # the check's own sentences
    status, _ = hub.api("GET", "/services/teacher/api/progress", tokens[right])
    assert status in (302, 403, 404)  # a student is not let in

    # stopping the servers leaves nothing of theirs
    for kernel in kernels.values():
        kernel.close()
    for name in (right, wrong):
        hub.stop(name, tokens[name])
    deadline = time.monotonic() + 30  # the hub's stop returns before the last kernel exits
    while time.monotonic() < deadline and any(
            processes_of(pwd.getpwnam(n).pw_uid) for n in (right, wrong)):
        time.sleep(0.5)
    mounts = Path("/proc/mounts").read_text()
    netns = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    for name in (right, wrong):
        info = seen[name]
        assert processes_of(pwd.getpwnam(name).pw_uid) == []
        assert not Path(info["workdir"]).exists()
        assert not list(Path(info["run_dir"]).glob("*.json"))  # no lab record of theirs
        assert info["lab_id"] not in mounts and pwd.getpwnam(name).pw_dir not in mounts
        assert not any(ns.startswith(info["lab_id"]) for ns in netns)
    assert not Path(crashed).exists()  # removed by the post-stop hook, as the student
