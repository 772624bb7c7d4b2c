"""cat, grep, head, tail, echo, sleep, ls, wc and bash's small builtins, as GNU coreutils,
grep and bash behave for the options a lab uses (C locale), messages and statuses included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labkit.engines.base import LONGEST_SLEEP
from labkit.errors import KernelError
from labkit.shell.program import Invocation, Pending, strerror
from labkit.shell.programs import posixre

TRY = "Try '{prog} --help' for more information.\n"


# -- cat ----------------------------------------------------------------------------------------
def cat(inv: Invocation) -> int:
    """cat [FILE]...: concatenate; '-' or no file reads stdin."""
    status = 0
    files = [a for a in inv.argv[1:] if a != "--"]
    opts = [a for a in files if a.startswith("-") and a != "-"]
    if opts:
        bad = opts[0]
        inv.err(f"cat: invalid option -- '{bad[1:2]}'\n" + TRY.format(prog="cat"))
        return 1
    for name in files or ["-"]:
        if name == "-":
            inv.out(inv.stdin)
            continue
        try:
            inv.out(inv.shell.read_path(inv.host, name))
        except KernelError as exc:
            inv.err(f"cat: {name}: {exc.strerror}\n")
            status = 1
        except OSError as exc:
            inv.err(f"cat: {name}: {strerror(exc)}\n")
            status = 1
    return status


# -- grep ---------------------------------------------------------------------------------------
def grep(inv: Invocation) -> int:
    """grep [-ivcnwqEFoh] [-A N] [-B N] [-C N] [-e PATTERN] PATTERN [FILE]..."""
    args = inv.argv[1:]
    flags: set[str] = set()
    patterns: list[str] = []
    ctx_after = ctx_before = 0
    files: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            files += args[i + 1:]
            break
        if a.startswith("--"):
            long = {"--ignore-case": "i", "--invert-match": "v", "--count": "c",
                    "--line-number": "n", "--quiet": "q", "--silent": "q",
                    "--extended-regexp": "E", "--fixed-strings": "F", "--word-regexp": "w",
                    "--only-matching": "o"}
            if a in long:
                flags.add(long[a])
                i += 1
                continue
            inv.err(f"grep: unrecognized option '{a}'\n"
                    "Usage: grep [OPTION]... PATTERNS [FILE]...\n" + TRY.format(prog="grep"))
            return 2
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in "ivcnqEFwoh":
                    flags.add(c)
                    j += 1
                elif c in "ABCe":
                    val = a[j + 1:] if j + 1 < len(a) else (args[i + 1] if i + 1 < len(args)
                                                            else None)
                    if val is None:
                        inv.err(f"grep: option requires an argument -- '{c}'\n"
                                "Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                                + TRY.format(prog="grep"))
                        return 2
                    if j + 1 >= len(a):
                        i += 1
                    if c == "e":
                        patterns.append(val)
                    else:
                        if not val.isdigit():
                            inv.err(f"grep: {val}: invalid context length argument\n")
                            return 2
                        n = int(val)
                        if c in "AC":
                            ctx_after = n
                        if c in "BC":
                            ctx_before = n
                    break
                else:
                    inv.err(f"grep: invalid option -- '{c}'\n"
                            "Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                            + TRY.format(prog="grep"))
                    return 2
            i += 1
            continue
        if not patterns and not files and "e" not in flags and not _has_e(args[:i]):
            patterns.append(a)
        else:
            files.append(a)
        i += 1
    if not patterns:
        inv.err("Usage: grep [OPTION]... PATTERNS [FILE]...\n" + TRY.format(prog="grep"))
        return 2
    regs = []
    for p in (p for pat in patterns for p in pat.split("\n")):
        try:
            if "F" in flags:
                body = re.escape(p)
            else:
                t = posixre.translate(p, extended="E" in flags, grep=True)
                body = t.pattern
                for warning in t.warnings:
                    inv.err(f"grep: warning: {warning}\n")
            if "w" in flags:
                body = rf"(?<![0-9A-Za-z_])(?:{body})(?![0-9A-Za-z_])"
            regs.append(re.compile(body, re.DOTALL | (re.IGNORECASE if "i" in flags else 0)))
        except posixre.PosixRegexError as exc:
            inv.err(f"grep: {exc}\n")
            return 2
        except re.error as exc:  # a translation labkit got wrong: said, not raised
            inv.err(f"grep: Invalid regular expression ({exc})\n")
            return 2
    sources: list[tuple[str, str | None]] = []
    status_err = False
    for name in files or ["-"]:
        if name == "-":
            sources.append(("(standard input)", inv.stdin))
            continue
        try:
            sources.append((name, inv.shell.read_path(inv.host, name)))
        except (OSError, KernelError) as exc:
            if "q" not in flags or True:
                msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
                inv.err(f"grep: {name}: {msg}\n")
            status_err = True
    matched_any = False
    show_name = len(files) > 1 and "h" not in flags
    for name, text in sources:
        lines = text.splitlines() if text else []
        hits = [i for i, line in enumerate(lines)
                if any(r.search(line) for r in regs) != ("v" in flags)]
        matched_any = matched_any or bool(hits)
        if "q" in flags:
            if hits:
                return 0
            continue
        prefix = f"{name}:" if show_name else ""
        if "c" in flags:
            inv.out(f"{prefix}{len(hits)}\n")
            continue
        shown: set[int] = set()
        last = -2
        for h in hits:
            lo, hi = max(0, h - ctx_before), min(len(lines) - 1, h + ctx_after)
            if (ctx_after or ctx_before) and last >= 0 and lo > last + 1:
                inv.out("--\n")
            for k in range(lo, hi + 1):
                if k in shown:
                    continue
                shown.add(k)
                sep = ":" if k in hits else "-"
                num = f"{k + 1}{sep}" if "n" in flags else ""
                if "o" in flags and k in hits:
                    for r in regs:
                        for m in r.finditer(lines[k]):
                            if m.group(0):  # -o shows only what is not empty
                                inv.out(f"{prefix}{num}{m.group(0)}\n")
                else:
                    inv.out(f"{prefix if sep == ':' else prefix[:-1] + '-' if prefix else ''}"
                            f"{num}{lines[k]}\n")
                last = k
    if status_err and not ("q" in flags and matched_any):
        return 2
    return 0 if matched_any else 1


def _has_e(args: list[str]) -> bool:
    return any(a.startswith("-") and not a.startswith("--") and "e" in a[1:] for a in args)


# -- head / tail --------------------------------------------------------------------------------
def _count_arg(inv: Invocation, prog: str) -> tuple[int | None, list[str], bool]:
    """-n N, -N or --lines=N; returns (count, files, ok)."""
    args = inv.argv[1:]
    count = 10
    files: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        value = None
        if a in ("-n", "--lines"):
            if i + 1 >= len(args):
                inv.err(f"{prog}: option requires an argument -- 'n'\n" + TRY.format(prog=prog))
                return None, [], False
            value = args[i + 1]
            i += 1
        elif a.startswith("-n"):
            value = a[2:]
        elif a.startswith("--lines="):
            value = a[8:]
        elif re.fullmatch(r"-\d+", a):
            value = a[1:]
        elif a.startswith("-") and a != "-":
            inv.err(f"{prog}: invalid option -- '{a[1:2]}'\n" + TRY.format(prog=prog))
            return None, [], False
        else:
            files.append(a)
        if value is not None:
            if not value.lstrip("+-").isdigit():
                kind = "lines"
                inv.err(f"{prog}: invalid number of {kind}: '{value}'\n")
                return None, [], False
            count = int(value.lstrip("+"))
        i += 1
    return count, files, True


def _head_tail(inv: Invocation, prog: str) -> int:
    count, files, ok = _count_arg(inv, prog)
    if not ok or count is None:
        return 1
    status = 0
    many = len(files) > 1
    for index, name in enumerate(files or ["-"]):
        try:
            text = inv.stdin if name == "-" else inv.shell.read_path(inv.host, name)
        except (OSError, KernelError) as exc:
            msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
            inv.err(f"{prog}: cannot open '{name}' for reading: {msg}\n")
            status = 1
            continue
        lines = text.splitlines(keepends=True)
        if many:
            inv.out(("\n" if index else "") + f"==> {name} <==\n")
        if prog == "head":
            chosen = lines[:count] if count >= 0 else lines[:count or None]
        else:
            chosen = lines[-count:] if count else []
        inv.out("".join(chosen))
    return status


def head(inv: Invocation) -> int:
    """head [-n N] [FILE]..."""
    return _head_tail(inv, "head")


def tail(inv: Invocation) -> int:
    """tail [-n N] [FILE]... (no -f: a lab's files do not grow while you watch)."""
    if "-f" in inv.argv[1:] or "--follow" in inv.argv[1:]:
        inv.err("tail: -f is not available in the lab shell (use `sleep` and read again)\n")
        return 1
    return _head_tail(inv, "tail")


# -- wc -----------------------------------------------------------------------------------------
def wc(inv: Invocation) -> int:
    """wc [-l|-w|-c] [FILE]."""
    opts = [a for a in inv.argv[1:] if a.startswith("-")]
    files = [a for a in inv.argv[1:] if not a.startswith("-")]
    try:
        text = inv.shell.read_path(inv.host, files[0]) if files else inv.stdin
    except (OSError, KernelError) as exc:
        msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
        inv.err(f"wc: {files[0]}: {msg}\n")
        return 1
    size = len(text.encode("utf-8", "surrogateescape"))  # bytes, whatever they are
    counts = {"-l": text.count("\n"), "-w": len(text.split()), "-c": size}
    chosen = [counts[o] for o in opts if o in counts] or list(counts.values())
    suffix = f" {files[0]}" if files else ""
    if len(chosen) == 1:
        inv.out(f"{chosen[0]}{suffix}\n")
    else:
        width = max(len(str(c)) for c in chosen) if files else 7
        inv.out(" ".join(f"{c:>{width}}" for c in chosen) + suffix + "\n")
    return 0


# -- echo and small builtins --------------------------------------------------------------------
def echo(inv: Invocation) -> int:
    """bash's echo builtin: -n, -e, -E."""
    args = inv.argv[1:]
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, stop = _echo_escapes(text)
        if stop:  # \c: no more output, not even the newline
            inv.out(text)
            return 0
    inv.out(text + ("\n" if newline else ""))
    return 0


ECHO_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
               "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _echo_escapes(text: str) -> tuple[str, bool]:
    """bash's `echo -e`: the text with its escapes made, and whether a \\c stopped it. A byte
    that is not UTF-8 (\\xff) stays a byte (a surrogate escape), as bash writes it."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = text[i + 1]
        if e in ECHO_SIMPLE:
            out.append(ECHO_SIMPLE[e])
            i += 2
        elif e == "c":
            return "".join(out), True
        elif e in "0xuU":
            digits = {"0": "01234567", "x": "0123456789abcdefABCDEF"}.get(e,
                                                                       "0123456789abcdefABCDEF")
            limit = {"0": 3, "x": 2, "u": 4, "U": 8}[e]
            j = i + 2
            while j < n and j - i - 2 < limit and text[j] in digits:
                j += 1
            body = text[i + 2:j]
            if not body and e != "0":
                out.append("\\" + e)
                i += 2
                continue
            value = int(body or "0", 8 if e == "0" else 16)
            if e in "0x":
                out.append(bytes([value & 0xFF]).decode("utf-8", "surrogateescape"))
            elif value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                out.append("\\" + text[i + 1:j])  # bash prints what it cannot encode as typed
            else:
                out.append(chr(value))
            i = j
        else:
            out.append("\\" + e)
            i += 2
    return "".join(out), False


def true(inv: Invocation) -> int:
    return 0


def false(inv: Invocation) -> int:
    return 1


def pwd(inv: Invocation) -> int:
    inv.out("/root\n")
    return 0


def cd(inv: Invocation) -> int:
    """cd stays in /root: the lab shell has no working directory to change."""
    args = inv.argv[1:]
    if len(args) > 1:
        inv.err("bash: cd: too many arguments\n")
        return 1
    target = args[0] if args else "/root"
    try:
        inv.shell.check_dir(inv.host, target)
    except KernelError as exc:
        inv.err(f"bash: cd: {target}: {exc.strerror}\n")
        return 1
    except OSError as exc:
        inv.err(f"bash: cd: {target}: {strerror(exc)}\n")
        return 1
    return 0


def clear(inv: Invocation) -> int:
    return 0


def wait_builtin(inv: Invocation) -> int:
    """bash's wait: let the host's background jobs finish; their output shows here."""
    inv.out(inv.shell.wait_jobs(inv.host))
    return 0


# -- sleep --------------------------------------------------------------------------------------
@dataclass
class Sleeping:
    """A `sleep` in progress on the lab's clock."""

    inv: Invocation
    until: float

    @property
    def done(self) -> bool:
        return self.inv.engine.clock.now() >= self.until

    def wait(self) -> None:
        clock = self.inv.engine.clock
        remaining = self.until - clock.now()
        if remaining > 0:
            clock.sleep(remaining)

    def finish(self) -> int:
        return 0


def sleep(inv: Invocation) -> int | Pending:
    """sleep NUMBER[smhd]...: lets lab time pass (instantly on the sim)."""
    args = inv.argv[1:]
    if not args:
        inv.err("sleep: missing operand\n" + TRY.format(prog="sleep"))
        return 1
    total = 0.0
    for a in args:
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", a)
        if not m:
            inv.err(f"sleep: invalid time interval '{a}'\n" + TRY.format(prog="sleep"))
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    if total > LONGEST_SLEEP:
        inv.err(f"sleep: labkit lets at most {LONGEST_SLEEP} seconds (a day) of lab time pass "
                "at a time; sleep again for more\n")
        return 1
    return Sleeping(inv, inv.engine.clock.now() + total)


# -- ls -----------------------------------------------------------------------------------------
def _columns(names: list[str], width: int = 80, tabsize: int = 8) -> str:
    """GNU ls -C on a terminal: as many columns as fit, filled down, padded with tabs."""
    if not names:
        return ""
    best_cols, best_widths = 1, [max(len(n) for n in names)]
    for cols in range(len(names), 0, -1):
        rows = -(-len(names) // cols)
        widths = []
        for c in range(cols):
            col = names[c * rows:(c + 1) * rows]
            if not col:
                break
            widths.append(max(len(n) for n in col) + (2 if c < cols - 1 else 0))
        if len(widths) == cols and sum(widths) <= width:
            best_cols, best_widths = cols, widths
            break
    rows = -(-len(names) // best_cols)
    lines = []
    for r in range(rows):
        pos = 0
        line = ""
        for c in range(best_cols):
            idx = c * rows + r
            if idx >= len(names):
                break
            name = names[idx]
            line += name
            pos += len(name)
            nxt = (c + 1) * rows + r
            if nxt < len(names):
                target = sum(best_widths[:c + 1])
                while pos < target:
                    if tabsize and target // tabsize > (pos + 1) // tabsize:
                        line += "\t"
                        pos += tabsize - pos % tabsize
                    else:
                        line += " "
                        pos += 1
        lines.append(line)
    return "\n".join(lines) + "\n"


def ls(inv: Invocation) -> int:
    """ls [-1] [DIR|FILE]...: names in columns as on a terminal (C locale order)."""
    args = inv.argv[1:]
    one = "-1" in args
    paths = [a for a in args if not a.startswith("-")] or ["/root"]
    status = 0
    for p in paths:
        try:
            if inv.shell.is_dir(inv.host, p):
                names = sorted(inv.shell.list_dir(inv.host, p))
            else:
                inv.shell.read_path(inv.host, p)
                names = [p]
        except (OSError, KernelError) as exc:
            msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
            inv.err(f"ls: cannot access '{p}': {msg}\n")
            status = 2
            continue
        if len(paths) > 1:
            inv.out(f"{p}:\n")
        inv.out("".join(n + "\n" for n in names) if one else _columns(names))
    return status
