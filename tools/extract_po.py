"""Regenerate labkit/nm/nmcli/ja.json: NetworkManager 1.18's Japanese translations of the
messages labkit's nmcli prints.

    python tools/extract_po.py PATH/TO/NetworkManager/po/ja.po

The message ids are collected from the tr("...") calls in labkit/nm/nmcli/ (adjacent string
literals joined, as Python does); only ids the .po file translates are kept.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "labkit" / "nm" / "nmcli"
EXTRA = ("yes", "no", "unknown", "never", "on", "off", "activated", "activating",
         "deactivating", "connected", "disconnected", "unmanaged", "unavailable",
         "connecting (getting IP configuration)", "connecting (prepare)",
         "connecting (configuring)", "connecting (checking IP connectivity)",
         "connecting (starting secondary connections)", "deactivating", "connection failed",
         "master waiting for slaves", "full", "none", "limited", "running", "enabled",
         "missing", "started", "connected (site only)", "connecting",
         "IP configuration could not be reserved (no available address, timeout, etc.)",
         "Device disconnected by user or client", "A dependency of the connection failed",
         "Master connection not found or invalid", "No suitable connection found.")


def msgids() -> set[str]:
    ids: set[str] = set(EXTRA)
    for path in PKG.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                    node.func, "id", None)) == "tr" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    ids.add(arg.value)
    return ids


def read_po(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text, re.M):
        def join(block: str) -> str:
            return "".join(ast.literal_eval(s) for s in re.findall(r'".*"', block))
        msgid, msgstr = join(m.group(1)), join(m.group(2))
        if msgid and msgstr:
            out[msgid] = msgstr
    return out


def main() -> int:
    po = read_po(Path(sys.argv[1]))
    wanted = sorted(msgids())
    table = {k: po[k] for k in wanted if k in po}
    missing = [k for k in wanted if k not in po]
    data = {"source": "NetworkManager 1.18.4 po/ja.po (the messages labkit's nmcli prints)",
            "messages": table}
    (PKG / "ja.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                 encoding="utf-8")
    print(f"{len(table)} translated, {len(missing)} without a translation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
