"""Benchmark: how the cost of a lab grows with its hosts, on the sim, as ratios against 8 hosts.

A lab of N hosts, each with one NIC cabled to the switch and one IPv4 address in 10.0.0.0/16
(NetworkManager off: the build's own cost), is measured in three phases, each the median of
`--runs` runs in this process:

  validate   Topology.from_dict of the document (every check and cross-check)
  build      Lab(topology, engine="sim", networkmanager=False).start(): the plan, the sim's
             namespaces, veth pairs, bridge ports, addresses, and the 5 s of lab time a lab
             starts settled with (DAD, router solicitations, each host's multicast floods)
  first sh   the first lab.sh("ip -br a", host="h0") (the kernel finishes its start-up work)

Sizes: 8, 16, 32, 64 (the most a lab allows) and, beyond the limit, 128 and 256 (the limit is
lifted for this measurement only). For each phase it prints milliseconds, the ratio to 8 hosts,
and that ratio divided by N/8: about 1 when the phase is linear, growing with N when it is not.
Last, the largest lab the limits allow: 64 hosts with 4 NICs each, 256 cables. Timings are
printed, never asserted.

In its first seconds each NIC sends about six IPv6 multicast frames (MLD reports, DAD, a
router solicitation), and with no multicast querier on the LAN a Linux bridge floods them to
every other port, as the sim's does: N x 6 x N copies, each counted on the port and on the NIC
at its far end. The sim carries a copy only where the far end acts on it (a router, a bond
slave, a bridge port); the rest go into the bridge's flood tally, which both ends' counters
settle when read (labkit/engines/sim/bridge.py), so a flood costs O(1) plus its acting
receivers. The fdb, the bridge's port numbers and each namespace's device names are indexed
(they were scans: quadratic in the ports). Build cost per host should stay within ~1.2x of
the 8-host figure up to 256 hosts; the last line says how far it is.

    .venv/bin/python bench/bench_topology.py [--runs N] [--sizes 8,16,32,64,128,256]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import labkit.model.topology as topology_module
from labkit import Lab
from labkit.model import schema
from labkit.model.topology import Topology

BASE = 8


def document(hosts: int, nics: int = 1) -> dict[str, Any]:
    """A topology of `hosts` hosts h0..hN-1 with `nics` NICs each, all on one switch."""
    out = []
    for i in range(hosts):
        cards = []
        for j in range(nics):
            k = i * nics + j + 1
            hi, lo = divmod(k, 256)
            cards.append({"name": f"eth{j}", "mac": f"02:00:00:01:{hi:02x}:{lo:02x}",
                          "port": f"p{k}", "port_mac": f"02:00:00:02:{hi:02x}:{lo:02x}",
                          "addresses": [f"10.0.{k // 250}.{k % 250 + 1}/16"]})
        out.append({"name": f"h{i}", "nics": cards})
    return {"name": f"flat{hosts}x{nics}", "switch": {"mac": "02:00:00:00:00:ff"},
            "hosts": out}


@contextlib.contextmanager
def limits_lifted() -> Iterator[None]:
    """The lab's host and cable limits lifted (this benchmark only: no lab may be so big)."""
    saved = schema.MAX_HOSTS, schema.MAX_CABLES
    try:
        schema.MAX_HOSTS = topology_module.MAX_HOSTS = 10**6
        schema.MAX_CABLES = topology_module.MAX_CABLES = 10**6
        yield
    finally:
        schema.MAX_HOSTS = topology_module.MAX_HOSTS = saved[0]
        schema.MAX_CABLES = topology_module.MAX_CABLES = saved[1]


def lifted(doc: dict[str, Any]) -> Topology:
    """The topology of `doc`, however big."""
    with limits_lifted():
        return Topology.from_dict(doc)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def measure(hosts: int, runs: int, nics: int = 1) -> dict[str, float]:
    """Median milliseconds of each phase for a lab of `hosts` hosts with `nics` NICs each."""
    doc = document(hosts, nics)
    samples: dict[str, list[float]] = {"validate": [], "build": [], "first sh": []}
    for _ in range(runs):
        gc.collect()  # the garbage of the run before is not this run's cost
        ms, topo = timed(lambda: lifted(doc))
        samples["validate"].append(ms)
        with limits_lifted():  # Lab checks the Topology it is given again
            lab = Lab(topo, engine="sim", networkmanager=False)
        ms, _ = timed(lab.start)
        samples["build"].append(ms)
        ms, result = timed(lambda lab=lab: lab.sh("ip -br a", host="h0"))
        samples["first sh"].append(ms)
        assert result.returncode == 0, result.output
        lab.close()
    return {phase: statistics.median(values) for phase, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="8,16,32,64,128,256")
    args = parser.parse_args()
    sizes = sorted({BASE, *(int(s) for s in args.sizes.split(","))})
    measure(BASE, 1)  # warm-up: imports, caches
    results = {n: measure(n, args.runs) for n in sizes}
    base = results[BASE]
    print(f"sim, {args.runs} runs each, medians; ratio = time / time at {BASE} hosts; "
          f"per host = ratio / (hosts / {BASE}) (about 1: linear)")
    print(f"{'hosts':>6} {'phase':>9} {'ms':>10} {'ratio':>8} {'per host':>9}")
    for n in sizes:
        for phase, ms in results[n].items():
            ratio = ms / base[phase] if base[phase] else float("nan")
            note = "  (beyond the lab's limit)" if n > schema.MAX_HOSTS else ""
            print(f"{n:>6} {phase:>9} {ms:>10.2f} {ratio:>8.2f} {ratio / (n / BASE):>9.2f}"
                  f"{note}")
    top = sizes[-1]
    per_host = results[top]["build"] / base["build"] / (top / BASE)
    print(f"build cost per host at {top} hosts / at {BASE}: {per_host:.2f} "
          f"(linear: about 1; target: within ~1.2)")
    hosts, nics = schema.MAX_HOSTS, schema.MAX_CABLES // schema.MAX_HOSTS
    largest = measure(hosts, args.runs, nics)
    print(f"the largest lab the limits allow ({hosts} hosts x {nics} NICs = "
          f"{hosts * nics} cables): " + ", ".join(f"{phase} {ms:.1f} ms"
                                                  for phase, ms in largest.items()))


if __name__ == "__main__":
    main()
