"""Break-fix challenges: a lab that starts broken the way admins meet it, and the symptom.

Each challenge is data, in one place: the command lines that break a fresh lab (in the lab's
own words, the scenario format of labkit.replay: `$ CMD` on the server, `HOST$ CMD`
elsewhere, `switch$ ip link set sw37 down` pulls a cable, `@sleep S` lets time pass), what a
user reports, and the command whose output shows the symptom. A lesson starts one with

    challenges.start(lab, "05-miimon-zero")

which resets the lab (as it started), breaks it, and prints the report and the symptom; its
exercise cell is the repair, its check cell judges it (labkit.checks). Every breakage was run on
Linux 6.1 with NetworkManager 1.42 (tests/scenarios/*/30-challenge-*.scn, recorded in
tests/data/), so what the sim shows after it is what the real machine shows. The report and
the task are labkit's words (`N_`-marked here), said in the lab's language (labkit.i18n).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit import i18n, usage
from labkit.errors import LabkitError, UsageValueError, quote
from labkit.i18n import N_, _

if TYPE_CHECKING:
    from labkit.lab import Lab
    from labkit.replay.scenario import Item


@dataclass(frozen=True)
class Challenge:
    """One broken lab: how it breaks, what the user says, what shows the symptom."""

    ident: str  # NN-name: the exercise that repairs it carries the same id
    networkmanager: bool  # whether the lab it breaks runs NetworkManager
    breakage: str  # scenario lines run on a fresh lab
    report: str  # what the user who met it says (English; _(report) in the lab's language)
    symptom: tuple[str, str]  # (host, command line): what the learner sees first
    task: str  # what the repair must achieve (the exercise's goal in one sentence)

    def items(self) -> list[Item]:
        """The breakage as scenario items (what labkit.replay runs)."""
        from labkit.replay.scenario import parse_scenario

        return parse_scenario(self.breakage, source=f"challenge {self.ident}")


_NM_BOND = ("nmcli connection add type bond con-name bond0 ifname bond0 {options} "
            "ipv4.method manual ipv4.addresses 192.168.1.61/24 ipv6.method ignore")

CHALLENGES: dict[str, Challenge] = {c.ident: c for c in (
    Challenge(
        ident="05-miimon-zero",
        networkmanager=True,
        breakage="\n".join((
            "# bond0 as a colleague made it, with miimon=0 (it looked like a harmless default)",
            "$ " + _NM_BOND.format(options='bond.options "mode=active-backup,miimon=0"'),
            "$ nmcli connection add type bond-slave ifname ens37 master bond0",
            "$ nmcli connection add type bond-slave ifname ens38 master bond0",
            "$ nmcli connection modify ens37 connection.autoconnect no",
            "$ nmcli connection modify ens38 connection.autoconnect no",
            "@sleep 3",
            "# ens33 out of the picture (no ARP flux), as in the lesson",
            "$ nmcli connection down ens33",
            "switch$ ip link set sw33 down",
            "@sleep 1",
            "# the incident: ens37's switch port is taken out for maintenance",
            "switch$ ip link set sw37 down",
            "@sleep 2",
        )),
        report=N_("From the network team: \"We took the switch port of ens37 out for "
                "maintenance, as announced. The server has not answered on 192.168.1.61 "
                "since, although ens38 is plugged in and its link is up. Wasn't the bond "
                "meant to survive exactly this?\""),
        symptom=("outside", "ping -c 3 -W 2 192.168.1.61"),
        task=N_("Find out why bond0 did not fail over to ens38, and repair its profile so that "
              "it notices a pulled cable (ens37's cable stays out)."),
    ),
    Challenge(
        ident="06-port-on-its-own-profile",
        networkmanager=True,
        breakage="\n".join((
            "# last week ens38 was given an address for a test, on its own profile",
            "$ nmcli connection modify ens38 ipv4.method manual ipv4.addresses 192.168.1.70/24",
            "$ nmcli connection up ens38",
            "@sleep 3",
            "# then bond0 was built with ens37 and ens38, as the walkthrough does it",
            "$ " + _NM_BOND.format(options="mode active-backup"),
            "$ nmcli connection add type bond-slave ifname ens37 master bond0",
            "$ nmcli connection add type bond-slave ifname ens38 master bond0",
            "$ nmcli connection modify ens37 connection.autoconnect no",
            "@sleep 3",
        )),
        report=N_("From monitoring: \"bond0 on the server has only one port (it should have "
                "two: ens37 and ens38). And the test address 192.168.1.70 still answers, "
                "though that test ended last week.\""),
        symptom=("server", "cat /proc/net/bonding/bond0"),
        task=N_("Make ens38 a port of bond0, and leave its old profile no way to claim the "
              "port again (nor 192.168.1.70 on it)."),
    ),
    Challenge(
        ident="07-mode-typo",
        networkmanager=False,
        breakage="\n".join((
            "# no ARP flux: the bond is the server's only way in, as in the lesson",
            "$ ip link set ens33 down",
            "# an active-backup bond, from a how-to that numbers the modes (mode 1 meant)",
            "$ ip link add bond0 type bond mode 3 miimon 100",
            "$ ip link set ens37 down",
            "$ ip link set ens37 master bond0",
            "$ ip link set ens38 down",
            "$ ip link set ens38 master bond0",
            "$ ip link set bond0 up",
            "$ ip addr add 192.168.1.61/24 dev bond0",
            "@sleep 3",
        )),
        report=N_("From a user on outside: \"Every ping to the server comes back twice, the "
                "second one marked DUP!. Is the network broken?\""),
        symptom=("outside", "ping -c 3 192.168.1.61"),
        task=N_("Make bond0 the active-backup bond (miimon 100, ens37 and ens38, "
              "192.168.1.61/24) it was meant to be, so each ping gets one reply."),
    ),
)}


def get(ident: str) -> Challenge:
    """The challenge called `ident`; a clear error naming the ones there are otherwise."""
    usage.name("challenges.get", "ident", ident)
    if ident not in CHALLENGES:
        raise UsageValueError(_("challenges: there is no challenge {ident} (there are: "
                                "{known})").format(ident=quote(ident), known=", ".join(CHALLENGES)))
    return CHALLENGES[ident]


def start(lab: Lab, ident: str) -> None:
    """Reset `lab` (as it started), break it as challenge `ident` says, and print what the
    user reported, the task and the symptom as the learner would see it typed."""
    from labkit.lab import Lab

    usage.instance("challenges.start", "lab", lab, Lab, "a Lab")
    with i18n.speaking(i18n.of_lab(lab)):
        _start(lab, ident)


def _start(lab: Lab, ident: str) -> None:
    from labkit.replay.runner import replay

    challenge = get(ident)
    if lab.networkmanager != challenge.networkmanager:
        how = "Lab()" if challenge.networkmanager else "Lab(networkmanager=False)"
        raise LabkitError((_("challenge {ident} breaks a lab with NetworkManager; this one is "
                             "without it: start the challenge on a {how}")
                           if challenge.networkmanager else
                           _("challenge {ident} breaks a lab without NetworkManager; this one "
                             "is with it: start the challenge on a {how}")).format(
                                 ident=ident, how=how))
    lab.reset()
    replay(challenge.items(), lab, source=f"challenge {ident}")
    host, cmd = challenge.symptom
    shown = lab.sh(cmd, host=host)
    print(_("Challenge {ident}: the lab is broken.").format(ident=ident) + "\n\n"
          + _(challenge.report) + "\n\n" + _("Your task: {task}").format(task=_(challenge.task))
          + f"\n\n[{host}]$ {cmd}\n{shown.stdout.rstrip()}")
