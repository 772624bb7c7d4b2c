"""nmcli's messages in the lab's locale.

English is nmcli's own text (the msgid). The Japanese catalogue (ja.json next to this file) holds
NetworkManager 1.18's ja.po translations of exactly the messages labkit's nmcli prints; it is
regenerated with tools/extract_po.py from the NetworkManager source. Table titles and the
numeric-value names ("-1 (default)") stay English, as nmcli prints them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources


@cache
def _catalogue(locale: str) -> dict[str, str]:
    if locale != "ja":
        return {}
    text = resources.files("labkit.nm.nmcli").joinpath("ja.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["messages"])


def translator(locale: str) -> Callable[[str], str]:
    """gettext for `locale`: the translation, or the message itself."""
    table = _catalogue(locale)

    def tr(msgid: str) -> str:
        return table.get(msgid) or msgid
    return tr
