"""State records: what a lab created, written down before it is created.

One JSON file per record lists a lab's processes (pid and start time), namespaces, mounts,
directories and working directory, each added before the thing exists, so a lab killed at any
instant (kill -9 included) leaves a record that names everything it may have left behind.
`remove` undoes exactly what a record lists, processes first, and nothing else: no name
patterns, no guessing. Records live in /run/labkit for root, else in the user's runtime
directory ($XDG_RUNTIME_DIR/labkit, or /tmp/.labkit-UID), a directory only its owner can use.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.errors import LabkitError


def _default_run_dir() -> Path:
    if "LABKIT_RUN_DIR" in os.environ:
        return Path(os.environ["LABKIT_RUN_DIR"])
    if os.geteuid() == 0:
        return Path("/run/labkit")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.stat(runtime).st_uid == os.geteuid():
        return Path(runtime) / "labkit"
    return Path(tempfile.gettempdir()) / f".labkit-{os.geteuid()}"


RUN_DIR = _default_run_dir()
PF_EXITING = 0x4  # /proc/PID/stat field 9: the process is on its way out
KINDS = ("processes", "namespaces", "mounts", "dirs", "workdirs")


@dataclass
class Record:
    """One lab's resources, in creation order.

    `name` is the file's name: the lab id itself for a lab that claims its id machine-wide
    (the netns engine's namespaces carry it), else the id with the owner's pid and a token.
    """

    lab_id: str
    pid: int
    started: float
    namespaces: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)  # empty directories (rmdir)
    workdirs: list[str] = field(default_factory=list)  # directory trees (removed whole)
    # [pid, start time(, 1: and its session)]: the start time is /proc/PID/stat field 22, so
    # a recycled pid is never taken for ours
    processes: list[list[int]] = field(default_factory=list)
    name: str = ""
    pid_start: int = 0  # the owner's start time (0: unknown, an older record)

    def __post_init__(self) -> None:
        self.name = self.name or self.lab_id

    @property
    def path(self) -> Path:
        return RUN_DIR / f"{self.name}.json"

    def save(self) -> None:
        """Write atomically: a reader sees the old record or the new one, never half."""
        run_dir()
        tmp = self.path.with_name(f".{self.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except BaseException:  # Ctrl-C or a full disk: no temp file stays behind
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def will_create(self, kind: str, path: str) -> None:
        """Note `path` before it is created (kind: namespaces, mounts, dirs or workdirs)."""
        getattr(self, kind).append(path)
        self.save()

    def created_not(self, kind: str, path: str) -> None:
        """Drop `path`, noted but then not created (or removed by its owner)."""
        entries = getattr(self, kind)
        if path in entries:
            entries.remove(path)
            self.save()

    def make_workdir(self, prefix: str) -> Path:
        """A new private directory in the temp directory (as mkdtemp makes one), noted before
        it exists; a name taken meanwhile is dropped from the record again, another tried."""
        tmp = tempfile.gettempdir()
        for _ in range(100):
            path = os.path.join(tmp, f"{prefix}{secrets.token_hex(4)}")
            if os.path.lexists(path):
                continue
            self.will_create("workdirs", path)
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                self.created_not("workdirs", path)
                continue
            return Path(path)
        raise FileExistsError(f"no free name for a working directory in {tmp}")

    def note_process(self, pid: int, session: bool = False) -> None:
        """Note a process the lab started (call right after spawning it); `session`: it leads
        a session of its own (start_new_session), whose every member is the lab's too."""
        start = start_time(pid)
        if start is None:  # already gone: nothing to remove later
            return
        self.processes.append([pid, start, 1] if session else [pid, start])
        self.save()

    def forget_process(self, pid: int) -> None:
        """Drop a process the lab has reaped."""
        kept = [p for p in self.processes if p[0] != pid]
        if kept != self.processes:
            self.processes = kept
            self.save()

    def owner_alive(self) -> bool:
        """True when the process that made this lab still runs (and is not us)."""
        if self.pid == os.getpid() or self.pid <= 0:
            return False
        if self.pid_start:
            return start_time(self.pid) == self.pid_start
        return _pid_alive(self.pid)

    def is_empty(self) -> bool:
        return not any(getattr(self, kind) for kind in KINDS)


def run_dir() -> Path:
    """The records' directory, made on first use; refused if it is not safely ours."""
    try:
        RUN_DIR.mkdir(mode=0o700 if os.geteuid() else 0o755, parents=True, exist_ok=True)
        st = os.lstat(RUN_DIR)
    except OSError as exc:
        raise LabkitError(f"labkit cannot keep its state records in {RUN_DIR}: "
                          f"{exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise LabkitError(f"labkit will not keep its state records in {RUN_DIR}: it is not a "
                          "directory that only you can write (remove it, or set "
                          "LABKIT_RUN_DIR)")
    return RUN_DIR


def start_time(pid: int) -> int | None:
    """The start time of process `pid` (clock ticks since boot), or None if it is gone or
    going (killed, it may wait to exit until its own children are reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = _stat_fields(data)
    if len(fields) < 20 or fields[0] in (b"Z", b"X") or int(fields[6]) & PF_EXITING:
        return None  # ending or ended (a zombie, or an init waiting for its namespace)
    return int(fields[19])  # field 22 of proc(5)


def _stat_fields(data: bytes) -> list[bytes]:
    """/proc/PID/stat's fields from field 3 (state) on; comm may hold spaces and ')'."""
    return data[data.rfind(b")") + 2:].split()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fresh(lab_id: str, *, exclusive: bool = True) -> Record:
    """A record for a lab starting now, not yet saved (keep it, then save it: a Ctrl-C
    in between can then not leave a saved record nobody holds). `exclusive`: named by the
    lab id alone (the caller has checked no live lab holds it); else a name no other lab
    shares."""
    pid = os.getpid()
    name = lab_id if exclusive else f"{lab_id}.{pid}.{secrets.token_hex(3)}"
    return Record(lab_id, pid=pid, started=time.time(), name=name,
                  pid_start=start_time(pid) or 0)


