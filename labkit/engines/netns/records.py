"""State records: what a lab on a real kernel created, written down before it is created.

One JSON file per lab (`/run/labkit/<lab id>.json`) lists the lab's namespaces and mounts by
exact path, each added before the resource exists, so a lab killed at any instant (kill -9
included) leaves a record that names everything it may have left behind. `cleanup` removes
exactly what records list, and nothing else: no name patterns, no guessing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.engines.netns import syscalls

RUN_DIR = Path(os.environ.get("LABKIT_RUN_DIR", "/run/labkit"))


@dataclass
class Record:
    """One lab's resources: network namespace files and mount points, in creation order."""

    lab_id: str
    pid: int
    started: float
    namespaces: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    # [pid, start time]: /proc/PID/stat field 22, so a recycled pid is never taken for ours
    processes: list[list[int]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return RUN_DIR / f"{self.lab_id}.json"

    def save(self) -> None:
        """Write atomically: a reader sees the old record or the new one, never half."""
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.lab_id}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def will_create(self, kind: str, path: str) -> None:
        """Note `path` before it is created (kind: namespaces, mounts or dirs)."""
        getattr(self, kind).append(path)
        self.save()

    def note_process(self, pid: int) -> None:
        """Note a process the lab started (call right after spawning it)."""
        start = start_time(pid)
        if start is None:  # already gone: nothing to remove later
            return
        self.processes.append([pid, start])
        self.save()

    def forget_process(self, pid: int) -> None:
        """Drop a process the lab has reaped."""
        kept = [p for p in self.processes if p[0] != pid]
        if kept != self.processes:
            self.processes = kept
            self.save()

    def owner_alive(self) -> bool:
        """True when the process that made this lab still runs (and is not us)."""
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def start_time(pid: int) -> int | None:
    """The start time of process `pid` (clock ticks since boot), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # field 2 (comm) may hold spaces and parentheses: count fields after its last ')'
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of stat(5): 3 + 19
    except (IndexError, ValueError):
        return None


def load(lab_id: str) -> Record | None:
    """The record of lab `lab_id`, or None."""
    path = RUN_DIR / f"{lab_id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Record(lab_id, pid=0, started=0.0)  # torn by a crash mid-write: nothing known
    return Record(**{k: data.get(k, v) for k, v in asdict(Record(lab_id, 0, 0.0)).items()})


def all_records() -> list[Record]:
    """Every lab record on this machine."""
    if not RUN_DIR.is_dir():
        return []
    out = []
    for path in sorted(RUN_DIR.glob("*.json")):
        rec = load(path.stem)
        if rec is not None:
            out.append(rec)
    return out


def new(lab_id: str) -> Record:
    rec = Record(lab_id, pid=os.getpid(), started=time.time())
    rec.save()
    return rec


def remove(rec: Record) -> list[str]:
    """Undo everything `rec` lists (newest first), then drop the record; what was removed."""
    removed: list[str] = []
    for mount in reversed(rec.mounts):
        if _unmount(mount):
            removed.append(f"mount {mount}")
    for ns in reversed(rec.namespaces):
        if _unmount(ns):
            removed.append(f"namespace {ns}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(ns)
    for mount in reversed(rec.mounts):
        with contextlib.suppress(FileNotFoundError, OSError):
            os.rmdir(mount)
    for d in reversed(rec.dirs):
        with contextlib.suppress(FileNotFoundError, OSError):
            os.rmdir(d)
    with contextlib.suppress(FileNotFoundError):
        rec.path.unlink()
    return removed


def _unmount(path: str) -> bool:
    """Unmount whatever is mounted at `path` (mounts may stack); False if nothing was."""
    done = False
    while True:
        try:
            syscalls.umount(path)
        except OSError:  # EINVAL: not a mount point; ENOENT: gone
            return done
        done = True
