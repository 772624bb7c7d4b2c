"""The bonding driver's names for its modes and enumerated option values: one home for them.

A value's position in its tuple is the number the kernel stores and prints beside it
(`/sys/class/net/bond0/bonding/mode` says "active-backup 1"; netlink carries the number), as in
bond_options.c of Linux 6.1. The driver's option model (engines/bond_options.py), `ip`'s
parser, the /proc and sysfs views and NetworkManager's bond settings all read them from here.
"""

from __future__ import annotations

MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb",
         "balance-alb")
# bond_mode_name()'s texts: the "Bonding Mode:" line of /proc/net/bonding, in the order of MODES
MODE_DESCRIPTIONS = ("load balancing (round-robin)", "fault-tolerance (active-backup)",
                     "load balancing (xor)", "fault-tolerance (broadcast)",
                     "IEEE 802.3ad Dynamic link aggregation", "transmit load balancing",
                     "adaptive load balancing")
# the options whose values are names (besides mode), each name at its kernel number
VALUE_NAMES: dict[str, tuple[str, ...]] = {
    "xmit_hash_policy": ("layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"),
    "arp_validate": ("none", "active", "backup", "all", "filter", "filter_active",
                     "filter_backup"),
    "arp_all_targets": ("any", "all"),
    "fail_over_mac": ("none", "active", "follow"),
    "primary_reselect": ("always", "better", "failure"),
    "lacp_active": ("off", "on"),
    "lacp_rate": ("slow", "fast"),
    "ad_select": ("stable", "bandwidth", "count"),
}
