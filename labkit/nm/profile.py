"""Connection profiles: typed values per setting, defaults from the schema, NetworkManager's own
normalization and verification (the daemon's errors, word for word).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from labkit.nm.schema import SETTING_ORDER, SETTINGS, bond_mode_name, settings_of


class ProfileInvalid(Exception):
    """The daemon refuses a profile: `str()` is NetworkManager's message ('setting.prop: why')."""


@dataclass
class Profile:
    """One connection profile: {setting: {property: value}} holding only what was set."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- access -----------------------------------------------------------------------------
    def get(self, setting: str, prop: str) -> Any:
        """The value, or the schema's default when unset."""
        sect = self.values.get(setting, {})
        if prop in sect:
            return sect[prop]
        return SETTINGS[setting].prop(prop).default

    def set(self, setting: str, prop: str, value: Any) -> None:
        self.values.setdefault(setting, {})[prop] = value

    def unset(self, setting: str, prop: str) -> None:
        self.values.get(setting, {}).pop(prop, None)

    def has_setting(self, setting: str) -> bool:
        return setting in self.values

    def add_setting(self, setting: str) -> None:
        self.values.setdefault(setting, {})

    def remove_setting(self, setting: str) -> None:
        self.values.pop(setting, None)

    def settings(self) -> list[str]:
        """The settings present, in display order."""
        return [s for s in SETTING_ORDER if s in self.values]

    def copy(self) -> Profile:
        return Profile(copy.deepcopy(self.values))

    # -- the connection setting -------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.get("connection", "id") or ""

    @property
    def uuid(self) -> str:
        return self.get("connection", "uuid") or ""

    @property
    def type(self) -> str:
        return self.get("connection", "type") or ""

    @property
    def interface_name(self) -> str | None:
        return self.get("connection", "interface-name")

    @property
    def master(self) -> str | None:
        return self.get("connection", "master")

    @property
    def slave_type(self) -> str | None:
        return self.get("connection", "slave-type")

    @property
    def is_port(self) -> bool:
        return bool(self.slave_type)

    @property
    def autoconnect(self) -> bool:
        return bool(self.get("connection", "autoconnect"))

    def bond_options(self) -> dict[str, str]:
        return dict(self.get("bond", "options"))

    # -- NetworkManager's rules -------------------------------------------------------------
    def normalize(self, version: tuple[int, int]) -> None:
        """What the daemon adds to every profile: its settings, ports without IP settings."""
        for name in settings_of(self.type, self.slave_type, version):
            self.add_setting(name)
        if self.is_port:
            for name in ("ipv4", "ipv6", "proxy"):
                self.remove_setting(name)
        if self.has_setting("ipv6") and "addr-gen-mode" not in self.values["ipv6"]:
            self.set("ipv6", "addr-gen-mode", "default" if version >= (1, 40)
                     else "stable-privacy")

    def verify(self) -> None:
        """nm_connection_verify: the first problem, worded as NetworkManager words it."""
        cid = self.values.get("connection", {}).get("id")
        if cid is None:
            raise ProfileInvalid("connection.id: property is missing")
        if not cid:
            raise ProfileInvalid("connection.id: property is empty")
        uuid = self.uuid
        if uuid and not _valid_uuid(uuid):
            raise ProfileInvalid(f"connection.uuid: '{uuid}' is not a valid UUID")
        if not self.type:
            raise ProfileInvalid("connection.type: property is missing")
        if self.slave_type and self.slave_type != "bond":
            raise ProfileInvalid(f"connection.slave-type: Unknown slave type "
                                 f"'{self.slave_type}'")
        if self.is_port and not self.master:
            raise ProfileInvalid("connection.master: Slave connections need a valid 'master' "
                                 "property")
        if self.master and not self.is_port:
            raise ProfileInvalid("connection.slave-type: Cannot set 'master' without "
                                 "'slave-type'")
        iface = self.interface_name
        if iface is not None:
            why = ifname_problem(iface)
            if why:
                raise ProfileInvalid(f"connection.interface-name: '{iface}': {why}")
        if self.type == "bond" and not self.interface_name:
            raise ProfileInvalid("connection.interface-name: property is missing")
        if self.type == "bond":
            self._verify_bond()
        for family in ("ipv4", "ipv6"):
            if self.has_setting(family):
                self._verify_ip(family)

    def _verify_bond(self) -> None:
        """nm_setting_bond verify(): the option rules a profile must keep."""
        opts = self.bond_options()

        def bad(msg: str) -> ProfileInvalid:
            return ProfileInvalid(f"bond.options: {msg}")

        mode_text = opts.get("mode")
        if mode_text is None:
            raise bad("mandatory option 'mode' is missing")
        mode = bond_mode_name(mode_text)
        if mode is None:
            raise bad(f"'{mode_text}' is not a valid value for 'mode'")
        def number(name: str, default: str) -> int:
            text = opts.get(name, default) or "0"
            if not text.isdigit():
                raise bad(f"invalid value '{text}' for option '{name}'")
            return int(text)

        miimon = number("miimon", "100")
        arp_interval = number("arp_interval", "0")
        if mode in ("balance-tlb", "balance-alb") and arp_interval > 0:
            raise bad(f"'mode={mode_text}' is incompatible with 'arp_interval > 0'")
        if opts.get("primary") and mode not in ("active-backup", "balance-tlb", "balance-alb"):
            raise bad("'primary' option is only valid for 'mode=active-backup'")
        if miimon == 0:
            for delay in ("updelay", "downdelay"):
                if number(delay, "0"):
                    raise bad(f"'{delay}' option requires 'miimon' option to be enabled")
        if arp_interval > 0 and not opts.get("arp_ip_target"):
            raise bad("'arp_interval' option requires 'arp_ip_target' option to be set")
        if arp_interval == 0 and opts.get("arp_ip_target"):
            raise bad("'arp_ip_target' option requires 'arp_interval' option to be set")

    def _verify_ip(self, family: str) -> None:
        """nm_setting_ip_config verify() then the family's own method rules."""
        method = self.get(family, "method")
        if method not in SETTINGS[family].prop("method").values:
            raise ProfileInvalid(f"{family}.method: property is invalid")
        addrs = self.get(family, "addresses")
        if self.get(family, "gateway") and not addrs:
            raise ProfileInvalid(f"{family}.gateway: gateway cannot be set if there are no "
                                 "addresses configured")
        if method == "manual" and not addrs:
            raise ProfileInvalid(f"{family}.addresses: this property cannot be empty for "
                                 "'method=manual'")
        if method in ("disabled", "ignore", "link-local") and self.get(family, "dns"):
            raise ProfileInvalid(f"{family}.dns: this property is not allowed for "
                                 f"'method={method}'")
        if method in ("disabled", "ignore", "link-local") and addrs:
            raise ProfileInvalid(f"{family}.addresses: this property is not allowed for "
                                 f"'method={method}'")


def ifname_problem(name: str) -> str | None:
    """nm_utils_ifname_valid_kernel (the kernel's dev_valid_name): why `name` is no
    interface name, or None."""
    if not name:
        return "interface name is too short"
    if name in (".", ".."):
        return "interface name is reserved"
    for ch in name[:16]:
        if ch in "/:" or ch.isspace():
            return "interface name contains an invalid character"
    if len(name.encode("utf-8", "surrogateescape")) > 15:
        return "interface name is longer than 15 characters"
    return None


def _valid_uuid(text: str) -> bool:
    import re

    return re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                        r"[0-9a-fA-F]{12}", text) is not None
