"""Keeping labkit's message catalogue in step with its code (a developer's tool; needs Babel,
the `test` extra): extract every marked message into labkit.pot, merge it into each language's
.po, and compile the .po into the .mo that labkit.i18n reads at run time.

    .venv/bin/python -m labkit.locale.catalogue        # after changing or adding messages

then translate what the .po shows as new (an empty msgstr), and run it again to compile.
tests/test_messages.py fails while a marked message is missing from the .pot, untranslated in
a .po, or the committed .mo is not what its .po compiles to.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
DOMAIN = "labkit"
POT = HERE / f"{DOMAIN}.pot"
LANGUAGES = ("ja",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# a fixed date: the files change only when their messages do
DATE = datetime(2026, 12, 3, tzinfo=timezone.utc)
HEADER = """\
# labkit's own words ({what}).
# Made by labkit/locale/catalogue.py from the messages marked in labkit/ (_, N_, ngettext);
# placeholders are {{name}}, filled by str.format after translation: keep each one, and
# keep ': ' after the fact a check's problem states (checks._once says each fact once).
#"""


def po_path(lang: str) -> Path:
    return HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract() -> Catalog:
    """Every message marked in labkit's code, with where it is said."""
    catalog = Catalog(project=DOMAIN, charset="utf-8", creation_date=DATE,
                      revision_date=DATE, fuzzy=False, copyright_holder="labkit",
                      header_comment=HEADER.format(what="the template"))
    for filename, _lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        catalog.add(message, None, [(f"labkit/{filename}", 0)], auto_comments=comments,
                    context=context)
    return catalog


def read(path: Path, lang: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def compiled(lang: str) -> bytes:
    """What the language's .po compiles to (fuzzy translations left out, as msgfmt does)."""
    out = io.BytesIO()
    write_mo(out, read(po_path(lang), lang), use_fuzzy=False)
    return out.getvalue()


def _write(path: Path, catalog: Catalog) -> None:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def update() -> list[str]:
    """Write the .pot, merge it into each .po, compile each .mo; what is left untranslated."""
    template = extract()
    _write(POT, template)
    todo = []
    for lang in LANGUAGES:
        path = po_path(lang)
        if path.exists():
            catalog = read(path, lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=lang, project=DOMAIN, charset="utf-8",
                              creation_date=DATE, revision_date=DATE, fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
        catalog.revision_date = DATE
        catalog.language_team = "labkit"
        catalog.last_translator = "labkit"
        catalog.header_comment = HEADER.format(what=f"{lang}")
        _write(path, catalog)
        mo_path(lang).write_bytes(compiled(lang))
        todo += [f"{lang}: {m.id!r}" for m in read(path, lang)
                 if m.id and (not m.string or m.fuzzy
                              or (isinstance(m.string, tuple) and not all(m.string)))]
    return todo


if __name__ == "__main__":
    left = update()
    print("\n".join(left) or "every message is translated", file=sys.stderr)
    sys.exit(1 if left else 0)
