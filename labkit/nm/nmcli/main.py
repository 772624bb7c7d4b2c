"""nmcli's front: global options, objects and commands by prefix, errors and exit statuses.

`Nmcli.run(argv)` returns a Call: what was printed, the exit status, and for commands that wait
on the daemon (connection up, device connect) the activation to wait for and what to print when
it ends. Matching follows nmcli: the first entry of a table that the typed word is a prefix of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.nm.nmcli.messages import translator
from labkit.nm.nmcli.output import Mode

if TYPE_CHECKING:
    from labkit.nm.daemon import NetworkManager, PendingActivation

# exit statuses (man nmcli)
OK, UNKNOWN, USER_INPUT, TIMEOUT, ACTIVATION, DEACTIVATION, DISCONNECT, DELETE = range(8)
NOT_RUNNING, NOT_FOUND = 8, 10


class NmcliExit(Exception):
    """Stop with `Error: ...` (already translated) on stderr and status `rc`."""

    def __init__(self, rc: int, text: str) -> None:
        super().__init__(text)
        self.rc = rc
        self.text = text


class FieldSelection(Exception):
    """`-f` named a column a table does not have; str() is the reason (already translated)."""


@dataclass
class Call:
    """One run of nmcli."""

    chunks: list[tuple[int, str]] = field(default_factory=list)
    rc: int = OK
    wait_for: PendingActivation | None = None
    then: Callable[[], None] | None = None  # prints the outcome once wait_for is done
    timeout: float = 90.0

    def out(self, text: str) -> None:
        if text:
            self.chunks.append((1, text))

    def err(self, text: str) -> None:
        if text:
            self.chunks.append((2, text))


def matches(word: str, name: str) -> bool:
    """nmcli's matches(): `word` is a prefix of `name`."""
    return bool(word) and name.startswith(word)


GLOBAL_OPTIONS = ("overview", "offline", "terse", "pretty", "mode", "colors", "escape",
                  "fields", "get-values", "nocheck", "wait", "version", "help", "ask",
                  "show-secrets")
OPTIONS_WITH_VALUE = ("mode", "colors", "escape", "fields", "get-values", "wait")
OBJECTS = ("general", "monitor", "networking", "radio", "connection", "device", "agent")


