"""GNU sed 4.9 in the lab shell: its script grammar, its regex dialects and its messages.

The script is compiled as sed's compile.c reads it, one character at a time, so a malformed
script gets GNU's message at GNU's position (`-e expression #1, char 6: unterminated `s'
command`). Regular expressions are POSIX BRE, or ERE with -E/-r (posixre.py). Commands:
addresses (N, $, /re/IM, \\cREc, first~step, addr,+N, addr,~N, 0,/re/, !), { }, s (g p N I M w),
y, d D p P n N g G h H x b t T : = a i c l q Q r R w W z F v #. `e` and `s///e` would run a
shell command outside the lab: they answer as GNU sed --sandbox does. A script that loops
without reading input stops after a bound a real sed does not have (it would run until
interrupted), and a pattern space past MAX_SPACE fails as sed's allocator would.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from labkit import files as fs
from labkit.errors import KernelError
from labkit.shell.program import Invocation, strerror
from labkit.shell.programs.posixre import (
    ClassSyntaxError,
    PosixRegexError,
    bracket_end,
    compile_posix,
)

VERSION = "4.9"
MAX_STEPS = 200_000  # commands run without reading input before labkit stops a loop
MAX_SPACE = 1 << 20  # characters of pattern or hold space
USAGE = "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n"
HELP = USAGE + """\
  -n, --quiet, --silent
                 suppress automatic printing of pattern space
      --debug
                 annotate program execution
  -e script, --expression=script
                 add the script to the commands to be executed
  -f script-file, --file=script-file
                 add the contents of script-file to the commands to be executed
  --follow-symlinks
                 follow symlinks when processing in place
  -i[SUFFIX], --in-place[=SUFFIX]
                 edit files in place (makes backup if SUFFIX supplied)
  -l N, --line-length=N
                 specify the desired line-wrap length for the `l' command
  --posix
                 disable all GNU extensions.
  -E, -r, --regexp-extended
                 use extended regular expressions in the script
                 (for portability use POSIX -E).
  -s, --separate
                 consider files as separate rather than as a single,
                 continuous long stream.
      --sandbox
                 operate in sandbox mode (disable e/r/w commands).
  -u, --unbuffered
                 load minimal amounts of data from the input files and flush
                 the output buffers more often
  -z, --null-data
                 separate lines by NUL characters
      --help     display this help and exit
      --version  output version information and exit

If no -e, --expression, -f, or --file option is given, then the first
non-option argument is taken as the sed script to interpret.  All
remaining arguments are names of input files; if no input files are
specified, then the standard input is read.

GNU sed home page: <https://www.gnu.org/software/sed/>.
General help using GNU software: <https://www.gnu.org/gethelp/>.
"""
VERSION_TEXT = f"""sed (GNU sed) {VERSION}
Packaged by Debian
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Jay Fenlason, Tom Lord, Ken Pizzini,
Paolo Bonzini, Jim Meyering, and Assaf Gordon.

This sed program was built with SELinux support.
SELinux is disabled on this system.

GNU sed home page: <https://www.gnu.org/software/sed/>.
General help using GNU software: <https://www.gnu.org/gethelp/>.
E-mail bug reports to: <bug-sed@gnu.org>.
"""
EOF = ""


class SedError(Exception):
    """sed stops: the message (without `sed: `) and the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Regex:
    """A compiled address or s/// regex; `None` pattern means "the last regex used"."""

    pattern: re.Pattern[str] | None
    groups: int = 0


@dataclass
class Address:
    kind: str  # line, last, regex, step, plus, tilde
    number: int = 0
    step: int = 0
    regex: Regex | None = None


@dataclass
class Command:
    name: str
    a1: Address | None = None
    a2: Address | None = None
    negate: bool = False
    text: str = ""  # a i c text, label, file name
    number: int = -1  # q/Q exit code, l width
    jump: int = -1  # `{`: index after its `}`; b t T: target
    regex: Regex | None = None
    repl: list[tuple[str, object]] = field(default_factory=list)
    global_: bool = False
    occurrence: int = 1
    print_: bool = False
    wfile: str | None = None
    ymap: dict[str, str] = field(default_factory=dict)
    range_active: bool = False
    range_end: int = 0
    range_done: bool = False


# -- compiling ----------------------------------------------------------------------------
class Compiler:
    """compile.c: reads -e expressions in order into one program."""

    def __init__(self, extended: bool,
                 open_w: Callable[[str], str | None] = lambda name: None) -> None:
        self.extended = extended
        self.open_w = open_w  # why a w file cannot be opened (None: it can)
        self.commands: list[Command] = []
        self.blocks: list[tuple[int, int]] = []  # open `{`: command index, expression
        self.labels: dict[str, int] = {}
        self.jumps: list[tuple[int, str]] = []
        self.text = ""
        self.pos = 0
        self.expr_no = 0
        self.quiet = False
        self.pending_text: Command | None = None  # `a\` ending an -e: text is the next -e

    # character reading, as inchar()/savchar(): `pos` is what "char N" reports
    def inchar(self) -> str:
        if self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            return ch
        return EOF

    def savchar(self, ch: str) -> None:
        if ch != EOF:
            self.pos -= 1

    def in_nonblank(self) -> str:
        ch = self.inchar()
        while ch in (" ", "\t"):
            ch = self.inchar()
        return ch

    def in_integer(self, ch: str) -> int:
        num = 0
        while ch.isdigit() and ch.isascii():
            num = num * 10 + int(ch)
            ch = self.inchar()
        self.savchar(ch)
        return num

    def bad(self, why: str) -> SedError:
        """GNU's message; its `char N` counts the bytes read so far."""
        done = len(self.text[:self.pos].encode("utf-8", "surrogateescape"))
        return SedError(f"-e expression #{self.expr_no}, char {done}: {why}")

    def compile(self, script: str) -> None:
        self.expr_no += 1
        self.text = script
        self.pos = 0
        if self.pending_text is not None:
            self.pending_text.text = self._text_body(script)
            self.pending_text = None
            return
        if self.expr_no == 1 and (script == "#n" or script.startswith("#n\n")):
            self.quiet = True
        self._program()

    def finish(self) -> list[Command]:
        if self.blocks:
            self.pos = 0
            self.expr_no = self.blocks[-1][1]
            raise self.bad("unmatched `{'")
        for index, label in self.jumps:
            if label and label not in self.labels:
                raise SedError(f"can't find label for jump to `{label}'", 4)
            self.commands[index].jump = self.labels[label] if label else len(self.commands)
        return self.commands

    def _program(self) -> None:
        while True:
            ch = self.inchar()
            if ch == EOF:
                return
            if ch == ";" or ch.isspace():
                continue
            cmd = Command(name="")
            a1 = self._address(ch)
            if a1 is not None:
                if a1.kind in ("plus", "tilde"):
                    raise self.bad("invalid usage of +N or ~N as first address")
                cmd.a1 = a1
                ch = self.in_nonblank()
                if ch == ",":
                    a2 = self._address(self.in_nonblank())
                    if a2 is None:
                        raise self.bad("unexpected `,'")
                    cmd.a2 = a2
                    ch = self.in_nonblank()
                if a1.kind == "line" and a1.number == 0 and (
                        cmd.a2 is None or cmd.a2.kind != "regex"):
                    raise self.bad("invalid usage of line address 0")
                if cmd.a2 is not None and cmd.a2.kind == "step":  # addr,N~M is addr,N
                    cmd.a2 = Address("line", cmd.a2.number)
            if ch == "!":
                cmd.negate = True
                ch = self.in_nonblank()
                while ch.isspace() and ch != EOF:
                    ch = self.in_nonblank()
                if ch == "!":
                    raise self.bad("multiple `!'s")
            cmd.name = ch
            if self._command(cmd, ch):
                self.commands.append(cmd)

    def _address(self, ch: str) -> Address | None:
        if ch in ("/", "\\"):
            if ch == "\\":
                ch = self.inchar()
                if ch == EOF:
                    raise self.bad("unterminated address regex")
            body = self._match_slash(ch, regex=True)
            if body is None:
                raise self.bad("unterminated address regex")
            icase = multiline = False
            while True:
                ch = self.in_nonblank()
                if ch == "I":
                    icase = True
                elif ch == "M":
                    multiline = True
                else:
                    self.savchar(ch)
                    break
            if body == "" and (icase or multiline):
                raise self.bad("cannot specify modifiers on empty regexp")
            return Address("regex", regex=self._regex(body, icase, multiline, 0))
        if ch.isdigit() and ch.isascii():
            number = self.in_integer(ch)
            ch = self.in_nonblank()
            if ch == "~":
                step = self.in_integer(self.in_nonblank())
                return Address("step", number, step)
            self.savchar(ch)
            return Address("line", number)
        if ch in ("+", "~"):
            number = self.in_integer(self.in_nonblank())
            return Address("plus" if ch == "+" else "tilde", number)
        if ch == "$":
            return Address("last")
        return None

    def _match_slash(self, slash: str, regex: bool) -> str | None:
        """The text up to the next unescaped `slash` (None at a newline or the end): `\\n` is a
        newline in a regex, `\\<slash>` the slash itself; a bracket expression in a regex
        runs to its `]` whatever it holds."""
        out: list[str] = []
        while True:
            ch = self.inchar()
            if ch == EOF or ch == "\n":
                break
            if ch == slash:
                return "".join(out)
            if ch == "\\":
                ch = self.inchar()
                if ch == EOF:
                    break
                if ch == "n" and regex:
                    ch = "\n"
                elif ch != "\n" and (ch != slash or (not regex and ch == "&")):
                    out.append("\\")
            elif ch == "[" and regex:
                end = bracket_end(self.text, self.pos - 1)
                if end < 0:
                    self.pos = len(self.text)
                    return None
                inner = self.text[self.pos:end].replace("\\n", "\n")  # \<slash> stays
                out.append("[" + inner)
                self.pos = end
                continue
            out.append(ch)
        self.savchar(ch if ch == "\n" else EOF)
        return None

    def _regex(self, body: str, icase: bool, multiline: bool, needed: int) -> Regex:
        if body == "":  # the last regex used, known only at run time
            return Regex(None, 0)
        try:
            pattern, groups = compile_posix(normalize(body, "regex"), self.extended, icase,
                                            multiline)
        except ClassSyntaxError as exc:
            raise SedError(str(exc), 4) from None
        except PosixRegexError as exc:
            raise self.bad(str(exc)) from None
        if needed > groups:
            raise self.bad(f"invalid reference \\{needed} on `s' command's RHS")
        return Regex(pattern, groups)

    def _open_w(self, name: str) -> None:
        """sed opens a w file as it compiles the command (and stops if it cannot)."""
        if name not in ("/dev/stdout", "/dev/stderr"):
            why = self.open_w(name)
            if why is not None:
                raise SedError(f"couldn't open file {name}: {why}", 4)

    def _end_of_cmd(self) -> None:
        ch = self.in_nonblank()
        if ch in ("}", "#"):
            self.savchar(ch)
        elif ch not in (EOF, "\n", ";"):
            raise self.bad("extra characters after command")

    def _label(self) -> str:
        ch = self.in_nonblank()
        out = []
        while ch != EOF and ch != ";" and not ch.isspace() and ch != "}":
            out.append(ch)
            ch = self.inchar()
        self.savchar(ch)
        return "".join(out)

    def _filename(self) -> str:
        ch = self.in_nonblank()
        out = []
        while ch != EOF and ch != "\n":
            out.append(ch)
            ch = self.inchar()
        return "".join(out)

    def _text_body(self, rest: str) -> str:
        """a/i/c text after its backslash: escapes made (\\t, \\cX, ...) or removed, lines
        kept, one newline at the end."""
        rest = normalize(rest, "none")
        out = []
        i = 0
        while i < len(rest):
            c = rest[i]
            if c == "\\" and i + 1 < len(rest):
                out.append(rest[i + 1])
                i += 2
                continue
            if c == "\\":
                i += 1
                continue
            out.append(c)
            i += 1
        return "".join(out) + "\n"

    def _command(self, cmd: Command, ch: str) -> bool:
        """Compile one command; False for what makes no entry (`#`, `v`)."""
        if ch == EOF:
            raise self.bad("missing command")
        if ch == "#":
            if cmd.a1 is not None:
                raise self.bad("comments don't accept any addresses")
            while ch not in (EOF, "\n"):
                ch = self.inchar()
            return False
        if ch == "v":
            version = self._label()
            if version and _version_tuple(version) > _version_tuple(VERSION):
                raise self.bad("expected newer version of sed")
            return False
        if ch == "{":
            self.blocks.append((len(self.commands), self.expr_no))
            return True
        if ch == "}":
            if not self.blocks:
                raise self.bad("unexpected `}'")
            if cmd.a1 is not None:
                raise self.bad("`}' doesn't want any addresses")
            self._end_of_cmd()
            self.commands[self.blocks.pop()[0]].jump = len(self.commands) + 1
            return True
        if ch == "e":
            raise self.bad("e/r/w commands disabled in sandbox mode")
        if ch in "aic":
            ch = self.in_nonblank()
            if ch == EOF:
                raise self.bad("expected \\ after `a', `c' or `i'")
            if ch == "\\":
                ch = self.inchar()
                if ch == EOF:  # `a\` at the end of an -e: the text is the next -e
                    self.pending_text = cmd
                    return True
                if ch != "\n":  # `a\text`, GNU's one-liner: blanks after `\` are text
                    self.savchar(ch)
            else:
                self.savchar(ch)
            rest = self.text[self.pos:]
            end = _text_end(rest)
            cmd.text = self._text_body(rest[:end])
            self.pos += end
            return True
        if ch == ":":
            if cmd.a1 is not None:
                raise self.bad(": doesn't want any addresses")
            label = self._label()
            if not label:
                raise self.bad("\":\" lacks a label")
            self.labels.setdefault(label, len(self.commands))
            return False
        if ch in "btT":
            self.jumps.append((len(self.commands), self._label()))
            return True
        if ch in "qQlL":
            if ch in "qQ" and cmd.a2 is not None:
                raise self.bad("command only uses one address")
            if ch == "L":
                raise self.bad("unknown command: `L'")
            ch2 = self.in_nonblank()
            if ch2.isdigit() and ch2.isascii():
                cmd.number = self.in_integer(ch2)
                ch2 = self.in_nonblank()
            if ch2 in ("}", "#"):
                self.savchar(ch2)
            elif ch2 not in (EOF, "\n", ";"):
                raise self.bad("extra characters after command")
            return True
        if ch in "=dDFgGhHnNpPzx":
            self._end_of_cmd()
            return True
        if ch in "rRwW":
            cmd.text = self._filename()
            if not cmd.text:
                raise self.bad("missing filename in r/R/w/W commands")
            if ch in "wW":
                self._open_w(cmd.text)
            return True
        if ch == "s":
            self._substitute(cmd)
            return True
        if ch == "y":
            self._transliterate(cmd)
            return True
        if ch == EOF:
            raise self.bad("missing command")
        raise self.bad(f"unknown command: `{ch}'")

    def _substitute(self, cmd: Command) -> None:
        slash = self.inchar()
        body = self._match_slash(slash, regex=True) if slash not in (EOF, "\n") else None
        if body is None:
            raise self.bad("unterminated `s' command")
        repl_text = self._match_slash(slash, regex=False)
        if repl_text is None:
            raise self.bad("unterminated `s' command")
        cmd.repl, needed = replacement(normalize(repl_text, "replacement"))
        icase = multiline = False
        seen_number = False
        while True:
            ch = self.inchar()
            if ch in ("i", "I"):
                icase = True
            elif ch in ("m", "M"):
                multiline = True
            elif ch == "e":
                raise self.bad("e/r/w commands disabled in sandbox mode")
            elif ch == "p":
                if cmd.print_:
                    raise self.bad("multiple `p' options to `s' command")
                cmd.print_ = True
            elif ch == "g":
                if cmd.global_:
                    raise self.bad("multiple `g' options to `s' command")
                cmd.global_ = True
            elif ch == "w":
                cmd.wfile = self._filename()
                if not cmd.wfile:
                    raise self.bad("missing filename in r/R/w/W commands")
                self._open_w(cmd.wfile)
                break
            elif ch.isdigit() and ch.isascii():
                if seen_number:
                    raise self.bad("multiple number options to `s' command")
                seen_number = True
                cmd.occurrence = self.in_integer(ch)
                if cmd.occurrence == 0:
                    raise self.bad("number option to `s' command may not be zero")
            elif ch in ("}", "#"):
                self.savchar(ch)
                break
            elif ch in ("\n", ";", EOF):
                break
            elif ch in (" ", "\t"):
                continue
            else:
                raise self.bad("unknown option to `s'")
        if body == "" and (icase or multiline):
            raise self.bad("cannot specify modifiers on empty regexp")
        cmd.regex = self._regex(body, icase, multiline, needed)
        if cmd.regex.pattern is None:
            cmd.number = needed  # checked against the last regex when it runs

    def _transliterate(self, cmd: Command) -> None:
        slash = self.inchar()
        src = self._match_slash(slash, regex=False) if slash not in (EOF, "\n") else None
        if src is None:
            raise self.bad("unterminated `y' command")
        dst = self._match_slash(slash, regex=False)
        if dst is None:
            raise self.bad("unterminated `y' command")
        a, b = _y_chars(normalize(src, "none")), _y_chars(normalize(dst, "none"))
        if len(a) != len(b):
            raise self.bad("strings for `y' command are different lengths")
        cmd.ymap = dict(zip(a, b, strict=True))
        self._end_of_cmd()


def _text_end(rest: str) -> int:
    """Where a/i/c text ends: at an unescaped newline (kept out), or the end."""
    i = 0
    while i < len(rest):
        if rest[i] == "\\":
            i += 2
            continue
        if rest[i] == "\n":
            return i
        i += 1
    return len(rest)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.]", text))


def _y_chars(text: str) -> list[str]:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"\\": "\\", "n": "\n"}.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(text[i])
        i += 1
    return out


