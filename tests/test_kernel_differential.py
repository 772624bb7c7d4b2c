"""The sim against the real Linux 6.1 kernel: the same scenarios, step by step.

The recordings in tests/data/kernel/ come from tools/record_kernel.py (Debian's
linux-image-6.1.0-56-amd64 under virtme-ng, NetworkManager not running, the same lab built by
the same plan). Only what labkit.replay.masks lists may differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import Lab
from labkit.replay.compare import compare
from labkit.replay.runner import replay
from labkit.replay.scenario import lab_options, load_scenario
from labkit.replay.transcript import Transcript

HERE = Path(__file__).parent
RECORDINGS = sorted((HERE / "data" / "kernel").glob("*.json"))


def test_there_are_recordings() -> None:
    assert len(RECORDINGS) >= 7, "the differential test needs the real-kernel recordings"


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.stem)
def test_sim_matches_real_kernel(recording: Path) -> None:
    real = Transcript.from_json(recording.read_text(encoding="utf-8"))
    assert real.engine == "kernel" and real.meta["kernel"].startswith("6.1.0")
    scenario = HERE / "scenarios" / "kernel" / f"{recording.stem}.scn"
    items = load_scenario(scenario)
    with Lab(engine="sim", **lab_options(items)) as lab:
        sim = replay(items, lab)
    differences = compare(real, sim)
    assert not differences, "\n\n".join(str(d) for d in differences)
