"""`nmcli connection`: show, up, down, add, modify, delete, reload, load, clone.

Profiles are found by id, uuid, D-Bus path or file name (never by prefix); properties are set
in the order typed, the first refusal stops with nmcli's message; the daemon verifies what
nmcli sends and its refusal is printed as `Failed to add/modify`.
"""

from __future__ import annotations

import datetime as _dt
import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING

from labkit.nm.daemon import NMError
from labkit.nm.nmcli import activation, output
from labkit.nm.nmcli.context import (
    ACTIVATION,
    NOT_FOUND,
    UNKNOWN,
    USER_INPUT,
    Context,
    FieldSelection,
    NmcliExit,
    matches,
)
from labkit.nm.nmcli.values import (
    ValueError_,
    add_bond_option,
    allowed_settings,
    is_valid,
    match_name,
    parse_bool,
    render,
    resolve_property,
    resolve_setting,
    set_value,
)
from labkit.nm.objects import AcState, DeviceState, SettingsConnection
from labkit.nm.profile import Profile, ProfileInvalid
from labkit.nm.schema import BOND_MODES, SETTINGS, TYPE_DISPLAY, bond_mode_name

if TYPE_CHECKING:
    from labkit.nm.daemon import NetworkManager
    from labkit.nm.objects import ActiveConnection

COMMANDS = ("show", "up", "down", "add", "edit", "delete", "reload", "load", "modify", "clone",
            "import", "export", "migrate", "monitor")
SHOW_FIELDS = ("NAME", "UUID", "TYPE", "TIMESTAMP", "TIMESTAMP-REAL", "AUTOCONNECT",
               "AUTOCONNECT-PRIORITY", "READONLY", "DBUS-PATH", "ACTIVE", "DEVICE", "STATE",
               "ACTIVE-PATH", "SLAVE", "FILENAME")
SHOW_COMMON = ("NAME", "UUID", "TYPE", "DEVICE")
SELECTORS = ("id", "uuid", "path", "filename")
AC_STATE_TEXT = {AcState.ACTIVATING: "activating", AcState.ACTIVATED: "activated",
                 AcState.DEACTIVATING: "deactivating", AcState.DEACTIVATED: "deactivated"}


def dispatch(nmc: Context, args: list[str]) -> None:
    if not args:
        show(nmc, [])
        return
    word = args.pop(0)
    if word in ("help", "--help", "-h"):
        nmc.out("Usage: nmcli connection { COMMAND | help }\n\nCOMMAND := { show | up | down "
                "| add | modify | clone | edit | delete | monitor | reload | load | import | "
                "export | migrate }\n\n")
        return
    cmd = next((c for c in COMMANDS if matches(word, c)), None)
    if cmd is None:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: argument '%s' not understood. Try passing "
                                           "--help instead.") % word)
    handler = {"show": show, "up": up, "down": down, "add": add, "delete": delete,
               "reload": reload, "load": load, "modify": modify, "clone": clone}.get(cmd)
    if handler is None:
        raise NmcliExit(USER_INPUT, f"Error: labkit's nmcli does not offer 'connection {cmd}'"
                                    " (it is interactive or needs files from elsewhere).")
    handler(nmc, args)


# -- finding profiles ----------------------------------------------------------------------------
def _take_selector(nmc: Context, args: list[str], extra: tuple[str, ...] = ()
                   ) -> tuple[str | None, str]:
    """A selector word (`id`, `uuid`, ... and `extra`) and the value after it, as `connection
    show` and `down` read them: a selector with nothing after it is "%s argument is missing"
    naming the selector."""
    kind = None
    if args and args[0] in SELECTORS + extra:
        kind = args.pop(0)
        if not args:
            raise NmcliExit(USER_INPUT, nmc.tr("Error: %s argument is missing.") % kind)
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No connection specified."))
    return kind, args.pop(0)


class Lookup(Exception):
    """get_connection's error: its code and its message (translated, without 'Error:')."""

    def __init__(self, rc: int, text: str, kind: str | None = None, key: str = "") -> None:
        super().__init__(text)
        self.rc, self.text, self.kind, self.key = rc, text, kind, key


def get_connection(nmc: Context, args: list[str]) -> SettingsConnection:
    """get_connection (nmcli's connections.c): the profile the next words name. Its messages
    are wrapped by each verb ("Error: %s."); a selector with nothing after it names a NULL
    selector, which glibc prints as "(null)"."""
    tr = nmc.tr
    if not args:
        raise Lookup(USER_INPUT, tr("No connection specified"))
    kind = None
    if args[0] in SELECTORS:
        if len(args) == 1:
            raise Lookup(USER_INPUT, tr("%s argument is missing") % "(null)")
        kind = args.pop(0)
    key = args.pop(0)
    sc = find(nmc.daemon, key, kind)
    if sc is None:
        raise Lookup(NOT_FOUND, tr("unknown connection '%s'") % key, kind, key)
    return sc


def connection_or_exit(nmc: Context, args: list[str]) -> SettingsConnection:
    """get_connection for a verb that stops at its error with "Error: %s."."""
    try:
        return get_connection(nmc, args)
    except Lookup as exc:
        raise NmcliExit(exc.rc, nmc.tr("Error: %s.") % exc.text) from None


