"""constraints.txt is the machine CI tested: every package labkit[test,lite,classroom] (what
./lab test installs) pulls in, installed here, is pinned there at the version installed (so a
dependency added to pyproject.toml without `./lab lock` fails here, not on a learner's
machine), and Binder installs from it."""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "constraints.txt"
PIN = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)==(\S+)$")


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt: not a pin: {line!r}"
        assert match[1] not in found, f"constraints.txt pins {match[1]} twice"
        found[match[1]] = match[2]
    return found


def needed(name: str, extras: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every distribution `name[extras]` requires here (markers evaluated for this Python),
    transitively, with its installed version; `name` itself included."""
    seen: dict[str, str] = {}
    todo = [(name, extras)]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        dist, wanted = todo.pop()
        if (dist, wanted) in done:
            continue
        done.add((dist, wanted))
        meta = md.distribution(dist)
        seen[canonicalize_name(meta.metadata["Name"])] = meta.version
        for text in meta.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e})
                                      for e in (wanted or {""}) | {""}):
                continue
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return seen


def test_the_lock_is_exact_pins_sorted_without_labkit_itself() -> None:
    found = pins()
    assert list(found) == sorted(found)
    assert "labkit" not in found and len(found) > 50
    header = LOCK.read_text().splitlines()[:8]
    assert any(line.startswith("# python: 3.") for line in header)
    assert any("./lab lock" in line for line in header)  # how it is refreshed, said in it


def test_everything_labkit_test_pulls_in_is_installed_as_the_lock_pins_it() -> None:
    installed = needed("labkit", frozenset({"test", "lite", "classroom", "ja"}))
    del installed["labkit"]
    locked = pins()
    unpinned = sorted(set(installed) - set(locked))
    assert unpinned == [], (f"not in constraints.txt: {unpinned}; ./lab lock resolves afresh "
                            "(then ./lab test, and commit it)")
    drifted = {n: (v, locked[n]) for n, v in installed.items() if locked[n] != v}
    assert drifted == {}, f"installed (left) is not what constraints.txt pins (right): {drifted}"


def test_the_learner_set_leaves_the_test_extras_out() -> None:
    learner = needed("labkit")
    for extra in ("pytest", "selenium", "ruff", "virtme-ng", "hypothesis", "nbval"):
        assert extra not in learner
    assert {"jupyterlab", "ipywidgets", "pyroute2"} <= set(learner)


def test_binder_installs_labkit_from_the_lock() -> None:
    lines = [line.split("#", 1)[0].strip()
             for line in (REPO / "binder" / "requirements.txt").read_text().splitlines()]
    assert [line for line in lines if line] == ["-c ../constraints.txt", "-e ."]
