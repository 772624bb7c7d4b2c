"""The Linux bridge of the simulated switch: ports, learning, ageing, flooding, fdb dump order.

Faithful to what `bridge fdb show` and failover lessons expose: ports are added at the head of
the port list (so floods go to the newest port first), the fdb list is newest-first and an entry
that moves to another port keeps its place, disabling a port (carrier loss or admin down)
flushes what it learned, local entries exist for vlan 0 and the default pvid 1, learned entries
age out after `ageing_time`. STP is off, so a port forwards as soon as it is up with carrier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.engines.sim.clock import FOREVER, NS, to_ns
from labkit.engines.sim.frames import Frame, is_multicast
from labkit.engines.sim.netdev import NetDevice
from labkit.errors import KernelError

if TYPE_CHECKING:
    from labkit.engines.sim.netns import Namespace

EBUSY, ELOOP, EINVAL = 16, 40, 22
BR_MCAST_MACS = ("01:00:5e:00:00:6a", "33:33:00:00:00:6a")  # multicast router discovery


@dataclass
class FdbRecord:
    """One forwarding entry; `port` None means the bridge device itself."""

    mac: str
    vlan: int
    port: BridgePort | None
    local: bool
    updated: int  # ns of lab time


class BridgePort:
    """A device's membership in a bridge (struct net_bridge_port): the rx handler."""

    def __init__(self, bridge: Bridge, dev: NetDevice, port_no: int) -> None:
        self.bridge = bridge
        self.dev = dev
        self.port_no = port_no
        self.state = "disabled"
        self.enabled_at = 0  # ns of lab time

    def handle_frame(self, frame: Frame) -> NetDevice | None:
        """br_handle_frame: learn the source, forward or flood, maybe pass up to the bridge."""
        self.bridge.receive(self, frame)
        return None


