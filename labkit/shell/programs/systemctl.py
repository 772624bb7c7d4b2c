"""systemctl for the units a lab host has: NetworkManager, and network on CentOS 7.

NetworkManager stops leaving every device as it is (its next start assumes them again);
CentOS 7's legacy `network` service, restarted, leaves NetworkManager's devices alone; on the
other flavours it does not exist, and systemctl says so as it does.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from labkit.shell.programs.journalctl import journal_line

if TYPE_CHECKING:
    from labkit.shell.program import Invocation
    from labkit.system.host import HostSystem

VERBS = ("start", "stop", "restart", "reload", "try-restart", "status", "is-active",
         "reload-or-restart")
NM_UNITS = ("NetworkManager", "NetworkManager.service", "network-manager",
            "network-manager.service")
NETWORK_UNITS = ("network", "network.service")


def _unit_name(name: str) -> str:
    return name if "." in name else f"{name}.service"


def systemctl(inv: Invocation) -> int:
    """systemctl VERB UNIT..."""
    system = inv.shell.systems.get(inv.host)
    args = [a for a in inv.argv[1:] if not a.startswith("-")]
    if not args:
        inv.err("Too few arguments.\n")
        return 1
    verb, units = args[0], args[1:]
    if verb not in VERBS:
        inv.err(f"Unknown command verb {verb}.\n")
        return 1
    if not units:
        inv.err("Too few arguments.\n")
        return 1
    status = 0
    for unit in units:
        status = max(status, _one(inv, system, verb, unit))
    return status


def _one(inv: Invocation, system: HostSystem | None, verb: str, unit: str) -> int:
    nm = system.nm if system else None
    has_network = system is not None and system.flavour.network_scripts
    known = (unit in NM_UNITS and nm is not None) or (unit in NETWORK_UNITS and has_network)
    full = _unit_name(unit)
    if not known:
        if verb == "status":
            inv.err(f"Unit {full} could not be found.\n")
            return 4
        if verb == "is-active":
            inv.out("inactive\n")
            return 3
        inv.err(f"Failed to {verb} {full}: Unit {full} not found.\n")
        return 5
    if unit in NETWORK_UNITS:
        if verb in ("status", "is-active"):
            inv.out("active\n" if verb == "is-active" else "")
        return 0  # network-scripts skip the devices NetworkManager controls
    assert nm is not None
    if verb in ("start",):
        nm.start()
    elif verb == "stop":
        nm.stop()
    elif verb in ("restart", "try-restart", "reload-or-restart"):
        nm.restart()
    elif verb == "reload":
        if nm.running:
            nm.reload()
    elif verb == "is-active":
        inv.out("active\n" if nm.running else "inactive\n")
        return 0 if nm.running else 3
    elif verb == "status":
        return _status(inv, system)
    inv.engine.clock.settle()
    return 0


def _status(inv: Invocation, system: HostSystem | None) -> int:
    assert system is not None and system.nm is not None
    nm = system.nm
    when = _dt.datetime.fromtimestamp(nm.epoch + nm.started_at, tz=_dt.timezone.utc)
    ago = max(0, int(nm.now() - nm.started_at))
    path = f"{system.flavour.unit_dir}/NetworkManager.service"
    dot = "●" if nm.running else "○"
    lines = [f"{dot} NetworkManager.service - Network Manager",
             f"     Loaded: loaded ({path}; enabled; vendor preset: enabled)"]
    if nm.running:
        lines.append(f"     Active: active (running) since {when:%a %Y-%m-%d %H:%M:%S} UTC; "
                     f"{_ago(ago)} ago")
        lines += ["       Docs: man:NetworkManager(8)",
                  f"   Main PID: {nm.pid} (NetworkManager)",
                  "     CGroup: /system.slice/NetworkManager.service",
                  f"             └─{nm.pid} /usr/sbin/NetworkManager --no-daemon"]
    else:
        lines.append("     Active: inactive (dead)")
        lines.append("       Docs: man:NetworkManager(8)")
    tail = [j for j in nm.journal][-10:]
    if tail:
        lines.append("")
        lines += [journal_line(system, j) for j in tail]
    inv.out("\n".join(lines) + "\n")
    return 0 if nm.running else 3


def _ago(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}min {seconds % 60}s"
    return f"{seconds // 3600}h {(seconds % 3600) // 60}min"
