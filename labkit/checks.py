"""Checks for the notebooks' exercises: what the learner's lab still lacks, in words.

Each expectation looks at the running lab (kernel snapshots, NetworkManager's three states) and
returns the problems it sees, as sentences a learner can act on; `check(lab, ...)` runs them
all and shows a short report: every problem at once, not just the first.

    labkit.checks.check(lab, checks.bond("bond0", mode="active-backup"),
                        checks.slaves("bond0", "ens37", "ens38"), checks.shared_mac("bond0"))
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit import usage
from labkit.errors import UsageTypeError, kind

if TYPE_CHECKING:
    from labkit.lab import Lab

Expectation = Callable[["Lab"], list[str]]


@dataclass(frozen=True)
class Report:
    """The outcome of an exercise's check."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def text(self) -> str:
        if self.ok:
            return "Well done: everything the exercise asks for is in place."
        return "Not yet:\n" + "\n".join(f"  - {p}" for p in self.problems)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: object, cycle: bool) -> None:
        p.text(self.text())  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.ok else "#c62828"
        return f'<pre style="color:{colour}">{html.escape(self.text())}</pre>'


def check(lab: Lab, *expectations: Expectation) -> Report:
    """Run every expectation against `lab`; all problems found, in order."""
    from labkit.lab import Lab

    usage.instance("checks.check", "lab", lab, Lab, "a Lab")
    usage.checks_given("checks.check", expectations, _FACTORIES)
    problems: list[str] = []
    for i, expect in enumerate(expectations, start=2):
        found = expect(lab)
        if not isinstance(found, list | tuple) or not all(isinstance(p, str) for p in found):
            raise UsageTypeError(f"checks.check: argument {i} returned {kind(found)}, not a "
                                 "list of problems (strings)")
        problems += found
    return Report(tuple(problems))


def _names(where: str, **values: object) -> None:
    """The check's name arguments: each a non-empty string."""
    for arg, value in values.items():
        usage.name(where, arg, value)


def bond(name: str, mode: str | None = None, host: str = "server") -> Expectation:
    """A bond called `name` exists (in `mode`) and is up."""
    _names("checks.bond", name=name, host=host)
    usage.name("checks.bond", "mode", mode, optional=True)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(name)
        if link is None or link.bond is None:
            return [f"there is no bond called {name} on {host} yet"]
        out = []
        if mode and link.bond.mode != mode:
            out.append(f"{name} is in mode {link.bond.mode}, the exercise wants {mode}")
        if not link.is_up:
            out.append(f"{name} exists but is down")
        return out
    return expect


def slaves(bond_name: str, *names: str, host: str = "server") -> Expectation:
    """Exactly `names` are the bond's slaves."""
    _names("checks.slaves", bond_name=bond_name, host=host,
           **{f"slave {i}": n for i, n in enumerate(names, start=1)})

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(bond_name)
        if link is None or link.bond is None:
            return []  # bond() says so
        have = set(link.bond.slaves)
        out = [f"{n} is not a slave of {bond_name}" for n in names if n not in have]
        out += [f"{n} is a slave of {bond_name}, but the exercise does not want it"
                for n in sorted(have - set(names))]
        return out
    return expect


def shared_mac(bond_name: str, host: str = "server") -> Expectation:
    """The bond and all its slaves carry one MAC."""
    _names("checks.shared_mac", bond_name=bond_name, host=host)

    def expect(lab: Lab) -> list[str]:
        snap = lab.snapshot(host)
        link = snap.find_link(bond_name)
        if link is None or link.bond is None:
            return []
        return [f"{s} has MAC {snap.link(s).address}, {bond_name} has {link.address}"
                for s in link.bond.slaves if snap.link(s).address != link.address]
    return expect


def active_slave(bond_name: str, expected: str, host: str = "server") -> Expectation:
    """`expected` is the bond's active slave."""
    _names("checks.active_slave", bond_name=bond_name, expected=expected, host=host)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(bond_name)
        if link is None or link.bond is None:
            return []
        current = link.bond.active_slave
        if current != expected:
            return [f"the active slave of {bond_name} is {current or 'none'}, "
                    f"the exercise wants {expected}"]
        return []
    return expect


def address(dev: str, cidr: str, host: str = "server") -> Expectation:
    """`dev` holds the address `cidr` in the kernel (what the device really runs)."""
    _names("checks.address", dev=dev, cidr=cidr, host=host)

    def expect(lab: Lab) -> list[str]:
        have = [a.cidr for a in lab.snapshot(host).addresses_of(dev, 4)]
        if cidr not in have:
            return [f"{dev} does not hold {cidr} (it holds {', '.join(have) or 'no IPv4'})"]
        return []
    return expect


def only_address(dev: str, cidr: str, host: str = "server") -> Expectation:
    """`dev` holds `cidr` and no other IPv4 address."""
    _names("checks.only_address", dev=dev, cidr=cidr, host=host)

    def expect(lab: Lab) -> list[str]:
        have = [a.cidr for a in lab.snapshot(host).addresses_of(dev, 4)]
        extra = [a for a in have if a != cidr]
        out = address(dev, cidr, host)(lab)
        if extra:
            out.append(f"{dev} still holds {', '.join(extra)} as well")
        return out
    return expect


def reachable(ip: str, from_host: str = "outside") -> Expectation:
    """`ip` answers a ping from `from_host`."""
    _names("checks.reachable", from_host=from_host)
    usage.ipv4_address("checks.reachable", "ip", ip)  # it is typed into the lab's shell

    def expect(lab: Lab) -> list[str]:
        result = lab.sh(f"ping -c 1 -W 1 {ip}", host=from_host)
        return [] if result.returncode == 0 else [f"{ip} does not answer a ping from {from_host}"]
    return expect


def autoconnect(profile: str, expected: bool, host: str = "server") -> Expectation:
    """NetworkManager's profile `profile` has connection.autoconnect `expected`."""
    _names("checks.autoconnect", profile=profile, host=host)
    usage.flag("checks.autoconnect", "expected", expected)

    def expect(lab: Lab) -> list[str]:
        nm = lab.networkmanager_of(host)
        found = nm.find_connections(profile)
        if not found:
            return [f"there is no connection profile called {profile}"]
        if found[0].profile.autoconnect != expected:
            return [f"{profile} has autoconnect {'yes' if not expected else 'no'}, "
                    f"the exercise wants {'yes' if expected else 'no'}"]
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
            return [f"there is no NIC called {nic}{where} in this lab yet"]
        port = lab.snapshot(lab.topology.switch.name).find_link(nic_spec.port)
        now = bool(port and port.is_up)
        if now != plugged:
            return [f"the cable of {nic} is {'plugged in' if now else 'pulled'}; the exercise "
                    f"wants it {'plugged in' if plugged else 'pulled'}"]
        return []
    return expect


def mac(dev: str, expected: str, host: str = "server") -> Expectation:
    """`dev` carries the MAC address `expected`."""
    _names("checks.mac", dev=dev, expected=expected, host=host)

    def expect(lab: Lab) -> list[str]:
        link = lab.snapshot(host).find_link(dev)
        if link is None:
            return [f"there is no {dev} on {host}"]
        if link.address != expected:
            return [f"{dev} has MAC {link.address}, the exercise expects {expected}"]
        return []
    return expect


_FACTORIES = {f: f.__name__ for f in (bond, slaves, shared_mac, active_slave, address,
                                      only_address, reachable, autoconnect, cable, mac)}
