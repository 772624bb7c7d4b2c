#!/usr/bin/env python3
"""Write the guided notebooks from their text below and run them, so they are committed with
their outputs (what nbval then compares every run with).

    .venv/bin/python tools/build_notebooks.py            # all
    .venv/bin/python tools/build_notebooks.py 02         # the ones whose name starts so

Notebooks run on the sim engine here (LABKIT_ENGINE=sim), with stable UUIDs and the lab's fixed
calendar, so their outputs are reproducible; notebooks/sanitize.cfg masks what stays random.
A cell whose first line is `# NBVAL_IGNORE_OUTPUT` shows something that differs by engine or
machine (the engine's name, widgets).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks"

START = '''import labkit
from labkit import checks

lab = labkit.Lab(stable_uuids=True).start()   # the walkthrough's lab, on the best engine here'''
ENGINE = '''# NBVAL_IGNORE_OUTPUT
print(lab.describe())'''
CLOSE = '''lab.close()   # removes all the lab made; run the notebook again for a fresh one'''

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "00-start-here": [
        ("md", """# 00 · Start here: what bonding is for, and your lab

A server that talks to the network through **one** cable loses the network when that cable,
its switch port or its NIC fails. **Bonding** joins several NICs into one logical interface
(`bond0`): the addresses live on the bond, and the kernel's bonding driver decides which
cable carries the traffic. In **active-backup** mode one NIC (the *active slave*) carries
everything and the others wait; when the active one loses its link, the driver moves to a
backup within a fraction of a second, and the server keeps its address.

These notebooks follow a real administrator's walkthrough (a CentOS 7.8 server with three
NICs: `ens33` addressed, `ens37` and `ens38` blank) and let you do what they could not do
easily: pull cables, watch the failover, try other modes, and start again as often as you like.

## Your lab

