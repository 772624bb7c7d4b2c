"""Exactly what a lab made is removed, whatever happens.

kill -9 at random moments (while the lab builds, during a foreground real program, with a
background real program running, while it closes), then `labkit cleanup`; close() with a
background program; interpreter exit without close(); Ctrl-C at random moments; the temp
files of a save a kill interrupted; an unprivileged user's labs. After each, nothing of the
lab is left: namespaces (/run/netns), mounts (/proc/self/mountinfo), links (the host's own
`ip -j link`), processes (recorded ones, any inside the lab's namespaces, any the killed
process started: trialforks.py is their subreaper), records, temp files, directories.

The random moments come from a seed printed at the start (LABKIT_KILL_SEED=N repeats a run);
every lab id holds a token of this run, so no trial can pass on another run's leftovers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit import cli
from labkit.engines import records
from labkit.engines.probe import probe

pytestmark = pytest.mark.skipif(not probe().netns_ok,
                                reason="needs root and network namespaces (labkit doctor)")
ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SEED = int(os.environ.get("LABKIT_KILL_SEED") or secrets.randbelow(2**32))
RUN = secrets.token_hex(2)  # this run's token, in every lab id (at most 12 characters)
HANG = 60.0  # seconds any one step may take before the test calls it a hang


# -- what a lab may leave behind ---------------------------------------------------------------
def host_links() -> list[tuple[int, str]]:
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True)
    return sorted((ln["ifindex"], ln["ifname"]) for ln in json.loads(out.stdout))


def _names_lab(path: str, lab_id: str) -> bool:
    return any(part == lab_id or part.startswith(f"{lab_id}-") or part.startswith(f"{lab_id}.")
               or part.startswith(f".{lab_id}.") for part in path.split("/"))


def netns_files(lab_id: str) -> list[str]:
    names = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    return sorted(f"/run/netns/{n}" for n in names if n.startswith(f"{lab_id}-"))


class Held:
    """fds on a lab's namespaces, taken before cleanup: a namespace keeps its identity while
    held, so a process still inside it afterwards is found even once its name is gone."""

    def __init__(self, lab_id: str) -> None:
        self.ids: dict[tuple[int, int], str] = {}
        self.fds: list[int] = []
        recorded = {ns for rec in records.all_records() if rec.lab_id == lab_id
                    for ns in rec.namespaces}
        for path in sorted(recorded | set(netns_files(lab_id))):
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                st = os.fstat(fd)
                self.fds.append(fd)
                self.ids[(st.st_dev, st.st_ino)] = path

    def processes_inside(self, but: frozenset[int] = frozenset()) -> list[str]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in but:
                continue
            try:
                st = os.stat(f"/proc/{entry}/ns/net")
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in self.ids:
                found.append(f"process {entry} ({comm}) in {self.ids[(st.st_dev, st.st_ino)]}")
        return found

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def recorded_processes(lab_id: str) -> list[tuple[int, int]]:
    return [(pid, start) for rec in records.all_records() if rec.lab_id == lab_id
            for pid, start, *_ in rec.processes]


def leftovers(lab_id: str, links_before: list[tuple[int, str]], held: Held | None = None,
              recorded: list[tuple[int, int]] = (), but: frozenset[int] = frozenset()
              ) -> list[str]:
    """Every trace of lab `lab_id` still on the machine (`but`: pids to ignore)."""
    found = [f"netns {p}" for p in netns_files(lab_id)]
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        found += [f"mount {line.split()[4]}" for line in f if _names_lab(line.split()[4], lab_id)]
    if host_links() != links_before:
        found.append(f"host links changed: {sorted(set(host_links()) - set(links_before))}")
    if held is not None:
        found += held.processes_inside(but)
    found += [f"recorded process {pid}" for pid, start in recorded
              if pid not in but and records.start_time(pid) == start]
    if records.RUN_DIR.is_dir():
        found += [f"record or temp file {p}" for p in sorted(os.listdir(records.RUN_DIR))
                  if _names_lab(p, lab_id)]
    found += [f"directory {d}" for d in sorted(Path(tempfile.gettempdir()).glob(f"{lab_id}-*"))]
    return found


def cleanup(lab_id: str, via_cli: bool) -> tuple[int, str, str]:
    """`labkit cleanup LAB_ID`: the command itself, or its main() in this process (the same
    code without an interpreter's start, for most trials)."""
    if via_cli:
        done = subprocess.run([PY, "-m", "labkit", "cleanup", lab_id], capture_output=True,
                              text=True, cwd=ROOT, timeout=HANG)
        return done.returncode, done.stdout, done.stderr
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(["cleanup", lab_id])
    return rc, out.getvalue(), err.getvalue()


# -- the fork server ---------------------------------------------------------------------------
# the phases of a trial child's life (trialforks.py), each between two of its marks
PHASES = {"build": ("start", "built"), "first use": ("built", "ready"),
          "fg": ("ready", "fg-done"), "bg": ("bg", "fg-done"), "close": ("closing", "closed")}


class Forks:
    """trialforks.py: forks one child per trial; reports children's marks and orphans."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([PY, str(ROOT / "tests" / "trialforks.py"), f"kw{RUN}"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=ROOT, bufsize=1)
        self.answers: queue.Queue[dict] = queue.Queue()
        self.changed = threading.Condition()
        self.marks: dict[int, dict[str, float]] = {}  # pid -> mark -> the child's monotonic
        # how long each phase takes here (without, with NetworkManager): running means, so a
        # kill "during the build" lands during it on a fast machine and a slow one alike
        self.took = {(phase, nm): 2.0 for phase in PHASES for nm in (False, True)}
        self.took.update({("build", False): 0.1, ("build", True): 0.5,
                          ("close", False): 0.05, ("close", True): 0.05})
        threading.Thread(target=self._read, daemon=True).start()
        assert "ready" in self.answers.get(timeout=HANG)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            msg = json.loads(line)
            if "pid" not in msg:
                self.answers.put(msg)
                continue
            with self.changed:
                self.marks.setdefault(msg["pid"], {})[msg["at"]] = msg["t"]
                self.changed.notify_all()

    def ask(self, **cmd: object) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.answers.get(timeout=HANG)

    def run(self, mode: str, lab_id: str, nm: bool, engine: str = "netns") -> int:
        return int(self.ask(op="run", mode=mode, lab_id=lab_id, nm=nm, engine=engine)["forked"])

    def seen(self, pid: int) -> list[str]:
        """Child `pid`'s marks so far, in order."""
        with self.changed:
            marks = dict(self.marks.get(pid, {}))
        return sorted(marks, key=marks.__getitem__)

    def wait_mark(self, pid: int, at: str, timeout: float = HANG) -> list[str]:
        """Wait for child `pid`'s mark `at`; its marks so far."""
        with self.changed:
            assert self.changed.wait_for(lambda: at in self.marks.get(pid, {}), timeout), (
                f"child {pid} never reached {at!r}: {self.marks.get(pid)}")
        return self.seen(pid)

    def learn(self, pid: int, nm: bool) -> None:
        """Fold the phases child `pid` went through into the running means."""
        marks = self.marks.get(pid, {})
        for phase, (a, b) in PHASES.items():
            if a in marks and b in marks:
                key = (phase, nm)
                self.took[key] = 0.7 * self.took[key] + 0.3 * (marks[b] - marks[a])

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        self.ask(op="kill", pid=pid, sig=int(sig))

    def reap(self, pid: int) -> None:
        self.ask(op="reap", pid=pid)

    def orphans(self, but: frozenset[int] = frozenset()) -> list[str]:
        return [f"orphan process {pid} ({comm})" for pid, comm in self.ask(op="orphans")["orphans"]
                if pid not in but]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=HANG)


