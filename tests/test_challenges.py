"""The break-fix challenges on the sim: each lab starts broken (its check fails), the repair the
lesson documents (its solution block, typed through lab.sh) makes the check pass, and wrong
repairs still fail. The repair and the check are read from the lesson, the breakage from
labkit.challenges, and the breakage is what was recorded on the real kernel and NetworkManager."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labkit import Lab, LabkitError, UsageError, challenges, checks
from labkit.course import sources
from labkit.replay.scenario import Command, LabOption, Sleep, load_scenario

ROOT = Path(__file__).resolve().parent.parent
LESSON_OF = {"05-miimon-zero": "05-pull-the-cable", "06-port-on-its-own-profile":
             "06-change-the-ip", "07-mode-typo": "07-beyond-active-backup"}
RECORDED = {"05-miimon-zero": ("nm", "30-challenge-miimon-zero"),
            "06-port-on-its-own-profile": ("nm", "31-challenge-port-on-its-own-profile"),
            "07-mode-typo": ("kernel", "30-challenge-mode-typo")}
SYMPTOM = {  # what the learner must be shown: the trouble the user reported
    "05-miimon-zero": "3 packets transmitted, 0 received",
    "06-port-on-its-own-profile": "Slave Interface: ens37\n",
    "07-mode-typo": "icmp_seq=1 ttl=64 time=0.050 ms (DUP!)",
}
WRONG = {  # repairs a learner might try, each leaving something the check must see
    "05-miimon-zero": [
        ["echo 100 > /sys/class/net/bond0/bonding/miimon"],  # the kernel's, not the profile's
        ["echo ens38 > /sys/class/net/bond0/bonding/active_slave"],  # works, still blind
        ["nmcli connection modify bond0 +bond.options miimon=100"],  # not applied
        ["switch$ ip link set sw37 up"],  # the cable back: no failover needed any more
    ],
    "06-port-on-its-own-profile": [
        ["nmcli connection modify ens38 connection.autoconnect no"],  # the port stays taken
        ["nmcli connection up bond-slave-ens38"],  # the old profile may claim it again
        ["ip addr del 192.168.1.70/24 dev ens38"],
    ],
    "07-mode-typo": [
        ["ip link set bond0 type bond mode active-backup"],  # refused: it has slaves
        ["ip link set ens38 nomaster"],  # no more duplicates, but one slave
        ["ip link del bond0", "ip link add bond0 type bond mode balance-rr miimon 100",
         "ip link set ens37 down", "ip link set ens37 master bond0", "ip link set ens38 down",
         "ip link set ens38 master bond0", "ip link set bond0 up",
         "ip addr add 192.168.1.61/24 dev bond0"],
    ],
}


def lesson_cells(ident: str) -> tuple[str, str]:
    """The challenge's repair (its exercise's solution) and its check cell, from the lesson."""
    lesson = sources.read(ROOT / "lessons" / f"{LESSON_OF[ident]}.md")
    cells = lesson.notebook.cells
    exercise = next(c for c in cells if c.metadata.get("exercise") == ident)
    check = next(c for c in cells if c.metadata.get("check") == ident)
    assert exercise.source.startswith("%%lab\n"), "a challenge's repair is typed into the lab"
    return sources.solution_text(exercise.source), check.source


def run_check(lab: Lab, source: str) -> checks.Report:
    """The check cell run as the notebook runs it: its last expression is the report."""
    tree = ast.parse(source)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr)
    names: dict[str, Any] = {"lab": lab, "checks": checks}
    exec(compile(tree, "check cell", "exec"), names)
    report = eval(compile(ast.Expression(last.value), "check cell", "eval"), names)
    assert isinstance(report, checks.Report)
    return report


def type_lines(lab: Lab, lines: list[str]) -> None:
    """Each line through lab.sh, as a %%lab cell types it (`HOST$ CMD` on another host)."""
    for line in lines:
        host, cmd = ("server", line)
        if m := re.fullmatch(r"(\w+)\$ (.*)", line):
            host, cmd = m.groups()
        lab.sh(cmd, host=host)


@pytest.fixture(params=list(LESSON_OF))
def broken(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
           ) -> Iterator[tuple[str, Lab, str]]:
    ident = request.param
    challenge = challenges.get(ident)
    with Lab(engine="sim", stable_uuids=True, networkmanager=challenge.networkmanager) as lab:
        challenges.start(lab, ident)
        yield ident, lab, capsys.readouterr().out


def test_the_check_fails_as_started_and_passes_after_the_documented_repair(broken) -> None:
    ident, lab, _ = broken
    repair, check = lesson_cells(ident)
    started = run_check(lab, check)
    assert started.exercise == ident
    assert not started.ok and started.problems
    assert all("`" in p or "lab." in p or "?" in p for p in started.problems), \
        "each problem says what to do next"
    type_lines(lab, repair.splitlines())
    repaired = run_check(lab, check)
    assert repaired.ok, repaired.text()


def test_start_reports_the_trouble_and_shows_the_symptom(broken) -> None:
    ident, _, shown = broken
    challenge = challenges.get(ident)
    host, cmd = challenge.symptom
    assert shown.startswith(f"Challenge {ident}: the lab is broken.\n\n{challenge.report}\n\n"
                            f"Your task: {challenge.task}\n\n[{host}]$ {cmd}\n")
    assert SYMPTOM[ident] in shown
    if ident == "06-port-on-its-own-profile":
        assert "Slave Interface: ens38" not in shown


@pytest.mark.parametrize("ident,wrong", [(i, w) for i, ws in WRONG.items() for w in ws],
                         ids=lambda v: v if isinstance(v, str) else "+".join(v)[:40])
def test_a_wrong_repair_still_fails(ident: str, wrong: list[str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, check = lesson_cells(ident)
    challenge = challenges.get(ident)
    with Lab(engine="sim", stable_uuids=True, networkmanager=challenge.networkmanager) as lab:
        challenges.start(lab, ident)
        type_lines(lab, wrong)
        report = run_check(lab, check)
        assert not report.ok, (wrong, report.text())


@pytest.mark.parametrize("ident", list(LESSON_OF))
def test_the_breakage_is_what_the_real_machine_was_recorded_with(ident: str) -> None:
    """The recorded scenario starts with the challenge's breakage, line for line, and its
    recording is there (tests/test_*_differential.py compares the sim with it)."""
    kind, stem = RECORDED[ident]
    items = load_scenario(ROOT / "tests" / "scenarios" / kind / f"{stem}.scn")
    assert (ROOT / "tests" / "data" / kind / f"{stem}.json").is_file()

    def steps(found: list) -> list[tuple]:
        return [(i.host, i.cmd) if isinstance(i, Command) else ("@sleep", i.seconds)
                for i in found if isinstance(i, Command | Sleep)]

    breakage = steps(challenges.get(ident).items())
    assert steps(items)[:len(breakage)] == breakage
    options = {i.name: i.value for i in items if isinstance(i, LabOption)}
    assert options.get("networkmanager", True) == challenges.get(ident).networkmanager


def test_every_challenge_is_in_a_lesson() -> None:
    assert set(challenges.CHALLENGES) == set(LESSON_OF)
    assert {i[:2] for i in challenges.CHALLENGES} == {"05", "06", "07"}


def test_mistakes_are_one_sentence() -> None:
    with Lab(engine="sim", networkmanager=False) as lab:
        with pytest.raises(UsageError, match="there is no challenge '05-nope' "
                           r"\(there are: 05-miimon-zero, "):
            challenges.start(lab, "05-nope")
        with pytest.raises(LabkitError, match="challenge 05-miimon-zero breaks a lab with "
                           "NetworkManager; this one is without it: start the challenge on a "
                           r"Lab\(\)"):
            challenges.start(lab, "05-miimon-zero")
    with pytest.raises(UsageError, match=r"challenges\.start: lab must be a Lab"):
        challenges.start("lab", "07-mode-typo")  # type: ignore[arg-type]
