"""Netlink requests for several namespaces, sent in batches: how a lab is built fast.

pyroute2's message classes encode every request and MarshalRtnl decodes every reply; this
module fills their fields and carries them: consecutive requests for the same namespace
travel in one datagram on a plain netlink socket bound inside that namespace, and their
acknowledgements are collected before requests for another namespace go out, so the order
across namespaces (a veth made in a host, then its peer enslaved in the switch) holds. This
is what `ip -batch` does, without a process per namespace or an event loop per request.
"""

from __future__ import annotations

import itertools
import socket
import struct
from typing import Any

from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.marshal import MarshalRtnl
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from labkit.errors import KernelError

NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 18, 19, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_DUMP = 1, 4, 0x200, 0x400, 0x300
CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
IFF_UP = 1
HEADER = struct.Struct("=IHHII")
Attrs = list[tuple[str, Any]]


def new_link(ifname: str, kind: str, address: str, data: Attrs | None = None) -> ifinfmsg:
    """RTM_NEWLINK of a `kind` device with its IFLA_INFO_DATA."""
    info: Attrs = [("IFLA_INFO_KIND", kind)]
    if data:
        info.append(("IFLA_INFO_DATA", {"attrs": data}))
    return _link([("IFLA_IFNAME", ifname), ("IFLA_ADDRESS", address),
                  ("IFLA_LINKINFO", {"attrs": info})])


def veth_peer(ifname: str, address: str, netns_fd: int) -> Attrs:
    """IFLA_INFO_DATA of a veth: its peer's name, MAC and namespace."""
    return [("VETH_INFO_PEER", {"attrs": [("IFLA_IFNAME", ifname), ("IFLA_ADDRESS", address),
                                          ("IFLA_NET_NS_FD", netns_fd)]})]


def set_link(ifname: str, up: bool = True, master: int | None = None) -> ifinfmsg:
    """RTM_SETLINK by name: up, and optionally into a master."""
    attrs: Attrs = [("IFLA_IFNAME", ifname)]
    if master is not None:
        attrs.append(("IFLA_MASTER", master))
    return _link(attrs, flags=IFF_UP if up else 0, change=IFF_UP)


def _link(attrs: Attrs, flags: int = 0, change: int = 0) -> ifinfmsg:
    msg = ifinfmsg()
    msg["index"] = 0
    msg["flags"] = flags
    msg["change"] = change
    msg["attrs"] = attrs
    return msg


def new_addr(index: int, address: str, prefixlen: int, family: int) -> ifaddrmsg:
    """RTM_NEWADDR as `ip addr add A/P dev X` sends it (no broadcast unless asked)."""
    msg = ifaddrmsg()
    msg["family"] = family
    msg["prefixlen"] = prefixlen
    msg["index"] = index
    msg["attrs"] = [("IFA_LOCAL", address), ("IFA_ADDRESS", address)]
    return msg


def new_route(dst: str, dst_len: int, gateway: str) -> rtmsg:
    """RTM_NEWROUTE as `ip route add DST via GW` sends it: main table, proto boot."""
    msg = rtmsg()
    msg["family"] = socket.AF_INET
    msg["dst_len"] = dst_len
    msg["table"] = 254
    msg["proto"] = 3
    msg["type"] = 1
    msg["attrs"] = [("RTA_TABLE", 254), ("RTA_GATEWAY", gateway)] + (
        [("RTA_DST", dst)] if dst_len else [])
    return msg


def open_socket() -> socket.socket:
    """A NETLINK_ROUTE socket, bound in the calling thread's namespace (for life)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
    sock.bind((0, 0))
    return sock


class Batch:
    """Ordered requests to namespaces' sockets; `flush` sends them and checks every ack."""

    def __init__(self) -> None:
        self._seq = itertools.count(1)
        self._queue: list[tuple[socket.socket, bytes, int]] = []

    def request(self, sock: socket.socket, msg_type: int, msg: Any,
                flags: int = NLM_F_REQUEST | NLM_F_ACK) -> None:
        """Queue one message (RTM_* type) for the namespace of `sock`."""
        seq = next(self._seq)
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = flags
        msg["header"]["sequence_number"] = seq
        msg.encode()
        self._queue.append((sock, bytes(msg.data), seq))

    def flush(self) -> None:
        """Send what is queued, one datagram per run of one socket; KernelError on a NACK."""
        queue, self._queue = self._queue, []
        for sock, run in itertools.groupby(queue, key=lambda item: item[0]):
            items = list(run)
            sock.send(b"".join(data for _, data, _ in items))
            waiting = {seq for _, _, seq in items}
            while waiting:
                data = sock.recv(65536)
                offset = 0
                while offset + HEADER.size <= len(data):
                    length, kind, _, seq, _ = HEADER.unpack_from(data, offset)
                    if kind == NLMSG_ERROR:
                        code = struct.unpack_from("=i", data, offset + HEADER.size)[0]
                        if code < 0 and seq in waiting:
                            self._queue = []
                            raise KernelError(-code)
                        waiting.discard(seq)
                    offset += (max(length, HEADER.size) + 3) & ~3

    def indexes(self, sock: socket.socket) -> dict[str, int]:
        """name -> ifindex of every link in the socket's namespace (one RTM_GETLINK dump)."""
        self.flush()
        return {m.get("IFLA_IFNAME"): m["index"] for m in dump(sock, "link")}


DUMPS = {"link": (RTM_GETLINK, ifinfmsg, socket.AF_UNSPEC),
         "addr": (RTM_NEWADDR + 2, ifaddrmsg, socket.AF_UNSPEC),
         "route": (RTM_NEWROUTE + 2, rtmsg, socket.AF_INET),
         "neigh": (30, ndmsg, socket.AF_INET)}
_dump_seq = itertools.count(1 << 30)


def dump(sock: socket.socket, what: str) -> list[Any]:
    """Every object of one kind (link, addr, IPv4 route, IPv4 neigh) in the socket's
    namespace, decoded by pyroute2: one request, no event loop."""
    kind, cls, family = DUMPS[what]
    msg = cls()
    msg["family"] = family
    msg["header"]["type"] = kind
    msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    seq = next(_dump_seq)
    msg["header"]["sequence_number"] = seq
    msg.encode()
    sock.send(bytes(msg.data))
    marshal = MarshalRtnl()
    out: list[Any] = []
    while True:
        for reply in marshal.parse(sock.recv(1 << 20)):
            if reply["header"]["sequence_number"] != seq:
                continue
            if reply["header"]["type"] == NLMSG_ERROR:
                code = reply.get("error") or 0
                if code:
                    raise KernelError(abs(code))
                return out
            if reply["header"]["type"] == NLMSG_DONE:
                return out
            out.append(reply)
