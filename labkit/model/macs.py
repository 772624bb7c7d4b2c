"""MAC address arithmetic: VMware's adapter pattern, the lab's switch-port numbering and the
EUI-64 link-local address a MAC gives."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

VMWARE_OUI = "00:0c:29"
VMWARE_STEP = 0x0A  # VMware gives a VM's next adapter the previous address + 10


def to_int(mac: str) -> int:
    """The 48-bit integer of a colon-separated MAC."""
    return int(mac.replace(":", ""), 16)


def from_int(value: int) -> str:
    """The colon-separated lowercase form of a 48-bit integer."""
    raw = f"{value & 0xFFFFFFFFFFFF:012x}"
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2))


def eui64_link_local(mac: str) -> ipaddress.IPv6Address:
    """fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 2.5.1): what
    the kernel's addrconf and NetworkManager's addr-gen-mode=eui64 both make."""
    b = [int(x, 16) for x in mac.split(":")]
    ident = [b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]]
    return ipaddress.IPv6Address(bytes([0xFE, 0x80] + [0] * 6 + ident))


def next_vmware_mac(host_macs: Iterable[str], used: set[str]) -> str:
    """The next adapter MAC in VMware's pattern after the host's highest VMware MAC."""
    vmware = [to_int(m) for m in host_macs if m.startswith(VMWARE_OUI)]
    candidate = max(vmware) + VMWARE_STEP if vmware else to_int(VMWARE_OUI + ":00:00:10")
    while from_int(candidate) in used:
        candidate += VMWARE_STEP
    return from_int(candidate)


def _digits(name: str) -> str:
    match = re.search(r"(\d+)$", name)
    return match.group(1) if match else ""


def port_name_for(nic: str, host: str, used: set[str]) -> str:
    """The switch port name for a new NIC: sw<number> (ens39 -> sw39), else a free variant."""
    digits = _digits(nic)
    candidates = [f"sw{digits}"] if digits else []
    candidates += [f"sw{host[:6]}{digits}", f"sw{host[:4]}{nic[-6:]}"]
    for name in candidates:
        if name not in used and len(name) <= 15:
            return name
    n = 1
    while f"swp{n}" in used:
        n += 1
    return f"swp{n}"


def port_mac_for(nic: str, used: set[str]) -> str:
    """The switch-side MAC: 02:00:00:00:00:<NIC number> (sw39 -> …:39) when free."""
    digits = _digits(nic)
    if len(digits) in (1, 2):
        mac = f"02:00:00:00:00:{int(digits):02d}"
        if mac not in used:
            return mac
    value = to_int("02:00:00:00:01:00")
    while from_int(value) in used:
        value += 1
    return from_int(value)
