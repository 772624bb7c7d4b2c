"""ifcfg-rh files (`/etc/sysconfig/network-scripts/ifcfg-NAME`) as NetworkManager 1.18 writes
and reads them (CentOS 7).

1.18 edits an existing file in place (shvar.c): a key it sets keeps its line, a key it unsets
loses its line, a new key is appended at the end, and lines it does not know (comments, foreign
keys) stay. A new file gets the writer's own order: type-specific keys, proxy, IPv4, IPv6, then
the connection keys. Values with blanks or shell characters are double-quoted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from labkit.nm.keyfile import KeyfileError
from labkit.nm.profile import Profile
from labkit.nm.schema import BOND_MODES, bond_option_error
from labkit.nm.uuids import from_name

_QUOTE_CHARS = set(" \t'~|&;()<>")
_ESCAPE_CHARS = set('"\\$`')
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def escape_id(name: str) -> str:
    """escape_id: the profile name as it goes into the file name."""
    out = name.replace(" ", "_")
    for ch in "\\][|/=()!:`":
        out = out.replace(ch, "-")
    return out


def sv_escape(value: str) -> str:
    """svEscape: quote when the shell would split or expand the value."""
    if not value:
        return ""
    if any(c in _ESCAPE_CHARS for c in value):
        return '"' + "".join("\\" + c if c in _ESCAPE_CHARS else c for c in value) + '"'
    if any(c in _QUOTE_CHARS for c in value):
        return f'"{value}"'
    return value


def sv_unescape(raw: str) -> str:
    """svUnescape: the value of a line, shell quoting removed."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        inner = raw[1:-1]
        return re.sub(r'\\(["\\$`])', r"\1", inner)
    return raw


@dataclass
class _Line:
    key: str | None
    text: str
    deleted: bool = False


class Shvar:
    """An ifcfg file as shvar.c holds it: its lines, set/unset in place."""

    def __init__(self, text: str | None = None) -> None:
        self.lines: list[_Line] = []
        for raw in (text or "").splitlines():
            m = _KEY.match(raw.strip())
            self.lines.append(_Line(m.group(1) if m else None, raw))

    def get(self, key: str) -> str | None:
        for line in reversed(self.lines):
            if line.key == key and not line.deleted:
                return sv_unescape(_KEY.match(line.text.strip()).group(2))  # type: ignore[union-attr]
        return None

    def set(self, key: str, value: str | None) -> None:
        """svSetValue: replace in place (also a line unset earlier), append if new; None
        unsets."""
        found = [line for line in self.lines if line.key == key]
        if value is None:
            for line in found:
                line.deleted = True
            return
        text = f"{key}={sv_escape(value)}"
        if found:
            found[-1].text = text
            found[-1].deleted = False
            for line in found[:-1]:
                line.deleted = True
        else:
            self.lines.append(_Line(key, text))

    def set_bool(self, key: str, value: bool) -> None:
        self.set(key, "yes" if value else "no")

    def keys(self) -> list[str]:
        return [line.key for line in self.lines if line.key and not line.deleted]

    def text(self) -> str:
        return "".join(line.text + "\n" for line in self.lines if not line.deleted)


# -- writing ---------------------------------------------------------------------------------------
def write(profile: Profile, old_text: str | None) -> str:
    """The file for `profile`, edited from `old_text` (NetworkManager 1.18's writer)."""
    sv = Shvar(old_text)
    ctype = profile.type
    if ctype == "bond":
        sv.set("BONDING_OPTS", None)
        options = profile.bond_options()
        if options:
            sv.set("BONDING_OPTS", " ".join(f"{k}={options[k]}" for k in sorted(options)))
        sv.set("TYPE", "Bond")
        sv.set("BONDING_MASTER", "yes")
        if profile.has_setting("802-3-ethernet"):
            _write_wired_virtual(sv, profile)
    else:
        _write_wired(sv, profile)
    if profile.has_setting("proxy"):
        sv.set("BROWSER_ONLY", None)
        sv.set("PAC_URL", None)
        sv.set("PAC_SCRIPT", None)
        sv.set("PROXY_METHOD", profile.get("proxy", "method"))
        sv.set_bool("BROWSER_ONLY", bool(profile.get("proxy", "browser-only")))
    sv.set("DHCP_HOSTNAME", None)
    sv.set("DHCP_FQDN", None)
    _write_ip4(sv, profile)
    _write_ip6(sv, profile)
    _write_connection(sv, profile)
    return sv.text()


