"""Property names and values as nmcli reads and prints them.

Names: a setting or property may be any unique case-insensitive prefix (an exact name wins),
settings also by alias (`ethernet`); only the settings a profile's type allows are accepted.
Values: each property kind of the schema parses and renders one way; `+` adds to and `-`
removes from a list, an empty value restores the default. Errors carry nmcli's words.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from labkit.nm.schema import BOND_MODES, BOND_OPTIONS, SETTINGS, Prop, bond_option_error

Translate = Callable[[str], str]


class ValueError_(Exception):  # distinct from the builtin on purpose
    """A value nmcli refuses; str() is the reason without 'Error:'."""


# settings each kind of profile may hold (nm-meta-setting-desc.c valid parts), nmcli's order
TYPE_SETTINGS = {
    "802-3-ethernet": ["connection", "802-3-ethernet", "802-1x", "dcb", "sriov", "ethtool"],
    "bond": ["connection", "bond", "802-3-ethernet", "ethtool"],
}
NOSLAVE_SETTINGS = ["match", "ipv4", "ipv6", "hostname", "tc", "proxy"]
PORT_SETTINGS = {"bond": ["bond-port"]}
ALIASES = {"802-3-ethernet": "ethernet"}
MODELED = set(SETTINGS)


def allowed_settings(ctype: str, slave_type: str | None, version: tuple[int, int]) -> list[str]:
    base = list(TYPE_SETTINGS.get(ctype, ["connection", ctype]))
    if slave_type:
        extra = PORT_SETTINGS.get(slave_type, []) if version >= (1, 34) else []
    else:
        extra = NOSLAVE_SETTINGS if version >= (1, 30) else [s for s in NOSLAVE_SETTINGS
                                                             if s != "hostname"]
    return base + extra


def _among(names: list[str]) -> str:
    return ", ".join(f"{n} ({ALIASES[n]})" if n in ALIASES else n for n in names)


def match_name(word: str, names: list[str], aliases: dict[str, str] | None = None,
               tr: Translate = str) -> str:
    """nmc_string_is_valid: exact, else a unique case-insensitive prefix."""
    aliases = aliases or {}
    low = word.lower()
    for name in names:
        if name.lower() == low or aliases.get(name, "").lower() == low:
            return name
    hits = [n for n in names if n.lower().startswith(low)
            or aliases.get(n, "\0").lower().startswith(low)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ValueError_(tr("'%s' is ambiguous: %s") % (word, ", ".join(hits)))
    raise ValueError_(tr("'%s' not among [%s]") % (word, _among(names)))


def resolve_setting(word: str, allowed: list[str], tr: Translate = str) -> str:
    return match_name(word, allowed, ALIASES, tr)


def resolve_property(setting: str, word: str, version: tuple[int, int],
                     tr: Translate = str) -> Prop:
    props = [p for p in SETTINGS[setting].props_for(version)]
    name = match_name(word, [p.name for p in props], tr=tr)
    return next(p for p in props if p.name == name)


# -- rendering -------------------------------------------------------------------------------
def bond_options_text(options: dict[str, str]) -> str:
    keys = sorted(options, key=lambda k: (k != "mode", k))
    return ",".join(f"{k}={options[k]}" for k in keys)


def render(setting: str, prop: Prop, value: Any, terse: bool, tr: Translate = str) -> str:
    """One value as nmcli prints it (normal/pretty, or terse/parsable)."""
    kind = prop.kind
    if value is None:
        return ""
    if kind == "bool":
        return tr("yes") if value else tr("no")
    if kind in ("info", "enum"):
        if terse or value not in prop.names:
            return str(value)
        return f"{value} ({prop.names[value]})"
    if kind == "flags":
        text = f"0x{value:X}"
        if terse or value not in prop.names:
            return text
        return f"{text} ({prop.names[value]})"
    if kind == "mtu":
        return "auto" if not value else str(value)
    if kind == "choice":
        if setting == "connection" and prop.name == "metered":
            return tr(value)
        return str(value)
    if kind == "addrs":
        return ", ".join(value)
    if kind in ("iplist", "strlist"):
        return ",".join(value)
    if kind == "dict":
        return bond_options_text(dict(value))
    return str(value)


# -- parsing ---------------------------------------------------------------------------------
TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")


def is_valid(word: str, allowed: list[str] | tuple[str, ...]) -> str | None:
    """nmc_string_is_valid without its error: exact (any case), else the one prefix."""
    low = word.lower()
    if not low:
        return None
    hits = [a for a in allowed if a.lower().startswith(low)]
    exact = [a for a in hits if len(a) == len(low)]
    if exact:
        return exact[0]
    return hits[0] if len(hits) == 1 else None


def parse_bool(text: str, tr: Translate = str, version: tuple[int, int] = (1, 42)) -> bool:
    """nmc_string_to_bool: true/yes/on, false/no/off (unique prefixes, any case); 1.42 strips
    blanks and takes an integer 0 or 1 in C's notations (0x1, 01), 1.18 only "1" and "0"."""
    word = text.strip() if version >= (1, 42) else text
    if word == "o":
        raise ValueError_(tr("'%s' is ambiguous (%s)")
                          % (word, "on, off" if version >= (1, 42) else "on x off"))
    true, false = list(TRUE_WORDS), list(FALSE_WORDS)
    if version < (1, 42):
        true, false = [*true, "1"], [*false, "0"]
    if is_valid(word, true):
        return True
    if is_valid(word, false):
        return False
    if version >= (1, 42):
        number = c_integer(word)
        if number in (0, 1):
            return bool(number)
    raise ValueError_(tr("'%s' is not valid; use [%s] or [%s]")
                      % (word, ", ".join(TRUE_WORDS), ", ".join(FALSE_WORDS)))


