"""State snapshots: what the kernel of one lab host holds at one instant, as typed values.

Fields follow the kernel's netlink attributes (IFLA_*, IFA_*, RTA_*, NDA_*), so the netns engine
fills them from pyroute2 messages and the sim from its own state, and every view renders them
the way iproute2 renders netlink. A snapshot never changes after it is taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit.model.flavours import RECORDED_KERNEL


@dataclass(frozen=True)
class LinkStats:
    """The interface counters (struct rtnl_link_stats64 subset ip and ifconfig print)."""

    rx_packets: int = 0
    rx_bytes: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    rx_over_errors: int = 0
    rx_frame_errors: int = 0
    rx_missed: int = 0
    multicast: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0
    tx_carrier_errors: int = 0
    collisions: int = 0


@dataclass(frozen=True)
class BondInfo:
    """A bond's IFLA_BOND_* attributes plus what /proc/net/bonding adds (carrier, slave order).

    Delays are in milliseconds as the kernel reports them. Enumerations are the kernel's option
    value names (`mode` is 'active-backup', not 1).
    """

    mode: str
    active_slave: str | None
    miimon: int
    updelay: int
    downdelay: int
    peer_notify_delay: int
    use_carrier: int
    arp_interval: int
    arp_missed_max: int
    arp_ip_target: tuple[str, ...]
    ns_ip6_target: tuple[str, ...]
    arp_validate: str
    arp_all_targets: str
    primary: str | None
    primary_reselect: str
    fail_over_mac: str
    xmit_hash_policy: str
    resend_igmp: int
    num_peer_notif: int
    all_slaves_active: int
    min_links: int
    lp_interval: int
    packets_per_slave: int
    ad_lacp_active: str
    ad_lacp_rate: str
    ad_select: str
    tlb_dynamic_lb: int
    ad_actor_sys_prio: int = 65535
    ad_user_port_key: int = 0
    ad_actor_system: str = "00:00:00:00:00:00"
    ad_info: tuple[tuple[str, str], ...] = ()
    carrier: bool = False
    slaves: tuple[str, ...] = ()
    primary_name: str | None = None  # the configured primary, even before that slave exists
    ad_proc_lines: tuple[str, ...] = ()  # 802.3ad: System priority ... Active Aggregator lines
    ad_sysfs: tuple[tuple[str, str], ...] = ()  # 802.3ad: ad_aggregator, ad_num_ports, ...


@dataclass(frozen=True)
class BondSlaveInfo:
    """A bond port's IFLA_BOND_SLAVE_* attributes plus the speed and duplex /proc shows."""

    state: str  # ACTIVE | BACKUP
    mii_status: str  # UP | GOING_DOWN | DOWN | GOING_BACK
    link_failure_count: int
    perm_hwaddr: str
    queue_id: int = 0
    prio: int = 0
    speed: int | None = None  # Mbps, None when unknown
    duplex: str | None = None  # full | half | None
    ad_aggregator_id: int | None = None
    ad_proc_lines: tuple[str, ...] = ()  # 802.3ad: Aggregator ID ... details partner lacp pdu
    ad_sysfs: tuple[tuple[str, str], ...] = ()  # 802.3ad: ad_aggregator_id, port states
    ip_details: tuple[tuple[str, str], ...] = ()  # 802.3ad: extra ip -d bond_slave attributes


