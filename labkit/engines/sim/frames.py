"""Ethernet frames and the packets the sim's stack understands (ARP, ICMP echo, IPv6 control).

Sizes are the real on-wire sizes without FCS, so interface byte counters add up as the
kernel's do.
"""

from __future__ import annotations

from dataclasses import dataclass

BROADCAST = "ff:ff:ff:ff:ff:ff"
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_HLEN = 14


def is_multicast(mac: str) -> bool:
    """True for group addresses (broadcast included): the low bit of the first byte."""
    return bool(int(mac[:2], 16) & 1)


@dataclass(frozen=True)
class Arp:
    """An ARP request (op 1) or reply (op 2) for IPv4 over Ethernet."""

    op: int
    sha: str
    spa: str
    tha: str
    tpa: str

    size = 28


@dataclass(frozen=True)
class Icmp:
    """An IPv4 ICMP echo request (type 8) or reply (type 0) with its payload length."""

    type: int
    ident: int
    seq: int
    payload: int = 56
    sent_at: float = 0.0


@dataclass(frozen=True)
class Ipv4:
    """An IPv4 datagram carrying ICMP."""

    src: str
    dst: str
    ttl: int
    icmp: Icmp

    @property
    def size(self) -> int:
        return 20 + 8 + self.icmp.payload


@dataclass(frozen=True)
class Ipv6Control:
    """IPv6 neighbour discovery / MLD traffic, modelled by kind and size only.

    Nothing in the lab answers these; they matter for what the switch learns and for the
    interfaces' counters.
    """

    kind: str  # dad-ns, rs, mld-report, unsol-na, ra
    size: int
    prefix: str | None = None  # ra: the advertised prefix (lifetimes below)
    valid: int = 0
    preferred: int = 0


Payload = Arp | Ipv4 | Ipv6Control


@dataclass(frozen=True)
class Frame:
    """An Ethernet frame: destination, source, ethertype, payload."""

    dst: str
    src: str
    ethertype: int
    payload: Payload

    @property
    def size(self) -> int:
        """Bytes on the wire (ARP frames are padded to the 60-byte minimum by nobody on veth)."""
        return ETH_HLEN + self.payload.size


IPV6_SIZES = {"dad-ns": 86, "rs": 70, "mld-report": 90, "unsol-na": 86, "ra": 118}
