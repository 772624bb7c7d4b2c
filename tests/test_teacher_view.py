"""The teacher's view: the pure table (labkit.views.classroom) and the hub service
(labkit.classroom.teacher) run as the hub runs it, as its own process with the service
environment, against a stand-in for the hub's REST API that answers the token checks HubOAuth
makes (GET /hub/api/user) and the server stops and starts a reset asks for. The hub helper's
test runs the same service under the real hub.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("jupyterhub")

from labkit import progress
from labkit.classroom import teacher
from labkit.views import classroom as view
from labkit.views.progress import Notebook

SERVICE_TOKEN, TEACHER_TOKEN, ALICE_TOKEN = "service-secret", "teacher-secret", "alice-secret"
SCOPE = "access:services!service=teacher"
COURSE = [Notebook("01-the-machine", "The machine", ("01-route",)),
          Notebook("02-build-the-bond", "Build the bond", ("02-bond",))]


# -- the pure view ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    exercise: str
    ok: bool
    time: str
    problems: int
    said: tuple[str, ...] = ()


def test_states() -> None:
    """not started, trying (checked, never ok), done (once ok, even if broken later)."""
    attempts = [Attempt("02-bond", False, "2026-12-03T10:00:00Z", 2),
                Attempt("02-bond", True, "2026-12-03T10:05:00Z", 0),
                Attempt("02-bond", False, "2026-12-03T10:09:00Z", 1, ("ens38 is down",)),
                Attempt("01-route", False, "2026-12-03T10:01:00Z", 1)]
    assert view.cell("02-bond", attempts) == view.Cell(
        "done", 3, "2026-12-03T10:09:00Z", ("ens38 is down",), 1)
    assert view.cell("01-route", attempts) == view.Cell("trying", 1, "2026-12-03T10:01:00Z",
                                                        (), 1)
    assert view.cell("03-mac", attempts) == view.Cell("not started", 0, None, (), 0)


def test_data_and_page() -> None:
    students = [view.Student("alice", [Attempt("02-bond", True, "2026-12-03T10:00:00Z", 0)]),
                view.Student("bob", [Attempt("02-bond", False, "2026-12-03T10:00:00Z", 1,
                                             ("there is no bond <bond0>",))], "torn record")]
    body = view.data(COURSE, students)
    assert body["exercises"] == ["01-route", "02-bond"]
    assert body["students"]["alice"]["02-bond"]["state"] == "done"
    assert body["students"]["alice"]["01-route"]["state"] == "not started"
    assert body["students"]["bob"]["02-bond"] == {
        "state": "trying", "problems": ["there is no bond <bond0>"], "problem_count": 1,
        "attempts": 1, "last": "2026-12-03T10:00:00Z"}
    assert body["notices"] == {"bob": "torn record"}
    html = view.page(COURSE, students, "/services/teacher/", xsrf="tok")
    assert "there is no bond &lt;bond0&gt;" in html and "<bond0>" not in html
    assert html.count("data-state='done'") == 1 and html.count("data-state='trying'") == 1
    assert html.count("class='labkit-reset'") == 2
    assert '"/services/teacher/api/"' in html and "torn record" in html


# -- the service --------------------------------------------------------------------------------
class FakeHub:
    """The hub's REST API as far as the service uses it: whose token is it, and servers."""

    def __init__(self) -> None:
        self.running = {"alice": True, "bob": True, "carol": False, "dave": True}
        self.calls: list[tuple[str, str, str]] = []  # method, path, token
        self.port = free_port()

    def app(self) -> Any:
        from tornado import web

        hub = self

        class User(web.RequestHandler):
            def get(self) -> None:
                token = self.request.headers.get("Authorization", "").removeprefix("token ")
                models = {TEACHER_TOKEN: {"name": "teacher", "kind": "user", "admin": False,
                                          "groups": ["teachers"], "scopes": [SCOPE]},
                          ALICE_TOKEN: {"name": "alice", "kind": "user", "admin": False,
                                        "groups": [], "scopes": []}}
                if token not in models:
                    raise web.HTTPError(403)
                self.finish(models[token])

        class Users(web.RequestHandler):
            def _note(self) -> str:
                token = self.request.headers.get("Authorization", "").removeprefix("token ")
                hub.calls.append((self.request.method, self.request.path, token))
                if token != SERVICE_TOKEN:
                    raise web.HTTPError(403)
                return token

            def get(self, name: str) -> None:
                self._note()
                up = hub.running.get(name)
                if up is None:
                    raise web.HTTPError(404)
                if name == "dave":  # as a hub shows a token without read:servers
                    self.finish({"name": name, "kind": "user"})
                    return
                self.finish({"name": name, "server": f"/user/{name}/" if up else None,
                             "pending": None, "servers": {"": {}} if up else {}})

            def delete(self, name: str) -> None:
                self._note()
                hub.running[name] = False
                self.set_status(204)

        class Server(Users):
            def post(self, name: str) -> None:
                self._note()
                hub.running[name] = True
                self.set_status(201)

            def delete(self, name: str) -> None:
                self._note()
                hub.running[name] = False
                self.set_status(204)

        return web.Application([(r"/hub/api/user", User),
                                (r"/hub/api/users/([^/]+)/server", Server),
                                (r"/hub/api/users/([^/]+)", Users)])

    def serve(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop

        async def start() -> None:
            self.server = self.app().listen(self.port, "127.0.0.1")

        loop.run_until_complete(start())
        loop.run_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the service ended: {proc.stderr.read() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the service did not listen")


@dataclass
class Service:
    url: str
    hub: FakeHub
    homes: dict[str, Path]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    hub = FakeHub()
    threading.Thread(target=hub.serve, daemon=True).start()
    root = tmp_path_factory.mktemp("homes")
    homes = {u: root / u for u in ("alice", "bob", "carol", "dave")}
    for home in homes.values():
        home.mkdir()
    # the students' records, written by labkit's own writer as their checks write them
    progress.record({"exercise": "02-bond", "ok": True, "problems": []},
                    teacher.record_path(homes["alice"]))
    progress.record({"exercise": "02-bond", "ok": False,
                     "problems": ["ens37's profile autoconnects", "no answer from 192.168.1.61"]},
                    teacher.record_path(homes["bob"]))
    port = free_port()
    env = {**os.environ, "JUPYTERHUB_SERVICE_PREFIX": "/services/teacher/",
           "JUPYTERHUB_SERVICE_NAME": "teacher", "JUPYTERHUB_API_TOKEN": SERVICE_TOKEN,
           "JUPYTERHUB_API_URL": f"http://127.0.0.1:{hub.port}/hub/api",
           "JUPYTERHUB_CLIENT_ID": "service-teacher",
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
           "LABKIT_CLASSROOM_HOMES": json.dumps({u: str(h) for u, h in homes.items()})}
    proc = subprocess.Popen([sys.executable, "-m", "labkit.classroom.teacher"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(port, proc)
        yield Service(f"http://127.0.0.1:{port}/services/teacher/", hub, homes)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        hub.loop.call_soon_threadsafe(hub.loop.stop)


def call(url: str, token: str | None = None, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", f"token {token}")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_progress_for_the_teacher(service: Service) -> None:
    code, body = call(service.url + "api/progress", TEACHER_TOKEN)
    assert code == 200
    students = json.loads(body)["students"]
    assert students["alice"]["02-bond"]["state"] == "done"
    assert students["bob"]["02-bond"]["state"] == "trying"
    assert students["bob"]["02-bond"]["problem_count"] == 2
    assert students["carol"]["02-bond"]["state"] == "not started"
    assert set(students["carol"]) >= {"00-unplug", "01-route", "02-bond", "03-mac-follows"}


def test_live(service: Service) -> None:
    """A check carol runs now shows at the next request."""
    progress.record({"exercise": "01-route", "ok": False, "problems": ["no gateway given"]},
                    teacher.record_path(service.homes["carol"]))
    code, body = call(service.url + "api/progress", TEACHER_TOKEN)
    assert code == 200
    assert json.loads(body)["students"]["carol"]["01-route"]["state"] == "trying"


def test_page(service: Service) -> None:
    code, html = call(service.url, TEACHER_TOKEN)
    assert code == 200
    assert "<tr data-student='bob'>" in html and "setInterval(poll" in html


@pytest.mark.parametrize("token", [None, ALICE_TOKEN, "forged"])
def test_only_teachers(service: Service, token: str | None) -> None:
    assert call(service.url + "api/progress", token)[0] == 403
    assert call(service.url + "api/reset/bob", token, "POST")[0] == 403
    page = call(service.url, token)[0]
    assert page in (302, 403)  # nobody: the hub's login; a student: refused


def test_reset(service: Service) -> None:
    """The hub stops bob's server and starts it again, asked with the service's token."""
    service.hub.calls.clear()
    code, body = call(service.url + "api/reset/bob", TEACHER_TOKEN, "POST")
    assert code == 200, body
    assert "reset" in json.loads(body)["message"]
    methods = [(m, p) for m, p, _ in service.hub.calls]
    assert ("DELETE", "/hub/api/users/bob/server") in methods
    assert methods[-1] == ("POST", "/hub/api/users/bob/server")
    assert methods.index(("DELETE", "/hub/api/users/bob/server")) < len(methods) - 1
    assert {t for _, _, t in service.hub.calls} == {SERVICE_TOKEN}
    assert service.hub.running["bob"]


def test_reset_without_a_server_without_scopes_and_of_a_stranger(service: Service) -> None:
    service.hub.calls.clear()
    code, body = call(service.url + "api/reset/carol", TEACHER_TOKEN, "POST")
    assert code == 200 and "no server running" in json.loads(body)["message"]
    assert [m for m, _, _ in service.hub.calls] == ["GET"]
    code, body = call(service.url + "api/reset/dave", TEACHER_TOKEN, "POST")
    assert code == 502 and "read:servers" in json.loads(body)["message"]
    assert ("DELETE", "/hub/api/users/dave/server") not in [(m, p) for m, p, _ in
                                                           service.hub.calls]
    code, body = call(service.url + "api/reset/mallory", TEACHER_TOKEN, "POST")
    assert code == 404 and "not a student" in json.loads(body)["message"]


@pytest.mark.parametrize("value, says", [
    ("", "is not set"), ("{", "is not JSON"), ('{"alice": "home"}', "absolute home"),
    ('["alice"]', "JSON object")])
def test_bad_homes(value: str, says: str) -> None:
    env = {**os.environ, "LABKIT_CLASSROOM_HOMES": value}
    done = subprocess.run([sys.executable, "-m", "labkit.classroom.teacher"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
