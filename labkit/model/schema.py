"""Topology attributes declared as data (type, required, default), checked in one pass.

Each section of a topology document (the lab, the switch, a host, a NIC, a route) is a table of
`Attr` entries. `check_section` walks one mapping against its table and returns every problem it
finds, each prefixed with the path of the offending value, so a user sees all mistakes at once.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labkit.errors import quote

IFNAMSIZ = 16  # the kernel's buffer for an interface name, its NUL included
IFNAME_MAX = IFNAMSIZ - 1  # bytes of UTF-8
KERNEL_BLANKS = frozenset(b"\t\n\v\f\r \xa0")  # isspace() of the kernel's lib/ctype.c
MAX_HOSTS = 64  # hosts of a lab, the switch not counted
MAX_NICS = 32  # NICs of one host
MAX_CABLES = 256  # cables of a lab, i.e. ports of its switch (a Linux bridge takes 1024)
MAX_ROUTES = 32  # static routes of one host
MAX_ADDRESSES = 16  # IPv4 addresses of one NIC
MAX_FILE_BYTES = 1 << 20  # a topology file (the largest lab allowed takes about 300 KB)
MAX_LABEL = 64  # characters of a topology's name
MAX_TEXT = 200  # characters of a description
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_WORD_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" ({unicodedata.name(ch)})" if unicodedata.name(ch, "") else "")


def check_ifname(value: Any) -> str | None:
    """Why the kernel would refuse `value` as a network interface name, or None.

    dev_valid_name (net/core/dev.c): not empty, shorter than IFNAMSIZ bytes, not '.' or
    '..', no '/', ':' or byte its isspace() counts (space, \\t \\n \\v \\f \\r and 0xa0, which
    UTF-8 uses inside characters such as 'à' and the no-break space). labkit refuses more: '%'
    (the kernel would replace it by a number: eth%d becomes eth0) and characters that do not
    print (controls, and the format characters that reorder or hide text, such as U+202E).
    """
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate)"
    if len(raw) > IFNAME_MAX:
        return (f"is {len(raw)} bytes long; interface names have at most {IFNAME_MAX} "
                "(IFNAMSIZ - 1)")
    if value in (".", ".."):
        return "is reserved (it names a directory in /sys/class/net)"
    for bad in "/:":
        if bad in value:
            return f"holds {bad!r}, which the kernel refuses in interface names"
    for ch in value:
        if ch.isspace():
            return f"holds the blank {_char_name(ch)}; interface names have none"
        if not ch.isprintable():
            return f"holds the invisible or control character {_char_name(ch)}"
    for ch in value:
        if KERNEL_BLANKS & set(ch.encode("utf-8")):
            return (f"holds {ch!r}, whose UTF-8 bytes include 0xa0, which the kernel counts "
                    "as a blank")
    if "%" in value:
        return "holds '%', which the kernel would replace by a number (eth%d becomes eth0)"
    return None


def check_device_name(value: Any) -> str | None:
    """Why `value` cannot name a device of the lab (a NIC, a switch port, the bridge)."""
    if value == "lo":
        return "is the loopback device's name (every host has its own 'lo')"
    return check_ifname(value)


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
    """Why `value` is not a plain IPv4 address written as text."""
    try:
        ipaddress.IPv4Address(value if isinstance(value, str) else None)
    except (ValueError, TypeError):
        return "is not an IPv4 address"
    return None


def check_route_dest(value: Any) -> str | None:
    """Why `value` is neither 'default' nor an IPv4 network like 10.0.0.0/8."""
    if value == "default":
        return None
    try:
        ipaddress.IPv4Network(value if isinstance(value, str) else None)
    except (ValueError, TypeError):
        return "must be 'default' or an IPv4 network such as 10.0.0.0/8"
    return None


def check_host_name(value: Any) -> str | None:
    """Why `value` cannot name a lab host (it becomes part of a namespace name and a prompt)."""
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


def check_ageing_time(value: Any) -> str | None:
    """Why `value` is not a bridge ageing time in seconds labkit takes (1 s to about 11 days)."""
    return check_positive_int(value) or (
        "is more than 1000000 seconds" if value > 1_000_000 else None)


def check_label(value: Any) -> str | None:
    """Why `value` cannot name a topology: a short printable line."""
    return _check_line(value, MAX_LABEL)


def check_text(value: Any) -> str | None:
    """Why `value` cannot describe something: one printable line of at most MAX_TEXT."""
    return _check_line(value, MAX_TEXT)


def _check_line(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are allowed"
    for ch in value:
        if not ch.isprintable():
            return f"holds the invisible or control character {_char_name(ch)}"
    return None


def check_string(value: Any) -> str | None:
    """Why `value` is not a non-empty string."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    return None


