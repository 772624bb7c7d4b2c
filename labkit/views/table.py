"""Tables without pandas: where pandas is importable a table is a pandas DataFrame, elsewhere
(Pyodide in the browser, whose sim needs the standard library only) a Table with the same
columns and rows, shown as HTML in a notebook and as aligned text in a terminal.

A Table keeps the few DataFrame habits the lessons use on lab.frame(): `columns`, `len()`,
iterating rows as dicts (`to_dict("records")`), `set_index(col)` and `.loc[row, col]`.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from labkit.errors import LabkitError


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
          index: str | None = None) -> Any:
    """A pandas DataFrame of `rows` with exactly `columns` when pandas imports, else a Table
    (the same columns, even for no rows); `index` names the column that indexes the rows."""
    try:
        import pandas as pd
    except ImportError:
        return Table(rows, columns, index)
    df = pd.DataFrame([dict(r) for r in rows], columns=list(columns))
    return df.set_index(index) if index is not None else df


class Table:
    """Rows of named columns, optionally indexed by one of them (as DataFrame.set_index)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                 index: str | None = None) -> None:
        self.index_name = index
        names = list(columns)
        if index is not None and index not in names:
            raise LabkitError(f"no column {index!r} to index by (columns: {', '.join(names)})")
        self._all = names
        self._rows = [{c: r.get(c) for c in names} for r in rows]

    @property
    def columns(self) -> list[str]:
        """The columns, without the index (as a DataFrame's)."""
        return [c for c in self._all if c != self.index_name]

    @property
    def index(self) -> list[Any]:
        """Each row's index value (its position where the table has no index column)."""
        if self.index_name is None:
            return list(range(len(self._rows)))
        return [r[self.index_name] for r in self._rows]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:  # as a DataFrame: the column names
        return iter(self.columns)

    def to_dict(self, orient: str = "records") -> list[dict[str, Any]]:
        """The rows as dicts, index column included (only orient="records")."""
        if orient != "records":
            raise LabkitError(f"a Table gives its rows as records only, not {orient!r}")
        return [dict(r) for r in self._rows]

    def set_index(self, column: str) -> Table:
        """The same rows indexed by `column` (a new Table)."""
        return Table(self._rows, self._all, column)

    @property
    def loc(self) -> _Loc:
        """`t.loc[row, column]`: the value in the row whose index is `row`."""
        return _Loc(self)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ([self.index_name] if self.index_name is not None else [""]) + self.columns
        body = [[str(i)] + [_cell(r[c]) for c in self.columns]
                for i, r in zip(self.index, self._rows, strict=True)]
        return head, body

    def __str__(self) -> str:
        head, body = self._cells()
        if not body:
            return f"Empty table\nColumns: [{', '.join(self.columns)}]"
        widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
        lines = ["  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True)).rstrip()
                 for row in [head, *body]]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head, body = self._cells()
        out = ['<table class="labkit-table"><thead><tr>']
        out += [f'<th style="text-align:left">{html.escape(h)}</th>' for h in head]
        out.append("</tr></thead><tbody>")
        for row in body:
            out.append(f"<tr><th>{html.escape(row[0])}</th>")
            out += [f'<td style="text-align:left">{html.escape(x)}</td>' for x in row[1:]]
            out.append("</tr>")
        out.append("</tbody></table>")
        return "".join(out)


class _Loc:
    def __init__(self, t: Table) -> None:
        self._t = t

    def __getitem__(self, key: tuple[Any, str]) -> Any:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise LabkitError("a Table's .loc takes [row, column]")
        row, column = key
        if column not in self._t._all:
            raise LabkitError(f"no column {column!r} (columns: {', '.join(self._t.columns)})")
        for i, r in zip(self._t.index, self._t._rows, strict=True):
            if i == row:
                return r[column]
        raise LabkitError(f"no row {row!r} in the table's index")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
