"""Tab completion for the lab's terminal: a pure function of the line, the cursor and the lab.

`complete(line, cursor, state)` returns the words that may replace the word before the cursor,
as bash-completion would offer them: program names first on a command, file paths (the lab's
files, /proc and /sys), and nmcli's grammar (objects, verbs, connection and device names,
`setting.property` names from the settings schema, the values of properties the schema knows).
A directory ends in `/`; every other match is the whole word. `state_of(lab, host)` reads what
the completion needs from a running lab, so the function itself can be tested without one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.nm import schema
from labkit.nm.nmcli import connection as nmcli_connection
from labkit.nm.nmcli import device as nmcli_device
from labkit.nm.nmcli.main import GLOBAL_OPTIONS, OBJECTS, OPTIONS_WITH_VALUE, matches

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage
    from labkit.shell.session import Shell

SEPARATORS = (";", "|", "&", "(", ")")
SHELL_WORDS = ("exit",)  # what the terminal itself understands beside the programs
GENERAL_COMMANDS = ("status", "hostname", "permissions", "logging", "reload")
# nmcli connection verbs that take a connection next, and those that take a device
TAKES_CONNECTION = ("show", "up", "down", "delete", "modify", "clone", "edit", "export",
                    "monitor")
TAKES_DEVICE = ("status", "show", "set", "connect", "reapply", "modify", "disconnect",
                "delete", "monitor", "up", "down")
ADD_KEYS = ("type", "con-name", "ifname", "master", "slave-type", "autoconnect",
            *nmcli_connection.BOND_ALIASES)
ADD_TYPES = ("ethernet", "bond", "bond-slave", "802-3-ethernet")
YES_NO = ("yes", "no")
IP_COMMANDS = ("address", "addrlabel", "link", "maddress", "monitor", "neighbor", "route",
               "rule", "tuntap")

# pseudo-directories whose usual entries are offered when the engine cannot list them
PSEUDO_DIRS = {
    "/proc": ("net", "sys", "interrupts", "cmdline", "version", "uptime", "loadavg"),
    "/proc/net": ("bonding", "dev", "route", "arp", "if_inet6", "ipv6_route", "snmp",
                  "netstat", "igmp", "packet", "unix", "tcp", "udp"),
    "/proc/sys": ("net", "kernel"),
    "/proc/sys/net": ("ipv4", "ipv6", "core", "bridge"),
    "/sys": ("class", "devices", "module"),
    "/sys/class": ("net",),
}
ListDir = Callable[[str], Sequence[tuple[str, bool]]]  # absolute dir -> (name, is_dir); OSError


@dataclass(frozen=True)
class LabState:
    """What completion knows of one host of a lab: program, profile and device names, the
    NetworkManager version (which properties exist) and a way to list its directories."""

    programs: tuple[str, ...]
    connections: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    nm_version: tuple[int, int] = (1, 42)
    list_dir: ListDir = field(default=lambda path: ())


def complete(line: str, cursor: int, state: LabState) -> list[str]:
    """The candidates for the word that ends at `cursor` in `line` (sorted, no duplicates)."""
    words, current = _words(line[:cursor])
    if not words:
        if "/" in current:
            return _paths(current, state)
        return _starting(current, (*state.programs, *SHELL_WORDS))
    program = words[0]
    if program == "nmcli":
        return _starting(current, _nmcli(words[1:], state)) if "/" not in current else []
    if program == "ip" and len(words) == 1 and not current.startswith("-"):
        return _starting(current, IP_COMMANDS)
    return _paths(current, state)


def _words(before: str) -> tuple[list[str], str]:
    """The words of the command the cursor is in (after the last `;`, `|`, `&`), and the word
    being typed (empty after a space). Quotes are dropped as the shell would."""
    start = max(before.rfind(s) for s in SEPARATORS) + 1
    words: list[str] = []
    word, quote, had_word = "", "", False
    for ch in before[start:]:
        if quote:
            if ch == quote:
                quote = ""
            else:
                word += ch
        elif ch in "'\"":
            quote, had_word = ch, True
        elif ch in " \t":
            if word or had_word:
                words.append(word)
            word, had_word = "", False
        else:
            word += ch
    return words, word


def _starting(prefix: str, candidates: Sequence[str]) -> list[str]:
    return sorted({c for c in candidates if c.startswith(prefix)})


# -- paths -----------------------------------------------------------------------------------------
def _paths(word: str, state: LabState) -> list[str]:
    """Entries of the directory `word` names so far (relative to /root, `~` as /root)."""
    shown_dir, _, stem = word.rpartition("/")
    if "/" in word:
        shown_dir += "/"
    base = shown_dir
    if base.startswith("~"):
        base = "/root" + base[1:]
    if not base.startswith("/"):
        base = "/root/" + base
    try:
        entries = list(state.list_dir(base.rstrip("/") or "/"))
    except OSError:
        return []
    if (base.rstrip("/") or "/") == "/":
        entries += [("proc", True), ("sys", True)]
    out = {shown_dir + name + ("/" if is_dir else "") for name, is_dir in entries
           if name.startswith(stem) and (stem.startswith(".") or not name.startswith("."))}
    return sorted(out)


# -- nmcli -----------------------------------------------------------------------------------------
def _nmcli(args: list[str], state: LabState) -> Sequence[str]:
    """nmcli's candidates after `args` (the words typed after `nmcli`)."""
    args = list(args)
    while args and args[0].startswith("-"):
        option = args.pop(0).lstrip("-")
        full = next((o for o in GLOBAL_OPTIONS if matches(option, o)), None)
        if full in OPTIONS_WITH_VALUE and "=" not in option:
            if not args:
                return _option_values(full)
            args.pop(0)
    if not args:
        return (*OBJECTS, *(f"--{o}" for o in GLOBAL_OPTIONS))
    obj = next((o for o in OBJECTS if matches(args[0], o)), None)
    rest = args[1:]
    if obj == "connection":
        return _connection(rest, state)
    if obj == "device":
        return _device(rest, state)
    if obj == "general":
        return GENERAL_COMMANDS if not rest else ()
    return ()


