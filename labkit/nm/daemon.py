"""The NetworkManager daemon of one lab host: settings, devices, activations, autoconnect.

It keeps NetworkManager's three states apart: the files (storage.py), the profiles it loaded
(SettingsConnection), and what each device runs (Device.applied plus what it put in the
kernel). Activation follows NetworkManager 1.42's order: a port brings up its master first, a
master's ports follow through autoconnect, a master going down takes its ports along and its
software device away; DHCP that nobody answers times out and counts against the profile's
autoconnect retries. A restart leaves devices as they are and assumes them again from the
per-device state the old process left in /run. Timers run on the lab's clock.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.errors import KernelError
from labkit.model.macs import eui64_link_local
from labkit.nm import config as nmconf
from labkit.nm.kernel import HostKernel
from labkit.nm.objects import (
    RETRIES_RESET_AFTER,
    AcState,
    ActiveConnection,
    Blocked,
    Device,
    DeviceState,
    Reason,
    SettingsConnection,
)
from labkit.nm.profile import Profile, ProfileInvalid
from labkit.nm.schema import ROUTE_METRICS
from labkit.nm.storage import ProfileStore, StoredProfile

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles
    from labkit.nm.uuids import UuidSource
    from labkit.nm.version import NMVersion

CONF_PATH = "/etc/NetworkManager/NetworkManager.conf"


class NMError(Exception):
    """A D-Bus error the daemon returns: `kind` picks nmcli's exit status, str() the text."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # unknown-connection | not-active | invalid | activation | failed ...


@dataclass
class DeviceRecord:
    """/run/NetworkManager/devices/IFINDEX: what a stopping daemon leaves for the next one."""

    connection_uuid: str | None
    nm_owned: bool


@dataclass
class JournalLine:
    when: float
    level: str
    text: str


@dataclass
class PendingActivation:
    """What `nmcli connection up` waits on."""

    ac: ActiveConnection
    failed_reason: Reason | None = None
    done: bool = False


