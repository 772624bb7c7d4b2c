"""Generated command lines and hand-edited profiles for the lab: one grammar, two drivers.

The grammar is written once against `Draw` (choose, integer, maybe); HypothesisDraw runs it
under hypothesis (tests/test_shell_fuzz.py: failures shrink), RandomDraw under a seeded
random.Random (bench/soak.py: 100,000 lines fast). Lines are built from the real grammars:
the shell's programs and bash's operators, nmcli's objects, verbs and the schema's property
names, ip's objects and options, redirections, pipes, quotes, odd bytes, names over NAME_MAX
and lone surrogates; profiles are the lab's own files mangled as a person in an editor might.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from labkit.engines.sim.bondfs import BOND_SYSFS_FILES, SLAVE_SYSFS_FILES
from labkit.nm import schema

T = TypeVar("T")

FLAVOURS = ("nm142", "centos7")
LOCALES = (None, "C", "ja")
HOSTS = ("server", "server", "server", "outside", "gw", "switch")
KEYFILE_DIR = "/etc/NetworkManager/system-connections"
IFCFG_DIR = "/etc/sysconfig/network-scripts"


class Draw(Protocol):
    """What the grammar needs from a source of choices."""

    def choose(self, options: Sequence[T]) -> T: ...

    def integer(self, lo: int, hi: int) -> int: ...


class RandomDraw:
    """Choices from a seeded random.Random (the soak)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choose(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisDraw:
    """Choices drawn from hypothesis's `data` (the property test), so failures shrink."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.data = data
        self.st = st

    def choose(self, options: Sequence[T]) -> T:
        return self.data.draw(self.st.sampled_from(list(options)))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))


def maybe(d: Draw, percent: int) -> bool:
    return d.integer(1, 100) <= percent


def some(d: Draw, make: Callable[[Draw], str], lo: int, hi: int) -> list[str]:
    return [make(d) for _ in range(d.integer(lo, hi))]


# -- words ----------------------------------------------------------------------------------
LONG = "a" * 300
ODD = ["", " ", "\t", "\x01", "\x7f", "\udcff", "\ud800", "\u202e", "é", "接続", "\U0001f600",
       "\\", "'", '"', "$", "*", "?", "[", "#", "~", "-", "--", "\n", LONG, "/" + LONG + "/x",
       "x" * 5000, "%s", "{}", "\x1b[31m"]
NICS = ["ens33", "ens37", "ens38", "ens39", "bond0", "bond1", "lo", "eth0", "br0", "sw37",
        "virbr0", "nosuch", "team0", "dummy0", "a" * 16, "a" * 15]
ADDRS = ["192.168.1.61/24", "192.168.1.62", "192.168.1.1", "192.168.1.10", "10.0.0.1/8",
         "300.1.1.1", "::1", "fe80::1/64", "240b:11:4541:9100::5/64", "1.2.3", "0", "-1",
         "default", "0.0.0.0/0", "255.255.255.255"]
FILES = ["/proc/net/bonding/bond0", "/proc/net/bonding", "/proc/net/dev", "/proc/net/arp",
         "/proc/sys/net/ipv4/ip_forward", "/sys/class/net", "/sys/class/net/bond0/bonding/mode",
         "/sys/class/net/bond0/bonding/active_slave", "/sys/class/net/bond0/bonding/slaves",
         "/sys/class/net/ens37/address", "/sys/class/net/bonding_masters", "/etc/hosts",
         "/etc/hostname", f"{IFCFG_DIR}/ifcfg-ens33", f"{IFCFG_DIR}/ifcfg-bond0",
         f"{KEYFILE_DIR}/ens33.nmconnection", f"{KEYFILE_DIR}/bond0.nmconnection", KEYFILE_DIR,
         IFCFG_DIR, "/etc", "/", "F", "G", "/root", "/tmp/x", "/dev/null", "/nonexistent",
         "/etc/hostname/x", "/proc/self/root/etc/shadow", "../../../../etc/passwd", "/proc",
         "/sys", "/dev/stdout"]


NUMBERS = ["99999999999999999999", "-0", "0x10", "010", "1e3", "nan", "inf", "4294967296",
           "4294967295", "2147483648", "-2147483649", "1.5", "65535", "65536", "-", "+5"]


def word(d: Draw) -> str:
    return d.choose(ODD + NICS + ADDRS + FILES + NUMBERS + ["yes", "no", "on", "off", "up",
                                                            "down"])


def quoted(d: Draw, text: str) -> str:
    """`text` as a shell word: bare, single-quoted, double-quoted or backslashed."""
    style = d.integer(0, 9)
    if style < 5:
        return text
    if style < 7 and "'" not in text:
        return f"'{text}'"
    if style < 9:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "".join("\\" + c if c in " '\"\\|&;<>()$`*?[#~" else c for c in text)


# -- programs -------------------------------------------------------------------------------
def nmcli_line(d: Draw) -> list[str]:
    props = [f"{s.name}.{p.name}" for s in schema.SETTINGS.values() for p in s.props]
    props += [f"{s.alias}.{p.name}" for s in schema.SETTINGS.values() if s.alias
              for p in s.props]
    props += ["ipv4.address", "ip4", "gw4", "con-name", "ifname", "type", "master", "slave-type",
              "autoconnect", "mode", "miimon", "+ipv4.addresses", "-ipv4.addresses",
              "+bond.options", "-bond.options", "ipv4", "bond.options.mode", "connection."]
    values = ["manual", "auto", "disabled", "ignore", "link-local", "shared", "yes", "no", "true",
              "false", "mode=active-backup,miimon=100", "mode=802.3ad", "primary=ens38",
              "mode=foo", "miimon=x", "bond", "ethernet", "bond-slave", "team", "bridge", "100",
              "-1", "9000", "0", "65536", "", "bond0", "ens37", "ens38", "auto,manual",
              "192.168.1.61/24 192.168.1.1", "192.168.1.61/24,10.0.0.2/8", *ADDRS, *ODD[:14],
              *NUMBERS]
    options = ["-t", "-p", "-m", "tabular", "multiline", "-f", "all", "common", "NAME,DEVICE",
               "GENERAL.STATE", "connection", "-g", "-e", "no", "-c", "no", "-w", "1", "-a",
               "--help", "-v", "--wait", "0", "-o", "--active", "--order", "type"]
    objs = ["c", "con", "connection", "d", "dev", "device", "g", "general", "n", "networking",
            "r", "radio", "m", "monitor", "a", "agent", "h", "help", "x"]
    verbs = ["show", "s", "up", "down", "add", "modify", "mod", "m", "delete", "del", "reload",
             "load", "clone", "edit", "export", "import", "status", "connect", "disconnect",
             "reapply", "set", "wifi", "lldp", "hostname", "permissions", "logging", "on",
             "off", "help", "migrate", "monitor", "", "bogus"]
    targets = ["bond0", "bond1", "ens33", "ens37", "ens38", "bond-slave-ens37",
               "System ens33", "id", "uuid", "path", "apath", "ifname", "--", LONG,
               f"{KEYFILE_DIR}/bond0.nmconnection", f"{IFCFG_DIR}/ifcfg-bond0", "\udcff"]
    argv = ["nmcli"]
    if maybe(d, 20):
        argv += some(d, lambda d: d.choose(options), 1, 2)
    kind = d.integer(0, 5)
    if kind == 0:  # connection add
        argv += ["c", "add", "type", d.choose(["bond", "ethernet", "bond-slave", "team", "x"])]
        for _ in range(d.integer(0, 5)):
            argv += [d.choose(props), d.choose(values)]
    elif kind == 1:  # connection modify
        argv += ["c", d.choose(["mod", "modify", "m"]), d.choose(targets)]
        for _ in range(d.integer(0, 4)):
            argv += [d.choose(props), d.choose(values)]
    elif kind == 2:
        argv += ["c", d.choose(["up", "down", "delete", "s", "show", "reload", "load",
                                 "clone", "export", "reapply"])]
        argv += some(d, lambda d: d.choose(targets), 0, 2)
    else:
        argv += [d.choose(objs), d.choose(verbs)]
        argv += some(d, lambda d: d.choose(targets + values + props[:40]), 0, 4)
    return argv


def ip_line(d: Draw) -> list[str]:
    opts = ["-s", "-d", "-br", "-4", "-6", "-o", "-j", "-p", "-c", "-n", "lab-x", "-batch",
            "/etc/hosts", "-netns", "server", "-h", "-V", "-family", "inet", "-x"]
    objs = ["link", "l", "addr", "address", "a", "route", "r", "neigh", "n", "rule",
            "maddr", "netns", "monitor", "help", "tuntap", "bond", "x", ""]
    verbs = ["show", "list", "add", "del", "delete", "set", "flush", "change", "replace",
             "get", "exec", "attach", "help", "lst", "sh", ""]
    words = ["dev", "up", "down", "master", "nomaster", "type", "bond", "veth", "dummy",
             "bridge", "macvlan", "mode", "active-backup", "balance-rr", "802.3ad", "4",
             "miimon", "100", "mtu", "1500", "9000", "68", "65536", "address",
             "00:0c:29:89:51:d4", "ff:ff:ff:ff:ff:ff", "xx:yy", "name", "via", "metric",
             "proto", "static", "scope", "global", "link", "host", "label", "broadcast", "+",
             "peer", "netns", "1", "primary", "arp_interval", "arp_ip_target", "lacp_rate",
             "fast", "xmit_hash_policy", "layer3+4", "fail_over_mac", "active", "all",
             "permanent", "lladdr", "nud", "reachable", "table", "main", "local", "to",
             "from", "prio", "group", "alias", "txqueuelen", "arp", "on", "off", "dynamic"]
    argv = ["ip", *(some(d, lambda d: d.choose(opts), 1, 2) if maybe(d, 20) else [])]
    argv += [d.choose(objs), d.choose(verbs)]
    argv += some(d, lambda d: d.choose(words + NICS + ADDRS + NUMBERS), 0, 8)
    return argv


def tool_line(d: Draw) -> list[str]:
    prog = d.choose(["cat", "grep", "head", "tail", "sed", "wc", "echo", "ls", "cd", "pwd",
                     "true", "false", "clear", "sleep", "wait", "ifenslave", "ifconfig",
                     "ping", "bridge", "systemctl", "journalctl", "__real__", "nosuch",
                     "ifup", "ifdown", "ss", "tcpdump", "vi", "sh", "bash", "exit", "export",
                     "id"])
    argv = [prog]
    if prog == "sed":
        argv += some(d, lambda d: d.choose(["-n", "-i", "-E", "-r", "-e", "-s", "-z", "-i.bak",
                                            "--posix", "-l", "5", "--", "-k"]), 0, 2)
        argv.append(sed_script(d))
    elif prog == "grep":
        argv += some(d, lambda d: d.choose(["-i", "-v", "-c", "-n", "-w", "-q", "-E", "-F",
                                            "-o", "-A", "1", "-B", "2", "-C", "x", "-e",
                                            "--count", "--bogus", "-h"]), 0, 3)
        argv.append(regex(d))
    elif prog == "sleep":
        argv += some(d, lambda d: d.choose(["0", "0.1", "1", "2.5", "5", "30", "1m", ".5",
                                            "x", "-1", "1e3", "inf", "", "10s"]), 0, 2)
        return argv
    elif prog == "ping":
        argv += some(d, lambda d: d.choose(["-c", "1", "2", "3", "-i", "0.2", "0.5", "-W",
                                            "1", "-w", "2", "-q", "-n", "-I", "bond0",
                                            "-s", "1472", "-b", "-f", "-4", "-6", "-D",
                                            "-O", "-t", "64", "0"]), 0, 4)
        argv.append(d.choose([*ADDRS, "localhost", "gw", "outside", "nosuch.example"]))
        if "-c" not in argv:  # a ping without -c runs until Ctrl-C: give it an end
            argv[1:1] = ["-c", str(d.integer(1, 5))]
        return argv
    elif prog == "ifenslave":
        argv += some(d, lambda d: d.choose(["-c", "-d", "-a", "-f", "-h", "-v", "-u", "-V",
                                            "--all-interfaces", "--change-active"]), 0, 2)
        argv += some(d, lambda d: d.choose(NICS), 0, 3)
        return argv
    elif prog == "systemctl":
        argv += [d.choose(["restart", "start", "stop", "status", "reload", "enable", "is-active",
                           "daemon-reload", "list-units", "bogus"]),
                 d.choose(["NetworkManager", "network", "network.service", "sshd", "x", ""])]
        return argv
    argv += some(d, word, 0, 4)
    return argv


def sed_script(d: Draw) -> str:
    parts = []
    for _ in range(d.integer(1, 3)):
        addr = d.choose(["", "", "1", "$", "2,3", "/a/", "/a/I", "0,/x/", "1~2", "$!", "/x/,+1",
                         "\\%a%", "3!", "/[/", "0", "+1", ","])
        repl = d.choose(["X", "&&", "\\1", "\\n", "\\U&", "[&]", "\\2", "\\"])
        flags = d.choose(["", "g", "p", "2", "I", "gg", "q", "w", "0", "M", "e", "2g"])
        cmd = d.choose(["p", "d", "q", "Q", "=", "l", "G", "H", "x", "N", "D", "P", "n", "z",
                        "y/abc/xyz/", "y/a/", "a foo", "i\\", "c bar", "{p}", "{", "}", "b",
                        "t", ":a", "k", "e", "w /root/out", "r /etc/hosts", "F", "v", "#c",
                        f"s{regex(d)}{repl}/{flags}", f"s/{regex(d)}/{repl}/{flags}"])
        parts.append(addr + cmd)
    return ";".join(parts)


def regex(d: Draw) -> str:
    atoms = ["a", ".", "\\.", "*", "\\(", "\\)", "(", ")", "\\{2\\}", "{2}", "\\+", "+", "\\?",
             "?", "\\|", "|", "^", "$", "[", "]", "[a-z]", "[[:digit:]]", "[[:foo:]]", "[b-a]",
             "\\1", "\\w", "\\W", "\\s", "\\b", "\\<", "\\>", "\\`", "\\'", "\\d", "\\D",
             "\\x41", "\\o101", "\\d65", "\\cA", "\\n", "\\t", "\\", "/", "ens3[78]", "MII",
             "\\{1,\\}", "{,3}", "\\{x\\}", "[]a]", "[^]]", "[[.a.]]", "[[=a=]]", "é", "\udcff"]
    body = "".join(d.choose(atoms) for _ in range(d.integer(0, 6)))
    return "/" + body + "/" if d.integer(0, 1) else body


def command(d: Draw) -> str:
    kind = d.integer(0, 9)
    if kind < 3:
        argv = nmcli_line(d)
    elif kind < 5:
        argv = ip_line(d)
    else:
        argv = tool_line(d)
    text = " ".join(quoted(d, a) for a in argv)
    for _ in range(d.integer(0, 1) if maybe(d, 30) else 0):
        text += " " + redirect(d)
    return text


def redirect(d: Draw) -> str:
    op = d.choose([">", ">>", "<", "2>", "2>>", "&>", "2>&1", "1>&2", ">&", "0<", "2>/dev/null"])
    if op in ("2>&1", "1>&2", "2>/dev/null"):
        return op
    target = d.choose([*FILES, LONG, "/tmp/" + LONG + "/b", "�", "�", "", "a b", "/root/out",
                       f"{KEYFILE_DIR}/new.nmconnection", f"{IFCFG_DIR}/ifcfg-new",
                       "/sys/class/net/bond0/bonding/mode", "/sys/class/net/bonding_masters",
                       "/proc/sys/net/ipv4/x"])
    return op + " " + quoted(d, target) if target else op


def line(d: Draw) -> str:
    """One command line: commands joined by pipes and lists, maybe backgrounded."""
    parts = [command(d)]
    for _ in range(d.integer(0, 2)):
        op = d.choose(["|", "|", "|", ";", ";", "&&", "&&", "||", "&", "|&"] if maybe(d, 95)
                      else ["&&&", ";;", "| |", "&;", "||||", "<", ">"])
        parts.append(op)
        parts.append(d.choose([command(d), "grep a", "head -1", "wc -l", "sed 's/a/b/'",
                               "cat", "tail -n 2"]))
    text = " ".join(parts)
    if maybe(d, 5):
        text = text[:d.integer(0, len(text))]  # a line cut short
    if maybe(d, 3):
        text += d.choose(["'", '"', "\\", "&", "|", ";", "\0", "\r"])
    return text


# -- hand-edited profiles -------------------------------------------------------------------
def mangle(d: Draw, text: str) -> str:
    """A profile file as someone might leave it in an editor."""
    lines = text.splitlines()
    junk = ["[", "[ipv4", "]", "=", "key", "=value", "method=", "method=bogus",
            "addresses=300.1.1.1/99", "address1=192.168.1.61/24,192.168.1.1", "IPADDR=",
            "IPADDR=192.168.1.62", "IPADDR=1.2.3", "PREFIX=99", "BOOTPROTO=none",
            "BOOTPROTO=dhcp", "ONBOOT=maybe", "TYPE=Bond", "TYPE=Bogus", "DEVICE=bond0",
            "DEVICE=" + LONG, "NAME=\"unterminated", "BONDING_OPTS=\"mode=x miimon=y\"",
            "BONDING_OPTS='mode=1'", "MASTER=bond0", "SLAVE=yes", "uuid=not-a-uuid", "uuid=",
            "id=", "type=bond", "type=bogus", "interface-name=" + "x" * 20, "[bond]",
            "mode=balance-rr", "mode=99", "[connection]", "autoconnect=perhaps",
            "\udcff\udcfe", "\x00", "#comment", "   ", "\t[ipv6]", "=" * 300, "a" * 5000,
            "mtu=-5", "mtu=99999999999999999999", "dns=;;;", "route1=0.0.0.0/0,1.2.3.4,x"]
    for _ in range(d.integer(1, 4)):
        # every draw has a fixed range (positions taken modulo the file's length), so what
        # is drawn never depends on the file: hypothesis replays and shrinks it exactly
        op, where = d.integer(0, 5), d.integer(0, 999)
        value = d.choose([*junk, "", "yes", "no", "0", "-1"])
        if op == 0 and lines:
            del lines[where % len(lines)]
        elif op == 1:
            lines.insert(where % (len(lines) + 1), value)
        elif op == 2 and lines:
            i = where % len(lines)
            lines[i] = lines[i].split("=", 1)[0] + "=" + value
        elif op == 3 and lines:
            lines = lines[:where % (len(lines) + 1)]
        elif op == 4 and lines:
            i = where % len(lines)
            lines.insert(i, lines[i])
        elif op == 5:
            return {0: "", 1: "\n", 2: "\udcff" * 10, 3: "[connection]\n", 4: text + text,
                    5: "x"}[where % 6]
    return "\n".join(lines) + d.choose(["\n", ""])


def profile_edit(d: Draw, paths: list[str]) -> tuple[str | None, list[str]]:
    """A path to mangle (None: none this time) and the nmcli lines that follow the edit."""
    paths = [*paths, f"{IFCFG_DIR}/ifcfg-\udcff", f"{KEYFILE_DIR}/\udcff.nmconnection",
             f"{KEYFILE_DIR}/{'a' * 242}.nmconnection", f"{IFCFG_DIR}/ifcfg-{'b' * 249}",
             f"{KEYFILE_DIR}/x.nmconnection~", f"{IFCFG_DIR}/ifcfg-ens33.bak"]
    index = d.integer(0, 99)
    path = paths[index % len(paths)] if paths else None
    follow = d.choose([["nmcli c reload"], [f"nmcli c load {path}"], ["nmcli c reload",
                       "nmcli c up bond0"], ["nmcli c reload", "nmcli c up ens33"],
                       ["systemctl restart NetworkManager"], ["nmcli c reload", "nmcli c s"],
                       [f"nmcli c load {path}", "nmcli -f all c s ens33"],
                       ["nmcli c reload", "nmcli c down ens33", "nmcli c up ens33"]])
    return path, follow


# -- sessions: build something, then poke at it ---------------------------------------------
BOND_MODES = ["active-backup", "balance-rr", "802.3ad", "balance-xor", "broadcast",
              "balance-tlb", "balance-alb", "0", "1", "4", "6", "7", "bogus"]
NAMES = ["bond0", "bond1", "b\u202ex", "\udcff", "a" * 15, "a" * 16, "bond/0", "bond 0", "-x",
         "", "lo", "ens37"]
SYSFS_VALUES = [*NUMBERS, "0", "1", "100", "-1", "active-backup", "802.3ad", "fast", "slow",
                "layer3+4",
                "+ens37", "-ens37", "+bond9", "-bond0", "ens38", "+192.168.1.1",
                "-192.168.1.1", "all", "none", "", "x" * 300, "\udcff", "99999999999"]


KINDS = ["veth", "dummy", "bridge", "macvlan", "bond", "vlan", "team"]


def prelude(d: Draw) -> list[str]:
    """A few valid lines that leave the lab holding something worth poking at."""
    name = d.choose(["bond0", "bond0", "bond1", d.choose(NAMES)])
    mode = d.choose(BOND_MODES[:7])
    kind = d.integer(0, 3)
    if kind == 0:  # the walkthrough, with NetworkManager
        lines = [f"nmcli c add type bond autoconnect no con-name {quoted(d, name)} "
                 f"ifname {quoted(d, name)} mode {mode}"]
        for nic in ("ens37", "ens38")[:d.integer(0, 2)]:
            lines.append(f"nmcli c add type bond-slave autoconnect no ifname {nic} "
                         f"master {quoted(d, name)}")
        lines.append(f"nmcli c mod {quoted(d, name)} ipv4.method manual ipv4.address "
                     f"192.168.1.61/24 ipv4.gateway 192.168.1.1 ipv6.method ignore")
        lines.append(d.choose([f"nmcli c up {quoted(d, name)}", "systemctl restart "
                               "NetworkManager", "nmcli c reload", "true"]))
        return lines
    if kind == 1:  # the kernel's own tools
        lines = [f"ip link add {quoted(d, name)} type bond mode {mode} miimon 100"]
        for nic in ("ens37", "ens38")[:d.integer(0, 2)]:
            lines += [f"ip link set {nic} down", f"ip link set {nic} master {quoted(d, name)}"]
        lines += [f"ip link set {quoted(d, name)} up",
                  f"ip addr add 192.168.1.61/24 dev {quoted(d, name)}"]
        return lines
    if kind == 2:  # sysfs
        return ["echo +bond0 > /sys/class/net/bonding_masters",
                f"echo {mode} > /sys/class/net/bond0/bonding/mode",
                "echo 100 > /sys/class/net/bond0/bonding/miimon",
                "ip link set ens37 down", "echo +ens37 > /sys/class/net/bond0/bonding/slaves",
                "ip link set bond0 up"]
    return ["ifenslave bond0 ens37 ens38", "ip link add bond0 type bond",
            "ifenslave bond0 ens37 ens38", "ifenslave -c bond0 ens38"]


def poke(d: Draw) -> str:
    """A line aimed at what the prelude built."""
    kind = d.integer(0, 7)
    bond = d.choose(["bond0", "bond1", d.choose(NAMES)])
    if kind == 0:
        attr = d.choose([*sorted(BOND_SYSFS_FILES), "nosuch", ""])
        op = d.choose([">", ">>"])
        return f"echo {quoted(d, d.choose(SYSFS_VALUES))} {op} /sys/class/net/{bond}/bonding/{attr}"
    if kind == 1:
        attr = d.choose(sorted(SLAVE_SYSFS_FILES) + sorted(BOND_SYSFS_FILES)[:5])
        return f"cat /sys/class/net/{d.choose(NICS)}/bonding_slave/{attr}"
    if kind == 2:
        return f"cat /proc/net/bonding/{quoted(d, bond)}"
    if kind == 3:
        return d.choose([f"ifenslave -c {bond} {d.choose(NICS)}", f"ifenslave -d {bond} ens37",
                         f"ifenslave {bond} {d.choose(NICS)}", "ifenslave -a", "ifenslave"])
    if kind == 4:
        return d.choose([f"nmcli c down {bond}", f"nmcli c up {bond}", f"nmcli c del {bond}",
                         f"nmcli d disconnect {d.choose(NICS)}", "nmcli d connect ens37",
                         f"nmcli c mod {bond} +bond.options {d.choose(SYSFS_VALUES)}",
                         f"nmcli c mod {bond} bond.options mode={d.choose(BOND_MODES)}",
                         f"nmcli -f all c s {bond}", f"nmcli d s {bond}", "nmcli d",
                         f"nmcli c clone {bond} {d.choose(NAMES)}", "nmcli g",
                         f"nmcli c reapply {bond}", f"nmcli d reapply {bond}"])
    if kind == 5:
        return d.choose([f"ip link set {d.choose(NICS)} {d.choose(['down', 'up', 'nomaster'])}",
                         f"ip link del {bond}", f"ip -d link show {bond}", "ip -s -s link",
                         f"ip link set {bond} type bond mode {d.choose(BOND_MODES)}",
                         f"ip link set {d.choose(NICS)} master {bond}", "ip -br a", "ip r",
                         f"ip link set {bond} address {d.choose(['00:11:22:33:44:55', 'x'])}",
                         f"ip link set {bond} mtu {d.choose(['68', '9000', '65536', '0'])}"])
    if kind == 6:
        return d.choose(["switch$ ip link set sw37 down", "switch$ ip link set sw37 up",
                         f"ifconfig {bond} mtu {d.choose(NUMBERS)}",
                         f"ifconfig {bond} hw ether {d.choose(['00:11:22:33:44:55', 'x', ''])}",
                         f"ifconfig {bond} add {d.choose(ADDRS)}",
                         f"ifconfig {bond} netmask {d.choose(ADDRS)}",
                         f"ifconfig {bond} {d.choose(ADDRS)} broadcast {d.choose(ADDRS)}",
                         f"ip route add {d.choose(ADDRS)} via {d.choose(ADDRS)}",
                         f"ip addr add {d.choose(ADDRS)} dev {bond}",
                         f"ip link set {bond} txqueuelen {d.choose(NUMBERS)}",
                         f"ip link set {bond} type bond miimon {d.choose(NUMBERS)}",
                         f"ip link add {d.choose(NAMES)} type {d.choose(KINDS)}",
                         f"nmcli c mod {bond} 802-3-ethernet.mtu {d.choose(NUMBERS)}",
                         f"nmcli c mod {bond} ipv4.route-metric {d.choose(NUMBERS)}",
                         "ping -c 3 -i 0.2 192.168.1.1",
                         "sleep 5", "ping -c 2 192.168.1.10 &", "wait", "sleep 1; wait",
                         "ifconfig bond0", "ifconfig -a", "ifconfig bond0 down",
                         "ifconfig bond0 192.168.1.63 netmask 255.255.255.0"])
    return line(d)


def session(d: Draw) -> list[tuple[str, str]]:
    """(host, line) pairs: a prelude, then lines aimed at what it built."""
    lines = [("server", text) for text in prelude(d)]
    for _ in range(d.integer(1, 6)):
        text = poke(d)
        host, _, rest = text.partition("$ ")
        lines.append((host, rest) if rest and " " not in host else ("server", text))
    return lines
