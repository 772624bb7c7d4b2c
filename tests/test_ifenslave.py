"""ifenslave (CentOS 7's, ifenslave.c v1.1.0) on the sim lab.

Every expected text below is a format string of the C source, quoted with where it is: ifenslave.c
from ifenslave.tar.gz of iputils-20160308-10.el7.src.rpm (github:eurolinux-enterprise-linux-
sources/iputils, commit ef52b9d; byte-identical to Documentation/networking/ifenslave.c of
github:tremb1e/linux-3.10.0-1160.el7; see docs/ifenslave.md), and glibc 2.17's getopt for the
option errors.
"""

from __future__ import annotations

import tempfile

import pytest

from labkit.engines.sim.engine import SimEngine
from labkit.files import LabFiles
from labkit.model.topology import load_topology
from labkit.shell.programs.ifenslave import ifenslave
from labkit.shell.session import Invocation, Shell

# -- texts of ifenslave.c (el7 iputils ifenslave.tar.gz; = the EL7 kernel's Documentation copy) --
# static char *version = APP_NAME ".c:v" APP_VERSION " (" APP_RELDATE ")\n" ...
VERSION = (
    "ifenslave.c:v1.1.0 (December 1, 2003)\n"
    "o Donald Becker (becker@cesdis.gsfc.nasa.gov).\n"
    "o Detach support added on 2000/10/02 by Willy Tarreau (willy at meta-x.org).\n"
    "o 2.4 kernel support added on 2001/02/16 by Chad N. Tindel\n"
    "  (ctindel at ieee dot org).\n"
)
# static const char *usage_msg
USAGE = (
    "Usage: ifenslave [-f] <master-if> <slave-if> [<slave-if>...]\n"
    "       ifenslave -d   <master-if> <slave-if> [<slave-if>...]\n"
    "       ifenslave -c   <master-if> <slave-if>\n"
    "       ifenslave --help\n"
)
# main(): "Illegal operation; the specified master interface " "'%s' is not up.\n"
NOT_UP = "Illegal operation; the specified master interface '%s' is not up.\n"
# main(): "Illegal operation; the specified interface '%s' " "is not a master. Aborting\n"
NOT_MASTER = "Illegal operation; the specified interface '%s' is not a master. Aborting\n"
# main(): "Master '%s': Error: handshake with driver failed. " "Aborting\n"
HANDSHAKE = "Master '%s': Error: handshake with driver failed. Aborting\n"
# main(), -c: "Master '%s', Slave '%s': Error: " "Change active failed\n"
CHANGE_FAILED = "Master '%s', Slave '%s': Error: Change active failed\n"
# main(), -c: "Slave '%s': Error: get flags failed. " "Aborting\n"   (res = -1: status 255)
GET_FLAGS_ABORT = "Slave '%s': Error: get flags failed. Aborting\n"
# main(), enslave loop: "Master '%s', Slave '%s': Error: " "Enslave failed\n"
ENSLAVE_FAILED = "Master '%s', Slave '%s': Error: Enslave failed\n"
# main(), -d loop: "Master '%s', Slave '%s': Error: " "Release failed\n"
RELEASE_FAILED = "Master '%s', Slave '%s': Error: Release failed\n"
# main(), enslave loop: "Slave '%s': Error: get " "settings failed: %s. " "Skipping\n"
#   (res = rv = the errno, so the status is ENODEV = 19)
GET_SETTINGS_SKIP = "Slave '%s': Error: get settings failed: %s. Skipping\n"
# enslave(): "Illegal operation: The specified slave interface " "'%s' is already a slave\n"
ALREADY_SLAVE = "Illegal operation: The specified slave interface '%s' is already a slave\n"
# change_active(), release(): "Illegal operation: The specified slave interface "
#   "'%s' is not a slave\n"
NOT_SLAVE = "Illegal operation: The specified slave interface '%s' is not a slave\n"
# change_active() (v_print, -v only): "Master '%s': Error: SIOCBONDCHANGEACTIVE failed: " "%s\n"
V_CHANGE_FAILED = "Master '%s': Error: SIOCBONDCHANGEACTIVE failed: %s\n"
# if_print(): "%s: unknown interface.\n"
# if_getconfig(): "The result of SIOCGIFFLAGS on %s is %x.\n"
UNKNOWN_IF = "%s: unknown interface.\n"
FLAGS_LINE = "The result of SIOCGIFFLAGS on %s is %x.\n"
# glibc 2.17 posix/getopt.c: _("%s: invalid option -- '%c'\n")
GETOPT_INVALID = "%s: invalid option -- '%c'\n"