def _is_option(word: str, names: tuple[str, ...]) -> bool:
    """nmc_arg_is_option: `-x` or `--x` where x is a prefix of one of `names`."""
    if not word.startswith("-"):
        return False
    rest = word[2:] if word.startswith("--") else word[1:]
    return any(matches(rest, n) for n in names)


def find(nm: NetworkManager, key: str, kind: str | None) -> SettingsConnection | None:
    hits = nm.find_connections(key, kind)
    return hits[0] if hits else None


# -- show ------------------------------------------------------------------------------------------
def show(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    active_only = False
    while args and _is_option(args[0], ("active", "order", "ask", "show-secrets")):
        opt = args.pop(0)
        if _is_option(opt, ("active",)):
            active_only = True
        elif _is_option(opt, ("order",)):
            if not args:
                raise NmcliExit(USER_INPUT, nmc.tr("Error: %s.")
                                % nmc.tr("'--order' argument is missing"))
            args.pop(0)  # accepted and not applied: the table keeps nmcli's default order
    if not args:
        _show_table(nmc, nm, active_only)
        return
    first = True
    while args:
        kind, key = _take_selector(nmc, args, ("apath",))
        sc = find(nm, key, kind if kind != "apath" else None)
        if sc is None:
            raise NmcliExit(NOT_FOUND, nmc.tr("Error: %s - no such connection profile.") % key)
        if not first:
            nmc.out("\n")
        first = False
        _show_details(nmc, nm, sc)


def _timestamp_real(ts: int) -> str:
    if not ts:
        return "never"
    when = _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)
    return when.strftime("%a %b %e %H:%M:%S %Y")  # strftime %c in the C locale


def ac_sort_key(nm: NetworkManager) -> Callable[[ActiveConnection | None], tuple]:
    """nmc_active_connection_cmp as used for sorting (smaller first): active before inactive;
    then (up to 1.45) activating before activated; the default route first; more addresses.
    The kernel's addresses and the default route are read once for the whole listing."""
    snap = nm.kernel.snapshot()
    default_ac = nm.default_ac()

    def key(ac: ActiveConnection | None) -> tuple:
        if ac is None:
            return (1,)
        state_ord = {AcState.ACTIVATING: 3, AcState.ACTIVATED: 4}.get(ac.state, 2)
        default = 1 if default_ac is ac else 0
        applied = ac.device.applied
        addrs = 0 if applied is None or applied.is_port else \
            len(snap.addresses_of(ac.device.iface))
        return (0, state_ord, -default, -addrs)

    return key


def _show_table(nmc: Context, nm: NetworkManager, active_only: bool) -> None:
    nm.sync()
    try:
        fields = nmc.table_fields(SHOW_FIELDS, SHOW_COMMON)
    except FieldSelection as exc:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: %s.") % exc) from None
    rows = []
    for sc in nm.connections:
        acs = nm.active_for(sc)
        if active_only and not acs:
            continue
        ac = acs[0] if acs else None
        rows.append((sc, ac))
    ac_key = ac_sort_key(nm)
    rows.sort(key=lambda r: (ac_key(r[1]), r[0].id.encode("utf-8", "surrogateescape"), r[0].number))
    terse = nmc.mode.terse
    table_rows = [[_show_cell(nmc, nm, sc, ac, f, terse) for f in fields] for sc, ac in rows]
    title = (nmc.tr("NetworkManager active profiles") if active_only
             else nmc.tr("NetworkManager connection profiles"))
    nmc.out(output.table(nmc.mode, list(fields), table_rows, title=title))


def _show_cell(nmc: Context, nm: NetworkManager, sc: SettingsConnection,
               ac: ActiveConnection | None, field: str, terse: bool) -> str:
    profile = sc.profile
    if field == "NAME":
        return sc.id
    if field == "UUID":
        return sc.uuid
    if field == "TYPE":
        return profile.type if terse else TYPE_DISPLAY.get(profile.type, profile.type)
    if field == "TIMESTAMP":
        return str(sc.timestamp)
    if field == "TIMESTAMP-REAL":
        return _timestamp_real(sc.timestamp) if sc.timestamp else nmc.tr("never")
    if field == "AUTOCONNECT":
        return nmc.tr("yes") if profile.autoconnect else nmc.tr("no")
    if field == "AUTOCONNECT-PRIORITY":
        return str(profile.get("connection", "autoconnect-priority"))
    if field == "READONLY":
        return nmc.tr("no")
    if field == "DBUS-PATH":
        return sc.dbus_path
    if field == "ACTIVE":
        return nmc.tr("yes") if ac else nmc.tr("no")
    if field == "DEVICE":
        return ac.device.iface if ac else ""
    if field == "STATE":
        return nmc.tr(AC_STATE_TEXT[ac.state]) if ac else ""
    if field == "ACTIVE-PATH":
        return ac.dbus_path if ac else ""
    if field == "SLAVE":
        return profile.slave_type or ""
    if field == "FILENAME":
        return sc.path or ""
    return ""


