#!/usr/bin/env python3
"""Record reference transcripts from a real Linux kernel (the oracle the sim is compared with).

On the host:   tools/record_kernel.py tests/scenarios/kernel/*.scn --out tests/data/kernel
  boots Debian's kernel under virtme-ng (--disable-kvm unless LABKIT_KVM=1), and inside the VM
  re-runs this file with --inside: it loads bonding, builds the lab from labkit's build plan with
  real `ip` commands, then types each scenario's command lines into a real bash on a pty inside the
  host's namespace (what a terminal shows: stdout and stderr together), one fresh lab per scenario.
  Output: one JSON transcript per scenario, {"engine": "kernel", "steps": [{host, cmd, rc, out}]}.

Only the build plan and the scenario parser come from labkit (pure data); every output is the
real programs' own. `CMD &` runs in the background as bash does (the step prints nothing); a
later `wait` on that host shows the jobs' output, and jobs still running at the end get an
implicit `wait` step, as labkit's shell does. `@add-nic` plugs a NIC in with the same build
steps labkit uses; `@compare` marks the next step for the comparison and does nothing here.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from labkit.engines.base import PERSON_PACE  # noqa: E402
from labkit.model.plan import as_ip_commands, build_plan, cable_steps, netns_name  # noqa: E402
from labkit.model.topology import load_topology  # noqa: E402
from labkit.replay.scenario import (  # noqa: E402
    AddNic,
    Command,
    CompareAs,
    Sleep,
    lab_options,
    load_scenario,
)

LAB_ID = "labkit"
ENV = {"PATH": "/run/lab-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG": "C", "LC_ALL": "C", "TERM": "dumb", "HOME": "/root", "PAGER": "cat"}


class PtyJob:
    """One command line running in `bash -i` on its own pty inside a lab namespace."""

    def __init__(self, host: str, cmd: str) -> None:
        argv = ["ip", "netns", "exec", netns_name(LAB_ID, host), "bash", "--norc", "--noprofile",
                "-i", "-c", cmd]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: never return into the recorder
            try:
                os.chdir("/root" if os.path.isdir("/root") else "/")
                os.execvpe(argv[0], argv, ENV)
            finally:
                os._exit(127)
        self.chunks: list[bytes] = []
        self.rc: int | None = None

    def pump(self, timeout: float) -> None:
        """Read what the pty has, for up to `timeout` seconds."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if data:
                self.chunks.append(data)

    def finish(self, timeout: float = 120.0) -> tuple[int, str]:
        """Wait for the command to end; its exit status and its output as a terminal shows it."""
        deadline = time.monotonic() + timeout
        while self.rc is None:
            self.pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.rc = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
        while True:  # drain what is left
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.05)
                if not ready:
                    break
                data = os.read(self.fd, 65536)
                if not data:
                    break
                self.chunks.append(data)
            except OSError:
                break
        os.close(self.fd)
        text = b"".join(self.chunks).decode("utf-8", "replace").replace("\r\n", "\n")
        return self.rc, text


def sh(cmd: str) -> None:
    subprocess.run(cmd, shell=True, check=True, env=ENV)


def build_lab(topology: str, nm: bool = False) -> None:
    """The lab from labkit's build plan; with `nm`, the server's NICs are left to
    NetworkManager, which is started with the installer's profiles and left to settle."""
    nm_hosts = frozenset({"server"}) if nm else frozenset()
    for line in as_ip_commands(build_plan(load_topology(topology), nm_hosts), LAB_ID):
        if nm and line == f"ip netns add {netns_name(LAB_ID, 'server')}":
            # NetworkManager needs udev, which sees only the VM's own namespace: the server
            # lives there, under the same name (the name is attached to pid 1's namespace)
            line = f"ip netns attach {netns_name(LAB_ID, 'server')} 1"
        sh(line)
    if nm:
        import realnm

        realnm.setup(netns_name(LAB_ID, "server"), ENV, topology)


def add_nic(state: dict, nic: str, host: str) -> None:
    """Plug a new NIC in as labkit's Lab.add_nic does (same MAC pattern, same steps)."""
    topo, new = state["topology"].with_nic(nic, host)
    state["topology"] = topo
    for line in as_ip_commands(cable_steps(topo, topo.host(host), new), LAB_ID):
        sh(line)


def destroy_lab() -> None:
    if (Path("/run/lab-bin") / "systemctl").exists():
        import realnm

        realnm.stop(ENV)
        # the server was the VM's own namespace: remove what NetworkManager made there
        out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name not in ("lo", "bonding_masters") and not name.startswith("ens"):
                subprocess.run(["ip", "link", "del", name], capture_output=True)
    for ns in os.listdir("/var/run/netns") if os.path.isdir("/var/run/netns") else []:
        if ns.startswith(LAB_ID + "-"):
            sh(f"ip netns del {ns}")
    time.sleep(0.5)  # namespaces are torn down asynchronously


