"""Run the real programs (bash, coreutils, grep, sed, ip) for differential tests.

Commands run as a terminal would run them: an interactive bash on a pty, C locale, stdout and
stderr together. Tests that need them skip where the program is missing.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
       "LC_ALL": "C", "TERM": "dumb", "HOME": "/root", "PAGER": "cat"}
NOISE = ("bash: cannot set terminal process group", "bash: no job control in this shell")


def have(*programs: str) -> bool:
    return all(shutil.which(p) for p in programs)


def is_root() -> bool:
    return os.geteuid() == 0


def terminal(cmd: str, cwd: str = "/", prefix: list[str] | None = None,
             timeout: float = 20.0) -> tuple[int, str]:
    """Exit status and terminal text of `cmd` typed into an interactive bash on a pty."""
    argv = (prefix or []) + ["bash", "--norc", "--noprofile", "-i", "-c", cmd]
    pid, fd = pty.fork()
    if pid == 0:  # the child must never return into the test run
        try:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, ENV)
        finally:
            os._exit(127)
    chunks = []
    deadline = time.monotonic() + timeout
    status = None
    eof = False
    while not (eof and status is not None):
        if not eof:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the pty's other side is closed
                    data = b""
                if data:
                    chunks.append(data)
                else:
                    eof = True
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
            elif time.monotonic() > deadline:
                os.kill(pid, 9)
        if eof and status is None:
            time.sleep(0.01)
    os.close(fd)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(NOISE))
    return int(status or 0), text


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=ENV, check=False)
