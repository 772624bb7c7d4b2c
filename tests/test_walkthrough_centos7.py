"""The walkthrough as its author printed it: flavour centos7, locale ja, line for line.

The commands and their printed outputs are read from the walkthrough itself
(tests/data/reference/seed-walkthrough-ja.txt, a copy of ../shared/reference/): every
`[root@localhost ~]# CMD` line is typed into the lab in order, and the lines under it, up to
the author's next prose line, are its expected output. The web page collapsed runs of blanks
and dropped blank lines, so both sides are compared that way; UUIDs, timestamps, packet
counters and address lifetimes are set aside (the rules are below, each with its reason).
Each command is typed at the lab's typing pace, as the author typed them.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from labkit import Lab

SEED = Path(__file__).parent / "data" / "reference" / "seed-walkthrough-ja.txt"
PROMPT = "[root@localhost ~]# "
# what the author's machine did differently by nature, not by labkit's choice
ASIDE = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"(connection\.timestamp:) \d+"), r"\1 <timestamp>"),
    (re.compile(r"((?:RX|TX) packets) \d+ bytes \d+ \([\d.]+ \w?i?B\)"), r"\1 <counters>"),
    (re.compile(r"valid_lft \d+sec preferred_lft \d+sec"), "valid_lft <lft> preferred_lft <lft>"),
)


def _is_prose(line: str) -> bool:
    """The author's own sentences: Japanese text that is not a program's output."""
    has_cjk = any(unicodedata.east_asian_width(c) in ("W", "F") for c in line)
    if not has_cjk:
        return False
    if line.startswith("接続 '"):  # nmcli's message in Japanese
        return False
    return not re.match(r"^[\w.-]+: ", line)  # `connection.autoconnect: はい`


def seed_steps() -> list[tuple[str, list[str]]]:
    """(command, printed output lines) for every prompt in the walkthrough."""
    steps: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if line.startswith(PROMPT.rstrip()):
            cmd = line[len(PROMPT.rstrip()):].strip()
            current = []
            if cmd:
                steps.append((cmd, current))
            else:
                current = None
        elif current is not None:
            if _is_prose(line) or line.startswith("# "):
                current = None
            elif line.strip():
                current.append(line)
    return steps


def normalize(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = " ".join(line.split())
        for pattern, repl in ASIDE:
            line = pattern.sub(repl, line)
        if line:
            out.append(line)
    return out


def test_the_seed_has_the_walkthrough() -> None:
    steps = seed_steps()
    cmds = [c for c, _ in steps]
    assert cmds[0] == "ifconfig" and "ifenslave -c bond0 ens38" in cmds
    assert sum(1 for c in cmds if c == "nmcli c") == 4
    assert all(out for c, out in steps if c in ("ip a", "nmcli c", "ifconfig"))


@pytest.fixture(scope="module")
def transcript() -> list[tuple[str, list[str], list[str]]]:
    out = []
    with Lab(engine="sim", flavour="centos7", locale="ja", topology="centos7-bond") as lab:
        for cmd, printed in seed_steps():
            # typed at a person's pace (Lab.typed): the seconds between the author's lines let
            # udev, DAD and the router's advertisement settle, so `ip a` after the restart of
            # network.service shows what the author saw, with no pause written in here
            result = lab.typed(cmd)
            assert "Traceback" not in result.stdout
            out.append((cmd, normalize("\n".join(printed)), normalize(result.stdout)))
    return out


@pytest.mark.parametrize("index", range(len(seed_steps())))
def test_step_reproduces_the_printed_output(transcript, index: int) -> None:
    cmd, printed, got = transcript[index]
    assert got == printed, f"step {index}: {cmd}\nprinted:\n" + "\n".join(printed) + \
        "\nlabkit:\n" + "\n".join(got)


def test_the_edited_ifcfg_needs_reload_down_up() -> None:
    """追記2/3: on NetworkManager 1.18 a restart leaves the edited address unapplied; reload,
    down and up apply it. The file was edited in place and kept its other lines."""
    with Lab(engine="sim", flavour="centos7", locale="ja") as lab:
        for cmd, _ in seed_steps():
            lab.sh(cmd)
        path = "/etc/sysconfig/network-scripts/ifcfg-bond0"
        before = lab.sh(f"cat {path}").stdout
        assert "IPADDR=192.168.1.61" in before
        assert lab.sh(f"sed -i 's/^IPADDR=.*/IPADDR=192.168.1.62/' {path}").returncode == 0
        lab.sh("systemctl restart NetworkManager")
        lab.sh("systemctl restart network.service")
        lab.sleep(5)
        shown = lab.sh("ip -4 a show bond0").stdout
        assert "192.168.1.61/24" in shown and "192.168.1.62" not in shown
        assert "ipv4.addresses: 192.168.1.62/24" in " ".join(
            lab.sh("nmcli -f ipv4.addresses c s bond0").stdout.split())
        for cmd in ("nmcli c reload bond0", "nmcli c down bond0", "nmcli c up bond0"):
            assert lab.sh(cmd).returncode == 0, cmd
        lab.sleep(5)
        shown = lab.sh("ip -4 a show bond0").stdout
        assert "192.168.1.62/24" in shown and "192.168.1.61" not in shown
        after = lab.sh(f"cat {path}").stdout
        assert after.replace("192.168.1.62", "192.168.1.61") == before


def test_labkit_replay_of_the_walkthrough_prints_the_seeds_settled_ip_a() -> None:
    """`labkit replay --flavour centos7 --locale ja` of tests/scenarios/centos7/walkthrough-ja.scn
    (no pause written after `systemctl restart network.service`): the `ip a` typed next is the
    seed's, bond0's SLAAC address and settled link-local included."""
    from labkit.replay.runner import replay
    from labkit.replay.scenario import load_scenario

    items = load_scenario(Path(__file__).parent / "scenarios" / "centos7" / "walkthrough-ja.scn")
    with Lab(engine="sim", flavour="centos7", locale="ja") as lab:
        steps = replay(items, lab).steps
    restart = next(i for i, s in enumerate(steps) if s.cmd == "systemctl restart network.service")
    typed = next(s for s in steps[restart:] if s.cmd == "ip a")
    seed = [out for cmd, out in seed_steps() if cmd == "ip a"][-1]
    assert normalize(typed.out) == normalize("\n".join(seed))
    assert "240b:11:4541:9100:" in typed.out and "tentative" not in typed.out
