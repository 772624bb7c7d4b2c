"""The sandbox a lab host's real programs run in, as a container would hold them.

One holder per lab host: a PID namespace whose init sits in the host's network namespace, in a
private mount namespace whose root is a small read-only tree (a tmpfs, pivot_root'ed): the
programs' binaries and libraries bound read-only, the few /etc files they read, /dev/null and
friends, /run/netns holding only this lab's namespaces, and a /proc of its own PID namespace
(so /proc/*/root, /proc/*/cwd and /proc/*/fd lead only into the tree). Each program enters the
holder's namespaces (`nsenter`) and runs with only CAP_NET_ADMIN and CAP_NET_RAW, no new
privileges (`setpriv`). The holder dies with labkit, even by kill -9: labkit's thread -> setpriv
--pdeathsig -> unshare --kill-child -> init of the PID namespace, whose death the kernel
follows by killing every process inside it.

Run as a script (`python -I -S sandbox.py`), this file is the holder's set-up: it imports
nothing of labkit but syscalls.py, loaded by path.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# the capabilities real programs keep: ip and bridge need NET_ADMIN, ping NET_RAW
CAPS = "-all,+net_admin,+net_raw"
# what a root terminal gives its programs (the recordings used the same)
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
       "LC_ALL": "C", "TERM": "dumb", "HOME": "/root"}
# programs the tree holds beside the real ones: the launcher and the holder's idle init
HELPERS = ("setpriv", "sleep")
# host files the programs read, bound read-only where they exist (public tables, no secrets)
ETC_BINDS = ("/etc/iproute2", "/usr/share/iproute2", "/etc/protocols", "/etc/services",
             "/etc/networks", "/etc/host.conf", "/usr/share/locale/locale.alias")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
# files the tree gets of its own (beside a fresh lab host's /etc/hosts): names from files only
ETC_FILES = {
    "/etc/nsswitch.conf": ("hosts: files dns\nnetworks: files\nprotocols: files\n"
                           "services: files\n"),
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "/etc/group": "root:x:0:\n",
}
NETNS_DIR = "/run/netns"
STAGE = "/tmp"  # where the holder builds the tree (its own mount namespace's /tmp only)
READY_TIMEOUT = 30.0  # seconds a holder may take to build its tree (an emulated CPU is slow)


class SandboxError(Exception):
    """The sandbox could not be made (a missing tool, a kernel without a namespace kind)."""


# -- what labkit's own programs (cat, ls, echo >) see of /proc and /sys ----------------------
# /proc files any container shows, harmless to share: they describe the machine, not its users
PROC_FILES = frozenset({"version", "uptime", "loadavg", "cpuinfo", "meminfo", "stat",
                        "modules", "filesystems"})
# sysfs of the lab host, below these: its network devices (class/net links into devices/...)
SYS_TREES = ("class/net", "devices/virtual/net")
SYS_ANCESTORS = frozenset({"", "class", "devices", "devices/virtual"})


@dataclass(frozen=True)
class Seen:
    """Where a /proc or /sys path of a lab host leads.

    kind: "net" (/proc/net of the host's namespace), "sysctl" (/proc/sys/net, opened inside
    it), "sys" (the host's own sysfs), "proc" (a harmless machine-wide file), "listing" (a
    directory on the way to those, listed as it is), or "denied" / "absent" (errno).
    """

    kind: str
    rel: str = ""  # below the kind's root
    errno: int = 0


def seen(path: str) -> Seen:
    """What a lab host's process would find at `path` (absolute, normalized), as a container
    shows it: its own network namespace's files; the machine's settings and other processes
    not at all (Permission denied where the file exists in any /proc or /sys, No such file or
    directory where it would not exist in a container: the host's process ids)."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("proc", "sys"):
        return Seen("absent", errno=errno.ENOENT)
    rest = "/".join(parts[1:])
    if parts[0] == "sys":
        if rest in SYS_ANCESTORS:
            return Seen("listing", rest)
        if any(rest == t or rest.startswith(t + "/") for t in SYS_TREES):
            return Seen("sys", rest)
        names = rest.split("/")
        depth = 1
        while "/".join(names[:depth]) in SYS_ANCESTORS:
            depth += 1
        return _closed(f"/sys/{'/'.join(names[:depth])}")
    if len(parts) == 1:
        return Seen("listing", "")
    top = parts[1]
    below = "/".join(parts[2:])
    if top == "net":
        return Seen("net", below)
    if top == "sys":
        if not below:
            return Seen("listing", "sys")
        if below == "net" or below.startswith("net/"):
            return Seen("sysctl", below[3:].lstrip("/"))
        return _closed(f"/proc/sys/{parts[2]}")
    if top.isdigit():  # the machine's processes: not in the lab host's PID namespace
        return Seen("absent", errno=errno.ENOENT)
    if top in PROC_FILES:
        return Seen("proc", "/".join(parts[1:])) if not below else Seen(
            "absent", errno=errno.ENOTDIR)
    return _closed(f"/proc/{top}")  # self, thread-self, kcore, sysrq-trigger, mounts...


def _closed(path: str) -> Seen:
    """A directory or file the lab host may not enter: denied, as a directory without search
    permission denies everything below it; absent where nothing is there at all."""
    if os.path.lexists(path):
        return Seen("denied", errno=errno.EACCES)
    return Seen("absent", errno=errno.ENOENT)


def proc_text(name: str, data: bytes) -> bytes:
    """A harmless /proc file as a container without CAP_SYSLOG reads it: /proc/modules
    without the kernel's addresses."""
    if name != "modules":
        return data
    return re.sub(rb"0x[0-9a-f]{16}", b"0x0000000000000000", data)


# -- the tree ------------------------------------------------------------------------------
TOOLS = ("nsenter", "unshare", "setpriv", "sleep", "ldd")  # what builds and enters a sandbox


def _tools() -> dict[str, str]:
    """util-linux's launchers on this machine, by name."""
    found = {name: shutil.which(name, path=ENV["PATH"]) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise SandboxError(f"the sandbox of real programs needs {', '.join(missing)} "
                           "(util-linux, coreutils, libc-bin)")
    return {name: str(path) for name, path in found.items()}


def _libraries(binary: str) -> list[str]:
    """The shared objects `binary` loads (its interpreter included), as ldd lists them."""
    out = subprocess.run([_tools()["ldd"], binary], capture_output=True, text=True,
                         env=ENV, check=False).stdout
    libs = []
    for line in out.splitlines():
        words = line.split()
        if "=>" in words and len(words) > words.index("=>") + 1:
            path = words[words.index("=>") + 1]
        elif words and words[0].startswith("/"):
            path = words[0]
        else:
            continue
        if path.startswith("/"):
            libs.append(path)
    return libs


def _replicate(path: str, links: dict[str, str], dirs: set[str]) -> str | None:
    """Note the directories and symlinks on the way to `path` as the host has them; return the
    real file it ends at (None if there is none). Symlinks are kept as they are, so a path
    that works on the host works in the tree."""
    seen = 0
    todo = [p for p in path.split("/") if p]
    done = ""
    while todo:
        part = todo.pop(0)
        if part == "..":
            done = os.path.dirname(done) if done else ""
            continue
        if part == ".":
            continue
        here = f"{done}/{part}"
        if os.path.islink(here):
            seen += 1
            if seen > 40:
                return None
            target = os.readlink(here)
            links[here] = target
            todo = [p for p in target.split("/") if p] + todo
            done = "" if target.startswith("/") else done
            continue
        if not os.path.exists(here):
            return None
        if todo:
            dirs.add(here)
        done = here
    return done or None


@functools.lru_cache(maxsize=8)
def _static_tree(programs: tuple[str, ...]) -> dict[str, Any]:
    """The part of the tree every holder of this process shares: binaries, libraries, /etc."""
    tools = _tools()
    links: dict[str, str] = {}
    dirs: set[str] = set()
    binds: dict[str, str] = {}  # target path in the tree -> host path (the same path)
    wanted: list[str] = []
    for name in (*programs, *HELPERS):
        where = shutil.which(name, path=ENV["PATH"])
        if where is None:
            continue
        wanted.append(where)
        wanted += _libraries(where)
    for extra in ETC_BINDS + DEVICES:
        if os.path.exists(extra):
            wanted.append(extra)
    for path in wanted:
        real = _replicate(path, links, dirs)
        if real is not None:
            binds[real] = real
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/var/run"):  # a merged-/usr host's links
        if os.path.islink(top):
            links.setdefault(top, os.readlink(top))
    programs_at = {name: shutil.which(name, path=ENV["PATH"]) for name in programs}
    from labkit.files import DEFAULT_FILES  # (labkit's side only: the holder imports none)

    return {"binds": sorted(binds), "links": links, "dirs": sorted(dirs),
            "files": {**ETC_FILES, "/etc/hosts": DEFAULT_FILES["etc/hosts"]},
            "devices": [d for d in DEVICES if d in binds],
            "setpriv": tools["setpriv"], "sleep": tools["sleep"],
            "programs": {k: v for k, v in programs_at.items() if v}}


def spec(programs: Iterable[str], netns_files: Iterable[str]) -> dict[str, Any]:
    """What one holder builds: the shared tree and the lab's namespace files (made in the
    order given, the lab's own: `ip netns list` shows them in its directory's order)."""
    return {**_static_tree(tuple(sorted(programs))), "netns": list(netns_files),
            "stage": STAGE, "owner": os.getpid()}


# -- the holder, seen from labkit ----------------------------------------------------------
class Sandbox:
    """One lab host's holder: started once, entered by every real program of that host."""

    def __init__(self, netns_path: str, tree: dict[str, Any]) -> None:
        self.netns_path = netns_path
        self.tree = tree
        self.proc: subprocess.Popen[bytes] | None = None
        self.init_pid: int | None = None  # the PID namespace's init, as labkit sees it

    def start(self) -> list[int]:
        """Start the holder and wait until its tree is built; the pids to note in the lab's
        record. Call it on a thread that lives as long as the lab: the holder's
        parent-death signal follows the thread that started it."""
        tools = _tools()
        argv = [tools["setpriv"], "--pdeathsig", "KILL", "--",
                tools["nsenter"], f"--net={self.netns_path}", "--",
                tools["unshare"], "--mount", "--pid", "--fork", "--kill-child",
                "--propagation", "private", "--",
                sys.executable, "-I", "-S", os.path.abspath(__file__)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=ENV, cwd="/",
                                     start_new_session=True)
        return [self.proc.pid]

    def wait_ready(self) -> int:
        """Send the tree, wait for the holder's "ready PID" line; the init's pid."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps(self.tree).encode())
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        line = _read_line(self.proc.stdout, READY_TIMEOUT)
        words = line.split()
        if len(words) != 2 or words[0] != "ready" or not words[1].isdigit():
            err = b""
            with contextlib.suppress(Exception):
                self.close()
                assert self.proc.stderr
                err = self.proc.stderr.read()
            why = (line.strip() or err.decode("utf-8", "replace").strip()
                   or "it ended without a word")
            raise SandboxError(f"the sandbox for {os.path.basename(self.netns_path)} could "
                               f"not be made: {why}")
        self.init_pid = int(words[1])  # the pipes stay open: unshare must never see EPIPE
        return self.init_pid

    def prefix(self) -> list[str]:
        """The command prefix that runs a program inside the sandbox, confined."""
        tools = _tools()
        return [tools["nsenter"], f"--target={self.init_pid}", "--mount", "--pid", "--net",
                "--root", "--wd", "--", self.tree["setpriv"], f"--bounding-set={CAPS}",
                f"--inh-caps={CAPS}", "--no-new-privs", "--"]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Kill the holder: its init dies, and the kernel kills everything inside."""
        if self.proc is None:
            return
        for pid in (self.init_pid, self.proc.pid):
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                with contextlib.suppress(Exception):
                    f.close()


def _read_line(stream: Any, timeout: float) -> str:
    """One line from a pipe, or what came before `timeout` seconds passed."""
    import select

    fd = stream.fileno()
    data = b""
    ready, _, _ = select.select([fd], [], [], timeout)
    while ready:
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
        if b"\n" in data:
            break
        ready, _, _ = select.select([fd], [], [], timeout)
    return data.decode("utf-8", "replace")


# -- the holder, from inside -----------------------------------------------------------------
def _build(tree: dict[str, Any], sc: Any) -> None:
    """Make the tree under the stage, mount it, and make it the root (pid 1 runs this)."""
    stage = next((d for d in (tree["stage"], "/mnt", "/srv") if os.path.isdir(d)), "/")
    if stage == "/":
        raise OSError(errno.ENOENT, "no directory to build the sandbox's tree on")
    sc.mount_data("tmpfs", stage, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV,
                  "mode=0755,size=1m,nr_inodes=4096")

    def at(path: str) -> str:
        return stage + path

    for d in tree["dirs"] + ["/proc", "/dev", "/run", NETNS_DIR, "/tmp", "/root"]:
        os.makedirs(at(d), exist_ok=True)
    for path, target in tree["links"].items():
        os.makedirs(os.path.dirname(at(path)), exist_ok=True)
        if not os.path.lexists(at(path)):
            os.symlink(target, at(path))
    for path, text in tree["files"].items():
        with open(at(path), "w", encoding="utf-8") as f:
            f.write(text)
    devices = set(tree["devices"])
    for path in tree["binds"]:
        if os.path.lexists(at(path)):
            continue
        if os.path.isdir(path):
            os.makedirs(at(path), exist_ok=True)
        else:
            os.close(os.open(at(path), os.O_WRONLY | os.O_CREAT, 0o644))
        sc.bind_read_only(path, at(path), sc.MS_NOSUID if path in devices
                          else sc.MS_NOSUID | sc.MS_NODEV)
    for path in tree["netns"]:
        os.close(os.open(at(path), os.O_WRONLY | os.O_CREAT, 0o444))
        sc.mount(path, at(path), None, sc.MS_BIND)
    # this PID namespace's own /proc; the kernel's settings in it read-only, as a container's
    sc.mount("proc", at("/proc"), "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)
    for path in ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"):
        if os.path.exists(at(path)):
            sc.bind_read_only(at(path), at(path))
    os.chdir(stage)
    sc.pivot_root(".", ".")
    sc.umount(".")  # the host's root, stacked under the tree: gone from this namespace
    os.chdir("/")
    sc.mount("none", "/", None, sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV)


def _alive(pid: int) -> bool:
    """Whether process `pid` of the host runs (not a zombie), read from the host's /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def _hold() -> None:
    """The holder's init: build the tree, say ready, then idle until killed."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    loaded = importlib.util.spec_from_file_location("labkit_sandbox_syscalls",
                                                    os.path.join(here, "syscalls.py"))
    assert loaded is not None and loaded.loader is not None
    sc = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(sc)
    outer_pid = int(os.readlink("/proc/self"))  # the host's /proc, before ours is mounted
    tree = json.loads(sys.stdin.read())
    if not _alive(tree["owner"]):  # labkit died before the death signals were armed
        os._exit(1)
    try:
        _build(tree, sc)
    except OSError as exc:
        sys.stdout.write(f"{exc}\n")
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.write(f"ready {outer_pid}\n")
    sys.stdout.flush()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.execv(tree["sleep"], ["sleep", "infinity"])


if __name__ == "__main__":
    _hold()
