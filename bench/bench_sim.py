"""Benchmark: how fast the sim starts a lab, runs the foundation's acceptance sequence, and runs
the whole NetworkManager walkthrough (tests/scenarios/nm/01-walkthrough.scn on nm142, and the
seed's own commands on centos7/ja).

Prints medians in milliseconds with their targets, and ratios against baselines measured in the
same run: building the same lab with an `ip -batch` script on this machine's kernel (root only),
and the lab time each run covers (the sim should be far faster than real time).

    .venv/bin/python bench/bench_sim.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from labkit import Lab
from labkit.model.plan import as_ip_commands, build_plan
from labkit.model.topology import load_topology
from labkit.replay.runner import replay
from labkit.replay.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
WALKTHROUGH = ROOT / "tests" / "scenarios" / "nm" / "01-walkthrough.scn"
SEED = ROOT / "tests" / "data" / "reference" / "seed-walkthrough-ja.txt"

SEQUENCE = [
    ("server", "ip link add bond0 type bond mode active-backup miimon 100"),
    ("server", "ip link set ens37 down"),
    ("server", "ip link set ens37 master bond0"),
    ("server", "ip link set ens38 down"),
    ("server", "ip link set ens38 master bond0"),
    ("server", "ip link set bond0 up"),
    ("server", "ip addr add 192.168.1.61/24 dev bond0"),
    ("server", "ip -br link"),
    ("add_nic", "ens39"),
    ("server", "ip link set ens39 down"),
    ("server", "ip link set ens39 master bond0"),
    ("server", "cat /proc/net/bonding/bond0"),
    ("server", "ifenslave -c bond0 ens38"),
    ("server", "cat /proc/net/bonding/bond0 | grep Currently"),
    ("outside", "ping -c 3 -i 0.2 192.168.1.61"),
    ("outside", "ping -c 40 -i 0.1 192.168.1.61 &"),
    ("sleep", "1"),
    ("unplug", "ens38"),
    ("sleep", "4"),
    ("outside", "wait"),
    ("server", "cat /proc/net/bonding/bond0"),
]


def start_lab(networkmanager: bool = False) -> float:
    t = time.perf_counter()
    lab = Lab(engine="sim", networkmanager=networkmanager).start()
    elapsed = time.perf_counter() - t
    lab.close()
    return elapsed


def run_walkthrough() -> tuple[float, float]:
    """The NetworkManager walkthrough scenario (lab started, NetworkManager settled)."""
    items = load_scenario(WALKTHROUGH)
    with Lab(engine="sim") as lab:
        assert lab.engine is not None
        t0, v0 = time.perf_counter(), lab.engine.clock.now()
        replay(items, lab)
        return time.perf_counter() - t0, lab.engine.clock.now() - v0


def run_seed() -> float:
    """The seed walkthrough's own command lines on the centos7 flavour in Japanese."""
    prompt = "[root@localhost ~]#"
    cmds = [line[len(prompt):].strip() for line in SEED.read_text(encoding="utf-8").splitlines()
            if line.startswith(prompt) and line[len(prompt):].strip()]
    with Lab(engine="sim", flavour="centos7", locale="ja") as lab:
        t0 = time.perf_counter()
        for cmd in cmds:
            lab.sh(cmd)
        return time.perf_counter() - t0


def run_sequence() -> tuple[float, float]:
    """Wall time of the sequence (lab already started) and the lab time it covered."""
    with Lab(engine="sim", networkmanager=False) as lab:
        assert lab.engine is not None
        t0, v0 = time.perf_counter(), lab.engine.clock.now()
        for what, arg in SEQUENCE:
            if what == "add_nic":
                lab.add_nic(arg)
            elif what == "unplug":
                lab.unplug(arg)
            elif what == "sleep":
                lab.sleep(float(arg))
            else:
                lab.sh(arg, host=what)
        return time.perf_counter() - t0, lab.engine.clock.now() - v0


