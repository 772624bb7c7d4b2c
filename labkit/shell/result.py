"""What a command line gives back: its terminal text, its exit status, a terminal-like display."""

from __future__ import annotations

import html
from dataclasses import dataclass

TERMINAL_STYLE = ("background:#1e1e1e;color:#d4d4d4;padding:6px 10px;border-radius:4px;"
                  "font-family:monospace;font-size:12.5px;line-height:1.35;white-space:pre;"
                  "overflow-x:auto;margin:2px 0")


def prompt_for(host: str) -> str:
    """The root prompt of `host`, as CentOS's bash shows it."""
    return f"[root@{host} ~]# "


@dataclass(frozen=True)
class ShellResult:
    """One command line run on one host.

    `stdout` is what a terminal shows (the programs' stdout and stderr, in order); `returncode`
    is bash's `$?` for the line. In Jupyter it displays as a terminal would.
    """

    host: str
    cmd: str
    stdout: str
    returncode: int

    def __str__(self) -> str:
        return self.stdout

    def __bool__(self) -> bool:
        return self.returncode == 0

    @property
    def lines(self) -> list[str]:
        """The output split into lines."""
        return self.stdout.splitlines()

    def transcript(self) -> str:
        """Prompt, command and output, as the terminal shows them."""
        return prompt_for(self.host) + self.cmd + "\n" + self.stdout

    def _repr_html_(self) -> str:
        status = ""
        if self.returncode:
            status = (f'<span style="color:#f48771">[exit status {self.returncode}]</span>\n')
        body = (f'<span style="color:#6a9955">{html.escape(prompt_for(self.host))}</span>'
                f'<span style="color:#ffffff">{html.escape(self.cmd)}</span>\n'
                f"{html.escape(self.stdout)}{status}")
        return f'<pre class="labkit-terminal" style="{TERMINAL_STYLE}">{body}</pre>'

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's text display
        text = self.transcript()
        if self.returncode:
            text += f"[exit status {self.returncode}]\n"
        p.text(text.rstrip("\n"))
