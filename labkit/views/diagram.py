"""The lab drawn as SVG, from the topology and snapshots: hosts, their NICs with MACs, each
cable's state at the switch (plugged or pulled), bonds with their active slave.

A pure function of its inputs, like every view: the dashboard redraws by calling it again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Topology

ROW = 34  # vertical space per NIC
UP, DOWN, BOND, ACTIVE = "#2e7d32", "#c62828", "#1565c0", "#f9a825"


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
        bond = snap.find_link(master).bond if master and snap.find_link(master) else None
        out.append(CableState(host.name, nic.name, nic.port,
                              plugged=bool(port and port.is_up),
                              mac=link.address if link else nic.mac, master=master,
                              active=bool(bond and bond.active_slave == nic.name)))
    return out


def svg(topology: Topology, snaps: dict[str, HostSnapshot]) -> str:
    """The whole lab as one SVG document."""
    cables = cable_states(topology, snaps)
    height = max(ROW * (len(cables) + 1) + 40, 200)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="760" height="{height}" '
             'font-family="monospace" font-size="12" class="labkit-diagram">',
             f'<rect x="560" y="20" width="150" height="{height - 40}" rx="8" fill="#eceff1" '
             'stroke="#607d8b"/>',
             f'<text x="635" y="40" text-anchor="middle" font-weight="bold">'
             f'{html.escape(topology.switch.name)} ({html.escape(topology.switch.bridge)})</text>']
    y = 60
    for host in topology.hosts:
        mine = [c for c in cables if c.host == host.name]
        top = y - 22
        parts.append(f'<rect x="10" y="{top}" width="300" height="{ROW * len(mine) + 12}" '
                     'rx="8" fill="#fafafa" stroke="#9e9e9e"/>')
        parts.append(f'<text x="20" y="{top + 14}" font-weight="bold">'
                     f'{html.escape(host.name)}</text>')
        for cable in mine:
            colour = UP if cable.plugged else DOWN
            dash = "" if cable.plugged else ' stroke-dasharray="6,4"'
            parts.append(f'<line x1="310" y1="{y}" x2="560" y2="{y}" stroke="{colour}" '
                         f'stroke-width="3"{dash} class="cable cable-{cable.nic}"/>')
            label = f"{cable.nic}  {cable.mac}"
            if cable.master:
                label += f"  [{cable.master}{' active' if cable.active else ''}]"
            fill = ACTIVE if cable.active else (BOND if cable.master else "#424242")
            parts.append(f'<text x="120" y="{y + 4}" fill="{fill}">{html.escape(label)}</text>')
            state = "plugged" if cable.plugged else "unplugged"
            parts.append(f'<text x="435" y="{y - 5}" text-anchor="middle" fill="{colour}">'
                         f'{html.escape(cable.port)}: {state}</text>')
            y += ROW
        y += 24
    parts.append("</svg>")
    return "".join(parts)
