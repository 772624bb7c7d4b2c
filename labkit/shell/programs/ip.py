"""`ip` (iproute2 6.1) on any engine: link, address, route and neigh, shown and changed.

Parsing follows iproute2's own rules (prefix matching of keywords, option order, the messages of
invarg/duparg/incomplete_command and their exit statuses); changes go to the engine, whose
KernelError becomes `RTNETLINK answers: ...` or `Error: <extack>.` with status 2, as netlink
errors do. Objects iproute2 has but a lab does not need say so in one line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from errno import EADDRNOTAVAIL, EINVAL, EOPNOTSUPP
from typing import Any

from labkit.engines.base import UNSET, Unset
from labkit.errors import KernelError
from labkit.model import bonding
from labkit.model.snapshot import HostSnapshot
from labkit.shell.program import Invocation
from labkit.shell.programs import ipjson
from labkit.shell.programs.iproute2 import (
    Args,
    IpExit,
    duparg,
    duparg2,
    invarg,
    matches,
    nodev,
    rtnl_error,
)
from labkit.views import iproute as view

VERSION = "ip utility, iproute2-6.1.0, libbpf 1.1.2\n"
USAGE = """Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |
                   link | macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
"""
BOND_USAGE = """Usage: ... bond [ mode BONDMODE ] [ active_slave SLAVE_DEV ]
                [ clear_active_slave ] [ miimon MIIMON ]
                [ updelay UPDELAY ] [ downdelay DOWNDELAY ]
                [ peer_notify_delay DELAY ]
                [ use_carrier USE_CARRIER ]
                [ arp_interval ARP_INTERVAL ]
                [ arp_validate ARP_VALIDATE ]
                [ arp_all_targets ARP_ALL_TARGETS ]
                [ arp_ip_target [ ARP_IP_TARGET, ... ] ]
                [ ns_ip6_target [ NS_IP6_TARGET, ... ] ]
                [ primary SLAVE_DEV ]
                [ primary_reselect PRIMARY_RESELECT ]
                [ fail_over_mac FAIL_OVER_MAC ]
                [ xmit_hash_policy XMIT_HASH_POLICY ]
                [ resend_igmp RESEND_IGMP ]
                [ num_grat_arp|num_unsol_na NUM_GRAT_ARP|NUM_UNSOL_NA ]
                [ all_slaves_active ALL_SLAVES_ACTIVE ]
                [ min_links MIN_LINKS ]
                [ lp_interval LP_INTERVAL ]
                [ packets_per_slave PACKETS_PER_SLAVE ]
                [ tlb_dynamic_lb TLB_DYNAMIC_LB ]
                [ lacp_rate LACP_RATE ]
                [ lacp_active LACP_ACTIVE]
                [ ad_select AD_SELECT ]
                [ ad_user_port_key PORTKEY ]
                [ ad_actor_sys_prio SYSPRIO ]
                [ ad_actor_system LLADDR ]
                [ arp_missed_max MISSED_MAX ]

