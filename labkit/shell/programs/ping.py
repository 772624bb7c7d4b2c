"""`ping`: iputils ping s20221126 (Debian 12) on the engine's kernel-side ping.

Options a lab uses: -c COUNT, -i INTERVAL (root: any value, below 0.002 s too), -W TIMEOUT,
-w DEADLINE, -s SIZE, -q, -n, -4, -t TTL, -I IFACE|ADDR, -B, -a (and the no-op -d -U -C -L).
Parsing is GNU getopt's (options after the destination, clusters like -qc2, `--`), with ping's
own messages and statuses: getopt errors and -h print the usage (2), bad numbers print
`invalid argument` (1) or ping's strtod complaints (2), an unknown name prints the resolver's
error (2), no route prints `connect: Network is unreachable` (2). A name is looked up in the
host's /etc/hosts; the lab has no DNS server that answers, so other names fail as real ping
fails there: `Temporary failure in name resolution`.

Differences from the real program, on purpose:
- Without -c and without -w a real ping runs until Ctrl-C, which the lab shell cannot send: it
  refuses with a one-line hint to add -c COUNT or -w DEADLINE, status 2.
- IPv6 (-6, IPv6 addresses, names whose first address is IPv6 such as `localhost`), broadcast
  (-b), multicast and the display options -v -D -O -f -A -R -T -p -l and friends are not
  simulated: a clear message, status 2. (Several destinations end as the real ping ends without
  CAP_NET_RAW for source routing: `record route: Operation not permitted`.)
- -I works when the kernel would use that device (or source address) anyway; otherwise a clear
  message. -i 0 (flood pacing) sends every 10 ms, ping's MININTERVAL. -W 0 (wait forever for a
  first reply) waits ping's default 10 s.
- -s above 65507 is not sent to the engine: every probe fails locally (EMSGSIZE) as on Linux,
  with ping's `local error: message too long, mtu=N` per probe, on the lab's clock.
The output is written when ping ends (the shell shows it then, or at `wait` for `ping ... &`).
"""

from __future__ import annotations

import errno as errno_mod
import ipaddress
import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from labkit.model.ping import PingRequest, PingRun
from labkit.model.snapshot import HostSnapshot
from labkit.shell.program import Invocation, Pending
from labkit.shell.programs import resolver
from labkit.shell.programs.resolver import HostEntry, parse_hosts
from labkit.views import ping as view

OPTSTRING = "h?4bRT:6F:N:aABc:CdDe:fi:I:l:Lm:M:nOp:qQ:rs:S:t:UvVw:W:"
NOOP_OPTIONS = "dUCL"  # no visible effect in a lab: SO_DEBUG, user latency, connect, mcast loop
UNSUPPORTED = "RT6FNADefilmMOpQrSv"
LONG_MAX = 2 ** 63 - 1
INT_MAX = 2 ** 31 - 1
MAX_PAYLOAD = 65535 - view.IP_HEADER - view.ICMP_HEADER  # 65507
MININTERVAL = 0.010
MAXWAIT = 10.0
EAI_AGAIN = "Temporary failure in name resolution"
EAI_ADDRFAMILY = "Address family for hostname not supported"
ERANGE = os.strerror(errno_mod.ERANGE)
VERSION = ("ping from iputils 20221126\n"
           "libcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes\n")
USAGE = """
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
"""


class Exit(Exception):
    """ping ends before sending anything: what it wrote to stderr, and its status."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _die(status: int, text: str) -> Exit:
    """error(3)'s line: `ping: TEXT`."""
    return Exit(status, f"ping: {text}\n")


def _not_simulated(what: str) -> Exit:
    return _die(2, f"{what} is not simulated by labkit's ping (real engines run the real ping)")


# -- argument parsing ---------------------------------------------------------------------------
def getopt(argv: list[str], optstring: str = OPTSTRING
           ) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU getopt with permutation: (options in order, operands). getopt's errors raise Exit."""
    options: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            operands += argv[i:]
            break
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            j += 1
            spec = optstring.find(ch)
            if spec < 0 or ch == ":":
                raise Exit(2, f"ping: invalid option -- '{ch}'\n" + USAGE)
            if spec + 1 < len(optstring) and optstring[spec + 1] == ":":
                if j < len(arg):
                    options.append((ch, arg[j:]))
                elif i < len(argv):
                    options.append((ch, argv[i]))
                    i += 1
                else:
                    raise Exit(2, f"ping: option requires an argument -- '{ch}'\n" + USAGE)
                break
            options.append((ch, None))
    return options, operands


