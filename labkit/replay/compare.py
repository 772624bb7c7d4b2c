"""Compare two transcripts of one scenario step by step, after masking both the same way."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from labkit.replay.masks import mask
from labkit.replay.transcript import Transcript


@dataclass(frozen=True)
class Difference:
    """One step where the two transcripts disagree."""

    index: int
    host: str
    cmd: str
    detail: str

    def __str__(self) -> str:
        return f"step {self.index} ({self.host}$ {self.cmd}):\n{self.detail}"


def compare(expected: Transcript, actual: Transcript) -> list[Difference]:
    """Every step whose command, status or masked output differs."""
    diffs: list[Difference] = []
    if len(expected.steps) != len(actual.steps):
        diffs.append(Difference(-1, "", "", f"{len(expected.steps)} steps expected, "
                                            f"{len(actual.steps)} replayed"))
    for i, (e, a) in enumerate(zip(expected.steps, actual.steps, strict=False)):
        if (e.host, e.cmd) != (a.host, a.cmd):
            diffs.append(Difference(i, e.host, e.cmd, f"replayed {a.host}$ {a.cmd} instead"))
            continue
        problems = []
        mode = e.compare or a.compare
        if mode == "ping-loss":
            why = _compare_loss(e.out, a.out)
            if why:
                diffs.append(Difference(i, e.host, e.cmd, why))
            continue
        if e.rc != a.rc:
            problems.append(f"exit status {a.rc}, expected {e.rc}")
        me, ma = mask(e.out, e.cmd), mask(a.out, a.cmd)
        if me != ma:
            problems.append("".join(difflib.unified_diff(
                me.splitlines(keepends=True), ma.splitlines(keepends=True),
                f"{expected.engine}", f"{actual.engine}")))
        if problems:
            diffs.append(Difference(i, e.host, e.cmd, "\n".join(problems)))
    return diffs


_STATS = re.compile(r"(\d+) packets transmitted, (\d+) received")


def ping_counts(text: str) -> list[tuple[int, int]]:
    """(transmitted, received) of every ping statistics line in `text`."""
    return [(int(t), int(r)) for t, r in _STATS.findall(text)]


def _compare_loss(expected: str, actual: str) -> str | None:
    """A ping over a failover: same probes sent, no more lost than on the real kernel."""
    exp, act = ping_counts(expected), ping_counts(actual)
    if len(exp) != len(act):
        return f"{len(exp)} ping summaries expected, {len(act)} found"
    for (et, er), (at, ar) in zip(exp, act, strict=True):
        if et != at:
            return f"{at} packets transmitted, expected {et}"
        if ar < er:
            return f"lost {at - ar} of {at} packets; the real kernel lost {et - er}"
    return None
