#!/usr/bin/env python3
"""Capture what the real net-tools `ifconfig` prints, for tests/test_ifconfig.py.

Run as root on a host with net-tools and iproute2 (Debian 12 ships net-tools 2.10):

    python3 tests/data/ifconfig/capture.py tests/data/ifconfig/cases.json

Every scene builds its own scratch network namespaces (names start with `lkt-`), the server of
the centos7-bond lab with the lab's MACs (or a bare namespace), runs `ifconfig` inside them with
LC_ALL=C and removes what it made, also on failure. Next to each output it stores the
namespace's state as `ip -j -s -s addr show` printed it just before and just after ifconfig ran
(retrying until both agree), so a test can rebuild the same state as a snapshot and compare.
The test module imports this file to run the same scenes live.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ENV = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

# The server of the centos7-bond lab: three veths cabled to a bridge in a switch namespace.
LAB = (
    "ip link add ens33 address 00:0c:29:89:51:ca netns {srv} type veth"
    " peer name sw33 address 02:00:00:00:00:33 netns {sw}",
    "ip link add ens37 address 00:0c:29:89:51:d4 netns {srv} type veth"
    " peer name sw37 address 02:00:00:00:00:37 netns {sw}",
    "ip link add ens38 address 00:0c:29:89:51:de netns {srv} type veth"
    " peer name sw38 address 02:00:00:00:00:38 netns {sw}",
    "ip -n {sw} link add br0 address 02:00:00:00:00:ff type bridge",
    "ip -n {sw} link set sw33 master br0 up",
    "ip -n {sw} link set sw37 master br0 up",
    "ip -n {sw} link set sw38 master br0 up",
    "ip -n {sw} link set br0 up",
    "ip -n {srv} link set lo up",
    "ip -n {srv} link set ens33 up",
    "ip -n {srv} link set ens37 up",
    "ip -n {srv} link set ens38 up",
    "ip -n {srv} addr add 192.168.1.60/24 dev ens33",
)


@dataclass(frozen=True)
class Scene:
    """A state to look at: the lab (or a bare namespace) plus `extra` commands run inside it."""

    name: str
    extra: tuple[str, ...]
    views: tuple[tuple[str, ...], ...]
    lab: bool = True


@dataclass(frozen=True)
class Change:
    """One ifconfig command that changes (or fails to change) the lab's server."""

    name: str
    argv: tuple[str, ...]
    extra: tuple[str, ...] = ()


RICH = (
    "ip addr add 192.168.1.70/24 dev ens33",
    "ip addr add 10.0.0.5/8 brd + dev ens33 label ens33:1",
    "ip addr add 172.16.5.5/16 dev ens33 label ens33:12",
    "ip addr add 10.9.9.9/24 brd + dev ens37 label ens37:2",
    "ip addr add 192.168.7.1/24 brd + dev ens38 label ens38:0",
    "ip link set ens38 down",
    "ip -6 addr add 2001:db8::60/64 dev ens33 nodad",
    "ip -6 addr add fec0::60/64 dev ens33 nodad",
    "ip -6 addr add ::10.1.2.3/96 dev ens37 nodad",
    "ip link set ens37 mtu 9000",
    "ip link add virbr0 address 52:54:00:b1:f3:35 type bridge",
    "ip addr add 192.168.122.1/24 brd 192.168.122.255 dev virbr0",
    "ip link set virbr0 up",
    "ip tuntap add virbr0-nic mode tap",
    "ip link set virbr0-nic address 52:54:00:b1:f3:35",
)

NAMES = (
    "ip link add eth10 address 02:00:00:00:10:10 type veth peer name eth2"
    " address 02:00:00:00:10:02",
    "ip link add ens4 address 02:00:00:00:20:04 type veth peer name ens33"
    " address 02:00:00:00:20:33",
    "ip link add a1b address 02:00:00:00:30:0b type veth peer name a1 address 02:00:00:00:30:01",
    "ip link set eth10 up",
    "ip link set eth2 up arp off promisc on allmulticast on dynamic on trailers off",
    "ip link set ens4 multicast off txqueuelen 0 mtu 68 up",
    "ip addr add 10.1.1.1/24 dev eth10 label eth10:3",
    "ip addr add 10.1.2.1/24 dev eth10 label eth10:21",
    "ip addr add 10.1.3.1/24 dev eth10",
    "ip addr add 10.2.0.1/16 dev eth2",
)

