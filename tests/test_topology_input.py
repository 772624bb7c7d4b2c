"""Topology input read as if hostile: any file, any name, any size, refused in one sentence
that names the file and never prints its contents; names by the kernel's rules; the lab's
limits refused before anything is built, every problem at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from labkit import Lab, LabkitError, TopologyError, UsageTypeError
from labkit.model.schema import KERNEL_BLANKS, check_ifname
from labkit.model.topology import Topology, load_topology


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """A read that blocks (a pipe, a device) fails the test instead of hanging the suite."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("a topology read did not return within 60 s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def refusal(spec: Any) -> TopologyError:
    with pytest.raises(TopologyError) as err:
        load_topology(spec)
    return err.value


def nic(name: str, i: int = 1, **more: Any) -> dict[str, Any]:
    return {"name": name, "mac": f"02:00:00:01:{i >> 8:02x}:{i & 255:02x}", "port": f"p{i}",
            "port_mac": f"02:00:00:02:{i >> 8:02x}:{i & 255:02x}", **more}


def lab_doc(hosts: int = 1, nics: int = 1) -> dict[str, Any]:
    """A valid lab of `hosts` hosts with `nics` NICs each (unique MACs and ports)."""
    out = []
    for h in range(hosts):
        out.append({"name": f"h{h}", "nics": [nic(f"eth{n}", h * 64 + n + 1)
                                              for n in range(nics)]})
    return {"name": "t", "switch": {"mac": "02:00:00:00:00:ff"}, "hosts": out}


# -- files ------------------------------------------------------------------------------------
def test_a_file_that_is_not_utf8_is_one_sentence_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    err = refusal(path)
    assert str(err) == f"{path}: is not UTF-8 text: byte 0xe9 at line 1 (offset 9) does not decode"
    assert err.__cause__ is None and err.__suppress_context__


def test_a_shadow_like_file_is_refused_without_printing_it(tmp_path: Path) -> None:
    # a fake, written here: the test never reads the real /etc/shadow
    secret = "$6$Zk0eLq3s$Wq9vM1xHh0fake0hash0of0a0password0Yt7cQ"
    path = tmp_path / "shadow"
    path.write_text(f"root:{secret}:19700:0:99999:7:::\nbob:{secret}:19700:0:99999:7:::\n"
                    "daemon:*:19700:0:99999:7:::\n")
    err = refusal(path)
    text = str(err)
    assert "\n" not in text
    assert text == (f"{path}: is not a labkit topology: none of name, switch and hosts is there "
                    "(its 3 other key(s) are not shown)")
    for word in ("root", "bob", "daemon", "$6$", "19700"):
        assert word not in text.replace(str(path), "")


def test_keys_that_are_not_words_are_never_quoted(tmp_path: Path) -> None:
    doc = lab_doc()
    doc["root:$6$secretsecret:19700:0:99999:7::"] = None
    doc["hosts"][0]["password: hunter2 hunter2 hunter2"] = 1
    err = refusal(doc)
    assert "hunter2" not in str(err) and "secretsecret" not in str(err)
    assert "lab.<a name of 38 characters that is not a word>: unknown attribute" in str(err)


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 4,  # every byte
    b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"/lib64/ld-linux-x86-64.so.2\x00",  # ASCII
    b"name: x\x00y\nswitch: {}\n",  # a NUL in otherwise valid YAML
    b"\x1b[2J\x1b[31mname: x\n",  # terminal escapes
])
def test_a_binary_file_is_refused_without_printing_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "binary"
    path.write_bytes(content)
    text = str(refusal(path))
    assert text.startswith(f"{path}: is not ") and "\n" not in text and len(text) < 200
    assert "\x1b" not in text and "\x00" not in text and "ld-linux" not in text


