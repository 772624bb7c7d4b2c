"""The kernel's side of an attached terminal: the lab's shell served on a Unix socket.

A daemon thread accepts clients on a socket only its user may open (mode 0600, in a 0700
directory of the user's runtime dir); each client's lines run on the kernel's own lab, one at a
time under the lab's terminal lock, through lab.sh, so the lab's observers (the dashboard) hear
of every change. The socket goes when the lab closes (the thread watches it: within a second,
a reset's close-then-start keeps it) or at exit.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit.errors import LabkitError
from labkit.terminal import protocol
from labkit.terminal.backend import LabBackend

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage

POLL = 0.1  # how often the accept loop looks whether the lab is still running (seconds)
CLOSED_GRACE = 0.5  # closed this long, the lab is not being reset: the socket goes
_servers: dict[int, TerminalServer] = {}  # id(lab) -> its server
_servers_lock = threading.Lock()


def runtime_dir() -> Path:
    """A directory only this user can enter: $XDG_RUNTIME_DIR/labkit, else
    /tmp/labkit-UID; refused if someone else owns it or may write in it."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base) and os.access(base, os.W_OK):
        path = Path(base) / "labkit"
    else:
        path = Path(tempfile.gettempdir()) / f"labkit-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise LabkitError(f"{path} is not a directory of yours: cannot serve the lab there")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


