"""Engine choice: which engine a lab runs on, and one sentence saying why.

`LABKIT_ENGINE` in the environment forces a choice (tests and nbval use it). Until the netns
and vm engines land, `auto` picks the sim, which runs anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from labkit.engines.base import Engine
from labkit.errors import EngineUnavailable

ENGINES = ("auto", "sim", "netns", "vm")


@dataclass(frozen=True)
class Choice:
    """The engine picked and why."""

    name: str
    reason: str


def choose(requested: str | None) -> Choice:
    """Resolve 'auto' and LABKIT_ENGINE into a concrete engine name."""
    forced = os.environ.get("LABKIT_ENGINE")
    name = requested or "auto"
    if name == "auto" and forced:
        name = forced
        why = f"LABKIT_ENGINE={forced} forces it"
    else:
        why = "asked for explicitly"
    if name not in ENGINES:
        raise EngineUnavailable(f"unknown engine {name!r} (engines: {', '.join(ENGINES)})")
    if name == "auto":
        return Choice("sim", "the sim engine runs anywhere; the netns and vm engines are not "
                             "part of this labkit version yet")
    if name in ("netns", "vm"):
        raise EngineUnavailable(f"the {name} engine is not part of this labkit version yet; "
                                "the sim engine serves (engine='sim')")
    return Choice(name, why)


def make_engine(name: str, seed: int = 0, kernel_release: str = "6.1.0-56-amd64",
                bonding_version: str | None = None) -> Engine:
    """An engine instance for a concrete engine name."""
    if name == "sim":
        from labkit.engines.sim.engine import SimEngine

        return SimEngine(seed=seed, kernel_release=kernel_release,
                         bonding_version=bonding_version)
    raise EngineUnavailable(f"engine {name!r} is not available")
