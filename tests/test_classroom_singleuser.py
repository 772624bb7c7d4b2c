"""The class's single-user server (labkit.classroom.singleuser) leaves out only what a student
does not use at start: a real jupyter-server started with a student's settings still answers
nbgrader's student URLs (loaded on the first request, then answering directly), has no
formgrader and no language-server extension; a teacher's settings keep formgrader; the
deferred rfc3987_syntax still judges IRIs as the real one does.

Each server here runs in its own process, on loopback, with a token of the test's own.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.classroom import singleuser

pytest.importorskip("nbgrader")
pytest.importorskip("jupyterlab")

SERVER = """
import sys
from labkit.classroom import singleuser as su
su.defer_rfc3987_syntax()
su.skip_yarn_registry()
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=[*su.server_args(sys.argv[1]), *sys.argv[2:]])
print("EXTENSIONS", sorted(k for k, v in app.jpserver_extensions.items() if v), flush=True)
app.start()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, role: str) -> None:
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.dir = tempfile.mkdtemp(prefix="labkit-singleuser-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "LABKIT"))}
        env.update(HOME=self.dir, JUPYTER_CONFIG_DIR=f"{self.dir}/.jupyter",
                   JUPYTER_RUNTIME_DIR=f"{self.dir}/runtime")
        self.log = open(f"{self.dir}/server.log", "w+")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, role, "--ip=127.0.0.1", f"--port={self.port}",
             "--no-browser", f"--IdentityProvider.token={self.token}", "--allow-root",
             f"--ServerApp.root_dir={self.dir}"],
            cwd=self.dir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the server did not answer in 90 s:\n{self.output()}")

    def output(self) -> str:
        return Path(f"{self.dir}/server.log").read_text(errors="replace")

    def extensions(self) -> list[str]:
        for line in self.output().splitlines():
            if line.startswith("EXTENSIONS "):
                return list(json.loads(line.split(" ", 1)[1].replace("'", '"')))
        raise AssertionError(self.output())

    def request(self, method: str, path: str, body: bytes | None = None,
                follow: bool = False) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body), redirects not followed unless `follow`."""
        handlers = [] if follow else [_NoRedirect()]
        opener = urllib.request.build_opener(*handlers)
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body,
                                     method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with opener.open(req, timeout=30) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture(scope="module")
def student() -> Iterator[Server]:
    server = Server("student")
    yield server
    server.stop()


def test_a_student_server_starts_without_what_students_do_not_use(student: Server) -> None:
    on = student.extensions()
    for name in ("jupyterlab", "jupyter_server_terminals", "labkit.classroom.singleuser"):
        assert name in on, on
    for name in ("nbgrader.server_extensions.formgrader", "jupyter_lsp",
                 *singleuser.NBGRADER_STUDENT):
        assert name not in on, on
    assert student.request("GET", "/formgrader")[0] == 404
    assert student.request("GET", "/lsp/status")[0] == 404


def test_nbgrader_loads_on_its_first_request_then_answers_itself(student: Server) -> None:
    loading = "Loading the assignment_list nbgrader serverextension"
    anonymous = urllib.request.Request(f"http://127.0.0.1:{student.port}/nbgrader_version")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(anonymous, timeout=30)
    assert err.value.code == 403
    assert loading not in student.output()  # no one logged in: nothing loaded
    validate = "/assignments/validate"
    status, headers, _ = student.request("POST", validate, body=b"path=none.ipynb")
    assert (status, headers.get("Location")) == (307, validate), (status, headers)
    assert loading in student.output()
    status, _, body = student.request("POST", validate, body=b"path=none.ipynb")
    assert status == 200 and "success" in json.loads(body), (status, body)  # nbgrader's
    version = "/nbgrader_version?version=0.9.6"
    status, _, body = student.request("GET", version)  # no redirect any more
    assert status == 200 and json.loads(body)["success"] is True, body
    status, _, _ = student.request("GET", "/assignments")  # the assignment list's own answer
    assert status == 400 and "Missing argument course_id" in student.output()


def test_a_kernel_runs_over_unix_sockets(student: Server) -> None:
    from labkit.classroom.client import Hub, Kernel

    kernel = Kernel(Hub(f"http://127.0.0.1:{student.port}"), "/", student.token)
    try:
        said, _ = kernel.run("print(6 * 7)")
        assert said.strip() == "42"
        info = json.loads(Path(f"{student.dir}/runtime/kernel-{kernel.id}.json").read_text())
        assert info["transport"] == "ipc", info
    finally:
        kernel.close()


def test_a_teacher_keeps_formgrader() -> None:
    assert "nbgrader.server_extensions.formgrader" not in singleuser.extensions_off("teacher")
    args = singleuser.server_args("teacher")
    assert f"--ServerApp.jpserver_extensions={singleuser.__name__}=True" not in args
    assert "--ServerApp.jpserver_extensions=jupyter_lsp=False" in args


def test_the_deferred_rfc3987_syntax_judges_as_the_real_one() -> None:
    code = """
import sys
from labkit.classroom import singleuser
assert singleuser.defer_rfc3987_syntax()
import jsonschema
checker = jsonschema.Draft7Validator.FORMAT_CHECKER
assert type(sys.modules["rfc3987_syntax"]).__name__ == "_Deferred", "imported at start"
said = [checker.conforms(v, "iri") for v in ("http://example.org/a?b#c", "http://[::1", "a b")]
assert type(sys.modules["rfc3987_syntax"]).__name__ == "module"
import rfc3987_syntax
print(said, [rfc3987_syntax.is_valid_syntax("iri", v)
             for v in ("http://example.org/a?b#c", "http://[::1", "a b")])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    deferred, real = done.stdout.strip().split("] [")
    assert deferred + "]" == "[" + real, done.stdout
    assert deferred.startswith("[True, False"), done.stdout