Every notebook starts its own lab and closes it at the end. The lab is four machines joined
by one switch: **server** (the machine of the walkthrough; NetworkManager runs there),
**outside** (a machine to ping the server from), **gw** (the router, 192.168.1.1) and the
**switch** itself. Nothing in it can touch your own computer's network."""),
        ("code", START),
        ("md", """labkit picks an **engine** for the lab: `netns` (your computer's own Linux kernel,
in network namespaces, when you are root and the kernel has the bonding driver), or `sim`
(a faithful simulation of the Linux 6.1 kernel, anywhere). A third, `vm`, runs a real
kernel in a small virtual machine. The commands and their output are the same on each."""),
        ("code", ENGINE),
        ("md", """## The dashboard

To have something to look at, here is the walkthrough's bond already made (notebook 02 builds
it step by step and explains each command):"""),
        ("code", """lab.sh("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
       "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore")
for nic in ("ens37", "ens38"):
    lab.sh(f"nmcli connection modify {nic} connection.autoconnect no")
    lab.sh(f"nmcli connection add type bond-slave ifname {nic} master bond0")
lab.sleep(3)"""),
        ("md", """The drawing shows each host, its NICs with their MAC addresses, and each cable to the
switch: green when plugged in, red and dashed when pulled. `bond0`'s slaves are marked, the
active one in yellow. The buttons pull and plug cables, as you would at a real switch; below
them, the bond's own report (`/proc/net/bonding/bond0`). It redraws whenever the lab changes."""),
        ("code", """# NBVAL_IGNORE_OUTPUT
lab.dashboard()"""),
        ("md", """## Typing commands

`%%lab` runs each line of a cell on the server as in its terminal (`%%lab outside` on
another host); `%lab` runs one line."""),
        ("code", """%%lab
ip -br link"""),
        ("code", """%%lab outside
ping -c 2 192.168.1.60"""),
        ("md", """## Resetting

Closing the lab removes everything it made; starting a new one gives you the lab as it was.
If something went wrong, `lab.close()` and run the notebook again from the top.

## Exercise

Pull the cable of the active slave, `ens37` (its button on the dashboard, or
`lab.unplug("ens37")`), and watch the dashboard: the bond makes `ens38` active, and the server
keeps its address. Then run the check."""),
        ("code", """lab.unplug("ens37")   # or the button
lab.sleep(1)"""),
        ("code", """checks.check(lab, checks.cable("ens37", plugged=False),
             checks.active_slave("bond0", "ens38"), checks.reachable("192.168.1.61"))"""),
        ("code", CLOSE),
    ],
    "01-the-machine": [
        ("md", """# 01 · The machine: three NICs, one of them addressed

The walkthrough begins by looking at the server. `ens33` carries 192.168.1.60/24 from its
NetworkManager profile; `ens37` and `ens38` are up but have no address: their profiles ask
for DHCP, nobody answers, and NetworkManager leaves them `disconnected`."""),
        ("code", START),
        ("code", """%%lab
ip -br address"""),
        ("md", """`nmcli c` (short for `nmcli connection show`) lists NetworkManager's **profiles**:
a profile is a saved configuration; `DEVICE` shows where one is active."""),
        ("code", """%%lab
nmcli c
nmcli d"""),
        ("md", """Each NIC has its own MAC address (VMware's pattern `00:0c:29:…`). Remember
them: in notebook 03 they change."""),
        ("code", """%%lab
ip link show ens37
ip link show ens38"""),
        ("md", """## Exercise

Which address does `ens33` have, and which default gateway? Find both with `ip` (hint:
`ip route`). Then check that `outside` can reach the server."""),
        ("code", """%%lab
ip route"""),
        ("code", """checks.check(lab, checks.address("ens33", "192.168.1.60/24"),
             checks.reachable("192.168.1.60"))"""),
        ("code", CLOSE),
    ],
    "02-build-the-bond": [
        ("md", """# 02 · Build the bond with nmcli

The walkthrough's commands, in order: a **bond** profile (the master), two **bond-slave**
profiles (the ports), the bond's address, then autoconnect and a restart of NetworkManager."""),
        ("code", START),
        ("code", """%%lab
nmcli connection add type bond autoconnect no con-name bond0 ifname bond0 mode active-backup
nmcli connection add type bond-slave autoconnect no ifname ens37 master bond0
nmcli connection add type bond-slave autoconnect no ifname ens38 master bond0
nmcli c"""),
        ("md", """The profiles exist but nothing is active yet (`autoconnect no`). Give the bond
its address, as the walkthrough does:"""),
        ("code", """%%lab
nmcli c mod bond0 ipv4.method manual ipv4.address "192.168.1.61/24" ipv4.gateway "192.168.1.1" ipv4.dns "192.168.1.1" ipv6.method ignore
nmcli -f ipv4.method,ipv4.addresses c s bond0"""),
        ("md", """Now autoconnect: the plain `ens37`/`ens38` profiles **no** (they would take the
NICs back), the slave profiles and `bond0` **yes**; then restart NetworkManager, which
brings up what is set to autoconnect."""),
        ("code", """%%lab
nmcli c mod ens37 connection.autoconnect no
nmcli c mod ens38 connection.autoconnect no
nmcli c mod bond-slave-ens37 connection.autoconnect yes
nmcli c mod bond-slave-ens38 connection.autoconnect yes
nmcli c mod bond0 connection.autoconnect yes
nmcli -f connection.autoconnect c s bond-slave-ens37
systemctl restart NetworkManager"""),
        ("code", """lab.sleep(5)   # let NetworkManager bring the bond up"""),
        ("code", """%%lab
nmcli c
cat /proc/net/bonding/bond0"""),
        ("code", """%%lab outside
ping -c 3 192.168.1.61"""),
        ("md", """## Exercise

The bond is up with both slaves and answers from outside. Run the check; then try breaking
something (`nmcli c down bond-slave-ens38`) and run it again to see what it says."""),
        ("code", """checks.check(lab, checks.bond("bond0", mode="active-backup"),
             checks.slaves("bond0", "ens37", "ens38"),
             checks.address("bond0", "192.168.1.61/24"),
             checks.autoconnect("bond0", True), checks.reachable("192.168.1.61"))"""),
        ("code", CLOSE),
    ],
}


BOND_QUICKLY = '''%%lab
nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore
nmcli connection add type bond-slave ifname ens37 master bond0
nmcli connection add type bond-slave ifname ens38 master bond0
nmcli connection modify ens37 connection.autoconnect no
nmcli connection modify ens38 connection.autoconnect no'''

