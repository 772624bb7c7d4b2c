"""journalctl -u NetworkManager and journalctl -k: the lab daemon's log and the kernel's, as
the journal shows them.

This is where NetworkManager's warnings about a profile file it had to skip appear (the
`keyfile: load: ... failed to load connection` lines), as on the real machine.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from labkit.shell.programs.dmesg import journal_kernel_lines

if TYPE_CHECKING:
    from labkit.nm.daemon import JournalLine
    from labkit.shell.program import Invocation
    from labkit.system.host import HostSystem


def journal_line(system: HostSystem, line: JournalLine) -> str:
    nm = system.nm
    assert nm is not None
    stamp = nm.epoch + line.when
    when = _dt.datetime.fromtimestamp(stamp, tz=_dt.timezone.utc)
    level = f"<{line.level}>".ljust(7)
    return (f"{when:%b %d %H:%M:%S} {system.host} NetworkManager[{nm.pid}]: {level} "
            f"[{stamp:.4f}] {line.text}")


def journalctl(inv: Invocation) -> int:
    """journalctl [-u UNIT] [-k] [-n N] [-e] [--no-pager] [-b]."""
    system = inv.shell.systems.get(inv.host)
    args = inv.argv[1:]
    unit = None
    count = None
    kernel = False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-u", "--unit") and i + 1 < len(args):
            unit = args[i + 1]
            i += 2
            continue
        if a.startswith("-u") and len(a) > 2:
            unit = a[2:]
        elif a in ("-n", "--lines") and i + 1 < len(args):
            if not args[i + 1].isdigit():
                inv.err(f'Failed to parse lines \'{args[i + 1]}\'.\n')
                return 1
            count = int(args[i + 1])
            i += 2
            continue
        elif a in ("-k", "--dmesg"):
            kernel = True
        elif a == "-e" or a == "--pager-end":
            count = 1000 if count is None else count
        i += 1
    if kernel:  # the kernel's lines since boot (-k implies -b), what dmesg -C does not clear
        klines = journal_kernel_lines(inv)
        if count is not None:
            klines = klines[-count:] if count else []
        inv.out("".join(line + "\n" for line in klines) if klines else "-- No entries --\n")
        return 0
    if system is None or system.nm is None or (unit and unit.split(".")[0] not in (
            "NetworkManager", "network-manager")):
        inv.out("-- No entries --\n")
        return 0
    lines = [journal_line(system, j) for j in system.nm.journal]
    if count is not None:
        lines = lines[-count:]
    inv.out("".join(line + "\n" for line in lines) if lines else "-- No entries --\n")
    return 0
