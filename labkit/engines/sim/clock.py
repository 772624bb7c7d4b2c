"""A virtual clock with timers: lab time in integer nanoseconds, jumping from one due timer to
the next, so sleeping costs the events it holds, not the seconds it spans.

Time is an int of nanoseconds, so timer arithmetic is exact: a timer set at now + d fires at
exactly that time (never before), and `a - b < d` means `a + d - b > 0`, so a re-arm computed
from a comparison can never land at the instant it was computed. Whether and when a timer
fires is decided by these integers alone.

Float seconds exist at the edges (`now()`, `call_later`, `sleep`), each converted once by
`to_ns`. Every timer also carries `fwhen`, the float time the clock kept before it counted
nanoseconds (the same float sums, so the same rounding). It only orders what falls due at
the same nanosecond (timers, and the end of a sleep, after which commands run) as those sums
ordered it: a bond's 100 ms monitor drifts a little later with every tick, so it goes after
a ping sent at the same instant; without this, exact ties would change which probes a
failover loses in every transcript and notebook recorded before. `now()` is that float (it
differs from now_ns() by rounding only). It never decides whether or when a timer fires: it
is a tie-break within one nanosecond, not a time, so it cannot livelock.

Periodic timers that have nothing to do park in place: such a timer carries its `period` and an
`idle` hint (until when its ticks would do nothing but re-arm). While idle, the clock moves it
along its own grid (last tick + k*period) without running it, in O(1) heap work per real
event, with the place among timers due at the same instant that its skipped re-arms would have
given it; see `_park`. Every observable result is the same as if it had ticked.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from labkit.engines.base import NS, Timer, to_ns

__all__ = ["FOREVER", "NS", "ClockLivelock", "SimTimer", "VirtualClock", "float_sums", "to_ns"]

FOREVER = 1 << 62  # an `idle` hint: nothing to do until the owner's state changes
LIVELOCK_LIMIT = 100_000  # timers run at one instant in one call before it is a livelock
FLOAT_SLACK = 1e-12  # the float clock ran what was due up to target + this


@dataclass(eq=False)
class SimTimer(Timer):
    """A timer of the virtual clock. `fwhen` orders it among timers due at the same ns (see
    the module's docstring); a periodic one may park: `period` (ns) and `fperiod` (the float
    seconds its owner re-arms with), and `idle`, which tells until when its ticks would only
    re-arm it."""

    fwhen: float = 0.0
    period: int = 0
    fperiod: float = 0.0
    idle: Callable[[], int] | None = None


Entry = tuple[int, float, int, SimTimer]  # (when, fwhen, seq, timer): the heap's order


class ClockLivelock(RuntimeError):
    """Timers keep re-arming at one instant without time advancing (a bug in the sim)."""


class VirtualClock:
    """Nanoseconds since the lab booted; timers fire in due order.

    `after_each` runs after every timer (the sim drains its packet backlog there, as softirq
    processing follows each kernel timer).
    """

    def __init__(self) -> None:
        self._now = 0
        self._fnow = 0.0
        self._heap: list[Entry] = []
        self._seq = itertools.count()
        self.after_each: Callable[[], None] = lambda: None

    # -- reading ----------------------------------------------------------------------------
    def now(self) -> float:
        """The current virtual time in seconds (as the float clock had it)."""
        return self._fnow

    def now_ns(self) -> int:
        """The current virtual time in nanoseconds: what the sim computes with."""
        return self._now

    # -- setting timers ---------------------------------------------------------------------
    def _push(self, when: int, fwhen: float, callback: Callable[[], None], period: int = 0,
              fperiod: float = 0.0, idle: Callable[[], int] | None = None) -> SimTimer:
        if idle is not None and period <= 0:
            raise ValueError("a timer that parks needs a period")
        timer = SimTimer(when, next(self._seq), callback, fwhen=fwhen, period=period,
                         fperiod=fperiod, idle=idle)
        heapq.heappush(self._heap, (when, fwhen, timer.seq, timer))
        return timer

    def call_later_ns(self, delay: int, callback: Callable[[], None], *,
                      fdelay: float | None = None, period: int = 0,
                      fperiod: float | None = None,
                      idle: Callable[[], int] | None = None) -> SimTimer:
        """Run `callback` `delay` ns from now. `fdelay` is the float delay the float clock was
        given for it (when not delay/NS exactly). A periodic timer that may park passes its
        `period` (ns; `fperiod` in float seconds as it re-arms) and `idle`: a function giving
        the lab time (ns) before which its ticks would only re-arm it `period` later (0: run
        it; FOREVER: until its state changes). The clock asks it whenever the timer is due."""
        delay = max(0, delay)
        fd = delay / NS if fdelay is None else max(0.0, fdelay)
        return self._push(self._now + delay, self._fnow + fd, callback, period,
                          period / NS if fperiod is None else fperiod, idle)

    def call_at_ns(self, when: int, callback: Callable[[], None], *,
                   fwhen: float | None = None) -> SimTimer:
        """Run `callback` at `when` ns (not before now); `fwhen` as the float clock had it."""
        when = max(when, self._now)
        fw = self._fnow + (when - self._now) / NS if fwhen is None else max(fwhen, self._fnow)
        return self._push(when, fw, callback)

    def call_at(self, when: float, callback: Callable[[], None]) -> SimTimer:
        """Run `callback` at virtual time `when` seconds (not before now)."""
        return self._push(max(to_ns(when), self._now), max(when, self._fnow), callback)

    def call_later(self, delay: float, callback: Callable[[], None]) -> SimTimer:
        """Run `callback` `delay` seconds from now."""
        return self.call_later_ns(to_ns(delay), callback, fdelay=delay)

    # -- letting time pass ------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Let `seconds` pass, running every timer that falls due, in order."""
        self._run(self._now + max(0, to_ns(seconds)), self._fnow + max(0.0, seconds))

    def run_until(self, target: float) -> None:
        """Run timers due up to `target` seconds, then stand at `target`."""
        self._run(to_ns(target), target)

    def settle(self) -> None:
        """Run what is due now (daemons' queued work) without letting time pass."""
        self._run(self._now, self._fnow)

    def sleep(self, seconds: float) -> None:
        """Same as advance: the shell's `sleep` on the sim."""
        self.advance(seconds)

    def skip(self, seconds: float) -> None:
        """Same as advance: virtual time never waits."""
        self.advance(seconds)

    def run_next(self) -> bool:
        """Run the timers of the next instant at which one does something (parked timers
        are not such a thing); False when nothing is left that would."""
        entry = self._next_live()
        if entry is None:
            return False
        self._run(entry[0], entry[1])
        return True

    def next_due(self) -> float | None:
        """When the next timer that will run falls due (parked ones skipped), or None."""
        entry = self._next_live()
        return None if entry is None else entry[1]

    def _next_live(self) -> Entry | None:
        heap = self._heap
        skipped: list[Entry] = []
        found = None
        while heap:
            entry = heap[0]
            timer = entry[3]
            if timer.cancelled:
                heapq.heappop(heap)
                continue
            if timer.idle is not None and timer.idle() > entry[0]:
                skipped.append(heapq.heappop(heap))
                continue
            found = entry
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _run(self, target: int, ftarget: float) -> None:
        """Run timers due up to `target` ns, then stand there (or now, if later). The stand
        is ordered among the timers due at `target` itself as the float clock ordered it."""
        heap = self._heap
        same = 0
        fstop = ftarget + FLOAT_SLACK
        while heap and (heap[0][0] < target or (heap[0][0] == target and heap[0][1] <= fstop)):
            when, fwhen, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            if timer.idle is not None and self._park(timer, when, target, fstop):
                continue
            if when > self._now:
                self._now = when
                same = 0
            else:
                same += 1
                if same > LIVELOCK_LIMIT:
                    raise ClockLivelock(
                        f"sim clock livelock: {same} timers ran at {self._now} ns without time "
                        f"advancing (last: {getattr(timer.callback, '__qualname__', timer)})")
            self._fnow = max(self._fnow, fwhen)
            timer.callback()
            self.after_each()
        if target > self._now:
            self._now = target
        self._fnow = max(self._fnow, ftarget)

    # -- parking ----------------------------------------------------------------------------
    def _park(self, first: SimTimer, when: int, target: int, fstop: float) -> bool:
        """Move `first` (just popped, due at `when`) and the idle periodic timers right
        behind it along their grids without running them; False when `first` has work at
        `when`.

        Nothing runs until the first real event at N: the next timer that is not idle at its
        time, the first tick at which a parked timer stops being idle, or the end of this
        run at `target` (commands may follow there). Each parked timer lands on the first
        tick of its own grid at or after N, or the first after the stand at `target` (a tick
        at `target` itself stands after it when its float is past `fstop`, as in `_run`).
        Its skipped ticks would only
        have re-armed it; its last skipped re-arm falls before N, so it takes a new sequence
        number now (nothing else is set between now and then) and the float time its chain
        of re-arms would have summed to. Those landing at the same instant are numbered in
        the order of that last re-arm (landing - period), then in their present order.
        """
        assert first.idle is not None
        until = first.idle()
        if until <= when:
            return False
        heap = self._heap
        parked = [(first, when)]
        bound = _grid_at_or_after(when, first.period, until)  # where its idleness ends
        while heap:
            w, _, _, timer = heap[0]
            if timer.cancelled:
                heapq.heappop(heap)
                continue
            if timer.idle is None or w >= bound or w > target or (w == target and
                                                                    heap[0][1] > fstop):
                break
            u = timer.idle()
            if u <= w:
                break
            heapq.heappop(heap)
            parked.append((timer, w))
            bound = min(bound, _grid_at_or_after(w, timer.period, u))
        if heap:
            bound = min(bound, heap[0][0])
        landings = []
        for order, (timer, w) in enumerate(parked):
            m, c = timer.period, timer.fperiod
            k = min((_grid_at_or_after(w, m, bound) - w) // m, (target - w) // m + 1)
            if (target - w) % m == 0 and 1 <= (target - w) // m < k:
                at_target = (target - w) // m  # a tick at the stand: before it, or after?
                if float_sums(timer.fwhen, c, at_target) > fstop:
                    k = at_target
            last = float_sums(timer.fwhen, c, k - 1)  # the float sums of the re-arms
            landings.append((w + (k - 1) * m, order, w + k * m, last + c, last, timer))
        for _, _, land, fw, last, timer in sorted(landings, key=lambda x: x[:2]):
            self._fnow = max(self._fnow, last)  # as its last skipped tick ran
            timer.when, timer.fwhen, timer.seq = land, fw, next(self._seq)
            heapq.heappush(heap, (land, fw, timer.seq, timer))
        return True


def _grid_at_or_after(start: int, period: int, t: int) -> int:
    """The first tick start + k*period (k >= 1) at or after `t`."""
    k = max(1, -((start - t) // period))
    return start + k * period


def float_sums(x: float, c: float, k: int) -> float:
    """x + c + c + ... (k float additions, each rounded), in O(binades crossed), not O(k).

    Within one binade [2**(e-1), 2**e) every float is a multiple of its ulp u, so adding
    c > 0 adds round(c / u) ulps each time, unless c / u ends in exactly one half (then the
    rounding depends on parity: those steps are taken one by one), as long as the exact
    sum stays below the binade's top. So runs of additions are one multiplication.
    """
    if k <= 0 or c <= 0.0 or not math.isfinite(x) or x <= 0.0:
        for _ in range(max(0, k)):
            x += c
        return x
    while k > 0:
        e = math.frexp(x)[1]
        u = math.ldexp(1.0, e - 53)
        q = c / u  # exact: u is a power of two
        r = round(q)
        if q - math.floor(q) == 0.5:
            x += c
            k -= 1
            continue
        if r == 0:
            return x  # c is below half an ulp: adding it changes nothing, ever
        n = int(x / u)
        room = math.floor((2 ** 53 - 1 - n - q) / r) + 1  # additions that stay in the binade
        if room < 1:
            x += c
            k -= 1
            continue
        j = min(k, room)
        x = math.ldexp(n + j * r, e - 53)
        k -= j
    return x