def test_a_yaml_error_says_where_not_what_the_line_holds(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: lab\nswitch: {mac: 02:00:00:00:00:ff\nhosts: [secret-word-here]\n")
    text = str(refusal(path))
    assert text.startswith(f"{path}: is not valid YAML at line ")
    assert "secret-word-here" not in text and "\n" not in text


def test_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
              for i in range(1, 30)]  # a billion laughs: 10 * 5**29 values
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert str(refusal(path)) == (f"{path}: uses an alias (*name) at line 2, column 10; a "
                                  "topology file writes each value out")


def test_a_file_over_one_mebibyte_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: x\n" + b"#" * (1 << 20))
    assert str(refusal(path)) == (f"{path}: the file has {8 + (1 << 20)} bytes; a topology "
                                  "file may have at most 1048576 (1 MiB)")


def test_pipes_directories_and_devices_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes: reading it would block forever
    assert str(refusal(fifo)) == f"{fifo}: is a pipe, not a topology file"
    assert str(refusal(tmp_path)) == f"{tmp_path}: is a directory, not a topology file"
    assert str(refusal("/dev/null")) == "/dev/null: is a device, not a topology file"


def test_names_that_are_no_file_say_so() -> None:
    assert str(refusal("no\x00such")) == ("topology: no preset or file called 'no\\x00such' "
                                          "(presets: centos7-bond)")
    text = str(refusal("x" * 5000))
    assert text.endswith(": cannot read the file: File name too long") and len(text) < 200
    with pytest.raises(UsageTypeError, match="topology must be a preset name, a file, a "
                                             "mapping or a Topology, not the int 42"):
        load_topology(42)  # type: ignore[arg-type]


def test_the_preset_and_a_written_out_copy_still_load(tmp_path: Path) -> None:
    topo = load_topology("centos7-bond")
    path = tmp_path / "copy.yaml"
    path.write_text("\ufeff" + yaml.safe_dump(topo.to_dict()))  # a BOM is fine
    assert load_topology(path) == topo


# -- names ------------------------------------------------------------------------------------
BAD_NAMES = {
    "e\u202ex": "holds the invisible or control character U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "e\u200bx": "holds the invisible or control character U+200B (ZERO WIDTH SPACE)",
    "e\x00x": "holds the invisible or control character U+0000",
    "e\x1bx": "holds the invisible or control character U+001B",
    "a/b": "holds '/', which the kernel refuses in interface names",
    "a:b": "holds ':', which the kernel refuses in interface names",
    "a b": "holds the blank U+0020 (SPACE); interface names have none",
    "a\tb": "holds the blank U+0009; interface names have none",
    "a\u00a0b": "holds the blank U+00A0 (NO-BREAK SPACE); interface names have none",
    "eth\u00e0": "holds 'à', whose UTF-8 bytes include 0xa0, which the kernel counts as a blank",
    "a%d": "holds '%', which the kernel would replace by a number (eth%d becomes eth0)",
    "x" * 16: "is 16 bytes long; interface names have at most 15 (IFNAMSIZ - 1)",
    "\u00e9" * 8: "is 16 bytes long; interface names have at most 15 (IFNAMSIZ - 1)",
    "..": "is reserved (it names a directory in /sys/class/net)",
    ".": "is reserved (it names a directory in /sys/class/net)",
    "": "must not be empty",
    "e\ud800": "is not valid Unicode text (a lone surrogate)",
}
GOOD_NAMES = ["x" * 15, "\u00e9" * 7 + "x", "a.b", "a-b_c@", "eth\u00e9", "bond0.100"]


@pytest.mark.parametrize("name", list(BAD_NAMES))
def test_nic_names_follow_the_kernels_rules(name: str) -> None:
    doc = lab_doc()
    doc["hosts"][0]["nics"][0]["name"] = name
    err = refusal(doc)
    assert err.problems == [f"hosts[0].nics[0].name: {_shown(name)} {BAD_NAMES[name]}"]
    assert "\u202e" not in str(err) and "\u200b" not in str(err) and "\x00" not in str(err)


def _shown(name: str) -> str:
    """How a message quotes a name: escaped as Python escapes unprintable characters."""
    return "'" + "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name) + "'"


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_names_the_kernel_takes_are_taken(name: str) -> None:
    doc = lab_doc()
    doc["hosts"][0]["nics"][0]["name"] = name
    assert load_topology(doc).host("h0").nics[0].name == name


def test_ports_and_the_bridge_follow_the_same_rules_and_lo_is_taken() -> None:
    doc = lab_doc()
    doc["hosts"][0]["nics"][0]["port"] = "sw\u202e1"
    doc["switch"]["bridge"] = "lo"
    err = refusal(doc)
    assert err.problems == [
        "switch.bridge: 'lo' is the loopback device's name (every host has its own 'lo')",
        "hosts[0].nics[0].port: 'sw\\u202e1' holds the invisible or control character U+202E "
        "(RIGHT-TO-LEFT OVERRIDE)"]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None
                    or shutil.which("ip") is None, reason="needs root, unshare and ip")
