"""The lab as data: hosts with NICs (fixed MACs), cables into one switch, addresses, routes.

A `Topology` is immutable and validated as a whole when it is made from a document
(`Topology.from_dict`, `load_topology`): every problem is collected and reported in one
`TopologyError` before any engine builds anything, the lab's limits (schema.MAX_*) among the
checks. Files are read by `docfile` (bounded, as if hostile). Adding a NIC returns a new
topology, under the same name rules and limits.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from labkit.errors import TopologyError, UsageTypeError, kind, quote
from labkit.model import docfile, macs
from labkit.model.schema import (
    HOST_ATTRS,
    LAB_ATTRS,
    MAX_CABLES,
    MAX_HOSTS,
    MAX_NICS,
    MAX_ROUTES,
    NIC_ATTRS,
    ROUTE_ATTRS,
    SWITCH_ATTRS,
    check_device_name,
    check_ipv4_interface,
    check_section,
    kind_of,
)

PRESET_DIR = Path(__file__).with_name("presets")
_PRESET_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Nic:
    """A network adapter of a host, cabled to switch port `port`."""

    name: str
    mac: str
    port: str
    port_mac: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A static IPv4 route of a host: `to` is 'default' or a network."""

    to: str
    via: str


@dataclass(frozen=True)
class Host:
    """A machine of the lab (one network namespace on the real engines)."""

    name: str
    nics: tuple[Nic, ...]
    routes: tuple[Route, ...] = ()
    description: str = ""
    networkmanager: bool = False  # NetworkManager configures the NICs from its profiles

    def nic(self, name: str) -> Nic:
        """The NIC called `name`; KeyError if this host has none."""
        for nic in self.nics:
            if nic.name == name:
                return nic
        raise KeyError(f"host {self.name!r} has no NIC {quote(name)}")


@dataclass(frozen=True)
class Switch:
    """The host that runs the Linux bridge every cable plugs into (STP off, no IPv6)."""

    name: str = "switch"
    bridge: str = "br0"
    mac: str = "02:00:00:00:00:ff"
    ageing_time: int = 300


