"""Transcripts: what each command line of a scenario printed, in the one format every engine
and the real-kernel recorder share ({"engine", "steps": [{"host", "cmd", "rc", "out"}]}).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from labkit.replay.scenario import DEFAULT_HOST


@dataclass
class Step:
    """One command line: where it ran, what it was, its status and terminal output."""

    host: str
    cmd: str
    rc: int
    out: str
    implicit: bool = False  # a `wait` the runner added for jobs still running at the end
    compare: str | None = None  # 'ping-loss': compared by loss, not line by line


@dataclass
class Transcript:
    """Every step of one replay, plus the comments for the text form."""

    engine: str
    steps: list[Step] = field(default_factory=list)
    comments: dict[int, list[str]] = field(default_factory=dict)  # before step index
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The JSON form (`labkit replay --json`)."""
        steps = []
        for s in self.steps:
            d = asdict(s)
            for key in ("implicit", "compare"):
                if not d[key]:
                    d.pop(key)
            steps.append(d)
        return json.dumps({"engine": self.engine, **self.meta, "steps": steps}, indent=1,
                          ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        data = json.loads(text)
        steps = [Step(host=s["host"], cmd=s["cmd"], rc=s["rc"], out=s["out"],
                      implicit=s.get("implicit", False), compare=s.get("compare"))
                 for s in data["steps"]]
        meta = {k: v for k, v in data.items() if k not in ("engine", "steps")}
        return cls(engine=data["engine"], steps=steps, meta=meta)

    def to_text(self) -> str:
        """The text form: `$ cmd` (server) or `HOST$ cmd`, then what the terminal showed."""
        out = []
        for i, step in enumerate(self.steps):
            out += [f"# {c}\n" for c in self.comments.get(i, [])]
            prompt = "$" if step.host == DEFAULT_HOST else f"{step.host}$"
            out.append(f"{prompt} {step.cmd}\n{step.out}")
        out += [f"# {c}\n" for c in self.comments.get(len(self.steps), [])]
        return "".join(out)