def new(lab_id: str, *, exclusive: bool = True) -> Record:
    """fresh(), saved."""
    rec = fresh(lab_id, exclusive=exclusive)
    rec.save()
    return rec


def load(name: str) -> Record | None:
    """The record named `name` (a lab id, for a lab that claims its id), or None."""
    path = RUN_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        defaults = asdict(Record(name, 0, 0.0))
        rec = Record(**{k: data.get(k, v) for k, v in defaults.items()})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return Record(name, pid=0, started=0.0)  # unreadable: nothing known but the name
    rec.name = name
    return rec


def all_records() -> list[Record]:
    """Every lab record in this user's record directory."""
    if not RUN_DIR.is_dir():
        return []
    out = []
    for path in sorted(RUN_DIR.glob("*.json")):
        rec = load(path.stem)
        if rec is not None:
            out.append(rec)
    return out


def remove_crashed(lab_id: str) -> list[str]:
    """Remove the records of lab `lab_id` left by processes that are gone (a crashed lab's
    leftovers, before a new lab takes the id); what was removed."""
    removed: list[str] = []
    for rec in all_records():
        if rec.lab_id == lab_id and rec.pid != os.getpid() and not rec.owner_alive():
            removed += remove(rec)
    return removed


def stale_temp_files(lab_ids: Collection[str] | None = None) -> list[Path]:
    """Temp files (`.NAME.PID.tmp`) that a save killed halfway left: their writer is gone.
    `lab_ids`: only those of these labs (NAME starts with the lab id)."""
    if not RUN_DIR.is_dir():
        return []
    out = []
    for path in sorted(RUN_DIR.glob(".*.tmp")):
        try:
            name, pid_text = path.name[1:-len(".tmp")].rsplit(".", 1)
            pid = int(pid_text)
            mtime = path.stat().st_mtime
        except (ValueError, OSError):
            continue
        if lab_ids is not None and name.split(".", 1)[0] not in lab_ids:
            continue
        if not _writer_may_live(pid, mtime):
            out.append(path)
    return out


def _writer_may_live(pid: int, mtime: float) -> bool:
    """False when process `pid` cannot have written a file at `mtime`: it is gone, or it
    started after (the pid was recycled)."""
    start = start_time(pid)
    if start is None:
        return False
    return _boot_time() + start / os.sysconf("SC_CLK_TCK") <= mtime + 1.0


def _boot_time() -> float:
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def remove_stale_temp_files(lab_ids: Collection[str] | None = None) -> list[str]:
    """Remove `stale_temp_files(lab_ids)`; what was removed."""
    removed = []
    for path in stale_temp_files(lab_ids):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(f"stale temp file {path}")
    return removed


