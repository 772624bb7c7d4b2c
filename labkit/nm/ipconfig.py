"""Stage 3 of an activation: addresses, routes, link-local, and the DHCP/RA timeouts.

Static methods configure at once; DHCP and router advertisements nobody answers in the lab wait
on their timeouts. Each activation's IPConfig (objects.py) says where IPv4 and IPv6 stand; when
nothing is pending any more the stage calls `activated` or `failed`, which the activation part
of the daemon hands it. The route metric and the kernel's share of IPv6 live here too.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable

from labkit.model.macs import eui64_link_local
from labkit.nm.core import NMCore
from labkit.nm.devices import DeviceTracker
from labkit.nm.objects import AcState, ActiveConnection, Device, DeviceState, IPResult, Reason
from labkit.nm.profile import Profile
from labkit.nm.schema import ROUTE_METRICS


def link_local(mac: str, iface: str, mode: str) -> str:
    """The link-local address NetworkManager makes: EUI-64, or a stable-privacy one (RFC 7217,
    keyed by the lab's fixed secret key and the interface name)."""
    if mode == "eui64":
        return str(eui64_link_local(mac))
    secret = b"labkit-fixed-secret-key-32-bytes"
    name = iface.encode("utf-8", "surrogateescape")  # a typed name may hold any byte
    digest = hashlib.sha256(bytes(2) + b"\xfe\x80" + bytes(6) + name + b"\0"
                            + (0).to_bytes(4, "little") + secret).digest()
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + digest[:8]))


