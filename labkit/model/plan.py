"""The build plan: a topology turned into an ordered list of engine-neutral steps.

Every engine executes the same steps in the same order, so the kernel hands out the same
ifindex numbers everywhere (the sim allocates them as the kernel does). `as_ip_commands`
renders the plan as iproute2 command lines: the recorder builds the real kernel's lab from
them, and the `ip -batch` baseline of the benchmarks runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.model.topology import Host, Nic, Topology


def netns_name(lab_id: str, host: str) -> str:
    """The network namespace that holds `host` of lab `lab_id` (the lab's prefix first)."""
    return f"{lab_id}-{host}"


@dataclass(frozen=True)
class AddHost:
    """Create the host's network namespace (its loopback comes with it, ifindex 1)."""

    host: str
    is_switch: bool = False


@dataclass(frozen=True)
class DisableIPv6:
    """The switch has no IPv6 of its own: sysctl disable_ipv6 for all and default."""

    host: str


@dataclass(frozen=True)
class AddBridge:
    """Create the switch's bridge with a fixed MAC, STP off, and bring it up."""

    host: str
    name: str
    mac: str
    ageing_time: int


@dataclass(frozen=True)
class AddCable:
    """A veth pair: `nic` in `host`, its peer `port` in the switch, enslaved to the bridge, up."""

    host: str
    nic: str
    mac: str
    switch: str
    port: str
    port_mac: str
    bridge: str


@dataclass(frozen=True)
class LinkUp:
    """Set a device administratively up."""

    host: str
    dev: str


@dataclass(frozen=True)
class AddAddress:
    """Add an IPv4 address with prefix to a device."""

    host: str
    dev: str
    cidr: str


@dataclass(frozen=True)
class AddRoute:
    """Add a static route (`to` is 'default' or a network) via a gateway."""

    host: str
    to: str
    via: str


Step = AddHost | DisableIPv6 | AddBridge | AddCable | LinkUp | AddAddress | AddRoute


def cable_steps(topo: Topology, host: Host, nic: Nic, up: bool = True) -> list[Step]:
    """The steps that plug one NIC in: the cable, then (unless `up` is False) the NIC up."""
    sw = topo.switch
    steps: list[Step] = [AddCable(host=host.name, nic=nic.name, mac=nic.mac, switch=sw.name,
                                  port=nic.port, port_mac=nic.port_mac, bridge=sw.bridge)]
    if up:
        steps.append(LinkUp(host=host.name, dev=nic.name))
    return steps


def build_plan(topo: Topology, nm_hosts: frozenset[str] = frozenset()) -> list[Step]:
    """Every step that builds `topo`, in the order all engines follow.

    Hosts in `nm_hosts` run NetworkManager: their NICs are cabled but left down and
    unaddressed, for NetworkManager to bring up from its profiles, as on a real server.
    """
    sw = topo.switch
    steps: list[Step] = [AddHost(sw.name, is_switch=True), DisableIPv6(sw.name),
                         AddBridge(sw.name, sw.bridge, sw.mac, sw.ageing_time)]
    steps += [AddHost(h.name) for h in topo.hosts]
    for host in topo.hosts:
        steps.append(LinkUp(host.name, "lo"))
        managed = host.name in nm_hosts
        for nic in host.nics:
            steps += cable_steps(topo, host, nic, up=not managed)
        if managed:
            continue
        for nic in host.nics:
            steps += [AddAddress(host.name, nic.name, cidr) for cidr in nic.addresses]
        steps += [AddRoute(host.name, r.to, r.via) for r in host.routes]
    return steps


def as_ip_commands(steps: list[Step], lab_id: str) -> list[str]:
    """The plan as shell command lines of iproute2 (and sysctl), run from the root namespace."""
    out: list[str] = []
    for step in steps:
        ns = netns_name(lab_id, step.host)
        match step:
            case AddHost():
                out.append(f"ip netns add {ns}")
            case DisableIPv6():
                out += [f"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                        f"ip netns exec {ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1"]
            case AddBridge():
                out += [f"ip -n {ns} link add {step.name} address {step.mac} type bridge "
                        f"stp_state 0 ageing_time {step.ageing_time * 100}",
                        f"ip -n {ns} link set {step.name} up"]
            case AddCable():
                sw_ns = netns_name(lab_id, step.switch)
                out += [f"ip -n {ns} link add {step.nic} address {step.mac} type veth "
                        f"peer name {step.port} address {step.port_mac} netns {sw_ns}",
                        f"ip -n {sw_ns} link set {step.port} master {step.bridge} up"]
            case LinkUp():
                out.append(f"ip -n {ns} link set {step.dev} up")
            case AddAddress():
                out.append(f"ip -n {ns} addr add {step.cidr} dev {step.dev}")
            case AddRoute():
                out.append(f"ip -n {ns} route add {step.to} via {step.via}")
    return out
