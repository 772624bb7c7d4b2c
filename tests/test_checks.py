"""labkit.checks: every problem of an exercise in words with what to do next, a clean bill once
it is done, a check of something missing never a pass, and the result as data for machines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit import Lab, UsageError, checks
from labkit.views import check as view

BOND = ("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
        "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore")


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab(engine="sim", stable_uuids=True) as running:
        yield running


def build_bond(lab: Lab, *nics: str) -> None:
    lab.sh(BOND)
    for nic in nics:
        lab.sh(f"nmcli connection modify {nic} connection.autoconnect no")
        lab.sh(f"nmcli connection add type bond-slave ifname {nic} master bond0")
    lab.sleep(3)


def test_the_walkthrough_exercise_reports_each_missing_piece_then_passes(lab: Lab) -> None:
    exercise = (checks.bond("bond0", mode="active-backup"), checks.slaves("bond0", "ens37",
                "ens38"), checks.shared_mac("bond0"), checks.address("bond0", "192.168.1.61/24"),
                checks.reachable("192.168.1.61"), checks.autoconnect("bond0", True))
    report = checks.check(lab, *exercise, exercise="02-bond")
    assert not report
    assert report.problems == (
        "there is no bond called bond0 on server yet: create it with `nmcli connection add "
        "type bond con-name bond0 ifname bond0 mode active-backup`",
        "there is no bond0 on server yet, so it holds no address",
        "192.168.1.61 does not answer a ping from outside: is it on an interface that is up, "
        "with a cable plugged in (`ip -br address`, `cat /proc/net/bonding/bond0` on the "
        "server)?",
        "there is no connection profile called bond0: `nmcli connection show` lists them")
    lab.sh(BOND)
    lab.sh("nmcli connection add type bond-slave ifname ens37 master bond0")
    lab.sleep(3)
    report = checks.check(lab, *exercise)
    assert report.problems == ("ens38 is not a slave of bond0: add ens38 with `nmcli "
                               "connection add type bond-slave ifname ens38 master bond0`",)
    assert report.text().startswith("Not yet:\n  - ens38 is not a slave of bond0: add ens38")
    lab.sh("nmcli connection add type bond-slave ifname ens38 master bond0")
    lab.sleep(3)
    report = checks.check(lab, *exercise)
    assert report.ok, report.text()
    assert report.text() == "Well done: everything the exercise asks for is in place."
    assert checks.check(lab, checks.active_slave("bond0", "ens38")).problems == (
        "the active slave of bond0 is ens37, the exercise wants ens38: make it active with "
        "`echo ens38 > /sys/class/net/bond0/bonding/active_slave`, `ip link set bond0 type "
        "bond active_slave ens38`, or pull the cable of ens37 (lab.unplug(\"ens37\"))",)
    assert checks.check(lab, checks.only_address("bond0", "192.168.1.62/24")).problems == (
        "bond0 does not hold 192.168.1.62/24 (it holds 192.168.1.61/24): NetworkManager gives "
        "bond0 the address of its profile bond0: set it there and apply it with `nmcli "
        "connection up bond0`",
        "bond0 still holds 192.168.1.61/24 as well: `nmcli connection down bond0` and `nmcli "
        "connection up bond0` apply exactly what the profile says")


@pytest.mark.parametrize("make", [
    lambda: checks.active_slave("bond7", "ens37"), lambda: checks.slaves("bond7", "ens37"),
    lambda: checks.shared_mac("bond7"), lambda: checks.bond("bond7"),
    lambda: checks.bond_option("bond7", "miimon", 100),
    lambda: checks.setting("bond7", "ipv4.method", "manual"),
    lambda: checks.address("bond7", "192.168.1.61/24"),
    lambda: checks.mac("bond7", "00:0c:29:89:51:d4"),
    lambda: checks.autoconnect("bond7", True), lambda: checks.cable("ens99"),
])
def test_a_check_of_something_the_lab_lacks_fails(lab: Lab, make) -> None:
    report = checks.check(lab, make(), exercise="99-missing")
    assert not report.ok and len(report.problems) == 1
    assert report.data() == {"exercise": "99-missing", "ok": False,
                             "problems": list(report.problems)}


def test_a_missing_bond_is_said_once_with_the_first_checks_advice(lab: Lab) -> None:
    lab.sh("nmcli connection add type bond con-name bond0 ifname bond0 autoconnect no")
    report = checks.check(lab, checks.bond("bond0"), checks.slaves("bond0", "ens37"),
                          checks.active_slave("bond0", "ens37"))
    assert report.problems == (
        "there is no bond called bond0 on server yet: its profile bond0 exists but is not "
        "active; bring it up with `nmcli connection up bond0` (or set its "
        "connection.autoconnect yes and restart NetworkManager)",)


def test_a_bond_without_slaves_says_how_to_add_them(lab: Lab) -> None:
    lab.sh(BOND)
    lab.sh("nmcli connection add type bond-slave autoconnect no ifname ens37 master bond0")
    lab.sleep(3)
    assert checks.check(lab, checks.slaves("bond0", "ens37", "ens38")).problems == (
        "bond0 exists but has no slaves: ens37's profile bond-slave-ens37 exists but is not "
        "active: bring it up with `nmcli connection up bond-slave-ens37` (or set its "
        "connection.autoconnect yes and restart NetworkManager); add ens38 with `nmcli "
        "connection add type bond-slave ifname ens38 master bond0`",)
    assert checks.check(lab, checks.active_slave("bond0", "ens37")).problems == (
        "ens37 is not a slave of bond0, so it cannot be its active slave: enslave it first",)
    assert checks.check(lab, checks.shared_mac("bond0")).problems == (
        "bond0 has no slaves to share its MAC with yet",)


def test_without_networkmanager_the_advice_is_ip() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        assert checks.check(lab, checks.bond("bond0", mode="balance-alb")).problems == (
            "there is no bond called bond0 on server yet: create it with `ip link add bond0 "
            "type bond mode balance-alb miimon 100`",)
        lab.sh("ip link add bond0 type bond mode balance-rr miimon 100")
        lab.sh("ip link set ens37 down")
        lab.sh("ip link set ens37 master bond0")
        assert checks.check(lab, checks.bond("bond0", mode="balance-alb"),
                            checks.slaves("bond0", "ens38")).problems == (
            "bond0 is in mode balance-rr, the exercise wants balance-alb: `ip link del bond0`, "
            "then create it again with mode balance-alb",
            "bond0 exists but is down: bring it up with `ip link set bond0 up`",
            "ens38 is not a slave of bond0: add ens38 with `ip link set ens38 down` and "
            "`ip link set ens38 master bond0`",
            "ens37 is a slave of bond0, but the exercise does not want it: release it with "
            "`ip link set ens37 nomaster`")


def test_bond_option_judges_the_kernels_value_and_setting_the_profiles(lab: Lab) -> None:
    build_bond(lab, "ens37", "ens38")
    kernel = checks.bond_option("bond0", "miimon", 200)
    profile = checks.setting("bond0", "bond.options", "miimon=200")
    assert checks.check(lab, kernel, profile).problems == (
        "bond0 runs with miimon 100 (/sys/class/net/bond0/bonding/miimon), the exercise wants "
        "200: set it in bond0's profile, `nmcli connection modify bond0 +bond.options "
        "miimon=200`, and apply it with `nmcli connection up bond0`",
        "the profile bond0 in NetworkManager has bond.options mode=active-backup, the exercise "
        "wants miimon=200 in it: `nmcli connection modify bond0 +bond.options miimon=200`, or, "
        "after editing its file, `nmcli connection reload`")
    lab.sh("echo 200 > /sys/class/net/bond0/bonding/miimon")  # the kernel only: not kept
    assert checks.check(lab, kernel).ok
    assert not checks.check(lab, profile).ok
    lab.sh("nmcli connection modify bond0 +bond.options miimon=500")  # wrong work
    lab.sh("nmcli connection up bond0")
    lab.sleep(3)
    assert checks.check(lab, kernel, profile).problems[0].startswith(
        "bond0 runs with miimon 500")
    lab.sh("nmcli connection modify bond0 +bond.options miimon=200")
    lab.sh("nmcli connection up bond0")
    lab.sleep(3)
    assert checks.check(lab, kernel, profile, checks.bond_option("bond0", "downdelay", 0)).ok


def test_setting_tells_the_three_states_apart(lab: Lab) -> None:
    build_bond(lab, "ens37", "ens38")
    path = "/etc/NetworkManager/system-connections/bond0.nmconnection"
    lab.sh(f"sed -i 's/192.168.1.61/192.168.1.63/' {path}")
    want = "192.168.1.63/24"
    file, nm, device = (checks.setting("bond0", "ipv4.addresses", want, state=s)
                        for s in ("file", "profile", "device"))
    assert checks.check(lab, file).ok
    assert checks.check(lab, nm, device).problems == (
        "the profile bond0 in NetworkManager has ipv4.addresses 192.168.1.61/24, the exercise "
        "wants 192.168.1.63/24: `nmcli connection modify bond0 ipv4.addresses 192.168.1.63/24`, "
        "or, after editing its file, `nmcli connection reload`",
        "what is applied on bond0's device has ipv4.addresses 192.168.1.61/24, the exercise "
        "wants 192.168.1.63/24: apply the profile to the device: `nmcli connection down bond0` "
        "and `nmcli connection up bond0`")
    lab.sh("nmcli connection reload")
    assert checks.check(lab, file, nm).ok and not checks.check(lab, device).ok
    lab.sh("nmcli connection down bond0")
    lab.sh("nmcli connection up bond0")
    lab.sleep(3)
    assert checks.check(lab, file, nm, device, checks.only_address("bond0", want)).ok


def test_answer_wants_what_the_learner_found(lab: Lab) -> None:
    def problems(given: object) -> tuple[str, ...]:
        return checks.check(lab, checks.answer("the default gateway", given, "192.168.1.1",
                                               where="`ip route`")).problems

    assert problems("") == ("you have not written down the default gateway yet (`ip route`)",)
    assert problems(None) == problems("  ")
    assert problems("192.168.1.60") == (
        "'192.168.1.60' is not the default gateway: look again (`ip route`)",)
    assert problems(1921681) == ("write the default gateway as a string in quotes, not the "
                                 "int 1921681",)
    assert problems(" 192.168.1.1 ") == ()


def test_the_result_displays_as_text_html_and_the_labkit_mime_bundle(lab: Lab) -> None:
    report = checks.check(lab, checks.cable("ens37", plugged=False), exercise="00-unplug")
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.labkit.check+json"}
    assert bundle["application/vnd.labkit.check+json"] == {
        "exercise": "00-unplug", "ok": False,
        "problems": ["the cable of ens37 is plugged in; the exercise wants it pulled: "
                     "lab.unplug(\"ens37\"), or its button on the dashboard"]}
    assert bundle["text/plain"] == str(report) == report.text()
    assert "lab.unplug(&quot;ens37&quot;)" in bundle["text/html"]
    lab.unplug("ens37")
    done = checks.check(lab, checks.cable("ens37", plugged=False), exercise="00-unplug")
    assert done._repr_mimebundle_()[checks.MIME] == {"exercise": "00-unplug", "ok": True,
                                                     "problems": []}
    # the view is a function of the data alone
    assert view.bundle("00-unplug", ()) == done._repr_mimebundle_()


def test_ipython_shows_the_mime_bundle(lab: Lab) -> None:
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(checks.check(lab, checks.cable("ens37"),
                                                     exercise="00-unplug"))
    assert data[checks.MIME] == {"exercise": "00-unplug", "ok": True, "problems": []}
    assert data["text/plain"].startswith("Well done")


def refused(make) -> str:
    with pytest.raises(UsageError) as err:
        make()
    return str(err.value)


def test_check_arguments_are_refused_in_a_sentence(lab: Lab) -> None:
    assert "checks.check: exercise must be a name" in refused(
        lambda: checks.check(lab, checks.cable("ens37"), exercise=5))
    assert "checks.slaves: name the slaves" in refused(lambda: checks.slaves("bond0"))
    assert "'speed' is not a bond option the kernel shows" in refused(
        lambda: checks.bond_option("bond0", "speed", 1))
    assert "checks.setting: state must be one of file, profile, device, not 'disk'" in refused(
        lambda: checks.setting("bond0", "ipv4.addresses", "x", state="disk"))
    build_bond(lab, "ens37")
    assert "a bond0 profile has no property 'ipv4.colour'" in refused(
        lambda: checks.check(lab, checks.setting("bond0", "ipv4.colour", "red")))


def test_a_check_with_an_exercise_is_recorded_in_the_learners_progress(lab, tmp_path,
                                                                          monkeypatch) -> None:
    from labkit import progress

    where = tmp_path / "progress.json"
    monkeypatch.setenv("LABKIT_PROGRESS", str(where))
    checks.check(lab, checks.bond("bond0"), exercise="02-build-the-bond")
    checks.check(lab, checks.address("ens33", "192.168.1.60/24"), exercise="01-the-machine")
    checks.check(lab, checks.address("ens33", "192.168.1.60/24"))  # no exercise: not kept
    attempts = [(a.exercise, a.ok) for a in progress.load(where).attempts]
    assert attempts == [("02-build-the-bond", False), ("01-the-machine", True)]


def test_monitored_wants_a_link_monitor_in_the_kernel_and_in_the_profile(lab: Lab) -> None:
    lab.sh(BOND.replace("mode active-backup", 'bond.options "mode=active-backup,miimon=0"'))
    lab.sh("nmcli connection add type bond-slave ifname ens37 master bond0")
    lab.sleep(3)
    watching = checks.monitored("bond0")
    assert checks.check(lab, watching).problems == (
        "bond0 does not watch its ports' links (miimon 0 and arp_interval 0: 'MII Polling "
        "Interval (ms): 0' in /proc/net/bonding/bond0), so it never notices a pulled cable: "
        "`nmcli connection modify bond0 +bond.options miimon=100`, then `nmcli connection up "
        "bond0` to apply it",
        "the profile bond0 has bond.options mode=active-backup,miimon=0: the next `nmcli "
        "connection up bond0` or reboot gives the kernel miimon 0 again: `nmcli connection "
        "modify bond0 +bond.options miimon=100`, then `nmcli connection up bond0`")
    lab.sh("echo 100 > /sys/class/net/bond0/bonding/miimon")  # the kernel only
    assert [p[:30] for p in checks.check(lab, watching).problems] == [
        "the profile bond0 has bond.opt"]
    lab.sh("nmcli connection modify bond0 bond.options mode=active-backup")  # NM's default: 100
    lab.sh("nmcli connection up bond0")
    lab.sleep(3)
    assert checks.check(lab, watching).ok
    assert lab.snapshot().link("bond0").bond.miimon == 100


def test_monitored_without_networkmanager_judges_the_kernel() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh("ip link add bond0 type bond mode active-backup")  # netlink's default: miimon 0
        assert checks.check(lab, checks.monitored("bond0")).problems[0].endswith(
            "never notices a pulled cable: `echo 100 > /sys/class/net/bond0/bonding/miimon`")
        lab.sh("echo 100 > /sys/class/net/bond0/bonding/miimon")
        assert checks.check(lab, checks.monitored("bond0")).ok
        assert not checks.check(lab, checks.monitored("bond7")).ok


def test_a_port_held_by_its_own_profile_is_said_so(lab: Lab) -> None:
    lab.sh("nmcli connection modify ens38 ipv4.method manual ipv4.addresses 192.168.1.70/24")
    lab.sh("nmcli connection up ens38")
    build_bond(lab, "ens37")
    lab.sh("nmcli connection add type bond-slave ifname ens38 master bond0")
    lab.sleep(3)
    assert checks.check(lab, checks.slaves("bond0", "ens37", "ens38"),
                        checks.no_address("ens38")).problems == (
        "ens38 is not a slave of bond0: ens38 is taken by its profile ens38, active on it, so "
        "bond-slave-ens38 cannot have it: `nmcli connection up bond-slave-ens38` moves ens38 "
        "over (and `nmcli connection modify ens38 connection.autoconnect no` keeps it from "
        "taking the port back)",
        "ens38 holds 192.168.1.70/24, and the exercise wants no address on it: it comes from "
        "its profile ens38, active on it: activate the profile that should have ens38 instead "
        "(`nmcli connection up PROFILE`), or `nmcli connection down ens38`")
    lab.sh("nmcli connection up bond-slave-ens38")
    lab.sleep(3)
    assert checks.check(lab, checks.slaves("bond0", "ens37", "ens38"),
                        checks.no_address("ens38")).ok
    assert checks.check(lab, checks.no_address("ens99")).problems == ("there is no ens99 on "
                                                                      "server",)


def test_answers_once_sees_duplicate_replies() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        lab.sh("ip link set ens33 down")
        for line in ("ip link add bond0 type bond mode broadcast miimon 100",
                     "ip link set ens37 down", "ip link set ens37 master bond0",
                     "ip link set ens38 down", "ip link set ens38 master bond0",
                     "ip link set bond0 up", "ip addr add 192.168.1.61/24 dev bond0"):
            lab.sh(line)
        lab.sleep(3)
        once = checks.answers_once("192.168.1.61")
        assert checks.check(lab, once).problems == (
            "192.168.1.61 answers each ping from outside twice (DUP!): a bond in mode broadcast "
            "sends every packet on every port; which mode does /proc/net/bonding show?",)
        lab.sh("ip link set ens38 nomaster")
        assert checks.check(lab, once).ok
        lab.unplug("ens37")  # no reply at all is no pass either
        lab.sleep(1)
        assert checks.check(lab, once).problems[0].startswith(
            "192.168.1.61 does not answer a ping from outside")
        with pytest.raises(UsageError, match=r"checks\.answers_once"):
            checks.answers_once("192.168.1.61; reboot")
