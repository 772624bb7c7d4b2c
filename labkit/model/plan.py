"""The build plan: a topology turned into an ordered list of engine-neutral steps.

Every engine executes the same steps in the same order, so the kernel hands out the same
ifindex numbers everywhere (the sim allocates them as the kernel does). `as_ip_commands`
renders the plan as iproute2 command lines: the recorder builds the real kernel's lab from
them, and the `ip -batch` baseline of the benchmarks runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.model.flavours import Flavour
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
class LeaveIPv6Groups:
    """A switch device leaves the IPv6 all-nodes group it joined though IPv6 is disabled.

    Linux 6.1 gives every new device an inet6_dev, and with it the all-nodes group ff02::1
    (33:33:00:00:00:01 in its multicast list: a `self permanent` line in `bridge fdb show`),
    disable_ipv6 or not. Only addrconf_ifdown of a device that IPv6 had made ready (IF_READY)
    drops it (ipv6_mc_down). So, once the device is link-ready: addrgenmode none (no
    link-local, so no DAD, no solicitation), IPv6 on (the device becomes ready), IPv6 off (the
    group goes), addrgenmode eui64 again (what `ip -d link` shows). Nothing leaves the device:
    ff02::1 is never reported. A bridge also has its snooping's ff02::6a, which would be
    reported while IPv6 is on: its snooping is off meanwhile, and rejoins with IPv6 off (the
    report is dropped; 33:33:00:00:00:6a stays, as after any `ip link set br0 down/up`).
    A device without carrier cannot become ready and would keep its group: the plan takes
    this step only for devices that have carrier by then (the engines wait for operstate up).
    """

    host: str
    dev: str
    bridge: bool = False


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
    physical: bool = False  # the host sees a plain Ethernet NIC (e1000), not a veth


@dataclass(frozen=True)
class AddLibvirtNetwork:
    """libvirt's default network: a bridge with its address, and its tap NIC enslaved, down."""

    host: str
    bridge: str = "virbr0"
    tap: str = "virbr0-nic"
    mac: str = "52:54:00:b1:f3:35"
    cidr: str = "192.168.122.1/24"


@dataclass(frozen=True)
class UseIfindexes:
    """History: links made and removed before the lab starts (their ifindexes are used)."""

    host: str
    count: int


@dataclass(frozen=True)
class AdvertisePrefix:
    """The host routes IPv6: router advertisements of `prefix` on `dev` (radvd)."""

    host: str
    dev: str
    prefix: str


@dataclass(frozen=True)
class LinkUp:
    """Set a device administratively up."""

    host: str
    dev: str


@dataclass(frozen=True)
class LinkDown:
    """Set a device administratively down."""

    host: str
    dev: str


@dataclass(frozen=True)
class SetDeviceIPv6:
    """One device's disable_ipv6 sysctl (a write to /proc/sys/net/ipv6/conf/DEV/)."""

    host: str
    dev: str
    disabled: bool


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


Step = (AddHost | DisableIPv6 | AddBridge | AddCable | LinkUp | LinkDown | SetDeviceIPv6
        | AddAddress | AddRoute | AddLibvirtNetwork | UseIfindexes | AdvertisePrefix
        | LeaveIPv6Groups)


def cable_steps(topo: Topology, host: Host, nic: Nic, up: bool = True,
                physical: bool = False) -> list[Step]:
    """The steps that plug one NIC in: the cable, the NIC up, and the switch's port, which has
    carrier then, out of the IPv6 group it joined (plan.LeaveIPv6Groups).

    A NIC that NetworkManager will bring up (`up` False) must be found down, as on a server
    that has just booted; its port can leave the group only with carrier, so the NIC is up
    for that moment with its own IPv6 off (no link-local, no DAD, no router solicitation:
    nothing reaches the switch, whose table learns nothing), then down again with IPv6 as
    the kernel made it. What remains of that moment is what a booted server's NICs show too:
    an opened device's qdisc, and carrier changes in sysfs."""
    sw = topo.switch
    steps: list[Step] = [AddCable(host=host.name, nic=nic.name, mac=nic.mac, switch=sw.name,
                                  port=nic.port, port_mac=nic.port_mac, bridge=sw.bridge,
                                  physical=physical)]
    leave = LeaveIPv6Groups(sw.name, nic.port)
    if up:
        steps += [LinkUp(host.name, nic.name), leave]
    else:
        steps += [SetDeviceIPv6(host.name, nic.name, disabled=True), LinkUp(host.name, nic.name),
                  leave, LinkDown(host.name, nic.name),
                  SetDeviceIPv6(host.name, nic.name, disabled=False)]
    return steps


