"""The bonding driver of the simulated kernel, after drivers/net/bonding of Linux 6.1 (Debian's
6.1.0-56, upstream 6.1.192): enslave and release, MAC handling per mode and fail_over_mac,
the MII monitor with updelay/downdelay, active-slave selection (primary, primary_reselect and
the 6.0+ prio rule), peer notification (gratuitous ARP) on failover, and the option rules.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from errno import EACCES, EBUSY, EINVAL, ENODEV, ENOENT, ENOTEMPTY, EPERM
from typing import TYPE_CHECKING

from labkit.engines.bond_options import (
    AB,
    AD,
    ALB,
    BROADCAST,
    MAX,
    MIN,
    NETLINK_ORDER,
    OPTIONS,
    RR,
    TLB,
    XOR,
    parse_value,
)
from labkit.engines.sim import bondlog
from labkit.engines.sim.arpmon import ArpMonitor
from labkit.engines.sim.clock import FOREVER
from labkit.engines.sim.frames import Frame, is_multicast
from labkit.engines.sim.netdev import NetDevice
from labkit.errors import KernelError

if TYPE_CHECKING:
    from labkit.engines.sim.clock import SimTimer
    from labkit.engines.sim.netns import Namespace

LINK_UP, LINK_FAIL, LINK_DOWN, LINK_BACK = "UP", "GOING_DOWN", "DOWN", "GOING_BACK"
NOCHANGE = "NOCHANGE"


def uses_primary(mode: int) -> bool:
    """bond_uses_primary: active-backup, balance-tlb and balance-alb have an active slave."""
    return mode in (AB, TLB, ALB)


def is_lb(mode: int) -> bool:
    """bond_is_lb: balance-tlb and balance-alb."""
    return mode in (TLB, ALB)


@dataclass
class BondParams:
    """struct bond_params with the driver's defaults for a bond made over netlink."""

    mode: int = RR
    miimon: int = 0
    updelay: int = 0  # multiples of miimon
    downdelay: int = 0
    peer_notif_delay: int = 0
    use_carrier: int = 1
    arp_interval: int = 0
    arp_targets: tuple[str, ...] = ()
    ns_targets: tuple[str, ...] = ()
    arp_validate: int = 0
    arp_all_targets: int = 0
    missed_max: int = 2
    primary: str = ""
    primary_reselect: int = 0
    fail_over_mac: int = 0
    xmit_policy: int = 0
    resend_igmp: int = 1
    num_peer_notif: int = 1
    all_slaves_active: int = 0
    min_links: int = 0
    lp_interval: int = 1
    packets_per_slave: int = 1
    lacp_active: int = 1
    lacp_fast: int = 0
    ad_select: int = 0
    tlb_dynamic_lb: int = 1
    ad_actor_sys_prio: int = 65535
    ad_user_port_key: int = 0
    ad_actor_system: str = "00:00:00:00:00:00"


class Slave:
    """A bond port (struct slave); it is the rx handler of its device."""

    def __init__(self, bond: Bond, dev: NetDevice) -> None:
        self.bond = bond
        self.dev = dev
        self.perm_hwaddr = dev.mac
        self.original_mtu = dev.mtu
        self.link = LINK_DOWN
        self.new_link = NOCHANGE
        self.delay = 0
        self.link_failure_count = 0
        self.backup = False
        self.inactive = False
        self.queue_id = 0
        self.prio = 0
        self.speed: int | None = dev.speed if dev.speed is not None else 1000
        self.duplex: str | None = "full"
        self.ad_aggregator_id: int | None = None
        self.stats_base = (dev.counters.rx_packets, dev.counters.rx_bytes,
                           dev.counters.tx_packets, dev.counters.tx_bytes)
        # the ARP monitor's clocks, in jiffies (arpmon.py)
        self.last_rx = 0
        self.last_tx = 0
        self.last_link_up = 0
        self.target_last_arp_rx: dict[str, int] = {}

    @property
    def is_up(self) -> bool:
        """bond_slave_is_up: running with carrier."""
        return self.dev.admin_up and self.dev.carrier

    def can_tx(self) -> bool:
        """bond_slave_can_tx: up, link UP and active."""
        return self.is_up and self.link == LINK_UP and not self.backup

    def handle_frame(self, frame: Frame) -> NetDevice | None:
        """bond_handle_frame: inactive slaves keep frames to themselves (exact match only).
        In 802.3ad the ports of the active aggregator collect (__enable_port), the rest not.
        The ARP monitor sees every frame first (bond->recv_probe)."""
        if self.bond.arpmon.running:
            self.bond.arpmon.rcv_validate(self, frame)
        if self.bond.params.mode == AD:
            collecting = (self.is_up and self.link == LINK_UP
                          and self.ad_aggregator_id == self.bond.active_aggregator())
            return self.bond if collecting else None
        if self.inactive:
            if self.bond.params.mode == ALB and not is_multicast(frame.dst):
                return self.bond
            return None
        return self.bond


