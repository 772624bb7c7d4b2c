"""Soak: 100,000 generated command lines (tests/fuzzlines.py) through `lab.sh` on the sim.

Every flavour and locale take turns, a fresh lab every LAB_LINES lines; some draws are
sessions (a bond built, then lines aimed at it); now and then a profile file is mangled (or
made anew) as in an editor and nmcli reloads, loads or brings it up. Printed: exceptions that
escaped `lab.sh`, lines that printed labkit's "internal error", lines over HANG_SECONDS of
wall time (a watchdog interrupts a line at WATCHDOG_SECONDS and reports it), and the
process's peak RSS. Targets: 0, 0, 0, < 150 MB.

    .venv/bin/python bench/soak.py [--lines N] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzlines

from labkit import Lab
from labkit.shell.result import ShellResult

HANG_SECONDS = 5.0
WATCHDOG_SECONDS = 30.0
LAB_LINES = 200
EDIT_EVERY = 40
SESSION_EVERY = 7  # every 7th draw builds a bond (nmcli, ip, sysfs, ifenslave) and pokes it
INTERNAL = "internal error in labkit"


class Watchdog(BaseException):
    """Raised into a line that ran past WATCHDOG_SECONDS (BaseException: nothing in labkit
    catches it as a program's error)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Watchdog


def profile_paths(lab: Lab) -> list[str]:
    paths = []
    for folder in (fuzzlines.KEYFILE_DIR, fuzzlines.IFCFG_DIR):
        try:
            paths += [f"{folder}/{n}" for n in lab.files.listdir("server", folder)
                      if not n.startswith(".")]
        except OSError:
            pass
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    configs = itertools.cycle([(f, loc) for f in fuzzlines.FLAVOURS for loc in fuzzlines.LOCALES])
    exceptions: list[tuple[str, str]] = []
    internal: list[tuple[str, str]] = []
    hangs: list[tuple[str, float]] = []
    lab: Lab | None = None
    used = 0
    done = 0
    start = time.monotonic()
    slowest = (0.0, "")
    while done < args.lines:
        if lab is None or used >= LAB_LINES:
            if lab is not None:
                lab.close()
            flavour, locale = next(configs)
            lab = Lab(engine="sim", flavour=flavour, locale=locale, seed=done).start()
            used = 0
        d = fuzzlines.RandomDraw(args.seed * 1_000_003 + done)
        lines: list[tuple[str, str]]
        if done % EDIT_EVERY == EDIT_EVERY - 1:
            path, follow = fuzzlines.profile_edit(d, profile_paths(lab))
            if path is not None:
                try:
                    text = lab.files.read("server", path)
                except OSError:
                    text = "[connection]\nid=x\ntype=ethernet\n"  # a new file, then
                try:
                    lab.files.write("server", path, fuzzlines.mangle(d, text))
                except OSError:
                    pass  # its folder is not on this flavour
            lines = [("server", f) for f in follow]
        elif done % SESSION_EVERY == SESSION_EVERY - 1:
            lines = fuzzlines.session(d)
        else:
            lines = [(d.choose(fuzzlines.HOSTS), fuzzlines.line(d))]
        for host, line in lines:
            t0 = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, WATCHDOG_SECONDS)
            try:
                result = lab.sh(line, host=host)
                if not isinstance(result, ShellResult):
                    exceptions.append((f"{host}$ {line}", f"returned {result!r}"))
                elif INTERNAL in result.stdout:
                    internal.append((f"{host}$ {line}", result.stdout[-2000:]))
            except Watchdog:
                hangs.append((f"{host}$ {line}", time.monotonic() - t0))
                lab = None  # interrupted mid-line: its state is not to be trusted
            except Exception:  # what the soak is here to find
                exceptions.append((f"{host}$ {line}", traceback.format_exc()))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.monotonic() - t0
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{host}$ {line}")
            if elapsed > HANG_SECONDS and (not hangs or hangs[-1][0] != f"{host}$ {line}"):
                hangs.append((f"{host}$ {line}", elapsed))
            done += 1
            used += 1
            if lab is None:
                break
        if done % 10_000 < len(lines):
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{done} lines, {time.monotonic() - start:.0f} s, {len(exceptions)} "
                  f"exceptions, {len(internal)} internal errors, {len(hangs)} hangs, peak RSS "
                  f"{rss:.0f} MB", flush=True)
    if lab is not None:
        lab.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for title, items in (("exception", exceptions), ("internal error", internal)):
        for line, detail in items[:20]:
            print(f"--- {title}: {line!r}\n{detail}")
    for line, secs in hangs[:20]:
        print(f"--- hang ({secs:.1f} s): {line!r}")
    print(f"lines: {done}\nwall: {time.monotonic() - start:.0f} s\nexceptions: {len(exceptions)}"
          f"\ninternal errors: {len(internal)}\nhangs over {HANG_SECONDS:.0f} s: {len(hangs)}"
          f"\nslowest line: {slowest[0]:.2f} s {slowest[1]!r}\npeak RSS: {rss:.0f} MB")
    return 0 if not (exceptions or internal or hangs) and rss < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
