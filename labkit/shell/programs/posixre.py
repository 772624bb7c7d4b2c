"""POSIX regular expressions as glibc's regcomp reads them (GNU sed and grep), in Python's re.

Basic (BRE) and extended (ERE) syntax with GNU's extensions, C locale: in a BRE `\\( \\) \\{ \\}
\\+ \\? \\|` are operators and bare `( ) { } + ? |` are characters; `*` (and `\\+`, `\\?`) with
nothing before it, at the start or after `\\(`, `\\|` or an anchor, is a character; `^` and `$`
anchor only at the ends of the expression or of a group or branch. Bracket expressions take
POSIX classes, equivalence classes and collating symbols, and a backslash in them is a backslash.
`\\w \\W \\s \\S \\b \\B \\< \\> \\` \\'` are GNU's; any other escaped character is itself (`\\d`
is `d`, as glibc has it). A malformed expression raises PosixRegexError with regerror's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DUP_MAX = 32767  # RE_DUP_MAX

CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "0-9A-Za-z", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "print": " -~", "graph": "!-~", "cntrl": "\\x00-\\x1f\\x7f", "xdigit": "0-9A-Fa-f",
}
WORD = "[0-9A-Za-z_]"
NOT_WORD = "[^0-9A-Za-z_]"


class PosixRegexError(Exception):
    """A pattern regcomp refuses; the message is regerror's (e.g. `Unmatched ( or \\(`)."""


UNMATCHED_BRACKET = "Unmatched [, [^, [:, [., or [="


class ClassSyntaxError(PosixRegexError):
    """`[:digit:]` without its outer brackets: GNU's dfa refuses it before regcomp sees it
    (grep and sed both say so, without sed's `-e expression` prefix)."""

    def __init__(self) -> None:
        super().__init__("character class syntax is [[:space:]], not [:space:]")


@dataclass
class Translation:
    """A Python pattern and how many groups it has (sed checks `\\N` in replacements)."""

    pattern: str
    groups: int
    warnings: list[str]


def bracket_end(text: str, start: int) -> int:
    """The index just past the bracket expression opening at text[start] == '[', or -1 if it
    never closes (how GNU sed's s/// and addresses skip a delimiter inside brackets)."""
    i = start + 1
    n = len(text)
    if i < n and text[i] == "^":
        i += 1
    if i < n and text[i] == "]":
        i += 1
    while i < n:
        c = text[i]
        if c == "[" and i + 1 < n and text[i + 1] in ":.=":
            close = text.find(text[i + 1] + "]", i + 2)
            if close < 0:
                return -1
            i = close + 2
            continue
        if c == "]":
            return i + 1
        i += 1
    return -1