_STRTOL = re.compile(r"\s*[+-]?\d+")
_STRTOD = re.compile(
    r"\s*[+-]?(?:0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    r"|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)")


def strtol_or_err(text: str, low: int, high: int) -> int:
    """iputils' strtol_or_err with "invalid argument": exit 1 on garbage or out of range."""
    m = _STRTOL.match(text)
    if not text or not m or m.end() != len(text):
        raise _die(1, f"invalid argument: '{text}'")
    value = int(m.group())
    if not -LONG_MAX - 1 <= value <= LONG_MAX:
        raise _die(1, f"invalid argument: '{text}': {ERANGE}")
    if not low <= value <= high:
        raise _die(1, f"invalid argument: '{text}': out of range: {low} <= value <= {high}")
    return value


def _strtod(text: str) -> tuple[float, int, bool]:
    """glibc strtod in the C locale: (value, characters read, ERANGE set)."""
    m = _STRTOD.match(text)
    if not m:
        return 0.0, 0, False
    number = m.group().strip()
    body = number.lstrip("+-")
    sign = -1.0 if number.startswith("-") else 1.0
    if body[:2].lower() == "0x":
        mantissa = re.split("[pP]", body[2:])[0]
        value = sign * float.fromhex(body if re.search("[pP]", body) else body + "p0")
    else:
        mantissa = re.split("[eE]", body)[0]
        value = float(number)
    if body[:1].lower() in "in":  # inf, infinity, nan: no range error from strtod itself
        return value, m.end(), False
    nonzero = any(c not in "0." for c in mantissa)
    erange = math.isinf(value) or (nonzero and abs(value) < sys.float_info.min)
    return value, m.end(), erange


def ping_strtod(text: str, what: str, warn: Callable[[str], None]) -> float:
    """ping_strtod: garbage is only a warning (the number read so far counts, 0 if none);
    infinities, NaN and denormals end ping with status 2."""
    if not text:
        raise _die(2, f"{what}: {text}")
    value, end, erange = _strtod(text)
    if erange or end == 0 or end != len(text):
        warn(f"ping: option argument contains garbage: {text[end:] if end else text}\n"
             "ping: this will become fatal error in the future\n")
    if math.isinf(value) or math.isnan(value) or (value and abs(value) < sys.float_info.min):
        raise _die(2, f"{what}: {text}: {ERANGE}")
    return value


@dataclass
class Options:
    """What the command line asked for, as ping's variables hold it."""

    count: int | None = None
    interval_ms: int = 1000
    linger_ms: int | None = None
    deadline: int = 0
    size: int = 56
    ttl: int | None = None
    quiet: bool = False
    numeric: bool = False
    audible: bool = False
    strict_source: bool = False
    broadcast: bool = False
    family: int | None = None
    device: str | None = None
    source: str | None = None


def parse(argv: list[str], warn: Callable[[str], None]) -> tuple[Options, list[str]]:
    """Handle the options in order, as ping's switch does: the first bad one ends it."""
    opts = Options()
    options, operands = getopt(argv)
    for ch, arg in options:
        value = arg or ""
        if ch in "h?":
            raise Exit(2, USAGE)
        if ch == "V":
            raise Exit(0, VERSION)
        if ch in "46":
            family = int(ch)
            if opts.family not in (None, family):
                raise _die(2, "only one -4 or -6 option may be specified")
            opts.family = family
        elif ch == "c":
            opts.count = strtol_or_err(value, 1, LONG_MAX)
        elif ch == "i":
            number = ping_strtod(value, "bad timing interval", warn)
            if number > INT_MAX / 1000:
                raise _die(2, f"bad timing interval: {value}")
            opts.interval_ms = int(number * 1000)
        elif ch == "W":
            number = ping_strtod(value, "bad linger time", warn)
            if number < 0 or number > INT_MAX / 1000:
                raise _die(2, f"bad linger time: {value}")
            opts.linger_ms = int(number * 1000)
        elif ch == "w":
            opts.deadline = strtol_or_err(value, 0, INT_MAX)
        elif ch == "s":
            opts.size = strtol_or_err(value, 0, INT_MAX)
        elif ch == "t":
            opts.ttl = strtol_or_err(value, 0, 255)
        elif ch == "I":
            if ":" in value:
                raise _not_simulated("IPv6 (-I with an IPv6 address)")
            if _inet_pton4(value):
                opts.source, opts.strict_source = value, True
            else:
                opts.device = value
        elif ch == "q":
            opts.quiet = True
        elif ch == "n":
            opts.numeric = True
        elif ch == "a":
            opts.audible = True
        elif ch == "B":
            opts.strict_source = True
        elif ch == "b":
            opts.broadcast = True
        elif ch in NOOP_OPTIONS:
            pass
        elif ch in UNSUPPORTED:
            raise _not_simulated(f"option -{ch}")
    if opts.family == 6:
        raise _not_simulated("IPv6 (-6)")
    return opts, operands


