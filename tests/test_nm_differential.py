"""labkit's NetworkManager against the real NetworkManager 1.42 on a real Linux 6.1 kernel.

The recordings in tests/data/nm/ come from tools/record_kernel.py --nm (Debian 12's
network-manager 1.42.4 in the virtme-ng VM, the lab built by the same plan, the installer's
profiles made with real nmcli from labkit.nm.install, NetworkManager.conf from
labkit.nm.config). Only what labkit.replay.masks lists may differ. A scenario with `@locale ja`
was recorded in a Japanese terminal (LANGUAGE=ja) and replays with Lab(locale="ja"). The
recording host had no `ifenslave` package (no 98-net-bonding.link): bonds NetworkManager makes
get udev's persistent MAC.
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
RECORDINGS = sorted((HERE / "data" / "nm").glob("*.json"))


def test_there_are_recordings() -> None:
    assert len(RECORDINGS) >= 10, "the differential test needs the real NetworkManager's recordings"


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.stem)
def test_sim_matches_real_networkmanager(recording: Path) -> None:
    real = Transcript.from_json(recording.read_text(encoding="utf-8"))
    assert real.meta["networkmanager"] == "1.42.4"
    items = load_scenario(HERE / "scenarios" / "nm" / f"{recording.stem}.scn")
    assert real.meta.get("locale", "C") == lab_options(items).get("locale", "C"), \
        "the recording was made in another language than the scenario asks for"
    with Lab(engine="sim", **lab_options(items)) as lab:
        sim = replay(items, lab)
    differences = compare(real, sim)
    assert not differences, "\n\n".join(str(d) for d in differences)
