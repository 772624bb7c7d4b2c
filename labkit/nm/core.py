"""What every part of the daemon shares: its host, kernel, clock, journal and process.

The daemon is split by concern (settings, devices, activation, IP configuration, autoconnect
policy, restart/assume, presentation), and each part is handed this core: the lab's clock and
timers (which die with the process that armed them), the journal, the configuration the
running process read, and the errors it answers D-Bus calls with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.nm import config as nmconf
from labkit.nm.kernel import HostKernel

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles
    from labkit.model.flavours import NMVersion
    from labkit.nm.uuids import UuidSource


class NMError(Exception):
    """A D-Bus error the daemon returns: `kind` picks nmcli's exit status, str() the text."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # unknown-connection | not-active | invalid | activation | failed ...


@dataclass
class JournalLine:
    """One line the daemon logged: lab time, syslog level, text (journalctl formats it)."""

    when: float
    level: str
    text: str


class NMCore:
    """One host's NetworkManager process as its parts see it."""

    def __init__(self, engine: Engine, host: str, files: LabFiles, version: NMVersion,
                 uuids: UuidSource, epoch: float | None = None) -> None:
        self.engine = engine
        self.host = host
        self.files = files
        self.version = version
        self.uuids = uuids
        self.kernel = HostKernel(engine, host)
        self.epoch = time.time() if epoch is None else epoch
        self.running = False
        self.journal: list[JournalLine] = []
        self.conf = nmconf.NMConfig()
        self._generation = 0  # which process: timers of a stopped one never fire

    @property
    def clock(self) -> Any:
        return self.engine.clock

    def now(self) -> float:
        return self.clock.now()

    def wall(self) -> int:
        """Epoch seconds in the lab (timestamps of profiles)."""
        return int(self.epoch + self.now())

    def log(self, level: str, text: str) -> None:
        self.journal.append(JournalLine(self.now(), level, text))

    def later(self, delay: float, fn: Callable[[], None]) -> Any:
        """A timer on the lab's clock that fires only while this process still runs."""
        generation = self._generation

        def run() -> None:
            if self.running and self._generation == generation:
                fn()
        return self.clock.call_later(delay, run)

    def require_running(self) -> None:
        if not self.running:
            raise NMError("not-running", "NetworkManager is not running.")
