"""Command lines as bash reads them (the part labkit needs): words, quotes, pipes, `;`, `&&`,
`||`, `|&`, redirections (`>`, `>>`, `2>&1`, `2>/dev/null`, `<`), a trailing `&`, assignments
(`x=3`, `VAR=v cmd`) and the places of expansions (`$x`, `${x}`, `$?`, `$(cmd)`, `` `cmd` ``,
`$((expression))`, a leading `~`).

A word is kept as its parts (`Part`): literal text, a parameter or a command substitution, each
marked as inside double quotes or not, because expansion happens when the command runs (`false;
echo $?`) and only unquoted expansions are split into fields (session.py does both).
Parsing errors come back as bash's own messages (`bash: syntax error near unexpected token`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class ShellSyntaxError(Exception):
    """A command line bash would refuse; the message is bash's."""


@dataclass(frozen=True)
class Part:
    """A piece of a word: `kind` "lit" (text as it stands), "var" (a parameter: `text` is its
    name or the inside of `${...}`), "cmd" (a command substitution: `text` is the command) or
    "arith" (an arithmetic expansion: `text` is the expression, expanded when it runs);
    `quoted` when written inside quotes (literal text) or double quotes (expansions: no field
    splitting)."""

    kind: str
    text: str
    quoted: bool = False


Word = tuple[Part, ...]


def literal(text: str) -> Word:
    """A word that expands to `text` itself."""
    return (Part("lit", text, True),)


def flat(word: Word) -> str:
    """A word as typed, roughly (for messages): literal text, `$name`, `$(cmd)`."""
    return "".join(p.text if p.kind == "lit" else f"${{{p.text}}}" if p.kind == "var"
                   else f"$(({p.text}))" if p.kind == "arith" else f"$({p.text})" for p in word)


@dataclass
class Redirect:
    """One redirection of a simple command."""

    fd: int  # 0 stdin, 1 stdout, 2 stderr
    op: str  # '>', '>>', '<', '>&'
    target: str  # a path, or "1"/"2" for '>&' (as typed, before expansion)
    word: Word | None = None  # the target's word, expanded when the command runs


@dataclass
class SimpleCommand:
    """Its assignments (`NAME=value` before the command name), words and redirections."""

    argv: list[Word]
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[tuple[str, Word]] = field(default_factory=list)


@dataclass
class Pipeline:
    """Commands joined by `|`."""

    commands: list[SimpleCommand]


@dataclass
class AndOr:
    """Pipelines joined by `&&` / `||`: (operator, pipeline); the first operator is ''."""

    parts: list[tuple[str, Pipeline]]
    background: bool = False


OPERATORS = {";", "&", "&&", "|", "||", ">", ">>", "<", ">&", "2>", "2>>", "&>"}


OPERATOR_CHARS = ";&|<>"
LONG_OPERATORS = (";;", "&&", "||", "|&", ">>", ">&", "&>")


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SPECIAL = "?$!#-@*0123456789"


def _closing(line: str, i: int, opener: str, closer: str) -> int:
    """Index of the `closer` that ends what starts at `i` (just after the opener), skipping
    quoted text and nested pairs; -1 if the line ends first."""
    depth, n = 1, len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and closer != "'":
            end = line.find("'", i + 1)
            if end < 0:
                return -1
            i = end + 1
            continue
        if c == '"' and closer == ")":
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= n:
                return -1
            i = j + 1
            continue
        if line.startswith(opener, i) and opener != closer:
            depth += 1
            i += len(opener)
            continue
        if c == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _dollar(line: str, i: int, quoted: bool) -> tuple[Part | None, int]:
    """The expansion that starts with the `$` at `i`, and where the text after it starts; None
    when the `$` stands for itself (`$` before a space, a quote or the end)."""
    n = len(line)
    nxt = line[i + 1] if i + 1 < n else ""
    if nxt == "{":
        end = _closing(line, i + 2, "${", "}")
        if end < 0:
            raise ShellSyntaxError("bash: unexpected EOF while looking for matching `}'")
        return Part("var", line[i + 2:end], quoted), end + 1
    if nxt == "(":
        end = _closing(line, i + 2, "(", ")")
        if end < 0:
            raise ShellSyntaxError("bash: unexpected EOF while looking for matching `)'")
        inner = line[i + 2:end]
        if inner.startswith("(") and _closing(inner, 1, "(", ")") == len(inner) - 1:
            return Part("arith", inner[1:-1], quoted), end + 1  # $((...)), not $( (...) )
        return Part("cmd", inner, quoted), end + 1
    if nxt and nxt in SPECIAL:
        return Part("var", nxt, quoted), i + 2
    m = NAME.match(line, i + 1)
    if m:
        return Part("var", m.group(), quoted), m.end()
    return None, i + 1