@pytest.fixture(scope="module")
def forks() -> Iterator[Forks]:
    print(f"\ntest_cleanup_kill: seed {SEED} (LABKIT_KILL_SEED={SEED} repeats it), run {RUN}")
    server = Forks()
    try:
        yield server
    finally:
        server.close()


# -- kill -9 -----------------------------------------------------------------------------------
# (the phase a kill lands in, the child's mode, NetworkManager, trials); a kill lands at a
# random moment of its phase (a little past its end, at times), or in fg and bg in the
# second after the foreground ping (ping -c 5 -i 0.2) starts
PLAN = [("build", "fg", False, 66), ("build", "fg", True, 14),
        ("first use", "fg", False, 26), ("first use", "fg", True, 4),
        ("fg", "fg", False, 34), ("fg", "fg", True, 6),
        ("bg", "bg", False, 34), ("bg", "bg", True, 6), ("close", "close", False, 20)]
SIM_TRIALS = 10  # the sim's lab has a record too (its working directory)
WAVE = 4  # trials at a time: a lab's first use waits ~2 s for IPv6 DAD, mostly idle


def test_kill_9_at_random_moments_then_cleanup_leaves_nothing(forks: Forks) -> None:
    rng = random.Random(SEED)
    kinds = [(phase, mode, nm, "netns") for phase, mode, nm, n in PLAN for _ in range(n)]
    kinds += [("build", "build", False, "sim")] * SIM_TRIALS
    assert sum(1 for k in kinds if k[3] == "netns") >= 200
    rng.shuffle(kinds)
    kinds.sort(key=lambda k: k[0])  # a wave's trials take about as long as each other
    waves = [kinds[i:i + WAVE] for i in range(0, len(kinds), WAVE)]
    rng.shuffle(waves)
    links_before = host_links()
    landed: Counter[str] = Counter()  # where the kills landed: the child's last mark
    spent: Counter[str] = Counter()  # seconds, by the phase aimed at
    removed: Counter[str] = Counter()
    started = time.monotonic()
    n = 0
    for wave in waves:
        wave_started = time.monotonic()
        trials = []
        for phase, mode, nm, engine in wave:
            lab_id = f"k{RUN}{n:03d}"
            n += 1
            after = PHASES[phase][0]
            span = 1.0 if phase in ("fg", "bg") else 1.2 * forks.took[(phase, nm)]
            trials.append({"lab_id": lab_id, "phase": phase, "nm": nm, "engine": engine,
                           "after": after, "delay": rng.uniform(0.0, span),
                           "pid": forks.run(mode, lab_id, nm, engine)})
        _kill_at_their_moments(forks, trials)
        for t in trials:
            forks.reap(t["pid"])
            t["seen"] = forks.seen(t["pid"])
            forks.learn(t["pid"], t["nm"])
            landed[f"{t['engine']} {t['phase']}{' nm' if t['nm'] else ''}: killed after "
                   f"{t['seen'][-1]}"] += 1
        for t in trials:
            _cleanup_and_check(t, links_before, removed)
        left = forks.orphans()
        assert not left, (f"wave {[t['lab_id'] for t in trials]}, seed {SEED}", left)
        spent[wave[0][0]] += time.monotonic() - wave_started
    took = time.monotonic() - started
    print(f"test_cleanup_kill: {n} kill -9 trials ({WAVE} at a time) in {took:.1f} s, "
          f"seed {SEED}: nothing left after any")
    for where, count in sorted(landed.items()):
        print(f"  {count:4d}  {where}")
    print("  time by phase aimed at: " + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items()))
    print(f"  cleanup removed: {dict(removed)}")
    mid_build = sum(c for w, c in landed.items() if w.startswith("netns build")
                    and w.endswith("after start"))
    assert mid_build >= 20, ("the kills should land while labs build", landed)
    mid_ping = sum(c for w, c in landed.items() if w.startswith(("netns fg", "netns bg"))
                   and w.endswith(("after ready", "after bg")))
    assert mid_ping >= 20, ("the kills should land while the foreground ping runs", landed)


