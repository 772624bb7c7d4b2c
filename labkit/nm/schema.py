"""NetworkManager's settings as data: each setting's properties, their types, defaults, the
values they take, the versions that have them, and how nmcli and keyfiles spell them.

The order of each setting's properties is nmcli's order (what `nmcli c s` prints). Property
kinds decide rendering (nmcli pretty/terse, keyfile) and parsing (nmcli values, files), so
no property needs code of its own beyond its row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labkit.model.bonding import MODES

V118, V142 = (1, 18), (1, 42)


@dataclass(frozen=True)
class Prop:
    """One property of a setting."""

    name: str
    kind: str  # str bool int info enum flags choice addrs iplist strlist dict mtu ternary
    default: Any = None
    values: tuple[str, ...] = ()  # choice: allowed words (nmcli accepts unique prefixes)
    names: dict[int, str] = field(default_factory=dict)  # info/enum/flags: value -> label
    since: tuple[int, int] = V118
    until: tuple[int, int] | None = None  # first version that no longer has it
    keyfile: str | None = None  # key name in keyfiles when it differs
    hidden_default: bool = False  # nmcli hides it while it has its default value

    def present_in(self, version: tuple[int, int]) -> bool:
        return self.since <= version and (self.until is None or version < self.until)


@dataclass(frozen=True)
class Setting:
    """A setting (a [section] of a keyfile): its name, nmcli alias and properties."""

    name: str
    props: tuple[Prop, ...]
    alias: str | None = None  # ethernet for 802-3-ethernet
    keyfile: str | None = None  # section name in keyfiles when it differs

    def prop(self, name: str) -> Prop:
        for p in self.props:
            if p.name == name:
                return p
        raise KeyError(name)

    def props_for(self, version: tuple[int, int]) -> list[Prop]:
        return [p for p in self.props if p.present_in(version)]

    @property
    def section(self) -> str:
        return self.keyfile or self.alias or self.name


DEFAULT = {-1: "default"}
CONNECTION = Setting("connection", (
    Prop("id", "str"), Prop("uuid", "str"), Prop("stable-id", "str"), Prop("type", "str"),
    Prop("interface-name", "str"), Prop("autoconnect", "bool", True),
    Prop("autoconnect-priority", "int", 0),
    Prop("autoconnect-retries", "info", -1, names={-1: "default", 0: "forever"}),
    Prop("multi-connect", "enum", 0,
         names={0: "default", 1: "single", 2: "manual-multiple", 3: "multiple"}),
    Prop("auth-retries", "int", -1), Prop("timestamp", "int", 0),
    Prop("read-only", "bool", False), Prop("permissions", "strlist", ()),
    Prop("zone", "str"), Prop("master", "str"), Prop("slave-type", "str"),
    Prop("autoconnect-slaves", "enum", -1, names={-1: "default", 0: "no", 1: "yes"}),
    Prop("secondaries", "strlist", ()), Prop("gateway-ping-timeout", "int", 0),
    Prop("metered", "choice", "unknown", values=("yes", "no", "unknown")),
    Prop("lldp", "choice", "default", values=("default", "disable", "enable-rx")),
    Prop("mdns", "enum", -1, names={-1: "default", 0: "no", 1: "resolve", 2: "yes"}),
    Prop("llmnr", "enum", -1, names={-1: "default", 0: "no", 1: "resolve", 2: "yes"}),
    Prop("dns-over-tls", "enum", -1, names={-1: "default", 0: "no", 1: "opportunistic",
                                            2: "yes"}, since=(1, 34)),
    Prop("mptcp-flags", "flags", 0, names={0: "default"}, since=(1, 40)),
    Prop("mud-url", "str", hidden_default=True, since=(1, 26)),
    Prop("wait-device-timeout", "int", -1, since=(1, 26)),
    Prop("wait-activation-delay", "int", -1, since=(1, 40)),
))
ETHERNET = Setting("802-3-ethernet", (
    Prop("port", "str"), Prop("speed", "int", 0), Prop("duplex", "str"),
    Prop("auto-negotiate", "bool", False), Prop("mac-address", "str"),
    Prop("cloned-mac-address", "str"), Prop("generate-mac-address-mask", "str"),
    Prop("mac-address-blacklist", "strlist", ()), Prop("mtu", "mtu", 0),
    Prop("s390-subchannels", "strlist", ()), Prop("s390-nettype", "str"),
    Prop("s390-options", "dict", ()), Prop("wake-on-lan", "choice", "default",
                                           values=("default", "ignore", "magic")),
    Prop("wake-on-lan-password", "str"),
    Prop("accept-all-mac-addresses", "enum", -1, names={-1: "default", 0: "false", 1: "true"},
         since=(1, 32)),
), alias="ethernet")
BOND = Setting("bond", (Prop("options", "dict", (("mode", "balance-rr"),)),))
BOND_PORT = Setting("bond-port", (Prop("queue-id", "int", 0),), )


@dataclass(frozen=True)
class BondOption:
    """One key of bond.options (nm-setting-bond.c's option table)."""

    kind: str  # int | both (number or word) | ip | ifname | mac
    default: str | None
    low: int = 0
    high: int = 2**31 - 1
    words: tuple[str, ...] = ()


BOND_MODES = MODES  # the kernel's names, at their numbers
BOND_OPTIONS: dict[str, BondOption] = {
    "mode": BondOption("both", "balance-rr", 0, 6, BOND_MODES),
    "miimon": BondOption("int", "100"),
    "downdelay": BondOption("int", "0"),
    "updelay": BondOption("int", "0"),
    "arp_interval": BondOption("int", "0"),
    "arp_ip_target": BondOption("ip", ""),
    "arp_validate": BondOption("both", "none", 0, 6, ("none", "active", "backup", "all",
                                                      "filter", "filter_active",
                                                      "filter_backup")),
    "balance-slb": BondOption("int", "0", 0, 1),
    "primary": BondOption("ifname", ""),
    "primary_reselect": BondOption("both", "always", 0, 2, ("always", "better", "failure")),
    "fail_over_mac": BondOption("both", "none", 0, 2, ("none", "active", "follow")),
    "use_carrier": BondOption("int", "1", 0, 1),
    "ad_select": BondOption("both", "stable", 0, 2, ("stable", "bandwidth", "count")),
    "xmit_hash_policy": BondOption("both", "layer2", 0, 5, ("layer2", "layer3+4", "layer2+3",
                                                            "encap2+3", "encap3+4",
                                                            "vlan+srcmac")),
    "resend_igmp": BondOption("int", "1", 0, 255),
    "lacp_rate": BondOption("both", "slow", 0, 1, ("slow", "fast")),
    "active_slave": BondOption("ifname", None),
    "ad_actor_sys_prio": BondOption("int", "65535", 1, 65535),
    "ad_actor_system": BondOption("mac", None),
    "ad_user_port_key": BondOption("int", "0", 0, 1023),
    "all_slaves_active": BondOption("int", "0", 0, 1),
    "arp_all_targets": BondOption("both", "any", 0, 1, ("any", "all")),
    "min_links": BondOption("int", "0"),
    "num_grat_arp": BondOption("int", "1", 0, 255),
    "num_unsol_na": BondOption("int", "1", 0, 255),
    "packets_per_slave": BondOption("int", "1", 0, 65535),
    "tlb_dynamic_lb": BondOption("int", "1", 0, 1),
    "lp_interval": BondOption("int", "1", 1, 2**31 - 1),
    "peer_notif_delay": BondOption("int", "0"),
}


def bond_option_error(name: str, value: str) -> str | None:
    """_nm_setting_bond_validate_option: None when `name=value` is acceptable, else why not."""
    opt = BOND_OPTIONS.get(name)
    if opt is None:
        return f"invalid option '{name}'" if name else "missing option name"
    ok = True
    if opt.kind in ("int", "both"):
        ok = value.isdigit() and opt.low <= int(value) <= opt.high
        if not ok and opt.kind == "both":
            ok = value in opt.words
    elif opt.kind == "ip":
        import ipaddress

        targets = [t for t in value.replace(",", " ").split() if t]
        if not targets:
            return f"'{name}' option is empty"
        for t in targets:
            try:
                ipaddress.IPv4Address(t)
            except ValueError:
                return f"'{t}' is not a valid IPv4 address for '{name}' option"
    elif opt.kind == "mac":
        parts = value.split(":")
        ok = len(parts) == 6 and all(len(p) == 2 and all(c in "0123456789abcdefABCDEF"
                                                          for c in p) for p in parts)
    elif opt.kind == "ifname":
        ok = 0 < len(value) < 16 and value not in (".", "..") and not any(
            c in value for c in "/: \t\n")
    return None if ok else f"invalid value '{value}' for option '{name}'"


def bond_mode_name(value: str) -> str | None:
    """A mode given as a word or a number, as its word; None if it is neither."""
    if value.isdigit() and int(value) < len(BOND_MODES):
        return BOND_MODES[int(value)]
    return value if value in BOND_MODES else None


BRIDGE = Setting("bridge", (
    Prop("mac-address", "str"), Prop("stp", "bool", True), Prop("priority", "int", 32768),
    Prop("forward-delay", "int", 15), Prop("hello-time", "int", 2), Prop("max-age", "int", 20),
    Prop("ageing-time", "int", 300), Prop("multicast-snooping", "bool", True),
))
IP_METHODS4 = ("auto", "link-local", "manual", "shared", "disabled")
IP_METHODS6 = ("ignore", "auto", "dhcp", "link-local", "manual", "shared", "disabled")
IP_METHODS6_118 = ("ignore", "auto", "dhcp", "link-local", "manual", "shared")


def _ip_props(family: int) -> tuple[Prop, ...]:
    common = (
        Prop("dns", "iplist", ()), Prop("dns-search", "strlist", ()),
        Prop("dns-options", "strlist", None), Prop("dns-priority", "int", 0),
        Prop("addresses", "addrs", ()), Prop("gateway", "str"), Prop("routes", "strlist", ()),
        Prop("route-metric", "int", -1),
        Prop("route-table", "enum", 0, names={0: "unspec", 254: "main", 255: "local"}),
        Prop("routing-rules", "strlist", ()),
        Prop("replace-local-rule", "enum", -1, names=DEFAULT, since=(1, 42)),
        Prop("ignore-auto-routes", "bool", False), Prop("ignore-auto-dns", "bool", False),
    )
    if family == 4:
        return (
            Prop("method", "choice", "auto", values=IP_METHODS4), *common,
            Prop("dhcp-client-id", "str"), Prop("dhcp-iaid", "str", since=(1, 22)),
            Prop("dhcp-timeout", "info", 0, names={0: "default"}),
            Prop("dhcp-send-hostname", "bool", True), Prop("dhcp-hostname", "str"),
            Prop("dhcp-fqdn", "str"),
            Prop("dhcp-hostname-flags", "flags", 0, names={0: "none"}, since=(1, 22)),
            Prop("never-default", "bool", False), Prop("may-fail", "bool", True),
            Prop("required-timeout", "info", -1, names=DEFAULT, since=(1, 34)),
            Prop("dad-timeout", "info", -1, names=DEFAULT),
            Prop("dhcp-vendor-class-identifier", "str", since=(1, 28)),
            Prop("link-local", "enum", 0, names={0: "default", 1: "auto", 2: "disabled",
                                                 3: "enabled"}, since=(1, 40)),
            Prop("dhcp-reject-servers", "strlist", (), since=(1, 28)),
            Prop("auto-route-ext-gw", "enum", -1, names=DEFAULT, since=(1, 42)),
        )
    return (
        Prop("method", "choice", "auto", values=IP_METHODS6), *common,
        Prop("never-default", "bool", False), Prop("may-fail", "bool", True),
        Prop("required-timeout", "info", -1, names=DEFAULT, since=(1, 34)),
        Prop("ip6-privacy", "enum", -1, names={-1: "unknown", 0: "disabled",
                                               1: "enabled, prefer public IP",
                                               2: "enabled, prefer temporary IP"}),
        Prop("addr-gen-mode", "choice", "default",
             values=("eui64", "stable-privacy", "default-or-eui64", "default")),
        Prop("ra-timeout", "info", 0, names={0: "default"}, since=(1, 24)),
        Prop("mtu", "mtu", 0, since=(1, 40)),
        Prop("dhcp-duid", "str", since=(1, 12)), Prop("dhcp-iaid", "str", since=(1, 22)),
        Prop("dhcp-timeout", "info", 0, names={0: "default"}, since=(1, 24)),
        Prop("dhcp-send-hostname", "bool", True), Prop("dhcp-hostname", "str"),
        Prop("dhcp-hostname-flags", "flags", 0, names={0: "none"}, since=(1, 22)),
        Prop("auto-route-ext-gw", "enum", -1, names=DEFAULT, since=(1, 42)),
        Prop("token", "str"),
    )


IPV4 = Setting("ipv4", _ip_props(4))
IPV6 = Setting("ipv6", _ip_props(6))
PROXY = Setting("proxy", (
    Prop("method", "choice", "none", values=("none", "auto")),
    Prop("browser-only", "bool", False), Prop("pac-url", "str"), Prop("pac-script", "str"),
))
SETTINGS: dict[str, Setting] = {s.name: s for s in (CONNECTION, ETHERNET, BOND, BOND_PORT,
                                                     BRIDGE, IPV4, IPV6, PROXY)}
ALIASES = {"ethernet": "802-3-ethernet"}
# the order in which a profile's settings are shown and written
SETTING_ORDER = ("connection", "802-3-ethernet", "bond", "bond-port", "bridge", "ipv4", "ipv6",
                 "proxy")
TYPE_ALIASES = {"ethernet": "802-3-ethernet", "802-3-ethernet": "802-3-ethernet",
                "bond": "bond", "bond-slave": "802-3-ethernet"}
TYPE_DISPLAY = {"802-3-ethernet": "ethernet", "bond": "bond", "bridge": "bridge"}
# default route metrics NetworkManager gives each device type
ROUTE_METRICS = {"802-3-ethernet": 100, "bond": 300, "bridge": 425}


def setting(name: str) -> Setting:
    """A setting by name or alias."""
    return SETTINGS[ALIASES.get(name, name)]


def settings_of(ctype: str, slave_type: str | None, version: tuple[int, int]) -> list[str]:
    """The settings a profile of this type holds (ports have no IP settings)."""
    base = ["connection", ctype]
    if slave_type == "bond":
        return base + (["bond-port"] if version >= (1, 34) else [])
    return [*base, "ipv4", "ipv6", "proxy"]