def _profile_items(nmc: Context, nm: NetworkManager, sc: SettingsConnection,
                   settings: list[str], only: dict[str, list[str] | None]
                   ) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    profile = sc.profile
    terse = nmc.mode.terse
    for name in DISPLAY_ORDER:
        if name not in settings or (only and name not in only):
            continue
        wanted = only.get(name) if only else None
        for prop in SETTINGS[name].props_for(nmc.version):
            if wanted is not None and prop.name not in wanted:
                continue
            if name == "connection" and prop.name == "timestamp":
                value = sc.timestamp
            else:
                value = profile.get(name, prop.name)
            if prop.hidden_default and value == prop.default:
                continue
            if name == "connection" and prop.name == "read-only" and nmc.version >= (1, 44):
                continue
            items.append((f"{name}.{prop.name}", render(name, prop, value, terse, nmc.tr)))
    return items


ACTIVE_GROUPS = ("GENERAL", "IP4", "DHCP4", "IP6", "DHCP6", "VPN")
# the order `connection show ID` prints settings in (NMC_FIELDS_SETTINGS_NAMES_ALL)
DISPLAY_ORDER = ("connection", "802-3-ethernet", "ipv4", "ipv6", "bond", "bond-port", "bridge",
                 "proxy")


def _active_items(nmc: Context, nm: NetworkManager, ac: ActiveConnection,
                  only: dict[str, list[str] | None]) -> list[tuple[str, str | list[str]]]:
    general: list[tuple[str, str | list[str]]] = [
        ("GENERAL.NAME", ac.sc.id), ("GENERAL.UUID", ac.sc.uuid),
        ("GENERAL.DEVICES", ac.device.iface), ("GENERAL.IP-IFACE", ac.device.iface),
        ("GENERAL.STATE", nmc.tr(AC_STATE_TEXT[ac.state])),
        ("GENERAL.DEFAULT", nmc.tr("yes") if nm.default_ac() is ac else nmc.tr("no")),
        ("GENERAL.DEFAULT6", nmc.tr("no")), ("GENERAL.SPEC-OBJECT", ""),
        ("GENERAL.VPN", nmc.tr("no")), ("GENERAL.DBUS-PATH", ac.dbus_path),
        ("GENERAL.CON-PATH", ac.sc.dbus_path), ("GENERAL.ZONE", ""),
        ("GENERAL.MASTER-PATH", ac.master.device.dbus_path if ac.master else ""),
    ]
    if nmc.version < (1, 30):
        general = [g for g in general if g[0] != "GENERAL.IP-IFACE"]
    groups: dict[str, list[tuple[str, str | list[str]]]] = {"GENERAL": general}
    groups["IP4"] = ip_items(nmc, nm, ac.device.iface, 4, ac)
    groups["IP6"] = ip_items(nmc, nm, ac.device.iface, 6, ac)
    return select_groups(groups, ACTIVE_GROUPS, only)


def select_groups(groups: dict[str, list[tuple[str, str | list[str]]]], order: tuple[str, ...],
                  only: dict[str, list[str] | None]) -> list[tuple[str, str | list[str]]]:
    """The items of a multi-line view that -f selects (GROUP, or GROUP.FIELD): groups in
    `order`, a group's chosen fields in the order they were typed."""
    items: list[tuple[str, str | list[str]]] = []
    for group in order:
        if group not in groups or (only and group not in only):
            continue
        wanted = only.get(group) if only else None
        chosen = [(name, value) for name, value in groups[group]
                  if wanted is None or name.split(".", 1)[1].split("[")[0] in wanted]
        if wanted is not None:
            chosen.sort(key=lambda item: wanted.index(item[0].split(".", 1)[1].split("[")[0]))
        items += chosen
    return items


def ip_items(nmc: Context, nm: NetworkManager, iface: str, family: int,
             ac: ActiveConnection | None) -> list[tuple[str, str | list[str]]]:
    """IP4.* / IP6.* of a device: its addresses, gateway, routes and DNS."""
    snap = nm.kernel.snapshot()
    tag = f"IP{family}"
    addrs = [a.cidr for a in snap.addresses_of(iface, family)]
    items: list[tuple[str, str | list[str]]] = []
    if family == 4:
        gateway = next((r.gateway for r in snap.routes if r.dev == iface and r.dst == "default"
                        and r.gateway), None)
        routes = []
        for r in snap.routes:
            if r.dev != iface or r.proto not in ("kernel", "static"):
                continue
            dst = "0.0.0.0/0" if r.dst == "default" else r.dst
            routes.append(f"dst = {dst}, nh = {r.gateway or '0.0.0.0'}, mt = {r.metric or 0}")
        routes.sort(key=lambda t: t.startswith("dst = 0.0.0.0/0"))
        dns = list(ac.device.applied.get("ipv4", "dns")) if ac and ac.device.applied and \
            ac.device.applied.has_setting("ipv4") else []
    else:
        gateway = None
        # the link-local route: NetworkManager's own (metric 1024) for the link-local it made,
        # the kernel's (256) for one the kernel made (ipv6.method ignore)
        ll = [a for a in snap.addresses_of(iface, 6) if a.local.startswith("fe80:")]
        routes = [f"dst = fe80::/64, nh = ::, mt = "
                  f"{1024 if 'noprefixroute' in ll[0].flags else 256}"] if ll else []
        addrs = [a for a in addrs if not a.startswith("fe80:")] + [a for a in addrs
                                                                   if a.startswith("fe80:")]
        dns = []
    for i, a in enumerate(addrs, start=1):
        items.append((f"{tag}.ADDRESS[{i}]", a))
    items.append((f"{tag}.GATEWAY", gateway or ""))
    for i, route_text in enumerate(routes, start=1):
        items.append((f"{tag}.ROUTE[{i}]", route_text))
    for i, d in enumerate(dns, start=1):
        items.append((f"{tag}.DNS[{i}]", d))
    return items


