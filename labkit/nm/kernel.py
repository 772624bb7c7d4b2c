"""What the daemon asks of the kernel, in NetworkManager's words, through the engine interface.

NetworkManager talks netlink (and a little sysfs) to the kernel; here each of its platform calls
becomes one engine operation on the daemon's host, so the daemon runs unchanged on the sim and
on a real kernel. Errors come back as KernelError, as netlink's do.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from labkit.errors import KernelError

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.model.snapshot import HostSnapshot, Link

# the bond options NetworkManager passes over netlink at creation and activation
NETLINK_BOND_OPTIONS = ("mode", "miimon", "updelay", "downdelay", "peer_notif_delay",
                        "use_carrier", "arp_interval", "arp_ip_target",
                        "arp_validate", "arp_all_targets",
                        "primary_reselect", "fail_over_mac", "xmit_hash_policy", "resend_igmp",
                        "num_grat_arp", "all_slaves_active", "min_links", "lp_interval",
                        "packets_per_slave", "lacp_rate", "ad_select", "ad_actor_sys_prio",
                        "ad_user_port_key", "tlb_dynamic_lb")


def bond_netlink_options(options: dict[str, str]) -> dict[str, str]:
    """_platform_lnk_bond_init_from_setting: the profile's options plus NetworkManager's own
    default (miimon 100 unless ARP monitoring is asked for); primary goes through sysfs."""
    out = {k: v for k, v in options.items() if k in NETLINK_BOND_OPTIONS}
    if int(options.get("arp_interval", "0") or 0) == 0:
        out.setdefault("miimon", "100")
    else:
        out.setdefault("miimon", "0")
    if "num_unsol_na" in options and "num_grat_arp" not in out:
        out["num_grat_arp"] = options["num_unsol_na"]
    return out


class HostKernel:
    """The platform layer of one host's daemon."""

    def __init__(self, engine: Engine, host: str) -> None:
        self.engine = engine
        self.host = host

    # -- reading ----------------------------------------------------------------------------
    def snapshot(self) -> HostSnapshot:
        return self.engine.snapshot(self.host)

    def link(self, name: str) -> Link | None:
        return self.snapshot().find_link(name)

    # -- links ------------------------------------------------------------------------------
    def create_bond(self, name: str, options: dict[str, str]) -> None:
        self.engine.link_add(self.host, name, "bond", options=bond_netlink_options(options))

    def set_bond_options(self, name: str, options: dict[str, str]) -> None:
        """nm_platform_link_bond_change, then primary through sysfs (netlink wants an index)."""
        self.engine.link_set(self.host, name, options=bond_netlink_options(options))
        self.set_bond_sysfs(name, "primary", options.get("primary", ""))

    def set_bond_sysfs(self, name: str, option: str, value: str) -> None:
        path = f"/sys/class/net/{name}/bonding/{option}"
        try:
            self.engine.write_file(self.host, path, (value or "") + "\n")
        except (KernelError, OSError):
            pass  # NetworkManager logs and goes on

    def delete(self, name: str) -> None:
        try:
            self.engine.link_del(self.host, name)
        except KernelError:
            pass

    def up(self, name: str) -> None:
        self.engine.link_set(self.host, name, up=True)

    def down(self, name: str) -> None:
        self.engine.link_set(self.host, name, up=False)

    def enslave(self, port: str, master: str) -> None:
        """attach_port: the port down, enslaved, up again."""
        self.engine.link_set(self.host, port, up=False)
        self.engine.link_set(self.host, port, master=master)
        self.engine.link_set(self.host, port, up=True)

    def release(self, port: str) -> None:
        """detach_port: released (the kernel closes it), then brought up again."""
        try:
            self.engine.link_set(self.host, port, master=None)
        except KernelError:
            return
        self.engine.link_set(self.host, port, up=True)

    def set_addrgenmode(self, name: str, mode: str) -> None:
        try:
            self.engine.link_set(self.host, name, addrgenmode=mode)
        except KernelError:
            pass

    def set_ipv6_sysctl(self, name: str, key: str, value: str) -> None:
        """/proc/sys/net/ipv6/conf/NAME/KEY (accept_ra, disable_ipv6)."""
        try:
            self.engine.write_file(self.host, f"/proc/sys/net/ipv6/conf/{name}/{key}",
                                   value + "\n")
        except (KernelError, OSError):
            pass

    # -- addresses and routes ---------------------------------------------------------------
    def add_address4(self, dev: str, cidr: str) -> bool:
        iface = ipaddress.IPv4Interface(cidr)
        brd = str(iface.network.broadcast_address) if iface.network.prefixlen < 31 else None
        try:
            self.engine.addr_add(self.host, dev, cidr, broadcast=brd, noprefixroute=True)
        except KernelError:
            return False
        return True

    def add_address6(self, dev: str, cidr: str) -> bool:
        try:
            self.engine.addr_add(self.host, dev, cidr, noprefixroute=True)
        except KernelError:
            return False
        return True

    def del_address(self, dev: str, cidr: str) -> None:
        try:
            self.engine.addr_del(self.host, dev, cidr)
        except KernelError:
            pass

    def add_prefix_route(self, dev: str, cidr: str, metric: int) -> tuple[str, str | None, int]:
        iface = ipaddress.IPv4Interface(cidr)
        dst = str(iface.network)
        try:
            self.engine.route_add(self.host, dst, dev=dev, metric=metric, proto="kernel",
                                  src=str(iface.ip))
        except KernelError:
            pass
        return (dst, None, metric)

    def add_default_route(self, dev: str, gateway: str, metric: int
                          ) -> tuple[str, str | None, int]:
        try:
            self.engine.route_add(self.host, "default", gateway=gateway, dev=dev, metric=metric,
                                  proto="static")
        except KernelError:
            pass
        return ("default", gateway, metric)

    def del_route(self, dev: str, route: tuple[str, str | None, int]) -> None:
        dst, gateway, metric = route
        try:
            self.engine.route_del(self.host, dst, gateway=gateway, dev=dev, metric=metric)
        except KernelError:
            pass