def build_plan(topo: Topology, nm_hosts: frozenset[str] = frozenset(),
               flavour: Flavour | None = None) -> list[Step]:
    """Every step that builds `topo`, in the order all engines follow.

    Hosts in `nm_hosts` run NetworkManager: their NICs are cabled but left down and
    unaddressed, for NetworkManager to bring up from its profiles, as on a real server. The
    flavour shapes those hosts (NIC model, libvirt's network, earlier history) and may make
    their default gateway an IPv6 router.
    """
    sw = topo.switch
    steps: list[Step] = [AddHost(sw.name, is_switch=True), DisableIPv6(sw.name),
                         AddBridge(sw.name, sw.bridge, sw.mac, sw.ageing_time)]
    steps += [AddHost(h.name) for h in topo.hosts]
    routers: set[tuple[str, str]] = set()
    owners: dict[str, tuple[str, str]] | None = None  # address -> (host, NIC), made once
    for host in topo.hosts:
        steps.append(LinkUp(host.name, "lo"))
        managed = host.name in nm_hosts
        physical = managed and flavour is not None and flavour.nic_model == "e1000"
        for nic in host.nics:
            steps += cable_steps(topo, host, nic, up=not managed, physical=physical)
        if managed:
            if flavour is not None and flavour.libvirt:
                steps.append(AddLibvirtNetwork(host.name))
            if flavour is not None and flavour.used_ifindexes:
                steps.append(UseIfindexes(host.name, flavour.used_ifindexes))
            if flavour is not None and flavour.ipv6_prefix:
                owners = _address_owners(topo) if owners is None else owners
                routers |= {owners[r.via] for r in host.routes if r.via in owners}
            continue
        for nic in host.nics:
            steps += [AddAddress(host.name, nic.name, cidr) for cidr in nic.addresses]
        steps += [AddRoute(host.name, r.to, r.via) for r in host.routes]
    ports = [i for i, step in enumerate(steps) if isinstance(step, LeaveIPv6Groups)]
    if ports:  # br0 has carrier while one of its ports has
        bridge = LeaveIPv6Groups(sw.name, sw.bridge, bridge=True)
        if any(h.name not in nm_hosts and h.nics for h in topo.hosts):
            steps.append(bridge)  # a port keeps its carrier: once everything is made
        else:  # every NIC waits for NetworkManager: while the first is up for its port
            steps.insert(ports[0] + 1, bridge)
    if flavour is not None and flavour.ipv6_prefix:
        steps += [AdvertisePrefix(h, dev, flavour.ipv6_prefix) for h, dev in sorted(routers)]
    return steps


def _address_owners(topo: Topology) -> dict[str, tuple[str, str]]:
    """(host, NIC) of every IPv4 address of the lab, by the address as routes write it (one
    pass over the lab, so finding every managed host's gateway stays linear)."""
    import ipaddress

    return {str(ipaddress.IPv4Interface(cidr).ip): (other.name, nic.name)
            for other in topo.hosts for nic in other.nics for cidr in nic.addresses}


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
            case LinkDown():
                out.append(f"ip -n {ns} link set {step.dev} down")
            case SetDeviceIPv6():
                out.append(f"ip netns exec {ns} sysctl -qw "
                           f"net.ipv6.conf.{step.dev}.disable_ipv6={int(step.disabled)}")
            case AddAddress():
                out.append(f"ip -n {ns} addr add {step.cidr} dev {step.dev}")
            case AddRoute():
                out.append(f"ip -n {ns} route add {step.to} via {step.via}")
            case AddLibvirtNetwork():
                out += [f"ip -n {ns} link add {step.bridge} address {step.mac} type bridge",
                        f"ip -n {ns} tuntap add {step.tap} mode tap",
                        f"ip -n {ns} link set {step.tap} address {step.mac} master "
                        f"{step.bridge}",
                        f"ip -n {ns} addr add {step.cidr} brd + dev {step.bridge}",
                        f"ip -n {ns} link set {step.bridge} up"]
            case UseIfindexes():
                for _ in range(step.count):
                    out += [f"ip -n {ns} link add labkit-hist type bond",
                            f"ip -n {ns} link del labkit-hist"]
            case LeaveIPv6Groups():
                link = f"ip -n {ns} link set {step.dev}"
                sysctl = f"ip netns exec {ns} sysctl -qw net.ipv6.conf.{step.dev}.disable_ipv6"
                out.append(f"ip netns exec {ns} timeout 5 sh -c 'until grep -qx up "
                           f"/sys/class/net/{step.dev}/operstate; do sleep 0.05; done'")
                if step.bridge:
                    out.append(f"{link} type bridge mcast_snooping 0")
                out += [f"{link} addrgenmode none", f"{sysctl}=0", f"{sysctl}=1",
                        f"{link} addrgenmode eui64"]
                if step.bridge:
                    out.append(f"{link} type bridge mcast_snooping 1")
            case AdvertisePrefix():
                pass  # radvd's job: the recorder's flavour (nm142) has no IPv6 router
    return out