BONDMODE := balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb
ARP_VALIDATE := none|active|backup|all|filter|filter_active|filter_backup
ARP_ALL_TARGETS := any|all
PRIMARY_RESELECT := always|better|failure
FAIL_OVER_MAC := none|active|follow
XMIT_HASH_POLICY := layer2|layer2+3|layer3+4|encap2+3|encap3+4|vlan+srcmac
LACP_ACTIVE := off|on
LACP_RATE := slow|fast
AD_SELECT := stable|bandwidth|count
"""
OBJECTS = ("address", "addrlabel", "maddress", "route", "rule", "neighbor", "neighbour",
           "ntable", "ntbl", "link", "l2tp", "fou", "ila", "macsec", "tunnel", "tunl", "tuntap",
           "tap", "token", "tcpmetrics", "tcp_metrics", "monitor", "xfrm", "mroute", "mrule",
           "netns", "netconf", "vrf", "sr", "nexthop", "mptcp", "ioam", "help", "stats")
SUPPORTED_KINDS = ("bond", "bridge", "veth")
MODES = bonding.MODES
ENUMS = bonding.VALUE_NAMES
NUMBERS = {"miimon": 2**32 - 1, "updelay": 2**32 - 1, "downdelay": 2**32 - 1,
           "peer_notify_delay": 2**32 - 1, "arp_interval": 2**32 - 1,
           "resend_igmp": 2**32 - 1, "min_links": 2**32 - 1, "lp_interval": 2**32 - 1,
           "packets_per_slave": 2**32 - 1, "use_carrier": 255, "all_slaves_active": 255,
           "tlb_dynamic_lb": 255, "arp_missed_max": 255, "num_grat_arp": 255,
           "num_unsol_na": 255, "ad_user_port_key": 65535,
           "ad_actor_sys_prio": 65535}
# bond_parse_opt keyword order (matches() takes the first keyword the word is a prefix of)
BOND_KEYWORDS = ("mode", "active_slave", "clear_active_slave", "miimon", "updelay", "downdelay",
                 "peer_notify_delay", "use_carrier", "arp_interval", "arp_ip_target",
                 "=ns_ip6_target", "arp_validate", "arp_all_targets", "=arp_missed_max",
                 "primary", "primary_reselect", "fail_over_mac", "xmit_hash_policy",
                 "resend_igmp", "num_grat_arp", "num_unsol_na", "all_slaves_active",
                 "min_links", "lp_interval", "packets_per_slave", "lacp_rate", "=lacp_active",
                 "ad_select", "ad_user_port_key", "ad_actor_sys_prio", "ad_actor_system",
                 "tlb_dynamic_lb", "help")
# iproute2 option name -> the kernel option the engine takes
KERNEL_NAMES = {"peer_notify_delay": "peer_notif_delay", "num_unsol_na": "num_grat_arp"}


MAN_PAGES = {"link": "ip-link", "address": "ip-address", "route": "ip-route",
             "neigh": "ip-neighbour"}


def no_help(topic: str) -> IpExit:
    """iproute2's per-object help texts are not reproduced: say so, and where to read them."""
    page = MAN_PAGES.get(topic.split()[0], "ip")
    return IpExit(255, f"labkit: `ip {topic} help` is not reproduced; see `man {page}`\n")


@dataclass
class Options:
    """ip's global options."""

    details: int = 0
    stats: int = 0
    brief: bool = False
    family: int | None = None
    oneline: bool = False
    json: bool = False
    pretty: bool = False
    extra: list[str] = field(default_factory=list)


def ip(inv: Invocation) -> int:
    """The `ip` program."""
    try:
        return _main(inv)
    except IpExit as stop:
        inv.err(stop.message)
        return stop.status


def _main(inv: Invocation) -> int:
    argv = inv.argv[1:]
    opts = Options()
    while argv and argv[0].startswith("-") and len(argv[0]) > 1:
        opt = argv[0][1:].lstrip("-") if argv[0].startswith("--") else argv[0][1:]
        argv = argv[1:]
        if opt in ("4",):
            opts.family = 4
        elif opt == "6":
            opts.family = 6
        elif opt == "0":
            opts.family = 0
        elif matches(opt, "family") or opt == "f":
            if not argv:
                raise IpExit(255, USAGE)
            fam = argv.pop(0)
            opts.family = {"inet": 4, "inet6": 6, "link": 0}.get(fam)
            if fam not in ("inet", "inet6", "link"):
                raise invarg("invalid protocol family", fam)
        elif matches(opt, "Version"):
            inv.out(VERSION)
            return 0
        elif matches(opt, "stats") or matches(opt, "statistics"):
            opts.stats += 1
        elif matches(opt, "details"):
            opts.details += 1
        elif matches(opt, "brief") and opt.startswith("br"):
            opts.brief = True
        elif matches(opt, "oneline"):
            opts.oneline = True
        elif matches(opt, "json"):
            opts.json = True
        elif matches(opt, "pretty"):
            opts.pretty = True
        elif matches(opt, "resolve") or matches(opt, "Numeric") \
                or matches(opt, "human-readable") or opt == "iec" or matches(opt, "all") \
                or opt.startswith("c"):
            continue
        elif matches(opt, "help"):
            raise IpExit(255, USAGE)
        elif matches(opt, "netns"):
            raise IpExit(255, "labkit: ip -n is not available in the lab shell: run the "
                              "command on the lab's host instead (HOST$ ip ...)\n")
        elif matches(opt, "batch") or matches(opt, "force"):
            raise IpExit(255, "labkit: ip -batch is not available in the lab shell\n")
        else:
            raise IpExit(255, f'Option "-{opt}" is unknown, try "ip -help".\n')
    if not argv:
        raise IpExit(255, USAGE)
    word = argv[0]
    for obj in OBJECTS:
        if matches(word, obj):
            break
    else:
        raise IpExit(1, f'Object "{word}" is unknown, try "ip help".\n')
    handler = HANDLERS.get(obj)
    if handler is None:
        if obj == "help":
            raise IpExit(255, USAGE)
        raise IpExit(1, f'labkit: "ip {obj}" is not part of the lab shell (supported: ip link, '
                        "ip address, ip route, ip neigh)\n")
    return handler(inv, Args(argv[1:]), opts)


