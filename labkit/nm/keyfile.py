"""Keyfiles (`/etc/NetworkManager/system-connections/NAME.nmconnection`) as NetworkManager 1.42
writes and reads them.

Writing: settings in profile order, [connection] starting with id, uuid, type and then the rest
alphabetically, other sections alphabetically, only non-default values (ipv6.addr-gen-mode
always), booleans true/false, lists ending in ';', IPv4 addresses as addressN=IP/PLEN with the
gateway after the first one, bond options as keys of [bond], an empty [section] kept.
Reading: GKeyFile syntax; a file NetworkManager would refuse raises KeyfileError with the
reason NetworkManager logs.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from labkit.nm.profile import Profile
from labkit.nm.schema import SETTINGS, bond_option_error, setting
from labkit.nm.uuids import from_name

FIRST_KEYS = ("id", "uuid", "type")
SECTION_NAMES = {"802-3-ethernet": "ethernet"}
TYPE_NAMES = {"802-3-ethernet": "ethernet"}


class KeyfileError(Exception):
    """NetworkManager would skip this file; the message says why (as its log does)."""


def filename_for(profile_id: str) -> str:
    """nm_keyfile_utils_create_filename: the id with '/' turned into '*', plus the suffix."""
    name = profile_id.replace("/", "*")
    if name.startswith("."):
        name = "_" + name[1:]
    return f"{name}.nmconnection"


def _format(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("strlist", "iplist"):
        return "".join(f"{v};" for v in value)
    return str(value)


def write(profile: Profile) -> str:
    """The keyfile text of `profile`."""
    out: list[str] = []
    for name in profile.settings():
        sett = SETTINGS[name]
        section = SECTION_NAMES.get(name, name)
        lines: list[tuple[str, str]] = []
        values = profile.values.get(name, {})
        if name == "bond":
            lines = sorted(profile.bond_options().items())
        elif name in ("ipv4", "ipv6"):
            lines = _ip_lines(profile, name)
        else:
            for prop in sett.props:
                if prop.name not in values:
                    continue
                value = values[prop.name]
                if value == prop.default and not (name == "ipv6" and prop.name == "addr-gen-mode"):
                    continue
                if name == "connection" and prop.name == "type":
                    value = TYPE_NAMES.get(value, value)
                text = _format(prop.kind, value)
                if text is not None:
                    lines.append((prop.name, text))
        if name == "connection":
            first = [kv for key in FIRST_KEYS for kv in lines if kv[0] == key]
            rest = sorted(kv for kv in lines if kv[0] not in FIRST_KEYS)
            lines = first + rest
        else:
            lines = sorted(lines)
        out.append(f"[{section}]\n" + "".join(f"{k}={v}\n" for k, v in lines))
    return "\n".join(out)


def _ip_lines(profile: Profile, family: str) -> list[tuple[str, str]]:
    sett = SETTINGS[family]
    values = profile.values.get(family, {})
    lines: list[tuple[str, str]] = []
    gateway = values.get("gateway")
    for i, addr in enumerate(values.get("addresses", ()), start=1):
        text = addr + (f",{gateway}" if i == 1 and gateway else "")
        lines.append((f"address{i}", text))
    for prop in sett.props:
        if prop.name in ("addresses", "gateway") or prop.name not in values:
            continue
        value = values[prop.name]
        if value == prop.default and prop.name != "addr-gen-mode":
            continue
        text = _format(prop.kind, value)
        if text is not None:
            lines.append((prop.name, text))
    return lines


# -- reading ------------------------------------------------------------------------------------
_SECTION = re.compile(r"^\[(?P<name>[^\]]*)\]\s*$")
_KEYVAL = re.compile(r"^(?P<key>[^=]+?)\s*=\s*(?P<value>.*)$")
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse(text: str) -> dict[str, dict[str, str]]:
    """GKeyFile syntax: [groups] of key=value and '#' comments; anything else is an error."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group("name"), {})
            continue
        m = _KEYVAL.match(line)
        if m is None:
            raise KeyfileError(f"Key file contains line “{raw}” which is not a key-value pair, "
                               "group, or comment")
        if current is None:
            raise KeyfileError("Key file does not start with a group")
        current[m.group("key")] = m.group("value")
    return sections