def _write_wired(sv: Shvar, p: Profile) -> None:
    get = (lambda k: p.get("802-3-ethernet", k)) if p.has_setting("802-3-ethernet") else (
        lambda k: None)
    sv.set("HWADDR", get("mac-address"))
    sv.set("MACADDR", get("cloned-mac-address"))
    sv.set("GENERATE_MAC_ADDRESS_MASK", get("generate-mac-address-mask"))
    sv.set("HWADDR_BLACKLIST", None)
    mtu = get("mtu")
    sv.set("MTU", str(mtu) if mtu else None)
    for key in ("SUBCHANNELS", "NETTYPE", "PORTNAME", "CTCPROT", "OPTIONS"):
        sv.set(key, None)
    sv.set("TYPE", "Ethernet")


def _write_wired_virtual(sv: Shvar, p: Profile) -> None:
    sv.set("HWADDR", p.get("802-3-ethernet", "mac-address") or "")
    sv.set("MACADDR", p.get("802-3-ethernet", "cloned-mac-address"))
    sv.set("GENERATE_MAC_ADDRESS_MASK", p.get("802-3-ethernet", "generate-mac-address-mask"))
    mtu = p.get("802-3-ethernet", "mtu")
    sv.set("MTU", str(mtu) if mtu else None)


def _numbered(base: str, j: int) -> str:
    return base if j < 0 else f"{base}{j}"


def _write_ip4(sv: Shvar, p: Profile) -> None:
    if not p.has_setting("ipv4"):
        sv.set("BOOTPROTO", None)
        sv.set("RES_OPTIONS", None)
        for key in list(sv.keys()):
            if re.fullmatch(r"(IPADDR|PREFIX|NETMASK|GATEWAY)\d*", key):
                sv.set(key, None)
        return
    method = p.get("ipv4", "method")
    addrs = list(p.get("ipv4", "addresses"))
    if method == "disabled":
        sv.set("BOOTPROTO", None)
        for key in list(sv.keys()):
            if re.fullmatch(r"(IPADDR|PREFIX|NETMASK|GATEWAY)\d*", key):
                sv.set(key, None)
        return
    if method == "auto":
        sv.set("BOOTPROTO", "dhcp")
    elif method == "manual":
        if sv.get("BOOTPROTO") != "static" or not addrs:
            sv.set("BOOTPROTO", "none")
    elif method == "link-local":
        sv.set("BOOTPROTO", "autoip")
    elif method == "shared":
        sv.set("BOOTPROTO", "shared")
    for n, cidr in enumerate(addrs):
        j = -1 if n == 0 else n
        iface = ipaddress.IPv4Interface(cidr)
        sv.set(_numbered("IPADDR", j), str(iface.ip))
        sv.set(_numbered("PREFIX", j), str(iface.network.prefixlen))
        if sv.get(_numbered("NETMASK", j)) is not None:
            sv.set(_numbered("NETMASK", j), str(iface.netmask))
    for j in ["0", *range(len(addrs), 256)]:
        for base in ("IPADDR", "PREFIX", "NETMASK"):
            sv.set(f"{base}{j}", None)
    if not addrs:
        for base in ("IPADDR", "PREFIX", "NETMASK"):
            sv.set(base, None)
    for key in list(sv.keys()):
        if re.fullmatch(r"GATEWAY\d+", key):
            sv.set(key, None)
    sv.set("GATEWAY", p.get("ipv4", "gateway"))
    dns = list(p.get("ipv4", "dns"))
    for i in range(254):
        sv.set(f"DNS{i + 1}", dns[i] if i < len(dns) else None)
    search = list(p.get("ipv4", "dns-search"))
    sv.set("DOMAIN", " ".join(search) if search else None)
    sv.set_bool("DEFROUTE", not p.get("ipv4", "never-default"))
    sv.set("PEERDNS", "no" if p.get("ipv4", "ignore-auto-dns") else None)
    sv.set("PEERROUTES", "no" if p.get("ipv4", "ignore-auto-routes") else None)
    sv.set("DHCP_HOSTNAME", p.get("ipv4", "dhcp-hostname"))
    sv.set("DHCP_FQDN", p.get("ipv4", "dhcp-fqdn"))
    sv.set("DHCP_SEND_HOSTNAME", None if p.get("ipv4", "dhcp-send-hostname") else "no")
    sv.set("DHCP_CLIENT_ID", p.get("ipv4", "dhcp-client-id"))
    timeout = int(p.get("ipv4", "dhcp-timeout") or 0)
    sv.set("IPV4_DHCP_TIMEOUT", str(timeout) if timeout else None)
    sv.set_bool("IPV4_FAILURE_FATAL", not p.get("ipv4", "may-fail"))
    metric = int(p.get("ipv4", "route-metric"))
    sv.set("IPV4_ROUTE_METRIC", str(metric) if metric != -1 else None)
    table = int(p.get("ipv4", "route-table") or 0)
    sv.set("IPV4_ROUTE_TABLE", str(table) if table else None)
    sv.set("ACD_TIMEOUT", None)
    sv.set("ARPING_WAIT", None)
    priority = int(p.get("ipv4", "dns-priority") or 0)
    sv.set("IPV4_DNS_PRIORITY", str(priority) if priority else None)
    options = p.get("ipv4", "dns-options")
    sv.set("RES_OPTIONS", " ".join(options) if options else None)