# every setting nmcli knows (nm_meta_setting_infos_editor_p, by name), for `-f` of `c show ID`
ALL_SETTING_NAMES = (
    "6lowpan", "802-11-olpc-mesh", "802-11-wireless", "802-11-wireless-security", "802-1x",
    "802-3-ethernet", "adsl", "bluetooth", "bond", "bond-port", "bridge", "bridge-port", "cdma",
    "connection", "dcb", "dummy", "ethtool", "generic", "gsm", "hostname", "infiniband",
    "ip-tunnel", "ipv4", "ipv6", "loopback", "macsec", "macvlan", "match", "ovs-bridge",
    "ovs-dpdk", "ovs-external-ids", "ovs-interface", "ovs-other-config", "ovs-patch",
    "ovs-port", "ppp", "pppoe", "proxy", "serial", "sriov", "tc", "team", "team-port", "tun",
    "user", "veth", "vlan", "vpn", "vrf", "vxlan", "wifi-p2p", "wimax", "wireguard", "wpan")


def _parse_detail_fields(nmc: Context, spec: str | None, settings: list[str]
                         ) -> dict[str, list[str] | None]:
    """split_required_fields_for_con_show: -f for `connection show ID` takes any setting's
    name (any case, never its alias), setting.property, the active groups (GENERAL, IP4 ...,
    GENERAL.STATE) and the pseudo-groups `profile` and `active`, each alone."""
    if spec is None or spec.strip().lower() in ("all", "common"):
        return {}
    tr = nmc.tr
    out: dict[str, list[str] | None] = {}
    profile = active = False
    named_setting = named_active = False
    for item in spec.split(","):
        item = item.strip()
        head, dot, tail = item.partition(".")
        low = head.lower()
        if not dot and low in ("all", "common"):
            named_setting = named_active = True
            out.update({s: None for s in settings})
            out.update({g: None for g in ACTIVE_GROUPS})
            continue
        group = next((n for n in ALL_SETTING_NAMES if n == low), None)
        if group is not None:
            named_setting = True
        else:
            group = next((g for g in ACTIVE_GROUPS if g.lower() == low), None)
            if group is not None:
                named_active = True
        if group is None:
            if low == "profile":
                profile = True
                continue
            if low == "active":
                active = True
                continue
            why = tr("invalid field '%s'; allowed fields: %s and %s, or %s,%s") % (
                item, ",".join(ALL_SETTING_NAMES), ",".join(ACTIVE_GROUPS), "profile",
                "active")
            raise NmcliExit(USER_INPUT, tr("Error: %s.") % why)
        if not dot:
            out[group] = None
        else:
            field = tail.upper() if group in ACTIVE_GROUPS else tail.lower()
            if group in SETTINGS:
                names = [pr.name for pr in SETTINGS[group].props_for(nmc.version)]
                if field not in names:
                    why = tr("invalid field '%s%s%s%s%s'; %s%s%s") % (
                        "", "", item, "", "", "allowed fields: ",
                        ",".join(f"{group}.{n}" for n in names), "")
                    raise NmcliExit(USER_INPUT, tr("Error: 'connection show': %s") % why)
            current = out.setdefault(group, [])
            if current is not None and field not in current:
                current.append(field)
    if profile:
        if named_setting:
            raise NmcliExit(USER_INPUT, tr("Error: %s.") % (tr("'%s' has to be alone")
                                                           % "profile"))
        out.update({s: None for s in settings})
    if active:
        if named_active:
            raise NmcliExit(USER_INPUT, tr("Error: %s.") % (tr("'%s' has to be alone")
                                                           % "active"))
        out.update({g: None for g in ACTIVE_GROUPS})
    return out


def _show_details(nmc: Context, nm: NetworkManager, sc: SettingsConnection) -> None:
    nm.sync()
    settings = sc.profile.settings()
    only = _parse_detail_fields(nmc, nmc.fields, settings)
    items: list[tuple[str, str | list[str]]] = list(_profile_items(nmc, nm, sc, settings, only))
    acs = nm.active_for(sc)
    if acs:
        items += _active_items(nmc, nm, acs[0], only)
    if nmc.get_values:
        nmc.out(output.values_only(nmc.mode, items))
        return
    if nmc.mode.multiline is False:
        nmc.out(output.per_field_tables(nmc.mode, items))
        return
    sections = []
    prev = None
    for index, (name, _) in enumerate(items):
        group = name.split(".", 1)[0]
        if prev is not None and group != prev:
            sections.append(index - 1)
        prev = group
    sections.append(len(items) - 1)
    title = f"Connection profile details ({sc.id})"
    nmc.out(output.multiline(nmc.mode, items, title=title, sections=sections))


