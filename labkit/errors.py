"""Errors labkit raises to its users: one class per phase, each with a message fit to print.

A message quotes what the user gave only through `quote` (shortened, control and bidi
characters escaped), so an error never prints a whole line of an arbitrary file, nor text that
reorders or hides the rest of the terminal. In IPython and Jupyter a LabkitError shows as its
sentence alone (`_render_traceback_`); `%xmode verbose` brings the full traceback back.
labkit's own words in them are in the language spoken where they are raised (labkit.i18n).
"""

from __future__ import annotations

import reprlib
import sys
from typing import Any

from labkit.i18n import _, ngettext

QUOTE_MAX = 40  # characters of a user's value a message shows
PROBLEMS_SHOWN = 20  # problems a TopologyError's message lists; `.problems` holds them all

_short = reprlib.Repr()
_short.maxlevel, _short.maxlist, _short.maxtuple, _short.maxdict = 2, 4, 4, 4
_short.maxset = _short.maxfrozenset = _short.maxdeque = _short.maxarray = 4
_short.maxstring, _short.maxother, _short.maxlong = QUOTE_MAX, QUOTE_MAX, QUOTE_MAX


def escape(text: str, limit: int = 200) -> str:
    """`text` with every unprintable character written as a Python escape, at most `limit`
    characters long (then '…'): for file names and parser messages shown unquoted."""
    out: list[str] = []
    size = 0
    for ch in text:
        piece = ch if ch.isprintable() else ascii(ch)[1:-1]
        if size + len(piece) > limit:
            out.append("…")
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def quote(value: Any, limit: int = QUOTE_MAX) -> str:
    """A user's value as a message shows it: a string in quotes, escaped and shortened;
    anything else as a short repr (nested containers and huge numbers cut down)."""
    if isinstance(value, str):
        return "'" + escape(value, limit).replace("'", "\\'") + "'"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int) and value.bit_length() > 128:
        return _("an integer of {bits} bits").format(bits=value.bit_length())
    try:
        return escape(_short.repr(value), limit * 2)
    except Exception:  # a value whose repr fails still gets a sentence
        return _("a {type}").format(type=type(value).__name__)


def kind(value: Any) -> str:
    """What a wrong value is, for 'X must be …, not <kind>' sentences."""
    if value is None:
        return "None"
    return f"the {type(value).__name__} {quote(value)}"


class LabkitError(Exception):
    """Base of every error labkit reports on purpose (never a bug)."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: its sentence, coloured as IPython colours an
        error's name, without the traceback (the sentence says all the learner needs)."""
        shell = _ipython()
        if shell is not None:
            tb = shell.InteractiveTB
            if getattr(tb, "mode", "") == "Verbose":  # %xmode verbose: a developer debugging
                return tb.structured_traceback(type(self), self, self.__traceback__)
            return [line.rstrip("\n") for line in tb.get_exception_only(type(self), self)]
        return [f"{type(self).__name__}: {self}"]


def _ipython() -> Any:
    """The running IPython shell, if IPython is loaded and one runs."""
    if "IPython" not in sys.modules:
        return None
    try:
        return sys.modules["IPython"].get_ipython()
    except Exception:
        return None


class UsageError(LabkitError):
    """A public function of labkit was called wrongly; the message names the argument.

    Raised as one of its two subclasses, which are also Python's own TypeError and
    ValueError, so code written against Python's conventions (`except ValueError`) still
    catches them.
    """


class UsageTypeError(UsageError, TypeError):
    """An argument of the wrong type (a str where a number belongs, None for a command)."""


class UsageValueError(UsageError, ValueError):
    """An argument of the right type and a wrong value (a negative time, no checks at all)."""


class TopologyError(LabkitError):
    """A topology failed validation; carries every problem found, not just the first.

    One problem reads as one sentence; several as a list (the first PROBLEMS_SHOWN of them,
    and how many more; `problems` holds them all).
    """

    def __init__(self, problems: list[str], source: str = "topology") -> None:
        self.problems = list(problems)
        self.source = source
        where = escape(source, 120)
        if len(self.problems) == 1:
            super().__init__(f"{where}: {self.problems[0]}")
            return
        lines = [ngettext("{where}: {n} problem:", "{where}: {n} problems:",
                          len(self.problems)).format(where=where, n=len(self.problems))]
        lines += [f"  - {p}" for p in self.problems[:PROBLEMS_SHOWN]]
        if len(self.problems) > PROBLEMS_SHOWN:
            lines.append("  " + _("… and {n} more").format(n=len(self.problems) - PROBLEMS_SHOWN))
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
