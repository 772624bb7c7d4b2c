"""What the tests of a class's real hub share: free ports for a hub, the test's class (its hub
and first passwords), a class started from roster lines with accounts only the test made (and
removed after it), and the processes a user still has."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from labkit.classroom import command, hub, roster
from labkit.classroom.client import Hub

needs_a_hub = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("npm"),
    reason="a class's hub needs root, useradd and npm")


def free_port_base() -> int:
    """Consecutive free ports for a hub (hub.ports: the public one and those after it)."""
    count = len(hub.ports(0))
    for _ in range(50):
        base = 20000 + secrets.randbelow(20000)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {count} free ports")


class Class(Hub):
    """The test's class: its hub, its first passwords, what its set-up said."""

    def __init__(self, url: str, logins: dict[str, str | None], class_dir: Path,
                 info: dict[str, Any]) -> None:
        super().__init__(url)
        self.logins = logins
        self.class_dir = class_dir
        self.info = info

    def login_as(self, name: str) -> str:
        password = self.logins[name]
        assert password
        return self.login(name, password)

    def log(self) -> str:
        return (self.class_dir / "hub" / "hub.log").read_text(errors="replace")


@contextmanager
def a_class(students: list[str], teachers: list[str], settings: str = "") -> Iterator[Class]:
    """A class of new accounts (refused if one exists), its hub started; everything of it
    stopped and removed after, and the accounts checked gone."""
    names = [*students, *teachers]
    for name in names:
        with pytest.raises(KeyError):  # never an account the test did not make
            pwd.getpwnam(name)
    class_dir = Path(tempfile.mkdtemp(prefix="labkit-class-"))
    os.chmod(class_dir, 0o755)
    (class_dir / "roster").write_text("\n".join(students) + "\n"
                                      + "".join(f"{t} teacher\n" for t in teachers) + settings)
    members = roster.load(class_dir / "roster")
    try:
        info = command.start(members, class_dir, port=free_port_base(),
                             progress=lambda text: None)
        yield Class(info["url"], {n: p for n, _, p in info["logins"]}, class_dir, info)
    finally:
        command.stop(class_dir, remove_accounts=True)
        shutil.rmtree(class_dir, ignore_errors=True)
    for name in names:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def processes_of(uid: int) -> list[str]:
    """Every process running as `uid`: its pid and command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) == uid:
                found.append(f"{entry.name} {cmd}")
    return found
