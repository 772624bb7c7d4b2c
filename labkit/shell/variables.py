"""The lab shell's parameters: a root login shell's variables, `$?` and the other special
parameters, and bash's expansion of a word into fields.

A word comes from parser.py as parts; here `$name`, `${name}`, `${name:-word}` and friends,
`${#name}`, command substitutions (through a callback: running a command is session.py's
business) and `$((…))` (arith.py evaluates it) become text, and the results of unquoted
expansions are split at blanks. The builtins that change them (`export`, `unset`) are in
builtins.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.shell import arith
from labkit.shell.parser import NAME, Word, _tokens, arithmetic_word

if TYPE_CHECKING:
    from labkit.model.flavours import Flavour

BLANKS = " \t\n"  # IFS's default: what field splitting splits at
SHELL_PID = 1432  # `$$`: the lab's login shells all have one pid (each host is its own machine)

# What a root login on the console of each machine has (login(1), /etc/profile, bash itself):
# (name, value, exported).
DEBIAN12 = [
    ("HOME", "/root", True), ("LOGNAME", "root", True), ("MAIL", "/var/mail/root", True),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", True),
    ("PWD", "/root", True), ("SHELL", "/bin/bash", True), ("SHLVL", "1", True),
    ("TERM", "xterm-256color", True), ("USER", "root", True),
    ("BASH", "/bin/bash", False), ("BASH_VERSION", "5.2.15(1)-release", False),
    ("HOSTTYPE", "x86_64", False), ("MACHTYPE", "x86_64-pc-linux-gnu", False),
    ("OSTYPE", "linux-gnu", False), ("UID", "0", False), ("EUID", "0", False),
    ("PPID", "1", False), ("IFS", BLANKS, False), ("PS2", "> ", False), ("PS4", "+ ", False),
    ("HISTFILE", "/root/.bash_history", False), ("HISTSIZE", "500", False),
    ("HISTFILESIZE", "500", False), ("OPTIND", "1", False),
]
CENTOS7 = [
    ("HOME", "/root", True), ("LOGNAME", "root", True), ("MAIL", "/var/spool/mail/root", True),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/root/bin", True),
    ("PWD", "/root", True), ("SHELL", "/bin/bash", True), ("SHLVL", "1", True),
    ("TERM", "xterm", True), ("USER", "root", True), ("HISTSIZE", "1000", True),
    ("HISTCONTROL", "ignoredups", True),
    ("BASH", "/bin/bash", False), ("BASH_VERSION", "4.2.46(2)-release", False),
    ("HOSTTYPE", "x86_64", False), ("MACHTYPE", "x86_64-redhat-linux-gnu", False),
    ("OSTYPE", "linux-gnu", False), ("UID", "0", False), ("EUID", "0", False),
    ("PPID", "1", False), ("IFS", BLANKS, False), ("PS2", "> ", False), ("PS4", "+ ", False),
    ("HISTFILE", "/root/.bash_history", False), ("HISTFILESIZE", "1000", False),
    ("OPTIND", "1", False),
]
LOGINS = {"debian12": DEBIAN12, "centos7": CENTOS7}  # by Flavour.login
READONLY = {"UID", "EUID", "PPID", "SHELLOPTS", "BASHOPTS"}


class ExpansionError(Exception):
    """An expansion bash refuses (`${x!}`, `${x?}` of an unset x): the message is bash's line;
    the command does not run and its status is 1."""


@dataclass
class Variables:
    """One shell's variables: values, which are exported, which are read-only."""

    values: dict[str, str] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    readonly: set[str] = field(default_factory=set)

    def get(self, name: str) -> str | None:
        if name == "RANDOM":
            return str(random.randrange(32768))
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def is_readonly(self, name: str) -> bool:
        return name in self.readonly