def arithmetic_word(expression: str) -> Word:
    """The expression of `$((…))` as a word to expand before it is evaluated: parameters and
    command substitutions inside it, its double quotes removed (bash treats it as though it
    were double-quoted)."""
    parts: list[Part] = []
    i, start = 0, 0
    while i < len(expression):
        c = expression[i]
        if c in '$`"':
            if i > start:
                parts.append(Part("lit", expression[start:i], True))
            if c == '"':
                i += 1
            elif c == "`":
                part, i = _backquote(expression, i, True)
                parts.append(part)
            else:
                found, i = _dollar(expression, i, True)
                parts.append(found if found is not None else Part("lit", "$", True))
            start = i
            continue
        i += 2 if c == "\\" else 1
    if start < len(expression):
        parts.append(Part("lit", expression[start:], True))
    return tuple(parts)


def _backquote(line: str, i: int, quoted: bool) -> tuple[Part, int]:
    """The `` `cmd` `` that starts at `i`: bash's old command substitution."""
    j, buf = i + 1, []
    while j < len(line) and line[j] != "`":
        if line[j] == "\\" and j + 1 < len(line) and line[j + 1] in "`$\\":
            buf.append(line[j + 1])
            j += 2
            continue
        buf.append(line[j])
        j += 1
    if j >= len(line):
        raise ShellSyntaxError("bash: unexpected EOF while looking for matching ``'")
    return Part("cmd", "".join(buf), quoted), j + 1


Token = tuple[str, bool, Word]  # text as typed (operators: the operator), is an operator, word


def _tokens(line: str) -> list[Token]:
    """Words and operators; the flag says whether a token is an operator. Only unquoted,
    unescaped `;&|<>` make operators (`'<'` and `\\>` are words); digits written right
    before `>` or `<` make an fd redirection (`2>`, `2>&1`)."""
    out: list[Token] = []
    parts: list[Part] = []
    in_word = False  # a word has started (it may be an empty quoted string)
    quoted = False  # some part of the current word was quoted or escaped
    i, n = 0, len(line)
    start = 0  # where the current word starts

    def add(part: Part) -> None:
        nonlocal in_word, start
        if not in_word:
            start = begun
        if part.kind == "lit" and parts and parts[-1].kind == "lit" and \
                parts[-1].quoted == part.quoted:
            parts[-1] = Part("lit", parts[-1].text + part.text, part.quoted)
        else:
            parts.append(part)
        in_word = True

    def flush(stop: int) -> None:
        nonlocal parts, in_word, quoted
        if in_word:
            word = tuple(parts) or literal("")
            out.append((line[start:stop], False, word))
        parts, in_word, quoted = [], False, False

    while i < n:
        c = line[i]
        begun = i
        if c in " \t\n":
            flush(i)
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("bash: unexpected EOF while looking for matching quote")
            add(Part("lit", line[i + 1:end], True))
            quoted = True
            i = end + 1
        elif c == '"':
            j = i + 1
            buf: list[str] = []
            add(Part("lit", "", True))  # "" alone is a word
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n and line[j + 1] in '"\\$`':
                    buf.append(line[j + 1])
                    j += 2
                    continue
                if line[j] in "$`":
                    part, after = (_dollar(line, j, True) if line[j] == "$"
                                   else _backquote(line, j, True))
                    if part is not None:
                        add(Part("lit", "".join(buf), True))
                        buf = []
                        add(part)
                        j = after
                        continue
                buf.append(line[j])
                j += 1
            if j >= n:
                raise ShellSyntaxError("bash: unexpected EOF while looking for matching quote")
            add(Part("lit", "".join(buf), True))
            quoted = True
            i = j + 1
        elif c == "\\":
            if i + 1 < n:
                add(Part("lit", line[i + 1], True))
                quoted = True
            i += 2
        elif c == "$" or c == "`":
            part, i = _dollar(line, i, False) if c == "$" else _backquote(line, i, False)
            add(part if part is not None else Part("lit", "$"))
            quoted = quoted or part is not None
        elif c == "~" and not in_word and (i + 1 >= n or line[i + 1] in "/ \t\n;&|<>"):
            add(Part("var", "HOME", True))  # tilde expansion: never split
            quoted = True
            i += 1
        elif c in OPERATOR_CHARS:
            op = next((o for o in LONG_OPERATORS if line.startswith(o, i)), c)
            i += len(op)
            digits = "".join(p.text for p in parts)
            if op[0] in "<>" and in_word and not quoted and len(digits) == 1 and \
                    digits.isdigit():
                op = digits + op  # 2> 2>> 2>& 1> 0<
                parts, in_word, quoted = [], False, False
            else:
                flush(begun)
            out.append((op, True, ()))
        else:
            add(Part("lit", c))
            i += 1
    flush(n)
    return out


