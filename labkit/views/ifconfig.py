"""`ifconfig` as net-tools 2.10 prints it (Debian 12; CentOS 7's net-tools 2.0 prints the same
layout), from a snapshot.

ifconfig learns what it shows through ioctls and two /proc files, and its quirks come from
there, so this module follows the same sources:
- the interface list is every device (/proc/net/dev) plus every IPv4 address label
  (SIOCGIFCONF: `eth0:1` aliases), sorted with net-tools' own `nstrcmp`;
- flags come from SIOCGIFFLAGS, a signed 16-bit value: LOWER_UP and above are cut off and
  DYNAMIC makes the number negative;
- the `inet` line is the first IPv4 address whose label is the name asked for (SIOCGIFADDR), so
  secondary addresses never show and an alias shows only its own address;
- `inet6` lines are /proc/net/if_inet6 rows of that exact name (never for an alias), in that
  file's order;
- counters come from /proc/net/dev, which aliases are not in, so an alias has no RX/TX lines.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from typing import TypeVar

from labkit.model.snapshot import Address, HostSnapshot, Link

IFF_BITS = {
    "UP": 0x1, "BROADCAST": 0x2, "DEBUG": 0x4, "LOOPBACK": 0x8, "POINTOPOINT": 0x10,
    "NOTRAILERS": 0x20, "RUNNING": 0x40, "NOARP": 0x80, "PROMISC": 0x100, "ALLMULTI": 0x200,
    "MASTER": 0x400, "SLAVE": 0x800, "MULTICAST": 0x1000, "PORTSEL": 0x2000,
    "AUTOMEDIA": 0x4000, "DYNAMIC": 0x8000,
}
# ife_print_long's order (not the bit order: SLAVE comes before MASTER)
LONG_FLAG_ORDER = ("UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
                   "RUNNING", "NOARP", "PROMISC", "ALLMULTI", "SLAVE", "MASTER", "MULTICAST",
                   "DYNAMIC")
# ife_print_short's one-letter flags, in its order (PROMISC and POINTOPOINT are both "P")
SHORT_FLAGS = (("ALLMULTI", "A"), ("BROADCAST", "B"), ("DEBUG", "D"), ("LOOPBACK", "L"),
               ("MULTICAST", "M"), ("DYNAMIC", "d"), ("PROMISC", "P"), ("NOTRAILERS", "N"),
               ("NOARP", "O"), ("POINTOPOINT", "P"), ("SLAVE", "s"), ("MASTER", "m"),
               ("RUNNING", "R"), ("UP", "U"))
SHORT_HEADER = ("Iface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR "
                "Flg\n")
NO_STATS = "     - no statistics available -"
INDENT = " " * 8

# byte counts above each limit are shown in that unit, as ife_print_long does it
_UNITS = ((1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"),
          (1 << 10, "KiB"))


# -- names and order ----------------------------------------------------------------------------
def _cut_alias(name: str) -> tuple[str, str | None]:
    """net-tools cutalias: `eth0:12` -> ('eth0', '12'); only a run of digits after ':' counts."""
    pos = len(name)
    digit = False
    while pos > 0:
        c = name[pos - 1]
        if c == ":" and digit:
            return name[:pos - 1], name[pos:]
        if not c.isdigit():
            break
        digit = True
        pos -= 1
    return name, None


def _rindex_nondigit(name: str) -> int:
    """Length of `name` without its trailing digits."""
    return len(name.rstrip("0123456789"))


def _atoi(text: str) -> int:
    digits = ""
    for c in text:
        if not c.isdigit():
            break
        digits += c
    return int(digits) if digits else 0


_Ordered = TypeVar("_Ordered", str, int)


def _cmp(a: _Ordered, b: _Ordered) -> int:
    return (a > b) - (a < b)


def nstrcmp(a: str, b: str) -> int:
    """net-tools' name order: common stem, then the trailing number, then the alias number."""
    a_base, a_alias = _cut_alias(a)
    b_base, b_alias = _cut_alias(b)
    ai, bi = _rindex_nondigit(a_base), _rindex_nondigit(b_base)
    n = min(ai, bi)
    res = _cmp(a_base[:n], b_base[:n])
    if res:
        return res
    if ai != bi:
        return 1 if ai > bi else -1
    res = _cmp(_atoi(a_base[ai:]), _atoi(b_base[bi:]))
    if res:
        return res
    res = _cmp(a_base, b_base)
    if res:
        return res
    av = _atoi(a_alias) if a_alias is not None else -1
    bv = _atoi(b_alias) if b_alias is not None else -1
    res = _cmp(av, bv)
    if res:
        return res
    if a_alias is not None and b_alias is not None:
        return _cmp(a_alias, b_alias)
    return 0


def _label(addr: Address) -> str:
    return addr.label or addr.dev


