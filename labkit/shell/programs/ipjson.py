"""`ip -j` / `ip -j -p`: iproute2's JSON for links, addresses, routes and neighbours.

The objects carry the keys in print_linkinfo's and print_addrinfo's order (iproute2 6.1),
built from the same snapshot the text views read; the bond's and its ports' -d attributes come
from the text view's own list (views.iproute.bond_details), so the two outputs never disagree.
The writer is json_writer.c's: compact, or with -p four spaces a level, `[ {` and `} ]`,
arrays of values on one line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from labkit.views import iproute as view

if TYPE_CHECKING:
    from labkit.model.snapshot import Address, HostSnapshot, Link

FOREVER = 4294967295
# text keyword -> JSON key where iplink_bond.c names them differently
BOND_JSON_KEYS = {"num_grat_arp": "num_peer_notif", "lacp_active": "ad_lacp_active",
                  "lacp_rate": "ad_lacp_rate"}
LIST_KEYS = ("arp_ip_target", "ns_ip6_target")


class Null:
    """JSON null (print_null)."""


NULL = Null()


def _value(text: str) -> Any:
    return int(text) if text.lstrip("-").isdigit() else text


def _pairs(text: str) -> list[tuple[str, str]]:
    words = text.split()
    return [(words[i], words[i + 1]) for i in range(0, len(words) - 1, 2)]


def _flags(link: Link) -> list[str]:
    return view.link_flags(link).strip()[1:-1].split(",") if link.flags else []


def _netnsids(snap: HostSnapshot) -> dict[str, int]:
    """peernet2id: the ids this namespace gave its peers' namespaces, in the order it met them."""
    ids: dict[str, int] = {}
    for link in sorted(snap.links, key=lambda ln: ln.ifindex):
        if link.link_netns is not None and link.link_netns not in ids:
            ids[link.link_netns] = len(ids)
    return ids


def _name_and_link(snap: HostSnapshot, link: Link, obj: dict[str, Any]) -> None:
    if link.link_index is not None and link.link_netns is not None:
        obj["link_index"] = link.link_index
        obj["ifname"] = link.name
        return
    obj["ifname"] = link.name
    if link.link_index is not None:
        peer = snap.link_by_index(link.link_index)
        obj["link"] = peer.name if peer is not None else None


def link_object(snap: HostSnapshot, link: Link, do_link: bool, details: bool, stats: bool,
                family: int | None = None) -> dict[str, Any]:
    """print_linkinfo's JSON object for one link."""
    obj: dict[str, Any] = {"ifindex": link.ifindex}
    _name_and_link(snap, link, obj)
    obj["flags"] = _flags(link)
    obj["mtu"] = link.mtu
    obj["qdisc"] = link.qdisc
    if link.master:
        obj["master"] = link.master
    obj["operstate"] = link.operstate
    if do_link:
        obj["linkmode"] = link.linkmode
    obj["group"] = link.group
    if link.txqlen:
        obj["txqlen"] = link.txqlen
    if family is None or details:  # -4/-6 leave out the link/ether part, as the text does
        obj["link_type"] = link.link_type
        obj["address"] = link.address
        obj["broadcast"] = link.broadcast
    if link.link_netns is not None:
        obj["link_netnsid"] = _netnsids(snap).get(link.link_netns, 0)
    if details:
        obj.update({"promiscuity": link.promiscuity, "allmulti": link.allmulti,
                    "min_mtu": link.min_mtu, "max_mtu": link.max_mtu})
        info: dict[str, Any] = {}
        if link.kind:
            info["info_kind"] = link.kind
            data: dict[str, Any] = {}
            if link.bond is not None:
                for key, value in _pairs(view.bond_details(link)):
                    if key in LIST_KEYS:
                        data[key] = value.split(",")
                    elif key == "arp_validate" and value == "none":
                        data[key] = NULL
                    else:
                        data[BOND_JSON_KEYS.get(key, key)] = _value(value)
            for key, value in link.kind_details:
                data[key] = _value(value)
            if data:
                info["info_data"] = data
        if link.slave_kind == "bond" and link.bond_slave is not None:
            s = link.bond_slave
            info["info_slave_kind"] = "bond"
            slave: dict[str, Any] = {"state": s.state, "mii_status": s.mii_status,
                                     "link_failure_count": s.link_failure_count,
                                     "perm_hwaddr": s.perm_hwaddr, "queue_id": s.queue_id,
                                     "prio": s.prio}
            slave.update({k: _value(v) for k, v in s.ip_details})
            info["info_slave_data"] = slave
        elif link.slave_kind:
            info["info_slave_kind"] = link.slave_kind
            info["info_slave_data"] = {k: _value(v) for k, v in link.slave_details}
        if info:
            obj["linkinfo"] = info
        if link.addrgenmode:
            obj["inet6_addr_gen_mode"] = link.addrgenmode
        obj.update({"num_tx_queues": link.num_tx_queues, "num_rx_queues": link.num_rx_queues,
                    "gso_max_size": link.gso_max_size, "gso_max_segs": link.gso_max_segs,
                    "tso_max_size": link.tso_max_size, "tso_max_segs": link.tso_max_segs,
                    "gro_max_size": link.gro_max_size})
    if stats and do_link:
        st = link.stats
        obj["stats64"] = {
            "rx": {"bytes": st.rx_bytes, "packets": st.rx_packets, "errors": st.rx_errors,
                   "dropped": st.rx_dropped, "over_errors": st.rx_over_errors,
                   "multicast": st.multicast},
            "tx": {"bytes": st.tx_bytes, "packets": st.tx_packets, "errors": st.tx_errors,
                   "dropped": st.tx_dropped, "carrier_errors": st.tx_carrier_errors,
                   "collisions": st.collisions}}
    return obj