# -- show helpers -------------------------------------------------------------------------------
def _show_filters(inv: Invocation, args: Args, opts: Options, topic: str
                  ) -> tuple[str | None, view.ShowOptions]:
    dev: str | None = None
    up = False
    master: str | None = None
    while args.more():
        w = args.take()
        if w == "up":
            up = True
        elif w == "master":
            master = args.next_arg()
            if _snapshot(inv).find_link(master) is None:
                raise invarg("Device does not exist\n", master)
        elif w in ("scope", "label", "to", "group", "type", "vrf"):
            args.next_arg()
        elif w == "nomaster":
            pass
        else:
            if w == "dev":
                w = args.next_arg()
            elif matches(w, "help"):
                raise no_help(topic)
            if dev is not None:
                raise duparg2("dev", w)
            dev = w
    if dev is not None and _snapshot(inv).find_link(dev) is None:
        raise IpExit(1, f'Device "{dev}" does not exist.\n')
    system = inv.shell.systems.get(inv.host)
    return dev, view.ShowOptions(details=bool(opts.details), stats=opts.stats,
                                 brief=opts.brief, family=opts.family or None, up_only=up,
                                 master=master, oneline=opts.oneline, one_device=dev is not None,
                                 iproute2=system.iproute2 if system else "6.1")


def _existing_device(inv: Invocation, args: Args) -> str:
    """The DEV of `dev DEV` in a filter (route, neigh), which must exist: iproute2's
    ll_name_to_index failing says `Cannot find device "DEV"` with status 1."""
    dev = args.next_arg()
    if _snapshot(inv).find_link(dev) is None:
        raise IpExit(1, f'Cannot find device "{dev}"\n')
    return dev


def _snapshot(inv: Invocation) -> HostSnapshot:
    return inv.engine.snapshot(inv.host)


def _oneline(text: str) -> str:
    """-o: each record on one line, continuation lines joined with a backslash."""
    out = []
    for block in re.split(r"\n(?=\d+: )", text.rstrip("\n")):
        out.append(block.replace("\n", "\\"))
    return "\n".join(out) + "\n" if out and out != [""] else ""


# -- ip link ------------------------------------------------------------------------------------
def do_link(inv: Invocation, args: Args, opts: Options) -> int:
    if not args.more():
        return _link_show(inv, args, opts)
    cmd = args.take()
    if matches(cmd, "add"):
        return _link_modify(inv, args, create=True)
    if matches(cmd, "set") or matches(cmd, "change"):
        return _link_modify(inv, args, create=False)
    if matches(cmd, "delete"):
        return _link_delete(inv, args)
    if matches(cmd, "show") or matches(cmd, "lst") or matches(cmd, "list"):
        return _link_show(inv, args, opts)
    if matches(cmd, "help"):
        raise no_help("link")
    raise IpExit(255, f'Command "{cmd}" is unknown, try "ip link help".\n')


def _link_show(inv: Invocation, args: Args, opts: Options) -> int:
    dev, show = _show_filters(inv, args, opts, "link")
    if opts.json:
        snap = inv.engine.snapshot(inv.host)
        inv.out(ipjson.dumps(ipjson.links(snap, _json_selected(snap, dev, show),
                                          bool(opts.details), bool(opts.stats), opts.brief),
                             opts.pretty))
        return 0
    text = view.ip_link_show(inv.engine.snapshot(inv.host), dev, show)
    inv.out(_oneline(text) if opts.oneline else text)
    return 0


@dataclass
class LinkRequest:
    """What `ip link add/set` asked for."""

    dev: str | None = None
    name: str | None = None
    up: bool | None = None
    master: str | Unset | None = UNSET  # None: nomaster
    address: str | None = None
    mtu: int | None = None
    kind: str | None = None
    kind_args: list[str] = field(default_factory=list)


_MAC_RE = re.compile(r"^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$")


def _lladdr(arg: str) -> str:
    """ll_addr_a2n: a colon-separated hardware address."""
    if not _MAC_RE.match(arg):
        raise IpExit(1, f'"{arg}" is invalid lladdr.\n')
    parts = arg.split(":")
    return ":".join(f"{int(p, 16):02x}" for p in parts)