# -- addresses and names ------------------------------------------------------------------------
def _inet_pton4(text: str) -> bool:
    """Strict dotted quad, as inet_pton(AF_INET) accepts."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def inet_aton(text: str) -> str | None:
    """glibc inet_aton, as dotted quad text (None when glibc would refuse)."""
    number = resolver.inet_aton(text)
    return None if number is None else str(ipaddress.IPv4Address(number))


def _v6_usable(snap: HostSnapshot, address: str) -> bool:
    """RFC 3484 rule 1 as glibc applies it: an IPv6 address with a usable source sorts first."""
    ours = [a for a in snap.addresses if a.family == 6 and _link_up(snap, a.dev)]
    if ipaddress.ip_address(address).is_loopback:
        return any(ipaddress.ip_address(a.local).is_loopback for a in ours)
    return any(a.scope == "global" for a in ours)


def _link_up(snap: HostSnapshot, name: str) -> bool:
    try:
        return "UP" in snap.link(name).flags
    except KeyError:
        return False


@dataclass(frozen=True)
class Target:
    """The destination as ping knows it: header name, address, reverse names."""

    hostname: str
    address: str
    numeric: bool
    names: dict[str, str]


def resolve(name: str, opts: Options, hosts: list[HostEntry], snap: HostSnapshot) -> Target:
    """inet_aton for literals, else getaddrinfo over /etc/hosts (files, then a silent DNS)."""
    literal = inet_aton(name)
    reverse: dict[str, str] = {}
    for entry in hosts:
        reverse.setdefault(entry.address, entry.names[0])
    if literal is not None:
        return Target(name, literal, True, reverse)
    try:
        v6 = ipaddress.IPv6Address(name.split("%", 1)[0])
    except ValueError:
        found = [e for e in hosts if any(n.lower() == name.lower() for n in e.names)]
    else:
        if opts.family == 4:
            raise _die(2, f"{name}: {EAI_ADDRFAMILY}")
        raise _not_simulated(f"IPv6 ({v6})")
    if not found:
        raise _die(2, f"{name}: {EAI_AGAIN}")
    canonical = found[0].names[0]
    v4 = [e for e in found if e.family == 4]
    v6s = [e for e in found if e.family == 6 and _v6_usable(snap, e.address)]
    ordered = v6s + v4 + [e for e in found if e.family == 6 and e not in v6s]
    if opts.family == 4:
        if not v4:
            raise _die(2, f"{name}: {EAI_ADDRFAMILY}")
        chosen = v4[0]
    else:
        chosen = ordered[0]
        if chosen.family == 6:
            hint = f"; ping -4 {name} pings {v4[0].address}" if v4 else ""
            raise _not_simulated(f"IPv6 ({name} is {chosen.address}{hint})")
    hostname = canonical if chosen is ordered[0] else ""
    return Target(hostname, chosen.address, opts.numeric, reverse)


# -- what the kernel would say before any probe -------------------------------------------------
def _addresses4(snap: HostSnapshot) -> list[tuple[str, ipaddress.IPv4Interface, bool]]:
    """(device, address/prefix, primary) of every IPv4 address on an up link."""
    out = []
    for a in snap.addresses:
        if a.family == 4 and _link_up(snap, a.dev):
            out.append((a.dev, ipaddress.IPv4Interface(f"{a.local}/{a.prefixlen}"),
                        "secondary" not in a.flags))
    return out


def is_broadcast(snap: HostSnapshot, address: str) -> bool:
    """RTN_BROADCAST destinations: 255.255.255.255, each primary subnet's last address, brd."""
    if address == "255.255.255.255":
        return True
    for _dev, iface, primary in _addresses4(snap):
        if primary and iface.network.prefixlen < 31 \
                and str(iface.network.broadcast_address) == address:
            return True
    return any(a.family == 4 and a.broadcast == address for a in snap.addresses)


