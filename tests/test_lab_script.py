"""`./lab`'s install stamp: the learner set, installed through constraints.txt, once; the test
set serves a learner too; an edit to pyproject.toml or constraints.txt installs again; a failed
install is retried. Run on a copy of the script whose venv's python and labkit only note how
they were called (nothing is installed, no network)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >>"$CALLS"
case "$1" in -c) echo "${FAKE_VERSION:-3.11}" ;; esac
case "$*" in *"pip install"*) exit "${PIP_STATUS:-0}" ;; esac
"""
FAKE_LABKIT = """#!/bin/sh
echo "labkit $*" >>"$CALLS"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "labkit"
    root.mkdir()
    for name in ("lab", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, root / name)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("labkit", FAKE_LABKIT)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return root


def lab(checkout: Path, *args: str, **env: str) -> tuple[int, str, list[str]]:
    calls = checkout / "calls"
    calls.unlink(missing_ok=True)
    done = subprocess.run([str(checkout / "lab"), *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "CALLS": str(calls), **env}, timeout=60)
    said = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, done.stderr, said


def digest(checkout: Path) -> str:
    data = (checkout / "pyproject.toml").read_bytes() + (checkout / "constraints.txt").read_bytes()
    return hashlib.sha256(data).hexdigest()


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if "pip install" in c]


def test_the_learner_set_is_installed_through_the_lock_once(checkout: Path) -> None:
    rc, err, calls = lab(checkout, "reset", "03")
    assert rc == 0, err
    assert installs(calls) == [
        "python -m pip install -q -c constraints.txt --upgrade pip",
        "python -m pip install -q -c constraints.txt -e ."]  # no test extras
    assert calls[-1] == "labkit notebooks --course notebooks reset 03"
    stamp = (checkout / ".venv" / ".labkit-installed").read_text()
    assert stamp == f"learner {digest(checkout)}\n"
    rc, err, calls = lab(checkout, "reset", "03")
    assert (rc, installs(calls)) == (0, [])  # the second run installs nothing
    assert "installing" not in err


def test_the_test_set_serves_a_learner_without_installing(checkout: Path) -> None:
    (checkout / ".venv" / ".labkit-installed").write_text(f"test {digest(checkout)}\n")
    rc, _, calls = lab(checkout, "reset", "--all")
    assert (rc, installs(calls)) == (0, [])


@pytest.mark.parametrize("edited", ["pyproject.toml", "constraints.txt"])
def test_an_edit_to_pyproject_or_the_lock_installs_again(checkout: Path, edited: str) -> None:
    (checkout / ".venv" / ".labkit-installed").write_text(f"test {digest(checkout)}\n")
    with (checkout / edited).open("a") as out:
        out.write("# edited\n")
    rc, err, calls = lab(checkout, "reset", "03")
    assert rc == 0 and len(installs(calls)) == 2
    assert "pyproject.toml or constraints.txt changed since .venv was set up" in err
    assert (checkout / ".venv" / ".labkit-installed").read_text() == (
        f"learner {digest(checkout)}\n")


def test_a_failed_install_leaves_no_stamp_and_is_tried_again(checkout: Path) -> None:
    rc, _, calls = lab(checkout, "reset", "03", PIP_STATUS="1")
    assert rc != 0 and not (checkout / ".venv" / ".labkit-installed").exists()
    assert "labkit notebooks --course notebooks reset 03" not in calls
    rc, _, calls = lab(checkout, "reset", "03")
    assert rc == 0 and len(installs(calls)) == 2


def test_another_python_than_the_locks_is_said(checkout: Path) -> None:
    rc, err, _ = lab(checkout, "reset", "03", FAKE_VERSION="3.13")
    assert rc == 0
    assert "constraints.txt pins the versions tested on Python 3.11; .venv has Python 3.13" in err


def test_an_unknown_command_is_the_usage_and_status_2(checkout: Path) -> None:
    rc, err, calls = lab(checkout, "frobnicate")
    assert (rc, calls) == (2, [])
    assert err.startswith("usage: ./lab [open] [JUPYTERLAB OPTIONS] | ./lab test")


def test_the_kernel_it_installs_is_the_recordings_kernel() -> None:
    """`./lab test` installs the kernel image the VM boots; the recordings (and the sim's
    /proc/net/bonding) are of RECORDED_KERNEL: one name, said twice, must agree."""
    import re

    from labkit.model.flavours import RECORDED_KERNEL

    script = (Path(__file__).resolve().parent.parent / "lab").read_text()
    assert re.search(r"^KERNEL=(\S+)", script, re.M)[1] == RECORDED_KERNEL
