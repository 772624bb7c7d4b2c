"""The profiles an installer leaves on a NetworkManager host, from the topology.

A NIC with addresses gets a static profile (the host's default gateway and the gateway as DNS
when it is on that NIC's subnet), a blank NIC a DHCP profile, both with IPv6 `auto` and EUI-64
link-local addresses, autoconnect on: as the CentOS installer leaves them, and as
tools/realnm.py makes them with real nmcli for the recordings (it uses installer_commands()).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from labkit.nm.profile import Profile

if TYPE_CHECKING:
    from labkit.model.topology import Host, Nic
    from labkit.nm.uuids import UuidSource


def _gateway_for(host: Host, nic: Nic) -> str | None:
    for route in host.routes:
        if route.to != "default":
            continue
        for cidr in nic.addresses:
            if ipaddress.IPv4Address(route.via) in ipaddress.IPv4Interface(cidr).network:
                return route.via
    return None


def installer_profiles(host: Host, uuids: UuidSource) -> list[Profile]:
    """One ethernet profile per NIC of `host`, named after the NIC."""
    out = []
    for nic in host.nics:
        p = Profile()
        p.set("connection", "id", nic.name)
        p.set("connection", "uuid", uuids.new(nic.name))
        p.set("connection", "type", "802-3-ethernet")
        p.set("connection", "interface-name", nic.name)
        p.add_setting("802-3-ethernet")
        if nic.addresses:
            p.set("ipv4", "method", "manual")
            p.set("ipv4", "addresses", tuple(nic.addresses))
            gateway = _gateway_for(host, nic)
            if gateway:
                p.set("ipv4", "gateway", gateway)
                p.set("ipv4", "dns", (gateway,))
        else:
            p.set("ipv4", "method", "auto")
        p.set("ipv6", "method", "auto")
        p.set("ipv6", "addr-gen-mode", "eui64")
        p.add_setting("proxy")
        out.append(p)
    return out


def installer_commands(host: Host) -> list[str]:
    """The same profiles as nmcli commands (for the real NetworkManager of the recorder)."""
    out = []
    for nic in host.nics:
        cmd = f"nmcli connection add type ethernet con-name {nic.name} ifname {nic.name}"
        if nic.addresses:
            cmd += f" ipv4.method manual ipv4.addresses {','.join(nic.addresses)}"
            gateway = _gateway_for(host, nic)
            if gateway:
                cmd += f" ipv4.gateway {gateway} ipv4.dns {gateway}"
        cmd += " ipv6.addr-gen-mode eui64"
        out.append(cmd)
    return out
