"""`ifconfig` for the lab shell: net-tools 2.10's options, messages and exit statuses.

Showing interfaces is the view (labkit.views.ifconfig) of a fresh snapshot. Changing them
follows ifconfig's own sequence of ioctls, each one carried out the way the kernel's
devinet_ioctl / dev_ioctl would, but through the engine (link_set, addr_add, addr_del), so it
works the same on every engine. That sequence explains ifconfig's surprises, which are kept:
`ifconfig eth0 10.0.0.1` replaces the first address labelled eth0 with a classful /8 and brings
eth0 up; `netmask` and `broadcast` edit that same address; `eth0:1` names an address label
(an alias), and taking an alias down deletes its address; a failed flag change makes the exit
status 255. What no engine operation exists for (PROMISC, NOARP and other flag changes, the
transmit queue length, point-to-point peers, IPv6 through ioctls) is refused with a labkit
message instead of being faked.
"""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import dataclass

from labkit.errors import KernelError
from labkit.model.snapshot import Address, HostSnapshot, Link
from labkit.shell.program import Invocation
from labkit.shell.programs.resolver import inet_aton, parse_hosts
from labkit.views import ifconfig as view

VERSION = "net-tools 2.10\n"
E_OPTERR = 3
IFNAMSIZ = 16

USAGE_HEAD = (
    "Usage:\n"
    "  ifconfig [-a] [-v] [-s] <interface> [[<AF>] <address>]\n"
    "  [add <address>[/<prefixlen>]]\n"
    "  [del <address>[/<prefixlen>]]\n"
    "  [[-]broadcast [<address>]]  [[-]pointopoint [<address>]]\n"
    "  [netmask <address>]  [dstaddr <address>]  [tunnel <address>]\n"
    "  [outfill <NN>] [keepalive <NN>]\n"
    "  [hw <HW> <address>]  [mtu <NN>]\n"
    "  [[-]trailers]  [[-]arp]  [[-]allmulti]\n"
    "  [multicast]  [[-]promisc]\n"
    "  [mem_start <NN>]  [io_addr <NN>]  [irq <NN>]  [media <type>]\n"
    "  [txqueuelen <NN>]\n"
    "  [name <newname>]\n"
    "  [[-]dynamic]\n"
    "  [up|down] ...\n"
    "\n"
    "  <HW>=Hardware Type.\n"
    "  List of possible hardware types:\n"
)
HW_LIST = (  # print_hwlist writes to stderr even for --help
    "    loop (Local Loopback) slip (Serial Line IP) cslip (VJ Serial Line IP) \n"
    "    slip6 (6-bit Serial Line IP) cslip6 (VJ 6-bit Serial Line IP) "
    "adaptive (Adaptive Serial Line IP) \n"
    "    ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) \n"
    "    netrom (AMPR NET/ROM) rose (AMPR ROSE) tunnel (IPIP Tunnel) \n"
    "    ppp (Point-to-Point Protocol) hdlc ((Cisco)-HDLC) lapb (LAPB) \n"
    "    arcnet (ARCnet) dlci (Frame Relay DLCI) frad (Frame Relay Access Device) \n"
    "    sit (IPv6-in-IPv4) fddi (Fiber Distributed Data Interface) hippi (HIPPI) \n"
    "    irda (IrLAP) ec (Econet) x25 (generic X.25) \n"
    "    eui64 (Generic EUI-64) \n"
)
AF_HEAD = "  <AF>=Address family. Default: inet\n  List of possible address families:\n"
AF_LIST = (
    "    unix (UNIX Domain) inet (DARPA Internet) inet6 (IPv6) \n"
    "    ax25 (AMPR AX.25) netrom (AMPR NET/ROM) rose (AMPR ROSE) \n"
    "    ipx (Novell IPX) ddp (Appletalk DDP) ec (Econet) \n"
    "    ash (Ash) x25 (CCITT X.25) \n"
)
HELP_TAIL = "ifconfig: `--help' gives usage information.\n"

ADDRESS_FAMILIES = ("unix", "inet", "inet6", "ax25", "netrom", "rose", "ipx", "ddp", "ec",
                    "ash", "x25")
