"""`bridge fdb show` as iproute2 6.1 prints it, from a snapshot."""

from __future__ import annotations

from labkit.model.snapshot import HostSnapshot


def fdb_show(snap: HostSnapshot, dev: str | None = None, brport: str | None = None,
             only: set[str] | None = None) -> str:
    """print_fdb for every entry (of one device / bridge port, or of a set of devices)."""
    out = []
    for e in snap.fdb:
        if (dev is not None and e.dev != dev) or (brport is not None and e.dev != brport):
            continue
        if only is not None and e.dev not in only:
            continue
        line = f"{e.mac} "
        if dev is None and brport is None:
            line += f"dev {e.dev} "
        if e.vlan:
            line += f"vlan {e.vlan} "
        if "self" in e.flags:
            line += "self "
        if e.master:
            line += f"master {e.master} "
        state = "permanent" if "permanent" in e.flags else ("static" if "static" in e.flags
                                                             else "")
        out.append(line + state + "\n")
    return "".join(out)
