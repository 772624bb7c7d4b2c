"""Network devices of the simulated kernel: the common net_device part, loopback and veth.

A device keeps what `struct net_device` keeps (flags, carrier, MAC and how it was assigned,
MTU, upper device, counters, multicast list) and does what the core does on open/close:
qdisc attach, IPv4/IPv6 notifications, carrier propagation. Bridge and bond build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from labkit.engines.sim.frames import Frame

if TYPE_CHECKING:
    from labkit.engines.sim.netns import Namespace

ALL_NODES_MAC = "33:33:00:00:00:01"
ALL_HOSTS_MAC = "01:00:5e:00:00:01"


@dataclass
class Counters:
    """Mutable interface counters (what rtnl_link_stats64 reports)."""

    rx_packets: int = 0
    rx_bytes: int = 0
    rx_dropped: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_dropped: int = 0
    multicast: int = 0

    def count_rx(self, frame: Frame) -> None:
        self.rx_packets += 1
        self.rx_bytes += frame.size

    def count_tx(self, frame: Frame) -> None:
        self.tx_packets += 1
        self.tx_bytes += frame.size


class NetDevice:
    """The part every device shares; subclasses supply kind, xmit and open/close hooks."""

    kind: ClassVar[str | None] = None
    link_type: ClassVar[str] = "ether"
    default_txqlen: ClassVar[int] = 1000
    base_flags: ClassVar[tuple[str, ...]] = ("BROADCAST", "MULTICAST")
    num_queues: ClassVar[int] = 1
    max_mtu: ClassVar[int] = 65535
    min_mtu: ClassVar[int] = 68
    is_lag_or_peer_link: ClassVar[bool] = False
    speed: ClassVar[int | None] = None  # ethtool's link speed (Mbps) a bond reports for it

    def __init__(self, ns: Namespace, name: str, mac: str) -> None:
        self.ns = ns
        self.name = name
        self.mac = mac
        self.addr_assign = "perm"  # perm | random | stolen | set
        self.ifindex = 0
        self.admin_up = False
        self.carrier = True
        self.oper = "UNKNOWN"  # dev->operstate, updated by linkwatch after carrier changes
        self.mtu = 1500
        self.txqlen = self.default_txqlen
        self.ever_opened = False
        self.master: NetDevice | None = None
        self.iff_slave = False
        self.promiscuity = 0
        self.allmulti = 0
        self._counters = Counters()
        self.ledger: Any = None  # the bridge port whose flood tally this device's counters owe
        self.mc_list: list[str] = []
        # the bridge port or bond slave record when enslaved
        self.port: Any = None  # a BridgePort or a bonding Slave
        self.tso_max_size = 524280
        self.gso_max_size = 65536

    # -- the kernel log (netdev_printk: "NAME: text" for a device without a parent bus) ----
    def netdev_info(self, text: str) -> None:
        self.ns.world.klog.printk(6, f"{self.name}: {text}")

    def netdev_warn(self, text: str) -> None:
        self.ns.world.klog.printk(4, f"{self.name}: {text}")

    def netdev_err(self, text: str) -> None:
        self.ns.world.klog.printk(3, f"{self.name}: {text}")

    # -- state the views read --------------------------------------------------------------
    @property
    def counters(self) -> Counters:
        """The device's counters, including what a bridge's flood tally still owes them (the
        frames the bridge flooded to this cable that nothing at its far end acts on)."""
        if self.ledger is not None:
            self.ledger.settle()
        return self._counters

    @property
    def running(self) -> bool:
        """netif_running: administratively up."""
        return self.admin_up

    def operstate(self) -> str:
        """RFC 2863 operational state as ip shows it (DOWN when not running)."""
        return self.oper if self.admin_up else "DOWN"

    def default_operstate(self) -> str:
        """link_watch.c default_operstate: what linkwatch sets after a carrier change."""
        if not self.carrier:
            return "LOWERLAYERDOWN" if self.is_lag_or_peer_link else "DOWN"
        return "UP"

    def iff_flags(self) -> tuple[str, ...]:
        """The IFF_* flags dev_get_flags() reports, by name."""
        flags = list(self.base_flags)
        if self.admin_up:
            flags.append("UP")
            if self.operstate() in ("UP", "UNKNOWN"):
                flags.append("RUNNING")
            if self.carrier:
                flags.append("LOWER_UP")
        if self.iff_slave:
            flags.append("SLAVE")
        return tuple(flags)

    def qdisc(self) -> str:
        """noop until the device has been opened once, then noqueue (IFF_NO_QUEUE devices)."""
        return "noqueue" if self.ever_opened else "noop"

    def link_peer(self) -> NetDevice | None:
        """The device IFLA_LINK points at (the veth peer), or None."""
        return None

    # -- operations ------------------------------------------------------------------------
    def open(self) -> None:
        """dev_open: mark up, attach a qdisc, tell the stacks (NETDEV_UP)."""
        if self.admin_up:
            return
        self.admin_up = True
        self.cable_changed()
        self.ever_opened = True
        self.on_open()
        self.ns.netdev_up(self)

    def close(self) -> None:
        """dev_close: tell the stacks (NETDEV_DOWN), then mark down."""
        if not self.admin_up:
            return
        self.ns.netdev_going_down(self)
        self.admin_up = False
        self.cable_changed()
        self.on_close()
        self.ns.netdev_down(self)

    def cable_changed(self) -> None:
        """Something a bridge's flood tally depends on changed at this device (up/down, rx
        handler, router role): let the bridge port at either end of its cable re-decide."""
        for dev in (self, getattr(self, "peer", None)):
            recheck = getattr(dev.port, "recheck", None) if dev is not None else None
            if recheck is not None:
                recheck()

    def on_open(self) -> None:
        """Driver hook run by open()."""

    def on_close(self) -> None:
        """Driver hook run by close()."""

    def set_carrier(self, on: bool) -> None:
        """netif_carrier_on/off: linkwatch later updates operstate and sends NETDEV_CHANGE."""
        if self.carrier == on:
            return
        self.carrier = on
        self.ns.world.linkwatch_fire(self)

    def set_mac(self, mac: str, assign: str = "set") -> None:
        """dev_set_mac_address: a new address and NETDEV_CHANGEADDR."""
        if mac == self.mac:
            self.addr_assign = assign if assign != "set" else self.addr_assign
            return
        self.mac = mac
        self.addr_assign = assign
        self.ns.netdev_changeaddr(self)

    def mc_add(self, mac: str) -> None:
        """Add a multicast address to the device's filter list (dev_mc_add)."""
        if mac not in self.mc_list:
            self.mc_list.append(mac)

    def mc_del(self, mac: str) -> None:
        """Remove a multicast address from the filter list (dev_mc_del)."""
        if mac in self.mc_list:
            self.mc_list.remove(mac)

    # -- the data path ---------------------------------------------------------------------
    def xmit(self, frame: Frame) -> None:
        """ndo_start_xmit: hand `frame` to the driver."""
        self.counters.tx_dropped += 1

    def unregister(self) -> None:
        """Driver teardown before the namespace forgets the device."""


