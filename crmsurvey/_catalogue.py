"""The gettext catalogues in ``crmsurvey/locales/``: every word a reader sees (report,
workbook, printed questionnaire, codebook, CLI summaries), one catalogue per language.

``messages.pot`` holds the English source text (``msgid``) under the key the code asks for
(``msgctxt``); ``<locale>.po`` (``zh_CN.po``) translates it. The files are parsed with
Babel on first use and cached; there is no build step. See ``crmsurvey/locales/README.md``.

>>> catalogue("zh-CN")["contents"]
'目录'
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .errors import InputError

__all__ = ["LOCALES_DIR", "SOURCE", "languages", "catalogue", "require_language",
           "language_hint"]

#: Where the catalogues are: ``messages.pot`` (English) and one ``<locale>.po`` a language.
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
#: The language of the source text (the ``msgid``\\ s).
SOURCE = "en"


def _file(lang: str, where: Path) -> Path:
    return where / ("messages.pot" if lang == SOURCE else f"{lang.replace('-', '_')}.po")


def languages() -> list[str]:
    """The languages that have a catalogue, as tags: ``["en", "zh-CN"]``."""
    return [SOURCE] + sorted(p.stem.replace("_", "-") for p in LOCALES_DIR.glob("*.po"))


#: A language tag: a primary subtag and optional script/region subtags (BCP 47's shape).
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def require_language(lang: str, *, path: str | None = None, line: int | None = None) -> str:
    """``lang`` if it has a catalogue, else :class:`~crmsurvey.errors.InputError` naming
    the languages that have one."""
    if not _TAG.fullmatch(lang):  # a path or anything else that is no BCP 47 tag
        raise InputError(f"report language {lang!r} is not a language tag (like en or zh-CN)",
                         path=path, line=line, hint=language_hint())
    if lang not in languages():
        raise InputError(f"no catalogue for report language {lang!r}", path=path, line=line,
                         hint=language_hint())
    return lang


def language_hint() -> str:
    """What to say when a language has no catalogue: the languages that have one."""
    return (f"languages with a catalogue: {', '.join(languages())} (a new language is one "
            "file in crmsurvey/locales/, see its README)")


@lru_cache(maxsize=None)
def _read(path: Path) -> dict[str, tuple[str, str]]:
    """``{msgctxt: (msgid, msgstr)}`` of one catalogue file (a fuzzy entry: no msgstr)."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        cat = read_po(f, charset="utf-8")
    out = {}
    for m in cat:
        if not m.id or m.context is None:
            continue
        text = m.string if isinstance(m.string, str) else m.string[0]
        out[m.context] = (m.id, "" if m.fuzzy else text)
    return out


@lru_cache(maxsize=None)
def _merged(lang: str, where: Path) -> dict[str, str]:
    source = {k: msgid for k, (msgid, _) in _read(_file(SOURCE, where)).items()}
    path = _file(lang, where)
    if lang == SOURCE or not path.is_file():
        return source
    own = {k: text for k, (_, text) in _read(path).items() if text}
    return {**source, **own}


def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by key: its translation, or the English source text where
    the catalogue has none (gettext's rule). A language without a catalogue reads English
    (check it first with :func:`require_language`)."""
    return dict(_merged(lang, LOCALES_DIR))


def text_in_language(value, lang: str, languages=()) -> str:
    """A text mapping's text in ``lang`` (``{"en": …, "zh-CN": …}``, or ``{"*": …}`` for
    every language); where it has no ``lang`` — a report language with a catalogue but no
    translation in the questionnaire — the source language's (English), else the first
    of ``languages`` (the questionnaire's) it has, else its first: never another
    translation picked by the mapping's order when English is there.

    >>> text_in_language({"zh-CN": "满意", "en": "Satisfied"}, "de")
    'Satisfied'
    >>> text_in_language({"zh-CN": "满意", "ja": "満足"}, "de", ["ja", "zh-CN"])
    '満足'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for key in (lang, "*", SOURCE, *languages):
        if value.get(key):
            return value[key]
    return next(iter(value.values()), "")
