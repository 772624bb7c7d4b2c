"""Tests that need the bonding driver, run where there is one.

A test marked `bonding` needs a kernel that can make bonds. On a host whose kernel can, it runs
here like any other. Where it cannot but the micro-VM can boot (labkit.engines.vm), every such
test of the session runs inside one VM boot, and each one's outcome is reported here under its
own name: a failure inside fails the suite, with the inner traceback. Where neither works, the
tests are skipped with what is missing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from labkit.engines import vm
from labkit.engines.probe import probe

ROOT = Path(__file__).resolve().parent.parent
REPORT_ENV = "LABKIT_VM_REPORT"
VM_TIMEOUT = 1800.0  # the bonding tests replay every recording (32) under TCG: about 17 min here


class VmRun:
    """One VM boot that runs the session's bonding tests; outcomes by node id."""

    def __init__(self, nodeids: list[str]) -> None:
        self.nodeids = nodeids
        self.outcomes: dict[str, dict[str, str]] | None = None
        self.log = ""

    def results(self) -> dict[str, dict[str, str]]:
        if self.outcomes is None:
            self.outcomes = self._run()
        return self.outcomes

    def _run(self) -> dict[str, dict[str, str]]:
        with tempfile.TemporaryDirectory(prefix="labkit-vm-") as tmp:
            report = Path(tmp) / "report.jsonl"
            output = Path(tmp) / "pytest.out"
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-o", "addopts=", *self.nodeids]
            with open(output, "w") as out:
                rc = vm.run(argv, cwd=str(ROOT), env={REPORT_ENV: str(report)},
                            rwdirs=[tmp], stdout=out.fileno(),
                            progress=lambda text: print(f"\n[vm] {text}", file=sys.stderr),
                            timeout=VM_TIMEOUT)
            self.log = output.read_text(errors="replace")
            outcomes: dict[str, dict[str, str]] = {}
            if report.exists():
                for line in report.read_text().splitlines():
                    entry = json.loads(line)
                    seen = outcomes.get(entry["nodeid"])
                    if seen is None or entry["outcome"] != "passed":
                        outcomes[entry["nodeid"]] = entry
            outcomes["__rc__"] = {"outcome": str(rc), "text": ""}
            return outcomes


class VmOutcome(pytest.Item):
    """A bonding test as it ran inside the VM."""

    def __init__(self, *, run: VmRun, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.run = run

    def runtest(self) -> None:
        results = self.run.results()
        entry = results.get(self.nodeid)
        if entry is None:
            pytest.fail(f"did not run in the VM (inner pytest exit status "
                        f"{results['__rc__']['outcome']}):\n{self.run.log[-3000:]}",
                        pytrace=False)
        if entry["outcome"] == "skipped":
            pytest.skip(entry["text"] or "skipped in the VM")
        if entry["outcome"] != "passed":
            pytest.fail(f"failed in the VM ({entry['when']}):\n{entry['text']}", pytrace=False)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.name} [in the micro-VM]"


def route(items: list[pytest.Item]) -> None:
    """Leave bonding tests where the host can run them; else send them to the VM, or skip."""
    if os.environ.get("LABKIT_IN_VM"):
        return
    marked = [i for i in items if i.get_closest_marker("bonding")]
    if not marked:
        return
    found = probe()
    if found.bonds_ok:
        return
    if not found.vm_ok:
        why = "needs the bonding driver; this kernel has none and the micro-VM cannot boot " \
              "here (missing " + "; ".join(vm.missing()) + ")"
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=why))
        return
    run = VmRun([i.nodeid for i in marked])
    for index, item in enumerate(items):
        if item in marked:
            proxy = VmOutcome.from_parent(item.parent, name=item.name, run=run)
            proxy.own_markers = list(item.own_markers)
            items[index] = proxy


class Reporter:
    """Inside the VM: every test phase's outcome, one JSON line each, for the host to read."""

    def __init__(self, path: str) -> None:
        self.path = path

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.outcome == "passed":
            return
        text = report.longreprtext if report.outcome == "failed" else ""
        if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            text = str(report.longrepr[2])
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"nodeid": report.nodeid, "when": report.when,
                                "outcome": report.outcome, "text": text}) + "\n")
