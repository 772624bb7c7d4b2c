"""The machine's packages: which programs and files a flavour's machine has, and udev applying
the host's own .link files (labkit/model/packages.py, labkit/system/udev.py). What real Debian 12
does with the ifenslave package is recorded in tests/data/nm/40-ifenslave-package.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import Lab
from labkit.errors import LabkitError
from labkit.model import packages
from labkit.system.host import MACHINE_ID
from labkit.system.udev import persistent_mac
from labkit.usage import UsageTypeError

BOND = ("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
        "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore; "
        "nmcli connection add type bond-slave ifname ens37 master bond0; "
        "nmcli connection add type bond-slave ifname ens38 master bond0")
ENS37_MAC = "00:0c:29:89:51:d4"


def macs(lab: Lab) -> dict[str, str]:
    return {name: lab.snapshot().link(name).address for name in ("bond0", "ens37", "ens38")}


def test_systemds_link_file_is_debian_12s_own() -> None:
    real = Path("/lib/systemd/network/99-default.link")
    if not real.exists() or "MACAddressPolicy=persistent" not in real.read_text():
        pytest.skip("this machine is not a Debian 12 with systemd 252's 99-default.link")
    assert packages.DEFAULT_LINK == real.read_text()


def test_debian_12_has_no_ifenslave_and_udev_gives_the_bond_its_own_mac() -> None:
    with Lab(engine="sim") as lab:
        missing = lab.sh("ifenslave -c bond0 ens38")
        assert (missing.returncode, missing.stdout) == (127, "bash: ifenslave: command not found\n")
        assert lab.sh("ls /lib/systemd/network").stdout == "99-default.link\n"
        lab.sh(BOND)
        lab.sleep(3)
        mac = persistent_mac(MACHINE_ID, "bond0")
        assert macs(lab) == {"bond0": mac, "ens37": mac, "ens38": mac}


def test_the_ifenslave_package_leaves_the_bond_its_first_ports_mac() -> None:
    with Lab(engine="sim", packages=["ifenslave"]) as lab:
        assert lab.sh("ifenslave").returncode == 127  # the package has no program since 2.10
        assert lab.sh("ls /lib/systemd/network").stdout == (
            "98-net-bonding.link  99-default.link\n")
        lab.sh(BOND)
        lab.sleep(3)
        assert macs(lab) == dict.fromkeys(("bond0", "ens37", "ens38"), ENS37_MAC)
        # the reset lab is the same machine
        lab.reset()
        assert lab.files.exists("server", "/lib/systemd/network/98-net-bonding.link")


def test_a_link_file_in_etc_hides_the_one_of_the_same_name_in_lib() -> None:
    with Lab(engine="sim", packages=["ifenslave"]) as lab:
        lab.sh("echo '[Match]' > /etc/systemd/network/98-net-bonding.link")
        lab.sh("echo 'Driver=nothing-here' >> /etc/systemd/network/98-net-bonding.link")
        lab.sh(BOND)
        lab.sleep(3)
        assert macs(lab)["bond0"] == persistent_mac(MACHINE_ID, "bond0")  # 99-default's


def test_centos7s_iputils_brings_ifenslave() -> None:
    with Lab(engine="sim", flavour="centos7", networkmanager=False) as lab:
        usage = lab.sh("ifenslave")
        assert usage.returncode != 127 and "Usage: ifenslave" in usage.stdout


def test_packages_the_machine_has_not_got_are_refused_in_a_sentence() -> None:
    with pytest.raises(LabkitError, match=r"the nm142 machine has no package 'ifenslav' to "
                                          r"install \(it offers: ifenslave, systemd\)"):
        Lab(engine="sim", packages=["ifenslav"])
    with pytest.raises(LabkitError, match="no package 'ifenslave'"):
        Lab(engine="sim", flavour="centos7", packages=["ifenslave"])
    with pytest.raises(UsageTypeError, match="packages must be a list"):
        Lab(engine="sim", packages="ifenslave")
