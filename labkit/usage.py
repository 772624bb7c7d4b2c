"""Arguments of labkit's public functions checked in one place: a mistake is one sentence.

Each function checks one argument and returns it (converted where Python's conventions allow,
as a number of seconds to float), or raises UsageTypeError / UsageValueError whose message
names the function, the argument, what it must be and what it was:

    Lab.sleep: seconds must be a number of seconds (int or float), not the str '3'
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable
from typing import Any, TypeVar

from labkit.errors import UsageTypeError, UsageValueError, kind, quote
from labkit.i18n import N_, _

T = TypeVar("T")


def _wrong_type(where: str, arg: str, what: str, value: Any) -> UsageTypeError:
    """`what` is a marked phrase (N_), said here in the language spoken now."""
    return UsageTypeError(_("{where}: {arg} must be {what}, not {kind}").format(
        where=where, arg=arg, what=_(what), kind=kind(value)))


def _or_none(what: str, optional: bool) -> str:
    return _("{what} or None").format(what=_(what)) if optional else what


def text(where: str, arg: str, value: Any, *, optional: bool = False,
         what: str = N_("a string")) -> Any:
    """A str (or None when `optional`)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _wrong_type(where, arg, _or_none(what, optional), value)
    return value


NAME_MAX = 255  # characters of a name given to the API (a file name's limit in bytes)


def name(where: str, arg: str, value: Any, *, optional: bool = False) -> Any:
    """A non-empty str of at most NAME_MAX characters naming something (a host, a NIC, an
    engine, a table); its value is checked where it is used, whose message quotes it."""
    text(where, arg, value, optional=optional, what=N_("a name (a string)"))
    if value == "":
        raise UsageValueError(_("{where}: {arg} must not be empty").format(where=where, arg=arg))
    if value is not None and len(value) > NAME_MAX:
        raise UsageValueError(_("{where}: {arg} is {length} characters long; names have at "
                                "most {most}").format(where=where, arg=arg, length=len(value),
                                                      most=NAME_MAX))
    return value


def flag(where: str, arg: str, value: Any) -> bool:
    """True or False, nothing else: 'yes', 1 or None would be guesses."""
    if not isinstance(value, bool):
        raise _wrong_type(where, arg, N_("True or False"), value)
    return value


def whole(where: str, arg: str, value: Any) -> int:
    """An int (a bool is refused: True is no seed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _wrong_type(where, arg, N_("an integer"), value)
    return int(value)


def seconds(where: str, arg: str, value: Any, *, most: float | None = None) -> float:
    """A duration: a finite real number of seconds, zero or more (at most `most`)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _wrong_type(where, arg, N_("a number of seconds (int or float)"), value)
    number = float(value)
    if not math.isfinite(number):
        raise UsageValueError(_("{where}: {arg} must be a finite number of seconds, not "
                                "{value}").format(where=where, arg=arg, value=quote(value)))
    if number < 0:
        raise UsageValueError(_("{where}: {arg} must be 0 or more seconds, not {value}").format(
            where=where, arg=arg, value=quote(value)))
    if most is not None and number > most:
        raise UsageValueError(_("{where}: {arg} may be at most {most} seconds, not "
                                "{value}").format(where=where, arg=arg, most=f"{most:g}",
                                                  value=quote(value)))
    return number


def path(where: str, arg: str, value: Any, *, optional: bool = False) -> Any:
    """A file system path (str or os.PathLike of str), or None when `optional`."""
    if value is None and optional:
        return None
    if not isinstance(value, str | os.PathLike) or not isinstance(os.fspath(value), str):
        raise _wrong_type(where, arg, _or_none(N_("a path (str or pathlib.Path)"), optional),
                          value)
    return value


def function(where: str, arg: str, value: Any, *, optional: bool = False) -> Any:
    """Something callable (or None when `optional`)."""
    if value is None and optional:
        return None
    if not callable(value):
        raise _wrong_type(where, arg, _or_none(N_("a function"), optional), value)
    return value


def instance(where: str, arg: str, value: T, types: type | tuple[type, ...], what: str) -> T:
    """An instance of `types`; `what` says it in words."""
    if not isinstance(value, types):
        raise _wrong_type(where, arg, what, value)
    return value


def checks_given(where: str, values: tuple[Any, ...],
                 factories: dict[Callable[..., Any], str]) -> None:
    """At least one check, each a function of a lab (not a name, not an uncalled factory)."""
    if not values:
        raise UsageValueError(_("{where}: give at least one check after the lab, such as "
                                "checks.bond('bond0')").format(where=where))
    for i, value in enumerate(values, start=2):
        if not callable(value):
            raise UsageTypeError(_("{where}: argument {i} must be a check (made by a function "
                                   "of labkit.checks, such as checks.bond('bond0')), not "
                                   "{kind}").format(where=where, i=i, kind=kind(value)))
        factory = next((n for f, n in factories.items() if f is value), None)
        if factory is not None:
            raise UsageTypeError(_("{where}: argument {i} is checks.{factory} itself; call it "
                                   "to make a check, as checks.{factory}(...)").format(
                                       where=where, i=i, factory=factory))


def lab_arguments(topology: Any, engine: Any, flavour: Any, locale: Any, lab_id: Any,
                  seed: Any, workdir: Any, progress: Any, networkmanager: Any,
                  stable_uuids: Any) -> None:
    """The arguments of Lab(...), each of the type it must have (their values are checked
    where they are used: the engine's name by the engine chooser, and so on)."""
    from collections.abc import Mapping

    from labkit.model.topology import Topology

    where = "Lab"
    instance(where, "topology", topology, (str, os.PathLike, Mapping, Topology),
             N_("a preset name, a file, a mapping or a Topology"))
    name(where, "engine", engine)
    name(where, "flavour", flavour)
    name(where, "locale", locale, optional=True)
    name(where, "lab_id", lab_id)
    whole(where, "seed", seed)
    path(where, "workdir", workdir, optional=True)
    function(where, "progress", progress, optional=True)
    flag(where, "networkmanager", networkmanager)
    flag(where, "stable_uuids", stable_uuids)


def ipv4_address(where: str, arg: str, value: Any) -> str:
    """An IPv4 address written as text (192.168.1.61)."""
    import ipaddress

    text(where, arg, value, what=N_("an IPv4 address (a string)"))
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise UsageValueError(_("{where}: {arg} must be an IPv4 address such as 192.168.1.61, "
                                "not {value}").format(where=where, arg=arg,
                                                      value=quote(value))) from None
    return value