def test_the_kernel_agrees_except_where_labkit_is_stricter() -> None:
    """Each name tried on this machine's kernel, in a network namespace of the test's own
    (unshare -n: it ends with the command, nothing of the host is touched)."""
    policy_only = {"e\u202ex", "e\u200bx", "e\x1bx", "a%d"}  # the kernel takes these
    names = [n for n in [*BAD_NAMES, *GOOD_NAMES] if n and "\x00" not in n and "\ud800" not in n]
    for name in names:
        run = subprocess.run(["unshare", "-n", "ip", "link", "add", name, "type", "veth",
                              "peer", "name", "p0"], capture_output=True, text=True)
        kernel_takes = run.returncode == 0
        if name in policy_only:
            assert kernel_takes, (name, run.stderr)
        else:
            assert kernel_takes == (check_ifname(name) is None), (name, run.stderr)


KERNEL_PROBE = """
import json, sys
from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError
out = []
with IPRoute() as ipr:
    for name in json.load(sys.stdin):
        try:
            ipr.link("add", ifname=name, kind="veth", peer="p0")
        except NetlinkError as exc:
            out.append(exc.code)
            continue
        made = [(link["index"], link.get_attr("IFLA_IFNAME")) for link in ipr.get_links()]
        out.append(0 if name in {n for _, n in made} else -1)  # -1: renamed (eth%d: eth0)
        for index, made_name in made:
            if made_name not in ("lo", "p0"):
                ipr.link("del", index=index)  # and its peer with it
print(json.dumps(out))
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root and unshare")
def test_generated_names_agree_with_the_kernel() -> None:
    """400 names drawn from characters each rule is about, tried on this machine's kernel
    through netlink (pyroute2) in a network namespace of the test's own: labkit takes a name
    exactly when the kernel keeps it as given, except that it also refuses unprintable ones."""
    import json
    import random
    import sys

    pytest.importorskip("pyroute2")
    plain = "abcXYZ019._-@\u00e9\u20ac\u00f1\u6f22\U0001f600"  # each rule's characters:
    rare = "/:% \t\n\v\f\r\x01\x7f\u00e0\u00a0\u202e\u200b\u2028\u3000"
    rng = random.Random(10)

    def char() -> str:
        return rng.choice(rare if rng.random() < 0.04 else plain)
    names = [".", "..", *("".join(char() for _ in range(rng.randint(1, 14)))
                          for _ in range(400))]
    run = subprocess.run(["unshare", "-n", sys.executable, "-c", KERNEL_PROBE],
                         input=json.dumps(names), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    kept = [code == 0 for code in json.loads(run.stdout)]
    assert len(kept) == len(names) and 50 < sum(kept) < len(names) - 50  # both kinds tried
    def labkit_only(ch: str) -> bool:
        """Refused by labkit, taken by the kernel: unprintable or blank characters whose
        UTF-8 bytes hold none of the kernel's blanks (U+202E, U+2028, U+3000, ...)."""
        return (not ch.isprintable() or ch.isspace()) and not KERNEL_BLANKS & set(ch.encode())
    compared = 0
    for name, kernel_keeps in zip(names, kept, strict=True):
        why = check_ifname(name)
        if any(labkit_only(ch) for ch in name):
            assert why is not None, name
            continue
        assert (why is None) == kernel_keeps, (name, why)
        compared += 1
    assert compared > 300


