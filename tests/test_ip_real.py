"""labkit's `ip` against the real iproute2 6.1 binary, on a scratch copy of the lab.

What the host kernel can do without bonding: parsing and its messages, show commands, address
and route changes. Kernel errors are left to the recordings of the real 6.1 kernel (this
machine's kernel is newer and words some of them differently, e.g. "ipv4: Address already
assigned" where 6.1 says "File exists"). The netns names differ (`lktNNN-switch` here,
`labkit-switch` in the lab) and are the only thing normalised. Every command gets fresh labs
on both sides; the real ones are built together and left to settle (DAD) once.
"""

from __future__ import annotations

import re
import time
from contextlib import ExitStack

import pytest

from labkit import Lab

import scratchlab
from realtools import terminal

pytestmark = pytest.mark.skipif(not scratchlab.available(),
                                reason="needs root, iproute2 and network namespaces")

COMMANDS = [
    "ip", "ip -x", "ip help", "ip -V", "ip lnk", "ip link frob", "ip link", "ip link show",
    "ip l", "ip -br link", "ip -br a", "ip a", "ip addr show ens33", "ip a s nosuch",
    "ip -4 a", "ip -6 a", "ip -br -4 a", "ip link show lo", "ip link show dev ens37",
    "ip link show ens37 up", "ip route", "ip r", "ip route show dev ens33", "ip neigh",
    "ip link set", "ip link set nosuch up", "ip link set ens37 nosuch", "ip link set ens37 mtu x",
    "ip link set ens37 master nosuch", "ip link add x", "ip link add bond0 type bond mode foo",
    "ip link add bond0 type bond miimon x", "ip link add bond0 type bond frob",
    "ip link add bond0 type bond mode", "ip link add bond0 type bond active_slave nosuch",
    "ip link add bond0 type bond xmit_hash_policy layer9",
    "ip link add bond0 type bond num_grat_arp 300",
    "ip link set ens37 type bond_slave prio x", "ip link set ens37 type bond_slave frob",
    "ip addr add 1.2.3.4/24", "ip addr add foo dev ens37", "ip addr add 1.2.3.4/33 dev ens37",
    "ip addr add 10.1.1.1/24 dev nosuch",
    "ip addr add 10.1.1.1/24 dev ens37 && ip a show ens37 && ip route",
    "ip addr add 192.168.1.65/24 dev ens33 && ip -4 a show ens33",
    "ip addr flush", "ip addr frob",
    "ip route add default via 10.9.9.9", "ip route add foo", "ip route add 10.0.0.0/8 via x",
    "ip route add 10.0.0.0/8 via 192.168.1.1 && ip route",
    "ip route del 10.99.0.0/16", "ip route frob", "ip neigh frob",
    "ip link set ens38 down && ip link show ens38 && ip -br a && ip route",
    "ip link set ens33 down && ip route && ip -4 a",
    "ip link set ens37 mtu 9000 && ip link show ens37",
    "ip link set ens37 mtu 20 ",
    "ip link set ens37 address 00:0c:29:89:51:99 && ip link show ens37",
    "ip link set ens37 address zz", "ip link del ens99", "ip link set ens37 master ens38",
]


def normalise(text: str, lab_id: str) -> str:
    return re.sub(rf"\b{re.escape(lab_id)}-", "labkit-", text)


@pytest.fixture(scope="module")
def real_labs():
    """One settled scratch lab per command (DAD done, as the sim lab starts settled)."""
    with ExitStack() as stack:
        ids = [stack.enter_context(scratchlab.scratch_lab()) for _ in COMMANDS]
        time.sleep(2.5)
        yield dict(zip(COMMANDS, ids, strict=True))


@pytest.mark.parametrize("cmd", COMMANDS)
def test_ip_matches_iproute2(cmd: str, real_labs: dict[str, str]) -> None:
    lab_id = real_labs[cmd]
    with Lab(engine="sim", networkmanager=False) as lab:
        status, real = terminal(cmd, prefix=["ip", "netns", "exec", f"{lab_id}-server"])
        ours = lab.sh(cmd)
    real = normalise(real, lab_id)
    assert ours.stdout == real, f"\n--- real\n{real}\n--- labkit\n{ours.stdout}"
    assert ours.returncode == status