def _kill_at_their_moments(forks: Forks, trials: list[dict]) -> None:
    """SIGKILL each trial's child `delay` seconds after its mark `after`."""
    due: dict[int, float] = {}
    pending = {t["pid"]: t for t in trials}
    deadline = time.monotonic() + HANG
    while pending:
        assert time.monotonic() < deadline, f"trials hang: {[forks.seen(p) for p in pending]}"
        for pid, t in pending.items():
            if pid not in due and t["after"] in forks.seen(pid):
                due[pid] = time.monotonic() + t["delay"]
        ready = [pid for pid in pending if pid in due and due[pid] <= time.monotonic()]
        for pid in ready:
            forks.kill(pid)
            del pending[pid]
        if not ready:
            time.sleep(0.002)


def _cleanup_and_check(t: dict, links_before: list[tuple[int, str]],
                       removed: Counter[str]) -> None:
    lab_id, seen = t["lab_id"], t["seen"]
    held = Held(lab_id)
    recorded = recorded_processes(lab_id)
    try:
        rc, out, err = cleanup(lab_id, via_cli=lab_id.endswith("0"))
        if rc == 1 and "no record of a lab" in err:
            # killed before its first record, or once close() had removed it
            assert seen[-1:] in (["start"], ["closing"], ["closed"]), (lab_id, seen)
        else:
            assert rc == 0, (lab_id, rc, out, err)
            assert f"lab {lab_id}: removed" in out, (lab_id, out)
            for what in ("process", "namespace", "mount", "working directory"):
                removed[what] += f" {what} " in f" {out.replace(',', ' ')}"
        left = leftovers(lab_id, links_before, held, recorded)
    finally:
        held.close()
    assert not left, (f"{lab_id}: killed in {t['phase']} after {t['delay']:.3f} s, marks {seen}, "
                      f"seed {SEED}", left, out)


