"""What the terminal types into: a lab of its own (LocalBackend) or the lab a notebook's kernel
serves over a Unix socket (labkit.terminal.client.RemoteBackend). The REPL sees only this."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from labkit.errors import LabkitError
from labkit.shell.result import prompt_for
from labkit.terminal.complete import complete, state_of

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage


class Backend(Protocol):
    """A host's shell, one line at a time."""

    def prompt(self) -> str:
        """The host's prompt now (its hostname may have changed)."""

    def run(self, line: str) -> tuple[str, int]:
        """Run one line: its terminal text (stdout and stderr in order) and exit status.
        KeyboardInterrupt stops it, as Ctrl-C stops a command in bash."""

    def complete(self, line: str, cursor: int) -> list[str]:
        """Candidates for the word before `cursor`."""

    def close(self) -> None:
        """Leave the shell (a lab of its own is destroyed)."""


def hostname_of(lab: LabFrontage, host: str) -> str:
    """The host's short hostname, as bash's \\h shows it: the system's (what NetworkManager
    set, `localhost` on the centos7 flavour), else /etc/hostname's, else the lab's name."""
    system = lab.systems.get(host)
    if system is not None and getattr(system, "hostname", None):
        return str(system.hostname).split(".")[0]
    try:
        assert lab.shell is not None
        text = lab.shell.read_path(host, "/etc/hostname")
    except Exception:  # no file, or an engine that cannot read it: the lab's name for the host
        return host
    name = text.strip().split("\n")[0].strip().split(".")[0]
    return name or host


def lab_prompt(lab: LabFrontage, host: str) -> str:
    return prompt_for(hostname_of(lab, host))


class LabBackend:
    """A host of a running lab; `lock` serialises the lab's users (terminal clients)."""

    def __init__(self, lab: LabFrontage, host: str = "server", *, owns_lab: bool = False,
                 lock: threading.RLock | None = None) -> None:
        if host not in lab.topology.host_names():
            raise LabkitError(f"no host {host!r} in this lab (hosts: "
                              f"{', '.join(lab.topology.host_names())})")
        self.lab = lab
        self.host = host
        self.owns_lab = owns_lab
        self.lock = lock or threading.RLock()

    def prompt(self) -> str:
        with self.lock:
            return lab_prompt(self.lab, self.host)

    def run(self, line: str) -> tuple[str, int]:
        with self.lock:
            result = self.lab.typed(line, host=self.host)  # a person's line; tells the dashboard
        return result.stdout, result.returncode

    def complete(self, line: str, cursor: int) -> list[str]:
        with self.lock:
            return complete(line, cursor, state_of(self.lab, self.host))

    def close(self) -> None:
        if self.owns_lab:
            self.lab.close()
