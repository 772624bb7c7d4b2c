"""nmcli's front: global options, and objects and commands by prefix.

`Nmcli.run(argv)` returns a Call: what was printed, the exit status, and for commands that wait
on the daemon (connection up, device connect) the activation to wait for and what to print when
it ends. Matching follows nmcli: the first entry of a table that the typed word is a prefix of.
What the commands share (exit statuses, errors, the Call, the Context) is in context.py.
"""

from __future__ import annotations

from labkit.nm.nmcli import connection, device, general
from labkit.nm.nmcli.context import (
    USER_INPUT,
    Call,
    Context,
    NmcliExit,
    matches,
)

GLOBAL_OPTIONS = ("overview", "offline", "terse", "pretty", "mode", "colors", "escape",
                  "fields", "get-values", "nocheck", "wait", "version", "help", "ask",
                  "show-secrets")
OPTIONS_WITH_VALUE = ("mode", "colors", "escape", "fields", "get-values", "wait")
OBJECTS = ("general", "monitor", "networking", "radio", "connection", "device", "agent")


class Nmcli(Context):
    """nmcli bound to one host's daemon: the Context, and the parsing of argv."""

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
            connection.dispatch(self, args)
        elif obj == "device":
            device.dispatch(self, args)
        elif obj == "general":
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
