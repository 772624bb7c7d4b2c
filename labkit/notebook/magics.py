"""%lab and %%lab: command lines typed into the running lab as into its terminal.

    %lab nmcli c                         one line on the server
    %%lab outside                        every line of the cell on host `outside`
    ping -c 3 192.168.1.61

Each line is echoed after its host's prompt with its output, as a terminal shows them; a
nonzero exit status is shown under it, never raised. The lab is the one started last
(`labkit.current_lab()`); without one, the magic says how to start it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from labkit.errors import LabkitError
from labkit.lab import current_lab
from labkit.notebook import help as lesson_help
from labkit.shell.result import TERMINAL_STYLE, ShellResult


@dataclass(frozen=True)
class Terminal:
    """Several command lines and their output, shown as one terminal."""

    results: tuple[ShellResult, ...]

    def text(self) -> str:
        out = []
        for r in self.results:
            out.append(r.transcript())
            if r.returncode:
                out.append(f"[exit status {r.returncode}]\n")
        return "".join(out)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text().rstrip("\n"))

    def _repr_html_(self) -> str:
        inner = "".join(r._repr_html_().split(">", 1)[1].rsplit("</pre>", 1)[0]
                        for r in self.results)
        return f'<pre class="labkit-terminal" style="{TERMINAL_STYLE}">{inner}</pre>'


def command_lines(cell: str) -> list[str]:
    """The cell's command lines: blank lines and `#` comments are skipped, as bash does."""
    return [line for line in (raw.strip() for raw in cell.splitlines())
            if line and not line.startswith("#")]


def run_lines(lines: list[str], host: str) -> Terminal:
    """Type `lines` into `host` of the running lab, one after the other."""
    lab = current_lab()
    return Terminal(tuple(lab.typed(line, host=host) for line in lines))


@magics_class
class LabMagics(Magics):
    """The `lab` magic, as a line (`%lab CMD`) and as a cell (`%%lab [HOST]`)."""

    @line_cell_magic
    def lab(self, line: str, cell: str | None = None) -> None:
        try:
            if cell is None:
                terminal = run_lines(command_lines(line), "server")
            else:
                host = line.strip() or "server"
                terminal = run_lines(command_lines(cell), host)
        except LabkitError as exc:
            display(_Message(str(exc)))
            return
        display(terminal)


@dataclass(frozen=True)
class _Message:
    """A one-line explanation instead of a traceback."""

    text: str

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"labkit: {self.text}")

    def _repr_html_(self) -> str:
        return f'<pre style="color:#b00">labkit: {html.escape(self.text)}</pre>'


def register(ipython: Any) -> None:
    """Make %lab, %%lab and %%predict (a lesson's predict-then-check cell, labkit.notebook.
    help) available in `ipython`, so a predict cell runs in any order and after a restart."""
    ipython.register_magics(LabMagics)
    lesson_help.register(ipython)
