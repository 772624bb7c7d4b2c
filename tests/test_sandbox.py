"""What is typed into a lab on the netns engine sees only that lab (issue 10, item 4).

Every escape found on the unconfined engine, and more, is tried from `lab.sh` while another lab
runs beside it: reading and writing host files through /proc/*/root, /proc/*/cwd, /proc/*/fd,
the machine's kernel settings (/proc/sys outside net, /sys outside class/net), `ip netns exec`
into a shell, other labs' namespaces (`ip netns`, `ip -n`, `netns NAME`), the host's namespace
(`netns 1`, `netns PID`), `ip -batch` / `bridge -batch` / `ip monitor file` of host files, and
pings to the machine's own addresses. Each is refused with the real tool's words, the other
lab's links, addresses and routes are as they were, and so is the host's own namespace. The
sandbox's confinement itself (capabilities, PID namespace, lifetime) and the output of the
confined programs (the same as unconfined) are checked too.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit import Lab
from labkit.engines.netns import sandbox
from labkit.engines.probe import probe

from conftest import root_namespace_state

pytestmark = pytest.mark.skipif(not probe().netns_ok,
                                reason="needs root and network namespaces (labkit doctor)")
ROOT = Path(__file__).resolve().parent.parent
ME, OTHER = "lksa", "lksb"
HOSTS = ("server", "outside", "gw", "switch")


def ip_json(netns: str, *args: str) -> list[dict]:
    """What the unconfined ip (the test's, not the lab's) says of a namespace."""
    out = subprocess.run(["ip", "-j", "-n", netns, *args], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def lab_state(lab_id: str) -> dict[str, object]:
    """A lab's links, addresses, routes and neighbours' existence, host by host."""
    state: dict[str, object] = {}
    for host in HOSTS:
        ns = f"{lab_id}-{host}"
        links = ip_json(ns, "link")
        for link in links:  # counters and timers move by themselves
            link.pop("stats64", None)
        state[host] = {"link": links, "addr": ip_json(ns, "addr"),
                       "route": ip_json(ns, "route")}
    return state


def host_view() -> dict[str, str]:
    """The host's own namespace (links, addresses, routes) and its hostname."""
    view = {k: v for k, v in root_namespace_state().items() if k != "netns"}
    for setting in ("kernel/hostname", "kernel/sysrq", "vm/drop_caches"):
        with contextlib.suppress(OSError):
            view[setting] = Path(f"/proc/sys/{setting}").read_text()
    return view


def netns_names() -> set[str]:
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory):
    """The lab under attack and another lab beside it, plus a host file with a secret in it
    and a host file to overwrite (both the test's own, in a temporary directory)."""
    secret = f"labkit-secret-{secrets.token_hex(8)}"
    where = tmp_path_factory.mktemp("host-files")
    (where / "secret").write_text(f"{secret}\n")
    (where / "victim").write_text("untouched\n")
    before_host = host_view()
    with Lab(engine="netns", networkmanager=False, lab_id=OTHER) as other, \
            Lab(engine="netns", networkmanager=False, lab_id=ME) as lab:
        time.sleep(2.5)  # DAD settles on both: the other lab's state stops moving
        before_other = lab_state(OTHER)
        yield {"lab": lab, "other": other, "secret": secret, "dir": where}
        assert lab_state(OTHER) == before_other, "the lab beside it was changed"
    assert host_view() == before_host, "the host's own namespace or settings changed"
    assert (where / "victim").read_text() == "untouched\n"


def sh(labs: dict, cmd: str, host: str = "server") -> tuple[int, str]:
    out = labs["lab"].sh(cmd, host=host)
    return out.returncode, out.stdout


