"""`ip link`, `ip addr`, `ip route`, `ip neigh` as iproute2 6.1 prints them, from a snapshot.

Each function mirrors one printer of iproute2 (print_linkinfo, print_addrinfo, print_route,
print_neigh), trailing blanks included, so its text equals the real tool's for the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labkit.model.snapshot import Address, HostSnapshot, Link, LinkStats

FLAG_ORDER = ("LOOPBACK", "BROADCAST", "POINTOPOINT", "MULTICAST", "NOARP", "ALLMULTI",
              "PROMISC", "MASTER", "SLAVE", "DEBUG", "DYNAMIC", "AUTOMEDIA", "PORTSEL",
              "NOTRAILERS", "UP", "LOWER_UP", "DORMANT", "ECHO")
ADDR_FLAG_ORDER = ("secondary", "nodad", "optimistic", "dadfailed", "home", "deprecated",
                   "tentative", "dynamic", "mngtmpaddr", "noprefixroute", "autojoin",
                   "stable-privacy")
# iproute2 4.11 (CentOS 7) prints the flags in print_addrinfo's older order, `dynamic` last
ADDR_FLAG_ORDER_411 = ("secondary", "tentative", "deprecated", "home", "nodad", "mngtmpaddr",
                       "noprefixroute", "autojoin", "dynamic", "dadfailed", "optimistic",
                       "stable-privacy")
BOND_SLAVE_STATES = ("ACTIVE", "BACKUP")


@dataclass(frozen=True)
class ShowOptions:
    """The options of `ip [-d] [-s] [-br] [-4|-6] link|addr show [dev X] [up]`."""

    details: bool = False
    stats: int = 0
    brief: bool = False
    family: int | None = None  # 4, 6 or None
    oneline: bool = False
    up_only: bool = False
    master: str | None = None
    one_device: bool = False  # `dev X` given: iproute2 asks for that link alone (RTM_GETLINK)
    iproute2: str = "6.1"  # which iproute2 prints (4.11 on CentOS 7)

    @property
    def ipv6_link_dump(self) -> bool:
        """`ip -6 addr` lists links with an AF_INET6 dump, which carries no netnsid (nor qdisc
        or master); with `dev X` it asks the kernel for that link alone, an AF_UNSPEC answer
        with all of them (real 6.1: `ip -6 -br a show dev ens33` is ens33@if3)."""
        return self.family == 6 and not self.one_device


def link_flags(link: Link, m_down: bool = False) -> str:
    """print_link_flags: <NO-CARRIER,BROADCAST,...>."""
    names: list[str] = []
    if "UP" in link.flags and "RUNNING" not in link.flags:
        names.append("NO-CARRIER")
    names += [f for f in FLAG_ORDER if f in link.flags]
    if m_down:
        names.append("M-DOWN")
    return "<" + ",".join(names) + "> "


def name_and_link(snap: HostSnapshot, link: Link, local_resolution: bool = False
                  ) -> tuple[str, bool]:
    """print_name_and_link: name@peer, where peer is ifN across namespaces.

    With `local_resolution` (the IPv6 link dump carries no netnsid) the peer index is looked up
    among this host's own links, as iproute2 then does: ens33@ens37 is what `ip -6 a` prints.
    """
    if link.link_index is None:
        return link.name, False
    if link.link_netns is not None and not local_resolution:
        return f"{link.name}@if{link.link_index}", False
    local = snap.link_by_index(link.link_index)
    if local is None:
        return f"{link.name}@if{link.link_index}", False
    return f"{link.name}@{local.name}", not local.is_up


def _header(snap: HostSnapshot, link: Link, do_link: bool, opts: ShowOptions) -> str:
    """The first line of print_linkinfo, up to the newline."""
    v6_dump = opts.ipv6_link_dump and not do_link
    name, m_down = name_and_link(snap, link, local_resolution=v6_dump)
    out = f"{link.ifindex}: {name}: " + link_flags(link, m_down) + f"mtu {link.mtu} "
    if not v6_dump:
        out += f"qdisc {link.qdisc} "
        if link.master:
            out += f"master {link.master} "
    out += f"state {link.operstate} "
    if do_link:
        out += f"mode {link.linkmode} "
    if not v6_dump:
        out += f"group {link.group} "
    if link.txqlen:
        out += f"qlen {link.txqlen}"
    return out


def _details(link: Link) -> str:
    """The -d part: promiscuity ... kind block, slave block, addrgenmode, queues, sizes."""
    out = f" promiscuity {link.promiscuity}  allmulti {link.allmulti} "
    out += f"minmtu {link.min_mtu} maxmtu {link.max_mtu} "
    if link.kind:
        out += f"\n    {link.kind} "
        if link.bond is not None:
            out += bond_details(link)
        out += "".join(f"{k} {v} " for k, v in link.kind_details)
    if link.slave_kind == "bond" and link.bond_slave is not None:
        s = link.bond_slave
        out += (f"\n    bond_slave state {s.state} mii_status {s.mii_status} "
                f"link_failure_count {s.link_failure_count} perm_hwaddr {s.perm_hwaddr} "
                f"queue_id {s.queue_id} prio {s.prio} ")
        out += "".join(f"{k} {v} " for k, v in s.ip_details)
    elif link.slave_kind:
        out += f"\n    {link.slave_kind}_slave "
        out += "".join(f"{k} {v} " for k, v in link.slave_details)
    if link.addrgenmode:
        out += f"addrgenmode {link.addrgenmode} "
    out += (f"numtxqueues {link.num_tx_queues} numrxqueues {link.num_rx_queues} "
            f"gso_max_size {link.gso_max_size} gso_max_segs {link.gso_max_segs} "
            f"tso_max_size {link.tso_max_size} tso_max_segs {link.tso_max_segs} "
            f"gro_max_size {link.gro_max_size} ")
    return out


def bond_details(link: Link) -> str:
    """iplink_bond.c bond_print_opt for the attributes the kernel sends."""
    b = link.bond
    assert b is not None
    out = f"mode {b.mode} "
    if b.active_slave:
        out += f"active_slave {b.active_slave} "
    out += (f"miimon {b.miimon} updelay {b.updelay} downdelay {b.downdelay} "
            f"peer_notify_delay {b.peer_notify_delay} use_carrier {b.use_carrier} "
            f"arp_interval {b.arp_interval} arp_missed_max {b.arp_missed_max} ")
    if b.arp_ip_target:
        out += "arp_ip_target " + ",".join(b.arp_ip_target) + " "
    if b.ns_ip6_target:
        out += "ns_ip6_target " + ",".join(b.ns_ip6_target) + " "
    out += f"arp_validate {b.arp_validate} arp_all_targets {b.arp_all_targets} "
    if b.primary:
        out += f"primary {b.primary} "
    out += (f"primary_reselect {b.primary_reselect} fail_over_mac {b.fail_over_mac} "
            f"xmit_hash_policy {b.xmit_hash_policy} resend_igmp {b.resend_igmp} "
            f"num_grat_arp {b.num_peer_notif} all_slaves_active {b.all_slaves_active} "
            f"min_links {b.min_links} lp_interval {b.lp_interval} "
            f"packets_per_slave {b.packets_per_slave} lacp_active {b.ad_lacp_active} "
            f"lacp_rate {b.ad_lacp_rate} ad_select {b.ad_select} ")
    for key, value in b.ad_info:
        out += f"{key} {value} "
    if b.mode == "802.3ad":
        out += (f"ad_actor_sys_prio {b.ad_actor_sys_prio} ad_user_port_key "
                f"{b.ad_user_port_key} ad_actor_system {b.ad_actor_system} ")
    out += f"tlb_dynamic_lb {b.tlb_dynamic_lb} "
    return out


def link_stats(stats: LinkStats) -> str:
    """print_stats64 for `-s` (one level), with its column sizing."""
    s = stats
    cols = [len("*X errors:"), len("packets"), len("errors"), len("dropped"), len("heartbt"),
            len("overrun"), len("compressed"), len("otherhost")]

    def size(values: Iterable[int]) -> None:
        for i, v in enumerate(values):
            cols[i] = max(cols[i], len(str(v)))

    size((s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed, s.multicast, 0, 0))
    size((s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors,
          s.collisions, 0, 0))

    def num(width: int, value: int) -> str:
        return f"{value:>{width}} "

    out = (f"    RX: {'bytes':>{cols[0] - 4}} {'packets':>{cols[1]}} {'errors':>{cols[2]}} "
           f"{'dropped':>{cols[3]}} {'missed':>{cols[4]}} {'mcast':>{cols[5]}} "
           f"{'':>{cols[6]}}\n    ")
    out += "".join(num(w, v) for w, v in zip(cols[:6], (
        s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed, s.multicast),
        strict=True))
    out += (f"\n    TX: {'bytes':>{cols[0] - 4}} {'packets':>{cols[1]}} {'errors':>{cols[2]}} "
            f"{'dropped':>{cols[3]}} {'carrier':>{cols[4]}} {'collsns':>{cols[5]}} "
            f"{'':>{cols[6]}}\n    ")
    out += "".join(num(w, v) for w, v in zip(cols[:6], (
        s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors,
        s.collisions), strict=True))
    return out


def _link_block(snap: HostSnapshot, link: Link, do_link: bool, opts: ShowOptions) -> str:
    out = _header(snap, link, do_link, opts)
    if opts.family is None or opts.details:
        out += f"\n    link/{link.link_type} {link.address} brd {link.broadcast}"
    if link.link_netns is not None and not (opts.ipv6_link_dump and not do_link):
        out += f" link-netns {link.link_netns}"
    if opts.details:
        out += _details(link)
    if do_link and opts.stats:
        out += "\n" + link_stats(link.stats)
    return out + "\n"


def format_address(addr: Address, iproute2: str = "6.1") -> str:
    """print_addrinfo for one address: the inet line and its lifetime line."""
    fam = "inet" if addr.family == 4 else "inet6"
    out = f"    {fam} {addr.local}/{addr.prefixlen} "
    if addr.broadcast:
        out += f"brd {addr.broadcast} "
    out += f"scope {addr.scope} "
    for flag in ADDR_FLAG_ORDER_411 if iproute2 == "4.11" else ADDR_FLAG_ORDER:
        if flag in addr.flags:
            out += ("temporary " if flag == "secondary" and addr.family == 6 else f"{flag} ")
    if addr.family == 4 and addr.label:
        out += addr.label
    valid = "forever" if addr.valid_lft is None else f"{addr.valid_lft}sec"
    pref = "forever" if addr.preferred_lft is None else f"{addr.preferred_lft}sec"
    return out + f"\n       valid_lft {valid} preferred_lft {pref}\n"


def _selected(snap: HostSnapshot, dev: str | None, opts: ShowOptions) -> list[Link]:
    links = [ln for ln in snap.links if dev is None or ln.name == dev]
    if opts.up_only:
        links = [ln for ln in links if ln.is_up]
    if opts.master is not None:
        links = [ln for ln in links if ln.master == opts.master]
    return links


def ip_link_show(snap: HostSnapshot, dev: str | None = None,
                 opts: ShowOptions = ShowOptions()) -> str:
    """`ip link show [dev]`."""
    links = _selected(snap, dev, opts)
    if opts.brief:
        return "".join(_brief_link(snap, ln) for ln in links)
    return "".join(_link_block(snap, ln, True, opts) for ln in links)


def ip_addr_show(snap: HostSnapshot, dev: str | None = None,
                 opts: ShowOptions = ShowOptions()) -> str:
    """`ip addr show [dev]` (IPv4 and IPv6 addresses under each link)."""
    out = []
    for link in _selected(snap, dev, opts):
        addrs = [a for a in snap.addresses_of(link.name)
                 if opts.family is None or a.family == opts.family]
        if opts.family is not None and not addrs:
            continue
        if opts.oneline and not opts.brief:  # one line per address, prefixed by its link
            out += [f"{link.ifindex}: {link.name}"
                    + format_address(a, opts.iproute2)[:-1].replace("\n", "\\") + "\n"
                    for a in addrs]
            continue
        if opts.brief:
            name, _ = name_and_link(snap, link, local_resolution=opts.ipv6_link_dump)
            out.append(f"{name:<16} {link.operstate:<14} "
                       + "".join(f"{a.local}/{a.prefixlen} " for a in addrs) + "\n")
            continue
        out.append(_link_block(snap, link, False, opts))
        out += [format_address(a, opts.iproute2) for a in addrs]
    return "".join(out)


def _brief_link(snap: HostSnapshot, link: Link) -> str:
    name, m_down = name_and_link(snap, link)
    return f"{name:<16} {link.operstate:<14} {link.address} " + link_flags(link, m_down) + "\n"


def ip_route_show(snap: HostSnapshot, dev: str | None = None) -> str:
    """`ip route` (main table, IPv4)."""
    out = []
    for r in snap.routes:
        if r.family != 4 or (dev is not None and r.dev != dev):
            continue
        line = f"{r.dst} "
        if r.gateway:
            line += f"via {r.gateway} "
        if r.dev and dev is None:
            line += f"dev {r.dev} "
        if r.proto != "boot":
            line += f"proto {r.proto} "
        if r.scope != "global":
            line += f"scope {r.scope} "
        if r.prefsrc:
            line += f"src {r.prefsrc} "
        if r.metric:
            line += f"metric {r.metric} "
        line += "".join(f"{f} " for f in r.flags)
        out.append(line + "\n")
    return "".join(out)


def ip_neigh_show(snap: HostSnapshot, dev: str | None = None) -> str:
    """`ip neigh` (NOARP entries hidden, as the default filter does)."""
    out = []
    for n in snap.neighbours:
        if n.state == "NOARP" or (dev is not None and n.dev != dev):
            continue
        line = f"{n.dst} "
        if dev is None:
            line += f"dev {n.dev} "
        if n.lladdr and n.state not in ("INCOMPLETE", "FAILED"):
            line += f"lladdr {n.lladdr} "
        out.append(line + f"{n.state} \n")
    return "".join(out)
