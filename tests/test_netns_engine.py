"""The netns engine on this machine's kernel (namespaces, veth, bridge; bonds need the VM):
what it builds, what it reads back, the real programs, engine choice, and its safety: two labs
side by side, Ctrl-C during set-up, kill -9 at any instant followed by `labkit cleanup`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit import Lab
from labkit.engines import records
from labkit.engines.probe import probe
from labkit.engines.select import choose
from labkit.errors import EngineUnavailable

pytestmark = pytest.mark.skipif(not probe().netns_ok,
                                reason="needs root and network namespaces (labkit doctor)")
ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def netns_list() -> set[str]:
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


def ip_json(*args: str, netns: str | None = None) -> list[dict]:
    argv = ["ip", "-j", *(["-n", netns] if netns else []), *args]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def labkit_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "labkit", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def leftovers(lab_id: str) -> list[str]:
    """Every trace of lab `lab_id`: namespaces, state record, mounts under the run dir."""
    found = [f"netns {n}" for n in netns_list() if n.startswith(f"{lab_id}-")]
    if records.load(lab_id) is not None:
        found.append(f"record {lab_id}")
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        found += [f"mount {line.split()[4]}" for line in f
                  if line.split()[4].startswith(f"{records.RUN_DIR}/{lab_id}")
                  or line.split()[4].startswith(f"/run/netns/{lab_id}-")]
    return found


def test_builds_the_lab_with_its_names_and_macs() -> None:
    with Lab(engine="netns", networkmanager=False, lab_id="lkn1") as lab:
        assert {"lkn1-server", "lkn1-switch", "lkn1-outside", "lkn1-gw"} <= netns_list()
        links = {ln["ifname"]: ln for ln in ip_json("link", netns="lkn1-server")}
        assert links["ens37"]["address"] == "00:0c:29:89:51:d4"
        assert links["ens33"]["link_netnsid"] is not None
        ports = {ln["ifname"]: ln for ln in ip_json("link", netns="lkn1-switch")}
        assert ports["sw37"]["address"] == "02:00:00:00:00:37"
        assert ports["sw37"]["master"] == "br0" and ports["br0"]["address"] == "02:00:00:00:00:ff"
        # the snapshot read over netlink says what the real ip says
        snap = lab.snapshot("server")
        for name, ln in links.items():
            mine = snap.link(name)
            assert (mine.ifindex, mine.address, mine.mtu, mine.operstate) == (
                ln["ifindex"], ln["address"], ln["mtu"], ln["operstate"])
            assert set(ln["flags"]) - {"NO-CARRIER"} <= set(mine.flags)
        addrs = {(a["ifname"], i["local"], i["prefixlen"])
                 for a in ip_json("addr", netns="lkn1-server") for i in a["addr_info"]}
        assert {(a.dev, a.local, a.prefixlen) for a in snap.addresses} == addrs
        routes = ip_json("route", netns="lkn1-server")
        assert [(r.dst, r.gateway, r.dev) for r in snap.routes] == [
            (r["dst"], r.get("gateway"), r["dev"]) for r in routes]
        # the switch has no IPv6 of its own
        assert lab.engine.read_file("switch", "/proc/sys/net/ipv6/conf/all/disable_ipv6") == "1\n"
    assert not leftovers("lkn1")


def test_real_programs_and_pseudo_files_see_the_lab_host() -> None:
    with Lab(engine="netns", networkmanager=False, lab_id="lkn2") as lab:
        out = lab.sh("ping -c 2 -i 0.2 192.168.1.60", host="outside")
        assert out.returncode == 0 and "2 received" in out.stdout
        assert lab.sh("ls /sys/class/net").stdout.split() == ["ens33", "ens37", "ens38", "lo"]
        assert lab.sh("ip -br link show dev sw37", host="switch").stdout.startswith("sw37@")
        assert "ens38:" in lab.sh("cat /proc/net/dev").stdout
        bad = lab.sh("ip link set nosuch up")
        assert bad.returncode == 1 and 'Cannot find device "nosuch"' in bad.stdout
        # a background ping runs while the lab goes on, and prints at `wait`
        lab.sh("ping -c 5 -i 0.2 192.168.1.1 &", host="outside")
        lab.unplug("eth0", host="gw")
        lab.sleep(0.5)
        lab.plug("eth0", host="gw")
        done = lab.sh("wait", host="outside")
        assert "5 packets transmitted" in done.stdout


def echo_requests_seen(lab: Lab) -> int:
    """Icmp InEchos of the lab's server (/proc/net/snmp of its namespace)."""
    lines = [ln.split() for ln in lab.engine.read_file("server", "/proc/net/snmp").splitlines()
             if ln.startswith("Icmp:")]
    return int(lines[1][lines[0].index("InEchos")])


def test_two_labs_side_by_side_never_see_each_others_traffic() -> None:
    with Lab(engine="netns", networkmanager=False, lab_id="lkna") as a, \
            Lab(engine="netns", networkmanager=False, lab_id="lknb") as b:
        a_before, b_before = echo_requests_seen(a), echo_requests_seen(b)
        assert b.sh("ping -c 5 -i 0.2 192.168.1.60", host="outside").returncode == 0
        assert echo_requests_seen(b) == b_before + 5
        assert echo_requests_seen(a) == a_before


def test_close_twice_and_a_lab_id_in_use_is_refused() -> None:
    lab = Lab(engine="netns", networkmanager=False, lab_id="lkn3").start()
    try:
        child = subprocess.run(
            [PY, "-c", "import labkit; labkit.Lab(engine='netns', networkmanager=False, "
                       "lab_id='lkn3').start()"], capture_output=True, text=True, timeout=60)
        assert child.returncode != 0
        assert "a lab with id 'lkn3' is running in process" in child.stderr
        assert "Traceback" in child.stderr  # a Python API error, raised as EngineUnavailable
    finally:
        lab.close()
        lab.close()
    assert not leftovers("lkn3")