NOTEBOOKS["03-one-mac-for-all"] = [
    ("md", """# 03 · One MAC for all

The walkthrough's author noticed something odd: once bonded, `ens37`, `ens38` and `bond0`
all showed **the same MAC address**, the first slave's (`…:51:d4`). This notebook shows it,
explains it, and changes it."""),
    ("code", START),
    ("md", """First the bond, in one go this time (notebook 02 did it step by step; as there,
the plain `ens37`/`ens38` profiles stop autoconnecting, or they would take the NICs back):"""),
    ("code", BOND_QUICKLY),
    ("code", """lab.sleep(3)"""),
    ("code", """%%lab
ip -br link"""),
    ("md", """One MAC on all three. It is not `…:51:d4` here: on Debian 12 and RHEL 9, udev
gives every new virtual link a stable MAC of its own (`MACAddressPolicy=persistent`, derived
from the machine id), and NetworkManager creates `bond0` before its first port joins, so the
bond keeps udev's MAC and the ports take it. CentOS 7 had no such policy: its bond took the
first slave's MAC, as the walkthrough shows. Either way: **one MAC for all**.

## Why

In active-backup mode the bond must look like **one** machine to the switch: whichever NIC
carries the traffic, the frames leave with the bond's MAC, so the switch and every
neighbour's ARP cache need not learn anything new after a failover. By default
(`fail_over_mac=none`) the driver sets **every slave** to the bond's MAC (a bond without one
of its own takes its first slave's). Each slave's own address is kept as its *permanent*
address:"""),
    ("code", """%%lab
cat /proc/net/bonding/bond0 | grep -e "Slave Interface" -e "Permanent HW addr"
cat /sys/class/net/bond0/bonding/fail_over_mac"""),
    ("md", """## A third slave

Add an adapter (as one adds a NIC in VMware) and enslave it: it takes the bond's MAC too."""),
    ("code", """lab.add_nic("ens39")"""),
    ("code", """%%lab
nmcli connection add type bond-slave ifname ens39 master bond0
ip -br link show ens39"""),
    ("md", """## `fail_over_mac=active`

Some switches (and virtual switches) dislike one MAC on several ports. With
`fail_over_mac=active` the slaves keep their own MACs and the **bond takes the active
slave's** MAC instead, changing it at each failover (and announcing it with gratuitous ARP).
`fail_over_mac` can only change while the bond has no slaves: NetworkManager takes the bond
down and up again to apply it."""),
    ("code", """%%lab
nmcli connection modify bond0 +bond.options fail_over_mac=active
nmcli connection up bond0"""),
    ("code", """lab.sleep(3)"""),
    ("code", """%%lab
ip -br link
cat /sys/class/net/bond0/bonding/fail_over_mac"""),
    ("md", """## Exercise

With `fail_over_mac=active` in place, pull the cable of the active slave and watch the
bond's MAC follow the new active slave (`ip -br link`). Then check."""),
    ("code", """lab.unplug("ens37")
lab.sleep(1)"""),
    ("code", """%%lab
ip -br link show bond0
cat /proc/net/bonding/bond0 | grep Currently"""),
    ("code", """checks.check(lab, checks.bond("bond0", mode="active-backup"),
             checks.active_slave("bond0", "ens38"), checks.mac("bond0", "00:0c:29:89:51:de"),
             checks.mac("ens37", "00:0c:29:89:51:d4"))"""),
    ("code", CLOSE),
]

NOTEBOOKS["04-who-is-active"] = [
    ("md", """# 04 · Who is active: /proc/net/bonding, ifenslave -c, sysfs, the switch

In active-backup mode exactly one slave carries the traffic. This notebook finds out which
one, changes it three ways, and looks at what the **switch** learns when it changes."""),
    ("code", START),
    ("code", BOND_QUICKLY),
    ("code", """lab.sleep(3)"""),
    ("code", """%%lab
cat /proc/net/bonding/bond0"""),
    ("md", """## Switching the active slave

The walkthrough used CentOS 7's `ifenslave -c` (change active). The same change is one
write to sysfs, which works everywhere:"""),
    ("code", """%%lab
ifenslave -c bond0 ens38
cat /proc/net/bonding/bond0 | grep Currently
echo ens37 > /sys/class/net/bond0/bonding/active_slave
cat /sys/class/net/bond0/bonding/active_slave"""),
    ("md", """## What the switch sees

A Linux bridge learns which port each MAC lives behind. Ping the server from outside, then
look at the bridge's table on the switch: the server's MAC sits behind the port of the
active slave."""),
    ("code", """%%lab outside
ping -c 2 192.168.1.61"""),
    ("code", """%%lab switch
bridge fdb show br br0 | grep -v permanent"""),
    ("md", """Now make `ens38` active and ping again: the same MAC moves to `sw38` (the bond
announced itself with a gratuitous ARP through the new port)."""),
    ("code", """%%lab
echo ens38 > /sys/class/net/bond0/bonding/active_slave"""),
    ("code", """%%lab outside
ping -c 2 192.168.1.61"""),
    ("code", """%%lab switch
bridge fdb show br br0 | grep -v permanent"""),
    ("md", """## Exercise

Make `ens37` the active slave again, with any of the three ways, and check."""),
    ("code", """%%lab
ifenslave -c bond0 ens37"""),
    ("code", """checks.check(lab, checks.active_slave("bond0", "ens37"))"""),
    ("code", CLOSE),
]