SCENES = (
    Scene("lab", (), ((), ("-a",), ("ens37",), ("-s",))),
    Scene("lab_ens38_down", ("ip link set ens38 down",),
          ((), ("-a",), ("ens38",), ("-a", "-s"), ("-v", "-a"))),
    Scene("rich", RICH, ((), ("-a",), ("-s",), ("-a", "-s"), ("ens33",), ("ens33:1",),
                         ("ens33:12",), ("ens33:5",), ("ens38:0",), ("virbr0",), ("virbr0-nic",),
                         ("lo",), ("-s", "ens33:1"), ("-a", "ens38"), ("-s", "ens38"))),
    Scene("names_flags", NAMES, (("-a",), ("-a", "-s"), (), ("lo",)), lab=False),
    Scene("lo_gib", ("ip link set lo up", "ping -q -f -c 9000 -s 65000 127.0.0.1"),
          (("lo",), ("-s",)), lab=False),
    Scene("lo_mib", ("ip link set lo up", "ping -q -f -c 9 -s 65000 127.0.0.1"),
          (("lo",),), lab=False),
    Scene("lo_1024", ("ip link set lo up", "ping -q -c 1 -s 484 127.0.0.1"),
          (("lo",),), lab=False),
    Scene("lo_1026", ("ip link set lo up", "ping -q -c 1 -s 485 127.0.0.1"),
          (("lo",),), lab=False),
)

ALIAS1 = ("ip addr add 10.0.0.5/8 brd + dev ens33 label ens33:1",)

