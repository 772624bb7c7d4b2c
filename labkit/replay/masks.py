"""The one place that says what may differ between two transcripts of the same scenario, and why.

Only what is random or machine-specific on the real side is masked; each rule names its reason.
Both sides go through the same rules before they are compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mask:
    """A regular expression, its replacement, and why it is allowed to differ.

    `commands`, when given, limits the rule to steps whose command line matches it.
    """

    name: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]
    why: str
    commands: re.Pattern[str] | None = None

    def apply(self, text: str, cmd: str = "") -> str:
        if self.commands is not None and not self.commands.search(cmd):
            return text
        return self.pattern.sub(self.replacement, text)


def _sorted_lines(match: re.Match[str]) -> str:
    return "".join(sorted(match.group(0).splitlines(keepends=True)))


def _stat_columns(match: re.Match[str]) -> str:
    return re.sub(r"\d+", "N", match.group(0))


MASKS: tuple[Mask, ...] = (
    Mask("uuid", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
         "<uuid>", "NetworkManager makes UUIDs at random"),
    Mask("ping-rtt", re.compile(r"time=\d+(\.\d+)? ms"), "time=<rtt> ms",
         "round-trip times are the machine's speed"),
    Mask("ping-rtt-summary", re.compile(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms"),
         "rtt min/avg/max/mdev = <rtt>", "round-trip times are the machine's speed"),
    Mask("ping-elapsed", re.compile(r"(packet loss), time \d+ms"), r"\1, time <elapsed>",
         "the elapsed time of a ping run includes the machine's speed"),
    Mask("random-mac", re.compile(r"\b[0-9a-f][26ae](:[0-9a-f]{2}){5}\b"),
         lambda m: m.group(0) if m.group(0).startswith("02:00:00:00:") else "<random-mac>",
         "the kernel gives a new bond a random locally administered MAC; the lab's own "
         "locally administered MACs (02:00:00:00:...) are fixed and stay"),
    Mask("bridge-timers", re.compile(r"(_timer)\s+\d+\.\d+"), r"\1 <timer>",
         "bridge timers count down from when the kernel last ran them: a timestamp"),
    Mask("ip-stats", re.compile(r"(?m)^(    (?:RX|TX)(?: errors)?:.*\n)\s+[\d ]+\n"),
         lambda m: m.group(1) + "    <counters>\n",
         "packet counters include IPv6 neighbour-discovery and MLD packets the kernel sends at "
         "random times (DAD delay, MLD report delay, RFC 3315 solicitation back-off)"),
    Mask("ifconfig-counters", re.compile(r"((?:RX|TX) packets) \d+  bytes \d+ \([\d.]+ \w?i?B\)"),
         r"\1 <n>  bytes <n>", "same random IPv6 control traffic as ip-stats"),
    Mask("ifconfig-rx-errors", re.compile(r"(RX errors \d+  dropped) \d+"), r"\1 <n>",
         "drops of the same random IPv6 control traffic"),
    Mask("nm-timestamp", re.compile(r"(connection\.timestamp:\s*|^timestamp=)\d+", re.M),
         r"\1<timestamp>", "a profile's timestamp is the wall-clock time of its last "
         "activation"),
    Mask("nm-timestamp-columns",
         re.compile(r"\b1[6-9]\d{8}\b|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|"
                    r"Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\b"),
         lambda m: "<" + "t" * (len(m.group(0)) - 2) + ">",
         "nmcli's TIMESTAMP and TIMESTAMP-REAL columns are wall-clock times (the mask keeps "
         "their width, so column padding is still compared)",
         commands=re.compile(r"^nmcli\b")),
    Mask("dbus-path", re.compile(r"(/org/freedesktop/NetworkManager/"
                                 r"(?:ActiveConnection|Settings|Devices))/\d+"),
         r"\1/<n>", "NetworkManager numbers its D-Bus objects in creation order since it "
         "started, counting the ones it made while the recorder's machine settled"),
    Mask("slow-vm-timer", re.compile(r"(?m)^hrtimer: interrupt took \d+ ns\n"), "",
         "the kernel warns once per boot that a timer interrupt took long: the recorder's "
         "emulated CPU (TCG) is slow, a fact of that machine and not of the bond",
         commands=re.compile(r"^dmesg\b")),
    Mask("dmesg-time", re.compile(r"(?m)^((?:\w+ *:\w+ *: )?)\[\s*\d+\.\d{6}\]"),
         r"\1[<time>]",
         "the kernel log's timestamps count from the machine's boot: the VM booted seconds "
         "before the recording, the lab's clock at its own start",
         commands=re.compile(r"^dmesg\b")),
    Mask("neigh-order", re.compile(r"(?s).+"), _sorted_lines,
         "the neighbour table is a hash keyed with a random seed per boot (neigh_hash_alloc), "
         "so `ip neigh` lists the same entries in a different order on every boot",
         commands=re.compile(r"^ip (-\S+ )*n(e(i(g(h(b(o(u?r)?)?)?)?)?)?)?\b")),
)


def mask(text: str, cmd: str = "", masks: tuple[Mask, ...] = MASKS) -> str:
    """`text` (what `cmd` printed) with every rule applied in order."""
    for m in masks:
        text = m.apply(text, cmd)
    return text


def describe() -> str:
    """The rules in words, for documentation and test output."""
    return "\n".join(f"- {m.name}: {m.why}" for m in MASKS)