class IPStage:
    """IP configuration of the daemon's activations."""

    def __init__(self, core: NMCore, devices: DeviceTracker,
                 activated: Callable[[Device, ActiveConnection], None],
                 failed: Callable[[Device, ActiveConnection, Reason], None]) -> None:
        self.core = core
        self.devices = devices
        self.activated = activated
        self.failed = failed

    # -- IPv6: the kernel's share or NetworkManager's ---------------------------------------
    def kernel_ipv6(self, profile: Profile) -> bool:
        """Does the kernel do this profile's IPv6 (link-local, SLAAC)? For `ignore` always;
        for `auto` with EUI-64 addresses on 1.18, which leaves that to the kernel."""
        method = profile.get("ipv6", "method") if profile.has_setting("ipv6") else None
        if method == "ignore":
            return True
        return bool(self.core.version.kernel_ipv6ll and method == "auto"
                    and profile.get("ipv6", "addr-gen-mode") == "eui64")

    def set_ipv6_mode(self, dev: Device, profile: Profile) -> None:
        """IPv6 `ignore` leaves the kernel to make its link-local; every other method has
        NetworkManager make it (the kernel's generation switched off)."""
        if profile.is_port:
            return
        kernel = self.core.kernel
        by_kernel = self.kernel_ipv6(profile)
        snap = kernel.snapshot()  # the sysctls below change no address
        link = snap.find_link(dev.iface)
        kernel.set_addrgenmode(dev.iface, "eui64" if by_kernel else "none")
        kernel.set_ipv6_sysctl(dev.iface, "accept_ra", "1" if by_kernel else "0")
        if by_kernel and link is not None and link.is_up and dev.dtype == "ethernet" and \
                not snap.addresses_of(dev.iface, 6):
            # addrconf only makes a link-local on the next up: NetworkManager toggles IPv6
            kernel.set_ipv6_sysctl(dev.iface, "disable_ipv6", "1")
            kernel.set_ipv6_sysctl(dev.iface, "disable_ipv6", "0")

    # -- the stage --------------------------------------------------------------------------
    def start(self, dev: Device, ac: ActiveConnection) -> None:
        """Stage 3: addresses and routes for static methods now; DHCP and RA wait on their
        timeouts (nobody answers in the lab); the result decides activated or failed."""
        profile = dev.applied
        assert profile is not None
        dev.state = DeviceState.IP_CONFIG
        if profile.is_port:
            self.activated(dev, ac)
            return
        ip = ac.ip
        metric = self.metric_for(dev, profile)
        v4 = profile.get("ipv4", "method") if profile.has_setting("ipv4") else "disabled"
        if v4 == "manual":
            self._apply_ipv4(dev, profile, metric)
            ip.ipv4 = IPResult.OK
        elif v4 == "auto":
            ip.ipv4 = IPResult.PENDING
        else:
            ip.ipv4 = IPResult.IGNORED
        v6 = profile.get("ipv6", "method") if profile.has_setting("ipv6") else "ignore"
        if v6 in ("ignore", "disabled"):
            ip.ipv6 = IPResult.IGNORED
        elif self.kernel_ipv6(profile):
            ip.ipv6 = IPResult.PENDING
        else:
            self._add_link_local(dev, profile)
            ip.ipv6 = IPResult.OK if v6 in ("link-local", "manual") else IPResult.PENDING
        link = self.core.kernel.link(dev.iface)
        has_carrier = link is not None and link.has_carrier
        if dev.dtype == "bond" and not has_carrier and ip.pending():
            return  # DHCP/RA on a master starts when a port brings carrier
        self._settle(dev, ac)

    def _settle(self, dev: Device, ac: ActiveConnection) -> None:
        profile = dev.applied
        assert profile is not None
        ip = ac.ip
        pending = ip.pending()
        may_fail = {f: bool(profile.get(f, "may-fail")) for f in ("ipv4", "ipv6")
                    if profile.has_setting(f)}
        required_pending = [f for f in pending if not may_fail.get(f, True)]
        if dev.dtype == "bond":
            # a master reports "waiting for ports" while its IP configuration completes
            self.core.later(0.0, lambda: self._finish_master(dev, ac))
            return
        if (ip.any_ok() or not pending) and not required_pending:
            self.activated(dev, ac)
            for family in pending:
                self._start_timeout(dev, ac, family, decides=False)
            return
        for family in pending:
            self._start_timeout(dev, ac, family, decides=True)

    def _finish_master(self, dev: Device, ac: ActiveConnection) -> None:
        if dev.ac is not ac:
            return
        pending = ac.ip.pending()
        if ac.ip.any_ok() or not pending:
            self.activated(dev, ac)
        for family in pending:
            self._start_timeout(dev, ac, family, decides=True)

    def _start_timeout(self, dev: Device, ac: ActiveConnection, family: str,
                       decides: bool) -> None:
        """DHCPv4's or RA's timeout; `decides` when the activation's outcome waits on it."""
        profile = dev.applied
        assert profile is not None
        conf = self.core.conf
        if family == "ipv4":
            own = int(profile.get("ipv4", "dhcp-timeout") or 0)
            timeout = own if own > 0 else conf.dhcp_timeout()
        else:
            own = int(profile.get("ipv6", "ra-timeout") or 0)
            timeout = own if own > 0 else conf.ra_timeout()

        def expire() -> None:
            if dev.ac is not ac:
                return
            self.core.log("info", f"device ({dev.iface}): "
                                  f"{'DHCPv4' if family == 'ipv4' else 'RA'} timed out")
            if decides:
                self._timed_out(dev, ac, family)
        dev.pending.append(self.core.later(timeout, expire))

    def _timed_out(self, dev: Device, ac: ActiveConnection, family: str) -> None:
        ac.ip.set(family, IPResult.FAILED)
        if ac.ip.pending():
            return
        if ac.ip.any_ok():
            if ac.state != AcState.ACTIVATED:
                self.activated(dev, ac)
            return
        self.failed(dev, ac, Reason.IP_CONFIG_UNAVAILABLE)

    # -- what the stage puts in the kernel --------------------------------------------------
    def _apply_ipv4(self, dev: Device, profile: Profile, metric: int) -> None:
        kernel = self.core.kernel
        for cidr in profile.get("ipv4", "addresses"):
            if kernel.add_address4(dev.iface, cidr):
                dev.added_v4.append(cidr)
            dev.added_routes.append(kernel.add_prefix_route(dev.iface, cidr, metric))
        gateway = profile.get("ipv4", "gateway")
        if gateway and not profile.get("ipv4", "never-default"):
            dev.added_routes.append(kernel.add_default_route(dev.iface, gateway, metric))

    def _add_link_local(self, dev: Device, profile: Profile) -> None:
        kernel = self.core.kernel
        link = kernel.link(dev.iface)
        if link is None:
            return
        mode = profile.get("ipv6", "addr-gen-mode")
        cidr = f"{link_local(link.address, dev.iface, mode)}/64"
        if kernel.add_address6(dev.iface, cidr):
            dev.added_v6.append(cidr)

    def metric_for(self, dev: Device, profile: Profile) -> int:
        """The route metric: the profile's, else the device type's default, moved past the
        ones other active devices already use (route-metric-default-effective)."""
        own = int(profile.get("ipv4", "route-metric")) if profile.has_setting("ipv4") else -1
        if own >= 0:
            return own
        metric = ROUTE_METRICS.get(profile.type, 100)
        used = {d.metric for d in self.devices.devices if d is not dev and d.ac is not None}
        while metric in used:
            metric += 1
        dev.metric = metric
        return metric
