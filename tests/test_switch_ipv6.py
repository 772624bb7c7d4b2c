"""The switch has no IPv6 of its own, on the netns engine of this machine's kernel.

The real 6.1 kernel's transcript of the same build (tests/scenarios/kernel/26-switch-no-ipv6.scn)
holds the sim and the netns engine in the VM to it; this module needs no bonding driver, only
namespaces, veth and bridges, so it runs wherever the netns engine can: Linux joins ff02::1
(33:33:00:00:00:01) on every new device, disable_ipv6 or not, and only the plan's
LeaveIPv6Groups step takes the switch's devices out of it.
"""

from __future__ import annotations

import os

import pytest

from labkit import Lab
from labkit.engines.probe import probe

pytestmark = pytest.mark.skipif(not probe().netns_ok,
                                reason="needs the netns engine (root, namespaces, veth, bridge)")

ALL_NODES = "33:33:00:00:00:01"


def _self_lines(lab: Lab, dev: str) -> list[str]:
    out = lab.sh(f"bridge fdb show br {dev}", host="switch").stdout
    return [line.split()[0] for line in out.splitlines() if " self " in f"{line} "]


def test_the_switch_is_in_no_ipv6_group_but_a_new_device_is() -> None:
    with Lab(engine="netns", lab_id=f"sw6{os.getpid() % 10000}", networkmanager=False) as lab:
        out = lab.sh("bridge fdb show", host="switch").stdout
        assert "dev swout master br0" in out  # the switch learned: the lab is up
        assert ALL_NODES not in out
        # the bridge keeps its snooping's ff02::6a (rejoined with IPv6 off), as after down/up
        assert "33:33:00:00:00:6a" in _self_lines(lab, "br0")
        assert lab.sh("cat /proc/sys/net/ipv6/conf/br0/disable_ipv6", host="switch"
                      ).stdout == "1\n"
        assert "addrgenmode eui64" in lab.sh("ip -d link show sw37", host="switch").stdout
        # what the step undoes: a device made now in the switch joins ff02::1 all the same
        assert lab.sh("ip link add br1 address 02:00:00:00:00:fe type bridge",
                      host="switch").returncode == 0
        assert ALL_NODES in _self_lines(lab, "br1")
        # a plugged-back cable does not bring the group back (IPv6 stays off on the port)
        lab.sh("ip link set sw37 down", host="switch")
        lab.sh("ip link set sw37 up", host="switch")
        lab.sleep(1)
        assert ALL_NODES not in lab.sh("bridge fdb show brport sw37", host="switch").stdout
