"""IPv4 of one simulated namespace: addresses, the FIB, ARP with its neighbour states, ICMP echo.

It follows Linux 6.1 where the lessons can see it: primary/secondary addresses (secondaries go
with their primary: promote_secondaries is 0 in a new namespace), connected routes added on
NETDEV_UP and flushed on NETDEV_DOWN, `linkdown` on carrier loss, first-inserted route wins
among equals, ARP replies for any local address on any interface (arp_ignore=0, the "ARP flux"
the walkthrough's machine has too), the first reply wins within locktime, STALE/DELAY/PROBE.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from errno import EADDRNOTAVAIL, EEXIST, EINVAL, ENETUNREACH, ENODEV, ESRCH
from typing import TYPE_CHECKING

from labkit.engines.sim.clock import NS, to_ns
from labkit.engines.sim.frames import BROADCAST, ETH_P_ARP, ETH_P_IP, Arp, Frame, Icmp, Ipv4
from labkit.errors import KernelError

ALL_HOSTS_MAC = "01:00:5e:00:00:01"
_ip4 = functools.lru_cache(maxsize=4096)(ipaddress.IPv4Address)  # every frame parses its own

if TYPE_CHECKING:
    from labkit.engines.sim.clock import Timer
    from labkit.engines.sim.netdev import NetDevice
    from labkit.engines.sim.netns import Namespace


# neighbour parameters (net.ipv4.neigh.default.*), in nanoseconds of lab time
RETRANS_TIME = 1 * NS
BASE_REACHABLE_TIME = 30 * NS
DELAY_PROBE_TIME = 5 * NS
LOCKTIME = 1 * NS
MCAST_SOLICIT = 3
UCAST_SOLICIT = 3


@dataclass
class InetAddr:
    """One IPv4 address of a device (struct in_ifaddr)."""

    dev: NetDevice
    local: ipaddress.IPv4Address
    prefixlen: int
    broadcast: ipaddress.IPv4Address | None = None
    scope: str = "global"
    secondary: bool = False
    noprefixroute: bool = False
    metric: int = 0
    label: str | None = None
    local_route: bool = True

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"{self.local}/{self.prefixlen}", strict=False)


@dataclass
class RouteEntry:
    """One FIB alias: destination prefix, nexthop, and how it came to be."""

    network: ipaddress.IPv4Network
    dev: NetDevice
    gateway: ipaddress.IPv4Address | None = None
    proto: str = "boot"
    scope: str = "global"
    prefsrc: ipaddress.IPv4Address | None = None
    metric: int = 0
    onlink: bool = False
    seq: int = 0

    def linkdown(self) -> bool:
        return not self.dev.carrier


@dataclass
class Neighbour:
    """One ARP cache entry with its NUD state and timer (times in ns of lab time)."""

    ip: ipaddress.IPv4Address
    dev: NetDevice
    state: str = "NONE"
    lladdr: str | None = None
    updated: int = 0
    confirmed: int = -10**18  # never
    used: int = 0
    probes: int = 0
    queue: list[Ipv4] = field(default_factory=list)
    timer: Timer | None = None


class Inet:
    """The IPv4 stack of one namespace."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.addrs: dict[int, list[InetAddr]] = {}
        self.routes: list[RouteEntry] = []
        self.neigh: dict[tuple[ipaddress.IPv4Address, int], Neighbour] = {}
        self.icmp_listeners: list[Callable[[str, ipaddress.IPv4Address, Icmp], None]] = []
        self._seq = 0
        self._reachable_f = 0.0  # the float seconds it was drawn as (see sim/clock.py)
        self.reachable_time = self._rand_reach_time()

    # -- helpers ----------------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Lab time in ns: neighbour arithmetic is exact, so a re-arm never meets itself."""
        return self.ns.world.clock.now_ns()

    def _rand_reach_time(self) -> int:
        """neigh_rand_reach_time: uniformly in [base/2, 3*base/2)."""
        base = BASE_REACHABLE_TIME / NS
        self._reachable_f = base / 2 + self.ns.world.rng.random() * base
        return to_ns(self._reachable_f)

    def addresses(self, dev: NetDevice) -> list[InetAddr]:
        """The device's addresses in kernel order (primaries first)."""
        return self.addrs.setdefault(dev.ifindex, [])

    def all_addresses(self) -> list[InetAddr]:
        out: list[InetAddr] = []
        for dev in self.ns.ordered():
            out += self.addrs.get(dev.ifindex, [])
        return out

    def is_local(self, ip: ipaddress.IPv4Address) -> bool:
        """True when a local route exists for `ip` (an address of this host, or loopback)."""
        if ip.is_loopback:
            return True
        return any(a.local == ip and a.local_route for a in self.all_addresses())

    # -- addresses --------------------------------------------------------------------------
    def addr_add(self, dev: NetDevice, cidr: str, broadcast: str | None = None,
                 noprefixroute: bool = False, metric: int = 0, label: str | None = None,
                 scope: str | None = None) -> None:
        """RTM_NEWADDR: EEXIST for a duplicate; same-subnet additions become secondaries."""
        iface = ipaddress.IPv4Interface(cidr)
        new = InetAddr(dev=dev, local=iface.ip, prefixlen=iface.network.prefixlen,
                       broadcast=ipaddress.IPv4Address(broadcast) if broadcast else None,
                       scope=scope or ("host" if iface.ip.is_loopback else "global"),
                       noprefixroute=noprefixroute, metric=metric, label=label)
        lst = self.addresses(dev)
        last_primary = 0
        for i, old in enumerate(lst):
            if not old.secondary and _scope_rank(new.scope) <= _scope_rank(old.scope):
                last_primary = i + 1
            if old.prefixlen == new.prefixlen and new.local in old.network:
                if old.local == new.local:
                    raise KernelError(EEXIST)
                if old.scope != new.scope:
                    raise KernelError(EINVAL)
                new.secondary = True
        if new.secondary:
            lst.append(new)
        else:
            lst.insert(last_primary, new)
        self._fib_add_ifaddr(new)

    def addr_del(self, dev: NetDevice, cidr: str) -> None:
        """RTM_DELADDR: deleting a primary takes its secondaries along (promote_secondaries=0)."""
        iface = ipaddress.IPv4Interface(cidr) if "/" in cidr else None
        ip = iface.ip if iface else ipaddress.IPv4Address(cidr)
        lst = self.addresses(dev)
        victim = next((a for a in lst if a.local == ip and (iface is None or
                       a.prefixlen == iface.network.prefixlen)), None)
        if victim is None:
            raise KernelError(EADDRNOTAVAIL)
        doomed = [victim]
        if not victim.secondary:
            doomed += [a for a in lst if a.secondary and a.prefixlen == victim.prefixlen
                       and a.local in victim.network]
        for addr in doomed:
            lst.remove(addr)
            self._fib_del_ifaddr(addr)

    def addr_flush(self, dev: NetDevice) -> None:
        """Remove every IPv4 address of `dev`."""
        for addr in list(self.addresses(dev)):
            if addr in self.addresses(dev):
                self.addr_del(dev, f"{addr.local}/{addr.prefixlen}")

    def _fib_add_ifaddr(self, addr: InetAddr) -> None:
        addr.local_route = True
        if (not addr.dev.admin_up or addr.secondary or addr.noprefixroute
                or addr.dev.link_type == "loopback"):  # lo's prefix route is in table local
            return
        if addr.network.prefixlen < 32 or addr.network.network_address != addr.local:
            self._insert_route(RouteEntry(network=addr.network, dev=addr.dev, proto="kernel",
                                          scope="host" if addr.dev.link_type == "loopback"
                                          else "link", prefsrc=addr.local, metric=addr.metric),
                               append=True)

    def _fib_del_ifaddr(self, addr: InetAddr) -> None:
        addr.local_route = False
        self.routes = [r for r in self.routes if not (
            r.proto == "kernel" and r.dev is addr.dev and r.network == addr.network
            and r.prefsrc == addr.local)]
        # a route whose preferred source vanished goes too (fib_sync_down_addr)
        self.routes = [r for r in self.routes
                       if r.prefsrc != addr.local or self.is_local(addr.local)]

    # -- routes -----------------------------------------------------------------------------
    def _insert_route(self, route: RouteEntry, append: bool = False) -> None:
        self._seq += 1
        route.seq = self._seq
        for old in self.routes:
            if old.network == route.network and old.metric == route.metric and not append:
                raise KernelError(EEXIST)
        self.routes.append(route)

    def route_add(self, dst: str, gateway: str | None = None, dev: NetDevice | None = None,
                  metric: int = 0, proto: str = "boot", src: str | None = None,
                  onlink: bool = False) -> None:
        """RTM_NEWROUTE (NLM_F_EXCL): the gateway must be on a connected subnet."""
        network = ipaddress.IPv4Network("0.0.0.0/0" if dst == "default" else dst, strict=False)
        gw = ipaddress.IPv4Address(gateway) if gateway else None
        if gw is not None and not onlink:
            via = self.lookup(gw, oif=dev, connected_only=True)
            if via is None or (dev is not None and via.dev is not dev):
                raise KernelError(ENETUNREACH, "Nexthop has invalid gateway")
            dev = via.dev
        if dev is None:
            raise KernelError(ENODEV)
        if not dev.admin_up:
            raise KernelError(ENETUNREACH, "Nexthop device is not up")
        scope = "global" if gw is not None else "link"
        self._insert_route(RouteEntry(network=network, dev=dev, gateway=gw, proto=proto,
                                      scope=scope, metric=metric, onlink=onlink,
                                      prefsrc=ipaddress.IPv4Address(src) if src else None))

    def route_del(self, dst: str, gateway: str | None = None, dev: NetDevice | None = None,
                  metric: int | None = None) -> None:
        """RTM_DELROUTE: the first route matching every given key (ESRCH when none)."""
        network = ipaddress.IPv4Network("0.0.0.0/0" if dst == "default" else dst, strict=False)
        gw = ipaddress.IPv4Address(gateway) if gateway else None
        for route in self.routes:
            if (route.network == network and (gw is None or route.gateway == gw)
                    and (dev is None or route.dev is dev)
                    and (metric is None or route.metric == metric)):
                self.routes.remove(route)
                return
        raise KernelError(ESRCH)

    def sorted_routes(self) -> list[RouteEntry]:
        """Main-table routes in dump order: by prefix, longer first, metric, then insertion."""
        return sorted(self.routes, key=lambda r: (int(r.network.network_address),
                                                  -r.network.prefixlen, r.metric, r.seq))

    def lookup(self, dst: ipaddress.IPv4Address, oif: NetDevice | None = None,
               connected_only: bool = False) -> RouteEntry | None:
        """fib_lookup: longest prefix, then lowest metric, then the first inserted."""
        best: RouteEntry | None = None
        for route in self.sorted_routes():
            if dst not in route.network or (oif is not None and route.dev is not oif):
                continue
            if connected_only and route.gateway is not None:
                continue
            if best is None or route.network.prefixlen > best.network.prefixlen:
                best = route
        return best

    def select_source(self, dev: NetDevice, dst: ipaddress.IPv4Address
                      ) -> ipaddress.IPv4Address | None:
        """inet_select_addr: a primary address of `dev`, preferring one on dst's subnet."""
        primaries = [a for a in self.addresses(dev) if not a.secondary]
        for addr in primaries:
            if dst in addr.network:
                return addr.local
        if primaries:
            return primaries[0].local
        for addr in self.all_addresses():
            if not addr.secondary and addr.scope == "global":
                return addr.local
        return None

    # -- netdevice events -------------------------------------------------------------------
    def dev_up(self, dev: NetDevice) -> None:
        if dev.link_type != "loopback":
            dev.mc_add(ALL_HOSTS_MAC)  # ip_mc_up joins 224.0.0.1
        elif not self.addresses(dev):  # inetdev_event gives lo its 127.0.0.1/8 on first up
            self.addr_add(dev, "127.0.0.1/8", scope="host")
            return
        for addr in self.addresses(dev):
            self._fib_add_ifaddr(addr)

    def dev_down(self, dev: NetDevice) -> None:
        dev.mc_del(ALL_HOSTS_MAC)
        self.routes = [r for r in self.routes if r.dev is not dev]
        for addr in self.addresses(dev):
            addr.local_route = False
        self._flush_neigh(dev)

    def dev_carrier(self, dev: NetDevice) -> None:
        if not dev.carrier:
            self._flush_neigh(dev)

    def dev_changeaddr(self, dev: NetDevice) -> None:
        self._flush_neigh(dev)

    def dev_unregistered(self, dev: NetDevice) -> None:
        self.dev_down(dev)
        self.addrs.pop(dev.ifindex, None)

    # -- neighbours -------------------------------------------------------------------------
    def _flush_neigh(self, dev: NetDevice) -> None:
        for key, n in list(self.neigh.items()):
            if n.dev is dev and n.state != "PERMANENT":
                if n.timer:
                    n.timer.cancel()
                del self.neigh[key]

    def _set_timer(self, n: Neighbour, delay: int) -> None:
        """Arm the entry's timer `delay` ns from now (always later than now: delay > 0)."""
        assert delay > 0, delay
        if n.timer:
            n.timer.cancel()
        fdelay = self._reachable_f if delay == self.reachable_time else None
        n.timer = self.ns.world.clock.call_later_ns(delay, lambda: self._neigh_timer(n),
                                                    fdelay=fdelay)

    def _neigh_timer(self, n: Neighbour) -> None:
        n.timer = None
        if self.neigh.get((n.ip, n.dev.ifindex)) is not n:
            return
        now = self.now
        if n.state == "REACHABLE":
            if now - n.confirmed < self.reachable_time:
                self._set_timer(n, n.confirmed + self.reachable_time - now)
            elif now - n.used <= DELAY_PROBE_TIME:
                n.state = "DELAY"
                self._set_timer(n, DELAY_PROBE_TIME)
            else:
                n.state = "STALE"
        elif n.state == "DELAY":
            if now - n.confirmed <= DELAY_PROBE_TIME:
                n.state = "REACHABLE"
                self._set_timer(n, self.reachable_time)
            else:
                n.state = "PROBE"
                n.probes = 0
                self._probe(n)
        elif n.state in ("PROBE", "INCOMPLETE"):
            limit = UCAST_SOLICIT if n.state == "PROBE" else MCAST_SOLICIT
            if n.probes >= limit:
                n.state = "FAILED"
                queued, n.queue = n.queue, []
                for pkt in queued:
                    self._host_unreachable(pkt)
            else:
                self._probe(n)

    def _probe(self, n: Neighbour) -> None:
        n.probes += 1
        src = None
        if n.queue:
            src = n.queue[-1].src if self.is_local(_ip4(n.queue[-1].src)) else None
        sip = _ip4(src) if src else self.select_source(n.dev, n.ip)
        dst_mac = n.lladdr if n.state == "PROBE" and n.lladdr else BROADCAST
        self._arp_send(n.dev, op=1, dst_mac=dst_mac, sip=sip, tip=n.ip,
                       tha="00:00:00:00:00:00" if dst_mac == BROADCAST else dst_mac)
        self._set_timer(n, RETRANS_TIME)

    def neigh_update(self, n: Neighbour, lladdr: str, state: str, override: bool) -> None:
        """neigh_update for ARP: a different address only replaces a valid one on override."""
        old_valid = n.state in ("REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT")
        if n.state == "PERMANENT":
            return
        if old_valid and lladdr != n.lladdr and not override:
            return  # the first answer wins within locktime
        if lladdr == n.lladdr and state == "STALE" and old_valid:
            return  # same address: nothing to learn from a request
        n.lladdr = lladdr
        n.updated = self.now
        if state == "REACHABLE":
            n.confirmed = self.now
            n.state = "REACHABLE"
            self._set_timer(n, self.reachable_time)
        else:
            n.state = "STALE"
            if n.timer:
                n.timer.cancel()
                n.timer = None
        queued, n.queue = n.queue, []
        for pkt in queued:
            self._xmit_ip(n.dev, n.lladdr, pkt)

    def neigh_entries(self) -> list[Neighbour]:
        """Entries as `ip neigh` lists them (newest first per device, as the hash dumps)."""
        return [n for n in reversed(list(self.neigh.values())) if n.state != "NONE"]

    # -- ARP --------------------------------------------------------------------------------
    def _arp_send(self, dev: NetDevice, op: int, dst_mac: str, sip: ipaddress.IPv4Address | None,
                  tip: ipaddress.IPv4Address, tha: str) -> None:
        arp = Arp(op=op, sha=dev.mac, spa=str(sip or "0.0.0.0"), tha=tha, tpa=str(tip))
        self.dev_queue_xmit(dev, Frame(dst=dst_mac, src=dev.mac, ethertype=ETH_P_ARP, payload=arp))

    def send_gratuitous_arp(self, dev: NetDevice) -> None:
        """inetdev_send_gratuitous_arp: a broadcast request for each address of `dev`."""
        for addr in self.addresses(dev):
            self._arp_send(dev, op=1, dst_mac=BROADCAST, sip=addr.local, tip=addr.local,
                           tha="00:00:00:00:00:00")

    def arp_rcv(self, dev: NetDevice, frame: Frame) -> None:
        """arp_process."""
        arp = frame.payload
        assert isinstance(arp, Arp)
        sip, tip = _ip4(arp.spa), _ip4(arp.tpa)
        if tip.is_multicast or tip.is_loopback:
            return
        if arp.op == 1 and sip.is_unspecified and self.is_local(tip):
            # an ARP probe (RFC 5227, and the bond's probe without a route): answered to its
            # sender's MAC, no neighbour made
            self._arp_send(dev, op=2, dst_mac=arp.sha, sip=tip, tip=sip, tha=arp.sha)
            return
        if arp.op == 1 and self.is_local(tip) and not self.is_local(sip) and not sip.is_unspecified:
            made = self._neigh_event(dev, sip, arp.sha)
            if made is not None:
                self._arp_send(dev, op=2, dst_mac=arp.sha, sip=tip, tip=sip, tha=arp.sha)
            return
        n = self.neigh.get((sip, dev.ifindex))
        if n is None:
            return
        is_garp = sip == tip
        override = self.now > n.updated + LOCKTIME or is_garp
        state = "REACHABLE" if arp.op == 2 and frame.dst == dev.mac else "STALE"
        self.neigh_update(n, arp.sha, state, override)

    def _neigh_event(self, dev: NetDevice, ip: ipaddress.IPv4Address, lladdr: str) -> Neighbour:
        """neigh_event_ns: create or refresh the sender's entry as STALE."""
        n = self.neigh.get((ip, dev.ifindex))
        if n is None:
            n = Neighbour(ip=ip, dev=dev, updated=self.now)
            self.neigh[(ip, dev.ifindex)] = n
        self.neigh_update(n, lladdr, "STALE", override=True)
        return n

    # -- IPv4 output and input --------------------------------------------------------------
    def dev_queue_xmit(self, dev: NetDevice, frame: Frame) -> None:
        if dev.admin_up:
            dev.xmit(frame)

    def send(self, pkt: Ipv4, oif: NetDevice | None = None) -> str | None:
        """ip_local_out: route, resolve, transmit. Returns an errno name when it cannot route."""
        dst = _ip4(pkt.dst)
        if self.is_local(dst):
            lo = self.ns.find("lo")
            if lo is None or not lo.admin_up:
                return "ENETUNREACH"
            frame = Frame(dst=lo.mac, src=lo.mac, ethertype=ETH_P_IP, payload=pkt)
            lo.xmit(frame)
            return None
        route = self.lookup(dst, oif=oif)
        if route is None:
            return "ENETUNREACH"
        nexthop = route.gateway or dst
        self._output(route.dev, nexthop, pkt)
        return None

    def _output(self, dev: NetDevice, nexthop: ipaddress.IPv4Address, pkt: Ipv4) -> None:
        key = (nexthop, dev.ifindex)
        n = self.neigh.get(key)
        if n is None or n.state in ("NONE", "FAILED"):
            if n is None:
                n = Neighbour(ip=nexthop, dev=dev)
                self.neigh[key] = n
            n.state = "INCOMPLETE"
            n.probes = 0
            n.queue.append(pkt)
            n.used = self.now
            self._probe(n)
            return
        n.used = self.now
        if n.state == "INCOMPLETE":
            n.queue.append(pkt)
            return
        if n.state == "STALE":
            n.state = "DELAY"
            self._set_timer(n, DELAY_PROBE_TIME)
        assert n.lladdr is not None
        self._xmit_ip(dev, n.lladdr, pkt)

    def _xmit_ip(self, dev: NetDevice, lladdr: str, pkt: Ipv4) -> None:
        self.dev_queue_xmit(dev, Frame(dst=lladdr, src=dev.mac, ethertype=ETH_P_IP, payload=pkt))

    def ip_rcv(self, dev: NetDevice, frame: Frame) -> None:
        """ip_rcv + icmp_rcv: answer echo requests to local addresses, pass replies to pingers."""
        pkt = frame.payload
        assert isinstance(pkt, Ipv4)
        dst = _ip4(pkt.dst)
        if not self.is_local(dst):
            return  # ip_forward is 0: not a router
        icmp = pkt.icmp
        if icmp.type == 8:
            reply = Ipv4(src=pkt.dst, dst=pkt.src, ttl=64,
                         icmp=Icmp(type=0, ident=icmp.ident, seq=icmp.seq, payload=icmp.payload,
                                   sent_at=icmp.sent_at))
            self.send(reply)
        elif icmp.type == 0:
            for listener in list(self.icmp_listeners):
                listener("reply", _ip4(pkt.src), icmp)

    def _host_unreachable(self, pkt: Ipv4) -> None:
        """A queued packet whose neighbour failed: the sender gets EHOSTUNREACH."""
        for listener in list(self.icmp_listeners):
            listener("unreachable", _ip4(pkt.src), pkt.icmp)


def _scope_rank(scope: str) -> int:
    return {"global": 0, "site": 200, "link": 253, "host": 254}.get(scope, 0)
