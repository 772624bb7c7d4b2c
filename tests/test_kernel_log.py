"""The sim's kernel log as dmesg and journalctl -k show it, and the programs around it.

The wording of every line is compared with the real 6.1 kernel in the recorded scenarios
(tests/scenarios/kernel/21-kernel-log.scn, 22-arp-monitor.scn); this module checks what those
cannot: that timestamps follow the lab clock, that `dmesg -C` clears the ring for dmesg but not
the journal, util-linux's formats and errors, and `ip -j` against the text it mirrors.
"""

from __future__ import annotations

import json
import re

import pytest

from labkit import Lab

FAILOVER = ["ip link add bond0 type bond mode active-backup miimon 100",
            "ip link set ens37 down", "ip link set ens37 master bond0",
            "ip link set ens38 down", "ip link set ens38 master bond0", "ip link set bond0 up"]


@pytest.fixture()
def lab():
    with Lab(engine="sim", networkmanager=False) as lab:
        for cmd in FAILOVER:
            assert lab.sh(cmd).returncode == 0
        yield lab


def _stamps(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"^\[\s*(\d+\.\d{6})\]", text, re.M)]


def test_timestamps_follow_the_lab_clock(lab: Lab) -> None:
    before = _stamps(lab.sh("dmesg").stdout)
    lab.sleep(30)
    lab.sh("ip link set ens37 down", host="server")
    lab.sleep(1)
    text = lab.sh("dmesg").stdout
    last = text.strip().splitlines()[-1]
    assert "link status definitely down" in last or "new active one" in last
    assert _stamps(last)[0] - before[-1] >= 30.0


def test_clear_empties_dmesg_not_the_journal(lab: Lab) -> None:
    assert lab.sh("dmesg -C").stdout == ""
    assert lab.sh("dmesg").stdout == ""
    journal = lab.sh("journalctl -k").stdout
    assert re.search(r"^\w{3} \d\d \d\d:\d\d:\d\d server kernel: bond0: \(slave ens37\): "
                     r"Enslaving as an active interface with an up link$", journal, re.M)


def test_read_clear_prints_then_clears(lab: Lab) -> None:
    first = lab.sh("dmesg -t -c").stdout
    assert "bond0: (slave ens38): Enslaving as a backup interface with an up link\n" in first
    assert lab.sh("dmesg -t").stdout == ""


def test_levels_and_decode(lab: Lab) -> None:
    lab.sh("dmesg -C")
    lab.sh("echo fast > /sys/class/net/bond0/bonding/lacp_rate")
    lab.sh("echo ens38 > /sys/class/net/bond0/bonding/active_slave")
    errors = lab.sh("dmesg -t --level=err").stdout
    assert errors == ("bond0: option lacp_rate: mode dependency failed, not supported in mode "
                      "active-backup(1)\n")
    decoded = lab.sh("dmesg -x -t").stdout.splitlines()
    assert decoded[0].startswith("kern  :err   : bond0: option lacp_rate")
    assert decoded[1] == "kern  :info  : bond0: (slave ens38): making interface the new active one"


def test_dmesg_usage_errors(lab: Lab) -> None:
    bad = lab.sh("dmesg -z")
    assert (bad.returncode, bad.stdout) == (1, "dmesg: invalid option -- 'z'\n"
                                               "Try 'dmesg --help' for more information.\n")
    bad = lab.sh("dmesg --level=loud")
    assert (bad.returncode, bad.stdout) == (1, "dmesg: unknown level 'loud'\n")


def test_modprobe_and_lsmod(lab: Lab) -> None:
    assert lab.sh("modprobe bonding miimon=100").returncode == 0
    missing = lab.sh("modprobe bondin")
    assert missing.returncode == 1
    assert missing.stdout == ("modprobe: FATAL: Module bondin not found in directory "
                              "/lib/modules/6.1.0-56-amd64\n")
    assert lab.sh("lsmod | grep -c '^bonding '").stdout == "1\n"


def test_json_mirrors_the_text(lab: Lab) -> None:
    lab.sh("ip link set bond0 mtu 1400")
    text = lab.sh("ip -d link show ens38").stdout
    (obj,) = json.loads(lab.sh("ip -j -d link show ens38").stdout)
    assert f"mtu {obj['mtu']} " in text and obj["mtu"] == 1400
    slave = obj["linkinfo"]["info_slave_data"]
    assert f"bond_slave state {slave['state']} mii_status {slave['mii_status']} " in text
    pretty = lab.sh("ip -j -p addr show dev bond0").stdout
    assert pretty.startswith('[ {\n        "ifindex": ') and pretty.endswith("    } ]\n")
    assert json.loads(pretty)[0]["addr_info"][0]["family"] == "inet6"