BUILDER = """
import sys, time, labkit
print("ready", flush=True)
lab = labkit.Lab(engine="netns", lab_id=sys.argv[1], networkmanager=sys.argv[2] == "nm")
lab.start()
print("built", flush=True)
time.sleep(60)
"""


def _start_builder(lab_id: str, nm: bool) -> subprocess.Popen[str]:
    proc = subprocess.Popen([PY, "-c", BUILDER, lab_id, "nm" if nm else "kernel"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_kill_9_in_the_middle_of_building_then_cleanup_leaves_nothing() -> None:
    root_before = (ip_json("link"), ip_json("addr"), ip_json("route"))
    rng = random.Random(4)
    killed_mid_build = 0
    for round_ in range(24):
        lab_id = f"lkk{round_}"
        nm = round_ % 3 == 2
        proc = _start_builder(lab_id, nm)
        time.sleep(rng.uniform(0.0, 0.25 if nm else 0.06))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        killed_mid_build += "built" not in out
        result = labkit_cli("cleanup", lab_id)
        if records.load(lab_id) is None and result.returncode == 1:
            assert "no record" in result.stderr  # killed before the record was written
        else:
            assert result.returncode == 0, result.stdout + result.stderr
        assert not leftovers(lab_id), (round_, leftovers(lab_id))
    assert killed_mid_build >= 12, "the kills should land during the build"
    assert (ip_json("link"), ip_json("addr"), ip_json("route")) == root_before


def test_a_new_lab_with_the_same_id_removes_a_crashed_ones_leftovers() -> None:
    proc = _start_builder("lkn4", nm=False)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "built"
    proc.kill()
    proc.wait()
    assert leftovers("lkn4")  # the crash left the lab behind
    with Lab(engine="netns", networkmanager=False, lab_id="lkn4") as lab:
        assert lab.sh("ip -br link show ens33").returncode == 0
    assert not leftovers("lkn4")


def test_ctrl_c_during_set_up_rolls_back() -> None:
    script = """
import signal, sys, labkit
signal.setitimer(signal.ITIMER_REAL, float(sys.argv[2]))
signal.signal(signal.SIGALRM, signal.default_int_handler)
try:
    labkit.Lab(engine="netns", lab_id=sys.argv[1]).start()
    print("built")
except KeyboardInterrupt:
    print("interrupted")
"""
    outcomes = set()
    for i, delay in enumerate((0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)):
        lab_id = f"lkc{i}"
        child = subprocess.run([PY, "-c", script, lab_id, str(delay)], capture_output=True,
                               text=True, timeout=60, cwd=ROOT)
        outcomes.add(child.stdout.strip())
        assert not leftovers(lab_id), (delay, child.stdout, child.stderr[-500:])
    assert "interrupted" in outcomes


def test_cleanup_leaves_running_labs_and_unknown_ids_alone() -> None:
    with Lab(engine="netns", networkmanager=False, lab_id="lkn5"):
        result = labkit_cli("cleanup", "lkn5", "lknnone")
        assert "lab lkn5: still running" in result.stdout
        assert "no record of a lab 'lknnone'" in result.stderr
        assert result.returncode == 1
        assert {"lkn5-server", "lkn5-switch"} <= netns_list()


def test_doctor_prints_the_probe_and_the_choice() -> None:
    result = labkit_cli("doctor")
    assert result.returncode == 0
    for row in ("CAP_NET_ADMIN", "bonding", "KVM", "kernel image", "virtme-ng"):
        assert row in result.stdout
    assert "engine auto: " in result.stdout


def test_engine_choice_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABKIT_ENGINE", raising=False)
    auto = choose("auto")
    if probe().bonds_ok:
        assert auto.name == "netns"
    else:
        assert auto.name == "sim" and "bond" in auto.reason
    monkeypatch.setenv("LABKIT_ENGINE", "netns")
    assert choose("auto").name == "netns"
    with pytest.raises(EngineUnavailable, match="labkit replay --engine vm"):
        choose("vm")
    with pytest.raises(EngineUnavailable, match="flavour 'centos7'"):
        Lab(engine="netns", flavour="centos7", lab_id="lkn6").start()
    assert not leftovers("lkn6")


def test_works_inside_a_running_event_loop_as_in_a_jupyter_kernel() -> None:
    import asyncio

    async def notebook_cell() -> str:
        with Lab(engine="netns", lab_id="lkloop", stable_uuids=True) as lab:
            lab.sh("nmcli connection modify ens37 ipv4.method manual "
                   "ipv4.addresses 192.168.1.77/24")
            lab.sh("nmcli connection up ens37")
            return lab.sh("ip -br address show ens37").stdout

    out = asyncio.run(notebook_cell())
    assert "192.168.1.77/24" in out
    assert not leftovers("lkloop")


def test_ctrl_c_during_a_foreground_program_ends_it_at_once(monkeypatch) -> None:
    """Ctrl-C while the engine waits for a real program: the program is killed then, as
    bash kills its foreground child, not when the lab closes."""
    with Lab(engine="netns", lab_id="lkctrlc", networkmanager=False) as lab:
        engine = lab.engine
        started = []
        spawn = engine.spawn

        def spawned(*args, **kwargs):
            started.append(spawn(*args, **kwargs))
            return started[-1]

        def interrupted(seconds: float) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(engine, "spawn", spawned)
        monkeypatch.setattr(engine.clock, "sleep", interrupted)
        with pytest.raises(KeyboardInterrupt):
            engine.exec("server", ["ping", "-c", "30", "192.168.1.1"])
        assert started and started[0].poll() is not None  # ended before close()
