"""A virtual clock with timers: sleeping runs every timer due, in order, and takes no wall time."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from labkit.engines.base import Timer


class VirtualClock:
    """Seconds since the lab booted; `advance` fires timers in due order.

    `after_each` runs after every timer (the sim drains its packet backlog there, as softirq
    processing follows each kernel timer).
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self.after_each: Callable[[], None] = lambda: None

    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` at virtual time `when` (not before now)."""
        timer = Timer(max(when, self._now), next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` `delay` seconds from now."""
        return self.call_at(self._now + delay, callback)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass, running every timer that falls due, in order."""
        self.run_until(self._now + max(0.0, seconds))

    def run_until(self, target: float) -> None:
        """Run timers due up to `target`, then stand at `target`."""
        while self._heap and self._heap[0].when <= target + 1e-12:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, timer.when)
            timer.callback()
            self.after_each()
        self._now = max(self._now, target)

    def sleep(self, seconds: float) -> None:
        """Same as advance: the shell's `sleep` on the sim."""
        self.advance(seconds)

    def skip(self, seconds: float) -> None:
        """Same as advance: virtual time never waits."""
        self.advance(seconds)

    def settle(self) -> None:
        """Run what is due now (daemons' queued work) without letting time pass."""
        self.run_until(self._now)

    def next_due(self) -> float | None:
        """When the next live timer falls due, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None