NOTEBOOKS["05-pull-the-cable"] = [
    ("md", """# 05 · Pull the cable: failover, miimon and what a ping loses

The bond watches its slaves' links every `miimon` milliseconds. When the active slave's link
goes down, the next check notices, the driver counts a *link failure* and makes a backup
active. How many pings are lost depends on how soon that check comes (and on `downdelay`,
which waits before believing the failure)."""),
    ("code", START),
    ("code", BOND_QUICKLY),
    ("code", """lab.sleep(3)"""),
    ("md", """One thing first: `ens33` is on the same LAN, and Linux answers ARP for **any** of
its addresses on **any** of its NICs (`arp_ignore=0`, "ARP flux"). Outside might reach
192.168.1.61 through `ens33` and never notice the bond fail over. So take `ens33` out of
the picture: its connection down (its address and routes go) and its cable pulled (no ARP
answers from it either). The bond is now the server's only way in and out:"""),
    ("code", """lab.sh("nmcli connection down ens33")
lab.unplug("ens33")"""),
    ("md", """Ping the server ten times a second from outside, pull the active slave's cable in
the middle, and wait for the ping to finish:"""),
    ("code", """%%lab outside
ping -c 30 -i 0.1 192.168.1.61 &"""),
    ("code", """lab.sleep(1)
lab.unplug("ens37")
lab.sleep(3)"""),
    ("code", """finished = lab.sh("wait", host="outside")   # the ping's own summary:
print("\\n".join(line for line in finished.lines if "packets" in line))"""),
    ("code", """%%lab
cat /proc/net/bonding/bond0 | grep -e Currently -e "Slave Interface" -e "Link Failure" """),
    ("md", """## miimon and downdelay against lost pings

The same experiment for several settings: each time the cable goes back in, the bond gets
new options (`nmcli c mod bond0 bond.options ...` and `nmcli c up bond0`), and a fresh ping
runs over the failover. The table counts what was lost."""),
    ("code", """import re
import pandas as pd

def failover_run(options):
    lab.plug("ens37")
    lab.sh(f'nmcli connection modify bond0 bond.options "mode=active-backup,{options}"')
    lab.sh("nmcli connection up bond0")
    lab.sleep(3)
    active = lab.snapshot().link("bond0").bond.active_slave
    lab.sh("ping -c 40 -i 0.05 192.168.1.61 &", host="outside")
    lab.sleep(0.5)
    lab.unplug(active)
    lab.sleep(2)
    out = lab.sh("wait", host="outside").stdout
    sent, received = map(int, re.search(r"(\\d+) packets transmitted, (\\d+) received", out).groups())
    replies = [int(s) for s in re.findall(r"icmp_seq=(\\d+)", out)]
    return {"options": options, "sent": sent, "lost": sent - received}, replies

settings = ["miimon=100", "miimon=500", "miimon=1000", "miimon=100,downdelay=500"]
rows, timelines = [], {}
for options in settings:
    row, replies = failover_run(options)
    rows.append(row)
    timelines[options] = replies
table = pd.DataFrame(rows)
table"""),
    ("md", """The longer the polling interval, the longer the server is unreachable: up to one
`miimon` period plus `downdelay` (rounded to whole periods). The timeline shows which of
the 40 probes (one every 50 ms) got an answer:"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 2.5))
for row, (options, replies) in enumerate(timelines.items()):
    ax.scatter([s * 0.05 for s in replies], [row] * len(replies), marker="|", s=120)
ax.set_yticks(range(len(timelines)), list(timelines))
ax.set_xlabel("seconds after the first probe (cable pulled at 0.5 s)")
ax.set_title("replies received (gaps: lost during the failover)")
plt.tight_layout()
plt.show()"""),
    ("md", """## Exercise

Set `miimon=200` and `downdelay=0` on bond0 (`nmcli connection modify bond0 bond.options
...` then `nmcli connection up bond0`), with both cables plugged in, and check."""),
    ("code", """lab.plug("ens37")
lab.plug("ens38")
lab.sh('nmcli connection modify bond0 bond.options "mode=active-backup,miimon=200"')
lab.sh("nmcli connection up bond0")
lab.sleep(3)"""),
    ("code", """%%lab
cat /sys/class/net/bond0/bonding/miimon"""),
    ("code", """checks.check(lab, checks.bond("bond0", mode="active-backup"),
             checks.slaves("bond0", "ens37", "ens38"), checks.cable("ens37", plugged=True),
             checks.cable("ens38", plugged=True))"""),
    ("code", CLOSE),
]