def ip_batch_build() -> float | None:
    """Build and destroy the same lab with `ip -batch` on this kernel (root), in seconds."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        return None
    lab_id = f"lkb{os.getpid() % 10000}"
    lines = as_ip_commands(build_plan(load_topology("centos7-bond")), lab_id)
    # one `ip -batch` per run of commands for the same namespace (batch lines take no -n)
    groups: list[tuple[str | None, list[str]]] = []
    for line in lines:
        words = line.split()
        if words[:3] == ["ip", "netns", "exec"]:
            groups.append(("shell", [line]))
            continue
        ns = words[2] if words[1] == "-n" else None
        body = " ".join(words[3:] if ns else words[1:])
        if groups and groups[-1][0] == ns:
            groups[-1][1].append(body)
        else:
            groups.append((ns, [body]))
    with tempfile.NamedTemporaryFile("w", suffix=".batch", delete=False) as fh:
        pass
    try:
        t = time.perf_counter()
        for ns, body in groups:
            if ns == "shell":
                subprocess.run(body[0], shell=True, check=True, capture_output=True)
                continue
            argv = ["ip"] + (["-n", ns] if ns else []) + ["-batch", "-"]
            subprocess.run(argv, input="\n".join(body) + "\n", text=True, check=True,
                           capture_output=True)
        return time.perf_counter() - t
    except subprocess.CalledProcessError as exc:
        print(f"ip -batch baseline failed: {exc.stderr.strip()}")
        return None
    finally:
        os.unlink(fh.name)
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.split() and line.split()[0].startswith(lab_id + "-"):
                subprocess.run(["ip", "netns", "del", line.split()[0]], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    start_lab()  # warm imports
    starts = [start_lab() for _ in range(args.runs)]
    seqs = [run_sequence() for _ in range(max(3, args.runs // 3))]
    start_ms = statistics.median(starts) * 1000
    seq_ms = statistics.median(s[0] for s in seqs) * 1000
    lab_time = seqs[0][1]
    print(f"sim lab start:        {start_ms:7.2f} ms  (target < 15 ms)  "
          f"{'OK' if start_ms < 15 else 'OVER'}")
    print(f"acceptance sequence:  {seq_ms:7.2f} ms  (target < 50 ms)  "
          f"{'OK' if seq_ms < 50 else 'OVER'}")
    print(f"  lab time covered:   {lab_time * 1000:7.0f} ms  -> the sim runs "
          f"{lab_time * 1000 / seq_ms:.0f}x faster than real time")
    nm_starts = [start_lab(networkmanager=True) for _ in range(max(3, args.runs // 3))]
    walks = [run_walkthrough() for _ in range(max(3, args.runs // 3))]
    seeds = [run_seed() for _ in range(max(3, args.runs // 3))]
    nm_start_ms = statistics.median(nm_starts) * 1000
    walk_ms = statistics.median(w[0] for w in walks) * 1000
    seed_ms = statistics.median(seeds) * 1000
    print(f"lab start with NM:    {nm_start_ms:7.2f} ms  (the server booted and NetworkManager "
          "settled: the blank NICs' DHCP gave up)")
    print(f"NM walkthrough:       {walk_ms:7.2f} ms  (target < 50 ms)  "
          f"{'OK' if walk_ms < 50 else 'OVER'}  -> {walks[0][1] * 1000 / walk_ms:.0f}x "
          f"faster than the {walks[0][1]:.0f} s of lab time it covers")
    print(f"seed walkthrough ja:  {seed_ms:7.2f} ms  (target < 50 ms)  "
          f"{'OK' if seed_ms < 50 else 'OVER'}")
    batch = ip_batch_build()
    if batch is None:
        print("ip -batch baseline:   skipped (needs root and iproute2)")
    else:
        print(f"ip -batch baseline:   {batch * 1000:7.2f} ms  (same lab on this kernel)  "
              f"sim/ip-batch = {start_ms / (batch * 1000):.2f}, NM walkthrough/ip-batch = "
              f"{walk_ms / (batch * 1000):.2f}")


if __name__ == "__main__":
    main()
