"""systemd-udevd's part in a lab host's networking: the MACAddressPolicy of its .link files.

For each new link udevd applies the first .link file, in file-name order across
/etc/systemd/network, /run/systemd/network and /lib/systemd/network (a name in /etc hides the
same name further down), whose [Match] fits the link (OriginalName=, Driver=, Kind= globs).
Debian 12 and RHEL 9 ship `99-default.link` with `MACAddressPolicy=persistent`: when a virtual
link (a bond, a bridge) appears with a kernel-random MAC, udev replaces it with one derived from
the machine-id and the interface name, so the MAC survives reboots. It races with whoever
enslaves the first port: a bond that took its first slave's MAC before udev ran is left alone
(its MAC is no longer random). Recorded on the real system: see tests/data/nm/. Debian's
`ifenslave` package adds `98-net-bonding.link` (Driver=bonding, MACAddressPolicy=none), which
comes first: bonds keep the kernel's MAC, their first port's. The files are read from the lab
host's own /etc and /lib when the link appears, so a learner's own .link file counts too.
CentOS 7's systemd 219 gives virtual links no persistent MAC: its hosts run no udev here.
"""

from __future__ import annotations

import configparser
import fnmatch
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.engines.base import Engine
    from labkit.files import LabFiles

# systemd's HASH_KEY for predictable per-machine link data (src/shared/netif-util.c)
HASH_KEY = bytes.fromhex("d31e48fa90fe4b4c9dafd5d7a1b12e8a")
NET_ADDR_RANDOM = 1
DRIVERS = {"bond": "bonding"}  # a link kind's driver, where the names differ
LINK_DIRS = ("/etc/systemd/network", "/run/systemd/network", "/lib/systemd/network")
_M64 = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def siphash24(data: bytes, key: bytes) -> int:
    """SipHash-2-4 of `data` under the 16-byte `key`, as systemd's siphash24()."""
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def sipround() -> None:
        v[0] = (v[0] + v[1]) & _M64
        v[1] = _rotl(v[1], 13) ^ v[0]
        v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & _M64
        v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & _M64
        v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & _M64
        v[1] = _rotl(v[1], 17) ^ v[2]
        v[2] = _rotl(v[2], 32)

    end = len(data) - len(data) % 8
    for i in range(0, end, 8):
        (m,) = struct.unpack("<Q", data[i:i + 8])
        v[3] ^= m
        sipround()
        sipround()
        v[0] ^= m
    last = (len(data) & 0xFF) << 56
    for i, byte in enumerate(data[end:]):
        last |= byte << (8 * i)
    v[3] ^= last
    sipround()
    sipround()
    v[0] ^= last
    v[2] ^= 0xFF
    for _ in range(4):
        sipround()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def persistent_mac(machine_id: str, ifname: str) -> str:
    """The MAC `MACAddressPolicy=persistent` gives `ifname` on the machine `machine_id`."""
    name = ifname.encode("utf-8", "surrogateescape")  # the kernel's bytes, whatever they are
    digest = siphash24(bytes.fromhex(machine_id) + name, HASH_KEY)
    raw = bytearray(struct.pack("<Q", digest)[:6])
    raw[0] = (raw[0] & 0xFE) | 0x02  # ether_addr_mark_random: unicast, locally administered
    return ":".join(f"{b:02x}" for b in raw)


def link_files(files: LabFiles, host: str) -> list[tuple[str, str]]:
    """The host's .link files as udevd orders them: (path, text), by file name, the first
    directory of LINK_DIRS holding a name giving its file."""
    chosen: dict[str, str] = {}
    for directory in LINK_DIRS:
        if not files.exists(host, directory):
            continue
        for name in files.listdir(host, directory):
            if name.endswith(".link") and name not in chosen:
                chosen[name] = f"{directory}/{name}"
    found = []
    for name in sorted(chosen):
        try:
            found.append((chosen[name], files.read(host, chosen[name])))
        except (OSError, UnicodeDecodeError):
            continue  # unreadable: udevd skips it too
    return found


def _section(text: str) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        parser.read_string(text)
    except configparser.Error:
        return None  # udevd logs and skips a file it cannot parse
    return parser


def _matches(parser: configparser.ConfigParser, name: str, kind: str | None) -> bool:
    """Whether the [Match] section fits the link: every key given must match (globs, a
    space-separated list, any one of them)."""
    if not parser.has_section("Match"):
        return True
    facts = {"OriginalName": name, "Driver": DRIVERS.get(kind or "", kind or ""),
             "Kind": kind or ""}
    for key, value in parser.items("Match"):
        if key not in facts:
            return False  # a condition labkit does not know (Path=, Property=...): no match
        if not any(fnmatch.fnmatchcase(facts[key], glob) for glob in value.split()):
            return False
    return True


def mac_policy(files: LabFiles, host: str, name: str, kind: str | None) -> tuple[str, str] | None:
    """(the .link file that applies to a new link, its MACAddressPolicy); None when no file
    matches."""
    for path, text in link_files(files, host):
        parser = _section(text)
        if parser is not None and _matches(parser, name, kind):
            return path, parser.get("Link", "MACAddressPolicy", fallback="none").strip()
    return None


class Udev:
    """udevd of one host: applies its .link files' MAC policy to each new link."""

    def __init__(self, engine: Engine, host: str, machine_id: str, files: LabFiles) -> None:
        self.engine = engine
        self.host = host
        self.machine_id = machine_id
        self.files = files

    def start(self) -> None:
        """Listen for new links (udevd's netlink uevent socket)."""
        self.engine.watch_links(self.host, self.uevent)

    def uevent(self, name: str) -> None:
        """An `add` event: under MACAddressPolicy=persistent, a link whose MAC is still the
        kernel's random one gets its persistent MAC; a MAC set, stolen or permanent is left
        alone, and so is every link under `none` (or a policy labkit does not imitate)."""
        try:
            link = self.engine.snapshot(self.host).link(name)
        except KeyError:
            return  # gone before udev got to it
        if link.addr_assign_type != NET_ADDR_RANDOM:
            return
        policy = mac_policy(self.files, self.host, name, link.kind)
        if policy is None or policy[1] != "persistent":
            return
        self.engine.link_set(self.host, name, address=persistent_mac(self.machine_id, name))