def interface_names(snap: HostSnapshot) -> list[str]:
    """The names `ifconfig` lists, in its order.

    if_cache_add keeps a sorted list, inserting each name after the last entry not greater than
    it (searching from the end) and dropping exact duplicates; names arrive from /proc/net/dev
    (every device) and then from SIOCGIFCONF (the label of every IPv4 address).
    """
    names: list[str] = []
    arrivals = [link.name for link in snap.links]
    arrivals += [_label(a) for a in snap.addresses if a.family == 4]
    for name in arrivals:
        pos = len(names)
        duplicate = False
        while pos > 0:
            n = nstrcmp(names[pos - 1], name)
            if n == 0:
                duplicate = True
                break
            if n < 0:
                break
            pos -= 1
        if not duplicate:
            names.insert(pos, name)
    return names


def parent_name(name: str) -> str:
    """The device an ifconfig name stands for: the kernel cuts the name at its first ':'."""
    return name.split(":", 1)[0]


def find_link(snap: HostSnapshot, name: str) -> Link | None:
    """The device behind `name` (an alias means its parent), or None when there is none."""
    target = parent_name(name)
    return next((link for link in snap.links if link.name == target), None)


# -- the pieces of one block --------------------------------------------------------------------
def flags_value(link: Link) -> int:
    """ifr_flags as ifconfig holds it: a C short, so bits above 15 vanish and bit 15 is the sign."""
    value = sum(bit for name, bit in IFF_BITS.items() if name in link.flags) & 0xFFFF
    return value - 0x10000 if value & 0x8000 else value


def _has(value: int, name: str) -> bool:
    return bool(value & IFF_BITS[name])


def flags_text(value: int) -> str:
    """`flags=4163<UP,BROADCAST,RUNNING,MULTICAST>`, with the original's quirk for no flags."""
    names = [name for name in LONG_FLAG_ORDER if _has(value, name)]
    if not names:
        # strcat(">") then the last character is cut off again: "flags=0<"
        return f"flags={value}<"
    return f"flags={value}<" + ",".join(names) + ">"


def short_flags(value: int) -> str:
    """The Flg column of `ifconfig -s`."""
    if value == 0:
        return "[NO FLAGS]"
    return "".join(letter for name, letter in SHORT_FLAGS if _has(value, name))


def human_bytes(count: int) -> str:
    """`1.9 KiB`: tenths, rounded down, in the largest unit strictly below the count."""
    if count > 1 << 60:
        return f"{count // 115292150460684697 // 10}.{count // 115292150460684697 % 10} EiB"
    for limit, unit in _UNITS:
        if count > limit:
            tenths = count * 10 // limit
            return f"{tenths // 10}.{tenths % 10} {unit}"
    return f"{count}.0 B"


def _netmask(prefixlen: int) -> str:
    return str(ipaddress.IPv4Network(f"0.0.0.0/{prefixlen}").netmask)


def inet_address(snap: HostSnapshot, name: str) -> Address | None:
    """What SIOCGIFADDR answers for `name`: the first IPv4 address carrying that label."""
    link = find_link(snap, name)
    if link is None:
        return None
    for addr in snap.addresses:
        if addr.family == 4 and addr.ifindex == link.ifindex and _label(addr) == name:
            return addr
    return None


def inet6_scope(local: str) -> int:
    """The scope column of /proc/net/if_inet6 (ipv6_addr_scope plus the v4-compatible bit)."""
    ip = ipaddress.IPv6Address(local)
    if ip.is_loopback:
        return 0x10
    if ip.is_link_local:
        return 0x20
    if ip.is_site_local:
        return 0x40
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return 0x80  # ::a.b.c.d, IPv4-compatible: compat, global
    return 0x00


def inet6_scope_text(scope: int) -> str:
    """`0x20<link>` as ife_print_long spells the scope."""
    names = []
    rest = scope
    if rest & 0x80:
        names.append("compat")
        rest -= 0x80
    if rest == 0:
        names.append("global")
    if rest & 0x20:
        names.append("link")
    if rest & 0x40:
        names.append("site")
    if rest & 0x10:
        names.append("host")
    return f"0x{scope:x}<" + ",".join(names) + ">" if names else f"0x{scope:x}"


def inet6_text(local: str) -> str:
    """inet_ntop(AF_INET6) as glibc writes it: like Python, except that ::a.b.c.d and
    ::ffff:a.b.c.d keep their IPv4 tail dotted."""
    ip = ipaddress.IPv6Address(local)
    value = int(ip)
    tail = str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if value >> 32 == 0xFFFF:
        return f"::ffff:{tail}"
    if value >> 32 == 0 and value >> 16 != 0:
        return f"::{tail}"
    return ip.compressed


def _kernel_major(release: str) -> int:
    head = release.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _bucket_3x(local: str) -> int:
    """Linux 3.x inet6_addr_lst bucket: hash_32(xor of the four words, 4), unsalted."""
    words = struct.unpack("<4I", ipaddress.IPv6Address(local).packed)
    x = words[0] ^ words[1] ^ words[2] ^ words[3]
    return ((x * 0x9E370001) & 0xFFFFFFFF) >> 28