@dataclass(frozen=True)
class Link:
    """One network interface as RTM_NEWLINK describes it."""

    ifindex: int
    name: str
    kind: str | None  # veth, bridge, bond, None for loopback / physical
    flags: tuple[str, ...]  # IFF_* names as iproute2 spells them, in its order
    mtu: int
    qdisc: str
    operstate: str  # UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ...
    link_type: str  # ether | loopback
    address: str
    broadcast: str
    txqlen: int = 1000
    linkmode: str = "DEFAULT"
    group: str = "default"
    master: str | None = None
    link_index: int | None = None  # IFLA_LINK: the peer's ifindex (veth)
    link_netns: str | None = None  # the peer's namespace name, when it is elsewhere
    promiscuity: int = 0
    allmulti: int = 0
    min_mtu: int = 68
    max_mtu: int = 65535
    addrgenmode: str | None = "eui64"
    addr_assign_type: int = 0  # NET_ADDR_PERM 0, RANDOM 1, STOLEN 2, SET 3
    num_tx_queues: int = 1
    num_rx_queues: int = 1
    gso_max_size: int = 65536
    gso_max_segs: int = 65535
    tso_max_size: int = 524280
    tso_max_segs: int = 65535
    gro_max_size: int = 65536
    stats: LinkStats = field(default_factory=LinkStats)
    bond: BondInfo | None = None
    bond_slave: BondSlaveInfo | None = None
    kind_details: tuple[tuple[str, str], ...] = ()  # bridge / veth specifics, in ip -d order
    slave_kind: str | None = None  # bond | bridge: which slave block ip -d prints
    slave_details: tuple[tuple[str, str], ...] = ()  # bridge_slave specifics, in ip -d order

    @property
    def is_up(self) -> bool:
        """Administratively up (IFF_UP)."""
        return "UP" in self.flags

    @property
    def has_carrier(self) -> bool:
        """The lower layer is up (IFF_LOWER_UP)."""
        return "LOWER_UP" in self.flags


@dataclass(frozen=True)
class Address:
    """One IPv4 or IPv6 address (RTM_NEWADDR)."""

    ifindex: int
    dev: str
    family: int  # 4 or 6
    local: str
    prefixlen: int
    scope: str  # host, link, global
    broadcast: str | None = None
    flags: tuple[str, ...] = ()  # secondary, tentative, noprefixroute, dynamic, mngtmpaddr ...
    label: str | None = None
    valid_lft: int | None = None  # seconds, None = forever
    preferred_lft: int | None = None

    @property
    def cidr(self) -> str:
        """`local/prefixlen`, the form `ip addr add`/`del` and NetworkManager's profiles use."""
        return f"{self.local}/{self.prefixlen}"


@dataclass(frozen=True)
class Route:
    """One route of the main (or local) table (RTM_NEWROUTE)."""

    family: int
    dst: str  # "default" or "a.b.c.d/len"
    dev: str | None
    gateway: str | None = None
    proto: str = "boot"
    scope: str = "global"
    prefsrc: str | None = None
    metric: int | None = None
    table: str = "main"
    type: str = "unicast"
    flags: tuple[str, ...] = ()  # linkdown, onlink


@dataclass(frozen=True)
class Neighbour:
    """One neighbour-table entry (ARP for IPv4)."""

    dst: str
    dev: str
    lladdr: str | None
    state: str  # REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NOARP
    family: int = 4


@dataclass(frozen=True)
class FdbEntry:
    """One forwarding-database entry, as `bridge fdb show` lists it."""

    mac: str
    dev: str
    master: str | None = None  # "br0" for the bridge's own entries, None for the port's own list
    vlan: int | None = None
    flags: tuple[str, ...] = ()  # self, permanent, static ...


@dataclass(frozen=True)
class HostSnapshot:
    """Everything the views need about one host at one instant."""

    host: str
    time: float
    links: tuple[Link, ...]
    addresses: tuple[Address, ...] = ()
    routes: tuple[Route, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    fdb: tuple[FdbEntry, ...] = ()
    kernel_release: str = RECORDED_KERNEL
    bonding_version: str = ""  # the procfs version line's tail; "v<release>" when empty

    def link(self, name: str) -> Link:
        """The link called `name`; KeyError if the host has none."""
        for link in self.links:
            if link.name == name:
                return link
        raise KeyError(name)

    def find_link(self, name: str) -> Link | None:
        """The link called `name`, or None."""
        return next((link for link in self.links if link.name == name), None)

    def link_by_index(self, ifindex: int) -> Link | None:
        """The link with `ifindex`, or None."""
        for link in self.links:
            if link.ifindex == ifindex:
                return link
        return None

    def addresses_of(self, name: str, family: int | None = None) -> tuple[Address, ...]:
        """The addresses of interface `name`, optionally of one family, in kernel order."""
        return tuple(a for a in self.addresses
                     if a.dev == name and (family is None or a.family == family))
