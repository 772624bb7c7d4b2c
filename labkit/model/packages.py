"""The packages a lab machine has installed, and what each brings that labkit imitates: the
programs it puts on the PATH and the files it ships (udev's link files).

Which packages a flavour's machine has is a fact of that machine, kept here: a program a
package brings is `command not found` on a machine without it, and a file a package ships is
in the lab's /lib only when the package is installed. Facts, read from the packages themselves:
- Debian 12's systemd 252 ships /lib/systemd/network/99-default.link (MACAddressPolicy=
  persistent for every link: udev gives a new bond or bridge a MAC of its own).
- Debian 12's `ifenslave` 2.13 (ifupdown's bonding hooks) ships 98-net-bonding.link, which
  matches the bonding driver first and sets MACAddressPolicy=none, so a bond keeps the MAC the
  kernel gives it: its first port's. It has no /sbin/ifenslave: NEWS.Debian of 2.10 (2018)
  says "This version of the ifenslave package no longer provides /sbin/ifenslave" (iproute2's
  `ip` does the job). RHEL 9's iputils has none either: on nm142 `ifenslave` is never a command.
- CentOS 7.8's iputils-20160308-10.el7 builds /usr/sbin/ifenslave (labkit/shell/programs/
  ifenslave.py). Its systemd 219 gives virtual links no persistent MAC; its link files are not
  imitated (none is shown in the lab's /lib).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LINK_DIR = "/lib/systemd/network"

DEFAULT_LINK = """\
# SPDX-License-Identifier: MIT-0
#
# This config file is installed as part of systemd.
# It may be freely copied and edited (following the MIT No Attribution license).
#
# To make local modifications, one of the following methods may be used:
# 1. add a drop-in file that extends this file by creating the
#    /etc/systemd/network/99-default.link.d/ directory and creating a
#    new .conf file there.
# 2. copy this file into /etc/systemd/network or one of the other paths checked
#    by systemd-udevd and edit it there.
# This file should not be edited in place, because it'll be overwritten on upgrades.

[Match]
OriginalName=*

[Link]
NamePolicy=keep kernel database onboard slot path
AlternativeNamesPolicy=database onboard slot path
MACAddressPolicy=persistent
"""

BONDING_LINK = """\
[Match]
Driver=bonding

[Link]
MACAddressPolicy=none
"""


@dataclass(frozen=True)
class Package:
    """One installable package of one flavour's machine, as far as labkit imitates it."""

    name: str
    version: str
    summary: str
    programs: frozenset[str] = frozenset()  # on the PATH only with the package
    files: tuple[tuple[str, str], ...] = field(default=())  # (path, text) it ships
    directories: tuple[str, ...] = ()  # empty ones it ships (where admins put their own)


PACKAGES: dict[str, dict[str, Package]] = {
    "nm142": {
        "systemd": Package("systemd", "252.39-1~deb12u2", "system and service manager",
                           files=((f"{LINK_DIR}/99-default.link", DEFAULT_LINK),),
                           directories=("/etc/systemd/network",)),
        "ifenslave": Package("ifenslave", "2.13", "configure network interfaces for "
                             "parallel routing (bonding): ifupdown's hooks, no program",
                             files=((f"{LINK_DIR}/98-net-bonding.link", BONDING_LINK),)),
    },
    "centos7": {
        "iputils": Package("iputils", "20160308-10.el7", "network monitoring tools, "
                           "ifenslave among them", programs=frozenset({"ifenslave"})),
    },
}

INSTALLED: dict[str, tuple[str, ...]] = {  # what a flavour's machine has from the start
    "nm142": ("systemd",),
    "centos7": ("iputils",),
}

# every program some package brings: without that package it is not a command
PACKAGED_PROGRAMS = frozenset(p for packages in PACKAGES.values()
                              for package in packages.values() for p in package.programs)


def installed(flavour: str, extra: tuple[str, ...] | list[str] = ()) -> tuple[Package, ...]:
    """The packages a `flavour` machine has: its own, then `extra` (asked for by the lab)."""
    known = PACKAGES.get(flavour, {})
    names = list(INSTALLED.get(flavour, ()))
    names += [name for name in extra if name not in names]
    return tuple(known[name] for name in names)


def unknown(flavour: str, extra: tuple[str, ...] | list[str]) -> list[str]:
    """The names in `extra` that are no package of `flavour`'s machine."""
    known = PACKAGES.get(flavour, {})
    return [name for name in extra if name not in known]


def programs(packages: tuple[Package, ...]) -> frozenset[str]:
    """The packaged programs that `packages` put on the PATH."""
    return frozenset(p for package in packages for p in package.programs)
