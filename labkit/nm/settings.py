"""The daemon's settings: the profiles it loaded from the files, and the D-Bus calls on them.

NetworkManager's NMSettings: Settings/N objects made from the storage plugin's files (or kept in
memory), found by id, uuid, path or file name, and added, updated, deleted and reloaded. It does
not touch devices: a profile that goes away is handed to `on_remove` first (the daemon
deactivates it where it runs), and every change calls `on_change` (an autoconnect pass).
"""

from __future__ import annotations

from collections.abc import Callable

from labkit.nm.core import NMCore
from labkit.nm.objects import Blocked, SettingsConnection
from labkit.nm.profile import Profile, ProfileInvalid
from labkit.nm.storage import IFCFG_DIR, KEYFILE_DIR, ProfileStore, StoredProfile


def _nothing(*_args: object) -> None:
    """A hook nobody has set yet."""


class Settings:
    """The profiles one daemon process knows."""

    def __init__(self, core: NMCore) -> None:
        self.core = core
        self.store: ProfileStore | None = None
        self.connections: list[SettingsConnection] = []
        self.skipped: list[StoredProfile] = []
        self._counter = 0
        self.on_remove: Callable[[SettingsConnection], None] = _nothing
        self.on_change: Callable[[], None] = _nothing

    def new(self, profile: Profile, path: str | None, unsaved: bool = False,
            external: bool = False) -> SettingsConnection:
        """A Settings/N object for `profile`, numbered in the order they were made."""
        self._counter += 1
        sc = SettingsConnection(self._counter, profile, path, unsaved=unsaved, external=external)
        self.connections.append(sc)
        return sc

    def open_store(self) -> None:
        """At start: the store of the plugins the configuration names."""
        core = self.core
        self.store = ProfileStore(core.files, core.host, core.conf.plugins, core.version)

    def scan(self) -> None:
        assert self.store is not None
        for stored in self.store.scan():
            self._load_stored(stored)

    def _load_stored(self, stored: StoredProfile) -> SettingsConnection | None:
        log = self.core.log
        for warning in stored.warnings:
            log("warn", f"{stored.plugin}: {warning}")
        if stored.profile is None:
            log("warn", f'{stored.plugin}: load: "{stored.path}": failed to load '
                        f"connection: {stored.error}")
            self.skipped.append(stored)
            return None
        dup = self.find_uuid(stored.profile.uuid)
        if dup is not None:
            log("warn", f'{stored.plugin}: load: "{stored.path}": profile '
                        f"{stored.profile.uuid} already loaded from {dup.path}")
            self.skipped.append(stored)
            return None
        sc = self.new(stored.profile, stored.path)
        ts = stored.profile.get("connection", "timestamp")
        sc.timestamp = int(ts or 0)
        return sc

    # -- finding ----------------------------------------------------------------------------
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

    def master_of(self, sc: SettingsConnection) -> SettingsConnection | None:
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

    # -- D-Bus calls ------------------------------------------------------------------------
    def add(self, profile: Profile, save: bool = True) -> SettingsConnection:
        """AddConnection: normalize, verify (ProfileInvalid), write the file, autoconnect."""
        core = self.core
        core.require_running()
        profile.normalize(core.version.version)
        profile.verify()
        if self.find_uuid(profile.uuid):
            raise ProfileInvalid(f"connection.uuid: a connection with UUID '{profile.uuid}' "
                                 "already exists")
        path = None
        if save:
            assert self.store is not None
            path = self.store.write(profile, None)
        sc = self.new(profile, path, unsaved=not save)
        core.log("info", f"audit: op=\"connection-add\" uuid=\"{profile.uuid}\" "
                         f"name=\"{profile.id}\" pid=4242 uid=0 result=\"success\"")
        self.on_change()
        return sc

    def update(self, sc: SettingsConnection, profile: Profile, save: bool = True) -> None:
        """Update: the new profile replaces the old one in memory and on disk; devices keep
        running what they applied."""
        core = self.core
        core.require_running()
        profile.normalize(core.version.version)
        profile.verify()
        if save:  # written first: a file that cannot be written fails the whole update
            assert self.store is not None
            sc.path = self.store.write(profile, sc.path)
        sc.profile = profile
        sc.unsaved = not save
        # an update unblocks the profile and restarts its retry count
        sc.reset_retries()
        sc.blocked &= ~Blocked.FAILED
        self.on_change()

    def delete(self, sc: SettingsConnection) -> None:
        """Delete: deactivate where it runs, forget it, remove its file."""
        self.core.require_running()
        self.on_remove(sc)
        if sc in self.connections:
            self.connections.remove(sc)
        if sc.path and self.store is not None:
            self.store.delete(sc.path)
        self.on_change()

    def reload(self) -> None:
        """ReloadConnections: re-read every file; devices are not touched."""
        self.core.require_running()
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
                self.core.log("warn", f"{stored.plugin}: {warning}")
            old.profile = stored.profile
            old.path = stored.path
            seen.add(old.uuid)
        for sc in list(self.connections):
            if sc.path and sc.uuid not in seen and not sc.unsaved:
                self.on_remove(sc)
                self.connections.remove(sc)
        self.on_change()

    def load_files(self, paths: list[str]) -> list[str]:
        """LoadConnections: (re)read the named files; the ones that failed are returned."""
        core = self.core
        core.require_running()
        assert self.store is not None
        failed = []
        for path in paths:
            if not core.files.exists(core.host, path):
                # a file that is gone: its profile goes too (no failure); a path outside the
                # plugins' directories is a failure (recorded: `nmcli c load /nonexistent`)
                for sc in [c for c in self.connections if c.path == path]:
                    self.on_remove(sc)
                    self.connections.remove(sc)
                if not path.startswith((KEYFILE_DIR + "/", IFCFG_DIR + "/")):
                    failed.append(path)
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
        self.on_change()
        return failed
