"""Flavours: which machine the lab imitates (kernel, bonding version, NetworkManager, NICs).

`nm142` is Debian 12 / RHEL 9 (kernel 6.1, iproute2 6.1, NetworkManager 1.42 with keyfiles):
the default and the one the real-kernel and real-NetworkManager recordings come from.
`centos7` is the walkthrough's machine as its author printed it: CentOS 7.8 in VMware, kernel
3.10 with bonding v3.7.1, iproute2 4.11, NetworkManager 1.18 with ifcfg-rh files, e1000 NICs,
libvirt's default network (virbr0, virbr0-nic), and a home router advertising an IPv6 prefix.
Its server had already used ifindex 7 that day (the author's earlier attempts), so its bond
gets ifindex 8, as printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.errors import LabkitError

# The real kernel the recordings in tests/data come from, and the one the micro-VM boots when
# this machine has it (Debian's linux-image-6.1.0-56-amd64; `./lab test` installs that exact
# package): the sim imitates it, so a newer image would make every /proc/net/bonding differ.
RECORDED_KERNEL = "6.1.0-56-amd64"


@dataclass(frozen=True)
class NMVersion:
    """One NetworkManager release as a lab host runs it.

    Behaviour that changed between 1.18 (CentOS 7) and 1.42 (Debian 12 / RHEL 9) is decided
    here, by name, so the daemon and nmcli ask "does this version ..." instead of comparing
    numbers.
    """

    version: tuple[int, int]
    text: str  # NetworkManager --version
    plugin: str  # keyfile | ifcfg-rh: where new profiles are written
    assume_applies_ip: bool  # restart: an assumed device gets the profile's new addresses too
    new_ipv6_addr_gen_mode: str  # what nmcli-made profiles get
    kernel_ipv6ll: bool = False  # IPv6 auto leaves link-local and SLAAC to the kernel (1.18)

    @property
    def has_bond_port(self) -> bool:
        """Port profiles carry a bond-port setting (1.34+)."""
        return self.version >= (1, 34)


NM142 = NMVersion((1, 42), "1.42.4", "keyfile", assume_applies_ip=True,
                  new_ipv6_addr_gen_mode="default")
NM118 = NMVersion((1, 18), "1.18.4", "ifcfg-rh", assume_applies_ip=False,
                  new_ipv6_addr_gen_mode="stable-privacy", kernel_ipv6ll=True)


@dataclass(frozen=True)
class Flavour:
    """One imitated machine: the facts its kernel, userspace and NetworkManager differ in.

    Code asks the flavour what it needs (`flavour.nm.plugin`, `flavour.network_scripts`), never
    its name: the name is for people (`Lab(flavour="centos7")`, messages) and for the package
    catalogue of its distribution.
    """

    name: str
    kernel_release: str
    bonding_version: str  # the /proc/net/bonding version tail
    description: str
    nm: NMVersion
    available: bool = True
    nic_model: str = "veth"  # how a NetworkManager host's NICs look: veth, or e1000 (VMware)
    libvirt: bool = False  # libvirt's default network on NetworkManager hosts
    ipv6_prefix: str | None = None  # what the LAN's router advertises
    used_ifindexes: int = 0  # links a NetworkManager host made and removed before the lab
    iproute2: str = "6.1"
    hostname: str | None = None  # the server's hostname, when not the lab's host name
    slaac_mngtmpaddr: bool = False  # its kernel marks SLAAC addresses mngtmpaddr
    login: str = "debian12"  # whose root login environment the shell starts with
    network_scripts: bool = False  # initscripts' network.service beside NetworkManager
    unit_dir: str = "/lib/systemd/system"  # where the distribution's packages put units
    profile_exports_hostname: bool = False  # /etc/profile exports HOSTNAME (RHEL's does)


NM142_FLAVOUR = Flavour("nm142", RECORDED_KERNEL, f"v{RECORDED_KERNEL}",
                        "Debian 12 / RHEL 9: Linux 6.1, iproute2 6.1, NetworkManager 1.42",
                        NM142)
CENTOS7 = Flavour("centos7", "3.10.0-1127.el7.x86_64", "v3.7.1 (April 27, 2011)",
                  "CentOS 7.8: Linux 3.10, NetworkManager 1.18 with ifcfg-rh", NM118,
                  nic_model="e1000", libvirt=True, ipv6_prefix="240b:11:4541:9100::/64",
                  used_ifindexes=1, iproute2="4.11", hostname="localhost",
                  slaac_mngtmpaddr=True, login="centos7", network_scripts=True,
                  unit_dir="/usr/lib/systemd/system", profile_exports_hostname=True)
FLAVOURS = {f.name: f for f in (NM142_FLAVOUR, CENTOS7)}
LOCALES = {"C": "English (the programs' own messages)", "ja": "Japanese (NetworkManager's ja)"}


def get_flavour(name: str) -> Flavour:
    """The flavour called `name`; a LabkitError that lists the choices otherwise."""
    flavour = FLAVOURS.get(name)
    if flavour is None:
        raise LabkitError(f"unknown flavour {name!r} (known: {', '.join(FLAVOURS)})")
    if not flavour.available:
        raise LabkitError(f"flavour {name!r} ({flavour.description}) is not available yet: "
                          "it comes with labkit's NetworkManager layer; use 'nm142'")
    return flavour


def check_locale(locale: str | None) -> str:
    """The locale to use: C (the programs' own English) or ja (ja_JP.UTF-8)."""
    if locale in (None, "", "C", "en", "POSIX"):
        return "C"
    if locale in ("ja", "ja_JP", "ja_JP.UTF-8", "ja_JP.utf8"):
        return "ja"
    raise LabkitError(f"unknown locale {locale!r} (known: {', '.join(LOCALES)})")
