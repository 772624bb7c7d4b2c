"""The bonding driver's log lines in the wording of the driver a flavour has.

Linux 5.3 moved every per-port line to the slave_info form, "bond0: (slave ens37): text"; the
drivers before it (CentOS 7's "3.7.1", a 3.10 kernel with the 4.x driver backported) name the
port inside the sentence. The older sentences below are upstream's before that change (commit
"bonding/main: convert to using slave printk macros", 2019), read from its patch; no recording
of CentOS 7.8's own kernel was made, so they are the upstream wording, not a recorded one.
"""

from __future__ import annotations

import re

_LEGACY = (
    (r"making interface the new active one( \d+ ms earlier)?$",
     r"making interface {s} the new active one\1"),
    (r"Enslaving as (an active|a backup) interface with (an up|a down) link$",
     r"Enslaving {s} as \1 interface with \2 link"),
    (r"Releasing (active|backup) interface$", r"Releasing \1 interface {s}"),
    (r"the permanent HWaddr of slave - (\S+) - is still in use by bond - set the HWaddr of "
     r"slave to a different address to avoid conflicts$",
     r"the permanent HWaddr of {s} - \1 - is still in use by {b} - set the HWaddr of {s} to a "
     r"different address to avoid conflicts"),
    (r"link status down for (active |backup |)interface, disabling it in (\d+) ms$",
     r"link status down for \1interface {s}, disabling it in \2 ms"),
    (r"link status up again after (\d+) ms$",
     r"link status up again after \1 ms for interface {s}"),
    (r"link status up, enabling it in (\d+) ms$",
     r"link status up for interface {s}, enabling it in \1 ms"),
    (r"link status down again after (\d+) ms$",
     r"link status down again after \1 ms for interface {s}"),
    (r"link status definitely up, (.*)$", r"link status definitely up for interface {s}, \1"),
    (r"link status definitely up$", r"link status definitely up for interface {s}"),
    (r"link status definitely down, disabling slave$",
     r"link status definitely down for interface {s}, disabling it"),
    (r"backup interface is now down$", r"backup interface {s} is now down"),
    (r"Error: Device can not be enslaved while up$",
     r"{s} is up - this may be due to an out of date ifenslave"),
)


def port_line(bond: str, port: str, text: str, legacy: bool) -> str:
    """One per-port line: 6.1's "(slave PORT): text", or the older sentence naming PORT."""
    if legacy:
        for pattern, repl in _LEGACY:
            if re.match(pattern, text):
                line = re.sub(pattern, repl, text)
                return f"{bond}: " + line.replace("{s}", port).replace("{b}", bond)
    return f"{bond}: (slave {port}): {text}"


def bond_line(text: str, legacy: bool) -> str:
    """A bond-wide line: "active interface up!" was "first active interface up!" before 5.3."""
    if legacy and text == "active interface up!":
        return "first active interface up!"
    return text
