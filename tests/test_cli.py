"""The labkit command: replay in text and JSON, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCENARIO = """# a comment
$ ip link add bond0 type bond mode active-backup miimon 100
$ cat /sys/class/net/bond0/bonding/mode
outside$ ping -c 1 192.168.1.60 &
@sleep 2
outside$ wait
$ nosuch
"""


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True,
                          text=True, check=False)


def test_replay_text_and_json(tmp_path: Path) -> None:
    path = tmp_path / "s.scn"
    path.write_text(SCENARIO)
    text = labkit("replay", "--engine", "sim", str(path))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("# a comment\n$ ip link add bond0 type bond mode "
                                  "active-backup miimon 100\n$ cat /sys/class/net/bond0/"
                                  "bonding/mode\nactive-backup 1\noutside$ ping -c 1 "
                                  "192.168.1.60 &\noutside$ wait\nPING 192.168.1.60")
    assert text.stdout.endswith("$ nosuch\nbash: nosuch: command not found\n")
    data = json.loads(labkit("replay", "--engine", "sim", "--json", str(path)).stdout)
    assert data["engine"] == "sim"
    assert [s["cmd"] for s in data["steps"]][-1] == "nosuch"
    assert data["steps"][-1] == {"host": "server", "cmd": "nosuch", "rc": 127,
                                 "out": "bash: nosuch: command not found\n"}
    assert data["steps"][2]["out"] == "" and "1 received" in data["steps"][3]["out"]


def test_errors_are_one_line(tmp_path: Path) -> None:
    missing = labkit("replay", str(tmp_path / "none.scn"))
    assert missing.returncode == 2 and missing.stderr.startswith("labkit: ")
    assert "Traceback" not in missing.stderr
    bad = tmp_path / "bad.scn"
    bad.write_text("ip link\n")
    out = labkit("replay", str(bad))
    assert out.returncode == 2 and "bad.scn:1:" in out.stderr
    out = labkit("replay", "--engine", "nope", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = labkit("replay", "--flavour", "centos7", str(tmp_path / "none.scn"))
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_masks_are_listed() -> None:
    out = labkit("masks")
    assert out.returncode == 0 and "random-mac" in out.stdout and "ping-rtt" in out.stdout


def test_replay_centos7_in_japanese() -> None:
    scenario = Path(__file__).parent / "scenarios" / "centos7" / "walkthrough-ja.scn"
    first = labkit("replay", "--engine", "sim", "--flavour", "centos7", "--locale", "ja",
                   "--stable-uuids", "--json", str(scenario))
    assert first.returncode == 0, first.stderr
    steps = json.loads(first.stdout)["steps"]
    added = next(s for s in steps if s["cmd"].startswith("nmcli connection add type bond "))
    assert added["out"].startswith("接続 'bond0' (") and added["out"].endswith(
        ") が正常に追加されました。\n")
    assert any(s["out"].startswith("8: bond0:") for s in steps if s["cmd"] == "ip -4 a show bond0")
    # --stable-uuids: the same UUIDs on every run
    again = labkit("replay", "--engine", "sim", "--flavour", "centos7", "--locale", "ja",
                   "--stable-uuids", "--json", str(scenario))
    assert json.loads(again.stdout)["steps"] == steps


def test_doctor_engine_is_one_line_and_a_bad_engine_one_sentence(monkeypatch) -> None:
    monkeypatch.setenv("LABKIT_ENGINE", "sim")
    done = labkit("doctor", "--engine")
    assert (done.returncode, done.stdout) == (0, "engine: sim (LABKIT_ENGINE=sim forces it)\n")
    monkeypatch.setenv("LABKIT_ENGINE", "bogus")
    done = labkit("doctor", "--engine")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("labkit: unknown engine 'bogus' (engines: auto, sim, netns, vm)\n")


def test_lab_script_refuses_a_bad_engine_before_starting_jupyterlab(monkeypatch) -> None:
    monkeypatch.setenv("LABKIT_ENGINE", "bogus")
    done = subprocess.run([str(Path(__file__).parent.parent / "lab"), "--no-browser"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "labkit: unknown engine 'bogus'" in done.stderr and "Traceback" not in done.stderr
    assert "ServerApp" not in done.stderr  # JupyterLab never started


def test_a_refused_line_keeps_the_transcript_before_it(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.scn"
    scenario.write_text("$ ip -br link show ens33\nnosuchhost$ ip link\n$ ip -br a\n")
    done = labkit("replay", "--engine", "sim", str(scenario))
    assert done.returncode == 2
    assert done.stdout.startswith("$ ip -br link show ens33\nens33@if3 ")
    assert "ip -br a" not in done.stdout  # nothing after the refused line ran
    assert done.stderr == (f"labkit: {scenario}:2: no host 'nosuchhost' in this lab "
                           "(hosts: switch, server, outside, gw)\n")
