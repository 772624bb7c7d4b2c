"""Regenerate labkit/nm/nmcli/ja-<version>.json: NetworkManager's whole Japanese catalogue, as
the real program reads it.

    python tools/extract_po.py 1.42.4 /usr/share/locale/ja/LC_MESSAGES/NetworkManager.mo
    python tools/extract_po.py 1.18.4 PATH/TO/NetworkManager-1.18.4/po/ja.po
    python tools/extract_po.py 1.18.4 -   (a po file on stdin: `git show 1.18.4:po/ja.po | ...`)

A compiled catalogue (.mo, what gettext loads at run time) is taken as it is. A .po file is
read as msgfmt compiles it: fuzzy entries and untranslated ones are left out (gettext then
prints the English msgid, as the real nmcli does), plural entries keep their only form
(Japanese has one), and a message with a context (msgctxt) is keyed "context\\x04msgid" as
gettext keys it. The header entry (msgid "") is dropped.
"""

from __future__ import annotations

import ast
import gettext
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "labkit" / "nm" / "nmcli"
_ENTRY = re.compile(
    r'^(?P<flags>(?:#.*\n)*)'
    r'(?:msgctxt (?P<ctx>(?:".*"\n)+))?'
    r'msgid (?P<id>(?:".*"\n)+)'
    r'(?:msgid_plural (?:".*"\n)+)?'
    r'(?:msgstr (?P<str>(?:".*"\n)+)'
    r'|msgstr\[0\] (?P<str0>(?:".*"\n)+)(?:msgstr\[\d+\] (?:".*"\n)+)*)',
    re.M)


def _join(block: str | None) -> str:
    return "".join(ast.literal_eval(s) for s in re.findall(r'".*"', block or ""))


def read_po(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """The entries msgfmt would compile from `text`, and counts of what it leaves out."""
    out: dict[str, str] = {}
    counts = {"fuzzy": 0, "untranslated": 0}
    for m in _ENTRY.finditer(text + "\n"):
        msgid = _join(m.group("id"))
        msgstr = _join(m.group("str") if m.group("str") is not None else m.group("str0"))
        if not msgid:
            continue
        flags = " ".join(line for line in m.group("flags").splitlines() if line.startswith("#,"))
        if "fuzzy" in flags:
            counts["fuzzy"] += 1
            continue
        if not msgstr:
            counts["untranslated"] += 1
            continue
        ctx = m.group("ctx")
        out[(_join(ctx) + "\x04" if ctx is not None else "") + msgid] = msgstr
    return out, counts


def read_mo(path: Path) -> dict[str, str]:
    """A compiled catalogue as gettext loads it (plural entries keep their first form)."""
    with path.open("rb") as fh:
        cat = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for key, value in cat.items():
        if isinstance(key, tuple):  # (msgid, n) of a plural entry
            if key[1] != 0:
                continue
            key = key[0]
        if key:
            out[key] = value
    return out


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    version, source = sys.argv[1], sys.argv[2]
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        print(f"extract_po: '{version}' is not a version like 1.42.4", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    if source.endswith(".mo"):
        table = read_mo(Path(source))
        origin = f"NetworkManager {version} {Path(source).name} (compiled, as installed)"
    else:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        table, counts = read_po(text)
        origin = f"NetworkManager {version} po/ja.po (compiled as msgfmt does)"
    data = {"source": origin, "left_out": counts,
            "messages": dict(sorted(table.items()))}
    major_minor = ".".join(version.split(".")[:2])
    out = PKG / f"ja-{major_minor}.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    left = ", ".join(f"{n} {k}" for k, n in counts.items()) or "nothing counted"
    print(f"{out.relative_to(ROOT)}: {len(table)} messages ({left} left out)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
