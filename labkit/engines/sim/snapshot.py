"""Turn the simulated kernel's state into the model's snapshot dataclasses (what netlink says)."""

from __future__ import annotations

import functools

from labkit.engines.bond_options import MODES, OPTIONS
from labkit.engines.sim.bonding import Bond, Slave, uses_primary
from labkit.engines.sim.bridge import Bridge, BridgePort
from labkit.engines.sim.clock import NS
from labkit.engines.sim.netdev import NetDevice
from labkit.engines.sim.netns import Namespace
from labkit.model.snapshot import (
    Address,
    BondInfo,
    BondSlaveInfo,
    FdbEntry,
    HostSnapshot,
    Link,
    LinkStats,
    Neighbour,
    Route,
)

# ipaddress's str() is slow and snapshots are taken often: each address is formatted once
_text = functools.lru_cache(maxsize=4096)(str)


def _opt_name(option: str, value: int) -> str:
    for v in OPTIONS[option].values or ():
        if v.value == value:
            return v.name
    return str(value)


AD_SPEED_CODES = {10: 2, 100: 3, 1000: 4, 2500: 5, 5000: 6, 10000: 7, 20000: 8, 25000: 9,
                  40000: 10, 50000: 11, 56000: 12, 100000: 13}
AD_STATE_BITS = ("active", "short_timeout", "aggregating", "in_sync", "collecting",
                 "distributing", "defaulted", "expired")
AD_EXPIRE_TIME = 3 * NS  # the receive machine's short timeout: EXPIRED until then, then DEFAULTED


def _ad_key(slave: Slave) -> int:
    """The actor's operational key: user key, speed code, full duplex (bond_3ad.c)."""
    code = AD_SPEED_CODES.get(slave.speed or 0, 0)
    return (slave.bond.params.ad_user_port_key << 6) | (code << 1) | (slave.duplex == "full")


def _ad_port_states(slave: Slave, now: int) -> tuple[int, int]:
    """(actor, partner) port states of a port whose partner never answers LACP."""
    bond = slave.bond
    if now - bond.opened_at < AD_EXPIRE_TIME:
        return 197, 2  # active, aggregating, defaulted, expired / partner: short timeout
    active = slave.ad_aggregator_id == bond.active_aggregator()
    return (77 if active else 69), 0  # in_sync only on the active aggregator's port


def _ad_state_str(state: int) -> str:
    return "<" + ",".join(n for i, n in enumerate(AD_STATE_BITS) if state & (1 << i)) + ">"


def _ad_bond_parts(bond: Bond) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...],
                                          tuple[tuple[str, str], ...]]:
    """802.3ad: (ip -d ad_info, /proc lines, sysfs values) of the active aggregator."""
    agg = bond.active_aggregator()
    if agg is None:
        # bonding_show_ad_*: 0 where bond_3ad_get_active_agg_info fails, no partner MAC
        zero = tuple((k, "0") for k in ("ad_aggregator", "ad_num_ports", "ad_actor_key",
                                        "ad_partner_key"))
        return (), (f"bond {bond.name} has no active aggregator",), zero
    port = next(s for s in bond.slaves if s.ad_aggregator_id == agg)
    key = str(_ad_key(port))
    info = (("ad_aggregator", str(agg)), ("ad_num_ports", "1"), ("ad_actor_key", key),
            ("ad_partner_key", "1"), ("ad_partner_mac", "00:00:00:00:00:00"))
    proc = (f"System priority: {bond.params.ad_actor_sys_prio}",
            f"System MAC address: {bond.mac}", "Active Aggregator Info:",
            f"\tAggregator ID: {agg}", "\tNumber of ports: 1", f"\tActor Key: {key}",
            "\tPartner Key: 1", "\tPartner Mac Address: 00:00:00:00:00:00")
    sysfs = tuple((k, v) for k, v in info)
    return info, proc, sysfs


