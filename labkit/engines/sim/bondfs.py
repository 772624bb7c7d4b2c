"""/proc/net/bonding/<bond> and the bonding sysfs files, as Linux 6.1 prints them, from a snapshot.

The sim's pseudo-files (pseudofs.py) read them from here; the real engines read the kernel's.
Mirrors bond_procfs.c (bond_info_show_master / bond_info_show_slave) and bond_sysfs.c /
bond_sysfs_slave.c, including the blank line after the version line and the per-mode lines.
"""

from __future__ import annotations

from labkit.model.bonding import MODE_DESCRIPTIONS as _DESCRIPTIONS
from labkit.model.bonding import MODES, VALUE_NAMES
from labkit.model.snapshot import BondInfo, BondSlaveInfo, HostSnapshot, Link

MODE_DESCRIPTIONS = dict(zip(MODES, _DESCRIPTIONS, strict=True))
MODE_NUMBERS = {m: i for i, m in enumerate(MODES)}
ENUM_NUMBERS = VALUE_NAMES
MII_TEXT = {"UP": "up", "GOING_DOWN": "going down", "DOWN": "down", "GOING_BACK": "going back"}
BOND_SYSFS_FILES = (
    "active_slave", "ad_actor_key", "ad_actor_sys_prio", "ad_actor_system", "ad_aggregator",
    "ad_num_ports", "ad_partner_key", "ad_partner_mac", "ad_select", "ad_user_port_key",
    "all_slaves_active", "arp_all_targets", "arp_interval", "arp_ip_target", "arp_missed_max",
    "arp_validate", "downdelay", "fail_over_mac", "lacp_active", "lacp_rate", "lp_interval",
    "mii_status", "miimon", "min_links", "mode", "num_grat_arp", "num_unsol_na",
    "packets_per_slave", "peer_notif_delay", "primary", "primary_reselect", "queue_id",
    "resend_igmp", "slaves", "tlb_dynamic_lb", "updelay", "use_carrier", "xmit_hash_policy")
SLAVE_SYSFS_FILES = ("ad_actor_oper_port_state", "ad_aggregator_id", "ad_partner_oper_port_state",
                     "link_failure_count", "mii_status", "perm_hwaddr", "queue_id", "state")


def uses_primary(mode: str) -> bool:
    """Modes with an active slave: active-backup, balance-tlb, balance-alb."""
    return mode in ("active-backup", "balance-tlb", "balance-alb")


def uses_xmit_hash(bond: BondInfo) -> bool:
    """bond_mode_uses_xmit_hash: xor, 802.3ad, and tlb without dynamic load balancing."""
    return bond.mode in ("balance-xor", "802.3ad") or (
        bond.mode == "balance-tlb" and not bond.tlb_dynamic_lb)


def version_line(snap: HostSnapshot) -> str:
    """The driver's version line (the kernel release on 6.1, v3.7.1 on CentOS 7)."""
    tail = snap.bonding_version or f"v{snap.kernel_release}"
    return f"Ethernet Channel Bonding Driver: {tail}"


def proc_net_bonding(snap: HostSnapshot, bond_name: str) -> str:
    """The text of /proc/net/bonding/<bond_name>."""
    link = snap.link(bond_name)
    b = link.bond
    assert b is not None
    out = [version_line(snap), "", ""]
    mode_line = f"Bonding Mode: {MODE_DESCRIPTIONS[b.mode]}"
    if b.mode == "active-backup" and b.fail_over_mac != "none":
        mode_line += f" (fail_over_mac {b.fail_over_mac})"
    out[2] = mode_line
    if uses_xmit_hash(b):
        num = ENUM_NUMBERS["xmit_hash_policy"].index(b.xmit_hash_policy)
        out.append(f"Transmit Hash Policy: {b.xmit_hash_policy} ({num})")
    if uses_primary(b.mode):
        prim = f"Primary Slave: {b.primary or 'None'}"
        if b.primary:
            prim += f" (primary_reselect {b.primary_reselect})"
        out += [prim, f"Currently Active Slave: {b.active_slave or 'None'}"]
    legacy = snap.kernel_release.startswith("3.")  # CentOS 7's bond_procfs.c prints less
    out += [f"MII Status: {'up' if b.carrier else 'down'}",
            f"MII Polling Interval (ms): {b.miimon}",
            f"Up Delay (ms): {b.updelay}",
            f"Down Delay (ms): {b.downdelay}"]
    if not legacy:
        out.append(f"Peer Notification Delay (ms): {b.peer_notify_delay}")
    if b.arp_interval > 0:
        out.append(f"ARP Polling Interval (ms): {b.arp_interval}")
        if not legacy:
            out.append(f"ARP Missed Max: {b.arp_missed_max}")
        out.append("ARP IP target/s (n.n.n.n form):"
                   + ",".join(f" {t}" for t in b.arp_ip_target))
        if not legacy:
            out.append("NS IPv6 target/s (xx::xx form):"
                       + ",".join(f" {t}" for t in b.ns_ip6_target))
    if b.mode == "802.3ad":
        out += ["", "802.3ad info"]
        if not legacy:
            out.append(f"LACP active: {b.ad_lacp_active}")
        out += [f"LACP rate: {b.ad_lacp_rate}", f"Min links: {b.min_links}",
                f"Aggregator selection policy (ad_select): {b.ad_select}"]
        out += list(b.ad_proc_lines)
    for name in b.slaves:
        out += _slave_lines(snap.link(name), b)
    return "\n".join(out) + "\n"


