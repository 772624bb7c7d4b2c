"""What `connection up` and `device connect` share: waiting for the activation, and the
failure message nmcli prints when it fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from labkit.nm.nmcli.context import ACTIVATION, Context
from labkit.nm.objects import REASON_TEXT, AcState

if TYPE_CHECKING:
    from labkit.nm.daemon import PendingActivation


def failed(nmc: Context, pending: PendingActivation, hint: bool) -> bool:
    """Print nmcli's activation failure if the activation failed: `connection up` adds the
    journalctl hint, `device connect` words it with a final period."""
    ac = pending.ac
    if ac.state == AcState.ACTIVATED or pending.failed_reason is None:
        return False
    reason = nmc.tr(REASON_TEXT.get(pending.failed_reason, "Unknown error"))
    if hint:
        nmc.call.err(nmc.tr("Error: Connection activation failed: %s") % reason + "\n")
    else:
        nmc.call.err(nmc.tr("Error: Connection activation failed: %s.") % reason + "\n")
    if hint and nmc.version >= (1, 20):
        nmc.call.err(f"Hint: use 'journalctl -xe NM_CONNECTION={ac.sc.uuid} + "
                     f"NM_DEVICE={ac.device.iface}' to get more details.\n")
    nmc.call.rc = ACTIVATION
    return True


def report_when_done(nmc: Context, pending: PendingActivation, done_now: bool,
                     report: Callable[[], None]) -> None:
    """Report now, or have the shell wait on the lab's clock and report then."""
    if done_now or pending.ac.state == AcState.ACTIVATED or pending.done:
        report()
        return
    nmc.call.wait_for = pending
    nmc.call.then = report