def _ad_slave_parts(slave: Slave, now: int) -> tuple[tuple[str, ...],
                                                         tuple[tuple[str, str], ...],
                                                         tuple[tuple[str, str], ...]]:
    """802.3ad: (/proc lines, sysfs values, ip -d attributes) of one port."""
    bond = slave.bond
    actor, partner = _ad_port_states(slave, now)
    agg = slave.ad_aggregator_id
    proc = (f"Aggregator ID: {agg}", "Actor Churn State: monitoring",
            "Partner Churn State: monitoring", "Actor Churned Count: 0",
            "Partner Churned Count: 0", "details actor lacp pdu:",
            f"    system priority: {bond.params.ad_actor_sys_prio}",
            f"    system mac address: {bond.mac}", f"    port key: {_ad_key(slave)}",
            "    port priority: 255", f"    port number: {agg}", f"    port state: {actor}",
            "details partner lacp pdu:", "    system priority: 65535",
            "    system mac address: 00:00:00:00:00:00", "    oper key: 1",
            "    port priority: 255", "    port number: 1", f"    port state: {partner}")
    sysfs = (("ad_aggregator_id", str(agg)), ("ad_actor_oper_port_state", str(actor)),
             ("ad_partner_oper_port_state", str(partner)))
    ip = (("ad_aggregator_id", str(agg)), ("ad_actor_oper_port_state", str(actor)),
          ("ad_actor_oper_port_state_str", _ad_state_str(actor)),
          ("ad_partner_oper_port_state", str(partner)),
          ("ad_partner_oper_port_state_str", _ad_state_str(partner)))
    return proc, sysfs, ip


def bond_info(bond: Bond) -> BondInfo:
    """IFLA_BOND_* as bond_fill_info reports them (delays in ms)."""
    p = bond.params
    ad_info, ad_proc, ad_sysfs = _ad_bond_parts(bond) if p.mode == 4 else ((), (), ())
    active = bond.curr_active.dev.name if (bond.curr_active and uses_primary(p.mode)) else None
    primary = bond.primary_slave.dev.name if bond.primary_slave else None
    return BondInfo(
        mode=MODES[p.mode], active_slave=active, miimon=p.miimon,
        updelay=p.updelay * p.miimon, downdelay=p.downdelay * p.miimon,
        peer_notify_delay=p.peer_notif_delay * p.miimon, use_carrier=p.use_carrier,
        arp_interval=p.arp_interval, arp_missed_max=p.missed_max,
        arp_ip_target=p.arp_targets, ns_ip6_target=p.ns_targets,
        arp_validate=_opt_name("arp_validate", p.arp_validate),
        arp_all_targets=_opt_name("arp_all_targets", p.arp_all_targets),
        primary=primary, primary_reselect=_opt_name("primary_reselect", p.primary_reselect),
        fail_over_mac=_opt_name("fail_over_mac", p.fail_over_mac),
        xmit_hash_policy=_opt_name("xmit_hash_policy", p.xmit_policy),
        resend_igmp=p.resend_igmp, num_peer_notif=p.num_peer_notif,
        all_slaves_active=p.all_slaves_active, min_links=p.min_links,
        lp_interval=p.lp_interval, packets_per_slave=p.packets_per_slave,
        ad_lacp_active=_opt_name("lacp_active", p.lacp_active),
        ad_lacp_rate=_opt_name("lacp_rate", p.lacp_fast),
        ad_select=_opt_name("ad_select", p.ad_select), tlb_dynamic_lb=p.tlb_dynamic_lb,
        ad_actor_sys_prio=p.ad_actor_sys_prio, ad_user_port_key=p.ad_user_port_key,
        ad_actor_system=p.ad_actor_system, carrier=bond.carrier,
        slaves=tuple(s.dev.name for s in bond.slaves),
        primary_name=p.primary or None, ad_info=ad_info, ad_proc_lines=ad_proc,
        ad_sysfs=ad_sysfs,
    )


