"""The bonding driver's options as data (bond_options.c of Linux 6.1): names, value tables,
mode restrictions and flags, and the parser that turns a netlink number or a sysfs string
into a value or the kernel's error.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.model.bonding import MODE_DESCRIPTIONS as MODE_DESCRIPTIONS  # for the engines
from labkit.model.bonding import MODES, VALUE_NAMES

RR, AB, XOR, BROADCAST, AD, TLB, ALB = range(7)
ALL_MODES = frozenset(range(7))
INT_MAX = 2**31 - 1

# value flags
DEFAULT, MIN, MAX = "default", "min", "max"


@dataclass(frozen=True)
class Value:
    """One named value of an option's table."""

    name: str
    value: int
    flags: frozenset[str] = frozenset()


def _tbl(*rows: tuple) -> tuple[Value, ...]:
    return tuple(Value(r[0], r[1], frozenset(r[2:])) for r in rows)


@dataclass(frozen=True)
class Option:
    """One bonding option: where it applies and which values it takes."""

    name: str
    values: tuple[Value, ...] | None = None
    unsupp_modes: frozenset[int] = frozenset()
    noslaves: bool = False  # BOND_OPTFLAG_NOSLAVES: -ENOTEMPTY with slaves
    ifdown: bool = False  # BOND_OPTFLAG_IFDOWN: -EBUSY while the bond is up
    rawval: bool = False  # BOND_OPTFLAG_RAWVAL: the setter parses the string itself

    def value_named(self, name: str) -> Value | None:
        for v in self.values or ():
            if v.name == name:
                return v
        return None

    def name_of(self, value: int) -> str:
        for v in self.values or ():
            if v.value == value and not ({MIN, MAX} & v.flags and v.name in ("minval", "maxval")):
                return v.name
        return str(value)


def _named(option: str, default: int | None) -> tuple[Value, ...]:
    """The table of an option whose values are names (model/bonding.py), `default` flagged."""
    return tuple(Value(name, i, frozenset({DEFAULT}) if i == default else frozenset())
                 for i, name in enumerate(VALUE_NAMES[option]))


def _except(*modes: int) -> frozenset[int]:
    return ALL_MODES - frozenset(modes)


INTMAX = _tbl(("off", 0, DEFAULT), ("maxval", INT_MAX, MAX))
OPTIONS: dict[str, Option] = {o.name: o for o in (
    Option("mode", _tbl(*[(n, i) + ((DEFAULT,) if i == 0 else ()) for i, n in enumerate(MODES)]),
           noslaves=True, ifdown=True),
    Option("packets_per_slave", _tbl(("default", 1, DEFAULT), ("maxval", 65535, MAX)),
           unsupp_modes=_except(RR)),
    Option("xmit_hash_policy", _named("xmit_hash_policy", 0)),
    Option("arp_validate", _named("arp_validate", 0), unsupp_modes=frozenset({AD, TLB, ALB})),
    Option("arp_all_targets", _named("arp_all_targets", 0)),
    Option("fail_over_mac", _named("fail_over_mac", 0), noslaves=True),
    Option("arp_interval", INTMAX, unsupp_modes=frozenset({AD, TLB, ALB})),
    Option("arp_missed_max",
           _tbl(("minval", 1, MIN), ("maxval", 255, MAX), ("default", 2, DEFAULT)),
           unsupp_modes=frozenset({AD, TLB, ALB})),
    Option("arp_ip_target", rawval=True),
    Option("ns_ip6_target", rawval=True),
    Option("downdelay", INTMAX),
    Option("updelay", INTMAX),
    Option("lacp_active", _named("lacp_active", 1), unsupp_modes=_except(AD), ifdown=True),
    Option("lacp_rate", _named("lacp_rate", None), unsupp_modes=_except(AD), ifdown=True),
    Option("min_links", INTMAX),
    Option("ad_select", _named("ad_select", 0), ifdown=True),
    Option("num_unsol_na", _tbl(("off", 0), ("maxval", 255, MAX), ("default", 1, DEFAULT))),
    Option("num_grat_arp", _tbl(("off", 0), ("maxval", 255, MAX), ("default", 1, DEFAULT))),
    Option("miimon", INTMAX),
    Option("prio", rawval=True, unsupp_modes=_except(AB, TLB, ALB)),
    Option("primary", rawval=True, unsupp_modes=_except(AB, TLB, ALB)),
    Option("primary_reselect", _named("primary_reselect", 0)),
    Option("use_carrier", _tbl(("off", 0), ("on", 1, DEFAULT))),
    Option("active_slave", rawval=True, unsupp_modes=_except(AB, TLB, ALB)),
    Option("queue_id", rawval=True),
    Option("all_slaves_active", _tbl(("off", 0, DEFAULT), ("on", 1))),
    Option("resend_igmp", _tbl(("off", 0), ("maxval", 255, MAX), ("default", 1, DEFAULT))),
    Option("lp_interval", _tbl(("minval", 1, MIN, DEFAULT), ("maxval", INT_MAX, MAX))),
    Option("slaves", rawval=True),
    Option("tlb_dynamic_lb", _tbl(("off", 0), ("on", 1, DEFAULT)), unsupp_modes=_except(TLB, ALB),
           ifdown=True),
    Option("ad_actor_sys_prio", _tbl(("minval", 1, MIN), ("maxval", 65535, MAX, DEFAULT)),
           unsupp_modes=_except(AD)),
    Option("ad_actor_system", rawval=True, unsupp_modes=_except(AD)),
    Option("ad_user_port_key", _tbl(("minval", 0, MIN, DEFAULT), ("maxval", 1023, MAX)),
           unsupp_modes=_except(AD), ifdown=True),
    Option("peer_notif_delay", INTMAX),
)}

# the order bond_changelink applies netlink attributes in (MODE first)
NETLINK_ORDER = ("mode", "active_slave", "miimon", "updelay", "downdelay", "peer_notif_delay",
                 "use_carrier", "arp_interval", "arp_ip_target", "ns_ip6_target", "arp_validate",
                 "arp_all_targets", "primary", "primary_reselect", "fail_over_mac",
                 "xmit_hash_policy", "resend_igmp", "num_grat_arp", "all_slaves_active",
                 "min_links", "lp_interval", "packets_per_slave", "lacp_active", "lacp_rate",
                 "ad_select", "ad_actor_sys_prio", "ad_user_port_key", "ad_actor_system",
                 "tlb_dynamic_lb", "arp_missed_max")


def parse_value(opt: Option, raw: int | str) -> int | None:
    """bond_opt_parse: the value `raw` stands for, or None when it is invalid.

    A number (netlink) must equal a table value or lie in the MIN..MAX range; a string (sysfs)
    may be a value's name, 'default', or digits.
    """
    tbl = opt.values or ()
    if isinstance(raw, str):
        text = raw.split("\n", 1)[0]
        if text.strip() and all(c.isdigit() or c.isspace() for c in text):
            raw = int(text.split()[0])
        else:
            word = text.split()[0] if text.split() else ""
            for v in tbl:
                if word == v.name or (word == "default" and DEFAULT in v.flags):
                    return v.value
            return None
    for v in tbl:
        if v.value == raw:
            return raw
    lo = next((v.value for v in tbl if MIN in v.flags), None)
    hi = next((v.value for v in tbl if MAX in v.flags), None)
    if hi is None or (lo is not None and raw < lo) or raw > hi:
        return None
    return raw
