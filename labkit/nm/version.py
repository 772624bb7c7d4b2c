"""Which NetworkManager a flavour runs: its version, settings plugin and the facts that differ.

Behaviour that changed between 1.18 (CentOS 7) and 1.42 (Debian 12 / RHEL 9) is decided here,
by name, so the daemon and nmcli ask "does this version ..." instead of comparing numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NMVersion:
    """One NetworkManager release as a lab host runs it."""

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
BY_FLAVOUR = {"nm142": NM142, "centos7": NM118}
