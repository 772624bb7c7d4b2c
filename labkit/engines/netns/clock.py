"""Lab time on a real kernel: the wall clock, with the daemons' timers run cooperatively.

The kernel keeps real time on its own; labkit's daemons (NetworkManager, udev) keep theirs on
timers that run whenever the lab is used (each command settles them first and after), so a
notebook left idle loses nothing: the next command catches up, in due order. At boot only,
`skip` lets the daemons' timers jump ahead (a DHCP nobody answers gives up at once), because
the lab starts as a machine that has been up a few minutes.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable

from labkit.engines.base import NS, Timer, to_ns


class WallClock:
    """Seconds since the lab was built: monotonic time plus what `skip` jumped over (timers
    keep integer nanoseconds, as on the sim)."""

    POLL = 0.05  # how often pollers look at the kernel while time passes

    def __init__(self) -> None:
        self._origin = time.monotonic_ns()
        self._skipped = 0
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self.pollers: list[Callable[[], None]] = []  # kernel watchers (new links, ...)

    def now(self) -> float:
        return self._now_ns() / NS

    def _now_ns(self) -> int:
        return time.monotonic_ns() - self._origin + self._skipped

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self._now_ns() + max(0, to_ns(delay)), next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        return timer

    def _next_due(self) -> int | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def settle(self) -> None:
        """Look at the kernel, then run every timer that is due by now, in order."""
        for poll in list(self.pollers):
            poll()
        while True:
            due = self._next_due()
            if due is None or due > self._now_ns():
                return
            timer = heapq.heappop(self._heap)
            timer.callback()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of real time, running timers as they fall due."""
        target = self._now_ns() + max(0, to_ns(seconds))
        while True:
            self.settle()
            left = target - self._now_ns()
            if left <= 0:
                return
            due = self._next_due()
            wait = min(left, to_ns(self.POLL) if self.pollers else left)
            if due is not None:
                wait = min(wait, max(0, due - self._now_ns()))
            time.sleep(wait / NS)

    def skip(self, seconds: float) -> None:
        """Let `seconds` pass for the timers without waiting for them (boot only)."""
        target = self._now_ns() + max(0, to_ns(seconds))
        while True:
            self.settle()
            due = self._next_due()
            if due is None or due > target:
                break
            self._skipped += max(0, due - self._now_ns())
        self._skipped += max(0, target - self._now_ns())
        self.settle()
