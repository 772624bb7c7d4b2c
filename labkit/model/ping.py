"""A ping as the kernel side of iputils ping sees it: what was asked, what came back.

Engines fill these in (sim, netns, vm); `ping` (shell/programs/ping.py) and its view
(views/ping.py) read them: a shared record, so views need not import an engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PingRequest:
    """What `ping` was asked to do (iputils options that matter to the kernel side)."""

    dst: str
    count: int | None = None
    interval: float = 1.0
    deadline: float | None = None
    timeout: float | None = None
    size: int = 56
    ttl: int = 64


@dataclass
class PingEvent:
    """One thing a ping saw: a reply, or an error for one of its probes."""

    kind: str  # reply | unreachable
    seq: int
    time: float
    rtt_ms: float = 0.0
    ttl: int = 64
    source: str = ""


@dataclass
class PingRun:
    """A ping in progress or finished, as the kernel side of iputils ping sees it."""

    request: PingRequest
    started: float
    source: str | None = None
    transmitted: int = 0
    events: list[PingEvent] = field(default_factory=list)
    done: bool = False
    finished: float = 0.0
    last_sent: float = 0.0
    error: str | None = None  # ENETUNREACH and friends, fatal at the first send

    @property
    def received(self) -> int:
        return len({e.seq for e in self.events if e.kind == "reply"})

    @property
    def errors(self) -> int:
        return sum(1 for e in self.events if e.kind == "unreachable")
