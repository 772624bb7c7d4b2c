"""Benchmark: a class of N students on the real hub of this machine (labkit classroom), each
with their own server and a sim lab in it; time to ready and memory per student.

Makes N student accounts and a teacher (bench names, removed after, only those), starts the
class's hub, logs every student in through the hub's HTTP API and asks for all N servers at
once. For each student it measures:

  ready    from the spawn request to the hub saying the server is ready (its progress
           stream's last event, what a student's browser waits for after clicking Start:
           the server answered the hub and the proxy routes to it), then to a kernel,
           reached through the proxy, having run `Lab().start()` on the sim;
  memory   the proportional set size (PSS, /proc/PID/smaps_rollup: shared pages split between
           their users) of every process running as that student, with the lab started;
  CPU      seconds of CPU each student's server and kernel used until then (their children
           included), and the hub's and the proxy's share per student: on 2 cores, N
           students cannot all be ready before N x (CPU a student) / 2 seconds, whatever
           the load.

First one student alone (the baseline of this run), then the N together. Prints each phase's
median, p90 and worst, the N-student times as ratios of the baseline, the load average before
and after (other work on the machine slows everything), and the issue's targets (30
students: each ready in under 60 s, under 200 MB a student). With --compare, first the CPU of
a server's start as a student (jupyter-server with the class's extensions, outside the hub)
for each of the cuts labkit.classroom.singleuser makes, as ratios of the stock server.
Timings are printed, never asserted. Root only.

    .venv/bin/python bench/classroom.py [--students N] [--compare [--repeat K]]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from labkit.classroom import command, roster
from labkit.classroom.client import Hub, Kernel

TICK = os.sysconf("SC_CLK_TCK")

START_LAB = ("import labkit\n"
             "lab = labkit.Lab().start()\n"
             "print(lab.engine_name, lab.lab_id)")


def pss_of(uid: int) -> int:
    """Bytes of PSS of every process running as `uid`."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def cpu_of_pid(pid: int) -> float:
    """Seconds of CPU process `pid` and its reaped children used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime


def cpu_of(uid: int) -> dict[str, float]:
    """Seconds of CPU of every process running as `uid`, by kind: server, kernel, other."""
    out = {"server": 0.0, "kernel": 0.0, "other": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        kind = ("kernel" if b"ipykernel" in cmdline else
                "server" if b"singleuser" in cmdline else "other")
        out[kind] += cpu_of_pid(int(entry.name))
    return out


def pid_in(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


def spawn(hub: Hub, name: str, token: str, timeout: float = 600) -> str:
    """Start `name`'s server and wait, as a student's browser does, on the hub's progress
    stream (server-sent events) until it says ready; its URL path."""
    status, reply = hub.api("POST", f"/hub/api/users/{name}/server", token)
    if status not in (201, 202):
        raise RuntimeError(f"the hub did not start {name}'s server: {status} {reply}")
    req = urllib.request.Request(f"{hub.url}/hub/api/users/{name}/server/progress",
                                 headers={"Authorization": f"token {token}",
                                          "Accept": "text/event-stream"})
    with urllib.request.urlopen(req, timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode(errors="replace").strip()
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            if event.get("ready"):
                return str(event["url"])
            if event.get("failed"):
                raise RuntimeError(f"{name}'s server failed: {event.get('message')}")
    raise RuntimeError(f"the hub's progress stream for {name} ended without ready")


def one_student(hub: Hub, name: str, password: str) -> dict[str, Any]:
    """Log in, start the server, start a sim lab in a kernel: the times, or what failed."""
    token = hub.login(name, password)
    t0 = time.monotonic()
    out: dict[str, Any] = {"name": name, "token": token, "kernel": None}
    try:
        url = spawn(hub, name, token)
        out["ready"] = time.monotonic() - t0
        out["kernel"] = Kernel(hub, url, token)
        said, _ = out["kernel"].run(START_LAB)
        out["lab"] = time.monotonic() - t0
        if said.split()[:1] != ["sim"]:
            out["error"] = f"the lab said {said!r}"
    except Exception as exc:  # one student's failure is counted, the class goes on
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def measure(hub: Hub, names: list[str], logins: dict[str, str],
            state: Path) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Every student of `names` at once; their results, and the hub's and the proxy's CPU
    seconds per student meanwhile (the hub's includes its hooks, which it runs as children)."""
    hub_pid, proxy_pid = pid_in(state / "hub.pid"), pid_in(state / "proxy.pid")
    before = cpu_of_pid(hub_pid), cpu_of_pid(proxy_pid)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        results = list(pool.map(lambda n: one_student(hub, n, logins[n]), names))
    shares = {"hub": (cpu_of_pid(hub_pid) - before[0]) / len(names),
              "proxy": (cpu_of_pid(proxy_pid) - before[1]) / len(names)}
    for result in results:
        uid = pwd.getpwnam(result["name"]).pw_uid
        result["pss"] = pss_of(uid)
        result["cpu"] = cpu_of(uid)

    def stop(result: dict[str, Any]) -> None:
        if result["kernel"] is not None:
            result["kernel"].close()
        hub.stop(result["name"], result["token"])

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(stop, results))
    for result in results:
        if "error" in result:
            print(f"  {result['name']}: {result['error']}")
    return results, shares