# -- undoing a record ------------------------------------------------------------------------
def remove(rec: Record) -> list[str]:
    """Undo everything `rec` lists, then drop the record; what was removed.

    Processes go first: those recorded (if still the same process: same start time) and any
    process inside the lab's namespaces, found by the namespace's identity while an fd holds
    it (so the identity cannot pass to a new namespace meanwhile). Then mounts and namespaces
    (newest first), directories and the working directory; the record goes last, so an
    interrupted removal is finished by the next one.
    """
    removed: list[str] = []
    held = _hold_namespaces(rec.namespaces)
    try:
        removed += _end_processes(rec, held)
        for mount in reversed(rec.mounts):
            if _unmount(mount):
                removed.append(f"mount {mount}")
        for ns in reversed(rec.namespaces):
            if _unmount(ns):
                removed.append(f"namespace {ns}")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(ns)
        # a process that entered a namespace just before its file went (a spawn racing
        # the kill) is still found by the identity held
        removed += _end_processes(rec, held, recorded=False)
    finally:
        for fd in held.values():
            os.close(fd)
    for mount in reversed(rec.mounts):
        with contextlib.suppress(OSError):
            os.rmdir(mount)
    for d in reversed(rec.dirs):
        with contextlib.suppress(OSError):
            os.rmdir(d)
    for tree in reversed(rec.workdirs):
        if _remove_tree(tree):
            removed.append(f"working directory {tree}")
    with contextlib.suppress(FileNotFoundError):
        rec.path.unlink()
    return removed


def _hold_namespaces(paths: list[str]) -> dict[tuple[int, int], int]:
    """(st_dev, st_ino) -> an fd on each namespace file (a file not yet mounted over holds
    no namespace, and no process's /proc/PID/ns/net will match it)."""
    held: dict[tuple[int, int], int] = {}
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        st = os.fstat(fd)
        held[(st.st_dev, st.st_ino)] = fd
    return held


def _end_processes(rec: Record, held: dict[tuple[int, int], int],
                   recorded: bool = True) -> list[str]:
    """SIGKILL the record's processes and every process in a held namespace; wait until they
    have ended (rounds, so a child forked meanwhile is found too)."""
    removed: list[str] = []
    for _ in range(20):
        targets = []
        if recorded:
            targets += list(_recorded(rec))
        if held:
            targets += list(_inside(held))
        if not targets:
            break
        for pid, pidfd in targets:
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                comm = "?"
            if _kill(pidfd):
                removed.append(f"process {pid} ({comm})")
        _wait_ended(targets)
        recorded = False  # recorded processes are dealt with: later rounds look inside
    return removed


def _recorded(rec: Record) -> Iterator[tuple[int, int]]:
    """(pid, pidfd) of each recorded process that is still the one recorded, and of each
    member of a recorded session."""
    me = os.getpid()
    sessions = set()
    for pid, start, *session in rec.processes:
        leader = start_time(pid)
        if session and leader in (None, start):
            # the kernel gives no new process a pid still in use as a session id: while a
            # member lives, the id is this session's; a new leader of that pid started later
            sessions.add(pid)
        if pid == me:
            continue
        pidfd = _pidfd(pid)
        if pidfd is None:
            continue
        if start_time(pid) == start:  # checked after the pidfd: it cannot be recycled now
            yield pid, pidfd
        else:
            os.close(pidfd)
    if sessions:
        yield from _in_sessions(sessions, but=me)


def _in_sessions(sessions: set[int], but: int) -> Iterator[tuple[int, int]]:
    """(pid, pidfd) of each process (not a leader: those are recorded) in one of `sessions`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in sessions or int(entry) == but:
            continue
        pidfd = _pidfd(int(entry))
        if pidfd is None:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = _stat_fields(f.read())
            sid = int(fields[3])  # field 6
        except (OSError, IndexError, ValueError):
            sid = 0
        if sid in sessions:
            yield int(entry), pidfd
        else:
            os.close(pidfd)


def _inside(held: dict[tuple[int, int], int]) -> Iterator[tuple[int, int]]:
    """(pid, pidfd) of each process whose network namespace is one of `held`."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        pidfd = _pidfd(pid)
        if pidfd is None:
            continue
        try:
            st = os.stat(f"/proc/{pid}/ns/net")
        except OSError:  # gone, a zombie, or a kernel thread
            os.close(pidfd)
            continue
        if (st.st_dev, st.st_ino) in held:
            yield pid, pidfd
        else:
            os.close(pidfd)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def _kill(pidfd: int) -> bool:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        return False
    return True


def _wait_ended(targets: list[tuple[int, int]], timeout: float = 5.0) -> None:
    """Wait until each process has ended (its pidfd turns readable), reaping our own
    children; then close the pidfds."""
    deadline = time.monotonic() + timeout
    for pid, pidfd in targets:
        while start_time(pid) is not None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if select.select([pidfd], [], [], 0.01)[0]:
                    break
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
        os.close(pidfd)


def _unmount(path: str) -> bool:
    """Unmount whatever is mounted at `path` (mounts may stack); False if nothing was."""
    from labkit.engines.netns import syscalls

    done = False
    while True:
        try:
            syscalls.umount(path)
        except OSError:  # EINVAL: not a mount point; ENOENT: gone
            return done
        done = True


def _remove_tree(path: str) -> bool:
    """Remove the directory tree at `path` if it is a real directory of ours."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True
