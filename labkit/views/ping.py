"""What iputils ping (s20221126, Debian 12) prints for a finished PingRun, byte for byte.

The engine's PingRun says what the kernel saw (probes sent, replies and ICMP errors with their
times); this module adds what the ping program itself decides: when it stops looking (count
reached, or a deadline with an error), its counters (pipe, duplicates), its integer arithmetic
for times and mdev, and its line formats. Pure functions: nothing here touches an engine.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

from labkit.model.ping import PingEvent, PingRun

IP_HEADER = 20
ICMP_HEADER = 8
TIMEVAL = 16  # sizeof(struct timeval) on amd64: below this payload ping cannot time replies
EPSILON = 1e-9  # virtual times closer than this are the same instant
ERROR_TEXT = {"unreachable": "Destination Host Unreachable"}


@dataclass(frozen=True)
class PingDisplay:
    """The program-side state ping prints with: names, flags, the header's source part."""

    hostname: str  # rts->hostname: the target as typed, or the resolver's canonical name
    address: str  # the destination address (whereto)
    size: int = 56  # -s: data bytes per probe
    quiet: bool = False  # -q
    numeric: bool = True  # -n, or a literal address as target: no reverse lookups
    names: Mapping[str, str] = field(default_factory=dict)  # address -> name (/etc/hosts)
    source: str | None = None  # shown as "from SRC DEV: " in the header when set (-I, -B)
    device: str | None = None  # -I DEVICE
    interval_ms: int = 1000  # rts->interval: 0 adds ping's ipg/ewma figures
    audible: bool = False  # -a: a BEL after each reply


@dataclass(frozen=True)
class Seen:
    """One event as ping handled it (replies for a sequence already answered are DUP!)."""

    event: PingEvent
    duplicate: bool = False


@dataclass(frozen=True)
class PingTally:
    """ping's counters when it stopped: what finish() prints from."""

    seen: tuple[Seen, ...]
    transmitted: int
    received: int
    duplicates: int
    errors: int
    pipesize: int
    elapsed: float  # seconds from the start to the last probe sent (ping's "time")
    rtts_us: tuple[int, ...]  # every timed reply, duplicates included, in microseconds


# -- counting ---------------------------------------------------------------------------------
def tally(run: PingRun) -> PingTally:
    """Replay ping's main loop over the run's events.

    ping stops looking after the batch of events in which received + errors reaches -c, and,
    when a deadline (-w) is set, after the first batch holding an error; the kernel may have
    recorded more, which ping never reads. Probes are sent every interval from the start, so
    how many were out when an event arrived (the pipe) follows from its time.
    """
    req = run.request
    interval = max(req.interval, 0.0)
    sends = [run.started + k * interval for k in range(run.transmitted)]
    events = sorted(run.events, key=lambda e: e.time)
    seen: list[Seen] = []
    answered: set[int] = set()
    received = duplicates = errors = 0
    pipesize = -1
    rtts: list[int] = []
    stop_at: float | None = None
    i = 0
    while i < len(events):
        batch_time = events[i].time
        while i < len(events) and events[i].time <= batch_time + EPSILON:
            event = events[i]
            i += 1
            out = max(event.seq, bisect_left(sends, event.time - EPSILON))
            pipesize = max(pipesize, out - event.seq + 1)
            if event.kind == "reply":
                rtts.append(round(event.rtt_ms * 1000))
                duplicate = event.seq in answered
                answered.add(event.seq)
                duplicates += duplicate
                received += not duplicate
                seen.append(Seen(event, duplicate))
            else:
                errors += 1
                seen.append(Seen(event))
        if (req.count and received + errors >= req.count) or (req.deadline and errors):
            stop_at = batch_time
            break
    transmitted = run.transmitted
    last_sent = run.last_sent
    if stop_at is not None:
        transmitted = max([bisect_left(sends, stop_at - EPSILON)] + [s.event.seq for s in seen])
        last_sent = sends[transmitted - 1] if transmitted and transmitted <= len(sends) \
            else run.last_sent
    elapsed = max(last_sent - run.started, 0.0) if transmitted else 0.0
    return PingTally(seen=tuple(seen), transmitted=transmitted, received=received,
                     duplicates=duplicates, errors=errors, pipesize=pipesize, elapsed=elapsed,
                     rtts_us=tuple(rtts))


def exit_status(t: PingTally, count: int | None, deadline: float | None) -> int:
    """finish()'s return: 1 when nothing came back, or a deadline ended it short of -c."""
    short = bool(deadline) and t.received < (count or 0)
    return 1 if (not t.received or short) else 0


