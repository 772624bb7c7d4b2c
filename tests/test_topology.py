"""The lab model: the default lab exactly as DESIGN.md fixes it, custom labs, validation."""

from __future__ import annotations

import pytest
import yaml

from labkit.errors import TopologyError
from labkit.model.plan import (
    LeaveIPv6Groups,
    LinkDown,
    LinkUp,
    SetDeviceIPv6,
    as_ip_commands,
    build_plan,
)
from labkit.model.topology import Topology, load_topology, preset_names

# DESIGN.md, "The lab": every name and MAC of centos7-bond (typed from the design, not the code)
DESIGN_NICS = {
    ("server", "ens33"): ("00:0c:29:89:51:ca", "sw33", "02:00:00:00:00:33"),
    ("server", "ens37"): ("00:0c:29:89:51:d4", "sw37", "02:00:00:00:00:37"),
    ("server", "ens38"): ("00:0c:29:89:51:de", "sw38", "02:00:00:00:00:38"),
    ("outside", "eth0"): ("00:0c:29:00:00:01", "swout", "02:00:00:00:00:10"),
    ("gw", "eth0"): ("00:0c:29:00:00:fe", "swgw", "02:00:00:00:00:01"),
}


def test_default_lab_is_the_design() -> None:
    topo = load_topology("centos7-bond")
    assert "centos7-bond" in preset_names()
    assert topo.host_names() == ["switch", "server", "outside", "gw"]
    assert topo.switch.bridge == "br0" and topo.switch.mac == "02:00:00:00:00:ff"
    found = {(h.name, n.name): (n.mac, n.port, n.port_mac) for h, n in topo.cables()}
    assert found == DESIGN_NICS
    assert topo.host("server").nic("ens33").addresses == ("192.168.1.60/24",)
    assert topo.host("server").nic("ens37").addresses == ()
    assert topo.host("outside").nic("eth0").addresses == ("192.168.1.10/24",)
    assert [(r.to, r.via) for r in topo.host("outside").routes] == [("default", "192.168.1.1")]
    assert topo.host("gw").nic("eth0").addresses == ("192.168.1.1/24",)


def test_add_nic_continues_vmware_pattern() -> None:
    topo, nic = load_topology("centos7-bond").with_nic("ens39")
    assert (nic.mac, nic.port, nic.port_mac) == ("00:0c:29:89:51:e8", "sw39", "02:00:00:00:00:39")
    topo, nic = topo.with_nic("ens40")
    assert nic.mac == "00:0c:29:89:51:f2"  # DESIGN.md: …:51:e8, …:51:f2
    assert [n.name for n in topo.host("server").nics][-2:] == ["ens39", "ens40"]


def test_add_nic_refuses_duplicates_and_bad_names() -> None:
    topo = load_topology("centos7-bond")
    with pytest.raises(TopologyError) as err:
        topo.with_nic("ens37")
    assert "already has a NIC called 'ens37'" in str(err.value)
    with pytest.raises(TopologyError, match="at most 15"):
        topo.with_nic("a-very-long-nic-name")
    with pytest.raises(TopologyError, match="no host 'nosuch'"):
        topo.with_nic("ens39", host="nosuch")


def test_round_trip_and_yaml(tmp_path) -> None:
    topo = load_topology("centos7-bond")
    again = Topology.from_dict(topo.to_dict())
    assert again == topo
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(topo.to_dict()))
    assert load_topology(path) == topo


def test_custom_topology_as_mapping_of_hosts() -> None:
    topo = load_topology({
        "name": "tiny", "switch": {"mac": "02:00:00:00:01:ff"},
        "hosts": {"a": {"nics": [{"name": "eth0", "mac": "02:00:00:00:01:01", "port": "swa",
                                  "port_mac": "02:00:00:00:01:02",
                                  "addresses": ["10.0.0.1/24"]}]}}})
    assert topo.host_names() == ["switch", "a"]
    assert topo.host("a").nic("eth0").port == "swa"


def test_every_problem_is_reported_at_once() -> None:
    doc = {"name": "bad", "switch": {"mac": "zz"}, "colour": "red", "hosts": [
        {"name": "A", "nics": [{"name": "e" * 20, "mac": "01:00:00:00:00:00", "port": "p1",
                                "port_mac": "02:00:00:00:00:01"}]},
        {"name": "b", "nics": [{"name": "eth0", "mac": "02:00:00:00:00:01", "port": "p1",
                                "port_mac": "02:00:00:00:00:09",
                                "addresses": ["10.0.0.0/24", "bogus"]}],
         "routes": [{"to": "default", "via": "192.168.9.1"}]},
    ]}
    with pytest.raises(TopologyError) as err:
        Topology.from_dict(doc)
    problems = err.value.problems
    text = str(err.value)
    assert len(problems) >= 4
    assert "lab.colour: unknown attribute" in text
    assert "switch.mac: 'zz' is not a MAC address" in text
    assert "hosts[0].name: 'A' must start with a lowercase letter" in text
    assert "hosts[0].nics[0].name" in text and "at most 15" in text
    assert "multicast MAC" in text


