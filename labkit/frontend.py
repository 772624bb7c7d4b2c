"""What the lab's front ends (the dashboard, the terminal) use of a Lab, as a Protocol.

They are handed the notebook's Lab and drive it, but they need not import it: lab.py opens
them (`lab.dashboard()`, `lab.terminal()`), and a front end importing labkit.lab back, even
for its types only, would tie the two into one circle. Lab satisfies this Protocol by its
shape; mypy checks that it does wherever a Lab is handed to a front end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.model.snapshot import HostSnapshot
    from labkit.model.topology import Topology
    from labkit.shell.result import ShellResult
    from labkit.shell.session import Shell
    from labkit.system.host import HostSystem


class LabFrontage(Protocol):
    """A running (or closed) lab as a dashboard or a terminal sees it."""

    lab_id: str
    topology: Topology
    engine: Engine | None  # None once closed
    shell: Shell | None
    systems: dict[str, HostSystem]

    @property
    def closed(self) -> bool:
        """Closed and not being built again (a reset closes, then starts)."""
        ...

    def on_change(self, callback: Callable[[], None]) -> None: ...

    def plug(self, nic: str, host: str | None = None) -> None: ...

    def unplug(self, nic: str, host: str | None = None) -> None: ...

    def sleep(self, seconds: float) -> None: ...

    def snapshot(self, host: str = "server") -> HostSnapshot: ...

    def sh(self, cmd: str, host: str = "server") -> ShellResult: ...

    def typed(self, cmd: str, host: str = "server") -> ShellResult: ...

    def reset(self) -> LabFrontage: ...

    def close(self) -> None: ...
