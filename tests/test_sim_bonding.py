"""Sim bonding behaviour a shell transcript cannot show, checked against the real kernel.

Gratuitous ARPs after a failover: tests/data/kernel-oracle/garp-N-D.json hold what tcpdump on
`outside` saw on Linux 6.1 after pulling the active slave's cable with `num_grat_arp N
peer_notify_delay D` (scenarios in tests/scenarios/oracle/). Linux 6.1 sends N-1 of them when
D is 0 and N > 1 (the failover tick spends one count without sending: bond_mii_monitor
decrements send_peer_notif after bond_change_active_slave already did), N otherwise, the
first gap one MII interval short. The sim must send as many, as far apart (the VM's timers
drift by some milliseconds, hence the tolerance).
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from labkit import Lab
from labkit.engines.sim.frames import Arp

ORACLE = Path(__file__).parent / "data" / "kernel-oracle"


def real_garp_times(count: int, delay_ms: int) -> list[float]:
    data = json.loads((ORACLE / f"garp-{count}-{delay_ms}.json").read_text())
    assert data["engine"] == "kernel"
    lines = [ln for ln in data["steps"][-1]["out"].splitlines() if "who-has 192.168.1.61 tell "
             "192.168.1.61" in ln]
    return [float(ln.split()[0]) for ln in lines]


def garps_seen_at(lab: Lab, host: str, ip: str) -> list[float]:
    """Start recording when `host` receives a gratuitous ARP for `ip`; returns the times."""
    ns = lab.engine.ns(host)  # type: ignore[union-attr]
    seen: list[float] = []
    original = ns.inet.arp_rcv

    def spy(dev, frame):
        arp = frame.payload
        if isinstance(arp, Arp) and arp.op == 1 and arp.spa == arp.tpa == ip:
            seen.append(ns.world.clock.now())
        return original(dev, frame)

    ns.inet.arp_rcv = spy  # type: ignore[method-assign]
    return seen


@pytest.mark.parametrize("count, delay_ms", [(1, 0), (3, 0), (5, 500)])
def test_num_grat_arp_after_failover(count: int, delay_ms: int) -> None:
    real = real_garp_times(count, delay_ms)
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh(f"ip link add bond0 type bond mode active-backup miimon 100 "
               f"num_grat_arp {count} peer_notify_delay {delay_ms}")
        lab.sh("ip link set ens37 down; ip link set ens38 down")
        lab.sh("ip link set ens37 master bond0; ip link set ens38 master bond0")
        lab.sh("ip link set bond0 up; ip addr add 192.168.1.61/24 dev bond0")
        lab.sleep(3)
        seen = garps_seen_at(lab, "outside", "192.168.1.61")
        lab.unplug("ens37")
        lab.sleep(count * max(delay_ms, 100) / 1000 + 2)
        assert len(seen) == len(real)
        for ours, theirs in zip(_gaps(seen), _gaps(real), strict=True):
            assert abs(ours - theirs) <= 40, (_gaps(seen), _gaps(real))
        fdb = lab.frame("fdb", host="switch")
        assert list(fdb[fdb["mac"] == "00:0c:29:89:51:d4"]["dev"]) == ["sw38"]


def test_no_gratuitous_arp_without_address_or_when_down() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh("ip link add bond0 type bond mode active-backup miimon 100 num_grat_arp 5")
        lab.sh("ip link set ens37 down; ip link set ens38 down")
        lab.sh("ip link set ens37 master bond0; ip link set ens38 master bond0")
        lab.sh("ip link set bond0 up")
        lab.sleep(3)
        seen = garps_seen_at(lab, "outside", "192.168.1.61")
        lab.unplug("ens37")
        lab.sleep(2)
        assert seen == []


def test_miimon_zero_never_fails_over() -> None:
    """A bond made over netlink without miimon (the default 0) never notices a pulled cable."""
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh("ip link add bond0 type bond mode active-backup")
        lab.sh("ip link set ens37 down; ip link set ens38 down")
        lab.sh("ip link set ens37 master bond0; ip link set ens38 master bond0")
        lab.sh("ip link set bond0 up")
        lab.unplug("ens37")
        lab.sleep(5)
        out = lab.sh("cat /proc/net/bonding/bond0").stdout
        assert "Currently Active Slave: ens37" in out and "MII Status: down" not in out


def _gaps(times: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in pairwise(times)]
