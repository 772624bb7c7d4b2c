"""Device tracking: the kernel's links as NetworkManager's devices, and which profile fits which.

NetworkManager's NMManager side of devices: a link that appears becomes a device (managed or
not, taken over as NetworkManager does: up to see carrier, IPv6 its own), one that vanishes
goes (its activation handed to `on_vanished` first), a software device a profile names is made
unrealized until activation creates it, and a bridge someone else configured is handed to
`on_external` (the daemon generates a connection for it).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import TYPE_CHECKING

from labkit.nm.core import NMCore, NMError
from labkit.nm.objects import Device, DeviceState, SettingsConnection

if TYPE_CHECKING:
    from labkit.model.snapshot import Link


def _nothing(*_args: object) -> None:
    """A hook nobody has set yet."""


class DeviceTracker:
    """The devices one daemon process knows, in the order it learned of them."""

    def __init__(self, core: NMCore) -> None:
        self.core = core
        self.devices: list[Device] = []
        self._counter = 0
        self.on_vanished: Callable[[Device], None] = _nothing
        self.on_external: Callable[[Device, Link], None] = _nothing

    def sync(self) -> None:
        """Catch up with the kernel: new links become devices, vanished ones go."""
        if not self.core.running:
            return
        snap = self.core.kernel.snapshot()
        names = {link.name: link for link in snap.links}
        for dev in list(self.devices):
            if dev.realized and dev.iface not in names:
                self._vanished(dev)
        for link in snap.links:
            if self.device(link.name) is not None:
                continue
            waiting = next((d for d in self.devices if d.iface == link.name
                            and not d.realized), None)
            if waiting is not None:
                waiting.realized = True  # a software device the daemon is creating
            else:
                self._appeared(link)

    def device(self, iface: str) -> Device | None:
        return next((d for d in self.devices if d.iface == iface and d.realized), None)

    def device_any(self, iface: str) -> Device | None:
        """The device called `iface`, realized or still to be created."""
        return next((d for d in self.devices if d.iface == iface), None)

    def realized(self) -> list[Device]:
        self.sync()
        return [d for d in self.devices if d.realized]

    def _appeared(self, link: Link) -> Device:
        kernel = self.core.kernel
        dtype = {"bond": "bond", "bridge": "bridge", "tun": "tun"}.get(link.kind or "", "")
        if not dtype:
            dtype = "loopback" if link.link_type == "loopback" else "ethernet"
        managed = self._is_managed(link.name, dtype)
        self._counter += 1
        dev = Device(self._counter, link.name, dtype, managed=managed,
                     perm_hwaddr=link.address)
        if not managed and self._external_candidate(link, dtype):
            self.devices.append(dev)
            self.on_external(dev, link)
            return dev
        if not managed:
            dev.state = DeviceState.UNMANAGED
        else:
            dev.state = DeviceState.DISCONNECTED if link.has_carrier or dtype == "bond" \
                else DeviceState.UNAVAILABLE
            if dtype == "ethernet":
                # NetworkManager takes the device over: up (to see carrier), IPv6 its own
                kernel.set_addrgenmode(link.name, "none")
                kernel.set_ipv6_sysctl(link.name, "accept_ra", "0")
                if not link.is_up:
                    kernel.up(link.name)
                    dev.state = DeviceState.DISCONNECTED
        self.devices.append(dev)
        return dev

    def _external_candidate(self, link: Link, dtype: str) -> bool:
        """A software device someone else configured (libvirt's bridge with its address):
        NetworkManager shows it with a connection it generates."""
        if dtype != "bridge" or not link.is_up:
            return False
        return bool(self.core.kernel.snapshot().addresses_of(link.name, 4))

    def _is_managed(self, iface: str, dtype: str) -> bool:
        conf = self.core.conf
        if dtype == "loopback" or conf.is_unmanaged(iface):
            return False
        if dtype == "ethernet":
            if self.core.version.plugin == "ifcfg-rh":
                return True
            return any(fnmatch.fnmatchcase(iface, p) for p in conf.managed)
        return False  # software devices someone else made are left alone

    def _vanished(self, dev: Device) -> None:
        if dev.ac is not None:
            self.on_vanished(dev)
        if dev in self.devices:
            self.devices.remove(dev)

    # -- matching profiles and devices ------------------------------------------------------
    @staticmethod
    def compatible(sc: SettingsConnection, dev: Device) -> bool:
        """Can `dev` run the profile (its interface name, type and MAC address)?"""
        profile = sc.profile
        iface = profile.interface_name
        if iface and iface != dev.iface:
            return False
        want = {"802-3-ethernet": "ethernet", "bond": "bond"}.get(profile.type)
        if want != dev.dtype:
            return False
        mac = profile.get("802-3-ethernet", "mac-address") if profile.has_setting(
            "802-3-ethernet") else None
        return not (mac and dev.perm_hwaddr and mac.lower() != dev.perm_hwaddr.lower())

    def device_for(self, sc: SettingsConnection, explain: bool = False) -> Device | None:
        """The device a profile would run on; a software device is made (unrealized) when
        its profile names one that does not exist yet."""
        for dev in self.devices:
            if dev.realized and dev.managed and self.compatible(sc, dev):
                return dev
        if sc.profile.type == "bond" and sc.profile.interface_name:
            found = self.device_any(sc.profile.interface_name)
            if found is not None and not found.realized:
                return found
            self._counter += 1
            made = Device(self._counter, sc.profile.interface_name, "bond",
                          state=DeviceState.DISCONNECTED, realized=False)
            self.devices.append(made)
            return made
        if explain:
            raise NMError("activation", self._no_device_text(sc))
        return None

    def _no_device_text(self, sc: SettingsConnection) -> str:
        iface = sc.profile.interface_name
        unmanaged = next((d for d in self.devices if d.iface == iface and not d.managed), None)
        if unmanaged is not None:
            return (f"No suitable device found for this connection (device {iface} not "
                    "available because device is strictly unmanaged).")
        if iface and self.device(iface) is None:
            return ("No suitable device found for this connection (device "
                    f"{iface} not available because device not found).")
        return "No suitable device found for this connection."
