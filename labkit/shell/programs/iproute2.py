"""What `ip` and `bridge` share from iproute2 6.1's lib/utils.c: the keyword prefix rule, the
NEXT_ARG cursor, its usage errors and their exit statuses, and how a netlink error is reported.

Both programs raise IpExit where iproute2 prints and exits, and catch it at their top, so each
message and status has one home here.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.errors import KernelError


class IpExit(Exception):
    """Stop `ip` or `bridge` with a status, `message` printed to stderr (iproute2's exit())."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def matches(word: str, keyword: str) -> bool:
    """iproute2's matches(): `word` is a non-empty prefix of `keyword`."""
    return bool(word) and keyword.startswith(word)


def invarg(msg: str, arg: str) -> IpExit:
    return IpExit(255, f'Error: argument "{arg}" is wrong: {msg}\n')


def duparg(key: str, arg: str) -> IpExit:
    return IpExit(255, f'Error: duplicate "{key}": "{arg}" is the second value.\n')


def duparg2(key: str, arg: str) -> IpExit:
    return IpExit(255, f'Error: either "{key}" is duplicate, or "{arg}" is a garbage.\n')


INCOMPLETE = IpExit(255, 'Command line is not complete. Try option "help"\n')


def nodev(name: str) -> IpExit:
    return IpExit(1, f'Cannot find device "{name}"\n')


def rtnl_error(exc: KernelError) -> IpExit:
    """How iproute2 reports a netlink error: the extack message, or strerror."""
    if exc.extack:
        msg = exc.extack if exc.extack.endswith(".") else exc.extack + "."
        return IpExit(2, f"Error: {msg}\n")
    return IpExit(2, f"RTNETLINK answers: {exc.strerror}\n")


@dataclass
class Args:
    """A cursor over argv with iproute2's NEXT_ARG semantics."""

    words: list[str]
    pos: int = 0

    def more(self) -> bool:
        return self.pos < len(self.words)

    def peek(self) -> str:
        return self.words[self.pos]

    def take(self) -> str:
        word = self.words[self.pos]
        self.pos += 1
        return word

    def next_arg(self) -> str:
        """NEXT_ARG: the value after the current keyword, or 'Command line is not complete'."""
        if self.pos >= len(self.words):
            raise INCOMPLETE
        return self.take()

    def rest(self) -> list[str]:
        return self.words[self.pos:]
