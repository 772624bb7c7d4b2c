"""`nmcli device`: status, show, connect, disconnect, reapply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.model.flavours import RECORDED_KERNEL
from labkit.nm.daemon import NMError
from labkit.nm.nmcli import activation, output
from labkit.nm.nmcli.connection import ac_sort_key, ip_items
from labkit.nm.nmcli.context import (
    ACTIVATION,
    DISCONNECT,
    NOT_FOUND,
    UNKNOWN,
    USER_INPUT,
    Context,
    FieldSelection,
    NmcliExit,
    matches,
)
from labkit.nm.nmcli.values import ValueError_, parse_bool
from labkit.nm.objects import Device, DeviceState, Reason, SettingsConnection

if TYPE_CHECKING:
    from labkit.nm.daemon import NetworkManager

COMMANDS = ("status", "show", "set", "connect", "reapply", "modify", "disconnect", "delete",
            "monitor", "wifi", "lldp", "checkpoint", "up", "down")
STATE_TEXT = {
    DeviceState.UNKNOWN: "unknown", DeviceState.UNMANAGED: "unmanaged",
    DeviceState.UNAVAILABLE: "unavailable", DeviceState.DISCONNECTED: "disconnected",
    DeviceState.PREPARE: "connecting (prepare)", DeviceState.CONFIG: "connecting (configuring)",
    DeviceState.NEED_AUTH: "connecting (need authentication)",
    DeviceState.IP_CONFIG: "connecting (getting IP configuration)",
    DeviceState.IP_CHECK: "connecting (checking IP connectivity)",
    DeviceState.SECONDARIES: "connecting (starting secondary connections)",
    DeviceState.ACTIVATED: "connected", DeviceState.DEACTIVATING: "deactivating",
    DeviceState.FAILED: "connection failed",
}
STATUS_FIELDS = ("DEVICE", "TYPE", "STATE", "IP4-CONNECTIVITY", "IP6-CONNECTIVITY", "DBUS-PATH",
                 "CONNECTION", "CON-UUID", "CON-PATH")
STATUS_COMMON = ("DEVICE", "TYPE", "STATE", "CONNECTION")


def dispatch(nmc: Context, args: list[str]) -> None:
    if not args:
        status(nmc, [])
        return
    word = args.pop(0)
    cmd = next((c for c in COMMANDS if matches(word, c)), None)
    if cmd is None:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: argument '%s' not understood. Try passing "
                                           "--help instead.") % word)
    handler = {"status": status, "show": show, "connect": connect, "up": connect,
               "disconnect": disconnect, "down": disconnect, "reapply": reapply,
               "set": set_}.get(cmd)
    if handler is None:
        raise NmcliExit(USER_INPUT, f"Error: labkit's nmcli does not offer 'device {cmd}'.")
    handler(nmc, args)


def sorted_devices(nm: NetworkManager) -> list[Device]:
    """compare_devices: state (highest first), the active connection, type, name."""
    ac_key = ac_sort_key(nm)
    return sorted(nm.realized_devices(),
                  key=lambda d: (-int(d.state), ac_key(d.ac), d.dtype, d.iface))


def state_text(nmc: Context, dev: Device) -> str:
    text = STATE_TEXT.get(dev.state, "unknown")
    if dev.external and nmc.version >= (1, 30) and dev.state == DeviceState.ACTIVATED:
        text = "connected (externally)"
    return nmc.tr(text)


def status(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: invalid extra argument '%s'.") % args[0])
    try:
        fields = nmc.table_fields(STATUS_FIELDS, STATUS_COMMON)
    except FieldSelection as exc:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: 'device status': %s") % exc) from None
    rows = []
    for dev in sorted_devices(nm):
        row = []
        for f in fields:
            if f == "DEVICE":
                row.append(dev.iface)
            elif f == "TYPE":
                row.append(dev.dtype)
            elif f == "STATE":
                row.append(state_text(nmc, dev))
            elif f in ("IP4-CONNECTIVITY", "IP6-CONNECTIVITY"):
                row.append(nmc.tr(_connectivity(dev)))
            elif f == "DBUS-PATH":
                row.append(dev.dbus_path)
            elif f == "CONNECTION":
                row.append(dev.ac.sc.id if dev.ac else "")
            elif f == "CON-UUID":
                row.append(dev.ac.sc.uuid if dev.ac else "")
            elif f == "CON-PATH":
                row.append(dev.ac.dbus_path if dev.ac else "")
        rows.append(row)
    nmc.out(output.table(nmc.mode, list(fields), rows, title="Status of devices"))


def _connectivity(dev: Device) -> str:
    """With connectivity checking off (the lab's configuration) NetworkManager reports full
    for a device with IP configuration, limited for a port, none when idle."""
    if not dev.managed:
        return "unknown"
    if dev.state != DeviceState.ACTIVATED or dev.applied is None:
        return "none"
    if dev.applied.is_port:
        return "limited"
    # with checking off, a device without a default route is limited (concheck_update_state)
    gateway = any(dev.applied.get(f, "gateway") for f in ("ipv4", "ipv6")
                  if dev.applied.has_setting(f))
    return "full" if gateway else "limited"


def _find(nmc: Context, nm: NetworkManager, name: str) -> Device:
    nm.sync()
    dev = nm.device(name)
    if dev is None:  # get_device's error inside "Error: %s."
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: %s.") % (nmc.tr("Device '%s' not found")
                                                           % name))
    return dev


# nmc_fields_dev_show_sections and each section's fields (devices.c), nmcli 1.42's order
SECTIONS: dict[str, tuple[str, ...]] = {
    "GENERAL": ("DEVICE", "TYPE", "NM-TYPE", "DBUS-PATH", "VENDOR", "PRODUCT", "DRIVER",
                "DRIVER-VERSION", "FIRMWARE-VERSION", "HWADDR", "MTU", "STATE", "REASON",
                "IP4-CONNECTIVITY", "IP6-CONNECTIVITY", "UDI", "PATH", "IP-IFACE",
                "IS-SOFTWARE", "NM-MANAGED", "AUTOCONNECT", "FIRMWARE-MISSING",
                "NM-PLUGIN-MISSING", "PHYS-PORT-ID", "CONNECTION", "CON-UUID", "CON-PATH",
                "METERED"),
    "CAPABILITIES": ("CARRIER-DETECT", "SPEED", "IS-SOFTWARE", "SRIOV"),
    "INTERFACE-FLAGS": ("UP", "LOWER-UP", "CARRIER", "PROMISC"),
    "WIFI-PROPERTIES": (), "AP": (), "WIRED-PROPERTIES": ("CARRIER",),
    "WIMAX-PROPERTIES": (), "NSP": (),
    "IP4": ("ADDRESS", "GATEWAY", "ROUTE", "DNS", "DOMAIN", "SEARCHES", "WINS"),
    "DHCP4": ("OPTION",),
    "IP6": ("ADDRESS", "GATEWAY", "ROUTE", "DNS", "DOMAIN", "SEARCHES"),
    "DHCP6": ("OPTION",), "BOND": ("SLAVES",), "TEAM": (), "BRIDGE": ("SLAVES",), "VLAN": (),
    "BLUETOOTH": (), "CONNECTIONS": ("AVAILABLE-CONNECTION-PATHS", "AVAILABLE-CONNECTIONS"),
}
# NMC_FIELDS_DEV_SHOW_SECTIONS_COMMON
COMMON = {"GENERAL": {"DEVICE", "TYPE", "HWADDR", "MTU", "STATE", "CONNECTION", "CON-PATH"},
          "WIRED-PROPERTIES": None, "IP4": None, "IP6": None}
CONNECTIVITY_NUMBER = {"unknown": 0, "none": 1, "portal": 2, "limited": 3, "full": 4}
REASON_TEXT = {0: "No reason given", 1: "Unknown error", 2: "Device is now managed",
               4: "The device could not be readied for configuration",
               5: "IP configuration could not be reserved (no available address, timeout, "
                  "etc.)",
               36: "The device was removed", 39: "Device disconnected by user or client",
               40: "Carrier/link changed", 41: "The device's existing connection was assumed",
               50: "A dependency of the connection failed"}


def show(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if len(args) > 1:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: invalid extra argument '%s'.") % args[1])
    only = _fields(nmc, nmc.fields)
    devices = [_find(nmc, nm, a) for a in args] if args else sorted_devices(nm)
    first = True
    for dev in devices:
        items = _device_items(nmc, nm, dev, only)
        if not first:
            nmc.out("\n")
        first = False
        if nmc.get_values:
            nmc.out(output.values_only(nmc.mode, items))
        elif nmc.mode.multiline is False:
            nmc.out(output.per_field_tables(nmc.mode, items))
        else:
            title = nmc.tr("Device details") + f" ({dev.iface})"
            nmc.out(output.multiline(nmc.mode, items, title=title,
                                     sections=list(range(len(items)))))


def _fields(nmc: Context, spec: str | None) -> dict[str, list[str] | None]:
    """-f of `device show`: sections and SECTION.FIELD in any case, "all" or "common"; the
    order typed is the order printed. nm_meta_selection's refusal names every section or
    every field of the section."""
    if spec is None or spec.strip().lower() == "common":
        return {k: (sorted(v, key=SECTIONS[k].index) if v else None) for k, v in COMMON.items()}
    if spec.strip().lower() == "all":
        return {}
    out: dict[str, list[str] | None] = {}
    for item in spec.split(","):
        item = item.strip()
        head, dot, tail = item.partition(".")
        section = head.upper()
        if section not in SECTIONS:
            why = nmc.tr("invalid field '%s%s%s%s%s'; %s%s%s") % (
                "", "", item, "", "", "allowed fields: ", ",".join(SECTIONS), "")
            raise NmcliExit(USER_INPUT, nmc.tr("Error: 'device show': %s") % why)
        if not dot:
            out[section] = None
            continue
        name = tail.upper()
        if name not in SECTIONS[section]:
            allowed = ",".join(f"{section}.{f}" for f in SECTIONS[section])
            why = nmc.tr("invalid field '%s%s%s%s%s'; %s%s%s") % (
                "", "", item, "", "", "allowed fields: ", allowed, "")
            raise NmcliExit(USER_INPUT, nmc.tr("Error: 'device show': %s") % why)
        current = out.setdefault(section, [])
        if current is not None and name not in current:
            current.append(name)
    return out


def _yes(nmc: Context, flag: bool) -> str:
    return nmc.tr("yes") if flag else nmc.tr("no")


def _general(nmc: Context, nm: NetworkManager, dev: Device) -> list[tuple[str, str]]:
    link = nm.kernel.link(dev.iface)
    ac = dev.ac
    conn = _connectivity(dev)
    number = CONNECTIVITY_NUMBER.get(conn, 0)
    nm_type, driver, version, firmware = {
        "ethernet": ("NMDeviceVeth", "veth", "1.0", ""),
        "bond": ("NMDeviceBond", "bond",
                 RECORDED_KERNEL if nmc.version >= (1, 42) else "3.7.1", "2"),
        "bridge": ("NMDeviceBridge", "bridge", "2.3", "N/A"),
        "loopback": ("NMDeviceLoopback", "unknown", "", ""),
    }.get(dev.dtype, ("NMDeviceGeneric", "unknown", "", ""))
    activated = dev.state == DeviceState.ACTIVATED
    reason = int(dev.reason)
    if dev.state == DeviceState.DISCONNECTED and dev.reason in (
            Reason.IP_CONFIG_UNAVAILABLE, Reason.CONFIG_FAILED, Reason.DEPENDENCY_FAILED):
        reason = 0  # the last transition is failed -> disconnected, which gives no reason
    values = {
        "DEVICE": dev.iface, "TYPE": dev.dtype, "NM-TYPE": nm_type,
        "DBUS-PATH": dev.dbus_path, "VENDOR": "", "PRODUCT": "", "DRIVER": driver,
        "DRIVER-VERSION": version, "FIRMWARE-VERSION": firmware,
        "HWADDR": link.address.upper() if link else "",
        "MTU": str(link.mtu) if link else "",
        "STATE": f"{int(dev.state)} ({state_text(nmc, dev)})",
        "REASON": f"{reason} ({nmc.tr(REASON_TEXT.get(reason, 'Unknown error'))})",
        "IP4-CONNECTIVITY": f"{number} ({nmc.tr(conn)})",
        "IP6-CONNECTIVITY": f"{number} ({nmc.tr(conn)})",
        "UDI": f"/sys/devices/virtual/net/{dev.iface}", "PATH": "",
        "IP-IFACE": dev.iface if ac is not None else "",
        "IS-SOFTWARE": _yes(nmc, dev.dtype != "loopback"),
        "NM-MANAGED": _yes(nmc, dev.managed), "AUTOCONNECT": _yes(nmc, dev.autoconnect_allowed),
        "FIRMWARE-MISSING": _yes(nmc, False), "NM-PLUGIN-MISSING": _yes(nmc, False),
        "PHYS-PORT-ID": "", "CONNECTION": ac.sc.id if ac else "",
        "CON-UUID": ac.sc.uuid if ac else "", "CON-PATH": ac.dbus_path if ac else "",
        "METERED": nmc.tr("no (guessed)") if activated else nmc.tr("unknown"),
    }
    return [(f"GENERAL.{k}", values[k]) for k in SECTIONS["GENERAL"]]


def _device_items(nmc: Context, nm: NetworkManager, dev: Device,
                  only: dict[str, list[str] | None]) -> list[tuple[str, str | list[str]]]:
    link = nm.kernel.link(dev.iface)
    flags = set(link.flags) if link else set()
    carrier = link is not None and link.has_carrier
    groups: dict[str, list[tuple[str, str | list[str]]]] = {
        "GENERAL": list(_general(nmc, nm, dev)),
        "CAPABILITIES": [
            ("CAPABILITIES.CARRIER-DETECT", _yes(nmc, dev.dtype != "loopback")),
            ("CAPABILITIES.SPEED", "10000 Mb/s" if dev.dtype == "ethernet"
             else nmc.tr("unknown")),
            ("CAPABILITIES.IS-SOFTWARE", _yes(nmc, dev.dtype != "loopback")),
            ("CAPABILITIES.SRIOV", _yes(nmc, False))],
        "INTERFACE-FLAGS": [
            ("INTERFACE-FLAGS.UP", _yes(nmc, "UP" in flags)),
            ("INTERFACE-FLAGS.LOWER-UP", _yes(nmc, "LOWER_UP" in flags)),
            ("INTERFACE-FLAGS.CARRIER", _yes(nmc, carrier)),
            ("INTERFACE-FLAGS.PROMISC", _yes(nmc, "PROMISC" in flags))],
    }
    if dev.dtype == "ethernet":
        groups["WIRED-PROPERTIES"] = [("WIRED-PROPERTIES.CARRIER",
                                       nmc.tr("on") if carrier else nmc.tr("off"))]
    if dev.managed and dev.state != DeviceState.UNMANAGED:
        groups["IP4"] = ip_items(nmc, nm, dev.iface, 4, dev.ac)
        groups["IP6"] = ip_items(nmc, nm, dev.iface, 6, dev.ac)
    if dev.dtype in ("bond", "bridge"):
        ports = sorted(d.iface for d in nm.devices
                       if (lk := nm.kernel.link(d.iface)) is not None and lk.master == dev.iface)
        groups[dev.dtype.upper()] = [(f"{dev.dtype.upper()}.SLAVES", " ".join(ports))]
    if dev.managed and dev.state != DeviceState.UNMANAGED:
        available = [sc for sc in nm.connections if _available(sc, dev)]
        groups["CONNECTIONS"] = [
            ("CONNECTIONS.AVAILABLE-CONNECTION-PATHS",
             ",".join(sc.dbus_path for sc in available)),
            ("CONNECTIONS.AVAILABLE-CONNECTIONS",
             [f"{sc.uuid} | {sc.id}" for sc in available])]
    return _select(groups, only)


def _available(sc: SettingsConnection, dev: Device) -> bool:
    """A profile the device could activate: its type and interface name fit."""
    p = sc.profile
    kind = {"802-3-ethernet": "ethernet"}.get(p.type or "", p.type)
    return kind == dev.dtype and p.interface_name in (None, "", dev.iface)


def _select(groups: dict[str, list[tuple[str, str | list[str]]]],
            only: dict[str, list[str] | None]) -> list[tuple[str, str | list[str]]]:
    """The chosen sections in nmcli's order; a section's chosen fields in the order typed."""
    items: list[tuple[str, str | list[str]]] = []
    for section in SECTIONS:
        if section not in groups or (only and section not in only):
            continue
        wanted = only.get(section) if only else None
        if wanted is None:
            items += groups[section]
            continue
        by_name: dict[str, list[tuple[str, str | list[str]]]] = {}
        for name, value in groups[section]:
            by_name.setdefault(name.split(".", 1)[1], []).append((name, value))
        for field in wanted:
            items += by_name.get(field, [])
    return items


def connect(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No interface specified."))
    dev = _find(nmc, nm, args[0])
    sc = nm.best_connection(dev, user=True)
    if sc is None:
        raise NmcliExit(ACTIVATION, nmc.tr("Error: Connection activation failed: %s")
                        % nmc.tr("No suitable connection found."))
    try:
        pending = nm.activate(sc, dev, user=True)
    except NMError as exc:
        raise NmcliExit(ACTIVATION, nmc.tr("Error: Connection activation failed: %s")
                        % exc) from None
    ac = pending.ac

    def report() -> None:
        if activation.failed(nmc, pending, hint=False):
            return
        # nmcli erases its progress line on a terminal before the result
        nmc.out("\x1b[2K\r" + nmc.tr("Device '%s' successfully activated with '%s'.\n")
                % (dev.iface, ac.sc.uuid))

    activation.report_when_done(nmc, pending, False, report)


def disconnect(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No interface specified."))
    devices: list[Device] = []
    missing = False
    nm.sync()
    for name in args:  # get_device_list: each one found, or named on stderr
        dev = nm.device(name)
        if dev is None:
            nmc.call.err(nmc.tr("Error: Device '%s' not found.\n") % name)
            missing = True
        elif dev in devices:
            nmc.call.err(nmc.tr("Warning: argument '%s' is duplicated.\n") % name)
        else:
            devices.append(dev)
    if missing and not devices:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: not all devices found."))
    failed = False
    for dev in devices:  # disconnect_device_cb: each failure on stderr, the last word after
        if dev.ac is None:
            # the daemon's D-Bus error text, which nmcli does not translate
            nmc.call.err(nmc.tr("Error: Device '%s' (%s) disconnecting failed: %s\n")
                         % (dev.iface, dev.dbus_path, "This device is not active"))
            failed = True
            continue
        nm.disconnect(dev)
        nmc.out(nmc.tr("Device '%s' successfully disconnected.\n") % dev.iface)
    if failed:
        raise NmcliExit(DISCONNECT, nmc.tr("Error: not all devices disconnected."))
    if missing:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: not all devices found."))


def reapply(nmc: Context, args: list[str]) -> None:
    nm = nmc.daemon
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No interface specified."))
    dev = _find(nmc, nm, args[0])
    try:
        nm.reapply(dev)
    except NMError as exc:
        raise NmcliExit(UNKNOWN, nmc.tr("Error: Reapplying connection to device '%s' (%s) "
                                        "failed: %s") % (dev.iface, dev.dbus_path, exc)) \
            from None
    nmc.out(nmc.tr("Connection successfully reapplied to device '%s'.\n") % dev.iface)


def set_(nmc: Context, args: list[str]) -> None:
    """do_device_set: `[ifname] IFACE {autoconnect|managed} BOOL ...`, its checks in its order
    (the device, then each property and its value). labkit's daemon keeps no per-device
    autoconnect or managed flag, so a valid request is refused in a sentence of its own."""
    nm = nmc.daemon
    if args and args[0] == "ifname":
        args.pop(0)
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: %s.") % nmc.tr("No interface specified"))
    name = args.pop(0)
    nm.sync()
    if nm.device(name) is None:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: %s.") % (nmc.tr("Device '%s' not found")
                                                           % name))
    if not args:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: No property specified."))
    wanted: list[tuple[str, bool]] = []
    while args:
        word = args.pop(0)
        prop = next((p for p in ("managed", "autoconnect") if matches(word, p)), None)
        if prop is None:
            raise NmcliExit(USER_INPUT, nmc.tr("Error: property '%s' is not known.") % word)
        if not args:
            raise NmcliExit(USER_INPUT, nmc.tr("Error: '%s' argument is missing.") % word)
        try:
            wanted.append((prop, parse_bool(args.pop(0), nmc.tr, nmc.version)))
        except ValueError_ as exc:
            raise NmcliExit(USER_INPUT, nmc.tr("Error: '%s': %s.") % (prop, exc)) from None
    raise NmcliExit(USER_INPUT, "Error: labkit's nmcli checks 'device set' but does not apply "
                                "it (the lab's devices keep their managed and autoconnect "
                                "flags).")
