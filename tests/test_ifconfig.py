"""labkit's ifconfig against the real net-tools ifconfig.

Expected text always comes from a real ifconfig:
- tests/data/ifconfig/cases.json, captured by tests/data/ifconfig/capture.py (net-tools 2.10 of
  Debian 12, in scratch namespaces): for each scene, the real output next to the namespace's
  state as `ip -j` printed it around the run; the view must print the same from a snapshot
  built from that state. For each command, the real status, stdout, stderr and `ifconfig -a`
  afterwards; labkit's ifconfig runs the same command on the sim lab and must agree.
- tests/data/ifconfig/e1_recorded.json: `ifconfig` and `ifconfig ens37` recorded on the
  reference Linux 6.1 VM in this very lab.
- tests/data/ifconfig/walkthrough_centos7_ifconfig.txt: the walkthrough's CentOS 7 output (its
  web page collapsed runs of blanks, so that comparison collapses them too).
When run as root on a host with ifconfig and ip, the same scenes and a selection of the
commands are also run live and compared the same way.

Two things are masked, both on the real side's account: counters in the command comparisons
(the sim's traffic since boot is not the scratch namespace's), and the order of several inet6
lines of one interface (since Linux 4.x /proc/net/if_inet6 follows a hash salted at random per
namespace, so the real order changes from run to run).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.engines.sim.engine import SimEngine
from labkit.files import LabFiles
from labkit.model.snapshot import Address, HostSnapshot, Link, LinkStats
from labkit.model.topology import load_topology
from labkit.shell.programs.ifconfig import ifconfig
from labkit.shell.session import Invocation, Shell
from labkit.views import ifconfig as view

DATA = Path(__file__).parent / "data" / "ifconfig"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))

# Commands the engine interface has no operation for: labkit refuses them, it does not fake them.
UNSUPPORTED = {
    "promisc": "changing the PROMISC flag",
    "txqueuelen": "changing the transmit queue length",
    "inet6_add": "IPv6 addresses through ifconfig",
}


def _load_capture() -> Any:
    spec = importlib.util.spec_from_file_location("ifconfig_capture", DATA / "capture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


capture = _load_capture()


# -- building snapshots from `ip -j -s -s addr show` ---------------------------------------------
def _stats(raw: dict[str, Any]) -> LinkStats:
    rx, tx = raw["rx"], raw["tx"]
    assert rx.get("fifo_errors", 0) == 0 and tx.get("fifo_errors", 0) == 0  # not in LinkStats
    return LinkStats(
        rx_packets=rx["packets"], rx_bytes=rx["bytes"], rx_errors=rx["errors"],
        rx_dropped=rx["dropped"], rx_over_errors=rx.get("over_errors", 0),
        # /proc/net/dev's frame column sums length, crc and frame errors
        rx_frame_errors=rx.get("frame_errors", 0) + rx.get("length_errors", 0)
        + rx.get("crc_errors", 0),
        rx_missed=rx.get("missed_errors", 0), multicast=rx.get("multicast", 0),
        tx_packets=tx["packets"], tx_bytes=tx["bytes"], tx_errors=tx["errors"],
        tx_dropped=tx["dropped"],
        tx_carrier_errors=tx.get("carrier_errors", 0) + tx.get("aborted_errors", 0)
        + tx.get("window_errors", 0) + tx.get("heartbeat_errors", 0),
        collisions=tx.get("collisions", 0))


def snapshot_from_ip(state: list[dict[str, Any]], kernel_release: str = "6.1.0") -> HostSnapshot:
    """A snapshot holding what `ip -j -s -s addr show` printed (kernel order kept)."""
    links, addresses = [], []
    for raw in state:
        flags = [f for f in raw["flags"] if f not in ("NO-CARRIER", "M-DOWN")]
        if "UP" in flags and "NO-CARRIER" not in raw["flags"]:
            flags.append("RUNNING")
        links.append(Link(
            ifindex=raw["ifindex"], name=raw["ifname"], kind=None, flags=tuple(flags),
            mtu=raw["mtu"], qdisc=raw.get("qdisc", "noqueue"), operstate=raw["operstate"],
            link_type=raw["link_type"], address=raw.get("address", ""),
            broadcast=raw.get("broadcast", ""), txqlen=raw.get("txqlen", 0),
            stats=_stats(raw["stats64"])))
        for a in raw["addr_info"]:
            addresses.append(Address(
                ifindex=raw["ifindex"], dev=raw["ifname"], family=4 if a["family"] == "inet" else 6,
                local=a["local"], prefixlen=a["prefixlen"], scope=a["scope"],
                broadcast=a.get("broadcast"), label=a.get("label"),
                flags=tuple(k for k in ("secondary", "noprefixroute") if a.get(k))))
    return HostSnapshot(host="server", time=0.0, links=tuple(links), addresses=tuple(addresses),
                        kernel_release=kernel_release)


class _SnapshotEngine:
    """Just enough of an engine for showing: always the same snapshot."""

    def __init__(self, snap: HostSnapshot) -> None:
        self.snap = snap

    def snapshot(self, host: str) -> HostSnapshot:
        return self.snap


def run_on(shell: Any, argv: list[str], host: str = "server") -> tuple[int, str, str]:
    """labkit's ifconfig once: (status, stdout, stderr)."""
    inv = Invocation(argv=["ifconfig", *argv], stdin="", host=host, shell=shell)
    status = ifconfig(inv)
    return status, inv.io.text(1), inv.io.text(2)