def route_to(snap: HostSnapshot, address: str) -> tuple[str, str] | None:
    """(output device, source address) the kernel would pick, or None without a route."""
    dst = ipaddress.IPv4Address(address)
    for _dev, iface, _primary in _addresses4(snap):
        if iface.ip == dst:
            return "lo", address
    best = None
    for r in snap.routes:
        if r.family != 4 or r.type not in ("unicast", "local") or r.dev is None:
            continue
        net = ipaddress.IPv4Network("0.0.0.0/0" if r.dst == "default" else r.dst, strict=False)
        if dst in net and _link_up(snap, r.dev):
            key = (net.prefixlen, -(r.metric or 0))
            if best is None or key > best[0]:
                best = (key, r)
    if best is None:
        return None
    route = best[1]
    out_dev = route.dev
    assert out_dev is not None  # routes without a device were skipped above
    if route.prefsrc:
        return out_dev, route.prefsrc
    near = ipaddress.IPv4Address(route.gateway) if route.gateway else dst
    mine = [iface for dev, iface, primary in _addresses4(snap) if dev == out_dev and primary]
    for iface in mine:
        if near in iface.network:
            return out_dev, str(iface.ip)
    return out_dev, str(mine[0].ip) if mine else "0.0.0.0"


def _mtu(snap: HostSnapshot, dev: str) -> int:
    try:
        return snap.link(dev).mtu
    except KeyError:
        return 1500


# -- the program --------------------------------------------------------------------------------
@dataclass
class PingJob:
    """A ping running on the engine: the shell waits for it, then it prints everything."""

    inv: Invocation
    run: PingRun
    display: view.PingDisplay

    @property
    def done(self) -> bool:
        return self.run.done

    def wait(self) -> None:
        self.inv.engine.run_until_done(self.run)

    def finish(self) -> int:
        self.inv.out(view.render(self.run, self.display))
        req = self.run.request
        return view.exit_status(view.tally(self.run), req.count, req.deadline)


@dataclass
class OversizeJob:
    """-s beyond 65507: every probe fails locally (EMSGSIZE) while time passes as ping paces."""

    inv: Invocation
    display: view.PingDisplay
    until: float
    tally: view.PingTally
    message: str

    @property
    def done(self) -> bool:
        return self.inv.engine.clock.now() >= self.until

    def wait(self) -> None:
        remaining = self.until - self.inv.engine.clock.now()
        if remaining > 0:
            self.inv.engine.clock.sleep(remaining)

    def finish(self) -> int:
        self.inv.out(view.header(self.display))
        self.inv.err(self.message * self.tally.errors)
        self.inv.out(view.statistics(self.tally, self.display))
        return 1


def _oversize(inv: Invocation, opts: Options, display: view.PingDisplay, mtu: int
              ) -> OversizeJob:
    """How many probes ping sends, and for how long, when each one fails at sendmsg()."""
    interval = max(opts.interval_ms, 0) / 1000
    if opts.quiet:  # quiet local errors are not counted: ping waits for -c, -w or the linger
        if opts.deadline:
            sent = max(1, math.ceil(opts.deadline / interval)) if interval else 1
            last, end = (sent - 1) * interval, float(opts.deadline)
        else:
            sent = opts.count or 1
            last = (sent - 1) * interval
            linger = MAXWAIT if opts.linger_ms is None else opts.linger_ms / 1000
            end = last + linger
        errors = 0
    else:
        sent = 1 if opts.deadline else (opts.count or 1)
        last = end = (sent - 1) * interval
        errors = sent
    tally = view.PingTally(seen=(), transmitted=sent, received=0, duplicates=0, errors=errors,
                           pipesize=-1, elapsed=last, rtts_us=())
    return OversizeJob(inv, display, inv.engine.clock.now() + end, tally,
                       f"ping: local error: message too long, mtu={mtu}\n")


