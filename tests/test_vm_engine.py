"""The vm engine's launcher: what it asks virtme-ng for, and one real `labkit replay --engine
vm` whose JSON transcript must equal the real kernel's recording (the CLI end to end: boot
progress on stderr, the transcript on stdout, the exit status passed through)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labkit.engines import vm
from labkit.engines.probe import probe
from labkit.replay.compare import compare
from labkit.replay.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent


def test_the_command_travels_as_a_file_not_on_the_kernel_command_line(tmp_path: Path) -> None:
    if not vm.kernel_images() or vm.vng_program() is None:
        pytest.skip("no kernel image or virtme-ng here")
    long_argv = ["pytest", *[f"tests/test_x.py::test_{i}[{'p' * 40}]" for i in range(200)]]
    script = vm.guest_script(long_argv, "/work", {"LABKIT_ENGINE": "netns"})
    assert "modprobe bonding" in script and "'labkit-vm: booted'" in script
    cmd = vm.vng_command(str(tmp_path / "run.sh"), rwdirs=[str(tmp_path)])
    assert cmd[-2:] == ["--exec", f"sh {tmp_path / 'run.sh'}"]
    assert len(" ".join(cmd)) < 1000  # the kernel command line holds 2 kB
    assert ("--disable-kvm" in cmd) == (not vm.use_kvm())


def test_missing_pieces_are_named() -> None:
    for problem in vm.missing():
        assert "apt install" in problem or "pip install" in problem


@pytest.mark.skipif(not probe().vm_ok, reason="the micro-VM cannot boot here (labkit doctor)")
def test_replay_on_the_vm_engine_prints_the_real_kernels_transcript() -> None:
    done = subprocess.run([sys.executable, "-m", "labkit", "replay", "--engine", "vm",
                           "tests/scenarios/kernel/02-sysfs.scn", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "labkit: booting Linux" in done.stderr and "labkit: booted in" in done.stderr
    got = Transcript.from_json(done.stdout)
    assert got.engine == "netns"
    real = Transcript.from_json((ROOT / "tests/data/kernel/02-sysfs.json").read_text())
    differences = compare(real, got)
    assert not differences, "\n\n".join(str(d) for d in differences)
