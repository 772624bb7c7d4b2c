"""nmcli's printer (utils.c _print_fill/_print_do): tables, multi-line views, terse, pretty.

Tabular: every column is as wide as its widest cell (or title) plus one, cells are left-aligned
and separated by one space, only the last separator is cut, so rows keep trailing blanks.
Multi-line: `name:` padded to 40 columns, then the value. Terse: `:`-joined values with `:` and
`\\` escaped, no header. Pretty: a `=` banner with the centred title, `-` rules. Widths count
screen columns (East Asian wide characters count two), as nmcli does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ML_VALUE_INDENT = 40
ML_HEADER_WIDTH = 79


@dataclass
class Mode:
    """nmcli's output options."""

    terse: bool = False
    pretty: bool = False
    multiline: bool | None = None  # None: the command's default
    escape: bool = True


def width(text: str) -> int:
    """Screen columns of `text` (nmc_string_screen_width)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _ljust(text: str, cols: int) -> str:
    return text + " " * max(0, cols - width(text))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:")


def values_only(mode: Mode, items: list[tuple[str, str | list[str]]]) -> str:
    """-g on a multi-line view: each value on a line of its own, terse (`:` escaped)."""
    out = []
    for _, value in items:
        for v in value if isinstance(value, list) else [value]:
            out.append((_escape(v) if mode.escape else v) + "\n")
    return "".join(out)


def banner(title: str, table_width: int = 0, multiline: bool = False) -> tuple[list[str], int]:
    """The pretty header: lines and the table width it starts with."""
    header_width = width(title) + 4
    if multiline:
        total = max(header_width, ML_HEADER_WIDTH)
        line = "=" * ML_HEADER_WIDTH
    else:
        total = max(table_width, header_width)
        line = "=" * total
    pad = (total + width(title)) // 2 + len(title) - width(title)
    return [line, title.rjust(pad), line], total


def table(mode: Mode, titles: list[str], rows: list[list[str]], title: str | None = None) -> str:
    """A tabular view; empty cells show as `--` unless terse. With `-m multiline` each row is
    printed as `TITLE: value` lines, one after the other."""
    out: list[str] = []
    if mode.multiline:
        return "".join(multiline(mode, list(zip(titles, row, strict=True))) for row in rows)
    if mode.terse:
        for row in rows:
            cells = [_escape(c) if mode.escape else c for c in row]
            out.append(":".join(cells))
        return "".join(line + "\n" for line in out)
    rows = [[c if c else "--" for c in row] for row in rows]
    widths = [max([width(t)] + [width(r[i]) for r in rows]) + 1 for i, t in enumerate(titles)]
    table_width = 0
    if mode.pretty and title:
        lines, table_width = banner(title)
        out += lines
    header = ""
    for t, w in zip(titles, widths, strict=True):
        header += _ljust(t, w) + " "
        table_width += w + 1
    out.append(header[:-1])
    if mode.pretty:
        out.append("-" * table_width)
    for row in rows:
        line = "".join(_ljust(c, w) + " " for c, w in zip(row, widths, strict=True))
        out.append(line[:-1])
    if not rows and not mode.pretty:
        return "\n"  # no cell opts a column in: the header is empty too
    return "".join(line + "\n" for line in out)


def multiline(mode: Mode, items: list[tuple[str, str | list[str]]], title: str | None = None,
              sections: list[int] | None = None) -> str:
    """A multi-line view: `name:` then the value; list values become name[1]:, name[2]:...

    `sections` holds the item indexes after which pretty mode draws a `-` rule.
    """
    out: list[str] = []
    if mode.pretty and title:
        lines, _ = banner(title, multiline=True)
        out += lines
    for index, (name, value) in enumerate(items):
        values = value if isinstance(value, list) else [value]
        for i, v in enumerate(values):
            label = f"{name}[{i + 1}]:" if isinstance(value, list) else f"{name}:"
            if not mode.terse and not v:
                v = "--"
            if mode.terse:
                out.append(f"{label}{v}")
            else:
                pad = ML_VALUE_INDENT + len(label) - width(label)
                out.append(label.ljust(pad) + v)
        if mode.pretty and sections is not None and index in sections:
            out.append("-" * ML_HEADER_WIDTH)
    return "".join(line + "\n" for line in out)


def per_field_tables(mode: Mode, items: list[tuple[str, str | list[str]]]) -> str:
    """A multi-line view under `-m tabular`: each field a table of its own, titled with its
    name after the section (`id`, `DEVICE`), blank lines between them."""
    parts = []
    for name, value in items:
        values = value if isinstance(value, list) else [value]
        label = name.split(".", 1)[-1]
        parts.append(table(Mode(terse=mode.terse, pretty=mode.pretty, escape=mode.escape),
                           [label], [[v] for v in values]))
    return "\n".join(parts)
