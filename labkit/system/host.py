"""A lab host's userspace as labkit runs it: its identity, udev and NetworkManager.

Hosts with `networkmanager: true` boot like the walkthrough's server: the installer's profiles
and NetworkManager.conf in /etc, udev's link policy (on flavours whose udev has one), the
daemon started, and time let pass until it has settled (the blank NICs' DHCP gave up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.model import packages as pkgs
from labkit.nm import config as nmconf
from labkit.nm import ifcfg, keyfile
from labkit.nm.daemon import CONF_PATH, NetworkManager
from labkit.nm.install import installer_profiles
from labkit.nm.storage import IFCFG_DIR, KEYFILE_DIR
from labkit.system.udev import Udev

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles
    from labkit.model.flavours import Flavour
    from labkit.model.topology import Host
    from labkit.nm.uuids import UuidSource

# the lab's fixed /etc/machine-id (the recorder's real machine uses the same one)
MACHINE_ID = "6c61626b69746c61626b69746c61626b"
SETTLE_LIMIT = 120.0
STABLE_EPOCH = 1795564800.0  # 2026-11-25 00:00 UTC: when a reproducible lab's clock starts


@dataclass
class HostSystem:
    """The userspace of one host."""

    host: str
    flavour: Flavour
    locale: str
    nm: NetworkManager | None = None
    udev: Udev | None = None
    iproute2: str = "6.1"
    hostname: str | None = None
    packages: tuple[pkgs.Package, ...] = ()  # what the machine has installed

    def has_program(self, name: str) -> bool:
        """Whether `name` is a command here: a program no package brings always is; one a
        package brings (ifenslave) only with that package."""
        return name not in pkgs.PACKAGED_PROGRAMS or name in pkgs.programs(self.packages)


def install_files(files: LabFiles, host: Host, flavour: Flavour, uuids: UuidSource) -> None:
    """What the installer left in /etc (files already there are kept: a lab directory may be
    reused)."""
    version = flavour.nm
    if not files.exists(host.name, "/etc/machine-id"):
        files.write(host.name, "/etc/machine-id", MACHINE_ID + "\n")
    if not files.exists(host.name, CONF_PATH):
        text = nmconf.LAB_CONF if version.plugin == "keyfile" else nmconf.LAB_CONF_CENTOS7
        files.write(host.name, CONF_PATH, text)
    profiles = installer_profiles(host, uuids)
    if version.plugin == "keyfile":
        for p in profiles:
            path = f"{KEYFILE_DIR}/{keyfile.filename_for(p.id)}"
            if not files.exists(host.name, path):
                p.normalize(version.version)
                files.write(host.name, path, keyfile.write(p), mode=0o600)
    else:
        for p in profiles:
            path = f"{IFCFG_DIR}/ifcfg-{ifcfg.escape_id(p.id)}"
            if not files.exists(host.name, path):
                p.normalize(version.version)
                files.write(host.name, path, ifcfg.write(p, None))


def install_packages(files: LabFiles, host: str, packages: tuple[pkgs.Package, ...]) -> None:
    """The files the packages ship (kept when already there: a lab directory may be reused,
    and a learner may have edited one)."""
    for package in packages:
        for directory in package.directories:
            files.local(host, directory).mkdir(parents=True, exist_ok=True)
        for path, text in package.files:
            if not files.exists(host, path):
                files.local(host, path).parent.mkdir(parents=True, exist_ok=True)  # as dpkg
                files.write(host, path, text)


def boot(engine: Engine, files: LabFiles, host: Host, flavour: Flavour, locale: str,
         uuids: UuidSource, epoch: float | None = None, packages: tuple[str, ...] = ()
         ) -> HostSystem:
    """Bring up the host's userspace and let NetworkManager settle; `packages` are installed
    beside the flavour's own (on the NetworkManager hosts: the machines labkit imitates)."""
    system = HostSystem(host.name, flavour, locale, iproute2=flavour.iproute2,
                        hostname=(flavour.hostname or host.name) if host.networkmanager
                        else host.name)
    system.packages = pkgs.installed(flavour.name, packages)  # the programs of every host
    if not host.networkmanager:
        return system
    install_files(files, host, flavour, uuids)
    install_packages(files, host.name, system.packages)
    if any(path.startswith(pkgs.LINK_DIR) for p in system.packages for path, _ in p.files):
        system.udev = Udev(engine, host.name, MACHINE_ID, files)  # its .link files apply
        system.udev.start()
    system.nm = NetworkManager(engine, host.name, files, flavour.nm, uuids, epoch=epoch)
    system.nm.start()
    settle(engine, system.nm)
    return system


def settle(engine: Engine, nm: NetworkManager) -> None:
    """Let lab time pass until no device of `nm` is still activating (skipped, not waited
    for, on real engines too: nothing but the daemon's own timers is pending at boot)."""
    clock = engine.clock
    start = clock.now()
    clock.settle()
    while clock.now() - start < SETTLE_LIMIT and any(d.activating for d in nm.devices):
        clock.skip(0.5)