NORMALIZE_SIMPLE = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def normalize(text: str, kind: str) -> str:
    """normalize_text(): \\a \\f \\n \\r \\t \\v \\cX \\dNNN \\oNNN \\xHH become characters (in a
    replacement a `&` or `\\` made so stays literal); other escapes are left for the regex or
    replacement parser."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        if text[i + 1] == "c" and i + 2 >= n:  # a lone \c: a backslash (in a regex: trailing)
            out.append("\\")
            i += 2
            continue
        e = text[i + 1]
        if e in NORMALIZE_SIMPLE and not (e == "n" and kind == "replacement"):
            out.append(NORMALIZE_SIMPLE[e])
            i += 2
        elif e == "c":
            ch = chr(ord(text[i + 2].upper()) ^ 0x40) if ord(text[i + 2]) < 128 else text[i + 2]
            out.append(_literal(ch, kind))
            i += 3
        elif e in "dox":
            base = {"d": 10, "o": 8, "x": 16}[e]
            j = i + 2
            value = 0
            limit = 1
            while j < n and limit <= 255:
                try:
                    digit = int(text[j], base) if text[j].isascii() else -1
                except ValueError:
                    break
                if digit < 0:
                    break
                value = value * base + digit
                j += 1
                limit *= base
            if j == i + 2:
                out.append("\\" + e)
                i += 2
                continue
            out.append(_literal(chr(value & 0xFF), kind))
            i = j
        else:
            out.append("\\" + e)
            i += 2
    return "".join(out)


def _literal(ch: str, kind: str) -> str:
    return "\\" + ch if kind == "replacement" and ch in "&\\" else ch


def replacement(text: str) -> tuple[list[tuple[str, object]], int]:
    """setup_replacement(): parts ('text', s), ('group', n), ('case', 'U'|'L'|'u'|'l'|'E'),
    and the highest group referred to."""
    parts: list[tuple[str, object]] = []
    buf: list[str] = []
    needed = 0
    i = 0
    n = len(text)

    def flush() -> None:
        if buf:
            parts.append(("text", "".join(buf)))
            buf.clear()

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            e = text[i + 1]
            i += 2
            if e.isdigit() and e.isascii():
                flush()
                parts.append(("group", int(e)))
                needed = max(needed, int(e))
            elif e in "LUluE":
                flush()
                parts.append(("case", e))
            elif e == "n":
                buf.append("\n")
            elif e == "&":
                buf.append("&")
            else:
                buf.append(e)
        elif c == "\\":
            buf.append("\\")
            i += 1
        elif c == "&":
            flush()
            parts.append(("group", 0))
            i += 1
        else:
            buf.append(c)
            i += 1
    flush()
    return parts, needed


def expand(parts: list[tuple[str, object]], m: re.Match[str]) -> str:
    """The replacement for one match, with \\U \\L \\u \\l \\E as GNU applies them."""
    out: list[str] = []
    mode = ""  # U or L
    once = ""  # u or l, for the next character
    for kind, value in parts:
        if kind == "case":
            if value in ("U", "L"):
                mode, once = str(value), ""
            elif value == "E":
                mode, once = "", ""
            else:
                once = str(value)
            continue
        piece = str(value) if kind == "text" else (m.group(int(str(value))) or "")
        if mode == "U":
            piece = piece.upper()
        elif mode == "L":
            piece = piece.lower()
        if once and piece:
            piece = (piece[0].upper() if once == "u" else piece[0].lower()) + piece[1:]
            once = ""
        out.append(piece)
    return "".join(out)


# -- running ------------------------------------------------------------------------------
class Runner:
    """execute.c: the compiled program over the input, one line a cycle."""

    def __init__(self, inv: Invocation, commands: list[Command], quiet: bool, separate: bool,
                 sep: str, line_length: int) -> None:
        self.inv = inv
        self.commands = commands
        self.quiet = quiet
        self.separate = separate
        self.sep = sep
        self.line_length = line_length
        self.last_regex: Regex | None = None
        self.hold = ""
        # whether a buffer's text ended in a newline in the input (GNU's `chomped`): it
        # travels with the text through g G h H x and N, and decides the output's last newline
        self.chomped = True
        self.hold_chomped = True
        self.line_number = 0
        self.out: list[str] = []
        self.owed_newline = False  # output_missing_newline(): the last line had none
        self.append: list[str] = []
        self.wfiles: dict[str, list[str]] = {}
        self.rfiles: dict[str, list[str]] = {}
        self.quit_status: int | None = None
        self.steps = 0
        self.lines: list[str] = []
        self.index = 0
        self.last_newline = True
        self.replaced = False
        self.filename = "-"

    def run(self, lines: list[str], last_newline: bool, filename: str) -> tuple[str, bool]:
        """Process one input stream; returns the output text and whether sed quit (q/Q)."""
        self.out = []
        self.owed_newline = False
        self.filename = filename
        self.lines = lines
        self.index = 0
        self.last_newline = last_newline
        space = ""
        restart = False
        while True:
            if not restart:
                if self.index >= len(lines):
                    break
                space = self._read()
            status, result = self._cycle(space)
            restart = status == "restart"
            if status in ("end", "quit", "eof") and not self.quiet and result is not None:
                self._emit(result, self.chomped)
            self._dump_append()
            if status == "quit" and self.owed_newline:  # q ends its last line, always
                self.out.append(self.sep)
                self.owed_newline = False
            if status in ("quit", "quit-silent"):
                return "".join(self.out), True
            if status == "eof":
                break
            if restart:
                assert result is not None
                space = result
        return "".join(self.out), False

    # -- input and output
    def _read(self) -> str:
        line = self.lines[self.index]
        self.index += 1
        self.chomped = self.index < len(self.lines) or self.last_newline
        self.line_number += 1
        self.replaced = False
        self.steps = 0
        return line

    def _is_last(self) -> bool:
        return self.index >= len(self.lines)

    def _put(self, text: str) -> None:
        if self.owed_newline:
            self.out.append(self.sep)
            self.owed_newline = False
        self.out.append(text)

    def _emit(self, text: str, chomped: bool = True) -> None:
        """Write a line: without its newline if its text had none in the input (the newline
        is owed, and paid if anything follows)."""
        self._put(text)
        if chomped:
            self.out.append(self.sep)
        else:
            self.owed_newline = True

    def _text(self, text: str) -> str:
        """a/i/c text as written: its last newline is the line separator (NUL with -z)."""
        return text[:-1] + self.sep if text.endswith("\n") else text

    def _dump_append(self) -> None:
        for text in self.append:
            self._put(text)
        self.append = []

    # -- addresses
    def _matches(self, addr: Address, space: str) -> bool:
        if addr.kind == "line":
            return self.line_number == addr.number
        if addr.kind == "last":
            return self._is_last()
        if addr.kind == "step":
            if addr.step <= 0:
                return self.line_number == addr.number
            return self.line_number >= addr.number and \
                (self.line_number - addr.number) % addr.step == 0
        if addr.kind == "regex":
            assert addr.regex is not None
            return self._pattern(addr.regex).search(space) is not None
        return False

    def _pattern(self, regex: Regex) -> re.Pattern[str]:
        if regex.pattern is None:
            if self.last_regex is None or self.last_regex.pattern is None:
                raise SedError("-e expression #1, char 0: no previous regular expression")
            return self.last_regex.pattern
        self.last_regex = regex
        return regex.pattern

    def _selected(self, cmd: Command, space: str) -> bool:
        if cmd.a1 is None:
            return True
        if cmd.a2 is None:
            return self._matches(cmd.a1, space) != cmd.negate
        return self._in_range(cmd, space) != cmd.negate

    def _in_range(self, cmd: Command, space: str) -> bool:
        a1, a2 = cmd.a1, cmd.a2
        assert a1 is not None and a2 is not None
        line = self.line_number
        if cmd.range_active:
            if a2.kind in ("line", "plus", "tilde"):
                # the line that reaches the end is the range's last; after an N passed it,
                # GNU ends a `,N` range before this line but a `,+N` or `,~N` one with it
                cmd.range_active = line < cmd.range_end
                return a2.kind != "line" or line <= cmd.range_end
            if self._matches(a2, space):
                cmd.range_active = False
            return True
        if cmd.range_done:
            return False
        if a1.kind == "line" and a1.number == 0:  # 0,/re/: the end may be line 1
            cmd.range_done = True
            cmd.range_active = not self._matches(a2, space)
            return True
        if a1.kind == "line":  # GNU: a range from line N starts on the first line >= N it
            if line < a1.number:  # is asked about (a `b` may have skipped line N itself)
                return False
            if line > a1.number and a2.kind == "line" and line > a2.number:
                return False
            cmd.range_done = True  # and never starts again
        elif not self._matches(a1, space):
            return False
        if a2.kind == "line":
            cmd.range_end = a2.number
        elif a2.kind == "plus":
            cmd.range_end = line + a2.number
        elif a2.kind == "tilde":
            cmd.range_end = line if a2.number <= 0 else -(-line // a2.number) * a2.number
        else:  # a regex or $: looked for from the next line on
            cmd.range_active = not (a2.kind == "last" and self._is_last())
            return True
        cmd.range_active = cmd.range_end > line
        return True

    # -- one cycle
    def _cycle(self, space: str) -> tuple[str, str | None]:
        """Run the program on one pattern space: how it ended (end, delete, restart, quit,
        quit-silent, eof) and the pattern space then."""
        pc = 0
        commands = self.commands
        while pc < len(commands):
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise SedError(f"labkit stopped this script after {MAX_STEPS} commands "
                               "without new input (a real sed would loop until interrupted)",
                               130)
            cmd = commands[pc]
            pc += 1
            if not self._selected(cmd, space):
                if cmd.name == "{":
                    pc = cmd.jump
                continue
            name = cmd.name
            if name in ("{", "}"):
                continue
            if name == "=":
                self._put(f"{self.line_number}{self.sep}")
            elif name == "a":  # appended text keeps its newline, even with -z
                self.append.append(cmd.text)
            elif name == "i":
                self._put(self._text(cmd.text))
            elif name == "c":
                if cmd.a2 is None or not cmd.range_active or cmd.negate:
                    self._put(self._text(cmd.text))
                return "delete", None
            elif name == "d":
                return "delete", None
            elif name == "D":
                if self.sep not in space:
                    return "delete", None
                return "restart", space.split(self.sep, 1)[1]
            elif name == "p":
                self._emit(space, self.chomped)
            elif name == "P":
                first, found, _ = space.partition(self.sep)
                self._emit(first, bool(found) or self.chomped)
            elif name == "l":
                self._put(_escape_l(space, cmd.number if cmd.number >= 0
                                    else self.line_length).replace("\n", self.sep))
            elif name in "nN":
                if self._is_last():  # GNU prints the pattern space and stops
                    return "eof", space
                if name == "n" and not self.quiet:
                    self._emit(space, self.chomped)
                self._dump_append()
                line = self._read()
                space = line if name == "n" else space + self.sep + line
            elif name == "g":
                space, self.chomped = self.hold, self.hold_chomped
            elif name == "G":
                space, self.chomped = space + self.sep + self.hold, self.hold_chomped
            elif name == "h":
                self.hold, self.hold_chomped = space, self.chomped
            elif name == "H":
                self.hold, self.hold_chomped = self.hold + self.sep + space, self.chomped
            elif name == "x":
                space, self.hold = self.hold, space
                self.chomped, self.hold_chomped = self.hold_chomped, self.chomped
            elif name == "z":
                space = ""
            elif name == "F":
                self._put(self.filename + self.sep)
            elif name in "qQ":
                self.quit_status = max(cmd.number, 0)
                return ("quit", space) if name == "q" else ("quit-silent", None)
            elif name == "b":
                pc = cmd.jump
            elif name in "tT":
                if self.replaced == (name == "t"):
                    pc = cmd.jump
                self.replaced = False
            elif name == "s":
                space = self._substitute(cmd, space)
            elif name == "y":
                space = "".join(cmd.ymap.get(ch, ch) for ch in space)
            elif name == "r":
                text = self._read_file(cmd.text)
                if text:
                    self.append.append(text)
            elif name == "R":
                read = self._read_line(cmd.text)
                if read is not None:
                    self.append.append(read)
            elif name in "wW":
                self._write(cmd.text, space if name == "w" else space.split(self.sep, 1)[0])
            if len(space) > MAX_SPACE or len(self.hold) > MAX_SPACE:
                raise SedError("couldn't re-allocate memory", 4)
        return "end", space

    def _substitute(self, cmd: Command, space: str) -> str:
        assert cmd.regex is not None
        pattern = self._pattern(cmd.regex)
        last = self.last_regex
        if cmd.regex.pattern is None and last is not None and cmd.number > last.groups:
            raise SedError(f"-e expression #1, char 0: invalid reference \\{cmd.number} on "
                           "`s' command's RHS")
        out: list[str] = []
        pos = 0
        count = 0
        prev_end = -1
        for m in pattern.finditer(space):
            if m.start() == m.end() == prev_end:
                continue  # regexec: no empty match right after the previous match
            prev_end = m.end()
            count += 1
            if count < cmd.occurrence:
                continue
            out.append(space[pos:m.start()])
            out.append(expand(cmd.repl, m))
            pos = m.end()
            if not cmd.global_:
                break
        if count < cmd.occurrence:
            return space
        out.append(space[pos:])
        new = "".join(out)
        self.replaced = True
        if cmd.print_:
            self._emit(new, self.chomped)
        if cmd.wfile:
            self._write(cmd.wfile, new)
        return new

    def _write(self, name: str, text: str) -> None:
        line = text + "\n"
        if name == "/dev/stdout":
            self._put(line)
        elif name == "/dev/stderr":
            self.inv.err(line)
        else:
            self.wfiles.setdefault(name, []).append(line)

    def _read_file(self, name: str) -> str | None:
        try:
            text = self.inv.shell.read_path(self.inv.host, name)
        except (OSError, KernelError):
            return None
        return text if not text or text.endswith("\n") else text + "\n"

    def _read_line(self, name: str) -> str | None:
        if name not in self.rfiles:
            self.rfiles[name] = (self._read_file(name) or "").splitlines(keepends=True)
        lines = self.rfiles[name]
        return lines.pop(0) if lines else None


def _escape_l(space: str, width: int) -> str:
    """The `l` command: escapes, octal for the rest, lines wrapped at `width` with `\\`."""
    named = {"\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
             "\t": "\\t", "\v": "\\v"}
    pieces: list[str] = []
    for ch in space:
        if ch in named:
            pieces.append(named[ch])
        elif " " <= ch <= "~":
            pieces.append(ch)
        else:
            pieces.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogateescape"))
    out: list[str] = []
    col = 0
    for piece in pieces:
        if width > 1 and col + len(piece) > width - 1:
            out.append("\\\n")
            col = 0
        elif width == 1:
            out.append("\\\n")
        out.append(piece)
        col += len(piece)
    return "".join(out) + "$\n"


# -- the program --------------------------------------------------------------------------
# sed's long options, each as the short option it stands for (getopt_long's table in GNU sed);
# "" for those that change nothing here
LONG_OPTIONS = {"--quiet": "n", "--silent": "n", "--regexp-extended": "E", "--separate": "s",
                "--null-data": "z", "--zero-terminated": "z", "--unbuffered": "u",
                "--expression": "e", "--file": "f", "--in-place": "i", "--line-length": "l",
                "--posix": "", "--debug": "", "--follow-symlinks": "", "--sandbox": "",
                "--help": "", "--version": ""}


@dataclass
class _Options:
    """What sed's options asked for, whichever way each was spelt."""

    quiet: bool = False
    extended: bool = False
    separate: bool = False
    sep: str = "\n"
    in_place: str | None = None
    line_length: int = 70
    scripts: list[str] = field(default_factory=list)

    def set(self, inv: Invocation, letter: str, value: str) -> bool:
        """Apply option `letter` (with its argument); False once an error is written."""
        if letter == "n":
            self.quiet = True
        elif letter in ("E", "r"):
            self.extended = True
        elif letter == "s":
            self.separate = True
        elif letter == "z":
            self.sep = "\0"
        elif letter == "i":
            self.in_place = value
            self.separate = True
        elif letter == "e":
            self.scripts.append(value)
        elif letter == "f":
            text = _script_file(inv, value)
            if text is None:
                return False
            self.scripts.append(text)
        elif letter == "l":
            if not value.isdigit():
                inv.err(f"sed: invalid line length: {value}\n")  # not GNU's exact words
                return False
            self.line_length = int(value)
        return True


