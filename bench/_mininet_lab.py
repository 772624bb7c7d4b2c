"""Mininet side of bench/bench_build.py: builds and stops the default lab with Mininet.

Runs under Debian's /usr/bin/python3 (the `mininet` package installs there), never the venv.
bench_build.py starts it once and drives it over stdin, so Mininet's import and one-off set-up
are paid once, like labkit's:

    build    -> builds and starts the lab, answers `MNBENCH {"build_s": ...}`
    destroy  -> stops it, answers `MNBENCH {"destroy_s": ...}`
    check    -> answers `MNBENCH {"check": {...}}`: what the built lab looks like (for debugging)
    quit     -> exits

The lab is the one of labkit/model/presets/centos7-bond.yaml: a LinuxBridge switch in its own
network namespace (no Open vSwitch, no controller), hosts server (ens33/ens37/ens38),
outside and gw cabled to it by veth pairs with the preset's MACs, addresses and default
routes. Two differences Mininet imposes: the bridge is named after the switch node (`sw`, not
`br0`), because LinuxBridge enslaves the ports whose names contain the switch's name, and
Mininet's namespaces are unnamed (each held by a node's bash), so they never show in
`ip netns`.

Mininet.init() is skipped on purpose: it would raise host-wide sysctls (net.core.rmem_max,
neighbour-table thresholds, kernel.pty.max, ...) as a side effect (util.fixLimits); this lab of
four nodes does not need them, and the benchmark must leave the machine as it found it.
"""

from __future__ import annotations

import json
import signal
import sys
import time

from mininet.net import Mininet
from mininet.nodelib import LinuxBridge

SWITCH = "sw"
BRIDGE_MAC = "02:00:00:00:00:ff"
# host: (ip/prefix of its first NIC, default gateway or None, [(nic, mac, port, port_mac)])
HOSTS: dict[str, tuple[str, str | None, list[tuple[str, str, str, str]]]] = {
    "server": ("192.168.1.60/24", "192.168.1.1", [
        ("ens33", "00:0c:29:89:51:ca", "sw33", "02:00:00:00:00:33"),
        ("ens37", "00:0c:29:89:51:d4", "sw37", "02:00:00:00:00:37"),
        ("ens38", "00:0c:29:89:51:de", "sw38", "02:00:00:00:00:38"),
    ]),
    "outside": ("192.168.1.10/24", "192.168.1.1", [
        ("eth0", "00:0c:29:00:00:01", "swout", "02:00:00:00:00:10"),
    ]),
    "gw": ("192.168.1.1/24", None, [
        ("eth0", "00:0c:29:00:00:fe", "swgw", "02:00:00:00:00:01"),
    ]),
}

Mininet.inited = True  # skip Mininet.init(): no host-wide sysctl changes (see the docstring)


def build() -> Mininet:
    """The lab, built and started."""
    net = Mininet(topo=None, switch=LinuxBridge, controller=None, build=False)
    sw = net.addSwitch(SWITCH, cls=LinuxBridge, inNamespace=True, dpid="1", stp=False)
    for name, (ip, via, nics) in HOSTS.items():
        params: dict[str, str] = {"ip": ip}
        if via:
            params["defaultRoute"] = f"via {via}"
        host = net.addHost(name, **params)
        for nic, mac, port, port_mac in nics:
            net.addLink(host, sw, intfName1=nic, intfName2=port, addr1=mac, addr2=port_mac)
    net.build()
    net.start()
    # what the preset has and Mininet does not do by itself
    sw.cmd(f"ip link set {SWITCH} address {BRIDGE_MAC}; "
           "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
    for intf in sw.intfList():
        if intf.name != "lo":
            intf.ifconfig("up")
    for name, (_ip, _via, nics) in HOSTS.items():
        for nic, *_ in nics[1:]:
            net[name].intf(nic).ifconfig("up")
    return net


def check(net: Mininet) -> dict[str, str]:
    """Each node's links, addresses and routes, as `ip -br` prints them."""
    return {node.name: node.cmd("ip -br link; ip -br addr; ip route; bridge link")
            for node in net.switches + net.hosts}


def reply(obj: object) -> None:
    sys.stdout.write("MNBENCH " + json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    # Ctrl-C reaches the whole process group: bench_build.py handles it and sends `quit`
    # (or closes stdin), and this process then stops whatever lab it has up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    net: Mininet | None = None
    try:
        for line in sys.stdin:
            what = line.strip()
            if what == "build":
                t = time.perf_counter()
                net = build()
                reply({"build_s": time.perf_counter() - t})
            elif what == "destroy" and net is not None:
                t = time.perf_counter()
                net.stop()
                reply({"destroy_s": time.perf_counter() - t})
                net = None
            elif what == "check" and net is not None:
                reply({"check": check(net)})
            elif what == "quit":
                break
            else:
                reply({"error": f"unexpected {what!r}"})
    finally:
        if net is not None:  # interrupted with a lab up: stop what this process created
            net.stop()


if __name__ == "__main__":
    main()