class NetworkManager:
    """One host's NetworkManager."""

    def __init__(self, engine: Engine, host: str, files: LabFiles, version: NMVersion,
                 uuids: UuidSource, epoch: float | None = None) -> None:
        self.engine = engine
        self.host = host
        self.files = files
        self.version = version
        self.uuids = uuids
        self.kernel = HostKernel(engine, host)
        self.epoch = time.time() if epoch is None else epoch
        self.running = False
        self.journal: list[JournalLine] = []
        self.records: dict[int, DeviceRecord] = {}  # what the last process left in /run
        self.pid = 700
        self.started_at = 0.0
        self._generation = 0  # which process: timers of a stopped one never fire
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self.conf = nmconf.NMConfig()
        self.store: ProfileStore | None = None
        self.connections: list[SettingsConnection] = []
        self.devices: list[Device] = []
        self.active: list[ActiveConnection] = []
        self.skipped: list[StoredProfile] = []
        self._settings_counter = 0
        self._device_counter = 0
        self._ac_counter = 0
        self._autoconnect_scheduled = False
        self._retry_timer: Any = None
        self.pending: list[PendingActivation] = []

    # -- time and logging -------------------------------------------------------------------
    @property
    def clock(self) -> Any:
        return self.engine.clock

    def now(self) -> float:
        return self.clock.now()

    def wall(self) -> int:
        """Epoch seconds in the lab (timestamps of profiles)."""
        return int(self.epoch + self.now())

    def log(self, level: str, text: str) -> None:
        self.journal.append(JournalLine(self.now(), level, text))

    def _later(self, delay: float, fn: Callable[[], None]) -> Any:
        generation = self._generation

        def run() -> None:
            if self.running and self._generation == generation:
                fn()
        return self.clock.call_later(delay, run)

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
        self.store = ProfileStore(self.files, self.host, self.conf.plugins, self.version)
        self.log("info", f"Read config: {CONF_PATH}")
        for stored in self.store.scan():
            self._load_stored(stored)
        self.sync()
        self._assume_devices()
        self.records = {}
        self._schedule_autoconnect()

    def stop(self) -> None:
        """Stop as SIGTERM does: devices keep their configuration; the state of each managed
        device goes to /run for the next start."""
        if not self.running:
            return
        self.sync()
        records: dict[int, DeviceRecord] = {}
        snap = self.kernel.snapshot()
        for dev in self.devices:
            link = snap.find_link(dev.iface)
            if link is None or not dev.managed:
                continue
            uuid = dev.ac.sc.uuid if dev.ac and dev.ac.state == AcState.ACTIVATED else None
            records[link.ifindex] = DeviceRecord(uuid, dev.nm_owned)
        for pending in self.pending:
            pending.failed_reason = pending.failed_reason or Reason.UNKNOWN
            pending.done = True
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
    def _load_stored(self, stored: StoredProfile) -> SettingsConnection | None:
        for warning in stored.warnings:
            self.log("warn", f"{stored.plugin}: {warning}")
        if stored.profile is None:
            self.log("warn", f'{stored.plugin}: load: "{stored.path}": failed to load '
                             f"connection: {stored.error}")
            self.skipped.append(stored)
            return None
        dup = self.find_uuid(stored.profile.uuid)
        if dup is not None:
            self.log("warn", f'{stored.plugin}: load: "{stored.path}": profile '
                             f"{stored.profile.uuid} already loaded from {dup.path}")
            self.skipped.append(stored)
            return None
        self._settings_counter += 1
        sc = SettingsConnection(self._settings_counter, stored.profile, stored.path)
        ts = stored.profile.get("connection", "timestamp")
        sc.timestamp = int(ts or 0)
        self.connections.append(sc)
        return sc

    def find_uuid(self, uuid: str) -> SettingsConnection | None:
        return next((c for c in self.connections if c.uuid == uuid), None)

    def find_connections(self, key: str, kind: str | None = None) -> list[SettingsConnection]:
        """nmc_find_connection: by id, uuid, D-Bus path (or its number) or filename."""
        out = []
        for sc in self.connections:
            if kind in (None, "id") and sc.id == key:
                out.append(sc)
            elif kind in (None, "uuid") and sc.uuid == key:
                out.append(sc)
            elif kind in (None, "path") and (sc.dbus_path == key or (kind == "path" and
                                                                     key == str(sc.number))):
                out.append(sc)
            elif kind in (None, "filename") and sc.path and sc.path == key:
                out.append(sc)
        return out

    def add_connection(self, profile: Profile, save: bool = True) -> SettingsConnection:
        """AddConnection: normalize, verify (ProfileInvalid), write the file, autoconnect."""
        self._require_running()
        profile.normalize(self.version.version)
        profile.verify()
        if self.find_uuid(profile.uuid):
            raise ProfileInvalid(f"connection.uuid: a connection with UUID '{profile.uuid}' "
                                 "already exists")
        path = None
        if save:
            assert self.store is not None
            path = self.store.write(profile, None)
        self._settings_counter += 1
        sc = SettingsConnection(self._settings_counter, profile, path, unsaved=not save)
        self.connections.append(sc)
        self.log("info", f"audit: op=\"connection-add\" uuid=\"{profile.uuid}\" "
                         f"name=\"{profile.id}\" pid=4242 uid=0 result=\"success\"")
        self._schedule_autoconnect()
        return sc

    def update_connection(self, sc: SettingsConnection, profile: Profile,
                          save: bool = True) -> None:
        """Update: the new profile replaces the old one in memory and on disk; devices keep
        running what they applied."""
        self._require_running()
        profile.normalize(self.version.version)
        profile.verify()
        if save:  # written first: a file that cannot be written fails the whole update
            assert self.store is not None
            sc.path = self.store.write(profile, sc.path)
        sc.profile = profile
        if save:
            sc.unsaved = False
        else:
            sc.unsaved = True
        # an update unblocks the profile and restarts its retry count
        sc.reset_retries()
        sc.blocked &= ~Blocked.FAILED
        self._schedule_autoconnect()

    def delete_connection(self, sc: SettingsConnection) -> None:
        """Delete: deactivate where it runs, forget it, remove its file."""
        self._require_running()
        for ac in [a for a in self.active if a.sc is sc]:
            self._deactivate(ac, Reason.CONNECTION_REMOVED, user=False)
        if sc in self.connections:
            self.connections.remove(sc)
        if sc.path and self.store is not None:
            self.store.delete(sc.path)
        self._schedule_autoconnect()

    def reload(self) -> None:
        """ReloadConnections: re-read every file; devices are not touched."""
        self._require_running()
        assert self.store is not None
        self.skipped = []
        seen: set[str] = set()
        for stored in self.store.scan():
            if stored.profile is None:
                self._load_stored(stored)
                continue
            old = next((c for c in self.connections if c.path == stored.path), None) or \
                self.find_uuid(stored.profile.uuid)
            if old is None:
                sc = self._load_stored(stored)
                if sc:
                    seen.add(sc.uuid)
                continue
            for warning in stored.warnings:
                self.log("warn", f"{stored.plugin}: {warning}")
            old.profile = stored.profile
            old.path = stored.path
            seen.add(old.uuid)
        for sc in list(self.connections):
            if sc.path and sc.uuid not in seen and not sc.unsaved:
                for ac in [a for a in self.active if a.sc is sc]:
                    self._deactivate(ac, Reason.CONNECTION_REMOVED, user=False)
                self.connections.remove(sc)
        self._schedule_autoconnect()

    def load_files(self, paths: list[str]) -> list[str]:
        """LoadConnections: (re)read the named files; the ones that failed are returned."""
        self._require_running()
        assert self.store is not None
        failed = []
        for path in paths:
            if not self.files.exists(self.host, path):
                # a file that is gone: its profile goes too (no failure)
                for sc in [c for c in self.connections if c.path == path]:
                    for ac in self.active_for(sc):
                        self._deactivate(ac, Reason.CONNECTION_REMOVED, user=False)
                    self.connections.remove(sc)
                continue
            stored = self.store.read(path)
            if stored.profile is None:
                self._load_stored(stored)
                failed.append(path)
                continue
            old = next((c for c in self.connections if c.path == path), None) or \
                self.find_uuid(stored.profile.uuid)
            if old is None:
                self._load_stored(stored)
            else:
                old.profile = stored.profile
                old.path = path
        self._schedule_autoconnect()
        return failed

    def _require_running(self) -> None:
        if not self.running:
            raise NMError("not-running", "NetworkManager is not running.")

    # ======================================================================================
    # devices
    # ======================================================================================
    def sync(self) -> None:
        """Catch up with the kernel: new links become devices, vanished ones go."""
        if not self.running:
            return
        snap = self.kernel.snapshot()
        names = {link.name: link for link in snap.links}
        for dev in list(self.devices):
            if dev.realized and dev.iface not in names:
                self._device_vanished(dev)
        for link in snap.links:
            if self.device(link.name) is not None:
                continue
            waiting = next((d for d in self.devices if d.iface == link.name
                            and not d.realized), None)
            if waiting is not None:
                waiting.realized = True  # a software device the daemon is creating
            else:
                self._device_appeared(link)

    def device(self, iface: str) -> Device | None:
        return next((d for d in self.devices if d.iface == iface and d.realized), None)

    def device_any(self, iface: str) -> Device | None:
        """The device called `iface`, realized or still to be created."""
        return next((d for d in self.devices if d.iface == iface), None)

    def _device_appeared(self, link: Any) -> Device:
        dtype = {"bond": "bond", "bridge": "bridge", "tun": "tun"}.get(link.kind or "", "")
        if not dtype:
            dtype = "loopback" if link.link_type == "loopback" else "ethernet"
        managed = self._is_managed(link.name, dtype)
        self._device_counter += 1
        dev = Device(self._device_counter, link.name, dtype, managed=managed,
                     perm_hwaddr=link.address)
        if not managed and self._external_candidate(link, dtype):
            self.devices.append(dev)
            self._generate_external(dev, link)
            return dev
        if not managed:
            dev.state = DeviceState.UNMANAGED
        else:
            dev.state = DeviceState.DISCONNECTED if link.has_carrier or dtype == "bond" \
                else DeviceState.UNAVAILABLE
            if dtype == "ethernet":
                # NetworkManager takes the device over: up (to see carrier), IPv6 its own
                self.kernel.set_addrgenmode(link.name, "none")
                self.kernel.set_ipv6_sysctl(link.name, "accept_ra", "0")
                if not link.is_up:
                    self.kernel.up(link.name)
                    dev.state = DeviceState.DISCONNECTED
        self.devices.append(dev)
        return dev

    def _external_candidate(self, link: Any, dtype: str) -> bool:
        """A software device someone else configured (libvirt's bridge with its address):
        NetworkManager shows it with a connection it generates."""
        if dtype != "bridge" or not link.is_up:
            return False
        return bool(self.kernel.snapshot().addresses_of(link.name, 4))

    def _generate_external(self, dev: Device, link: Any) -> None:
        """An in-memory profile named after the device (a new UUID each time the daemon
        starts) and an activation that takes the device as it is."""
        snap = self.kernel.snapshot()
        p = Profile()
        p.set("connection", "id", link.name)
        p.set("connection", "uuid", self.uuids.new(f"external:{link.name}"))
        p.set("connection", "type", dev.dtype)
        p.set("connection", "interface-name", link.name)
        p.add_setting(dev.dtype)
        p.set("ipv4", "method", "manual")
        p.set("ipv4", "addresses", tuple(a.cidr for a in snap.addresses_of(link.name, 4)))
        p.set("ipv6", "method", "ignore")
        p.add_setting("proxy")
        self._settings_counter += 1
        sc = SettingsConnection(self._settings_counter, p, None, unsaved=True, external=True)
        self.connections.append(sc)
        dev.managed = True
        self._ac_counter += 1
        ac = ActiveConnection(self._ac_counter, sc, dev, state=AcState.ACTIVATED,
                              assumed=True, ports_waiting=False)
        self.active.append(ac)
        dev.ac = ac
        dev.applied = p.copy()
        dev.state = DeviceState.ACTIVATED
        dev.external = True

    def _is_managed(self, iface: str, dtype: str) -> bool:
        if dtype == "loopback" or self.conf.is_unmanaged(iface):
            return False
        if dtype == "ethernet":
            import fnmatch

            if self.version.plugin == "ifcfg-rh":
                return True
            return any(fnmatch.fnmatchcase(iface, p) for p in self.conf.managed)
        return False  # software devices someone else made are left alone

    def _device_vanished(self, dev: Device) -> None:
        if dev.ac is not None:
            self._deactivate(dev.ac, Reason.REMOVED, user=False, touch_kernel=False)
        if dev in self.devices:
            self.devices.remove(dev)

    def realized_devices(self) -> list[Device]:
        self.sync()
        return [d for d in self.devices if d.realized]

    # ======================================================================================
    # activation
    # ======================================================================================
    def activate(self, sc: SettingsConnection, device: Device | None = None,
                 user: bool = True) -> PendingActivation:
        """ActivateConnection: the device for the profile, its master first if it is a port.

        Returns what nmcli waits on; NMError when no device can take the profile."""
        self._require_running()
        self.sync()
        if device is None:
            device = self._device_for(sc, explain=True)
        assert device is not None
        if user:
            sc.blocked &= ~Blocked.USER_REQUEST
            device.autoconnect_allowed = True
        master_ac = None
        if sc.profile.is_port:
            master_sc = self._master_of(sc)
            if master_sc is None:
                raise NMError("activation", "Master connection not found or invalid")
            master_ac = next((a for a in self.active if a.sc is master_sc
                              and a.state <= AcState.ACTIVATED), None)
            if master_ac is None:
                master_dev = self._device_for(master_sc, explain=True)
                assert master_dev is not None
                master_ac = self._begin(master_sc, master_dev, user=False).ac
        pending = self._begin(sc, device, user=user, master=master_ac)
        return pending

    def _begin(self, sc: SettingsConnection, device: Device, user: bool,
               master: ActiveConnection | None = None) -> PendingActivation:
        if device.ac is not None:
            self._deactivate(device.ac, Reason.NEW_ACTIVATION, user=False, reactivating=True)
        self._ac_counter += 1
        ac = ActiveConnection(self._ac_counter, sc, device, master=master, user_requested=user)
        self.active.append(ac)
        device.ac = ac
        device.applied = sc.profile.copy()
        device.state = DeviceState.PREPARE
        device.reason = Reason.NONE
        pending = PendingActivation(ac)
        self.pending.append(pending)
        self.log("info", f"device ({device.iface}): Activation: starting connection "
                         f"'{sc.id}' ({sc.uuid})")
        if device.dtype == "bond":
            try:
                self._prepare_bond(device, ac)
            except KernelError as exc:  # a kernel without the bonding driver, for one
                self.log("error", f"platform-linux: do-add-link[{device.iface}/bond]: failure "
                                  f"{exc.errno} ({exc.strerror})")
                self._fail(device, ac, Reason.CONFIG_FAILED)
                return pending
            self._activate_ports_of(ac)
        elif sc.profile.is_port and master is not None:
            try:
                self._attach_port(device, master)
            except KernelError as exc:  # a master the kernel cannot enslave to (not a bond)
                self.log("warn", f"device ({master.device.iface}): Activation: connection "
                                 f"'{sc.id}' could not be enslaved: {exc.strerror}")
                self._fail(device, ac, Reason.CONFIG_FAILED)
                return pending
        else:
            self._prepare_ethernet(device)
        self._ip_config(device, ac)
        return pending

    def _prepare_bond(self, dev: Device, ac: ActiveConnection) -> None:
        """act_stage1_prepare: the bond made if missing, taken down, options set, up again."""
        options = ac.sc.profile.bond_options() if dev.applied is None else \
            dev.applied.bond_options()
        if self.kernel.link(dev.iface) is None:
            self.kernel.create_bond(dev.iface, options)
            dev.nm_owned = True
        else:
            self.kernel.down(dev.iface)
            try:
                self.kernel.set_bond_options(dev.iface, options)
            except KernelError:  # the kernel refuses some changes while ports are attached
                pass
        dev.realized = True
        self.kernel.set_bond_sysfs(dev.iface, "primary", options.get("primary", ""))
        assert dev.applied is not None
        self._set_ipv6_mode(dev, dev.applied)
        self.kernel.up(dev.iface)

    def _prepare_ethernet(self, dev: Device) -> None:
        link = self.kernel.link(dev.iface)
        if link is not None and not link.is_up:
            self.kernel.up(dev.iface)
        if dev.applied is not None:
            self._set_ipv6_mode(dev, dev.applied)

    def _kernel_ipv6(self, profile: Profile) -> bool:
        """Does the kernel do this profile's IPv6 (link-local, SLAAC)? For `ignore` always;
        for `auto` with EUI-64 addresses on 1.18, which leaves that to the kernel."""
        method = profile.get("ipv6", "method") if profile.has_setting("ipv6") else None
        if method == "ignore":
            return True
        return bool(self.version.kernel_ipv6ll and method == "auto"
                    and profile.get("ipv6", "addr-gen-mode") == "eui64")

    def _set_ipv6_mode(self, dev: Device, profile: Profile) -> None:
        """IPv6 `ignore` leaves the kernel to make its link-local; every other method has
        NetworkManager make it (the kernel's generation switched off)."""
        if profile.is_port:
            return
        kernel = self._kernel_ipv6(profile)
        snap = self.kernel.snapshot()  # the sysctls below change no address
        link = snap.find_link(dev.iface)
        self.kernel.set_addrgenmode(dev.iface, "eui64" if kernel else "none")
        self.kernel.set_ipv6_sysctl(dev.iface, "accept_ra", "1" if kernel else "0")
        if kernel and link is not None and link.is_up and dev.dtype == "ethernet" and \
                not snap.addresses_of(dev.iface, 6):
            # addrconf only makes a link-local on the next up: NetworkManager toggles IPv6
            self.kernel.set_ipv6_sysctl(dev.iface, "disable_ipv6", "1")
            self.kernel.set_ipv6_sysctl(dev.iface, "disable_ipv6", "0")

    def _activate_ports_of(self, master_ac: ActiveConnection) -> None:
        """activate_slave_connections: a master reaching PREPARE unblocks its ports and lets
        autoconnect bring up the ones that want to (autoconnect-slaves=1: all of them)."""
        for sc in self.connections:
            if self._master_of(sc) is master_ac.sc:
                sc.blocked &= ~Blocked.FAILED
                if master_ac.user_requested:
                    sc.reset_retries()
        if master_ac.sc.profile.get("connection", "autoconnect-slaves") == 1:
            def all_ports() -> None:
                for sc in sorted(self.connections, key=lambda c: c.profile.interface_name or ""):
                    if self._master_of(sc) is master_ac.sc and master_ac in self.active:
                        dev = self._device_for(sc)
                        if dev is not None and (dev.ac is None or dev.ac.sc is not sc):
                            self._begin(sc, dev, user=False, master=master_ac)
            self._later(0.0, all_ports)
        self._schedule_autoconnect()

    def _attach_port(self, dev: Device, master_ac: ActiveConnection) -> None:
        """attach_port: the port down, enslaved to the master's device, up again."""
        link = self.kernel.link(dev.iface)
        if link is not None and link.master and link.master != master_ac.device.iface:
            self.kernel.release(dev.iface)
        if link is None or link.master != master_ac.device.iface:
            self.kernel.enslave(dev.iface, master_ac.device.iface)
            queue_id = dev.applied.get("bond-port", "queue-id") if dev.applied and \
                dev.applied.has_setting("bond-port") else 0
            self.kernel.set_bond_sysfs(master_ac.device.iface, "queue_id",
                                       f"{dev.iface}:{queue_id}")

    def _ip_config(self, dev: Device, ac: ActiveConnection) -> None:
        """Stage 3: addresses and routes for static methods now; DHCP and RA wait on their
        timeouts (nobody answers in the lab); the result decides activated or failed."""
        profile = dev.applied
        assert profile is not None
        dev.state = DeviceState.IP_CONFIG
        if profile.is_port:
            self._activated(dev, ac)
            return
        results: dict[str, str] = {}  # family -> ok | pending | failed | ignored
        metric = self._metric_for(dev, profile)
        v4 = profile.get("ipv4", "method") if profile.has_setting("ipv4") else "disabled"
        if v4 == "manual":
            self._apply_ipv4(dev, profile, metric)
            results["ipv4"] = "ok"
        elif v4 == "auto":
            results["ipv4"] = "pending"
        else:
            results["ipv4"] = "ignored"
        v6 = profile.get("ipv6", "method") if profile.has_setting("ipv6") else "ignore"
        if v6 in ("ignore", "disabled"):
            results["ipv6"] = "ignored"
        elif self._kernel_ipv6(profile):
            results["ipv6"] = "pending"
        else:
            self._add_link_local(dev, profile)
            results["ipv6"] = "ok" if v6 in ("link-local", "manual") else "pending"
        link = self.kernel.link(dev.iface)
        has_carrier = link is not None and link.has_carrier
        waits_carrier = dev.dtype == "bond" and not has_carrier and "pending" in results.values()
        if waits_carrier:
            return  # DHCP/RA on a master starts when a port brings carrier
        self._settle_ip(dev, ac, results)

    def _settle_ip(self, dev: Device, ac: ActiveConnection, results: dict[str, str]) -> None:
        profile = dev.applied
        assert profile is not None
        ok = [f for f, r in results.items() if r == "ok"]
        pending = [f for f, r in results.items() if r == "pending"]
        may_fail = {f: bool(profile.get(f, "may-fail")) for f in ("ipv4", "ipv6")
                    if profile.has_setting(f)}
        required_pending = [f for f in pending if not may_fail.get(f, True)]
        if dev.dtype == "bond":
            # a master reports "waiting for ports" while its IP configuration completes
            self._later(0.0, lambda: self._finish_master(dev, ac, results))
            return
        if (ok or not pending) and not required_pending:
            self._activated(dev, ac)
            for family in pending:
                self._start_timeout(dev, ac, family, lambda: None)
            return
        for family in pending:
            self._start_timeout(dev, ac, family, self._on_timeout(dev, ac, results, family))

    def _on_timeout(self, dev: Device, ac: ActiveConnection, results: dict[str, str],
                    family: str) -> Callable[[], None]:
        return lambda: self._ip_timed_out(dev, ac, results, family)

    def _finish_master(self, dev: Device, ac: ActiveConnection, results: dict[str, str]
                       ) -> None:
        if dev.ac is not ac:
            return
        pending = [f for f, r in results.items() if r == "pending"]
        if "ok" in results.values() or not pending:
            self._activated(dev, ac)
        for family in pending:
            self._start_timeout(dev, ac, family, self._on_timeout(dev, ac, results, family))

    def _start_timeout(self, dev: Device, ac: ActiveConnection, family: str,
                       then: Callable[[], None]) -> None:
        profile = dev.applied
        assert profile is not None
        if family == "ipv4":
            own = int(profile.get("ipv4", "dhcp-timeout") or 0)
            timeout = own if own > 0 else self.conf.dhcp_timeout()
        else:
            own = int(profile.get("ipv6", "ra-timeout") or 0)
            timeout = own if own > 0 else self.conf.ra_timeout()

        def expire() -> None:
            if dev.ac is not ac:
                return
            self.log("info", f"device ({dev.iface}): {'DHCPv4' if family == 'ipv4' else 'RA'}"
                             " timed out")
            then()
        dev.pending.append(self._later(timeout, expire))

    def _ip_timed_out(self, dev: Device, ac: ActiveConnection, results: dict[str, str],
                      family: str) -> None:
        results[family] = "failed"
        if "pending" in results.values():
            return
        if "ok" in results.values():
            if ac.state != AcState.ACTIVATED:
                self._activated(dev, ac)
            return
        self._fail(dev, ac, Reason.IP_CONFIG_UNAVAILABLE)

    def _apply_ipv4(self, dev: Device, profile: Profile, metric: int) -> None:
        for cidr in profile.get("ipv4", "addresses"):
            if self.kernel.add_address4(dev.iface, cidr):
                dev.added_v4.append(cidr)
            dev.added_routes.append(self.kernel.add_prefix_route(dev.iface, cidr, metric))
        gateway = profile.get("ipv4", "gateway")
        if gateway and not profile.get("ipv4", "never-default"):
            dev.added_routes.append(self.kernel.add_default_route(dev.iface, gateway, metric))

    def _add_link_local(self, dev: Device, profile: Profile) -> None:
        link = self.kernel.link(dev.iface)
        if link is None:
            return
        mode = profile.get("ipv6", "addr-gen-mode")
        ll = _link_local(link.address, dev.iface, mode)
        cidr = f"{ll}/64"
        if self.kernel.add_address6(dev.iface, cidr):
            dev.added_v6.append(cidr)

    def _metric_for(self, dev: Device, profile: Profile) -> int:
        """The route metric: the profile's, else the device type's default, moved past the
        ones other active devices already use (route-metric-default-effective)."""
        own = int(profile.get("ipv4", "route-metric")) if profile.has_setting("ipv4") else -1
        if own >= 0:
            return own
        metric = ROUTE_METRICS.get(profile.type, 100)
        used = {d.metric for d in self.devices if d is not dev and d.ac is not None}
        while metric in used:
            metric += 1
        dev.metric = metric
        return metric

    def _activated(self, dev: Device, ac: ActiveConnection) -> None:
        if dev.ac is not ac or ac.state == AcState.ACTIVATED:
            return
        dev.state = DeviceState.ACTIVATED
        ac.state = AcState.ACTIVATED
        ac.ports_waiting = False
        ac.sc.timestamp = self.wall()
        ac.sc.reset_retries()
        self.log("info", f"device ({dev.iface}): Activation: successful, device activated.")
        for pending in self.pending:
            if pending.ac is ac:
                pending.done = True
        self.pending = [p for p in self.pending if not p.done]

    def _fail(self, dev: Device, ac: ActiveConnection, reason: Reason) -> None:
        """Activation failed: the device goes FAILED then DISCONNECTED; the profile loses an
        autoconnect retry (and is blocked for five minutes when none is left)."""
        self.log("warn", f"device ({dev.iface}): Activation: failed for connection "
                         f"'{ac.sc.id}'")
        for pending in self.pending:
            if pending.ac is ac:
                pending.failed_reason = reason
                pending.done = True
        self.pending = [p for p in self.pending if not p.done]
        sc = ac.sc
        tries = sc.retries_left()
        if tries > 0:
            sc.retries = tries - 1
            if sc.retries == 0:
                sc.blocked_until = self.now() + RETRIES_RESET_AFTER
                self._arm_retry_reset()
        self._deactivate(ac, reason, user=False, failed=True)

    def _arm_retry_reset(self) -> None:
        """reset_connections_retries: profiles out of retries get them back after 300 s."""
        due = [c.blocked_until for c in self.connections if c.retries == 0 and c.blocked_until]
        if not due:
            return
        when = min(due)
        if self._retry_timer is not None:
            self._retry_timer.cancel()

        def reset() -> None:
            self._retry_timer = None
            for c in self.connections:
                if c.retries == 0 and c.blocked_until and c.blocked_until <= self.now() + 1e-9:
                    c.reset_retries()
            self._arm_retry_reset()
            self._schedule_autoconnect()
        self._retry_timer = self._later(max(0.0, when - self.now()), reset)

    # ======================================================================================
    # deactivation
    # ======================================================================================
    def deactivate(self, ac: ActiveConnection) -> None:
        """DeactivateConnection (nmcli connection down): by the user's request."""
        self._require_running()
        self._deactivate(ac, Reason.USER_REQUESTED, user=True)
        self._schedule_autoconnect()

    def disconnect(self, dev: Device) -> None:
        """Device.Disconnect: deactivate and keep the device from autoconnecting."""
        self._require_running()
        dev.autoconnect_allowed = False
        if dev.ac is not None:
            self._deactivate(dev.ac, Reason.USER_REQUESTED, user=True)
        self._schedule_autoconnect()

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
            self._unconfigure(dev, ac, reactivating)
        if dev.ac is ac:
            dev.ac = None
            dev.applied = None
        dev.metric = None
        dev.state = DeviceState.DISCONNECTED
        dev.reason = reason
        self.log("info", f"device ({dev.iface}): state change: deactivating -> disconnected "
                         f"(reason '{reason.name.lower().replace('_', '-')}')")
        if dev.nm_owned and dev.is_software and not reactivating and touch_kernel:
            self.kernel.delete(dev.iface)
            dev.realized = False
            if dev in self.devices:
                self.devices.remove(dev)
        self._schedule_autoconnect()

    def _unconfigure(self, dev: Device, ac: ActiveConnection, reactivating: bool) -> None:
        """What deactivation removes: the port from its master, the addresses and routes."""
        if ac.master is not None:
            link = self.kernel.link(dev.iface)
            if link is not None and link.master == ac.master.device.iface:
                self.kernel.release(dev.iface)
        for route in dev.added_routes:
            self.kernel.del_route(dev.iface, route)
        for cidr in dev.added_v4:
            self.kernel.del_address(dev.iface, cidr)
        for cidr in dev.added_v6:
            self.kernel.del_address(dev.iface, cidr)
        dev.added_routes.clear()
        dev.added_v4.clear()
        dev.added_v6.clear()
        if dev.dtype == "ethernet":
            self.kernel.set_addrgenmode(dev.iface, "none")
            self.kernel.set_ipv6_sysctl(dev.iface, "accept_ra", "0")
            if self.version.kernel_ipv6ll:  # 1.18 flushes what the kernel configured
                for a in self.kernel.snapshot().addresses_of(dev.iface, 6):
                    self.kernel.del_address(dev.iface, a.cidr)

    # ======================================================================================
    # reapply
    # ======================================================================================
    def reapply(self, dev: Device) -> None:
        """Device.Reapply: the profile's current values onto the running device."""
        self._require_running()
        if dev.ac is None or dev.applied is None:
            raise NMError("not-active", f"Device '{dev.iface}' is not activated")
        new = dev.ac.sc.profile.copy()
        old = dev.applied
        if dev.dtype == "bond":
            old_opts, new_opts = old.bond_options(), new.bond_options()
            if old_opts.get("mode") != new_opts.get("mode"):
                raise NMError("failed", "Can't reapply changes to 'bond.options.mode' setting")
            for key, value in new_opts.items():
                if old_opts.get(key) != value and key != "mode":
                    self.kernel.set_bond_sysfs(dev.iface, key, value)
        if not new.is_port:
            metric = dev.metric or self._metric_for(dev, new)
            for route in dev.added_routes:
                self.kernel.del_route(dev.iface, route)
            dev.added_routes.clear()
            for cidr in list(dev.added_v4):
                if cidr not in new.get("ipv4", "addresses"):
                    self.kernel.del_address(dev.iface, cidr)
                    dev.added_v4.remove(cidr)
            if new.get("ipv4", "method") == "manual":
                for cidr in new.get("ipv4", "addresses"):
                    if cidr not in dev.added_v4 and self.kernel.add_address4(dev.iface, cidr):
                        dev.added_v4.append(cidr)
                for cidr in new.get("ipv4", "addresses"):
                    dev.added_routes.append(self.kernel.add_prefix_route(dev.iface, cidr,
                                                                         metric))
                gateway = new.get("ipv4", "gateway")
                if gateway and not new.get("ipv4", "never-default"):
                    dev.added_routes.append(self.kernel.add_default_route(dev.iface, gateway,
                                                                          metric))
        dev.applied = new

    # ======================================================================================
    # autoconnect
    # ======================================================================================
    def _schedule_autoconnect(self) -> None:
        """schedule_activate_all: one autoconnect pass once the current operation is over."""
        if self._autoconnect_scheduled or not self.running:
            return
        self._autoconnect_scheduled = True

        def run() -> None:
            self._autoconnect_scheduled = False
            self.autoconnect_pass()
        self._later(0.0, run)

    def autoconnect_pass(self) -> None:
        """auto_activate_device for every idle device, the realized ones in ifindex order,
        then the software devices a profile would create."""
        if not self.running:
            return
        self.sync()
        candidates_for_new: list[SettingsConnection] = []
        for dev in list(self.devices):
            if not dev.managed or dev.ac is not None or not dev.autoconnect_allowed:
                continue
            if dev.state not in (DeviceState.DISCONNECTED,):
                continue
            sc = self.best_connection(dev)
            if sc is not None:
                self._try_activate(sc, dev)
        # software devices that do not exist yet (a bond profile with autoconnect)
        for sc in self._autoconnect_order(self.connections):
            if sc.profile.type == "bond" and self._can_autoconnect(sc) and \
                    not any(a.sc is sc for a in self.active):
                iface = sc.profile.interface_name
                if iface and self.device(iface) is None:
                    candidates_for_new.append(sc)
        for sc in candidates_for_new:
            dev = self._device_for(sc)
            if dev is not None and dev.ac is None:
                self._try_activate(sc, dev)

    def _try_activate(self, sc: SettingsConnection, dev: Device) -> None:
        try:
            self.activate(sc, dev, user=False)
        except NMError as exc:
            self.log("info", f"policy: connection '{sc.id}' auto-activation failed: {exc}")
            sc.blocked |= Blocked.FAILED

    def _can_autoconnect(self, sc: SettingsConnection) -> bool:
        if not sc.profile.autoconnect or sc.blocked:
            return False
        return sc.retries_left() != 0

    @staticmethod
    def _autoconnect_order(conns: list[SettingsConnection]) -> list[SettingsConnection]:
        """nm_settings_connection_cmp_autoconnect_priority: priority, then the most recent."""
        return sorted(conns, key=lambda c: (-int(c.profile.get("connection",
                                                              "autoconnect-priority") or 0),
                                            -c.timestamp, c.number))

    def best_connection(self, dev: Device, user: bool = False) -> SettingsConnection | None:
        """The profile to activate on `dev`: the first compatible, inactive one in autoconnect
        order whose master exists. The policy (user=False) takes only profiles that may
        autoconnect; a user's `device connect` (user=True) takes any."""
        for sc in self._autoconnect_order(self.connections):
            if not user and not self._can_autoconnect(sc):
                continue
            if not self._compatible(sc, dev) or self.active_for(sc):
                continue
            if sc.profile.is_port and self._master_of(sc) is None:
                continue
            return sc
        return None

    # ======================================================================================
    # matching
    # ======================================================================================
    def _compatible(self, sc: SettingsConnection, dev: Device) -> bool:
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

    def _device_for(self, sc: SettingsConnection, explain: bool = False) -> Device | None:
        """The device a profile would run on; a software device is made (unrealized) when
        its profile names one that does not exist yet."""
        for dev in self.devices:
            if dev.realized and dev.managed and self._compatible(sc, dev):
                return dev
        if sc.profile.type == "bond" and sc.profile.interface_name:
            dev = self.device_any(sc.profile.interface_name)
            if dev is not None and not dev.realized:
                return dev
            self._device_counter += 1
            dev = Device(self._device_counter, sc.profile.interface_name, "bond",
                         state=DeviceState.DISCONNECTED, realized=False)
            self.devices.append(dev)
            return dev
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

    def _master_of(self, sc: SettingsConnection) -> SettingsConnection | None:
        """The master profile a port names: by uuid, else by interface name, else by id."""
        master = sc.profile.master
        if not master:
            return None
        by_uuid = self.find_uuid(master)
        if by_uuid is not None:
            return by_uuid
        for other in self.connections:
            if other.profile.type == "bond" and other.profile.interface_name == master:
                return other
        for other in self.connections:
            if other.profile.type == "bond" and other.id == master:
                return other
        return None

    # ======================================================================================
    # restart: assuming what a previous process left
    # ======================================================================================
    def _assume_devices(self) -> None:
        snap = self.kernel.snapshot()
        by_index = {link.ifindex: link for link in snap.links}
        order = sorted(self.records.items(), key=lambda kv: (by_index[kv[0]].master is not None
                                                             if kv[0] in by_index else True,
                                                             kv[0]))
        for ifindex, record in order:
            link = by_index.get(ifindex)
            if link is None or record.connection_uuid is None:
                continue
            sc = self.find_uuid(record.connection_uuid)
            dev = self.device(link.name)
            if sc is None or dev is None:
                continue
            if link.kind == "bond":
                dev.managed = True
                dev.nm_owned = record.nm_owned
            if not self._compatible(sc, dev):
                continue
            master_ac = None
            if sc.profile.is_port:
                master_sc = self._master_of(sc)
                master_ac = next((a for a in self.active if a.sc is master_sc), None)
                if master_ac is None or link.master != master_ac.device.iface:
                    continue
            self._assume(sc, dev, master_ac)

    def _assume(self, sc: SettingsConnection, dev: Device, master: ActiveConnection | None
                ) -> None:
        """An activation that takes the device as it is; NetworkManager 1.42 also adds the
        profile's addresses and routes that are missing (1.18 leaves the device alone)."""
        self._ac_counter += 1
        ac = ActiveConnection(self._ac_counter, sc, dev, master=master, assumed=True,
                              state=AcState.ACTIVATED, ports_waiting=False)
        self.active.append(ac)
        dev.ac = ac
        dev.applied = sc.profile.copy()
        dev.state = DeviceState.ACTIVATED
        dev.reason = Reason.CONNECTION_ASSUMED
        snap = self.kernel.snapshot()
        present4 = {a.cidr for a in snap.addresses_of(dev.iface, 4)}
        present6 = {a.cidr for a in snap.addresses_of(dev.iface, 6)}
        profile = dev.applied
        metric = self._metric_for(dev, profile)
        # what this process will remove on deactivation: the profile's own configuration
        if profile.has_setting("ipv4") and profile.get("ipv4", "method") == "manual":
            for cidr in profile.get("ipv4", "addresses"):
                if cidr in present4:
                    dev.added_v4.append(cidr)
                elif self.version.assume_applies_ip and self.kernel.add_address4(dev.iface,
                                                                                  cidr):
                    dev.added_v4.append(cidr)
            # routes in the kernel that belong to the device and its metric
            for r in snap.routes:
                if r.dev == dev.iface and r.metric == metric and r.proto in ("kernel",
                                                                            "static"):
                    dev.added_routes.append((r.dst, r.gateway, metric))
            if self.version.assume_applies_ip:
                for cidr in profile.get("ipv4", "addresses"):
                    if cidr not in present4:
                        dev.added_routes.append(self.kernel.add_prefix_route(dev.iface, cidr,
                                                                             metric))
        for cidr in present6:
            if cidr.startswith("fe80:") and profile.has_setting("ipv6") and \
                    profile.get("ipv6", "method") not in ("ignore", "disabled"):
                dev.added_v6.append(cidr)

    # ======================================================================================
    # what nmcli and the lessons read
    # ======================================================================================
    def states(self, name: str) -> Any:
        """The three states of profile `name`: file on disk, profile in NM, applied on device
        (labkit.nm.states.States: print it, or .differences(), .frame())."""
        from labkit.nm.states import states

        return states(self, name)

    def active_for(self, sc: SettingsConnection) -> list[ActiveConnection]:
        return [a for a in self.active if a.sc is sc]

    def state_text(self) -> str:
        """NMState as nmcli general prints it."""
        devs = [d for d in self.devices if d.managed]
        if any(d.state == DeviceState.ACTIVATED for d in devs):
            has_default = any(r.dst == "default" for r in self.kernel.snapshot().routes)
            return "connected" if has_default else "connected (site only)"
        if any(d.activating for d in devs):
            return "connecting"
        return "disconnected"

    def default_ac(self) -> ActiveConnection | None:
        """The activation that holds the best IPv4 default route."""
        best: tuple[int, ActiveConnection] | None = None
        for ac in self.active:
            dev = ac.device
            for dst, gw, metric in dev.added_routes:
                if dst == "default" and gw and (best is None or metric < best[0]):
                    best = (metric, ac)
        return best[1] if best else None


def _link_local(mac: str, iface: str, mode: str) -> str:
    """The link-local address NetworkManager makes: EUI-64, or a stable-privacy one (RFC 7217,
    keyed by the lab's fixed secret key and the interface name)."""
    if mode == "eui64":
        return str(eui64_link_local(mac))
    secret = b"labkit-fixed-secret-key-32-bytes"
    name = iface.encode("utf-8", "surrogateescape")  # a typed name may hold any byte
    digest = hashlib.sha256(bytes(2) + b"\xfe\x80" + bytes(6) + name + b"\0"
                            + (0).to_bytes(4, "little") + secret).digest()
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + digest[:8]))
