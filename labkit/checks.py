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

from labkit import i18n, progress, usage
from labkit.errors import LabkitError, UsageTypeError, UsageValueError, kind
from labkit.i18n import N_, _
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
    language: str = i18n.ENGLISH  # what the text says around the problems (en, ja)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def data(self) -> dict[str, Any]:
        """{"exercise": ID, "ok": bool, "problems": [...]}, what the MIME bundle carries."""
        return view.data(self.exercise, self.problems)

    def text(self) -> str:
        return view.text(self.exercise, self.problems, self.language)

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return view.bundle(self.exercise, self.problems, self.language)


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
            raise UsageTypeError(_("checks.check: argument {i} returned {kind}, not a list "
                                   "of problems (strings)").format(i=i, kind=kind(found)))
        problems += found
    report = Report(exercise, _once(problems), i18n.of_lab(lab))
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
        return _("there is no bond called {name} on {host} yet: its profile {profile} exists "
                 "but is not active; bring it up with `nmcli connection up {profile}` (or set "
                 "its connection.autoconnect yes and restart NetworkManager)").format(
                     name=name, host=host, profile=profile)
    if nm is not None:
        how = f"`nmcli connection add type bond con-name {name} ifname {name} mode {mode}`"
    else:
        how = f"`ip link add {name} type bond mode {mode} miimon 100`"
    return _("there is no bond called {name} on {host} yet: create it with {how}").format(
        name=name, host=host, how=how)


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


def _spoken(expect: Expectation) -> Expectation:
    """`expect`, saying its problems in its lab's language (Lab(locale=...), else the
    environment's), however it is called: by check() or on its own."""
    def run(lab: Lab) -> list[str]:
        with i18n.speaking(i18n.of_lab(lab)):
            return expect(lab)
    run.__doc__ = expect.__doc__
    return run


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
            fix = (_("`nmcli connection modify {name} +bond.options mode={mode}` and "
                     "`nmcli connection up {name}`") if managed else
                   _("`ip link del {name}`, then create it again with mode {mode}")).format(
                       name=name, mode=mode)
            out.append(_("{name} is in mode {have}, the exercise wants {mode}: {fix}").format(
                name=name, have=link.bond.mode, mode=mode, fix=fix))
        if not link.is_up:
            fix = f"`nmcli connection up {name}`" if managed else f"`ip link set {name} up`"
            out.append(_("{name} exists but is down: bring it up with {fix}").format(
                name=name, fix=fix))
        return out
    return _spoken(expect)


def slaves(bond_name: str, *names: str, host: str = "server") -> Expectation:
    """Exactly `names` are the bond's slaves."""
    _names("checks.slaves", bond_name=bond_name, host=host,
           **{f"slave {i}": n for i, n in enumerate(names, start=1)})
    if not names:
        raise UsageValueError(_("checks.slaves: name the slaves the bond must have, as "
                                "checks.slaves('bond0', 'ens37', 'ens38')"))

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
                fixes.append(_("{nic} is taken by its profile {taken}, active on it, so "
                               "{profile} cannot have it: `nmcli connection up {profile}` "
                               "moves {nic} over (and `nmcli connection modify {taken} "
                               "connection.autoconnect no` keeps it from taking the port "
                               "back)").format(nic=n, taken=taken, profile=profile))
            elif profile:
                fixes.append(_("{nic}'s profile {profile} exists but is not active: bring it "
                               "up with `nmcli connection up {profile}` (or set its "
                               "connection.autoconnect yes and restart NetworkManager)").format(
                                   nic=n, profile=profile))
            elif nm:
                fixes.append(_("add {nic} with `nmcli connection add type bond-slave ifname "
                               "{nic} master {bond}`").format(nic=n, bond=bond_name))
            else:
                fixes.append(_("add {nic} with `ip link set {nic} down` and "
                               "`ip link set {nic} master {bond}`").format(nic=n, bond=bond_name))
        if not have and fixes:
            out = [_("{bond} exists but has no slaves: {fixes}").format(
                bond=bond_name, fixes="; ".join(fixes))]
        else:
            missing = [n for n in names if n not in have]
            out = [_("{nic} is not a slave of {bond}: {fix}").format(nic=n, bond=bond_name,
                                                                     fix=fix)
                   for n, fix in zip(missing, fixes, strict=True)]
        for n in sorted(have - set(names)):
            fix = (f"`nmcli connection down {_active_profile(nm, n)}`"
                   if nm and _active_profile(nm, n) else f"`ip link set {n} nomaster`")
            out.append(_("{nic} is a slave of {bond}, but the exercise does not want it: "
                         "release it with {fix}").format(nic=n, bond=bond_name, fix=fix))
        return out
    return _spoken(expect)