# -- up / down -------------------------------------------------------------------------------------
def up(nmc: Context, args: list[str]) -> None:
    """do_connection_up: [id|uuid|path|filename] NAME, then ifname/ap/passwd-file options."""
    nm = nmc.daemon
    tr = nmc.tr
    sc = None
    if args and args[0] != "ifname":
        sc = connection_or_exit(nmc, args)
    ifname = None
    while args:
        opt = args.pop(0)
        if opt in ("ifname", "ap", "passwd-file"):
            if not args:
                raise NmcliExit(USER_INPUT, tr("Error: %s argument is missing.") % opt)
            value = args.pop(0)
            if opt == "ifname":
                ifname = value
            elif opt == "ap":
                raise NmcliExit(USER_INPUT, "Error: labkit's lab has no Wi-Fi access points.")
            else:
                raise NmcliExit(USER_INPUT, "Error: labkit's nmcli reads no passwd-file.")
        else:
            raise NmcliExit(USER_INPUT, tr("Error: invalid extra argument '%s'.") % opt)
    device = None
    if ifname is not None:
        device = nm.device(ifname)
        if sc is None and device is None:
            raise NmcliExit(NOT_FOUND, tr("Error: %s.") % (tr("unknown device '%s'.") % ifname))
        if sc is not None and device is None:
            raise NmcliExit(ACTIVATION, tr("Error: %s.") % (tr("device '%s' not compatible "
                                                              "with connection '%s'")
                                                           % (ifname, sc.id)))
    if sc is None:
        if device is None:
            raise NmcliExit(NOT_FOUND, tr("Error: %s.") % tr("neither a valid connection nor "
                                                             "device given"))
        sc = nm.best_connection(device, user=True)
        if sc is None:  # labkit: the daemon's refusal, worded as `device connect` words it
            raise NmcliExit(ACTIVATION, tr("Error: Connection activation failed: %s")
                            % tr("No suitable connection found."))
    try:
        pending = nm.activate(sc, device, user=True)
    except NMError as exc:
        raise NmcliExit(ACTIVATION, nmc.tr("Error: Connection activation failed: %s")
                        % nmc.tr(str(exc))) from None
    ac = pending.ac

    def report() -> None:
        if activation.failed(nmc, pending, hint=True):
            return
        if ac.device.dtype in ("bond", "bridge") and ac.ports_waiting:
            msg = nmc.tr("Connection successfully activated (%s) (D-Bus active path: %s)\n") \
                % (nmc.tr("master waiting for slaves"), ac.dbus_path)
        else:
            msg = nmc.tr("Connection successfully activated (D-Bus active path: %s)\n") \
                % ac.dbus_path
        nmc.out(msg)

    # nmcli returns early for a master that reached IP configuration ("waiting for ports")
    activation.report_when_done(nmc, pending, ac.device.dtype in ("bond", "bridge")
                                and ac.device.state >= DeviceState.IP_CONFIG, report)


