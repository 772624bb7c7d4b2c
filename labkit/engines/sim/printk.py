"""The simulated kernel's log (printk's ring buffer): what `dmesg` and `journalctl -k` read.

One log per machine (every namespace of a lab shares the kernel, as they share one on the
real machine, so `dmesg` on any host shows the bridge's lines beside the bond's). Records carry
the lab clock's time, the level netdev_err/netdev_warn/netdev_info give them, and a sequence
number; `clear` moves the point a reader starts from (SYSLOG_ACTION_CLEAR: util-linux's dmesg
seeks /dev/kmsg to it with SEEK_DATA), the records themselves stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KERN_ERR, KERN_WARNING, KERN_NOTICE, KERN_INFO = 3, 4, 5, 6
LEVEL_NAMES = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")
LOG_BUF_RECORDS = 4096  # what the ring keeps (the oldest are overwritten, as in the kernel)


@dataclass(frozen=True)
class Record:
    """One printk record: sequence number, lab time in ns, level, text (no newline)."""

    seq: int
    ns: int
    level: int
    text: str
    facility: int = 0  # LOG_KERN

    @property
    def usec(self) -> int:
        return self.ns // 1000


class KernelLog:
    """The ring buffer; `now_ns` is the lab clock."""

    def __init__(self, now_ns: Callable[[], int]) -> None:
        self._now_ns = now_ns
        self._records: list[Record] = []
        self._next_seq = 0
        self.clear_seq = 0

    def printk(self, level: int, text: str) -> None:
        """Append one record per line of `text` (printk splits at newlines)."""
        for line in text.rstrip("\n").split("\n"):
            self._records.append(Record(self._next_seq, self._now_ns(), level, line))
            self._next_seq += 1
        if len(self._records) > LOG_BUF_RECORDS:
            del self._records[:-LOG_BUF_RECORDS]

    def records(self) -> list[Record]:
        """What a reader sees: the records since the last clear."""
        return [r for r in self._records if r.seq >= self.clear_seq]

    def journal(self) -> list[Record]:
        """Every record the ring still holds (the journal keeps what dmesg -C clears)."""
        return list(self._records)

    def clear(self) -> None:
        self.clear_seq = self._next_seq