NOTEBOOKS["06-change-the-ip"] = [
    ("md", """# 06 · Change the IP: the file, the profile, the device

The walkthrough's last lesson. A connection lives in **three** places:

1. the **file** on disk (`/etc/NetworkManager/system-connections/bond0.nmconnection`, or on
   CentOS 7 `/etc/sysconfig/network-scripts/ifcfg-bond0`);
2. the **profile** NetworkManager loaded from it;
3. what is **applied** on the device in the kernel.

`nmcli c mod` changes 1 and 2. Editing the file changes only 1. `nmcli c reload` copies 1
into 2. `nmcli c up` (or `down` + `up`) applies 2 to 3."""),
    ("code", START),
    ("code", BOND_QUICKLY),
    ("code", """lab.sleep(3)
lab.nm.states("bond0")"""),
    ("md", """The file is a real file in the lab's directory (open it in JupyterLab's file
browser if you like; this is where it is):"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
lab.files.local("server", "/etc/NetworkManager/system-connections/bond0.nmconnection")"""),
    ("md", """Edit the address in the file, as the walkthrough edited `IPADDR`:"""),
    ("code", """%%lab
sed -i 's/192.168.1.61/192.168.1.62/' /etc/NetworkManager/system-connections/bond0.nmconnection
grep address /etc/NetworkManager/system-connections/bond0.nmconnection"""),
    ("code", """lab.nm.states("bond0")"""),
    ("md", """Only the file changed. The walkthrough tried a **restart** first:"""),
    ("code", """%%lab
systemctl restart NetworkManager
ip -br address show bond0"""),
    ("md", """Not as the file says: NetworkManager 1.42 re-read the file but kept the device as
it was, and *added* the new address beside the old one (CentOS 7's 1.18 changed nothing at
all). Now the way that works: reload, down, up."""),
    ("code", """%%lab
nmcli connection reload
nmcli connection down bond0
nmcli connection up bond0"""),
    ("code", """lab.sleep(3)"""),
    ("code", """%%lab
ip -br address show bond0"""),
    ("code", """lab.nm.states("bond0")"""),
    ("md", """## Exercise

Change the bond's address to 192.168.1.63/24 by editing the file, and make the device use
exactly that (and nothing else). Then check."""),
    ("code", """%%lab
sed -i 's/192.168.1.62/192.168.1.63/' /etc/NetworkManager/system-connections/bond0.nmconnection
nmcli connection reload
nmcli connection down bond0
nmcli connection up bond0"""),
    ("code", """lab.sleep(3)
checks.check(lab, checks.only_address("bond0", "192.168.1.63/24"),
             checks.reachable("192.168.1.63"))"""),
    ("code", CLOSE),
]