# -- labkit's own cat, ls, echo: /proc and /sys -----------------------------------------------
def test_host_files_through_proc_are_refused(labs: dict) -> None:
    secret_file = labs["dir"] / "secret"
    victim = labs["dir"] / "victim"
    tries = {
        f"cat /proc/self/root{secret_file}":
            (1, f"cat: /proc/self/root{secret_file}: Permission denied\n"),
        f"cat /proc/thread-self/root{secret_file}":
            (1, f"cat: /proc/thread-self/root{secret_file}: Permission denied\n"),
        f"cat /proc/1/root{secret_file}":
            (1, f"cat: /proc/1/root{secret_file}: No such file or directory\n"),
        f"cat /proc/{os.getpid()}/root{secret_file}":
            (1, f"cat: /proc/{os.getpid()}/root{secret_file}: No such file or directory\n"),
        "cat /proc/self/root/etc/shadow": (1, "cat: /proc/self/root/etc/shadow: Permission "
                                              "denied\n"),
        "cat /proc/self/cwd/etc/hostname": (1, "cat: /proc/self/cwd/etc/hostname: Permission "
                                               "denied\n"),
        "cat /proc/self/fd/0": (1, "cat: /proc/self/fd/0: Permission denied\n"),
        "cat /proc/self/environ": (1, "cat: /proc/self/environ: Permission denied\n"),
        "cat /proc/self/mounts": (1, "cat: /proc/self/mounts: Permission denied\n"),
        "cat /proc/mounts": (1, "cat: /proc/mounts: Permission denied\n"),
        "cat /proc/1/environ": (1, "cat: /proc/1/environ: No such file or directory\n"),
        "cat /proc/thread-self/fd/0": (1, "cat: /proc/thread-self/fd/0: Permission denied\n"),
        "cat /proc/net/../self/root/etc/hostname":
            (1, "cat: /proc/net/../self/root/etc/hostname: Permission denied\n"),
        "cat /proc/sys/net/../../self/root/etc/hostname":
            (1, "cat: /proc/sys/net/../../self/root/etc/hostname: Permission denied\n"),
        f"echo X > /proc/self/root{victim}": (1, f"bash: /proc/self/root{victim}: "
                                                 "Permission denied\n"),
        f"echo X > /proc/thread-self/cwd{victim}": (1, f"bash: /proc/thread-self/cwd{victim}: "
                                                       "Permission denied\n"),
        f"echo X >> /proc/1/root{victim}": (1, f"bash: /proc/1/root{victim}: No such file or "
                                               "directory\n"),
    }
    for cmd, (status, text) in tries.items():
        got = sh(labs, cmd)
        assert got == (status, text), cmd
    # (the lab shell's ls and cd word these themselves: the engine's answer is what counts)
    for cmd, why in {"cd /proc/self/root": "Permission denied", "ls /proc/self":
                     "Permission denied", "ls /proc/1": "No such file or directory"}.items():
        status, text = sh(labs, cmd)
        assert status != 0 and text.endswith(f": {why}\n"), cmd
    assert (labs["dir"] / "victim").read_text() == "untouched\n"
    listing = sh(labs, "ls /proc")[1].split()
    assert "net" in listing and "version" in listing
    assert not [name for name in listing if name.isdigit()], "the machine's processes show"


