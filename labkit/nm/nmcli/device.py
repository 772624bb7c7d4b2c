"""`nmcli device`: status, show, connect, disconnect, reapply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.nm.daemon import NMError
from labkit.nm.nmcli import activation, output
from labkit.nm.nmcli.connection import ac_sort_key, ip_items, select_groups
from labkit.nm.nmcli.main import (
    ACTIVATION,
    DISCONNECT,
    NOT_FOUND,
    UNKNOWN,
    USER_INPUT,
    FieldSelection,
    Nmcli,
    NmcliExit,
    matches,
)
from labkit.nm.nmcli.values import ValueError_, parse_bool
from labkit.nm.objects import Device, DeviceState

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


def dispatch(nmc: Nmcli, args: list[str]) -> None:
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


def state_text(nmc: Nmcli, dev: Device) -> str:
    text = STATE_TEXT.get(dev.state, "unknown")
    if dev.external and nmc.version >= (1, 30) and dev.state == DeviceState.ACTIVATED:
        text = "connected (externally)"
    return nmc.tr(text)


def status(nmc: Nmcli, args: list[str]) -> None:
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
    return "limited" if dev.applied.is_port else "full"


def _find(nmc: Nmcli, nm: NetworkManager, name: str) -> Device:
    nm.sync()
    dev = nm.device(name)
    if dev is None:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: Device '%s' not found.") % name)
    return dev


def show(nmc: Nmcli, args: list[str]) -> None:
    nm = nmc.daemon
    if len(args) > 1:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: invalid extra argument '%s'.") % args[1])
    devices = [_find(nmc, nm, a) for a in args] if args else sorted_devices(nm)
    only = _fields(nmc.fields)
    first = True
    for dev in devices:
        items = _device_items(nmc, nm, dev, only)
        if not first:
            nmc.out("\n")
        first = False
        if nmc.get_values:
            nmc.out(output.values_only(nmc.mode, items))
            continue
        nmc.out(output.multiline(nmc.mode, items, title="Device details"))


def _fields(spec: str | None) -> dict[str, set[str] | None]:
    if spec in (None, "all", "common"):
        return {}
    out: dict[str, set[str] | None] = {}
    for item in spec.split(","):
        head, dot, tail = item.strip().partition(".")
        head = head.upper()
        if not dot:
            out[head] = None
        else:
            cur = out.get(head, set())
            if cur is not None:
                cur.add(tail.upper())
                out[head] = cur
    return out


def _device_items(nmc: Nmcli, nm: NetworkManager, dev: Device, only: dict[str, set[str] | None]
                  ) -> list[tuple[str, str | list[str]]]:
    link = nm.kernel.link(dev.iface)
    hwaddr = link.address.upper() if link else ""
    groups: dict[str, list[tuple[str, str | list[str]]]] = {
        "GENERAL": [
            ("GENERAL.DEVICE", dev.iface), ("GENERAL.TYPE", dev.dtype),
            ("GENERAL.HWADDR", hwaddr), ("GENERAL.MTU", str(link.mtu) if link else ""),
            ("GENERAL.STATE", f"{int(dev.state)} ({state_text(nmc, dev)})"),
            ("GENERAL.CONNECTION", dev.ac.sc.id if dev.ac else ""),
            ("GENERAL.CON-PATH", dev.ac.dbus_path if dev.ac else ""),
        ],
    }
    if dev.dtype == "ethernet":
        carrier = link is not None and link.has_carrier
        groups["WIRED-PROPERTIES"] = [("WIRED-PROPERTIES.CARRIER",
                                       nmc.tr("on") if carrier else nmc.tr("off"))]
    if dev.managed and dev.state != DeviceState.UNMANAGED:
        groups["IP4"] = ip_items(nmc, nm, dev.iface, 4, dev.ac)
        groups["IP6"] = ip_items(nmc, nm, dev.iface, 6, dev.ac)
    return select_groups(groups, ("GENERAL", "WIRED-PROPERTIES", "IP4", "IP6"), only)


def connect(nmc: Nmcli, args: list[str]) -> None:
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


def disconnect(nmc: Nmcli, args: list[str]) -> None:
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
    for dev in devices:
        if dev.ac is None:
            raise NmcliExit(DISCONNECT, nmc.tr("Error: Device '%s' (%s) disconnecting failed: "
                                               "%s") % (dev.iface, dev.dbus_path,
                                                        "This device is not active"))
        nm.disconnect(dev)
        nmc.out(nmc.tr("Device '%s' successfully disconnected.\n") % dev.iface)
    if missing:
        raise NmcliExit(NOT_FOUND, nmc.tr("Error: not all devices found."))


def reapply(nmc: Nmcli, args: list[str]) -> None:
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


def set_(nmc: Nmcli, args: list[str]) -> None:
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