def _write_ip6(sv: Shvar, p: Profile) -> None:
    if not p.has_setting("ipv6"):
        for key in ("IPV6INIT", "IPV6_AUTOCONF", "DHCPV6C", "DHCPv6_DUID", "DHCPV6_HOSTNAME",
                    "DHCPV6_SEND_HOSTNAME", "IPV6_DEFROUTE", "IPV6_PEERDNS", "IPV6_PEERROUTES",
                    "IPV6_FAILURE_FATAL", "IPV6_ROUTE_METRIC", "IPV6_ADDR_GEN_MODE",
                    "IPV6_RES_OPTIONS"):
            sv.set(key, None)
        return
    method = p.get("ipv6", "method")
    if method == "ignore":
        sv.set("IPV6INIT", "no")
        sv.set("DHCPV6C", None)
        return  # 1.18 leaves the other IPV6_* keys as they are
    sv.set("IPV6INIT", "yes")
    autoconf = {"auto": "yes", "dhcp": "no", "manual": "no", "link-local": "no",
                "shared": "shared"}.get(method, "yes")
    sv.set("IPV6_AUTOCONF", autoconf)
    sv.set("DHCPV6C", "yes" if method == "dhcp" else None)
    addrs = list(p.get("ipv6", "addresses"))
    sv.set("IPV6ADDR", addrs[0] if addrs else None)
    sv.set("IPV6ADDR_SECONDARIES", " ".join(addrs[1:]) if len(addrs) > 1 else None)
    sv.set("IPV6_DEFAULTGW", p.get("ipv6", "gateway"))
    sv.set("IPV6_DEFROUTE", "no" if p.get("ipv6", "never-default") else "yes")
    sv.set("IPV6_PEERDNS", "no" if p.get("ipv6", "ignore-auto-dns") else None)
    sv.set("IPV6_PEERROUTES", "no" if p.get("ipv6", "ignore-auto-routes") else None)
    sv.set("IPV6_FAILURE_FATAL", "no" if p.get("ipv6", "may-fail") else "yes")
    sv.set("IPV6_PRIVACY", None)
    sv.set("IPV6_PRIVACY_PREFER_PUBLIC_IP", None)
    mode = p.get("ipv6", "addr-gen-mode")
    sv.set("IPV6_ADDR_GEN_MODE", None if mode == "eui64" else "stable-privacy")


