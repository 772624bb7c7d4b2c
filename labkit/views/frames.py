"""Tables of a snapshot: links, addresses, routes, neighbours, bond slaves, fdb (pandas
DataFrames where pandas imports, labkit.views.table.Table with the same columns elsewhere)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING

from labkit.errors import LabkitError
from labkit.model.snapshot import HostSnapshot, Neighbour
from labkit.views.table import table

if TYPE_CHECKING:
    import pandas

    from labkit.views.table import Table

KINDS = ("links", "addresses", "routes", "neighbours", "bonds", "fdb")
# each table's columns, also when it has no rows
COLUMNS = {
    "links": ("ifindex", "name", "kind", "mac", "state", "up", "carrier", "master", "mtu",
              "rx_packets", "tx_packets"),
    "addresses": ("dev", "family", "address", "scope", "flags"),
    "routes": ("dst", "via", "dev", "proto", "metric", "flags"),
    "neighbours": tuple(f.name for f in fields(Neighbour)),
    "bonds": ("bond", "slave", "mode", "active", "state", "mii_status", "link_failures", "mac",
              "perm_hwaddr"),
    "fdb": ("mac", "dev", "vlan", "master", "flags"),
}


def frame(snap: HostSnapshot, what: str) -> pandas.DataFrame | Table:
    """One table of `snap`; `what` is one of KINDS."""
    if what == "links":
        rows = [{"ifindex": ln.ifindex, "name": ln.name, "kind": ln.kind or "",
                 "mac": ln.address, "state": ln.operstate, "up": ln.is_up,
                 "carrier": ln.has_carrier, "master": ln.master or "", "mtu": ln.mtu,
                 "rx_packets": ln.stats.rx_packets, "tx_packets": ln.stats.tx_packets}
                for ln in snap.links]
    elif what == "addresses":
        rows = [{"dev": a.dev, "family": f"inet{'' if a.family == 4 else '6'}",
                 "address": f"{a.local}/{a.prefixlen}", "scope": a.scope,
                 "flags": " ".join(a.flags)} for a in snap.addresses]
    elif what == "routes":
        rows = [{"dst": r.dst, "via": r.gateway or "", "dev": r.dev or "", "proto": r.proto,
                 "metric": r.metric or 0, "flags": " ".join(r.flags)} for r in snap.routes]
    elif what == "neighbours":
        rows = [asdict(n) for n in snap.neighbours]
    elif what == "bonds":
        rows = []
        for ln in snap.links:
            if ln.bond_slave is None:
                continue
            bond = next(b for b in snap.links if b.name == ln.master)
            s = ln.bond_slave
            rows.append({"bond": ln.master, "slave": ln.name, "mode": bond.bond.mode
                         if bond.bond else "", "active": bond.bond is not None
                         and bond.bond.active_slave == ln.name, "state": s.state,
                         "mii_status": s.mii_status, "link_failures": s.link_failure_count,
                         "mac": ln.address, "perm_hwaddr": s.perm_hwaddr})
    elif what == "fdb":
        rows = [{"mac": e.mac, "dev": e.dev, "vlan": e.vlan or "", "master": e.master or "",
                 "flags": " ".join(e.flags)} for e in snap.fdb]
    else:
        raise LabkitError(f"unknown table {what!r} (tables: {', '.join(KINDS)})")
    return table(rows, COLUMNS[what])
