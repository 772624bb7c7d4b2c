"""nmcli in the lab shell: labkit's nmcli against the host's NetworkManager.

Commands that wait for the daemon (`connection up` on DHCP, `device connect`) run on the lab's
clock like `sleep`: the shell waits, the sim lets virtual time pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.nm.nmcli.main import Call, Nmcli

if TYPE_CHECKING:
    from labkit.shell.program import Invocation, Pending


class WaitingNmcli:
    """An nmcli that waits for an activation to finish (or its --wait timeout)."""

    def __init__(self, inv: Invocation, call: Call) -> None:
        self.inv = inv
        self.call = call
        self.clock = inv.engine.clock
        self.deadline = self.clock.now() + call.timeout

    @property
    def done(self) -> bool:
        pending = self.call.wait_for
        return pending is None or pending.done or self.clock.now() >= self.deadline

    def wait(self) -> None:
        while not self.done:
            step = min(0.25, max(0.0, self.deadline - self.clock.now()))
            self.clock.sleep(step if step > 0 else 0.25)

    def finish(self) -> int:
        call = self.call
        if call.wait_for is not None and not call.wait_for.done:
            call.err(f"Error: Timeout expired ({int(call.timeout)} seconds)\n")
            call.rc = 3
        elif call.then is not None:
            call.then()
        _emit(self.inv, call)
        return call.rc


def _emit(inv: Invocation, call: Call) -> None:
    for fd, text in call.chunks:
        if fd == 1:
            inv.out(text)
        else:
            inv.err(text)


def nmcli(inv: Invocation) -> int | Pending:
    """nmcli [OPTIONS] OBJECT { COMMAND | help } (NetworkManager 1.42, or 1.18 on centos7)."""
    system = inv.shell.systems.get(inv.host)
    if system is None or system.nm is None:
        inv.err("bash: nmcli: command not found\n")
        return 127
    nm = system.nm
    client = Nmcli(nm, system.locale, nm.version.version, nm.version.text)
    if nm.running:
        inv.engine.clock.settle()
        nm.sync()
    call = client.run(inv.argv[1:])
    if call.wait_for is None:
        _emit(inv, call)
        return call.rc
    return WaitingNmcli(inv, call)
