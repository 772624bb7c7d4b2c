"""The sim's clock: lab time costs events, not seconds, and nothing hangs.

Integer nanoseconds make timer arithmetic exact (the float clock let a neighbour timer re-arm
at the very instant it fired, forever: `ping -c 100` never returned). Periodic timers with
nothing to do park; parked or ticking, everything observable is the same, which the tests
below check by running the same lab both ways (parking switched off = the old ticking).
Every hang-prone sequence runs under an alarm, so a regression fails instead of hanging.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit import Lab
from labkit.engines.sim.bonding import Bond
from labkit.engines.sim.bridge import Bridge
from labkit.engines.sim.clock import NS, ClockLivelock, VirtualClock, float_sums

HANG_GUARD = 60  # seconds of wall time before a sequence counts as hung


class Hung(Exception):
    """A sequence ran past its alarm: it would have hung the suite."""


@contextmanager
def alarm(seconds: int = HANG_GUARD) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the body runs longer than `seconds`."""
    def hung(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s of wall time")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def stats(out: str) -> tuple[int, int]:
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


# -- what used to hang ------------------------------------------------------------------------
def test_ping_100_returns() -> None:
    with alarm(), Lab(engine="sim") as lab:
        result = lab.sh("ping -c 100 192.168.1.1")
    assert result.returncode == 0
    assert stats(result.stdout) == (100, 100)


def test_ping_40_then_sleep_40_returns() -> None:
    with alarm(), Lab(engine="sim") as lab:
        assert stats(lab.sh("ping -c 40 192.168.1.1").stdout) == (40, 40)
        before = lab.engine.clock.now_ns()  # type: ignore[union-attr]
        assert lab.sh("sleep 40").returncode == 0
        assert lab.engine.clock.now_ns() - before == 40 * NS  # type: ignore[union-attr]
        assert stats(lab.sh("ping -c 3 192.168.1.1").stdout) == (3, 3)


def test_ping_1000_at_5_per_second_from_the_server() -> None:
    with alarm(), Lab(engine="sim") as lab:
        result = lab.sh("ping -c 1000 -i 0.2 192.168.1.1")
    assert result.returncode == 0
    assert stats(result.stdout) == (1000, 1000)
    assert "time 199800ms" in result.stdout  # 999 intervals of exactly 200 ms


def walkthrough_bond(lab: Lab) -> None:
    """The walkthrough's active-backup bond, built with nmcli (192.168.1.61 on bond0)."""
    for cmd in ("nmcli connection add type bond autoconnect no con-name bond0 ifname bond0 "
                "mode active-backup",
                "nmcli connection add type bond-slave autoconnect no ifname ens37 master bond0",
                "nmcli connection add type bond-slave autoconnect no ifname ens38 master bond0",
                'nmcli c mod bond0 ipv4.method manual ipv4.address "192.168.1.61/24" '
                'ipv4.gateway "192.168.1.1" ipv6.method ignore',
                "nmcli c m ens37 connection.autoconnect no",
                "nmcli c m ens38 connection.autoconnect no",
                "nmcli c m bond-slave-ens37 connection.autoconnect yes",
                "nmcli c m bond-slave-ens38 connection.autoconnect yes",
                "nmcli c m bond0 connection.autoconnect yes",
                "systemctl restart NetworkManager"):
        lab.sh(cmd)
    lab.sleep(5)


def test_ping_1000_from_outside_to_the_bond() -> None:
    with alarm(), Lab(engine="sim") as lab:
        walkthrough_bond(lab)
        result = lab.sh("ping -c 1000 -i 0.2 192.168.1.61", host="outside")
    assert stats(result.stdout) == (1000, 1000)


def test_sleep_a_day_returns() -> None:
    with alarm(), Lab(engine="sim") as lab:
        before = lab.engine.clock.now_ns()  # type: ignore[union-attr]
        assert lab.sh("sleep 86400").returncode == 0
        assert lab.engine.clock.now_ns() - before == 86400 * NS  # type: ignore[union-attr]
        assert stats(lab.sh("ping -c 2 192.168.1.1").stdout) == (2, 2)


def callbacks_during(lab: Lab, seconds: float) -> int:
    """How many timer callbacks the clock ran while `seconds` of lab time passed."""
    clock = lab.engine.clock  # type: ignore[union-attr]
    count = 0
    after = clock.after_each

    def counting() -> None:
        nonlocal count
        count += 1
        after()

    clock.after_each = counting
    try:
        lab.sleep(seconds)
    finally:
        clock.after_each = after
    return count


def test_an_idle_hour_runs_events_not_ticks() -> None:
    """A bond with miimon 100 would tick 36,000 times an hour, the switch's ageing 3,600
    times: parked, an hour without NetworkManager runs a handful of timers."""
    with alarm(), Lab(engine="sim", networkmanager=False) as lab:
        kernel_bond(lab)
        lab.sleep(10)
        assert callbacks_during(lab, 3600) < 100
        assert "MII Status: up" in lab.sh("cat /proc/net/bonding/bond0").stdout


# -- the clock's arithmetic -------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5 * NS), st.integers(0, 3)), min_size=1, max_size=30),
       st.lists(st.integers(0, 2 * NS), min_size=1, max_size=10))
