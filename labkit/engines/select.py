"""Engine choice: which engine a lab runs on, and one sentence saying why.

`auto` probes the machine once (probe.py) and picks the netns engine where the host kernel can
make bonds in a namespace, else the sim. `LABKIT_ENGINE` in the environment forces a choice
(tests and nbval use it). A forced or requested engine that cannot work here is refused before
anything privileged is tried, with what is missing and which engine will serve.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from labkit.engines.base import Engine
from labkit.errors import EngineUnavailable
from labkit.i18n import _
from labkit.model.flavours import RECORDED_KERNEL

ENGINES = ("auto", "sim", "netns", "vm")


@dataclass(frozen=True)
class Choice:
    """The engine picked and why."""

    name: str
    reason: str


def choose(requested: str | None) -> Choice:
    """Resolve 'auto' and LABKIT_ENGINE into an engine this machine can run."""
    forced = os.environ.get("LABKIT_ENGINE")
    name = requested or "auto"
    if name == "auto" and forced:
        name = forced
        why = _("LABKIT_ENGINE={value} forces it").format(value=forced)
    else:
        why = _("asked for explicitly")
    if name not in ENGINES:
        raise EngineUnavailable(_("unknown engine {name} (engines: {engines})").format(
            name=repr(name), engines=", ".join(ENGINES)))
    if name == "sim":
        return Choice("sim", why)
    from labkit.engines.probe import probe

    found = probe()
    if name == "auto":
        if found.bonds_ok:
            return Choice("netns", _("the host kernel can make bonds in a network namespace "
                                     "(root, bonding driver)"))
        if not found.ok("CAP_NET_ADMIN"):
            return Choice("sim", _("the sim engine runs anywhere; the netns engine needs root "
                                   "(CAP_NET_ADMIN)"))
        return Choice("sim", _("this kernel cannot make a bond ({detail}), so the sim engine "
                               "serves").format(detail=found.detail("bonding").split(": ", 1)[-1])
                      + (_("; `labkit replay --engine vm` runs a real kernel with bonding")
                         if found.vm_ok else ""))
    if name == "netns":
        if not found.netns_ok:
            # each reason once: without CAP_NET_ADMIN three checks share one "not tried"
            lacking = list(dict.fromkeys(
                c.detail for c in found.checks
                if c.name in ("CAP_NET_ADMIN", "namespaces", "veth", "bridge", "iproute2")
                and not c.ok))
            raise EngineUnavailable(_("the netns engine cannot run here: {lacking}. The sim "
                                      "engine serves (engine='sim')").format(
                                          lacking="; ".join(lacking)))
        if not found.bonds_ok:
            return Choice("netns", why + _("; note: this kernel cannot make bonds ({detail})")
                          .format(detail=found.detail("bonding").split(": ", 1)[-1]))
        return Choice("netns", why)
    raise EngineUnavailable(
        _("the vm engine runs whole commands in a micro-VM with a real kernel: "
          "`labkit replay --engine vm FILE`, or `labkit vm -- COMMAND` (inside, the netns engine "
          "serves)") + ("" if found.vm_ok else _("; this machine lacks {what}").format(
              what="; ".join(c.detail for c in found.checks
                             if c.name in ("kernel image", "qemu", "virtme-ng") and not c.ok))))


def make_engine(name: str, seed: int = 0, kernel_release: str = RECORDED_KERNEL,
                bonding_version: str | None = None) -> Engine:
    """An engine instance for a concrete engine name."""
    if name == "sim":
        from labkit.engines.sim.engine import SimEngine

        return SimEngine(seed=seed, kernel_release=kernel_release,
                         bonding_version=bonding_version)
    if name == "netns":
        from labkit.engines.netns.engine import NetnsEngine

        return NetnsEngine()
    raise EngineUnavailable(_("engine {name} is not available").format(name=repr(name)))
