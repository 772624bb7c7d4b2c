"""The lab dashboard through its widget API: drawn from the lab, buttons that pull and plug
cables at the switch, the active slave and /proc/net/bonding as the lab changes; on the sim
(with a bond) and on the netns engine (cables only where the host kernel has no bonding)."""

from __future__ import annotations

import pytest

from labkit import Lab
from labkit.engines.probe import probe

BOND = ["ip link add bond0 type bond mode active-backup miimon 100",
        "ip link set ens37 down", "ip link set ens37 master bond0",
        "ip link set ens38 down", "ip link set ens38 master bond0", "ip link set bond0 up"]


def test_buttons_fail_the_bond_over_on_the_sim() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        dash = lab.dashboard()
        assert "(no bond0 on server yet)" in dash.bonding.value
        for line in BOND:
            lab.sh(line)
        lab.sleep(1)
        assert dash.active_slave() == "ens37"  # redrawn by the commands themselves
        assert "Currently Active Slave: ens37" in dash.bonding.value
        assert "ens37  00:0c:29:89:51:d4  [bond0 active]" in dash.drawing.value
        assert [b.description for b in dash.button_row.children] == [
            "unplug ens33", "unplug ens37", "unplug ens38", "unplug outside eth0",
            "unplug gw eth0"]
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
        dash.buttons["server", "ens38"].click()
        assert not lab.snapshot("switch").link("sw38").is_up
        assert "sw38: unplugged" in dash.drawing.value
        assert "NO-CARRIER" in lab.sh("ip link show ens38").stdout
        dash.buttons["server", "ens38"].click()
        assert lab.snapshot("switch").link("sw38").is_up