def test_host_names_and_text_fields_are_sane() -> None:
    doc = lab_doc()
    doc["name"] = "x" * 65
    doc["description"] = "one line\nand another"
    doc["hosts"][0]["name"] = "h\u202e"
    doc["hosts"][0]["networkmanager"] = "yes"
    err = refusal(doc)
    assert err.problems == [
        "lab.name: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 65 characters long; at most "
        "64 are allowed",
        "lab.description: 'one line\\nand another' holds the invisible or control character "
        "U+000A",
        "hosts[0].name: 'h\\u202e' must start with a lowercase letter and hold only a-z, 0-9, "
        "'_' and '-'",
        "hosts[0].networkmanager: 'yes' must be true or false"]


# -- limits -----------------------------------------------------------------------------------
def test_64_hosts_are_a_lab_and_65_are_refused_before_anything_is_built() -> None:
    assert len(load_topology(lab_doc(64)).hosts) == 64
    err = refusal(lab_doc(65))
    assert err.problems == ["lab.hosts: lists 65 hosts; a lab allows at most 64"]
    with pytest.raises(TopologyError):
        Lab(lab_doc(65), engine="sim")  # the constructor refuses it: no engine is made


def test_a_topology_made_by_hand_gets_no_way_around_the_limits() -> None:
    from dataclasses import replace

    topo = load_topology(lab_doc(64))
    big = replace(topo, hosts=(*topo.hosts, replace(topo.hosts[0], name="extra")))
    with pytest.raises(TopologyError) as err:
        Lab(big, engine="sim")
    assert err.value.problems[0] == "lab.hosts: lists 65 hosts; a lab allows at most 64"
    assert load_topology(topo) is topo


def test_32_nics_are_a_host_and_33_are_refused() -> None:
    assert len(load_topology(lab_doc(1, 32)).hosts[0].nics) == 32
    assert refusal(lab_doc(1, 33)).problems == [
        "hosts[0].nics: lists 33 NICs; a lab allows at most 32"]


def test_the_switch_takes_at_most_256_cables() -> None:
    assert len(list(load_topology(lab_doc(32, 8)).cables())) == 256
    assert refusal(lab_doc(33, 8)).problems == [
        "hosts: the NICs need 264 cables; a lab's switch takes at most 256"]


def test_routes_and_addresses_have_limits() -> None:
    doc = lab_doc()
    doc["hosts"][0]["nics"][0]["addresses"] = [f"10.0.0.{i}/24" for i in range(1, 18)]
    doc["hosts"][0]["routes"] = [{"to": f"10.{i}.0.0/16", "via": "10.0.0.254"}
                                 for i in range(33)]
    assert refusal(doc).problems == [
        "hosts[0].routes: lists 33 routes; a lab allows at most 32",
        "hosts[0].nics[0].addresses: lists 17 addresses; a lab allows at most 16"]


def test_every_problem_at_once_and_the_message_stays_short() -> None:
    doc = lab_doc(3)
    doc["hosts"][0]["nics"][0]["name"] = "x" * 100
    doc["hosts"][1]["nics"][0]["mac"] = "zz"
    doc["hosts"][2]["nics"][0]["port"] = "a/b"
    doc["switch"]["ageing_time"] = 10**40
    err = refusal(doc)
    assert len(err.problems) == 4
    assert str(err).splitlines() == [
        "topology: 4 problems:",
        "  - switch.ageing_time: an integer of 133 bits is more than 1000000 seconds",
        "  - hosts[0].nics[0].name: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 100 bytes "
        "long; interface names have at most 15 (IFNAMSIZ - 1)",
        "  - hosts[1].nics[0].mac: 'zz' is not a MAC address (expected six bytes like "
        "00:0c:29:89:51:ca)",
        "  - hosts[2].nics[0].port: 'a/b' holds '/', which the kernel refuses in interface "
        "names"]


