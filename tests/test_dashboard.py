"""The lab dashboard through its widget API: drawn from the lab, buttons that pull and plug
cables at the switch, the active slave and /proc/net/bonding as the lab changes; on the sim
(with a bond) and on the netns engine (cables only where the host kernel has no bonding)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from labkit import Lab
from labkit.engines.probe import probe
from labkit.errors import UsageTypeError

BOND = ["ip link add bond0 type bond mode active-backup miimon 100",
        "ip link set ens37 down", "ip link set ens37 master bond0",
        "ip link set ens38 down", "ip link set ens38 master bond0", "ip link set bond0 up"]


def texts(svg: str, cls: str | None = None) -> list[str]:
    """The drawing's lines as a reader sees them (each <text>'s content), of one class."""
    root = ET.fromstring(svg)  # the drawing is well-formed XML, too
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")
            if cls is None or cls in (t.get("class") or "").split()]


def walkthrough_bond(lab: Lab) -> None:
    """Notebook 00's first steps after starting the lab: the walkthrough's bond."""
    lab.sh("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
           "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore")
    for nic in ("ens37", "ens38"):
        lab.sh(f"nmcli connection modify {nic} connection.autoconnect no")
        lab.sh(f"nmcli connection add type bond-slave ifname {nic} master bond0")
    lab.sleep(3)


def state(lab: Lab) -> dict[str, str]:
    """What a learner would look at to tell one lab from another."""
    out = {h: lab.sh("ip -br addr; ip route", host=h).stdout for h in lab.topology.host_names()}
    out["profiles"] = lab.sh("nmcli -f NAME,UUID,DEVICE connection show").stdout
    out["bond"] = lab.sh("cat /proc/net/bonding/bond0").stdout
    out["switch"] = lab.sh("ip -br link", host="switch").stdout
    return out


def test_buttons_fail_the_bond_over_on_the_sim() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        dash = lab.dashboard()
        assert "(no bond0 on server yet)" in dash.bonding.value
        for line in BOND:
            lab.sh(line)
        lab.sleep(1)
        assert dash.active_slave() == "ens37"  # redrawn by the commands themselves
        assert "Currently Active Slave: ens37" in dash.bonding.value
        assert "ens37  00:0c:29:89:51:d4  [bond0 active]" in texts(dash.drawing.value)
        assert [b.description for b in dash.button_row.children] == [
            "unplug ens33", "unplug ens37", "unplug ens38", "unplug outside eth0",
            "unplug gw eth0"]
        assert dash.reset_button.description == "reset lab"
        dash.buttons["server", "ens37"].click()
        assert not lab.snapshot("switch").link("sw37").is_up
        assert dash.active_slave() == "ens38"
        assert "Currently Active Slave: ens38" in dash.bonding.value
        assert "sw37: unplugged" in dash.drawing.value
        assert dash.buttons["server", "ens37"].description == "plug ens37"
        dash.buttons["server", "ens37"].click()
        assert lab.snapshot("switch").link("sw37").is_up
        assert dash.buttons["server", "ens37"].description == "unplug ens37"
    dash.refresh()
    assert "closed" in dash.status.value


def test_each_host_has_its_own_button_for_a_nic_name_they_share() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        dash = lab.dashboard()
        ports = {h: lab.topology.cable_of("eth0", h)[1].port for h in ("gw", "outside")}
        dash.buttons["outside", "eth0"].click()
        assert not lab.snapshot("switch").link(ports["outside"]).is_up
        assert lab.snapshot("switch").link(ports["gw"]).is_up
        assert dash.buttons["outside", "eth0"].description == "plug outside eth0"
        assert dash.buttons["gw", "eth0"].description == "unplug gw eth0"


@pytest.mark.skipif(not probe().netns_ok, reason="needs root and network namespaces")
def test_buttons_pull_cables_on_the_netns_engine() -> None:
    with Lab(engine="netns", networkmanager=False, lab_id="lkdash") as lab:
        dash = lab.dashboard()
        assert "sw38: plugged" in dash.drawing.value
        assert "192.168.1.60/24" in texts(dash.drawing.value, "addr")
        lab.sh("ping -c 1 192.168.1.1")
        # the MACs drawn at a port are those the real bridge learnt there, or the drawing says
        # it has not read the fdb (never "nothing learnt" for what it did not look at)
        fdb = lab.sh("bridge fdb show br br0", host="switch").stdout.splitlines()
        real = [line.split()[0] for line in fdb if " dev sw33 master br0" in line
                and "permanent" not in line]
        drawn = texts(dash.drawing.value, "fdb-sw33")
        assert real and (drawn == ["(fdb not read)"] or [d.split()[0] for d in drawn] == real)
        dash.buttons["server", "ens38"].click()
        assert not lab.snapshot("switch").link("sw38").is_up
        assert "sw38: unplugged" in dash.drawing.value
        assert "NO-CARRIER" in lab.sh("ip link show ens38").stdout
        dash.buttons["server", "ens38"].click()
        assert lab.snapshot("switch").link("sw38").is_up
        # reset: new namespaces, the same lab, and the dashboard drives them
        dash.buttons["server", "ens38"].click()
        lab.sh("ip addr add 10.9.9.9/24 dev ens37")
        assert "10.9.9.9/24" in texts(dash.drawing.value, "addr")
        dash.reset_button.click()
        assert lab.snapshot("switch").link("sw38").is_up
        assert "10.9.9.9/24" not in texts(dash.drawing.value, "addr")
        assert "sw38: plugged" in texts(dash.drawing.value)
        dash.buttons["server", "ens38"].click()
        assert "NO-CARRIER" in lab.sh("ip link show ens38").stdout
        assert "sw38: unplugged" in texts(dash.drawing.value)


def test_the_drawing_shows_addresses_bonds_and_what_the_switch_learnt() -> None:
    with Lab(engine="sim", stable_uuids=True) as lab:
        walkthrough_bond(lab)
        dash = lab.dashboard()
        bond_mac = lab.snapshot().link("bond0").address
        svg = dash.drawing.value
        assert texts(svg, "bond-bond0")[:2] == [f"bond0  {bond_mac}  active-backup",
                                                "active slave: ens37"]
        assert f"ens37  {bond_mac}  [bond0 active]" in texts(svg, "nic")  # the bond's MAC
        assert f"ens38  {bond_mac}  [bond0 backup]" in texts(svg, "nic")
        assert {"192.168.1.60/24", "192.168.1.61/24", "192.168.1.10/24", "192.168.1.1/24"} <= set(
            texts(svg, "addr"))
        assert not any("fe80" in t for t in texts(svg))  # link-local addresses stay out
        lab.sh("ping -c 1 192.168.1.61", host="outside")
        svg = dash.drawing.value  # redrawn by the ping
        gw = lab.snapshot("gw").link("eth0").address
        assert texts(svg, "fdb-sw37") == [f"{bond_mac}  server bond0"]
        assert texts(svg, "fdb-sw38") == ["(nothing learnt)"]
        assert texts(svg, "fdb-swgw") == [f"{gw}  gw eth0"]
        # each MAC drawn is one `bridge fdb` lists as learnt on that port
        fdb = lab.sh("bridge fdb show br br0", host="switch").stdout.splitlines()
        assert [line.split()[0] for line in fdb if " dev sw37 master br0" in line
                and "permanent" not in line] == [bond_mac]

        dash.buttons["server", "ens37"].click()
        lab.sh("ping -c 1 192.168.1.61", host="outside")
        svg = dash.drawing.value
        assert texts(svg, "bond-bond0")[1] == "active slave: ens38"
        assert texts(svg, "fdb-sw38") == [f"{bond_mac}  server bond0"]
        assert texts(svg, "fdb-sw37") == ["(nothing learnt)"]  # a disabled port's are flushed
        assert "sw37: unplugged" in texts(svg)
        lab.sh("nmcli connection down bond0")
        svg = dash.drawing.value
        assert not any(t.startswith("bond0") for t in texts(svg))  # no bond0 any more
        assert "192.168.1.61/24" not in texts(svg, "addr")


def test_reset_gives_the_lab_as_the_notebook_started_it() -> None:
    with Lab(engine="sim", stable_uuids=True) as lab:
        walkthrough_bond(lab)
        dash = lab.dashboard(setup=walkthrough_bond)
        as_started, drawn, engine = state(lab), texts(dash.drawing.value), lab.engine
        dash.buttons["server", "ens37"].click()
        lab.sh("nmcli connection down bond0")
        lab.sh("nmcli connection modify ens33 ipv4.addresses 192.168.1.99/24")
        lab.sh("echo scratch > /root/notes.txt")
        lab.add_nic("ens39")
        assert lab.sh("ls /root/notes.txt").returncode == 0
        assert state(lab) != as_started and "unplug ens39" in [
            b.description for b in dash.button_row.children]

        dash.reset_button.click()
        assert "as the notebook made it" in dash.note.value
        assert lab.engine is not engine  # a new one: the old one was destroyed
        assert state(lab) == as_started
        assert texts(dash.drawing.value) == drawn
        assert [b.description for b in dash.button_row.children] == [
            "unplug ens33", "unplug ens37", "unplug ens38", "unplug outside eth0",
            "unplug gw eth0"]
        assert lab.sh("ls /root/notes.txt").returncode == 2  # the files are fresh too
        assert dash.active_slave() == "ens37" and "ens37" in dash.status.value
        # the dashboard works on the new engine: its buttons, its redraws
        dash.buttons["server", "ens37"].click()
        assert not lab.snapshot("switch").link("sw37").is_up
        assert dash.active_slave() == "ens38"
        assert "Currently Active Slave: ens38" in dash.bonding.value
        assert "sw37: unplugged" in texts(dash.drawing.value)
        assert dash.note.value == ""  # the lab changed since: the note would mislead


def test_reset_without_a_setup_says_what_it_undid_and_restarts_a_closed_lab() -> None:
    lab = Lab(engine="sim", stable_uuids=True).start()
    try:
        walkthrough_bond(lab)
        dash = lab.dashboard()
        dash.reset_button.click()
        assert "(no bond0 on server yet)" in dash.bonding.value
        assert "run them again" in dash.note.value
        assert not any(t.startswith("bond0") for t in texts(dash.drawing.value))
        lab.close()
        dash.refresh()
        assert "closed" in dash.status.value
        dash.reset_button.click()  # a fresh lab, and the dashboard follows it
        assert lab.engine is not None
        lab.sh("ip addr add 10.9.9.9/24 dev ens37")
        assert "10.9.9.9/24" in texts(dash.drawing.value, "addr")
    finally:
        lab.close()


def test_lab_reset_without_a_dashboard_keeps_its_observers() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        told: list[bool] = []
        lab.on_change(lambda: told.append(lab.engine is not None))
        lab.add_nic("ens39")
        lab.sh("ip link set ens37 down")
        assert lab.reset() is lab
        assert told[-1] is True
        assert "ens39" not in [n.name for n in lab.topology.host("server").nics]
        assert [line.split()[0] for line in lab.sh("ip -br link").stdout.splitlines()] == [
            "lo", "ens33@if3", "ens37@if4", "ens38@if5"]
        assert "state UP" in lab.sh("ip link show ens37").stdout
        count = len(told)
        lab.sleep(1)
        assert len(told) == count + 1
    assert lab.engine is None


def test_a_setup_that_is_not_a_function_is_one_sentence(lab: Lab) -> None:
    with pytest.raises(UsageTypeError) as err:
        lab.dashboard(setup="walkthrough_bond")
    assert str(err.value).startswith("Lab.dashboard: setup must be a function or None, not ")