def _check_ifname(name: str) -> bool:
    return 0 < len(name) < 16 and "/" not in name and ":" not in name and not any(
        c.isspace() for c in name) and name not in (".", "..")


def _parse_link(inv: Invocation, args: Args, create: bool) -> LinkRequest:
    """iplink_parse for the keywords a lab uses."""
    req = LinkRequest()
    snap = _snapshot(inv)
    while args.more():
        w = args.take()
        if w == "up":
            req.up = True
        elif w == "down":
            req.up = False
        elif w == "name":
            value = args.next_arg()
            if req.name is not None:
                raise duparg("name", value)
            if not _check_ifname(value):
                raise invarg('"name" not a valid ifname', value)
            req.name = value
            if req.dev is None:
                req.dev = value
        elif matches(w, "link"):
            args.next_arg()
        elif matches(w, "address"):
            req.address = _lladdr(args.next_arg())
        elif matches(w, "txqueuelen") or w == "qlen" or matches(w, "txqlen"):
            args.next_arg()
        elif w == "mtu":
            value = args.next_arg()
            if req.mtu is not None:
                raise duparg("mtu", value)
            if not re.fullmatch(r"-?\d+", value):
                raise invarg('Invalid "mtu" value\n', value)
            req.mtu = int(value)
        elif matches(w, "master"):
            value = args.next_arg()
            if snap.find_link(value) is None:
                raise invarg("Device does not exist\n", value)
            req.master = value
        elif matches(w, "nomaster"):
            req.master = None
        elif matches(w, "type"):
            req.kind = args.next_arg()
            req.kind_args = args.rest()
            break
        elif w in ("arp", "multicast", "allmulticast", "promisc", "dynamic", "trailers"):
            value = args.next_arg()
            if value not in ("on", "off"):
                raise IpExit(1, f'Error: argument of "{w}" must be "on" or "off", not '
                                f'"{value}"\n')
            raise IpExit(1, f'labkit: "{w} {value}" is not simulated\n')
        elif w == "netns":
            raise IpExit(1, "labkit: moving devices between the lab's namespaces is not "
                            "simulated\n")
        else:
            if matches(w, "help"):
                raise no_help("link")
            if w == "dev":
                w = args.next_arg()
            if req.dev != req.name or (req.dev is not None and req.name is None):
                raise duparg2("dev", w)
            if not _check_ifname(w):
                raise invarg('"dev" not a valid ifname', w)
            req.dev = w
    if req.name is None:
        req.name = req.dev
    elif req.dev is None:
        req.dev = req.name
    return req


def _link_modify(inv: Invocation, args: Args, create: bool) -> int:
    req = _parse_link(inv, args, create)
    eng, host = inv.engine, inv.host
    snap = _snapshot(inv)
    if not create:
        if req.dev is None:
            raise IpExit(255, 'Not enough information: "dev" argument is required.\n')
        if snap.find_link(req.dev) is None:
            raise nodev(req.dev)
    elif req.kind is None:
        raise IpExit(1, 'Not enough information: "type" argument is required\n')
    options: dict[str, int | str] = {}
    slave_options: dict[str, int | str] = {}
    peer: dict[str, str] = {}
    if req.kind is not None:
        kind = req.kind
        if kind == "bond":
            options = _parse_bond(inv, Args(req.kind_args))
        elif kind == "bond_slave":
            slave_options = _parse_bond_slave(Args(req.kind_args))
        elif kind == "veth":
            peer = _parse_veth(Args(req.kind_args))
        elif req.kind_args:
            if matches(req.kind_args[0], "help"):
                raise no_help(f"link ... type {kind}")
            raise IpExit(1, f'Garbage instead of arguments "{req.kind_args[0]} ...". '
                            'Try "ip link help".\n')
    try:
        if create:
            if req.kind not in SUPPORTED_KINDS:
                raise KernelError(EOPNOTSUPP, "Unknown device type")
            name = req.name or _default_name(inv, req.kind)
            eng.link_add(host, name, req.kind, address=req.address, mtu=req.mtu,
                         options=options or None, peer=peer.get("name"),
                         peer_address=peer.get("address"))
            if req.master is not UNSET or req.up is not None:
                eng.link_set(host, name, master=req.master, up=req.up)
        else:
            assert req.dev is not None
            if req.kind is not None and req.kind not in ("bond", "bond_slave"):
                link = snap.find_link(req.dev)
                if link is None or link.kind != req.kind:
                    raise KernelError(EOPNOTSUPP)
            new_name = req.name if req.name != req.dev else None
            eng.link_set(host, req.dev, up=req.up, master=req.master, address=req.address,
                         mtu=req.mtu, new_name=new_name, options=options or None,
                         slave_options=slave_options or None)
    except KernelError as exc:
        raise rtnl_error(exc) from None
    return 0