def check_list_of_at_most(limit: int, what: str) -> Callable[[Any], str | None]:
    """A check: a list of at most `limit` entries (`what` names them in the message)."""
    def check(value: Any) -> str | None:
        if not isinstance(value, list | tuple):
            return "must be a list"
        if len(value) > limit:
            return f"lists {len(value)} {what}; a lab allows at most {limit}"
        return None
    return check


def check_bool(value: Any) -> str | None:
    """A yes/no flag."""
    return None if isinstance(value, bool) else "must be true or false"


def check_mapping(value: Any) -> str | None:
    """Why `value` is not a mapping."""
    return None if isinstance(value, Mapping) else "must be a mapping"


def check_hosts(value: Any) -> str | None:
    """Why `value` cannot hold the hosts (a list, or a mapping name -> host) of a lab."""
    if not isinstance(value, Mapping | list | tuple):
        return "must be a list or mapping"
    if len(value) > MAX_HOSTS:
        return f"lists {len(value)} hosts; a lab allows at most {MAX_HOSTS}"
    return None


@dataclass(frozen=True)
class Attr:
    """One attribute of a topology section: how to check it, and whether it must be given."""

    check: Callable[[Any], str | None]
    required: bool = False
    doc: str = ""


LAB_ATTRS: dict[str, Attr] = {
    "name": Attr(check_label, required=True, doc="the topology's name"),
    "description": Attr(check_text, doc="one line for humans"),
    "switch": Attr(check_mapping, required=True),
    "hosts": Attr(check_hosts, required=True),
}

SWITCH_ATTRS: dict[str, Attr] = {
    "name": Attr(check_host_name, doc="the host that runs the bridge"),
    "bridge": Attr(check_device_name, doc="the Linux bridge's name"),
    "mac": Attr(check_mac, required=True, doc="the bridge's own MAC (fixed for reproducible fdb)"),
    "ageing_time": Attr(check_ageing_time, doc="seconds a learned MAC stays in the fdb"),
}

HOST_ATTRS: dict[str, Attr] = {
    "name": Attr(check_host_name, required=True),
    "nics": Attr(check_list_of_at_most(MAX_NICS, "NICs"), required=True),
    "routes": Attr(check_list_of_at_most(MAX_ROUTES, "routes")),
    "description": Attr(check_text),
    "networkmanager": Attr(check_bool, doc="NetworkManager runs here and configures the NICs"),
}

NIC_ATTRS: dict[str, Attr] = {
    "name": Attr(check_device_name, required=True, doc="the NIC's name inside its host"),
    "mac": Attr(check_mac, required=True),
    "port": Attr(check_device_name, required=True, doc="the switch port it is cabled to"),
    "port_mac": Attr(check_mac, required=True),
    "addresses": Attr(check_list_of_at_most(MAX_ADDRESSES, "addresses"),
                      doc="IPv4 addresses with prefix, e.g. 192.168.1.60/24"),
}

ROUTE_ATTRS: dict[str, Attr] = {
    "to": Attr(check_route_dest, required=True),
    "via": Attr(check_ipv4_address, required=True),
}


def key_text(key: Any) -> str:
    """An attribute's name as a path shows it: as written when it is a word, else only what it
    is (a key is any text of the file: a line of /etc/shadow parses as one)."""
    if isinstance(key, str) and _WORD_RE.match(key):
        return key
    if isinstance(key, str):
        return f"<a name of {len(key)} characters that is not a word>"
    return f"<a {type(key).__name__} key>"


def check_section(data: Any, attrs: Mapping[str, Attr], path: str) -> list[str]:
    """Every problem of one section: not a mapping, unknown keys, missing or invalid values."""
    if not isinstance(data, Mapping):
        return [f"{path}: must be a mapping, not {kind_of(data)}"]
    problems: list[str] = []
    known = ", ".join(sorted(attrs))
    for key in data:
        if key not in attrs:
            problems.append(f"{path}.{key_text(key)}: unknown attribute (known: {known})")
    for key, attr in attrs.items():
        if key not in data:
            if attr.required:
                problems.append(f"{path}.{key}: missing")
            continue
        value = data[key]
        why = attr.check(value)
        if why and isinstance(value, Mapping | list | tuple):
            problems.append(f"{path}.{key}: {why}, not {kind_of(value)}"
                            if why.startswith("must") else f"{path}.{key}: {why}")
        elif why:
            problems.append(f"{path}.{key}: {quote(value)} {why}")
    return problems


def kind_of(value: Any) -> str:
    """What a YAML value is, in words (for 'must be a mapping, not a list')."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    names = {str: "text", int: "a number", float: "a number", bool: "true or false",
             type(None): "empty"}
    return names.get(type(value), f"a {type(value).__name__}")