def _assignment(word: Word) -> tuple[str, Word] | None:
    """`NAME=value` written as an assignment (the name and `=` unquoted), else None."""
    if not word or word[0].kind != "lit" or word[0].quoted:
        return None
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", word[0].text)
    if not m:
        return None
    rest = word[0].text[m.end():]
    return m.group(1), ((Part("lit", rest, True),) if rest else ()) + word[1:]


def parse(line: str) -> list[AndOr]:
    """The command lists of one line, in order."""
    tokens = _tokens(line)
    lists: list[AndOr] = []
    parts: list[tuple[str, Pipeline]] = []
    pending_op = ""
    commands: list[SimpleCommand] = []
    argv: list[Word] = []
    redirects: list[Redirect] = []
    assigns: list[tuple[str, Word]] = []
    i = 0

    def end_command(tok: str) -> None:
        nonlocal argv, redirects, assigns
        if not argv and not redirects and not assigns:
            raise ShellSyntaxError(f"bash: syntax error near unexpected token `{tok}'")
        commands.append(SimpleCommand(argv, redirects, assigns))
        argv, redirects, assigns = [], [], []

    def end_pipeline(tok: str) -> None:
        nonlocal commands, pending_op
        end_command(tok)
        parts.append((pending_op, Pipeline(commands)))
        commands = []

    while i < len(tokens):
        tok, is_op, word = tokens[i]
        assign = None if argv or is_op else _assignment(word)
        if assign is not None:
            assigns.append(assign)
        elif not is_op:
            argv.append(word)
        elif tok in (">", ">>", "<", "1>", "1>>", "2>", "2>>", "0<", "&>"):
            if i + 1 >= len(tokens) or tokens[i + 1][1]:
                nxt = tokens[i + 1][0] if i + 1 < len(tokens) else "newline"
                if tok.endswith(">") and nxt == "&" and i + 2 < len(tokens):
                    redirects.append(Redirect(fd=int(tok[0]) if tok[0].isdigit() else 1,
                                              op=">&", target=tokens[i + 2][0],
                                              word=tokens[i + 2][2]))
                    i += 3
                    continue
                raise ShellSyntaxError(f"bash: syntax error near unexpected token `{nxt}'")
            fd = int(tok[0]) if tok[0].isdigit() else (0 if tok == "<" else 1)
            op = tok.lstrip("012")
            if tok == "&>":
                redirects.append(Redirect(1, ">", tokens[i + 1][0], tokens[i + 1][2]))
                redirects.append(Redirect(2, ">&", "1"))
            else:
                redirects.append(Redirect(fd, op, tokens[i + 1][0], tokens[i + 1][2]))
            i += 2
            continue
        elif tok in ("2>&", "1>&", ">&"):
            if i + 1 >= len(tokens):
                raise ShellSyntaxError("bash: syntax error near unexpected token `newline'")
            redirects.append(Redirect(int(tok[0]) if tok[0].isdigit() else 1, ">&",
                                      tokens[i + 1][0], tokens[i + 1][2]))
            i += 2
            continue
        elif tok == "|":
            end_command(tok)
        elif tok == "|&":  # bash: `a |& b` is `a 2>&1 | b`
            if argv or redirects:
                redirects.append(Redirect(2, ">&", "1"))
            end_command(tok)
        elif tok in ("&&", "||"):
            end_pipeline(tok)
            pending_op = tok
        elif tok in (";", "&"):
            end_pipeline(tok)
            lists.append(AndOr(parts, background=tok == "&"))
            parts, pending_op = [], ""
        else:
            raise ShellSyntaxError(f"bash: syntax error near unexpected token `{tok}'")
        i += 1
    if argv or redirects or assigns:
        commands.append(SimpleCommand(argv, redirects, assigns))
    elif commands:  # a line ending in `|`: bash would read on; a lab line is whole
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if commands:
        parts.append((pending_op, Pipeline(commands)))
    elif pending_op:
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if parts:
        lists.append(AndOr(parts))
    return lists
