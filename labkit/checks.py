"""Checks for the notebooks' exercises: what the learner's lab still lacks, and what to do next.

Each expectation looks at the running lab (kernel snapshots, NetworkManager's three states) and
returns the problems it sees, as sentences a learner can act on: what is missing, then the
command that would put it right. `check(lab, ..., exercise=ID)` runs them all and returns a
Report: every problem at once, not just the first. A check of something the lab does not have
(a bond not made yet) is a problem, never a pass.

    checks.check(lab, checks.bond("bond0", mode="active-backup"),
                 checks.slaves("bond0", "ens37", "ens38"), exercise="02-bond")

A Report displays as text and HTML for the learner and as the MIME bundle
`application/vnd.labkit.check+json` ({"exercise", "ok", "problems"}) for machines
(labkit.views.check renders it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit import progress, usage
from labkit.errors import LabkitError, UsageTypeError, UsageValueError, kind
from labkit.model.snapshot import BondInfo
from labkit.views import check as view

if TYPE_CHECKING:
    from labkit.lab import Lab
    from labkit.nm.daemon import NetworkManager

Expectation = Callable[["Lab"], list[str]]
MIME = view.MIME


@dataclass(frozen=True)
class Report:
    """The outcome of an exercise's check: its id and the problems found (none: done)."""

    exercise: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def data(self) -> dict[str, Any]:
        """{"exercise": ID, "ok": bool, "problems": [...]}, what the MIME bundle carries."""
        return view.data(self.exercise, self.problems)

    def text(self) -> str:
        return view.text(self.exercise, self.problems)

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return view.bundle(self.exercise, self.problems)


def check(lab: Lab, *expectations: Expectation, exercise: str | None = None) -> Report:
    """Run every expectation against `lab`: all problems found, in order, each fact once."""
    from labkit.lab import Lab

    usage.instance("checks.check", "lab", lab, Lab, "a Lab")
    usage.name("checks.check", "exercise", exercise, optional=True)
    usage.checks_given("checks.check", expectations, _FACTORIES)
    problems: list[str] = []
    for i, expect in enumerate(expectations, start=2):
        found = expect(lab)
        if not isinstance(found, list | tuple) or not all(isinstance(p, str) for p in found):
            raise UsageTypeError(f"checks.check: argument {i} returned {kind(found)}, not a "
                                 "list of problems (strings)")
        problems += found
    report = Report(exercise, _once(problems))
    progress.record(report)  # the learner's record (never raises; off in the test suite)
    return report


def _once(problems: list[str]) -> tuple[str, ...]:
    """Each fact once: a problem whose fact (the words before its first ': ', what to do
    following) an earlier one stated is left out, so a missing bond is said once, however many
    checks look at it, with the first one's advice (bond()'s knows the mode)."""
    seen: set[str] = set()
    out = []
    for p in problems:
        fact = p.split(": ", 1)[0]
        if fact not in seen:
            seen.add(fact)
            out.append(p)
    return tuple(out)


def _names(where: str, **values: object) -> None:
    """The check's name arguments: each a non-empty string."""
    for arg, value in values.items():
        usage.name(where, arg, value)


def _nm(lab: Lab, host: str) -> NetworkManager | None:
    """The host's NetworkManager, or None where the lab runs none (then `ip` is the way)."""
    try:
        return lab.networkmanager_of(host)
    except LabkitError:
        return None


def _no_bond(lab: Lab, name: str, host: str, mode: str | None = None) -> str:
    """The one sentence every check of a missing bond says (check() says it once)."""
    mode = mode or "active-backup"
    nm = _nm(lab, host)
    profile = next((sc.id for sc in nm.connections if sc.profile.interface_name == name
                    and sc.profile.get("connection", "type") == "bond"), None) if nm else None
    if profile is not None:
        return (f"there is no bond called {name} on {host} yet: its profile {profile} exists but "
                f"is not active; bring it up with `nmcli connection up {profile}` (or set its "
                "connection.autoconnect yes and restart NetworkManager)")
    if nm is not None:
        how = f"`nmcli connection add type bond con-name {name} ifname {name} mode {mode}`"
    else:
        how = f"`ip link add {name} type bond mode {mode} miimon 100`"
    return f"there is no bond called {name} on {host} yet: create it with {how}"