def test_a_huge_broken_document_costs_no_more_than_the_largest_lab() -> None:
    doc = {"name": "x", "switch": {"mac": "02:00:00:00:00:ff"},
           "hosts": [{"name": "BAD", "nics": [{"name": "\u202e" * 100}] * 1000,
                      "routes": "x" * 10**6}] * 10_000}
    err = refusal(doc)
    text = str(err)
    assert "lab.hosts: lists 10000 hosts; a lab allows at most 64" in text
    # only the hosts and NICs within the limits are looked into: at most 64 x 32 NICs
    assert len(err.problems) <= 64 * (1 + 5 + 32 * 5) and len(text) < 3000
    assert text.splitlines()[-1].startswith("  … and ") and "\u202e" not in text


# -- add_nic ----------------------------------------------------------------------------------
def test_add_nic_obeys_the_same_rules_and_limits() -> None:
    topo = load_topology("centos7-bond")
    for bad in ("e\u202ex", "lo", "a%d", "\u00e9" * 8):
        with pytest.raises(TopologyError) as err:
            topo.with_nic(bad)
        assert err.value.problems[0].startswith("NIC name ")
    for n in range(39, 39 + 29):  # the server has 3: 29 more make 32
        topo, _ = topo.with_nic(f"ens{n}")
    with pytest.raises(TopologyError) as err:
        topo.with_nic("ens99")
    assert str(err.value) == "add_nic: host 'server' has 32 NICs, as many as a lab allows"


def test_lab_add_nic_refuses_a_bidi_name_and_a_wrong_type() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        with pytest.raises(TopologyError, match=r"NIC name 'ens\\u202e9' holds the invisible"):
            lab.add_nic("ens\u202e9")
        with pytest.raises(UsageTypeError) as err:
            lab.add_nic(39)  # type: ignore[arg-type]
        assert str(err.value) == "Lab.add_nic: name must be a string, not the int 39"
        assert lab.add_nic("ens39").name == "ens39"
        assert [n.name for n in lab.topology.host("server").nics][-1] == "ens39"


def test_a_topology_error_is_a_labkit_error() -> None:
    assert issubclass(TopologyError, LabkitError)
    assert Topology.from_dict(load_topology("centos7-bond").to_dict()).name == "centos7-bond"


# -- generated input --------------------------------------------------------------------------
def _bounded(err: LabkitError) -> None:
    """A refusal as the learner reads it: short, each line printable (no terminal control,
    no bidi reordering)."""
    text = str(err)
    assert len(text) < 30 * 400, len(text)
    for line in text.splitlines():
        assert line.isprintable(), repr(line)


def _leaf_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))] or [path]
    return [path]


def test_any_bytes_are_a_topology_or_one_bounded_refusal(tmp_path: Path) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    path = tmp_path / "fuzz.yaml"
    preset = yaml.safe_dump(load_topology("centos7-bond").to_dict()).encode()

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.one_of(st.binary(max_size=3000),
                     st.builds(lambda cut, junk: preset[:cut] + junk + preset[cut:],
                               st.integers(0, len(preset)), st.binary(max_size=40))))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        try:
            load_topology(path)
        except TopologyError as err:
            _bounded(err)

    check()


def test_any_value_anywhere_in_a_lab_is_a_lab_or_one_bounded_refusal() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    base = load_topology("centos7-bond").to_dict()
    leaves = _leaf_paths(base)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                        st.text(max_size=300), st.binary(max_size=20))
    values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=20), inner, max_size=5)),
        max_leaves=20)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.lists(st.tuples(st.sampled_from(leaves), values), min_size=1, max_size=4))
    def check(changes: list[tuple[tuple, Any]]) -> None:
        import copy

        doc = copy.deepcopy(base)
        for where, value in changes:
            target = doc
            for key in where[:-1]:
                target = target[key]
            if where:
                target[where[-1]] = value
        try:
            load_topology(doc)
        except TopologyError as err:
            _bounded(err)

    check()
