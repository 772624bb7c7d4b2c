"""ifenslave as CentOS 7 ships it (/usr/sbin/ifenslave of iputils-20160308-10.el7).

That program is not iputils' own: Red Hat's iputils.spec builds `ifenslave.c` from its Source1
ifenslave.tar.gz (the kernel's Documentation/networking/ifenslave.c, "ifenslave.c:v1.1.0
(December 1, 2003)", byte-identical to the copy in the CentOS 7 kernel tree) with
iputils-ifenslave.patch (which makes `ifenslave <if>` print the right address bytes), and runs
it against the 3.10.0 kernel's bonding ioctls (SIOCBONDENSLAVE, SIOCBONDRELEASE,
SIOCBONDCHANGEACTIVE; each retried with its *_OLD twin, which reaches the same handler).
Sources: the el7 SRPM contents in github:eurolinux-enterprise-linux-sources/iputils (commit
ef52b9d, "iputils-20160308-10.el7.src.rpm") and github:tremb1e/linux-3.10.0-1160.el7; the
facts, and what could not be established, are in docs/ifenslave.md.

Its words, their order and its exit statuses are reproduced here. Every ioctl the C program
makes is answered by `_Kernel` from the engine's snapshot and operations (the errno the EL7
kernel gives for the cases a lab reaches), so the program logic below follows main(),
enslave(), release() and change_active() of ifenslave.c step by step, odd statuses included:
a failed ioctl's -1 becomes 255, an errno from get_if_settings() becomes the status itself.
"""

from __future__ import annotations

import errno as E
import os
from dataclasses import dataclass

from labkit.errors import KernelError
from labkit.model.snapshot import HostSnapshot, Link
from labkit.shell.program import Invocation

VERSION = (
    "ifenslave.c:v1.1.0 (December 1, 2003)\n"
    "o Donald Becker (becker@cesdis.gsfc.nasa.gov).\n"
    "o Detach support added on 2000/10/02 by Willy Tarreau (willy at meta-x.org).\n"
    "o 2.4 kernel support added on 2001/02/16 by Chad N. Tindel\n"
    "  (ctindel at ieee dot org).\n"
)

USAGE = (
    "Usage: ifenslave [-f] <master-if> <slave-if> [<slave-if>...]\n"
    "       ifenslave -d   <master-if> <slave-if> [<slave-if>...]\n"
    "       ifenslave -c   <master-if> <slave-if>\n"
    "       ifenslave --help\n"
)

HELP = (
    "\n"
    "       To create a bond device, simply follow these three steps :\n"
    "       - ensure that the required drivers are properly loaded :\n"
    "         # modprobe bonding ; modprobe <3c59x|eepro100|pcnet32|tulip|...>\n"
    "       - assign an IP address to the bond device :\n"
    "         # ifconfig bond0 <addr> netmask <mask> broadcast <bcast>\n"
    "       - attach all the interfaces you need to the bond device :\n"
    "         # ifenslave [{-f|--force}] bond0 eth0 [eth1 [eth2]...]\n"
    "         If bond0 didn't have a MAC address, it will take eth0's. Then, all\n"
    "         interfaces attached AFTER this assignment will get the same MAC addr.\n"
    "         (except for ALB/TLB modes)\n"
    "\n"
    "       To set the bond device down and automatically release all the slaves :\n"
    "         # ifconfig bond0 down\n"
    "\n"
    "       To detach a dead interface without setting the bond device down :\n"
    "         # ifenslave {-d|--detach} bond0 eth0 [eth1 [eth2]...]\n"
    "\n"
    "       To change active slave :\n"
    "         # ifenslave {-c|--change-active} bond0 eth0\n"
    "\n"
    "       To show master interface info\n"
    "         # ifenslave bond0\n"
    "\n"
    "       To show all interfaces info\n"
    "       # ifenslave {-a|--all-interfaces}\n"
    "\n"
    "       To be more verbose\n"
    "       # ifenslave {-v|--verbose} ...\n"
    "\n"
    "       # ifenslave {-u|--usage}   Show usage\n"
    "       # ifenslave {-V|--version} Show version\n"
    "       # ifenslave {-h|--help}    This message\n"
    "\n"
)