def c_integer(text: str) -> int | None:
    """_nm_utils_ascii_str_to_int64(text, 0, ...): decimal, 0x hex or 0 octal, blanks
    around it allowed; None when it is not a number."""
    t = text.strip()
    sign = -1 if t.startswith("-") else 1
    body = t[1:] if t[:1] in "+-" else t
    try:
        if body.lower().startswith("0x"):
            return sign * int(body[2:], 16)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body[1:], 8)
        if body.isdigit():
            return sign * int(body)
    except ValueError:
        return None
    return None


def _parse_int(prop: Prop, text: str, tr: Translate = str) -> int:
    for number, name in prop.names.items():
        if text.lower() == name.lower():
            return number
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError_(tr("'%s' is not a valid number") % text) from None


def _parse_address(text: str, family: int, tr: Translate = str) -> str:
    """_parse_ip_address: the prefix is checked first (0 to 32 or 128), then the address
    (nm_ip_address_new's message inside "invalid IP address: %s")."""
    addr, slash, plen = text.strip().partition("/")
    top = 32 if family == 4 else 128
    if slash and (not plen.isdigit() or int(plen) > top):
        raise ValueError_(tr("invalid prefix '%s'; <0-%d> allowed") % (plen, top))
    try:
        ip = ipaddress.ip_address(addr)
        if ip.version != family:
            raise ValueError(addr)
    except ValueError:
        inner = tr(f"Invalid IPv{family} address '%s'") % addr
        raise ValueError_(tr("invalid IP address: %s") % inner) from None
    return f"{ip}/{int(plen) if slash else top}"


def _split_list(text: str) -> list[str]:
    return [t for t in text.replace(",", " ").split() if t]


def _names_error(word: str, names: list[str], tr: Translate) -> ValueError_:
    """_nmc_string_is_valid's refusal of `word` among `names`."""
    low = word.lower()
    hits = [n for n in names if n.lower().startswith(low)] if low else []
    if len(hits) > 1:
        return ValueError_(tr("'%s' is ambiguous: %s") % (word, ", ".join(hits)))
    if not word:
        return ValueError_(tr("missing name, try one of [%s]") % ", ".join(names))
    return ValueError_(tr("'%s' not among [%s]") % (word, ", ".join(names)))


def valid_name(word: str, names: list[str], tr: Translate = str) -> str:
    """nmc_string_is_valid: the name `word` stands for, or its error."""
    hit = is_valid(word, names)
    if hit is None:
        raise _names_error(word, names, tr)
    return hit


def bond_mode(value: str, tr: Translate = str) -> str:
    """nmc_bond_validate_mode: a number 0-6 (strtoul, range-checked) or a mode's name or
    unique prefix, as the mode's name."""
    text = value.lstrip(" \t\n")
    if text.lstrip("+").isdigit() and 0 <= int(text.lstrip("+")) <= 6:
        return BOND_MODES[int(text.lstrip("+"))]
    return valid_name(value, list(BOND_MODES), tr)