# -- Ctrl-C ------------------------------------------------------------------------------------
def test_ctrl_c_at_random_moments_rolls_back_or_closes(forks: Forks) -> None:
    """SIGINT (Ctrl-C) while the lab builds or while a real program runs: start() undoes what
    it built, or close() after the interrupted command removes it all (no cleanup run)."""
    rng = random.Random(SEED + 1)
    links_before = host_links()
    outcomes: Counter[str] = Counter()
    for i in range(36):
        phase = ("build", "first use", "fg", "bg")[i % 4]
        nm = i % 8 == 4
        lab_id = f"c{RUN}{i:03d}"
        pid = forks.run("bg-int" if phase == "bg" else "fg-int", lab_id, nm)
        forks.wait_mark(pid, PHASES[phase][0])
        span = 1.0 if phase in ("fg", "bg") else 1.2 * forks.took[(phase, nm)]
        time.sleep(rng.uniform(0.0, span))
        held = Held(lab_id)
        forks.kill(pid, signal.SIGINT)
        try:
            seen = forks.wait_mark(pid, "clean")
            forks.learn(pid, nm)
            outcomes[f"{phase}{' nm' if nm else ''}: "
                     f"{'rolled back' if 'built' not in seen else 'closed'}"] += 1
            left = leftovers(lab_id, links_before, held, but=frozenset({pid}))
            left += forks.orphans(but=frozenset({pid}))
        finally:
            held.close()
            forks.kill(pid)
            forks.reap(pid)
        assert not left, (f"Ctrl-C trial {i} ({phase}), seed {SEED}", seen, left)
        rc, _, err = cleanup(lab_id, via_cli=False)
        assert rc == 1 and "no record of a lab" in err  # nothing was left for cleanup
    print(f"test_cleanup_kill: Ctrl-C outcomes {dict(outcomes)}")
    assert any("rolled back" in k for k in outcomes)