# struct option longopts[] of ifenslave.c, in its order (glibc lists ambiguities in this order)
LONGOPTS = (("all-interfaces", "a"), ("change-active", "c"), ("detach", "d"), ("force", "f"),
            ("help", "h"), ("usage", "u"), ("verbose", "v"), ("version", "V"))
SHORTOPTS = "acdfhuvV"

# <linux/if.h>: the 16 bits of ifr_flags SIOCGIFFLAGS returns (IFF_LOWER_UP and up do not fit)
IFF = {"UP": 0x1, "BROADCAST": 0x2, "DEBUG": 0x4, "LOOPBACK": 0x8, "POINTOPOINT": 0x10,
       "NOTRAILERS": 0x20, "RUNNING": 0x40, "NOARP": 0x80, "PROMISC": 0x100, "ALLMULTI": 0x200,
       "MASTER": 0x400, "SLAVE": 0x800, "MULTICAST": 0x1000, "PORTSEL": 0x2000,
       "AUTOMEDIA": 0x4000, "DYNAMIC": 0x8000}
IFF_UP, IFF_MASTER, IFF_SLAVE = IFF["UP"], IFF["MASTER"], IFF["SLAVE"]
ARPHRD = {"ether": 1, "loopback": 772}
IFNAMSIZ = 16
BOND_ABI_VERSION = 2  # <linux/if_bonding.h>; bond_ethtool_get_drvinfo() reports it


class IoctlError(Exception):
    """An ioctl(2) returned -1 with this errno."""

    def __init__(self, errno: int) -> None:
        super().__init__(errno)
        self.errno = errno


def _strerror(errno: int) -> str:
    return os.strerror(errno)


def _short(value: int) -> int:
    """A C `short` promoted to int, as printf sees it (%x of a negative short is ffff....)."""
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value


def _x(value: int, upper: bool = False, width: int = 0) -> str:
    """printf %x / %0NX of an int (negative values print as their 32-bit pattern)."""
    text = f"{value & 0xFFFFFFFF:x}"
    text = text.upper() if upper else text
    return text.rjust(width, "0")


def _mac(mac: str) -> str:
    """%2.2x:... of six unsigned bytes."""
    return ":".join(f"{int(b, 16):02x}" for b in mac.split(":")[:6])