def inet6_addresses(snap: HostSnapshot, link: Link) -> list[Address]:
    """The device's IPv6 addresses in /proc/net/if_inet6 order.

    That file walks the kernel's address hash table. On Linux 3.x (CentOS 7) the hash is a pure
    function of the address, so the order is computed. Since 4.x the hash is salted per network
    namespace at random, so any order is one a real machine prints; the snapshot's own order
    (the device's list, as `ip -6 addr` shows it) is used.
    """
    addrs = [a for a in snap.addresses if a.family == 6 and a.ifindex == link.ifindex]
    if _kernel_major(snap.kernel_release) == 3:
        addrs.sort(key=lambda a: _bucket_3x(a.local))  # stable: newest first within a bucket
    return addrs


def _hardware(link: Link) -> tuple[str, str]:
    """(`ether 00:0c:...` or `loop` or `unspec ...`, title) for the hardware line."""
    if link.link_type == "ether":
        return f"ether {link.address.lower()}", "Ethernet"
    if link.link_type == "loopback":
        return "loop", "Local Loopback"
    raw = bytes.fromhex(link.address.replace(":", "")) if link.address else b""
    raw = (raw[:8] + bytes(16))[:16]
    return "unspec " + "-".join(f"{b:02X}" for b in raw), "UNSPEC"


def _dropped(link: Link) -> int:
    """/proc/net/dev's rx drop column: rx_dropped plus rx_missed_errors."""
    return link.stats.rx_dropped + link.stats.rx_missed


def _stats_lines(link: Link) -> str:
    s = link.stats
    frame = s.rx_over_errors + s.rx_frame_errors  # /proc/net/dev folds these into one column
    return (f"{INDENT}RX packets {s.rx_packets}  bytes {s.rx_bytes} ({human_bytes(s.rx_bytes)})\n"
            f"{INDENT}RX errors {s.rx_errors}  dropped {_dropped(link)}  overruns 0"
            f"  frame {frame}\n"
            f"{INDENT}TX packets {s.tx_packets}  bytes {s.tx_bytes} ({human_bytes(s.tx_bytes)})\n"
            f"{INDENT}TX errors {s.tx_errors}  dropped {s.tx_dropped} overruns 0"
            f"  carrier {s.tx_carrier_errors}  collisions {s.collisions}\n")


def interface_block(snap: HostSnapshot, name: str) -> str:
    """ife_print_long for one name (a device or an alias label); KeyError if no such device."""
    link = find_link(snap, name)
    if link is None:
        raise KeyError(name)
    value = flags_value(link)
    out = f"{name}: {flags_text(value)}  mtu {link.mtu}\n"
    inet = inet_address(snap, name)
    if inet is not None:
        out += f"{INDENT}inet {inet.local}  netmask {_netmask(inet.prefixlen)}"
        if _has(value, "BROADCAST"):
            out += f"  broadcast {inet.broadcast or '0.0.0.0'}"
        if _has(value, "POINTOPOINT"):
            out += f"  destination {inet.local}"
        out += "\n"
    if name == link.name:
        for addr in inet6_addresses(snap, link):
            out += (f"{INDENT}inet6 {inet6_text(addr.local)}  prefixlen {addr.prefixlen}"
                    f"  scopeid {inet6_scope_text(inet6_scope(addr.local))}\n")
    hw, title = _hardware(link)
    out += f"{INDENT}{hw}  txqueuelen {link.txqlen}  ({title})\n"
    if name == link.name:
        out += _stats_lines(link)
    return out + "\n"


def short_line(snap: HostSnapshot, name: str) -> str:
    """ife_print_short for one name: the `ifconfig -s` row."""
    link = find_link(snap, name)
    if link is None:
        raise KeyError(name)
    out = f"{name[:15]:<15} {link.mtu:5d} "
    if name == link.name:
        s = link.stats
        out += f"{s.rx_packets:8d} {s.rx_errors:6d} {_dropped(link):6d} {0:<6d} "
        out += f"{s.tx_packets:8d} {s.tx_errors:6d} {s.tx_dropped:6d} {0:6d} "
    else:
        out += f"{NO_STATS:<56}"
    return out + short_flags(flags_value(link)) + "\n"


# -- whole outputs ------------------------------------------------------------------------------
def shown_names(snap: HostSnapshot, all: bool = False) -> list[str]:
    """The names plain `ifconfig` prints (those whose device is UP), or every one with -a."""
    names = interface_names(snap)
    if all:
        return names
    out = []
    for name in names:
        link = find_link(snap, name)
        if link is not None and _has(flags_value(link), "UP"):
            out.append(name)
    return out


def ifconfig_text(snap: HostSnapshot, dev: str | None = None, all: bool = False,
                  short: bool = False) -> str:
    """What `ifconfig [-a] [-s] [DEV]` prints on stdout; KeyError when DEV has no device."""
    names: Iterable[str] = [dev] if dev is not None else shown_names(snap, all)
    if short:
        return SHORT_HEADER + "".join(short_line(snap, n) for n in names)
    return "".join(interface_block(snap, n) for n in names)