@pytest.fixture
def lab():
    engine = SimEngine()
    engine.build(load_topology("centos7-bond"), "labkit")
    shell = Shell(engine, LabFiles(tempfile.mkdtemp()))
    shell.programs["ifenslave"] = ifenslave  # until the program registry lists it
    return engine, shell


def call(shell: Shell, *argv: str) -> tuple[int, str, str]:
    """Run ifenslave on server: (status, stdout, stderr)."""
    inv = Invocation(argv=["ifenslave", *argv], stdin="", host="server", shell=shell)
    status = ifenslave(inv)
    return status, inv.io.text(1), inv.io.text(2)


def make_bond(engine: SimEngine, mode: int = 1, slaves=("ens37", "ens38"), up: bool = True):
    """The walkthrough's bond: active-backup, miimon 100, ens37 then ens38 (through the engine)."""
    engine.link_add("server", "bond0", "bond", options={"mode": mode, "miimon": 100})
    for name in slaves:
        engine.link_set("server", name, up=False)
        engine.link_set("server", name, master="bond0")
    if up:
        engine.link_set("server", "bond0", up=True)
    engine.clock.sleep(1)


def proc(engine: SimEngine) -> str:
    return engine.read_file("server", "/proc/net/bonding/bond0")


# -- the walkthrough ---------------------------------------------------------------------------
def test_walkthrough_change_active_prints_nothing(lab):
    engine, shell = lab
    make_bond(engine)
    assert "Currently Active Slave: ens37\n" in proc(engine)
    result = shell.run("ifenslave -c bond0 ens38")
    assert (result.returncode, result.stdout) == (0, "")
    assert "Currently Active Slave: ens38\n" in proc(engine)
    grep = shell.run("cat /proc/net/bonding/bond0 | grep Currently")
    assert grep.stdout == "Currently Active Slave: ens38\n"


