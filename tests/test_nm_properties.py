"""Property-based tests: random nmcli command lines and random hand-edited profile files.

Whatever is thrown at them, nmcli and the daemon never show a traceback; every failure is an
nmcli-style message with one of nmcli's exit statuses; and no profile is torn or lost: every
profile the daemon holds with a file has that file on disk, complete and saying the same, and
every file that is a valid profile is one the daemon holds (after a reload).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit import Lab
from labkit.nm import keyfile

EXIT_STATUSES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10}
WORDS = ["c", "con", "connection", "d", "dev", "device", "g", "general", "show", "s", "up",
         "down", "add", "modify", "mod", "m", "delete", "del", "reload", "load", "clone",
         "status", "connect", "disconnect", "reapply", "type", "bond", "ethernet",
         "bond-slave", "con-name", "ifname", "master", "mode", "active-backup", "802.3ad",
         "autoconnect", "yes", "no", "bond0", "bond1", "ens33", "ens37", "ens38", "lo",
         "ipv4.method", "manual", "auto", "disabled", "ipv4.addresses", "ipv4.address",
         "192.168.1.61/24", "10.0.0.1/8", "300.1.1.1", "ipv4.gateway", "192.168.1.1",
         "ipv4.dns", "ipv6.method", "ignore", "+ipv4.addresses", "-ipv4.addresses",
         "bond.options", "mode=active-backup,miimon=100", "primary=ens38", "+bond.options",
         "connection.autoconnect", "connection.id", "ip", "ipv", "-f", "all", "-t", "-g",
         "-p", "-m", "multiline", "tabular", "NAME,DEVICE", "GENERAL.STATE", "--active",
         "id", "uuid", "path", "", "'", "\\", "--", "-", "help", "bogus", "0", "-1",
         "bond-slave-ens37", "port-a", "save", "ipv4", "connection", "802-3-ethernet.mtu",
         "9000", "queue-id"]
PROFILE_DIR = "/etc/NetworkManager/system-connections"


@pytest.fixture(scope="module")
def lab():
    with Lab(engine="sim", stable_uuids=True, seed=7) as running:
        yield running


def _no_torn_or_lost_profile(lab) -> None:
    nm = lab.nm
    for sc in nm.connections:
        if sc.path is None or sc.unsaved:
            continue
        assert lab.files.exists("server", sc.path), f"{sc.id}: its file is gone"
        stored = nm.store.read(sc.path)
        assert stored.profile is not None, f"{sc.path}: {stored.error}"
        assert stored.profile.uuid == sc.uuid and stored.profile.id == sc.id


def _check_call(result) -> None:
    assert "Traceback" not in result.stdout and "internal error" not in result.stdout, \
        result.stdout
    assert result.returncode in EXIT_STATUSES | {127}, (result.cmd, result.returncode)
    if result.returncode not in (0,):
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert lines, f"{result.cmd}: failed silently with {result.returncode}"
        assert any(line.startswith(("Error:", "Warning:", "Could not")) for line in lines), \
            result.stdout


PROPS = ["ipv4.method", "ipv4.addresses", "+ipv4.addresses", "-ipv4.addresses", "ipv4.gateway",
         "ipv4.dns", "ipv6.method", "bond.options", "+bond.options", "-bond.options",
         "connection.autoconnect", "connection.interface-name", "ipv4.route-metric",
         "ipv4.never-default", "802-3-ethernet.mtu", "connection.autoconnect-slaves",
         "autoconnect", "mode", "miimon", "master", "ifname", "con-name", "ip4", "gw4"]
VALUES = ["manual", "auto", "disabled", "ignore", "192.168.1.61/24", "10.0.0.1/8", "1.2.3.4",
          "192.168.1.1", "mode=active-backup", "primary=ens38", "miimon=200", "yes", "no",
          "100", "-1", "9000", "bond0", "bond1", "ens37", "ens38", "0", "1", "x", ""]
TARGETS = ["bond0", "bond1", "ens33", "ens37", "ens38", "bond-slave-ens37", "port-x"]
STRUCTURED = st.one_of(
    st.builds(lambda t, pv: ["c", "add", "type", t, *[x for p in pv for x in p]],
              st.sampled_from(["bond", "ethernet", "bond-slave"]),
              st.lists(st.tuples(st.sampled_from(PROPS), st.sampled_from(VALUES)), max_size=4)),
    st.builds(lambda n, pv: ["c", "mod", n, *[x for p in pv for x in p]],
              st.sampled_from(TARGETS),
              st.lists(st.tuples(st.sampled_from(PROPS), st.sampled_from(VALUES)), max_size=3)),
    st.builds(lambda verb, n: ["c", verb, n], st.sampled_from(["up", "down", "delete", "s"]),
              st.sampled_from(TARGETS)),
    st.builds(lambda verb, n: ["d", verb, n],
              st.sampled_from(["connect", "disconnect", "reapply", "show"]),
              st.sampled_from(["bond0", "bond1", "ens37", "ens38", "lo", "nosuch"])),
)


TYPED = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)  # a keyboard's


@settings(max_examples=300, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS) | TYPED, min_size=0, max_size=9) | STRUCTURED)
def test_random_nmcli_command_lines(lab, words: list[str]) -> None:
    import shlex

    line = "nmcli " + " ".join(shlex.quote(w) for w in words)
    _check_call(lab.sh(line))
    _no_torn_or_lost_profile(lab)


def _valid_keyfile(lab) -> tuple[str, str]:
    lab.sh("nmcli c delete hand >/dev/null 2>&1")
    lab.sh("nmcli c add type bond con-name hand ifname bond7 autoconnect no mode 1 "
           "ipv4.method manual ipv4.addresses 10.7.0.1/24 ipv6.method ignore")
    path = f"{PROFILE_DIR}/hand.nmconnection"
    return path, lab.files.read("server", path)


EDIT = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 30)),
    st.tuples(st.just("insert"), st.integers(0, 30),
              st.sampled_from(["[ipv4]", "[bond]", "[connection]", "garbage", "=x", "a=b",
                               "method=bogus", "method=auto", "method=disabled",
                               "address1=10.0.0.300/24", "address1=10.0.0.1/99",
                               "address1=10.0.0.9/24", "autoconnect=maybe",
                               "autoconnect=true", "mode=foo", "miimon=abc",
                               "interface-name=", "type=wifi", "type=ethernet", "id=",
                               "uuid=nope", "uuid=", "gateway=10.7.0.254", "dns=x;",
                               "# comment", "[proxy]", "\u3042=\u3044"])),
    st.tuples(st.just("replace"), st.integers(0, 30), st.text(max_size=12)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(st.lists(EDIT, min_size=1, max_size=5))
def test_random_hand_edits(lab, edits) -> None:
    path, text = _valid_keyfile(lab)
    lines = text.splitlines()
    for edit in edits:
        where = edit[1] % (len(lines) + 1)
        if edit[0] == "drop" and lines:
            del lines[where % len(lines)]
        elif edit[0] == "insert":
            lines.insert(where, edit[2])
        elif edit[0] == "replace" and lines:
            lines[where % len(lines)] = edit[2].replace("\n", " ").replace("\r", " ")
    lab.files.write("server", path, "\n".join(lines) + "\n")  # as an editor saves it
    for cmd in ("nmcli c reload", "nmcli c", "journalctl -u NetworkManager -n 3"):
        _check_call(lab.sh(cmd))
    shown = lab.sh("nmcli -f connection.id,connection.uuid c s hand")
    assert shown.returncode in (0, 10) and "Traceback" not in shown.stdout
    nm = lab.nm
    stored = nm.store.read(path)
    held = [sc for sc in nm.connections if sc.path == path]
    if stored.profile is None:
        assert not held, "a file the daemon refuses must not stay loaded"
        assert any(path in j.text for j in nm.journal[-5:]), "the refusal is logged"
    else:
        assert len(held) == 1 and held[0].uuid == stored.profile.uuid
    _no_torn_or_lost_profile(lab)
    # the daemon still works (the random command lines may have deleted any profile)
    result = lab.sh("nmcli -f NAME,FILENAME c")
    assert result.returncode == 0 and result.stdout.startswith("NAME")
    lab.files.remove("server", path)
    lab.sh("nmcli c reload")


def test_keyfile_round_trip_of_every_profile_nmcli_makes(lab) -> None:
    lab.sh("nmcli c add type bond con-name rt ifname bond5 bond.options mode=802.3ad,"
           "lacp_rate=fast ipv4.method manual ipv4.addresses 10.5.0.1/16,10.6.0.1/16 "
           "ipv4.gateway 10.5.0.254 ipv4.dns 1.1.1.1,8.8.8.8 ipv6.method ignore autoconnect no")
    sc = lab.nm.find_connections("rt")[0]
    text = lab.files.read("server", sc.path)
    back, warnings = keyfile.read(text, "rt.nmconnection")
    back.normalize((1, 42))
    assert not warnings
    assert back.values == sc.profile.values
    lab.sh("nmcli c delete rt")