def test_cross_checks_report_together() -> None:
    doc = {"name": "x", "switch": {"mac": "02:00:00:00:00:ff"}, "hosts": [
        {"name": "a", "nics": [{"name": "eth0", "mac": "02:00:00:00:00:01", "port": "p1",
                                "port_mac": "02:00:00:00:00:02", "addresses": ["10.0.0.0/24"]}]},
        {"name": "b", "nics": [{"name": "eth0", "mac": "02:00:00:00:00:01", "port": "p1",
                                "port_mac": "02:00:00:00:00:03", "addresses": ["10.0.0.5/24"]}],
         "routes": [{"to": "default", "via": "192.168.9.1"}]},
    ]}
    with pytest.raises(TopologyError) as err:
        Topology.from_dict(doc)
    text = str(err.value)
    assert "is the network address" in text
    assert "MAC 02:00:00:00:00:01 is already used by a/eth0" in text
    assert "switch port 'p1' is already taken" in text
    assert "gateway is not in any subnet" in text


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(TopologyError, match="presets: centos7-bond"):
        load_topology("no-such-lab")


def test_build_plan_as_ip_commands_fixes_the_order() -> None:
    cmds = as_ip_commands(build_plan(load_topology("centos7-bond")), "labkit")
    assert cmds[0] == "ip netns add labkit-switch"
    assert "ip -n labkit-switch link add br0 address 02:00:00:00:00:ff type bridge " \
           "stp_state 0 ageing_time 30000" in cmds
    assert cmds.index("ip netns add labkit-server") < cmds.index(
        "ip -n labkit-server link add ens33 address 00:0c:29:89:51:ca type veth peer name "
        "sw33 address 02:00:00:00:00:33 netns labkit-switch")
    assert "ip -n labkit-gw addr add 192.168.1.1/24 dev eth0" in cmds
    # the switch's devices leave ff02::1 once they have carrier: each port after its NIC is
    # up, the bridge last (IPv6 on and off again, with nothing to send: addrgenmode none)
    port = cmds.index("ip netns exec labkit-switch sysctl -qw net.ipv6.conf.swgw.disable_ipv6=0")
    assert cmds.index("ip -n labkit-gw link set eth0 up") < port
    assert cmds[port - 1] == "ip -n labkit-switch link set swgw addrgenmode none"
    assert cmds[port + 1:port + 3] == [
        "ip netns exec labkit-switch sysctl -qw net.ipv6.conf.swgw.disable_ipv6=1",
        "ip -n labkit-switch link set swgw addrgenmode eui64"]
    assert cmds[-7:] == [
        "ip netns exec labkit-switch timeout 5 sh -c 'until grep -qx up "
        "/sys/class/net/br0/operstate; do sleep 0.05; done'",
        "ip -n labkit-switch link set br0 type bridge mcast_snooping 0",
        "ip -n labkit-switch link set br0 addrgenmode none",
        "ip netns exec labkit-switch sysctl -qw net.ipv6.conf.br0.disable_ipv6=0",
        "ip netns exec labkit-switch sysctl -qw net.ipv6.conf.br0.disable_ipv6=1",
        "ip -n labkit-switch link set br0 addrgenmode eui64",
        "ip -n labkit-switch link set br0 type bridge mcast_snooping 1"]


def test_managed_hosts_ports_leave_their_group_behind_a_quiet_nic() -> None:
    """A port whose NIC NetworkManager brings up later has carrier only while that NIC is up:
    the plan brings the NIC up for the moment with its own IPv6 off (nothing it sends could
    teach the switch anything), takes the port out, and leaves the NIC down with IPv6 as the
    kernel gave it, for NetworkManager."""
    steps = build_plan(load_topology("centos7-bond"), frozenset({"server"}))
    left = [s.dev for s in steps if isinstance(s, LeaveIPv6Groups)]
    assert left == ["sw33", "sw37", "sw38", "swout", "swgw", "br0"]
    at = steps.index(LeaveIPv6Groups("switch", "sw37"))
    assert steps[at - 2:at + 3] == [SetDeviceIPv6("server", "ens37", disabled=True),
                                    LinkUp("server", "ens37"),
                                    LeaveIPv6Groups("switch", "sw37"),
                                    LinkDown("server", "ens37"),
                                    SetDeviceIPv6("server", "ens37", disabled=False)]
    ups = [s for s in steps if isinstance(s, (LinkUp, LinkDown)) and s.host == "server"]
    assert [type(s) for s in ups if s.dev != "lo"] == [LinkUp, LinkDown] * 3


def test_br0_leaves_while_a_port_has_carrier() -> None:
    """br0 has carrier while one of its ports has: at the end where some host's NICs stay up,
    right after the first port where every NIC is left to NetworkManager (down again)."""
    topo = load_topology("centos7-bond")
    steps = build_plan(topo, frozenset({"server"}))
    assert steps[-1] == LeaveIPv6Groups("switch", "br0", bridge=True)
    every = build_plan(topo, frozenset(h.name for h in topo.hosts))
    at = every.index(LeaveIPv6Groups("switch", "sw33"))
    assert every[at + 1] == LeaveIPv6Groups("switch", "br0", bridge=True)
    assert every[at + 2] == LinkDown("server", "ens33")