def test_change_active_to_the_current_slave_is_a_silent_success(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-c", "bond0", "ens37") == (0, "", "")
    assert "Currently Active Slave: ens37\n" in proc(engine)


def test_change_active_options_anywhere_and_long_form(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "bond0", "--change-active", "ens38") == (0, "", "")
    assert "Currently Active Slave: ens38\n" in proc(engine)
    assert call(shell, "--change", "bond0", "ens37") == (0, "", "")
    assert "Currently Active Slave: ens37\n" in proc(engine)


# -- -c failures -------------------------------------------------------------------------------
def test_change_active_to_a_slave_whose_cable_is_pulled(lab):
    engine, shell = lab
    make_bond(engine)
    engine.link_set("switch", "sw38", up=False)
    engine.clock.sleep(1)
    # the kernel refuses (EINVAL: "either ens38 is down or the link is down"); without -v the
    # program prints only its own line, no strerror; change_active() returned 1
    assert call(shell, "-c", "bond0", "ens38") == (1, "", CHANGE_FAILED % ("bond0", "ens38"))
    assert "Currently Active Slave: ens37\n" in proc(engine)


def test_change_active_verbose_shows_the_errno(lab):
    engine, shell = lab
    make_bond(engine)
    engine.link_set("switch", "sw38", up=False)
    engine.clock.sleep(1)
    status, out, err = call(shell, "-v", "-c", "bond0", "ens38")
    assert status == 1
    assert out == VERSION  # -v prints the version first, on stdout
    assert err == ("ABI ver is 2\n"  # get_drv_info(): v_print("ABI ver is %d\n", abi_ver)
                   # get_slave_flags(): v_print("Slave %s: flags %04X.\n", ...):
                   # IFF_UP|IFF_BROADCAST|IFF_SLAVE|IFF_MULTICAST, no IFF_RUNNING
                   "Slave ens38: flags 1803.\n"
                   + V_CHANGE_FAILED % ("bond0", "Invalid argument")
                   + CHANGE_FAILED % ("bond0", "ens38"))


def test_change_active_on_a_bond_that_is_down(lab):
    engine, shell = lab
    make_bond(engine, up=False)
    assert call(shell, "-c", "bond0", "ens38") == (1, "", NOT_UP % "bond0")
    result = shell.run("ifenslave -c bond0 ens38")
    assert result.stdout == "Illegal operation; the specified master interface 'bond0' is not up.\n"
    assert result.returncode == 1


def test_change_active_in_a_mode_without_active_slave(lab):
    engine, shell = lab
    make_bond(engine, mode=0)  # balance-rr: the kernel answers EACCES (mode dependency)
    assert call(shell, "-c", "bond0", "ens38") == (1, "", CHANGE_FAILED % ("bond0", "ens38"))
    status, _, err = call(shell, "-v", "-c", "bond0", "ens38")
    assert status == 1
    assert V_CHANGE_FAILED % ("bond0", "Permission denied") in err


def test_change_active_to_a_non_slave(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-c", "bond0", "ens33") == (
        1, "", NOT_SLAVE % "ens33" + CHANGE_FAILED % ("bond0", "ens33"))


def test_change_active_to_a_missing_slave(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-c", "bond0", "ens99") == (255, "", GET_FLAGS_ABORT % "ens99")


def test_master_checks(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-c", "bond7", "ens38") == (1, "", HANDSHAKE % "bond7")
    assert call(shell, "-c", "ens33", "ens38") == (1, "", NOT_MASTER % "ens33")


# -- enslave -----------------------------------------------------------------------------------
def test_enslave_takes_the_slaves_down_then_the_driver_brings_them_up(lab):
    engine, shell = lab
    engine.link_add("server", "bond0", "bond", options={"mode": 1, "miimon": 100})
    engine.link_set("server", "bond0", up=True)
    assert engine.snapshot("server").link("ens37").is_up  # up, as the walkthrough left it
    assert call(shell, "bond0", "ens37", "ens38") == (0, "", "")
    engine.clock.sleep(1)
    snap = engine.snapshot("server")
    for name in ("ens37", "ens38"):
        link = snap.link(name)
        assert link.master == "bond0" and "SLAVE" in link.flags and link.is_up
    assert snap.link("bond0").address == "00:0c:29:89:51:d4"  # the first slave's MAC
    text = proc(engine)
    assert "Slave Interface: ens37\n" in text and "Slave Interface: ens38\n" in text
    assert "Currently Active Slave: ens37\n" in text


def test_enslave_into_a_bond_that_is_down(lab):
    engine, shell = lab
    engine.link_add("server", "bond0", "bond", options={"mode": 1, "miimon": 100})
    assert call(shell, "bond0", "ens37") == (1, "", NOT_UP % "bond0")
    assert engine.snapshot("server").link("ens37").master is None


def test_enslave_an_existing_slave(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "bond0", "ens37") == (
        1, "", ALREADY_SLAVE % "ens37" + ENSLAVE_FAILED % ("bond0", "ens37"))


def test_enslave_a_missing_interface_skips_it_with_errno_status(lab):
    engine, shell = lab
    make_bond(engine, slaves=("ens37",))
    status, out, err = call(shell, "bond0", "ens99", "ens38")
    assert (status, out) == (19, "")
    assert err == GET_SETTINGS_SKIP % ("ens99", "No such device")
    assert engine.snapshot("server").link("ens38").master == "bond0"  # the next one still went


def test_enslave_clears_the_slaves_ipv4_address(lab):
    engine, shell = lab
    engine.link_add("server", "bond0", "bond", options={"mode": 1, "miimon": 100})
    engine.link_set("server", "bond0", up=True)
    engine.addr_add("server", "ens37", "10.0.0.7/24")
    assert call(shell, "bond0", "ens37") == (0, "", "")
    assert not engine.snapshot("server").addresses_of("ens37", 4)


# -- release -----------------------------------------------------------------------------------
def test_detach(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-d", "bond0", "ens37") == (0, "", "")
    snap = engine.snapshot("server")
    link = snap.link("ens37")
    assert link.master is None and "SLAVE" not in link.flags
    assert not link.is_up  # the driver closes a released slave
    assert link.mtu == 1500
    assert link.address == "00:0c:29:89:51:d4"
    text = proc(engine)
    assert "Slave Interface: ens37\n" not in text
    assert "Currently Active Slave: ens38\n" in text
    # a second time it is no slave any more
    assert call(shell, "-d", "bond0", "ens37") == (
        1, "", NOT_SLAVE % "ens37" + RELEASE_FAILED % ("bond0", "ens37"))


def test_detach_several_keeps_going(lab):
    engine, shell = lab
    make_bond(engine)
    status, _, err = call(shell, "--detach", "bond0", "ens33", "ens37", "ens38")
    assert status == 1
    assert err == NOT_SLAVE % "ens33" + RELEASE_FAILED % ("bond0", "ens33")
    assert engine.snapshot("server").link("bond0").bond.slaves == ()


# -- show --------------------------------------------------------------------------------------
def test_show_master_without_ipv4_address(lab):
    engine, shell = lab
    make_bond(engine)
    # flags IFF_UP|IFF_BROADCAST|IFF_RUNNING|IFF_MASTER|IFF_MULTICAST; SIOCGIFADDR then fails
    assert call(shell, "bond0") == (0, FLAGS_LINE % ("bond0", 0x1443), UNKNOWN_IF % "bond0")


def test_show_master_with_ipv4_address(lab):
    engine, shell = lab
    make_bond(engine)
    engine.addr_add("server", "bond0", "192.168.1.61/24")
    status, out, err = call(shell, "bond0")
    assert (status, err) == (0, "")
    # if_getconfig() with iputils-ifenslave.patch: "%2.2x.%2.2x.%2.2x.%2.2x.\n" of the signed
    # char bytes sa_data[2..5], "type %d  %2.2x:...\n", "is %d\n", "is %d\n"
    assert out == (FLAGS_LINE % ("bond0", 0x1443)
                   + "The result of SIOCGIFADDR is ffffffc0.ffffffa8.01.3d.\n"
                   "The result of SIOCGIFHWADDR is type 1  00:0c:29:89:51:d4.\n"
                   "The result of SIOCGIFMETRIC is 0\n"
                   "The result of SIOCGIFMTU is 1500\n")


# -- options -----------------------------------------------------------------------------------
def test_usage_and_version(lab):
    _, shell = lab
    assert call(shell) == (2, "", USAGE)
    assert call(shell, "-V") == (0, VERSION, "")
    assert call(shell, "--version") == (0, VERSION, "")
    assert call(shell, "-u") == (0, USAGE, "")
    status, out, err = call(shell, "-h")
    assert (status, err) == (0, "")
    assert out.startswith(USAGE + "\n       To create a bond device, simply follow these three")
    assert out.endswith("       # ifenslave {-h|--help}    This message\n\n")


def test_bad_or_missing_arguments(lab):
    engine, shell = lab
    make_bond(engine)
    assert call(shell, "-x", "bond0") == (2, "", GETOPT_INVALID % ("ifenslave", "x") + USAGE)
    assert call(shell, "-c", "-d", "bond0", "ens37") == (2, "", USAGE)  # exclusive options
    assert call(shell, "-c", "bond0") == (2, "", USAGE)  # -c needs a slave
    assert call(shell, "-d", "bond0") == (2, "", USAGE)
    assert call(shell, "-a", "bond0") == (2, "", USAGE)
    # glibc: "%s: option '%s' is ambiguous; possibilities:" then " '--%s'" for each
    assert call(shell, "--ver") == (
        2, "", "ifenslave: option '--ver' is ambiguous; possibilities: '--verbose' '--version'\n"
        + USAGE)
    # glibc 2.17: _("%s: unrecognized option '--%s'\n")
    assert call(shell, "--bogus") == (2, "", "ifenslave: unrecognized option '--bogus'\n" + USAGE)
    # -v alone: the version on stdout, then the usage for the missing master
    assert call(shell, "-v") == (2, VERSION, USAGE)


def test_via_the_shell_unknown_option(lab):
    _, shell = lab
    result = shell.run("ifenslave -z")
    assert result.returncode == 2
    assert result.stdout == "ifenslave: invalid option -- 'z'\n" + USAGE
