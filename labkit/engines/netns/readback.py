"""Netlink messages (pyroute2) turned into the model's snapshot dataclasses.

The same dataclasses the sim fills, read here from a real kernel: RTM_NEWLINK with its bond and
bridge attributes, RTM_NEWADDR, the main table's routes and the neighbour table. What pyroute2
0.9 cannot decode (IFLA_BOND_PEER_NOTIF_DELAY and later, slave prio) comes from the bond's
sysfs directory, through a reader the engine passes in.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from labkit.engines.bond_options import MODES, OPTIONS
from labkit.model.snapshot import (
    Address,
    BondInfo,
    BondSlaveInfo,
    HostSnapshot,
    Link,
    LinkStats,
    Neighbour,
    Route,
)

# IFF_* bits in the order iproute2 prints them (print_link_flags)
IFF_NAMES = ((0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"), (0x1000, "MULTICAST"),
             (0x80, "NOARP"), (0x200, "ALLMULTI"), (0x100, "PROMISC"), (0x400, "MASTER"),
             (0x800, "SLAVE"), (0x4, "DEBUG"), (0x8000, "DYNAMIC"), (0x4000, "AUTOMEDIA"),
             (0x2000, "PORTSEL"), (0x20, "NOTRAILERS"), (0x1, "UP"), (0x10000, "LOWER_UP"),
             (0x20000, "DORMANT"), (0x40000, "ECHO"))
IFF_RUNNING = 0x40
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 16: "dhcp",
          9: "ra"}
NUD = ((0x01, "INCOMPLETE"), (0x02, "REACHABLE"), (0x04, "STALE"), (0x08, "DELAY"),
       (0x10, "PROBE"), (0x20, "FAILED"), (0x40, "NOARP"), (0x80, "PERMANENT"))
ADDR_FLAGS = ((0x01, "secondary"), (0x02, "nodad"), (0x04, "optimistic"), (0x08, "dadfailed"),
              (0x10, "home"), (0x20, "deprecated"), (0x40, "tentative"), (0x80, "permanent"),
              (0x100, "mngtmpaddr"), (0x200, "noprefixroute"))
GEN_MODES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}
SLAVE_STATES = {0: "ACTIVE", 1: "BACKUP"}
MII = {0: "UP", 1: "GOING_DOWN", 2: "DOWN", 3: "GOING_BACK"}
FOREVER = 0xFFFFFFFF

SysfsReader = Callable[[str], str | None]  # path under /sys/class/net -> text or None


def _flags(value: int) -> tuple[str, ...]:
    return tuple(name for bit, name in IFF_NAMES if value & bit)


def _stats(msg: Any) -> LinkStats:
    s = msg.get("IFLA_STATS64") or {}
    get = s.get if hasattr(s, "get") else (lambda _k, _d=0: 0)
    return LinkStats(rx_packets=get("rx_packets", 0), rx_bytes=get("rx_bytes", 0),
                     rx_errors=get("rx_errors", 0), rx_dropped=get("rx_dropped", 0),
                     rx_over_errors=get("rx_over_errors", 0),
                     rx_frame_errors=get("rx_frame_errors", 0),
                     rx_missed=get("rx_missed_errors", 0), multicast=get("multicast", 0),
                     tx_packets=get("tx_packets", 0), tx_bytes=get("tx_bytes", 0),
                     tx_errors=get("tx_errors", 0), tx_dropped=get("tx_dropped", 0),
                     tx_carrier_errors=get("tx_carrier_errors", 0),
                     collisions=get("collisions", 0))


def _nested(msg: Any, *path: str) -> Any:
    try:
        return msg.get_nested(*path)
    except (AttributeError, KeyError, TypeError):
        return None


def _opt_name(option: str, value: Any) -> str:
    return OPTIONS[option].name_of(int(value)) if value is not None else ""


def _bond_info(msg: Any, by_index: dict[int, str], slaves: tuple[str, ...],
               sysfs: SysfsReader, name: str) -> BondInfo:
    def d(attr: str, default: Any = 0) -> Any:
        value = _nested(msg, "IFLA_LINKINFO", "IFLA_INFO_DATA", f"IFLA_BOND_{attr}")
        return default if value is None else value

    def fs(option: str, default: str) -> str:
        text = sysfs(f"{name}/bonding/{option}")
        return (text or default).split()[0] if (text or default).split() else default

    mode = int(d("MODE"))
    active = d("ACTIVE_SLAVE", None)
    primary = d("PRIMARY", None)
    miimon = int(d("MIIMON"))
    targets = d("ARP_IP_TARGET", ())
    return BondInfo(
        mode=MODES[mode], active_slave=by_index.get(active) if active else None,
        miimon=miimon, updelay=int(d("UPDELAY")), downdelay=int(d("DOWNDELAY")),
        peer_notify_delay=int(fs("peer_notif_delay", "0")), use_carrier=int(d("USE_CARRIER", 1)),
        arp_interval=int(d("ARP_INTERVAL")), arp_missed_max=int(fs("arp_missed_max", "2")),
        arp_ip_target=tuple(str(t) for t in targets or ()), ns_ip6_target=(),
        arp_validate=_opt_name("arp_validate", d("ARP_VALIDATE")),
        arp_all_targets=_opt_name("arp_all_targets", d("ARP_ALL_TARGETS")),
        primary=by_index.get(primary) if primary else None,
        primary_reselect=_opt_name("primary_reselect", d("PRIMARY_RESELECT")),
        fail_over_mac=_opt_name("fail_over_mac", d("FAIL_OVER_MAC")),
        xmit_hash_policy=_opt_name("xmit_hash_policy", d("XMIT_HASH_POLICY")),
        resend_igmp=int(d("RESEND_IGMP", 1)), num_peer_notif=int(d("NUM_PEER_NOTIF", 1)),
        all_slaves_active=int(d("ALL_SLAVES_ACTIVE")), min_links=int(d("MIN_LINKS")),
        lp_interval=int(d("LP_INTERVAL", 1)), packets_per_slave=int(d("PACKETS_PER_SLAVE", 1)),
        ad_lacp_active=fs("lacp_active", "on"),
        ad_lacp_rate=_opt_name("lacp_rate", d("AD_LACP_RATE")),
        ad_select=_opt_name("ad_select", d("AD_SELECT")),
        tlb_dynamic_lb=int(d("TLB_DYNAMIC_LB", 1)),
        ad_actor_sys_prio=int(d("AD_ACTOR_SYS_PRIO", 65535)),
        ad_user_port_key=int(d("AD_USER_PORT_KEY")),
        carrier=bool(msg.get("IFLA_CARRIER")), slaves=slaves,
        primary_name=(fs("primary", "") or None) if primary is None else by_index.get(primary))


def _slave_info(msg: Any) -> BondSlaveInfo:
    def d(attr: str, default: Any = 0) -> Any:
        value = _nested(msg, "IFLA_LINKINFO", "IFLA_INFO_SLAVE_DATA", f"IFLA_BOND_SLAVE_{attr}")
        return default if value is None else value

    return BondSlaveInfo(state=SLAVE_STATES.get(int(d("STATE")), "BACKUP"),
                         mii_status=MII.get(int(d("MII_STATUS")), "DOWN"),
                         link_failure_count=int(d("LINK_FAILURE_COUNT")),
                         perm_hwaddr=str(d("PERM_HWADDR", "")), queue_id=int(d("QUEUE_ID")),
                         ad_aggregator_id=d("AD_AGGREGATOR_ID", None))


def _link(msg: Any, by_index: dict[int, str], masters: dict[int, list[str]],
          netns_names: dict[int, str], sysfs: SysfsReader) -> Link:
    name = msg.get("IFLA_IFNAME")
    flags_value = msg["flags"]
    kind = _nested(msg, "IFLA_LINKINFO", "IFLA_INFO_KIND")
    slave_kind = _nested(msg, "IFLA_LINKINFO", "IFLA_INFO_SLAVE_KIND")
    master = msg.get("IFLA_MASTER")
    link_index = msg.get("IFLA_LINK")
    nsid = msg.get("IFLA_LINK_NETNSID")
    gen = _nested(msg, "IFLA_AF_SPEC", "AF_INET6", "IFLA_INET6_ADDR_GEN_MODE")
    loopback = bool(flags_value & 0x8)
    names = list(_flags(flags_value))
    if "UP" in names and flags_value & IFF_RUNNING:
        names.insert(names.index("UP") + 1, "RUNNING")
    return Link(
        ifindex=msg["index"], name=name, kind=kind, flags=tuple(names),
        mtu=msg.get("IFLA_MTU") or 0,
        qdisc=msg.get("IFLA_QDISC") or "noop", operstate=msg.get("IFLA_OPERSTATE") or "UNKNOWN",
        link_type="loopback" if loopback else "ether",
        address=msg.get("IFLA_ADDRESS") or "00:00:00:00:00:00",
        broadcast=msg.get("IFLA_BROADCAST") or "00:00:00:00:00:00",
        txqlen=msg.get("IFLA_TXQLEN") or 0, master=by_index.get(master) if master else None,
        link_index=link_index if link_index and link_index != msg["index"] else None,
        link_netns=netns_names.get(nsid) if nsid is not None else None,
        promiscuity=msg.get("IFLA_PROMISCUITY") or 0, min_mtu=msg.get("IFLA_MIN_MTU") or 0,
        max_mtu=msg.get("IFLA_MAX_MTU") or 0,
        addrgenmode=GEN_MODES.get(gen) if gen is not None else None,
        addr_assign_type=_assign_type(sysfs(f"{name}/addr_assign_type")),
        num_tx_queues=msg.get("IFLA_NUM_TX_QUEUES") or 1,
        num_rx_queues=msg.get("IFLA_NUM_RX_QUEUES") or 1,
        stats=_stats(msg),
        bond=_bond_info(msg, by_index, tuple(masters.get(msg["index"], ())), sysfs, name)
        if kind == "bond" else None,
        bond_slave=_slave_info(msg) if slave_kind == "bond" else None,
        slave_kind=slave_kind)


def _assign_type(text: str | None) -> int:
    """NET_ADDR_* from sysfs (netlink does not carry it): how the MAC was given."""
    try:
        return int((text or "0").strip())
    except ValueError:
        return 0


def _address(msg: Any, by_index: dict[int, str]) -> Address:
    family = 4 if msg["family"] == socket.AF_INET else 6
    flags_value = msg.get("IFA_FLAGS") or msg["flags"]
    cache = msg.get("IFA_CACHEINFO")
    valid = cache["ifa_valid"] if cache else FOREVER
    preferred = cache["ifa_preferred"] if cache else FOREVER
    dev = by_index.get(msg["index"], "")
    return Address(ifindex=msg["index"], dev=dev, family=family,
                   local=msg.get("IFA_LOCAL") or msg.get("IFA_ADDRESS"),
                   prefixlen=msg["prefixlen"], scope=SCOPES.get(msg["scope"], str(msg["scope"])),
                   broadcast=msg.get("IFA_BROADCAST"),
                   flags=tuple(n for bit, n in ADDR_FLAGS
                               if flags_value & bit and n != "permanent"),
                   label=msg.get("IFA_LABEL") if family == 4 else None,
                   valid_lft=None if valid == FOREVER else valid,
                   preferred_lft=None if preferred == FOREVER else preferred)


def _route(msg: Any, by_index: dict[int, str]) -> Route:
    dst = msg.get("RTA_DST")
    oif = msg.get("RTA_OIF")
    return Route(family=4, dst=f"{dst}/{msg['dst_len']}" if dst else "default",
                 dev=by_index.get(oif) if oif else None, gateway=msg.get("RTA_GATEWAY"),
                 proto=PROTOS.get(msg["proto"], str(msg["proto"])),
                 scope=SCOPES.get(msg["scope"], str(msg["scope"])),
                 prefsrc=msg.get("RTA_PREFSRC"), metric=msg.get("RTA_PRIORITY") or None,
                 flags=("linkdown",) if msg["flags"] & 0x10 else ())


def _neighbour(msg: Any, by_index: dict[int, str]) -> Neighbour:
    state = msg["state"]
    return Neighbour(dst=msg.get("NDA_DST"), dev=by_index.get(msg["ifindex"], ""),
                     lladdr=msg.get("NDA_LLADDR"),
                     state=next((n for bit, n in NUD if state & bit), "NONE"))


Dump = Callable[[str], list[Any]]  # "link" | "addr" | "route" | "neigh" -> messages


def take(dump: Dump, host: str, now: float, netns_names: dict[int, str], sysfs: SysfsReader,
         kernel_release: str) -> HostSnapshot:
    """One host's state from the netlink dumps of its namespace."""
    links = sorted(dump("link"), key=lambda m: m["index"])
    by_index = {m["index"]: m.get("IFLA_IFNAME") for m in links}
    masters: dict[int, list[str]] = {}
    for m in links:
        if m.get("IFLA_MASTER"):
            masters.setdefault(m.get("IFLA_MASTER"), []).append(m.get("IFLA_IFNAME"))
    addrs = [_address(m, by_index) for m in dump("addr")]
    addrs.sort(key=lambda a: (a.ifindex, a.family))
    routes = [_route(m, by_index) for m in dump("route")
              if (m.get("RTA_TABLE") or m["table"]) == 254]
    neigh = [_neighbour(m, by_index) for m in dump("neigh") if m.get("NDA_DST")]
    return HostSnapshot(host=host, time=now,
                        links=tuple(_link(m, by_index, masters, netns_names, sysfs)
                                    for m in links),
                        addresses=tuple(addrs), routes=tuple(routes), neighbours=tuple(neigh),
                        kernel_release=kernel_release)