def parse_bond_options(text: str, removing: bool = False, tr: Translate = str
                       ) -> list[tuple[str, str | None]]:
    """_set_fcn_optionlist's first pass: 'mode=4, miimon=100' as (option, value) pairs, each
    name resolved among the bond's options (unique prefixes, any case); a name without a value
    only when removing (value None)."""
    out: list[tuple[str, str | None]] = []
    names = list(BOND_OPTIONS)
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        key, eq, value = item.partition("=")
        name = valid_name(key.strip(), names, tr)
        if not eq and not removing:
            raise ValueError_(tr("'%s' is not valid; use <option>=<value>") % name)
        out.append((name, None if removing else value.strip()))
    return out


def add_bond_option(opts: dict[str, str], name: str, value: str | None,
                    tr: Translate = str) -> None:
    """_nm_meta_setting_bond_add_option: set (or, with no value, remove) one option; a mode
    by number or prefix; arp_ip_target's blanks become commas; miimon and arp_interval
    exclude each other; primary and the deprecated active_slave follow each other."""
    if not value:
        opts.pop(name, None)
        return
    if name == "mode":
        value = bond_mode(value, tr)
    elif name == "arp_ip_target":
        value = value.replace(" ", ",")
    if bond_option_error(name, value):
        raise ValueError_(tr('failed to set bond option "%s"') % name)
    opts[name] = value
    number = int(value) if value.isdigit() else 0
    if name == "arp_interval" and number > 0:
        for k in ("miimon", "downdelay", "updelay"):
            opts.pop(k, None)
    elif name == "miimon" and number > 0:
        for k in ("arp_interval", "arp_validate", "arp_all_targets", "arp_ip_target"):
            opts.pop(k, None)
    elif name == "primary" and opts.get("active_slave", value) != value:
        opts.pop("active_slave")
    elif name == "active_slave" and opts.get("primary", value) != value:
        opts["primary"] = value


def set_value(setting: str, prop: Prop, current: Any, text: str | None, modifier: str,
              tr: Translate = str, version: tuple[int, int] = (1, 42)) -> Any:
    """The property's new value after `[+|-]setting.prop text` (ValueError_ when refused)."""
    if text is None:
        return prop.default if modifier != "+" else current
    kind = prop.kind
    family = 6 if setting == "ipv6" else 4
    if kind == "bool":
        return parse_bool(text, tr, version)
    if kind == "choice":
        if modifier == "-":
            return prop.default
        return match_name(text, list(prop.values), tr=tr)
    if kind in ("int", "info", "enum", "flags"):
        if modifier == "-":
            return prop.default
        return _parse_int(prop, text, tr)
    if kind == "mtu":
        return 0 if text == "auto" else _parse_int(prop, text, tr)
    if kind in ("addrs", "iplist", "strlist") and modifier == "-" and text.strip().isdigit():
        index = int(text.strip())
        cur = tuple(current or ())
        return cur[:index] + cur[index + 1:]
    if kind == "addrs":
        items = [_parse_address(t, family, tr) for t in _split_list(text)]
        return _list_update(tuple(current or ()), items, text, modifier)
    if kind == "iplist":
        items = [_ip(t, family, tr(f"invalid IPv{family} address '%s'") % t)
                 for t in _split_list(text)]
        return _list_update(tuple(current or ()), items, text, modifier)
    if kind == "strlist":
        return _list_update(tuple(current or ()), _split_list(text), text, modifier)
    if kind == "dict":
        pairs = parse_bond_options(text, removing=modifier == "-", tr=tr)
        opts = dict(current or ()) if modifier else {}
        for name, value in pairs:
            add_bond_option(opts, name, value, tr)
        return tuple(sorted(opts.items()))
    if setting in ("ipv4", "ipv6") and prop.name == "gateway":
        return _ip(text, family, tr("invalid gateway address '%s'") % text)
    if modifier == "-":
        return prop.default
    return text


def _ip(text: str, family: int, why: str) -> str:
    """`text` as an address of `family`; ValueError_(why) when it is not one."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError_(why) from None
    if ip.version != family:
        raise ValueError_(why)
    return str(ip)


def _list_update(current: tuple[str, ...], items: list[str], text: str, modifier: str
                 ) -> tuple[str, ...]:
    if modifier == "+":
        return current + tuple(i for i in items if i not in current)
    if modifier == "-":
        return tuple(c for c in current if c not in items)
    return tuple(dict.fromkeys(items))
