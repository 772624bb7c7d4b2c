"""The lab id a student's `Lab()` gets: `LABKIT_LAB_ID`, else one derived from
`JUPYTERHUB_USER`, else labkit's default.

A lab id starts with a letter and holds at most 12 letters, digits or '-' (lab.py checks it;
the netns engine prefixes every namespace and link with it). A user name that already is such
an id and holds no "--" is its own lab id, so a teacher reads `alice` in `labkit cleanup`'s
output. Any other name (too long, '.', '_', '@', a leading digit, "--") becomes its valid
letters cut short, "--" and a digest of the whole name: no verbatim id holds "--", so the two
kinds never meet, and two names share an id only if their digests' first 24 bits do (the roster
check refuses a class where that happens).
"""

from __future__ import annotations

import hashlib
import os
import re

DEFAULT = "labkit"
ENV_ID = "LABKIT_LAB_ID"
ENV_USER = "JUPYTERHUB_USER"
MAX = 12
_VALID = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,11}\Z")
_DIGEST = 6  # hex digits: 24 bits


def valid(lab_id: str) -> bool:
    """Whether `lab_id` is one Lab accepts."""
    return lab_id.isascii() and bool(_VALID.match(lab_id))


def for_user(user: str) -> str:
    """The lab id of hub user `user`: the name itself when it is a valid id without "--",
    else a short valid prefix, "--" and six hex digits of the name's SHA-256."""
    if valid(user) and "--" not in user:
        return user
    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:_DIGEST]
    letters = re.sub(r"[^A-Za-z0-9]", "", user.encode("ascii", "ignore").decode())
    letters = letters.lstrip("0123456789")
    prefix = (letters or "u")[:MAX - _DIGEST - 2]
    return f"{prefix}--{digest}"


def from_environment(default: str = DEFAULT) -> str:
    """`LABKIT_LAB_ID` if set (Lab checks it), else for_user($JUPYTERHUB_USER) in a hub
    user's server, else `default`."""
    given = os.environ.get(ENV_ID, "").strip()
    if given:
        return given
    user = os.environ.get(ENV_USER, "").strip()
    return for_user(user) if user else default
