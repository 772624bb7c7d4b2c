"""The contract between the shell and its programs: what a program gets and gives back.

A program is a function of one `Invocation` (argv, stdin, host, the shell that runs it) that
writes to the invocation's `Io` and returns its exit status, or a `Pending` when it keeps
running in lab time (ping, sleep). Programs import this module, not the shell's session, so
the session may import the programs without a circle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles
    from labkit.shell.variables import Variables
    from labkit.system.host import HostSystem


class Io:
    """What a program wrote, in order, to stdout (1) and stderr (2)."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, str]] = []

    def out(self, text: str) -> None:
        if text:
            self.chunks.append((1, text))

    def err(self, text: str) -> None:
        if text:
            self.chunks.append((2, text))

    def text(self, fd: int | None = None) -> str:
        return "".join(t for f, t in self.chunks if fd is None or f == fd)


class Pending(Protocol):
    """A program still running (ping, sleep): waited for, or left running in the background."""

    @property
    def done(self) -> bool: ...

    def wait(self) -> None:
        """Let time pass until the program ends."""

    def finish(self) -> int:
        """Write the program's output and return its exit status (once done)."""


class Shell(Protocol):
    """What a program may ask of the shell that runs it (session.Shell is the one there is):
    the lab's engine, files and hosts' userspace, paths as bash sees them, jobs, variables."""

    @property
    def engine(self) -> Engine: ...

    @property
    def files(self) -> LabFiles: ...

    @property
    def systems(self) -> dict[str, HostSystem]: ...

    def read_path(self, host: str, path: str) -> str:
        """A file of `host` (/proc and /sys from the engine)."""
        ...

    def is_dir(self, host: str, path: str) -> bool: ...

    def check_dir(self, host: str, path: str) -> None:
        """Return if `path` is a directory of `host`, else raise chdir(2)'s OSError."""
        ...

    def list_dir(self, host: str, path: str) -> list[str]: ...

    def wait_jobs(self, host: str) -> str:
        """`wait`: finish the host's background jobs; their output."""
        ...

    def vars(self, host: str) -> Variables:
        """The shell variables of `host`'s shell."""
        ...


@dataclass
class Invocation:
    """One run of one program: its argv, stdin, host and output."""

    argv: list[str]
    stdin: str
    host: str
    shell: Shell
    io: Io = field(default_factory=Io)

    @property
    def engine(self) -> Engine:
        return self.shell.engine

    def out(self, text: str) -> None:
        self.io.out(text)

    def err(self, text: str) -> None:
        self.io.err(text)


Program = Callable[[Invocation], "int | Pending"]




def strerror(exc: OSError) -> str:
    """The words a C program's perror() would print for `exc` (glibc's strerror)."""
    if isinstance(exc, FileNotFoundError):
        return "No such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "Is a directory"
    if isinstance(exc, NotADirectoryError):
        return "Not a directory"
    if isinstance(exc, PermissionError):
        return "Permission denied"
    return os.strerror(exc.errno) if exc.errno else str(exc)
