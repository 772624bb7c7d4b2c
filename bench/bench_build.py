"""Benchmark: how fast the netns engine builds and destroys the default lab, against Mininet and
against a bare `ip -batch` script, all measured in the same run on this machine's kernel.

The lab is the preset centos7-bond (labkit/model/presets/centos7-bond.yaml): a switch namespace
with bridge br0, hosts server (ens33/ens37/ens38), outside and gw cabled to it by veth pairs,
with the preset's MACs, addresses and default routes (NetworkManager off, as in ip -batch and
Mininet, which have none). Three ways:

  ip -batch     the lab's plan as iproute2 lines (labkit.model.plan.as_ip_commands): one
                `ip -batch -` adds the namespaces, one `ip netns exec ... sysctl` turns the
                switch's IPv6 off, one `ip -n NS -batch -` per namespace does the rest (the
                switch last: its ports come from the hosts' veth pairs); one `ip -batch -` of
                `netns del` destroys it. The floor: what iproute2 itself costs.
  labkit netns  Lab(engine="netns", networkmanager=False).start() and .close(), in this
                process (import paid once). Lab(engine="netns") with NetworkManager on is
                timed too, on a line of its own, for information only.
  Mininet       Debian's mininet package under /usr/bin/python3 (bench/_mininet_lab.py, one
                long-lived process): a LinuxBridge switch in its own namespace, no controller,
                no Open vSwitch; Mininet(...) through net.start() is the build, net.stop() the
                destroy.

Each round runs every method once (build, pause, destroy, pause: the kernel frees a namespace
asynchronously), in an order rotated from round to round, after one warm-up round. Prints the
medians in milliseconds and the ratios with their targets: labkit at least 4x faster than
Mininet to build and 10x to destroy, and within 1.5x of ip -batch both ways. Timings are
printed, never asserted: the exit status is 0 whatever they are. Also checks that the root
namespace's links, addresses, routes and named namespaces are as before the run. Root only.

    .venv/bin/python bench/bench_build.py [--runs N] [--only labkit|mininet|ipbatch]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from labkit.model.plan import as_ip_commands, build_plan, netns_name
from labkit.model.topology import load_topology

PRESET = "centos7-bond"
PAUSE_S = 0.3  # after each build and destroy: namespace teardown is asynchronous in the kernel
MININET_HELPER = Path(__file__).resolve().parent / "_mininet_lab.py"
SYSTEM_PYTHON = "/usr/bin/python3"
IPBATCH_ID = "benchip"
LABKIT_ID = "bench"
LABKIT_NM_ID = "benchnm"
TARGETS = {  # (ratio, phase): (bound, "<=" or ">=")
    ("labkit/ipbatch", "build"): (1.5, "<="),
    ("labkit/ipbatch", "destroy"): (1.5, "<="),
    ("mininet/labkit", "build"): (4.0, ">="),
    ("mininet/labkit", "destroy"): (10.0, ">="),
}


class Unavailable(Exception):
    """A method cannot run here; the message says why."""


@dataclass
class Method:
    """One way of building the lab: build() and destroy() each return seconds taken."""

    key: str
    label: str
    build: Callable[[], float]
    destroy: Callable[[], float]
    close: Callable[[], None] = lambda: None
    builds: list[float] = field(default_factory=list)
    destroys: list[float] = field(default_factory=list)


# -- ip -batch --------------------------------------------------------------------------------
def _after_links(words: list[str]) -> bool:
    """A plan line of plan.LeaveIPv6Groups: it needs the device made and up."""
    if words[:3] == ["ip", "netns", "exec"]:
        rest = words[4:]
        return rest[:1] == ["timeout"] or (rest[:2] == ["sysctl", "-qw"] and len(rest) == 3
                                           and ".conf.all." not in rest[2]
                                           and ".conf.default." not in rest[2])
    return words[:2] == ["ip", "-n"] and words[3:5] == ["link", "set"] and (
        "addrgenmode" in words or "mcast_snooping" in words)


class IpBatch:
    """The lab's plan run as a handful of `ip -batch` calls."""

    def __init__(self, lab_id: str = IPBATCH_ID) -> None:
        if not shutil.which("ip"):
            raise Unavailable("iproute2's ip is not on PATH")
        topo = load_topology(PRESET)
        switch_ns = netns_name(lab_id, topo.switch.name)
        self.namespaces: list[str] = []
        self.sysctl: tuple[str, list[str]] | None = None
        per_ns: dict[str, list[str]] = {}
        # the switch's devices leaving IPv6's all-nodes group (plan.LeaveIPv6Groups): waits,
        # per-device sysctls and addrgenmode/snooping changes that must follow the links in
        # order, so after the batches, as one shell script inside each namespace
        self.after: dict[str, list[str]] = {}
        for line in as_ip_commands(build_plan(topo), lab_id):
            words = line.split()
            if _after_links(words):
                ns = words[3] if words[1] == "netns" else words[2]
                inside = " ".join(words[4:] if words[1] == "netns" else ["ip", *words[3:]])
                self.after.setdefault(ns, []).append(inside)
            elif words[:3] == ["ip", "netns", "add"]:
                self.namespaces.append(words[3])
            elif words[:3] == ["ip", "netns", "exec"] and words[4:6] == ["sysctl", "-qw"]:
                ns, keys = words[3], words[6:]
                if self.sysctl is None:
                    self.sysctl = (ns, [])
                if self.sysctl[0] != ns:
                    raise Unavailable(f"sysctl lines for two namespaces: {line!r}")
                self.sysctl[1].extend(keys)
            elif words[:2] == ["ip", "-n"]:
                per_ns.setdefault(words[2], []).append(" ".join(words[3:]))
            else:
                raise Unavailable(f"plan line this baseline does not handle: {line!r}")
        # the switch last: its batch enslaves ports that the hosts' veth pairs create
        order = [ns for ns in per_ns if ns != switch_ns] + [switch_ns]
        self.batches = [(ns, "\n".join(per_ns[ns]) + "\n") for ns in order if ns in per_ns]

    @staticmethod
    def _ip(args: list[str], script: str | None = None) -> None:
        done = subprocess.run(["ip", *args], input=script, text=True, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")

    def build(self) -> float:
        t = time.perf_counter()
        self._ip(["-batch", "-"], "".join(f"netns add {ns}\n" for ns in self.namespaces))
        if self.sysctl is not None:
            ns, keys = self.sysctl
            self._ip(["netns", "exec", ns, "sysctl", "-qw", *keys])
        for ns, script in self.batches:
            self._ip(["-n", ns, "-batch", "-"], script)
        for ns, lines in self.after.items():
            self._ip(["netns", "exec", ns, "sh", "-ec", "\n".join(lines)])
        return time.perf_counter() - t

    def destroy(self) -> float:
        t = time.perf_counter()
        self._ip(["-batch", "-"], "".join(f"netns del {ns}\n" for ns in self.namespaces))
        return time.perf_counter() - t

    def close(self) -> None:
        """Delete whichever of this baseline's namespaces an interrupted run left behind."""
        left = set(named_namespaces()) & set(self.namespaces)
        for ns in sorted(left):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# -- labkit -----------------------------------------------------------------------------------
class LabkitNetns:
    """labkit's netns engine, in this process."""

    def __init__(self, networkmanager: bool, lab_id: str) -> None:
        import labkit

        self.make = lambda: labkit.Lab(engine="netns", networkmanager=networkmanager,
                                       lab_id=lab_id)
        self.lab: Any = None

    def build(self) -> float:
        lab = self.make()
        t = time.perf_counter()
        lab.start()
        elapsed = time.perf_counter() - t
        self.lab = lab
        return elapsed

    def destroy(self) -> float:
        lab, self.lab = self.lab, None
        t = time.perf_counter()
        lab.close()
        return time.perf_counter() - t

    def close(self) -> None:
        if self.lab is not None:
            self.lab.close()
            self.lab = None


# -- Mininet ----------------------------------------------------------------------------------
class MininetLab:
    """bench/_mininet_lab.py under Debian's python3, driven over its stdin."""

    def __init__(self) -> None:
        if not Path(SYSTEM_PYTHON).exists():
            raise Unavailable(f"no {SYSTEM_PYTHON}")
        probe = subprocess.run([SYSTEM_PYTHON, "-c", "import mininet.net, mininet.nodelib"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            raise Unavailable("Debian's mininet is not installed "
                              "(apt-get install mininet bridge-utils)")
        if not shutil.which("brctl"):
            raise Unavailable("Mininet's LinuxBridge needs brctl (apt-get install bridge-utils)")
        self.stderr: IO[str] = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(MININET_HELPER)], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr)

    def _ask(self, what: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("MNBENCH "):
                answer: dict[str, Any] = json.loads(line[len("MNBENCH "):])
                if "error" in answer:
                    raise RuntimeError(f"Mininet helper: {answer['error']}")
                return answer
        self.stderr.seek(0)
        raise RuntimeError("Mininet helper exited: " + self.stderr.read()[-2000:])

    def build(self) -> float:
        return float(self._ask("build")["build_s"])

    def destroy(self) -> float:
        return float(self._ask("destroy")["destroy_s"])

    def close(self) -> None:
        """Ask the helper to quit (it stops a lab still up on its way out) and wait for it."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=10)
        self.stderr.close()


# -- the root namespace, before and after -----------------------------------------------------
def named_namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.split())


def root_state() -> dict[str, Any]:
    """What the run must leave as it found it: the root namespace's links, addresses, routes
    (both families) and the named namespaces."""
    state: dict[str, Any] = {}
    for name, args in (("link", ["-j", "link"]), ("addr", ["-j", "addr"]),
                       ("route", ["-j", "route"]), ("route6", ["-j", "-6", "route"])):
        out = subprocess.run(["ip", *args], capture_output=True, text=True).stdout
        state[name] = json.loads(out or "[]")
    state["netns"] = named_namespaces()
    return state


def compare_root(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Differences, one line each; namespaces that are not this run's are reported apart."""
    ours = (f"{IPBATCH_ID}-", f"{LABKIT_ID}-", f"{LABKIT_NM_ID}-")
    out = [f"ip -j {key} differs" for key in ("link", "addr", "route", "route6")
           if before[key] != after[key]]
    gone = sorted(set(before["netns"]) - set(after["netns"]))
    new = sorted(set(after["netns"]) - set(before["netns"]))
    for mine_what, theirs_what, names in (("left behind", "appeared", new),
                                          ("deleted", "went away", gone)):
        mine = [n for n in names if n.startswith(ours)]
        theirs = [n for n in names if not n.startswith(ours)]
        if mine:
            out.append(f"namespaces of this run {mine_what}: {', '.join(mine)}")
        if theirs:
            out.append(f"namespaces of other processes {theirs_what} meanwhile (not this "
                       f"run's): {', '.join(theirs)}")
    return out


# -- running and reporting --------------------------------------------------------------------
def open_methods(only: str | None, methods: list[Method]) -> list[str]:
    """Append to `methods` each method that can run here (warmed up: imports, first-use
    set-up, page cache); a line for each that cannot. Appended before its warm-up, so that
    the caller closes it whatever happens."""
    notes: list[str] = []

    def add(key: str, label: str, factory: Callable[[], Any]) -> None:
        try:
            impl = factory()
        except Unavailable as exc:
            notes.append(f"{label}: skipped ({exc})")
            return
        except Exception as exc:  # e.g. the netns engine not part of labkit yet
            notes.append(f"{label}: skipped ({type(exc).__name__}: {exc})")
            return
        method = Method(key, label, impl.build, impl.destroy, impl.close)
        methods.append(method)
        try:
            method.build()
            time.sleep(PAUSE_S)
            method.destroy()
            time.sleep(PAUSE_S)
        except Exception as exc:
            notes.append(f"{label}: skipped, warm-up failed ({type(exc).__name__}: {exc})")
            methods.remove(method)
            impl.close()

    if only in (None, "ipbatch"):
        add("ipbatch", "ip -batch", IpBatch)
    if only in (None, "labkit"):
        add("labkit", "labkit netns", lambda: LabkitNetns(False, LABKIT_ID))
        add("labkit-nm", "labkit netns, NM on", lambda: LabkitNetns(True, LABKIT_NM_ID))
    if only in (None, "mininet"):
        add("mininet", "Mininet", MininetLab)
    return notes


def run_rounds(methods: list[Method], runs: int) -> list[str]:
    """`runs` rounds of every method, in an order rotated each round. A method that fails is
    closed and dropped (a line says so); the others go on."""
    notes: list[str] = []
    for i in range(runs):
        k = i % len(methods) if methods else 0
        for method in methods[k:] + methods[:k]:
            try:
                build = method.build()
                time.sleep(PAUSE_S)
                destroy = method.destroy()
                time.sleep(PAUSE_S)
            except Exception as exc:
                notes.append(f"{method.label}: dropped, round {i + 1} failed "
                             f"({type(exc).__name__}: {exc})")
                methods.remove(method)
                method.close()
                continue
            method.builds.append(build)
            method.destroys.append(destroy)
    return notes


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def ratio_line(label: str, key: str, num: Method | None, den: Method | None) -> str | None:
    if num is None or den is None:
        return None
    cells = []
    for phase, a, b in (("build", num.builds, den.builds), ("destroy", num.destroys,
                                                           den.destroys)):
        value = ms(a) / ms(b)
        bound, op = TARGETS[(key, phase)]
        met = value <= bound if op == "<=" else value >= bound
        cells.append(f"x{value:<6.2f}(target {op} {bound:g}: {'met' if met else 'MISSED'})")
    return f"{label:<20}{cells[0]:<30}{cells[1]}"


def report(methods: list[Method], runs: int) -> None:
    by_key = {m.key: m for m in methods}
    print(f"\nmedians of {runs} runs ({PRESET}, one warm-up each, {PAUSE_S} s pauses)")
    print(f"{'':<20}{'build ms':>10}{'destroy ms':>13}")
    for method in methods:
        extra = "   (information only)" if method.key == "labkit-nm" else ""
        print(f"{method.label:<20}{ms(method.builds):>10.1f}{ms(method.destroys):>13.1f}{extra}")
    lines = [ratio_line("labkit / ip -batch", "labkit/ipbatch", by_key.get("labkit"),
                        by_key.get("ipbatch")),
             ratio_line("Mininet / labkit", "mininet/labkit", by_key.get("mininet"),
                        by_key.get("labkit"))]
    if any(lines):
        print()
    for line in lines:
        if line:
            print(line)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=10, help="measured rounds (default 10)")
    ap.add_argument("--only", choices=("labkit", "mininet", "ipbatch"),
                    help="time one method only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_build: needs root (network namespaces); nothing measured")
        return 0
    before = root_state()
    methods: list[Method] = []
    try:
        notes = open_methods(args.only, methods)
        notes += run_rounds(methods, max(1, args.runs))
    finally:
        for method in methods:
            method.close()
    for note in notes:
        print(note)
    if methods:
        report(methods, max(1, args.runs))
    time.sleep(PAUSE_S)
    diffs = compare_root(before, root_state())
    print()
    if diffs:
        print("root namespace after the run:")
        for line in diffs:
            print(f"  {line}")
    else:
        print("root namespace unchanged (ip -j link/addr/route, ip -j -6 route, ip netns)")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