# -- formatting -------------------------------------------------------------------------------
def _c_div(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


def _ms(us: int) -> str:
    """ping's "%ld.%03ld" of a microsecond count."""
    return f"{_c_div(us, 1000)}.{_c_mod(us, 1000):03d}"


def format_triptime(us: int) -> str:
    """The time= field: three significant decimals below 10 ms, fewer above (as ping rounds)."""
    if us >= 100000 - 50:
        return f"{(us + 500) // 1000}"
    if us >= 10000 - 5:
        return f"{(us + 50) // 1000}.{((us + 50) % 1000) // 100}"
    if us >= 1000:
        return f"{(us + 5) // 1000}.{((us + 5) % 1000) // 10:02d}"
    return f"{us // 1000}.{us % 1000:03d}"


def pr_addr(address: str, display: PingDisplay) -> str:
    """pr_addr: "name (address)" when a reverse lookup finds a name, else the address."""
    name = None if display.numeric else display.names.get(address)
    return f"{name} ({address})" if name else address


def header(display: PingDisplay) -> str:
    """The first line: PING host (address) [from SRC DEV: ]N(M) bytes of data."""
    text = f"PING {display.hostname} ({display.address}) "
    if display.source is not None:
        text += f"from {display.source} {display.device or ''}: "
    return text + f"{display.size}({display.size + ICMP_HEADER + IP_HEADER}) bytes of data.\n"


def event_lines(t: PingTally, display: PingDisplay) -> str:
    """One line per reply or error, as ping prints them while it runs (none with -q)."""
    if display.quiet:
        return ""
    lines = []
    for s in t.seen:
        e = s.event
        if e.kind == "reply":
            line = (f"{display.size + ICMP_HEADER} bytes from {pr_addr(e.source, display)}:"
                    f" icmp_seq={e.seq} ttl={e.ttl}")
            if display.size >= TIMEVAL:
                line += f" time={format_triptime(round(e.rtt_ms * 1000))} ms"
            if s.duplicate:
                line += " (DUP!)"
            if e.source != display.address:
                line += " (DIFFERENT ADDRESS!)"
            lines.append(line + ("\a" if display.audible else "") + "\n")
        else:
            text = ERROR_TEXT.get(e.kind, e.kind)
            lines.append(f"From {pr_addr(e.source, display)} icmp_seq={e.seq} {text}\n")
    return "".join(lines)


def loss_percent(transmitted: int, received: int) -> str:
    """%g of a C float: ping computes in double, then narrows to float (33.3333, 66.6667)."""
    value = (transmitted - received) * 100.0 / transmitted
    narrowed = struct.unpack("f", struct.pack("f", value))[0]
    return f"{narrowed:g}"


def _llsqrt(a: int) -> int:
    """ping's integer Newton square root, including its off-by-one stops (llsqrt(3) == 2)."""
    prev = 2 ** 63 - 1
    x = a
    if x > 0:
        while x < prev:
            prev = x
            x = (x + a // x) // 2
    return x


def rtt_summary(t: PingTally) -> str:
    """min/avg/max/mdev as finish() computes them: doubles truncated to microseconds."""
    total = t.received + t.duplicates
    tsum = float(sum(t.rtts_us))
    tsum2 = float(sum(float(us * us) for us in t.rtts_us))
    tmavg = int(tsum / total)
    if tsum < 2 ** 31 - 1:
        tmvar = int((tsum2 - ((tsum * tsum) / total)) / total)
    else:
        tmvar = int((tsum2 / total) - float(tmavg * tmavg))
    tmdev = _llsqrt(tmvar)
    return (f"rtt min/avg/max/mdev = {_ms(min(t.rtts_us))}/{_ms(tmavg)}/{_ms(max(t.rtts_us))}/"
            f"{_ms(tmdev)} ms")


def _ewma(rtts_us: tuple[int, ...]) -> int:
    """ping's smoothed rtt (times 8), as gather_statistics() keeps it in an int."""
    rtt = 0
    for us in rtts_us:
        rtt = us * 8 if not rtt else rtt + us - _c_div(rtt, 8)
    return rtt


def statistics(t: PingTally, display: PingDisplay) -> str:
    """finish(): the blank line, the --- host ping statistics --- block and its last line."""
    text = f"\n--- {display.hostname} ping statistics ---\n"
    text += f"{t.transmitted} packets transmitted, {t.received} received"
    if t.duplicates:
        text += f", +{t.duplicates} duplicates"
    if t.errors:
        text += f", +{t.errors} errors"
    if t.transmitted:
        ms = (round(t.elapsed * 1e9) + 500_000) // 1_000_000
        text += f", {loss_percent(t.transmitted, t.received)}% packet loss, time {ms}ms"
    text += "\n"
    parts = []
    if t.received and display.size >= TIMEVAL and t.rtts_us:
        parts.append(rtt_summary(t))
    if t.pipesize > 1:
        parts.append(f"pipe {t.pipesize}")
    if t.received and display.interval_ms == 0 and t.transmitted > 1:
        ipg = (round(t.elapsed * 1e9) // 1000) // (t.transmitted - 1)
        rtt = _ewma(t.rtts_us)
        parts.append(f"ipg/ewma {_ms(ipg)}/{rtt // 8000}.{(rtt // 8) % 1000:03d} ms")
    return text + ", ".join(parts) + "\n"


def render(run: PingRun, display: PingDisplay) -> str:
    """Everything ping writes to stdout for `run`, header to statistics."""
    t = tally(run)
    return header(display) + event_lines(t, display) + statistics(t, display)
