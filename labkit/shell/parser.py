"""Command lines as bash reads them (the part labkit needs): words, quotes, pipes, `;`, `&&`,
`||`, redirections (`>`, `>>`, `2>&1`, `2>/dev/null`, `<`) and a trailing `&`.

Parsing errors come back as bash's own messages (`bash: syntax error near unexpected token`).
"""

from __future__ import annotations

import shlex
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


def _tokens(line: str) -> list[tuple[str, bool]]:
    """Words and operators; the flag says whether a token is an operator."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = ""
    out: list[tuple[str, bool]] = []
    try:
        raw = list(lex)
    except ValueError as exc:
        if "quotation" in str(exc):
            raise ShellSyntaxError("bash: unexpected EOF while looking for matching quote") \
                from None
        raise ShellSyntaxError(f"bash: {exc}") from None
    # shlex glues "2>" as word "2" then ">"; rebuild fd redirections and "2>&1"
    i = 0
    while i < len(raw):
        tok = raw[i]
        is_op = bool(tok) and all(c in ";&|<>" for c in tok)
        if (not is_op and tok in ("1", "2") and i + 1 < len(raw)
                and raw[i + 1] and raw[i + 1][0] in "<>" and _adjacent(line, raw, i)):
            out.append((tok + raw[i + 1], True))
            i += 2
            continue
        out.append((tok, is_op))
        i += 1
    return out


def _adjacent(line: str, raw: list[str], i: int) -> bool:
    """True when token i is written right before the next one (as in `2>`, not `2 >`)."""
    needle = raw[i] + raw[i + 1]
    return needle in line


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
    if commands:
        parts.append((pending_op, Pipeline(commands)))
    elif pending_op:
        raise ShellSyntaxError("bash: syntax error: unexpected end of file")
    if parts:
        lists.append(AndOr(parts))
    return lists