def test_kernel_settings_outside_net_are_refused(labs: dict) -> None:
    tries = {
        "cat /proc/sys/kernel/hostname": (1, "cat: /proc/sys/kernel/hostname: Permission "
                                             "denied\n"),
        "echo evil > /proc/sys/kernel/hostname": (1, "bash: /proc/sys/kernel/hostname: "
                                                     "Permission denied\n"),
        "echo 1 > /proc/sys/kernel/sysrq": (1, "bash: /proc/sys/kernel/sysrq: Permission "
                                               "denied\n"),
        "echo 1 > /proc/sys/vm/drop_caches": (1, "bash: /proc/sys/vm/drop_caches: Permission "
                                                 "denied\n"),
        "cat /proc/sys/nosuch": (1, "cat: /proc/sys/nosuch: No such file or directory\n"),
        "echo c > /proc/sysrq-trigger": (1, "bash: /proc/sysrq-trigger: " + (
            "Permission denied\n" if os.path.exists("/proc/sysrq-trigger")
            else "No such file or directory\n")),  # (a kernel without sysrq has none)
        "cat /sys/fs/cgroup/cgroup.procs": (1, "cat: /sys/fs/cgroup/cgroup.procs: Permission "
                                               "denied\n"),
        "cat /sys/kernel/uevent_seqnum": (1, "cat: /sys/kernel/uevent_seqnum: Permission "
                                             "denied\n"),
        "echo 1 > /sys/kernel/mm/ksm/run": (1, "bash: /sys/kernel/mm/ksm/run: Permission "
                                               "denied\n"),
        "cat /sys/devices/system/cpu/online": (1, "cat: /sys/devices/system/cpu/online: "
                                                  "Permission denied\n"),
        "cat /sys/nosuch": (1, "cat: /sys/nosuch: No such file or directory\n"),
        "cat /sys/class/net/ens33/subsystem/../../kernel/uevent_seqnum":
            (1, "cat: /sys/class/net/ens33/subsystem/../../kernel/uevent_seqnum: No such file "
                "or directory\n"),
    }
    for cmd, (status, text) in tries.items():
        assert sh(labs, cmd) == (status, text), cmd
    for cmd in ("ls /sys/kernel", "ls /sys/fs", "ls /sys/class/block", "ls /sys/module"):
        status, text = sh(labs, cmd)
        assert status == 2 and text.endswith(": Permission denied\n"), cmd


def test_the_lab_hosts_own_files_still_work(labs: dict) -> None:
    assert sh(labs, "ls /sys/class/net") == (0, "ens33  ens37  ens38  lo\n")
    assert sh(labs, "ls /sys/devices/virtual/net") == (0, "ens33  ens37  ens38  lo\n")
    assert sh(labs, "cat /sys/class/net/ens37/address") == (0, "00:0c:29:89:51:d4\n")
    assert sh(labs, "cat /sys/class/net/ens33/subsystem/ens38/address") == (
        0, "00:0c:29:89:51:de\n")
    assert "ens38:" in sh(labs, "cat /proc/net/dev")[1]
    assert sh(labs, "cat /proc/sys/net/ipv4/ip_forward", host="gw") == (0, "0\n")
    assert sh(labs, "echo 1 > /proc/sys/net/ipv4/ip_forward", host="gw") == (0, "")
    assert sh(labs, "cat /proc/sys/net/ipv4/ip_forward", host="gw") == (0, "1\n")
    assert sh(labs, "echo 0 > /proc/sys/net/ipv4/ip_forward", host="gw") == (0, "")
    assert sh(labs, "cat /proc/version")[1] == Path("/proc/version").read_text()
    assert sh(labs, "ls /proc/sys")[1].split() == sorted(os.listdir("/proc/sys"))


