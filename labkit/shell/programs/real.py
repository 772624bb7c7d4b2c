"""The real programs of engines that have them (ip, ping, bridge, ifconfig on a real kernel).

The program runs in the lab host's sandbox while lab time passes as usual (the daemons' timers
keep running), and in the background too (`ping ... &`), as in a terminal. What the sandbox
cannot give a program confined to CAP_NET_ADMIN and CAP_NET_RAW, the lab shell does for it, as
`ip` would: `ip -n HOST` and `ip netns exec HOST CMD` naming one of this lab's hosts run in that
host's sandbox (entering a namespace needs CAP_SYS_ADMIN), and `ip -batch FILE` / `bridge
-batch FILE` read FILE from the lab host's own files (what the shell's `cat FILE` reads), given
to the program on its stdin. Any other namespace name is left to the real program, which in
the sandbox finds only this lab's namespaces and answers with its own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from labkit.errors import EngineUnavailable
from labkit.shell.program import strerror

if TYPE_CHECKING:
    from labkit.shell.program import Invocation


class _Namespaces(Protocol):
    """An engine whose hosts are named network namespaces (`ip -n`, `ip netns exec`)."""

    def netns_list(self, host: str) -> list[str]: ...

    def netns_host(self, name: str) -> str | None: ...

POLL = 0.01  # seconds between looks at a running program

# ip's global options in the order iproute2 6.1's main() tries them (each abbreviates: "-n"
# is -netns because nothing tried before it starts so); True: the option takes an argument
IP_OPTIONS = (("-loops", True), ("-family", True), ("=-4", False), ("=-6", False),
              ("=-0", False), ("=-M", False), ("=-B", False), ("-human", False),
              ("-human-readable", False), ("-iec", False), ("-stats", False),
              ("-statistics", False), ("-details", False), ("-resolve", False),
              ("-oneline", False), ("-timestamp", False), ("-tshort", False),
              ("-Version", None), ("-force", False), ("-batch", True), ("-brief", False),
              ("-json", False), ("-pretty", False), ("-rcvbuf", True), ("color", False),
              ("-help", None), ("-netns", True), ("-Numeric", False), ("-all", False),
              ("=-echo", False))
BRIDGE_OPTIONS = (("-help", None), ("-Version", None), ("-stats", False),
                  ("-statistics", False), ("-details", False), ("-oneline", False),
                  ("-timestamp", False), ("-family", True), ("=-4", False), ("=-6", False),
                  ("-netns", True), ("color", False), ("-compressvlans", False),
                  ("-force", False), ("-json", False), ("-pretty", False), ("-batch", True))
# ip's objects in its table's order (`ip net` is netns: nothing before it starts so)
IP_OBJECTS = ("address", "addrlabel", "maddress", "route", "rule", "neighbor", "neighbour",
              "ntable", "ntbl", "link", "l2tp", "fou", "ila", "macsec", "tunnel", "tunl",
              "tuntap", "tap", "token", "tcpmetrics", "tcp_metrics", "monitor", "xfrm",
              "mroute", "mrule", "netns", "netconf", "vrf", "sr", "nexthop", "mptcp", "ioam",
              "help", "stats")
NETNS_VERBS = ("list", "show", "lst", "list-id", "help", "add", "set", "delete", "identify",
               "pids", "exec", "monitor", "attach")
NAME_MAX = 255
EXEC_FAILED = re.compile(r"\Asetpriv: failed to execute .*?: (?P<why>[^\n]*)\n\Z")


def matches(prefix: str, word: str) -> bool:
    """iproute2's matches(): `prefix` is a non-empty prefix of `word`."""
    return bool(prefix) and word.startswith(prefix)


def _color(opt: str) -> bool:
    """iproute2's matches_color(): -c[olor][=always|auto|never]."""
    name, _, when = opt.partition("=")
    return matches(name, "-color") and when in ("", "always", "auto", "never")


@dataclass
class Launch:
    """A real program to start: where, with what, and how to put its words back."""

    host: str  # the lab host whose namespace it runs in
    argv: list[str]
    stdin: str
    batch_name: str | None = None  # the FILE `-batch -` stands for in "Command failed -:N"
    exec_name: str | None = None  # `ip netns exec`'s CMD: a failed exec in ip's words

    def fix(self, status: int, err: str) -> tuple[int, str]:
        """The program's status and stderr as the real tool would have given them."""
        if self.batch_name is not None:
            name = self.batch_name.replace("\\", "\\\\")
            err = re.sub(r"^Command failed -:(\d+)$", f"Command failed {name}:\\1", err,
                         flags=re.M)
        if self.exec_name is not None and status in (126, 127):
            found = EXEC_FAILED.match(err)
            if found:
                return 1, f'exec of "{self.exec_name}" failed: {found["why"]}\n'
        return status, err