HW_TYPES_WITHOUT_INPUT = ("loop", "slip", "cslip", "slip6", "cslip6", "adaptive", "ppp", "hdlc",
                          "lapb", "dlci", "frad", "sit", "irda", "ec", "unspec")
HW_TYPES_WITH_INPUT = ("ash", "ether", "ax25", "netrom", "rose", "tunnel", "arcnet", "fddi",
                       "hippi", "x25", "eui64")
MEDIA = (("unknown",), ("10base2", "bnc", "coax"), ("10baseT", "utp", "tpe"),
         ("AUI", "thick", "db15"), ("100baseT",), ("100baseTX",), ("100baseFX",))
NETWORKS = {"default": "0.0.0.0", "loopback": "127.0.0.0", "link-local": "169.254.0.0"}

UP = view.IFF_BITS["UP"]
RUNNING = view.IFF_BITS["RUNNING"]
# dev_change_flags lets these follow the request; the rest of the bits are the kernel's own
CHANGEABLE = sum(view.IFF_BITS[n] for n in ("UP", "DEBUG", "NOTRAILERS", "NOARP", "DYNAMIC",
                                             "MULTICAST", "PORTSEL", "AUTOMEDIA", "PROMISC",
                                             "ALLMULTI"))


class _Exit(Exception):
    """ifconfig called exit(): stop at once with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Unsupported(Exception):
    """A change the engine interface has no operation for."""


# -- C library behaviour ifconfig relies on ------------------------------------------------------
def atoi(text: str) -> int:
    """atoi(3): optional blanks and sign, then digits; 0 when there are none; int wrap-around."""
    s = text.lstrip(" \t\n\v\f\r")
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    digits = ""
    for c in s:
        if not c.isdigit():
            break
        digits += c
    value = sign * int(digits) if digits else 0
    value = max(min(value, 2**63 - 1), -(2**63))  # strtol clamps, then the int cast wraps
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def strtoul(text: str, base: int = 0) -> tuple[int, str]:
    """strtoul(3) with base 0 (0x.. hex, 0.. octal): (value mod 2**64, the unparsed rest)."""
    s = text.lstrip(" \t\n\v\f\r")
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if base == 0:
        if s[:2].lower() == "0x" and len(s) > 2 and s[2] in "0123456789abcdefABCDEF":
            base, s = 16, s[2:]
        elif s[:1] == "0":
            base = 8
        else:
            base = 10
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    n = 0
    while n < len(s) and s[n].lower() in alphabet:
        n += 1
    if n == 0:
        return 0, text
    value = min(int(s[:n], base), 2**64 - 1)
    return (-value) % 2**64 if neg else value, s[n:]


def res_hnok(name: str) -> bool:
    """glibc res_hnok: letters, digits, '-' and '_' in non-empty labels, not starting with '-'."""
    labels = name[:-1].split(".") if name.endswith(".") and name != "." else name.split(".")
    if not name or name == "." or name.startswith("-"):
        return name == "."
    return all(0 < len(label) <= 63 and all(c.isascii() and (c.isalnum() or c in "-_")
                                            for c in label) for label in labels)


def ip_text(value: int) -> str:
    return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))


def ip_value(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def mask_of(prefixlen: int) -> int:
    return (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF if prefixlen else 0


def abc_len(ip: int) -> int:
    """The kernel's inet_abc_len: the classful prefix SIOCSIFADDR gives; -1 for multicast."""
    if ip >> 24 == 0 or ip == 0xFFFFFFFF:
        return 0
    if ip >> 31 == 0:
        return 8
    if ip >> 30 == 0b10:
        return 16
    if ip >> 29 == 0b110:
        return 24
    if ip >> 28 == 0b1111:
        return 32
    return -1


def bad_mask(mask: int) -> bool:
    """The kernel's bad_mask: a netmask must be ones then zeros."""
    inv = ~mask & 0xFFFFFFFF
    return bool(inv & ((inv + 1) & 0xFFFFFFFF))


def valid_ether(mac: bytes) -> bool:
    """is_valid_ether_addr: not multicast, not all zeros."""
    return not mac[0] & 1 and any(mac)


def valid_ifname(name: str) -> bool:
    """dev_valid_name."""
    return bool(name) and len(name) < IFNAMSIZ and name not in (".", "..") and not any(
        c == "/" or c == ":" or c.isspace() for c in name)


