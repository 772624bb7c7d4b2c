"""Real NetworkManager 1.42 on the server of a recorder's lab, inside the virtme-ng VM.

Follows ../shared/REALVM.md: its own system D-Bus, a fixed machine-id and secret key, no
ifupdown dispatcher and no ModemManager, managing only the lab's NICs (and the bonds it makes),
`lo` left alone. The starting profiles are made with real nmcli, as an installer leaves them
(ens33 static, the others DHCP that nobody answers); then the recorder waits until NM has
settled (the DHCP NICs end `disconnected`). A `systemctl` stand-in restarts the daemon the way
the unit does. Run only inside the recorder's VM (it rewrites /etc, which is an overlay there).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from labkit.model.topology import load_topology
from labkit.nm.config import LAB_CONF as CONF
from labkit.nm.install import installer_commands
from labkit.system.host import MACHINE_ID

SYSTEMCTL = """#!/bin/sh
# systemctl stand-in for the recorder's VM (no systemd there): what the units do.
NS={ns}
nm_stop() {{
    pid=$(cat /run/lab-nm/pid 2>/dev/null)
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}}
nm_start() {{
    ip netns exec $NS NetworkManager --no-daemon >>/run/lab-nm/log 2>&1 &
    echo $! > /run/lab-nm/pid
    i=0
    until nmcli -t general status >/dev/null 2>&1 || [ $i -gt 100 ]; do
      sleep 0.1; i=$((i+1))
    done
}}
case "$1 $2" in
  "restart NetworkManager"|"restart NetworkManager.service"|"restart network-manager")
    nm_stop; nm_start ;;
  "stop NetworkManager"|"stop NetworkManager.service") nm_stop ;;
  "start NetworkManager"|"start NetworkManager.service") nm_start ;;
  "restart network"|"restart network.service")
    echo "Failed to restart $2: Unit network.service not found." >&2; exit 5 ;;
  *)
    echo "systemctl stand-in: '$*' is not recorded" >&2; exit 1 ;;
esac
"""
BIN = Path("/run/lab-bin")


def sh(cmd: str, env: dict[str, str]) -> None:
    subprocess.run(cmd, shell=True, check=True, env=env)


def setup(netns: str, env: dict[str, str], topology: str = "centos7-bond") -> None:
    """Prepare and start NetworkManager in `netns`; make the installer's profiles; settle."""
    Path("/etc/machine-id").write_text(MACHINE_ID + "\n")
    state = Path("/var/lib/NetworkManager")
    state.mkdir(parents=True, exist_ok=True)
    for stale in state.iterdir():
        stale.unlink()
    (state / "secret_key").write_bytes(b"labkit-fixed-secret-key-32-bytes")
    os.chmod(state / "secret_key", 0o600)
    for path in ("/etc/NetworkManager/dispatcher.d/01-ifupdown",
                 "/usr/share/dbus-1/system-services/org.freedesktop.ModemManager1.service"):
        Path(path).unlink(missing_ok=True)
    conn = Path("/etc/NetworkManager/system-connections")
    conn.mkdir(parents=True, exist_ok=True)
    for old in conn.iterdir():
        old.unlink()
    for d in Path("/etc/NetworkManager/conf.d").glob("*"):
        d.unlink()
    Path("/etc/NetworkManager/NetworkManager.conf").write_text(CONF)
    Path("/run/lab-nm").mkdir(parents=True, exist_ok=True)
    Path("/run/dbus").mkdir(parents=True, exist_ok=True)
    if not Path("/run/dbus/system_bus_socket").exists():
        sh("dbus-daemon --system --fork --nopidfile", env)
    BIN.mkdir(parents=True, exist_ok=True)
    (BIN / "systemctl").write_text(SYSTEMCTL.format(ns=netns))
    os.chmod(BIN / "systemctl", 0o755)
    sh(f"{BIN}/systemctl start NetworkManager", env)
    for cmd in installer_commands(load_topology(topology).host("server")):
        sh(cmd + " >/dev/null", env)
    wait_settled(env)


def wait_settled(env: dict[str, str], timeout: float = 240.0) -> None:
    """Until ens33 is connected and the DHCP NICs have given up (disconnected)."""
    want = {"ens33": "connected", "ens37": "disconnected", "ens38": "disconnected"}
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        out = subprocess.run(["nmcli", "-t", "-f", "DEVICE,STATE", "device"], env=env,
                             capture_output=True, text=True).stdout
        state = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        last = out
        if all(state.get(k) == v for k, v in want.items()):
            return
        time.sleep(1)
    raise RuntimeError(f"NetworkManager did not settle: {last!r}")


def stop(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "systemctl"), "stop", "NetworkManager"], env=env, check=False)
