"""A terminal on a lab: `labkit shell` (a lab of its own) and lab.terminal() (a notebook's lab,
served on a Unix socket and opened in JupyterLab)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage
    from labkit.terminal.jupyter import OpenedTerminal


def terminal(lab: LabFrontage, host: str = "server") -> OpenedTerminal:
    """Serve `lab`'s shell and open a JupyterLab terminal typing into `host` (or say how to
    attach one by hand when no Jupyter server runs this kernel)."""
    from labkit.terminal.jupyter import open_terminal

    return open_terminal(lab, host)
