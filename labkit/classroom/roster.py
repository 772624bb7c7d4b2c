"""The class list: one account a line, `NAME` (a student) or `NAME teacher`; `#` starts a
comment. Names are Unix account names (lower-case letters, digits, '_' or '-', starting with a
letter or '_', at most 32), each once; every student's lab id (labids.for_user) is their own.
A bad roster is refused with every problem in it, each with its line number.

The class's settings are lines `SETTING: VALUE` (a name has no colon, so the two never mix):

    idle-timeout: 45m   # a server idle this long is stopped by the hub, its labs removed
                        # (seconds, or with s/m/h; `never` or 0 keeps idle servers running)
    cull-every: 5m      # how often the hub looks for idle servers (default: a tenth of the
                        # timeout, between 5 s and 5 minutes)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from labkit.classroom import labids
from labkit.errors import LabkitError
from labkit.i18n import _

ROLES = ("student", "teacher")
_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")
IDLE_TIMEOUT = 3600  # seconds: an hour with no activity (Zero to JupyterHub's culler's default)
SETTINGS = ("idle-timeout", "cull-every")
_DURATION = re.compile(r"(\d+)\s*(s|sec|m|min|h)?\Z")
_UNIT = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


class RosterError(LabkitError):
    """The roster cannot be used; the message lists each problem by line."""


@dataclass(frozen=True)
class Member:
    name: str
    role: str  # student or teacher

    @property
    def lab_id(self) -> str:
        return labids.for_user(self.name)


@dataclass(frozen=True)
class Roster:
    path: Path
    members: tuple[Member, ...]
    idle_timeout: int = IDLE_TIMEOUT  # seconds; 0: idle servers are never stopped
    cull_every_setting: int | None = None  # seconds, if the roster says

    @property
    def cull_every(self) -> int:
        """How often the culler looks: as the roster says, else a tenth of the timeout
        (5 s to 5 min: a short timeout is kept to, a long one costs the hub little)."""
        if self.cull_every_setting:
            return self.cull_every_setting
        return max(5, min(300, self.idle_timeout // 10))

    @property
    def students(self) -> list[str]:
        return [m.name for m in self.members if m.role == "student"]

    @property
    def teachers(self) -> list[str]:
        return [m.name for m in self.members if m.role == "teacher"]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]


def duration(value: str) -> int | None:
    """Seconds from `90`, `90s`, `30m`, `1h`, `never`; None if it is none of those."""
    value = value.strip().lower()
    if value in ("never", "off"):
        return 0
    found = _DURATION.match(value)
    return int(found.group(1)) * _UNIT[found.group(2)] if found else None


def parse(text: str, path: Path = Path("roster")) -> Roster:
    """The roster in `text`; RosterError naming every bad line."""
    problems: list[str] = []
    members: list[Member] = []
    seen: dict[str, int] = {}
    ids: dict[str, str] = {}
    settings: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        where = f"{path}:{number}"
        if ":" in line:
            key, value = (part.strip() for part in line.split(":", 1))
            seconds = duration(value)
            if key.lower() not in SETTINGS:
                problems.append(_("{where}: {key} is no class setting (those are "
                                  "{settings})").format(where=where, key=repr(key),
                                                        settings=", ".join(SETTINGS)))
            elif seconds is None:
                problems.append(_("{where}: {key} is a duration (90, 90s, 30m, 1h or never), "
                                  "not {value}").format(where=where, key=key,
                                                        value=repr(value)))
            elif key.lower() == "cull-every" and seconds == 0:
                problems.append(_("{where}: cull-every is at least a second (to keep idle "
                                  "servers running, say idle-timeout: never)").format(
                                      where=where))
            else:
                settings[key.lower()] = seconds
            continue
        if len(words) > 2:
            problems.append(_("{where}: one name and at most a role a line, not {line}").format(
                where=where, line=repr(line)))
            continue
        name, role = words[0], (words[1].lower() if len(words) == 2 else "student")
        if not _NAME.match(name):
            problems.append(_("{where}: {name} is not a Unix account name (lower-case "
                              "letters, digits, '_' or '-', starting with a letter, at most "
                              "32)").format(where=where, name=repr(name)))
            continue
        if role not in ROLES:
            problems.append(_("{where}: the role is student or teacher, not {role}").format(
                where=where, role=repr(words[1])))
            continue
        if name in seen:
            problems.append(_("{where}: {name} is already on line {line}").format(
                where=where, name=name, line=seen[name]))
            continue
        lab_id = labids.for_user(name)
        if lab_id in ids:
            problems.append(_("{where}: {name} would share the lab id {lab_id} with "
                              "{other}; rename one of them").format(
                                  where=where, name=name, lab_id=lab_id, other=ids[lab_id]))
            continue
        seen[name] = number
        ids[lab_id] = name
        members.append(Member(name, role))
    if not members and not problems:
        problems.append(_("{path}: no one is on the roster (one account name a line)").format(
            path=path))
    if problems:
        raise RosterError(_("the roster cannot be used:") + "\n  " + "\n  ".join(problems))
    return Roster(path, tuple(members), settings.get("idle-timeout", IDLE_TIMEOUT),
                  settings.get("cull-every"))


def load(path: str | Path) -> Roster:
    """The roster file at `path`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError(_("no roster at {path} (one account name a line; "
                            "`NAME teacher` for a teacher)").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(_("cannot read the roster {path}: {error}").format(
            path=path, error=exc)) from None
    return parse(text, path)
