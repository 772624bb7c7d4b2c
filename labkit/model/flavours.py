"""Flavours: which machine the lab imitates (kernel release, bonding version, NetworkManager).

`nm142` is Debian 12 / RHEL 9 (kernel 6.1, NetworkManager 1.42): the default and the one the
real-kernel recordings come from. `centos7` is the walkthrough's machine as printed; its kernel
and NetworkManager specifics arrive with the NetworkManager layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.errors import LabkitError


@dataclass(frozen=True)
class Flavour:
    """The facts of one imitated machine that the kernel-level views need."""

    name: str
    kernel_release: str
    bonding_version: str  # the /proc/net/bonding version tail
    description: str
    available: bool = True


FLAVOURS = {
    "nm142": Flavour("nm142", "6.1.0-56-amd64", "v6.1.0-56-amd64",
                     "Debian 12 / RHEL 9: Linux 6.1, iproute2 6.1, NetworkManager 1.42"),
    "centos7": Flavour("centos7", "3.10.0-1127.el7.x86_64", "v3.7.1 (April 27, 2011)",
                       "CentOS 7.8: Linux 3.10, NetworkManager 1.18 with ifcfg-rh",
                       available=False),
}
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
    """The locale to use; only C is available until the NetworkManager layer brings 'ja'."""
    if locale in (None, "", "C", "en", "POSIX"):
        return "C"
    if locale in LOCALES:
        raise LabkitError(f"locale {locale!r} ({LOCALES[locale]}) is not available yet: it "
                          "comes with labkit's NetworkManager layer")
    raise LabkitError(f"unknown locale {locale!r} (known: {', '.join(LOCALES)})")