def slave_info(slave: Slave, now: int) -> BondSlaveInfo:
    """IFLA_BOND_SLAVE_* as bond_fill_slave_info reports them."""
    ad_proc: tuple[str, ...] = ()
    ad_sysfs: tuple[tuple[str, str], ...] = ()
    ad_ip: tuple[tuple[str, str], ...] = ()
    backup = slave.backup
    if slave.bond.params.mode == 4 and slave.ad_aggregator_id is not None:
        ad_proc, ad_sysfs, ad_ip = _ad_slave_parts(slave, now)
        backup = slave.ad_aggregator_id != slave.bond.active_aggregator()
    return BondSlaveInfo(
        state="BACKUP" if backup else "ACTIVE", mii_status=slave.link,
        link_failure_count=slave.link_failure_count, perm_hwaddr=slave.perm_hwaddr,
        queue_id=slave.queue_id, prio=slave.prio, speed=slave.speed, duplex=slave.duplex,
        ad_aggregator_id=slave.ad_aggregator_id, ad_proc_lines=ad_proc, ad_sysfs=ad_sysfs,
        ip_details=ad_ip)


def _bridge_id(mac: str) -> str:
    return "8000." + ":".join(f"{int(b, 16):x}" for b in mac.split(":"))


def _timer(value: float) -> str:
    return f"{max(0.0, value):7.2f}"