# -- the kernel side: the ioctls ifenslave makes, answered from the engine ----------------------
class _Kernel:
    """SIOCG*/SIOCS*/SIOCBOND* as the CentOS 7 kernel answers them, through the engine."""

    def __init__(self, inv: Invocation) -> None:
        self.engine = inv.engine
        self.host = inv.host

    def _snap(self) -> HostSnapshot:
        return self.engine.snapshot(self.host)

    @staticmethod
    def _ifr_name(name: str) -> str:
        """What the kernel looks up for ifr_name: at most IFNAMSIZ-1 bytes, alias part cut."""
        return name[:IFNAMSIZ - 1].split(":", 1)[0]

    def _dev(self, name: str, snap: HostSnapshot | None = None) -> Link:
        snap = snap or self._snap()
        try:
            return snap.link(self._ifr_name(name))
        except KeyError:
            raise IoctlError(E.ENODEV) from None

    def _call(self, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except KernelError as exc:
            raise IoctlError(exc.errno) from None

    # SIOCETHTOOL ETHTOOL_GDRVINFO: the driver's fw_version string, None for EOPNOTSUPP
    def drvinfo_fw_version(self, name: str) -> str | None:
        link = self._dev(name)
        if link.kind == "bond":
            return str(BOND_ABI_VERSION)  # bond_ethtool_get_drvinfo: "%d", BOND_ABI_VERSION
        if link.kind == "bridge":
            return "N/A"  # br_getinfo
        if link.link_type == "loopback":
            return None  # loopback has no get_drvinfo and no parent device: -EOPNOTSUPP
        return ""  # veth, dummy, tun, e1000: get_drvinfo leaves fw_version empty

    # SIOCGIFFLAGS: dev_get_flags() cut to the 16 bits of ifr_flags
    def get_flags(self, name: str) -> int:
        link = self._dev(name)
        flags = 0
        for flag in link.flags:
            flags |= IFF.get(flag, 0)
        if link.is_up and link.operstate in ("UP", "UNKNOWN"):
            flags |= IFF["RUNNING"]
        return flags

    def get_mtu(self, name: str) -> int:
        return self._dev(name).mtu

    def get_hwaddr(self, name: str) -> tuple[int, str]:
        link = self._dev(name)
        return ARPHRD.get(link.link_type, 1), link.address

    def _ipv4_by_label(self, label: str, snap: HostSnapshot):
        dev = self._dev(label, snap)
        for addr in snap.addresses_of(dev.name, 4):
            if (addr.label or dev.name) == label[:IFNAMSIZ - 1]:
                return addr
        return None

    # SIOCGIFADDR: the first IPv4 address labelled `label`, else EADDRNOTAVAIL (devinet_ioctl)
    def get_addr(self, label: str) -> str:
        snap = self._snap()
        addr = self._ipv4_by_label(label, snap)
        if addr is None:
            raise IoctlError(E.EADDRNOTAVAIL)
        return addr.local

    # SIOCSIFFLAGS: dev_change_flags (or, for an alias label, devinet_ioctl's alias delete)
    def set_flags(self, name: str, flags: int) -> None:
        snap = self._snap()
        dev = self._dev(name, snap)
        if ":" in name[:IFNAMSIZ - 1]:
            addr = self._ipv4_by_label(name, snap)
            if addr is None:
                raise IoctlError(E.EADDRNOTAVAIL)
            if not flags & IFF_UP:
                self._call(self.engine.addr_del, self.host, dev.name,
                           f"{addr.local}/{addr.prefixlen}")
            return
        self._call(self.engine.link_set, self.host, dev.name, up=bool(flags & IFF_UP))

    # SIOCSIFADDR 0.0.0.0: deletes the first address labelled `name`; inserting 0 is a no-op
    def clear_addr(self, name: str) -> None:
        snap = self._snap()
        dev = self._dev(name, snap)
        addr = self._ipv4_by_label(name, snap)
        if addr is not None:
            self._call(self.engine.addr_del, self.host, dev.name,
                       f"{addr.local}/{addr.prefixlen}")

    def set_mtu(self, name: str, mtu: int) -> None:
        dev = self._dev(name)
        self._call(self.engine.link_set, self.host, dev.name, mtu=mtu)

    def set_hwaddr(self, name: str, mac: str) -> None:
        dev = self._dev(name)
        self._call(self.engine.link_set, self.host, dev.name, address=mac)

    def _bond_pair(self, master: str, slave: str) -> tuple[Link, Link, HostSnapshot]:
        """bond_do_ioctl's prologue: the master from ifr_name, the slave from ifr_slave."""
        snap = self._snap()
        bond = self._dev(master, snap)
        if bond.kind != "bond":
            raise IoctlError(E.EOPNOTSUPP)  # no ndo_do_ioctl for the bonding commands
        if len(slave) >= IFNAMSIZ:
            raise IoctlError(E.ENODEV)  # ifr_slave is not NUL-terminated: no such name
        try:
            return bond, snap.link(slave), snap
        except KeyError:
            raise IoctlError(E.ENODEV) from None

    # SIOCBONDENSLAVE -> bond_enslave()
    def enslave(self, master: str, slave: str) -> None:
        bond, dev, _ = self._bond_pair(master, slave)
        if dev.master is not None:
            raise IoctlError(E.EBUSY)  # netdev_is_rx_handler_busy(): already a port of something
        self._call(self.engine.link_set, self.host, dev.name, master=bond.name)

    # SIOCBONDRELEASE -> bond_release()
    def release(self, master: str, slave: str) -> None:
        bond, dev, _ = self._bond_pair(master, slave)
        if "SLAVE" not in dev.flags or dev.master != bond.name:
            raise IoctlError(E.EINVAL)  # "cannot release": not a slave, or not of this bond
        self._call(self.engine.link_set, self.host, dev.name, master=None)

    # SIOCBONDCHANGEACTIVE -> __bond_opt_set_notify(BOND_OPT_ACTIVE_SLAVE, slave_dev->name)
    def change_active(self, master: str, slave: str) -> None:
        bond, dev, _ = self._bond_pair(master, slave)
        self._call(self.engine.link_set, self.host, bond.name,
                   options={"active_slave": dev.name})

    # SIOCGIFCONF: one entry per IPv4 address (its label), devices in order; 1024-byte buffer
    def ifconf(self) -> list[str]:
        snap = self._snap()
        labels = [a.label or a.dev for a in snap.addresses if a.family == 4]
        return labels[:1024 // 40]


# -- getopt_long(argc, argv, "acdfhuvV", longopts, 0) as glibc 2.17 does it ------------------------
@dataclass
class _Opts:
    counts: dict[str, int]
    operands: list[str]
    error: str | None = None  # getopt's own message when it returned '?'


def _getopt(argv: list[str]) -> _Opts:
    """GNU getopt_long with argument permutation: options anywhere, '--' ends them."""
    prog = argv[0]
    counts = {c: 0 for c in SHORTOPTS}
    operands: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands += args[i:]
            break
        if arg.startswith("--"):
            body = arg[2:]
            name, eq, _value = body.partition("=")
            exact = [(n, c) for n, c in LONGOPTS if n == name]
            found = exact or [(n, c) for n, c in LONGOPTS if n.startswith(name)]
            if len(found) > 1:
                listed = "".join(f" '--{n}'" for n, _ in found)
                return _Opts(counts, operands,
                             f"{prog}: option '{arg}' is ambiguous; possibilities:{listed}\n")
            if not found:
                return _Opts(counts, operands, f"{prog}: unrecognized option '--{body}'\n")
            long_name, c = found[0]
            if eq:
                return _Opts(counts, operands,
                             f"{prog}: option '--{long_name}' doesn't allow an argument\n")
            counts[c] += 1
            continue
        if arg.startswith("-") and arg != "-":
            for c in arg[1:]:
                if c not in SHORTOPTS:
                    return _Opts(counts, operands, f"{prog}: invalid option -- '{c}'\n")
                counts[c] += 1
            continue
        operands.append(arg)
    return _Opts(counts, operands)


# -- the program ----------------------------------------------------------------------------------
class _Ifenslave:
    """ifenslave.c's globals and functions, over `_Kernel`."""

    def __init__(self, inv: Invocation, opts: _Opts) -> None:
        self.inv = inv
        self.k = _Kernel(inv)
        self.opt = opts.counts
        self.abi_ver = 0
        self.hwaddr_set = False
        self.master_mtu = 0
        self.master_flags = 0
        self.master_hwaddr: tuple[int, str] = (1, "00:00:00:00:00:00")
        self.slave_mtu = 0
        self.slave_flags = 0
        self.slave_hwaddr: tuple[int, str] = (1, "00:00:00:00:00:00")

    def v_print(self, text: str) -> None:
        if self.opt["v"]:
            self.inv.err(text)

    def err(self, text: str) -> None:
        self.inv.err(text)

    # main() after the option checks
    def run(self, operands: list[str]) -> int:
        if self.opt["a"]:
            if not operands:
                self.if_print(None)
                return 0
            self.err(USAGE)
            return 2
        if not operands:
            self.err(USAGE)
            return 2
        master = operands[0]
        if self.get_drv_info(master):
            self.err(f"Master '{master}': Error: handshake with driver failed. Aborting\n")
            return 1
        slaves = operands[1:]
        if not slaves:
            if self.opt["d"] or self.opt["c"]:
                self.err(USAGE)
                return 2
            self.if_print(master)
            return 0
        res = self.get_if_settings(master, slave=False)
        if res:
            self.err(f"Master '{master}': Error: get settings failed: {_strerror(res)}. "
                     "Aborting\n")
            return res
        if not self.master_flags & IFF_MASTER:
            self.err(f"Illegal operation; the specified interface '{master}' "
                     "is not a master. Aborting\n")
            return 1
        if not self.master_flags & IFF_UP:
            self.err(f"Illegal operation; the specified master interface '{master}' "
                     "is not up.\n")
            return 1
        if not self.opt["c"] and not self.opt["d"]:
            family, hwaddr = self.master_hwaddr
            if family != 1 and not self.opt["f"]:
                self.err(f"Illegal operation: The specified master interface '{master}' "
                         "is not ethernet-like.\n This program is designed to work with "
                         "ethernet-like network interfaces.\n Use the '-f' option to force "
                         "the operation.\n")
                return 1
            self.hwaddr_set = any(int(b, 16) for b in hwaddr.split(":"))
            if self.hwaddr_set:
                self.v_print(f"current hardware address of master '{master}' is "
                             f"{_mac(hwaddr)}, type {family}\n")
        if self.opt["c"]:
            slave = slaves[0]
            res = self.get_slave_flags(slave)
            if res:
                self.err(f"Slave '{slave}': Error: get flags failed. Aborting\n")
                return res
            res = self.change_active(master, slave)
            if res:
                self.err(f"Master '{master}', Slave '{slave}': Error: Change active failed\n")
            return res
        res = 0
        for slave in slaves:
            if self.opt["d"]:
                rv = self.get_slave_flags(slave)
                if rv:
                    self.err(f"Slave '{slave}': Error: get flags failed. Skipping\n")
                    res = rv
                    continue
                rv = self.release(master, slave)
                if rv:
                    self.err(f"Master '{master}', Slave '{slave}': Error: Release failed\n")
                    res = rv
            else:
                rv = self.get_if_settings(slave, slave=True)
                if rv:
                    self.err(f"Slave '{slave}': Error: get settings failed: {_strerror(rv)}. "
                             "Skipping\n")
                    res = rv
                    continue
                rv = self.enslave(master, slave)
                if rv:
                    self.err(f"Master '{master}', Slave '{slave}': Error: Enslave failed\n")
                    res = rv
        return res

    # -- helpers of ifenslave.c --------------------------------------------------------------
    def get_drv_info(self, master: str) -> int:
        try:
            fw = self.k.drvinfo_fw_version(master)
        except IoctlError as exc:
            self.v_print(f"Master '{master}': Error: get bonding info failed "
                         f"{_strerror(exc.errno)}\n")
            return 1
        if fw is not None:  # EOPNOTSUPP keeps abi_ver 0
            # strtoul(fw_version, &endptr, 0) must consume it all: "" gives 0, "N/A" fails
            if fw and not fw.isdigit():
                self.v_print(f"Master '{master}': Error: got invalid string as an ABI "
                             "version from the bonding module\n")
                return 1
            self.abi_ver = int(fw) if fw else 0
        self.v_print(f"ABI ver is {self.abi_ver}\n")
        return 0

    def get_if_settings(self, name: str, slave: bool) -> int:
        """SIOCGIFMTU, SIOCGIFFLAGS, SIOCGIFHWADDR; the errno of the first failure, else 0."""
        for req, fn in (("SIOCGIFMTU", self.k.get_mtu), ("SIOCGIFFLAGS", self.k.get_flags),
                        ("SIOCGIFHWADDR", self.k.get_hwaddr)):
            try:
                value = fn(name)
            except IoctlError as exc:
                self.v_print(f"Interface '{name}': Error: {req} failed: "
                             f"{_strerror(exc.errno)}\n")
                return exc.errno
            attr = {"SIOCGIFMTU": "mtu", "SIOCGIFFLAGS": "flags", "SIOCGIFHWADDR": "hwaddr"}[req]
            setattr(self, f"{'slave' if slave else 'master'}_{attr}", value)
        return 0

    def get_slave_flags(self, slave: str) -> int:
        try:
            self.slave_flags = self.k.get_flags(slave)
        except IoctlError as exc:
            self.v_print(f"Slave '{slave}': Error: SIOCGIFFLAGS failed: "
                         f"{_strerror(exc.errno)}\n")
            return -1
        self.v_print(f"Slave {slave}: flags {_x(_short(self.slave_flags), True, 4)}.\n")
        return 0

    def change_active(self, master: str, slave: str) -> int:
        if not self.slave_flags & IFF_SLAVE:
            self.err(f"Illegal operation: The specified slave interface '{slave}' "
                     "is not a slave\n")
            return 1
        try:
            # SIOCBONDCHANGEACTIVE, then BOND_CHANGE_ACTIVE_OLD: the same handler, same errno
            self.k.change_active(master, slave)
        except IoctlError as exc:
            self.v_print(f"Master '{master}': Error: SIOCBONDCHANGEACTIVE failed: "
                         f"{_strerror(exc.errno)}\n")
            return 1
        return 0

    def enslave(self, master: str, slave: str) -> int:
        if self.slave_flags & IFF_SLAVE:
            self.err(f"Illegal operation: The specified slave interface '{slave}' "
                     "is already a slave\n")
            return 1
        res = self.set_if_flags(slave, self.slave_flags & ~IFF_UP)
        if res:
            self.err(f"Slave '{slave}': Error: bring interface down failed\n")
            return res
        # abi_ver is BOND_ABI_VERSION (2) for every bond, so the driver sets the slave's MAC and
        # opens it; the abi_ver < 2 branches of ifenslave.c (set_if_addr, old-ABI MAC handling)
        # only run against pre-2003 bonding drivers and are not reproduced.
        res = self.clear_if_addr(slave)
        if res:
            self.err(f"Slave '{slave}': Error: clear address failed\n")
            return res
        if self.master_mtu != self.slave_mtu:
            res = self.set_slave_mtu(slave, self.master_mtu)
            if res:
                self.err(f"Slave '{slave}': Error: set MTU failed\n")
                return res
        if not self.hwaddr_set:
            res = self.set_master_hwaddr(master, self.slave_hwaddr[1])
            if res:
                self.err(f"Master '{master}': Error: set hw address failed\n")
                self.set_slave_mtu(slave, self.slave_mtu)  # undo_mtu
                return res
            self.hwaddr_set = True
        try:
            # SIOCBONDENSLAVE, then BOND_ENSLAVE_OLD: the same handler, same errno
            self.k.enslave(master, slave)
        except IoctlError as exc:
            self.v_print(f"Master '{master}': Error: SIOCBONDENSLAVE failed: "
                         f"{_strerror(exc.errno)}\n")
            # undo_master_mac, then undo_mtu (best effort)
            self.set_master_hwaddr(master, self.master_hwaddr[1])
            self.hwaddr_set = False
            self.set_slave_mtu(slave, self.slave_mtu)
            return 1
        return 0

    def release(self, master: str, slave: str) -> int:
        if not self.slave_flags & IFF_SLAVE:
            self.err(f"Illegal operation: The specified slave interface '{slave}' "
                     "is not a slave\n")
            return 1
        try:
            # SIOCBONDRELEASE, then BOND_RELEASE_OLD: the same handler, same errno
            self.k.release(master, slave)
        except IoctlError as exc:
            self.v_print(f"Master '{master}': Error: SIOCBONDRELEASE failed: "
                         f"{_strerror(exc.errno)}\n")
            return 1
        self.set_slave_mtu(slave, 1500)  # "set to default mtu", whatever it was
        return 0

    def set_master_hwaddr(self, master: str, mac: str) -> int:
        try:
            self.k.set_hwaddr(master, mac)
        except IoctlError as exc:
            self.v_print(f"Master '{master}': Error: SIOCSIFHWADDR failed: "
                         f"{_strerror(exc.errno)}\n")
            return -1
        self.v_print(f"Master '{master}': hardware address set to {_mac(mac)}.\n")
        return 0

    def set_slave_mtu(self, slave: str, mtu: int) -> int:
        try:
            self.k.set_mtu(slave, mtu)
        except IoctlError as exc:
            self.v_print(f"Slave '{slave}': Error: SIOCSIFMTU failed: "
                         f"{_strerror(exc.errno)}\n")
            return -1
        self.v_print(f"Slave '{slave}': MTU set to {mtu}.\n")
        return 0

    def set_if_flags(self, name: str, flags: int) -> int:
        try:
            self.k.set_flags(name, flags)
        except IoctlError as exc:
            self.v_print(f"Interface '{name}': Error: SIOCSIFFLAGS failed: "
                         f"{_strerror(exc.errno)}\n")
            return -1
        self.v_print(f"Interface '{name}': flags set to {_x(_short(flags), True, 4)}.\n")
        return 0

    def clear_if_addr(self, name: str) -> int:
        try:
            self.k.clear_addr(name)
        except IoctlError as exc:
            self.v_print(f"Interface '{name}': Error: SIOCSIFADDR failed: "
                         f"{_strerror(exc.errno)}\n")
            return -1
        self.v_print(f"Interface '{name}': address cleared\n")
        return 0

    # if_print() / if_getconfig(): the "show" of `ifenslave <if>` and `ifenslave -a`
    def if_print(self, name: str | None) -> None:
        if name is None:
            for label in self.k.ifconf():
                if self.if_getconfig(label) < 0:
                    self.err(f"{label}: unknown interface.\n")
            return
        if self.if_getconfig(name) < 0:
            self.err(f"{name}: unknown interface.\n")

    def if_getconfig(self, name: str) -> int:
        try:
            flags = self.k.get_flags(name)
        except IoctlError:
            return -1
        self.inv.out(f"The result of SIOCGIFFLAGS on {name} is {_x(_short(flags))}.\n")
        try:
            local = self.k.get_addr(name)
        except IoctlError:
            return -1
        # iputils-ifenslave.patch prints sa_data[2..5] (the IPv4 address, not the port); the
        # bytes are plain `char`, signed on x86_64, so 192 prints as ffffffc0
        octets = [int(o) for o in local.split(".")]
        shown = ".".join(_x(o - 256 if o >= 0x80 else o, width=2) for o in octets)
        self.inv.out(f"The result of SIOCGIFADDR is {shown}.\n")
        try:
            family, mac = self.k.get_hwaddr(name)
        except IoctlError:
            return -1
        self.inv.out(f"The result of SIOCGIFHWADDR is type {family}  {_mac(mac)}.\n")
        self.inv.out("The result of SIOCGIFMETRIC is 0\n")  # the kernel always answers 0
        try:
            mtu = self.k.get_mtu(name)
        except IoctlError:
            mtu = 0
        self.inv.out(f"The result of SIOCGIFMTU is {mtu}\n")
        return 0


def ifenslave(inv: Invocation) -> int:
    """ifenslave [-acdfhuvV] <master-if> [<slave-if>...] (CentOS 7, ifenslave.c v1.1.0)."""
    opts = _getopt(inv.argv)
    if opts.error is not None:
        inv.err(opts.error)
        inv.err(USAGE)
        return 2
    c = opts.counts
    exclusive = sum(c[o] for o in "acdfhuV")
    if exclusive > 1:
        inv.err(USAGE)
        return 2
    if c["v"] or c["V"]:
        inv.out(VERSION)
        if c["V"]:
            return 0
    if c["u"]:
        inv.out(USAGE)
        return 0
    if c["h"]:
        inv.out(USAGE)
        inv.out(HELP)
        return 0
    return _Ifenslave(inv, opts).run(opts.operands) & 0xFF