def _write_connection(sv: Shvar, p: Profile) -> None:
    sv.set("NAME", p.id)
    sv.set("UUID", p.uuid)
    sv.set("STABLE_ID", p.get("connection", "stable-id"))
    sv.set("DEVICE", p.interface_name)
    sv.set_bool("ONBOOT", p.autoconnect)
    prio = int(p.get("connection", "autoconnect-priority") or 0)
    sv.set("AUTOCONNECT_PRIORITY", str(prio) if prio else None)
    if p.type == "bond":
        slaves = p.get("connection", "autoconnect-slaves")
        sv.set("AUTOCONNECT_SLAVES", {1: "yes", 0: "no"}.get(slaves))
    else:
        sv.set("AUTOCONNECT_SLAVES", None)
    sv.set("LLDP", None)
    sv.set("USERS", None)
    sv.set("ZONE", p.get("connection", "zone"))
    for key in ("MASTER_UUID", "MASTER", "SLAVE", "BRIDGE_UUID", "BRIDGE", "TEAM_MASTER_UUID",
                "TEAM_MASTER"):
        sv.set(key, None)
    master = p.master
    if master and p.slave_type == "bond":
        is_uuid = re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                               master) is not None
        sv.set("MASTER_UUID", master if is_uuid else None)
        sv.set("MASTER", master)
        sv.set("SLAVE", "yes")
    sv.set("DEVICETYPE", None)
    sv.set("SECONDARY_UUIDS", None)
    metered = p.get("connection", "metered")
    sv.set("CONNECTION_METERED", metered if metered in ("yes", "no") else None)
    sv.set("MDNS", None)
    sv.set("LLMNR", None)


# -- reading ---------------------------------------------------------------------------------------
def read(text: str, filename: str) -> tuple[Profile, list[str]]:
    """The profile an ifcfg file describes and the reader's warnings; KeyfileError (the
    reason NetworkManager logs) when it cannot be used at all."""
    sv = Shvar(text)
    warnings: list[str] = []
    p = Profile()
    name = filename[len("ifcfg-"):] if filename.startswith("ifcfg-") else filename
    ctype_word = (sv.get("TYPE") or "").lower()
    is_bond = ctype_word == "bond" or (sv.get("BONDING_MASTER") or "").lower() == "yes"
    ctype = "bond" if is_bond else "802-3-ethernet"
    if ctype_word not in ("", "ethernet", "bond"):
        raise KeyfileError(f"Unknown connection type '{sv.get('TYPE')}'")
    p.set("connection", "id", sv.get("NAME") or f"System {name}")
    p.set("connection", "uuid", sv.get("UUID") or _uuid_for(filename))
    p.set("connection", "type", ctype)
    device = sv.get("DEVICE")
    if device:
        p.set("connection", "interface-name", device)
    onboot = (sv.get("ONBOOT") or "yes").lower()
    p.set("connection", "autoconnect", onboot not in ("no", "false", "0"))
    prio = sv.get("AUTOCONNECT_PRIORITY")
    if prio and prio.lstrip("-").isdigit():
        p.set("connection", "autoconnect-priority", int(prio))
    if sv.get("ZONE"):
        p.set("connection", "zone", sv.get("ZONE"))
    master = sv.get("MASTER_UUID") or sv.get("MASTER")
    if master:
        p.set("connection", "master", master)
        p.set("connection", "slave-type", "bond")
    p.add_setting(ctype)
    if not is_bond or sv.get("HWADDR") is not None:
        p.add_setting("802-3-ethernet")
        for key, prop in (("HWADDR", "mac-address"), ("MACADDR", "cloned-mac-address")):
            if sv.get(key):
                p.set("802-3-ethernet", prop, sv.get(key).lower())  # type: ignore[union-attr]
        mtu = sv.get("MTU")
        if mtu and mtu.isdigit():
            p.set("802-3-ethernet", "mtu", int(mtu))
    if is_bond:
        options = []
        for item in (sv.get("BONDING_OPTS") or "").split():
            key, _, value = item.partition("=")
            if key == "mode" and value.isdigit() and int(value) < len(BOND_MODES):
                value = BOND_MODES[int(value)]
            why = bond_option_error(key, value)
            if why:
                warnings.append(f"ignoring invalid bond option {key}={value}: {why}")
                continue
            options.append((key, value))
        p.set("bond", "options", tuple(sorted(options)) or (("mode", "balance-rr"),))
    if not master:
        _read_ip4(sv, p)
        _read_ip6(sv, p)
        p.add_setting("proxy")
        if sv.get("PROXY_METHOD") == "auto":
            p.set("proxy", "method", "auto")
    return p, warnings


