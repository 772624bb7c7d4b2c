"""The netns engine on a real kernel with the bonding driver (the vm engine, where the host has
none): every recorded scenario replayed there must equal the recording of the real kernel and
of the real NetworkManager, after the masks and nothing more.

The sim is held to the same recordings with the same masks (test_kernel_differential.py,
test_nm_differential.py). Masking is a function of the text, so two transcripts that each
equal one recording after masking equal each other: vm and sim agree step by step, and a
ping over a failover loses no more on either than on the real kernel. Replaying the sim here
too would only repeat that, inside an emulated CPU.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from labkit import Lab
from labkit.replay.compare import compare
from labkit.replay.runner import replay
from labkit.replay.scenario import Command, lab_options, load_scenario
from labkit.replay.transcript import Transcript

pytestmark = pytest.mark.bonding

HERE = Path(__file__).parent
RECORDINGS = sorted((HERE / "data" / "kernel").glob("*.json")) + sorted(
    (HERE / "data" / "nm").glob("*.json"))
KERNEL_LOG = re.compile(r"^(dmesg|journalctl\b.*\s-k\b)")


def _as_on_this_kernel(real: Transcript) -> Transcript:
    """The recording with its kernel's release replaced by this one's (the bonding driver
    prints it: `Ethernet Channel Bonding Driver: v6.1.0-56-amd64`), when the two differ."""
    recorded, running = real.meta.get("kernel", ""), os.uname().release
    if not recorded or recorded == running:
        return real
    return Transcript.from_json(real.to_json().replace(recorded, running))


def test_every_scenario_has_a_recording() -> None:
    scenarios = sorted((HERE / "scenarios" / "kernel").glob("*.scn")) + sorted(
        (HERE / "scenarios" / "nm").glob("*.scn"))
    assert len(RECORDINGS) >= 17  # the lessons' own scenarios at the least
    assert [(r.parent.name, r.stem) for r in RECORDINGS] == [
        (s.parent.name, s.stem) for s in scenarios]


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_real_kernel_matches_recording(recording: Path) -> None:
    real = _as_on_this_kernel(Transcript.from_json(recording.read_text(encoding="utf-8")))
    scenario = HERE / "scenarios" / recording.parent.name / f"{recording.stem}.scn"
    items = load_scenario(scenario)
    reads_log = any(isinstance(i, Command) and KERNEL_LOG.search(i.cmd) for i in items)
    # the recordings' lab id: namespace names show in `ip link` (link-netns labkit-switch)
    with Lab(engine="netns", lab_id="labkit", **lab_options(items)) as lab:
        assert lab.engine_name == "netns"
        if reads_log and lab.engine.kernel_log() is None:
            pytest.skip("reads the kernel's log: the lab's own (the engine's reading of "
                        "/dev/kmsg) is not to be had here; the sim's is held to this recording")
        netns = replay(items, lab)
    differences = compare(real, netns)
    assert not differences, "\n\n".join(str(d) for d in differences)
