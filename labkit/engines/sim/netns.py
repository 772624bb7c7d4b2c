"""A network namespace of the simulated kernel: its devices, ifindex counter, sysctls, stacks.

The namespace routes the core's netdevice notifications (up, down, carrier change, address
change) to whoever listens: the bridge or bond a device is enslaved to, IPv4 and IPv6.
"""

from __future__ import annotations

from collections.abc import Callable
from errno import EEXIST, ENODEV
from typing import TYPE_CHECKING

from labkit.engines.sim.addrconf import Addrconf
from labkit.engines.sim.inet import Inet
from labkit.engines.sim.netdev import ALL_NODES_MAC, Loopback, NetDevice
from labkit.errors import KernelError

if TYPE_CHECKING:
    from labkit.engines.sim.world import World


class Namespace:
    """One host's network namespace."""

    def __init__(self, world: World, name: str, netns_name: str) -> None:
        self.world = world
        self.name = name
        self.netns_name = netns_name
        self.devices: dict[int, NetDevice] = {}
        self._by_name: dict[str, NetDevice] = {}  # the name index (dev_get_by_name's hash)
        self._last_ifindex = 0
        self.sysctl: dict[str, str] = {"net.ipv6.conf.all.disable_ipv6": "0",
                                       "net.ipv6.conf.default.disable_ipv6": "0"}
        self.nsids: dict[str, int] = {}  # peer namespace name -> nsid allocated here
        self.inet = Inet(self)
        self.addrconf = Addrconf(self)
        self.bonds_loaded = False
        self.link_listeners: list[Callable[[NetDevice], None]] = []
        self.register(Loopback(self, "lo", "00:00:00:00:00:00"))

    # -- registry ---------------------------------------------------------------------------
    def dev_new_index(self) -> int:
        """The kernel's dev_new_index: the next free index after the last one handed out."""
        index = self._last_ifindex
        while True:
            index += 1
            if index not in self.devices:
                self._last_ifindex = index
                return index

    def register(self, dev: NetDevice, ifindex: int | None = None) -> NetDevice:
        """register_netdevice: an index, the namespace's lists, the stacks' per-device state."""
        if self.find(dev.name) is not None:
            raise KernelError(EEXIST)
        dev.ns = self
        dev.ifindex = ifindex if ifindex and ifindex not in self.devices else self.dev_new_index()
        self.devices[dev.ifindex] = dev
        self._by_name[dev.name] = dev
        self.addrconf.dev_registered(dev)
        for listener in self.link_listeners:
            listener(dev)
        return dev

    def unregister(self, dev: NetDevice) -> None:
        """unregister_netdevice: close, let the driver tear down, forget."""
        if self.devices.get(dev.ifindex) is not dev:
            return
        dev.close()
        dev.unregister()
        self.inet.dev_unregistered(dev)
        self.addrconf.dev_unregistered(dev)
        del self.devices[dev.ifindex]
        if self._by_name.get(dev.name) is dev:
            del self._by_name[dev.name]

    def find(self, name: str) -> NetDevice | None:
        """The device called `name`, or None."""
        return self._by_name.get(name)

    def rename(self, dev: NetDevice, new_name: str) -> None:
        """dev_change_name: the device answers to `new_name` only (EEXIST if that is taken)."""
        if self.find(new_name) is not None:
            raise KernelError(EEXIST)
        if self._by_name.get(dev.name) is dev:
            del self._by_name[dev.name]
        dev.name = new_name
        self._by_name[new_name] = dev

    def get(self, name: str) -> NetDevice:
        """The device called `name`; KernelError(ENODEV) otherwise."""
        dev = self.find(name)
        if dev is None:
            raise KernelError(ENODEV)
        return dev

    def by_index(self, ifindex: int) -> NetDevice | None:
        """The device with `ifindex`, or None."""
        return self.devices.get(ifindex)

    def ordered(self) -> list[NetDevice]:
        """Devices in ifindex order (how dumps list them)."""
        return [self.devices[i] for i in sorted(self.devices)]

    def nsid_for(self, other: Namespace) -> int:
        """The id this namespace gives `other` (peernet2id_alloc: first come, first numbered)."""
        if other.netns_name not in self.nsids:
            self.nsids[other.netns_name] = len(self.nsids)
        return self.nsids[other.netns_name]

    def ipv6_disabled(self) -> bool:
        """disable_ipv6 as devices created now inherit it."""
        return self.sysctl["net.ipv6.conf.default.disable_ipv6"] == "1"

    # -- netdevice notifications ------------------------------------------------------------
    def netdev_up(self, dev: NetDevice) -> None:
        """NETDEV_UP."""
        self.inet.dev_up(dev)
        self.addrconf.dev_up(dev)
        self._to_upper("port_up", dev)

    def netdev_going_down(self, dev: NetDevice) -> None:
        """NETDEV_GOING_DOWN: IPv6 forgets its addresses before the device stops."""
        self.addrconf.dev_down(dev)

    def netdev_down(self, dev: NetDevice) -> None:
        """NETDEV_DOWN."""
        self.inet.dev_down(dev)
        self._to_upper("port_down", dev)

    def netdev_change(self, dev: NetDevice) -> None:
        """NETDEV_CHANGE: carrier (and so operstate) changed."""
        self.inet.dev_carrier(dev)
        self.addrconf.dev_carrier(dev)
        self._to_upper("port_carrier", dev)

    def netdev_changeaddr(self, dev: NetDevice) -> None:
        """NETDEV_CHANGEADDR."""
        self._to_upper("port_changeaddr", dev)
        self.inet.dev_changeaddr(dev)

    def _to_upper(self, event: str, dev: NetDevice) -> None:
        master = dev.master
        handler = getattr(master, event, None) if master is not None else None
        if handler is not None:
            handler(dev)

    def join_all_nodes(self, dev: NetDevice) -> None:
        """ipv6_add_dev joins ff02::1 on every new device, IPv6 enabled or not."""
        dev.mc_add(ALL_NODES_MAC)
