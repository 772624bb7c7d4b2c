"""The front door: `with labkit.Lab() as lab:` builds a lab, `lab.sh(...)` types into it.

A Lab ties a validated topology to an engine (chosen once, with a reason) and to a shell whose
programs behave as the real ones; it pulls and plugs cables at the switch, adds NICs, lets
time pass, and turns snapshots into pandas tables. Leaving the `with` block (or close())
destroys exactly what the lab created, also after an error.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit import i18n, usage
from labkit.classroom import labids
from labkit.engines import records
from labkit.engines.base import LONGEST_SLEEP, PERSON_PACE
from labkit.engines.select import choose, make_engine
from labkit.errors import LabkitError, TopologyError, quote
from labkit.files import LabFiles
from labkit.i18n import _
from labkit.model import packages as pkgs
from labkit.model.flavours import FLAVOURS, check_locale, get_flavour
from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Nic, Topology, load_topology
from labkit.nm.uuids import UuidSource
from labkit.shell.result import ShellResult
from labkit.shell.session import Shell
from labkit.system.host import STABLE_EPOCH, HostSystem, boot

if TYPE_CHECKING:
    import pandas

    from labkit.engines.base import Engine, Progress
    from labkit.nm.daemon import NetworkManager
    from labkit.views.table import Table


_running_labs: list[Lab] = []  # started and not yet closed, oldest first


def _packages(packages: Sequence[str], flavour: str) -> tuple[str, ...]:
    """`packages` as the lab installs them; a LabkitError naming what the flavour offers for
    a name it has no package of."""
    if isinstance(packages, str) or not all(isinstance(p, str) for p in packages):
        raise usage.UsageTypeError("packages must be a list of package names, e.g. "
                                   "packages=['ifenslave']")
    unknown = pkgs.unknown(flavour, list(packages))
    if unknown:
        offered = ", ".join(sorted(pkgs.PACKAGES.get(flavour, {})))
        raise LabkitError(f"the {flavour} machine has no package {quote(unknown[0])} to "
                          f"install (it offers: {offered})")
    return tuple(dict.fromkeys(packages))


FLAVOUR_ENV = "LABKIT_FLAVOUR"  # the machine a Lab() that names none imitates
DEFAULT_FLAVOUR = "nm142"


MAX_PACE = 60.0  # seconds between typed lines at the most


def current_lab() -> Lab:
    """The lab started last and still running (what %lab types into)."""
    if not _running_labs:
        raise LabkitError(_("no lab is running: start one with `lab = labkit.Lab().start()` "
                            "(or `with labkit.Lab() as lab:`)"))
    return _running_labs[-1]


class Lab:
    """One lab: hosts, cables, a switch, and a shell on each host.

    `flavour` picks the imitated machine (nm142, centos7; by default $LABKIT_FLAVOUR, else
    nm142) and `locale` its language (C, ja);
    `networkmanager=False` leaves NetworkManager out (kernel-level lessons); `stable_uuids`
    derives NetworkManager's UUIDs from `seed` and fixes the lab's calendar, so notebooks print
    the same text every run. `packages` installs more of the flavour's packages on the
    NetworkManager hosts (nm142: `ifenslave`, whose udev rule leaves a bond's MAC alone; see
    labkit/model/packages.py).
    """

    def __init__(self, topology: str | Path | dict[str, Any] | Topology = "centos7-bond",
                 engine: str = "auto", *, flavour: str | None = None, locale: str | None = None,
                 lab_id: str | None = None, seed: int = 0, workdir: str | Path | None = None,
                 progress: Progress | None = None, networkmanager: bool = True,
                 stable_uuids: bool = False, packages: Sequence[str] = (),
                 pace: float | None = None) -> None:
        if lab_id is None:  # LABKIT_LAB_ID, else the hub user's own (a class), else "labkit"
            lab_id = labids.from_environment()
        if flavour is None:  # the course's machine switch: LABKIT_FLAVOUR=centos7, else nm142
            flavour = os.environ.get(FLAVOUR_ENV) or DEFAULT_FLAVOUR
            if flavour not in FLAVOURS:
                with i18n.speaking(locale):
                    raise LabkitError(_("{env}={flavour} names no flavour (known: {known}): "
                                        "unset it, or pick one of those").format(
                                            env=FLAVOUR_ENV, flavour=quote(flavour),
                                            known=", ".join(FLAVOURS)))
        usage.lab_arguments(topology, engine, flavour, locale, lab_id, seed, workdir, progress,
                            networkmanager, stable_uuids)
        self.topology = load_topology(topology)
        self._topology_given = self.topology  # add_nic() changes self.topology; reset() not
        self.flavour = get_flavour(flavour)
        self.locale = check_locale(locale)
        self.language = i18n.language(locale)  # of labkit's own words: en, ja (labkit.i18n)
        self.packages = _packages(packages, self.flavour.name)
        self.pace = None if pace is None else usage.seconds("Lab", "pace", pace, most=MAX_PACE)
        if (not lab_id.isascii() or not lab_id.replace("-", "").isalnum() or len(lab_id) > 12
                or not lab_id[0].isalpha()):
            with i18n.speaking(self.language):
                raise TopologyError([_("lab_id {lab_id} must start with a letter and hold at "
                                       "most 12 letters, digits or '-'").format(
                                           lab_id=quote(lab_id))], source="Lab")
        self.lab_id = lab_id
        self.seed = seed
        self.networkmanager = networkmanager
        self.stable_uuids = stable_uuids
        self.systems: dict[str, HostSystem] = {}
        choice = choose(engine)
        self.engine_name = choice.name
        self.engine_reason = choice.reason
        self._workdir_given = workdir is not None
        self.workdir = Path(workdir) if workdir else None
        self._progress = progress
        self.engine: Engine | None = None
        self.files: LabFiles | None = None
        self.shell: Shell | None = None
        self._ready = False
        self._observers: list[Callable[[], None]] = []  # told after the lab changed
        self._pid = os.getpid()
        self._record: records.Record | None = None  # the lab's own: its working directory
        self._engine_built: Engine | None = None  # built or being built: destroyed on close

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> Lab:
        """Build the lab; on any failure (Ctrl-C included) undo what was built, then re-raise.

        Everything the lab makes is written in a state record before it is made (the working
        directory in the lab's own record, namespaces and processes in the engine's), so
        close(), interpreter exit or, after a kill -9, `labkit cleanup` can remove it all.
        """
        if self.engine is not None:
            return self
        engine = make_engine(self.engine_name, seed=self.seed,
                             kernel_release=self.flavour.kernel_release,
                             bonding_version=self.flavour.bonding_version)
        self._pid = os.getpid()
        atexit.register(self._close_at_exit)
        try:
            records.remove_crashed(self.lab_id)
            self._record = records.fresh(self.lab_id, exclusive=False)
            self._record.save()
            if self.workdir is None:
                self.workdir = self._record.make_workdir(f"{self.lab_id}-")
            self.files = LabFiles(self.workdir / "files")
            managed = self._managed_hosts()
            self._engine_built = engine
            engine.build(self.topology, self.lab_id, self._progress, managed=managed,
                         flavour=self.flavour)
            uuids = UuidSource(self.seed if self.stable_uuids else None)
            # reproducible labs also keep their own calendar (profile timestamps)
            epoch = STABLE_EPOCH if self.stable_uuids else None
            for host in self.topology.hosts:
                if host.name in managed:
                    if self._progress:
                        self._progress(f"starting NetworkManager on {host.name}")
                self.systems[host.name] = boot(engine, self.files, host if host.name in managed
                                               else replace(host, networkmanager=False),
                                               self.flavour, self.locale, uuids, epoch,
                                               packages=self.packages)
        except BaseException:
            self.systems = {}
            self._teardown_twice()
            raise
        self.engine = engine
        self.shell = Shell(engine, self.files, systems=self.systems)
        self._ready = False
        _running_labs.append(self)
        return self

    def _managed_hosts(self) -> frozenset[str]:
        if not self.networkmanager:
            return frozenset()
        return frozenset(h.name for h in self.topology.hosts if h.networkmanager)

    def close(self) -> None:
        """Destroy everything the lab created (a Ctrl-C in the middle does not stop it
        halfway)."""
        self.engine, self.shell = None, None
        self.systems = {}
        self._observers = []
        if self in _running_labs:
            _running_labs.remove(self)
        self._teardown_twice()

    def reset(self) -> Lab:
        """The lab as it started: closed, then started again with the same arguments (the
        topology as given, before any add_nic; the same seed, so the same MACs and UUIDs).

        Whoever watches the lab (on_change: the dashboard) keeps watching the new one and is
        told once it runs. A working directory the lab was given is not the lab's to empty:
        the files in it stay as they are."""
        observers = list(self._observers)
        self.close()
        self._observers = observers
        self.topology = self._topology_given
        self.start()
        self._changed()
        return self

    def _close_at_exit(self) -> None:
        """close() at interpreter exit, in the process that started the lab only (a forked
        child's exit leaves its parent's lab alone)."""
        if os.getpid() == self._pid:
            self.close()

    def _teardown_twice(self) -> None:
        """Tear down; a Ctrl-C in the middle interrupts one pass, the second finishes (every
        step is undone only once, so the second pass does what the first had not), then the
        Ctrl-C goes on."""
        try:
            self._teardown()
        except KeyboardInterrupt:
            self._teardown()
            raise

    def _teardown(self) -> None:
        """The engine's resources (processes first), then the working directory, the lab's
        record and its exit hook. Each step is safe to repeat."""
        engine = self._engine_built
        if engine is not None:
            engine.destroy()
            self._engine_built = None
        if self._record is not None:  # a workdir given to the lab is not in it: not ours
            records.remove(self._record)
            self._record = None
            if not self._workdir_given:
                self.workdir = None
        atexit.unregister(self._close_at_exit)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- observers --------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Closed and not being built again (reset() closes, then starts): what a terminal
        served on this lab waits on before it lets its clients go."""
        return self.engine is None and self._engine_built is None

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after every command, cable change, new NIC or sleep (the
        dashboard redraws so)."""
        usage.function("Lab.on_change", "callback", callback)
        self._observers.append(callback)

    def _changed(self) -> None:
        for callback in list(self._observers):
            callback()

    def dashboard(self, host: str = "server", bond: str = "bond0",
                  setup: Callable[[Lab], object] | None = None) -> Any:
        """The lab dashboard widget: the lab drawn, a button per cable, a reset button (which
        then runs `setup(lab)`, the notebook's own first steps), /proc/net/bonding."""
        usage.name("Lab.dashboard", "host", host)
        usage.name("Lab.dashboard", "bond", bond)
        usage.function("Lab.dashboard", "setup", setup, optional=True)
        from labkit.notebook.dashboard import Dashboard

        return Dashboard(self, host=host, bond=bond, setup=setup)

    def terminal(self, host: str = "server") -> Any:
        """Open a JupyterLab terminal typing into `host` of this lab (the lab's shell served on
        a Unix socket of yours; without a Jupyter server, says how to attach one by hand)."""
        usage.name("Lab.terminal", "host", host)
        self._running()
        self._check_host(host)
        from labkit.terminal import terminal

        return terminal(self, host)

    def _running(self) -> tuple[Engine, Shell]:
        if self.engine is None or self.shell is None:
            with i18n.speaking(self.language):
                raise LabkitError(_("the lab is not running: use `with Lab() as lab:` or "
                                    "lab.start()"))
        if not self._ready:
            # first use: the kernel finishes its start-up work (DAD) before anyone looks,
            # so building stays fast when nobody looks (benchmarks, throw-away labs)
            self._ready = True
            self.engine.ready()
        return self.engine, self.shell

    # -- the shell --------------------------------------------------------------------------
    @property
    def typing_pace(self) -> float:
        """Seconds of lab time before each line a person types: `pace`, else PERSON_PACE on
        the sim (its clock stands still between calls) and 0 on the real engines (real time
        passes there as the commands run; they do not yet wait for the same conditions)."""
        if self.pace is not None:
            return self.pace
        return PERSON_PACE if self.engine_name == "sim" else 0.0

    def typed(self, cmd: str, host: str = "server") -> ShellResult:
        """A command line as a person types it (a `%%lab` cell's line, the terminal, a
        replayed scenario): lab time passes first, the lab's typing pace, as it does between
        a person's commands (udev, IPv6 DAD, the router's advertisement and NetworkManager's
        activation move on meanwhile); then it runs as sh() runs it. sh() itself runs at
        once: scripts and checks see the lab as it is."""
        usage.text("Lab.typed", "cmd", cmd, what="a command line (a string)")
        usage.name("Lab.typed", "host", host)
        self._running()
        self._check_host(host)
        if self.typing_pace:
            self.sleep(self.typing_pace)
        return self.sh(cmd, host=host)

    def sh(self, cmd: str, host: str = "server") -> ShellResult:
        """Run a command line on `host` as in its terminal; the result displays like one."""
        usage.text("Lab.sh", "cmd", cmd, what="a command line (a string)")
        usage.name("Lab.sh", "host", host)
        _, shell = self._running()
        self._check_host(host)
        result = shell.run(cmd, host=host)
        self._changed()
        return result

    def _check_host(self, host: str) -> None:
        if host not in self.topology.host_names():
            with i18n.speaking(self.language):
                raise LabkitError(_("no host {host} in this lab (hosts: {hosts})").format(
                    host=quote(host), hosts=", ".join(self.topology.host_names())))

    # -- cables and NICs --------------------------------------------------------------------
    def unplug(self, nic: str, host: str | None = None) -> None:
        """Pull the cable of `nic`: its switch port goes down (switch$ ip link set swNN down)."""
        usage.name("Lab.unplug", "nic", nic)
        usage.name("Lab.unplug", "host", host, optional=True)
        self._cable(nic, host, up=False)

    def plug(self, nic: str, host: str | None = None) -> None:
        """Plug the cable of `nic` back in (switch$ ip link set swNN up)."""
        usage.name("Lab.plug", "nic", nic)
        usage.name("Lab.plug", "host", host, optional=True)
        self._cable(nic, host, up=True)

    def _cable(self, nic: str, host: str | None, up: bool) -> None:
        engine, _ = self._running()
        try:
            _, cable = self.topology.cable_of(nic, host)
        except KeyError as exc:
            raise LabkitError(str(exc.args[0])) from None
        engine.link_set(self.topology.switch.name, cable.port, up=up)
        self._changed()

    def add_nic(self, name: str, host: str = "server") -> Nic:
        """Add an adapter to `host`, cabled to a new switch port (as adding one in VMware).

        The name follows the kernel's rules and the lab's limits (TopologyError otherwise)."""
        usage.text("Lab.add_nic", "name", name)
        usage.name("Lab.add_nic", "host", host)
        engine, _ = self._running()
        topology, nic = self.topology.with_nic(name, host)
        managed = host in self._managed_hosts()
        engine.add_cable(topology, host, nic, up=not managed,
                         physical=managed and self.flavour.nic_model == "e1000")
        self.topology = topology
        system = self.systems.get(host)
        if system is not None and system.nm is not None:
            engine.clock.settle()
            system.nm.sync()
            engine.clock.settle()
        self._changed()
        return nic

    # -- NetworkManager ---------------------------------------------------------------------
    @property
    def nm(self) -> NetworkManager:
        """The server's NetworkManager (its profiles, devices, and states())."""
        return self.networkmanager_of("server")

    def networkmanager_of(self, host: str) -> NetworkManager:
        """The NetworkManager daemon of `host`; LabkitError if the host runs none."""
        usage.name("Lab.networkmanager_of", "host", host)
        self._running()
        self._check_host(host)
        system = self.systems.get(host)
        if system is None or system.nm is None:
            with i18n.speaking(self.language):
                raise LabkitError((_("host {host} runs no NetworkManager in this lab")
                                   if self.networkmanager else
                                   _("host {host} runs no NetworkManager in this lab (the lab "
                                     "was built with networkmanager=False)")).format(
                                         host=quote(host)))
        return system.nm

    # -- time and state ---------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Let lab time pass (on the sim at the cost of the events it holds; a day at most,
        as the shell's `sleep`)."""
        seconds = usage.seconds("Lab.sleep", "seconds", seconds, most=LONGEST_SLEEP)
        engine, _ = self._running()
        engine.clock.sleep(seconds)
        self._changed()

    def snapshot(self, host: str = "server") -> HostSnapshot:
        """The kernel state of `host` now."""
        usage.name("Lab.snapshot", "host", host)
        engine, _ = self._running()
        self._check_host(host)
        return engine.snapshot(host)

    def frame(self, what: str = "links", host: str = "server") -> pandas.DataFrame | Table:
        """A pandas table of `host`'s links, addresses, routes, neighbours, bonds or fdb (a
        labkit Table with the same columns where pandas is missing, as in the browser)."""
        usage.name("Lab.frame", "what", what)
        usage.name("Lab.frame", "host", host)
        from labkit.views import frames

        return frames.frame(self.snapshot(host), what)

    def describe(self) -> str:
        """One paragraph: topology, engine and why, flavour, state."""
        state = "running" if self.engine is not None else "not started"
        nm = ", ".join(sorted(self._managed_hosts())) or "no host"
        return (f"lab {self.lab_id!r}: topology {self.topology.name!r} "
                f"({', '.join(self.topology.host_names())}), engine {self.engine_name} "
                f"({self.engine_reason}), flavour {self.flavour.name}, NetworkManager on "
                f"{nm}, {state}")

    def __repr__(self) -> str:
        return f"<Lab {self.describe()}>"
