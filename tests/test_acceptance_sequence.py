"""The foundation's acceptance sequence on the sim, through the lab shell.

A bond made with ip, ens37 and ens38 enslaved, one MAC for all (a third NIC added with
lab.add_nic too), /proc names the active slave, iproute2 switches it (Debian 12 has no
`ifenslave`: CentOS 7's is in test_walkthrough_centos7.py), pulling
the active slave's cable fails over after miimon, and a ping from outside loses no more than
the real kernel lost in the same scenario (tests/data/kernel/08-walkthrough-kernel.json).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit.replay.compare import ping_counts

RECORDING = Path(__file__).parent / "data" / "kernel" / "08-walkthrough-kernel.json"
FIRST_SLAVE_MAC = "00:0c:29:89:51:d4"


def mac_of(lab, dev: str) -> str:
    return re.search(r"link/ether (\S+)", lab.sh(f"ip link show {dev}").stdout).group(1)


def active_slave(lab) -> str:
    out = lab.sh("cat /proc/net/bonding/bond0 | grep Currently").stdout
    return out.split(": ")[1].strip()


def test_acceptance_sequence(lab) -> None:
    assert lab.sh("ip link add bond0 type bond mode active-backup miimon 100").returncode == 0
    for nic in ("ens37", "ens38"):
        assert lab.sh(f"ip link set {nic} down").returncode == 0
        assert lab.sh(f"ip link set {nic} master bond0").returncode == 0
    lab.sh("ip link set bond0 up")
    lab.sh("ip addr add 192.168.1.61/24 dev bond0")
    lab.sleep(3)
    # one MAC for all: the first slave's
    assert {mac_of(lab, d) for d in ("bond0", "ens37", "ens38")} == {FIRST_SLAVE_MAC}
    # a third adapter, added as in VMware, takes it too once enslaved
    nic = lab.add_nic("ens39")
    assert mac_of(lab, "ens39") == nic.mac == "00:0c:29:89:51:e8"
    lab.sh("ip link set ens39 down")
    assert lab.sh("ip link set ens39 master bond0").returncode == 0
    assert mac_of(lab, "ens39") == FIRST_SLAVE_MAC
    proc = lab.sh("cat /proc/net/bonding/bond0").stdout
    assert "Currently Active Slave: ens37" in proc
    assert "Permanent HW addr: 00:0c:29:89:51:e8" in proc
    # Debian 12 has no ifenslave (its package lost the program in 2018): ip switches, silently
    missing = lab.sh("ifenslave -c bond0 ens38")
    assert (missing.returncode, missing.stdout) == (127, "bash: ifenslave: command not found\n")
    switched = lab.sh("ip link set bond0 type bond active_slave ens38")
    assert (switched.returncode, switched.stdout) == (0, "")
    assert active_slave(lab) == "ens38"
    # pull the active slave's cable: nothing happens before the next MII poll ...
    lab.unplug("ens38")
    assert active_slave(lab) == "ens38"
    assert "MII Status: up" in lab.sh("grep -A1 'Interface: ens38' /proc/net/bonding/bond0").stdout
    # ... and within one miimon interval (100 ms) the bond fails over to the first slave up
    lab.sleep(0.1)
    assert active_slave(lab) == "ens37"
    proc = lab.sh("cat /proc/net/bonding/bond0").stdout
    ens38 = proc.split("Slave Interface: ens38")[1].split("Slave Interface")[0]
    assert "MII Status: down" in ens38 and "Link Failure Count: 1" in ens38


def test_ping_loses_no_more_than_the_real_kernel(lab) -> None:
    real = json.loads(RECORDING.read_text())
    assert real["engine"] == "kernel"
    real_wait = next(s for s in real["steps"] if s.get("compare") == "ping-loss")
    [(real_sent, real_received)] = ping_counts(real_wait["out"])
    lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
    lab.sh("ip link set ens37 down; ip link set ens37 master bond0")
    lab.sh("ip link set ens38 down; ip link set ens38 master bond0")
    lab.sh("ip link set bond0 up; ip addr add 192.168.1.61/24 dev bond0")
    lab.sleep(3)
    lab.sh("ip link set bond0 type bond active_slave ens38")
    lab.sh("ping -c 3 -i 0.2 192.168.1.61", host="outside")
    lab.sh("ping -c 40 -i 0.1 192.168.1.61 &", host="outside")
    lab.sleep(1)
    lab.unplug("ens38")
    lab.sleep(4)
    [(sent, received)] = ping_counts(lab.sh("wait", host="outside").stdout)
    assert sent == real_sent == 40
    assert sent - received <= real_sent - real_received
