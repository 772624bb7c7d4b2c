"""A scratch copy of the lab's server on this machine's kernel, for comparing with real `ip`.

The host kernel has veth and bridges but no bonding, so this covers what `ip` prints and how it
parses, not the bonding driver (the VM recordings cover that). Namespaces are named
`lkt-<pid>-...` and removed afterwards, also when a test fails.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from labkit.model.plan import as_ip_commands, build_plan
from labkit.model.topology import load_topology

from realtools import ENV, have, is_root


def available() -> bool:
    """Root, iproute2, and network namespaces that can be made."""
    if not (is_root() and have("ip", "bash")):
        return False
    probe = f"lkt-{os.getpid()}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if made:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


_COUNTER = iter(range(1, 1_000_000))


@contextmanager
def scratch_lab() -> Iterator[str]:
    """Build the centos7-bond lab with real ip commands; yield the lab id (netns prefix)."""
    lab_id = f"lkt{os.getpid() % 10000}x{next(_COUNTER)}"
    try:
        for line in as_ip_commands(build_plan(load_topology("centos7-bond")), lab_id):
            subprocess.run(line, shell=True, check=True, env=ENV, capture_output=True)
        yield lab_id
    finally:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(lab_id + "-"):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
