"""The Linux bridge of the simulated switch: ports, learning, ageing, flooding, fdb dump order.

Faithful to what `bridge fdb show` and failover lessons expose: ports are added at the head of
the port list (so floods go to the newest port first), the fdb list is newest-first and an entry
that moves to another port keeps its place, disabling a port (carrier loss or admin down)
flushes what it learned, local entries exist for vlan 0 and the default pvid 1, learned entries
age out after `ageing_time`. STP is off, so a port forwards as soon as it is up with carrier.

With no multicast querier on the LAN every NIC's DAD, MLD and router-solicitation frames are
flooded to every port, N x N deliveries of which nearly all are discarded at the far end. A
port whose cable ends at a device that would discard them (World.inert_receiver) is "passive":
such a frame (World.inert_frame) is not carried to it one by one but added to the bridge's
flood tally, which the port's device (tx) and the far device (rx) settle into their counters
when anyone reads them or the port stops being passive. Counters read as if every copy had
been carried; the cost of a flood is that of the ports that act on it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from errno import EBUSY, EINVAL, ELOOP
from typing import TYPE_CHECKING

from labkit.engines.sim.clock import FOREVER, NS, SimTimer, to_ns
from labkit.engines.sim.frames import Frame, is_multicast
from labkit.engines.sim.netdev import NetDevice, Veth
from labkit.errors import KernelError

if TYPE_CHECKING:
    from labkit.engines.sim.netns import Namespace

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
        self.seq = 0  # when it joined (Bridge.add_port)
        self.far: NetDevice | None = None  # set while passive: the device at the cable's end
        self.settled = (0, 0)  # the bridge's flood tally when last settled into the counters

    def settle(self) -> None:
        """Add the inert floods since the last settling to this cable's counters."""
        self.bridge.settle(self)

    def recheck(self) -> None:
        """Re-decide whether this port is passive (see the module docstring)."""
        self.bridge.recheck(self)

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
        self._fdb_at: dict[tuple[str, int], FdbRecord] = {}  # the first entry per (mac, vlan)
        self._port_nos: set[int] = set()
        self._free_nos: list[int] = []  # a heap of the numbers below the highest, freed
        self.ageing_ns = to_ns(ageing_time)
        self._gc: SimTimer | None = None
        self.created_at = ns.world.clock.now_ns()
        self.tally = (0, 0)  # packets and bytes of every inert flood, passive ports' share
        self._seq = 0  # ports are numbered in the order they join (the list is newest first)
        self._passive: set[BridgePort] = set()
        self._eager_set: set[BridgePort] = set()  # the ports that are not passive
        self._eager: list[BridgePort] | None = []  # the same, in flood order (None: to sort)

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
        port = BridgePort(self, dev, self._take_port_no())
        self._seq += 1
        port.seq = self._seq
        dev.port = port
        dev.master = self
        self._log_state(port, "blocking")  # new_nbp: br_init_port, then disabled
        self._log_state(port, "disabled")
        self._promisc(dev, +1)
        dev.allmulti += 1
        self.ports.insert(0, port)
        self._eager_set.add(port)
        self._eager = None
        self._fdb_insert(dev.mac, 0, port, local=True)
        self._fdb_insert(dev.mac, 1, port, local=True)
        dev.cable_changed()  # the device's own far end, if passive, now meets an rx handler
        self._port_check(port)

    def del_port(self, dev: NetDevice) -> None:
        """br_del_if."""
        port = dev.port
        if not isinstance(port, BridgePort) or port.bridge is not self:
            raise KernelError(EINVAL)
        self._set_fdb([f for f in self.fdb if f.port is not port])
        self.ports.remove(port)
        self._port_nos.discard(port.port_no)
        heapq.heappush(self._free_nos, port.port_no)
        self._eager_set.discard(port)
        self._eager = None
        dev.port = None
        self.recheck(port)
        dev.master = None
        self._promisc(dev, -1)  # del_nbp: nbp_delete_promisc, then br_stp_disable_port
        self._log_state(port, "disabled")
        dev.allmulti -= 1
        dev.cable_changed()
        self._update_carrier()

    def _log_state(self, port: BridgePort, state: str) -> None:
        """br_set_state's line in the kernel log (every state it sets, repeated or not)."""
        self.netdev_info(f"port {port.port_no}({port.dev.name}) entered {state} state")

    @staticmethod
    def _promisc(dev: NetDevice, inc: int) -> None:
        """dev_set_promiscuity: the log says when the device's IFF_PROMISC flips."""
        before = dev.promiscuity
        dev.promiscuity += inc
        if (before == 0) != (dev.promiscuity == 0):
            word = "entered" if dev.promiscuity else "left"
            dev.ns.world.klog.printk(6, f"device {dev.name} {word} promiscuous mode")

    def _take_port_no(self) -> int:
        """find_portno: the lowest number no port has."""
        while self._free_nos:
            port_no = heapq.heappop(self._free_nos)
            if port_no not in self._port_nos:
                break
        else:
            port_no = len(self._port_nos) + 1
        self._port_nos.add(port_no)
        return port_no

    def _port_check(self, port: BridgePort) -> None:
        """br_port_carrier_check: forwarding iff the port device is running with carrier."""
        dev = port.dev
        live = dev.admin_up and dev.carrier and self.admin_up
        if live and port.state == "disabled":
            self._log_state(port, "blocking")  # br_stp_enable_port: br_init_port, and with
            self._log_state(port, "forwarding")  # STP off straight on to forwarding
            port.state = "forwarding"
            port.enabled_at = self.ns.world.clock.now_ns()
        elif not live and port.state != "disabled":
            self._log_state(port, "disabled")
            port.state = "disabled"
            self._set_fdb([f for f in self.fdb if f.port is not port or f.local])
        self.recheck(port)
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
        self._set_fdb([f for f in self.fdb if not (f.port is port and f.local)])
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
                self._log_state(port, "disabled")
                port.state = "disabled"
                self._set_fdb([f for f in self.fdb if f.port is not port or f.local])
            self.recheck(port)
        self.set_carrier(False)
        for mac in BR_MCAST_MACS:
            self.mc_del(mac)

    # -- the flood tally --------------------------------------------------------------------
    def _inert_path(self, port: BridgePort) -> NetDevice | None:
        """The far device when every inert frame flooded to `port` is only counted (a veth
        whose peer would discard it), else None."""
        dev = port.dev
        if (port.state != "forwarding" or not self.admin_up or dev.port is not port
                or not isinstance(dev, Veth) or type(dev).xmit is not Veth.xmit):
            return None
        peer = dev.peer
        if peer is None or not self.ns.world.inert_receiver(peer):
            return None
        return peer

    def recheck(self, port: BridgePort) -> None:
        """Make `port` passive or not as its cable now allows, settling what it owes first."""
        far = self._inert_path(port)
        if far is port.far:
            return
        if port.far is not None:
            self.settle(port)
            port.dev.ledger = port.far.ledger = None
        port.far = far
        if far is not None:
            port.settled = self.tally
            port.dev.ledger = far.ledger = port
            self._passive.add(port)
            self._eager_set.discard(port)
        else:
            self._passive.discard(port)
            if port.dev.port is port:  # still a port of this bridge
                self._eager_set.add(port)
        self._eager = None

    def settle(self, port: BridgePort) -> None:
        """Add the inert floods `port` was passive for since it last settled to the counters
        of its device (sent) and of the device at the cable's end (received)."""
        far = port.far
        packets, size = self.tally
        done_packets, done_size = port.settled
        if far is None or packets == done_packets:
            return
        port.settled = self.tally
        near, remote = port.dev._counters, far._counters
        near.tx_packets += packets - done_packets
        near.tx_bytes += size - done_size
        remote.rx_packets += packets - done_packets
        remote.rx_bytes += size - done_size

    def _eager_ports(self) -> list[BridgePort]:
        """The ports an inert frame is still carried to, in flood order."""
        if self._eager is None:  # self.ports is newest first: by join order, descending
            self._eager = sorted(self._eager_set, key=lambda p: -p.seq)
        return self._eager

    # -- fdb --------------------------------------------------------------------------------
    def _fdb_insert(self, mac: str, vlan: int, port: BridgePort | None, local: bool) -> None:
        now = self.ns.world.clock.now_ns()
        rec = FdbRecord(mac=mac, vlan=vlan, port=port, local=local, updated=now)
        self.fdb.insert(0, rec)
        self._fdb_at[(mac, vlan)] = rec

    def _set_fdb(self, records: list[FdbRecord]) -> None:
        """Replace the fdb by `records` (what remains after a flush) and re-index it."""
        if len(records) == len(self.fdb):
            return  # nothing was flushed
        self.fdb = records
        self._fdb_at = {}
        for rec in reversed(records):
            self._fdb_at[(rec.mac, rec.vlan)] = rec

    def _learn(self, port: BridgePort, mac: str) -> None:
        """br_fdb_update: learn or move a source address (its list position stays)."""
        if is_multicast(mac):
            return
        rec = self._fdb_at.get((mac, 0))
        if rec is None:
            self._fdb_insert(mac, 0, port, local=False)
        elif not rec.local:
            rec.port = port
            rec.updated = self.ns.world.clock.now_ns()

    def _lookup(self, mac: str) -> FdbRecord | None:
        return self._fdb_at.get((mac, 0))

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
        self._set_fdb([f for f in self.fdb if f.local or now - f.updated < self.ageing_ns])
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
            if rec.port is not None and rec.port is not port and rec.port.state == "forwarding":
                self._xmit_port(rec.port, frame)
            return
        self._flood(frame, exclude=port)

    def _flood(self, frame: Frame, exclude: BridgePort | None) -> None:
        ports = self.ports
        if self._passive and self.ns.world.inert_frame(frame):
            if exclude is not None and exclude.far is not None:
                self.settle(exclude)  # the ingress port gets no copy: it skips this flood
            packets, size = self.tally
            self.tally = (packets + 1, size + frame.size)
            if exclude is not None and exclude.far is not None:
                exclude.settled = self.tally
            ports = self._eager_ports()
        for port in list(ports):
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
