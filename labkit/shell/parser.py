"""Command lines as bash reads them (the part labkit needs): words, quotes, pipes, `;`, `&&`,
`||`, `|&`, redirections (`>`, `>>`, `2>&1`, `2>/dev/null`, `<`) and a trailing `&`.

Parsing errors come back as bash's own messages (`bash: syntax error near unexpected token`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ShellSyntaxError(Exception):
    """A command line bash would refuse; the message is bash's."""


@dataclass
class Redirect:
    """One redirection of a simple command."""

    fd: int  # 0 stdin, 1 stdout, 2 stderr
    op: str  # '>', '>>', '<', '>&'
    target: str  # a path, or "1"/"2" for '>&'


@dataclass
class SimpleCommand:
    """argv plus its redirections."""

    argv: list[str]
    redirects: list[Redirect] = field(default_factory=list)


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


def _tokens(line: str) -> list[tuple[str, bool]]:
    """Words and operators; the flag says whether a token is an operator. Only unquoted,
    unescaped `;&|<>` make operators (`'<'` and `\\>` are words); digits written right
    before `>` or `<` make an fd redirection (`2>`, `2>&1`)."""
    out: list[tuple[str, bool]] = []
    word: list[str] = []
    in_word = False  # a word has started (it may be an empty quoted string)
    quoted = False  # some part of the current word was quoted or escaped
    i, n = 0, len(line)

    def flush() -> None:
        nonlocal word, in_word, quoted
        if in_word:
            out.append(("".join(word), False))
        word, in_word, quoted = [], False, False

    while i < n:
        c = line[i]
        if c in " \t\n":
            flush()
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("bash: unexpected EOF while looking for matching quote")
            word.append(line[i + 1:end])
            in_word = quoted = True
            i = end + 1
        elif c == '"':
            j = i + 1
            buf: list[str] = []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n and line[j + 1] in '"\\$`':
                    buf.append(line[j + 1])
                    j += 2
                    continue
                buf.append(line[j])
                j += 1
            if j >= n:
                raise ShellSyntaxError("bash: unexpected EOF while looking for matching quote")
            word.append("".join(buf))
            in_word = quoted = True
            i = j + 1
        elif c == "\\":
            if i + 1 < n:
                word.append(line[i + 1])
                in_word = quoted = True
            i += 2
        elif c in OPERATOR_CHARS:
            op = next((o for o in LONG_OPERATORS if line.startswith(o, i)), c)
            i += len(op)
            digits = "".join(word)
            if op[0] in "<>" and in_word and not quoted and len(digits) == 1 and \
                    digits.isdigit():
                op = digits + op  # 2> 2>> 2>& 1> 0<
                word, in_word, quoted = [], False, False
            else:
                flush()
            out.append((op, True))
        else:
            word.append(c)
            in_word = True
            i += 1
    flush()
    return out


def parse(line: str) -> list[AndOr]:
    """The command lists of one line, in order."""
    tokens = _tokens(line)
    lists: list[AndOr] = []
    parts: list[tuple[str, Pipeline]] = []
    pending_op = ""
    commands: list[SimpleCommand] = []
    argv: list[str] = []
    redirects: list[Redirect] = []
    i = 0

    def end_command(tok: str) -> None:
        nonlocal argv, redirects
        if not argv and not redirects:
            raise ShellSyntaxError(f"bash: syntax error near unexpected token `{tok}'")
        commands.append(SimpleCommand(argv, redirects))
        argv, redirects = [], []

    def end_pipeline(tok: str) -> None:
        nonlocal commands, pending_op
        end_command(tok)
        parts.append((pending_op, Pipeline(commands)))
        commands = []

    while i < len(tokens):
        tok, is_op = tokens[i]
        if not is_op:
            argv.append(tok)
        elif tok in (">", ">>", "<", "1>", "1>>", "2>", "2>>", "0<", "&>"):
            if i + 1 >= len(tokens) or tokens[i + 1][1]:
                nxt = tokens[i + 1][0] if i + 1 < len(tokens) else "newline"
                if tok.endswith(">") and nxt == "&" and i + 2 < len(tokens):
                    redirects.append(Redirect(fd=int(tok[0]) if tok[0].isdigit() else 1,
                                              op=">&", target=tokens[i + 2][0]))
                    i += 3
                    continue
                raise ShellSyntaxError(f"bash: syntax error near unexpected token `{nxt}'")
            fd = int(tok[0]) if tok[0].isdigit() else (0 if tok == "<" else 1)
            op = tok.lstrip("012")
            if tok == "&>":
                redirects.append(Redirect(1, ">", tokens[i + 1][0]))
                redirects.append(Redirect(2, ">&", "1"))
            else:
                redirects.append(Redirect(fd, op, tokens[i + 1][0]))
            i += 2
            continue
        elif tok in ("2>&", "1>&", ">&"):
            if i + 1 >= len(tokens):
                raise ShellSyntaxError("bash: syntax error near unexpected token `newline'")
            redirects.append(Redirect(int(tok[0]) if tok[0].isdigit() else 1, ">&",
                                      tokens[i + 1][0]))
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
    if argv or redirects:
        commands.append(SimpleCommand(argv, redirects))
    elif commands:  # a line ending in `|`: bash would read on; a lab line is whole
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if commands:
        parts.append((pending_op, Pipeline(commands)))
    elif pending_op:
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if parts:
        lists.append(AndOr(parts))
    return lists