def addr_object(addr: Address) -> dict[str, Any]:
    """print_addrinfo's JSON object for one address."""
    obj: dict[str, Any] = {"family": "inet" if addr.family == 4 else "inet6",
                           "local": addr.local, "prefixlen": addr.prefixlen}
    if addr.broadcast:
        obj["broadcast"] = addr.broadcast
    obj["scope"] = addr.scope
    for flag in view.ADDR_FLAG_ORDER:
        if flag in addr.flags:
            obj["temporary" if flag == "secondary" and addr.family == 6 else flag] = True
    if addr.family == 4 and addr.label:
        obj["label"] = addr.label
    obj["valid_life_time"] = FOREVER if addr.valid_lft is None else addr.valid_lft
    obj["preferred_life_time"] = FOREVER if addr.preferred_lft is None else addr.preferred_lft
    return obj


def links(snap: HostSnapshot, selected: list[Link], details: bool, stats: bool,
          brief: bool) -> list[dict[str, Any]]:
    if brief:
        out = []
        for link in selected:
            obj: dict[str, Any] = {}
            _name_and_link(snap, link, obj)
            obj.update({"operstate": link.operstate, "address": link.address,
                        "flags": _flags(link)})
            out.append(obj)
        return out
    return [link_object(snap, ln, True, details, stats) for ln in selected]


def addresses(snap: HostSnapshot, selected: list[Link], family: int | None, details: bool,
              brief: bool) -> list[dict[str, Any]]:
    out = []
    for link in selected:
        addrs = [a for a in snap.addresses_of(link.name) if family is None or a.family == family]
        if family is not None and not addrs:
            continue
        if brief:
            obj: dict[str, Any] = {}
            _name_and_link(snap, link, obj)
            obj["operstate"] = link.operstate
            obj["addr_info"] = [{"local": a.local, "prefixlen": a.prefixlen} for a in addrs]
        else:
            obj = link_object(snap, link, False, details, False, family)
            obj["addr_info"] = [addr_object(a) for a in addrs]
        out.append(obj)
    return out


def routes(snap: HostSnapshot, dev: str | None) -> list[dict[str, Any]]:
    out = []
    for r in snap.routes:
        if r.family != 4 or (dev is not None and r.dev != dev):
            continue
        obj: dict[str, Any] = {}
        if r.type != "unicast":
            obj["type"] = r.type
        obj["dst"] = r.dst
        if r.gateway:
            obj["gateway"] = r.gateway
        if r.dev and dev is None:  # a `dev` filter leaves the key out, as in the text
            obj["dev"] = r.dev
        if r.proto != "boot":
            obj["protocol"] = r.proto
        if r.scope != "global":
            obj["scope"] = r.scope
        if r.prefsrc:
            obj["prefsrc"] = r.prefsrc
        if r.metric is not None:
            obj["metric"] = r.metric
        obj["flags"] = list(r.flags)
        out.append(obj)
    return out


def neighbours(snap: HostSnapshot, dev: str | None) -> list[dict[str, Any]]:
    out = []
    for n in snap.neighbours:
        if dev is not None and n.dev != dev:
            continue
        obj: dict[str, Any] = {"dst": n.dst}
        if dev is None:
            obj["dev"] = n.dev
        if n.lladdr:
            obj["lladdr"] = n.lladdr
        obj["state"] = [n.state]
        out.append(obj)
    return out


def dumps(objects: list[dict[str, Any]], pretty: bool) -> str:
    """json_writer.c's output of an array of objects."""
    w = _Writer(pretty)
    w.value(objects)
    return w.text() + "\n"


class _Writer:
    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty
        self.parts: list[str] = []
        self.depth = 0
        self.sep = ""

    def text(self) -> str:
        return "".join(self.parts)

    def _eol(self) -> None:
        if self.pretty:
            self.parts.append("\n" + "    " * self.depth)

    def _eor(self) -> None:
        if self.sep:
            self.parts.append(self.sep)
        self.sep = ","

    def value(self, v: Any) -> None:
        if isinstance(v, dict):
            self._eor()
            self.parts.append("{")
            self.depth += 1
            self.sep = ""
            for key, item in v.items():
                self._eor()
                self._eol()
                self.sep = ""
                self.parts.append(json.dumps(key) + (": " if self.pretty else ":"))
                self.value(item)
            self.depth -= 1
            if self.sep:
                self._eol()
            self.parts.append("}")
            self.sep = ","
        elif isinstance(v, list):
            self._eor()
            self.parts.append("[ " if self.pretty else "[")
            self.depth += 1
            self.sep = ""
            for item in v:
                self.value(item)
            if self.pretty and self.sep:
                self.parts.append(" ")
            self.sep = ""
            self.depth -= 1
            self.parts.append("]")
            self.sep = ","
        else:
            self._eor()
            if isinstance(v, Null) or v is None:
                self.parts.append("null")
            elif isinstance(v, bool):
                self.parts.append("true" if v else "false")
            elif isinstance(v, int):
                self.parts.append(str(v))
            else:
                self.parts.append(json.dumps(v, ensure_ascii=False))