class Loopback(NetDevice):
    """lo: loops every frame back; operstate UNKNOWN when up (it never reports carrier)."""

    link_type = "loopback"
    base_flags = ("LOOPBACK",)
    min_mtu = 0
    max_mtu = 0

    def __init__(self, ns: Namespace, name: str, mac: str) -> None:
        super().__init__(ns, name, mac)
        self.mtu = 65536

    def default_operstate(self) -> str:
        return "UNKNOWN"

    def xmit(self, frame: Frame) -> None:
        self.counters.count_tx(frame)
        self.counters.count_rx(frame)
        self.ns.world.netif_rx(self, frame)


class Veth(NetDevice):
    """One end of a veth pair: carrier on both ends iff both are up (veth_open/veth_close)."""

    kind: ClassVar[str | None] = "veth"
    is_lag_or_peer_link = True
    num_queues = 2  # veth makes one queue per possible CPU; the reference VM has 2
    speed = 10000

    def __init__(self, ns: Namespace, name: str, mac: str) -> None:
        super().__init__(ns, name, mac)
        self.peer: Veth | None = None
        self.carrier = False
        self.oper = "LOWERLAYERDOWN"

    def link_peer(self) -> NetDevice | None:
        return self.peer

    def on_open(self) -> None:
        if self.peer is not None and self.peer.admin_up:
            self.set_carrier(True)
            self.peer.set_carrier(True)

    def on_close(self) -> None:
        self.set_carrier(False)
        if self.peer is not None:
            self.peer.set_carrier(False)

    def xmit(self, frame: Frame) -> None:
        peer = self.peer
        if peer is None or not peer.admin_up:
            self.counters.tx_dropped += 1
            return
        self.counters.count_tx(frame)
        peer.counters.count_rx(frame)
        self.ns.world.netif_rx(peer, frame)

    def unregister(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            peer.peer = None
            peer.ns.unregister(peer)


class E1000(Veth):
    """A VMware e1000 NIC as its guest sees it: a plain Ethernet device (no kind, no peer link,
    pfifo_fast, 1000 Mbps), whose cable to the switch is the sim's veth underneath."""

    kind = None
    is_lag_or_peer_link = False
    num_queues = 1
    speed = 1000

    def __init__(self, ns: Namespace, name: str, mac: str) -> None:
        super().__init__(ns, name, mac)
        self.oper = "DOWN"

    def link_peer(self) -> NetDevice | None:
        return None  # the guest sees no peer: IFLA_LINK is absent for a physical NIC

    def qdisc(self) -> str:
        return "pfifo_fast" if self.ever_opened else "noop"


class Tap(NetDevice):
    """A tap device nobody has opened (libvirt's virbr0-nic): never has carrier."""

    kind = "tun"

    def __init__(self, ns: Namespace, name: str, mac: str) -> None:
        super().__init__(ns, name, mac)
        self.carrier = False
        self.oper = "DOWN"

    def qdisc(self) -> str:
        return "pfifo_fast" if self.ever_opened else "noop"
