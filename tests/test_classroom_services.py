"""The class's hub services on the real JupyterHub: the teacher grades in formgrader (the
nbgrader course `labkit classroom` made from the lessons' instructor version), a student's
JupyterLab lists, fetches and submits the released assignment through the class's exchange;
and an idle student's server is stopped by the hub's culler, its labs removed.

One class for both: a student and a teacher, a short idle timeout from the roster (40 s,
looked at every 2 s: long enough for the grading round trip, short enough to wait for).
Needs what tests/test_classroom.py needs (root, useradd, npm's proxy, the class's Python).
"""

from __future__ import annotations

import json
import pwd
import re
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubharness import Class, a_class, needs_a_hub, processes_of

from labkit.classroom import grading
from labkit.classroom.client import Kernel

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02-build-the-bond"
FORMGRADER = "/services/formgrader/formgrader"
IDLE = 40  # seconds


@pytest.fixture(scope="module")
def hub() -> Iterator[Class]:
    tag = secrets.token_hex(2)
    with a_class([f"lkt{tag}s"], [f"lkt{tag}t"],
                 f"idle-timeout: {IDLE}s\ncull-every: 2\n") as the_class:
        yield the_class


def _people(hub: Class) -> tuple[str, str]:
    student = next(n for n in hub.logins if n.endswith("s"))
    teacher = next(n for n in hub.logins if n.endswith("t"))
    return student, teacher


def _form_post(hub: Class, path: str, token: str, fields: dict[str, str]) -> tuple[int, Any]:
    """A form POST (nbgrader's assignment-list handlers read form fields, not JSON)."""
    req = urllib.request.Request(hub.url + path, method="POST",
                                 data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


@needs_a_hub
def test_the_teacher_grades_in_formgrader_students_fetch_and_submit(hub: Class) -> None:
    student, teacher = _people(hub)
    teach = hub.login_as(teacher)

    # formgrader, reached through the hub, lists every lesson with an exercise
    status, page = hub.api("GET", FORMGRADER, teach)
    assert status == 200 and "nbgrader formgrade" in page, (status, str(page)[:300])
    status, assignments = hub.api("GET", f"{FORMGRADER}/api/assignments", teach)
    assert status == 200, (status, assignments)
    lessons = sorted(p.stem for p in (REPO / "lessons").glob("[0-9]*.md")
                     if "### BEGIN SOLUTION" in p.read_text())
    assert sorted(a["name"] for a in assignments) == lessons and ASSIGNMENT in lessons
    assert hub.info["formgrader"] == f"{hub.url}{FORMGRADER}"  # what the set-up printed

    # a student is not let into formgrader, on the hub or in their own server
    learn = hub.login_as(student)
    status, _ = hub.api("GET", f"{FORMGRADER}/api/assignments", learn)
    assert status in (302, 403, 404)

    # the teacher generates and releases 02 in formgrader
    for step in ("assign", "release"):
        status, said = hub.api("POST", f"{FORMGRADER}/api/assignment/{ASSIGNMENT}/{step}", teach)
        assert status == 200 and said["success"], (step, said)

    # the student's JupyterLab lists it, fetches it into their home, submits it
    server = hub.spawn(student, learn)
    status, _ = hub.api("GET", f"{server}formgrader/api/assignments", learn)
    assert status == 404  # formgrader is the teachers' service, not in a student's server
    status, listed = hub.api("GET", f"{server}assignments?course_id={grading.COURSE_ID}", learn)
    assert status == 200 and listed["success"], listed
    assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [
        (ASSIGNMENT, "released")]
    fields = {"course_id": grading.COURSE_ID, "assignment_id": ASSIGNMENT}
    for action in ("fetch", "submit"):
        status, said = _form_post(hub, f"{server}assignments/{action}", learn, fields)
        assert status == 200 and said["success"], (action, status, said)
    home = Path(pwd.getpwnam(student).pw_dir)
    fetched = home / grading.COURSE_ID / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    text, _ = Kernel(hub, server, learn).run(f"print(open({str(fetched)!r}).read()[:1])")
    assert text.strip() == "{"  # the student's own copy, readable as them

    # the teacher collects it: formgrader knows the submission
    status, said = hub.api("POST", f"{FORMGRADER}/api/assignment/{ASSIGNMENT}/collect", teach)
    assert status == 200 and said["success"], said
    status, submissions = hub.api("GET", f"{FORMGRADER}/api/submissions/{ASSIGNMENT}", teach)
    assert status == 200 and [s["student"] for s in submissions] == [student], submissions
    hub.stop(student, learn)


@needs_a_hub
def test_an_idle_server_is_culled_and_its_labs_removed(hub: Class) -> None:
    student, _ = _people(hub)
    learn = hub.login_as(student)
    server = hub.spawn(student, learn)
    kernel = Kernel(hub, server, learn)
    text, _ = kernel.run("import labkit\nlab = labkit.Lab(engine='sim').start()\n"
                         "print(lab.workdir)")
    running = text.strip().splitlines()[-1]
    text, _ = kernel.run(  # a lab whose process was killed: only the post-stop hook removes it
        "import subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-c', 'import labkit, os; "
        "l = labkit.Lab(engine=\"sim\", lab_id=\"crashed\").start(); "
        "print(l.workdir, flush=True); os.kill(os.getpid(), 9)'], capture_output=True, "
        "text=True)\n"
        "print(r.stdout.strip())")
    crashed = text.strip().splitlines()[-1]
    assert Path(running).is_dir() and Path(crashed).is_dir(), (running, crashed)
    kernel.close()  # the kernel stays, idle: nothing the student does any more

    deadline = time.monotonic() + IDLE + 90
    while time.monotonic() < deadline:
        _, user = hub.api("GET", f"/hub/api/users/{student}", learn)
        if isinstance(user, dict) and not user.get("servers"):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"{student}'s idle server was not stopped in {IDLE + 90} s")
    assert re.search(rf"Culling server {student} \(inactive for", hub.log()), \
        "the server stopped, but not by the culler"
    uid = pwd.getpwnam(student).pw_uid
    deadline = time.monotonic() + 30  # the hub's stop returns before the kernel has exited
    while processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_of(uid) == []
    assert not Path(running).exists() and not Path(crashed).exists()
    assert f"labkit cleanup for {student}" in hub.log()
