"""Topology attributes declared as data (type, required, default), checked in one pass.

Each section of a topology document (the lab, the switch, a host, a NIC, a route) is a table of
`Attr` entries. `check_section` walks one mapping against its table and returns every problem it
finds, each prefixed with the path of the offending value, so a user sees all mistakes at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

IFNAME_MAX = 15  # IFNAMSIZ - 1 in the kernel
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


def check_ifname(value: Any) -> str | None:
    """Why `value` is not a name the kernel accepts for a network interface, or None."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > IFNAME_MAX:
        return f"is {len(value)} characters long; interface names have at most {IFNAME_MAX}"
    if value in (".", "..") or any(c in value for c in "/: \t\n") :
        return "is not a valid interface name (no '/', ':' or blanks)"
    return None


def check_mac(value: Any) -> str | None:
    """Why `value` is not a unicast Ethernet address written as six colon-separated bytes."""
    if not isinstance(value, str) or not _MAC_RE.match(value):
        return "is not a MAC address (expected six bytes like 00:0c:29:89:51:ca)"
    if int(value[:2], 16) & 1:
        return "is a multicast MAC address; a NIC needs a unicast one"
    if value.lower() == "00:00:00:00:00:00":
        return "is the all-zero MAC address"
    return None


def check_ipv4_interface(value: Any) -> str | None:
    """Why `value` is not an IPv4 address with prefix length such as 192.168.1.60/24."""
    if not isinstance(value, str) or "/" not in value:
        return "must be an IPv4 address with a prefix length, like 192.168.1.60/24"
    try:
        iface = ipaddress.IPv4Interface(value)
    except ValueError:
        return "is not an IPv4 address with a prefix length"
    if iface.ip == iface.network.network_address and iface.network.prefixlen < 31:
        return "is the network address of its subnet"
    if iface.ip == iface.network.broadcast_address and iface.network.prefixlen < 31:
        return "is the broadcast address of its subnet"
    return None


def check_ipv4_address(value: Any) -> str | None:
    """Why `value` is not a plain IPv4 address."""
    try:
        ipaddress.IPv4Address(value)
    except (ValueError, TypeError):
        return "is not an IPv4 address"
    return None


def check_route_dest(value: Any) -> str | None:
    """Why `value` is neither 'default' nor an IPv4 network like 10.0.0.0/8."""
    if value == "default":
        return None
    try:
        ipaddress.IPv4Network(value)
    except (ValueError, TypeError):
        return "must be 'default' or an IPv4 network such as 10.0.0.0/8"
    return None


def check_host_name(value: Any) -> str | None:
    """Why `value` cannot name a lab host (it becomes part of a namespace name)."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        return "must start with a lowercase letter and hold only a-z, 0-9, '_' and '-'"
    if len(value) > 20:
        return "is longer than 20 characters"
    return None


def check_positive_int(value: Any) -> str | None:
    """Why `value` is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a positive integer"
    return None


def check_string(value: Any) -> str | None:
    """Why `value` is not a non-empty string."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    return None


def check_list(value: Any) -> str | None:
    """Why `value` is not a list."""
    if not isinstance(value, list | tuple):
        return "must be a list"
    return None


@dataclass(frozen=True)
class Attr:
    """One attribute of a topology section: how to check it, and whether it must be given."""

    check: Callable[[Any], str | None]
    required: bool = False
    doc: str = ""


LAB_ATTRS: dict[str, Attr] = {
    "name": Attr(check_string, required=True, doc="the topology's name"),
    "description": Attr(check_string, doc="one line for humans"),
    "switch": Attr(lambda v: None if isinstance(v, Mapping) else "must be a mapping",
                   required=True),
    "hosts": Attr(lambda v: None if isinstance(v, Mapping | list) else "must be a list or mapping",
                  required=True),
}

SWITCH_ATTRS: dict[str, Attr] = {
    "name": Attr(check_host_name, doc="the host that runs the bridge"),
    "bridge": Attr(check_ifname, doc="the Linux bridge's name"),
    "mac": Attr(check_mac, required=True, doc="the bridge's own MAC (fixed for reproducible fdb)"),
    "ageing_time": Attr(check_positive_int, doc="seconds a learned MAC stays in the fdb"),
}


def check_bool(value: Any) -> str | None:
    """A yes/no flag."""
    return None if isinstance(value, bool) else f"expected true or false, got {value!r}"


HOST_ATTRS: dict[str, Attr] = {
    "name": Attr(check_host_name, required=True),
    "nics": Attr(check_list, required=True),
    "routes": Attr(check_list),
    "description": Attr(check_string),
    "networkmanager": Attr(check_bool, doc="NetworkManager runs here and configures the NICs"),
}

NIC_ATTRS: dict[str, Attr] = {
    "name": Attr(check_ifname, required=True, doc="the NIC's name inside its host"),
    "mac": Attr(check_mac, required=True),
    "port": Attr(check_ifname, required=True, doc="the switch port it is cabled to"),
    "port_mac": Attr(check_mac, required=True),
    "addresses": Attr(check_list, doc="IPv4 addresses with prefix, e.g. 192.168.1.60/24"),
}

ROUTE_ATTRS: dict[str, Attr] = {
    "to": Attr(check_route_dest, required=True),
    "via": Attr(check_ipv4_address, required=True),
}


def check_section(data: Any, attrs: Mapping[str, Attr], path: str) -> list[str]:
    """Every problem of one section: not a mapping, unknown keys, missing or invalid values."""
    if not isinstance(data, Mapping):
        return [f"{path}: must be a mapping"]
    problems: list[str] = []
    for key in data:
        if key not in attrs:
            known = ", ".join(sorted(attrs))
            problems.append(f"{path}.{key}: unknown attribute (known: {known})")
    for key, attr in attrs.items():
        if key not in data:
            if attr.required:
                problems.append(f"{path}.{key}: missing")
            continue
        why = attr.check(data[key])
        if why:
            problems.append(f"{path}.{key}: {data[key]!r} {why}")
    return problems
