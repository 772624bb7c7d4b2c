"""Errors labkit raises to its users: one class per phase, each with a message fit to print."""

from __future__ import annotations


class LabkitError(Exception):
    """Base of every error labkit reports on purpose (never a bug)."""


class TopologyError(LabkitError):
    """A topology failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: list[str], source: str = "topology") -> None:
        self.problems = list(problems)
        self.source = source
        lines = [f"{source}: {len(self.problems)} problem(s):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ScenarioError(LabkitError):
    """A scenario file could not be parsed; names the file and line."""


class EngineUnavailable(LabkitError):
    """The chosen engine cannot run on this machine; the message says what is missing."""


class KernelError(LabkitError):
    """A kernel operation failed, as a netlink or syscall error would.

    `errno` is the positive errno value; `extack` the kernel's extended-ack text when the
    real kernel sends one (iproute2 then prints ``Error: <extack>.``).
    """

    def __init__(self, errno: int, extack: str | None = None) -> None:
        import os

        self.errno = errno
        self.extack = extack
        self.strerror = os.strerror(errno)
        super().__init__(extack or self.strerror)