def test_a_symlink_out_of_the_hosts_sysfs_is_refused(labs: dict, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a device's link to lead out of class/net (a physical NIC's `device`), the engine
    resolves it and refuses: a sysfs stand-in with such a link."""
    engine = labs["lab"].engine
    fake = tmp_path / "sys"
    (fake / "class" / "net" / "ens33").mkdir(parents=True)
    (fake / "kernel").mkdir()
    (fake / "kernel" / "secret").write_text(labs["secret"])
    (fake / "class" / "net" / "ens33" / "device").symlink_to("../../../kernel")
    (fake / "class" / "net" / "ens33" / "mtu").write_text("1500\n")
    monkeypatch.setattr(engine, "_sysfs_root", lambda host: str(fake))
    assert engine.read_file("server", "/sys/class/net/ens33/mtu") == "1500\n"
    with pytest.raises(PermissionError):
        engine.read_file("server", "/sys/class/net/ens33/device/secret")
    with pytest.raises(PermissionError):
        engine.write_file("server", "/sys/class/net/ens33/device/secret", "x")
    with pytest.raises(PermissionError):
        engine.list_dir("server", "/sys/class/net/ens33/device")
    assert (fake / "kernel" / "secret").read_text() == labs["secret"]


# -- the real programs -------------------------------------------------------------------------
def test_netns_verbs_see_only_this_lab(labs: dict) -> None:
    names = {line.split()[0] for line in sh(labs, "ip netns list")[1].splitlines()}
    assert names == {f"{ME}-{h}" for h in HOSTS}
    assert not re.search(OTHER, sh(labs, "ip netns list-id")[1])
    before = netns_names()
    tries = {
        f"ip netns exec {ME}-server sh -c id": (1, 'exec of "sh" failed: No such file or '
                                                   "directory\n"),
        f"ip netns exec {ME}-server /bin/bash": (1, 'exec of "/bin/bash" failed: No such file '
                                                    "or directory\n"),
        f"ip netns exec {ME}-gw python3 -c 1": (1, 'exec of "python3" failed: No such file or '
                                                   "directory\n"),
        f"ip netns exec {OTHER}-server ip a": (255, f'Cannot open network namespace "{OTHER}-'
                                                    'server": No such file or directory\n'),
        f"ip -n {OTHER}-outside addr": (255, f'Cannot open network namespace "{OTHER}-outside":'
                                             " No such file or directory\n"),
        f"ip -netns {OTHER}-outside addr add 10.9.9.9/24 dev eth0":
            (255, f'Cannot open network namespace "{OTHER}-outside": No such file or '
                  "directory\n"),
        f"ip netns exec {ME}-outside ip -n {OTHER}-gw link set eth0 down":
            (255, f'Cannot open network namespace "{OTHER}-gw": No such file or directory\n'),
        f"ip netns del {OTHER}-server": (1, 'Cannot remove namespace file "/run/netns/'
                                            f'{OTHER}-server": Read-only file system\n'),
        f"ip netns del {ME}-gw": (1, f'Cannot remove namespace file "/run/netns/{ME}-gw": '
                                     "Read-only file system\n"),
        "ip netns add evil": (1, "mount --make-shared /run/netns failed: Operation not "
                                 "permitted\n"),
        f"ip netns add {ME}-server": (1, "mount --make-shared /run/netns failed: Operation "
                                         "not permitted\n"),
        f"ip netns add {OTHER}-server": (1, "mount --make-shared /run/netns failed: Operation "
                                            "not permitted\n"),
        "ip netns attach evil 1": (1, "mount --make-shared /run/netns failed: Operation not "
                                      "permitted\n"),
        f"ip link set ens38 netns {OTHER}-server": (255, 'Error: argument "lksb-server" is '
                                                         'wrong: Invalid "netns" value\n\n'),
        f"ip link set ens38 netns {os.getpid()}": (2, "RTNETLINK answers: No such process\n"),
    }
    for cmd, (status, text) in tries.items():
        assert sh(labs, cmd) == (status, text), cmd
    status, text = sh(labs, "ip -n ../../proc/1/ns/net link")
    assert status == 255 and text.startswith('Cannot open network namespace "../../proc/1/')
    ours = {f"{lab}-{h}" for lab in (ME, OTHER) for h in HOSTS}
    after = netns_names()  # (other labs of this machine may come and go meanwhile)
    assert ours <= after and "evil" not in after
    assert {n for n in after - before if n.startswith((f"{ME}-", f"{OTHER}-"))} == set()
    status, text = sh(labs, "ip -all netns exec ip -br link")
    assert status == 0 and OTHER not in text
    assert sorted(re.findall(r"^netns: (\S+)$", text, flags=re.M)) == sorted(
        f"{ME}-{h}" for h in HOSTS)
    status, text = sh(labs, "ip -all netns del")  # (ip stops at the first, status 0)
    assert text.endswith("Read-only file system\n")
    assert ours <= netns_names()


def test_netns_1_is_the_lab_host_itself(labs: dict) -> None:
    """PID 1 of a lab host's sandbox is its holder, in the host's own namespace: moving a link
    there leaves it where it is, as in a container; links made 'in netns 1' are the host's."""
    assert sh(labs, "ip link set ens38 netns 1") == (0, "")
    assert "ens38" in sh(labs, "ip -br link")[1]
    assert sh(labs, "ip link add lksx type veth peer name lksy netns 1") == (0, "")
    names = sh(labs, "ip -br link")[1]
    assert "lksx@lksy" in names and "lksy@lksx" in names
    assert sh(labs, "ip link del lksx") == (0, "")
    assert "lksx" not in root_namespace_state()["link"]