class Bond(NetDevice):
    """A bonding master device."""

    kind = "bond"
    base_flags = ("BROADCAST", "MULTICAST", "MASTER")
    num_queues = 16

    def __init__(self, ns: Namespace, name: str, mac: str | None = None) -> None:
        super().__init__(ns, name, mac or ns.world.random_mac())
        self.addr_assign = "set" if mac else "random"
        self.params = BondParams()
        self.slaves: list[Slave] = []
        self.curr_active: Slave | None = None
        self.primary_slave: Slave | None = None
        self.force_primary = False
        self.send_peer_notif = 0
        self.carrier = False
        self.oper = "DOWN"
        self.tso_max_size = 65536
        self._mii_timer: SimTimer | None = None
        self.arpmon = ArpMonitor(self)
        self._unregistering = False
        self._rr_counter = 0
        self.released_stats = [0, 0, 0, 0]
        self.synced: dict[int, list[str]] = {}  # slave ifindex -> addresses dev_mc_sync added
        self.next_ad_id = 1
        self.opened_at = 0  # ns of lab time

    # -- helpers ----------------------------------------------------------------------------
    @property
    def mode(self) -> int:
        return self.params.mode

    def slave_of(self, dev: NetDevice) -> Slave | None:
        for s in self.slaves:
            if s.dev is dev:
                return s
        return None

    def slave_info(self, slave: Slave | NetDevice, text: str, level: int = 6) -> None:
        """slave_info/slave_warn/slave_err: "bond0: (slave ens37): text" in the kernel log."""
        dev = slave.dev if isinstance(slave, Slave) else slave
        self.ns.world.klog.printk(level, bondlog.port_line(self.log_name, dev.name, text,
                                                           self._legacy_log))

    @property
    def log_name(self) -> str:
        """netdev_name plus netdev_reg_state: " (unregistering)" while the bond goes away."""
        return self.name + (" (unregistering)" if self._unregistering else "")

    @property
    def _legacy_log(self) -> bool:
        """The driver before Linux 5.3's slave_info lines (CentOS 7's 3.7.1)."""
        version = self.ns.world.bonding_version
        return bool(version) and not str(version).startswith("v6")

    def _check_link(self, slave: Slave) -> bool:
        """bond_check_dev_link with use_carrier: running and carrier."""
        return slave.is_up

    # -- creation and options ---------------------------------------------------------------
    def apply_netlink(self, options: dict[str, int | str]) -> None:
        """bond_changelink: options in the kernel's fixed order, stopping at the first error."""
        unknown = set(options) - set(NETLINK_ORDER) - {"num_unsol_na"}
        if unknown:
            raise KernelError(EINVAL)
        miimon_given = int(options.get("miimon", 0) or 0)
        for name in NETLINK_ORDER:
            if name not in options:
                continue
            value = options[name]
            if name == "arp_interval" and int(value) and miimon_given:
                raise KernelError(EINVAL, "ARP monitoring cannot be used with MII monitoring")
            if name == "arp_validate" and int(value) and miimon_given:
                raise KernelError(EINVAL, "ARP validating cannot be used with MII monitoring")
            if name in ("active_slave", "primary"):
                value = str(value)
            self.set_option(name, value)

    def set_option(self, name: str, raw: int | str) -> None:
        """__bond_opt_set, and bond_opt_error_interpret's line in the kernel log when it fails."""
        try:
            self._set_option(name, raw)
        except KernelError as exc:
            self._opt_error(name, raw, exc.errno)
            raise

    def _opt_error(self, name: str, raw: int | str, errno: int) -> None:
        opt = OPTIONS.get(name)
        if opt is None:
            return
        shown = raw.split("\n", 1)[0] if isinstance(raw, str) else str(raw)
        if errno == EACCES:  # bond_opt_dep_print
            self.netdev_err(f"option {name}: mode dependency failed, not supported in mode "
                            f"{OPTIONS['mode'].name_of(self.mode)}({self.mode})")
        elif errno == EINVAL:
            self.netdev_err(f"option {name}: invalid value ({shown})")
            lo = next((v.value for v in opt.values or () if MIN in v.flags), None)
            hi = next((v.value for v in opt.values or () if MAX in v.flags), None)
            if lo is not None and hi is not None:
                self.netdev_err(f"option {name}: allowed values {lo} - {hi}")
        elif errno == ENOTEMPTY:
            self.netdev_err(f"option {name}: unable to set because the bond device has slaves")
        elif errno == EBUSY:
            self.netdev_err(f"option {name}: unable to set because the bond device is up")
        elif errno == ENODEV and isinstance(raw, str):
            self.netdev_err(f"option {name}: interface {shown} does not exist!")

    def _set_option(self, name: str, raw: int | str) -> None:
        opt = OPTIONS.get(name)
        if opt is None:
            raise KernelError(ENOENT)
        if self.mode in opt.unsupp_modes:
            raise KernelError(EACCES, "option not supported in mode")
        if opt.noslaves and self.slaves:
            raise KernelError(ENOTEMPTY, "unable to set option because the bond device has slaves")
        if opt.ifdown and self.admin_up:
            raise KernelError(EBUSY, "unable to set option because the bond is up")
        if opt.rawval:
            getattr(self, f"_set_{name}")(str(raw))
            return
        value = parse_value(opt, raw)
        if value is None:
            raise KernelError(EINVAL, "invalid option value")
        setter = getattr(self, f"_set_{name}", None)
        if setter is not None:
            setter(value)
        else:
            attr = {"num_grat_arp": "num_peer_notif", "num_unsol_na": "num_peer_notif",
                    "xmit_hash_policy": "xmit_policy", "lacp_rate": "lacp_fast",
                    "arp_missed_max": "missed_max"}.get(name, name)
            setattr(self.params, attr, value)

    def _set_mode(self, value: int) -> None:
        if value in (AD, TLB, ALB):
            self.params.arp_interval = 0
            if not self.params.miimon:
                self.params.miimon = 100
        if value == ALB:
            self.params.tlb_dynamic_lb = 1
        self.params.arp_validate = 0
        self.params.mode = value

    def _set_miimon(self, value: int) -> None:
        self.params.miimon = value
        if value and self.params.arp_interval:
            self.params.arp_interval = 0
            self.params.arp_validate = 0
        if self.admin_up:
            self._stop_mii()
            if value:
                self.arpmon.stop()
                self._start_mii(0)

    def _set_delay(self, attr: str, value: int) -> None:
        miimon = self.params.miimon
        words = {"updelay": "up delay", "downdelay": "down delay",
                 "peer_notif_delay": "peer notification delay"}[attr]
        if not miimon:
            self.netdev_err(f"Unable to set {words} as MII monitoring is disabled")
            raise KernelError(EPERM)
        if value % miimon:
            self.netdev_warn(f"{words} ({value}) is not a multiple of miimon ({miimon}), "
                             f"value rounded to {value // miimon * miimon} ms")
        setattr(self.params, attr, value // miimon)

    def _set_updelay(self, value: int) -> None:
        self._set_delay("updelay", value)

    def _set_downdelay(self, value: int) -> None:
        self._set_delay("downdelay", value)

    def _set_peer_notif_delay(self, value: int) -> None:
        self._set_delay("peer_notif_delay", value)

    def _set_arp_interval(self, value: int) -> None:
        self.params.arp_interval = value
        if value and self.params.miimon:
            self.params.miimon = 0
            self._stop_mii()
        if self.admin_up:
            if not value:
                self.arpmon.stop()
            else:
                self._stop_mii()
                self.arpmon.start()

    def _set_arp_ip_target(self, raw: str) -> None:
        """bond_option_arp_ip_targets_set: over netlink the list replaces the targets; through
        sysfs (what echo wrote, newline and all) '+addr' adds and '-addr' removes one."""
        if not raw.endswith("\n"):
            self.params.arp_targets = tuple(t for t in raw.split(",") if t)
            for slave in self.slaves:
                slave.target_last_arp_rx = {t: self.arpmon.jiffies()
                                            for t in self.params.arp_targets}
            return
        text = raw.strip()
        try:
            target = ipaddress.IPv4Address(text[1:]) if text else None
        except ValueError:
            target = None
        if target is None:
            self.netdev_err("invalid ARP target specified")
            raise KernelError(EPERM)
        targets = list(self.params.arp_targets)
        addr = str(target)
        if text[0] == "+":
            if target.is_unspecified or target == ipaddress.IPv4Address("255.255.255.255"):
                self.netdev_err(f"invalid ARP target {addr} specified for addition")
                raise KernelError(EINVAL)
            if addr in targets:
                self.netdev_err(f"ARP target {addr} is already present")
                raise KernelError(EINVAL)
            if len(targets) >= 16:
                self.netdev_err("ARP target table is full!")
                raise KernelError(EINVAL)
            targets.append(addr)
            for slave in self.slaves:
                slave.target_last_arp_rx[addr] = self.arpmon.jiffies()
        elif text[0] == "-":
            if target.is_unspecified or target == ipaddress.IPv4Address("255.255.255.255"):
                self.netdev_err(f"invalid ARP target {addr} specified for removal")
                raise KernelError(EINVAL)
            if addr not in targets:
                self.netdev_err(f"unable to remove nonexistent ARP target {addr}")
                raise KernelError(EINVAL)
            if len(targets) == 1 and self.params.arp_interval:
                self.netdev_warn("Removing last arp target with arp_interval on")
            targets.remove(addr)
        else:
            self.netdev_err("no command found in arp_ip_targets file - use +<addr> or -<addr>")
            raise KernelError(EPERM)
        self.params.arp_targets = tuple(targets)

    def _set_ns_ip6_target(self, raw: str) -> None:
        self.params.ns_targets = tuple(t for t in raw.split(",") if t)

    def _set_fail_over_mac(self, value: int) -> None:
        self.params.fail_over_mac = value

    def _set_primary(self, raw: str) -> None:
        """bond_option_primary_set: a slave of that name becomes primary, else the name waits."""
        name = raw.split("\n", 1)[0][:15]
        if not name:
            self.params.primary = ""
            self.primary_slave = None
            self.select_active()
            return
        for slave in self.slaves:
            if slave.dev.name == name:
                self.primary_slave = slave
                self.params.primary = name
                self.force_primary = True
                self.select_active()
                return
        if self.primary_slave is not None:
            self.primary_slave = None
            self.select_active()
        self.params.primary = name

    def _set_primary_reselect(self, value: int) -> None:
        self.params.primary_reselect = value
        self.select_active()

    def _set_active_slave(self, raw: str) -> None:
        """bond_option_active_slave_set and its checks, in the kernel's order."""
        name = raw.split("\n", 1)[0].strip()[:15]
        if not name:
            self.curr_active = None
            self.select_active()
            return
        dev = self.ns.find(name)
        if dev is None:
            raise KernelError(ENODEV, "interface does not exist")
        slave = dev.port if isinstance(dev.port, Slave) else None
        if slave is None:
            self.netdev_err(f"Device {dev.name} is not bonding slave")
            raise KernelError(EINVAL)
        if slave.bond is not self:
            self.slave_info(slave, "Device is not our slave", 3)
            raise KernelError(EINVAL)
        if slave is self.curr_active:
            return
        if self.curr_active is not None and slave.link == LINK_UP and slave.is_up:
            self.change_active(slave)
        else:
            self.slave_info(slave, f"Could not set as active slave; either {slave.dev.name} is "
                                   "down or the link is down", 3)
            raise KernelError(EINVAL)

    def _set_slaves(self, raw: str) -> None:
        cmd = raw.split()[0][:16] if raw.split() else ""
        if len(cmd) <= 1 or cmd[0] not in "+-":
            self.netdev_err("no command found in slaves file - use +ifname or -ifname")
            raise KernelError(EPERM)
        dev = self.ns.find(cmd[1:16])
        if dev is None:
            raise KernelError(ENODEV)
        try:
            if cmd[0] == "+":
                self.enslave(dev)
            else:
                self.release(dev)
        except KernelError as exc:
            if exc.extack:  # no extack over sysfs: BOND_NL_ERR/SLAVE_NL_ERR log it instead
                self.slave_info(dev, f"Error: {exc.extack}", 3)
            raise

    def _set_queue_id(self, raw: str) -> None:
        name, _, qid = raw.strip().partition(":")
        slave = next((s for s in self.slaves if s.dev.name == name), None)
        if slave is None or not qid.isdigit() or int(qid) > self.num_queues:
            raise KernelError(EPERM)  # "invalid input for queue_id set" is only netdev_dbg
        slave.queue_id = int(qid)

    def _set_ad_actor_system(self, raw: str) -> None:
        """bond_option_ad_actor_system_set: six hex bytes, not a group address."""
        parts = raw.strip().split(":")
        try:
            octets = [int(p, 16) for p in parts]
        except ValueError:
            octets = []
        if len(octets) != 6 or any(not 0 <= o <= 255 for o in octets) or octets[0] & 1:
            self.netdev_err("Invalid ad_actor_system MAC address.")
            raise KernelError(EINVAL)
        self.params.ad_actor_system = ":".join(f"{o:02x}" for o in octets)

    def set_slave_prio(self, slave: Slave, prio: int) -> None:
        """IFLA_BOND_SLAVE_PRIO: valid in AB/TLB/ALB; re-selects the active slave."""
        if self.mode not in (AB, TLB, ALB):
            raise KernelError(EACCES, "option not supported in mode")
        slave.prio = prio
        self.select_active()

    # -- open / close -----------------------------------------------------------------------
    def on_open(self) -> None:
        self.opened_at = self.ns.world.clock.now_ns()
        for slave in self.slaves:
            if uses_primary(self.mode) and slave is not self.curr_active:
                self._set_inactive(slave)
            elif self.mode != AD:
                self._set_active_flags(slave)
        for slave in self._mc_targets():
            self._mc_sync(slave)
        if self.params.miimon:
            self._start_mii(0)
        elif self.params.arp_interval:
            self.arpmon.start()

    def on_close(self) -> None:
        self._stop_mii()
        self.arpmon.stop()
        self.send_peer_notif = 0
        for slave in self.slaves:  # bond_hw_addr_flush
            self._mc_unsync(slave)

    # -- multicast lists (dev_mc_sync to the slaves that carry the bond's traffic) ---------
    def _mc_targets(self) -> list[Slave]:
        if not self.admin_up:
            return []
        if uses_primary(self.mode):
            return [self.curr_active] if self.curr_active is not None else []
        return list(self.slaves)

    def _mc_sync(self, slave: Slave) -> None:
        added = self.synced.setdefault(slave.dev.ifindex, [])
        for mac in self.mc_list:
            if mac not in slave.dev.mc_list:
                slave.dev.mc_add(mac)
                added.append(mac)

    def _mc_unsync(self, slave: Slave) -> None:
        for mac in self.synced.pop(slave.dev.ifindex, []):
            slave.dev.mc_del(mac)

    def mc_add(self, mac: str) -> None:
        """bond_set_rx_mode: a new group of the bond goes to the slaves that carry traffic."""
        super().mc_add(mac)
        for slave in self._mc_targets():
            self._mc_sync(slave)

    def mc_del(self, mac: str) -> None:
        super().mc_del(mac)
        for slave in self.slaves:
            added = self.synced.get(slave.dev.ifindex, [])
            if mac in added:
                added.remove(mac)
                slave.dev.mc_del(mac)

    def _start_mii(self, delay: int) -> None:
        """Start the MII monitor `delay` ns from now; it ticks every miimon ms from there."""
        self._stop_mii()
        self._mii_timer = self.ns.world.clock.call_later_ns(
            delay, self._mii_monitor, period=self._mii_period(),
            fperiod=self.params.miimon / 1000.0, idle=self._mii_idle_until)

    def _mii_period(self) -> int:
        return self.params.miimon * 1_000_000

    def _mii_idle_until(self) -> int:
        """Until when the MII monitor's ticks would do nothing but re-arm (the clock parks it
        meanwhile): while every slave's carrier agrees with its link state, no updelay or
        downdelay counts down and no peer notification is owed. A change shows at the next
        tick of its own phase, as when it ticked all along."""
        if not self.params.miimon or not self.admin_up or self.send_peer_notif:
            return 0
        timer = self._mii_timer
        if timer is None or timer.period != self._mii_period():
            return 0
        for slave in self.slaves:
            if slave.link == LINK_UP:
                if not self._check_link(slave):
                    return 0
            elif slave.link != LINK_DOWN or self._check_link(slave):
                return 0
        return FOREVER

    def _stop_mii(self) -> None:
        if self._mii_timer is not None:
            self._mii_timer.cancel()
            self._mii_timer = None

    # -- enslave / release ------------------------------------------------------------------
    def enslave(self, dev: NetDevice) -> None:
        """bond_enslave with the checks (and their errors) in the kernel's order."""
        if dev.port is not None:
            raise KernelError(EBUSY, "Device is in use and cannot be enslaved")
        if dev is self:
            raise KernelError(EPERM, "Cannot enslave bond to itself.")
        if dev.admin_up:
            raise KernelError(EPERM, "Device can not be enslaved while up")
        if dev.link_type != "ether":
            raise KernelError(EINVAL, "Device type is different from other slaves")
        first = not self.slaves
        if first and self.addr_assign == "random":
            self.set_mac(dev.mac, assign="stolen")
        slave = Slave(self, dev)
        if dev.mtu != self.mtu:
            dev.mtu = self.mtu
        if not self.params.fail_over_mac or self.mode != AB:
            dev.set_mac(self.mac)
        dev.iff_slave = True
        dev.port = slave
        dev.cable_changed()
        dev.master = self
        dev.open()
        if is_lb(self.mode):
            self._alb_init_slave(slave)
        # the ARP monitor's clocks start an interval and a jiffy ago, whatever the monitor
        slave.last_rx = self.arpmon.jiffies() - (self.arpmon.delta() + 1)
        slave.target_last_arp_rx = {t: slave.last_rx for t in self.params.arp_targets}
        slave.last_tx = slave.last_rx
        # initial link state
        if self.params.miimon:
            if self._check_link(slave):
                if self.params.updelay:
                    slave.link, slave.delay = LINK_BACK, self.params.updelay
                else:
                    slave.link = LINK_UP
            else:
                slave.link = LINK_DOWN
        elif self.params.arp_interval:
            slave.link = LINK_UP if dev.carrier else LINK_DOWN
        else:
            slave.link = LINK_UP
        if slave.link != LINK_DOWN:
            slave.last_link_up = self.arpmon.jiffies()
        if uses_primary(self.mode) and self.params.primary and self.params.primary == dev.name:
            self.primary_slave = slave
            self.force_primary = True
        if self.mode in (AB, AD):
            self._set_inactive(slave)
            if self.mode == AD:
                slave.ad_aggregator_id = self.next_ad_id
                self.next_ad_id += 1
        elif is_lb(self.mode):
            slave.backup = False
            self._set_inactive(slave)
        else:
            self._set_active_flags(slave)
            if self.curr_active is None and slave.link == LINK_UP:
                self.curr_active = slave
        self.slaves.append(slave)
        if not uses_primary(self.mode) and self.admin_up:
            self._mc_sync(slave)
        self.tso_max_size = min(s.dev.tso_max_size for s in self.slaves)
        self.set_carrier_from_slaves()
        if uses_primary(self.mode):
            self.select_active()
        self.slave_info(slave, "Enslaving as {} interface with {} link".format(
            "a backup" if slave.backup else "an active",
            "a down" if slave.link == LINK_DOWN else "an up"))

    def release(self, dev: NetDevice, all_slaves: bool = False) -> None:
        """__bond_release_one."""
        slave = self.slave_of(dev)
        if slave is None or not dev.iff_slave:
            slave_msg = "Error: cannot release. Slave is not a member of the bond"
            raise KernelError(EINVAL, slave_msg)
        self._set_inactive(slave)  # before the log line: outside TLB/ALB it says "backup"
        self.slave_info(slave, "Releasing {} interface".format(
            "backup" if slave.backup else "active"))
        base = slave.stats_base
        c = dev.counters
        for i, now in enumerate((c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes)):
            self.released_stats[i] += now - base[i]
        self.slaves.remove(slave)
        self._mc_unsync(slave)
        dev.port = None
        dev.cable_changed()
        dev.master = None
        dev.iff_slave = False
        old_current = self.curr_active
        self.arpmon.current_arp_slave = None
        if (not all_slaves and (not self.params.fail_over_mac or self.mode != AB)
                and self.mac == slave.perm_hwaddr and self.slaves):
            self.slave_info(slave, f"the permanent HWaddr of slave - {slave.perm_hwaddr} - is "
                                   "still in use by bond - set the HWaddr of slave to a "
                                   "different address to avoid conflicts", 4)
        if self.primary_slave is slave:
            self.primary_slave = None
        if old_current is slave:
            self.change_active(None)
        if is_lb(self.mode):
            self._alb_deinit_slave(slave)
        if all_slaves:
            self.curr_active = None
        elif old_current is slave:
            self.select_active()
        if self.curr_active is slave:
            self.curr_active = None
        self.set_carrier_from_slaves()
        if not self.slaves:
            self.set_mac(self.ns.world.random_mac(), assign="random")
        self.tso_max_size = min([s.dev.tso_max_size for s in self.slaves] or [65536])
        dev.close()
        if self.params.fail_over_mac != 1 or self.mode != AB:
            dev.set_mac(slave.perm_hwaddr, assign="perm")
        dev.mtu = slave.original_mtu

    def unregister(self) -> None:
        """bond_uninit, run as the device unregisters (every line says so)."""
        self._unregistering = True
        for slave in list(self.slaves):
            self.release(slave.dev, all_slaves=True)
        self.netdev_info("Released all slaves")
        self._stop_mii()
        self.arpmon.stop()

    def netdev_info(self, text: str) -> None:
        self.ns.world.klog.printk(6, f"{self.log_name}: {text}")

    def netdev_warn(self, text: str) -> None:
        self.ns.world.klog.printk(4, f"{self.log_name}: {text}")

    def netdev_err(self, text: str) -> None:
        self.ns.world.klog.printk(3, f"{self.log_name}: {text}")

    # -- slave state ------------------------------------------------------------------------
    def _set_inactive(self, slave: Slave) -> None:
        """bond_set_slave_inactive_flags."""
        if not is_lb(self.mode):
            slave.backup = True
        if not self.params.all_slaves_active:
            slave.inactive = True

    def _set_active_flags(self, slave: Slave) -> None:
        """bond_set_slave_active_flags."""
        slave.backup = False
        slave.inactive = False

    def set_carrier_from_slaves(self) -> bool:
        """bond_set_carrier: on iff some slave's link is UP (802.3ad: its aggregator)."""
        up = any(s.link == LINK_UP for s in self.slaves)
        if self.mode == AD:
            up = up and sum(1 for s in self.slaves if s.link == LINK_UP) >= self.params.min_links
        if up != self.carrier:
            self.set_carrier(up)
            return True
        return False

    # -- active slave selection -------------------------------------------------------------
    def _choose_primary_or_current(self) -> Slave | None:
        prim, curr = self.primary_slave, self.curr_active
        if prim is None or prim.link != LINK_UP:
            hprio = None
            for slave in self.slaves:
                if slave.link == LINK_UP:
                    hprio = hprio or slave
                    if slave.prio > hprio.prio:
                        hprio = slave
            if hprio is not None and hprio is not curr:
                prim = hprio
            else:
                if curr is None or curr.link != LINK_UP:
                    return None
                return curr
        elif self.force_primary:
            self.force_primary = False
            return prim
        if curr is None or curr.link != LINK_UP:
            return prim
        reselect = self.params.primary_reselect
        if reselect == 0:
            return prim
        if reselect == 1:
            if (prim.speed or 0) < (curr.speed or 0):
                return curr
            if (prim.speed or 0) == (curr.speed or 0):
                return curr
            return prim
        return curr

    def _find_best(self) -> Slave | None:
        slave = self._choose_primary_or_current()
        if slave is not None:
            return slave
        best, mintime = None, self.params.updelay
        for slave in self.slaves:
            if slave.link == LINK_UP:
                return slave
            if slave.link == LINK_BACK and slave.is_up and slave.delay < mintime:
                mintime, best = slave.delay, slave
        return best

    def select_active(self) -> None:
        """bond_select_active_slave, in every mode but 802.3ad (whose aggregator selection
        labkit does not model): in balance-rr, balance-xor and broadcast the current port has
        no special role, but choosing it is what turns the bond's carrier on or off, and says
        so in the log."""
        if self.mode == AD:
            return
        best = self._find_best()
        if best is not self.curr_active:
            self.change_active(best)
            if self.set_carrier_from_slaves():
                self.netdev_info(bondlog.bond_line("active interface up!", self._legacy_log)
                                 if self.carrier
                                 else "now running without any active interface!")

    def change_active(self, new: Slave | None) -> None:
        """bond_change_active_slave: flags, MAC handling, peer notification."""
        old = self.curr_active
        if old is new:
            return
        if new is not None and new.link == LINK_BACK:
            if uses_primary(self.mode):
                self.slave_info(new, "making interface the new active one "
                                     f"{(self.params.updelay - new.delay) * self.params.miimon}"
                                     " ms earlier")
            new.delay = 0
            new.link = LINK_UP
        elif new is not None and uses_primary(self.mode):
            self.slave_info(new, "making interface the new active one")
        if is_lb(self.mode):
            self._alb_change_active(old, new)
            if old is not None:
                self._set_inactive(old)
            if new is not None:
                self._set_active_flags(new)
        self.curr_active = new
        if new is not None:
            new.last_link_up = self.arpmon.jiffies()
        if uses_primary(self.mode):  # bond_hw_addr_swap
            if old is not None:
                self._mc_unsync(old)
            if new is not None and self.admin_up:
                self._mc_sync(new)
        if self.mode == AB:
            if old is not None:
                self._set_inactive(old)
            if new is not None:
                self._set_active_flags(new)
                if self.params.fail_over_mac:
                    self._do_fail_over_mac(new, old)
                notify = False
                if self.admin_up:
                    self.send_peer_notif = (self.params.num_peer_notif
                                            * max(1, self.params.peer_notif_delay))
                    notify = self._should_notify_peers()
                if notify:
                    self.send_peer_notif -= 1
                    self._notify_peers()
        if self.admin_up and self.params.resend_igmp > 0 and (
                (uses_primary(self.mode) and new is not None) or self.mode == RR):
            self.ns.world.clock.call_later(0.004, self._resend_igmp)

    def _should_notify_peers(self) -> bool:
        slave = self.curr_active
        return bool(slave is not None and self.send_peer_notif
                    and self.send_peer_notif % max(1, self.params.peer_notif_delay) == 0
                    and self.carrier)

    def _notify_peers(self) -> None:
        """NETDEV_NOTIFY_PEERS: gratuitous ARP per IPv4 address, unsolicited NA per IPv6."""
        self.ns.inet.send_gratuitous_arp(self)
        self.ns.addrconf.send_unsolicited_na(self)

    def _resend_igmp(self) -> None:
        if self.admin_up:
            self.ns.addrconf.rejoin_groups(self)

    def _do_fail_over_mac(self, new: Slave, old: Slave | None) -> None:
        """bond_do_fail_over_mac for active (1) and follow (2)."""
        if self.params.fail_over_mac == 1:
            self.set_mac(new.dev.mac, assign="stolen")
        elif self.params.fail_over_mac == 2:
            if old is None:
                old = next((s for s in self.slaves if s is not new and s.dev.mac == self.mac), None)
            if old is not None:
                new_mac = new.dev.mac
                new.dev.set_mac(old.dev.mac)
                old.dev.set_mac(new_mac)
            else:
                new.dev.set_mac(self.mac)

    # -- TLB / ALB MAC handling (bond_alb.c) -----------------------------------------------
    def _alb_init_slave(self, slave: Slave) -> None:
        slave.dev.mac = slave.perm_hwaddr
        if len(self.slaves) == 0:
            return
        taken = {s.dev.mac for s in self.slaves}
        if slave.perm_hwaddr == self.mac or slave.dev.mac in taken:
            free = next((s.perm_hwaddr for s in self.slaves
                         if s.perm_hwaddr not in taken and s.perm_hwaddr != self.mac), None)
            if free is not None:
                slave.dev.mac = free

    def _alb_change_active(self, old: Slave | None, new: Slave | None) -> None:
        if new is None:
            return
        partner = old or next((s for s in self.slaves if s.dev.mac == self.mac and s is not new),
                              None)
        if partner is not None:
            partner.dev.mac, new.dev.mac = new.dev.mac, partner.dev.mac
        else:
            new.dev.mac = self.mac

    def _alb_deinit_slave(self, slave: Slave) -> None:
        holder = next((s for s in self.slaves if s.dev.mac == slave.perm_hwaddr), None)
        if holder is not None:
            holder.dev.mac, slave.dev.mac = slave.dev.mac, holder.dev.mac

    # -- the MII monitor --------------------------------------------------------------------
    def _mii_monitor(self) -> None:
        """bond_mii_monitor: inspect, commit, peer notifications, re-arm."""
        self._mii_timer = None
        if self.slaves:
            should_notify = self._should_notify_peers()
            commit = self._miimon_inspect()
            if commit or self.send_peer_notif:
                if commit:
                    for slave in self.slaves:
                        if slave.new_link != NOCHANGE:
                            slave.link = slave.new_link
                    self._miimon_commit()
                if self.send_peer_notif:
                    self.send_peer_notif -= 1
                    if should_notify:
                        self._notify_peers()
        if self.params.miimon and self.admin_up:
            period = self.params.miimon / 1000.0
            self._mii_timer = self.ns.world.clock.call_later_ns(
                self._mii_period(), self._mii_monitor, fdelay=period, period=self._mii_period(),
                fperiod=period, idle=self._mii_idle_until)

    def _miimon_inspect(self) -> int:
        commit = 0
        if self.mode == AB:
            ignore_updelay = self.curr_active is None
        else:
            ignore_updelay = not any(s.can_tx() for s in self.slaves)
        for slave in self.slaves:
            slave.new_link = NOCHANGE
            link_state = self._check_link(slave)
            state = slave.link
            if state == LINK_UP:
                if link_state:
                    continue
                slave.new_link = LINK_FAIL
                commit += 1
                slave.delay = self.params.downdelay
                state = LINK_FAIL
                if slave.delay:
                    kind = ""
                    if self.mode == AB:
                        kind = "backup " if slave.backup else "active "
                    self.slave_info(slave, f"link status down for {kind}interface, disabling it "
                                           f"in {self.params.downdelay * self.params.miimon} ms")
            if state == LINK_FAIL:
                if link_state:
                    slave.new_link = LINK_UP
                    commit += 1
                    ms = (self.params.downdelay - slave.delay) * self.params.miimon
                    self.slave_info(slave, f"link status up again after {ms} ms")
                    continue
                if slave.delay <= 0:
                    slave.new_link = LINK_DOWN
                    commit += 1
                    continue
                slave.delay -= 1
                continue
            if state == LINK_DOWN:
                if not link_state:
                    continue
                slave.new_link = LINK_BACK
                commit += 1
                slave.delay = self.params.updelay
                state = LINK_BACK
                if slave.delay:
                    ms = 0 if ignore_updelay else self.params.updelay * self.params.miimon
                    self.slave_info(slave, f"link status up, enabling it in {ms} ms")
            if state == LINK_BACK:
                if not link_state:
                    slave.new_link = LINK_DOWN
                    commit += 1
                    ms = (self.params.updelay - slave.delay) * self.params.miimon
                    self.slave_info(slave, f"link status down again after {ms} ms")
                    continue
                if ignore_updelay:
                    slave.delay = 0
                if slave.delay <= 0:
                    slave.new_link = LINK_UP
                    commit += 1
                    ignore_updelay = False
                    continue
                slave.delay -= 1
        return commit

    def _miimon_commit(self) -> None:
        do_failover = False
        for slave in self.slaves:
            new = slave.new_link
            if new == LINK_UP:
                slave.link = LINK_UP
                if self.mode == AD:
                    slave.backup = True
                elif self.mode != AB:
                    slave.backup = False
                    slave.inactive = False
                self.slave_info(slave, f"link status definitely up, {slave.speed or 0} Mbps "
                                       f"{slave.duplex or 'half'} duplex")
                active = self.curr_active
                if active is None or slave is self.primary_slave or slave.prio > active.prio:
                    do_failover = True
            elif new == LINK_DOWN:
                slave.link_failure_count += 1
                slave.link = LINK_DOWN
                if self.mode in (AB, AD):
                    self._set_inactive(slave)
                self.slave_info(slave, "link status definitely down, disabling slave")
                if slave is self.curr_active:
                    do_failover = True
        if do_failover:
            if self.mode != AD:
                self.select_active()
            elif self.curr_active is None or self.curr_active.link != LINK_UP:
                self.curr_active = next((s for s in self.slaves if s.link == LINK_UP), None)
        self.set_carrier_from_slaves()

    # -- transmit ---------------------------------------------------------------------------
    def xmit(self, frame: Frame) -> None:
        """bond_start_xmit per mode."""
        usable = [s for s in self.slaves if s.can_tx()]
        if uses_primary(self.mode) and self.mode == AB:
            target = [self.curr_active] if self.curr_active is not None else []
        elif self.mode == BROADCAST:
            target = usable
        elif self.mode == RR:
            target = []
            if usable:
                target = [usable[(self._rr_counter // max(1, self.params.packets_per_slave))
                                 % len(usable)]]
                self._rr_counter += 1
        elif self.mode in (XOR, AD):
            if self.mode == AD:
                agg = next((s.ad_aggregator_id for s in self.slaves if s.link == LINK_UP), None)
                usable = [s for s in self.slaves if s.is_up and s.link == LINK_UP
                          and s.ad_aggregator_id == agg]
            target = []
            if usable:
                h = int(frame.dst[-2:], 16) ^ int(frame.src[-2:], 16) ^ frame.ethertype
                target = [usable[h % len(usable)]]
        else:  # TLB / ALB: broadcasts and unknown flows leave through the active slave
            target = [self.curr_active] if self.curr_active is not None else []
        target = [s for s in target if s is not None]
        if not target:
            self.counters.tx_dropped += 1
            return
        for slave in target:  # last_tx is the ARP monitor's probes' alone (bond_arp_send)
            slave.dev.xmit(frame)

    # -- carrier events from slaves ---------------------------------------------------------
    def port_up(self, dev: NetDevice) -> None:
        """NETDEV_UP of a slave: nothing to do beyond speed/duplex (miimon polls carrier)."""

    def port_down(self, dev: NetDevice) -> None:
        """NETDEV_DOWN of a slave: the MII monitor notices on its next tick."""

    def port_carrier(self, dev: NetDevice) -> None:
        """NETDEV_CHANGE of a slave: the MII monitor notices on its next tick."""

    def port_changeaddr(self, dev: NetDevice) -> None:
        """A slave's MAC changed (the bond did it): nothing to follow."""

    def active_aggregator(self) -> int | None:
        """802.3ad without a LACP partner: each port is its own aggregator; the first usable
        port's aggregator is the active one (ad_select stable picks it and keeps it)."""
        if self.mode != AD or not self.admin_up:
            return None
        return next((s.ad_aggregator_id for s in self.slaves if s.link == LINK_UP and s.is_up),
                    None)

    def aggregated_counters(self) -> tuple[int, int, int, int]:
        """bond_get_stats: what released slaves left plus each slave's growth since enslave."""
        total = list(self.released_stats)
        for slave in self.slaves:
            c = slave.dev.counters
            for i, now in enumerate((c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes)):
                total[i] += now - slave.stats_base[i]
        return total[0], total[1], total[2], total[3]