def in_ether(text: str) -> bytes | None:
    """net-tools in_ether: up to six bytes of one or two hex digits, ':' optional; junk after
    the sixth byte is ignored. Bytes never given are zeros here (the real one leaves stack bytes).
    """
    out = bytearray()
    i = 0
    hexd = "0123456789abcdefABCDEF"
    while i < len(text) and len(out) < 6:
        c = text[i]
        i += 1
        if c not in hexd:
            return None
        val = int(c, 16) << 4
        nxt = text[i] if i < len(text) else ""
        if nxt and nxt in hexd:
            val |= int(nxt, 16)
        elif nxt in (":", ""):
            val >>= 4
        else:
            return None
        if nxt:
            i += 1
        out.append(val & 0xFF)
        if i < len(text) and text[i] == ":":
            i += 1
    return bytes(out) + bytes(6 - len(out))


# -- one run ------------------------------------------------------------------------------------
@dataclass
class _Mask:
    """A prefix written after the address (`10.0.0.1/24`), applied after everything else."""

    value: int


class Ifconfig:
    """One invocation: its options, its output and the kernel calls it makes."""

    def __init__(self, inv: Invocation) -> None:
        self.inv = inv
        self.engine = inv.engine
        self.host = inv.host
        self.opt_a = self.opt_s = self.opt_v = False

    # -- state ---------------------------------------------------------------------------------
    def snap(self) -> HostSnapshot:
        return self.engine.snapshot(self.host)

    def link(self, name: str) -> Link:
        """dev_get_by_name after cutting the alias off: ENODEV when there is no such device."""
        link = view.find_link(self.snap(), name)
        if link is None:
            raise KernelError(errno.ENODEV)
        return link

    def ifa(self, name: str) -> Address | None:
        """devinet_ioctl's lookup: the first IPv4 address whose label is exactly `name`."""
        return view.inet_address(self.snap(), name)

    def _add(self, link: Link, ip: int, prefixlen: int, broadcast: int, label: str,
             noprefixroute: bool) -> None:
        self.engine.addr_add(self.host, link.name, f"{ip_text(ip)}/{prefixlen}",
                             broadcast=ip_text(broadcast) if broadcast else None,
                             noprefixroute=noprefixroute,
                             label=label if label != link.name else None)

    def _del(self, link: Link, addr: Address) -> None:
        self.engine.addr_del(self.host, link.name, f"{addr.local}/{addr.prefixlen}")

    def _reinsert(self, link: Link, addr: Address, prefixlen: int, broadcast: int) -> None:
        """inet_del_ifa then inet_insert_ifa of the same address, changed; a failed re-insert
        is ignored as the kernel ignores it (the address is then simply gone)."""
        self._del(link, addr)
        try:
            self._add(link, ip_value(addr.local), prefixlen, broadcast,
                      addr.label or link.name, "noprefixroute" in addr.flags)
        except KernelError:
            pass

    # -- the ioctls ----------------------------------------------------------------------------
    def get_flags(self, name: str) -> int:
        """SIOCGIFFLAGS (16 bits)."""
        return view.flags_value(self.link(name)) & 0xFFFF

    def set_flags(self, name: str, flags: int) -> None:
        """SIOCSIFFLAGS on an inet socket: an alias label can only be deleted (no UP)."""
        link = self.link(name)
        if ":" in name:
            addr = self.ifa(name)
            if addr is None:
                raise KernelError(errno.EADDRNOTAVAIL)
            if not flags & UP:
                self._del(link, addr)
            return
        current = view.flags_value(link) & 0xFFFF
        change = (current ^ flags) & CHANGEABLE
        if change & ~UP:
            names = [n for n, bit in view.IFF_BITS.items() if change & bit and bit != UP]
            raise Unsupported("changing the " + ",".join(names) + " flag")
        if change & UP:
            self.engine.link_set(self.host, link.name, up=bool(flags & UP))

    def set_addr(self, name: str, ip: int) -> None:
        """SIOCSIFADDR: replace the label's first address by `ip` with its classful prefix."""
        link = self.link(name)
        plen = abc_len(ip)
        if plen < 0:
            raise KernelError(errno.EINVAL)
        old = self.ifa(name)
        label = name if ":" in name else link.name
        noprefixroute = False
        if old is not None:
            if ip_value(old.local) == ip:
                return
            self._del(link, old)
            label = old.label or link.name
            noprefixroute = "noprefixroute" in old.flags
        if ip == 0:
            return  # __inet_insert_ifa drops an address of 0.0.0.0
        flags = view.flags_value(link)
        broadcast = 0
        if flags & view.IFF_BITS["POINTOPOINT"]:
            plen = 32
        elif flags & view.IFF_BITS["BROADCAST"] and plen < 31:
            broadcast = ip | (~mask_of(plen) & 0xFFFFFFFF)
        self._add(link, ip, plen, broadcast, label, noprefixroute)

    def set_netmask(self, name: str, mask: int) -> None:
        """SIOCSIFNETMASK: a new prefix; a broadcast that matched the old one follows it."""
        link = self.link(name)
        addr = self.ifa(name)
        if addr is None:
            raise KernelError(errno.EADDRNOTAVAIL)
        if bad_mask(mask):
            raise KernelError(errno.EINVAL)
        old_mask = mask_of(addr.prefixlen)
        if old_mask == mask:
            return
        local = ip_value(addr.local)
        plen = bin(mask).count("1")
        broadcast = ip_value(addr.broadcast) if addr.broadcast else 0
        if (view.flags_value(link) & view.IFF_BITS["BROADCAST"] and plen < 31
                and broadcast == local | (~old_mask & 0xFFFFFFFF)):
            broadcast = local | (~mask & 0xFFFFFFFF)
        self._reinsert(link, addr, plen, broadcast)

    def set_broadcast(self, name: str, broadcast: int) -> None:
        """SIOCSIFBRDADDR."""
        link = self.link(name)
        addr = self.ifa(name)
        if addr is None:
            raise KernelError(errno.EADDRNOTAVAIL)
        current = ip_value(addr.broadcast) if addr.broadcast else 0
        if current != broadcast:
            self._reinsert(link, addr, addr.prefixlen, broadcast)

    def set_dstaddr(self, name: str, dst: int) -> None:
        """SIOCSIFDSTADDR: the peer address (snapshots carry none, so it is the local one)."""
        self.link(name)
        addr = self.ifa(name)
        if addr is None:
            raise KernelError(errno.EADDRNOTAVAIL)
        if ip_value(addr.local) == dst:
            return
        if abc_len(dst) < 0:
            raise KernelError(errno.EINVAL)
        raise Unsupported("setting a point-to-point destination")

    def set_mtu(self, name: str, mtu: int) -> None:
        """SIOCSIFMTU."""
        link = self.link(name)
        if mtu == link.mtu:
            return
        if mtu < 0:
            raise KernelError(errno.EINVAL)
        self.engine.link_set(self.host, link.name, mtu=mtu)

    def set_hwaddr(self, name: str, mac: bytes) -> None:
        """SIOCSIFHWADDR with an Ethernet address."""
        link = self.link(name)
        if link.link_type != "ether":
            raise KernelError(errno.EINVAL)
        if not valid_ether(mac):
            raise KernelError(errno.EADDRNOTAVAIL)
        self.engine.link_set(self.host, link.name, address=":".join(f"{b:02x}" for b in mac))

    def set_name(self, name: str, new: str) -> None:
        """SIOCSIFNAME."""
        link = self.link(name)
        new = new[:IFNAMSIZ - 1]
        if new == link.name:
            return
        if not link.is_up and not valid_ifname(new):
            raise KernelError(errno.EINVAL)
        self.engine.link_set(self.host, link.name, new_name=new)

    def set_txqlen(self, name: str, qlen: int) -> None:
        """SIOCSIFTXQLEN."""
        link = self.link(name)
        if qlen < 0:
            raise KernelError(errno.EINVAL)
        if qlen != link.txqlen:
            raise Unsupported("changing the transmit queue length")

    # -- output helpers ------------------------------------------------------------------------
    def usage(self, status: int) -> None:
        """usage(): stdout for --help, stderr otherwise; the two lists always go to stderr."""
        write = self.inv.out if status == 0 else self.inv.err
        write(USAGE_HEAD)
        self.inv.err(HW_LIST)
        write(AF_HEAD)
        self.inv.err(AF_LIST)
        raise _Exit(status)

    def resolve(self, host: str) -> int | None:
        """INET_resolve without the host-first flag: 'default', a number, /etc/networks, then
        gethostbyname (the lab's /etc/hosts; DNS never answers in the lab). None on failure."""
        if host == "default":
            return 0
        value = inet_aton(host)
        if value is not None:
            return value
        if host.lower() in NETWORKS:
            return ip_value(NETWORKS[host.lower()])
        return self.hosts_lookup(host)

    def hosts_lookup(self, host: str) -> int | None:
        try:
            text = self.inv.shell.read_path(self.host, "/etc/hosts")
        except (OSError, KernelError):
            return None
        for entry in parse_hosts(text):
            if entry.family == 4 and host.lower() in (n.lower() for n in entry.names):
                return int(ipaddress.IPv4Address(entry.address))
        return None

    def herror(self, host: str) -> None:
        """herror(3) after a failed gethostbyname: names that cannot be host names and numeric
        literals fail at once (Unknown host); others go to DNS, which never answers in the lab."""
        literal = bool(host) and host[0].isdigit() and not host.endswith(".") and all(
            c.isdigit() or c == "." for c in host)
        why = "Unknown host" if literal or not res_hnok(host) else "Host name lookup failure"
        self.inv.err(f"{host}: {why}\n")

    def perror(self, what: str, exc: KernelError) -> None:
        self.inv.err(f"{what}: {exc.strerror}\n")

    # -- flag helpers (set_flag, clr_flag, test_flag) ------------------------------------------
    def set_flag(self, name: str, flag: int) -> int:
        try:
            flags = self.get_flags(name)
        except KernelError as exc:
            self.inv.err(f"{name}: ERROR while getting interface flags: {exc.strerror}\n")
            return -1
        try:
            self.set_flags(name, flags | flag)
        except KernelError as exc:
            self.perror("SIOCSIFFLAGS", exc)
            return -1
        return 0

    def clr_flag(self, name: str, flag: int) -> int:
        try:
            flags = self.get_flags(name)
        except KernelError as exc:
            self.inv.err(f"{name}: ERROR while getting interface flags: {exc.strerror}\n")
            return -1
        try:
            self.set_flags(name, flags & ~flag)
        except KernelError as exc:
            self.perror("SIOCSIFFLAGS", exc)
            return -1
        return 0

    def test_flag(self, name: str, flag: int) -> int:
        try:
            return self.get_flags(name) & flag
        except KernelError as exc:
            self.inv.err(f"{name}: ERROR while testing interface flags: {exc.strerror}\n")
            return -1

    # -- showing -------------------------------------------------------------------------------
    def show(self, name: str | None) -> int:
        snap = self.snap()
        if name is None:
            self.inv.out(view.ifconfig_text(snap, all=self.opt_a, short=self.opt_s))
            return 0
        if view.find_link(snap, name) is None:
            if self.opt_s:
                self.inv.out(view.SHORT_HEADER)
            self.inv.err(f"{name}: error fetching interface information: Device not found\n")
            return 1
        self.inv.out(view.ifconfig_text(snap, dev=name, short=self.opt_s))
        return 0

    # -- add / del of IPv4 aliases (set_ifstate) ------------------------------------------------
    def fetch_error(self, name: str) -> None:
        self.inv.err(f"{name}: error fetching interface information: Device not found\n")

    def alias_state(self, parent: str, ip: int, up: bool) -> None:
        """`add`/`del ADDR`: find an alias `parent:N` holding ADDR and bring it up or delete it;
        when there is none, create the first free `parent:N` with ADDR (for `del` too), with the
        parent's netmask and broadcast. Failures here are silent, as in set_ifstate."""
        snap = self.snap()
        nm = bc = 0
        if view.find_link(snap, parent) is None:
            self.fetch_error(parent)  # get_nmbc_parent's fetch
        else:
            addr = view.inet_address(snap, parent)
            if addr is not None:
                nm = mask_of(addr.prefixlen)
                bc = ip_value(addr.broadcast) if addr.broadcast else 0
        names = view.interface_names(snap)
        if parent not in names:
            names.append(parent)
            names.sort(key=_NameKey)
        used: set[int] = set()
        for name in names:
            if view.find_link(snap, name) is None:
                self.fetch_error(name)
                continue
            if not name.startswith(parent) or ":" not in name:
                continue
            tail = name.split(":", 1)[1]
            if "-" in tail:
                continue
            used.add(atoi(tail))
            addr = view.inet_address(snap, name)
            if addr is None or ip_value(addr.local) != ip:
                continue
            if (self.set_flag(name, UP | RUNNING) if up else self.clr_flag(name, UP)) == -1:
                return
            return
        free = next((i for i in range(256) if i not in used), None)
        if free is None:
            return
        alias = f"{parent}:{free}"
        if len(alias) > IFNAMSIZ:
            return
        alias = alias[:IFNAMSIZ - 1]
        try:
            self.set_addr(alias, ip)
            self.set_netmask(alias, nm)
            self.set_broadcast(alias, bc)
        except KernelError:
            return
        self.set_flag(alias, view.IFF_BITS["BROADCAST"])

    # -- the main program ----------------------------------------------------------------------
    def run(self) -> int:
        try:
            return self._main(self.inv.argv[1:])
        except _Exit as stop:
            return stop.status
        except Unsupported as exc:
            self.inv.err(f"ifconfig: labkit does not emulate {exc} yet\n")
            return 1

    def _options(self, args: list[str]) -> list[str]:
        while args and args[0].startswith("-"):
            opt = args.pop(0)
            if opt == "-a":
                self.opt_a = True
            elif opt == "-s":
                self.opt_s = True
            elif opt == "-v":
                self.opt_v = True
            elif opt in ("-V", "-version", "--version"):
                self.inv.out(VERSION)
                raise _Exit(0)
            elif opt in ("-?", "-h", "-help", "--help"):
                self.usage(0)
            else:
                self.inv.err(f"ifconfig: option `{opt}' not recognised.\n" + HELP_TAIL)
                raise _Exit(1)
        return args

    def _main(self, argv: list[str]) -> int:
        args = self._options(list(argv))
        if not args:
            return self.show(None)
        name = args[0][:IFNAMSIZ - 1]
        words = args[1:]
        if not words:
            return self.show(name)
        if words[0] in ADDRESS_FAMILIES:
            family = words.pop(0)
            if family != "inet":
                raise Unsupported(f"the {family} address family")
        goterr = 0
        didnetmask = False
        needmask: _Mask | None = None
        i = 0

        def arg() -> str:
            """The word after a keyword; a missing one is a usage error."""
            nonlocal i
            i += 1
            if i >= len(words):
                self.usage(E_OPTERR)
            return words[i]

        while i < len(words):
            word = words[i]
            simple = _FLAG_WORDS.get(word)
            if simple is not None:
                bit, setting, warning = simple
                bit_value = view.IFF_BITS[bit]
                res = self.set_flag(name, bit_value) if setting else self.clr_flag(name,
                                                                                  bit_value)
                goterr |= res
                if warning and self.test_flag(name, bit_value) > 0:
                    self.inv.err(warning.format(name=name))
                i += 1
                continue
            if word in ("media", "port"):
                goterr = self._media(name, arg()) or goterr
                i += 1
                continue
            if word == "up":
                goterr |= self.set_flag(name, UP | RUNNING)
                i += 1
                continue
            if word == "down":
                goterr |= self.clr_flag(name, UP)
                i += 1
                continue
            if word == "mtu":
                try:
                    self.set_mtu(name, atoi(arg()))
                except KernelError as exc:
                    self.perror("SIOCSIFMTU", exc)
                    goterr = 1
                i += 1
                continue
            if word in ("keepalive", "outfill"):
                arg()
                try:
                    self.link(name)
                    raise KernelError(errno.EOPNOTSUPP)  # no SLIP devices in the lab
                except KernelError as exc:
                    self.perror("SIOCSKEEPALIVE" if word == "keepalive" else "SIOCSOUTFILL", exc)
                    goterr = 1
                i += 1
                continue
            if word == "-broadcast":
                goterr |= self.clr_flag(name, view.IFF_BITS["BROADCAST"])
                if self.test_flag(name, view.IFF_BITS["BROADCAST"]) > 0:
                    self.inv.err(f"Warning: Interface {name} still in BROADCAST mode.\n")
                i += 1
                continue
            if word == "broadcast":
                i += 1
                if i < len(words):
                    host = words[i][:127]
                    value = self.resolve(host)
                    if value is None:
                        self.herror(host)
                        goterr = 1
                        i += 1
                        continue
                    try:
                        self.set_broadcast(name, value)
                    except KernelError as exc:
                        self.perror("SIOCSIFBRDADDR", exc)
                        goterr = 1
                    i += 1
                goterr |= self.set_flag(name, view.IFF_BITS["BROADCAST"])
                continue
            if word == "dstaddr":
                host = arg()[:127]
                value = self.resolve(host)
                if value is None:
                    self.herror(host)
                    goterr = 1
                else:
                    try:
                        self.set_dstaddr(name, value)
                    except KernelError as exc:
                        self.perror("SIOCSIFDSTADDR", exc)
                        goterr = 1
                i += 1
                continue
            if word == "netmask":
                host = arg()[:127]
                if didnetmask:
                    self.usage(E_OPTERR)
                value = self.resolve(host)
                if value is None:
                    self.herror(host)
                    goterr = 1
                    i += 1
                    continue
                didnetmask = True
                goterr |= self._netmask(name, value)
                i += 1
                continue
            if word == "txqueuelen":
                qlen = strtoul(arg())[0] & 0xFFFFFFFF
                try:
                    self.set_txqlen(name, qlen - (1 << 32) if qlen & 0x80000000 else qlen)
                except KernelError as exc:
                    self.perror("SIOCSIFTXQLEN", exc)
                    goterr = 1
                i += 1
                continue
            if word == "name":
                new = arg()
                try:
                    self.set_name(name, new)
                except KernelError as exc:
                    self.perror("SIOCSIFNAME", exc)
                    goterr = 1
                i += 1
                continue
            if word in ("mem_start", "io_addr", "irq"):
                arg()
                try:
                    self.link(name)
                except KernelError as exc:
                    self.perror(f"{word}: SIOCGIFMAP", exc)
                    goterr = 1
                    i += 1
                    continue
                # SIOCSIFMAP needs ndo_set_config, which none of the lab's devices have
                self.perror(f"{word}: SIOCSIFMAP", KernelError(errno.EOPNOTSUPP))
                goterr = 1
                i += 1
                continue
            if word in ("-pointopoint", "-pointtopoint"):
                goterr |= self.clr_flag(name, view.IFF_BITS["POINTOPOINT"])
                i += 1
                if self.test_flag(name, view.IFF_BITS["POINTOPOINT"]) > 0:
                    self.inv.err(f"Warning: Interface {name} still in POINTOPOINT mode.\n")
                continue
            if word in ("pointopoint", "pointtopoint"):
                if i + 1 < len(words):
                    i += 1
                    host = words[i][:127]
                    value = self.resolve(host)
                    if value is None:
                        self.herror(host)
                        goterr = 1
                        i += 1
                        continue
                    try:
                        self.set_dstaddr(name, value)
                    except KernelError as exc:
                        self.perror("SIOCSIFDSTADDR", exc)
                        goterr = 1
                goterr |= self.set_flag(name, view.IFF_BITS["POINTOPOINT"])
                i += 1
                continue
            if word == "hw":
                hwtype = arg()
                if hwtype not in HW_TYPES_WITH_INPUT + HW_TYPES_WITHOUT_INPUT:
                    self.usage(E_OPTERR)
                if hwtype in HW_TYPES_WITHOUT_INPUT:
                    self.inv.err(f"hw address type `{hwtype}' has no handler to set address. "
                                 "failed.\n")
                    i += 2
                    goterr = 1
                    continue
                text = arg()[:127]
                if hwtype != "ether":
                    raise Unsupported(f"{hwtype} hardware addresses")
                mac = in_ether(text)
                if mac is None:
                    self.inv.err(f"{text}: invalid ether address.\n")
                    goterr = 1
                    i += 1
                    continue
                try:
                    self.set_hwaddr(name, mac)
                except KernelError as exc:
                    hint = (" - you may need to down the interface"
                            if exc.errno == errno.EBUSY else "")
                    self.inv.err(f"SIOCSIFHWADDR: {exc.strerror}{hint}\n")
                    goterr = 1
                i += 1
                continue
            if word in ("add", "del"):
                target = arg()
                if ":" in target:
                    raise Unsupported("IPv6 addresses through ifconfig")
                host = target[:127]
                value = self.resolve(host)
                if value is None:
                    self.herror(host)
                    goterr = 1
                    i += 1
                    continue
                self.alias_state(name, value, up=word == "add")
                i += 1
                continue
            if word == "tunnel":
                arg()
                raise Unsupported("IPv6 tunnels")
            # anything else is the address to set
            host = word[:127]
            if "/" in host:
                host, _, prefix = host.partition("/")
                value, rest = strtoul(prefix)
                if rest:
                    self.usage(E_OPTERR)
                if didnetmask:
                    self.usage(E_OPTERR)
                # ~(0xffffffff >> prefix), a 32-bit shift on x86 counts modulo 32
                needmask = _Mask(~(0xFFFFFFFF >> (value & 31)) & 0xFFFFFFFF)
            ip = self.resolve(host)
            if ip is None:
                self.herror(host)
                self.inv.err(HELP_TAIL)
                raise _Exit(1)
            try:
                self.set_addr(name, ip)
            except KernelError as exc:
                self.perror("SIOCSIFADDR", exc)
                goterr = 1
            bring_up = not (":" in name and (name.endswith("-") or ip == 0))
            if bring_up:
                goterr |= self.set_flag(name, UP | RUNNING)
            i += 1
        if needmask is not None:
            goterr |= self._netmask(name, needmask.value)
        if self.opt_v and goterr:
            self.inv.err(f"WARNING: at least one error occured. ({goterr})\n")
        return goterr & 0xFF

    def _netmask(self, name: str, mask: int) -> int:
        try:
            self.set_netmask(name, mask)
        except KernelError as exc:
            self.perror("SIOCSIFNETMASK", exc)
            return 1
        return 0

    def _media(self, name: str, media: str) -> int:
        """`media TYPE`: auto is a flag; a port type needs SIOCSIFMAP, which no lab device has."""
        if media.lower() == "auto":
            return self.set_flag(name, view.IFF_BITS["AUTOMEDIA"])
        number, rest = strtoul(media, 10)
        if rest:
            number = next((i for i, words in enumerate(MEDIA)
                           if media.lower() in (w.lower() for w in words)), -1)
        if number == -1:
            self.inv.err("Unknown media type.\n")
            return 1
        try:
            self.link(name)
        except KernelError as exc:
            self.perror("port: SIOCGIFMAP", exc)
            return 1
        self.perror("port: SIOCSIFMAP", KernelError(errno.EOPNOTSUPP))
        return 1