def sed(inv: Invocation) -> int:
    """sed [OPTION]... {script-only-if-no-other-script} [input-file]..."""
    args = inv.argv[1:]
    opts = _Options()
    files: list[str] = []
    i = 0
    only_files = False
    while i < len(args):
        a = args[i]
        if only_files or a == "-" or not a.startswith("-"):
            files.append(a)
        elif a == "--":
            only_files = True
        elif a.startswith("--"):
            name, eq, value = a.partition("=")
            full = [o for o in LONG_OPTIONS if o.startswith(name)]
            if name in full:
                full = [name]
            if len(full) != 1:
                what = "unrecognized" if not full else "ambiguous"
                inv.err(f"sed: {what} option '{a}'\n" + HELP)
                return 1
            opt = full[0]
            if opt == "--help":
                inv.out(HELP + "E-mail bug reports to: <bug-sed@gnu.org>.\n")
                return 0
            if opt == "--version":
                inv.out(VERSION_TEXT)
                return 0
            letter = LONG_OPTIONS[opt]
            if letter and letter in "efl" and not eq:
                if i + 1 >= len(args):
                    inv.err(f"sed: option '{opt}' requires an argument\n" + HELP)
                    return 1
                i += 1
                value = args[i]
            if not opts.set(inv, letter, value):
                return 1
        else:
            j = 1
            while j < len(a):
                c = a[j]
                if c in "nErsuz":
                    opts.set(inv, c, "")
                    j += 1
                    continue
                if c == "i":
                    opts.set(inv, c, a[j + 1:])
                    break
                if c in "efl":
                    value = a[j + 1:]
                    if not value:
                        if i + 1 >= len(args):
                            inv.err(f"sed: option requires an argument -- '{c}'\n" + HELP)
                            return 1
                        i += 1
                        value = args[i]
                    if not opts.set(inv, c, value):
                        return 1
                    break
                inv.err(f"sed: invalid option -- '{c}'\n" + HELP)
                return 1
        i += 1
    scripts = opts.scripts
    if not scripts:
        if not files:
            inv.err(HELP)
            return 1
        scripts.append(files.pop(0))
    compiler = Compiler(opts.extended, lambda name: _why_not_writable(inv, name))
    try:
        for script in scripts:
            compiler.compile(script)
        commands = compiler.finish()
    except SedError as exc:
        inv.err(f"sed: {exc}\n")
        return exc.status
    quiet = opts.quiet or compiler.quiet
    if opts.in_place is not None and not files:
        inv.err("sed: no input files\n")
        return 1  # GNU: 1 when -i has nothing to edit (4 is for I/O)
    runner = Runner(inv, commands, quiet, opts.separate, opts.sep, opts.line_length)
    for cmd in commands:  # sed opens (and empties) every w file before it reads a line
        wname = cmd.wfile or (cmd.text if cmd.name in ("w", "W") else None)
        if wname and wname not in ("/dev/stdout", "/dev/stderr"):
            runner.wfiles.setdefault(wname, [])
    try:
        return _run(inv, runner, files or ["-"], opts.in_place, opts.sep)
    except SedError as exc:
        inv.out("".join(runner.out))
        inv.err(f"sed: {exc}\n")
        return exc.status


