"""dmesg (util-linux 2.38) and the kernel part of journalctl: the simulated kernel's log.

On the sim the lines come from the machine's printk ring (labkit.engines.sim.printk), with the
lab clock's time; on engines with a real kernel the real dmesg runs instead. What an
administrator types after a failover (`dmesg`, `dmesg -T`, `dmesg -t | grep bond0`,
`dmesg --level=err,warn`, `dmesg -c`/`-C`) prints what the real one prints.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from labkit.i18n import ngettext
from labkit.system.host import STABLE_EPOCH

if TYPE_CHECKING:
    from labkit.engines.sim.printk import KernelLog, Record
    from labkit.shell.program import Invocation

LEVEL_NAMES = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")

FACILITY_NAMES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
                  "cron", "authpriv", "ftp")
LONG_OPTIONS = {"--clear": "C", "--read-clear": "c", "--notime": "t", "--ctime": "T",
                "--decode": "x", "--kernel": "k", "--raw": "r", "--nopager": "P",
                "--reltime": "e", "--human": "H", "--show-delta": "d", "--userspace": "u"}
ARG_OPTIONS = {"--level": "l", "--console-level": "n", "--facility": "f"}
NO_LOG = "dmesg: read kernel buffer failed: Operation not permitted\n"


def kernel_log(inv: Invocation) -> KernelLog | None:
    """The lab's kernel log, where the engine keeps one (the sim)."""
    getter = getattr(inv.engine, "kernel_log", None)
    return getter() if callable(getter) else None


def boot_epoch(inv: Invocation) -> float:
    """Wall-clock time of the lab's boot (for `dmesg -T` and the journal's stamps)."""
    system = inv.shell.systems.get(inv.host)
    nm = getattr(system, "nm", None)
    if nm is not None:
        return float(nm.epoch)
    return STABLE_EPOCH


def _levels(spec: str, inv: Invocation) -> set[int] | None:
    levels: set[int] = set()
    for name in spec.split(","):
        if name not in LEVEL_NAMES:
            inv.err(f"dmesg: unknown level '{name}'\n")
            return None
        levels.add(LEVEL_NAMES.index(name))
    return levels


def _facilities(spec: str, inv: Invocation) -> set[int] | None:
    found: set[int] = set()
    for name in spec.split(","):
        if name not in FACILITY_NAMES:
            inv.err(f"dmesg: unknown facility '{name}'\n")
            return None
        found.add(FACILITY_NAMES.index(name))
    return found


def dmesg(inv: Invocation) -> int:
    """dmesg [-C|-c] [-t|-T] [-x] [-k] [-r] [-l LEVELS] [-f FACILITIES] [-n LEVEL]."""
    flags: set[str] = set()
    levels: set[int] | None = None
    facilities: set[int] | None = None
    args = inv.argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a in ("-w", "-W", "--follow", "--follow-new"):
            inv.err("labkit: dmesg --follow waits for new lines forever, which a lab command "
                    "line cannot; run dmesg again (or dmesg -c) after the change\n")
            return 1
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name in LONG_OPTIONS and not eq:
                flags.add(LONG_OPTIONS[name])
                continue
            if name in ARG_OPTIONS:
                if not eq:
                    if i >= len(args):
                        inv.err(f"dmesg: option '{name}' requires an argument\n"
                                "Try 'dmesg --help' for more information.\n")
                        return 1
                    value, i = args[i], i + 1
                a = "-" + ARG_OPTIONS[name] + value
            else:
                inv.err(f"dmesg: unrecognized option '{a}'\n"
                        "Try 'dmesg --help' for more information.\n")
                return 1
        if not a.startswith("-") or a == "-":
            inv.err("dmesg: bad usage\nTry 'dmesg --help' for more information.\n")
            return 1
        j = 1
        while j < len(a):
            c = a[j]
            j += 1
            if c in "lnf":
                value = a[j:]
                if not value:
                    if i >= len(args):
                        inv.err(f"dmesg: option requires an argument -- '{c}'\n"
                                "Try 'dmesg --help' for more information.\n")
                        return 1
                    value, i = args[i], i + 1
                if c == "l":
                    levels = _levels(value, inv)
                    if levels is None:
                        return 1
                elif c == "f":
                    facilities = _facilities(value, inv)
                    if facilities is None:
                        return 1
                else:
                    if value not in LEVEL_NAMES and not (value.isdigit() and 1 <= int(value) <= 8):
                        inv.err(f"dmesg: unknown level '{value}'\n")
                        return 1
                    flags.add("n")
                break
            if c not in "CctTxkrPeHdu":
                inv.err(f"dmesg: invalid option -- '{c}'\n"
                        "Try 'dmesg --help' for more information.\n")
                return 1
            flags.add(c)
    log = kernel_log(inv)
    if log is None:
        inv.err(NO_LOG)
        return 1
    if "C" in flags:
        log.clear()
        return 0
    if "n" in flags:
        return 0
    records = log.records()
    if "u" in flags and "k" not in flags:
        records = []  # userspace lines: nothing in the lab writes to /dev/kmsg
    if levels is not None:
        records = [r for r in records if r.level in levels]
    if facilities is not None:
        records = [r for r in records if r.facility in facilities]
    epoch = boot_epoch(inv)
    inv.out("".join(_line(r, flags, epoch) for r in records))
    withheld = getattr(log, "withheld", 0)  # the netns engine's log of the lab's own
    if withheld:
        inv.err(ngettext("labkit: {count} line left out: it names a device that another "
                         "network namespace on this machine (another lab, a container) may "
                         "have too\n",
                         "labkit: {count} lines left out: they name devices that another "
                         "network namespace on this machine (another lab, a container) may "
                         "have too\n", withheld).format(count=withheld))
    if "c" in flags:
        log.clear()
    return 0


def _line(r: Record, flags: set[str], epoch: float) -> str:
    stamp = f"[{r.usec // 1_000_000:5d}.{r.usec % 1_000_000:06d}]"
    if "r" in flags:
        return f"<{r.facility * 8 + r.level}>{stamp} {r.text}\n"
    prefix = ""
    if "x" in flags:
        prefix = f"{FACILITY_NAMES[r.facility]:<6}:{LEVEL_NAMES[r.level]:<6}: "
    if "t" in flags:
        return prefix + r.text + "\n"
    if "T" in flags:
        when = _dt.datetime.fromtimestamp(epoch + r.ns / 1e9, tz=_dt.timezone.utc)
        return f"{prefix}[{when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}] {r.text}\n"
    return f"{prefix}{stamp} {r.text}\n"


def journal_kernel_lines(inv: Invocation) -> list[str]:
    """journalctl -k's short format: "Mon DD HH:MM:SS host kernel: text"."""
    log = kernel_log(inv)
    if log is None:
        return []
    epoch = boot_epoch(inv)
    out = []
    for r in log.journal():
        when = _dt.datetime.fromtimestamp(epoch + r.ns / 1e9, tz=_dt.timezone.utc)
        out.append(f"{when:%b %d %H:%M:%S} {inv.host} kernel: {r.text}")
    return out
