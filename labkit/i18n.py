"""Which language labkit's own words are in (English or Japanese), and those words translated.

labkit's sentences (checks' problems, the dashboard, the help buttons, errors, the CLI's help,
`labkit doctor`) are marked in the code with `_("...")` (translated where they are said),
`N_("...")` (marked, translated later with `_(VALUE)`), or `ngettext(singular, plural, n)`, with
`{name}` placeholders filled by str.format after translation. Their Japanese is the gettext
catalogue labkit/locale/ja/LC_MESSAGES/labkit.po, compiled to the committed labkit.mo that
the standard library's gettext reads (the sim runs in Pyodide, with nothing more installed);
labkit/locale/README.md says how to keep them in step. What the imitated programs print (nmcli,
iproute2, the kernel) is theirs, not labkit's: nmcli has its own catalogue (labkit/nm/nmcli).

The language: `Lab(locale=...)` for the words about a lab (its checks, its dashboard), else the
environment's LANGUAGE, LC_ALL, LC_MESSAGES, LANG (the first one set, as gettext reads them);
`ja`, `ja_JP`, `ja_JP.UTF-8` mean Japanese, anything else English (a locale labkit has no
words for is English, never an error).
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "labkit"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH, JAPANESE = "en", "ja"
LANGUAGES = (ENGLISH, JAPANESE)
ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order

_speaking: ContextVar[str | None] = ContextVar("labkit_language", default=None)


def normalize(locale: str | None) -> str | None:
    """`ja`, `ja_JP`, `ja_JP.UTF-8`, `ja_JP.eucJP@x` as ja; `C`, `POSIX`, `en*` as en; None
    for anything else (a language labkit has no words for) and for nothing given."""
    if not locale or not isinstance(locale, str):
        return None
    base = locale.strip().split(".", 1)[0].split("@", 1)[0]
    if base in ("C", "POSIX"):
        return ENGLISH
    lang = base.split("_", 1)[0].split("-", 1)[0].lower()
    return lang if lang in LANGUAGES else None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The environment's language: the first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is
    set, read as gettext reads it (LANGUAGE may list several, `ja:en`); English otherwise."""
    env = os.environ if environ is None else environ
    for var in ENV_ORDER:
        value = env.get(var, "")
        if not value:
            continue
        for part in value.split(":"):
            found = normalize(part)
            if found is not None:
                return found
        return ENGLISH  # set, but to languages labkit does not speak
    return ENGLISH


def language(locale: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language for `locale` (a Lab's, an option's), else the environment's."""
    return normalize(locale) or from_environment(environ)


def of_lab(lab: object) -> str:
    """The language of a lab's words: its `language` (Lab(locale=...), else the
    environment's); for a lab-like object without one, ja if its locale is, else the
    environment's."""
    lang = getattr(lab, "language", None)
    if lang in LANGUAGES:
        return str(lang)
    return JAPANESE if getattr(lab, "locale", None) == JAPANESE else from_environment()


def ambient() -> str:
    """The language of the newest running lab, else the environment's: for words said in a
    notebook but of no lab (help controls, the progress table), which a lesson shows after its
    first cell started the lab."""
    import sys

    lab_module = sys.modules.get("labkit.lab")
    running = getattr(lab_module, "_running_labs", None)
    return of_lab(running[-1]) if running else from_environment()


def current() -> str:
    """The language being spoken now: the one `speaking()` set, else the environment's."""
    return _speaking.get() or from_environment()


@contextlib.contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Within the block, `_()` translates into `lang` (en, ja; None: the environment's)."""
    chosen = language(lang)
    token = _speaking.set(chosen)
    try:
        yield chosen
    finally:
        _speaking.reset(token)


@functools.cache
def translation(lang: str) -> _gettext.NullTranslations:
    """The catalogue of `lang` (English: the messages as written)."""
    if lang == ENGLISH:
        return _gettext.NullTranslations()
    try:
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
            return _gettext.GNUTranslations(f)
    except (OSError, ValueError):  # missing or damaged: English, never an error
        return _gettext.NullTranslations()


def _(message: str) -> str:
    """`message` in the language spoken now (placeholders are filled after: `.format()`)."""
    return translation(current()).gettext(message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue; `_(it)` translates it where it is said."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for `n`, in the language spoken now."""
    return translation(current()).ngettext(singular, plural, n)


def in_language(lang: str | None, message: str) -> str:
    """`message` in `lang` (en, ja), whatever is spoken now."""
    return translation(language(lang)).gettext(message)
