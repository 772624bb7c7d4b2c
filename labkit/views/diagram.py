"""The lab drawn as SVG, from the topology and snapshots: hosts, their NICs with MACs, each
cable's state at the switch (plugged or pulled), bonds with their active slave.

A pure function of its inputs, like every view: the dashboard redraws by calling it again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Topology

# layout, in pixels: hosts on the left (wide enough for "ens37  MAC  [bond0 active]" in
# 12 px monospace), the switch on the right
ROW, HEADER, GAP, MARGIN = 30, 24, 14, 10
HOST_X, HOST_W, SWITCH_X, SWITCH_W = 10, 360, 580, 150
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
    """The whole lab as one SVG document: hosts on the left, one row per NIC (name, MAC, bond
    role), a cable from each row to the switch on the right."""
    cables = cable_states(topology, snaps)
    rows: list[str] = []
    y = MARGIN
    for host in topology.hosts:
        mine = [c for c in cables if c.host == host.name]
        box = HEADER + ROW * len(mine) + 6
        rows.append(f'<rect x="{HOST_X}" y="{y}" width="{HOST_W}" height="{box}" rx="8" '
                    'fill="#fafafa" stroke="#9e9e9e"/>')
        rows.append(f'<text x="{HOST_X + 10}" y="{y + 16}" font-weight="bold">'
                    f'{html.escape(host.name)}</text>')
        row = y + HEADER + ROW // 2
        for cable in mine:
            rows.extend(_cable_row(cable, row))
            row += ROW
        y += box + GAP
    height = y - GAP + MARGIN
    switch = (f'<rect x="{SWITCH_X}" y="{MARGIN}" width="{SWITCH_W}" '
              f'height="{height - 2 * MARGIN}" rx="8" fill="#eceff1" stroke="#607d8b"/>'
              f'<text x="{SWITCH_X + SWITCH_W // 2}" y="{MARGIN + 20}" text-anchor="middle" '
              f'font-weight="bold">{html.escape(topology.switch.name)} '
              f'({html.escape(topology.switch.bridge)})</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SWITCH_X + SWITCH_W + 10}" '
            f'height="{height}" font-family="monospace" font-size="12" class="labkit-diagram">'
            + switch + "".join(rows) + "</svg>")


def _cable_row(cable: CableState, y: int) -> list[str]:
    """A NIC's label inside its host, and its cable to the switch (dashed red when pulled)."""
    colour = UP if cable.plugged else DOWN
    dash = "" if cable.plugged else ' stroke-dasharray="6,4"'
    label = f"{cable.nic}  {cable.mac}"
    if cable.master:
        label += f"  [{cable.master}{' active' if cable.active else ''}]"
    fill = ACTIVE if cable.active else (BOND if cable.master else "#424242")
    state = "plugged" if cable.plugged else "unplugged"
    cable_x = HOST_X + HOST_W
    return [f'<line x1="{cable_x}" y1="{y}" x2="{SWITCH_X}" y2="{y}" stroke="{colour}" '
            f'stroke-width="3"{dash} class="cable cable-{cable.nic}"/>',
            f'<text x="{HOST_X + 24}" y="{y + 4}" fill="{fill}">{html.escape(label)}</text>',
            f'<text x="{(cable_x + SWITCH_X) // 2}" y="{y - 6}" text-anchor="middle" '
            f'fill="{colour}">{html.escape(cable.port)}: {state}</text>']