def _default_name(inv: Invocation, kind: str) -> str:
    names = {ln.name for ln in inv.engine.snapshot(inv.host).links}
    n = 0
    while f"{kind}{n}" in names:
        n += 1
    return f"{kind}{n}"


def _parse_bond(inv: Invocation, args: Args) -> dict[str, int | str]:
    """bond_parse_opt: names to numbers, interface names to (existing) interfaces."""
    out: dict[str, int | str] = {}
    snap = _snapshot(inv)
    while args.more():
        w = args.take()
        key = next((k.lstrip("=") for k in BOND_KEYWORDS
                    if (w == k[1:] if k.startswith("=") else matches(w, k))), None)
        if key is None:
            raise IpExit(1, f'bond: unknown command "{w}"?\n' + BOND_USAGE)
        if key == "help":
            raise IpExit(1, BOND_USAGE)
        if key == "clear_active_slave":
            out["active_slave"] = ""
            continue
        if key in ("arp_ip_target", "ns_ip6_target"):
            if args.more():
                out[key] = args.take()
            else:
                out[key] = ""
            continue
        value = args.next_arg()
        if key == "mode":
            idx = _get_index(MODES, value)
            if idx < 0:
                raise invarg("invalid mode", value)
            out["mode"] = idx
        elif key in ("active_slave", "primary"):
            if snap.find_link(value) is None:
                raise nodev(value)
            out[key] = value
        elif key in ENUMS:
            idx = _get_index(ENUMS[key], value)
            if idx < 0:
                raise invarg(f"invalid {key}", value)
            out[key] = idx
        elif key == "ad_actor_system":
            out[key] = _lladdr(value)
        else:
            limit = NUMBERS.get(key, 2**32 - 1)
            number = _get_unsigned(value)
            label = "num_grat_arp|num_unsol_na" if key in ("num_grat_arp", "num_unsol_na") \
                else key
            if number is None or number > limit:
                raise invarg(f"invalid {label}", value)
            out[KERNEL_NAMES.get(key, key)] = number
    return out


def _get_index(table: tuple[str, ...], name: str) -> int:
    if re.fullmatch(r"-?\d+", name) and 0 <= int(name) < len(table):
        return int(name)
    return table.index(name) if name in table else -1


def _get_unsigned(text: str) -> int | None:
    """get_u32 & co.: decimal, 0x hex or 0 octal, no sign."""
    try:
        if text.startswith(("0x", "0X")):
            return int(text, 16)
        if len(text) > 1 and text.startswith("0"):
            return int(text, 8)
        if not text.isdigit():
            return None
        return int(text)
    except ValueError:
        return None


def _parse_bond_slave(args: Args) -> dict[str, int | str]:
    out: dict[str, int | str] = {}
    while args.more():
        w = args.take()
        if matches(w, "queue_id"):
            value = args.next_arg()
            number = _get_unsigned(value)
            if number is None or number > 65535:
                raise invarg("queue_id is invalid", value)
            out["queue_id"] = number
        elif w == "prio":
            value = args.next_arg()
            if not re.fullmatch(r"-?\d+", value):
                raise invarg("prio is invalid", value)
            out["prio"] = int(value)
        else:
            if matches(w, "help"):
                raise IpExit(1, "Usage: ... bond_slave [ queue_id ID ] [ prio PRIORITY ]\n")
            raise IpExit(1, f'bond_slave: unknown option "{w}"?\n'
                            "Usage: ... bond_slave [ queue_id ID ] [ prio PRIORITY ]\n")
    return out


def _parse_veth(args: Args) -> dict[str, str]:
    out: dict[str, str] = {}
    if args.more():
        w = args.take()
        if not matches(w, "peer"):
            raise IpExit(1, "Usage: ip link <options> type veth [peer <options>]\n"
                            "To get <options> type 'ip link add help'\n")
        while args.more():
            w = args.take()
            if w == "name":
                out["name"] = args.next_arg()
            elif matches(w, "address"):
                out["address"] = _lladdr(args.next_arg())
            elif w == "netns":
                raise IpExit(1, "labkit: a veth peer in another namespace is made by the lab "
                                "builder, not the lab shell\n")
            else:
                if "name" in out:
                    raise duparg2("dev", w)
                out["name"] = w
    return out


