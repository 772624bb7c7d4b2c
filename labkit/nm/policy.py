"""The autoconnect policy: which profile comes up on which idle device, and when to try again.

NetworkManager's NMPolicy: after every change one pass (schedule_activate_all) activates the
best profile on each idle device, then the software devices an autoconnect profile would
create; a failed activation costs its profile a retry, and a profile out of retries is blocked
until they come back 300 s later.
"""

from __future__ import annotations

from typing import Any

from labkit.nm.activation import Activator
from labkit.nm.core import NMCore, NMError
from labkit.nm.devices import DeviceTracker
from labkit.nm.objects import RETRIES_RESET_AFTER, Blocked, Device, DeviceState, SettingsConnection
from labkit.nm.settings import Settings


class Policy:
    """Autoconnect for one daemon process."""

    def __init__(self, core: NMCore, settings: Settings, devices: DeviceTracker,
                 activator: Activator) -> None:
        self.core = core
        self.settings = settings
        self.devices = devices
        self.activator = activator
        self._scheduled = False
        self._retry_timer: Any = None

    def schedule(self) -> None:
        """schedule_activate_all: one autoconnect pass once the current operation is over."""
        if self._scheduled or not self.core.running:
            return
        self._scheduled = True

        def run() -> None:
            self._scheduled = False
            self.autoconnect_pass()
        self.core.later(0.0, run)

    def autoconnect_pass(self) -> None:
        """auto_activate_device for every idle device, the realized ones in ifindex order,
        then the software devices a profile would create."""
        if not self.core.running:
            return
        self.devices.sync()
        candidates_for_new: list[SettingsConnection] = []
        for dev in list(self.devices.devices):
            if not dev.managed or dev.ac is not None or not dev.autoconnect_allowed:
                continue
            if dev.state not in (DeviceState.DISCONNECTED,):
                continue
            sc = self.best_connection(dev)
            if sc is not None:
                self._try_activate(sc, dev)
        # software devices that do not exist yet (a bond profile with autoconnect)
        for sc in self.order(self.settings.connections):
            if sc.profile.type == "bond" and self._can_autoconnect(sc) and \
                    not any(a.sc is sc for a in self.activator.active):
                iface = sc.profile.interface_name
                if iface and self.devices.device(iface) is None:
                    candidates_for_new.append(sc)
        for sc in candidates_for_new:
            new_dev = self.devices.device_for(sc)
            if new_dev is not None and new_dev.ac is None:
                self._try_activate(sc, new_dev)

    def _try_activate(self, sc: SettingsConnection, dev: Device) -> None:
        try:
            self.activator.activate(sc, dev, user=False)
        except NMError as exc:
            self.core.log("info", f"policy: connection '{sc.id}' auto-activation failed: {exc}")
            sc.blocked |= Blocked.FAILED

    @staticmethod
    def _can_autoconnect(sc: SettingsConnection) -> bool:
        if not sc.profile.autoconnect or sc.blocked:
            return False
        return sc.retries_left() != 0

    @staticmethod
    def order(conns: list[SettingsConnection]) -> list[SettingsConnection]:
        """nm_settings_connection_cmp_autoconnect_priority: priority, then the most recent."""
        return sorted(conns, key=lambda c: (-int(c.profile.get("connection",
                                                              "autoconnect-priority") or 0),
                                            -c.timestamp, c.number))

    def best_connection(self, dev: Device, user: bool = False) -> SettingsConnection | None:
        """The profile to activate on `dev`: the first compatible, inactive one in autoconnect
        order whose master exists. The policy (user=False) takes only profiles that may
        autoconnect; a user's `device connect` (user=True) takes any."""
        for sc in self.order(self.settings.connections):
            if not user and not self._can_autoconnect(sc):
                continue
            if not self.devices.compatible(sc, dev) or self.activator.active_for(sc):
                continue
            if sc.profile.is_port and self.settings.master_of(sc) is None:
                continue
            return sc
        return None

    # -- retries ----------------------------------------------------------------------------
    def activation_failed(self, sc: SettingsConnection) -> None:
        """A failed activation costs a retry; the last one blocks the profile for 300 s."""
        tries = sc.retries_left()
        if tries > 0:
            sc.retries = tries - 1
            if sc.retries == 0:
                sc.blocked_until = self.core.now() + RETRIES_RESET_AFTER
                self._arm_retry_reset()

    def _arm_retry_reset(self) -> None:
        """reset_connections_retries: profiles out of retries get them back after 300 s."""
        conns = self.settings.connections
        due = [c.blocked_until for c in conns if c.retries == 0 and c.blocked_until]
        if not due:
            return
        when = min(due)
        if self._retry_timer is not None:
            self._retry_timer.cancel()

        def reset() -> None:
            self._retry_timer = None
            for c in self.settings.connections:
                if c.retries == 0 and c.blocked_until and \
                        c.blocked_until <= self.core.now() + 1e-9:
                    c.reset_retries()
            self._arm_retry_reset()
            self.schedule()
        self._retry_timer = self.core.later(max(0.0, when - self.core.now()), reset)