CHANGES = (
    Change("down", ("ens37", "down")),
    Change("up", ("ens38", "up"), ("ip link set ens38 down",)),
    Change("up_already", ("ens33", "up")),
    Change("down_up", ("ens37", "down", "up")),
    Change("addr_classful_a", ("ens37", "10.0.0.1")),
    Change("addr_classful_b_brings_up", ("ens38", "172.16.1.2"), ("ip link set ens38 down",)),
    Change("addr_classful_c", ("ens37", "192.168.5.7")),
    Change("addr_netmask_broadcast", ("ens37", "192.168.5.7", "netmask", "255.255.255.128",
                                      "broadcast", "192.168.5.127")),
    Change("addr_netmask", ("ens37", "10.3.0.7", "netmask", "255.255.0.0")),
    Change("addr_cidr", ("ens37", "10.3.0.7/20")),
    Change("addr_cidr_33", ("ens37", "10.0.0.1/33")),
    Change("addr_cidr_bad", ("ens37", "10.0.0.1/abc")),
    Change("addr_inet_af", ("ens37", "inet", "10.0.0.2")),
    Change("addr_replace", ("ens33", "192.168.1.61")),
    Change("addr_same", ("ens33", "192.168.1.60")),
    Change("addr_replace_with_secondary", ("ens33", "10.1.1.1"),
           ("ip addr add 192.168.1.70/24 dev ens33",)),
    Change("addr_zero", ("ens33", "0.0.0.0")),
    Change("addr_multicast", ("ens37", "224.0.0.1")),
    Change("addr_localhost", ("ens37", "localhost")),
    Change("addr_bad_number", ("ens37", "300.1.1.1")),
    Change("addr_bad_name", ("ens37", "foo")),
    Change("netmask", ("ens33", "netmask", "255.255.0.0")),
    Change("netmask_bad", ("ens33", "netmask", "255.0.255.0")),
    Change("netmask_no_address", ("ens37", "netmask", "255.255.255.0")),
    Change("netmask_missing", ("ens33", "netmask")),
    Change("broadcast", ("ens33", "broadcast", "192.168.1.255")),
    Change("broadcast_no_address", ("ens37", "broadcast", "1.2.3.4")),
    Change("alias_add", ("ens33:1", "10.0.0.5")),
    Change("alias_add_netmask", ("ens33:1", "10.0.0.5", "netmask", "255.255.255.0")),
    Change("alias_down", ("ens33:1", "down"), ALIAS1),
    Change("alias_zero", ("ens33:1", "0"), ALIAS1),
    Change("alias_missing_down", ("ens33:7", "down")),
    Change("mtu", ("ens37", "mtu", "9000")),
    Change("mtu_too_big", ("ens37", "mtu", "99999")),
    Change("mtu_too_small", ("ens37", "mtu", "10")),
    Change("mtu_not_number", ("ens37", "mtu", "abc")),
    Change("mtu_missing", ("ens37", "mtu")),
    Change("mtu_then_down", ("ens37", "mtu", "1400", "down")),
    Change("no_device_show", ("ens99",)),
    Change("no_device_up", ("ens99", "up")),
    Change("no_device_down", ("ens99", "down")),
    Change("no_device_addr", ("ens99", "10.0.0.1")),
    Change("no_device_mtu", ("ens99", "mtu", "1400")),
    Change("no_device_netmask", ("ens99", "netmask", "255.0.0.0")),
    Change("verbose_error", ("-v", "ens37", "mtu", "99999")),
    Change("bad_option", ("-x",)),
    Change("help", ("--help",)),
    Change("help_h", ("-h",)),
    Change("version", ("-V",)),
    Change("hw_ether", ("ens37", "hw", "ether", "00:11:22:33:44:55")),
    Change("hw_ether_bad", ("ens37", "hw", "ether", "zz")),
    Change("hw_unknown_type", ("ens37", "hw", "foo", "1")),
    Change("add_alias", ("ens33", "add", "10.0.0.9")),
    Change("del_alias", ("ens33", "del", "10.0.0.9"),
           ("ip addr add 10.0.0.9/24 brd 192.168.1.255 dev ens33 label ens33:0",)),
    Change("addr_cidr_32", ("ens37", "10.0.0.1/32")),
    Change("addr_cidr_hex", ("ens37", "10.0.0.1/0x10")),
    Change("addr_cidr_empty", ("ens37", "10.0.0.1/")),
    Change("addr_ipv6_literal", ("ens37", "2001:db8::1")),
    Change("addr_short_form", ("ens37", "10.1")),
    Change("addr_network_name", ("ens37", "link-local")),
    Change("addr_default", ("ens37", "default")),
    Change("addr_then_netmask_missing", ("ens37", "10.0.0.1", "netmask")),
    Change("netmask_twice", ("ens37", "10.0.0.1", "netmask", "255.0.0.0", "netmask",
                             "255.0.0.0")),
    Change("cidr_and_netmask", ("ens37", "10.0.0.1/24", "netmask", "255.0.0.0")),
    Change("netmask_then_cidr", ("ens37", "netmask", "255.0.0.0", "10.0.0.1/24")),
    Change("netmask_bad_name", ("ens33", "netmask", "foo")),
    Change("broadcast_bad_name", ("ens33", "broadcast", "300.1.1.1")),
    Change("combo", ("ens38", "up", "mtu", "1400", "10.0.0.1", "netmask", "255.255.255.0"),
           ("ip link set ens38 down",)),
    Change("add_missing_device", ("ens99", "add", "10.0.0.9")),
    Change("del_missing_alias", ("ens33", "del", "10.0.0.99")),
    Change("del_primary", ("ens33", "del", "192.168.1.60")),
    Change("add_existing_alias", ("ens33", "add", "10.0.0.5"), ALIAS1),
    Change("add_cidr", ("ens33", "add", "10.0.0.9/24")),
    Change("add_missing_arg", ("ens33", "add")),
    Change("alias_up", ("ens33:1", "up"), ALIAS1),
    Change("alias_netmask", ("ens33:1", "netmask", "255.255.0.0"), ALIAS1),
    Change("arp_unchanged", ("ens37", "arp")),
    Change("multicast_unchanged", ("ens37", "multicast")),
    Change("minus_promisc_unchanged", ("ens37", "-promisc")),
    Change("minus_broadcast", ("ens37", "-broadcast")),
    Change("minus_pointopoint", ("ens37", "-pointopoint")),
    Change("pointopoint_no_address", ("ens37", "pointopoint")),
    Change("dstaddr_no_address", ("ens37", "dstaddr", "1.2.3.4")),
    Change("dstaddr_same", ("ens33", "dstaddr", "192.168.1.60")),
    Change("txqueuelen_same", ("ens37", "txqueuelen", "1000")),
    Change("txqueuelen_negative", ("ens37", "txqueuelen", "-1")),
    Change("mem_start", ("ens37", "mem_start", "0x1000")),
    Change("io_addr", ("ens37", "io_addr", "0x300")),
    Change("irq", ("ens37", "irq", "5")),
    Change("irq_no_device", ("ens99", "irq", "5")),
    Change("media", ("ens37", "media", "10baseT")),
    Change("media_unknown", ("ens37", "media", "foo")),
    Change("keepalive", ("ens37", "keepalive", "5")),
    Change("outfill", ("ens37", "outfill", "5")),
    Change("name_down", ("ens38", "name", "eth9"), ("ip link set ens38 down",)),
    Change("name_invalid_down", ("ens38", "name", "a/b"), ("ip link set ens38 down",)),
    Change("name_taken_down", ("ens38", "name", "ens37"), ("ip link set ens38 down",)),
    Change("hw_ether_multicast", ("ens37", "hw", "ether", "01:00:5e:00:00:01")),
    Change("hw_loop", ("ens37", "hw", "loop", "x")),
    Change("hw_missing", ("ens37", "hw", "ether")),
    Change("promisc", ("ens37", "promisc")),
    Change("txqueuelen", ("ens37", "txqueuelen", "500")),
    Change("inet6_add", ("ens37", "add", "2001:db8::1/64")),
    Change("long_name", ("abcdefghijklmnopqrstuvwxyz",)),
)


