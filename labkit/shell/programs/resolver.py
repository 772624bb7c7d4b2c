"""Name and address parsing the C library does for ping and ifconfig: inet_aton, /etc/hosts."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


def inet_aton(text: str) -> int | None:
    """glibc inet_aton: 1 to 4 parts, each decimal, 0octal or 0xhex; the last part fills the
    rest; anything after the first blank is ignored. None when glibc would refuse."""
    body = re.split(r"\s", text, maxsplit=1)[0] if text and not text[0].isspace() else None
    if not body:
        return None
    parts = body.split(".")
    if len(parts) > 4:
        return None
    values = []
    for part in parts:
        m = re.fullmatch(r"0[xX]([0-9a-fA-F]*)|0([0-7]*)|([1-9]\d*)", part)
        if not m:
            return None
        hexa, octal, dec = m.groups()
        values.append(int(hexa or "0", 16) if hexa is not None
                      else int(octal or "0", 8) if octal is not None else int(dec))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    return number * 256 ** (4 - len(head)) + last


@dataclass(frozen=True)
class HostEntry:
    """One /etc/hosts line: the first name is the canonical one (getaddrinfo, getnameinfo)."""

    family: int
    address: str
    names: tuple[str, ...]


def parse_hosts(text: str) -> list[HostEntry]:
    """/etc/hosts lines: address then names; '#' starts a comment."""
    entries = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            family = ipaddress.ip_address(fields[0]).version
        except ValueError:
            continue
        entries.append(HostEntry(family, fields[0], tuple(fields[1:])))
    return entries