def show(state: list[dict[str, Any]], argv: list[str]) -> tuple[int, str, str]:
    shell = SimpleNamespace(engine=_SnapshotEngine(snapshot_from_ip(state)))
    return run_on(shell, argv)


# -- normalising what cannot be reproduced -------------------------------------------------------
def sort_inet6(text: str) -> str:
    """Sort the inet6 lines inside each interface block (their order is random on Linux >= 4)."""
    out: list[str] = []
    run: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("        inet6 "):
            run.append(line)
            continue
        out += sorted(run)
        run = []
        out.append(line)
    return "".join(out + sorted(run))


COUNTER_LINE = re.compile(r"^( {8}[RT]X .*)$", re.M)


def mask_counters(text: str) -> str:
    """Counters of the RX/TX lines become '#': sim and scratch namespace had different traffic."""
    return COUNTER_LINE.sub(lambda m: re.sub(r"\d+(\.\d+)?( [KMGTPE]?i?B)?", "#", m.group(1)),
                            text)


# -- the sim lab ---------------------------------------------------------------------------------
def sim_shell() -> Shell:
    engine = SimEngine()
    engine.build(load_topology("centos7-bond"), "labkit")
    shell = Shell(engine, LabFiles(tempfile.mkdtemp(prefix="lkt-ifconfig-")))
    shell.programs["ifconfig"] = ifconfig
    return shell


IP_ADDR_ADD = re.compile(r"ip addr add (?P<cidr>\S+)(?: brd (?P<brd>\S+))? dev (?P<dev>\S+)"
                         r"(?: label (?P<label>\S+))?$")
IP_LINK_SET = re.compile(r"ip link set (?P<dev>\S+) (?P<state>up|down)$")


def apply_extra(shell: Shell, commands: list[str]) -> None:
    """The `ip` commands a change case starts from, done through the engine."""
    import ipaddress

    for cmd in commands:
        if m := IP_ADDR_ADD.match(cmd):
            brd = m["brd"]
            if brd == "+":
                brd = str(ipaddress.IPv4Interface(m["cidr"]).network.broadcast_address)
            shell.engine.addr_add("server", m["dev"], m["cidr"], broadcast=brd, label=m["label"])
        elif m := IP_LINK_SET.match(cmd):
            shell.engine.link_set("server", m["dev"], up=m["state"] == "up")
        else:
            raise AssertionError(f"no translation for {cmd!r}")