def test_this_labs_namespaces_by_name_still_work(labs: dict) -> None:
    status, text = sh(labs, f"ip -n {ME}-outside -br -4 addr")
    assert status == 0 and "192.168.1.10/24" in text
    status, text = sh(labs, f"ip netns exec {ME}-gw ip -br -4 addr")
    assert status == 0 and "192.168.1.1/24" in text
    status, text = sh(labs, f"ip netns exec {ME}-outside ip -n {ME}-gw -br -4 addr")
    assert status == 0 and "192.168.1.1/24" in text
    status, text = sh(labs, f"ip netns exec {ME}-outside ping -c 1 -W 2 192.168.1.60")
    assert status == 0 and "1 received" in text
    status, text = sh(labs, f"bridge -n {ME}-switch link")
    assert status == 0 and "sw37" in text
    assert sh(labs, f"ip netns exec {ME}-server sleep 0") == (0, "")


def test_batch_files_are_the_lab_hosts_own(labs: dict) -> None:
    secret_file = labs["dir"] / "secret"
    tries = {
        f"ip -batch {secret_file}": (1, f'Cannot open file "{secret_file}" for reading: No '
                                        "such file or directory\n"),
        f"ip -force -b {secret_file}": (1, f'Cannot open file "{secret_file}" for reading: '
                                           "No such file or directory\n"),
        "ip -batch /etc/shadow": (1, 'Cannot open file "/etc/shadow" for reading: No such '
                                     "file or directory\n"),
        "ip -batch /proc/self/environ": (1, 'Cannot open file "/proc/self/environ" for '
                                            "reading: Permission denied\n"),
        f"bridge -batch {secret_file}": (1, f'Cannot open file "{secret_file}" for reading: '
                                            "No such file or directory\n"),
        f"ip -n {ME}-gw -batch {secret_file}": (1, f'Cannot open file "{secret_file}" for '
                                                   "reading: No such file or directory\n"),
    }
    for cmd, (status, text) in tries.items():
        assert sh(labs, cmd) == (status, text), cmd
    # the lab host's own file: read by the shell, run by the real ip, named in its errors
    assert sh(labs, "echo 'link show lo' > /root/cmds && echo frob >> /root/cmds") == (0, "")
    status, text = sh(labs, "ip -batch /root/cmds")
    assert status == 1
    assert text.endswith('Object "frob" is unknown, try "ip help".\n'
                         "Command failed /root/cmds:2\n")
    assert text.startswith("1: lo: <LOOPBACK,UP,LOWER_UP>")
    status, text = sh(labs, f"ip monitor file {secret_file}")
    assert status != 0 and labs["secret"] not in text


def test_pings_to_the_machine_stay_in_the_lab(labs: dict) -> None:
    mine = [a["local"] for link in json.loads(root_namespace_state()["addr"] or "[]")
            for a in link.get("addr_info", []) if a.get("family") == "inet"
            and not a["local"].startswith("127.")]
    for address in mine[:2]:
        status, text = sh(labs, f"ping -c 1 -W 1 {address}", host="outside")
        assert status != 0 and (" 0 received" in text or "unreachable" in text), text


def test_real_programs_run_confined(labs: dict) -> None:
    status, text = sh(labs, f"ip netns exec {ME}-server /usr/bin/setpriv --dump")
    assert status == 0
    assert "Capability bounding set: net_admin,net_raw\n" in text
    assert "no_new_privs: 1\n" in text
    # its own PID namespace: the lab host's processes only, numbered from 1
    sh(labs, "ping -c 50 -i 0.2 192.168.1.1 &", host="outside")
    status, text = sh(labs, f"ip netns pids {ME}-outside", host="outside")
    assert status == 0 and text and all(int(p) < 100 for p in text.split())