def test_a_timer_fires_exactly_when_due_never_before(timers: list[tuple[int, int]],
                                                     sleeps: list[int]) -> None:
    """Timers set at now + d (some set from inside other timers) fire once each, at exactly
    now + d in integer nanoseconds, in order of time; the clock stands where it was sent."""
    clock = VirtualClock()
    fired: list[tuple[int, int, tuple[int, ...]]] = []  # (due, fired at, which)

    def arm(i: tuple[int, ...], delay: int, children: int) -> None:
        due = clock.now_ns() + delay

        def fire() -> None:
            fired.append((due, clock.now_ns(), i))
            for c in range(children):
                arm((*i, c), delay // (c + 2), 0)
        clock.call_later_ns(delay, fire)

    for i, (delay, children) in enumerate(timers):
        arm((i,), delay, children)
    expected = 0
    for step in sleeps:
        expected += round(step / NS * NS)  # seconds in, converted once to whole ns
        clock.sleep(step / NS)
        assert clock.now_ns() == expected
    clock.sleep(100)
    assert all(due == at for due, at, _ in fired)
    assert [at for _, at, _ in fired] == sorted(at for _, at, _ in fired)
    assert len(fired) == len(timers) + sum(children for _, children in timers)
    assert len({i for _, _, i in fired}) == len(fired)


def test_a_cancelled_timer_never_fires_and_seconds_convert_once() -> None:
    clock = VirtualClock()
    seen: list[int] = []
    t = clock.call_later(0.3, lambda: seen.append(1))
    clock.call_later(0.1 + 0.2, lambda: seen.append(clock.now_ns()))  # 0.30000000000000004
    t.cancel()
    clock.sleep(0.3)
    assert seen == [300_000_000]
    for _ in range(10):
        clock.sleep(0.1)
    assert clock.now_ns() == 1_300_000_000  # ten float 0.1 steps add up exactly


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-6, 1e7), st.sampled_from([0.1, 0.05, 0.013, 0.2, 0.5, 1.0, 0.004, 0.3])
       | st.floats(1e-9, 10.0), st.integers(0, 20_000))
def test_a_parked_timers_float_sums_are_the_ones_ticking_makes(x: float, c: float,
                                                                k: int) -> None:
    """A parked timer's tie-break float is what k re-arms would have summed, one by one."""
    expected = x
    for _ in range(k):
        expected += c
    assert float_sums(x, c, k) == expected


def test_a_timer_rearming_at_its_own_instant_is_a_livelock_error() -> None:
    clock = VirtualClock()

    def again() -> None:
        clock.call_later_ns(0, again)

    clock.call_later_ns(NS, again)
    with alarm(), pytest.raises(ClockLivelock, match="again"):
        clock.sleep(2)


# -- parked timers are invisible --------------------------------------------------------------
def kernel_bond(lab: Lab, options: str = "miimon 100") -> None:
    lab.sh(f"ip link add bond0 type bond mode active-backup {options}")
    lab.sh("ip link set ens37 down; ip link set ens38 down")
    lab.sh("ip link set ens37 master bond0; ip link set ens38 master bond0")
    lab.sh("ip link set bond0 up; ip addr add 192.168.1.61/24 dev bond0")


@contextmanager
def ticking(monkeypatch: pytest.MonkeyPatch, parked: bool) -> Iterator[list[tuple[str, int]]]:
    """Parking as built (parked=True) or switched off (every tick runs, as before it); yields
    the (what, lab time in ns) of every MII commit (a link changing state) and every peer
    notification (gratuitous ARPs)."""
    commits: list[tuple[str, int]] = []
    commit, notify = Bond._miimon_commit, Bond._notify_peers

    def commit_spy(self: Bond) -> None:
        commits.append(("commit", self.ns.world.clock.now_ns()))
        commit(self)

    def notify_spy(self: Bond) -> None:
        commits.append(("notify", self.ns.world.clock.now_ns()))
        notify(self)

    with monkeypatch.context() as m:
        m.setattr(Bond, "_miimon_commit", commit_spy)
        m.setattr(Bond, "_notify_peers", notify_spy)
        if not parked:
            m.setattr(Bond, "_mii_idle_until", lambda self: 0)
            m.setattr(Bridge, "_gc_idle_until", lambda self: 0)
        yield commits