def p90(values: list[float]) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, int(0.9 * len(ranked)))]


def summary(label: str, measured: tuple[list[dict[str, Any]], dict[str, float]],
            load: tuple[str, str]) -> dict[str, float]:
    results, shares = measured
    done = [r for r in results if "error" not in r]
    print(f"{label}: {len(results) - len(done)} of {len(results)} failed; load average "
          f"before {load[0]}, after {load[1]}")
    if not done:
        return {k: float("nan") for k in ("ready", "ready_max", "lab", "lab_max", "pss",
                                          "pss_max", "cpu")}
    ready = [r["ready"] for r in done]
    lab = [r["lab"] for r in done]
    pss = [r["pss"] / 2**20 for r in done]
    cpu = {k: statistics.median(r["cpu"][k] for r in done) for k in ("server", "kernel",
                                                                   "other")}
    out = {"ready": statistics.median(ready), "ready_max": max(ready),
           "lab": statistics.median(lab), "lab_p90": p90(lab), "lab_max": max(lab),
           "pss": statistics.median(pss), "pss_max": max(pss),
           "cpu": sum(cpu.values()) + shares["hub"] + shares["proxy"]}
    print(f"{label:12} server ready: median {out['ready']:6.1f} s, worst {out['ready_max']:6.1f}"
          f" s | with a sim lab: median {out['lab']:6.1f} s, p90 {out['lab_p90']:6.1f} s, "
          f"worst {out['lab_max']:6.1f} s | memory (PSS): median {out['pss']:5.0f} MB, worst "
          f"{out['pss_max']:5.0f} MB")
    print(f"{'':12} CPU a student (median): server {cpu['server']:.2f} s, kernel "
          f"{cpu['kernel']:.2f} s, other {cpu['other']:.2f} s; the hub {shares['hub']:.2f} s "
          f"and the proxy {shares['proxy']:.2f} s a student: {out['cpu']:.2f} s in all")
    return out


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


SERVER_START = """
import resource, sys
from labkit.classroom import singleuser as su
cuts = sys.argv[1].split(",")
if "rfc3987" in cuts:
    su.defer_rfc3987_syntax()
if "yarn" in cuts:
    su.skip_yarn_registry()
from jupyter_server.serverapp import ServerApp
ServerApp().initialize(argv=["--port=0", "--no-browser", "--ServerApp.token=bench",
                             *(su.server_args("student") if "extensions" in cuts else [])])
used = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(sum(u.ru_utime + u.ru_stime for u in used))
"""
CUTS = [("the stock server", ""), ("rfc3987_syntax deferred", "rfc3987"),
        ("and no `yarn config`", "rfc3987,yarn"),
        ("and a student's extensions (nbgrader on first use)",
         "rfc3987,yarn,extensions")]


