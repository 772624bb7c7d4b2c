"""systemd-udevd's part in a lab host's networking: `MACAddressPolicy=persistent`.

Debian 12 and RHEL 9 ship `99-default.link` with `MACAddressPolicy=persistent`: when a virtual
link (a bond, a bridge) appears with a kernel-random MAC, udev replaces it with one derived from
the machine-id and the interface name, so the MAC survives reboots. It races with whoever
enslaves the first port: a bond that took its first slave's MAC before udev ran is left alone
(its MAC is no longer random). Recorded on the real system: see tests/data/nm/. CentOS 7's
systemd 219 has no such policy.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.engines.base import Engine

# systemd's HASH_KEY for predictable per-machine link data (src/shared/netif-util.c)
HASH_KEY = bytes.fromhex("d31e48fa90fe4b4c9dafd5d7a1b12e8a")
NET_ADDR_RANDOM = 1
VIRTUAL_KINDS = ("bond", "bridge", "dummy", "veth")
_M64 = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def siphash24(data: bytes, key: bytes) -> int:
    """SipHash-2-4 of `data` under the 16-byte `key`, as systemd's siphash24()."""
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def sipround() -> None:
        v[0] = (v[0] + v[1]) & _M64
        v[1] = _rotl(v[1], 13) ^ v[0]
        v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & _M64
        v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & _M64
        v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & _M64
        v[1] = _rotl(v[1], 17) ^ v[2]
        v[2] = _rotl(v[2], 32)

    end = len(data) - len(data) % 8
    for i in range(0, end, 8):
        (m,) = struct.unpack("<Q", data[i:i + 8])
        v[3] ^= m
        sipround()
        sipround()
        v[0] ^= m
    last = (len(data) & 0xFF) << 56
    for i, byte in enumerate(data[end:]):
        last |= byte << (8 * i)
    v[3] ^= last
    sipround()
    sipround()
    v[0] ^= last
    v[2] ^= 0xFF
    for _ in range(4):
        sipround()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def persistent_mac(machine_id: str, ifname: str) -> str:
    """The MAC `MACAddressPolicy=persistent` gives `ifname` on the machine `machine_id`."""
    name = ifname.encode("utf-8", "surrogateescape")  # the kernel's bytes, whatever they are
    digest = siphash24(bytes.fromhex(machine_id) + name, HASH_KEY)
    raw = bytearray(struct.pack("<Q", digest)[:6])
    raw[0] = (raw[0] & 0xFE) | 0x02  # ether_addr_mark_random: unicast, locally administered
    return ":".join(f"{b:02x}" for b in raw)


class Udev:
    """udevd of one host: applies the persistent MAC policy to each new virtual link."""

    def __init__(self, engine: Engine, host: str, machine_id: str) -> None:
        self.engine = engine
        self.host = host
        self.machine_id = machine_id

    def start(self) -> None:
        """Listen for new links (udevd's netlink uevent socket)."""
        self.engine.watch_links(self.host, self.uevent)

    def uevent(self, name: str) -> None:
        """An `add` event: a virtual link whose MAC is still the kernel's random one gets its
        persistent MAC; anything else (a stolen or set MAC, a physical NIC) is left alone."""
        try:
            link = self.engine.snapshot(self.host).link(name)
        except KeyError:
            return  # gone before udev got to it
        if link.kind not in VIRTUAL_KINDS or link.addr_assign_type != NET_ADDR_RANDOM:
            return
        self.engine.link_set(self.host, name, address=persistent_mac(self.machine_id, name))
