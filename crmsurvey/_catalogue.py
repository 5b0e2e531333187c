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
import string
from functools import lru_cache
from pathlib import Path

from .errors import InputError

__all__ = ["LOCALES_DIR", "SOURCE", "languages", "catalogue", "require_language",
           "language_hint", "Plural", "plural_form"]

_FORMATTER = string.Formatter()

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


class Plural(str):
    """A message with plural forms (gettext's ``msgid_plural`` / ``msgstr[n]``): as a
    string, its last form (English: the plural); :meth:`format` picks the form for the
    count it is given by the language's ``Plural-Forms`` rule. The count is the
    placeholder an extracted comment ``#. count: k`` names, else ``{n}``, else ``{k}``.

    >>> p = Plural(("{n} is significant", "{n} are significant"), lambda n: int(n != 1))
    >>> p.format(n=1), p.format(n=3)
    ('1 is significant', '3 are significant')
    """

    forms: tuple[str, ...]
    counter: str | None  # the placeholder holding the count

    def __new__(cls, forms, rule, count: str | None = None):
        obj = super().__new__(cls, forms[-1])
        obj.forms, obj.rule = tuple(forms), rule
        fields = {f for form in forms for _, f, _, _ in _FORMATTER.parse(form) if f}
        obj.counter = count or ("n" if "n" in fields else "k" if "k" in fields else None)
        return obj

    def form(self, count) -> str:
        """The form for ``count`` (a number, or a number as the report writes it)."""
        try:
            n = abs(int(float(str(count).replace(",", "").replace("\u202f", "")
                              .replace("\xa0", ""))))
        except (TypeError, ValueError):
            return str(self)
        return self.forms[min(int(self.rule(n)), len(self.forms) - 1)]

    def format(self, *args, **kwargs) -> str:  # noqa: A003 (str's own name)
        text = self.form(kwargs[self.counter]) if self.counter in kwargs else str(self)
        return text.format(*args, **kwargs)


def plural_form(template: str, params: dict) -> str:
    """``template``'s form for the count among ``params`` when it has plural forms
    (:class:`Plural`), else ``template``: for code that formats a template some other
    way than ``str.format`` (markupsafe's ``Markup(escape(t)).format``)."""
    if isinstance(template, Plural) and template.counter in params:
        return template.form(params[template.counter])
    return template



@lru_cache(maxsize=None)
def _read(path: Path) -> dict[str, tuple]:
    """``{msgctxt: (msgid, msgstr, count)}`` of one catalogue file (a fuzzy entry: no
    msgstr); a message with plural forms has tuples of forms, and the file's plural rule
    as ``{"": (None, None, rule)}``."""
    import gettext

    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        cat = read_po(f, charset="utf-8")
    out: dict[str, tuple] = {"": (None, None, gettext.c2py(cat.plural_expr))}
    for m in cat:
        if not m.id or m.context is None:
            continue
        count = next((c.split(":", 1)[1].strip() for c in m.auto_comments
                      if c.startswith("count:")), None)
        text = "" if m.fuzzy else m.string
        if not isinstance(m.id, str) and (m.fuzzy or not any(text)):
            text = ""
        out[m.context] = (m.id, text, count)
    return out


def _entries(path: Path, source: bool) -> dict[str, str]:
    """One file's messages by key: the msgids (``source``) or the translations given;
    plural ones as :class:`Plural` under the file's rule."""
    read = _read(path)
    rule = read[""][2]
    out = {}
    for key, (msgid, text, count) in read.items():
        if not key:
            continue
        value = msgid if source else text
        if isinstance(msgid, str):
            out[key] = value
        elif value:
            forms = value if isinstance(value, (tuple, list)) else (value,)
            out[key] = Plural(forms, rule, count)
    return {k: v for k, v in out.items() if v}


@lru_cache(maxsize=None)
def _merged(lang: str, where: Path) -> dict[str, str]:
    source = _entries(_file(SOURCE, where), source=True)
    path = _file(lang, where)
    if lang == SOURCE or not path.is_file():
        return source
    return {**source, **_entries(path, source=False)}


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
