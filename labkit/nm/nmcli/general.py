"""`nmcli general` and plain `nmcli`: the daemon's overall state."""

from __future__ import annotations

from labkit.nm.nmcli import output
from labkit.nm.nmcli.context import USER_INPUT, Context, FieldSelection, NmcliExit, matches
from labkit.nm.nmcli.device import sorted_devices, state_text

# NMC_FIELDS_NM_STATUS_ALL: what "all" shows; the WiMAX columns exist but only by name
STATUS_ALL = ("RUNNING", "VERSION", "STATE", "STARTUP", "CONNECTIVITY", "NETWORKING",
              "WIFI-HW", "WIFI", "WWAN-HW", "WWAN")
STATUS_FIELDS = (*STATUS_ALL, "WIMAX-HW", "WIMAX")
STATUS_COMMON = ("STATE", "CONNECTIVITY", "WIFI-HW", "WIFI", "WWAN-HW", "WWAN")


def dispatch(nmc: Context, args: list[str]) -> None:
    if not args:
        status(nmc)
        return
    word = args.pop(0)
    if matches(word, "status"):
        status(nmc)
    elif matches(word, "hostname"):
        nmc.out(nmc.daemon.host + "\n")
    else:
        raise NmcliExit(USER_INPUT, nmc.tr("Error: argument '%s' not understood. Try passing "
                                           "--help instead.") % word)


def status(nmc: Context) -> None:
    nm = nmc.daemon
    try:
        fields = nmc.table_fields(STATUS_FIELDS, STATUS_COMMON, STATUS_ALL)
    except FieldSelection:  # show_nm_status names the "all" list whatever went wrong
        raise NmcliExit(USER_INPUT, nmc.tr("Error: only these fields are allowed: %s")
                        % ",".join(STATUS_ALL)) from None
    state = nm.state_text()
    connectivity = "full" if state == "connected" else ("limited" if state.startswith(
        "connected") else "none")
    hw = "missing" if nmc.version >= (1, 40) else "enabled"
    values = {"RUNNING": "running", "VERSION": nm.version.text, "STATE": state,
              "STARTUP": "started", "CONNECTIVITY": connectivity, "NETWORKING": "enabled",
              "WIFI-HW": hw, "WIFI": "enabled", "WWAN-HW": hw, "WWAN": "enabled",
              "WIMAX-HW": "missing", "WIMAX": "enabled"}
    row = [nmc.tr(values[f]) for f in fields]
    nmc.out(output.table(nmc.mode, list(fields), [row], title="NetworkManager status"))


def overview(nmc: Context) -> None:
    """Plain `nmcli`: each device with its connection, then the hint lines."""
    nm = nmc.daemon
    out = []
    for dev in sorted_devices(nm):
        line = f"{dev.iface}: {state_text(nmc, dev)}"
        if dev.ac is not None:
            line += f" to {dev.ac.sc.id}"
        out.append(line)
        link = nm.kernel.link(dev.iface)
        if link is not None and dev.managed:
            out.append(f'        "{dev.iface}"')
            out.append(f"        {dev.dtype}, {link.address.upper()}, mtu {link.mtu}")
        out.append("")
    out.append('Use "nmcli device show" to get complete information about known devices and')
    out.append('"nmcli connection show" to get an overview on active connection profiles.')
    out.append("")
    out.append("Consult nmcli(1) and nmcli-examples(7) manual pages for complete usage "
               "details.")
    nmc.out("\n".join(out) + "\n")
