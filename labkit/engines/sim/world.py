"""The simulated machine: namespaces, one virtual clock, one packet backlog, one seeded RNG.

Frames handed to a veth are queued on the backlog (netif_rx) and received in FIFO order, as
one CPU's softirq processes them; the backlog is drained after every timer and every
operation, so the order in which hosts see frames matches the kernel's.
"""

from __future__ import annotations

import random
from collections import deque

from labkit.engines.sim.clock import VirtualClock
from labkit.engines.sim.frames import (
    ETH_P_ARP,
    ETH_P_IP,
    ETH_P_IPV6,
    Frame,
    Ipv6Control,
    is_multicast,
)
from labkit.engines.sim.netdev import NetDevice
from labkit.engines.sim.netns import Namespace
from labkit.engines.sim.printk import KernelLog
from labkit.model.flavours import RECORDED_KERNEL

INERT_KINDS = frozenset({"dad-ns", "mld-report", "unsol-na", "rs"})  # see World.inert_frame


class World:
    """Every namespace of one lab and the time they share."""

    def __init__(self, seed: int = 0, kernel_release: str = RECORDED_KERNEL) -> None:
        self.clock = VirtualClock()
        self.clock.after_each = self.process_backlog
        self.rng = random.Random(seed)
        self.klog = KernelLog(self.clock.now_ns)
        self.kernel_release = kernel_release
        self.bonding_version: str | None = None  # the bonding driver's own version, if any
        self.namespaces: dict[str, Namespace] = {}
        self._backlog: deque[tuple[NetDevice, Frame]] = deque()
        self._linkwatch: list[NetDevice] = []
        self._draining = False
        self.version = 0  # grows with every change (each op and timer ends in process_backlog)

    def add_namespace(self, host: str, netns_name: str) -> Namespace:
        """Create a namespace (its loopback comes with it)."""
        ns = Namespace(self, host, netns_name)
        self.namespaces[host] = ns
        return ns

    def random_mac(self) -> str:
        """eth_random_addr: random, unicast, locally administered."""
        raw = bytearray(self.rng.getrandbits(8) for _ in range(6))
        raw[0] = (raw[0] & 0xFE) | 0x02
        return ":".join(f"{b:02x}" for b in raw)

    # -- linkwatch --------------------------------------------------------------------------
    def linkwatch_fire(self, dev: NetDevice) -> None:
        """Queue a carrier change; operstate and NETDEV_CHANGE follow when the queue runs."""
        if dev not in self._linkwatch:
            self._linkwatch.append(dev)

    def run_linkwatch(self) -> None:
        """linkwatch_event: refresh operstate, then notify, for every queued device."""
        while self._linkwatch:
            dev = self._linkwatch.pop(0)
            if dev.ns.devices.get(dev.ifindex) is not dev:
                continue
            dev.oper = dev.default_operstate()
            dev.ns.netdev_change(dev)

    # -- the receive path -------------------------------------------------------------------
    def netif_rx(self, dev: NetDevice, frame: Frame) -> None:
        """Queue `frame` as received on `dev`; it is processed when the backlog drains."""
        self._backlog.append((dev, frame))

    def process_backlog(self) -> None:
        """Receive every queued frame, including the ones receiving them queues."""
        self.version += 1
        if self._draining:
            return
        self._draining = True
        try:
            while self._backlog or self._linkwatch:
                if self._linkwatch:
                    self.run_linkwatch()
                    continue
                dev, frame = self._backlog.popleft()
                self.netif_receive(dev, frame)
        finally:
            self._draining = False

    def netif_receive(self, dev: NetDevice, frame: Frame) -> None:
        """__netif_receive_skb: the rx handler (bridge, bond) first, then the protocols."""
        if dev.ns.devices.get(dev.ifindex) is not dev or not dev.admin_up:
            return
        while dev.port is not None:
            upper = dev.port.handle_frame(frame)
            if upper is None:
                return
            dev = upper
        self.deliver_local(dev, frame)

    @staticmethod
    def inert_frame(frame: Frame) -> bool:
        """A group-addressed frame that deliver_local acts on nowhere but at a router: the
        IPv6 control traffic of DAD and MLD (nothing in the sim listens), and a router
        solicitation (only a router answers). Keep in step with deliver_local."""
        payload = frame.payload
        return (frame.ethertype == ETH_P_IPV6 and isinstance(payload, Ipv6Control)
                and payload.kind in INERT_KINDS and is_multicast(frame.dst))

    @staticmethod
    def inert_receiver(dev: NetDevice) -> bool:
        """A device on which netif_receive of an inert frame does nothing: registered and up,
        with no rx handler (bond slave, bridge port), and not a router's interface."""
        return (dev.admin_up and dev.port is None and dev.ns.devices.get(dev.ifindex) is dev
                and dev.ifindex not in dev.ns.addrconf.routers)

    def deliver_local(self, dev: NetDevice, frame: Frame) -> None:
        """Hand a frame addressed to this host (or to everyone) to ARP or IPv4."""
        if not is_multicast(frame.dst) and frame.dst != dev.mac:
            return  # PACKET_OTHERHOST: dropped by the protocol handlers
        if frame.ethertype == ETH_P_ARP:
            dev.ns.inet.arp_rcv(dev, frame)
        elif frame.ethertype == ETH_P_IP:
            dev.ns.inet.ip_rcv(dev, frame)
        elif frame.ethertype == ETH_P_IPV6 and isinstance(frame.payload, Ipv6Control):
            if frame.payload.kind == "ra":
                dev.ns.addrconf.ra_rcv(dev, frame.payload)
            elif frame.payload.kind == "rs":
                dev.ns.addrconf.rs_rcv(dev)