@dataclass(frozen=True)
class Topology:
    """A whole lab: its hosts in build order and the switch that joins them."""

    name: str
    hosts: tuple[Host, ...]
    switch: Switch = field(default_factory=Switch)
    description: str = ""

    # -- lookups -----------------------------------------------------------------------------
    def host(self, name: str) -> Host:
        """The host called `name`; KeyError naming the known hosts otherwise."""
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f"no host {quote(name)} in topology {quote(self.name)} "
                       f"(hosts: {', '.join(self.host_names())})")

    def host_names(self) -> list[str]:
        """Every host name, the switch included, in build order."""
        return [self.switch.name] + [h.name for h in self.hosts]

    def cables(self) -> Iterator[tuple[Host, Nic]]:
        """Every (host, NIC) pair: one cable each, in build order."""
        for host in self.hosts:
            for nic in host.nics:
                yield host, nic

    def cable_of(self, name: str, host: str | None = None) -> tuple[Host, Nic]:
        """The cable whose NIC or switch port is called `name` (NIC names win)."""
        for h, nic in self.cables():
            if nic.name == name and (host is None or h.name == host):
                return h, nic
        for h, nic in self.cables():
            if nic.port == name and host is None:
                return h, nic
        where = f" on host {quote(host)}" if host else ""
        raise KeyError(f"no NIC or switch port called {quote(name)}{where}")

    # -- change ------------------------------------------------------------------------------
    def with_nic(self, name: str, host: str = "server") -> tuple[Topology, Nic]:
        """A copy with one more NIC on `host`, cabled to a new switch port.

        The MAC continues the host's VMware pattern (…:51:de → …:51:e8 → …:51:f2); the port is
        named after the NIC's number (ens39 → sw39) when that name is free.
        """
        problems: list[str] = []
        why = check_device_name(name)
        if why:
            problems.append(f"NIC name {quote(name)} {why}")
        try:
            target = self.host(host)
        except KeyError as exc:
            raise TopologyError([str(exc.args[0])], source="add_nic") from None
        if any(n.name == name for n in target.nics):
            problems.append(f"host {host!r} already has a NIC called {quote(name)}")
        if len(target.nics) >= MAX_NICS:
            problems.append(f"host {host!r} has {len(target.nics)} NICs, as many as a lab "
                            "allows")
        cables = sum(len(h.nics) for h in self.hosts)
        if cables >= MAX_CABLES:
            problems.append(f"the switch has {cables} ports, as many as a lab allows")
        if problems:
            raise TopologyError(problems, source="add_nic")
        used_macs = self.all_macs()
        used_ports = {nic.port for _, nic in self.cables()} | {self.switch.bridge}
        mac = macs.next_vmware_mac([n.mac for n in target.nics], used_macs)
        port = macs.port_name_for(name, host, used_ports)
        port_mac = macs.port_mac_for(name, used_macs | {mac})
        nic = Nic(name=name, mac=mac, port=port, port_mac=port_mac)
        hosts = tuple(replace(h, nics=(*h.nics, nic)) if h.name == host else h
                      for h in self.hosts)
        return replace(self, hosts=hosts), nic

    def all_macs(self) -> set[str]:
        """Every MAC the lab uses (NICs, switch ports, the bridge)."""
        used = {self.switch.mac}
        for _, nic in self.cables():
            used |= {nic.mac, nic.port_mac}
        return used

    # -- documents ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The document form, as `from_dict` reads it (round-trips)."""
        return {
            "name": self.name,
            **({"description": self.description} if self.description else {}),
            "switch": {"name": self.switch.name, "bridge": self.switch.bridge,
                       "mac": self.switch.mac, "ageing_time": self.switch.ageing_time},
            "hosts": [
                {"name": h.name,
                 **({"description": h.description} if h.description else {}),
                 **({"networkmanager": True} if h.networkmanager else {}),
                 "nics": [{"name": n.name, "mac": n.mac, "port": n.port, "port_mac": n.port_mac,
                           **({"addresses": list(n.addresses)} if n.addresses else {})}
                          for n in h.nics],
                 **({"routes": [{"to": r.to, "via": r.via} for r in h.routes]} if h.routes else {})}
                for h in self.hosts
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "topology") -> Topology:
        """Validate a document as a whole and build it; TopologyError lists every problem.

        The limits (MAX_HOSTS, MAX_NICS a host, MAX_CABLES, MAX_ROUTES) are checked with the
        rest, before anything is built; beyond a limit only the entries within it are checked
        further, so a huge document costs no more to refuse than the largest lab allowed.
        """
        if not isinstance(data, Mapping):
            raise TopologyError([f"the document is {kind_of(data)}, not a mapping with name, "
                                 "switch and hosts"], source)
        if data and not any(key in LAB_ATTRS for key in data):
            raise TopologyError([f"is not a labkit topology: none of name, switch and hosts is "
                                 f"there (its {len(data)} other key(s) are not shown)"], source)
        problems = check_section(data, LAB_ATTRS, "lab")
        switch_doc = data.get("switch", {})
        problems += check_section(switch_doc, SWITCH_ATTRS, "switch")
        hosts_doc = _host_list(data.get("hosts", []))
        host_docs: list[tuple[str, Mapping[str, Any]]] = []
        cables = 0
        for i, hdoc in enumerate(hosts_doc[:MAX_HOSTS]):
            path = f"hosts[{i}]"
            problems += check_section(hdoc, HOST_ATTRS, path)
            if isinstance(hdoc, Mapping):
                host_docs.append((path, hdoc))
                nics = _as_list(hdoc.get("nics"))
                cables += len(nics)
                for j, ndoc in enumerate(nics[:MAX_NICS]):
                    problems += check_section(ndoc, NIC_ATTRS, f"{path}.nics[{j}]")
                for j, rdoc in enumerate(_as_list(hdoc.get("routes"))[:MAX_ROUTES]):
                    problems += check_section(rdoc, ROUTE_ATTRS, f"{path}.routes[{j}]")
        if not hosts_doc and "hosts" in data:
            problems.append("hosts: a lab needs at least one host")
        if cables > MAX_CABLES:
            problems.append(f"hosts: the NICs need {cables} cables; a lab's switch takes at "
                            f"most {MAX_CABLES}")
        if problems:
            raise TopologyError(problems, source)
        topo = _build(data, host_docs)
        problems = _cross_check(topo)
        if problems:
            raise TopologyError(problems, source)
        return topo


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _host_list(hosts: Any) -> list[Any]:
    """Hosts may be written as a list of mappings or as a mapping name -> spec."""
    if isinstance(hosts, Mapping):
        return [{"name": name, **(spec or {})} if isinstance(spec, Mapping | type(None)) else spec
                for name, spec in list(hosts.items())[:MAX_HOSTS + 1]]
    return _as_list(hosts)


def _build(data: Mapping[str, Any], host_docs: list[tuple[str, Mapping[str, Any]]]) -> Topology:
    sw = data["switch"]
    switch = Switch(name=sw.get("name", "switch"), bridge=sw.get("bridge", "br0"),
                    mac=sw["mac"].lower(), ageing_time=sw.get("ageing_time", 300))
    hosts = []
    for _, h in host_docs:
        nics = tuple(Nic(name=n["name"], mac=n["mac"].lower(), port=n["port"],
                         port_mac=n["port_mac"].lower(),
                         addresses=tuple(n.get("addresses", ()))) for n in h["nics"])
        routes = tuple(Route(to=r["to"], via=r["via"]) for r in h.get("routes", ()))
        hosts.append(Host(name=h["name"], nics=nics, routes=routes,
                          description=h.get("description", ""),
                          networkmanager=bool(h.get("networkmanager", False))))
    return Topology(name=data["name"], hosts=tuple(hosts), switch=switch,
                    description=data.get("description", ""))


def _cross_check(topo: Topology) -> list[str]:
    """Problems between sections: duplicates, addresses, routes whose gateway is unreachable."""
    problems: list[str] = []
    seen_hosts: set[str] = set()
    for host in topo.hosts:
        if host.name in seen_hosts or host.name == topo.switch.name:
            problems.append(f"host {host.name!r}: the name is used twice")
        seen_hosts.add(host.name)
    owners: dict[str, str] = {topo.switch.mac: f"bridge {topo.switch.bridge}"}
    ports: dict[str, str] = {topo.switch.bridge: "the bridge"}
    ips: dict[ipaddress.IPv4Address, str] = {}
    for host in topo.hosts:
        names: set[str] = set()
        nets: list[ipaddress.IPv4Network] = []
        for nic in host.nics:
            where = f"{host.name}/{nic.name}"
            if nic.name in names:
                problems.append(f"{where}: the host has two NICs with this name")
            names.add(nic.name)
            for mac, what in ((nic.mac, where), (nic.port_mac, f"switch port {nic.port}")):
                if mac in owners:
                    problems.append(f"{what}: MAC {mac} is already used by {owners[mac]}")
                else:
                    owners[mac] = what
            if nic.port in ports:
                problems.append(f"{where}: switch port {nic.port!r} is already taken by "
                                f"{ports[nic.port]}")
            else:
                ports[nic.port] = where
            for addr in nic.addresses:
                why = check_ipv4_interface(addr)
                if why:
                    problems.append(f"{where}: address {quote(addr)} {why}")
                    continue
                iface = ipaddress.IPv4Interface(addr)
                if iface.ip in ips:
                    problems.append(f"{where}: address {iface.ip} is already used by "
                                    f"{ips[iface.ip]}")
                ips[iface.ip] = where
                nets.append(iface.network)
        for route in host.routes:
            via = ipaddress.IPv4Address(route.via)
            if not any(via in net for net in nets):
                problems.append(f"{host.name}: route to {route.to} via {route.via}: the gateway is "
                                "not in any subnet of the host's addresses")
    return problems


def load_topology(spec: str | os.PathLike[str] | Mapping[str, Any] | Topology) -> Topology:
    """A topology from a preset name, a YAML/JSON file, a dict, or a Topology (checked as a
    document is: one made by hand gets no way around the rules and limits)."""
    if isinstance(spec, Topology):
        return _checked(spec)
    if isinstance(spec, Mapping):
        return Topology.from_dict(spec)
    name = os.fspath(spec) if isinstance(spec, str | os.PathLike) else None
    if not isinstance(name, str):
        raise UsageTypeError("topology must be a preset name, a file, a mapping or a Topology, "
                             f"not {kind(spec)}")
    preset = PRESET_DIR / f"{name}.{_preset_suffix()}" if _PRESET_RE.match(name) else None
    if preset is not None and preset.is_file():
        return _parse(docfile.read_bytes(preset, name, f"the preset {name} is gone"), name)
    known = ", ".join(preset_names())
    missing = f"no preset or file called {quote(name)} (presets: {known})"
    return _parse(docfile.read_bytes(Path(name), name, missing), name)


@functools.lru_cache(maxsize=32)
def _checked(topo: Topology) -> Topology:
    """`topo` itself once its document passes (a Topology never changes: checked once)."""
    Topology.from_dict(topo.to_dict(), source=topo.name)
    return topo


@functools.lru_cache(maxsize=32)
def _parse(data: bytes, source: str) -> Topology:
    """A topology file parsed once per content (a Topology never changes)."""
    return Topology.from_dict(docfile.parse_document(data, source), source=source)


def _preset_suffix() -> str:
    """yaml where PyYAML imports; json without it (the browser's Pyodide): each preset ships
    in both, the same document (tests/test_lite_tables.py compares them)."""
    try:
        import yaml  # noqa: F401
    except ImportError:
        return "json"
    return "yaml"


def preset_names() -> list[str]:
    """The names of the built-in topologies."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