def replay(path: str, topology: str, nm: bool = False) -> dict:
    items = load_scenario(path)
    nm = nm and bool(lab_options(items).get("networkmanager", True))
    # `@locale ja`: the language of a Japanese terminal (glibc's gettext ignores LANGUAGE
    # under the C locale, so LC_ALL is C.UTF-8 then); every other scenario keeps LANG=C
    locale = str(lab_options(items).get("locale", "C"))
    ENV.pop("LANGUAGE", None)
    ENV["LC_ALL"] = "C"
    if locale != "C":
        ENV.update(LANGUAGE=locale, LC_ALL="C.UTF-8")
    installed = install_packages(lab_options(items).get("packages", ()))
    build_lab(topology, nm)
    state = {"topology": load_topology(topology)}
    steps: list[dict] = []
    background: list[tuple[str, PtyJob]] = []

    def collect(host: str) -> str:
        out = ""
        for job_host, job in list(background):
            if job_host == host:
                out += job.finish()[1]
                background.remove((job_host, job))
        return out

    def wait(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _, job in background:
                job.pump(0)
            time.sleep(min(0.02, max(0.0, end - time.monotonic())))

    # the lab time a person takes before each line: what the sim's Lab.typed lets pass
    pace = float(lab_options(items).get("pace", PERSON_PACE))  # type: ignore[arg-type]
    compare_next = None
    for item in items:
        if isinstance(item, CompareAs):
            compare_next = item.mode
            continue
        if isinstance(item, AddNic):
            add_nic(state, item.nic, item.host)
            continue
        if isinstance(item, Sleep):
            wait(item.seconds)
            continue
        if not isinstance(item, Command):
            continue
        entry = {"host": item.host, "cmd": item.cmd, "rc": 0, "out": ""}
        if compare_next:
            entry["compare"], compare_next = compare_next, None
        steps.append(entry)
        wait(pace)  # the person's pace the sim replays at (Lab.typed)
        cmd = item.cmd
        if cmd == "wait":
            entry["out"] = collect(item.host)
        elif cmd.endswith("&") and not cmd.endswith("&&"):
            background.append((item.host, PtyJob(item.host, cmd[:-1].rstrip())))
        else:
            entry["rc"], entry["out"] = PtyJob(item.host, cmd).finish()
    for host in sorted({h for h, _ in background}):
        steps.append({"host": host, "cmd": "wait", "rc": 0, "out": collect(host),
                      "implicit": True})
    destroy_lab()
    for placed in installed:
        placed.unlink()
    if installed:
        sh("udevadm control --reload")
    meta = {"engine": "kernel", "scenario": Path(path).name, "topology": topology,
            "kernel": os.uname().release, "iproute2": _version(["ip", "-V"])}
    if nm:
        meta["networkmanager"] = _version(["NetworkManager", "--version"])
    if locale != "C":
        meta["locale"] = locale
    meta["pace"] = pace
    if installed:
        meta["packages"] = list(lab_options(items).get("packages", ()))
    return {**meta, "steps": steps}


def install_packages(names) -> list[Path]:
    """`@packages`: what labkit's model of each package ships that the recording depends on,
    put where it acts in the VM. The VM's /lib is the host's, read-only; udevd reads
    /etc/systemd/network first, in the same file-name order, so a .link file is placed there
    (then udevd reloads)."""
    from labkit.model.packages import LINK_DIR, installed

    placed = []
    for package in installed("nm142", tuple(names)):
        for path, text in package.files:
            if path.startswith(LINK_DIR + "/") and not Path(path).exists():
                target = Path("/etc/systemd/network") / Path(path).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                placed.append(target)
    if placed:
        sh("udevadm control --reload")
    return placed


def _version(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True).stdout.strip()


def inside(args: argparse.Namespace) -> int:
    sh("modprobe bonding max_bonds=0 && modprobe veth && modprobe bridge")
    # a fixed machine-id keeps anything derived from it reproducible
    Path(args.out).mkdir(parents=True, exist_ok=True)
    for path in args.scenarios:
        destroy_lab()
        result = replay(path, args.topology, args.nm)
        out = Path(args.out) / (Path(path).stem + ".json")
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded {path} -> {out} ({len(result['steps'])} steps)", flush=True)
    return 0


def kernel_image() -> str:
    images = sorted(glob.glob("/boot/vmlinuz-*"))
    if not images:
        sys.exit("no /boot/vmlinuz-*: apt-get install linux-image-amd64")
    return images[-1]


def outside(args: argparse.Namespace) -> int:
    if args.nm and len(args.scenarios) > 1:
        # NetworkManager's server is the VM's own namespace, whose ifindex counter a scenario
        # would inherit from the one before: every NetworkManager scenario gets its own boot
        for scenario in args.scenarios:
            rc = _boot(args, [scenario])
            if rc:
                return rc
        return 0
    return _boot(args, args.scenarios)


def _boot(args: argparse.Namespace, scenarios: list[str]) -> int:
    vng = shutil.which("vng") or str(Path(sys.executable).with_name("vng"))
    out = str(Path(args.out).resolve())
    Path(out).mkdir(parents=True, exist_ok=True)
    inner = [sys.executable, str(Path(__file__).resolve()), "--inside", "--out", out,
             "--topology", args.topology] + (["--nm"] if args.nm else []) + [
        str(Path(s).resolve()) for s in scenarios]
    argv = [vng, "--run", kernel_image(), "--memory", "1G", "--rwdir", out, "--exec",
            " ".join(inner)]
    if os.environ.get("LABKIT_KVM") != "1":
        argv.insert(1, "--disable-kvm")
    env = dict(os.environ, PATH=f"{Path(vng).parent}:{os.environ.get('PATH', '')}")
    print("booting", kernel_image(), "under virtme-ng ...", file=sys.stderr, flush=True)
    return subprocess.run(argv, env=env).returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "kernel"))
    ap.add_argument("--topology", default="centos7-bond")
    ap.add_argument("--nm", action="store_true",
                    help="run real NetworkManager 1.42 on the server (tools/realnm.py)")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    return inside(args) if args.inside else outside(args)


if __name__ == "__main__":
    sys.exit(main())
