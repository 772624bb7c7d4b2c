"""The lab drawn as SVG, from the topology and snapshots: hosts with their NICs (MAC, IP
addresses), each bond as a box around its slaves naming the active one, each cable's state at
the switch (plugged or pulled), and the switch's ports with the MACs each has learnt.

A pure function of its inputs, like every view: the dashboard redraws by calling it again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from labkit.model.snapshot import HostSnapshot, Link
from labkit.model.topology import Topology

# layout, in pixels, for 12 px monospace (7.2 px a character): hosts on the left (wide enough
# for "ens37  00:0c:29:89:51:d4  [bond0 active]" inside a bond's box), the switch on the right
# (a port and the MACs it has learnt, with whose they are)
LINE, ROW, PAD, HEADER, GAP, MARGIN = 15, 26, 8, 26, 14, 10  # ROW: a cable's least
HOST_X, HOST_W, SWITCH_X, SWITCH_W = 10, 400, 600, 300
CHAR = 7.22  # a character's width in 12 px monospace (DejaVu Sans Mono, Liberation Mono)
BOND_INSET = 10  # a bond's box inside its host's
UP, DOWN, BOND, ACTIVE, MUTED = "#2e7d32", "#c62828", "#1565c0", "#e65100", "#616161"
ONE_ACTIVE = ("active-backup", "balance-tlb", "balance-alb")  # modes with one active slave


@dataclass(frozen=True)
class CableState:
    """One cable as the drawing shows it."""

    host: str
    nic: str
    port: str
    plugged: bool  # the switch port is up (the cable is in)
    mac: str
    master: str | None
    active: bool  # the bond's active slave


def cable_states(topology: Topology, snaps: dict[str, HostSnapshot]) -> list[CableState]:
    """Every cable of the lab, with what the snapshots say of both ends."""
    switch = snaps[topology.switch.name]
    out = []
    for host, nic in topology.cables():
        snap = snaps[host.name]
        link = snap.find_link(nic.name)
        port = switch.find_link(nic.port)
        master = link.master if link else None
        master_link = snap.find_link(master) if master else None
        bond = master_link.bond if master_link is not None else None
        out.append(CableState(host.name, nic.name, nic.port,
                              plugged=bool(port and port.is_up),
                              mac=link.address if link else nic.mac, master=master,
                              active=bool(bond and bond.active_slave == nic.name)))
    return out


def addresses(snap: HostSnapshot, dev: str) -> list[str]:
    """The addresses a learner configures on `dev`: IPv4 and global IPv6 (not fe80::)."""
    return [a.cidr for a in snap.addresses_of(dev) if a.family == 4 or a.scope == "global"]


def learnt(topology: Topology, switch: HostSnapshot) -> dict[str, list[str]] | None:
    """Per switch port, the MACs its bridge has learnt there (`bridge fdb`'s entries that are
    neither the port's own nor permanent), in the order the fdb lists them; None when the
    snapshot holds no fdb at all (a bridge always has its permanent entries: the engine did
    not read it)."""
    if not switch.fdb:
        return None
    out: dict[str, list[str]] = {}
    for entry in switch.fdb:
        if (entry.master == topology.switch.bridge and "permanent" not in entry.flags
                and "self" not in entry.flags and entry.mac not in out.get(entry.dev, [])):
            out.setdefault(entry.dev, []).append(entry.mac)
    return out


def owners(topology: Topology, snaps: dict[str, HostSnapshot]) -> dict[str, str]:
    """Whose each MAC is ("server bond0"): a bond's slaves that share its MAC name the bond."""
    out: dict[str, str] = {}
    for host in topology.hosts:
        snap = snaps.get(host.name)
        for link in snap.links if snap else ():
            if link.link_type != "ether" or (link.master and link.address in out):
                continue
            if link.address not in out or not link.master:
                out[link.address] = f"{host.name} {link.name}"
    return out


def svg(topology: Topology, snaps: dict[str, HostSnapshot]) -> str:
    """The whole lab as one SVG document: hosts on the left, a bond's slaves in its box, a
    cable from each NIC to its port on the switch on the right."""
    cables = cable_states(topology, snaps)
    switch = snaps[topology.switch.name]
    macs = learnt(topology, switch)
    whose = owners(topology, snaps)
    parts: list[str] = []
    y = MARGIN
    for host in topology.hosts:
        snap = snaps[host.name]
        mine = [c for c in cables if c.host == host.name]
        body: list[str] = []
        top = y + HEADER
        drawn: set[str] = set()
        for cable in mine:
            if cable.master is None:
                top = _nic_row(body, snap, cable, _of(macs, cable.port), whose, top, HOST_X)
                continue
            if cable.master in drawn:
                continue
            drawn.add(cable.master)
            top = _bond_box(body, snap, cable.master, [c for c in mine if c.master == cable.master],
                            macs, whose, top)
        for link in snap.links:  # bonds whose slaves are not cabled (none added yet)
            if link.bond is not None and link.name not in drawn:
                top = _bond_box(body, snap, link.name, [], macs, whose, top)
        box = top - y + PAD // 2
        parts.append(f'<rect x="{HOST_X}" y="{y}" width="{HOST_W}" height="{box}" rx="8" '
                     'fill="#fafafa" stroke="#9e9e9e"/>')
        parts.append(f'<text x="{HOST_X + 10}" y="{y + 17}" font-weight="bold" '
                     f'font-size="13">{html.escape(host.name)}</text>')
        parts.extend(body)
        y += box + GAP
    height = y - GAP + MARGIN
    head = (f'<rect x="{SWITCH_X}" y="{MARGIN}" width="{SWITCH_W}" '
            f'height="{height - 2 * MARGIN}" rx="8" fill="#eceff1" stroke="#607d8b"/>'
            f'<text x="{SWITCH_X + 10}" y="{MARGIN + 17}" font-weight="bold" font-size="13">'
            f'{html.escape(topology.switch.name)} ({html.escape(topology.switch.bridge)})</text>'
            f'<text x="{SWITCH_X + SWITCH_W - 10}" y="{MARGIN + 17}" text-anchor="end" '
            f'fill="{MUTED}">port: MACs learnt</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SWITCH_X + SWITCH_W + 10}" '
            f'height="{height}" font-family="monospace" font-size="12" class="labkit-diagram">'
            f'<rect width="100%" height="100%" fill="white"/>' + head + "".join(parts) + "</svg>")


def _text(x: int, y: int, text: str, fill: str = "#212121", cls: str = "",
          extra: str = "") -> str:
    """One line of text; where it holds "  " its parts go where monospace puts them (SVG
    collapses runs of spaces), so columns line up and the text reads as written."""
    klass = f' class="{cls}"' if cls else ""
    parts = text.split("  ")
    if len(parts) == 1:
        body = html.escape(text)
    else:
        spans, at = [], 0
        for k, part in enumerate(parts):
            tail = "  " if k < len(parts) - 1 else ""
            spans.append(f'<tspan x="{x + CHAR * at:.1f}">{html.escape(part + tail)}</tspan>')
            at += len(part) + 2
        body = "".join(spans)
    return f'<text x="{x}" y="{y}" fill="{fill}"{klass}{extra}>{body}</text>'


def _bond_box(out: list[str], snap: HostSnapshot, name: str, slaves: list[CableState],
              macs: dict[str, list[str]] | None, whose: dict[str, str], top: int) -> int:
    """A bond's box: its name, MAC, mode, state, active slave and addresses, then a row per
    slave; the y below it."""
    link = snap.find_link(name)
    info = link.bond if link else None
    x = HOST_X + BOND_INSET
    lines = [f"{name}  {link.address if link else ''}  {info.mode if info else ''}"
             + ("" if link is None or link.is_up else "  (down)")]
    if info is not None and info.mode in ONE_ACTIVE:
        lines.append(f"active slave: {info.active_slave or 'none'}")
    if info is not None and not info.slaves:
        lines.append("no slaves yet")
    ips = _wrap(addresses(snap, name), HOST_X + HOST_W - BOND_INSET - x - 20)
    inner: list[str] = []
    row = top + PAD
    for i, line in enumerate(lines):
        inner.append(_text(x + 10, row + 12, line, BOND if i == 0 else (
            ACTIVE if line.startswith("active slave: ") and "none" not in line else MUTED),
            f"bond bond-{name}", ' font-weight="bold"' if i == 0 else ""))
        row += LINE
    for line in ips:
        inner.append(_text(x + 10, row + 12, line, "#212121", "addr"))
        row += LINE
    row += 2
    for cable in slaves:
        row = _nic_row(inner, snap, cable, _of(macs, cable.port), whose, row, x + 10)
    bottom = row + PAD // 2
    out.append(f'<rect x="{x}" y="{top + 2}" width="{HOST_W - 2 * BOND_INSET}" '
               f'height="{bottom - top - 2}" rx="6" fill="#e3f2fd" stroke="{BOND}" '
               f'stroke-width="1.5" class="bond-box bond-box-{name}"/>')
    out.extend(inner)
    return bottom + PAD // 2


def _wrap(items: list[str], width: int) -> list[str]:
    """`items` joined by two spaces, in lines of at most `width` pixels (one item a line at
    least)."""
    lines: list[str] = []
    for item in items:
        if lines and (len(lines[-1]) + 2 + len(item)) * CHAR <= width:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return lines


def _of(macs: dict[str, list[str]] | None, port: str) -> list[str] | None:
    return None if macs is None else macs.get(port, [])


def _nic_row(out: list[str], snap: HostSnapshot, cable: CableState, macs: list[str] | None,
             whose: dict[str, str], top: int, x: int) -> int:
    """A NIC's label (name, MAC, bond role; its addresses below), its cable to the switch
    (dashed red when pulled) and its port there with the MACs learnt; the y below it."""
    colour = UP if cable.plugged else DOWN
    dash = "" if cable.plugged else ' stroke-dasharray="6,4"'
    label = f"{cable.nic}  {cable.mac}"
    if cable.master:
        bond = snap.find_link(cable.master)
        backup = bond is not None and bond.bond is not None and bond.bond.mode in ONE_ACTIVE
        label += f"  [{cable.master}{' active' if cable.active else ' backup' if backup else ''}]"
    link: Link | None = snap.find_link(cable.nic)
    if link is not None and not link.is_up:
        label += "  (down)"
    fill = ACTIVE if cable.active else (BOND if cable.master else "#212121")
    ips = _wrap(addresses(snap, cable.nic), HOST_X + HOST_W - x - 20)
    y = top + LINE - 3  # the first line's baseline; the cable runs along it
    out.append(_text(x + 10, y, label, fill, f"nic nic-{cable.nic}",
                     ' font-weight="bold"' if cable.active else ""))
    for i, line in enumerate(ips, start=1):
        out.append(_text(x + 10, y + i * LINE, line, "#212121", "addr"))
    state = "plugged" if cable.plugged else "unplugged"
    cable_x = HOST_X + HOST_W
    mid = y - 4
    out.append(f'<line x1="{cable_x}" y1="{mid}" x2="{SWITCH_X}" y2="{mid}" stroke="{colour}" '
               f'stroke-width="3"{dash} class="cable cable-{cable.nic}"/>')
    out.append(_text((cable_x + SWITCH_X) // 2, mid - 5, f"{cable.port}: {state}", colour,
                     "", ' text-anchor="middle"'))
    out.append(_text(SWITCH_X + 10, y, cable.port, colour, f"port port-{cable.port}",
                     ' font-weight="bold"'))
    shown = macs or ["(nothing learnt)" if macs is not None else "(fdb not read)"]
    for i, mac in enumerate(shown):
        who = whose.get(mac, "")
        out.append(_text(SWITCH_X + 60, y + i * LINE, f"{mac}  {who}".rstrip(),
                         "#212121" if macs else MUTED, f"fdb fdb-{cable.port}"))
    lines = max(1 + len(ips), len(shown))
    return top + max(LINE * lines + 4, ROW)
