"""The netns engine: the engine interface on the host kernel, through pyroute2.

Each lab host is a named network namespace (`/run/netns/<lab id>-<host>`), cables are veth
pairs with the topology's MACs, the switch is a Linux bridge; bonds, addresses and routes are
netlink requests, snapshots are netlink dumps, /proc and /sys are the kernel's own (read from
inside the namespace), and `ip`, `ping`, `bridge` and `ifconfig` are the real programs.
Namespaces are made without forking (unshare and a bind mount from the calling thread, which
then returns home), and every one is written into the lab's state record before it exists.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import ipaddress
import os
import posixpath
import shutil
import socket
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from labkit.engines import records
from labkit.engines.base import UNSET, Engine, OptionValue, Progress, _Unset
from labkit.engines.bond_options import OPTIONS, parse_value
from labkit.engines.netns import batch, klog, readback, sandbox, syscalls
from labkit.engines.netns.clock import WallClock
from labkit.engines.netns.process import LabPrograms, RealProcess
from labkit.errors import EngineUnavailable, KernelError
from labkit.model import plan
from labkit.model.flavours import Flavour
from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Nic, Topology

NETNS_DIR = "/run/netns"
REAL_PROGRAMS = ("ip", "ping", "bridge", "ifconfig")
# IFLA_BOND_* attributes pyroute2 0.9 encodes, by the option names NetworkManager passes
NETLINK_BOND = {"mode": "mode", "miimon": "miimon", "updelay": "updelay",
                "downdelay": "downdelay", "use_carrier": "use_carrier",
                "arp_interval": "arp_interval", "arp_validate": "arp_validate",
                "arp_all_targets": "arp_all_targets", "primary_reselect": "primary_reselect",
                "fail_over_mac": "fail_over_mac", "xmit_hash_policy": "xmit_hash_policy",
                "resend_igmp": "resend_igmp", "num_grat_arp": "num_peer_notif",
                "num_unsol_na": "num_peer_notif", "all_slaves_active": "all_slaves_active",
                "min_links": "min_links", "lp_interval": "lp_interval",
                "packets_per_slave": "packets_per_slave", "lacp_rate": "ad_lacp_rate",
                "ad_select": "ad_select", "ad_actor_sys_prio": "ad_actor_sys_prio",
                "ad_user_port_key": "ad_user_port_key", "tlb_dynamic_lb": "tlb_dynamic_lb"}
PROTO = {"kernel": 2, "boot": 3, "static": 4, "dhcp": 16, "ra": 9}
GEN_MODE = {"eui64": 0, "none": 1, "stable_secret": 2, "random": 3}
IFA_F_NOPREFIXROUTE = 0x200
LINK_READY_TIMEOUT = 5.0  # s: linkwatch runs a non-urgent change (a bridge's) within 1 s
_LIVE: weakref.WeakValueDictionary[str, NetnsEngine] = weakref.WeakValueDictionary()


def _kernel_error(exc: NetlinkError) -> KernelError:
    return KernelError(exc.code or errno.EIO)


class HostNs:
    """One lab host: its namespace file, an fd on it, and netlink sockets bound inside."""

    def __init__(self, host: str, path: str, fd: int, sock: socket.socket,
                 monitor: socket.socket | None = None) -> None:
        self.host = host
        self.path = path
        self.fd = fd
        self.sock = sock  # the build's batches
        self.monitor = monitor  # its links' names as they come, for the lab's kernel log
        self._ipr: Any = None
        self.sysfs: str | None = None  # where this namespace's sysfs is mounted
        self.known: set[int] = set()  # ifindexes udev has been told about
        self.nsids: dict[int, str] = {}  # the kernel's ids of the other lab namespaces

    @property
    def ipr(self) -> Any:
        """pyroute2's IPRoute inside the namespace, opened on first use."""
        if self._ipr is None:
            with syscalls.entered(self.fd):
                self._ipr = IPRoute()
        return self._ipr

    def close(self) -> None:
        if self._ipr is not None:
            with contextlib.suppress(Exception):
                self._ipr.close()
        self.sock.close()
        if self.monitor is not None:
            self.monitor.close()
        os.close(self.fd)


