"""The lab's own kernel log on the netns engine: the machine's, kept to the lab's devices.

A machine has one kernel log for all its namespaces, and a lab's sandbox has no CAP_SYSLOG
(it would read the host's and every other lab's lines). The engine, privileged, reads
/dev/kmsg from the moment the lab is built and keeps a line when it is about one of the lab's
own devices: netdev_printk prefixes the device's name (`bond0: (slave ens37): ...`,
`br0: port 2(sw37) entered ...`, `bond0 (unregistering): ...`), addrconf names it after its
tag (`IPv6: ADDRCONF(NETDEV_CHANGE): ens37: ...`), the core and bonding_masters in their
words (`device sw37 left promiscuous mode`, `bonding: bond1 is being deleted...`). The
lab's devices are every name its namespaces have had since the start (a link monitor in
each, so a bond made and deleted between two `dmesg` still counts).

A name is not an identity: a virtual device's lines carry no device id in /dev/kmsg (a
netdev without a parent device prints with plain printk), and two labs both have a bond0.
So a line is shown only when no other network namespace of the machine can have printed
it: while the machine has network namespaces that are neither the engine's own nor the
lab's (another lab, a container), every line is withheld, and so is a line naming a device
that the engine's own namespace (the host's) has. How many lines the last read withheld is
kept (`withheld`), for the lab's dmesg to say. Lines naming no device are never shown.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import socket
import struct
from collections.abc import Callable

from labkit.engines.sim.printk import Record

RTMGRP_LINK = 1
RTM_NEWLINK = 16
IFLA_IFNAME = 3
MONITOR_RCVBUF = 1 << 20
_NAMED = (re.compile(r"^device (\S+) (?:entered|left) promiscuous mode$"),  # dev_set_promiscuity
          re.compile(r"^bonding: (\S+) is being (?:created|deleted)\.\.\.$"),  # bonding_masters
          re.compile(r"^(?:IPv6: ADDRCONF\(\w+\): )?([^\s:()]+)(?: \(unregistering\))?: "))
_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def open_link_monitor() -> socket.socket:
    """A NETLINK_ROUTE socket on the link group, in the calling thread's namespace."""
    sock = socket.socket(socket.AF_NETLINK,
                         socket.SOCK_RAW | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK, 0)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, MONITOR_RCVBUF)
    sock.bind((0, RTMGRP_LINK))
    return sock


def link_names(data: bytes) -> list[str]:
    """IFLA_IFNAME of every RTM_NEWLINK in a datagram of netlink messages."""
    names: list[str] = []
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind == RTM_NEWLINK:
            attr = off + 16 + 16  # nlmsghdr, ifinfomsg
            while attr + 4 <= off + length:
                alen, atype = struct.unpack_from("=HH", data, attr)
                if alen < 4:
                    break
                if atype == IFLA_IFNAME:
                    names.append(data[attr + 4:attr + alen].split(b"\0")[0].decode(
                        "utf-8", "replace"))
                attr += (alen + 3) & ~3
        off += (length + 3) & ~3
    return names


def parse_record(raw: bytes) -> Record | None:
    """One /dev/kmsg record ("PRI,SEQ,USEC,FLAGS;TEXT" and dictionary lines) as a Record."""
    head, sep, rest = raw.decode("utf-8", "replace").partition(";")
    fields = head.split(",")
    if not sep or len(fields) < 3 or not all(f.isdigit() for f in fields[:3]):
        return None
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), rest.split("\n", 1)[0])
    pri = int(fields[0])
    return Record(seq=int(fields[1]), ns=int(fields[2]) * 1000, level=pri & 7, text=text,
                  facility=pri >> 3)


def device_named(text: str) -> str | None:
    """The device a kernel line is about, by its prefix (None: it names none)."""
    for pattern in _NAMED:
        m = pattern.match(text)
        if m:
            return m.group(1)
    return None


class LabKernelLog:
    """The lab's view of /dev/kmsg: what `dmesg` and `journalctl -k` of the lab read.

    `own_namespaces` gives the inode numbers of the lab's namespaces, `monitors` their link
    monitors, `current_names` the names their devices have now. Same interface as the sim's
    KernelLog (records, journal, clear), so the lab's dmesg reads either.
    """

    def __init__(self, own_namespaces: Callable[[], set[int]],
                 monitors: Callable[[], list[socket.socket]],
                 current_names: Callable[[], set[str]]) -> None:
        self._own = own_namespaces
        self._monitors = monitors
        self._current = current_names
        self._fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        os.lseek(self._fd, 0, os.SEEK_END)  # the lab's log starts with the lab
        self._kept: list[Record] = []
        self._names: set[str] = set()
        self.clear_seq = 0
        self.withheld = 0  # lines about a name another namespace may have, at the last read

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    # -- what the lab's programs call --------------------------------------------------------
    def records(self) -> list[Record]:
        self._drain()
        return [r for r in self._kept if r.seq >= self.clear_seq]

    def journal(self) -> list[Record]:
        self._drain()
        return list(self._kept)

    def clear(self) -> None:
        self._drain()
        self.clear_seq = self._kept[-1].seq + 1 if self._kept else self.clear_seq

    # -- reading -----------------------------------------------------------------------------
    def _drain(self) -> None:
        self._learn_names()
        fresh: list[Record] = []
        while True:
            try:
                raw = os.read(self._fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # records overwritten before we read them
                    continue
                raise
            if not raw:
                break
            record = parse_record(raw)
            if record is not None:
                fresh.append(record)
        self.withheld = 0
        if not fresh:
            return
        foreign = self._foreign_namespaces()
        hosts = set(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else set()
        for record in fresh:
            name = device_named(record.text)
            if name is None or name not in self._names:
                continue
            if foreign or name in hosts:
                self.withheld += 1
                continue
            self._kept.append(record)

    def _learn_names(self) -> None:
        self._names |= self._current()
        for sock in self._monitors():
            while True:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno == errno.ENOBUFS:  # overran: the current names still count
                        continue
                    break
                self._names.update(link_names(data))

    def _foreign_namespaces(self) -> set[int]:
        """Network namespaces of the machine that are neither the engine's nor the lab's."""
        seen: set[int] = set()
        for path in glob.glob("/proc/[0-9]*/ns/net") + glob.glob("/run/netns/*"):
            with contextlib.suppress(OSError):
                seen.add(os.stat(path).st_ino)
        with contextlib.suppress(OSError):
            seen.discard(os.stat("/proc/self/ns/net").st_ino)
        return seen - self._own()
