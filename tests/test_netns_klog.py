"""The netns engine's own kernel log: /dev/kmsg kept to the lab's devices, never another's.

The lines' wording is the real kernel's by construction (they are its records); what is
checked here is the choosing: which records are the lab's (by the device a line names, as
the real 6.1 lines of the recorded scenario 21 name them), and that while another network
namespace exists on the machine, a name cannot tell two labs' bond0 apart, so nothing is shown.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from labkit.engines.netns import klog, syscalls
from labkit.engines.probe import probe

HERE = Path(__file__).parent


def test_a_record_is_parsed_as_dev_kmsg_writes_it() -> None:
    raw = b"4,1234,5678901,-;bond0: option mode: unable\\x20set\n SUBSYSTEM=net\n DEVICE=n7\n"
    record = klog.parse_record(raw)
    assert record is not None
    assert (record.seq, record.usec, record.level, record.facility) == (1234, 5678901, 4, 0)
    assert record.text == "bond0: option mode: unable set"
    assert klog.parse_record(b"not a record") is None


def test_the_device_a_line_names_in_the_real_kernels_words() -> None:
    steps = json.loads((HERE / "data" / "kernel" / "21-kernel-log.json").read_text())["steps"]
    lines = {line for s in steps if s["cmd"].startswith("dmesg -t")
             for line in s["out"].splitlines()}
    # the slow VM's 'hrtimer: interrupt took N ns', when a recording caught it, is no device's
    named = {klog.device_named(line) for line in lines} - {"hrtimer"}
    assert named == {"bond0", "br0"}
    assert klog.device_named("hrtimer: interrupt took 12948950 ns") == "hrtimer"  # never kept
    assert klog.device_named("bond0 (unregistering): Released all slaves") == "bond0"
    assert klog.device_named("IPv6: ADDRCONF(NETDEV_CHANGE): ens37: link becomes ready") \
        == "ens37"
    assert klog.device_named("device sw37 left promiscuous mode") == "sw37"
    assert klog.device_named("bonding: bond1 is being deleted...") == "bond1"
    assert klog.device_named("Ethernet Channel Bonding Driver: v6.1.0-56-amd64") is None


def test_link_names_reads_rtm_newlink() -> None:
    msg = ifinfmsg()
    msg["header"]["type"] = klog.RTM_NEWLINK
    msg["attrs"] = [("IFLA_IFNAME", "bond1"), ("IFLA_MTU", 1500)]
    msg.encode()
    assert klog.link_names(bytes(msg.data) * 2) == ["bond1", "bond1"]


def _hold_namespace(ready: multiprocessing.synchronize.Event,
                    done: multiprocessing.synchronize.Event) -> None:
    syscalls.unshare_net()
    ready.set()
    done.wait(60)


@pytest.mark.skipif(not probe().netns_ok, reason="needs the netns engine (root, namespaces)")
def test_another_namespace_on_the_machine_withholds_every_line() -> None:
    from labkit import Lab

    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_namespace, args=(ready, done))
    other.start()  # a namespace of this test's own: another lab could have a br0 there
    try:
        assert ready.wait(10)
        with Lab(engine="netns", lab_id=f"kl{os.getpid() % 10000}",
                 networkmanager=False) as lab:
            log = lab.engine.kernel_log()
            assert log is not None
            assert lab.sh("dmesg -C").returncode == 0
            lab.sh("ip link set sw37 down", host="switch")  # br0: port 2(sw37) entered ...
            lab.sleep(0.5)
            out = lab.sh("dmesg -t")
            assert log.withheld >= 1
            # no kernel line; the lab's dmesg says why, on stderr, in labkit's words (the real
            # one has no such case), and the terminal shows just that
            assert out.returncode == 0
            assert out.stdout.startswith(f"labkit: {log.withheld} line")
            assert "another network namespace" in out.stdout
            assert out.stdout.count("\n") == 1
    finally:
        done.set()
        other.join(10)