def _link_delete(inv: Invocation, args: Args) -> int:
    req = _parse_link(inv, args, create=False)
    if req.dev is None:
        raise IpExit(255, 'Not enough information: "dev" argument is required.\n')
    if _snapshot(inv).find_link(req.dev) is None:
        raise nodev(req.dev)
    try:
        inv.engine.link_del(inv.host, req.dev)
    except KernelError as exc:
        raise rtnl_error(exc) from None
    return 0


# -- ip address ---------------------------------------------------------------------------------
def do_addr(inv: Invocation, args: Args, opts: Options) -> int:
    if not args.more():
        return _addr_show(inv, args, opts)
    cmd = args.take()
    if matches(cmd, "add"):
        return _addr_modify(inv, args, add=True)
    if matches(cmd, "delete"):
        return _addr_modify(inv, args, add=False)
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        return _addr_show(inv, args, opts)
    if matches(cmd, "flush"):
        return _addr_flush(inv, args)
    if matches(cmd, "help"):
        raise no_help("address")
    if matches(cmd, "change") or cmd == "chg" or matches(cmd, "replace") or \
            matches(cmd, "save") or matches(cmd, "restore") or matches(cmd, "showdump"):
        raise IpExit(1, f'labkit: "ip address {cmd}" is not simulated\n')
    raise IpExit(255, f'Command "{cmd}" is unknown, try "ip address help".\n')


def _addr_show(inv: Invocation, args: Args, opts: Options) -> int:
    dev, show = _show_filters(inv, args, opts, "address")
    if opts.json:
        snap = inv.engine.snapshot(inv.host)
        inv.out(ipjson.dumps(ipjson.addresses(snap, _json_selected(snap, dev, show),
                                              opts.family or None, bool(opts.details),
                                              opts.brief), opts.pretty))
        return 0
    inv.out(view.ip_addr_show(inv.engine.snapshot(inv.host), dev, show))
    return 0


def _json_selected(snap: HostSnapshot, dev: str | None, show: view.ShowOptions) -> list:
    """The links a show command lists (the same filters as the text views)."""
    links = [ln for ln in snap.links if dev is None or ln.name == dev]
    if show.up_only:
        links = [ln for ln in links if ln.is_up]
    if show.master is not None:
        links = [ln for ln in links if ln.master == show.master]
    return links


def _prefix(arg: str) -> tuple[str, int]:
    """get_prefix for IPv4: 'a.b.c.d[/len]'."""
    addr, _, plen = arg.partition("/")
    try:
        ip_ = ipaddress.IPv4Address(addr)
        length = int(plen) if plen else 32
        if not 0 <= length <= 32 or (plen and not plen.isdigit()):
            raise ValueError
    except ValueError:
        raise IpExit(1, f'Error: any valid prefix is expected rather than "{arg}".\n') from None
    return str(ip_), length


def _addr_modify(inv: Invocation, args: Args, add: bool) -> int:
    local: str | None = None
    dev: str | None = None
    brd: str | None = None
    label: str | None = None
    metric: int | None = None
    noprefixroute = False
    while args.more():
        w = args.take()
        if matches(w, "broadcast") or w == "brd":
            value = args.next_arg()
            if brd is not None:
                raise duparg("broadcast", value)
            brd = value
        elif w == "dev":
            dev = args.next_arg()
        elif w == "label":
            label = args.next_arg()
        elif matches(w, "metric") or matches(w, "priority") or matches(w, "preference"):
            value = args.next_arg()
            if not value.isdigit():
                raise invarg('"metric" value is invalid\n', value)
            metric = int(value)
        elif w == "scope":
            args.next_arg()
        elif w == "noprefixroute":
            noprefixroute = True
        elif w in ("valid_lft", "preferred_lft", "home", "nodad", "mngtmpaddr", "autojoin"):
            if w.endswith("lft"):
                args.next_arg()
        else:
            if w == "local":
                w = args.next_arg()
            if matches(w, "help"):
                raise no_help("address")
            if local is not None:
                raise duparg2("local", w)
            local = w
    if dev is None:
        raise IpExit(1, 'Not enough information: "dev" argument is required.\n')
    if local is None:
        if add:
            raise IpExit(1, 'Not enough information: "local" argument is required.\n')
    addr = _prefix(local) if local is not None else None
    if _snapshot(inv).find_link(dev) is None:
        raise nodev(dev)
    snap = inv.engine.snapshot(inv.host)
    try:
        if add:
            assert addr is not None
            cidr = f"{addr[0]}/{addr[1]}"
            broadcast = None
            if brd == "+":
                broadcast = str(ipaddress.IPv4Interface(cidr).network.broadcast_address)
            elif brd is not None and brd != "-":
                broadcast = brd
            inv.engine.addr_add(inv.host, dev, cidr, broadcast=broadcast,
                                noprefixroute=noprefixroute, metric=metric, label=label)
        else:
            if addr is None:
                v4 = [a for a in snap.addresses if a.dev == dev and a.family == 4]
                if not v4:
                    raise KernelError(EADDRNOTAVAIL)
                addr = (v4[0].local, v4[0].prefixlen)
                inv.err("Warning: Executing wildcard deletion to stay compatible with old "
                        "scripts.\n         Explicitly specify the prefix length "
                        f"({addr[0]}/{addr[1]}) to avoid this warning.\n"
                        "         This special behaviour is likely to disappear in further "
                        "releases,\n         fix your scripts!\n")
            inv.engine.addr_del(inv.host, dev, f"{addr[0]}/{addr[1]}")
    except KernelError as exc:
        raise rtnl_error(exc) from None
    return 0


