"""bash's builtins that read and change the shell's variables (`export`, `unset`) and
coreutils' `printenv`: programs of the shell's own (variables.py holds the variables)."""

from __future__ import annotations

from collections.abc import Callable

from labkit.shell.parser import NAME
from labkit.shell.program import Invocation
from labkit.shell.variables import Variables


def _declare_line(name: str, v: Variables) -> str:
    value = v.values.get(name)
    if value is None:
        return f"declare -x {name}\n"
    quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") \
        .replace("`", "\\`")
    return f'declare -x {name}="{quoted}"\n'


def export(inv: Invocation) -> int:
    """bash's export: `export NAME=value`, `export NAME`, `export -n NAME`, `export [-p]`."""
    v = inv.shell.vars(inv.host)
    args = inv.argv[1:]
    remove = False
    while args and args[0].startswith("-") and args[0] != "-":
        if args[0] == "--":
            args = args[1:]
            break
        for flag in args[0][1:]:
            if flag == "n":
                remove = True
            elif flag not in "fp":
                inv.err(f"bash: export: -{flag}: invalid option\n"
                        "export: usage: export [-fn] [name[=value] ...] or export -p\n")
                return 2
        args = args[1:]
    if not args:
        for name in sorted(v.exported):
            inv.out(_declare_line(name, v))
        return 0
    status = 0
    for arg in args:
        name, eq, value = arg.partition("=")
        if not NAME.fullmatch(name):
            inv.err(f"bash: export: `{arg}': not a valid identifier\n")
            status = 1
            continue
        if eq:
            if v.is_readonly(name):
                inv.err(f"bash: {name}: readonly variable\n")
                status = 1
                continue
            v.set(name, value)
        if remove:
            v.exported.discard(name)
        else:
            v.exported.add(name)
    return status


def unset(inv: Invocation) -> int:
    """bash's unset: `unset [-v] NAME...` (labkit's shell has no functions for `-f`)."""
    v = inv.shell.vars(inv.host)
    args = [a for a in inv.argv[1:] if a not in ("-v", "--")]
    status = 0
    for name in args:
        if name.startswith("-") and name != "-f":
            inv.err(f"bash: unset: {name}: invalid option\n"
                    "unset: usage: unset [-f] [-v] [-n] [name ...]\n")
            return 2
        if name == "-f":
            continue
        if not NAME.fullmatch(name):
            continue  # bash then looks for a function of that name, silently
        if v.is_readonly(name):
            inv.err(f"bash: unset: {name}: cannot unset: readonly variable\n")
            status = 1
        else:
            v.values.pop(name, None)
            v.exported.discard(name)
    return status


def printenv(inv: Invocation) -> int:
    """coreutils' printenv (and `env` with no arguments): the exported variables, or the values
    of the names given (status 1 if one is not exported)."""
    v = inv.shell.vars(inv.host)
    names = inv.argv[1:]
    if not names:
        for name in sorted(v.exported):
            if v.values.get(name) is not None:
                inv.out(f"{name}={v.values[name]}\n")
        return 0
    status = 0
    for name in names:
        if name in v.exported and v.values.get(name) is not None:
            inv.out(v.values[name] + "\n")
        else:
            status = 1
    return status


BUILTINS: dict[str, Callable[[Invocation], int]] = {
    "export": export, "unset": unset, "printenv": printenv,
}
