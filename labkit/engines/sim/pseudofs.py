"""/proc and /sys of a simulated namespace: reads render a snapshot through the views, writes
go through the same option code as netlink and fail with the errno write(2) would get.
"""

from __future__ import annotations

from errno import EEXIST, EINVAL, ENODEV, EPERM

from labkit.engines.sim import bondfs as bondfs
from labkit.engines.sim.bonding import Bond, Slave
from labkit.engines.sim.netdev import NetDevice
from labkit.engines.sim.netns import Namespace
from labkit.engines.sim.snapshot import take
from labkit.errors import KernelError

NET_DEV_FILES = ("addr_assign_type", "address", "broadcast", "carrier", "ifindex", "mtu",
                 "operstate", "type")
SYSCTL_IPV6 = ("disable_ipv6", "accept_ra")


def _split(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def _adjacent(ns: Namespace, dev: NetDevice) -> list[str]:
    """The links netdev_adjacent_sysfs_add makes in a device's directory: `master` and
    `upper_NAME` to its master, `lower_NAME` to each of its ports."""
    names = []
    if dev.master is not None:
        names += ["master", f"upper_{dev.master.name}"]
    names += [f"lower_{d.name}" for d in ns.ordered() if d.master is dev]
    return names


def _follow(ns: Namespace, parts: list[str]) -> list[str]:
    """/sys/class/net/A/master/..., .../upper_B/... and .../lower_C/... lead into the other
    device's directory, as the symlinks do."""
    while parts[:3] == ["sys", "class", "net"] and len(parts) >= 5:
        dev = ns.find(parts[3])
        if dev is None or parts[4] not in _adjacent(ns, dev):
            break
        link = parts[4]
        other = dev.master.name if link == "master" and dev.master else link.split("_", 1)[1]
        parts = ["sys", "class", "net", other, *parts[5:]]
    return parts


def read(ns: Namespace, path: str) -> str:
    """The content of a pseudo-file; FileNotFoundError / IsADirectoryError like open(2)."""
    parts = _follow(ns, _split(path))
    if parts[:3] == ["proc", "net", "bonding"] and len(parts) == 4:
        dev = ns.find(parts[3])
        if not isinstance(dev, Bond):
            raise FileNotFoundError(path)
        return bondfs.proc_net_bonding(take(ns), dev.name)
    if parts[:3] == ["sys", "class", "net"]:
        return _read_sys(ns, parts[3:], path)
    if parts[:2] == ["proc", "sys"]:
        key = ".".join(parts[2:])
        value = _sysctl_get(ns, key)
        if value is None:
            if len(parts) > 2 and _is_sysctl_dir(ns, parts[2:]):
                raise IsADirectoryError(path)
            raise FileNotFoundError(path)
        return value + "\n"
    if _is_dir(ns, path):
        raise IsADirectoryError(path)
    raise FileNotFoundError(path)


def _read_sys(ns: Namespace, rest: list[str], path: str) -> str:
    if rest == ["bonding_masters"]:
        return bondfs.bonding_masters(take(ns))
    if not rest:
        raise IsADirectoryError(path)
    dev = ns.find(rest[0])
    if dev is None:
        raise FileNotFoundError(path)
    if len(rest) == 1:
        raise IsADirectoryError(path)
    snap = take(ns)
    if rest[1] == "bonding" and isinstance(dev, Bond):
        if len(rest) == 2:
            raise IsADirectoryError(path)
        if len(rest) == 3 and rest[2] in bondfs.BOND_SYSFS_FILES:
            return bondfs.sysfs_bonding(snap, dev.name, rest[2])
    elif rest[1] == "bonding_slave" and isinstance(dev.port, Slave):
        if len(rest) == 2:
            raise IsADirectoryError(path)
        if len(rest) == 3 and rest[2] in bondfs.SLAVE_SYSFS_FILES:
            return bondfs.sysfs_bonding_slave(snap, dev.name, rest[2])
    elif len(rest) == 2 and rest[1] in NET_DEV_FILES:
        link = snap.link(dev.name)
        values = {"addr_assign_type": str(link.addr_assign_type), "address": link.address,
                  "broadcast": link.broadcast,
                  "carrier": "1" if link.has_carrier else "0", "ifindex": str(link.ifindex),
                  "mtu": str(link.mtu), "operstate": link.operstate.lower(),
                  "type": "772" if link.link_type == "loopback" else "1"}
        if rest[1] == "carrier" and not link.is_up:
            raise KernelError(EINVAL)
        return values[rest[1]] + "\n"
    raise FileNotFoundError(path)


def list_dir(ns: Namespace, path: str) -> list[str]:
    """The names in a pseudo-directory, sorted as ls shows them."""
    parts = _follow(ns, _split(path))
    if parts == ["proc", "net", "bonding"]:
        names = [d.name for d in ns.ordered() if isinstance(d, Bond)]
        if not names and not ns.bonds_loaded:
            raise FileNotFoundError(path)
        return sorted(names)
    if parts == ["sys", "class", "net"]:
        names = [d.name for d in ns.ordered()]
        if ns.bonds_loaded:
            names.append("bonding_masters")
        return sorted(names)
    if parts[:3] == ["sys", "class", "net"] and len(parts) >= 4:
        dev = ns.find(parts[3])
        if dev is None:
            raise FileNotFoundError(path)
        if len(parts) == 4:
            extra = ["bonding"] if isinstance(dev, Bond) else []
            extra += ["bonding_slave"] if isinstance(dev.port, Slave) else []
            return sorted(list(NET_DEV_FILES) + extra + _adjacent(ns, dev))
        if len(parts) == 5 and parts[4] == "bonding" and isinstance(dev, Bond):
            return sorted(bondfs.BOND_SYSFS_FILES)
        if len(parts) == 5 and parts[4] == "bonding_slave" and isinstance(dev.port, Slave):
            return sorted(bondfs.SLAVE_SYSFS_FILES)
    raise NotADirectoryError(path)


def _is_dir(ns: Namespace, path: str) -> bool:
    try:
        list_dir(ns, path)
    except OSError:
        return False
    return True


def write(ns: Namespace, path: str, data: str) -> None:
    """Write a pseudo-file as `echo data > path` does (the data ends with a newline)."""
    parts = _follow(ns, _split(path))
    if parts[:3] == ["sys", "class", "net"]:
        rest = parts[3:]
        if rest == ["bonding_masters"]:
            _bonding_masters(ns, data)
            return
        dev = ns.find(rest[0]) if rest else None
        if dev is None:
            raise FileNotFoundError(path)
        if len(rest) == 3 and rest[1] == "bonding" and isinstance(dev, Bond):
            if rest[2] not in bondfs.BOND_SYSFS_FILES:
                raise FileNotFoundError(path)
            if rest[2] in ("mii_status", "ad_aggregator", "ad_num_ports", "ad_actor_key",
                           "ad_partner_key", "ad_partner_mac"):
                raise PermissionError(path)
            name = rest[2]
            dev.set_option(name, data)
            return
        if len(rest) == 3 and rest[1] == "bonding_slave" and isinstance(dev.port, Slave):
            raise PermissionError(path)
        if len(rest) == 2 and rest[1] in NET_DEV_FILES:
            if rest[1] == "mtu":
                try:
                    mtu = int(data.strip())
                except ValueError:
                    raise KernelError(EINVAL) from None
                if not dev.min_mtu <= mtu <= dev.max_mtu:
                    raise KernelError(EINVAL)
                dev.mtu = mtu
                return
            raise PermissionError(path)
        if _is_dir(ns, path):
            raise IsADirectoryError(path)
        raise FileNotFoundError(path)
    if parts[:2] == ["proc", "sys"]:
        _sysctl_set(ns, ".".join(parts[2:]), data.strip(), path)
        return
    if _is_dir(ns, path):
        raise IsADirectoryError(path)
    raise FileNotFoundError(path)


def _bonding_masters(ns: Namespace, data: str) -> None:
    """bonding_store_bonds: '+name' creates a bond, '-name' deletes one."""
    cmd = data.split()[0] if data.split() else ""
    name = cmd[1:16]
    if len(cmd) <= 1 or cmd[0] not in "+-" or "/" in name:
        raise KernelError(EPERM)
    if cmd[0] == "+":
        if ns.find(name) is not None:
            raise KernelError(EEXIST)
        bond = Bond(ns, name)
        ns.register(bond)
        return
    dev = ns.find(name)
    if not isinstance(dev, Bond):
        raise KernelError(ENODEV)
    ns.world.klog.printk(6, f"bonding: {name} is being deleted...")
    ns.unregister(dev)


def _sysctl_get(ns: Namespace, key: str) -> str | None:
    parts = key.split(".")
    if parts[:3] == ["net", "ipv6", "conf"] and len(parts) == 5 and parts[4] in SYSCTL_IPV6:
        where, name = parts[3], parts[4]
        if where in ("all", "default"):
            return ns.sysctl.get(f"net.ipv6.conf.{where}.{name}",
                                 "0" if name == "disable_ipv6" else "1")
        dev = ns.find(where)
        if dev is None:
            return None
        st = ns.addrconf.state(dev)
        if name == "accept_ra":
            return str(st.accept_ra)
        return "1" if st.disabled else "0"
    return ns.sysctl.get(key)


def _is_sysctl_dir(ns: Namespace, parts: list[str]) -> bool:
    prefix = ".".join(parts) + "."
    return any(k.startswith(prefix) for k in ns.sysctl) or parts in (
        ["net"], ["net", "ipv6"], ["net", "ipv6", "conf"])


def _sysctl_set(ns: Namespace, key: str, value: str, path: str) -> None:
    parts = key.split(".")
    if parts[:3] == ["net", "ipv6", "conf"] and len(parts) == 5 and parts[4] == "accept_ra":
        if value not in ("0", "1", "2"):
            raise KernelError(EINVAL)
        if parts[3] in ("all", "default"):
            ns.sysctl[key] = value
            return
        dev = ns.find(parts[3])
        if dev is None:
            raise FileNotFoundError(path)
        ns.addrconf.state(dev).accept_ra = int(value)
        return
    if parts[:3] == ["net", "ipv6", "conf"] and len(parts) == 5 and parts[4] == "disable_ipv6":
        if value not in ("0", "1"):
            raise KernelError(EINVAL)
        where = parts[3]
        if where in ("all", "default"):
            ns.sysctl[f"net.ipv6.conf.{where}.disable_ipv6"] = value
            if where == "all":
                for dev in ns.ordered():
                    ns.addrconf.set_disabled(dev, value == "1")
            return
        dev = ns.find(where)
        if dev is None:
            raise FileNotFoundError(path)
        ns.addrconf.set_disabled(dev, value == "1")
        return
    if key in ns.sysctl:
        ns.sysctl[key] = value
        return
    raise FileNotFoundError(path)
