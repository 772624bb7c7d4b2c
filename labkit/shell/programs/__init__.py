"""The programs of the lab shell, by name (bash builtins first, then labkit's emulations)."""

from __future__ import annotations

from labkit.shell.programs import (
    bridge,
    dmesg,
    ifconfig,
    ifenslave,
    ip,
    journalctl,
    modprobe,
    nmcli,
    ping,
    real,
    sed,
    systemctl,
    textutils,
)

PROGRAMS = {
    "cat": textutils.cat,
    "grep": textutils.grep,
    "head": textutils.head,
    "tail": textutils.tail,
    "sed": sed.sed,
    "wc": textutils.wc,
    "echo": textutils.echo,
    "true": textutils.true,
    "false": textutils.false,
    "pwd": textutils.pwd,
    "cd": textutils.cd,
    "clear": textutils.clear,
    "sleep": textutils.sleep,
    "wait": textutils.wait_builtin,
    "ls": textutils.ls,
    "ip": ip.ip,
    "bridge": bridge.bridge,
    "ifenslave": ifenslave.ifenslave,
    "ifconfig": ifconfig.ifconfig,
    "ping": ping.ping,
    "nmcli": nmcli.nmcli,
    "systemctl": systemctl.systemctl,
    "journalctl": journalctl.journalctl,
    "dmesg": dmesg.dmesg,
    "modprobe": modprobe.modprobe,
    "lsmod": modprobe.lsmod,
}

# What engines with real programs run for the names in their `real_programs`: kept out of
# PROGRAMS so that no name a user can type reaches it.
REAL_PROGRAM = real.real
