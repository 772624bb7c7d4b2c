"""The sim bridge's flood tally: multicast frames the far end discards are counted, not carried.

A Linux bridge with no multicast querier floods every NIC's DAD, MLD and router-solicitation
frames to every port; nearly every copy is discarded where it lands, yet counts on the port
(tx) and on the NIC at the cable's far end (rx). The sim adds such a frame to a tally that
both ends settle into their counters when read (labkit/engines/sim/bridge.py). What these
tests pin:
- the numbers are the ones the sim printed before the tally (measured at commit dbe5800, which
  carried every copy), and every observable output of a long scenario (counters, fdb, port
  numbers, addresses, neighbours, pings) is identical to the sim with the tally switched off;
- a receiver that acts (a router's interface, a bond slave, a host-side bridge port) still
  gets every copy;
- the tally is really used: building a lab does work in proportion to its hosts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import labkit.model.topology as topology_module
from labkit import Lab
from labkit.engines.sim.addrconf import Addrconf
from labkit.engines.sim.bridge import Bridge
from labkit.engines.sim.world import World
from labkit.model import schema
from labkit.model.topology import Topology


def flat(hosts: int) -> dict[str, Any]:
    """`hosts` hosts h0.. with one NIC eth0 each on one switch (its ports p1..)."""
    return {"name": f"flat{hosts}", "switch": {"mac": "02:00:00:00:00:ff"},
            "hosts": [{"name": f"h{i}", "nics": [{
                "name": "eth0", "mac": f"02:00:00:01:00:{i + 1:02x}", "port": f"p{i + 1}",
                "port_mac": f"02:00:00:02:00:{i + 1:02x}",
                "addresses": [f"10.0.0.{i + 1}/16"]}]} for i in range(hosts)]}


def topology(hosts: int, monkeypatch: pytest.MonkeyPatch) -> Topology:
    """The flat topology, however big (the lab's host limit lifted for this test only)."""
    for module in (schema, topology_module):
        monkeypatch.setattr(module, "MAX_HOSTS", 10**6)
    return Topology.from_dict(flat(hosts))


def carry_every_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sim as it was: no frame is inert, so every flooded copy is carried and received."""
    monkeypatch.setattr(World, "inert_frame", staticmethod(lambda frame: False))


def counters(lab: Lab) -> dict[str, tuple[int, int, int, int, int]]:
    """host/device -> rx packets, rx bytes, tx packets, tx bytes, tx dropped (as read by ip)."""
    assert lab.engine is not None
    out = {}
    for host, ns in lab.engine.world.namespaces.items():
        for dev in ns.ordered():
            c = dev.counters
            out[f"{host}/{dev.name}"] = (c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes,
                                         c.tx_dropped)
    return out


# The 4-host flat lab right after start(), as the sim printed it at dbe5800 (every copy carried).
# Each host sends 6 frames (516 bytes) in its first 5 s; a port sends on what the others flood,
# less what was flooded before it was forwarding; the bridge device receives all 24.
BEFORE_TALLY_4_HOSTS = {
    "switch/lo": (0, 0, 0, 0, 0), "switch/br0": (24, 2064, 0, 0, 0),
    "switch/p1": (6, 516, 18, 1548, 0), "switch/p2": (6, 516, 17, 1458, 0),
    "switch/p3": (6, 516, 16, 1368, 0), "switch/p4": (6, 516, 15, 1278, 0),
    "h0/lo": (0, 0, 0, 0, 0), "h0/eth0": (18, 1548, 6, 516, 0),
    "h1/lo": (0, 0, 0, 0, 0), "h1/eth0": (17, 1458, 6, 516, 0),
    "h2/lo": (0, 0, 0, 0, 0), "h2/eth0": (16, 1368, 6, 516, 0),
    "h3/lo": (0, 0, 0, 0, 0), "h3/eth0": (15, 1278, 6, 516, 0),
}


def test_a_flooded_frame_counts_on_every_port_and_every_host_as_before(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lab = Lab(topology(4, monkeypatch), engine="sim", networkmanager=False).start()
    try:
        assert counters(lab) == BEFORE_TALLY_4_HOSTS
        # what the learner reads: ip -s link on a host and on the switch
        out = lab.sh("ip -s link show eth0", host="h2").stdout
        rx, tx = re.findall(r"^\s+(\d+)\s+(\d+)\s+0\s+0\s+0\s+0\s*$", out, re.M)
        assert rx == ("1368", "16") and tx == ("516", "6"), out
        out = lab.sh("ip -s link show p4", host="switch").stdout
        assert re.findall(r"^\s+(\d+)\s+(\d+)\s", out, re.M)[:2] == [("516", "6"),
                                                                    ("1278", "15")], out
        # reading settles: a second read, and a read of the other end first, change nothing
        assert counters(lab) == BEFORE_TALLY_4_HOSTS
    finally:
        lab.close()


# A scenario through every change that decides whether a port's far end discards a flood:
# links down and up, a NIC enslaved to a bond and released, a NIC made a host bridge's port,
# a link deleted, switch ports disabled, removed, renamed and re-added (port numbers reused),
# fdb entries ageing out, pings.
SCENARIO = [
    ("h1", "ip link set eth0 down"),
    ("h2", "sleep 1; ip link set eth0 up; sleep 2; ping -c 2 10.0.0.1"),
    ("h1", "ip link set eth0 up; sleep 30"),
    ("h3", "ip link add bond1 type bond; ip link set eth0 down; ip link set eth0 master bond1; "
           "ip link set bond1 up; sleep 5"),
    ("h4", "ip link add br1 type bridge; ip link set eth0 master br1; ip link set br1 up; "
           "sleep 3"),
    ("h5", "ip link set eth0 down; sleep 1; ip link del eth0; sleep 2"),
    ("switch", "ip link set p7 down; sleep 2; ip link set p8 nomaster; sleep 3"),
    ("h3", "ip link set eth0 nomaster; sleep 2; ip link set eth0 up; sleep 3"),
    ("h4", "ip link set eth0 nomaster; sleep 4"),
    ("switch", "ip link set p7 up; ip link set p8 master br0; sleep 5"),
    ("switch", "ip link set p9 down; ip link set p9 name q9; ip link set q9 up; "
               "ip link set p3 nomaster; ip link set p4 nomaster; ip link set p4 master br0; "
               "ip link set p3 master br0; sleep 2"),
    ("h9", "ip link set eth0 down; ip link set eth0 name lan0; ip link set lan0 up; sleep 3"),
    ("h0", "sleep 400; ping -c 2 10.0.0.3"),
]
VIEWS = ("ip -s -s link", "ifconfig -a", "ip -d link show", "bridge fdb show", "ip -6 addr",
         "ip neigh")


def transcript(lab: Lab) -> list[str]:
    """Every step's output, then every view of every host after it."""
    assert lab.engine is not None
    hosts = list(lab.engine.world.namespaces)
    out = []
    for host, cmd in [(None, None), *SCENARIO]:
        if host is not None:
            result = lab.sh(cmd, host=host)
            out.append(f"{host}$ {cmd} [{result.returncode}]\n{result.stdout}")
        for other in hosts:
            out += [f"{other}$ {view}\n{lab.sh(view, host=other).stdout}" for view in VIEWS]
    return out


def run_scenario(monkeypatch: pytest.MonkeyPatch, tally: bool) -> list[str]:
    with monkeypatch.context() as patch:
        if not tally:
            carry_every_copy(patch)
        lab = Lab(topology(12, monkeypatch), engine="sim", networkmanager=False).start()
        try:
            return transcript(lab)
        finally:
            lab.close()


def test_every_output_of_a_long_scenario_is_what_carrying_every_copy_gives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    expected = run_scenario(monkeypatch, tally=False)
    got = run_scenario(monkeypatch, tally=True)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g == e
    joined = "\n".join(got)
    assert "master bond1" in joined and "master br1" in joined and "q9@" in joined


@pytest.mark.parametrize("flavour", ["nm142", "centos7"])
def test_the_course_lab_is_what_carrying_every_copy_gives(monkeypatch: pytest.MonkeyPatch,
                                                          flavour: str) -> None:
    """The walkthrough's lab (NetworkManager, a bond, the centos7 LAN's IPv6 router)."""
    steps = ["nmcli con add type bond con-name bond0 ifname bond0 "
             "bond.options mode=active-backup,miimon=100",
             "nmcli con add type ethernet con-name bond0-p1 ifname ens37 master bond0",
             "nmcli con add type ethernet con-name bond0-p2 ifname ens38 master bond0",
             "nmcli con mod bond0 ipv4.method manual ipv4.addresses 192.168.1.61/24",
             "nmcli con up bond0", "sleep 7", "ping -c 3 192.168.1.1",
             "ip link set ens37 down", "sleep 3", "ip link set ens37 up", "sleep 40"]

    def run(tally: bool) -> list[str]:
        with monkeypatch.context() as patch:
            if not tally:
                carry_every_copy(patch)
            lab = Lab(engine="sim", flavour=flavour, stable_uuids=True).start()
            try:
                out = [lab.sh(step).stdout for step in steps]
                for host in ("server", "outside", "gw", "switch"):
                    out += [lab.sh(view, host=host).stdout for view in VIEWS]
                return out
            finally:
                lab.close()

    assert run(tally=True) == run(tally=False)


def test_a_router_still_receives_every_solicitation(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the centos7 LAN gw advertises a prefix: each host's router solicitation reaches it,
    as many as when every copy is carried (and each host's SLAAC address follows)."""
    def solicitations(tally: bool) -> tuple[int, str]:
        seen: list[str] = []
        original = Addrconf.rs_rcv

        def spy(self: Addrconf, dev: Any) -> None:
            if dev.ifindex in self.routers:
                seen.append(self.ns.name)
            original(self, dev)

        with monkeypatch.context() as patch:
            patch.setattr(Addrconf, "rs_rcv", spy)
            if not tally:
                carry_every_copy(patch)
            lab = Lab(engine="sim", flavour="centos7", stable_uuids=True).start()
            try:
                lab.sh("sleep 10")
                return len(seen), lab.sh("ip -6 addr show dev ens33").stdout
            finally:
                lab.close()

    count, addrs = solicitations(tally=True)
    assert count > 0 and "240b:11:4541:9100:" in addrs
    assert (count, addrs) == solicitations(tally=False)


def test_the_tally_is_used_and_acting_receivers_are_carried(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Building 64 hosts receives O(hosts) frames, not hosts x hosts; a bond slave and a host
    bridge's port at a cable's end are carried every copy again."""
    received = 0
    original = World.netif_receive

    def spy(self: World, dev: Any, frame: Any) -> None:
        nonlocal received
        received += 1
        original(self, dev, frame)

    monkeypatch.setattr(World, "netif_receive", spy)
    lab = Lab(topology(64, monkeypatch), engine="sim", networkmanager=False).start()
    try:
        # each host sends 6 frames: its port receives them, the bridge passes them up
        assert received < 64 * 6 * 3, received
        assert lab.engine is not None
        switch = lab.engine.world.namespaces["switch"]
        br0 = switch.find("br0")
        assert isinstance(br0, Bridge)
        assert len(br0._passive) == 64
        assert br0.tally[0] >= 64 * 6  # every host's frames, and the bridge device's own
        lab.sh("ip link add bond1 type bond; ip link set eth0 down; "
               "ip link set eth0 master bond1; ip link set bond1 up", host="h3")
        lab.sh("ip link add br1 type bridge; ip link set eth0 master br1; ip link set br1 up",
               host="h4")
        eager = {p.dev.name for p in br0.ports if p not in br0._passive}
        assert eager == {"p4", "p5"}
        before = received
        lab.sh("ip link set eth0 down; ip link set eth0 up; sleep 5", host="h0")
        # h0's new frames reach h3's slave and h4's bridge port (each carried), and the rest
        # are tallied: far fewer deliveries than 63 hosts' worth
        assert 0 < received - before < 63 * 6, received - before
    finally:
        lab.close()
