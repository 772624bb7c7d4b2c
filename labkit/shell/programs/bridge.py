"""`bridge fdb show` (iproute2 6.1) on any engine: the switch's MAC table, as a learner reads it."""

from __future__ import annotations

from labkit.shell.program import Invocation
from labkit.shell.programs.iproute2 import Args, IpExit, matches
from labkit.views.bridge import fdb_show

USAGE = """Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }
       bridge [ -force ] -batch filename
where  OBJECT := { link | fdb | mdb | vlan | monitor }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |
                    -o[neline] | -t[imestamp] | -n[etns] name |
                    -c[ompressvlans] -color -p[retty] -j[son] }
"""
OBJECTS = ("link", "fdb", "mdb", "vlan", "monitor")


def bridge(inv: Invocation) -> int:
    """The `bridge` program (fdb show; the other objects say they are not simulated)."""
    try:
        return _main(inv)
    except IpExit as stop:
        inv.err(stop.message)
        return stop.status


def _main(inv: Invocation) -> int:
    argv = inv.argv[1:]
    while argv and argv[0].startswith("-") and len(argv[0]) > 1:
        opt = argv.pop(0)[1:]
        if matches(opt, "Version"):
            inv.out("bridge utility, 6.1.0\n")
            return 0
        if not (matches(opt, "statistics") or matches(opt, "details") or matches(opt, "color")
                or matches(opt, "compressvlans") or matches(opt, "pretty")):
            raise IpExit(255, f'Option "-{opt}" is unknown, try "bridge help".\n')
    if not argv:
        raise IpExit(255, USAGE)
    word = argv.pop(0)
    obj = next((o for o in (*OBJECTS, "help") if matches(word, o)), None)
    if obj is None:
        raise IpExit(255, f'Object "{word}" is unknown, try "bridge help".\n')
    if obj == "help":
        raise IpExit(255, USAGE)
    if obj != "fdb":
        raise IpExit(1, f'labkit: "bridge {obj}" is not part of the lab shell (supported: '
                        "bridge fdb show)\n")
    if argv and not (matches(argv[0], "show") or matches(argv[0], "lst")
                     or matches(argv[0], "list")):
        cmd = argv[0]
        if any(matches(cmd, c) for c in ("add", "append", "replace", "delete", "get")) \
                or cmd == "flush":
            raise IpExit(1, f'labkit: "bridge fdb {cmd}" is not simulated\n')
        if matches(cmd, "help"):
            raise IpExit(255, "labkit: `bridge fdb help` is not reproduced; see `man bridge`\n")
        raise IpExit(255, f'Command "{cmd}" is unknown, try "bridge fdb help".\n')
    args = Args(argv[1:])
    dev = br = None
    while args.more():
        word = args.take()
        if word in ("dev", "brport", "br", "vlan", "state"):
            value = args.next_arg()
            if word == "br":
                br = value
            elif word in ("dev", "brport"):
                dev = value
    snap = inv.engine.snapshot(inv.host)
    names = {ln.name for ln in snap.links}
    if br is not None and br not in names:
        raise IpExit(255, f'Cannot find bridge device "{br}"\n')
    if dev is not None and dev not in names:
        raise IpExit(255, f'Cannot find device "{dev}"\n')
    if br is not None:
        members = {br} | {ln.name for ln in snap.links if ln.master == br}
        text = "".join(fdb_show(snap, dev=None, brport=None, only=members))
    else:
        text = fdb_show(snap, brport=dev)
    inv.out(text)
    return 0