def check_change(case: dict[str, Any]) -> None:
    """Run one captured command on the sim lab and compare with what the real one did."""
    shell = sim_shell()
    apply_extra(shell, case["extra"])
    status, out, err = run_on(shell, case["argv"])
    if case["name"] in UNSUPPORTED:
        assert (status, out) == (1, "")
        assert err == f"ifconfig: labkit does not emulate {UNSUPPORTED[case['name']]} yet\n"
        return
    assert (status, out, err) == (case["rc"], case["stdout"], case["stderr"])
    after = run_on(shell, ["-a"])[1]
    assert sort_inet6(mask_counters(after)) == sort_inet6(mask_counters(case["after_ifconfig_a"]))


# -- tests on the captured data ------------------------------------------------------------------
SCENE_RUNS = [(scene["name"], run) for scene in CASES["scenes"] for run in scene["runs"]]


@pytest.mark.parametrize(("scene", "run"), SCENE_RUNS,
                         ids=[f"{s}:{' '.join(r['argv']) or '-'}" for s, r in SCENE_RUNS])
def test_show_matches_real_ifconfig(scene: str, run: dict[str, Any]) -> None:
    status, out, err = show(run["state"], run["argv"])
    assert (status, err) == (run["rc"], run["stderr"])
    assert sort_inet6(out) == sort_inet6(run["stdout"])


@pytest.mark.parametrize("case", CASES["changes"], ids=[c["name"] for c in CASES["changes"]])
def test_command_matches_real_ifconfig(case: dict[str, Any]) -> None:
    check_change(case)


def test_capture_is_from_net_tools_2_10() -> None:
    assert CASES["tool"] == "net-tools 2.10"


def test_reference_vm_recording() -> None:
    """The sim lab shows what the reference VM showed, given the VM's counters."""
    recorded = json.loads((DATA / "e1_recorded.json").read_text(encoding="utf-8"))
    shell = sim_shell()
    for step in recorded["steps"]:
        snap = shell.engine.snapshot(step["host"])
        counters = {}
        for block in step["out"].split("\n\n"):
            name = block.split(":", 1)[0]
            rx = re.search(r"RX packets (\d+)  bytes (\d+)", block)
            tx = re.search(r"TX packets (\d+)  bytes (\d+)", block)
            if rx and tx:
                counters[name] = LinkStats(rx_packets=int(rx[1]), rx_bytes=int(rx[2]),
                                           tx_packets=int(tx[1]), tx_bytes=int(tx[2]))
        links = tuple(Link(**{**link.__dict__, "stats": counters.get(link.name, link.stats)})
                      for link in snap.links)
        snap = HostSnapshot(**{**snap.__dict__, "links": links})
        argv = step["cmd"].split()[1:]
        assert view.ifconfig_text(snap, dev=argv[0] if argv else None) == step["out"]
        assert step["rc"] == 0


