"""The three states of a connection (labkit.nm.states) and their view: the kernel's addresses
only under the device, what differs first, the lesson's rows always, never a cut-short table."""

from __future__ import annotations

from labkit import Lab
from labkit.nm.states import KERNEL_ROW

PATH = "/etc/NetworkManager/system-connections/bond0.nmconnection"


def test_states_after_an_edit_and_a_restart_show_what_differs_first() -> None:
    with Lab(engine="sim", stable_uuids=True) as lab:
        lab.sh("nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup "
               "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore")
        lab.sleep(3)
        agree = lab.nm.states("bond0")
        kernel = next(r for r in agree.rows if r[0] == KERNEL_ROW)
        assert kernel == (KERNEL_ROW, "", "", "192.168.1.61/24")  # the kernel's, not the file's
        assert agree.differences() == []
        text = str(agree)
        lines = text.splitlines()
        assert lines[0] == f"bond0: file {PATH}; device bond0; all three states agree"
        assert lines[1].split() == ["property", "file", "on", "disk", "profile", "in", "NM",
                                    "applied", "on", "device"]
        assert [x.split()[0] for x in lines[2:-1]] == [
            "connection.autoconnect", "connection.interface-name", "connection.master",
            "bond.options", "ipv4.method", "ipv4.addresses", "ipv4.gateway", "ipv4.dns",
            "ipv6.method", "kernel:"]
        others = len(agree.rows) - 10
        assert others > 50 and lines[-1] == (f"... and {others} other properties, the same in "
                                             "all three states (.frame() has every row)")
        assert len(agree.frame()) == len(agree.rows)

        lab.sh(f"sed -i 's/192.168.1.61/192.168.1.62/' {PATH}")
        edited = lab.nm.states("bond0")
        assert [r[0] for r in edited.differences()] == ["ipv4.addresses", KERNEL_ROW]
        lines = str(edited).splitlines()
        assert lines[0].endswith("; 2 properties differ")
        assert lines[2].split() == ["*", "ipv4.addresses", "192.168.1.62/24", "192.168.1.61/24",
                                    "192.168.1.61/24"]
        assert lines[3].split() == ["*", "kernel:", "IPv4", "addresses", "--", "--",
                                    "192.168.1.61/24"]

        lab.sh("systemctl restart NetworkManager")
        lab.sleep(3)
        restarted = lab.nm.states("bond0")
        assert restarted.differences() == [(KERNEL_ROW, "", "", "192.168.1.61/24,192.168.1.62/24")]
        html = restarted._repr_mimebundle_()["text/html"]
        assert html.index(KERNEL_ROW) < html.index("connection.autoconnect")
        assert "<td" in html and "..." not in html.split("<table>")[1].split("</table>")[0]
