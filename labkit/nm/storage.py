"""Profiles on disk: the settings plugins' directories in the lab's own files.

keyfile: /etc/NetworkManager/system-connections/NAME.nmconnection (NetworkManager 1.42);
ifcfg-rh: /etc/sysconfig/network-scripts/ifcfg-NAME (1.18, edited in place). A file the daemon
cannot use is reported with NetworkManager's reason and skipped; nothing here raises for a
bad file. Writes go through LabFiles, which replaces files atomically.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.nm import ifcfg, keyfile
from labkit.nm.profile import Profile, ProfileInvalid

if TYPE_CHECKING:
    from labkit.files import LabFiles
    from labkit.model.flavours import NMVersion

KEYFILE_DIR = "/etc/NetworkManager/system-connections"
IFCFG_DIR = "/etc/sysconfig/network-scripts"
IFCFG_SKIP = (".bak", "~", ".orig", ".rej", ".rpmnew", ".rpmsave", ".rpmorig", ".swp")


@dataclass
class StoredProfile:
    """One file as the daemon found it: the profile, or why it was skipped."""

    path: str
    plugin: str
    text: str
    profile: Profile | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


class ProfileStore:
    """The profile files of one host."""

    def __init__(self, files: LabFiles, host: str, plugins: tuple[str, ...],
                 version: NMVersion) -> None:
        self.files = files
        self.host = host
        self.plugins = tuple(p for p in plugins if p in ("keyfile", "ifcfg-rh")) or (
            version.plugin,)
        self.version = version

    @property
    def write_plugin(self) -> str:
        """New profiles go to the first plugin that can write (ifcfg-rh before keyfile, as
        listed; keyfile is always there as the fallback)."""
        return self.plugins[0]

    # -- reading ----------------------------------------------------------------------------
    def scan(self) -> list[StoredProfile]:
        """Every profile file, in the order the plugins load them."""
        out: list[StoredProfile] = []
        for plugin in self.plugins:
            directory = KEYFILE_DIR if plugin == "keyfile" else IFCFG_DIR
            try:
                names = self.files.listdir(self.host, directory)
            except OSError:
                continue
            for name in names:
                if plugin == "keyfile" and (name.startswith(".") or "~" in name):
                    continue
                if plugin == "ifcfg-rh" and (not name.startswith("ifcfg-") or name == "ifcfg-lo"
                                             or name.endswith(IFCFG_SKIP)):
                    continue
                out.append(self.read(f"{directory}/{name}", plugin))
        return out

    def read(self, path: str, plugin: str | None = None) -> StoredProfile:
        """Read and check one file as the daemon would."""
        plugin = plugin or ("ifcfg-rh" if path.startswith(IFCFG_DIR) else "keyfile")
        try:
            text = self.files.read(self.host, path)
        except OSError as exc:
            return StoredProfile(path, plugin, "", error=f"failed to read file: {exc}")
        name = path.rsplit("/", 1)[-1]
        if plugin == "keyfile":
            try:
                mode = self.files.mode(self.host, path)
            except OSError:
                mode = 0o600
            if mode & 0o077:  # nms_keyfile_utils_check_file_permissions
                return StoredProfile(path, plugin, text, error=f"File permissions "
                                     f"({mode:03o}) are insecure")
        try:
            if plugin == "keyfile":
                profile, warnings = keyfile.read(text, name)
            else:
                profile, warnings = ifcfg.read(text, name)
        except keyfile.KeyfileError as exc:
            return StoredProfile(path, plugin, text, error=str(exc))
        try:
            profile.normalize(self.version.version)
            profile.verify()
        except ProfileInvalid as exc:
            return StoredProfile(path, plugin, text, error=f"invalid connection: {exc}",
                                 warnings=warnings)
        return StoredProfile(path, plugin, text, profile=profile, warnings=warnings)

    # -- writing ----------------------------------------------------------------------------
    def new_path(self, profile: Profile) -> str:
        """Where a new profile's file goes (a free name, as the plugin picks it)."""
        if self.write_plugin == "keyfile":
            base = keyfile.filename_for(profile.id)
            path = f"{KEYFILE_DIR}/{base}"
            stem = base[:-len(".nmconnection")]
            n = 0
            while self.files.exists(self.host, path):
                n += 1
                path = f"{KEYFILE_DIR}/{stem}-{n}.nmconnection"
            return path
        base = f"{IFCFG_DIR}/ifcfg-{ifcfg.escape_id(profile.id)}"
        path = base
        n = 0
        while self.files.exists(self.host, path):
            n += 1
            path = f"{base}-{n}"
        return path

    def write(self, profile: Profile, path: str | None) -> str:
        """Write `profile` (to its existing file, or a new one); the path written."""
        if path is None:
            path = self.new_path(profile)
        if path.startswith(IFCFG_DIR):
            try:
                old = self.files.read(self.host, path)
            except OSError:
                old = None
            text = ifcfg.write(profile, old)
        else:
            text = keyfile.write(profile)
        try:
            self.files.write(self.host, path, text, mode=0o600)
        except OSError as exc:  # nm_utils_file_set_contents(): the daemon refuses the change
            tag = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:6]
            temp = f"{path}.{tag}"  # g_mkstemp's name beside the file (random there)
            raise ProfileInvalid(f"error writing to file '{path}': failed to create file "
                                 f"{temp}: {os.strerror(exc.errno or 5)}") from None
        return path

    def delete(self, path: str) -> None:
        try:
            self.files.remove(self.host, path)
        except FileNotFoundError:
            pass