def compare(python: str, name: str, repeat: int) -> None:
    """CPU seconds of a server's start (jupyter-server's start-up with the class's extensions,
    as the student `name` with the class's `python`, outside the hub) with each cut, the
    median of `repeat`; ratios of the stock one. One start at a time, so the load of the
    machine changes little of it."""
    entry = pwd.getpwnam(name)
    print(f"a server's start as {name}, CPU seconds (median of {repeat}):")
    base = 0.0
    for label, cuts in CUTS:
        used = []
        for _ in range(repeat):
            done = subprocess.run([python, "-c", SERVER_START, cuts], user=entry.pw_uid,
                                  group=entry.pw_gid, cwd=entry.pw_dir, capture_output=True,
                                  text=True, check=False, timeout=300,
                                  env={"HOME": entry.pw_dir, "LANG": "C.UTF-8", "PATH":
                                       f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin"})
            if done.returncode:
                print(f"  {label}: failed: {done.stderr.strip()[-500:]}")
                break
            used.append(float(done.stdout.split()[-1]))
        if len(used) < repeat:
            continue
        median = statistics.median(used)
        base = base or median
        print(f"  {label:52} {median:5.2f} s  x{median / base:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--compare", action="store_true", help="first, the CPU of a server's "
                    "start as a student for each of the cuts, as ratios of the stock one")
    ap.add_argument("--repeat", type=int, default=3, help="starts of each kind for "
                    "--compare (the median is printed)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/classroom.py makes accounts and runs a hub: root only", file=sys.stderr)
        return 2
    tag = secrets.token_hex(2)
    names = [f"lkb{tag}s{i:02d}" for i in range(args.students)]
    teacher = f"lkb{tag}t"
    class_dir = Path(tempfile.mkdtemp(prefix="labkit-bench-class-"))
    os.chmod(class_dir, 0o755)
    (class_dir / "roster").write_text("\n".join(names) + f"\n{teacher} teacher\n")
    print(f"{args.students} students on {os.cpu_count()} cores; the hub in {class_dir}")
    try:
        t0 = time.monotonic()
        info = command.start(roster.load(class_dir / "roster"), class_dir,
                             port=21000 + secrets.randbelow(20000),
                             progress=lambda text: print(f"  {text}"), timeout=120)
        print(f"set-up (accounts) and the hub answering: {time.monotonic() - t0:.1f} s")
        hub = Hub(info["url"])
        logins = {n: p for n, _, p in info["logins"] if p}
        state = class_dir / "hub"
        if args.compare:
            compare(info["python"], names[-1], args.repeat)
        load0 = loadavg()
        alone_run = measure(hub, names[:1], logins, state)
        alone = summary("1 alone", alone_run, (load0, loadavg()))
        load0 = loadavg()
        together_run = measure(hub, names, logins, state)
        together = summary(f"{args.students} at once", together_run, (load0, loadavg()))
        print(f"ratios to the one alone: server ready x{together['ready'] / alone['ready']:.1f}"
              f" (worst x{together['ready_max'] / alone['ready']:.1f}), with its lab "
              f"x{together['lab'] / alone['lab']:.1f} (worst "
              f"x{together['lab_max'] / alone['lab']:.1f}), memory "
              f"x{together['pss'] / alone['pss']:.2f}, CPU a student "
              f"x{together['cpu'] / alone['cpu']:.2f}")
        floor = args.students * together["cpu"] / (os.cpu_count() or 1)
        print(f"the CPU they needed, spread over {os.cpu_count()} cores: {floor:.0f} s (the "
              f"last one cannot be ready sooner)")
        print(f"targets (issue 13): each ready in < 60 s: worst {together['lab_max']:.1f} s; "
              f"< 200 MB a student: worst {together['pss_max']:.0f} MB")
    finally:
        for line in command.stop(class_dir, remove_accounts=True):
            if not line.split(":", 1)[-1].strip().startswith("nothing to clean up"):
                print(f"  {line}")
        log = class_dir / "hub" / "hub.log"
        if log.exists():
            shutil.copyfile(log, "/tmp/labkit-bench-classroom-hub.log")
            print("  the hub's log: /tmp/labkit-bench-classroom-hub.log")
        shutil.rmtree(class_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