def _walkthrough_snapshot() -> HostSnapshot:
    """The walkthrough's CentOS 7 machine as its `ip a` printed it (per-device address order)."""
    up = ("BROADCAST", "MULTICAST", "UP", "RUNNING", "LOWER_UP")
    eth = {"qdisc": "pfifo_fast", "operstate": "UP", "link_type": "ether",
           "broadcast": "ff:ff:ff:ff:ff:ff"}
    links = (
        Link(1, "lo", None, ("LOOPBACK", "UP", "RUNNING", "LOWER_UP"), 65536, "noqueue",
             "UNKNOWN", "loopback", "00:00:00:00:00:00", "00:00:00:00:00:00",
             stats=LinkStats(rx_packets=68, rx_bytes=5908, tx_packets=68, tx_bytes=5908)),
        Link(2, "ens33", None, up, 1500, address="00:0c:29:89:51:ca", **eth,
             stats=LinkStats(rx_packets=74, rx_bytes=6888, tx_packets=82, tx_bytes=9410)),
        Link(3, "ens37", None, up, 1500, address="00:0c:29:89:51:d4", **eth,
             stats=LinkStats(rx_packets=27, rx_bytes=2082)),
        Link(4, "ens38", None, up, 1500, address="00:0c:29:89:51:de", **eth,
             stats=LinkStats(rx_packets=27, rx_bytes=2082)),
        Link(5, "virbr0", "bridge", ("BROADCAST", "MULTICAST", "UP"), 1500,
             **{**eth, "qdisc": "noqueue", "operstate": "DOWN"}, address="52:54:00:b1:f3:35"),
        Link(6, "virbr0-nic", "tun", ("BROADCAST", "MULTICAST"), 1500,
             **{**eth, "operstate": "DOWN"}, address="52:54:00:b1:f3:35", master="virbr0"),
    )
    addresses = (
        Address(1, "lo", 4, "127.0.0.1", 8, "host", label="lo"),
        Address(1, "lo", 6, "::1", 128, "host"),
        Address(2, "ens33", 4, "192.168.1.60", 24, "global", broadcast="192.168.1.255",
                flags=("noprefixroute",), label="ens33"),
        Address(2, "ens33", 6, "240b:11:4541:9100:20c:29ff:fe89:51ca", 64, "global",
                flags=("mngtmpaddr", "dynamic")),
        Address(2, "ens33", 6, "fe80::20c:29ff:fe89:51ca", 64, "link"),
        Address(5, "virbr0", 4, "192.168.122.1", 24, "global", broadcast="192.168.122.255",
                label="virbr0"),
    )
    return HostSnapshot("server", 0.0, links, addresses, kernel_release="3.10.0-1127.el7.x86_64")


def test_centos7_walkthrough_output() -> None:
    """CentOS 7 prints the link-local address before the global one: its if_inet6 hash order."""
    printed = (DATA / "walkthrough_centos7_ifconfig.txt").read_text(encoding="utf-8")
    expected = [line for line in printed.splitlines()[1:] if line.strip()]
    mine = view.ifconfig_text(_walkthrough_snapshot())
    assert [" ".join(line.split()) for line in mine.splitlines() if line.strip()] == expected


# -- live, against the host's real ifconfig ------------------------------------------------------
def _live_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root for scratch network namespaces"
    if not shutil.which("ifconfig") or not shutil.which("ip"):
        return "needs ifconfig (net-tools) and ip (iproute2)"
    version = subprocess.run(["ifconfig", "-V"], capture_output=True, text=True).stdout.strip()
    if version != "net-tools 2.10":
        return f"the host's ifconfig is {version!r}, not net-tools 2.10"
    return None


live = pytest.mark.skipif(_live_reason() is not None, reason=str(_live_reason()))
LIVE_CHANGES = ("down", "up", "addr_classful_a", "addr_netmask_broadcast", "addr_cidr",
                "addr_replace", "addr_zero", "netmask", "netmask_bad", "broadcast_no_address",
                "alias_add", "alias_down", "mtu", "mtu_too_big", "mtu_missing", "no_device_show",
                "no_device_up", "no_device_addr", "bad_option", "add_alias", "addr_bad_number",
                "minus_broadcast")


@live
@pytest.mark.parametrize("scene", capture.SCENES, ids=[s.name for s in capture.SCENES])
def test_live_show(scene: Any) -> None:
    result = capture.capture_scene(scene, f"t{os.getpid()}")
    for run in result["runs"]:
        status, out, err = show(run["state"], run["argv"])
        assert (status, err) == (run["rc"], run["stderr"]), run["argv"]
        assert sort_inet6(out) == sort_inet6(run["stdout"]), run["argv"]


@live
@pytest.mark.parametrize("name", LIVE_CHANGES)
def test_live_command(name: str) -> None:
    change = next(c for c in capture.CHANGES if c.name == name)
    check_change(capture.capture_change(change, f"t{os.getpid()}"))