def sh(cmd: str | list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(cmd) if isinstance(cmd, str) else cmd
    return subprocess.run(argv, env=ENV, capture_output=True, text=True, check=check)


@contextmanager
def namespaces(lab: bool, extra: tuple[str, ...], tag: str) -> Iterator[str]:
    """Build the scratch namespaces; yields the server's name; always deletes them."""
    srv, sw = f"lkt-{tag}-s", f"lkt-{tag}-w"
    made: list[str] = []
    try:
        for ns in (srv, sw) if lab else (srv,):
            sh(f"ip netns add {ns}")
            made.append(ns)
        if lab:
            for cmd in LAB:
                sh(cmd.format(srv=srv, sw=sw))
        for cmd in extra:
            sh(["ip", "netns", "exec", srv, *shlex.split(cmd)])
        settle(srv)
        yield srv
    finally:
        for ns in made:
            sh(f"ip netns del {ns}", check=False)


def settle(srv: str, timeout: float = 5.0) -> None:
    """Wait for linkwatch: until every up link's RUNNING agrees with its carrier (LOWER_UP).

    A veth gets its carrier at once but RUNNING (operstate) and its IPv6 link-local address
    only when linkwatch runs, up to a second later; the lab is looked at once that is done.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        links = json.loads(sh(["ip", "-n", srv, "-j", "link", "show"]).stdout)
        if all(("NO-CARRIER" in link["flags"]) == ("LOWER_UP" not in link["flags"])
               for link in links if "UP" in link["flags"]):
            return
        time.sleep(0.05)
    raise RuntimeError(f"links of {srv} never settled")


def ifconfig(srv: str, argv: tuple[str, ...]) -> dict[str, object]:
    res = sh(["ip", "netns", "exec", srv, "ifconfig", *argv], check=False)
    return {"argv": list(argv), "rc": res.returncode, "stdout": res.stdout, "stderr": res.stderr}


LINK_KEYS = ("ifindex", "ifname", "flags", "mtu", "qdisc", "operstate", "link_type", "address",
             "broadcast", "txqlen", "stats64")
ADDR_DROP = ("valid_life_time", "preferred_life_time")


def state(srv: str) -> list[dict[str, object]]:
    """`ip -j -s -s addr show` of the namespace, without what ifconfig never shows."""
    links = json.loads(sh(["ip", "-n", srv, "-j", "-s", "-s", "addr", "show"]).stdout)
    return [{**{k: link[k] for k in LINK_KEYS if k in link},
             "addr_info": [{k: v for k, v in a.items() if k not in ADDR_DROP}
                           for a in link.get("addr_info", [])]}
            for link in links]


def look(srv: str, argv: tuple[str, ...], tries: int = 60) -> dict[str, object]:
    """ifconfig with the state just before and after; retried until nothing moved between."""
    for _ in range(tries):
        before = state(srv)
        run = ifconfig(srv, argv)
        if state(srv) == before:
            return {**run, "state": before}
        time.sleep(0.25)
    raise RuntimeError(f"state of {srv} never settled around ifconfig {argv}")


def capture_scene(scene: Scene, tag: str) -> dict[str, object]:
    with namespaces(scene.lab, scene.extra, tag) as srv:
        return {"name": scene.name, "lab": scene.lab, "extra": list(scene.extra),
                "runs": [look(srv, argv) for argv in scene.views]}


def capture_change(change: Change, tag: str) -> dict[str, object]:
    with namespaces(True, change.extra, tag) as srv:
        run = ifconfig(srv, change.argv)
        settle(srv)
        after = ifconfig(srv, ("-a",))
        return {"name": change.name, "extra": list(change.extra), **run,
                "after_ifconfig_a": after["stdout"]}


def main(out: str) -> None:
    if os.geteuid() != 0:
        sys.exit("run me as root")
    tag = f"c{os.getpid()}"
    data = {
        "tool": sh("ifconfig -V", check=False).stdout.strip(),
        "iproute2": sh("ip -V").stdout.strip(),
        "kernel": platform.release(),
        "script": "tests/data/ifconfig/capture.py",
        "scenes": [capture_scene(s, tag) for s in SCENES],
        "changes": [capture_change(c, tag) for c in CHANGES],
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cases.json")