def _bond(lab: Lab, name: str, host: str) -> BondInfo | None:
    link = lab.snapshot(host).find_link(name)
    return link.bond if link is not None else None


def _slave_profile(nm: NetworkManager, bond_name: str, nic: str) -> str | None:
    """The id of a profile that would make `nic` a port of `bond_name`, if there is one."""
    for sc in nm.connections:
        if sc.profile.master == bond_name and sc.profile.interface_name == nic:
            return sc.id
    return None


def _active_profile(nm: NetworkManager, dev: str) -> str | None:
    """The id of the profile active on `dev`, if any."""
    return next((a.sc.id for a in nm.active if a.device.iface == dev), None)


def bond(name: str, mode: str | None = None, host: str = "server") -> Expectation:
    """A bond called `name` exists (in `mode`) and is up."""
    _names("checks.bond", name=name, host=host)
    usage.name("checks.bond", "mode", mode, optional=True)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(name)
        if link is None or link.bond is None:
            return [_no_bond(lab, name, host, mode)]
        out = []
        managed = _nm(lab, host) is not None
        if mode and link.bond.mode != mode:
            fix = (f"`nmcli connection modify {name} +bond.options mode={mode}` and "
                   f"`nmcli connection up {name}`" if managed else
                   f"`ip link del {name}`, then create it again with mode {mode}")
            out.append(f"{name} is in mode {link.bond.mode}, the exercise wants {mode}: {fix}")
        if not link.is_up:
            fix = f"`nmcli connection up {name}`" if managed else f"`ip link set {name} up`"
            out.append(f"{name} exists but is down: bring it up with {fix}")
        return out
    return expect


def slaves(bond_name: str, *names: str, host: str = "server") -> Expectation:
    """Exactly `names` are the bond's slaves."""
    _names("checks.slaves", bond_name=bond_name, host=host,
           **{f"slave {i}": n for i, n in enumerate(names, start=1)})
    if not names:
        raise UsageValueError("checks.slaves: name the slaves the bond must have, as "
                              "checks.slaves('bond0', 'ens37', 'ens38')")

    def expect(lab: Lab) -> list[str]:
        info = _bond(lab, bond_name, host)
        if info is None:
            return [_no_bond(lab, bond_name, host)]
        nm = _nm(lab, host)
        have = set(info.slaves)
        fixes = []
        for n in names:
            if n in have:
                continue
            profile = _slave_profile(nm, bond_name, n) if nm else None
            taken = _active_profile(nm, n) if nm else None
            if profile and taken and taken != profile:
                fixes.append(f"{n} is taken by its profile {taken}, active on it, so "
                             f"{profile} cannot have it: `nmcli connection up {profile}` "
                             f"moves {n} over (and `nmcli connection modify {taken} "
                             "connection.autoconnect no` keeps it from taking the port back)")
            elif profile:
                fixes.append(f"{n}'s profile {profile} exists but is not active: bring it up "
                             f"with `nmcli connection up {profile}` (or set its "
                             "connection.autoconnect yes and restart NetworkManager)")
            elif nm:
                fixes.append(f"add {n} with `nmcli connection add type bond-slave ifname {n} "
                             f"master {bond_name}`")
            else:
                fixes.append(f"add {n} with `ip link set {n} down` and "
                             f"`ip link set {n} master {bond_name}`")
        if not have and fixes:
            out = [f"{bond_name} exists but has no slaves: " + "; ".join(fixes)]
        else:
            missing = [n for n in names if n not in have]
            out = [f"{n} is not a slave of {bond_name}: {fix}"
                   for n, fix in zip(missing, fixes, strict=True)]
        for n in sorted(have - set(names)):
            fix = (f"`nmcli connection down {_active_profile(nm, n)}`"
                   if nm and _active_profile(nm, n) else f"`ip link set {n} nomaster`")
            out.append(f"{n} is a slave of {bond_name}, but the exercise does not want it: "
                       f"release it with {fix}")
        return out
    return expect


