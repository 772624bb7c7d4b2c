"""What nmcli and the lessons read of the daemon's state: NMState, the default connection.

Pure readings of the devices and activations (nothing here changes them): the overall state
`nmcli general` prints, and the activation that holds the best IPv4 default route (nmcli's
"primary connection").
"""

from __future__ import annotations

from labkit.nm.kernel import HostKernel
from labkit.nm.objects import ActiveConnection, Device, DeviceState


def state_text(devices: list[Device], kernel: HostKernel) -> str:
    """NMState as nmcli general prints it."""
    devs = [d for d in devices if d.managed]
    if any(d.state == DeviceState.ACTIVATED for d in devs):
        has_default = any(r.dst == "default" for r in kernel.snapshot().routes)
        return "connected" if has_default else "connected (site only)"
    if any(d.activating for d in devs):
        return "connecting"
    return "disconnected"


def default_ac(active: list[ActiveConnection]) -> ActiveConnection | None:
    """The activation that holds the best IPv4 default route."""
    best: tuple[int, ActiveConnection] | None = None
    for ac in active:
        for dst, gw, metric in ac.device.added_routes:
            if dst == "default" and gw and (best is None or metric < best[0]):
                best = (metric, ac)
    return best[1] if best else None