def _start(inv: Invocation) -> int | Pending:
    opts, operands = parse(inv.argv[1:], inv.err)
    if not operands:
        raise _die(1, f"usage error: {os.strerror(errno_mod.EDESTADDRREQ)}")
    snap = inv.engine.snapshot(inv.host)
    try:
        hosts = parse_hosts(inv.shell.read_path(inv.host, "/etc/hosts"))
    except OSError:
        hosts = []
    target = resolve(operands[-1], opts, hosts, snap)
    if len(operands) > 10:
        raise Exit(2, USAGE)
    for hop in operands[:-1]:
        resolve(hop, opts, hosts, snap)
    if len(operands) > 1:
        raise _die(2, f"record route: {os.strerror(errno_mod.EPERM)}")
    address = target.address
    if address == "0.0.0.0":  # the kernel routes INADDR_ANY to the loopback
        address = "127.0.0.1"
    if is_broadcast(snap, address):
        if not opts.broadcast:
            raise _die(2, "Do you want to ping broadcast? Then -b. If not, check your local "
                          "firewall rules")
        raise _not_simulated("broadcast ping (-b)")
    if ipaddress.IPv4Address(address).is_multicast:
        raise _not_simulated("multicast ping")
    route = route_to(snap, address)
    if opts.device is not None:
        if not any(link.name == opts.device for link in snap.links):
            raise _die(2, f"SO_BINDTODEVICE {opts.device}: {os.strerror(errno_mod.ENODEV)}")
        if route is not None and route[0] != opts.device:
            raise _not_simulated(f"-I {opts.device} (the kernel routes {address} via "
                                 f"{route[0]})")
    if opts.source is not None:
        if not any(str(iface.ip) == opts.source for _d, iface, _p in _addresses4(snap)) \
                and not opts.source.startswith("127."):
            raise _die(2, f"bind: {os.strerror(errno_mod.EADDRNOTAVAIL)}")
        if route is not None and route[1] != opts.source:
            raise _not_simulated(f"-I {opts.source} (the kernel would send from {route[1]})")
    if route is None:
        raise _die(2, f"connect: {os.strerror(errno_mod.ENETUNREACH)}")
    if opts.ttl == 0:
        raise _die(2, f"cannot set unicast time-to-live: {os.strerror(errno_mod.EINVAL)}")
    if opts.count is None and not opts.deadline:
        raise _die(2, "the lab shell cannot press Ctrl-C to stop ping: add -c COUNT or "
                      f"-w DEADLINE (e.g. ping -c 4 {operands[-1]})")
    display = view.PingDisplay(
        hostname=target.hostname, address=address, size=opts.size, quiet=opts.quiet,
        numeric=target.numeric or opts.numeric, names=target.names, device=opts.device,
        source=None, interval_ms=opts.interval_ms, audible=opts.audible)
    shows_source = opts.device is not None or opts.strict_source
    if opts.size > MAX_PAYLOAD:
        if shows_source:
            display = _with_source(display, opts.source or route[1])
        return _oversize(inv, opts, display, _mtu(snap, route[0]))
    request = PingRequest(
        dst=address, count=opts.count,
        interval=opts.interval_ms / 1000 if opts.interval_ms > 0 else MININTERVAL,
        deadline=float(opts.deadline) if opts.deadline else None,
        timeout=opts.linger_ms / 1000 if opts.linger_ms else None,
        size=opts.size, ttl=64 if opts.ttl is None else opts.ttl)
    run = inv.engine.start_ping(inv.host, request)
    if run.error:
        code = getattr(errno_mod, run.error, None)
        raise _die(2, f"connect: {os.strerror(code) if code else run.error}")
    if shows_source:
        display = _with_source(display, opts.source or run.source or route[1])
    return PingJob(inv, run, display)


def _with_source(display: view.PingDisplay, source: str) -> view.PingDisplay:
    return replace(display, source=source)


def ping(inv: Invocation) -> int | Pending:
    """ping [options] DESTINATION: see the module docstring for what is simulated."""
    try:
        return _start(inv)
    except Exit as stop:
        if stop.status == 0:
            inv.out(stop.message)
        else:
            inv.err(stop.message)
        return stop.status