def _addr_flush(inv: Invocation, args: Args) -> int:
    if not args.more():
        raise IpExit(1, "Flush requires arguments.\n")
    words = args.rest()
    dev = words[1] if words[0] == "dev" and len(words) > 1 else words[0]
    if _snapshot(inv).find_link(dev) is None:
        raise IpExit(1, f'Device "{dev}" does not exist.\n')
    for a in [a for a in inv.engine.snapshot(inv.host).addresses
              if a.dev == dev and a.family == 4]:
        try:
            inv.engine.addr_del(inv.host, dev, f"{a.local}/{a.prefixlen}")
        except KernelError:
            continue
    return 0


# -- ip route -----------------------------------------------------------------------------------
def do_route(inv: Invocation, args: Args, opts: Options) -> int:
    if not args.more():
        return _route_show(inv, args, opts)
    cmd = args.take()
    if matches(cmd, "add"):
        return _route_modify(inv, args, add=True)
    if matches(cmd, "delete"):
        return _route_modify(inv, args, add=False)
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        return _route_show(inv, args, opts)
    if matches(cmd, "help"):
        raise no_help("route")
    if cmd in ("change", "chg", "replace", "prepend", "append", "test", "get", "flush", "save",
               "restore", "showdump") or matches(cmd, "change") or matches(cmd, "replace") \
            or matches(cmd, "get") or matches(cmd, "flush"):
        raise IpExit(1, f'labkit: "ip route {cmd}" is not simulated\n')
    raise IpExit(255, f'Command "{cmd}" is unknown, try "ip route help".\n')


def _route_show(inv: Invocation, args: Args, opts: Options | None = None) -> int:
    dev = None
    while args.more():
        w = args.take()
        if w == "dev":
            dev = _existing_device(inv, args)
        elif w in ("table",) and args.more():
            table = args.take()
            if table != "main":
                raise IpExit(1, f'labkit: "ip route show table {table}" is not simulated\n')
    if opts is not None and opts.json:
        inv.out(ipjson.dumps(ipjson.routes(inv.engine.snapshot(inv.host), dev), opts.pretty))
        return 0
    inv.out(view.ip_route_show(inv.engine.snapshot(inv.host), dev))
    return 0


def _route_modify(inv: Invocation, args: Args, add: bool) -> int:
    dst: str | None = None
    via: str | None = None
    dev: str | None = None
    metric: int | None = None
    src: str | None = None
    proto: str | None = None
    while args.more():
        w = args.take()
        if w == "via":
            via = args.next_arg()
            try:
                ipaddress.IPv4Address(via)
            except ValueError:
                raise IpExit(1, f'Error: inet address is expected rather than "{via}".\n') \
                    from None
        elif w in ("dev", "oif"):
            dev = args.next_arg()
        elif matches(w, "metric") or matches(w, "priority") or w == "preference":
            value = args.next_arg()
            if not value.isdigit():
                raise invarg('"metric" value is invalid\n', value)
            metric = int(value)
        elif w == "src":
            src = args.next_arg()
        elif matches(w, "protocol"):
            proto = args.next_arg()
        elif w in ("scope", "table", "mtu", "onlink"):
            if w != "onlink":
                args.next_arg()
        else:
            if w == "to":
                w = args.next_arg()
            if matches(w, "help"):
                raise no_help("route")
            if dst is not None:
                raise duparg2("to", w)
            if w != "default":
                _prefix(w)
            dst = w
    if dst is None:
        raise IpExit(1, "labkit: give a destination (`default` or a prefix)\n")
    if dev is not None and _snapshot(inv).find_link(dev) is None:
        raise nodev(dev)
    if dst != "default":
        addr, plen = _prefix(dst)
        dst = str(ipaddress.IPv4Network(f"{addr}/{plen}", strict=False))
    try:
        if add:
            if via is None and dev is None:
                raise KernelError(EINVAL, "Device for nexthop is not up")
            inv.engine.route_add(inv.host, dst, gateway=via, dev=dev, metric=metric,
                                 proto=proto, src=src)
        else:
            inv.engine.route_del(inv.host, dst, gateway=via, dev=dev, metric=metric)
    except KernelError as exc:
        raise rtnl_error(exc) from None
    return 0


