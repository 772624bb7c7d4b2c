"""Scenario files: the DESIGN.md line forms, the two extra directives, all errors at once."""

from __future__ import annotations

import pytest

from labkit.errors import ScenarioError
from labkit.replay.scenario import AddNic, Command, Comment, CompareAs, Sleep, parse_scenario


def test_the_forms() -> None:
    items = parse_scenario("# build it\n$ ip link\noutside$ ping -c 3 192.168.1.61\n\n"
                           "@sleep 1.5\n@add-nic ens39\n@add-nic eth1 outside\n"
                           "@compare ping-loss\nswitch$ ip link set sw37 down\n")
    assert items == [
        Comment("build it", 1), Command("server", "ip link", 2),
        Command("outside", "ping -c 3 192.168.1.61", 3), Sleep(1.5, 5),
        AddNic("ens39", "server", 6),
        AddNic("eth1", "outside", 7), CompareAs("ping-loss", 8),
        Command("switch", "ip link set sw37 down", 9)]


def test_every_bad_line_is_reported() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario("$ ok\nip link\n@snooze 3\n$\nHost$ x\n", source="s.scn")
    text = str(err.value)
    for line in ("s.scn:2:", "s.scn:3: unknown directive", "s.scn:4:", "s.scn:5:"):
        assert line in text