class RealRun:
    """A real program still running (the shell's Pending)."""

    def __init__(self, inv: Invocation, proc: Any, launch: Launch | None = None) -> None:
        self.inv = inv
        self.proc = proc
        self.launch = launch

    @property
    def done(self) -> bool:
        return self.proc.poll() is not None

    def wait(self) -> None:
        try:
            while not self.done:
                self.inv.engine.clock.sleep(POLL)
        except BaseException:
            self.proc.kill()  # Ctrl-C in the notebook stops the program, as in a terminal
            raise

    def finish(self) -> int:
        out, err = self.proc.output()
        status = int(self.proc.poll() or 0)
        if self.launch is not None:
            status, err = self.launch.fix(status, err)
        self.inv.out(out)
        self.inv.err(err)
        return status


class RealSequence:
    """`ip -all netns exec CMD`: CMD in each namespace in turn, each after its header line
    ("netns: NAME"), as ip forks one child after the other; ip's status is 0."""

    def __init__(self, inv: Invocation, steps: list[tuple[str, Launch]]) -> None:
        self.inv = inv
        self._todo = list(steps)
        self._chunks: list[tuple[int, str]] = []
        self._current: RealRun | None = None
        self._advance()

    def _advance(self) -> None:
        while True:
            if self._current is not None:
                if not self._current.done:
                    return
                out, err = self._current.proc.output()
                status = int(self._current.proc.poll() or 0)
                if self._current.launch is not None:
                    status, err = self._current.launch.fix(status, err)
                self._chunks += [(1, out), (2, err)]
                self._current = None
            if not self._todo:
                return
            header, launch = self._todo.pop(0)
            self._chunks.append((1, header))
            proc = self.inv.engine.spawn(launch.host, launch.argv, launch.stdin)
            self._current = RealRun(self.inv, proc, launch)

    @property
    def done(self) -> bool:
        self._advance()
        return self._current is None and not self._todo

    def wait(self) -> None:
        try:
            while not self.done:
                self.inv.engine.clock.sleep(POLL)
        except BaseException:
            if self._current is not None:
                self._current.proc.kill()
            self._todo = []
            raise

    def finish(self) -> int:
        for fd, text in self._chunks:
            (self.inv.out if fd == 1 else self.inv.err)(text)
        return 0


def real(inv: Invocation) -> RealRun | RealSequence | int:
    """Start `inv.argv` for real on the engine (in the lab host's sandbox)."""
    try:
        planned = plan(inv, inv.host, list(inv.argv), inv.stdin)
        if isinstance(planned, tuple):
            status, err = planned
            inv.err(err)
            return status
        if isinstance(planned, list):
            return RealSequence(inv, planned)
        proc = inv.engine.spawn(planned.host, planned.argv, planned.stdin)
    except EngineUnavailable as exc:  # no sandbox can be made here: say why, run nothing
        inv.err(f"{inv.argv[0]}: {exc}\n")
        return 126
    return RealRun(inv, proc, planned)


