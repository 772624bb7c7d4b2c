"""IPv6 of one simulated namespace: link-local addresses, DAD, and the control traffic they cause.

What the lessons see: a device that comes up with carrier (and is not a bond slave) gets
fe80::EUI-64/64, `tentative` for a random 0-1 s delay plus one retransmit second of DAD; the
address goes away when the device goes down. Where the LAN has an IPv6 router (the centos7
flavour's home router), router advertisements give each accepting device a SLAAC address,
prefix::EUI-64, `dynamic` with lifetimes that count down and are refreshed by each RA.
The neighbour-discovery and MLD frames each step sends (DAD NS, MLD reports, router
solicitations with RFC 3315 back-off) are sent for real, so the switch learns MAC addresses
and counters grow as on the kernel.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from errno import EACCES, EADDRNOTAVAIL, EEXIST
from typing import TYPE_CHECKING

from labkit.engines.sim.bridge import BR_MCAST_MACS
from labkit.engines.sim.clock import NS
from labkit.engines.sim.frames import ETH_P_IPV6, IPV6_SIZES, Frame, Ipv6Control
from labkit.errors import KernelError
from labkit.model.macs import eui64_link_local

if TYPE_CHECKING:
    from labkit.engines.sim.clock import Timer
    from labkit.engines.sim.netdev import NetDevice
    from labkit.engines.sim.netns import Namespace

RTR_SOLICIT_DELAY = 1.0
RETRANS_TIME = 1.0
RTR_SOLICIT_INTERVAL = 4.0
RTR_SOLICIT_MAX_INTERVAL = 3600.0
UNSOLICITED_REPORT_INTERVAL = 1.0
MLD_GROUP_MAC = "33:33:00:00:00:16"
ALL_ROUTERS_MAC = "33:33:00:00:00:02"
ALL_NODES_MAC = "33:33:00:00:00:01"


def solicited_node_mac(addr: ipaddress.IPv6Address) -> str:
    """33:33:ff:xx:xx:xx for the solicited-node group of `addr`."""
    tail = addr.packed[-3:]
    return "33:33:ff:" + ":".join(f"{x:02x}" for x in tail)


@dataclass
class Inet6Addr:
    """One IPv6 address of a device (struct inet6_ifaddr)."""

    addr: ipaddress.IPv6Address
    prefixlen: int
    scope: str
    tentative: bool = False
    timers: list[Timer] = field(default_factory=list)
    manual: bool = False  # added with RTM_NEWADDR (NetworkManager's link-local), not by addrconf
    noprefixroute: bool = False
    valid_until: int | None = None  # lab time (ns) the address expires (None: forever)
    preferred_until: int | None = None
    mngtmpaddr: bool = False


@dataclass
class DevState:
    """Per-device IPv6 state (struct inet6_dev)."""

    disabled: bool = False
    addr_gen_mode: str = "eui64"  # IFLA_INET6_ADDR_GEN_MODE: eui64 | none | stable_secret | random
    accept_ra: int = 1
    ready: bool = False  # IF_READY: addrconf has configured the device since it came up
    addrs: list[Inet6Addr] = field(default_factory=list)
    rs_timer: Timer | None = None
    rs_interval: float = 0.0


class Addrconf:
    """IPv6 address configuration of one namespace."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.devs: dict[int, DevState] = {}
        self.routers: dict[int, str] = {}  # ifindex -> the prefix this host advertises there
        self.slaac_mngtmpaddr = False  # CentOS 7 marks its SLAAC addresses mngtmpaddr

    def state(self, dev: NetDevice) -> DevState:
        st = self.devs.get(dev.ifindex)
        if st is None:
            st = self.devs[dev.ifindex] = DevState()
        return st

    def addresses(self, dev: NetDevice) -> list[Inet6Addr]:
        """The device's IPv6 addresses, newest first (as the kernel lists them)."""
        return list(self.state(dev).addrs)

    # -- sysctl -----------------------------------------------------------------------------
    def set_disabled(self, dev: NetDevice, disabled: bool) -> None:
        st = self.state(dev)
        if st.disabled == disabled:
            return
        st.disabled = disabled
        if disabled:  # NETDEV_DOWN to addrconf: addrconf_ifdown
            self._remove_all(dev)
            if st.ready:  # ipv6_mc_down: a ready device leaves its groups (not otherwise)
                dev.mc_del(ALL_NODES_MAC)
                if dev.kind == "bridge":  # and its snooping's ff02::6a
                    dev.mc_del(BR_MCAST_MACS[1])
            st.ready = False
        elif dev.admin_up:
            self.dev_up(dev)

    # -- netdevice events -------------------------------------------------------------------
    def dev_registered(self, dev: NetDevice) -> None:
        st = self.state(dev)
        st.disabled = self.ns.ipv6_disabled()
        self.ns.join_all_nodes(dev)

    def dev_unregistered(self, dev: NetDevice) -> None:
        self._remove_all(dev)
        self.devs.pop(dev.ifindex, None)

    def _link_ready(self, dev: NetDevice) -> bool:
        """addrconf_link_ready: operstate up, and a real qdisc (dev_activate attaches one only
        when the device has carrier as it opens)."""
        return dev.admin_up and dev.carrier and dev.operstate() in ("UP", "UNKNOWN")

    def dev_up(self, dev: NetDevice) -> None:
        st = self.state(dev)
        if st.disabled:
            return
        if dev.iff_slave:  # a bond slave gets no address, but rejoins its groups (ipv6_mc_up)
            self.ns.join_all_nodes(dev)
            return
        if dev.link_type == "loopback":
            if not st.addrs:
                st.addrs.insert(0, Inet6Addr(ipaddress.IPv6Address("::1"), 128, "host"))
            return
        if self._link_ready(dev) and not st.ready:
            st.ready = True
            self.ns.join_all_nodes(dev)  # addrconf_add_dev -> ipv6_mc_up
            # addrconf_addr_gen: mode none (NetworkManager's choice) makes no address
            if st.addr_gen_mode != "none" and not any(a.scope == "link" for a in st.addrs):
                self._add_link_local(dev)

    def dev_carrier(self, dev: NetDevice) -> None:
        """NETDEV_CHANGE: a device up without carrier becomes ready (IF_READY stays set
        through later carrier losses, so the log line comes once per up)."""
        if dev.carrier:
            st = self.state(dev)
            first = (not st.ready and not st.disabled and not dev.iff_slave
                     and dev.link_type != "loopback" and self._link_ready(dev))
            if (st.ready and not st.disabled and not dev.iff_slave and self._link_ready(dev)
                    and any(a.scope != "host" for a in st.addrs)):
                self._report_groups_again(dev)
            self.dev_up(dev)
            if first and st.ready:
                dev.ns.world.klog.printk(
                    6, f"IPv6: ADDRCONF(NETDEV_CHANGE): {dev.name}: link becomes ready")

    def _report_groups_again(self, dev: NetDevice) -> None:
        """NETDEV_CHANGE on a configured device (ipv6_mc_up: "we might have roamed"): its
        groups are reported again, robustness 2 (now, then within a report interval)."""
        self._send(dev, "mld-report", MLD_GROUP_MAC)
        self.ns.world.clock.call_later(self.ns.world.rng.random() * UNSOLICITED_REPORT_INTERVAL,
                                       lambda: self._send(dev, "mld-report", MLD_GROUP_MAC))

    def dev_down(self, dev: NetDevice) -> None:
        st = self.devs.get(dev.ifindex)
        was_ready = st is not None and (st.ready or dev.iff_slave) and not st.disabled
        self._remove_all(dev)
        if st is not None:
            st.ready = False
        if was_ready:  # addrconf_ifdown -> ipv6_mc_down: the device leaves its IPv6 groups
            dev.mc_del(ALL_NODES_MAC)

    def _remove_all(self, dev: NetDevice) -> None:
        st = self.devs.get(dev.ifindex)
        if st is None:
            return
        for a in st.addrs:
            for t in a.timers:
                t.cancel()
            dev.mc_del(solicited_node_mac(a.addr))
        st.addrs.clear()
        if st.rs_timer:
            st.rs_timer.cancel()
            st.rs_timer = None

    def set_addr_gen_mode(self, dev: NetDevice, mode: str) -> None:
        """inet6_set_link_af: only the mode changes; addresses follow at the next NETDEV_UP."""
        self.state(dev).addr_gen_mode = mode

    def add_manual(self, dev: NetDevice, addr: ipaddress.IPv6Address, prefixlen: int,
                   noprefixroute: bool = False) -> None:
        """inet6_addr_add (RTM_NEWADDR): a permanent address, through DAD like any other."""
        st = self.state(dev)
        if st.disabled:
            raise KernelError(EACCES, "IPv6 is disabled on this device")
        if any(a.addr == addr for a in st.addrs):
            raise KernelError(EEXIST)
        scope = "link" if addr.is_link_local else ("host" if addr.is_loopback else "global")
        self._start_address(dev, Inet6Addr(addr, prefixlen, scope, tentative=True, manual=True,
                                           noprefixroute=noprefixroute))

    def del_manual(self, dev: NetDevice, addr: ipaddress.IPv6Address) -> None:
        """inet6_addr_del: EADDRNOTAVAIL when the device has no such address."""
        st = self.state(dev)
        victim = next((a for a in st.addrs if a.addr == addr), None)
        if victim is None:
            raise KernelError(EADDRNOTAVAIL)
        for t in victim.timers:
            t.cancel()
        dev.mc_del(solicited_node_mac(victim.addr))
        st.addrs.remove(victim)

    # -- address life -----------------------------------------------------------------------
    def _add_link_local(self, dev: NetDevice) -> None:
        self._start_address(dev, Inet6Addr(eui64_link_local(dev.mac), 64, "link",
                                           tentative=True))

    def _start_address(self, dev: NetDevice, addr: Inet6Addr) -> None:
        """ipv6_add_addr + addrconf_dad_start: join the solicited-node group, report, DAD."""
        clock = self.ns.world.clock
        rng = self.ns.world.rng
        self.state(dev).addrs.insert(0, addr)
        if not dev.admin_up or not self._link_ready(dev):
            return  # DAD starts when the link comes up (addrconf_dad_run)
        dev.mc_add(solicited_node_mac(addr.addr))
        self._send(dev, "mld-report", MLD_GROUP_MAC)
        addr.timers.append(clock.call_later(rng.random() * UNSOLICITED_REPORT_INTERVAL,
                                            lambda: self._send(dev, "mld-report", MLD_GROUP_MAC)))
        delay = rng.random() * RTR_SOLICIT_DELAY
        addr.timers.append(clock.call_later(delay, lambda: self._dad_probe(dev, addr)))

    def _dad_probe(self, dev: NetDevice, addr: Inet6Addr) -> None:
        self._send(dev, "dad-ns", solicited_node_mac(addr.addr))
        addr.timers.append(self.ns.world.clock.call_later(
            RETRANS_TIME, lambda: self._dad_complete(dev, addr)))

    def _dad_complete(self, dev: NetDevice, addr: Inet6Addr) -> None:
        if addr not in self.state(dev).addrs:
            return
        addr.tentative = False
        rng = self.ns.world.rng
        self._send(dev, "mld-report", MLD_GROUP_MAC)
        addr.timers.append(self.ns.world.clock.call_later(
            rng.random() * UNSOLICITED_REPORT_INTERVAL,
            lambda: self._send(dev, "mld-report", MLD_GROUP_MAC)))
        if addr.manual or not addr.addr.is_link_local or not self.state(dev).accept_ra:
            return  # router solicitation follows the kernel's own link-local address only
        st = self.state(dev)
        st.rs_interval = RTR_SOLICIT_INTERVAL * (0.9 + 0.2 * rng.random())
        self._send_rs(dev)

    def _send_rs(self, dev: NetDevice) -> None:
        st = self.state(dev)
        if not st.addrs:
            return
        self._send(dev, "rs", ALL_ROUTERS_MAC)
        st.rs_timer = self.ns.world.clock.call_later(st.rs_interval, lambda: self._rs_again(dev))

    def _rs_again(self, dev: NetDevice) -> None:
        st = self.state(dev)
        st.rs_interval = min(st.rs_interval * (1.9 + 0.2 * self.ns.world.rng.random()),
                             RTR_SOLICIT_MAX_INTERVAL)
        self._send_rs(dev)

    # -- router advertisements ---------------------------------------------------------------
    def start_router(self, dev: NetDevice, prefix: str) -> None:
        """radvd on `dev`: three quick initial advertisements, then one every 198-600 s, and
        an answer to each router solicitation."""
        self.routers[dev.ifindex] = prefix
        dev.cable_changed()  # a router answers solicitations: its cable carries them again
        clock = self.ns.world.clock
        rng = self.ns.world.rng

        def periodic(count: int) -> None:
            if self.routers.get(dev.ifindex) != prefix:
                return
            self._send_ra(dev)
            delay = rng.uniform(1.0, 16.0) if count < 3 else rng.uniform(198.0, 600.0)
            clock.call_later(delay, lambda: periodic(count + 1))
        clock.call_later(rng.uniform(0.0, 1.0), lambda: periodic(1))

    def rs_rcv(self, dev: NetDevice) -> None:
        """A router solicitation: a router answers within MAX_RA_DELAY_TIME (0.5 s)."""
        if dev.ifindex in self.routers:
            self.ns.world.clock.call_later(self.ns.world.rng.uniform(0.0, 0.5),
                                           lambda: self._send_ra(dev))

    def _send_ra(self, dev: NetDevice) -> None:
        prefix = self.routers.get(dev.ifindex)
        if prefix is None or not dev.admin_up:
            return
        frame = Frame(dst=ALL_NODES_MAC, src=dev.mac, ethertype=ETH_P_IPV6,
                      payload=Ipv6Control("ra", IPV6_SIZES["ra"] - 14, prefix=prefix,
                                          valid=2592000, preferred=604800))
        self.ns.inet.dev_queue_xmit(dev, frame)

    def ra_rcv(self, dev: NetDevice, ra: Ipv6Control) -> None:
        """ndisc_router_discovery + addrconf_prefix_rcv: SLAAC from the prefix option."""
        st = self.state(dev)
        if st.disabled or not st.accept_ra or dev.iff_slave or dev.ifindex in self.routers:
            return
        if ra.prefix is None or not st.ready:
            return
        net = ipaddress.IPv6Network(ra.prefix)
        if net.prefixlen != 64:
            return
        ident = eui64_link_local(dev.mac).packed[8:]
        addr = ipaddress.IPv6Address(net.network_address.packed[:8] + ident)
        now = self.ns.world.clock.now_ns()
        valid, preferred = now + ra.valid * NS, now + ra.preferred * NS
        existing = next((a for a in st.addrs if a.addr == addr), None)
        if existing is not None:
            existing.valid_until = valid
            existing.preferred_until = preferred
            return
        new = Inet6Addr(addr, 64, "global", tentative=True, valid_until=valid,
                        preferred_until=preferred, mngtmpaddr=self.slaac_mngtmpaddr)
        self._start_address(dev, new)

    def send_unsolicited_na(self, dev: NetDevice) -> None:
        """ndisc_send_unsol_na: one NA to all-nodes per address (bond failover)."""
        for addr in self.state(dev).addrs:
            if addr.scope != "host" and not addr.tentative:
                self._send(dev, "unsol-na", ALL_NODES_MAC)

    def rejoin_groups(self, dev: NetDevice) -> None:
        """ipv6_mc_rejoin_groups: an MLD report of the joined groups (after a failover)."""
        if any(a.scope == "link" for a in self.state(dev).addrs):
            self._send(dev, "mld-report", MLD_GROUP_MAC)

    def _send(self, dev: NetDevice, kind: str, dst_mac: str) -> None:
        if not dev.admin_up or self.state(dev).disabled:
            return
        frame = Frame(dst=dst_mac, src=dev.mac, ethertype=ETH_P_IPV6,
                      payload=Ipv6Control(kind, IPV6_SIZES[kind] - 14))
        self.ns.inet.dev_queue_xmit(dev, frame)
