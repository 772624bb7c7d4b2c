"""A connection's three states shown (labkit.nm.states.States): what differs first, then the
properties a learner changes, and how many others agree; never a table cut short (pandas would
elide the middle of 90 rows, where the one that matters may sit). Pure functions."""

from __future__ import annotations

import html as _html
from typing import Protocol

Row = tuple[str, str, str, str]
HEADER = ("property", "file on disk", "profile in NM", "applied on device")


class States(Protocol):
    """What these views read of labkit.nm.states.States (which shows itself through them)."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str | None: ...

    @property
    def file_error(self) -> str | None: ...

    @property
    def device(self) -> str | None: ...

    @property
    def rows(self) -> list[Row]: ...

    def differences(self) -> list[Row]: ...

    def key_rows(self) -> list[Row]: ...


def sections(st: States) -> tuple[list[Row], list[Row], int]:
    """(rows that differ, the lesson's key rows that agree, how many other rows agree)."""
    differ = st.differences()
    shown = {r[0] for r in differ}
    key = [r for r in st.key_rows() if r[0] not in shown]
    rest = len(st.rows) - len(differ) - len(key)
    return differ, key, rest


def headline(st: States) -> str:
    """Which file, which device, and whether the three states agree."""
    file = st.path or "(none)"
    if st.file_error:
        file += f" (skipped: {st.file_error})"
    differ = st.differences()
    verdict = (f"{len(differ)} propert{'y differs' if len(differ) == 1 else 'ies differ'}"
               if differ else "all three states agree")
    return f"{st.name}: file {file}; device {st.device or '(not active)'}; {verdict}"


def _footer(rest: int) -> str:
    return (f"... and {rest} other properties, the same in all three states "
            "(.frame() has every row)") if rest else ""


def text(st: States) -> str:
    """The states as plain text: a headline, then an aligned table ('--' where empty)."""
    differ, key, rest = sections(st)
    rows = [(("* " if r in differ else "  ") + r[0], *r[1:]) for r in differ + key]
    table = [("  " + HEADER[0], *HEADER[1:]), *rows]
    cells = [[c or "--" for c in r] for r in table]
    cells[0] = list(table[0])
    widths = [max(len(r[i]) for r in cells) for i in range(4)]
    lines = [headline(st)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    if differ:
        lines.append("(* differs)")
    if rest:
        lines.append(_footer(rest))
    return "\n".join(lines)


def html(st: States) -> str:
    """The states as an HTML table, the rows that differ first and highlighted."""
    differ, key, rest = sections(st)
    esc = _html.escape
    head = "".join(f'<th style="text-align:left">{esc(h)}</th>' for h in HEADER)
    body = []
    for row in differ + key:
        style = ' style="background:#fff3cd"' if row in differ else ""
        cells = "".join(f'<td style="text-align:left">{esc(v)}</td>' for v in row[1:])
        body.append(f'<tr{style}><th style="text-align:left">{esc(row[0])}</th>{cells}</tr>')
    foot = f"<p>{esc(_footer(rest))}</p>" if rest else ""
    return (f'<div class="labkit-states"><p>{esc(headline(st))}</p>'
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
            f"{foot}</div>")
