"""modprobe and lsmod for the modules a lab's kernel has loaded (bonding, bridge, veth).

The lab's kernel starts with them loaded (as the recorder's VM: `modprobe bonding max_bonds=0`,
veth, bridge), so `modprobe bonding`, with or without options, does what the real one does for a
loaded module: nothing, and says nothing (the options apply only at load time). A module the
kernel does not ship is the real message; unloading a module in use is refused as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.shell.program import Invocation

# module -> (size, users) as lsmod prints them on Debian's 6.1.0-56-amd64 (sizes rounded as
# the kernel reports a module's core size; "Used by" lists the modules depending on it)
LOADED = {"bonding": (196608, ""), "veth": (36864, ""), "bridge": (311296, ""),
          "stp": (16384, "bridge"), "llc": (16384, "bridge,stp")}
SHIPPED = frozenset({*LOADED, "8021q", "garp", "mrp", "e1000", "e1000e", "virtio_net", "tun",
                     "dummy", "macvlan", "ipvlan", "vxlan", "team", "team_mode_activebackup"})


def _release(inv: Invocation) -> str:
    return str(getattr(getattr(inv.engine, "world", None), "kernel_release", "6.1.0-56-amd64"))


def modprobe(inv: Invocation) -> int:
    """modprobe [-r] [-q] MODULE [OPTION=VALUE...]."""
    args = inv.argv[1:]
    remove = quiet = False
    names: list[str] = []
    for a in args:
        if a in ("-r", "--remove"):
            remove = True
        elif a in ("-q", "--quiet"):
            quiet = True
        elif a in ("-v", "--verbose", "-a", "--all", "-b", "--use-blacklist"):
            continue
        elif a.startswith("-"):
            inv.err(f"modprobe: unrecognized option '{a}'\n" if a.startswith("--")
                    else f"modprobe: invalid option -- '{a[1:2]}'\n")
            return 1
        else:
            names.append(a)
    if not names:
        inv.err("modprobe: ERROR: missing parameters. See -h.\n")
        return 1
    module = names[0].replace("-", "_")
    if remove:
        for name in [n.replace("-", "_") for n in names]:
            if name in LOADED and name in ("bonding", "bridge", "veth", "stp", "llc"):
                inv.err(f"modprobe: FATAL: Module {name} is in use.\n")
                return 1
        return 0
    if module not in SHIPPED:
        if not quiet:
            inv.err(f"modprobe: FATAL: Module {names[0]} not found in directory "
                    f"/lib/modules/{_release(inv)}\n")
        return 1
    return 0


def lsmod(inv: Invocation) -> int:
    """lsmod: the loaded modules, newest first."""
    if len(inv.argv) > 1:
        inv.err("Usage: lsmod\n")
        return 1
    rows = ["Module                  Size  Used by\n"]
    for name, (size, users) in LOADED.items():
        count = len(users.split(",")) if users else 0
        rows.append(f"{name:<19} {size:>8}  {count} {users}".rstrip() + "\n")
    inv.out("".join(rows))
    return 0
