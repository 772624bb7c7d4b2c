"""What nmcli's commands share: exit statuses, errors, the Call they write, and the Context.

main.py parses the global options and hands the Context to the object's commands
(connection.py, device.py, general.py), which import this module, not main.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.nm.nmcli.messages import translator
from labkit.nm.nmcli.output import Mode
from labkit.shell.program import Io

if TYPE_CHECKING:
    from labkit.nm.daemon import NetworkManager, PendingActivation

# exit statuses (man nmcli)
OK, UNKNOWN, USER_INPUT, TIMEOUT, ACTIVATION, DEACTIVATION, DISCONNECT, DELETE = range(8)
NOT_RUNNING, NOT_FOUND = 8, 10


class NmcliExit(Exception):
    """Stop with `Error: ...` (already translated) on stderr and status `rc`."""

    def __init__(self, rc: int, text: str) -> None:
        super().__init__(text)
        self.rc = rc
        self.text = text


class FieldSelection(Exception):
    """`-f` named a column a table does not have; str() is the reason (already translated)."""


@dataclass
class Call(Io):
    """One run of nmcli: what it writes (the shell's Io, whose chunks it keeps), its status,
    and the activation it may still wait for."""

    chunks: list[tuple[int, str]] = field(default_factory=list)
    rc: int = OK
    wait_for: PendingActivation | None = None
    then: Callable[[], None] | None = None  # prints the outcome once wait_for is done
    timeout: float = 90.0


def matches(word: str, name: str) -> bool:
    """nmcli's matches(): `word` is a prefix of `name`."""
    return bool(word) and name.startswith(word)


class Context:
    """What every nmcli command works with: the daemon, the language, the output mode
    the global options chose, and the Call being written."""

    def __init__(self, daemon: NetworkManager | None, locale: str = "C",
                 version: tuple[int, int] = (1, 42), version_text: str = "1.42.4") -> None:
        self.nm = daemon
        self.locale = locale
        self.tr = translator(locale, version)
        self.version = version
        self.version_text = version_text
        self.mode = Mode()
        self.fields: str | None = None
        self.get_values = False
        self.mode_specified = False
        self.call = Call()

    # -- helpers for the commands ------------------------------------------------------------
    def out(self, text: str) -> None:
        self.call.out(text)

    def fail(self, rc: int, text: str) -> NmcliExit:
        return NmcliExit(rc, text)

    def table_fields(self, selectable: tuple[str, ...], common: tuple[str, ...],
                     everything: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The columns `-f`/`-g` chose for a table: "common" (or nothing), "all" (`everything`,
        by default every `selectable` column), or names in any case. A refusal raises
        FieldSelection with nm_meta_selection's message; each view words the error itself."""
        spec = self.fields
        if spec is None or spec.lower() == "common":
            return common
        if spec.lower() == "all":
            return everything or selectable
        out = []
        for item in spec.split(","):
            name = item.strip()
            if name.lower() in ("all", "common"):
                raise FieldSelection(self.tr("field '%s' has to be alone") % name)
            if name.upper() not in selectable:
                raise FieldSelection(self.tr("invalid field '%s%s%s%s%s'; %s%s%s") % (
                    "", "", name, "", "", "allowed fields: ", ",".join(selectable), ""))
            out.append(name.upper())
        return tuple(out)

    @property
    def daemon(self) -> NetworkManager:
        if self.nm is None or not self.nm.running:
            raise NmcliExit(NOT_RUNNING, self.tr("Error: NetworkManager is not running."))
        return self.nm
