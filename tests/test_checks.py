"""labkit.checks: every problem of an exercise in words, and a clean bill once it is done."""

from __future__ import annotations

from labkit import Lab, checks


def test_the_walkthrough_exercise_reports_each_missing_piece_then_passes() -> None:
    exercise = (checks.bond("bond0", mode="active-backup"), checks.slaves("bond0", "ens37",
                "ens38"), checks.shared_mac("bond0"), checks.address("bond0", "192.168.1.61/24"),
                checks.reachable("192.168.1.61"), checks.autoconnect("bond0", True))
    with Lab(engine="sim", stable_uuids=True) as lab:
        report = checks.check(lab, *exercise)
        assert not report
        assert report.problems == (
            "there is no bond called bond0 on server yet",
            "bond0 does not hold 192.168.1.61/24 (it holds no IPv4)",
            "192.168.1.61 does not answer a ping from outside",
            "there is no connection profile called bond0")
        lab.sh("nmcli connection add type bond con-name bond0 ifname bond0 "
               "mode active-backup ipv4.method manual ipv4.addresses 192.168.1.61/24")
        lab.sh("nmcli connection add type bond-slave ifname ens37 master bond0")
        lab.sleep(3)
        report = checks.check(lab, *exercise)
        assert report.problems == ("ens38 is not a slave of bond0",)
        assert "Not yet:\n  - ens38 is not a slave of bond0" in report.text()
        lab.sh("nmcli connection add type bond-slave ifname ens38 master bond0")
        lab.sleep(3)
        report = checks.check(lab, *exercise)
        assert report.ok, report.text()
        assert checks.check(lab, checks.active_slave("bond0", "ens38")).problems == (
            "the active slave of bond0 is ens37, the exercise wants ens38",)
        assert checks.check(lab, checks.only_address("bond0", "192.168.1.62/24")).problems == (
            "bond0 does not hold 192.168.1.62/24 (it holds 192.168.1.61/24)",
            "bond0 still holds 192.168.1.61/24 as well")