# -- which processes cleanup ends ----------------------------------------------------------------
def test_cleanup_ends_the_recorded_processes_and_those_inside_the_lab_only() -> None:
    """A crashed lab's record lists a namespace and two processes: one still the process
    recorded, one whose pid now belongs to another process (its start time differs). Cleanup
    ends the first and a process found inside the namespace (never recorded), and leaves the
    other alone."""
    lab_id = f"p{RUN}"
    netns = f"{lab_id}-h"
    rec = records.fresh(lab_id)
    rec.pid, rec.pid_start = _a_dead_pid(), 0  # its owner is gone
    rec.will_create("namespaces", f"/run/netns/{netns}")
    subprocess.run(["ip", "netns", "add", netns], check=True)
    inside = subprocess.Popen(["ip", "netns", "exec", netns, "sleep", "300"])
    recorded = subprocess.Popen(["sleep", "300"])
    recycled = subprocess.Popen(["sleep", "300"])
    try:
        pids = [inside.pid, recorded.pid, recycled.pid]
        deadline = time.monotonic() + HANG
        while any(Path(f"/proc/{p}/comm").read_text().strip() != "sleep"
                  for p in pids) and time.monotonic() < deadline:
            time.sleep(0.01)  # until ip netns exec has exec'd sleep
        rec.note_process(recorded.pid)
        rec.processes.append([recycled.pid, (records.start_time(recycled.pid) or 0) - 1])
        rec.save()
        rc, out, err = cleanup(lab_id, via_cli=True)
        assert rc == 0, err
        assert f"process {recorded.pid} (sleep)" in out and f"process {inside.pid} (sleep)" in out
        assert f"namespace /run/netns/{netns}" in out
        assert recorded.wait(timeout=HANG) == -signal.SIGKILL
        assert inside.wait(timeout=HANG) == -signal.SIGKILL
        assert recycled.poll() is None and str(recycled.pid) not in out
        assert not netns_files(lab_id) and records.load(lab_id) is None
    finally:
        for proc in (inside, recorded, recycled):
            proc.kill()
            proc.wait()
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def _members(sid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            data = Path(f"/proc/{entry}/stat").read_bytes()
            fields = data[data.rindex(b")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != b"Z" and int(entry) != sid:
                out.append(int(entry))
    return out


def test_cleanup_ends_a_recorded_session_after_its_leader_is_gone() -> None:
    """A process noted with its session (virtme-ng's, whose qemu it starts): once the leader
    has gone, its session's members are still the lab's, and another session is not."""
    lab_id = f"q{RUN}"
    rec = records.fresh(lab_id)
    rec.pid, rec.pid_start = _a_dead_pid(), 0
    rec.save()
    leader = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300 & wait"],
                              start_new_session=True)
    other = subprocess.Popen(["sh", "-c", "sleep 300 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + HANG
        while len(_members(leader.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        members = _members(leader.pid)
        rec.note_process(leader.pid, session=True)
        leader.kill()
        leader.wait()  # the leader has gone; its sleeps go on
        assert all(records.start_time(p) for p in members)
        rc, out, err = cleanup(lab_id, via_cli=True)
        assert rc == 0, err
        assert all(f"process {p} (sleep)" in out for p in members), out
        assert not any(records.start_time(p) for p in members)
        assert other.poll() is None and _members(other.pid)
    finally:
        for proc in (leader, other):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


FAKE_VM = """
import sys
from labkit.engines import vm
# virtme-ng's place: a shell that says the guest booted, then waits on a child of its own
vm.vng_command = lambda script, rwdirs=(): [
    "sh", "-c", "sleep 300 & echo 'labkit-vm: booted' >&2; wait"]
vm.run(["true"])
"""


def test_kill_9_during_labkit_vm_then_cleanup_leaves_nothing() -> None:
    """`labkit vm` keeps a record too: after a kill -9, cleanup ends virtme-ng's session
    (qemu in it) and removes the scratch directory."""
    child = subprocess.Popen([PY, "-c", FAKE_VM], cwd=ROOT)
    try:
        deadline = time.monotonic() + HANG
        mine: list[records.Record] = []
        while time.monotonic() < deadline:
            mine = [r for r in records.all_records() if r.lab_id == "vm"
                    and r.pid == child.pid and r.processes and r.workdirs]
            if mine and len(_members(mine[0].processes[0][0])) >= 1:
                break
            time.sleep(0.02)
        assert mine, "labkit vm should record virtme-ng and its scratch directory"
        rec = mine[0]
        vng = rec.processes[0][0]
        sleeps = _members(vng)
        assert sleeps and Path(rec.workdirs[0]).is_dir()
    finally:
        child.kill()
        child.wait()
    assert records.start_time(vng) is not None  # a kill -9 ends labkit, not virtme-ng
    # what `labkit cleanup vm` does for this record (the command would also take other "vm"
    # records whose process is gone, which are not this test's)
    done = subprocess.run([PY, "-c", "import sys; from labkit.engines import records; "
                           f"print(records.remove(records.load({rec.name!r})))"],
                          capture_output=True, text=True, cwd=ROOT, timeout=HANG)
    assert f"process {vng} (sh)" in done.stdout and f"process {sleeps[0]} (sleep)" in done.stdout
    assert f"working directory {rec.workdirs[0]}" in done.stdout
    assert records.start_time(vng) is None and not _members(vng)
    assert not Path(rec.workdirs[0]).exists() and not rec.path.exists()


# -- close() and interpreter exit ----------------------------------------------------------------
def pings_in(netns: str) -> list[int]:
    """Pids of ping processes inside the named lab namespace (a program started with `&`
    may take a moment to be ping: its launcher execs it)."""
    target = os.stat(f"/run/netns/{netns}")
    deadline = time.monotonic() + HANG
    while True:
        found = []
        for entry in os.listdir("/proc"):
            with contextlib.suppress(OSError):
                st = os.stat(f"/proc/{entry}/ns/net")
                if ((st.st_dev, st.st_ino) == (target.st_dev, target.st_ino)
                        and Path(f"/proc/{entry}/comm").read_text().strip() == "ping"):
                    found.append(int(entry))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_close_ends_a_background_real_program() -> None:
    from labkit import Lab

    links_before = host_links()
    lab_id = f"b{RUN}"
    lab = Lab(engine="netns", networkmanager=False, lab_id=lab_id).start()
    lab.sh("ping -c 300 -i 0.2 192.168.1.1 &", host="outside")
    pings = pings_in(f"{lab_id}-outside")
    assert len(pings) == 1
    starts = [records.start_time(p) for p in pings]
    held = Held(lab_id)
    try:
        lab.close()
        assert [records.start_time(p) for p in pings] != starts  # the ping has ended
        assert not leftovers(lab_id, links_before, held)
    finally:
        held.close()


EXIT_WITHOUT_CLOSE = """
import json, sys, labkit
a = labkit.Lab(engine="netns", networkmanager=False, lab_id=sys.argv[1] + "a").start()
b = labkit.Lab(engine="netns", lab_id=sys.argv[1] + "b").start()
s = labkit.Lab(engine="sim", lab_id=sys.argv[1] + "s").start()
a.sh("ping -c 300 -i 0.2 192.168.1.1 &", host="outside")
b.sh("ping -c 300 -i 0.2 192.168.1.1 &", host="outside")
print(json.dumps([str(a.workdir), str(b.workdir), str(s.workdir)]), flush=True)
input()  # the test looks, then lets the interpreter end without close()
"""


def test_interpreter_exit_without_close_removes_every_lab() -> None:
    prefix = f"x{RUN}"
    links_before = host_links()
    child = subprocess.Popen([PY, "-c", EXIT_WITHOUT_CLOSE, prefix], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None and child.stdin is not None
    workdirs = json.loads(child.stdout.readline())
    pings = pings_in(f"{prefix}a-outside") + pings_in(f"{prefix}b-outside")
    assert len(pings) == 2 and all(Path(w).is_dir() for w in workdirs)
    starts = [records.start_time(p) for p in pings]
    held = [Held(f"{prefix}{x}") for x in "abs"]
    try:
        _, err = child.communicate("\n", timeout=HANG)
        assert child.returncode == 0, err
        assert all(records.start_time(p) != s for p, s in zip(pings, starts, strict=True))
        for x, h in zip("abs", held, strict=True):
            assert not leftovers(f"{prefix}{x}", links_before, h), x
    finally:
        for h in held:
            h.close()


# -- temp files of a save a kill interrupted ---------------------------------------------------
def test_cleanup_removes_stale_temp_files_and_only_those() -> None:
    records.run_dir()
    dead_pid = _a_dead_pid()
    stale = records.RUN_DIR / f".t{RUN}dead.{dead_pid}.tmp"
    recycled = records.RUN_DIR / f".t{RUN}recy.1.tmp"  # pid 1 started long after this "save"
    mine = records.RUN_DIR / f".t{RUN}mine.{os.getpid()}.tmp"  # a save in progress here
    for path in (stale, recycled, mine):
        path.write_text("{}\n")
    os.utime(recycled, (1_000_000_000, 1_000_000_000))
    try:
        for lab_id, path in ((f"t{RUN}dead", stale), (f"t{RUN}recy", recycled)):
            _, out, _ = cleanup(lab_id, via_cli=True)
            assert f"removed stale temp file {path}" in out and not path.exists(), out
        rc, out, err = cleanup(f"t{RUN}mine", via_cli=True)
        assert rc == 1 and mine.exists() and "no record of a lab" in err and not out
    finally:
        mine.unlink()


def _a_dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


KILLED_IN_SAVE = """
import os, sys, time, labkit
real_replace, saves = os.replace, [0]
def slow_replace(src, dst):  # the n-th save stops between writing its temp file and renaming
    saves[0] += 1
    if saves[0] == int(sys.argv[3]):
        print("saving", flush=True)
        time.sleep(60)
    real_replace(src, dst)
os.replace = slow_replace
labkit.Lab(engine=sys.argv[2], networkmanager=False, lab_id=sys.argv[1]).start()
"""


@pytest.mark.parametrize(("engine", "nth"), [("sim", 1), ("sim", 2), ("netns", 1),
                                             ("netns", 4), ("netns", 7)])
def test_kill_9_inside_a_save_then_cleanup_leaves_nothing(engine: str, nth: int) -> None:
    lab_id = f"s{RUN}{engine[0]}{nth}"
    links_before = host_links()
    child = subprocess.Popen([PY, "-c", KILLED_IN_SAVE, lab_id, engine, str(nth)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None and child.stdout.readline().strip() == "saving"
    child.kill()
    child.wait()
    temp = [p for p in os.listdir(records.RUN_DIR) if p.startswith(f".{lab_id}")]
    assert temp, "the kill should leave the save's temp file"
    held = Held(lab_id)
    try:
        rc, out, err = cleanup(lab_id, via_cli=True)
        assert rc in (0, 1), err  # 1: the kill came before the record's first save
        assert f"removed stale temp file {records.RUN_DIR}/{temp[0]}" in out, out + err
        assert not leftovers(lab_id, links_before, held)
    finally:
        held.close()


# -- another user's labs -------------------------------------------------------------------------
UNPRIVILEGED_LAB = """
import sys, labkit
from labkit.engines import records
lab = labkit.Lab(engine="sim", lab_id=sys.argv[1]).start()
print(records.RUN_DIR, lab.workdir, flush=True)
input()
"""


def test_an_unprivileged_users_lab_keeps_its_record_in_a_private_directory() -> None:
    """A user other than root: the record goes to a directory only that user can use, a kill
    -9 leaves the working directory listed there, and the user's `labkit cleanup` removes it."""
    lab_id = f"u{RUN}"
    home = Path(tempfile.mkdtemp(prefix="labkit-test-nobody-"))  # TMPDIR: nobody may write
    try:
        os.chmod(home, 0o1777)
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(home),
               "PYTHONPATH": str(ROOT)}
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY]
        child = subprocess.Popen([*as_nobody, "-c", UNPRIVILEGED_LAB, lab_id], env=env,
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout is not None
        run_dir, workdir = child.stdout.readline().split()
        assert run_dir == f"{home}/.labkit-65534"
        st = os.stat(run_dir)
        assert st.st_uid == 65534 and st.st_mode & 0o777 == 0o700
        assert Path(workdir).is_dir() and Path(workdir).parent == home
        child.kill()
        child.wait()
        done = subprocess.run([*as_nobody, "-m", "labkit", "cleanup"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=HANG)
        assert done.returncode == 0, done.stderr
        assert f"lab {lab_id}: removed working directory {workdir}" in done.stdout
        assert not Path(workdir).exists() and os.listdir(run_dir) == []
    finally:
        shutil.rmtree(home)


def test_a_record_directory_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    script = textwrap.dedent("""
        import labkit
        labkit.Lab(engine="sim").start()
    """)
    done = subprocess.run([PY, "-c", script], env={**os.environ, "LABKIT_RUN_DIR": str(shared)},
                          capture_output=True, text=True, cwd=ROOT, timeout=HANG)
    assert done.returncode != 0
    assert f"labkit will not keep its state records in {shared}" in done.stderr
    assert os.listdir(shared) == []
