"""The NetworkManager daemon of one lab host: its process, and the parts it is made of.

It keeps NetworkManager's three states apart: the files (storage.py), the profiles it loaded
(settings.py), and what each device runs (devices.py, activation.py, ipconfig.py: the applied
profile plus what it put in the kernel). The autoconnect policy (policy.py) brings profiles up
after every change; a restart leaves devices as they are and assumes them again from the
per-device state the old process left in /run (assume.py). This module starts and stops the
process, wires the parts together, and offers the D-Bus calls nmcli makes. Timers run on the
lab's clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.nm import config as nmconf
from labkit.nm import presentation
from labkit.nm import states as three_states
from labkit.nm.activation import Activator, PendingActivation
from labkit.nm.assume import Assumer, DeviceRecord
from labkit.nm.core import JournalLine, NMCore, NMError
from labkit.nm.devices import DeviceTracker
from labkit.nm.objects import ActiveConnection, Device, Reason, SettingsConnection
from labkit.nm.policy import Policy
from labkit.nm.settings import Settings

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles
    from labkit.model.flavours import NMVersion
    from labkit.nm.profile import Profile
    from labkit.nm.states import States
    from labkit.nm.storage import ProfileStore, StoredProfile
    from labkit.nm.uuids import UuidSource

__all__ = ["CONF_PATH", "DeviceRecord", "JournalLine", "NMError", "NetworkManager",
           "PendingActivation"]

CONF_PATH = "/etc/NetworkManager/NetworkManager.conf"


class NetworkManager(NMCore):
    """One host's NetworkManager."""

    def __init__(self, engine: Engine, host: str, files: LabFiles, version: NMVersion,
                 uuids: UuidSource, epoch: float | None = None) -> None:
        super().__init__(engine, host, files, version, uuids, epoch)
        self.records: dict[int, DeviceRecord] = {}  # what the last process left in /run
        self.pid = 700
        self.started_at = 0.0
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        """A process's state: its parts made afresh and wired to one another."""
        self.conf = nmconf.NMConfig()
        self.settings = Settings(self)
        self.tracker = DeviceTracker(self)
        self.activator = Activator(self, self.settings, self.tracker)
        self.policy = Policy(self, self.settings, self.tracker, self.activator)
        self.assumer = Assumer(self, self.settings, self.tracker, self.activator)
        self.settings.on_remove = self.activator.remove_profile
        self.settings.on_change = self.policy.schedule
        self.tracker.on_vanished = self.activator.device_removed
        self.tracker.on_external = self.assumer.generate_external
        self.activator.on_change = self.policy.schedule
        self.activator.on_failed = self.policy.activation_failed

    # -- what nmcli reads of the parts ------------------------------------------------------
    @property
    def store(self) -> ProfileStore | None:
        return self.settings.store

    @property
    def connections(self) -> list[SettingsConnection]:
        return self.settings.connections

    @property
    def skipped(self) -> list[StoredProfile]:
        return self.settings.skipped

    @property
    def devices(self) -> list[Device]:
        return self.tracker.devices

    @property
    def active(self) -> list[ActiveConnection]:
        return self.activator.active

    @property
    def pending(self) -> list[PendingActivation]:
        return self.activator.pending

    # ======================================================================================
    # lifecycle
    # ======================================================================================
    def start(self) -> None:
        """Start as the unit does: read the configuration and every profile file, take over
        the devices (assuming what the previous process left configured), then autoconnect."""
        if self.running:
            return
        self._reset_runtime()
        self.running = True
        self._generation += 1
        self.started_at = self.now()
        self.pid += 37  # the PIDs the machine handed out in between
        self.log("info", f"NetworkManager (version {self.version.text}) is starting...")
        try:
            text = self.files.read(self.host, CONF_PATH)
        except OSError:
            text = ""
        self.conf = nmconf.parse(text, (self.version.plugin,))
        for warning in self.conf.warnings:
            self.log("warn", warning)
        self.settings.open_store()
        self.log("info", f"Read config: {CONF_PATH}")
        self.settings.scan()
        self.sync()
        self.assumer.assume_devices(self.records)
        self.records = {}
        self.policy.schedule()

    def stop(self) -> None:
        """Stop as SIGTERM does: devices keep their configuration; the state of each managed
        device goes to /run for the next start."""
        if not self.running:
            return
        self.sync()
        records = self.assumer.records()
        self.activator.finish_pending(Reason.UNKNOWN)
        self.log("info", "exiting (success)")
        self.running = False
        self.records = records
        self._reset_runtime()

    def restart(self) -> None:
        self.stop()
        self.start()

    # ======================================================================================
    # settings
    # ======================================================================================
    def find_uuid(self, uuid: str) -> SettingsConnection | None:
        return self.settings.find_uuid(uuid)

    def find_connections(self, key: str, kind: str | None = None) -> list[SettingsConnection]:
        """nmc_find_connection: by id, uuid, D-Bus path (or its number) or filename."""
        return self.settings.find_connections(key, kind)

    def add_connection(self, profile: Profile, save: bool = True) -> SettingsConnection:
        """AddConnection: normalize, verify (ProfileInvalid), write the file, autoconnect."""
        return self.settings.add(profile, save)

    def update_connection(self, sc: SettingsConnection, profile: Profile,
                          save: bool = True) -> None:
        """Update: the new profile replaces the old one in memory and on disk; devices keep
        running what they applied."""
        self.settings.update(sc, profile, save)

    def delete_connection(self, sc: SettingsConnection) -> None:
        """Delete: deactivate where it runs, forget it, remove its file."""
        self.settings.delete(sc)

    def reload(self) -> None:
        """ReloadConnections: re-read every file; devices are not touched."""
        self.settings.reload()

    def load_files(self, paths: list[str]) -> list[str]:
        """LoadConnections: (re)read the named files; the ones that failed are returned."""
        return self.settings.load_files(paths)

    # ======================================================================================
    # devices
    # ======================================================================================
    def sync(self) -> None:
        """Catch up with the kernel: new links become devices, vanished ones go."""
        self.tracker.sync()

    def device(self, iface: str) -> Device | None:
        return self.tracker.device(iface)

    def device_any(self, iface: str) -> Device | None:
        """The device called `iface`, realized or still to be created."""
        return self.tracker.device_any(iface)

    def realized_devices(self) -> list[Device]:
        return self.tracker.realized()

    # ======================================================================================
    # activation, deactivation, reapply, autoconnect
    # ======================================================================================
    def activate(self, sc: SettingsConnection, device: Device | None = None,
                 user: bool = True) -> PendingActivation:
        """ActivateConnection: the device for the profile, its master first if it is a port.

        Returns what nmcli waits on; NMError when no device can take the profile."""
        return self.activator.activate(sc, device, user)

    def deactivate(self, ac: ActiveConnection) -> None:
        """DeactivateConnection (nmcli connection down): by the user's request."""
        self.activator.deactivate(ac)

    def disconnect(self, dev: Device) -> None:
        """Device.Disconnect: deactivate and keep the device from autoconnecting."""
        self.activator.disconnect(dev)

    def reapply(self, dev: Device) -> None:
        """Device.Reapply: the profile's current values onto the running device."""
        self.activator.reapply(dev)

    def autoconnect_pass(self) -> None:
        self.policy.autoconnect_pass()

    def best_connection(self, dev: Device, user: bool = False) -> SettingsConnection | None:
        """The profile `device connect` (user=True) or autoconnect would take on `dev`."""
        return self.policy.best_connection(dev, user)

    # ======================================================================================
    # what nmcli and the lessons read
    # ======================================================================================
    def states(self, name: str) -> States:
        """The three states of profile `name`: file on disk, profile in NM, applied on device
        (labkit.nm.states.States: print it, or .differences(), .frame())."""
        return three_states.states(self, name)

    def active_for(self, sc: SettingsConnection) -> list[ActiveConnection]:
        return self.activator.active_for(sc)

    def state_text(self) -> str:
        """NMState as nmcli general prints it."""
        return presentation.state_text(self.devices, self.kernel)

    def default_ac(self) -> ActiveConnection | None:
        """The activation that holds the best IPv4 default route."""
        return presentation.default_ac(self.active)