def _option_values(option: str | None) -> Sequence[str]:
    return {"mode": ("tabular", "multiline"), "colors": ("auto", "yes", "no"),
            "escape": YES_NO, "fields": ("all", "common")}.get(option or "", ())


def _connection(args: list[str], state: LabState) -> Sequence[str]:
    if not args:
        return nmcli_connection.COMMANDS
    verb = next((c for c in nmcli_connection.COMMANDS if matches(args[0], c)), None)
    rest = args[1:]
    if verb == "add":
        return _pairs(rest, ADD_KEYS, state, adding=True)
    if verb not in TAKES_CONNECTION:
        return ()
    if verb in ("show", "up", "down", "delete", "export", "monitor"):
        # several profiles may follow; `id`/`uuid` select how the next one is named
        return (*state.connections, *nmcli_connection.SELECTORS, *(
            ("--active", "--order") if verb == "show" else ()))
    if not rest or (len(rest) == 1 and rest[0] in nmcli_connection.SELECTORS):
        return (*state.connections, *nmcli_connection.SELECTORS)
    if rest[0] in nmcli_connection.SELECTORS:
        rest = rest[1:]
    if verb == "modify":
        return _pairs(rest[1:], (), state, adding=False)
    return ()


def _pairs(args: list[str], keys: Sequence[str], state: LabState, adding: bool
           ) -> Sequence[str]:
    """`property value property value ...`: a property name where one is due, else the values
    the previous property takes."""
    if len(args) % 2 == 0:
        return (*keys, *_property_names(state.nm_version))
    key = args[-1].lstrip("+-")
    return _values(key, state, adding)


def _property_names(version: tuple[int, int]) -> list[str]:
    names = []
    for setting in schema.SETTINGS.values():
        prefix = setting.alias or setting.name
        names += [f"{prefix}.{p.name}" for p in setting.props_for(version)]
    return names


def _values(key: str, state: LabState, adding: bool) -> Sequence[str]:
    if adding:
        special = {"type": ADD_TYPES, "ifname": state.devices, "autoconnect": YES_NO,
                   "master": (*state.devices, *state.connections), "slave-type": ("bond",),
                   "mode": schema.BOND_MODES}
        if key in special:
            return special[key]
    if key in ("connection.interface-name",):
        return state.devices
    if key in ("connection.master",):
        return (*state.devices, *state.connections)
    if key == "bond.options":
        return tuple(f"mode={m}" for m in schema.BOND_MODES)
    setting_name, _, prop_name = key.partition(".")
    try:
        prop = schema.setting(setting_name).prop(prop_name)
    except KeyError:
        return ()
    if prop.kind == "choice":
        return prop.values
    if prop.kind == "bool":
        return YES_NO
    if prop.kind == "enum":
        return tuple(prop.names.values())
    return ()


def _device(args: list[str], state: LabState) -> Sequence[str]:
    if not args:
        return nmcli_device.COMMANDS
    verb = next((c for c in nmcli_device.COMMANDS if matches(args[0], c)), None)
    if verb in TAKES_DEVICE and len(args) == 1:
        return state.devices
    return ()


# -- from a lab ------------------------------------------------------------------------------------
def state_of(lab: LabFrontage, host: str) -> LabState:
    """What completion needs of `host` of a running lab, read now."""
    shell = lab.shell
    if shell is None:
        return LabState(programs=())
    connections: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    version = (1, 42)
    system = lab.systems.get(host)
    if system is not None and system.nm is not None:
        nm = system.nm
        connections = tuple(c.profile.values["connection"]["id"] for c in nm.connections)
        devices = tuple(d.iface for d in nm.devices)
        version = nm.version.version
    else:
        try:
            devices = tuple(link.name for link in lab.snapshot(host).links)
        except Exception:  # a lab that cannot say: complete without device names
            devices = ()

    def list_dir(path: str) -> list[tuple[str, bool]]:
        sep = "" if path.endswith("/") else "/"
        try:
            names = shell.list_dir(host, path)
        except Exception as exc:  # the engine's errors are OSErrors or KernelErrors
            if path not in PSEUDO_DIRS:
                raise OSError(str(exc)) from None
            # an engine that serves the files but cannot list the directory (the sim's /proc)
            names = [n for n in PSEUDO_DIRS[path] if _exists(shell, host, path + sep + n)]
        return [(name, path + sep + name in PSEUDO_DIRS or shell.is_dir(host, path + sep + name))
                for name in names]

    programs = tuple(sorted({*shell.programs, *lab.engine.real_programs} if lab.engine
                            else shell.programs))
    return LabState(programs=programs, connections=connections, devices=devices,
                    nm_version=version, list_dir=list_dir)


def _exists(shell: Shell, host: str, path: str) -> bool:
    try:
        if path in PSEUDO_DIRS or shell.is_dir(host, path):
            return True
        shell.read_path(host, path)
    except Exception:  # not served
        return False
    return True
