"""`./lab --lang ja` and `LABKIT_LANG=ja ./lab`, without a browser: the ja extra (JupyterLab's
language pack) installed through the lock, the Japanese course's own copy (ja/ where the
English copy goes) served, JupyterLab's language given to that server only as an
overrides.json default, LANGUAGE=ja for labkit's own words; English `./lab` untouched by any of
it; a language there is no course in stopped in words. Run on a copy of the script whose
venv's python, labkit and jupyter only note how they were called (nothing installed, nothing
served). tests/test_browser_ja.py sees the same in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >>"$CALLS"
case "$*" in *get_app_dir*) echo "$FAKE_APP_DIR"; exit 0 ;; esac
case "$1" in -c) echo 3.11 ;; esac
"""
FAKE_LABKIT = """#!/bin/sh
echo "labkit $* | LABKIT_NOTEBOOKS=${LABKIT_NOTEBOOKS:-} LANGUAGE=${LANGUAGE:-}" >>"$CALLS"
case "$1" in
    doctor) echo "engine: sim (fake)" ;;
    notebooks) [ "${3:-}" = reset ] || echo "${LABKIT_NOTEBOOKS:-$PWD/my-notebooks}" ;;
esac
"""
FAKE_JUPYTER = """#!/bin/sh
echo "jupyter $* | LANGUAGE=${LANGUAGE:-}" >>"$CALLS"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "labkit"
    root.mkdir()
    for name in ("lab", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, root / name)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("labkit", FAKE_LABKIT),
                       ("jupyter", FAKE_JUPYTER)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return root


def lab(checkout: Path, *args: str, **env: str) -> tuple[int, str, list[str]]:
    calls = checkout / "calls"
    calls.unlink(missing_ok=True)
    done = subprocess.run(
        [str(checkout / "lab"), *args], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "CALLS": str(calls),
             "FAKE_APP_DIR": str(checkout / "app"), **env})
    said = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, done.stderr, said


def jupyter_call(calls: list[str]) -> str:
    [call] = [c for c in calls if c.startswith("jupyter ")]
    return call


@pytest.mark.parametrize("how", [("--lang", "ja"), ("--lang=ja",), ("open", "--lang", "ja"),
                                 ("--no-browser", "--lang", "ja"), ()])
def test_lab_in_japanese(checkout: Path, how: tuple[str, ...]) -> None:
    env = {} if how else {"LABKIT_LANG": "ja"}
    rc, err, calls = lab(checkout, *how, "--port=9000", **env)
    assert rc == 0, err
    # the ja extra, through the lock
    assert "python -m pip install -q -c constraints.txt -e .[ja]" in calls
    assert (checkout / ".venv" / ".labkit-installed").read_text().startswith("ja ")
    # the Japanese course, copied into ja/ where the English copy goes
    copy = checkout / "my-notebooks" / "ja"
    assert f"labkit notebooks --course notebooks/ja | LABKIT_NOTEBOOKS={copy} LANGUAGE=ja" \
        in calls
    assert f"your notebooks: {copy} (./lab --lang ja reset NN gives" in err
    # JupyterLab on it, its language a default for this server only
    call = jupyter_call(calls)
    settings = checkout / "app" / "labkit-ja"
    assert f"--notebook-dir={copy} " in call and f"--LabApp.app_settings_dir={settings}" in call
    assert "--port=9000" in call and "--lang" not in call and call.endswith("LANGUAGE=ja")
    assert json.loads((settings / "overrides.json").read_text()) == {
        "@jupyterlab/translation-extension:plugin": {"locale": "ja_JP"}}
    assert sorted(p.name for p in settings.iterdir()) == ["overrides.json"]


def test_lab_in_english_is_as_it_was(checkout: Path) -> None:
    rc, err, calls = lab(checkout, "--port=9000")
    assert rc == 0, err
    assert "python -m pip install -q -c constraints.txt -e ." in calls
    assert not any(".[ja]" in c for c in calls)
    copy = checkout / "my-notebooks"
    assert "labkit notebooks --course notebooks | LABKIT_NOTEBOOKS= LANGUAGE=" in calls
    call = jupyter_call(calls)
    assert f"--notebook-dir={copy} " in call and "app_settings_dir" not in call
    assert call.endswith("LANGUAGE=") and not (checkout / "app").exists()


def test_the_japanese_copy_goes_under_labkit_notebooks_too(checkout: Path,
                                                            tmp_path: Path) -> None:
    rc, err, calls = lab(checkout, "--lang", "ja", "reset", "03",
                         LABKIT_NOTEBOOKS=str(tmp_path / "class"))
    assert rc == 0, err
    assert (f"labkit notebooks --course notebooks/ja reset 03 | LABKIT_NOTEBOOKS="
            f"{tmp_path / 'class' / 'ja'} LANGUAGE=ja") in calls


def test_the_ja_and_test_sets_serve_each_other_as_they_should(checkout: Path) -> None:
    rc, _, calls = lab(checkout, "--lang", "ja")
    assert rc == 0
    stamp = checkout / ".venv" / ".labkit-installed"
    digest = stamp.read_text().split()[1]
    rc, _, calls = lab(checkout, "reset", "03")  # the ja set holds the learner's
    assert rc == 0 and not [c for c in calls if "pip install" in c]
    stamp.write_text(f"test {digest}\n")  # the test set holds the ja extra
    rc, _, calls = lab(checkout, "--lang", "ja")
    assert rc == 0 and not [c for c in calls if "pip install" in c]
    stamp.write_text(f"classroom {digest}\n")  # the classroom set does not
    rc, _, calls = lab(checkout, "--lang", "ja")
    assert rc == 0 and "python -m pip install -q -c constraints.txt -e .[ja]" in calls


@pytest.mark.parametrize(("args", "env", "said"), [
    (("--lang", "fr"), {}, "./lab: no course in the language 'fr' (--lang en or --lang ja"),
    (("--lang",), {}, "./lab: --lang needs a language: en or ja"),
    (("--no-browser", "--lang"), {}, "./lab: --lang needs a language: en or ja"),
    (("reset", "03"), {"LABKIT_LANG": "de"}, "./lab: no course in the language 'de'"),
])
def test_a_language_there_is_no_course_in_is_said_with_status_2(
        checkout: Path, args: tuple[str, ...], env: dict[str, str], said: str) -> None:
    rc, err, calls = lab(checkout, *args, **env)
    assert rc == 2 and said in err, err
    assert not [c for c in calls if c.startswith(("jupyter", "labkit notebooks"))]
    assert "Traceback" not in err
