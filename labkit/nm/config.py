"""NetworkManager.conf: the lab's configuration text and what the daemon reads from it.

The lab's server runs with the same configuration as the recorder's real NetworkManager
(tools/realnm.py writes LAB_CONF): keyfile profiles, no auto-default profiles, the lab's NICs
managed and `lo` left alone, and DHCP/RA timeouts of 5 s so that the blank NICs give up quickly
(the real defaults are 45 s and the kernel's RA wait).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

LAB_CONF = """[main]
plugins=keyfile
no-auto-default=*

[keyfile]
unmanaged-devices=interface-name:lo

[device-lab-nics]
match-device=interface-name:ens*,interface-name:eth*
managed=1

[connection]
ipv4.dhcp-timeout=5
ipv6.ra-timeout=5
"""
# CentOS 7's file, with the lab's timeouts added (its ifcfg-rh plugin is the default there)
LAB_CONF_CENTOS7 = """# Configuration file for NetworkManager.
#
# See "man 5 NetworkManager.conf" for details.

[main]
#plugins=ifcfg-rh,ibft

[logging]
#level=DEBUG
#domains=ALL

[connection]
ipv4.dhcp-timeout=5
ipv6.ra-timeout=5
"""


@dataclass
class NMConfig:
    """The parts of NetworkManager.conf the lab's daemon uses."""

    plugins: tuple[str, ...] = ("keyfile",)
    unmanaged: tuple[str, ...] = ()  # interface-name patterns
    managed: tuple[str, ...] = ()  # interface-name patterns with managed=1
    connection_defaults: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def is_unmanaged(self, iface: str) -> bool:
        return any(fnmatch.fnmatchcase(iface, p) for p in self.unmanaged)

    def default(self, prop: str, fallback: str) -> str:
        return self.connection_defaults.get(prop, fallback)

    def dhcp_timeout(self) -> float:
        return _seconds(self.default("ipv4.dhcp-timeout", "45"), 45)

    def ra_timeout(self) -> float:
        return _seconds(self.default("ipv6.ra-timeout", "30"), 30)


def _seconds(text: str, fallback: float) -> float:
    try:
        value = int(text)
    except ValueError:
        return fallback
    return value if value > 0 else fallback


def _patterns(value: str) -> tuple[str, ...]:
    out = []
    for item in value.replace(";", ",").split(","):
        item = item.strip()
        if item.startswith("interface-name:"):
            out.append(item.split(":", 1)[1])
    return tuple(out)


def parse(text: str, default_plugins: tuple[str, ...]) -> NMConfig:
    """Read NetworkManager.conf; a line NetworkManager would not understand is a warning."""
    conf = NMConfig(plugins=default_plugins)
    section = ""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, eq, value = line.partition("=")
        if not eq:
            conf.warnings.append(f"NetworkManager.conf:{lineno}: not a key=value line")
            continue
        key, value = key.strip(), value.strip()
        if section == "main" and key == "plugins":
            conf.plugins = tuple(p.strip() for p in value.split(",") if p.strip())
        elif section == "keyfile" and key == "unmanaged-devices":
            conf.unmanaged += _patterns(value)
        elif section.startswith("device") and key == "match-device":
            conf.managed += _patterns(value)
        elif section.startswith("connection"):
            conf.connection_defaults[key] = value
    return conf