# -- ip neigh -----------------------------------------------------------------------------------
NUD_STATES = ("incomplete", "reachable", "stale", "delay", "probe", "failed", "noarp",
              "permanent", "none")


def _neigh_filter(inv: Invocation, args: Args, opts: Options, flush: bool = False
                  ) -> tuple[str | None, list[Any]]:
    """ipneigh.c's filter: `[to] PREFIX`, `dev DEV`, `nud STATE|all`, `-4`/`-6`; the device
    named and the entries it keeps (NOARP ones only when asked for by `nud`, and never
    PERMANENT or NOARP ones for a flush)."""
    dev: str | None = None
    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    states: set[str] | None = None
    while args.more():
        w = args.take()
        if w == "dev":
            dev = _existing_device(inv, args)
        elif w == "nud":
            state = args.next_arg().lower()
            if state == "all":
                states = set(NUD_STATES)
            elif state in NUD_STATES:
                states = (states or set()) | {state}
            else:
                raise IpExit(255, f'Error: argument "{state}" is wrong: nud state is bad\n')
        elif w in ("proxy", "nomaster"):
            continue
        else:
            target = args.next_arg() if w == "to" else w
            try:
                prefix = ipaddress.ip_network(target, strict=False)
            except ValueError:
                raise IpExit(1, 'Error: any valid prefix is expected rather than '
                                f'"{target}".\n') from None
    if states is None:
        states = set(NUD_STATES) - {"noarp"}
    if flush:
        states -= {"noarp", "permanent"}
    kept = []
    for n in inv.engine.snapshot(inv.host).neighbours:
        address = ipaddress.ip_address(n.dst)
        if (dev is not None and n.dev != dev) or n.state.lower() not in states:
            continue
        if opts.family in (4, 6) and address.version != opts.family:
            continue
        if prefix is not None and (address.version != prefix.version or address not in prefix):
            continue
        kept.append(n)
    return dev, kept


def do_neigh(inv: Invocation, args: Args, opts: Options) -> int:
    cmd = args.take() if args.more() else "show"
    if matches(cmd, "show") or matches(cmd, "list") or matches(cmd, "lst"):
        dev, kept = _neigh_filter(inv, args, opts)
        snap = replace(inv.engine.snapshot(inv.host), neighbours=tuple(kept))
        if opts.json:
            inv.out(ipjson.dumps(ipjson.neighbours(snap, dev), opts.pretty))
            return 0
        inv.out(view.ip_neigh_show(snap, dev))
        return 0
    if matches(cmd, "help"):
        raise no_help("neigh")
    if matches(cmd, "flush"):
        if not args.more():
            raise IpExit(1, "Flush requires arguments.\n")
        _, kept = _neigh_filter(inv, args, opts, flush=True)
        if not kept:
            return 0  # nothing to flush: iproute2 says nothing
        raise IpExit(1, f'labkit: "ip neigh {cmd}" of existing entries is not simulated\n')
    if matches(cmd, "add") or matches(cmd, "delete") \
            or matches(cmd, "change") or matches(cmd, "replace") or matches(cmd, "get"):
        raise IpExit(1, f'labkit: "ip neigh {cmd}" is not simulated\n')
    raise IpExit(255, f'Command "{cmd}" is unknown, try "ip neigh help".\n')


HANDLERS: dict[str, Callable[[Invocation, Args, Options], int]] = {
    "link": do_link, "address": do_addr, "route": do_route, "neighbor": do_neigh,
    "neighbour": do_neigh,
}