class _NameKey:
    """Sort key ordering names with net-tools' nstrcmp."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __lt__(self, other: _NameKey) -> bool:
        return view.nstrcmp(self.name, other.name) < 0


# word -> (flag, set it?, warning printed when it is still set afterwards)
_FLAG_WORDS: dict[str, tuple[str, bool, str | None]] = {
    "arp": ("NOARP", False, None),
    "-arp": ("NOARP", True, None),
    "trailers": ("NOTRAILERS", False, None),
    "-trailers": ("NOTRAILERS", True, None),
    "promisc": ("PROMISC", True, None),
    "-promisc": ("PROMISC", False, "Warning: Interface {name} still in promisc mode... "
                                   "maybe other application is running?\n"),
    "multicast": ("MULTICAST", True, None),
    "-multicast": ("MULTICAST", False, "Warning: Interface {name} still in MULTICAST mode.\n"),
    "allmulti": ("ALLMULTI", True, None),
    "-allmulti": ("ALLMULTI", False, "Warning: Interface {name} still in ALLMULTI mode.\n"),
    "dynamic": ("DYNAMIC", True, None),
    "-dynamic": ("DYNAMIC", False, "Warning: Interface {name} still in DYNAMIC mode.\n"),
}


def ifconfig(inv: Invocation) -> int:
    """ifconfig [-a] [-v] [-s] [IFACE [inet] [ADDR[/LEN]] [netmask M] [broadcast B] [up|down]
    [mtu N] [hw ether MAC] [add|del ADDR] [name NEW] ...]"""
    return Ifconfig(inv).run()
