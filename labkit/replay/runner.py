"""Replay a scenario on a lab: each command line through the lab shell, sleeps on the lab clock."""

from __future__ import annotations

from labkit.errors import LabkitError, ScenarioError
from labkit.lab import Lab
from labkit.replay.scenario import AddNic, Command, Comment, CompareAs, Item, Sleep
from labkit.replay.transcript import Step, Transcript


class ReplayError(ScenarioError):
    """An item of the scenario the lab refused (a host it does not have, a NIC it has
    already): the line and the lab's sentence; `transcript` holds the steps run before it."""

    def __init__(self, message: str, transcript: Transcript) -> None:
        super().__init__(message)
        self.transcript = transcript


def replay(items: list[Item], lab: Lab, source: str = "scenario") -> Transcript:
    """Run `items` on a started lab and return the transcript (background jobs waited at end).
    What is typed never raises (the shell answers as bash would); a directive or host the lab
    refuses raises ReplayError naming its line."""
    transcript = Transcript(engine=lab.engine_name)
    compare_next: str | None = None
    for item in items:
        try:
            compare_next = _run_item(item, lab, transcript, compare_next)
        except LabkitError as exc:
            raise ReplayError(f"{source}:{item.lineno}: {exc}", transcript) from None
    assert lab.shell is not None
    for host in lab.shell.pending_hosts():
        result = lab.sh("wait", host=host)
        transcript.steps.append(Step(host, "wait", result.returncode, result.stdout,
                                     implicit=True))
    return transcript


def _run_item(item: Item, lab: Lab, transcript: Transcript, compare_next: str | None
              ) -> str | None:
    """Run one item; returns how the next command compares."""
    if isinstance(item, CompareAs):
        compare_next = item.mode
    elif isinstance(item, AddNic):
        lab.add_nic(item.nic, host=item.host)
    elif isinstance(item, Comment):
        transcript.comments.setdefault(len(transcript.steps), []).append(item.text)
    elif isinstance(item, Sleep):
        lab.sleep(item.seconds)
    elif isinstance(item, Command):
        result = lab.typed(item.cmd, host=item.host)
        transcript.steps.append(Step(item.host, item.cmd, result.returncode, result.stdout,
                                     compare=compare_next))
        compare_next = None
    return compare_next
