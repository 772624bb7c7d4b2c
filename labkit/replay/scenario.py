"""Scenario files: one item a line (`$ CMD`, `HOST$ CMD`, `# text`, `@sleep SECONDS`).

Two more directives: `@add-nic NAME [HOST]` plugs a new adapter into the lab (as adding one in
VMware; HOST defaults to server), and `@compare ping-loss` says the next command's ping overlaps
a failover, so comparisons check its loss against the real kernel's instead of its exact lines.
`@networkmanager off`, before the first command, builds the lab without NetworkManager (the
server's addresses then come from the topology, as `ip` would set them): kernel-level lessons.
`@locale ja` (also before the first command) is a Japanese terminal (Lab(locale='ja')).
The same file replays on every engine and on the real kernel's recorder, so transcripts
compare step by step. Parsing reports every bad line at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from labkit.engines.base import LONGEST_SLEEP
from labkit.errors import ScenarioError

DEFAULT_HOST = "server"
_CMD_RE = re.compile(r"^(?P<host>[a-z][a-z0-9_-]*)?\$ (?P<cmd>.*)$")
_SLEEP_RE = re.compile(r"^@sleep\s+(?P<secs>\d+(\.\d+)?)\s*$")
_ADD_NIC_RE = re.compile(r"^@add-nic\s+(?P<nic>\S+)(\s+(?P<host>[a-z][a-z0-9_-]*))?\s*$")
_COMPARE_RE = re.compile(r"^@compare\s+(?P<mode>ping-loss)\s*$")
_NM_RE = re.compile(r"^@networkmanager\s+(?P<value>on|off)\s*$")
_LOCALE_RE = re.compile(r"^@locale\s+(?P<value>C|ja)\s*$")
_PACE_RE = re.compile(r"^@pace\s+(?P<secs>\d+(\.\d+)?)\s*$")
_PACKAGES_RE = re.compile(r"^@packages(?P<names>(\s+[a-z0-9][a-z0-9.+-]*)+)\s*$")


@dataclass(frozen=True)
class Command:
    """A command line typed at `host`'s prompt."""

    host: str
    cmd: str
    lineno: int


@dataclass(frozen=True)
class Sleep:
    """Let `seconds` pass (virtual time on the sim, wall time on real engines)."""

    seconds: float
    lineno: int


@dataclass(frozen=True)
class AddNic:
    """Plug a new NIC into `host` (a new switch port, the next VMware MAC)."""

    nic: str
    host: str
    lineno: int


@dataclass(frozen=True)
class CompareAs:
    """How the next command's output is compared across engines ('ping-loss')."""

    mode: str
    lineno: int


@dataclass(frozen=True)
class Comment:
    """A line for the reader; it is shown in text transcripts, not replayed."""

    text: str
    lineno: int


@dataclass(frozen=True)
class LabOption:
    """How the lab is built for this scenario (`@networkmanager on|off`, `@locale C|ja`,
    `@packages NAME...`: more of the flavour's packages, labkit/model/packages.py; `@pace
    SECONDS`: the lab time before each command line, where the scenario's timing was recorded
    at another pace than a person's, Lab.typed)."""

    name: str
    value: bool | str | tuple[str, ...] | float
    lineno: int


Item = Command | Sleep | Comment | AddNic | CompareAs | LabOption


def lab_options(items: list[Item]) -> dict[str, bool | str | tuple[str, ...] | float]:
    """The scenario's lab options, as keyword arguments for Lab()."""
    return {i.name: i.value for i in items if isinstance(i, LabOption)}


def parse_scenario(text: str, source: str = "scenario", default_host: str = DEFAULT_HOST
                   ) -> list[Item]:
    """The items of a scenario; ScenarioError lists every line that is not one of the forms."""
    items: list[Item] = []
    problems: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("#"):
            items.append(Comment(line[1:].strip(), lineno))
        elif line.startswith("@"):
            m = _SLEEP_RE.match(line)
            nic = _ADD_NIC_RE.match(line)
            cmp_ = _COMPARE_RE.match(line)
            nm = _NM_RE.match(line)
            loc = _LOCALE_RE.match(line)
            packages = _PACKAGES_RE.match(line)
            pace = _PACE_RE.match(line)
            if m and float(m.group("secs")) > LONGEST_SLEEP:
                problems.append(f"{source}:{lineno}: @sleep {m.group('secs')}: at most "
                                f"{LONGEST_SLEEP} seconds (a day) at a time")
            elif m:
                items.append(Sleep(float(m.group("secs")), lineno))
            elif nic:
                items.append(AddNic(nic.group("nic"), nic.group("host") or default_host, lineno))
            elif cmp_:
                items.append(CompareAs(cmp_.group("mode"), lineno))
            elif nm:
                if any(isinstance(i, Command | Sleep | AddNic) for i in items):
                    problems.append(f"{source}:{lineno}: @networkmanager must come before the "
                                    "first command")
                items.append(LabOption("networkmanager", nm.group("value") == "on", lineno))
            elif loc:
                if any(isinstance(i, Command | Sleep | AddNic) for i in items):
                    problems.append(f"{source}:{lineno}: @locale must come before the first "
                                    "command")
                items.append(LabOption("locale", loc.group("value"), lineno))
            elif pace:
                if any(isinstance(i, Command | Sleep | AddNic) for i in items):
                    problems.append(f"{source}:{lineno}: @pace must come before the first "
                                    "command")
                elif float(pace.group("secs")) > 60:
                    problems.append(f"{source}:{lineno}: @pace {pace.group('secs')}: at most "
                                    "60 seconds between lines")
                else:
                    items.append(LabOption("pace", float(pace.group("secs")), lineno))
            elif packages:
                if any(isinstance(i, Command | Sleep | AddNic) for i in items):
                    problems.append(f"{source}:{lineno}: @packages must come before the first "
                                    "command")
                items.append(LabOption("packages", tuple(packages.group("names").split()),
                                       lineno))
            else:
                problems.append(f"{source}:{lineno}: unknown directive {line!r} (known: "
                                "@sleep SECONDS, @add-nic NAME [HOST], @compare ping-loss, "
                                "@networkmanager on|off, @locale C|ja, @packages NAME..., "
                                "@pace SECONDS)")
        else:
            m = _CMD_RE.match(line)
            if m and m.group("cmd").strip():
                host = m.group("host") or default_host
                items.append(Command(host, m.group("cmd").strip(), lineno))
            else:
                problems.append(f"{source}:{lineno}: expected '$ CMD', 'HOST$ CMD', '# text' or "
                                f"'@sleep SECONDS', got {line!r}")
    if problems:
        raise ScenarioError("\n".join(problems))
    return items


def load_scenario(path: str | Path, default_host: str = DEFAULT_HOST) -> list[Item]:
    """Parse the scenario file at `path`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror}") from None
    return parse_scenario(text, source=str(p), default_host=default_host)