def _why_not_writable(inv: Invocation, name: str) -> str | None:
    """What fopen(name, "w") would say, for a lab file (None when it would open)."""
    try:
        fs.check_name(name)
        if fs.is_pseudo(fs.normalize(name)):
            return "Is a directory" if inv.shell.is_dir(inv.host, name) else None
        inv.shell.files.check_writable(inv.host, name)
    except OSError as exc:
        return strerror(exc)
    return None


def _script_file(inv: Invocation, name: str) -> str | None:
    try:
        text = inv.stdin if name == "-" else inv.shell.read_path(inv.host, name)
    except (OSError, KernelError) as exc:
        msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
        inv.err(f"sed: couldn't open file {name}: {msg}\n")
        return None
    return text[:-1] if text.endswith("\n") else text


def _split(text: str, sep: str) -> tuple[list[str], bool]:
    if not text:
        return [], True
    parts = text.split(sep)
    if parts[-1] == "":
        parts.pop()
        return parts, True
    return parts, False


def _run(inv: Invocation, runner: Runner, files: list[str], in_place: str | None,
         sep: str) -> int:
    status = 0
    readable: list[tuple[str, str]] = []
    for name in files:
        try:
            if name == "-":
                if in_place is not None:
                    inv.err("sed: couldn't edit -: not a regular file\n")
                    status = 4
                    continue
                text = inv.stdin
            else:
                if in_place is not None and inv.shell.is_dir(inv.host, name):
                    inv.err(f"sed: couldn't edit {name}: not a regular file\n")
                    status = 4
                    continue
                refused = _edit_refused(name) if in_place is not None else None
                if refused is not None:
                    inv.shell.read_path(inv.host, name)  # it must exist to be refused so
                    inv.err(refused[0])
                    status = refused[1]
                    continue
                text = inv.shell.read_path(inv.host, name)
        except (OSError, KernelError) as exc:
            msg = exc.strerror if isinstance(exc, KernelError) else strerror(exc)
            inv.err(f"sed: can't read {name}: {msg}\n")
            status = 2
            continue
        readable.append((name, text))
    if runner.separate:
        for name, text in readable:
            lines, newline = _split(text, sep)
            runner.line_number = 0
            out, quit_ = runner.run(lines, newline, name)
            if in_place is not None:
                status = _write_in_place(inv, name, out, in_place) or status
            else:
                inv.out(out)
            if quit_:
                break
    else:
        lines = []
        newline = True
        for _name, text in readable:
            part, newline = _split(text, sep)
            lines += part
        out, _ = runner.run(lines, newline, readable[0][0] if len(readable) == 1 else "-")
        inv.out(out)
    for name, chunks in runner.wfiles.items():
        try:
            inv.shell.files.write(inv.host, name, "".join(chunks))
        except OSError as exc:
            inv.err(f"sed: couldn't open file {name}: {strerror(exc)}\n")
            return 4
    if runner.quit_status is not None:
        return runner.quit_status & 0xFF
    return status