def test_confined_output_is_the_programs_own(labs: dict) -> None:
    """The sandbox changes nothing the programs print: the same commands, unconfined (the
    test's own nsenter), give the same text."""
    commands = ["ip link", "ip -d link", "ip addr", "ip -br a", "ip route", "ip -6 route",
                "ip netns list", "bridge link", "ifconfig -a", "ip -j link"]
    for host in ("server", "switch"):
        for cmd in commands:
            confined = sh(labs, cmd, host=host)
            free = subprocess.run(["nsenter", f"--net=/run/netns/{ME}-{host}", "--", "sh",
                                   "-c", f"{cmd} 2>&1"], capture_output=True, text=True,
                                  env=sandbox.ENV, check=False)
            # what moves by itself between two looks: counters and the bridge's timers
            counters = re.compile(r"(packets|bytes|errors|dropped) \d+( \([^)]*\))?"
                                  r"|_timer +[\d.]+")
            free_text = free.stdout
            if cmd == "ip netns list":  # the test sees every lab, the lab itself (in the
                # order of its own directory)
                free_text = "".join(sorted(ln + "\n" for ln in free.stdout.splitlines()
                                           if ln.startswith(f"{ME}-")))
                confined = confined[0], "".join(sorted(confined[1].splitlines(True)))
            mine, theirs = counters.sub("", confined[1]), counters.sub("", free_text)
            assert (confined[0], mine) == (free.returncode, theirs), f"{host}: {cmd}\n" + "".join(
                difflib.unified_diff(theirs.splitlines(True), mine.splitlines(True)))


# -- lifetime ----------------------------------------------------------------------------------
def inside(paths: list[str]) -> list[int]:
    """Pids of the processes whose network namespace is one of `paths`."""
    ids = set()
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        ids.add((st.st_dev, st.st_ino))
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in ids:
            found.append(int(entry))
    return found


def test_close_ends_background_programs() -> None:
    lab = Lab(engine="netns", networkmanager=False, lab_id="lksc").start()
    paths = [f"/run/netns/lksc-{h}" for h in HOSTS]
    lab.sh("ping -c 300 -i 0.2 192.168.1.1 &", host="outside")
    assert inside(paths), "the ping and its sandbox run inside the lab"
    record = lab.engine._record
    assert record is not None and len(record.processes) >= 3  # holder, its init, the ping
    pids = [p for p, _ in record.processes]
    lab.close()
    deadline = time.monotonic() + 10  # an init not ours is reaped by the machine's init
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []
    assert not inside(paths)


KILLED = """
import os, sys
from labkit import Lab
lab = Lab(engine="netns", networkmanager=False, lab_id="lksd").start()
lab.sh("ping -c 300 -i 0.2 192.168.1.1 &", host="outside")
lab.sh("ip link", host="server")
print("running", flush=True)
sys.stdin.readline()
"""


def test_kill_9_of_labkit_ends_every_real_program() -> None:
    """The holder's chain of parent-death signals: no process stays in the lab's namespaces
    once labkit's process is gone, before any cleanup runs."""
    paths = [f"/run/netns/lksd-{h}" for h in HOSTS]
    proc = subprocess.Popen([sys.executable, "-c", KILLED], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "running\n"
        held = [os.open(p, os.O_RDONLY) for p in paths]  # their identity stays ours to find
        assert inside(paths)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while inside(paths) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [(pid, Path(f"/proc/{pid}/comm").read_text().strip()) for pid in inside(paths)]
        assert left == []
        for fd in held:
            os.close(fd)
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run([sys.executable, "-m", "labkit", "cleanup", "lksd"], cwd=ROOT,
                       capture_output=True, timeout=60)
    assert not [n for n in netns_names() if n.startswith("lksd-")]
