"""Carrier as NetworkManager 1.42 follows it on a device that is neither a master nor a port.

nm_device_set_carrier and carrier_changed (src/core/devices/nm-device.c): a disconnected
device whose cable is pulled becomes unavailable at once; an activating or activated one keeps
its connection for the carrier wait (6 s, CARRIER_WAIT_TIME_MS) and then loses it, without
blocking the profile; when carrier returns, an unavailable device becomes disconnected, its
profiles get their autoconnect retries back (all blocks lifted but the user's own: nm-policy.c's
reset_autoconnect_all), and autoconnect looks at it again. Masters (bond0) ignore carrier by
default and ports keep their activation ("Slaves don't deactivate when they lose carrier"): a
pulled cable there is the bond's business, not NetworkManager's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labkit.nm.objects import DeviceState, Reason, reason_name

if TYPE_CHECKING:
    from labkit.nm.activation import Activator
    from labkit.nm.core import NMCore
    from labkit.nm.devices import DeviceTracker
    from labkit.nm.objects import Device
    from labkit.nm.policy import Policy

CARRIER_WAIT = 6.0  # s: CARRIER_WAIT_TIME_MS, the device property carrier-wait-timeout's default


class CarrierWatch:
    """One daemon process's reaction to its devices' carrier."""

    def __init__(self, core: NMCore, devices: DeviceTracker, activator: Activator,
                 policy: Policy) -> None:
        self.core = core
        self.devices = devices
        self.activator = activator
        self.policy = policy
        self._deferred: dict[int, Any] = {}  # device number -> the carrier wait's timer

    def changed(self, iface: str, carrier: bool) -> None:
        """The kernel says `iface` has (or lost) carrier."""
        dev = self.devices.device(iface)
        if dev is None or not dev.managed or dev.dtype != "ethernet" or dev.carrier == carrier:
            return
        dev.carrier = carrier
        if carrier:
            self._cancel(dev)
            self.core.log("info", f"device ({iface}): carrier: link connected")
            self._carrier_changed(dev, True)
        elif dev.state <= DeviceState.DISCONNECTED:
            self._carrier_changed(dev, False)
        else:
            self._cancel(dev)
            self._deferred[dev.number] = self.core.later(
                CARRIER_WAIT, lambda: self._wait_over(dev))

    def _wait_over(self, dev: Device) -> None:
        self._deferred.pop(dev.number, None)
        if dev.carrier is False:
            self._carrier_changed(dev, False)

    def _cancel(self, dev: Device) -> None:
        timer = self._deferred.pop(dev.number, None)
        if timer is not None:
            timer.cancel()

    def _enslaved(self, dev: Device) -> bool:
        if dev.ac is not None and dev.ac.master is not None:
            return True
        link = self.core.kernel.link(dev.iface)
        return link is not None and link.master is not None

    def _carrier_changed(self, dev: Device, carrier: bool) -> None:
        if dev.state <= DeviceState.UNMANAGED or (not carrier and self._enslaved(dev)):
            return
        if carrier:
            if dev.state == DeviceState.UNAVAILABLE:
                self._set_state(dev, DeviceState.DISCONNECTED)
                self.policy.carrier_returned(dev)  # the policy's reset_autoconnect_all
            elif dev.state == DeviceState.DISCONNECTED:
                self.policy.schedule()  # nm_device_emit_recheck_auto_activate
            return
        if dev.state == DeviceState.UNAVAILABLE:
            return
        if dev.ac is not None:
            self.activator.carrier_lost(dev)
        else:
            self._set_state(dev, DeviceState.UNAVAILABLE)

    def _set_state(self, dev: Device, state: DeviceState) -> None:
        old = dev.state
        dev.state, dev.reason = state, Reason.CARRIER
        self.core.log("info", f"device ({dev.iface}): state change: {old.name.lower()} -> "
                              f"{state.name.lower()} (reason '{reason_name(Reason.CARRIER)}')")
        self.activator.on_change()