def _uuid_for(filename: str) -> str:
    return from_name("ifcfg-rh:" + filename)


def _read_ip4(sv: Shvar, p: Profile) -> None:
    addrs = []
    for j in [-1, *range(0, 256)]:
        ip = sv.get(_numbered("IPADDR", j))
        if ip is None:
            continue
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            raise KeyfileError(f"Invalid {_numbered('IPADDR', j)} IP4 address '{ip}'") \
                from None
        prefix = sv.get(_numbered("PREFIX", j))
        netmask = sv.get(_numbered("NETMASK", j))
        if prefix is not None:
            if not prefix.isdigit() or int(prefix) > 32:
                raise KeyfileError(f"Invalid IP4 prefix '{prefix}'")
            plen = int(prefix)
        elif netmask is not None:
            try:
                plen = ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen
            except ValueError:
                raise KeyfileError(f"Invalid IP4 netmask '{netmask}'") from None
        else:
            plen = 24
        addrs.append(f"{addr}/{plen}")
    bootproto = (sv.get("BOOTPROTO") or "").lower()
    if bootproto in ("dhcp", "bootp"):
        method = "auto"
    elif bootproto in ("none", "static", ""):
        method = "manual" if addrs else ("auto" if not bootproto else "disabled")
    elif bootproto == "autoip":
        method = "link-local"
    elif bootproto == "shared":
        method = "shared"
    else:
        raise KeyfileError(f"Unknown BOOTPROTO '{sv.get('BOOTPROTO')}'")
    p.set("ipv4", "method", method)
    if addrs:
        p.set("ipv4", "addresses", tuple(addrs))
    gateway = sv.get("GATEWAY")
    if gateway:
        try:
            p.set("ipv4", "gateway", str(ipaddress.IPv4Address(gateway)))
        except ValueError:
            raise KeyfileError(f"Invalid GATEWAY IP4 address '{gateway}'") from None
    dns = []
    for i in range(1, 255):
        value = sv.get(f"DNS{i}")
        if value:
            try:
                dns.append(str(ipaddress.IPv4Address(value)))
            except ValueError:
                continue
    if dns:
        p.set("ipv4", "dns", tuple(dns))
    if (sv.get("DEFROUTE") or "yes").lower() == "no":
        p.set("ipv4", "never-default", True)
    if (sv.get("IPV4_FAILURE_FATAL") or "no").lower() == "yes":
        p.set("ipv4", "may-fail", False)
    metric = sv.get("IPV4_ROUTE_METRIC")
    if metric and metric.lstrip("-").isdigit():
        p.set("ipv4", "route-metric", int(metric))


def _read_ip6(sv: Shvar, p: Profile) -> None:
    init = (sv.get("IPV6INIT") or "no").lower()
    if init in ("no", "false", "0"):
        p.set("ipv6", "method", "ignore")
    else:
        autoconf = (sv.get("IPV6_AUTOCONF") or "yes").lower()
        if (sv.get("DHCPV6C") or "").lower() == "yes":
            method = "dhcp"
        elif autoconf == "shared":
            method = "shared"
        elif autoconf == "yes":
            method = "auto"
        elif sv.get("IPV6ADDR"):
            method = "manual"
        else:
            method = "link-local"
        p.set("ipv6", "method", method)
        if sv.get("IPV6ADDR"):
            p.set("ipv6", "addresses", (sv.get("IPV6ADDR"),
                                        *(sv.get("IPV6ADDR_SECONDARIES") or "").split()))
    mode = sv.get("IPV6_ADDR_GEN_MODE")
    p.set("ipv6", "addr-gen-mode", "stable-privacy" if mode == "stable-privacy" else "eui64")
    if (sv.get("IPV6_DEFROUTE") or "yes").lower() == "no":
        p.set("ipv6", "never-default", True)
    if (sv.get("IPV6_FAILURE_FATAL") or "no").lower() == "yes":
        p.set("ipv6", "may-fail", False)
