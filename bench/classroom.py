"""Benchmark: a class of N students on the real hub of this machine (labkit classroom), each
with their own server and a sim lab in it; time to ready and memory per student.

Makes N student accounts and a teacher (bench names, removed after, only those), starts the
class's hub, logs every student in through the hub's HTTP API and asks for all N servers at
once. For each student it measures:

  ready    from the spawn request to the hub saying the server is ready (what a student waits
           for after clicking Start), then to a kernel with `Lab().start()` done in it;
  memory   the proportional set size (PSS, /proc/PID/smaps_rollup: shared pages split between
           their users) of every process running as that student, with the lab started.

First one student alone (the baseline of this run), then the N together. Prints each phase's
median and worst, the N-student times as ratios of the baseline, and the issue's targets
(30 students: each ready in under 60 s, under 200 MB a student). Timings are printed, never
asserted. Root only.

    .venv/bin/python bench/classroom.py [--students N]
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from labkit.classroom import command, roster
from labkit.classroom.client import Hub, Kernel

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


def one_student(hub: Hub, name: str, password: str) -> dict[str, Any]:
    """Log in, start the server, start a sim lab in a kernel: the times, or what failed."""
    token = hub.login(name, password)
    t0 = time.monotonic()
    out: dict[str, Any] = {"name": name, "token": token, "kernel": None}
    try:
        url = hub.spawn(name, token, timeout=600)
        out["ready"] = time.monotonic() - t0
        out["kernel"] = Kernel(hub, url, token)
        said, _ = out["kernel"].run(START_LAB)
        out["lab"] = time.monotonic() - t0
        if said.split()[:1] != ["sim"]:
            out["error"] = f"the lab said {said!r}"
    except Exception as exc:  # one student's failure is counted, the class goes on
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def measure(hub: Hub, names: list[str], logins: dict[str, str]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        results = list(pool.map(lambda n: one_student(hub, n, logins[n]), names))
    for result in results:
        result["pss"] = pss_of(pwd.getpwnam(result["name"]).pw_uid)

    def stop(result: dict[str, Any]) -> None:
        if result["kernel"] is not None:
            result["kernel"].close()
        hub.stop(result["name"], result["token"])

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(stop, results))
    for result in results:
        if "error" in result:
            print(f"  {result['name']}: {result['error']}")
    return results


def summary(label: str, results: list[dict[str, Any]]) -> dict[str, float]:
    done = [r for r in results if "error" not in r] or [{"ready": 0, "lab": 0, "pss": 0}]
    ready = [r["ready"] for r in done]
    lab = [r["lab"] for r in done]
    pss = [r["pss"] / 2**20 for r in done]
    print(f"{label}: {len(results) - len(done if 'name' in done[0] else [])} of "
          f"{len(results)} failed")
    out = {"ready": statistics.median(ready), "ready_max": max(ready),
           "lab": statistics.median(lab), "lab_max": max(lab),
           "pss": statistics.median(pss), "pss_max": max(pss)}
    print(f"{label:12} server ready: median {out['ready']:6.1f} s, worst {out['ready_max']:6.1f}"
          f" s | with a sim lab: median {out['lab']:6.1f} s, worst {out['lab_max']:6.1f} s | "
          f"memory (PSS): median {out['pss']:5.0f} MB, worst {out['pss_max']:5.0f} MB")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
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
        alone = summary("1 alone", measure(hub, names[:1], logins))
        together = summary(f"{args.students} at once", measure(hub, names, logins))
        print(f"ratios to the one alone: server ready x{together['ready'] / alone['ready']:.1f}"
              f" (worst x{together['ready_max'] / alone['ready']:.1f}), with its lab "
              f"x{together['lab'] / alone['lab']:.1f}, memory "
              f"x{together['pss'] / alone['pss']:.2f}")
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
