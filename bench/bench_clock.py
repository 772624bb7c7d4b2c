"""Benchmark: what lab time costs on the sim. An idle lab-hour (`lab.sleep(3600)`) with and
without NetworkManager and with the walkthrough's active-backup bond built by nmcli,
`ping -c 1000 -i 0.2` from the server and from outside to the bond, and a day's `sleep 86400`.

Prints medians of wall time with their targets, and ratios against a baseline measured in the
same run: the cost of `lab.sh("true")` on the same lab (one command line through the shell).
Periodic timers that have nothing to do (the bond's MII monitor, the bridge's ageing) park, so
an idle hour costs the events it holds (NetworkManager retrying DHCP on the blank NICs), not
its 36,000 MII ticks. Each measurement gives up after --timeout seconds and says so (a clock
that livelocks or ticks through every second would otherwise never return).

    .venv/bin/python bench/bench_clock.py [--runs N] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import time
from collections.abc import Callable
from types import FrameType

from labkit import Lab

# the walkthrough's bond (tests/scenarios/nm/01-walkthrough.scn), typed as in the seed
WALKTHROUGH_BOND = [
    "nmcli connection add type bond autoconnect no con-name bond0 ifname bond0 "
    "mode active-backup",
    "nmcli connection add type bond-slave autoconnect no ifname ens37 master bond0",
    "nmcli connection add type bond-slave autoconnect no ifname ens38 master bond0",
    'nmcli c mod bond0 ipv4.method manual ipv4.address "192.168.1.61/24" ipv4.gateway '
    '"192.168.1.1" ipv4.dns "192.168.1.1" ipv6.method ignore',
    "nmcli c m ens37 connection.autoconnect no",
    "nmcli c m ens38 connection.autoconnect no",
    "nmcli c m bond-slave-ens37 connection.autoconnect yes",
    "nmcli c m bond-slave-ens38 connection.autoconnect yes",
    "nmcli c m bond0 connection.autoconnect yes",
    "systemctl restart NetworkManager",
]
PING = "ping -c 1000 -i 0.2 {dst}"


class TimedOut(Exception):
    """A measurement ran past --timeout."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimedOut


def timed(fn: Callable[[], object], timeout: int) -> float | None:
    """Wall seconds `fn` took, or None when it ran past `timeout` seconds."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    except TimedOut:
        return None
    finally:
        signal.alarm(0)


def bond_lab() -> Lab:
    """The default lab with the walkthrough's bond up (192.168.1.61 on bond0)."""
    lab = Lab(engine="sim").start()
    for cmd in WALKTHROUGH_BOND:
        lab.sh(cmd)
    lab.sleep(5)
    return lab


def ping_ok(lab: Lab, dst: str, host: str) -> None:
    result = lab.sh(PING.format(dst=dst), host=host)
    if "1000 packets transmitted, 1000 received" not in result.stdout:
        raise SystemExit(f"ping to {dst} lost packets:\n{result.stdout[-300:]}")


def median(samples: list[float | None]) -> float | None:
    """The median in ms, or None if any sample timed out."""
    if any(s is None for s in samples):
        return None
    return statistics.median(s for s in samples if s is not None) * 1000


def report(label: str, ms: float | None, base_ms: float, target_ms: float | None,
           timeout: int) -> None:
    if ms is None:
        print(f"{label:34s} did not return within {timeout} s")
        return
    verdict = "" if target_ms is None else (f"(target < {target_ms:,.0f} ms)  "
                                            + ("OK" if ms < target_ms else "OVER"))
    print(f"{label:34s} {ms:9.1f} ms  = {ms / base_ms:8.0f} x lab.sh('true')  {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    runs, timeout = max(1, args.runs), args.timeout

    nm_lab = Lab(engine="sim").start()
    nm_lab.sh("true")  # warm
    base_ms = statistics.median(timed(lambda: nm_lab.sh("true"), timeout) or 0.0
                                for _ in range(200)) * 1000
    label = "baseline: lab.sh('true')"
    print(f"{label:34s} {base_ms * 1000:9.1f} us")

    plain = Lab(engine="sim", networkmanager=False).start()
    bonded = bond_lab()
    for label, lab in (("idle lab-hour, NetworkManager", nm_lab),
                       ("idle lab-hour, networkmanager=False", plain),
                       ("idle lab-hour, walkthrough bond", bonded)):
        hour = median([timed(lambda lab=lab: lab.sleep(3600), timeout) for _ in range(runs)])
        report(label, hour, base_ms, 50, timeout)

    server = median([timed(lambda: ping_ok(nm_lab, "192.168.1.1", "server"), timeout)
                     for _ in range(runs)])
    report("ping -c 1000 -i 0.2 (server)", server, base_ms, 2000, timeout)
    outside = median([timed(lambda: ping_ok(bonded, "192.168.1.61", "outside"), timeout)
                      for _ in range(runs)])
    report("ping -c 1000 -i 0.2 (to the bond)", outside, base_ms, 2000, timeout)
    day = median([timed(lambda: nm_lab.sh("sleep 86400"), timeout)])
    report("sleep 86400 (NetworkManager)", day, base_ms, None, timeout)
    for lab in (nm_lab, plain, bonded):
        lab.close()


if __name__ == "__main__":
    main()
