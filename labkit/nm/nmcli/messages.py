"""nmcli's messages in the lab's locale.

English is nmcli's own text (the msgid). The Japanese catalogues next to this file are the whole
ja catalogue of the NetworkManager each flavour imitates, as its nmcli loads it:
ja-1.42.json is Debian 12's compiled NetworkManager.mo of 1.42.4, ja-1.18.json is 1.18.4's
po/ja.po compiled as msgfmt does (its fuzzy entries left out). A message a catalogue does not
translate (fuzzy, untranslated or absent) stays English, as gettext leaves it. Regenerate them
with tools/extract_po.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

CATALOGUES = {(1, 42): "ja-1.42.json", (1, 18): "ja-1.18.json"}


@cache
def _catalogue(locale: str, version: tuple[int, int]) -> dict[str, str]:
    if locale != "ja":
        return {}
    name = CATALOGUES.get(version)
    if name is None:  # the newest catalogue at or below `version`
        older = [v for v in CATALOGUES if v <= version] or [min(CATALOGUES)]
        name = CATALOGUES[max(older)]
    text = resources.files("labkit.nm.nmcli").joinpath(name).read_text(encoding="utf-8")
    return dict(json.loads(text)["messages"])


def translator(locale: str, version: tuple[int, int] = (1, 42)) -> Callable[[str], str]:
    """gettext for `locale` in NetworkManager `version`: the translation, or the message."""
    table = _catalogue(locale, version)

    def tr(msgid: str) -> str:
        return table.get(msgid) or msgid
    return tr


def pgettext(tr_table_locale: str, version: tuple[int, int], context: str, msgid: str) -> str:
    """gettext's pgettext: a message with a context (msgctxt), or the message itself."""
    return _catalogue(tr_table_locale, version).get(f"{context}\x04{msgid}") or msgid
