"""The engine interface: kernel-level operations, snapshots, pseudo-files and a clock.

Every engine (sim, netns, vm) implements it, so the lab shell, the NetworkManager layer and the
notebooks work unchanged on each. Operations take names as `ip` does and fail with
`KernelError(errno, extack)` as netlink does; the shell turns those into iproute2's words.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from labkit.model.flavours import Flavour
from labkit.model.ping import PingRequest, PingRun
from labkit.model.snapshot import HostSnapshot
from labkit.model.topology import Nic, Topology

Progress = Callable[[str], None]
OptionValue = int | str


class Clock(Protocol):
    """Time as the lab sees it: virtual on the sim, wall time on real engines."""

    def now(self) -> float:
        """Seconds since the lab was built."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass (the sim runs every timer due, instantly)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        """Run `callback` after `delay` seconds of lab time (a handle with cancel())."""
        ...

    def settle(self) -> None:
        """Run the work that is due now (daemons' queued events) without waiting."""
        ...

    def skip(self, seconds: float) -> None:
        """Let `seconds` pass for the daemons' timers without waiting where the engine can
        (a booting lab: the sim and real engines alike start as a machine up a while)."""
        ...


NS = 1_000_000_000  # nanoseconds in a second: lab time inside the clocks
# Lab time costs the events it holds (the daemons' timers run on the sim as they would), so a
# sleep of years would cost the learner minutes: a real terminal's `sleep 3650d` is one nobody
# waits for either. A day is the most one sleep (the shell's, a scenario's @sleep, Lab.sleep)
# lets pass.
LONGEST_SLEEP = 86400
# how long a person takes to type the next command line, in lab time: the sim's pace for
# typed lines (Lab.typed) and the recorder's (the walkthrough's seed prints every output
# settled once a second or more passes between its lines)
PERSON_PACE = 2.0


def to_ns(seconds: float) -> int:
    """Seconds (a float, as users and options give them) to whole nanoseconds, rounded once."""
    return round(seconds * NS)


@dataclass(order=True)
class Timer:
    """A callback due at `when` (lab time in integer nanoseconds, so timer arithmetic is
    exact); cancel() keeps it from running. Both clocks keep these in a heap, ordered by time
    and then by when they were set."""

    when: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Do not run this timer."""
        self.cancelled = True


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


Unset = _Unset  # the type of UNSET, for annotations of arguments that may be left out
UNSET = _Unset()


class Engine(ABC):
    """What labkit needs from something that can run a lab."""

    name: ClassVar[str]
    real_programs: frozenset[str] = frozenset()  # an engine's own, found when it is made

    topology: Topology
    lab_id: str

    @property
    @abstractmethod
    def clock(self) -> Clock:
        """The lab's clock."""

    # -- lifecycle --------------------------------------------------------------------------
    @abstractmethod
    def build(self, topology: Topology, lab_id: str, progress: Progress | None = None,
              managed: frozenset[str] = frozenset(), flavour: Flavour | None = None) -> None:
        """Create every host, cable and address of `topology`, following the build plan;
        the NICs of hosts in `managed` are left to their NetworkManager (down, no address),
        and the flavour shapes those hosts as the imitated machine."""

    def ready(self) -> None:
        """Wait until the kernel's own start-up work is over (IPv6 duplicate address
        detection), so the first command sees a machine that has been up a while; the sim
        is ready as soon as it is built."""
        return None

    @abstractmethod
    def destroy(self) -> None:
        """Remove everything this lab created, and nothing else."""

    @abstractmethod
    def add_cable(self, topology: Topology, host: str, nic: Nic, up: bool = True,
                  physical: bool = False) -> None:
        """Plug a new NIC of `host` into a new switch port (`topology` already holds it);
        `up` False leaves the NIC down (a NetworkManager host's daemon brings it up)."""

    # -- links ------------------------------------------------------------------------------
    @abstractmethod
    def link_add(self, host: str, name: str, kind: str, *, address: str | None = None,
                 mtu: int | None = None, options: Mapping[str, OptionValue] | None = None,
                 peer: str | None = None, peer_address: str | None = None) -> None:
        """RTM_NEWLINK: create a bond, bridge, veth pair or dummy."""

    @abstractmethod
    def link_del(self, host: str, name: str) -> None:
        """RTM_DELLINK."""

    @abstractmethod
    def link_set(self, host: str, name: str, *, up: bool | None = None,
                 master: str | _Unset | None = UNSET, address: str | None = None,
                 mtu: int | None = None, new_name: str | None = None,
                 options: Mapping[str, OptionValue] | None = None,
                 slave_options: Mapping[str, OptionValue] | None = None,
                 addrgenmode: str | None = None) -> None:
        """RTM_SETLINK: master ('' or None releases), flags, address, kind options, and the
        IPv6 address generation mode (IFLA_INET6_ADDR_GEN_MODE: eui64, none, random)."""

    # -- addresses and routes ---------------------------------------------------------------
    @abstractmethod
    def addr_add(self, host: str, dev: str, cidr: str, *, broadcast: str | None = None,
                 noprefixroute: bool = False, metric: int | None = None,
                 label: str | None = None) -> None:
        """RTM_NEWADDR: IPv4, or IPv6 (`broadcast`, `metric`, `label` do not apply)."""

    @abstractmethod
    def addr_del(self, host: str, dev: str, cidr: str) -> None:
        """RTM_DELADDR (IPv4 or IPv6)."""

    @abstractmethod
    def route_add(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None, proto: str | None = None,
                  src: str | None = None) -> None:
        """RTM_NEWROUTE (IPv4, main table)."""

    @abstractmethod
    def route_del(self, host: str, dst: str, *, gateway: str | None = None,
                  dev: str | None = None, metric: int | None = None) -> None:
        """RTM_DELROUTE (IPv4, main table)."""

    # -- pseudo-files -----------------------------------------------------------------------
    @abstractmethod
    def read_file(self, host: str, path: str) -> str:
        """A /proc or /sys file of `host`; FileNotFoundError or IsADirectoryError otherwise."""

    @abstractmethod
    def write_file(self, host: str, path: str, data: str) -> None:
        """Write a /proc/sys or /sys file (KernelError with the errno a write(2) gets)."""

    @abstractmethod
    def list_dir(self, host: str, path: str) -> list[str]:
        """Entries of a /proc or /sys directory, sorted."""

    # -- state ------------------------------------------------------------------------------
    @abstractmethod
    def snapshot(self, host: str) -> HostSnapshot:
        """Everything the views need about `host`, now."""

    def watch_links(self, host: str, callback: Callable[[str], None]) -> None:
        """Call `callback(name)` soon after a link appears on `host` (udev's uevent)."""
        raise NotImplementedError(f"engine {self.name} cannot watch links")

    def hosts(self) -> list[str]:
        """Every host of the lab, the switch included."""
        return self.topology.host_names()

    # -- processes --------------------------------------------------------------------------
    def start_ping(self, host: str, request: PingRequest) -> PingRun:
        """Start the kernel side of a ping (engines that run the real ping need not)."""
        raise NotImplementedError(f"engine {self.name} runs the real ping")

    def run_until_done(self, run: PingRun) -> None:
        """Let time pass until `run` has finished."""
        raise NotImplementedError

    def spawn(self, host: str, argv: list[str], stdin: str = "") -> Any:
        """Start a real program inside `host` (poll(), kill(), output())."""
        raise NotImplementedError(f"engine {self.name} runs no real programs")

    def exec(self, host: str, argv: list[str], stdin: str = "", timeout: float = 60.0
             ) -> tuple[int, str]:
        """Run a real program inside `host` (engines whose `real_programs` is not empty)."""
        raise NotImplementedError(f"engine {self.name} runs no real programs")