def plan(inv: Invocation, host: str, argv: list[str], stdin: str
         ) -> Launch | list[tuple[str, Launch]] | tuple[int, str]:
    """Where and how `argv` runs (a list of steps for `ip -all netns exec`), or
    (status, stderr) when the answer is known without running anything."""
    name = argv[0]
    if name not in ("ip", "bridge") or not hasattr(inv.engine, "netns_host"):
        return Launch(host, argv, stdin)
    engine = cast(_Namespaces, inv.engine)
    parsed = _options(argv, IP_OPTIONS if name == "ip" else BRIDGE_OPTIONS)
    if parsed is None:  # the program stops at its options by itself (usage, -V, unknown)
        return Launch(host, argv, stdin)
    end, netns, batch, do_all = parsed
    keep = list(range(len(argv)))
    foreign = False
    for at in netns:  # -n NAME: this lab's hosts the shell enters; others the program meets
        target = engine.netns_host(argv[at + 1])
        if target is None:
            foreign = True
        else:
            host = target
            keep.remove(at)
            keep.remove(at + 1)
    launch = Launch(host, argv, stdin)
    if batch is not None:
        launch.batch_name = argv[batch]
        argv = list(argv)
        argv[batch] = "-"
        if launch.batch_name != "-":
            try:
                launch.stdin = inv.shell.read_path(inv.host, launch.batch_name)
            except IsADirectoryError:
                launch.stdin = ""  # fopen succeeds on a directory; reading ends at once
            except OSError as exc:
                if not foreign:
                    return 1, (f'Cannot open file "{launch.batch_name}" for reading: '
                               f"{strerror(exc)}\n")
                launch.stdin = ""  # the program fails at -n first
        launch.argv = [argv[i] for i in keep]
        return launch
    launch.argv = [argv[i] for i in keep]
    if name != "ip" or foreign:
        return launch
    if do_all:
        command = _netns_exec_all(argv, end)
        if command is None:
            return launch
        steps: list[tuple[str, Launch]] = []
        for ns_name in engine.netns_list(host):
            target = engine.netns_host(ns_name)
            if target is None:
                continue
            inner = _command(inv, target, command, stdin)
            if isinstance(inner, Launch):
                steps.append((f"\nnetns: {ns_name}\n", inner))
        return steps or launch
    found = _netns_exec(engine, argv, end)
    if found is None:
        return launch
    inner = _command(inv, found[0], found[1], stdin)
    return launch if isinstance(inner, list) else inner


def _command(inv: Invocation, host: str, command: list[str], stdin: str
             ) -> Launch | list[tuple[str, Launch]] | tuple[int, str]:
    """What `ip netns exec` runs in `host`: a real program as the shell would run it, anything
    else as it is (only what the sandbox holds exists there)."""
    if command[0] in inv.engine.real_programs:
        return plan(inv, host, command, stdin)
    return Launch(host, command, stdin, exec_name=command[0])


def _options(argv: list[str], table: tuple[tuple[str, bool | None], ...]
             ) -> tuple[int, list[int], int | None, bool] | None:
    """Walk the global options as the program does: (index of the first word after them,
    indexes of each -netns, index of the last -batch's FILE, -all seen); None when the program
    would stop there by itself."""
    netns: list[int] = []
    batch: int | None = None
    do_all = False
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return i + 1, netns, batch, do_all
        if not word.startswith("-"):
            break
        found = _option(word[1:] if word[1:2] == "-" else word, table)
        if found is None:
            return None  # Option "..." is unknown
        name, takes = found
        if takes is None:
            return None  # -help, -Version
        if takes:
            if i + 1 >= len(argv):
                return None  # usage(), or iproute2's own NULL for -netns
            if name == "-netns":
                netns.append(i)
            elif name == "-batch":
                batch = i + 1
            i += 1
        elif name == "-all":
            do_all = True
        i += 1
    return i, netns, batch, do_all


def _option(opt: str, table: tuple[tuple[str, bool | None], ...]
            ) -> tuple[str, bool | None] | None:
    """The first option of `table` that `opt` names, as the program's if-chain tries them."""
    for name, takes in table:
        if name == "color":
            if _color(opt):
                return name, takes
        elif (opt == name[1:]) if name.startswith("=") else matches(opt, name):
            return name, takes
    return None


def _netns_exec(engine: _Namespaces, argv: list[str], at: int
                ) -> tuple[str, list[str]] | None:
    """(host, command) of `ip netns exec HOST CMD...` naming one of this lab's hosts."""
    if len(argv) < at + 4:
        return None  # no object, verb, name or command: ip's own words
    obj = next((o for o in IP_OBJECTS if matches(argv[at], o)), None)
    verb = next((v for v in NETNS_VERBS if matches(argv[at + 1], v)), None)
    name = argv[at + 2]
    if obj != "netns" or verb != "exec" or _invalid_name(name):
        return None
    host = engine.netns_host(name)
    if host is None:
        return None
    return host, argv[at + 3:]


def _netns_exec_all(argv: list[str], at: int) -> list[str] | None:
    """The command of `ip -all netns exec CMD...`."""
    if len(argv) < at + 3:
        return None  # ip's own words ("No command specified")
    obj = next((o for o in IP_OBJECTS if matches(argv[at], o)), None)
    verb = next((v for v in NETNS_VERBS if matches(argv[at + 1], v)), None)
    if obj != "netns" or verb != "exec":
        return None
    return argv[at + 2:]


def _invalid_name(name: str) -> bool:
    """ipnetns.c's invalid_name()."""
    return (not name or len(name.encode("utf-8", "surrogateescape")) > NAME_MAX or "/" in name
            or name in (".", ".."))