def _temp_name(name: str) -> str:
    """The temporary file GNU sed -i makes beside `name` (random there; fixed here, so a
    transcript is the same on every run)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    folder = name.rsplit("/", 1)[0] if "/" in name else "."
    return f"{folder or '/'}/sed" + "".join(letters[b % len(letters)] for b in digest[:6])


def _edit_refused(name: str) -> tuple[str, int] | None:
    """Why sed -i cannot edit `name` before it starts (a device; /sys and /proc take no
    temporary file), with the status; None when it can."""
    path = fs.normalize(name)
    if path == "/dev" or path.startswith("/dev/"):
        return f"sed: couldn't edit {name}: not a regular file\n", 4
    if fs.is_pseudo(path):
        why = "Permission denied" if path.startswith("/sys") else "No such file or directory"
        return f"sed: couldn't open temporary file {_temp_name(name)}: {why}\n", 4
    return None


def _write_in_place(inv: Invocation, name: str, text: str, suffix: str) -> int:
    """Replace `name` with the edited text (and its backup first); the exit status."""
    try:
        _replace(inv, name, text, suffix)
    except OSError as exc:
        inv.err(f"sed: couldn't open temporary file {_temp_name(name)}: {strerror(exc)}\n")
        return 4
    return 0


def _replace(inv: Invocation, name: str, text: str, suffix: str) -> None:
    if suffix:
        base = name.rsplit("/", 1)
        backup = suffix.replace("*", base[-1]) if "*" in suffix else name + suffix
        if "*" in suffix and "/" not in suffix and len(base) == 2:
            backup = base[0] + "/" + backup
        inv.shell.files.write(inv.host, backup, inv.shell.read_path(inv.host, name))
    inv.shell.files.write(inv.host, name, text)