def _parse_value(kind: str, text: str, key: str, warn: list[str], where: str) -> Any:
    """A property value from its keyfile text; a bad one is a warning and is left unset."""
    if kind == "bool":
        if text.lower() in _BOOLS:
            return _BOOLS[text.lower()]
        warn.append(f"{where}: error loading setting value: Key file contains key “{key}” "
                    "which has a value that cannot be interpreted.")
        return None
    if kind in ("int", "info", "enum", "flags", "mtu"):
        try:
            return int(text, 0)
        except ValueError:
            warn.append(f"{where}: error loading setting value: value cannot be interpreted "
                        "as integer")
            return None
    if kind in ("strlist", "iplist"):
        return tuple(v for v in text.split(";") if v)
    return text


def read(text: str, filename: str) -> tuple[Profile, list[str]]:
    """The profile in keyfile `text` and NetworkManager's warnings about it (values it ignored).

    Raises KeyfileError when the text is not a key file at all. The caller normalizes and
    verifies the profile, as the daemon does before accepting a file.
    """
    sections = parse(text)
    profile = Profile()
    warnings: list[str] = []
    for section, keys in sections.items():
        name = {"ethernet": "802-3-ethernet"}.get(section, section)
        if name not in SETTINGS:
            continue  # settings labkit does not model are left out, as unknown keys are
        profile.add_setting(name)
        if name == "bond":
            options = []
            for key, value in keys.items():
                why = bond_option_error(key, value)
                if why:
                    warnings.append(f"bond.options: ignoring invalid bond option {key} = "
                                    f"{value}: {why}")
                else:
                    options.append((key, value))
            profile.set("bond", "options", tuple(sorted(options)))
            continue
        _read_section(profile, name, keys, warnings)
    stem = filename[:-len(".nmconnection")] if filename.endswith(".nmconnection") else filename
    if not profile.get("connection", "id"):
        profile.set("connection", "id", stem)  # nm_keyfile_read_ensure_id
    if not profile.get("connection", "uuid"):  # nm_keyfile_read_ensure_uuid
        profile.set("connection", "uuid", from_name("keyfile:" + filename))
    return profile, warnings


def _read_section(profile: Profile, name: str, keys: dict[str, str], warnings: list[str]
                  ) -> None:
    sett = setting(name)
    addresses: list[tuple[int, str]] = []
    for key, value in keys.items():
        m = re.fullmatch(r"address(\d*)|addresses(\d*)", key)
        if name in ("ipv4", "ipv6") and m:
            addresses.append((int(m.group(1) or m.group(2) or 0), value))
            continue
        try:
            prop = sett.prop(key)
        except KeyError:
            continue
        parsed = _parse_value(prop.kind, value, key, warnings, f"{name}.{key}")
        if parsed is None:
            continue
        if name == "connection" and key == "type":
            parsed = {"ethernet": "802-3-ethernet"}.get(parsed, parsed)
        profile.set(name, key, parsed)
    if addresses:
        family = 4 if name == "ipv4" else 6
        addrs = []
        for _, value in sorted(addresses):
            addr, _, gateway = value.partition(",")
            try:
                iface = ipaddress.ip_interface(addr if "/" in addr else
                                               f"{addr}/{32 if family == 4 else 128}")
                if iface.version != family:
                    raise ValueError(addr)
            except ValueError:
                warnings.append(f"{name}.addresses: ignoring invalid IPv{family} address: "
                                f"{value}")
                continue
            addrs.append(f"{iface.ip}/{iface.network.prefixlen}")
            if gateway and not profile.get(name, "gateway"):
                profile.set(name, "gateway", gateway)
        profile.set(name, "addresses", tuple(addrs))