class TerminalServer:
    """The socket on which one lab's shell is served."""

    def __init__(self, lab: LabFrontage, path: Path | None = None) -> None:
        self.lab = lab
        self.path = path or runtime_dir() / f"{lab.lab_id}-{os.getpid()}-{id(lab):x}.sock"
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._ipython: Any = None  # the IPython shell whose cells hold the lock
        self._cell_holds = 0

    def start(self) -> TerminalServer:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.path.is_socket():
            self.path.unlink()  # a socket of ours left by a process that had this pid
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(8)
        sock.settimeout(POLL)
        self._sock = sock
        self._hook_cells()
        atexit.register(self.stop)
        self._thread = threading.Thread(target=self._accept_loop, name="labkit-terminal",
                                        daemon=True)
        self._thread.start()
        return self

    def _hook_cells(self) -> None:
        """In IPython, hold the lock while a cell runs: a terminal's line waits for the cell
        (and a cell for the line), so two threads never drive the lab at once."""
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
        self._ipython = shell
        shell.events.register("pre_run_cell", self._cell_starts)
        shell.events.register("post_run_cell", self._cell_ends)

    def _unhook_cells(self) -> None:
        shell, self._ipython = self._ipython, None
        if shell is None:
            return
        for event, callback in (("pre_run_cell", self._cell_starts),
                                ("post_run_cell", self._cell_ends)):
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass
        # stopped from inside a cell (lab.close() in a cell): its hold goes with it (from the
        # accept thread the lock cannot be released, but nobody waits on it any more)
        while self._cell_holds and threading.current_thread() is threading.main_thread():
            self._cell_ends(None)

    def _cell_starts(self, info: object) -> None:
        self.lock.acquire()
        self._cell_holds += 1

    def _cell_ends(self, result: object) -> None:
        if self._cell_holds:
            self._cell_holds -= 1
            self.lock.release()

    @property
    def running(self) -> bool:
        return self._sock is not None

    def stop(self) -> None:
        """Close the socket and remove its file (safe to repeat)."""
        self._stop.set()
        sock, self._sock = self._sock, None
        self._unhook_cells()
        if sock is not None:
            sock.close()
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        atexit.unregister(self.stop)
        with _servers_lock:
            if _servers.get(id(self.lab)) is self:
                del _servers[id(self.lab)]

    def _accept_loop(self) -> None:
        closed_since: float | None = None
        while not self._stop.is_set():
            if not self.lab.closed:  # (closed: and not being built again by a reset)
                closed_since = None
            elif closed_since is None:
                closed_since = time.monotonic()
            elif time.monotonic() - closed_since >= CLOSED_GRACE:  # the lab is gone: so is
                self.stop()                                          # its terminal
                return
            sock = self._sock
            if sock is None:
                return
            try:
                client, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            threading.Thread(target=self._serve, args=(client,), name="labkit-terminal-client",
                             daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            try:
                _Session(self, client).loop()
            except (OSError, ValueError):
                pass  # the client went away or spoke garbage: drop it


class _Session:
    """One attached client: its host, and the line it is running (which Ctrl-C interrupts)."""

    def __init__(self, server: TerminalServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.write_lock = threading.Lock()
        self.backend: LabBackend | None = None
        self.worker: threading.Thread | None = None
        self.busy = False  # a line is running (cleared before its reply is sent)
        self.interrupt_lock = threading.Lock()  # Ctrl-C is only raised in a running line

    def send(self, message: dict[str, Any]) -> None:
        with self.write_lock:
            protocol.send(self.sock, message)

    def loop(self) -> None:
        reader = protocol.Reader(self.sock)
        while True:
            message = reader.next()
            if message is None:
                return
            op = message.get("op")
            if op == "hello":
                self._hello(str(message.get("host", "server")))
            elif self.backend is None:
                self.send({"op": "error", "message": "say hello first"})
            elif op == "run":
                if self.busy:
                    self.send({"op": "error", "message": "a line is already running"})
                    continue
                self.busy = True
                self.worker = threading.Thread(target=self._run, args=(str(message["line"]),),
                                               daemon=True)
                self.worker.start()
            elif op == "complete":
                line, cursor = str(message["line"]), int(message["cursor"])
                self._answer(lambda b, line=line, cursor=cursor: {
                    "op": "matches", "matches": b.complete(line, cursor)})
            elif op == "interrupt":
                self._interrupt()
            else:
                self.send({"op": "error", "message": f"unknown op {op!r}"})

    def _hello(self, host: str) -> None:
        try:
            self.backend = LabBackend(self.server.lab, host, lock=self.server.lock)
        except LabkitError as exc:
            self.send({"op": "error", "message": str(exc)})
            return
        self._answer(lambda b: {"op": "hello", "prompt": b.prompt()})

    def _answer(self, make: Any) -> None:
        assert self.backend is not None
        try:
            reply = make(self.backend)
        except LabkitError as exc:
            reply = {"op": "error", "message": str(exc)}
        self.send(reply)

    def _run(self, line: str) -> None:
        backend = self.backend
        assert backend is not None
        interrupted: dict[str, object] = {"op": "interrupted", "prompt": ""}
        try:
            try:
                output, status = backend.run(line)
                reply = {"op": "result", "output": output, "status": status,
                         "prompt": backend.prompt()}
            except KeyboardInterrupt:
                reply = {"op": "interrupted", "prompt": backend.prompt()}
            except LabkitError as exc:
                reply = {"op": "error", "message": str(exc)}
        except KeyboardInterrupt:  # pressed again while the prompt was being read
            reply = interrupted
        while True:  # no Ctrl-C may land once the line is done: take back one on its way
            try:
                with self.interrupt_lock:
                    self.busy = False
                    _set_async_exc(threading.get_ident(), None)
                break
            except KeyboardInterrupt:
                reply = interrupted
        try:
            self.send(reply)  # the session is free: the client sends its next line after this
        except OSError:
            pass

    def _interrupt(self) -> None:
        """Ctrl-C: raise KeyboardInterrupt in the thread running the line, as the terminal's
        SIGINT would in a foreground program."""
        with self.interrupt_lock:
            worker = self.worker
            if self.busy and worker is not None and worker.ident is not None:
                _set_async_exc(worker.ident, KeyboardInterrupt)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    """Raise `exc` in thread `ident` at its next bytecode (None: take back a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None)


def serve(lab: LabFrontage) -> TerminalServer:
    """The lab's terminal server, started on first use (one per lab)."""
    if lab.engine is None:
        raise LabkitError("the lab is not running: start it before opening a terminal on it")
    with _servers_lock:
        server = _servers.get(id(lab))
        if server is not None and server.running:
            return server
        server = TerminalServer(lab).start()
        _servers[id(lab)] = server
        return server