def bridge_details(br: Bridge, now: int) -> tuple[tuple[str, str], ...]:
    """The bridge's IFLA_BR_* attributes in the order ip -d prints them."""
    bid = _bridge_id(br.mac)
    learned = [f.updated for f in br.fdb if not f.local]
    gc = (min([u + br.ageing_ns for u in learned] or [br.created_at + br.ageing_ns]) - now) / NS
    rows = [("forward_delay", "1500"), ("hello_time", "200"), ("max_age", "2000"),
            ("ageing_time", str(br.ageing_ns // (NS // 100))), ("stp_state", "0"),
            ("priority", "32768"), ("vlan_filtering", "0"), ("vlan_protocol", "802.1Q"),
            ("bridge_id", bid), ("designated_root", bid), ("root_port", "0"),
            ("root_path_cost", "0"), ("topology_change", "0"),
            ("topology_change_detected", "0"), ("hello_timer", _timer(0)),
            ("tcn_timer", _timer(0)), ("topology_change_timer", _timer(0)),
            ("gc_timer", _timer(gc)), ("vlan_default_pvid", "1"), ("vlan_stats_enabled", "0"),
            ("vlan_stats_per_port", "0"), ("group_fwd_mask", "0"),
            ("group_address", "01:80:c2:00:00:00"), ("mcast_snooping", "1"),
            ("no_linklocal_learn", "0"), ("mcast_vlan_snooping", "0"), ("mcast_router", "1"),
            ("mcast_query_use_ifaddr", "0"), ("mcast_querier", "0"),
            ("mcast_hash_elasticity", "16"), ("mcast_hash_max", "4096"),
            ("mcast_last_member_count", "2"), ("mcast_startup_query_count", "2"),
            ("mcast_last_member_interval", "100"), ("mcast_membership_interval", "26000"),
            ("mcast_querier_interval", "25500"), ("mcast_query_interval", "12500"),
            ("mcast_query_response_interval", "1000"), ("mcast_startup_query_interval", "3124"),
            ("mcast_stats_enabled", "0"), ("mcast_igmp_version", "2"),
            ("mcast_mld_version", "1"), ("nf_call_iptables", "0"), ("nf_call_ip6tables", "0"),
            ("nf_call_arptables", "0")]
    return tuple(rows)


def bridge_port_details(port: BridgePort, now: int) -> tuple[tuple[str, str], ...]:
    """The port's IFLA_BRPORT_* attributes in the order ip -d prints them."""
    bid = _bridge_id(port.bridge.mac)
    pid = 0x8000 + port.port_no
    fwd = 15.0 - (now - port.enabled_at) / NS if port.state == "forwarding" else 0.0
    return (("state", port.state), ("priority", "32"), ("cost", "2"), ("hairpin", "off"),
            ("guard", "off"), ("root_block", "off"), ("fastleave", "off"), ("learning", "on"),
            ("flood", "on"), ("port_id", f"0x{pid:x}"), ("port_no", f"0x{port.port_no:x}"),
            ("designated_port", str(pid)), ("designated_cost", "0"),
            ("designated_bridge", bid), ("designated_root", bid),
            ("hold_timer", _timer(0)), ("message_age_timer", _timer(0)),
            ("forward_delay_timer", _timer(fwd)), ("topology_change_ack", "0"),
            ("config_pending", "0"), ("proxy_arp", "off"), ("proxy_arp_wifi", "off"),
            ("mcast_router", "1"), ("mcast_fast_leave", "off"), ("mcast_flood", "on"),
            ("bcast_flood", "on"), ("mcast_to_unicast", "off"), ("neigh_suppress", "off"),
            ("group_fwd_mask", "0"), ("group_fwd_mask_str", "0x0"), ("vlan_tunnel", "off"),
            ("isolated", "off"), ("locked", "off"))


def _stats(dev: NetDevice) -> LinkStats:
    c = dev.counters
    if isinstance(dev, Bond):
        rxp, rxb, txp, txb = dev.aggregated_counters()
        return LinkStats(rx_packets=rxp, rx_bytes=rxb, tx_packets=txp, tx_bytes=txb,
                         tx_dropped=c.tx_dropped)
    return LinkStats(rx_packets=c.rx_packets, rx_bytes=c.rx_bytes, rx_dropped=c.rx_dropped,
                     tx_packets=c.tx_packets, tx_bytes=c.tx_bytes, tx_dropped=c.tx_dropped)


ADDR_ASSIGN_TYPES = {"perm": 0, "random": 1, "stolen": 2, "set": 3}


def link_of(ns: Namespace, dev: NetDevice) -> Link:
    """One device as RTM_NEWLINK describes it."""
    now = ns.world.clock.now_ns()
    peer = dev.link_peer()
    link_netns = None
    if peer is not None and peer.ns is not ns:
        link_netns = peer.ns.netns_name
        ns.nsid_for(peer.ns)
    bond = bond_info(dev) if isinstance(dev, Bond) else None
    slave = slave_info(dev.port, now) if isinstance(dev.port, Slave) else None
    kind_details: tuple[tuple[str, str], ...] = ()
    slave_kind: str | None = None
    slave_details: tuple[tuple[str, str], ...] = ()
    if isinstance(dev, Bridge):
        kind_details = bridge_details(dev, now)
    if isinstance(dev.port, BridgePort):
        slave_kind, slave_details = "bridge", bridge_port_details(dev.port, now)
    elif slave is not None:
        slave_kind = "bond"
    return Link(
        ifindex=dev.ifindex, name=dev.name, kind=dev.kind, flags=dev.iff_flags(), mtu=dev.mtu,
        qdisc=dev.qdisc(), operstate=dev.operstate(), link_type=dev.link_type,
        address=dev.mac,
        broadcast="00:00:00:00:00:00" if dev.link_type == "loopback" else "ff:ff:ff:ff:ff:ff",
        txqlen=dev.txqlen, master=dev.master.name if dev.master else None,
        link_index=peer.ifindex if peer is not None else None, link_netns=link_netns,
        promiscuity=dev.promiscuity, allmulti=dev.allmulti, min_mtu=dev.min_mtu,
        max_mtu=dev.max_mtu, num_tx_queues=dev.num_queues, num_rx_queues=dev.num_queues,
        tso_max_size=dev.tso_max_size, gso_max_size=dev.gso_max_size,
        addrgenmode=ns.addrconf.state(dev).addr_gen_mode,
        addr_assign_type=ADDR_ASSIGN_TYPES[dev.addr_assign],
        stats=_stats(dev), bond=bond, bond_slave=slave, kind_details=kind_details,
        slave_kind=slave_kind, slave_details=slave_details)


def addresses_of(ns: Namespace) -> tuple[Address, ...]:
    """Every address, per device in ifindex order: IPv4 first, then IPv6 (newest first)."""
    out: list[Address] = []
    for dev in ns.ordered():
        for a in ns.inet.addresses(dev):
            flags = (("secondary",) if a.secondary else ()) + (
                ("noprefixroute",) if a.noprefixroute else ())
            out.append(Address(ifindex=dev.ifindex, dev=dev.name, family=4, local=_text(a.local),
                               prefixlen=a.prefixlen, scope=a.scope,
                               broadcast=_text(a.broadcast) if a.broadcast else None,
                               flags=flags, label=a.label or dev.name))
        now = ns.world.clock.now_ns()
        for a6 in ns.addrconf.addresses(dev):
            flags = (("tentative",) if a6.tentative else ()) + (
                ("dynamic",) if a6.valid_until is not None else ()) + (
                ("mngtmpaddr",) if a6.mngtmpaddr else ()) + (
                ("noprefixroute",) if a6.noprefixroute else ())
            out.append(Address(
                ifindex=dev.ifindex, dev=dev.name, family=6, local=_text(a6.addr),
                prefixlen=a6.prefixlen, scope=a6.scope, flags=flags,
                valid_lft=None if a6.valid_until is None else _whole_seconds(
                    a6.valid_until - now),
                preferred_lft=None if a6.preferred_until is None else max(
                    0, _whole_seconds(a6.preferred_until - now))))
    return tuple(out)


def _whole_seconds(ns: int) -> int:
    """Nanoseconds to whole seconds, truncated toward zero (as the kernel's lifetimes are)."""
    return ns // NS if ns >= 0 else -(-ns // NS)


def routes_of(ns: Namespace) -> tuple[Route, ...]:
    """The main table's IPv4 routes in dump order."""
    out = []
    for r in ns.inet.sorted_routes():
        dst = "default" if r.network.prefixlen == 0 else _text(r.network)
        flags = ("linkdown",) if r.linkdown() else ()
        out.append(Route(family=4, dst=dst, dev=r.dev.name,
                         gateway=_text(r.gateway) if r.gateway else None, proto=r.proto,
                         scope=r.scope, prefsrc=_text(r.prefsrc) if r.prefsrc else None,
                         metric=r.metric or None, flags=flags))
    return tuple(out)


def neighbours_of(ns: Namespace) -> tuple[Neighbour, ...]:
    return tuple(Neighbour(dst=_text(n.ip), dev=n.dev.name, lladdr=n.lladdr, state=n.state)
                 for n in ns.inet.neigh_entries())


def fdb_of(ns: Namespace) -> tuple[FdbEntry, ...]:
    """`bridge fdb show` order: per device by ifindex, the bridge's entries, then its own list."""
    out: list[FdbEntry] = []
    for dev in ns.ordered():
        if dev.link_type != "ether":
            continue
        if isinstance(dev.port, BridgePort):
            br = dev.port.bridge
            out += [_fdb_entry(f.mac, dev.name, br.name, f.vlan, f.local)
                    for f in br.fdb if f.port is dev.port]
        own = [FdbEntry(mac=m, dev=dev.name, flags=("self", "permanent")) for m in dev.mc_list]
        if isinstance(dev, Bridge):
            out += own
            out += [_fdb_entry(f.mac, dev.name, dev.name, f.vlan, f.local)
                    for f in dev.fdb if f.port is None]
        else:
            out += own
    return tuple(out)


def _fdb_entry(mac: str, dev: str, master: str, vlan: int, local: bool) -> FdbEntry:
    return FdbEntry(mac=mac, dev=dev, master=master, vlan=vlan or None,
                    flags=("permanent",) if local else ())


def take(ns: Namespace) -> HostSnapshot:
    """The whole state of one namespace now."""
    links = tuple(link_of(ns, dev) for dev in ns.ordered())
    return HostSnapshot(host=ns.name, time=ns.world.clock.now(), links=links,
                        addresses=addresses_of(ns), routes=routes_of(ns),
                        neighbours=neighbours_of(ns), fdb=fdb_of(ns),
                        kernel_release=ns.world.kernel_release,
                        bonding_version=ns.world.bonding_version or "")