def _bracket(text: str, start: int, grep: bool = False) -> tuple[str, int]:
    """Translate the bracket expression at text[start] == '['; (python class, index after)."""
    i = start + 1
    n = len(text)
    negate = False
    if i < n and text[i] == "^":
        negate = True
        i += 1
    if grep and i >= n:  # a `[` that ends the pattern: grep's dfa has no better word
        raise PosixRegexError("Invalid regular expression")
    end = bracket_end(text, start)
    body = text[i:end - 1] if end > 0 else ""
    if len(body) >= 3 and body[0] == body[-1] == ":" and body.strip(":"):
        raise ClassSyntaxError
    items: list[str] = []
    first = True
    while True:
        if i >= n:
            raise PosixRegexError(UNMATCHED_BRACKET)
        c = text[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        if c == "[" and i + 1 < n and text[i + 1] in ":.=":
            kind = text[i + 1]
            close = text.find(kind + "]", i + 2)
            if close < 0:
                raise PosixRegexError(UNMATCHED_BRACKET)
            name = text[i + 2:close]
            i = close + 2
            if kind == ":":
                if name not in CLASSES:
                    raise PosixRegexError("Invalid character class name")
                items.append(CLASSES[name])
                if i < n - 1 and text[i] == "-" and text[i + 1] != "]":
                    raise PosixRegexError("Invalid range end")
                continue
            if len(name) != 1:
                raise PosixRegexError("Invalid collation character")
            c = name
        else:
            i += 1
        # a range?
        if i + 1 < n and text[i] == "-" and text[i + 1] != "]":
            last = text[i + 1]
            j = i + 2
            if last == "[" and j < n and text[j] in ".=":
                close = text.find(text[j] + "]", j + 1)
                if close < 0:
                    raise PosixRegexError(UNMATCHED_BRACKET)
                last = text[j + 1:close]
                if len(last) != 1:
                    raise PosixRegexError("Invalid collation character")
                j = close + 2
            elif last == "[" and j < n and text[j] == ":":
                raise PosixRegexError("Invalid range end")
            if ord(last) < ord(c):
                raise PosixRegexError("Invalid range end")
            items.append(_class_char(c) + "-" + _class_char(last))
            i = j
            if i + 1 < n and text[i] == "-" and text[i + 1] != "]":
                raise PosixRegexError("Invalid range end")
            continue
        items.append(_class_char(c))
    body = "".join(items)
    if not body:
        return ("[^\\s\\S]" if not negate else "[\\s\\S]"), i
    return f"[{'^' if negate else ''}{body}]", i


def _class_char(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


def translate(pattern: str, extended: bool = False, multiline: bool = False,
              grep: bool = False) -> Translation:
    """`pattern` (BRE, or ERE if `extended`) as a Python pattern; PosixRegexError if glibc
    would refuse it. The result is compiled with re.DOTALL (a `.` matches a newline, as in
    sed's pattern space), and re.MULTILINE when `multiline` (sed's M flag: `^`/`$` at every
    line of the pattern space; the buffer's own ends stay where they are). `grep` takes GNU
    grep's syntax bits instead of sed's: a quantifier with nothing before it is a character
    (BRE) or skipped with a warning (ERE), quantifiers stack, and in an ERE an unmatched `)`
    and a `{` that starts no interval are characters."""
    warnings: list[str] = []
    n = len(pattern)
    i = 0
    groups = 0
    open_groups: list[int] = []
    closed: set[int] = set()
    # each level: list of branches, each branch a list of atoms; an atom is [text, quantifier]
    stack: list[list[list[list[str]]]] = [[[]]]
    after_anchor = False

    def branch() -> list[list[str]]:
        return stack[-1][-1]

    def at_branch_start() -> bool:
        return not branch()

    def add(text: str, quantifiable: bool = True) -> None:
        nonlocal after_anchor
        branch().append([text, "" if quantifiable else "!"])
        after_anchor = not quantifiable

    def quantify(q: str, literal: str) -> None:
        b = branch()
        if not b or after_anchor:
            if grep and extended:  # skipped; said where only anchors precede it (and no {...} was)
                if not any(w.startswith("{") for w in warnings) and all(a[1] == "!" for a in b):
                    warnings.append(f"{literal if literal != '{' else '{...}'} at start of "
                                    "expression")
                return
            if extended:
                raise PosixRegexError("Invalid preceding regular expression")
            if q.startswith("{") and not grep:
                raise PosixRegexError("Invalid preceding regular expression")
            add(re.escape(literal) if not q.startswith("{") else re.escape("{" + q[1:]))
            return
        atom = b[-1]
        combined = _combine(atom[3], q) if len(atom) == 4 and not atom[1] else None
        if combined is not None and (atom[2] or combined == atom[3]):
            # \(X*\)* matches what \(X*\) does; Python's backtracking would take exponential
            # time over it on a line that does not match (glibc's matcher does not)
            if atom[2]:
                atom[0] = f"({atom[2]}{combined})"
            atom[2:] = ["", combined]
            return
        if atom[1] and not extended and not grep and (q == "*" or q.startswith("{")):
            raise PosixRegexError("Invalid preceding regular expression")  # BRE: a** a*\{2\}
        if atom[1]:
            combined = _combine(atom[1], q)
            if combined is not None:
                atom[1] = combined
                return
            atom[0] = f"(?:{atom[0]}{atom[1]})"
        atom[1] = q

    def interval(start: int, close: str) -> tuple[str, int]:
        """Parse `m,n}` after the opening brace; returns (python quantifier, index after)."""
        end = pattern.find(close, start)
        if end < 0:
            raise PosixRegexError("Unmatched \\{")
        body = pattern[start:end]
        m = re.fullmatch(r"(\d*)(,(\d*))?", body)
        if not m or (not m.group(1) and not m.group(2)):
            raise PosixRegexError("Invalid content of \\{\\}")
        lo = int(m.group(1) or 0)
        hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        if hi is not None and hi < lo:
            raise PosixRegexError("Invalid content of \\{\\}")
        if lo > DUP_MAX or (hi or 0) > DUP_MAX:
            raise PosixRegexError("Regular expression too big")
        q = f"{{{lo}}}" if hi == lo else f"{{{lo},{'' if hi is None else hi}}}"
        return q, end + len(close)

    def bre_dollar_anchors(j: int) -> bool:
        """Is the `$` at pattern[j] an anchor (BRE: at the end, or before `\\)` or `\\|`)."""
        rest = pattern[j + 1:]
        return rest == "" or rest.startswith("\\)") or rest.startswith("\\|")

    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise PosixRegexError("Trailing backslash")
            e = pattern[i + 1]
            i += 2
            if not extended and e == "(":
                groups += 1
                open_groups.append(groups)
                stack.append([[]])
                after_anchor = False
            elif not extended and e == ")":
                if not open_groups:
                    raise PosixRegexError("Unmatched ) or \\)")
                _close_group(stack, open_groups, closed)
                after_anchor = False
            elif not extended and e == "|":
                stack[-1].append([])
                after_anchor = False
            elif not extended and e == "{":
                if (not branch() or after_anchor) and not grep:
                    raise PosixRegexError("Invalid preceding regular expression")
                if not branch() and grep:  # grep: an interval with nothing before is text
                    add(re.escape("{"))
                    continue
                try:
                    q, i = interval(i, "\\}")
                except PosixRegexError as exc:
                    if grep and after_anchor and str(exc).startswith("Invalid content"):
                        raise PosixRegexError("invalid content of \\{\\}") from None  # dfa's
                    raise
                quantify(q, "\\{")
            elif not extended and e == "}":
                add("\\}")
            elif not extended and e in "+?":
                quantify(e, e)
            elif e.isdigit() and e != "0":
                ref = int(e)
                if ref not in closed:
                    raise PosixRegexError("Invalid back reference")
                add(f"(?:\\{ref})")
            elif e == "w":
                add(WORD)
            elif e == "W":
                add(NOT_WORD)
            elif e == "s":
                add("[ \\t\\n\\r\\f\\v]")
            elif e == "S":
                add("[^ \\t\\n\\r\\f\\v]")
            elif e == "b":
                add("\\b", quantifiable=False)
            elif e == "B":
                add("\\B", quantifiable=False)
            elif e == "<":
                add("\\b(?=[0-9A-Za-z_])", quantifiable=False)
            elif e == ">":
                add("\\b(?<=[0-9A-Za-z_])", quantifiable=False)
            elif e == "`":
                add("\\A", quantifiable=False)
            elif e == "'":
                add("\\Z", quantifiable=False)
            else:
                add(re.escape(e))
        elif c == "[":
            cls, i = _bracket(pattern, i, grep)
            add(cls)
        elif c == ".":
            add(".")
            i += 1
        elif c == "*":
            quantify("*", "*")
            i += 1
        elif extended and c in "+?":
            quantify(c, c)
            i += 1
        elif extended and c == "{":
            if grep and not re.match(r"\{(\d+(,\d*)?|,\d+)\}", pattern[i:]):
                add(re.escape("{"))  # RE_INVALID_INTERVAL_ORD
                i += 1
                continue
            q, i = interval(i + 1, "}")
            quantify(q, "{")
        elif extended and c == "(":
            groups += 1
            open_groups.append(groups)
            stack.append([[]])
            after_anchor = False
            i += 1
        elif extended and c == ")" and grep and not open_groups:
            add(re.escape(")"))  # RE_UNMATCHED_RIGHT_PAREN_ORD
            i += 1
        elif extended and c == ")":
            if not open_groups:
                raise PosixRegexError("Unmatched ) or \\)")
            _close_group(stack, open_groups, closed)
            after_anchor = False
            i += 1
        elif extended and c == "|":
            stack[-1].append([])
            after_anchor = False
            i += 1
        elif c == "^":
            if extended or at_branch_start():
                add("^", quantifiable=False)
            else:
                add("\\^")
            i += 1
        elif c == "$":
            if extended or bre_dollar_anchors(i):
                add("$" if multiline else "\\Z", quantifiable=False)
            else:
                add("\\$")
            i += 1
        else:
            add(re.escape(c))
            i += 1
    if open_groups:
        raise PosixRegexError("Unmatched ( or \\(")
    return Translation(_join(stack[0]), groups, warnings)


def _combine(inner: str, outer: str) -> str | None:
    """One quantifier for `(x<inner>)<outer>` when both are * + ? (the same counts; nested
    stars would make Python backtrack exponentially where glibc does not)."""
    if inner not in ("*", "+", "?") or outer not in ("*", "+", "?"):
        return None
    if inner == outer:
        return inner
    return "*"


def _join(branches: list[list[list[str]]]) -> str:
    return "|".join("".join(atom[0] + (atom[1] if atom[1] != "!" else "") for atom in b)
                    for b in branches)


def _close_group(stack: list[list[list[list[str]]]], open_groups: list[int],
                 closed: set[int]) -> None:
    number = open_groups.pop()
    closed.add(number)
    branches = stack.pop()
    inner = _join(branches)
    atom = [f"({inner})", ""]
    if len(branches) == 1 and len(branches[0]) == 1:
        only = branches[0][0]
        if only[1] in ("*", "+", "?"):
            atom += only[:2]  # \(X*\): kept apart for quantify() to fold \(X*\)*
        elif not only[1] and len(only) == 4:
            atom += ["", only[3]]  # \(\(X*\)\): an outer star may be dropped the same way
    stack[-1][-1].append(atom)


def compile_posix(pattern: str, extended: bool = False, icase: bool = False,
                  multiline: bool = False) -> tuple[re.Pattern[str], int]:
    """Compiled pattern and its group count; PosixRegexError as regcomp would fail."""
    t = translate(pattern, extended, multiline)
    text = t.pattern
    flags = re.DOTALL | (re.IGNORECASE if icase else 0) | (re.MULTILINE if multiline else 0)
    try:
        return re.compile(text, flags), t.groups
    except (re.error, OverflowError, RecursionError) as exc:  # a translation labkit got wrong
        raise PosixRegexError("Invalid regular expression") from exc
