"""Restart and assume: what a stopping daemon leaves in /run, and how the next one takes over.

SIGTERM leaves devices configured; each managed device's state goes to
/run/NetworkManager/devices/IFINDEX. The next process assumes those activations as they are
(NetworkManager 1.42 also adds the profile's missing addresses and routes, 1.18 leaves the
device alone), and shows a bridge someone else configured with a connection it generates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.nm.activation import Activator
from labkit.nm.core import NMCore
from labkit.nm.devices import DeviceTracker
from labkit.nm.objects import AcState, ActiveConnection, Device, DeviceState, Reason
from labkit.nm.profile import Profile
from labkit.nm.settings import Settings

if TYPE_CHECKING:
    from labkit.model.snapshot import Link
    from labkit.nm.objects import SettingsConnection


@dataclass
class DeviceRecord:
    """/run/NetworkManager/devices/IFINDEX: what a stopping daemon leaves for the next one."""

    connection_uuid: str | None
    nm_owned: bool


class Assumer:
    """Takes over the devices a previous process (or someone else) configured."""

    def __init__(self, core: NMCore, settings: Settings, devices: DeviceTracker,
                 activator: Activator) -> None:
        self.core = core
        self.settings = settings
        self.devices = devices
        self.activator = activator

    def records(self) -> dict[int, DeviceRecord]:
        """At stop: each managed device's activated profile, by ifindex."""
        records: dict[int, DeviceRecord] = {}
        snap = self.core.kernel.snapshot()
        for dev in self.devices.devices:
            link = snap.find_link(dev.iface)
            if link is None or not dev.managed:
                continue
            uuid = dev.ac.sc.uuid if dev.ac and dev.ac.state == AcState.ACTIVATED else None
            records[link.ifindex] = DeviceRecord(uuid, dev.nm_owned)
        return records

    def assume_devices(self, records: dict[int, DeviceRecord]) -> None:
        """At start: the activations the records name, masters before their ports."""
        snap = self.core.kernel.snapshot()
        by_index = {link.ifindex: link for link in snap.links}
        order = sorted(records.items(), key=lambda kv: (by_index[kv[0]].master is not None
                                                        if kv[0] in by_index else True,
                                                        kv[0]))
        for ifindex, record in order:
            link = by_index.get(ifindex)
            if link is None or record.connection_uuid is None:
                continue
            sc = self.settings.find_uuid(record.connection_uuid)
            dev = self.devices.device(link.name)
            if sc is None or dev is None:
                continue
            if link.kind == "bond":
                dev.managed = True
                dev.nm_owned = record.nm_owned
            if not self.devices.compatible(sc, dev):
                continue
            master_ac = None
            if sc.profile.is_port:
                master_sc = self.settings.master_of(sc)
                master_ac = next((a for a in self.activator.active if a.sc is master_sc), None)
                if master_ac is None or link.master != master_ac.device.iface:
                    continue
            self._assume(sc, dev, master_ac)

    def _assume(self, sc: SettingsConnection, dev: Device, master: ActiveConnection | None
                ) -> None:
        """An activation that takes the device as it is; NetworkManager 1.42 also adds the
        profile's addresses and routes that are missing (1.18 leaves the device alone)."""
        kernel = self.core.kernel
        applies = self.core.version.assume_applies_ip
        self.activator.new(sc, dev, master=master, assumed=True)
        dev.applied = sc.profile.copy()
        dev.state = DeviceState.ACTIVATED
        dev.reason = Reason.CONNECTION_ASSUMED
        snap = kernel.snapshot()
        present4 = {a.cidr for a in snap.addresses_of(dev.iface, 4)}
        present6 = {a.cidr for a in snap.addresses_of(dev.iface, 6)}
        profile = dev.applied
        metric = self.activator.ip.metric_for(dev, profile)
        # what this process will remove on deactivation: the profile's own configuration
        if profile.has_setting("ipv4") and profile.get("ipv4", "method") == "manual":
            for cidr in profile.get("ipv4", "addresses"):
                if cidr in present4:
                    dev.added_v4.append(cidr)
                elif applies and kernel.add_address4(dev.iface, cidr):
                    dev.added_v4.append(cidr)
            # routes in the kernel that belong to the device and its metric
            for r in snap.routes:
                if r.dev == dev.iface and r.metric == metric and r.proto in ("kernel",
                                                                            "static"):
                    dev.added_routes.append((r.dst, r.gateway, metric))
            if applies:
                for cidr in profile.get("ipv4", "addresses"):
                    if cidr not in present4:
                        dev.added_routes.append(kernel.add_prefix_route(dev.iface, cidr,
                                                                        metric))
        for cidr in present6:
            if cidr.startswith("fe80:") and profile.has_setting("ipv6") and \
                    profile.get("ipv6", "method") not in ("ignore", "disabled"):
                dev.added_v6.append(cidr)

    def generate_external(self, dev: Device, link: Link) -> None:
        """A device someone else configured: an in-memory profile named after it (a new UUID
        each time the daemon starts) and an activation that takes the device as it is."""
        snap = self.core.kernel.snapshot()
        p = Profile()
        p.set("connection", "id", link.name)
        p.set("connection", "uuid", self.core.uuids.new(f"external:{link.name}"))
        p.set("connection", "type", dev.dtype)
        p.set("connection", "interface-name", link.name)
        p.add_setting(dev.dtype)
        p.set("ipv4", "method", "manual")
        p.set("ipv4", "addresses", tuple(a.cidr for a in snap.addresses_of(link.name, 4)))
        p.set("ipv6", "method", "ignore")
        p.add_setting("proxy")
        sc = self.settings.new(p, None, unsaved=True, external=True)
        dev.managed = True
        self.activator.new(sc, dev, assumed=True)
        dev.applied = p.copy()
        dev.state = DeviceState.ACTIVATED
        dev.external = True