def failover(options: str, interval: str, pull_ms: int, back_ms: int | None,
             idle_s: int) -> list[object]:
    """Everything a learner could see of a failover after an idle stretch."""
    with Lab(engine="sim", networkmanager=False) as lab:
        kernel_bond(lab, options)
        lab.sleep(idle_s)
        lab.sh(f"ping -c 40 -i {interval} 192.168.1.61 &", host="outside")
        lab.sleep(pull_ms / 1000)
        lab.unplug("ens37")
        if back_ms is not None:
            lab.sleep(back_ms / 1000)
            lab.plug("ens37")
        lab.sleep(3)
        return [lab.sh("wait", host="outside").stdout,
                lab.sh("cat /proc/net/bonding/bond0").stdout,
                lab.sh("ip neigh", host="outside").stdout,
                lab.sh("ip -s link show eth0", host="outside").stdout,
                lab.sh("bridge fdb show br0", host="switch").stdout,
                lab.sh("ip -d link show br0", host="switch").stdout,
                lab.engine.clock.now()]  # type: ignore[union-attr]


def both_ways(monkeypatch: pytest.MonkeyPatch, *args: object) -> None:
    with ticking(monkeypatch, parked=False) as ticked:
        before = failover(*args)  # type: ignore[arg-type]
    with ticking(monkeypatch, parked=True) as parked:
        after = failover(*args)  # type: ignore[arg-type]
    assert parked == ticked  # every link change at the same nanosecond
    assert after == before


def test_a_parked_monitor_sees_a_pulled_cable_at_its_next_tick(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The cable goes at a time off the 100 ms grid; the next tick of the monitor's own phase
    (from when the bond came up) sees it, parked or not."""
    with ticking(monkeypatch, parked=True) as commits, \
            Lab(engine="sim", networkmanager=False) as lab:
        kernel_bond(lab)
        bond = lab.engine.ns("server").get("bond0")  # type: ignore[union-attr]
        assert isinstance(bond, Bond)
        lab.sleep(1000.037)
        pulled = lab.engine.clock.now_ns()  # type: ignore[union-attr]
        lab.unplug("ens37")
        lab.sleep(1)
        period = 100 * 1_000_000
        first_tick_after = bond.opened_at - ((bond.opened_at - pulled) // period) * period
        assert [t for what, t in commits if what == "commit" and t >= pulled] == [
            first_tick_after]
        assert "Currently Active Slave: ens38" in lab.sh("cat /proc/net/bonding/bond0").stdout


@pytest.mark.parametrize("options, interval, pull_ms, back_ms, idle_s", [
    ("miimon 100", "0.05", 500, None, 3),
    ("miimon 100", "0.1", 1000, 300, 400),
    ("miimon 500 downdelay 1000", "0.2", 350, None, 30),
    ("miimon 100 updelay 300 downdelay 200", "0.013", 777, 150, 3600),
    ("miimon 100 num_grat_arp 5 peer_notify_delay 300", "0.1", 450, None, 60),
])
def test_parked_and_ticking_see_the_same_failover(
        monkeypatch: pytest.MonkeyPatch, options: str, interval: str, pull_ms: int,
        back_ms: int | None, idle_s: int) -> None:
    with alarm(120):
        both_ways(monkeypatch, options, interval, pull_ms, back_ms, idle_s)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(miimon=st.sampled_from([50, 100, 250, 1000]), downdelay=st.integers(0, 3),
       updelay=st.integers(0, 2), garps=st.integers(1, 4), notify_delay=st.integers(0, 2),
       interval=st.sampled_from(["0.01", "0.05", "0.1", "0.3"]), pull_ms=st.integers(0, 2000),
       back_ms=st.one_of(st.none(), st.integers(0, 1500)), idle_s=st.integers(0, 400))
def test_parked_and_ticking_agree_on_any_failover(
        monkeypatch: pytest.MonkeyPatch, miimon: int, downdelay: int, updelay: int,
        garps: int, notify_delay: int, interval: str, pull_ms: int, back_ms: int | None,
        idle_s: int) -> None:
    options = (f"miimon {miimon} downdelay {downdelay * miimon} updelay {updelay * miimon} "
               f"num_grat_arp {garps} peer_notify_delay {notify_delay * miimon}")
    with alarm(120):
        both_ways(monkeypatch, options, interval, pull_ms, back_ms, idle_s)


def fdb_over_time(steps: list[float]) -> list[str]:
    """The switch's table as a MAC used once (outside, for one ping) ages out of it."""
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh("ip link set eth0 address 00:0c:29:00:00:99; ping -c 1 192.168.1.1; "
               "ip link set eth0 address 00:0c:29:00:00:01", host="outside")
        seen = []
        for step in steps:
            lab.sleep(step)
            seen.append(lab.sh("bridge fdb show br0", host="switch").stdout)
            seen.append(lab.sh("ip -d link show br0", host="switch").stdout)
        return seen


def test_the_switch_forgets_at_the_same_second_parked_or_ticking(
        monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [299.0, 0.5, 0.4, 0.2, 0.9, 1.0, 30.0]  # learned entries age out at 300 s
    with ticking(monkeypatch, parked=False):
        before = fdb_over_time(steps)
    with ticking(monkeypatch, parked=True):
        after = fdb_over_time(steps)
    assert after == before
    gone = [":99 " not in table for table in before[::2]]
    assert gone == [False, False, False, True, True, True, True]  # at 300 s, not before
