"""The few Linux calls Python 3.11's os module lacks: setns, unshare, mount, umount2.

The netns engine enters a lab namespace only for the calling thread and only for as long as one
operation takes (`entered`), so the rest of the process (a Jupyter kernel's other threads
included) never leaves the namespace it started in.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(rc: int, what: str, path: str | None = None) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace `fd` refers to."""
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def unshare_net() -> None:
    """Give the calling thread a new, empty network namespace."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int) -> None:
    _check(_libc.mount(source.encode(), target.encode(),
                       fstype.encode() if fstype else None, flags, None), "mount", target)


def umount(target: str) -> None:
    """Detach the mount at `target` (lazily, as `umount -l` does)."""
    _check(_libc.umount2(target.encode(), MNT_DETACH), "umount", target)


def current_netns() -> int:
    """An fd on the calling thread's own network namespace (close it when done)."""
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


@contextmanager
def entered(fd: int) -> Iterator[None]:
    """Run the block with the calling thread inside namespace `fd`, then return home."""
    home = current_netns()
    try:
        try:  # setns inside: a Ctrl-C right after it still sends the thread home
            setns(fd)
            yield
        finally:
            setns(home)
    finally:
        os.close(home)


def is_mountpoint(path: str) -> bool:
    """True when `path` is the target of a mount (as /proc/self/mountinfo lists it)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return any(line.split()[4] == path for line in f)


# -- the sandbox's holder (sandbox.py) --------------------------------------------------------
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_PRIVATE = 1 << 18
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


def mount_data(source: str, target: str, fstype: str | None, flags: int, data: str) -> None:
    """mount(2) with filesystem options (tmpfs's size, mode)."""
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode()), "mount", target)


def bind_read_only(source: str, target: str, flags: int = MS_NOSUID | MS_NODEV) -> None:
    """Bind `source` at `target`, then make that mount read-only (a bind takes the source's
    flags until it is remounted)."""
    mount(source, target, None, MS_BIND | MS_REC)
    mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


def pivot_root(new_root: str, put_old: str) -> None:
    """Make `new_root` the root of the calling process's mount namespace."""
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(38, f"pivot_root: no syscall number known for {os.uname().machine}")
    _check(_libc.syscall(number, new_root.encode(), put_old.encode()), "pivot_root", new_root)