def down(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No connection specified."))
    targets: list[ActiveConnection] = []
    missing = False
    while args:
        kind, key = _take_selector(nmc, args, ("apath",))
        found = [a for a in nm.active if (
            (kind in (None, "id") and a.sc.id == key) or (kind in (None, "uuid")
                                                          and a.sc.uuid == key)
            or (kind in (None, "apath") and a.dbus_path == key))]
        if not found:
            nmc.call.err(nmc.tr("Error: '%s' is not an active connection.\n") % key)
            missing = True
            continue
        targets += found
    if not targets:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: no active connection provided."))
    for ac in targets:
        nm.deactivate(ac)
        nmc.out(nmc.tr("Connection '%s' successfully deactivated (D-Bus active path: %s)\n")
                % (ac.sc.id, ac.dbus_path))
    if missing:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: not all active connections found."))


# -- add / modify ----------------------------------------------------------------------------------
CONNECTION_ALIASES = {"con-name": "id", "type": "type", "ifname": "interface-name",
                      "autoconnect": "autoconnect", "master": "master",
                      "slave-type": "slave-type"}
BOND_ALIASES = ("mode", "primary", "miimon", "downdelay", "updelay", "arp-interval",
                "arp-ip-target", "lacp-rate")
TYPES = {"ethernet": "802-3-ethernet", "802-3-ethernet": "802-3-ethernet", "bond": "bond",
         "bond-slave": "802-3-ethernet"}
TYPE_NAMES = ("6lowpan", "802-11-olpc-mesh", "802-11-wireless", "802-3-ethernet", "adsl",
              "bluetooth", "bond", "bond-slave", "bridge", "bridge-slave", "cdma", "dummy",
              "generic", "gsm", "infiniband", "ip-tunnel", "loopback", "macsec", "macvlan",
              "olpc-mesh", "ovs-bridge", "ovs-dpdk", "ovs-interface", "ovs-patch", "ovs-port",
              "pppoe", "team", "team-slave", "tun", "veth", "vlan", "vpn", "vrf", "vxlan",
              "wifi-p2p", "wimax", "wireguard", "wpan", "ethernet", "wifi")


class Quiet(Exception):
    """nmcli's silent failure: a bond mode alias it cannot parse (error code 0, nothing shown)."""


class Editor:
    """Applies typed properties to a profile, as nmc_process_connection_properties."""

    def __init__(self, nmc: Context, nm: NetworkManager, profile: Profile, adding: bool) -> None:
        self.nmc = nmc
        self.nm = nm
        self.profile = profile
        self.adding = adding

    def allowed(self) -> list[str]:
        ctype = self.profile.type
        if not ctype:
            return ["connection"]
        return allowed_settings(ctype, self.profile.slave_type, self.nmc.version)

    def apply(self, args: list[str]) -> None:
        tr = self.nmc.tr
        if not args:
            raise NmcliExit(USER_INPUT, tr("Error: <setting>.<property> argument is missing."))
        while args:
            option = args.pop(0)
            modifier = ""
            name = option
            if option[:1] in "+-" and len(option) > 1:
                modifier, name = option[0], option[1:]
            if not args:
                raise NmcliExit(USER_INPUT, tr("Error: value for '%s' is missing.") % option)
            raw = args.pop(0)
            value = raw if raw != "" else None
            if "." in name:
                sett_word, _, prop_word = name.partition(".")
                try:
                    setting = resolve_setting(sett_word, self.allowed(), tr)
                except ValueError_ as exc:
                    raise NmcliExit(USER_INPUT, tr("Error: invalid or not allowed setting "
                                                   "'%s': %s.") % (sett_word, exc)) from None
                self.set(setting, prop_word, value, modifier)
            else:
                self.alias(name, value, option)

    def set(self, setting: str, prop_word: str, value: str | None, modifier: str) -> None:
        tr = self.nmc.tr
        if setting not in SETTINGS:
            raise NmcliExit(USER_INPUT, f"Error: labkit's nmcli does not model setting "
                                        f"'{setting}'.")
        try:
            prop = resolve_property(setting, prop_word, self.nmc.version, tr)
        except ValueError_ as exc:
            raise NmcliExit(USER_INPUT, tr("Error: invalid property '%s': %s.")
                            % (prop_word, exc)) from None
        if setting == "connection" and prop.name == "type" and not self.adding:
            if value != self.profile.type:
                raise self._modify_error(setting, prop_word, "Can not change the connection "
                                                             "type")
            return
        if setting == "connection" and prop.name == "master":
            self._master(value)
            return
        if setting == "connection" and prop.name == "uuid" and not self.adding and \
                value != self.profile.get("connection", "uuid"):
            # _set_fcn_connection_uuid's words are not marked for translation
            raise self._modify_error(setting, prop_word, "the property can't be changed")
        current = self.profile.get(setting, prop.name)
        try:
            new = set_value(setting, prop, current, value, modifier, tr, self.nmc.version)
        except ValueError_ as exc:
            raise self._modify_error(setting, prop_word, str(exc)) from None
        self.profile.add_setting(setting)
        if setting == "connection" and prop.name == "type":
            self._set_type(value or "")
            return
        self.profile.set(setting, prop.name, new)

    def _modify_error(self, setting: str, prop_word: str, why: str) -> NmcliExit:
        return NmcliExit(USER_INPUT, self.nmc.tr("Error: failed to modify %s.%s: %s.")
                         % (setting, prop_word, why))

    def _set_type(self, word: str) -> None:
        tr = self.nmc.tr
        if self.adding:
            name = _toplevel_type(word, tr)
        else:
            try:
                name = match_name(word, list(TYPE_NAMES), tr=tr)
            except ValueError_ as exc:
                raise self._modify_error("connection", "type", str(exc)) from None
        ctype = TYPES.get(name)
        if ctype is None:
            raise NmcliExit(USER_INPUT, f"Error: labkit's nmcli does not model connections of "
                                        f"type '{name}'; it has ethernet and bond.")
        self.profile.set("connection", "type", ctype)
        if name == "bond-slave":
            self.profile.set("connection", "slave-type", "bond")
        for s in allowed_settings(ctype, self.profile.slave_type, self.nmc.version):
            if (s in SETTINGS and s in ("connection", ctype, "bond-port")) or (
                    s in ("ipv4", "ipv6", "proxy") and not self.profile.slave_type):
                self.profile.add_setting(s)
        if ctype == "bond":
            self.profile.set("bond", "options", (("mode", "balance-rr"),))

    def _master(self, value: str | None) -> None:
        """normalized_master_for_slave: an ifname or uuid is kept, a profile name becomes its
        uuid, anything else is kept with a warning; slave-type follows the master's type."""
        if value is None:
            self.profile.unset("connection", "master")
            return
        kind = None
        for prefix in ("ifname/", "uuid/", "id/"):
            if value.startswith(prefix):
                kind, value = prefix[:-1], value[len(prefix):]
        found = None
        stored = value
        for sc in self.nm.connections:
            p = sc.profile
            if p.slave_type or p.type != "bond":
                continue
            if kind in (None, "uuid") and sc.uuid == value:
                found = sc
                break
            if kind in (None, "ifname") and p.interface_name == value:
                found = sc
                break
        if found is None:
            for sc in self.nm.connections:
                if kind in (None, "id") and sc.id == value and sc.profile.type == "bond":
                    found, stored = sc, sc.uuid
                    break
        if found is None:
            self.nmc.out(self.nmc.tr("Warning: master='%s' doesn't refer to any existing "
                                     "profile.\n") % value)
        self.profile.set("connection", "master", stored)
        if found is not None and not self.profile.slave_type:
            self.profile.set("connection", "slave-type", "bond")
            self.profile.remove_setting("ipv4")
            self.profile.remove_setting("ipv6")
            self.profile.remove_setting("proxy")
            if self.nmc.version >= (1, 34):
                self.profile.add_setting("bond-port")

    def alias(self, name: str, value: str | None, option: str) -> None:
        tr = self.nmc.tr
        allowed = self.allowed()
        if name in CONNECTION_ALIASES:
            self.set("connection", CONNECTION_ALIASES[name], value, "")
            return
        if name in BOND_ALIASES and "bond" in allowed:
            key = name.replace("-", "_")
            if key == "mode" and value is not None:
                mode = bond_mode_name(value) or _mode_prefix(value)
                if mode is None:
                    raise Quiet()  # nmc_bond_validate_mode sets error code 0: silent exit 0
                value = mode
            opts = dict(self.profile.get("bond", "options"))
            try:
                add_bond_option(opts, key, value, tr)
            except ValueError_ as exc:
                raise self._modify_error("bond", "options", str(exc)) from None
            self.profile.set("bond", "options", tuple(sorted(opts.items())))
            return
        if name in ("ip4", "ip6") and ("ipv4" if name == "ip4" else "ipv6") in allowed:
            setting = "ipv4" if name == "ip4" else "ipv6"
            had = self.profile.has_setting(setting) and "addresses" in self.profile.values.get(
                setting, {})
            self.set(setting, "addresses", value, "+")
            if not had and self.profile.get(setting, "method") in ("auto", "ignore"):
                self.profile.set(setting, "method", "manual")
            return
        if name in ("gw4", "gw6") and ("ipv4" if name == "gw4" else "ipv6") in allowed:
            self.set("ipv4" if name == "gw4" else "ipv6", "gateway", value, "")
            return
        if name in ("mtu", "mac", "cloned-mac") and "802-3-ethernet" in allowed:
            prop = {"mtu": "mtu", "mac": "mac-address", "cloned-mac": "cloned-mac-address"}
            self.set("802-3-ethernet", prop[name], value, "")
            return
        if name == "queue-id" and "bond-port" in allowed:
            self.set("bond-port", "queue-id", value, "")
            return
        raise NmcliExit(USER_INPUT, tr("Error: invalid <setting>.<property> '%s'.") % name)


SETTING_ALIASES = {"802-11-olpc-mesh": "olpc-mesh", "802-3-ethernet": "ethernet",
                   "802-11-wireless": "wifi", "802-11-wireless-security": "wifi-sec"}
# settings that are a type of their own (have valid_parts), in nm_meta_setting_infos' order
BASE_TYPES = (
    "6lowpan", "802-11-olpc-mesh", "802-11-wireless", "802-3-ethernet", "adsl", "bluetooth",
    "bond", "bridge", "cdma", "dummy", "generic", "gsm", "infiniband", "ip-tunnel", "loopback",
    "macsec", "macvlan", "ovs-bridge", "ovs-dpdk", "ovs-interface", "ovs-patch", "ovs-port",
    "pppoe", "team", "tun", "veth", "vlan", "vpn", "vrf", "vxlan", "wifi-p2p", "wimax",
    "wireguard", "wpan")


def _toplevel_type(word: str, tr: Callable[[str], str]) -> str:
    """check_valid_name_toplevel: `type` of `connection add` among every setting's name and
    alias and the three slave types (unique prefixes, any case); the setting's name, or
    'bond-slave'."""
    names: list[str] = []
    for name in ALL_SETTING_NAMES:
        names.append(name)
        if name in SETTING_ALIASES:
            names.append(SETTING_ALIASES[name])
    names += ["bond-slave", "bridge-slave", "team-slave"]
    hit = is_valid(word, names)
    if hit is None:
        low = word.lower()
        hits = [n for n in names if low and n.lower().startswith(low)]
        if len(hits) > 1:
            why = tr("'%s' is ambiguous: %s") % (word, ", ".join(hits))
        else:
            listed = ", ".join(f"{n} ({SETTING_ALIASES[n]})" if n in SETTING_ALIASES else n
                               for n in BASE_TYPES)
            why = tr("'%s' not among [%s]") % (word, listed + ", bond-slave, bridge-slave, "
                                                             "team-slave")
        raise NmcliExit(USER_INPUT, tr("Error: bad connection type: %s") % why)
    if hit == "bond-slave":
        return hit
    return next((n for n, a in SETTING_ALIASES.items() if a == hit), hit)


def _mode_prefix(value: str) -> str | None:
    """nmc_bond_validate_mode's fallback: the mode `value` names (nmc_string_is_valid), or
    None."""
    try:
        return match_name(value, list(BOND_MODES))
    except ValueError_:
        return None


def add(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    tr = nmc.tr
    profile = Profile()
    profile.add_setting("connection")
    editor = Editor(nmc, nm, profile, adding=True)
    save = True
    rest = list(args)
    props: list[str] = []
    while rest:
        if rest[0] == "save" and len(rest) > 1:
            rest.pop(0)
            try:
                save = parse_bool(rest.pop(0), tr, nmc.version)
            except ValueError_ as exc:
                raise NmcliExit(USER_INPUT, tr("Error: 'save': %s.") % exc) from None
            continue
        if rest[0] == "--":
            rest.pop(0)
            continue
        props.append(rest.pop(0))
        if rest:
            props.append(rest.pop(0))
    try:
        if props:
            editor.apply(props)
    except Quiet:
        return
    if not profile.type:
        raise NmcliExit(USER_INPUT, tr("Error: '%s' argument is required.") % "type")
    ctype = profile.type
    if ctype == "bond" and not profile.interface_name:
        profile.set("connection", "interface-name", _unique_ifname(nm, "nm-bond"))
    if not profile.get("connection", "id"):
        alias = "bond-slave" if profile.slave_type == "bond" else TYPE_DISPLAY.get(ctype, ctype)
        base = f"{alias}-{profile.interface_name}" if profile.interface_name else alias
        profile.set("connection", "id", _unique_name(nm, base))
    profile.set("connection", "uuid", nm.uuids.new(profile.id))
    if profile.has_setting("ipv6") and "addr-gen-mode" not in profile.values["ipv6"]:
        profile.set("ipv6", "addr-gen-mode", nm.version.new_ipv6_addr_gen_mode)
    try:
        sc = nm.add_connection(profile, save=save)
    except ProfileInvalid as exc:
        raise NmcliExit(ACTIVATION, tr("Error: Failed to add '%s' connection: %s")
                        % (profile.id, exc)) from None
    nmc.out(tr("Connection '%s' (%s) successfully added.\n") % (sc.id, sc.uuid))


def _unused(base: str, taken: set[str | None], sep: str) -> str:
    """`base`, or `base` with the first free number (nmc_unique_connection_name: "-N";
    a default bond interface name: "N")."""
    if base not in taken:
        return base
    n = 1
    while f"{base}{sep}{n}" in taken:
        n += 1
    return f"{base}{sep}{n}"


def _unique_name(nm: NetworkManager, base: str) -> str:
    return _unused(base, {c.id for c in nm.connections}, "-")


def _unique_ifname(nm: NetworkManager, base: str) -> str:
    taken = {c.profile.interface_name for c in nm.connections} | {d.iface for d in nm.devices}
    return _unused(base, taken, "")


def modify(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    tr = nmc.tr
    temporary = False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if matches(opt, "--temporary"):
            temporary = True
    sc = connection_or_exit(nmc, args)
    profile = sc.profile.copy()
    if sc.timestamp:
        profile.set("connection", "timestamp", sc.timestamp)
    editor = Editor(nmc, nm, profile, adding=False)
    try:
        editor.apply(args)
    except Quiet:
        return
    try:
        nm.update_connection(sc, profile, save=not temporary)
    except ProfileInvalid as exc:
        raise NmcliExit(UNKNOWN, tr("Error: Failed to modify connection '%s': %s")
                        % (sc.id, exc)) from None
    if nmc.mode.pretty:
        nmc.out(tr("Connection '%s' (%s) successfully modified.\n") % (sc.id, sc.uuid))


def delete(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    tr = nmc.tr
    if not args:
        raise NmcliExit(NOT_FOUND, tr("Error: No connection specified."))
    unknown: list[str] = []
    found: list[SettingsConnection] = []
    while args:
        try:
            sc = get_connection(nmc, args)
        except Lookup as exc:
            nmc.call.err(tr("Error: %s.\n") % exc.text)
            if exc.rc != NOT_FOUND:  # do_connection_delete stops at once, deleting nothing
                raise NmcliExit(exc.rc, tr("Error: not all connections found.")) from None
            unknown.append(f"{exc.kind} '{exc.key}'" if exc.kind else f"'{exc.key}'")
            continue
        if sc not in found:
            found.append(sc)
    for sc in found:
        nm.delete_connection(sc)
        nmc.out(tr("Connection '%s' (%s) successfully deleted.\n") % (sc.id, sc.uuid))
    if unknown:
        raise NmcliExit(NOT_FOUND, tr("Error: cannot delete unknown connection(s): %s.")
                        % ", ".join(unknown))


def reload(nmc: Context, args: list[str]) -> None:
    nmc.daemon.reload()  # extra arguments are ignored, as nmcli does


def load(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No connection specified."))
    failed = nm.load_files([posixpath.normpath(posixpath.join("/root", a)) for a in args])
    for path in failed:  # reported, but the exit status stays 0 (do_connection_load)
        nmc.call.err(nmc.tr("Could not load file '%s'\n") % path)


def clone(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    tr = nmc.tr
    temporary = False
    while args and args[0].startswith("--"):
        if matches(args.pop(0), "--temporary"):
            temporary = True
    sc = connection_or_exit(nmc, args)
    if not args:
        raise NmcliExit(USER_INPUT, tr("Error: <new name> argument is missing."))
    new_name = args.pop(0)
    if args:
        raise NmcliExit(USER_INPUT, tr("Error: unknown extra argument: '%s'.") % args[0])
    profile = sc.profile.copy()
    profile.set("connection", "id", new_name)
    profile.set("connection", "uuid", nm.uuids.new(new_name))
    profile.unset("connection", "timestamp")
    try:
        new = nm.add_connection(profile, save=not temporary)
    except ProfileInvalid as exc:
        raise NmcliExit(ACTIVATION, tr("Error: Failed to add '%s' connection: %s")
                        % (new_name, exc)) from None
    nmc.out(tr("%s (%s) cloned as %s (%s).\n") % (sc.id, sc.uuid, new.id, new.uuid))
