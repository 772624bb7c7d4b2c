"""The sim engine: the engine interface on a pure-Python model of Linux 6.1 networking.

It runs anywhere (no root, no kernel modules), takes no wall time to sleep, and is reproducible:
every random choice (bond MACs, DAD delays, neighbour timers) comes from the lab's seed.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping
from errno import EACCES, EBUSY, EEXIST, EINVAL, EOPNOTSUPP

from labkit.engines.base import (
    UNSET,
    Engine,
    OptionValue,
    Progress,
    _Unset,
)
from labkit.engines.bond_options import OPTIONS
from labkit.engines.sim import pseudofs
from labkit.engines.sim import snapshot as snap
from labkit.engines.sim.bonding import Bond, Slave
from labkit.engines.sim.bridge import BR_MCAST_MACS, Bridge, BridgePort
from labkit.engines.sim.clock import VirtualClock, to_ns
from labkit.engines.sim.frames import Icmp, Ipv4
from labkit.engines.sim.netdev import E1000, NetDevice, Tap, Veth
from labkit.engines.sim.netns import Namespace
from labkit.engines.sim.printk import KernelLog
from labkit.engines.sim.world import World
from labkit.errors import KernelError
from labkit.model import plan
from labkit.model.flavours import RECORDED_KERNEL, Flavour
from labkit.model.ping import PingEvent, PingRequest, PingRun
from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Nic, Topology

SIM_RTT_MS = 0.050
_iface6 = functools.lru_cache(maxsize=1024)(ipaddress.IPv6Interface)  # immutable, parsed once


class SimEngine(Engine):
    """Runs a lab inside one Python process."""

    name = "sim"

    def __init__(self, seed: int = 0, kernel_release: str = RECORDED_KERNEL,
                 bonding_version: str | None = None) -> None:
        self.seed = seed
        self.world = World(seed=seed, kernel_release=kernel_release)
        self.world.bonding_version = bonding_version
        self._ping_ident = 0x1000
        self._snapshots: dict[str, tuple[tuple[int, int], HostSnapshot]] = {}

    @property
    def clock(self) -> VirtualClock:
        return self.world.clock

    # -- lifecycle --------------------------------------------------------------------------
    def build(self, topology: Topology, lab_id: str, progress: Progress | None = None,
              managed: frozenset[str] = frozenset(), flavour: Flavour | None = None) -> None:
        self.topology = topology
        self.lab_id = lab_id
        for step in plan.build_plan(topology, managed, flavour):
            if isinstance(step, plan.AddHost) and flavour is not None:
                self._apply(step)
                self.ns(step.host).addrconf.slaac_mngtmpaddr = flavour.slaac_mngtmpaddr
                continue
            self._apply(step)
        self.world.process_backlog()
        # the lab starts settled: DAD done, first solicitations sent, as a machine up a while
        self.clock.advance(5.0)

    def kernel_log(self) -> KernelLog:
        """The machine's printk ring (dmesg, journalctl -k)."""
        return self.world.klog

    def destroy(self) -> None:
        self.world.namespaces.clear()

    def add_cable(self, topology: Topology, host: str, nic: Nic, up: bool = True,
                  physical: bool = False) -> None:
        self.topology = topology
        for step in plan.cable_steps(topology, topology.host(host), nic, up=up,
                                     physical=physical):
            self._apply(step)
        self.world.process_backlog()

    def _apply(self, step: plan.Step) -> None:
        match step:
            case plan.AddHost():
                self.world.add_namespace(step.host, plan.netns_name(self.lab_id, step.host))
            case plan.DisableIPv6():
                ns = self.ns(step.host)
                pseudofs.write(ns, "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1\n")
                pseudofs.write(ns, "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1\n")
            case plan.AddBridge():
                ns = self.ns(step.host)
                br = Bridge(ns, step.name, step.mac, ageing_time=step.ageing_time)
                ns.register(br)
                br.on_registered()
                br.open()
            case plan.AddCable():
                self._veth_pair(self.ns(step.host), step.nic, step.mac,
                                self.ns(step.switch), step.port, step.port_mac,
                                physical=step.physical)
                sw = self.ns(step.switch)
                bridge = sw.get(step.bridge)
                assert isinstance(bridge, Bridge)
                bridge.add_port(sw.get(step.port))
                sw.get(step.port).open()
            case plan.LinkUp():
                self.ns(step.host).get(step.dev).open()
            case plan.LinkDown():
                self.ns(step.host).get(step.dev).close()
            case plan.SetDeviceIPv6():
                pseudofs.write(self.ns(step.host),
                               f"/proc/sys/net/ipv6/conf/{step.dev}/disable_ipv6",
                               f"{int(step.disabled)}\n")
            case plan.AddAddress():
                self.addr_add(step.host, step.dev, step.cidr)
            case plan.AddRoute():
                self.route_add(step.host, step.to, gateway=step.via)
            case plan.AddLibvirtNetwork():
                ns = self.ns(step.host)
                br = Bridge(ns, step.bridge, step.mac)
                ns.register(br)
                br.on_registered()
                tap = Tap(ns, step.tap, step.mac)
                ns.register(tap)
                br.add_port(tap)
                tap.open()  # libvirt opens the tap once and leaves it closed
                tap.close()
                iface = ipaddress.IPv4Interface(step.cidr)
                ns.inet.addr_add(br, step.cidr, broadcast=str(iface.network.broadcast_address))
                br.open()
            case plan.UseIfindexes():
                ns = self.ns(step.host)
                for _ in range(step.count):
                    old = Bond(ns, "labkit-hist", None)
                    ns.register(old)
                    ns.bonds_loaded = True
                    ns.unregister(old)
            case plan.LeaveIPv6Groups():
                ns = self.ns(step.host)  # the kernel's way out, as the plan's step says
                dev = ns.get(step.dev)
                snooping = BR_MCAST_MACS if step.bridge else ()
                for mac in snooping:  # mcast_snooping 0: the bridge leaves its snooper groups
                    dev.mc_del(mac)
                ns.addrconf.set_addr_gen_mode(dev, "none")
                for value in ("0\n", "1\n"):
                    pseudofs.write(ns, f"/proc/sys/net/ipv6/conf/{step.dev}/disable_ipv6", value)
                ns.addrconf.set_addr_gen_mode(dev, "eui64")
                for mac in snooping:  # mcast_snooping 1: rejoined, IPv4's first
                    dev.mc_add(mac)
            case plan.AdvertisePrefix():
                ns = self.ns(step.host)
                ns.addrconf.start_router(ns.get(step.dev), step.prefix)
        self.world.process_backlog()

    @staticmethod
    def _veth_pair(ns: Namespace, name: str, mac: str | None, peer_ns: Namespace,
                   peer_name: str, peer_mac: str | None, physical: bool = False) -> None:
        """veth_newlink: the peer is registered first, in its own namespace."""
        if ns.find(name) is not None or peer_ns.find(peer_name) is not None:
            raise KernelError(EEXIST)
        a = (E1000 if physical else Veth)(ns, name, mac or ns.world.random_mac())
        b = Veth(peer_ns, peer_name, peer_mac or ns.world.random_mac())
        if not mac:
            a.addr_assign = "random"
        a.peer, b.peer = b, a
        peer_ns.register(b)
        ns.register(a)

    # -- helpers ----------------------------------------------------------------------------
    def ns(self, host: str) -> Namespace:
        """The namespace of `host`; KeyError naming the hosts otherwise."""
        try:
            return self.world.namespaces[host]
        except KeyError:
            raise KeyError(f"no host {host!r} (hosts: {', '.join(self.world.namespaces)})") \
                from None

    def _dev(self, host: str, name: str) -> NetDevice:
        return self.ns(host).get(name)

    def _done(self) -> None:
        self.world.process_backlog()

    # -- links ------------------------------------------------------------------------------
    def link_add(self, host: str, name: str, kind: str, *, address: str | None = None,
                 mtu: int | None = None, options: Mapping[str, OptionValue] | None = None,
                 peer: str | None = None, peer_address: str | None = None) -> None:
        ns = self.ns(host)
        if ns.find(name) is not None:
            raise KernelError(EEXIST)
        if kind == "bond":
            bond = Bond(ns, name, address)
            if options:
                bond.apply_netlink(dict(options))
            ns.bonds_loaded = True
            ns.register(bond)
        elif kind == "veth":
            peer_name = peer or f"veth{len(ns.devices)}"
            self._veth_pair(ns, name, address, ns, peer_name, peer_address)
        elif kind == "bridge":
            br = Bridge(ns, name, address or ns.world.random_mac())
            if not address:
                br.addr_assign = "random"
            ns.register(br)
            br.on_registered()
        elif kind == "dummy":
            raise KernelError(EOPNOTSUPP, "Unknown device type")
        else:
            raise KernelError(EOPNOTSUPP, "Unknown device type")
        if mtu is not None:
            ns.get(name).mtu = mtu
        self._done()

    def link_del(self, host: str, name: str) -> None:
        ns = self.ns(host)
        dev = ns.get(name)
        if dev.kind is None:
            raise KernelError(EOPNOTSUPP)
        if isinstance(dev.port, Slave):
            dev.port.bond.release(dev)
        elif isinstance(dev.port, BridgePort):
            dev.port.bridge.del_port(dev)
        ns.unregister(dev)
        self._done()

    def link_set(self, host: str, name: str, *, up: bool | None = None,
                 master: str | _Unset | None = UNSET, address: str | None = None,
                 mtu: int | None = None, new_name: str | None = None,
                 options: Mapping[str, OptionValue] | None = None,
                 slave_options: Mapping[str, OptionValue] | None = None,
                 addrgenmode: str | None = None) -> None:
        """One RTM_NEWLINK in the kernel's order: __rtnl_newlink's changelink (the kind's
        options, then the port's) first, then do_setlink: address, mtu, name, flags, master.
        So `ip link set ens37 down master bond0` downs the port before enslaving it."""
        ns = self.ns(host)
        dev = ns.get(name)
        if options:
            if not isinstance(dev, Bond):
                raise KernelError(EOPNOTSUPP)
            dev.apply_netlink(dict(options))
        if slave_options:
            self._slave_options(dev, slave_options)
        if address is not None:
            self._set_address(dev, address)
        if mtu is not None:
            if mtu < dev.min_mtu or (dev.max_mtu and mtu > dev.max_mtu):
                raise KernelError(EINVAL, "mtu less than device minimum" if mtu < dev.min_mtu
                                  else "mtu greater than device maximum")
            if isinstance(dev, Bond):  # bond_change_mtu: every port follows
                for slave in dev.slaves:
                    slave.dev.mtu = mtu
            dev.mtu = mtu
        if new_name is not None and new_name != name:
            if dev.admin_up:
                raise KernelError(EBUSY)
            ns.rename(dev, new_name)
        if up is True:
            dev.open()
        elif up is False:
            dev.close()
        if not isinstance(master, _Unset):
            self._set_master(ns, dev, master)
        if addrgenmode is not None:
            if addrgenmode not in ("eui64", "none", "stable_secret", "random"):
                raise KernelError(EINVAL)
            ns.addrconf.set_addr_gen_mode(dev, addrgenmode)
        self._done()

    def _set_address(self, dev: NetDevice, address: str) -> None:
        if isinstance(dev, Bond):
            if dev.params.fail_over_mac and dev.params.mode == 1:
                return  # bond_set_mac_address: silently ignored with fail_over_mac
            for slave in dev.slaves:
                slave.dev.set_mac(address)
        dev.set_mac(address, assign="set")

    def _set_master(self, ns: Namespace, dev: NetDevice, master: str | None) -> None:
        """do_set_master: leave the current master, then join the new one."""
        upper = dev.master
        new = ns.get(master) if master else None
        if upper is not None:
            if new is upper:
                return
            if isinstance(upper, Bond):
                upper.release(dev)
            elif isinstance(upper, Bridge):
                upper.del_port(dev)
        if new is None:
            return
        if isinstance(new, Bond):
            new.enslave(dev)
        elif isinstance(new, Bridge):
            new.add_port(dev)
        else:
            raise KernelError(EOPNOTSUPP)

    @staticmethod
    def _slave_options(dev: NetDevice, options: Mapping[str, OptionValue]) -> None:
        slave = dev.port
        if not isinstance(slave, Slave):
            raise KernelError(EINVAL)
        if "queue_id" in options:
            slave.bond.set_option("queue_id", f"{dev.name}:{options['queue_id']}")
        if "prio" in options:
            opt = OPTIONS["prio"]
            if slave.bond.params.mode in opt.unsupp_modes:
                raise KernelError(EACCES, "option not supported in mode")
            slave.bond.set_slave_prio(slave, int(options["prio"]))

    # -- addresses and routes ---------------------------------------------------------------
    def addr_add(self, host: str, dev: str, cidr: str, *, broadcast: str | None = None,
                 noprefixroute: bool = False, metric: int | None = None,
                 label: str | None = None) -> None:
        ns = self.ns(host)
        if ":" in cidr:
            iface6 = _iface6(cidr)
            ns.addrconf.add_manual(ns.get(dev), iface6.ip, iface6.network.prefixlen,
                                   noprefixroute=noprefixroute)
        else:
            ns.inet.addr_add(ns.get(dev), cidr, broadcast=broadcast,
                             noprefixroute=noprefixroute, metric=metric or 0, label=label)
        self._done()

    def addr_del(self, host: str, dev: str, cidr: str) -> None:
        ns = self.ns(host)
        if ":" in cidr:
            ns.addrconf.del_manual(ns.get(dev), _iface6(cidr).ip)
        else:
            ns.inet.addr_del(ns.get(dev), cidr)
        self._done()

    def addr_flush(self, host: str, dev: str) -> None:
        """Remove every IPv4 address of `dev` (ip addr flush)."""
        ns = self.ns(host)
        ns.inet.addr_flush(ns.get(dev))
        self._done()

    def route_add(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None, proto: str | None = None,
                  src: str | None = None) -> None:
        ns = self.ns(host)
        ns.inet.route_add(dst, gateway=gateway, dev=ns.get(dev) if dev else None,
                          metric=metric or 0, proto=proto or "boot", src=src)
        self._done()

    def route_del(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None) -> None:
        ns = self.ns(host)
        ns.inet.route_del(dst, gateway=gateway, dev=ns.get(dev) if dev else None, metric=metric)
        self._done()

    # -- pseudo-files -----------------------------------------------------------------------
    def read_file(self, host: str, path: str) -> str:
        return pseudofs.read(self.ns(host), path)

    def write_file(self, host: str, path: str, data: str) -> None:
        pseudofs.write(self.ns(host), path, data)
        self._done()

    def list_dir(self, host: str, path: str) -> list[str]:
        return pseudofs.list_dir(self.ns(host), path)

    def watch_links(self, host: str, callback: Callable[[str], None]) -> None:
        """The uevent of a new link reaches `callback` once the current operation is over."""
        clock = self.clock

        def registered(dev: NetDevice) -> None:
            clock.call_later(0.0, lambda: callback(dev.name) if dev.ns.find(dev.name) is dev
                             else None)

        self.ns(host).link_listeners.append(registered)

    # -- state ------------------------------------------------------------------------------
    def snapshot(self, host: str) -> HostSnapshot:
        """The host's state now; the same (immutable) snapshot again while nothing changed
        and no time passed (NetworkManager asks for one per link it looks at)."""
        ns = self.ns(host)
        key = (self.world.version, self.clock.now_ns())
        cached = self._snapshots.get(host)
        if cached is not None and cached[0] == key:
            return cached[1]
        taken = snap.take(ns)
        self._snapshots[host] = (key, taken)
        return taken

    # -- ping -------------------------------------------------------------------------------
    def start_ping(self, host: str, request: PingRequest) -> PingRun:
        """The kernel side of `ping`: echo requests on the clock, replies as they arrive."""
        ns = self.ns(host)
        clock = self.clock
        self._ping_ident += 1
        ident = self._ping_ident
        dst = ipaddress.IPv4Address(request.dst)
        route = ns.inet.lookup(dst)
        local = ns.inet.is_local(dst)
        run = PingRun(request=request, started=clock.now())
        started = clock.now_ns()  # probes go out at started + k * interval, exactly
        interval = to_ns(request.interval)
        if route is None and not local:
            run.error = "ENETUNREACH"
            run.done = True
            return run
        if local:
            run.source = str(dst)
        else:
            assert route is not None
            src = route.prefsrc or ns.inet.select_source(route.dev, dst)
            run.source = str(src) if src else "0.0.0.0"

        def on_icmp(kind: str, peer: ipaddress.IPv4Address, icmp: Icmp) -> None:
            if icmp.ident != ident or run.done:
                return
            if kind == "reply":
                run.events.append(PingEvent("reply", icmp.seq, clock.now(),
                                            rtt_ms=SIM_RTT_MS, source=str(peer)))
            else:
                run.events.append(PingEvent("unreachable", icmp.seq, clock.now(),
                                            source=run.source or ""))
            clock.call_later(0.0, check_done)  # after every error of the same batch arrived

        def finish() -> None:
            if not run.done:
                run.done = True
                run.finished = clock.now()
                ns.inet.icmp_listeners.remove(on_icmp)

        def check_done() -> None:
            """ping's exit conditions: enough answers for -c, or any error under -w."""
            req = run.request
            if req.deadline is not None and run.errors:
                finish()
            elif req.count is not None and run.received + run.errors >= req.count \
                    and (run.transmitted >= req.count or req.deadline is not None):
                finish()

        def send() -> None:
            if run.done:
                return
            req = run.request
            # with -c alone ping stops sending at COUNT; with -w it sends until enough replies
            if req.count is not None and run.transmitted >= req.count and req.deadline is None:
                return
            run.transmitted += 1
            run.last_sent = clock.now()
            pkt = Ipv4(src=run.source or "0.0.0.0", dst=request.dst, ttl=request.ttl,
                       icmp=Icmp(type=8, ident=ident, seq=run.transmitted,
                                 payload=request.size, sent_at=clock.now()))
            ns.inet.send(pkt)
            self.world.process_backlog()
            if run.done:
                return
            if req.count is None or run.transmitted < req.count or req.deadline is not None:
                clock.call_at_ns(started + run.transmitted * interval, send,
                                 fwhen=run.started + run.transmitted * req.interval)
            else:
                linger = req.timeout if req.timeout is not None else 10.0
                wait = max(2 * SIM_RTT_MS / 1000, req.interval) if run.received else linger
                clock.call_later(wait, finish)

        ns.inet.icmp_listeners.append(on_icmp)
        if request.deadline is not None:
            clock.call_later(request.deadline, finish)
        send()
        return run

    def run_until_done(self, run: PingRun) -> None:
        while not run.done and self.clock.run_next():
            pass