def shared_mac(bond_name: str, host: str = "server") -> Expectation:
    """The bond and all its slaves carry one MAC (fail_over_mac=none)."""
    _names("checks.shared_mac", bond_name=bond_name, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        link = snap.find_link(bond_name)
        if link is None or link.bond is None:
            return [_no_bond(lab, bond_name, host)]
        if not link.bond.slaves:
            return [_("{bond} has no slaves to share its MAC with yet").format(bond=bond_name)]
        return [_("{nic} has MAC {mac}, {bond} has {bond_mac}: with fail_over_mac=none (now "
                  "{now}) every slave carries the bond's MAC").format(
                      nic=s, mac=snap.link(s).address, bond=bond_name, bond_mac=link.address,
                      now=link.bond.fail_over_mac)
                for s in link.bond.slaves if snap.link(s).address != link.address]
    return _spoken(expect)


def active_slave(bond_name: str, expected: str, host: str = "server") -> Expectation:
    """`expected` is the bond's active slave."""
    _names("checks.active_slave", bond_name=bond_name, expected=expected, host=host)

    def expect(lab: Lab) -> list[str]:
        info = _bond(lab, bond_name, host)
        if info is None:
            return [_no_bond(lab, bond_name, host)]
        if expected not in info.slaves:
            return [_("{nic} is not a slave of {bond}, so it cannot be its active slave: "
                      "enslave it first").format(nic=expected, bond=bond_name)]
        current = info.active_slave
        if current == expected:
            return []
        commands = [f"`echo {expected} > /sys/class/net/{bond_name}/bonding/active_slave`",
                    f"`ip link set {bond_name} type bond active_slave {expected}`"]
        system = lab.systems.get(host)
        if system is not None and system.has_program("ifenslave"):  # CentOS 7's machine
            commands.insert(0, f"`ifenslave -c {bond_name} {expected}`")
        ways = _(", ").join(commands)
        if current:
            ways += _(", or pull the cable of {nic} (lab.unplug(\"{nic}\"))").format(nic=current)
        return [_("the active slave of {bond} is {current}, the exercise wants {nic}: make it "
                  "active with {ways}").format(bond=bond_name, current=current or _("none"),
                                               nic=expected, ways=ways)]
    return _spoken(expect)


def bond_option(bond_name: str, option: str, value: object, host: str = "server") -> Expectation:
    """The kernel's bond runs with `option` = `value`, as /sys/class/net/BOND/bonding/OPTION
    shows it (miimon=200, downdelay=0, fail_over_mac=active, xmit_hash_policy=layer2)."""
    _names("checks.bond_option", bond_name=bond_name, option=option, host=host)
    fields = {f.name for f in dataclasses.fields(BondInfo)} - {"slaves", "carrier"}
    if option not in fields:
        raise UsageValueError(_("checks.bond_option: {option} is not a bond option the kernel "
                                "shows (such as miimon, downdelay, fail_over_mac)").format(
                                    option=repr(option)))
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UsageTypeError(_("checks.bond_option: value must be a string or an integer, not "
                               "{kind}").format(kind=kind(value)))
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
            fix = _("set it in {bond}'s profile, `nmcli connection modify {bond} +bond.options "
                    "{option}={want}`, and apply it with `nmcli connection up {bond}`").format(
                        bond=bond_name, option=option, want=want)
        else:
            fix = f"`echo {want} > /sys/class/net/{bond_name}/bonding/{option}`"
        return [_("{bond} runs with {option} {have} (/sys/class/net/{bond}/bonding/{option}), "
                  "the exercise wants {want}: {fix}").format(
                      bond=bond_name, option=option, have=have or _("(none)"), want=want,
                      fix=fix)]
    return _spoken(expect)


STATES = ("file", "profile", "device")
_STATE_COLUMN = {"file": 1, "profile": 2, "device": 3}
_STATE_WORDS = {"file": N_("the file of {p}"), "profile": N_("the profile {p} in NetworkManager"),
                "device": N_("what is applied on {p}'s device")}


def setting(profile: str, prop: str, expected: str, state: str = "profile",
            host: str = "server") -> Expectation:
    """A property of a NetworkManager profile, as nmcli shows it (`nmcli -t -f PROP c s P`),
    in one of its three states: the `file` on disk, the `profile` NetworkManager loaded, or
    what is applied on the `device`. For bond.options, `expected` may be one option
    (`miimon=200`): the profile must carry it, whatever else it carries."""
    _names("checks.setting", profile=profile, prop=prop, host=host)
    usage.text("checks.setting", "expected", expected)
    if state not in STATES:
        raise UsageValueError(_("checks.setting: state must be one of {states}, not "
                                "{state}").format(states=", ".join(STATES), state=repr(state)))
    one_option = prop == "bond.options" and "," not in expected and "=" in expected

    def expect(lab: Lab) -> list[str]:
        from labkit.nm.states import states

        nm = _nm(lab, host)
        if nm is None:
            return [_("{host} runs no NetworkManager in this lab, so it has no profile "
                      "{profile}").format(host=host, profile=profile)]
        found = states(nm, profile)
        if found.profile is None and found.file is None:
            return [_("there is no connection profile called {profile}: `nmcli connection "
                      "show` lists them").format(profile=profile)]
        if state == "device" and found.device is None:
            return [_("{profile} is not active on any device: bring it up with "
                      "`nmcli connection up {profile}`").format(profile=profile)]
        if state == "file" and found.file is None:
            return [(_("{profile} has no file on disk NetworkManager can read ({error})")
                     if found.file_error else
                     _("{profile} has no file on disk NetworkManager can read")).format(
                         profile=profile, error=found.file_error)]
        row = next((r for r in found.rows if r[0] == prop), None)
        if row is None:
            raise UsageValueError(_("checks.setting: a {profile} profile has no property "
                                    "{prop} (nmcli connection show {profile} lists them)").format(
                                        profile=profile, prop=repr(prop)))
        have = row[_STATE_COLUMN[state]]
        if one_option:
            ok = expected in have.split(",")
        else:
            ok = have == expected
        if ok:
            return []
        where = _(_STATE_WORDS[state]).format(p=profile)
        wants = _("{expected} in it").format(expected=expected) if one_option else expected
        if state == "file":
            fix = _("edit {path} (or `nmcli connection modify {profile} {prop} {expected}`, "
                    "which writes the file too)").format(path=found.path, profile=profile,
                                                          prop=prop, expected=expected)
        elif state == "profile":
            plus = "+" if one_option else ""
            fix = _("`nmcli connection modify {profile} {plus}{prop} {expected}`, or, after "
                    "editing its file, `nmcli connection reload`").format(
                        profile=profile, plus=plus, prop=prop, expected=expected)
        else:
            fix = _("apply the profile to the device: `nmcli connection down {profile}` and "
                    "`nmcli connection up {profile}`").format(profile=profile)
        return [_("{where} has {prop} {have}, the exercise wants {wants}: {fix}").format(
            where=where, prop=prop, have=have or _("(empty)"), wants=wants, fix=fix)]
    return _spoken(expect)


def address(dev: str, cidr: str, host: str = "server") -> Expectation:
    """`dev` holds the address `cidr` in the kernel (what the device really runs)."""
    _names("checks.address", dev=dev, cidr=cidr, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        if snap.find_link(dev) is None:
            return [_("there is no {dev} on {host} yet, so it holds no address").format(
                dev=dev, host=host)]
        have = [a.cidr for a in snap.addresses_of(dev, 4)]
        if cidr in have:
            return []
        nm = _nm(lab, host)
        profile = _active_profile(nm, dev) if nm else None
        if profile:
            fix = _("NetworkManager gives {dev} the address of its profile {profile}: set it "
                    "there and apply it with `nmcli connection up {profile}`").format(
                        dev=dev, profile=profile)
        else:
            fix = f"`ip addr add {cidr} dev {dev}`"
        return [_("{dev} does not hold {cidr} (it holds {have}): {fix}").format(
            dev=dev, cidr=cidr, have=", ".join(have) or _("no IPv4"), fix=fix)]
    return _spoken(expect)


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
            fix = (_("`nmcli connection down {profile}` and `nmcli connection up {profile}` "
                     "apply exactly what the profile says").format(profile=profile)
                   if profile else _(" and ").join(f"`ip addr del {a} dev {dev}`"
                                                   for a in extra))
            out.append(_("{dev} still holds {extra} as well: {fix}").format(
                dev=dev, extra=", ".join(extra), fix=fix))
        return out
    return _spoken(expect)


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
        fix = (_("`nmcli connection modify {bond} +bond.options miimon=100`, then `nmcli "
                 "connection up {bond}` to apply it").format(bond=bond_name)
               if nm is not None else
               f"`echo 100 > /sys/class/net/{bond_name}/bonding/miimon`")
        out = []
        if info.miimon <= 0 and info.arp_interval <= 0:
            out.append(_("{bond} does not watch its ports' links (miimon 0 and arp_interval 0: "
                         "'MII Polling Interval (ms): 0' in /proc/net/bonding/{bond}), so it "
                         "never notices a pulled cable: {fix}").format(bond=bond_name, fix=fix))
        profile = next((sc for sc in nm.connections if sc.profile.interface_name == bond_name
                        and sc.profile.get("connection", "type") == "bond"), None) if nm else None
        if profile is not None and nm is not None:
            from labkit.nm.states import states

            row = next((r for r in states(nm, profile.id).rows if r[0] == "bond.options"), None)
            options = dict(o.split("=", 1) for o in (row[2] if row else "").split(",") if "=" in o)
            arp = int(options.get("arp_interval", "0") or 0)
            mii = int(options.get("miimon", "0" if arp else "100") or 0)
            if mii <= 0 and arp <= 0:
                out.append(_("the profile {profile} has bond.options {options}: the next "
                             "`nmcli connection up {profile}` or reboot gives the kernel "
                             "miimon 0 again: `nmcli connection modify {profile} +bond.options "
                             "miimon=100`, then `nmcli connection up {profile}`").format(
                                 profile=profile.id, options=row[2] if row else ""))
        return out
    return _spoken(expect)


def no_address(dev: str, host: str = "server") -> Expectation:
    """`dev` holds no IPv4 address (a bond's port must not: the bond holds the address)."""
    _names("checks.no_address", dev=dev, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        if snap.find_link(dev) is None:
            return [_("there is no {dev} on {host}").format(dev=dev, host=host)]
        have = [a.cidr for a in snap.addresses_of(dev, 4)]
        if not have:
            return []
        nm = _nm(lab, host)
        profile = _active_profile(nm, dev) if nm else None
        fix = (_("it comes from its profile {profile}, active on it: activate the profile that "
                 "should have {dev} instead (`nmcli connection up PROFILE`), or `nmcli "
                 "connection down {profile}`").format(profile=profile, dev=dev)
               if profile else _(" and ").join(f"`ip addr del {a} dev {dev}`" for a in have))
        return [_("{dev} holds {have}, and the exercise wants no address on it: {fix}").format(
            dev=dev, have=", ".join(have), fix=fix)]
    return _spoken(expect)


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
            return [_("{ip} answers each ping from {host} twice (DUP!): a bond in mode "
                      "broadcast sends every packet on every port; which mode does "
                      "/proc/net/bonding show?").format(ip=ip, host=from_host)]
        return []
    return _spoken(expect)


def reachable(ip: str, from_host: str = "outside") -> Expectation:
    """`ip` answers a ping from `from_host`."""
    _names("checks.reachable", from_host=from_host)
    usage.ipv4_address("checks.reachable", "ip", ip)  # it is typed into the lab's shell

    def expect(lab: Lab) -> list[str]:
        result = lab.sh(f"ping -c 1 -W 1 {ip}", host=from_host)
        if result.returncode == 0:
            return []
        return [_("{ip} does not answer a ping from {host}: is it on an interface that is "
                  "up, with a cable plugged in (`ip -br address`, `cat /proc/net/bonding/bond0` "
                  "on the server)?").format(ip=ip, host=from_host)]
    return _spoken(expect)


def autoconnect(profile: str, expected: bool, host: str = "server") -> Expectation:
    """NetworkManager's profile `profile` has connection.autoconnect `expected`."""
    _names("checks.autoconnect", profile=profile, host=host)
    usage.flag("checks.autoconnect", "expected", expected)

    def expect(lab: Lab) -> list[str]:
        nm = _nm(lab, host)
        found = nm.find_connections(profile) if nm else []
        if not found:
            return [_("there is no connection profile called {profile}: `nmcli connection "
                      "show` lists them").format(profile=profile)]
        if found[0].profile.autoconnect != expected:
            want = "yes" if expected else "no"
            return [_("{profile} has autoconnect {have}, the exercise wants {want}: `nmcli "
                      "connection modify {profile} connection.autoconnect {want}`").format(
                          profile=profile, have="yes" if not expected else "no", want=want)]
        return []
    return _spoken(expect)


def cable(nic: str, plugged: bool = True, host: str | None = None) -> Expectation:
    """The cable of `nic` is plugged in (or pulled) at the switch.

    A NIC the lab does not have is a problem of the lab, not of the check: the exercise may
    ask the learner to add it (lab.add_nic) first."""
    _names("checks.cable", nic=nic)
    usage.flag("checks.cable", "plugged", plugged)
    usage.name("checks.cable", "host", host, optional=True)

    def expect(lab: Lab) -> list[str]:
        try:
            _host, nic_spec = lab.topology.cable_of(nic, host)
        except KeyError:
            return [(_("there is no NIC called {nic} on {host} in this lab yet: add it with "
                       "lab.add_nic(\"{nic}\")") if host else
                     _("there is no NIC called {nic} in this lab yet: add it with "
                       "lab.add_nic(\"{nic}\")")).format(nic=nic, host=host)]
        port = lab.snapshot(lab.topology.switch.name).find_link(nic_spec.port)
        now = bool(port and port.is_up)
        if now != plugged:
            fix = f'lab.plug("{nic}")' if plugged else f'lab.unplug("{nic}")'
            return [(_("the cable of {nic} is pulled; the exercise wants it plugged in: {fix}, "
                       "or its button on the dashboard") if plugged else
                     _("the cable of {nic} is plugged in; the exercise wants it pulled: {fix}, "
                       "or its button on the dashboard")).format(nic=nic, fix=fix)]
        return []
    return _spoken(expect)


def mac(dev: str, expected: str, host: str = "server", why: str = "") -> Expectation:
    """`dev` carries the MAC address `expected` (`why` says whose MAC that is)."""
    _names("checks.mac", dev=dev, expected=expected, host=host)
    usage.text("checks.mac", "why", why)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(dev)
        if link is None:
            return [_("there is no {dev} on {host}").format(dev=dev, host=host)]
        if link.address != expected:
            return [(_("{dev} has MAC {mac}, the exercise expects {expected} ({why})") if why
                     else _("{dev} has MAC {mac}, the exercise expects {expected}")).format(
                         dev=dev, mac=link.address, expected=expected, why=why)]
        return []
    return _spoken(expect)


def answer(what: str, given: object, expected: str, where: str = "") -> Expectation:
    """The learner wrote down `what` (a value they found in the lab) as `expected`.

    `given` is what they wrote (a variable of the notebook; None or "" while they have not);
    `where` says where to look. Spaces around it do not count. `what` and `where` are the
    lesson's words, in the lesson's language."""
    usage.text("checks.answer", "what", what)
    usage.text("checks.answer", "expected", expected)
    usage.text("checks.answer", "where", where)

    def expect(lab: Lab) -> list[str]:
        look = _(" ({where})").format(where=where) if where else ""
        if given is None or (isinstance(given, str) and not given.strip()):
            return [_("you have not written down {what} yet{look}").format(what=what, look=look)]
        if not isinstance(given, str):
            return [_("write {what} as a string in quotes, not {kind}").format(
                what=what, kind=kind(given))]
        if given.strip() != expected:
            return [_("{given} is not {what}: look again{look}").format(
                given=repr(given.strip()), what=what, look=look)]
        return []
    return _spoken(expect)


_FACTORIES = {f: f.__name__ for f in (bond, slaves, shared_mac, active_slave, bond_option,
                                      setting, address, only_address, reachable, autoconnect,
                                      cable, mac, answer, monitored, no_address, answers_once)}