def login(host: str, hostname: str, locale: str, flavour: Flavour) -> Variables:
    """The variables of root's login shell on `host`, a `flavour` machine."""
    table = LOGINS[flavour.login]
    v = Variables()
    for name, value, exported in table:
        v.values[name] = value
        if exported:
            v.exported.add(name)
    v.values["HOSTNAME"] = hostname
    if flavour.profile_exports_hostname:
        v.exported.add("HOSTNAME")
    v.values["LANG"] = "ja_JP.UTF-8" if locale == "ja" else "en_US.UTF-8"
    v.exported.add("LANG")
    v.exported.add("OLDPWD")  # bash exports it, without a value, until the first cd
    v.readonly = set(READONLY) & set(v.values)
    return v


def special(name: str, status: int) -> str | None:
    """The special parameters, as in a login shell started with no arguments."""
    return {"?": str(status), "$": str(SHELL_PID), "#": "0", "0": "-bash", "-": "himBHs",
            "!": "", "@": "", "*": ""}.get(name, "" if name.isdigit() else None)


def parameter(body: str, variables: Variables, status: int,
              substitute: Callable[[str], str]) -> str:
    """The value of `$name` or `${body}`."""
    value = special(body, status)
    if value is not None:
        return value
    if NAME.fullmatch(body):
        return variables.get(body) or ""
    if body.startswith("#") and (NAME.fullmatch(body[1:]) or special(body[1:], 0) is not None):
        return str(len(parameter(body[1:], variables, status, substitute)))
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*|[?$#!0-9-])(:?)([-=+?])(.*)", body, re.S)
    if not m:
        raise ExpansionError(f"bash: ${{{body}}}: bad substitution")
    name, colon, op, rest = m.groups()
    current = special(name, status)
    if current is None:
        current = variables.get(name)
    unset = current is None or (colon == ":" and current == "")

    def word() -> str:
        tokens = _tokens('"' + rest.replace('"', '\\"') + '"') if rest else []
        return "".join(expand(tokens[0][2], variables, status, substitute, split=False)) \
            if tokens else ""

    if op == "-":
        return word() if unset else current or ""
    if op == "=":
        if unset:
            variables.set(name, word())
        return variables.get(name) or ""
    if op == "+":
        return "" if unset else word()
    if unset:  # ?
        raise ExpansionError(f"bash: {name}: {word() or 'parameter null or not set'}")
    return current or ""


def arithmetic(expression: str, variables: Variables, status: int,
               substitute: Callable[[str], str]) -> str:
    """The value of `$((expression))`: its parameters and commands expanded, then evaluated
    with the shell's variables (which assignments in it change)."""
    text = "".join(expand(arithmetic_word(expression), variables, status, substitute,
                          split=False))
    scope = arith.Scope(variables.get, variables.set, variables.is_readonly)
    try:
        return str(arith.evaluate(text, scope))
    except arith.ArithError as exc:
        raise ExpansionError(str(exc)) from None


def expand(word: Word, variables: Variables, status: int, substitute: Callable[[str], str],
           split: bool = True) -> list[str]:
    """The fields `word` expands to: none for an unquoted expansion of nothing (`$unset`), one
    for quoted text (`""`, `"$unset"`), several where an unquoted value has blanks."""
    fields: list[str] = []
    current: list[str] = []
    started = False

    def flush() -> None:
        nonlocal current, started
        if started:
            fields.append("".join(current))
        current, started = [], False

    for part in word:
        if part.kind == "lit":
            current.append(part.text)
            started = started or part.quoted or bool(part.text)
            continue
        value = (substitute(part.text) if part.kind == "cmd"
                 else arithmetic(part.text, variables, status, substitute)
                 if part.kind == "arith"
                 else parameter(part.text, variables, status, substitute))
        if part.quoted or not split:
            current.append(value)
            started = True
            continue
        pieces = [p for p in re.split(f"[{BLANKS}]+", value) if p]
        if not pieces:
            if value:  # blanks alone end the field before them
                flush()
            continue
        if value[0] in BLANKS:
            flush()
        for index, piece in enumerate(pieces):
            if index:
                flush()
            current.append(piece)
            started = True
        if value[-1] in BLANKS:
            flush()
    flush()
    return fields
