"""The Lab front door: lifecycle, shell results, cables, NICs, time, tables, errors."""

from __future__ import annotations

import pytest

from labkit import Lab, LabkitError, TopologyError
from labkit.errors import EngineUnavailable


def test_with_block_builds_and_destroys() -> None:
    lab = Lab(engine="sim")
    with lab as running:
        assert running is lab and lab.engine is not None
        workdir = lab.workdir
        assert workdir is not None and (workdir / "files" / "server" / "etc" / "hostname").exists()
        assert lab.sh("cat /etc/hostname").stdout == "server\n"
    assert lab.engine is None and not workdir.exists()
    with pytest.raises(LabkitError, match="not running"):
        lab.sh("ip link")


def test_cleanup_after_an_error_inside_the_block() -> None:
    lab = Lab(engine="sim")
    with pytest.raises(ZeroDivisionError), lab:
        workdir = lab.workdir
        1 / 0  # noqa: B018
    assert lab.engine is None and not workdir.exists()


def test_unknown_host_engine_flavour_and_locale() -> None:
    with Lab(engine="sim") as lab, pytest.raises(LabkitError, match="no host 'router'"):
        lab.sh("ip link", host="router")
    with pytest.raises(EngineUnavailable, match="unknown engine 'fast'"):
        Lab(engine="fast")
    with pytest.raises(LabkitError, match="unknown flavour 'rhel5'"):
        Lab(engine="sim", flavour="rhel5")
    with pytest.raises(LabkitError, match="unknown locale 'xx'"):
        Lab(engine="sim", locale="xx")
    with pytest.raises(TopologyError, match="lab_id"):
        Lab(engine="sim", lab_id="bad id!")


def test_engine_choice_is_explained(monkeypatch) -> None:
    monkeypatch.delenv("LABKIT_ENGINE", raising=False)
    lab = Lab()
    assert lab.engine_name == "sim" and "sim" in lab.engine_reason
    monkeypatch.setenv("LABKIT_ENGINE", "sim")
    assert "LABKIT_ENGINE" in Lab().engine_reason


def test_unplug_and_plug_are_switch_port_changes(lab) -> None:
    lab.unplug("ens37")
    assert "state DOWN" in lab.sh("ip link show sw37", host="switch").stdout
    assert "NO-CARRIER" in lab.sh("ip link show ens37").stdout
    lab.plug("ens37")
    assert "state UP" in lab.sh("ip link show sw37", host="switch").stdout
    lab.unplug("sw38")  # the switch port's own name works too
    assert "LOWERLAYERDOWN" in lab.sh("ip link show ens38").stdout
    with pytest.raises(LabkitError, match="no NIC or switch port called 'ens99'"):
        lab.unplug("ens99")


def test_add_nic_is_cabled_and_up(lab) -> None:
    nic = lab.add_nic("ens39")
    assert nic.mac == "00:0c:29:89:51:e8"
    out = lab.sh("ip link show ens39").stdout
    assert "5: ens39@if8:" in out and "00:0c:29:89:51:e8" in out and "state UP" in out
    assert "8: sw39@if5:" in lab.sh("ip link show sw39", host="switch").stdout
    with pytest.raises(TopologyError):
        lab.add_nic("ens39")


def test_time_passes_only_when_asked(lab) -> None:
    lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
    lab.sh("ip link set ens37 down; ip link set ens37 master bond0; ip link set bond0 up")
    lab.sh("ip addr add 192.168.1.61/24 dev bond0")
    assert "tentative" in lab.sh("ip -6 a show bond0").stdout
    lab.sleep(3)
    assert "tentative" not in lab.sh("ip -6 a show bond0").stdout


def test_tables(lab) -> None:
    links = lab.frame("links")
    assert list(links["name"]) == ["lo", "ens33", "ens37", "ens38"]
    assert list(links["mac"])[1:] == ["00:0c:29:89:51:ca", "00:0c:29:89:51:d4",
                                      "00:0c:29:89:51:de"]
    lab.sh("ip link add bond0 type bond mode active-backup miimon 100")
    lab.sh("ip link set ens37 down; ip link set ens38 down")
    lab.sh("ip link set ens37 master bond0; ip link set ens38 master bond0")
    bonds = lab.frame("bonds")
    assert list(bonds["slave"]) == ["ens37", "ens38"]
    assert list(bonds["active"]) == [True, False]
    assert set(bonds["mac"]) == {"00:0c:29:89:51:d4"}
    lab.sh("ip link set bond0 up")
    lab.sleep(3)  # the bond's first IPv6 packets teach the switch where its MAC is
    fdb = lab.frame("fdb", host="switch")
    assert list(fdb[fdb["mac"] == "00:0c:29:89:51:d4"]["dev"]) == ["sw37"]
    assert "192.168.1.60/24" in set(lab.frame("addresses")["address"])
    with pytest.raises(LabkitError, match="unknown table"):
        lab.frame("nonsense")


def test_describe(lab) -> None:
    assert "topology 'centos7-bond'" in repr(lab) and "running" in lab.describe()