class Bridge(NetDevice):
    """A Linux bridge device with STP off and VLAN filtering off (default pvid 1)."""

    kind = "bridge"

    def __init__(self, ns: Namespace, name: str, mac: str, ageing_time: float = 300.0) -> None:
        super().__init__(ns, name, mac)
        self.addr_assign = "set"
        self.ports: list[BridgePort] = []
        self.fdb: list[FdbRecord] = []  # newest first
        self.ageing_ns = to_ns(ageing_time)
        self.max_mtu = 65535
        self._gc = None
        self.created_at = ns.world.clock.now_ns()

    @property
    def ageing_time(self) -> float:
        """Seconds a learned address stays without being seen."""
        return self.ageing_ns / NS

    def on_registered(self) -> None:
        """Local entries for the bridge's own MAC (vlan 0 and the default pvid 1)."""
        self._fdb_insert(self.mac, 0, None, local=True)
        self._fdb_insert(self.mac, 1, None, local=True)

    # -- ports ------------------------------------------------------------------------------
    def add_port(self, dev: NetDevice) -> None:
        """br_add_if: refuse loops and busy devices, then join at the head of the port list."""
        if dev is self:
            raise KernelError(ELOOP)
        if dev.port is not None or dev.master is not None:
            raise KernelError(EBUSY, "Device is already in use")
        used = {p.port_no for p in self.ports}  # find_portno: the lowest free number
        port_no = next(n for n in range(1, len(used) + 2) if n not in used)
        port = BridgePort(self, dev, port_no)
        dev.port = port
        dev.master = self
        dev.promiscuity += 1
        dev.allmulti += 1
        self.ports.insert(0, port)
        self._fdb_insert(dev.mac, 0, port, local=True)
        self._fdb_insert(dev.mac, 1, port, local=True)
        self._port_check(port)

    def del_port(self, dev: NetDevice) -> None:
        """br_del_if."""
        port = dev.port
        if not isinstance(port, BridgePort) or port.bridge is not self:
            raise KernelError(EINVAL)
        self.fdb = [f for f in self.fdb if f.port is not port]
        self.ports.remove(port)
        dev.port = None
        dev.master = None
        dev.promiscuity -= 1
        dev.allmulti -= 1
        self._update_carrier()

    def _port_check(self, port: BridgePort) -> None:
        """br_port_carrier_check: forwarding iff the port device is running with carrier."""
        dev = port.dev
        live = dev.admin_up and dev.carrier and self.admin_up
        if live and port.state == "disabled":
            port.state = "forwarding"
            port.enabled_at = self.ns.world.clock.now_ns()
        elif not live and port.state != "disabled":
            port.state = "disabled"
            self.fdb = [f for f in self.fdb if f.port is not port or f.local]
        self._update_carrier()

    def _update_carrier(self) -> None:
        if self.admin_up:
            self.set_carrier(any(p.state == "forwarding" for p in self.ports))

    def port_up(self, dev: NetDevice) -> None:
        self._port_check(dev.port)

    def port_down(self, dev: NetDevice) -> None:
        self._port_check(dev.port)

    def port_carrier(self, dev: NetDevice) -> None:
        self._port_check(dev.port)

    def port_changeaddr(self, dev: NetDevice) -> None:
        """br_fdb_changeaddr: the port's local entries follow its new MAC."""
        port = dev.port
        self.fdb = [f for f in self.fdb if not (f.port is port and f.local)]
        self._fdb_insert(dev.mac, 0, port, local=True)
        self._fdb_insert(dev.mac, 1, port, local=True)

    def on_open(self) -> None:
        for mac in BR_MCAST_MACS:  # br_multicast_open joins the router-discovery groups
            self.mc_add(mac)
        for port in self.ports:
            self._port_check(port)
        self._update_carrier()
        self._schedule_gc()

    def on_close(self) -> None:
        for port in self.ports:
            if port.state != "disabled":
                port.state = "disabled"
                self.fdb = [f for f in self.fdb if f.port is not port or f.local]
        self.set_carrier(False)
        for mac in BR_MCAST_MACS:
            self.mc_del(mac)

    # -- fdb --------------------------------------------------------------------------------
    def _fdb_insert(self, mac: str, vlan: int, port: BridgePort | None, local: bool) -> None:
        now = self.ns.world.clock.now_ns()
        self.fdb.insert(0, FdbRecord(mac=mac, vlan=vlan, port=port, local=local, updated=now))

    def _learn(self, port: BridgePort, mac: str) -> None:
        """br_fdb_update: learn or move a source address (its list position stays)."""
        if is_multicast(mac):
            return
        now = self.ns.world.clock.now_ns()
        for rec in self.fdb:
            if rec.mac == mac and rec.vlan == 0:
                if rec.local:
                    return
                rec.port = port
                rec.updated = now
                return
        self._fdb_insert(mac, 0, port, local=False)

    def _lookup(self, mac: str) -> FdbRecord | None:
        for rec in self.fdb:
            if rec.mac == mac and rec.vlan == 0:
                return rec
        return None

    def _schedule_gc(self) -> None:
        if self._gc is None:
            self._gc = self.ns.world.clock.call_later_ns(NS, self._age, period=NS,
                                                         idle=self._gc_idle_until)

    def _gc_idle_until(self) -> int:
        """Until when the once-a-second cleanup would remove nothing (the clock parks it
        meanwhile): the oldest learned entry's expiry; with none, until one is learned."""
        if not self.admin_up:
            return 0  # the tick that sees the bridge down stops the cleanup
        learned = [f.updated for f in self.fdb if not f.local]
        return min(learned) + self.ageing_ns if learned else FOREVER

    def _age(self) -> None:
        """br_fdb_cleanup: drop learned entries idle for longer than ageing_time."""
        self._gc = None
        now = self.ns.world.clock.now_ns()
        self.fdb = [f for f in self.fdb if f.local or now - f.updated < self.ageing_ns]
        if self.admin_up:
            self._schedule_gc()

    # -- forwarding -------------------------------------------------------------------------
    def receive(self, port: BridgePort, frame: Frame) -> None:
        """br_handle_frame_finish."""
        if port.state != "forwarding" or not self.admin_up:
            return
        self._learn(port, frame.src)
        if is_multicast(frame.dst):
            self._flood(frame, exclude=port)
            self._pass_up(frame)
            return
        rec = self._lookup(frame.dst)
        if rec is not None and rec.local:
            self._pass_up(frame)
            return
        if rec is not None:
            if rec.port is not port and rec.port.state == "forwarding":
                self._xmit_port(rec.port, frame)
            return
        self._flood(frame, exclude=port)

    def _flood(self, frame: Frame, exclude: BridgePort | None) -> None:
        for port in list(self.ports):
            if port is not exclude and port.state == "forwarding":
                self._xmit_port(port, frame)

    def _xmit_port(self, port: BridgePort, frame: Frame) -> None:
        port.dev.xmit(frame)

    def _pass_up(self, frame: Frame) -> None:
        """br_pass_frame_up: the bridge device itself receives the frame."""
        self.counters.count_rx(frame)
        self.ns.world.deliver_local(self, frame)

    def xmit(self, frame: Frame) -> None:
        """br_dev_xmit: a frame the bridge's own stack sends."""
        self.counters.count_tx(frame)
        if is_multicast(frame.dst):
            self._flood(frame, exclude=None)
            return
        rec = self._lookup(frame.dst)
        if rec is not None and rec.port is not None and not rec.local:
            self._xmit_port(rec.port, frame)
        elif rec is None:
            self._flood(frame, exclude=None)

    def unregister(self) -> None:
        for port in list(self.ports):
            self.del_port(port.dev)