NOTEBOOKS["07-beyond-active-backup"] = [
    ("md", """# 07 · Beyond active-backup: the seven modes

Active-backup is one of seven bonding modes. They differ in **which MAC** each slave
carries, **who transmits**, and **what a failure costs**. This notebook builds the same bond
in each mode (with `ip`, no NetworkManager, to keep it short), sends pings through it, pulls
one cable, and puts what it saw in one table."""),
    ("code", """import re
import labkit
import pandas as pd
from labkit import checks

lab = labkit.Lab(networkmanager=False).start()   # kernel-level: ip and sysfs only
lab.sh("ip link set ens33 down")   # no ARP flux: the bond is the server's only way in"""),
    ("code", """MODES = ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad",
         "balance-tlb", "balance-alb"]

def tx(nic):
    return int(lab.frame("links").set_index("name").loc[nic, "tx_packets"])

def try_mode(mode):
    for line in (f"ip link add bond0 type bond mode {mode} miimon 100",
                 "ip link set ens37 down", "ip link set ens37 master bond0",
                 "ip link set ens38 down", "ip link set ens38 master bond0",
                 "ip link set bond0 up", "ip addr add 192.168.1.61/24 dev bond0"):
        lab.sh(line)
    lab.sleep(3)
    macs = {nic: lab.snapshot().link(nic).address for nic in ("ens37", "ens38", "bond0")}
    before = {nic: tx(nic) for nic in ("ens37", "ens38")}
    ok = lab.sh("ping -c 10 -i 0.1 192.168.1.61", host="outside")
    sent = {nic: tx(nic) - before[nic] for nic in ("ens37", "ens38")}
    lab.unplug("ens37")
    lab.sleep(1)
    after = lab.sh("ping -c 10 -i 0.1 192.168.1.61", host="outside").stdout
    received = int(re.search(r"(\\d+) received", after).group(1))
    lab.plug("ens37")
    lab.sh("ip link del bond0")
    lab.sleep(1)
    # who carried the 10 replies (a stray ARP or LACP frame does not count)
    carriers = " and ".join(nic for nic in ("ens37", "ens38") if sent[nic] >= 5)
    return {"mode": mode,
            "one MAC for all": len(set(macs.values())) == 1,
            "replies sent by": carriers or "nobody",
            "pings answered": "10/10" if ok.returncode == 0 else "fewer",
            "answered with ens37 pulled": f"{received}/10"}

table = pd.DataFrame([try_mode(m) for m in MODES]).set_index("mode")
table"""),
    ("md", """How to read it:

- **balance-rr** sends each packet on the next slave in turn: both carry the replies.
- **active-backup** uses one slave at a time; the other waits.
- **balance-xor** and **802.3ad** pick a slave per flow (a hash of addresses): one ping is one
  flow, so one slave carries it. 802.3ad needs a switch speaking LACP; without one each port
  is its own aggregator and only one is used.
- **broadcast** sends every packet on every slave (twice the traffic, for special cases).
- **balance-tlb** and **balance-alb** spread outgoing traffic by load and keep **each slave's
  own MAC**; alb also balances incoming traffic by answering ARP with different MACs.

After the failure every mode still answers, through `ens38`: that is what bonding is for.
Modes that need the switch's help (802.3ad, and balance-rr / xor for incoming traffic) would
behave worse on a real switch that is not configured for them.

## Exercise

Build a bond in **balance-alb** mode with `ens37` and `ens38` and the address
192.168.1.61/24, and check it."""),
    ("code", """%%lab
ip link add bond0 type bond mode balance-alb miimon 100
ip link set ens37 down
ip link set ens37 master bond0
ip link set ens38 down
ip link set ens38 master bond0
ip link set bond0 up
ip addr add 192.168.1.61/24 dev bond0"""),
    ("code", """lab.sleep(3)
checks.check(lab, checks.bond("bond0", mode="balance-alb"),
             checks.slaves("bond0", "ens37", "ens38"), checks.address("bond0", "192.168.1.61/24"),
             checks.reachable("192.168.1.61"))"""),
    ("code", CLOSE),
]


def cells(spec: list[tuple[str, str]]) -> list[nbformat.NotebookNode]:
    out = []
    for kind, text in spec:
        if kind == "md":
            out.append(nbformat.v4.new_markdown_cell(text))
        else:
            out.append(nbformat.v4.new_code_cell(text))
    return out


def build(name: str, spec: list[tuple[str, str]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells(spec)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"
    os.environ["LABKIT_ENGINE"] = "sim"
    # no execution timestamps: a rebuilt notebook differs only where its outputs do
    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(OUT)}}).execute()
    path = OUT / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> int:
    wanted = sys.argv[1:]
    for name, spec in NOTEBOOKS.items():
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        print("wrote", build(name, spec).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