def shared_mac(bond_name: str, host: str = "server") -> Expectation:
    """The bond and all its slaves carry one MAC (fail_over_mac=none)."""
    _names("checks.shared_mac", bond_name=bond_name, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        link = snap.find_link(bond_name)
        if link is None or link.bond is None:
            return [_no_bond(lab, bond_name, host)]
        if not link.bond.slaves:
            return [f"{bond_name} has no slaves to share its MAC with yet"]
        return [f"{s} has MAC {snap.link(s).address}, {bond_name} has {link.address}: with "
                f"fail_over_mac=none (now {link.bond.fail_over_mac}) every slave carries the "
                "bond's MAC" for s in link.bond.slaves if snap.link(s).address != link.address]
    return expect


def active_slave(bond_name: str, expected: str, host: str = "server") -> Expectation:
    """`expected` is the bond's active slave."""
    _names("checks.active_slave", bond_name=bond_name, expected=expected, host=host)

    def expect(lab: Lab) -> list[str]:
        info = _bond(lab, bond_name, host)
        if info is None:
            return [_no_bond(lab, bond_name, host)]
        if expected not in info.slaves:
            return [f"{expected} is not a slave of {bond_name}, so it cannot be its active "
                    f"slave: enslave it first"]
        current = info.active_slave
        if current == expected:
            return []
        ways = (f"`echo {expected} > /sys/class/net/{bond_name}/bonding/active_slave`, "
                f"`ip link set {bond_name} type bond active_slave {expected}`")
        system = lab.systems.get(host)
        if system is not None and system.has_program("ifenslave"):  # CentOS 7's machine
            ways = f"`ifenslave -c {bond_name} {expected}`, " + ways
        if current:
            ways += f", or pull the cable of {current} (lab.unplug(\"{current}\"))"
        return [f"the active slave of {bond_name} is {current or 'none'}, the exercise wants "
                f"{expected}: make it active with {ways}"]
    return expect


def bond_option(bond_name: str, option: str, value: object, host: str = "server") -> Expectation:
    """The kernel's bond runs with `option` = `value`, as /sys/class/net/BOND/bonding/OPTION
    shows it (miimon=200, downdelay=0, fail_over_mac=active, xmit_hash_policy=layer2)."""
    _names("checks.bond_option", bond_name=bond_name, option=option, host=host)
    fields = {f.name for f in dataclasses.fields(BondInfo)} - {"slaves", "carrier"}
    if option not in fields:
        raise UsageValueError(f"checks.bond_option: {option!r} is not a bond option the kernel "
                              f"shows (such as miimon, downdelay, fail_over_mac)")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UsageTypeError(f"checks.bond_option: value must be a string or an integer, not "
                             f"{kind(value)}")
    want = str(value)

    def expect(lab: Lab) -> list[str]:
        info = _bond(lab, bond_name, host)
        if info is None:
            return [_no_bond(lab, bond_name, host)]
        have = getattr(info, option)
        have = "" if have is None else str(have)
        if have == want:
            return []
        if _nm(lab, host) is not None:
            fix = (f"set it in {bond_name}'s profile, `nmcli connection modify {bond_name} "
                   f"+bond.options {option}={want}`, and apply it with `nmcli connection up "
                   f"{bond_name}`")
        else:
            fix = f"`echo {want} > /sys/class/net/{bond_name}/bonding/{option}`"
        return [f"{bond_name} runs with {option} {have or '(none)'} (/sys/class/net/{bond_name}"
                f"/bonding/{option}), the exercise wants {want}: {fix}"]
    return expect


STATES = ("file", "profile", "device")
_STATE_COLUMN = {"file": 1, "profile": 2, "device": 3}
_STATE_WORDS = {"file": "the file of {p}", "profile": "the profile {p} in NetworkManager",
                "device": "what is applied on {p}'s device"}


def setting(profile: str, prop: str, expected: str, state: str = "profile",
            host: str = "server") -> Expectation:
    """A property of a NetworkManager profile, as nmcli shows it (`nmcli -t -f PROP c s P`),
    in one of its three states: the `file` on disk, the `profile` NetworkManager loaded, or
    what is applied on the `device`. For bond.options, `expected` may be one option
    (`miimon=200`): the profile must carry it, whatever else it carries."""
    _names("checks.setting", profile=profile, prop=prop, host=host)
    usage.text("checks.setting", "expected", expected)
    if state not in STATES:
        raise UsageValueError(f"checks.setting: state must be one of {', '.join(STATES)}, "
                              f"not {state!r}")
    one_option = prop == "bond.options" and "," not in expected and "=" in expected

    def expect(lab: Lab) -> list[str]:
        from labkit.nm.states import states

        nm = _nm(lab, host)
        if nm is None:
            return [f"{host} runs no NetworkManager in this lab, so it has no profile {profile}"]
        found = states(nm, profile)
        if found.profile is None and found.file is None:
            return [f"there is no connection profile called {profile}: `nmcli connection "
                    "show` lists them"]
        if state == "device" and found.device is None:
            return [f"{profile} is not active on any device: bring it up with "
                    f"`nmcli connection up {profile}`"]
        if state == "file" and found.file is None:
            return [f"{profile} has no file on disk NetworkManager can read"
                    + (f" ({found.file_error})" if found.file_error else "")]
        row = next((r for r in found.rows if r[0] == prop), None)
        if row is None:
            raise UsageValueError(f"checks.setting: a {profile} profile has no property "
                                  f"{prop!r} (nmcli connection show {profile} lists them)")
        have = row[_STATE_COLUMN[state]]
        if one_option:
            ok = expected in have.split(",")
        else:
            ok = have == expected
        if ok:
            return []
        where = _STATE_WORDS[state].format(p=profile)
        wants = f"{expected} in it" if one_option else expected
        if state == "file":
            fix = (f"edit {found.path} (or `nmcli connection modify {profile} {prop} "
                   f"{expected}`, which writes the file too)")
        elif state == "profile":
            plus = "+" if one_option else ""
            fix = (f"`nmcli connection modify {profile} {plus}{prop} {expected}`, or, after "
                   f"editing its file, `nmcli connection reload`")
        else:
            fix = (f"apply the profile to the device: `nmcli connection down {profile}` and "
                   f"`nmcli connection up {profile}`")
        return [f"{where} has {prop} {have or '(empty)'}, the exercise wants {wants}: {fix}"]
    return expect


def address(dev: str, cidr: str, host: str = "server") -> Expectation:
    """`dev` holds the address `cidr` in the kernel (what the device really runs)."""
    _names("checks.address", dev=dev, cidr=cidr, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        if snap.find_link(dev) is None:
            return [f"there is no {dev} on {host} yet, so it holds no address"]
        have = [a.cidr for a in snap.addresses_of(dev, 4)]
        if cidr in have:
            return []
        nm = _nm(lab, host)
        profile = _active_profile(nm, dev) if nm else None
        if profile:
            fix = (f"NetworkManager gives {dev} the address of its profile {profile}: set it "
                   f"there and apply it with `nmcli connection up {profile}`")
        else:
            fix = f"`ip addr add {cidr} dev {dev}`"
        return [f"{dev} does not hold {cidr} (it holds {', '.join(have) or 'no IPv4'}): {fix}"]
    return expect


def only_address(dev: str, cidr: str, host: str = "server") -> Expectation:
    """`dev` holds `cidr` and no other IPv4 address."""
    _names("checks.only_address", dev=dev, cidr=cidr, host=host)

    def expect(lab: Lab) -> list[str]:
        out = address(dev, cidr, host)(lab)
        if lab.snapshot(host).find_link(dev) is None:
            return out
        extra = [a.cidr for a in lab.snapshot(host).addresses_of(dev, 4) if a.cidr != cidr]
        if extra:
            nm = _nm(lab, host)
            profile = _active_profile(nm, dev) if nm else None
            fix = (f"`nmcli connection down {profile}` and `nmcli connection up {profile}` "
                   "apply exactly what the profile says" if profile else
                   " and ".join(f"`ip addr del {a} dev {dev}`" for a in extra))
            out.append(f"{dev} still holds {', '.join(extra)} as well: {fix}")
        return out
    return expect


def monitored(bond_name: str, host: str = "server") -> Expectation:
    """The bond watches its ports' links (miimon or arp_interval above 0) in the kernel, and,
    where NetworkManager runs it, in its profile too (NetworkManager's default is miimon=100):
    a bond that does not look never notices a pulled cable."""
    _names("checks.monitored", bond_name=bond_name, host=host)

    def expect(lab: Lab) -> list[str]:
        info = _bond(lab, bond_name, host)
        if info is None:
            return [_no_bond(lab, bond_name, host)]
        nm = _nm(lab, host)
        fix = (f"`nmcli connection modify {bond_name} +bond.options miimon=100`, then `nmcli "
               f"connection up {bond_name}` to apply it" if nm is not None else
               f"`echo 100 > /sys/class/net/{bond_name}/bonding/miimon`")
        out = []
        if info.miimon <= 0 and info.arp_interval <= 0:
            out.append(f"{bond_name} does not watch its ports' links (miimon 0 and arp_interval 0: "
                       f"'MII Polling Interval (ms): 0' in /proc/net/bonding/{bond_name}), so it "
                       f"never notices a pulled cable: {fix}")
        profile = next((sc for sc in nm.connections if sc.profile.interface_name == bond_name
                        and sc.profile.get("connection", "type") == "bond"), None) if nm else None
        if profile is not None and nm is not None:
            from labkit.nm.states import states

            row = next((r for r in states(nm, profile.id).rows if r[0] == "bond.options"), None)
            options = dict(o.split("=", 1) for o in (row[2] if row else "").split(",") if "=" in o)
            arp = int(options.get("arp_interval", "0") or 0)
            mii = int(options.get("miimon", "0" if arp else "100") or 0)
            if mii <= 0 and arp <= 0:
                out.append(f"the profile {profile.id} has bond.options {row[2] if row else ''}"
                           f": the next `nmcli connection up {profile.id}` or reboot "
                           "gives the kernel miimon 0 again: `nmcli connection modify "
                           f"{profile.id} +bond.options miimon=100`, then `nmcli connection up "
                           f"{profile.id}`")
        return out
    return expect


def no_address(dev: str, host: str = "server") -> Expectation:
    """`dev` holds no IPv4 address (a bond's port must not: the bond holds the address)."""
    _names("checks.no_address", dev=dev, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        if snap.find_link(dev) is None:
            return [f"there is no {dev} on {host}"]
        have = [a.cidr for a in snap.addresses_of(dev, 4)]
        if not have:
            return []
        nm = _nm(lab, host)
        profile = _active_profile(nm, dev) if nm else None
        fix = (f"it comes from its profile {profile}, active on it: activate the profile that "
               f"should have {dev} instead (`nmcli connection up PROFILE`), or `nmcli "
               f"connection down {profile}`" if profile else
               " and ".join(f"`ip addr del {a} dev {dev}`" for a in have))
        return [f"{dev} holds {', '.join(have)}, and the exercise wants no address on it: {fix}"]
    return expect


def answers_once(ip: str, from_host: str = "outside") -> Expectation:
    """`ip` answers each ping `from_host` sends it once, not twice (`DUP!`)."""
    _names("checks.answers_once", from_host=from_host)
    usage.ipv4_address("checks.answers_once", "ip", ip)  # it is typed into the lab's shell

    def expect(lab: Lab) -> list[str]:
        result = lab.sh(f"ping -c 2 -W 1 {ip}", host=from_host)
        out = result.stdout
        if result.returncode != 0:
            return reachable(ip, from_host)(lab)
        if "(DUP!)" in out:
            return [f"{ip} answers each ping from {from_host} twice (DUP!): a bond in mode "
                    "broadcast sends every packet on every port; which mode does "
                    "/proc/net/bonding show?"]
        return []
    return expect


def reachable(ip: str, from_host: str = "outside") -> Expectation:
    """`ip` answers a ping from `from_host`."""
    _names("checks.reachable", from_host=from_host)
    usage.ipv4_address("checks.reachable", "ip", ip)  # it is typed into the lab's shell

    def expect(lab: Lab) -> list[str]:
        result = lab.sh(f"ping -c 1 -W 1 {ip}", host=from_host)
        if result.returncode == 0:
            return []
        return [f"{ip} does not answer a ping from {from_host}: is it on an interface that is "
                "up, with a cable plugged in (`ip -br address`, `cat /proc/net/bonding/bond0` "
                "on the server)?"]
    return expect


def autoconnect(profile: str, expected: bool, host: str = "server") -> Expectation:
    """NetworkManager's profile `profile` has connection.autoconnect `expected`."""
    _names("checks.autoconnect", profile=profile, host=host)
    usage.flag("checks.autoconnect", "expected", expected)

    def expect(lab: Lab) -> list[str]:
        nm = _nm(lab, host)
        found = nm.find_connections(profile) if nm else []
        if not found:
            return [f"there is no connection profile called {profile}: `nmcli connection "
                    "show` lists them"]
        if found[0].profile.autoconnect != expected:
            want = "yes" if expected else "no"
            return [f"{profile} has autoconnect {'yes' if not expected else 'no'}, the exercise "
                    f"wants {want}: `nmcli connection modify {profile} connection.autoconnect "
                    f"{want}`"]
        return []
    return expect


def cable(nic: str, plugged: bool = True, host: str | None = None) -> Expectation:
    """The cable of `nic` is plugged in (or pulled) at the switch.

    A NIC the lab does not have is a problem of the lab, not of the check: the exercise may
    ask the learner to add it (lab.add_nic) first."""
    _names("checks.cable", nic=nic)
    usage.flag("checks.cable", "plugged", plugged)
    usage.name("checks.cable", "host", host, optional=True)

    def expect(lab: Lab) -> list[str]:
        try:
            _, nic_spec = lab.topology.cable_of(nic, host)
        except KeyError:
            where = f" on {host}" if host else ""
            return [f"there is no NIC called {nic}{where} in this lab yet: add it with "
                    f"lab.add_nic(\"{nic}\")"]
        port = lab.snapshot(lab.topology.switch.name).find_link(nic_spec.port)
        now = bool(port and port.is_up)
        if now != plugged:
            fix = f'lab.plug("{nic}")' if plugged else f'lab.unplug("{nic}")'
            return [f"the cable of {nic} is {'plugged in' if now else 'pulled'}; the exercise "
                    f"wants it {'plugged in' if plugged else 'pulled'}: {fix}, or its button "
                    "on the dashboard"]
        return []
    return expect


def mac(dev: str, expected: str, host: str = "server", why: str = "") -> Expectation:
    """`dev` carries the MAC address `expected` (`why` says whose MAC that is)."""
    _names("checks.mac", dev=dev, expected=expected, host=host)
    usage.text("checks.mac", "why", why)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(dev)
        if link is None:
            return [f"there is no {dev} on {host}"]
        if link.address != expected:
            return [f"{dev} has MAC {link.address}, the exercise expects {expected}"
                    + (f" ({why})" if why else "")]
        return []
    return expect


def answer(what: str, given: object, expected: str, where: str = "") -> Expectation:
    """The learner wrote down `what` (a value they found in the lab) as `expected`.

    `given` is what they wrote (a variable of the notebook; None or "" while they have not);
    `where` says where to look. Spaces around it do not count."""
    usage.text("checks.answer", "what", what)
    usage.text("checks.answer", "expected", expected)
    usage.text("checks.answer", "where", where)
    look = f" ({where})" if where else ""

    def expect(lab: Lab) -> list[str]:
        if given is None or (isinstance(given, str) and not given.strip()):
            return [f"you have not written down {what} yet{look}"]
        if not isinstance(given, str):
            return [f"write {what} as a string in quotes, not {kind(given)}"]
        if given.strip() != expected:
            return [f"{given.strip()!r} is not {what}: look again{look}"]
        return []
    return expect


_FACTORIES = {f: f.__name__ for f in (bond, slaves, shared_mac, active_slave, bond_option,
                                      setting, address, only_address, reachable, autoconnect,
                                      cable, mac, answer, monitored, no_address, answers_once)}
