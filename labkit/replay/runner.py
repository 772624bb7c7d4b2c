"""Replay a scenario on a lab: each command line through the lab shell, sleeps on the lab clock."""

from __future__ import annotations

from labkit.lab import Lab
from labkit.replay.scenario import AddNic, Command, Comment, CompareAs, Item, Sleep
from labkit.replay.transcript import Step, Transcript


def replay(items: list[Item], lab: Lab) -> Transcript:
    """Run `items` on a started lab and return the transcript (background jobs waited at end)."""
    transcript = Transcript(engine=lab.engine_name)
    compare_next: str | None = None
    for item in items:
        if isinstance(item, CompareAs):
            compare_next = item.mode
        elif isinstance(item, AddNic):
            lab.add_nic(item.nic, host=item.host)
        elif isinstance(item, Comment):
            transcript.comments.setdefault(len(transcript.steps), []).append(item.text)
        elif isinstance(item, Sleep):
            lab.sleep(item.seconds)
        elif isinstance(item, Command):
            result = lab.sh(item.cmd, host=item.host)
            transcript.steps.append(Step(item.host, item.cmd, result.returncode, result.stdout,
                                         compare=compare_next))
            compare_next = None
    assert lab.shell is not None
    for host in lab.shell.pending_hosts():
        result = lab.sh("wait", host=host)
        transcript.steps.append(Step(host, "wait", result.returncode, result.stdout,
                                     implicit=True))
    return transcript
