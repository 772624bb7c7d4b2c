"""The real programs of engines that have them (ip, ping, bridge, ifconfig on a real kernel).

The program runs inside the lab host's namespace while lab time passes as usual (the daemons'
timers keep running), and in the background too (`ping ... &`), as in a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.shell.session import Invocation

POLL = 0.01  # seconds between looks at a running program


class RealRun:
    """A real program still running (the shell's Pending)."""

    def __init__(self, inv: Invocation, proc: Any) -> None:
        self.inv = inv
        self.proc = proc

    @property
    def done(self) -> bool:
        return self.proc.poll() is not None

    def wait(self) -> None:
        try:
            while not self.done:
                self.inv.engine.clock.sleep(POLL)
        except BaseException:
            self.proc.kill()  # Ctrl-C in the notebook stops the program, as in a terminal
            raise

    def finish(self) -> int:
        out, err = self.proc.output()
        self.inv.out(out)
        self.inv.err(err)
        return int(self.proc.poll() or 0)


def real(inv: Invocation) -> RealRun:
    """Start `inv.argv` for real on the engine."""
    return RealRun(inv, inv.engine.spawn(inv.host, inv.argv, inv.stdin))
