"""Real programs run inside a lab host's sandbox (sandbox.py).

Each program enters its host's holder (`nsenter`: mount, PID and network namespace) and runs
confined (`setpriv`: CAP_NET_ADMIN and CAP_NET_RAW only, no new privileges), so it sees the lab
host and nothing of the machine. Output goes to temporary files, not pipes, so a long
background ping never blocks on a full pipe while the lab does something else. The lab is told
of each process when it starts and when it has been reaped (`on_start`, `on_end`), so its state
record always lists what may still run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from labkit.engines.netns.sandbox import ENV, NETNS_DIR, Sandbox, SandboxError, spec
from labkit.errors import EngineUnavailable


class RealProcess:
    """One program running in a lab host's sandbox."""

    def __init__(self, prefix: list[str], argv: list[str], stdin: str = "",
                 on_start: Callable[[int], None] | None = None,
                 on_end: Callable[[RealProcess], None] | None = None) -> None:
        self.argv = argv
        self._on_end = on_end
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        stdin_file = tempfile.TemporaryFile()
        stdin_file.write(stdin.encode("utf-8", "surrogateescape"))
        stdin_file.seek(0)
        try:
            self._proc = subprocess.Popen(
                [*prefix, *argv], stdin=stdin_file, stdout=self._out,
                stderr=self._err, env=ENV, cwd="/", start_new_session=True)
        finally:
            stdin_file.close()
        self.pid = self._proc.pid
        self.returncode: int | None = None
        if on_start is not None:
            on_start(self.pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            rc = self._proc.poll()
            if rc is not None:
                self.returncode = 128 - rc if rc < 0 else rc
                self._ended()
        return self.returncode

    def _ended(self) -> None:
        callback, self._on_end = self._on_end, None
        if callback is not None:
            callback(self)

    def kill(self) -> None:
        """SIGKILL the program (and anything it started)."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self.poll()

    def output(self) -> tuple[str, str]:
        """What the program wrote to stdout and stderr (once it has ended)."""
        texts = []
        for f in (self._out, self._err):
            if f.closed:
                texts.append("")
                continue
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        return texts[0], texts[1]


class LabPrograms:
    """Every real program of one lab: a sandbox per host (started on the first program of that
    host), and the processes still alive, so closing the lab ends them all."""

    def __init__(self, programs: frozenset[str], on_worker: Callable[[Callable[[], Any]], Any],
                 note: Callable[[int], None], forget: Callable[[int], None]) -> None:
        self._programs = programs
        self._on_worker = on_worker  # runs a call on the lab's long-lived thread
        self._note = note
        self._forget = forget
        self._sandboxes: dict[str, Sandbox] = {}
        self._live: dict[int, RealProcess] = {}
        self._lock = threading.Lock()

    def sandbox(self, netns_path: str, lab_netns: list[str]) -> Sandbox:
        """The running sandbox of the host whose namespace is `netns_path`."""
        with self._lock:
            box = self._sandboxes.get(netns_path)
            if box is not None and box.alive() and box.tree["netns"] == list(lab_netns):
                return box
            if box is not None:
                self._close_sandbox(box)
            try:
                box = Sandbox(netns_path, spec(self._programs, lab_netns))
                for pid in self._on_worker(box.start):  # its death signal follows that thread
                    self._note(pid)
            except SandboxError as exc:
                raise EngineUnavailable(str(exc)) from None
            try:
                self._note(box.wait_ready())
            except SandboxError as exc:
                self._close_sandbox(box)
                raise EngineUnavailable(str(exc)) from None
            except BaseException:
                self._close_sandbox(box)
                raise
            self._sandboxes[netns_path] = box
            return box

    def netns_names(self, netns_path: str, lab_netns: list[str]) -> list[str]:
        """The names in the sandbox's /run/netns, in its directory's order (as ip reads it)."""
        box = self.sandbox(netns_path, lab_netns)
        return os.listdir(f"/proc/{box.init_pid}/root{NETNS_DIR}")

    def spawn(self, netns_path: str, lab_netns: list[str], argv: list[str],
              stdin: str = "") -> RealProcess:
        box = self.sandbox(netns_path, lab_netns)
        proc = RealProcess(box.prefix(), argv, stdin, on_start=self._note, on_end=self._ended)
        self._live[proc.pid] = proc
        return proc

    def _ended(self, proc: RealProcess) -> None:
        self._live.pop(proc.pid, None)
        self._forget(proc.pid)

    def close(self) -> None:
        """Kill every program, then every sandbox (whose init takes along anything left
        inside), and reap them all."""
        with self._lock:
            for proc in list(self._live.values()):
                with contextlib.suppress(Exception):
                    proc.kill()
            for box in list(self._sandboxes.values()):
                self._close_sandbox(box)
            self._sandboxes.clear()

    def _close_sandbox(self, box: Sandbox) -> None:
        box.close()
        for pid in (box.init_pid, box.proc.pid if box.proc else None):
            if pid is not None:
                self._forget(pid)
