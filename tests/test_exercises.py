"""Exercises that judge: executed as delivered (nbclient, sim engine), every notebook's checks
say "ok": false in the learner version, where nothing has been done, and "ok": true in the
instructor version, whose solutions are worked in; each check names its exercise."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.checks import MIME
from labkit.course import build, sources, versions

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
NAMES = [p.stem for p in sources.lesson_paths(LESSONS)]


def results(nb: nbformat.NotebookNode) -> list[tuple[str, dict]]:
    """(check's exercise id from its lesson, the result it displayed) for every check cell."""
    found = []
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if not grading.get("grade"):
            continue
        shown = [o.data[MIME] for o in cell.outputs if "data" in o and MIME in o.data]
        assert len(shown) == 1, f"{cell['id']} displayed {len(shown)} check results"
        assert {"text/plain", "text/html"} <= set(next(
            o.data for o in cell.outputs if "data" in o and MIME in o.data))
        found.append((grading["grade_id"].removesuffix("-check"), shown[0]))
    return found


def no_errors(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (cell["id"], out.get("ename"), out.get("evalue"))


@pytest.mark.parametrize("name", NAMES)
def test_untouched_learner_version_fails_every_check_and_the_solutions_pass(name, tmp_path):
    lesson = sources.read(LESSONS / f"{name}.md")
    learner = nbformat.read(build.build(lesson, "learner", tmp_path / "learner"), as_version=4)
    no_errors(learner)
    checked = results(learner)
    assert checked, f"{name} has no check"
    for exercise, shown in checked:
        assert shown["exercise"] == exercise
        assert shown["ok"] is False and shown["problems"], (name, shown)
        assert all(isinstance(p, str) and p for p in shown["problems"])
    solved = nbformat.read(build.build(lesson, "instructor", tmp_path / "instructor"),
                           as_version=4)
    no_errors(solved)
    for exercise, shown in results(solved):
        assert shown == {"exercise": exercise, "ok": True, "problems": []}, (name, shown)


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_learner_notebook_stores_a_failing_check(name):
    assert versions.NOTEBOOKS_VERSION == "learner"
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    checked = results(nb)
    assert checked and all(shown["ok"] is False for _, shown in checked), name


WRONG_WORK = {  # by exercise: what a learner might do instead, which its check must refuse
    "00-unplug": ['lab.unplug("ens38")'],  # the backup's cable: ens37 stays active
    "01-route": ['address = "192.168.1.60"', 'gateway = "192.168.1.1"'],  # no prefix
    "02-bond": ["nmcli c mod bond0 connection.autoconnect yes"],  # no restart, ...
    "03-mac-follows": ['lab.unplug("ens38")'],
    "04-active": ["echo ens38 > /sys/class/net/bond0/bonding/active_slave"],
    "05-miimon": ['lab.plug("ens37")', 'lab.plug("ens38")',
                  "lab.sh('nmcli connection modify bond0 +bond.options miimon=100')",
                  'lab.sh("nmcli connection up bond0")'],
    # the challenges' repairs half done (tests/test_challenges.py tries more of them)
    "05-miimon-zero": ["nmcli connection modify bond0 +bond.options miimon=100"],  # not applied
    "06-new-address": ["ip addr add 192.168.1.63/24 dev bond0",  # the device, not the file
                       "ip addr del 192.168.1.62/24 dev bond0"],
    "06-port-on-its-own-profile": ["nmcli connection modify ens38 connection.autoconnect no"],
    "07-balance-alb": ["ip link add bond0 type bond mode balance-rr miimon 100",
                       "ip link set ens37 down", "ip link set ens37 master bond0",
                       "ip link set ens38 down", "ip link set ens38 master bond0",
                       "ip link set bond0 up", "ip addr add 192.168.1.61/24 dev bond0"],
    "07-mode-typo": ["ip link set ens38 nomaster"],  # no more duplicates, but one slave
}


def test_every_exercise_has_its_wrong_work() -> None:
    exercises = {cell.metadata["nbgrader"]["grade_id"] for name in NAMES
                 for cell in versions.make(sources.read(LESSONS / f"{name}.md"), "learner").cells
                 if cell.metadata.get("nbgrader", {}).get("solution")}
    assert exercises == set(WRONG_WORK)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_work_fails_the_check(name, tmp_path):
    lesson = sources.read(LESSONS / f"{name}.md")
    nb = versions.make(lesson, "learner")
    written = {c["id"]: c.source for c in lesson.notebook.cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            lines = written[cell["id"]].split("\n")
            region = sources.regions(written[cell["id"]])[0]
            lines[region.begin:region.end + 1] = WRONG_WORK[
                cell.metadata["nbgrader"]["grade_id"]]
            cell.source = "\n".join(lines)
    build.execute(nb, tmp_path, name)
    no_errors(nb)
    checked = results(nb)
    assert checked and all(shown["ok"] is False for _, shown in checked), (name, checked)
