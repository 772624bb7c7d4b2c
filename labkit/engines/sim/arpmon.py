"""The bonding driver's ARP monitor of Linux 6.1: for active-backup (bond_activebackup_arp_mon)
probes to arp_ip_target from the active port, arp_validate, arp_all_targets, arp_missed_max,
and the probing of each port in turn while no port is active; for balance-rr, balance-xor and
broadcast (bond_loadbalance_arp_mon) a probe from every port that is up, each port judged by
its own sending and receiving.

Time is counted in jiffies (Debian's HZ=250, 4 ms) as the driver counts it; a port's link is
judged by when it last received (any frame, or with validation only ARP that proves its
path) and when it last sent a probe (bond_arp_send is what sets last_tx).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from labkit.engines.sim.frames import BROADCAST, ETH_P_ARP, Arp, Frame

if TYPE_CHECKING:
    from labkit.engines.sim.bonding import Bond, Slave
    from labkit.engines.sim.clock import SimTimer

JIFFY_NS = 4_000_000  # CONFIG_HZ=250
ARP_FILTER = 4  # BOND_ARP_FILTER
ARP_TARGETS_ALL = 1


def msecs_to_jiffies(ms: int) -> int:
    return max(1, -(-ms // 4)) if ms else 0


class ArpMonitor:
    """One bond's ARP monitor: started when the bond opens with arp_interval, or when
    arp_interval is set on an open bond."""

    def __init__(self, bond: Bond) -> None:
        self.bond = bond
        self.timer: SimTimer | None = None
        self._started = False
        self.current_arp_slave: Slave | None = None

    # -- time -------------------------------------------------------------------------------
    def jiffies(self) -> int:
        return self.bond.ns.world.clock.now_ns() // JIFFY_NS

    def delta(self) -> int:
        return msecs_to_jiffies(self.bond.params.arp_interval)

    def in_interval(self, last: int, mod: int) -> bool:
        """bond_time_in_interval."""
        delta = self.delta()
        return last - delta <= self.jiffies() <= last + mod * delta + delta // 2

    # -- start / stop -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Started and not stopped (bond->recv_probe is set): also while a round runs, when
        no timer is pending yet."""
        return self._started

    def start(self) -> None:
        self.stop()
        self._started = True
        self.timer = self.bond.ns.world.clock.call_later_ns(0, self._work)

    def stop(self) -> None:
        self._started = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _work(self) -> None:
        """bond_arp_monitor: a round of the mode's monitor, then re-arm."""
        bond = self.bond
        self.timer = None
        if not bond.params.arp_interval or not bond.admin_up:
            self._started = False
            return
        if bond.slaves and bond.mode != 1:
            self._loadbalance()
        elif bond.slaves:
            should_notify_peers = bond._should_notify_peers()
            if self._inspect():
                self._commit()
            self._probe()
            if should_notify_peers and bond.send_peer_notif:
                bond.send_peer_notif -= 1
                bond._notify_peers()
        self.timer = bond.ns.world.clock.call_later_ns(self.delta() * JIFFY_NS, self._work)

    def _loadbalance(self) -> None:
        """bond_loadbalance_arp_mon: a port comes up when it both sent and received within
        an interval, goes down when it did neither within arp_missed_max; every port that is
        up sends its probes; the states are committed together, then a new current port is
        chosen if the old one went or there was none."""
        bond = self.bond
        oldcurrent = bond.curr_active
        do_failover = changed = False
        for slave in bond.slaves:
            slave.new_link = "NOCHANGE"
            if slave.link != "UP":
                if self.in_interval(slave.last_tx, 1) and self.in_interval(slave.last_rx, 1):
                    slave.new_link = "UP"
                    changed = True
                    if oldcurrent is None:
                        bond.slave_info(slave, "link status definitely up")
                        do_failover = True
                    else:
                        bond.slave_info(slave, "interface is now up")
            else:
                missed = bond.params.missed_max
                if (not self.in_interval(slave.last_tx, missed)
                        or not self.in_interval(slave.last_rx, missed)):
                    slave.new_link = "DOWN"
                    changed = True
                    slave.link_failure_count += 1
                    bond.slave_info(slave, "interface is now down")
                    if slave is oldcurrent:
                        do_failover = True
            if slave.is_up:
                self.send_all(slave)
                # arp_xmit's local_bh_enable runs the receive softirq at once: the probe
                # reaches the other ports (and the target's answer its port) before the
                # loop looks at the next port, as on the real kernel
                bond.ns.world.process_backlog()
        if not (do_failover or changed):
            return
        for slave in bond.slaves:
            if slave.new_link != "NOCHANGE":
                slave.link = slave.new_link
        if changed:  # bond_slave_state_change
            for slave in bond.slaves:
                if slave.link == "UP":
                    slave.backup = False
                elif slave.link == "DOWN":
                    slave.backup = True
        if do_failover:
            bond.select_active()

    # -- what a port received ---------------------------------------------------------------
    def slave_last_rx(self, slave: Slave) -> int:
        if self.bond.params.arp_all_targets == ARP_TARGETS_ALL and self.bond.params.arp_targets:
            return min(slave.target_last_arp_rx.get(t, slave.last_rx)
                       for t in self.bond.params.arp_targets)
        return slave.last_rx

    def do_validate(self, slave: Slave) -> bool:
        """slave_do_arp_validate: bit 0 validates the active port, bit 1 the backups."""
        state = 1 if slave.backup else 0
        return bool(self.bond.params.arp_validate & (1 << state))

    def rcv_validate(self, slave: Slave, frame: Frame) -> None:
        """bond_rcv_validate: every frame a port receives, before the inactive-port drop."""
        params = self.bond.params
        is_arp = frame.ethertype == ETH_P_ARP
        if not self.do_validate(slave):
            validate_only = bool(params.arp_validate & ARP_FILTER)
            if (validate_only and is_arp) or not validate_only:
                slave.last_rx = self.jiffies()
            return
        if is_arp and isinstance(frame.payload, Arp):
            self._arp_rcv(slave, frame, frame.payload)

    def _arp_rcv(self, slave: Slave, frame: Frame, arp: Arp) -> None:
        """bond_arp_rcv: which ARP proves a port's path."""
        bond = self.bond
        if frame.dst != slave.dev.mac and frame.dst != BROADCAST and not frame.dst.startswith(
                "01:"):
            return  # PACKET_OTHERHOST
        sip, tip = arp.spa, arp.tpa
        curr = bond.curr_active
        if not slave.backup:
            self._validate(slave, sip, tip)
        elif curr is not None and self.slave_last_rx(curr) > curr.last_link_up:
            self._validate(slave, tip, sip)
        elif (self.current_arp_slave is not None and arp.op == 2
              and self.in_interval(self.current_arp_slave.last_tx, 1)):
            self._validate(slave, sip, tip)

    def _validate(self, slave: Slave, sip: str, tip: str) -> None:
        """bond_validate_arp: sender one of the targets, target one of the bond's addresses."""
        if sip == "0.0.0.0" or not self._has_ip(tip):
            return
        if sip not in self.bond.params.arp_targets:
            return
        slave.last_rx = self.jiffies()
        slave.target_last_arp_rx[sip] = slave.last_rx

    def _has_ip(self, ip: str) -> bool:
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            return False
        return any(a.local == addr for a in self.bond.ns.inet.addresses(self.bond))

    # -- inspect and commit -----------------------------------------------------------------
    def _inspect(self) -> int:
        """bond_ab_arp_inspect."""
        bond = self.bond
        missed = bond.params.missed_max
        commit = 0
        for slave in bond.slaves:
            slave.new_link = "NOCHANGE"
            last_rx = self.slave_last_rx(slave)
            if slave.link != "UP":
                if self.in_interval(last_rx, 1):
                    slave.new_link = "UP"
                    commit += 1
                elif slave.link == "GOING_BACK":
                    slave.new_link = "GOING_DOWN"
                    commit += 1
                continue
            if self.in_interval(slave.last_link_up, 2):
                continue
            if (slave.backup and self.current_arp_slave is None
                    and not self.in_interval(last_rx, missed + 1)):
                slave.new_link = "DOWN"
                commit += 1
            if not slave.backup and (not self.in_interval(slave.last_tx, missed)
                                     or not self.in_interval(last_rx, missed)):
                slave.new_link = "DOWN"
                commit += 1
        return commit

    def _commit(self) -> None:
        """bond_ab_arp_commit."""
        bond = self.bond
        do_failover = False
        for slave in bond.slaves:
            new = slave.new_link
            if new == "NOCHANGE":
                continue
            if new == "UP":
                curr = bond.curr_active
                if curr is not slave or (curr is None and self.in_interval(slave.last_tx, 1)):
                    slave.link = "UP"
                    if self.current_arp_slave is not None:
                        bond._set_inactive(self.current_arp_slave)
                        self.current_arp_slave = None
                    bond.slave_info(slave, "link status definitely up")
                    prim = bond.primary_slave
                    if curr is None or slave is prim or slave.prio > curr.prio:
                        do_failover = True
            elif new == "DOWN":
                slave.link_failure_count += 1
                slave.link = "DOWN"
                bond._set_inactive(slave)
                bond.slave_info(slave, "link status definitely down, disabling slave")
                if slave is bond.curr_active:
                    self.current_arp_slave = None
                    do_failover = True
            elif new == "GOING_DOWN":
                slave.link = "GOING_DOWN"
                bond._set_inactive(slave)
                if bond.curr_active is not None:
                    self.current_arp_slave = None
        if do_failover:
            bond.select_active()
        bond.set_carrier_from_slaves()

    # -- probes -----------------------------------------------------------------------------
    def _probe(self) -> None:
        """bond_ab_arp_probe: the active port asks every target; without one, the next port
        in turn is tried."""
        bond = self.bond
        if bond.curr_active is not None:
            self.send_all(bond.curr_active)
            return
        curr_arp = self.current_arp_slave or (bond.slaves[0] if bond.slaves else None)
        if curr_arp is None:
            return
        before = new_slave = None
        found = False
        for slave in bond.slaves:
            if not found and before is None and slave.is_up:
                before = slave
            if found and new_slave is None and slave.is_up:
                new_slave = slave
            if not slave.is_up and slave.link == "UP":
                slave.link = "DOWN"
                slave.link_failure_count += 1
                bond._set_inactive(slave)
                bond.slave_info(slave, "backup interface is now down")
            if slave is curr_arp:
                found = True
        if new_slave is None and before is not None:
            new_slave = before
        if new_slave is None:
            return
        new_slave.link = "GOING_BACK"
        bond._set_active_flags(new_slave)
        self.send_all(new_slave)
        new_slave.last_link_up = self.jiffies()
        self.current_arp_slave = new_slave

    def send_all(self, slave: Slave) -> None:
        """bond_arp_send_all: a request per target, from the bond's address on the route to
        it; a target routed out of another device is skipped, one with no route at all gets a
        probe from 0.0.0.0."""
        bond = self.bond
        inet = bond.ns.inet
        for target in bond.params.arp_targets:
            try:
                tip = ipaddress.IPv4Address(target)
            except ValueError:
                continue
            route = inet.lookup(tip)
            if route is None:
                self._send(slave, tip, None)
                continue
            if route.dev is not bond:
                continue
            self._send(slave, tip, inet.select_source(bond, tip))

    def _send(self, slave: Slave, tip: ipaddress.IPv4Address,
              sip: ipaddress.IPv4Address | None) -> None:
        dev = slave.dev
        arp = Arp(op=1, sha=dev.mac, spa=str(sip or "0.0.0.0"), tha="00:00:00:00:00:00",
                  tpa=str(tip))
        slave.last_tx = self.jiffies()
        if dev.admin_up:
            dev.xmit(Frame(dst=BROADCAST, src=dev.mac, ethertype=ETH_P_ARP, payload=arp))