class NetnsEngine(Engine):
    """Runs a lab on this machine's kernel, one network namespace per host."""

    name = "netns"

    def __init__(self) -> None:
        self.real_programs = frozenset(p for p in REAL_PROGRAMS if shutil.which(p))
        self.kernel_release = os.uname().release
        self._clock = WallClock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labkit-netlink")
        self._hosts: dict[str, HostNs] = {}
        self._record: records.Record | None = None
        self._watchers: dict[str, list[Callable[[str], None]]] = {}
        # snapshots taken since the lab last changed (by labkit, a real program, or time)
        self._snapshots: dict[str, HostSnapshot] = {}
        self._programs: LabPrograms | None = None  # the real programs' sandboxes, on first use
        self._klog: klog.LabKernelLog | None = None

    @property
    def clock(self) -> WallClock:
        return self._clock

    # -- lifecycle --------------------------------------------------------------------------
    def build(self, topology: Topology, lab_id: str, progress: Progress | None = None,
              managed: frozenset[str] = frozenset(), flavour: Flavour | None = None) -> None:
        if flavour is not None and (flavour.nic_model != "veth" or flavour.libvirt
                                    or flavour.ipv6_prefix):
            raise EngineUnavailable(
                f"flavour {flavour.name!r} imitates hardware and neighbours this kernel cannot "
                "make in a namespace (e1000 NICs, libvirt's network, an IPv6 router); it runs "
                "on the sim engine (engine='sim')")
        self.topology = topology
        self.lab_id = lab_id
        self._claim(lab_id)
        atexit.register(self._destroy_at_exit)
        self._ensure_netns_dir()
        if progress is not None:
            progress(f"creating {len(topology.host_names())} namespaces ({lab_id}-*)")
        self._klog = self._open_kernel_log()
        self._run(plan.build_plan(topology, managed, flavour))
        self._clock = WallClock()  # lab time starts when the lab is built
        self._clock.pollers.append(self._snapshots.clear)  # time passes: the kernel moves on

    def _open_kernel_log(self) -> klog.LabKernelLog | None:
        """The lab's own kernel log, from now on (None where /dev/kmsg cannot be read)."""
        try:
            return klog.LabKernelLog(
                own_namespaces=lambda: {os.fstat(ns.fd).st_ino for ns in self._hosts.values()},
                monitors=lambda: [ns.monitor for ns in self._hosts.values() if ns.monitor],
                current_names=self._device_names)
        except OSError:
            return None

    def _device_names(self) -> set[str]:
        names: set[str] = set()
        for host in self._hosts:
            with contextlib.suppress(Exception):
                names |= {str(m.get("IFLA_IFNAME")) for m in self._nl(host, "get_links")}
        return names

    def kernel_log(self) -> klog.LabKernelLog | None:
        """What the lab's dmesg and journalctl -k read: the lines about the lab's devices."""
        return self._klog

    def ready(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` s) until no lab address is still tentative (DAD)."""
        deadline = self.clock.now() + timeout
        while self.clock.now() < deadline:
            if not any("tentative" in a.flags for host in self._hosts
                       for a in self.snapshot(host).addresses):
                return
            self.clock.sleep(0.1)

    def _claim(self, lab_id: str) -> None:
        """Take the lab id: an older lab of this process under it is destroyed (a notebook's
        cell run again), a crashed lab's leftovers under it are removed first."""
        older = _LIVE.get(lab_id)
        if older is not None and older is not self:
            older.destroy()
        old = records.load(lab_id)
        if old is not None:
            if old.owner_alive():
                raise EngineUnavailable(
                    f"a lab with id {lab_id!r} is running in process {old.pid}; close it, or "
                    "give this lab another lab_id")
            records.remove(old)
        self._record = records.fresh(lab_id)  # held before it is saved: see Lab.start
        _LIVE[lab_id] = self
        self._record.save()

    def _destroy_at_exit(self) -> None:
        """At interpreter exit, in the process that built the lab (a forked child's exit
        leaves its parent's lab alone)."""
        if self._record is not None and self._record.pid == os.getpid():
            self.destroy()

    def destroy(self) -> None:
        """End the lab's real programs, close the sockets, then remove what the state record
        lists (its processes first: any the programs' ending missed), and the record; all
        of it also when ending the programs fails."""
        try:
            self._end_programs()
        finally:
            self._remove_recorded()

    def _remove_recorded(self) -> None:
        with contextlib.suppress(Exception):
            atexit.unregister(self._destroy_at_exit)
        if self._klog is not None:
            self._klog.close()
            self._klog = None
        hosts, self._hosts = list(self._hosts.values()), {}
        for ns in hosts:  # each IPRoute is closed on the thread that made it
            with contextlib.suppress(Exception):
                self._worker.submit(ns.close).result()
        self._worker.shutdown(wait=False)
        if self._record is not None:
            records.remove(self._record)
            self._record = None
        if _LIVE.get(getattr(self, "lab_id", "")) is self:
            del _LIVE[self.lab_id]

    def add_cable(self, topology: Topology, host: str, nic: Nic, up: bool = True,
                  physical: bool = False) -> None:
        self.topology = topology
        self._run(plan.cable_steps(topology, topology.host(host), nic, up=up))

    @staticmethod
    def _ensure_netns_dir() -> None:
        """/run/netns as `ip netns add` leaves it: a shared mount, so namespaces mounted
        there show in every mount namespace (ip netns exec's included)."""
        os.makedirs(NETNS_DIR, exist_ok=True)
        if not syscalls.is_mountpoint(NETNS_DIR):
            syscalls.mount(NETNS_DIR, NETNS_DIR, None, syscalls.MS_BIND | syscalls.MS_REC)
        with contextlib.suppress(OSError):
            syscalls.mount("none", NETNS_DIR, None, syscalls.MS_SHARED | syscalls.MS_REC)

    def _new_namespace(self, host: str) -> HostNs:
        assert self._record is not None
        path = f"{NETNS_DIR}/{plan.netns_name(self.lab_id, host)}"
        if os.path.exists(path):
            raise EngineUnavailable(f"{path} exists and is not this lab's (its record does not "
                                    "list it); labkit leaves it alone: pick another lab_id")
        self._record.will_create("namespaces", path)
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o444))
        home = syscalls.current_netns()
        try:
            try:  # unshare inside: a Ctrl-C right after it still sends the thread home
                syscalls.unshare_net()
                syscalls.mount("/proc/thread-self/ns/net", path, None, syscalls.MS_BIND)
                sock = batch.open_socket()
                monitor = klog.open_link_monitor()
            finally:
                syscalls.setns(home)
        finally:
            os.close(home)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        ns = HostNs(host, path, fd, sock, monitor)
        self._hosts[host] = ns
        return ns

    def _run(self, steps: list[plan.Step]) -> None:
        """Carry out build steps: netlink requests go in batches, in the plan's order."""
        self._snapshots.clear()
        out = batch.Batch()
        indexes: dict[str, dict[str, int]] = {}

        def index(host: str, name: str) -> int:
            if name not in indexes.get(host, {}):
                indexes[host] = out.indexes(self.ns(host).sock)
            return indexes[host][name]

        for step in steps:
            match step:
                case plan.AddHost():
                    self._new_namespace(step.host)
                case plan.DisableIPv6():
                    out.flush()
                    for key in ("all", "default"):
                        self.write_file(step.host,
                                        f"/proc/sys/net/ipv6/conf/{key}/disable_ipv6", "1\n")
                case plan.AddBridge():
                    sock = self.ns(step.host).sock
                    out.request(sock, batch.RTM_NEWLINK, batch.new_link(
                        step.name, "bridge", step.mac,
                        [("IFLA_BR_STP_STATE", 0),
                         ("IFLA_BR_AGEING_TIME", step.ageing_time * 100)]), batch.CREATE)
                    out.request(sock, batch.RTM_SETLINK, batch.set_link(step.name))
                case plan.AddCable():
                    host, sw = self.ns(step.host), self.ns(step.switch)
                    out.request(host.sock, batch.RTM_NEWLINK, batch.new_link(
                        step.nic, "veth", step.mac,
                        batch.veth_peer(step.port, step.port_mac, sw.fd)), batch.CREATE)
                    out.request(sw.sock, batch.RTM_SETLINK, batch.set_link(
                        step.port, master=index(step.switch, step.bridge)))
                case plan.LinkUp() | plan.LinkDown():
                    out.request(self.ns(step.host).sock, batch.RTM_SETLINK,
                                batch.set_link(step.dev, up=isinstance(step, plan.LinkUp)))
                case plan.SetDeviceIPv6():
                    out.flush()
                    self.write_file(step.host, f"/proc/sys/net/ipv6/conf/{step.dev}/disable_ipv6",
                                    f"{int(step.disabled)}\n")
                case plan.AddAddress():
                    iface = ipaddress.ip_interface(step.cidr)
                    out.request(self.ns(step.host).sock, batch.RTM_NEWADDR, batch.new_addr(
                        index(step.host, step.dev), str(iface.ip), iface.network.prefixlen,
                        socket.AF_INET if iface.version == 4 else socket.AF_INET6),
                        batch.CREATE)
                case plan.AddRoute():
                    dst = _destination(step.to)
                    out.request(self.ns(step.host).sock, batch.RTM_NEWROUTE, batch.new_route(
                        dst["dst"], dst["dst_len"], step.via), batch.CREATE)
                case plan.LeaveIPv6Groups():
                    out.flush()
                    indexes.clear()
                    self._leave_ipv6_groups(step)
                case plan.UseIfindexes():
                    out.flush()
                    for _ in range(step.count):
                        self.link_add(step.host, "labkit-hist", "veth", peer="labkit-hist1")
                        self.link_del(step.host, "labkit-hist")
                case _:
                    raise EngineUnavailable(f"the netns engine cannot build {step!r}")
        out.flush()

    def _leave_ipv6_groups(self, step: plan.LeaveIPv6Groups) -> None:
        """The plan's way out of ff02::1 for a switch device (see plan.LeaveIPv6Groups): wait
        until linkwatch has made it operationally up (addrconf's link-ready), then toggle. A
        device still not up by the deadline keeps its group (one `self` line more in
        `bridge fdb show`), which a lab can live with better than with a failed start."""
        host, dev = step.host, step.dev
        index = self._index(host, dev)
        deadline = time.monotonic() + LINK_READY_TIMEOUT
        while (self._nl(host, "get_links", index)[0].get("IFLA_OPERSTATE") != "UP"
               and time.monotonic() < deadline):
            time.sleep(0.02)
        sysctl = f"/proc/sys/net/ipv6/conf/{dev}/disable_ipv6"
        if step.bridge:
            self._nl(host, "link", "set", index=index, kind="bridge", br_mcast_snooping=0)
        self.link_set(host, dev, addrgenmode="none")
        self.write_file(host, sysctl, "0\n")
        self.write_file(host, sysctl, "1\n")
        self.link_set(host, dev, addrgenmode="eui64")
        if step.bridge:
            self._nl(host, "link", "set", index=index, kind="bridge", br_mcast_snooping=1)

    # -- helpers ----------------------------------------------------------------------------
    def ns(self, host: str) -> HostNs:
        try:
            return self._hosts[host]
        except KeyError:
            raise KeyError(f"no host {host!r} (hosts: {', '.join(self._hosts)})") from None

    def _index(self, host: str, name: str) -> int:
        found = self._nl(host, "link_lookup", ifname=name)
        if not found:
            raise KernelError(errno.ENODEV)
        return int(found[0])

    def _nl(self, host: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One pyroute2 IPRoute call on `host`'s socket, made on the engine's netlink thread:
        pyroute2's sync API runs its own event loop, which cannot run inside a running one
        (a Jupyter kernel's), so no IPRoute is ever touched from the caller's thread."""
        ns = self.ns(host)

        def call() -> Any:
            return getattr(ns.ipr, method)(*args, **kwargs)

        if method != "link_lookup" and method != "get_netnsid":
            self._snapshots.clear()
        try:
            return self._worker.submit(call).result()
        except NetlinkError as exc:
            raise _kernel_error(exc) from None

    # -- links ------------------------------------------------------------------------------
    def link_add(self, host: str, name: str, kind: str, *, address: str | None = None,
                 mtu: int | None = None, options: Mapping[str, OptionValue] | None = None,
                 peer: str | None = None, peer_address: str | None = None) -> None:
        request: dict[str, Any] = {"ifname": name, "kind": kind}
        if address:
            request["address"] = address
        if mtu is not None:
            request["mtu"] = mtu
        later: dict[str, OptionValue] = {}
        if kind == "bond" and options:
            attrs, later = _bond_attrs(options)
            request.update(attrs)
        if kind == "veth":
            request["peer"] = {"ifname": peer or f"{name}p"}
            if peer_address:
                request["peer"]["address"] = peer_address
        self._nl(host, "link", "add", **request)
        for option, text in _sysfs_writes(later):
            self.write_file(host, f"/sys/class/net/{name}/bonding/{option}", text)
        self._notify_new(host)

    def link_del(self, host: str, name: str) -> None:
        self._nl(host, "link", "del", index=self._index(host, name))

    def link_set(self, host: str, name: str, *, up: bool | None = None,
                 master: str | _Unset | None = UNSET, address: str | None = None,
                 mtu: int | None = None, new_name: str | None = None,
                 options: Mapping[str, OptionValue] | None = None,
                 slave_options: Mapping[str, OptionValue] | None = None,
                 addrgenmode: str | None = None) -> None:
        index = self._index(host, name)
        if new_name is not None and new_name != name:
            self._nl(host, "link", "set", index=index, ifname=new_name)
            name = new_name
        if address is not None:
            self._nl(host, "link", "set", index=index, address=address)
        if mtu is not None:
            self._nl(host, "link", "set", index=index, mtu=mtu)
        if not isinstance(master, _Unset):
            self._nl(host, "link", "set", index=index,
                       master=self._index(host, master) if master else 0)
        if up is not None:
            self._nl(host, "link", "set", index=index, state="up" if up else "down")
        if options:
            attrs, later = _bond_attrs(options, lambda n: self._index(host, n))
            if attrs:
                self._nl(host, "link", "set", index=index, kind="bond", **attrs)
            for option, text in _sysfs_writes(later):
                self.write_file(host, f"/sys/class/net/{name}/bonding/{option}", text)
        if slave_options:
            data = [(f"IFLA_BOND_SLAVE_{k.upper()}", int(v)) for k, v in slave_options.items()]
            self._nl(host, "link", "set", index=index, IFLA_LINKINFO={"attrs": [
                ("IFLA_INFO_SLAVE_KIND", "bond"), ("IFLA_INFO_SLAVE_DATA", {"attrs": data})]})
        if addrgenmode is not None:
            if addrgenmode not in GEN_MODE:
                raise KernelError(errno.EINVAL)
            self._nl(host, "link", "set", index=index, IFLA_AF_SPEC={"attrs": [
                ("AF_INET6", {"attrs": [("IFLA_INET6_ADDR_GEN_MODE", GEN_MODE[addrgenmode])]})]})

    # -- addresses and routes ---------------------------------------------------------------
    def addr_add(self, host: str, dev: str, cidr: str, *, broadcast: str | None = None,
                 noprefixroute: bool = False, metric: int | None = None,
                 label: str | None = None) -> None:
        iface = ipaddress.ip_interface(cidr)
        request: dict[str, Any] = {"index": self._index(host, dev), "address": str(iface.ip),
                                   "prefixlen": iface.network.prefixlen}
        if broadcast and iface.version == 4:
            request["broadcast"] = broadcast
        if noprefixroute:
            request["IFA_FLAGS"] = IFA_F_NOPREFIXROUTE
        if metric:
            request["IFA_RT_PRIORITY"] = metric
        if label and iface.version == 4:
            request["label"] = label
        self._nl(host, "addr", "add", **request)

    def addr_del(self, host: str, dev: str, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        self._nl(host, "addr", "del", index=self._index(host, dev),
                   address=str(iface.ip), prefixlen=iface.network.prefixlen)

    def _route_request(self, host: str, dst: str, gateway: str | None, dev: str | None,
                       metric: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {"table": 254, **_destination(dst)}
        if gateway:
            request["gateway"] = gateway
        if dev:
            request["oif"] = self._index(host, dev)
        if metric:
            request["priority"] = metric
        return request

    def route_add(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None, proto: str | None = None,
                  src: str | None = None) -> None:
        request = self._route_request(host, dst, gateway, dev, metric)
        request["proto"] = PROTO.get(proto or "boot", 3)
        request["scope"] = 0 if gateway else 253  # ip route add: scope link without a via
        request["type"] = 1
        if src:
            request["prefsrc"] = src
        self._nl(host, "route", "add", **request)

    def route_del(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None) -> None:
        request = self._route_request(host, dst, gateway, dev, metric)
        self._nl(host, "route", "del", **request)

    # -- pseudo-files -----------------------------------------------------------------------
    def _sysfs_root(self, host: str) -> str:
        """This host's sysfs, mounted once (from inside its namespace) under the lab's run
        directory: /sys/class/net there shows the namespace's own devices."""
        ns = self.ns(host)
        if ns.sysfs is None:
            assert self._record is not None
            base = str(records.RUN_DIR / self.lab_id)
            target = f"{base}/sys-{host}"
            if base not in self._record.dirs:
                self._record.will_create("dirs", base)
            self._record.will_create("mounts", target)
            os.makedirs(target, exist_ok=True)
            with syscalls.entered(ns.fd):
                syscalls.mount("sysfs", target, "sysfs", 0)
            ns.sysfs = target
        return ns.sysfs

    @contextlib.contextmanager
    def _real_path(self, host: str, path: str, write: bool = False) -> Iterator[str]:
        """Run the block with the real path behind a lab host's /proc or /sys path (the
        thread inside the host's namespace where the kernel decides by it), after checking
        that the path, symlinks and `..` resolved, stays in what the host may see
        (sandbox.seen): its network namespace's files and devices, a few harmless /proc files.
        Anything else is PermissionError (EACCES) or FileNotFoundError, as in a container."""
        path = posixpath.normpath("/" + path.lstrip("/"))
        what = sandbox.seen(path)
        if what.kind in ("denied", "absent") or (write and what.kind in ("proc", "listing")):
            code = what.errno or (errno.EISDIR if what.kind == "listing" else errno.EACCES)
            raise _os_error(code, path)
        inside = what.kind in ("net", "sysctl")
        with self._inside(host, inside):
            if path.startswith("/sys"):
                root = os.path.realpath(self._sysfs_root(host))
                real = f"{root}/{what.rel}".rstrip("/")
                allowed = ([real] if what.kind == "listing"
                           else [f"{root}/{tree}" for tree in sandbox.SYS_TREES])
            elif what.kind == "net":
                base = os.path.realpath("/proc/thread-self/net")
                real, allowed = f"{base}/{what.rel}".rstrip("/"), [base]
            elif what.kind == "sysctl":
                real = f"/proc/sys/net/{what.rel}".rstrip("/")
                allowed = ["/proc/sys/net"]
            else:  # a harmless /proc file, or /proc and /proc/sys themselves
                real = f"/proc/{what.rel}".rstrip("/")
                allowed = [real]
            resolved = os.path.realpath(real)
            if not any(resolved == a or resolved.startswith(a + "/") for a in allowed):
                raise _os_error(errno.EACCES, path)
            yield resolved

    def _inside(self, host: str, inside: bool) -> contextlib.AbstractContextManager[None]:
        return syscalls.entered(self.ns(host).fd) if inside else contextlib.nullcontext()

    def read_file(self, host: str, path: str) -> str:
        with self._real_path(host, path) as real:
            try:
                with open(real, "rb") as f:
                    data = f.read()
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EACCES):
                    raise _os_error(exc.errno, path) from None
                raise KernelError(exc.errno or errno.EIO) from None
            if real.startswith("/proc/") and real.count("/") == 2:
                data = sandbox.proc_text(real[6:], data)
        return data.decode("utf-8", "replace")

    def write_file(self, host: str, path: str, data: str) -> None:
        self._snapshots.clear()
        with self._real_path(host, path, write=True) as real:
            try:
                fd = os.open(real, os.O_WRONLY | os.O_NOFOLLOW)
            except (FileNotFoundError, IsADirectoryError) as exc:
                raise _os_error(exc.errno or errno.ENOENT, path) from None
            except OSError as exc:  # open(2) refused (a read-only attribute): bash's words
                if exc.errno in (errno.EACCES, errno.EPERM):
                    raise PermissionError(exc.errno, os.strerror(exc.errno), path) from None
                raise KernelError(exc.errno or errno.EIO) from None
            try:
                os.write(fd, data.encode("utf-8", "surrogateescape"))
            except OSError as exc:
                raise KernelError(exc.errno or errno.EIO) from None
            finally:
                os.close(fd)
        self._notify_new(host)

    def list_dir(self, host: str, path: str) -> list[str]:
        with self._real_path(host, path) as real:
            try:
                names = os.listdir(real)
            except OSError as exc:
                raise _os_error(exc.errno or errno.EIO, path) from None
        if real == "/proc":  # the machine's processes are not the lab host's
            names = [n for n in names if not n.isdigit()]
        return sorted(names)

    # -- state ------------------------------------------------------------------------------
    def snapshot(self, host: str) -> HostSnapshot:
        """The host's state; taken again only after the lab changed (a labkit operation, a
        real program, or lab time passing), as a daemon's platform cache follows events."""
        cached = self._snapshots.get(host)
        if cached is not None:
            return cached
        self._snapshots[host] = self._take(host)
        return self._snapshots[host]

    def _take(self, host: str) -> HostSnapshot:
        ns = self.ns(host)

        def sysfs(rel: str) -> str | None:
            try:
                return self.read_file(host, f"/sys/class/net/{rel}")
            except (OSError, KernelError):
                return None

        return readback.take(lambda what: batch.dump(ns.sock, what), host, self.clock.now(),
                             self._netns_names(host), sysfs, self.kernel_release)

    def _netns_names(self, host: str) -> dict[int, str]:
        """nsid -> namespace name, as `ip` resolves link-netns (RTM_GETNSID per lab host;
        an id, once the kernel has given one, stays for the namespace's life)."""
        ns = self.ns(host)
        for other, peer in self._hosts.items():
            if other == host or os.path.basename(peer.path) in ns.nsids.values():
                continue
            with contextlib.suppress(Exception):
                nsid = self._nl(host, "get_netnsid", fd=peer.fd).get("nsid")
                if nsid is not None and nsid >= 0:
                    ns.nsids[nsid] = os.path.basename(peer.path)
        return dict(ns.nsids)

    def watch_links(self, host: str, callback: Callable[[str], None]) -> None:
        """udev's uevents: a link that appears (made by labkit or by a real program) reaches
        `callback` once the current operation is over, as on the sim."""
        ns = self.ns(host)
        ns.known = {m["index"] for m in batch.dump(ns.sock, "link")}
        if host not in self._watchers:
            self._watchers[host] = []
            self.clock.pollers.append(lambda: self._notify_new(host))
        self._watchers[host].append(callback)

    def _notify_new(self, host: str) -> None:
        callbacks = self._watchers.get(host)
        ns = self._hosts.get(host)
        if not callbacks or ns is None:
            return
        for msg in batch.dump(ns.sock, "link"):
            if msg["index"] in ns.known:
                continue
            ns.known.add(msg["index"])
            name = msg.get("IFLA_IFNAME")
            for cb in callbacks:
                self.clock.call_later(0.0, functools.partial(cb, name))

    # -- processes --------------------------------------------------------------------------
    def spawn(self, host: str, argv: list[str], stdin: str = "") -> RealProcess:
        """Start a real program inside `host`'s sandbox (sandbox.py): it sees the lab host,
        this lab's namespaces and nothing of the machine."""
        path = self.ns(host).path
        self._snapshots.clear()
        return self._lab_programs().spawn(path, [ns.path for ns in self._hosts.values()],
                                          argv, stdin)

    def _lab_programs(self) -> LabPrograms:
        if self._programs is None:
            self._programs = LabPrograms(self.real_programs, self._on_worker,
                                         self._note_process, self._forget_process)
        return self._programs

    def netns_list(self, host: str) -> list[str]:
        """The namespace names `host`'s real programs find in /run/netns (this lab's), in the
        order `ip netns` and `ip -all` walk them."""
        return self._lab_programs().netns_names(self.ns(host).path,
                                                [ns.path for ns in self._hosts.values()])

    def netns_host(self, name: str) -> str | None:
        """The lab host whose namespace `ip -n NAME` would open (/run/netns/NAME), or None
        when NAME is not one of this lab's."""
        if "\0" in name or not name:
            return None
        path = os.path.normpath(f"{NETNS_DIR}/{name}")
        for host, ns in self._hosts.items():
            if ns.path == path:
                return host
        return None

    def _on_worker(self, call: Callable[[], Any]) -> Any:
        return self._worker.submit(call).result()

    def _note_process(self, pid: int) -> None:
        if self._record is not None:
            self._record.note_process(pid)

    def _forget_process(self, pid: int) -> None:
        if self._record is not None:
            self._record.forget_process(pid)

    def _end_programs(self) -> None:
        """Kill every real program of the lab and their sandboxes, and reap them."""
        programs, self._programs = self._programs, None
        if programs is not None:
            programs.close()

    def exec(self, host: str, argv: list[str], stdin: str = "", timeout: float = 60.0
             ) -> tuple[int, str]:
        proc = self.spawn(host, argv, stdin)
        deadline = self.clock.now() + timeout  # the lab's daemons keep running meanwhile
        try:
            while proc.poll() is None and self.clock.now() < deadline:
                self.clock.sleep(0.01)
        finally:  # past the deadline, or Ctrl-C: the program ends now, as bash's child would
            proc.kill()
        out, err = proc.output()
        return proc.returncode or 0, out + err


def _os_error(code: int, path: str) -> OSError:
    """The OSError subclass open(2)'s errno `code` gives (PermissionError for EACCES)."""
    return OSError(code, os.strerror(code), path)


def _destination(dst: str) -> dict[str, Any]:
    """A route's dst and dst_len from 'default' or a network."""
    if dst == "default":
        return {"dst": "0.0.0.0", "dst_len": 0}
    net = ipaddress.ip_network(dst, strict=False)
    return {"dst": str(net.network_address), "dst_len": net.prefixlen}


def _sysfs_writes(options: Mapping[str, OptionValue]) -> list[tuple[str, str]]:
    """(sysfs file, text) for each option netlink does not carry here: arp_ip_target's file
    takes one `+ADDR` a write (its netlink list, "a,b", is what callers pass)."""
    out = []
    for option, value in options.items():
        if option == "arp_ip_target":
            out += [(option, f"+{target.strip()}\n") for target in str(value).split(",")
                    if target.strip()]
        else:
            out.append((option, f"{value}\n"))
    return out


def _bond_attrs(options: Mapping[str, OptionValue],
                index_of: Callable[[str], int] | None = None
                ) -> tuple[dict[str, Any], dict[str, OptionValue]]:
    """(pyroute2 bond_* keyword arguments, options to write through sysfs instead)."""
    attrs: dict[str, Any] = {}
    later: dict[str, OptionValue] = {}
    for option, value in options.items():
        if option in ("primary", "active_slave") and index_of is not None:
            attrs[f"bond_{option}"] = index_of(str(value)) if value else 0
            continue
        nl = NETLINK_BOND.get(option)
        opt = OPTIONS.get("num_grat_arp" if option == "num_unsol_na" else option)
        if nl is None or opt is None:
            later[option] = value
            continue
        parsed = parse_value(opt, value if isinstance(value, int) else str(value))
        if parsed is None:
            raise KernelError(errno.EINVAL)
        attrs[f"bond_{nl}"] = parsed
    return attrs, later