class Nmcli:
    """nmcli bound to one host's daemon."""

    def __init__(self, daemon: NetworkManager | None, locale: str = "C",
                 version: tuple[int, int] = (1, 42), version_text: str = "1.42.4") -> None:
        self.nm = daemon
        self.locale = locale
        self.tr = translator(locale, version)
        self.version = version
        self.version_text = version_text
        self.mode = Mode()
        self.fields: str | None = None
        self.get_values = False
        self.mode_specified = False
        self.call = Call()

    # -- helpers for the commands ------------------------------------------------------------
    def out(self, text: str) -> None:
        self.call.out(text)

    def fail(self, rc: int, text: str) -> NmcliExit:
        return NmcliExit(rc, text)

    def table_fields(self, selectable: tuple[str, ...], common: tuple[str, ...],
                     everything: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The columns `-f`/`-g` chose for a table: "common" (or nothing), "all" (`everything`,
        by default every `selectable` column), or names in any case. A refusal raises
        FieldSelection with nm_meta_selection's message; each view words the error itself."""
        spec = self.fields
        if spec is None or spec.lower() == "common":
            return common
        if spec.lower() == "all":
            return everything or selectable
        out = []
        for item in spec.split(","):
            name = item.strip()
            if name.lower() in ("all", "common"):
                raise FieldSelection(self.tr("field '%s' has to be alone") % name)
            if name.upper() not in selectable:
                raise FieldSelection(self.tr("invalid field '%s%s%s%s%s'; %s%s%s") % (
                    "", "", name, "", "", "allowed fields: ", ",".join(selectable), ""))
            out.append(name.upper())
        return tuple(out)

    @property
    def daemon(self) -> NetworkManager:
        if self.nm is None or not self.nm.running:
            raise NmcliExit(NOT_RUNNING, self.tr("Error: NetworkManager is not running."))
        return self.nm

    # -- entry ------------------------------------------------------------------------------
    def run(self, argv: list[str]) -> Call:
        try:
            self._run(list(argv))
        except NmcliExit as exc:
            self.call.err(exc.text + "\n")
            self.call.rc = exc.rc
        return self.call

    def _run(self, args: list[str]) -> None:
        while args and args[0].startswith("-") and args[0] != "-":
            if args[0] == "--":
                args.pop(0)
                break
            opt = args.pop(0)
            name, _, inline = opt.lstrip("-").partition("=")
            full = next((o for o in GLOBAL_OPTIONS if matches(name, o)), None)
            if full is None:
                raise NmcliExit(USER_INPUT, self.tr("Error: Option '%s' is unknown, try "
                                                    "'nmcli -help'.") % opt)
            value = None
            # matches_arg names an option with one dash ('-f', '-fields'); once it has taken
            # the value from the next word, the errors name argv[0]: that value itself
            shown = opt[1:] if opt.startswith("--") else opt
            typed = opt
            if full in OPTIONS_WITH_VALUE:
                if "=" in opt:
                    value = inline
                elif args:
                    value = args.pop(0)
                    typed = value
                else:
                    raise NmcliExit(USER_INPUT, self.tr("Error: missing argument for '%s' "
                                                        "option.") % shown.partition("=")[0])
            self._global_option(full, typed, value)
            if full in ("version", "help"):
                return
        if not args:
            from labkit.nm.nmcli import general

            general.overview(self)
            return
        word = args.pop(0)
        obj = next((o for o in OBJECTS if matches(word, o)), None)
        if word in ("help", "-h", "--help"):
            self.out(USAGE)
            return
        if obj is None:
            raise NmcliExit(USER_INPUT, self.tr("Error: argument '%s' not understood. Try "
                                                "passing --help instead.") % word)
        if obj == "connection":
            from labkit.nm.nmcli import connection

            connection.dispatch(self, args)
        elif obj == "device":
            from labkit.nm.nmcli import device

            device.dispatch(self, args)
        elif obj == "general":
            from labkit.nm.nmcli import general

            general.dispatch(self, args)
        else:
            raise NmcliExit(USER_INPUT, f"Error: labkit's nmcli does not offer '{obj}'; it "
                                        "has general, connection and device.")

    def _global_option(self, full: str, typed: str, value: str | None) -> None:
        if full == "terse":
            if self.mode.terse:
                raise NmcliExit(USER_INPUT, self.tr("Error: Option '--terse' is specified "
                                                    "the second time."))
            if self.mode.pretty:
                raise NmcliExit(USER_INPUT, self.tr("Error: Option '--terse' is mutually "
                                                    "exclusive with '--pretty'."))
            self.mode.terse = True
        elif full == "pretty":
            if self.mode.pretty:
                raise NmcliExit(USER_INPUT, self.tr("Error: Option '--pretty' is specified "
                                                    "the second time."))
            if self.mode.terse:
                raise NmcliExit(USER_INPUT, self.tr("Error: Option '--pretty' is mutually "
                                                    "exclusive with '--terse'."))
            self.mode.pretty = True
        elif full == "mode":
            assert value is not None
            if matches(value, "tabular"):
                self.mode.multiline = False
            elif matches(value, "multiline"):
                self.mode.multiline = True
            else:
                raise NmcliExit(USER_INPUT, self.tr("Error: '%s' is not a valid argument for "
                                                    "'%s' option.") % (value, typed))
            self.mode_specified = True
        elif full == "escape":
            assert value is not None
            if matches(value, "yes"):
                self.mode.escape = True
            elif matches(value, "no"):
                self.mode.escape = False
            else:
                raise NmcliExit(USER_INPUT, self.tr("Error: '%s' is not valid argument for "
                                                    "'%s' option.") % (value, typed))
        elif full == "fields":
            self.fields = value
        elif full == "get-values":
            self.fields = value
            self.mode.terse = True
            self.get_values = True
            self.mode_specified = True
        elif full == "version":
            self.out(self.tr("nmcli tool, version %s\n") % self.version_text)
        elif full == "help":
            self.out(USAGE)
        elif full == "wait":
            assert value is not None
            if not value.isdigit():
                raise NmcliExit(USER_INPUT, self.tr("Error: '%s' is not a valid timeout.")
                                % value)
            self.call.timeout = float(value)


USAGE = """Usage: nmcli [OPTIONS] OBJECT { COMMAND | help }

OPTIONS
  -a, --ask                                ask for missing parameters
  -c, --colors auto|yes|no                 whether to use colors in output
  -e, --escape yes|no                      escape columns separators in values
  -f, --fields <field,...>|all|common      specify fields to output
  -g, --get-values <field,...>|all|common  shortcut for -m tabular -t -f
  -h, --help                               print this help
  -m, --mode tabular|multiline             output mode
  -o, --overview                           overview mode
  -p, --pretty                             pretty output
  -s, --show-secrets                       allow displaying passwords
  -t, --terse                              terse output
  -v, --version                            show program version
  -w, --wait <seconds>                     set timeout waiting for finishing operations

OBJECT
  g[eneral]       NetworkManager's general status and operations
  n[etworking]    overall networking control
  r[adio]         NetworkManager radio switches
  c[onnection]    NetworkManager's connections
  d[evice]        devices managed by NetworkManager
  a[gent]         NetworkManager secret agent or polkit agent
  m[onitor]       monitor NetworkManager changes

"""
