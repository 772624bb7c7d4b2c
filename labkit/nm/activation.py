"""Activation and deactivation: the stages that put a profile on a device, and take it off.

NetworkManager 1.42's order: a port brings up its master first; stage 1 prepares the device (a
bond made if missing, its options set; a port enslaved); a master reaching it lets its ports
follow; stage 3 (ipconfig.py) configures IP and decides activated or failed. A master going
down takes its ports along and its software device away. The autoconnect policy is told of
every change (`on_change`) and of every failure (`on_failed`, which counts retries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labkit.errors import KernelError
from labkit.nm.core import NMCore, NMError
from labkit.nm.devices import DeviceTracker
from labkit.nm.ipconfig import IPStage
from labkit.nm.objects import (
    AcState,
    ActiveConnection,
    Blocked,
    Device,
    DeviceState,
    Reason,
    SettingsConnection,
)
from labkit.nm.settings import Settings


@dataclass
class PendingActivation:
    """What `nmcli connection up` waits on."""

    ac: ActiveConnection
    failed_reason: Reason | None = None
    done: bool = False


def _nothing(*_args: object) -> None:
    """A hook nobody has set yet."""


class Activator:
    """The active connections of one daemon process and what makes and ends them."""

    def __init__(self, core: NMCore, settings: Settings, devices: DeviceTracker) -> None:
        self.core = core
        self.settings = settings
        self.devices = devices
        self.ip = IPStage(core, devices, self._activated, self._fail)
        self.active: list[ActiveConnection] = []
        self.pending: list[PendingActivation] = []
        self._counter = 0
        self.on_change: Callable[[], None] = _nothing
        self.on_failed: Callable[[SettingsConnection], None] = _nothing

    def new(self, sc: SettingsConnection, dev: Device, master: ActiveConnection | None = None,
            user_requested: bool = False, assumed: bool = False) -> ActiveConnection:
        """An ActiveConnection/N object on `dev`, numbered in the order they were made; an
        assumed one (the device taken as it is) starts activated, not waiting for ports."""
        self._counter += 1
        ac = ActiveConnection(self._counter, sc, dev, master=master,
                              user_requested=user_requested, assumed=assumed)
        if assumed:
            ac.state = AcState.ACTIVATED
            ac.ports_waiting = False
        self.active.append(ac)
        dev.ac = ac
        return ac

    def active_for(self, sc: SettingsConnection) -> list[ActiveConnection]:
        return [a for a in self.active if a.sc is sc]

    def finish_pending(self, reason: Reason) -> None:
        """A stopping process: whatever nmcli waits on ends (failed, unless decided)."""
        for pending in self.pending:
            pending.failed_reason = pending.failed_reason or reason
            pending.done = True

    # ======================================================================================
    # activation
    # ======================================================================================
    def activate(self, sc: SettingsConnection, device: Device | None = None,
                 user: bool = True) -> PendingActivation:
        """ActivateConnection: the device for the profile, its master first if it is a port.

        Returns what nmcli waits on; NMError when no device can take the profile."""
        self.core.require_running()
        self.devices.sync()
        if device is None:
            device = self.devices.device_for(sc, explain=True)
        assert device is not None
        if user:
            sc.blocked &= ~Blocked.USER_REQUEST
            device.autoconnect_allowed = True
        master_ac = None
        if sc.profile.is_port:
            master_sc = self.settings.master_of(sc)
            if master_sc is None:
                raise NMError("activation", "Master connection not found or invalid")
            master_ac = next((a for a in self.active if a.sc is master_sc
                              and a.state <= AcState.ACTIVATED), None)
            if master_ac is None:
                master_dev = self.devices.device_for(master_sc, explain=True)
                assert master_dev is not None
                master_ac = self._begin(master_sc, master_dev, user=False).ac
        return self._begin(sc, device, user=user, master=master_ac)

    def _begin(self, sc: SettingsConnection, device: Device, user: bool,
               master: ActiveConnection | None = None) -> PendingActivation:
        log = self.core.log
        if device.ac is not None:
            self._deactivate(device.ac, Reason.NEW_ACTIVATION, user=False, reactivating=True)
        ac = self.new(sc, device, master=master, user_requested=user)
        device.applied = sc.profile.copy()
        device.state = DeviceState.PREPARE
        device.reason = Reason.NONE
        pending = PendingActivation(ac)
        self.pending.append(pending)
        log("info", f"device ({device.iface}): Activation: starting connection "
                    f"'{sc.id}' ({sc.uuid})")
        if device.dtype == "bond":
            try:
                self._prepare_bond(device, ac)
            except KernelError as exc:  # a kernel without the bonding driver, for one
                log("error", f"platform-linux: do-add-link[{device.iface}/bond]: failure "
                             f"{exc.errno} ({exc.strerror})")
                self._fail(device, ac, Reason.CONFIG_FAILED)
                return pending
            self._activate_ports_of(ac)
        elif sc.profile.is_port and master is not None:
            try:
                self._attach_port(device, master)
            except KernelError as exc:  # a master the kernel cannot enslave to (not a bond)
                log("warn", f"device ({master.device.iface}): Activation: connection "
                            f"'{sc.id}' could not be enslaved: {exc.strerror}")
                self._fail(device, ac, Reason.CONFIG_FAILED)
                return pending
        else:
            self._prepare_ethernet(device)
        self.ip.start(device, ac)
        return pending

    def _prepare_bond(self, dev: Device, ac: ActiveConnection) -> None:
        """act_stage1_prepare: the bond made if missing, taken down, options set, up again."""
        kernel = self.core.kernel
        options = ac.sc.profile.bond_options() if dev.applied is None else \
            dev.applied.bond_options()
        if kernel.link(dev.iface) is None:
            kernel.create_bond(dev.iface, options)
            dev.nm_owned = True
        else:
            kernel.down(dev.iface)
            try:
                kernel.set_bond_options(dev.iface, options)
            except KernelError:  # the kernel refuses some changes while ports are attached
                pass
        dev.realized = True
        kernel.set_bond_sysfs(dev.iface, "primary", options.get("primary", ""))
        assert dev.applied is not None
        self.ip.set_ipv6_mode(dev, dev.applied)
        kernel.up(dev.iface)

    def _prepare_ethernet(self, dev: Device) -> None:
        link = self.core.kernel.link(dev.iface)
        if link is not None and not link.is_up:
            self.core.kernel.up(dev.iface)
        if dev.applied is not None:
            self.ip.set_ipv6_mode(dev, dev.applied)

    def _activate_ports_of(self, master_ac: ActiveConnection) -> None:
        """activate_slave_connections: a master reaching PREPARE unblocks its ports and lets
        autoconnect bring up the ones that want to (autoconnect-slaves=1: all of them)."""
        settings = self.settings
        for sc in settings.connections:
            if settings.master_of(sc) is master_ac.sc:
                sc.blocked &= ~Blocked.FAILED
                if master_ac.user_requested:
                    sc.reset_retries()
        if master_ac.sc.profile.get("connection", "autoconnect-slaves") == 1:
            def all_ports() -> None:
                for sc in sorted(settings.connections,
                                 key=lambda c: c.profile.interface_name or ""):
                    if settings.master_of(sc) is master_ac.sc and master_ac in self.active:
                        dev = self.devices.device_for(sc)
                        if dev is not None and (dev.ac is None or dev.ac.sc is not sc):
                            self._begin(sc, dev, user=False, master=master_ac)
            self.core.later(0.0, all_ports)
        self.on_change()

    def _attach_port(self, dev: Device, master_ac: ActiveConnection) -> None:
        """attach_port: the port down, enslaved to the master's device, up again."""
        kernel = self.core.kernel
        link = kernel.link(dev.iface)
        if link is not None and link.master and link.master != master_ac.device.iface:
            kernel.release(dev.iface)
        if link is None or link.master != master_ac.device.iface:
            kernel.enslave(dev.iface, master_ac.device.iface)
            queue_id = dev.applied.get("bond-port", "queue-id") if dev.applied and \
                dev.applied.has_setting("bond-port") else 0
            kernel.set_bond_sysfs(master_ac.device.iface, "queue_id",
                                  f"{dev.iface}:{queue_id}")

    def _activated(self, dev: Device, ac: ActiveConnection) -> None:
        if dev.ac is not ac or ac.state == AcState.ACTIVATED:
            return
        dev.state = DeviceState.ACTIVATED
        ac.state = AcState.ACTIVATED
        ac.ports_waiting = False
        ac.sc.timestamp = self.core.wall()
        ac.sc.reset_retries()
        self.core.log("info", f"device ({dev.iface}): Activation: successful, device "
                              "activated.")
        for pending in self.pending:
            if pending.ac is ac:
                pending.done = True
        self.pending = [p for p in self.pending if not p.done]

    def _fail(self, dev: Device, ac: ActiveConnection, reason: Reason) -> None:
        """Activation failed: the device goes FAILED then DISCONNECTED; the policy counts it
        against the profile's autoconnect retries."""
        self.core.log("warn", f"device ({dev.iface}): Activation: failed for connection "
                              f"'{ac.sc.id}'")
        for pending in self.pending:
            if pending.ac is ac:
                pending.failed_reason = reason
                pending.done = True
        self.pending = [p for p in self.pending if not p.done]
        self.on_failed(ac.sc)
        self._deactivate(ac, reason, user=False, failed=True)

    # ======================================================================================
    # deactivation
    # ======================================================================================
    def deactivate(self, ac: ActiveConnection) -> None:
        """DeactivateConnection (nmcli connection down): by the user's request."""
        self.core.require_running()
        self._deactivate(ac, Reason.USER_REQUESTED, user=True)
        self.on_change()

    def disconnect(self, dev: Device) -> None:
        """Device.Disconnect: deactivate and keep the device from autoconnecting."""
        self.core.require_running()
        dev.autoconnect_allowed = False
        if dev.ac is not None:
            self._deactivate(dev.ac, Reason.USER_REQUESTED, user=True)
        self.on_change()

    def remove_profile(self, sc: SettingsConnection) -> None:
        """A profile that goes away (deleted, its file gone) stops where it runs."""
        for ac in self.active_for(sc):
            self._deactivate(ac, Reason.CONNECTION_REMOVED, user=False)

    def device_removed(self, dev: Device) -> None:
        """A device that vanished from the kernel: its activation ends, nothing to undo."""
        if dev.ac is not None:
            self._deactivate(dev.ac, Reason.REMOVED, user=False, touch_kernel=False)

    def _deactivate(self, ac: ActiveConnection, reason: Reason, user: bool,
                    failed: bool = False, reactivating: bool = False,
                    touch_kernel: bool = True) -> None:
        dev = ac.device
        if ac not in self.active:
            return
        # ports first: a master takes its ports down with it
        for port_ac in [a for a in self.active if a.master is ac]:
            self._deactivate(port_ac, Reason.DEPENDENCY_FAILED, user=False,
                             touch_kernel=touch_kernel)
        self.active.remove(ac)
        ac.state = AcState.DEACTIVATED
        for timer in dev.pending:
            timer.cancel()  # type: ignore[attr-defined]
        dev.pending.clear()
        for pending in self.pending:
            if pending.ac is ac and not pending.done:
                pending.failed_reason = pending.failed_reason or reason
                pending.done = True
        self.pending = [p for p in self.pending if not p.done]
        if reason == Reason.USER_REQUESTED:
            ac.sc.blocked |= Blocked.USER_REQUEST
        elif reason == Reason.DEPENDENCY_FAILED:
            ac.sc.blocked |= Blocked.FAILED
        if touch_kernel:
            self._unconfigure(dev, ac)
        if dev.ac is ac:
            dev.ac = None
            dev.applied = None
        dev.metric = None
        dev.state = DeviceState.DISCONNECTED
        dev.reason = reason
        self.core.log("info", f"device ({dev.iface}): state change: deactivating -> "
                              f"disconnected (reason '{reason.name.lower().replace('_', '-')}')")
        if dev.nm_owned and dev.is_software and not reactivating and touch_kernel:
            self.core.kernel.delete(dev.iface)
            dev.realized = False
            if dev in self.devices.devices:
                self.devices.devices.remove(dev)
        self.on_change()

    def _unconfigure(self, dev: Device, ac: ActiveConnection) -> None:
        """What deactivation removes: the port from its master, the addresses and routes."""
        kernel = self.core.kernel
        if ac.master is not None:
            link = kernel.link(dev.iface)
            if link is not None and link.master == ac.master.device.iface:
                kernel.release(dev.iface)
        for route in dev.added_routes:
            kernel.del_route(dev.iface, route)
        for cidr in dev.added_v4:
            kernel.del_address(dev.iface, cidr)
        for cidr in dev.added_v6:
            kernel.del_address(dev.iface, cidr)
        dev.added_routes.clear()
        dev.added_v4.clear()
        dev.added_v6.clear()
        if dev.dtype == "ethernet":
            kernel.set_addrgenmode(dev.iface, "none")
            kernel.set_ipv6_sysctl(dev.iface, "accept_ra", "0")
            if self.core.version.kernel_ipv6ll:  # 1.18 flushes what the kernel configured
                for a in kernel.snapshot().addresses_of(dev.iface, 6):
                    kernel.del_address(dev.iface, a.cidr)

    # ======================================================================================
    # reapply
    # ======================================================================================
    def reapply(self, dev: Device) -> None:
        """Device.Reapply: the profile's current values onto the running device."""
        self.core.require_running()
        if dev.ac is None or dev.applied is None:
            raise NMError("not-active", f"Device '{dev.iface}' is not activated")
        kernel = self.core.kernel
        new = dev.ac.sc.profile.copy()
        old = dev.applied
        if dev.dtype == "bond":
            old_opts, new_opts = old.bond_options(), new.bond_options()
            if old_opts.get("mode") != new_opts.get("mode"):
                raise NMError("failed", "Can't reapply changes to 'bond.options.mode' setting")
            for key, value in new_opts.items():
                if old_opts.get(key) != value and key != "mode":
                    kernel.set_bond_sysfs(dev.iface, key, value)
        if not new.is_port:
            metric = dev.metric or self.ip.metric_for(dev, new)
            for route in dev.added_routes:
                kernel.del_route(dev.iface, route)
            dev.added_routes.clear()
            for cidr in list(dev.added_v4):
                if cidr not in new.get("ipv4", "addresses"):
                    kernel.del_address(dev.iface, cidr)
                    dev.added_v4.remove(cidr)
            if new.get("ipv4", "method") == "manual":
                for cidr in new.get("ipv4", "addresses"):
                    if cidr not in dev.added_v4 and kernel.add_address4(dev.iface, cidr):
                        dev.added_v4.append(cidr)
                for cidr in new.get("ipv4", "addresses"):
                    dev.added_routes.append(kernel.add_prefix_route(dev.iface, cidr, metric))
                gateway = new.get("ipv4", "gateway")
                if gateway and not new.get("ipv4", "never-default"):
                    dev.added_routes.append(kernel.add_default_route(dev.iface, gateway,
                                                                     metric))
        dev.applied = new
