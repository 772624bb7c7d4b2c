"""A fork server for test_cleanup_kill: labkit imported once, one forked child per trial.

Run as `python tests/trialforks.py WARMUP_LAB_ID`; it reads one JSON command a line on stdin
and answers one JSON line each on stdout (children write their marks there too, with their pid):
  {"op": "run", "mode": M, "lab_id": ID, "nm": bool, "engine": E} -> {"forked": PID}
  {"op": "kill", "pid": PID, "sig": N}                             -> {"killed": PID}
  {"op": "reap", "pid": PID}                                       -> {"reaped": PID}
  {"op": "orphans"}                                                -> {"orphans": [[PID, comm]]}
It is a child subreaper (prctl), so whatever a killed child started (ping, nsenter, a sandbox
holder) becomes its child when the trial child dies: "orphans" reaps the ended ones and lists
those still running, which catches a leaked process even in a namespace that has no name.
Forking saves each trial the interpreter's start and labkit's import (a third of a second).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator

PR_SET_CHILD_SUBREAPER = 36
PING_GW = "ping -c 5 -i 0.2 192.168.1.1"
PING_BG = "ping -c 300 -i 0.2 192.168.1.1 &"


def say(msg: dict[str, object]) -> None:
    """One line, in one write (the children write to the same pipe)."""
    os.write(1, (json.dumps(msg) + "\n").encode())


def mark(at: str, **extra: object) -> None:
    say({"pid": os.getpid(), "at": at, "t": time.monotonic(), **extra})


def trial(mode: str, lab_id: str, nm: bool, engine: str) -> None:
    """What one child does, marking each step; the test kills it (SIGKILL, or SIGINT for the
    *-int modes) at a random moment of one step. Modes: build (build only), fg (then a first
    command and a foreground ping), bg (a background ping before that ping), close (bg, then
    close()); fg-int and bg-int are fg and bg that close the lab after a Ctrl-C."""
    from labkit import Lab

    lab = Lab(engine=engine, lab_id=lab_id, networkmanager=nm)
    try:
        mark("start")
        lab.start()
        mark("built")
        if mode != "build":
            lab.sh("ip -br addr", host="outside")  # the first use waits for IPv6 DAD
            mark("ready")
            if mode in ("bg", "close", "bg-int"):
                lab.sh(PING_BG, host="outside")
                mark("bg")
            lab.sh(PING_GW, host="outside")
            mark("fg-done")
        if mode == "close":
            mark("closing")
            lab.close()
            mark("closed")
        time.sleep(120)  # until the test kills it
    except KeyboardInterrupt:
        # Ctrl-C: start() has rolled back; during use the lab is still there, and closed
        mark("interrupted", running=lab.engine is not None)
        lab.close()
        mark("clean")
        time.sleep(120)


def main() -> None:
    # Ctrl-C raises KeyboardInterrupt here whatever this process inherited: Python leaves
    # SIGINT ignored when it starts with it ignored, as a job that a non-interactive shell
    # puts in the background does (`cmd &`, nohup), and then the Ctrl-C trials' signal
    # would be lost and their labs left standing, which says nothing of labkit
    signal.signal(signal.SIGINT, signal.default_int_handler)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # warm up: labkit's modules (a sim lab) and the netns engine's, imported before any fork
    from labkit import Lab
    from labkit.engines.netns import engine  # noqa: F401

    Lab(engine="sim", lab_id=sys.argv[1]).start().close()
    # as an init does, reap whatever ends at once: a killed sandbox's PID-namespace init waits
    # in its exit until every process of its namespace is reaped
    signal.signal(signal.SIGCHLD, lambda *_: reap_ended())
    say({"ready": os.getpid()})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "run":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # until in TRIALS
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the lab reaps its own
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                try:
                    trial(cmd["mode"], cmd["lab_id"], cmd["nm"], cmd["engine"])
                except BaseException:
                    traceback.print_exc()  # the test then says the child never reached a mark
                finally:
                    os._exit(0)
            TRIALS.add(pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            answer: dict[str, object] = {"forked": pid}
        elif cmd["op"] == "kill":  # not reaped yet: the pid is still the trial child's
            os.kill(cmd["pid"], cmd["sig"])
            answer = {"killed": cmd["pid"]}
        elif cmd["op"] == "reap":
            os.waitpid(cmd["pid"], 0)
            TRIALS.discard(cmd["pid"])
            answer = {"reaped": cmd["pid"]}
        elif cmd["op"] == "orphans":
            answer = {"orphans": orphans()}
        else:
            answer = {"error": f"unknown op {cmd['op']!r}"}
        say(answer)


TRIALS: set[int] = set()  # trial children: reaped only when asked, so their pids stay theirs


def children() -> Iterator[tuple[int, str, bytes]]:
    """(pid, comm, state) of each child of this process."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        comm = data[data.index(b"(") + 1:data.rindex(b")")].decode(errors="replace")
        fields = data[data.rindex(b")") + 2:].split()
        if int(fields[1]) == me:
            yield int(entry), comm, fields[0]


def reap_ended() -> None:
    """Reap the children that have ended, but the trial children."""
    for pid, _, state in list(children()):
        if state == b"Z" and pid not in TRIALS:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def orphans() -> list[list[object]]:
    """Reap every child that has ended; list those still running (but the trial children)."""
    reap_ended()
    return [[pid, comm] for pid, comm, state in children()
            if state != b"Z" and pid not in TRIALS]


if __name__ == "__main__":
    main()