def _slave_lines(link: Link, bond: BondInfo) -> list[str]:
    s = link.bond_slave
    assert s is not None
    lines = ["", f"Slave Interface: {link.name}", f"MII Status: {MII_TEXT[s.mii_status]}",
             f"Speed: {f'{s.speed} Mbps' if s.speed is not None else 'Unknown'}",
             f"Duplex: {s.duplex or 'Unknown'}",
             f"Link Failure Count: {s.link_failure_count}",
             f"Permanent HW addr: {s.perm_hwaddr}", f"Slave queue ID: {s.queue_id}"]
    if bond.mode == "802.3ad":
        lines += list(s.ad_proc_lines) or ["Aggregator ID: N/A"]
    return lines


def bonding_masters(snap: HostSnapshot) -> str:
    """/sys/class/net/bonding_masters: the bonds of this namespace, space separated."""
    names = [ln.name for ln in snap.links if ln.bond is not None]
    return " ".join(names) + "\n" if names else ""


def sysfs_bonding(snap: HostSnapshot, bond_name: str, attr: str) -> str:
    """/sys/class/net/<bond>/bonding/<attr> (empty where the kernel writes nothing)."""
    link = snap.link(bond_name)
    b = link.bond
    assert b is not None
    ad = b.mode == "802.3ad"
    values: dict[str, str] = {
        "mode": f"{b.mode} {MODE_NUMBERS[b.mode]}",
        "slaves": " ".join(b.slaves),
        "active_slave": b.active_slave or "",
        "primary": b.primary or "",
        "mii_status": "up" if b.carrier else "down",
        "miimon": str(b.miimon), "updelay": str(b.updelay), "downdelay": str(b.downdelay),
        "peer_notif_delay": str(b.peer_notify_delay), "use_carrier": str(b.use_carrier),
        "arp_interval": str(b.arp_interval), "arp_missed_max": str(b.arp_missed_max),
        "arp_ip_target": " ".join(b.arp_ip_target),
        "num_grat_arp": str(b.num_peer_notif), "num_unsol_na": str(b.num_peer_notif),
        "all_slaves_active": str(b.all_slaves_active), "min_links": str(b.min_links),
        "lp_interval": str(b.lp_interval), "packets_per_slave": str(b.packets_per_slave),
        "resend_igmp": str(b.resend_igmp), "tlb_dynamic_lb": str(b.tlb_dynamic_lb),
        "queue_id": " ".join(f"{n}:{snap.link(n).bond_slave.queue_id}"  # type: ignore[union-attr]
                             for n in b.slaves),
        "ad_actor_sys_prio": str(b.ad_actor_sys_prio) if ad else "",
        "ad_actor_system": b.ad_actor_system if ad else "",
        "ad_user_port_key": str(b.ad_user_port_key) if ad else "",
    }
    for key, names in ENUM_NUMBERS.items():
        current = {"lacp_active": b.ad_lacp_active, "lacp_rate": b.ad_lacp_rate,
                   "ad_select": b.ad_select}.get(key) or getattr(b, key)
        values[key] = f"{current} {names.index(current)}"
    values.update(dict(b.ad_sysfs))
    for key in ("ad_aggregator", "ad_num_ports", "ad_actor_key", "ad_partner_key",
                "ad_partner_mac"):
        values.setdefault(key, "")
    text = values[attr]
    return text + "\n" if text else ""


def sysfs_bonding_slave(snap: HostSnapshot, dev: str, attr: str) -> str:
    """/sys/class/net/<slave>/bonding_slave/<attr>."""
    s: BondSlaveInfo | None = snap.link(dev).bond_slave
    assert s is not None
    values = {"state": "backup" if s.state == "BACKUP" else "active",
              "mii_status": MII_TEXT[s.mii_status],
              "link_failure_count": str(s.link_failure_count),
              "perm_hwaddr": s.perm_hwaddr, "queue_id": str(s.queue_id)}
    values.update(dict(s.ad_sysfs))
    for key in ("ad_aggregator_id", "ad_actor_oper_port_state", "ad_partner_oper_port_state"):
        values.setdefault(key, "N/A")
    return values[attr] + "\n"
