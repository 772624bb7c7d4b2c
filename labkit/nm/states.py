"""The three states of a connection, side by side: the file on disk, the profile in
NetworkManager, and what the device runs (the applied profile and the kernel's addresses).

`nmcli c mod` changes the first two; editing the file changes only the first; `nmcli c reload`
copies the first into the second; `nmcli c up` (or down + up) makes the third equal the second.
This module reads all three without changing anything and says where they differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from labkit.nm.nmcli.values import render
from labkit.nm.schema import SETTINGS
from labkit.views import states as view
from labkit.views.table import table

if TYPE_CHECKING:
    import pandas

    from labkit.files import LabFiles
    from labkit.model.flavours import NMVersion
    from labkit.nm.kernel import HostKernel
    from labkit.nm.objects import ActiveConnection, SettingsConnection
    from labkit.nm.profile import Profile
    from labkit.nm.storage import ProfileStore
    from labkit.views.table import Table



class Daemon(Protocol):
    """What the three states read of NetworkManager (daemon.NetworkManager, which offers them
    as its states() method): its profiles, files, devices and the kernel's addresses."""

    @property
    def host(self) -> str: ...

    @property
    def files(self) -> LabFiles: ...

    @property
    def version(self) -> NMVersion: ...

    @property
    def kernel(self) -> HostKernel: ...

    @property
    def store(self) -> ProfileStore | None: ...

    def sync(self) -> None: ...

    def find_connections(self, key: str, kind: str | None = None) -> list[SettingsConnection]:
        ...

    def active_for(self, sc: SettingsConnection) -> list[ActiveConnection]: ...


# the properties a learner changes; every other one is compared too, but listed after these
KEY_PROPERTIES = ("connection.autoconnect", "connection.interface-name", "connection.master",
                  "bond.options", "ipv4.method", "ipv4.addresses", "ipv4.gateway", "ipv4.dns",
                  "ipv6.method")
KERNEL_ROW = "kernel: IPv4 addresses"


@dataclass
class States:
    """One connection's three states."""

    name: str
    path: str | None
    file: Profile | None
    file_error: str | None
    profile: Profile | None
    applied: Profile | None
    device: str | None
    kernel_addresses: tuple[str, ...] = ()
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def differences(self) -> list[tuple[str, str, str, str]]:
        """(property, file, profile, device) for every property where the states differ.

        The kernel's row has a value only in the device's column (the file and the profile
        hold no kernel state): it differs when the kernel's addresses are not the
        ipv4.addresses of each state that has them."""
        return [r for r in self.rows if self._differs(r)]

    def _differs(self, row: tuple[str, str, str, str]) -> bool:
        if row[0] != KERNEL_ROW:
            return len({row[1], row[2], row[3]}) > 1
        wanted = next((r for r in self.rows if r[0] == "ipv4.addresses"), None)
        kernel = _address_set(row[3])
        return wanted is not None and any(
            _address_set(v) != kernel for v in wanted[1:] if v or kernel)

    def key_rows(self) -> list[tuple[str, str, str, str]]:
        """The rows of the properties a learner changes (KEY_PROPERTIES) and the kernel's."""
        return [r for r in self.rows if r[0] in KEY_PROPERTIES or r[0] == KERNEL_ROW]

    def frame(self, only_differences: bool = False) -> pandas.DataFrame | Table:
        """Every row (or only those that differ) as a DataFrame (a labkit Table where pandas
        is missing), indexed by property."""
        rows = self.differences() if only_differences else self.rows
        return table([dict(zip(COLUMNS, r, strict=True)) for r in rows], COLUMNS,
                     index="property")

    def __str__(self) -> str:
        return view.text(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": view.text(self), "text/html": view.html(self)}


COLUMNS = ("property", "file on disk", "profile in NM", "applied on device")


def _address_set(value: str) -> set[str]:
    return {a.strip() for a in value.split(",") if a.strip()}


def _values(profile: Profile | None, version: tuple[int, int]) -> dict[str, str]:
    if profile is None:
        return {}
    out = {}
    for setting in profile.settings():
        for prop in SETTINGS[setting].props_for(version):
            if setting == "connection" and prop.name in ("timestamp", "uuid"):
                continue
            value: Any = profile.get(setting, prop.name)
            out[f"{setting}.{prop.name}"] = render(setting, prop, value, terse=True)
    return out


def states(nm: Daemon, name: str) -> States:
    """The three states of the profile called `name` (or with that UUID or file)."""
    nm.sync()
    hits = nm.find_connections(name)
    sc = hits[0] if hits else None
    path = sc.path if sc else None
    if path is None and nm.store is not None:
        for stored in nm.store.scan():
            if stored.path.rsplit("/", 1)[-1] in (f"{name}.nmconnection", f"ifcfg-{name}") or (
                    stored.profile is not None and stored.profile.id == name):
                path = stored.path
                break
    file_profile, file_error = None, None
    if path is not None and nm.store is not None:
        stored = nm.store.read(path)
        file_profile, file_error = stored.profile, stored.error
        if not nm.files.exists(nm.host, path):
            file_error = "the file is gone"
    ac = nm.active_for(sc)[0] if sc else None
    applied = ac.device.applied if ac else None
    device = ac.device.iface if ac else None
    kernel: tuple[str, ...] = ()
    if device:
        kernel = tuple(a.cidr for a in nm.kernel.snapshot().addresses_of(device, 4))
    version = nm.version.version
    f, p, a = _values(file_profile, version), _values(sc.profile if sc else None, version), \
        _values(applied, version)
    keys = list(KEY_PROPERTIES) + sorted((set(f) | set(p) | set(a)) - set(KEY_PROPERTIES))
    rows = [(k, f.get(k, ""), p.get(k, ""), a.get(k, "")) for k in keys
            if k in f or k in p or k in a]
    if device:
        rows.append((KERNEL_ROW, "", "", ",".join(kernel)))  # the kernel's: the device's only
    return States(name=name, path=path, file=file_profile, file_error=file_error,
                  profile=sc.profile if sc else None, applied=applied, device=device,
                  kernel_addresses=kernel, rows=rows)
