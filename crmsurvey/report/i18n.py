"""The report's wording in each language, read from the gettext catalogues (see
:mod:`crmsurvey._catalogue` and ``crmsurvey/locales/README.md``). A key's context is
namespaced by what it words:

- ``contents``, ``summary``… — headings, notes and table headers (:func:`strings`);
- ``finding:<key>`` — the executive summary's sentence templates (:func:`sentences`);
- ``diagnostic:<code>`` — a :class:`~crmsurvey.diagnostics.Diagnostic` by its code,
  filled from its named ``params`` (:func:`crmsurvey.diagnostics.diagnostic_text`);
- ``note:<code>`` — a note or reason (:class:`crmsurvey.notes.Note`) by its code,
  worded by :func:`crmsurvey.notes.note_text`.

Placeholders are ``str.format`` fields (``{level}``) filled in from the results.

>>> strings("zh-CN")["contents"]
'目录'
"""
from __future__ import annotations

from .._catalogue import catalogue, languages
from ..diagnostics import diagnostic_text

__all__ = ["strings", "sentences", "diagnostic_text", "languages", "and_list"]


def _namespace(lang: str, prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v for k, v in catalogue(lang).items() if k.startswith(prefix)}


def strings(lang: str) -> dict[str, str]:
    """The report's headings, notes and table headers in ``lang``, by key (with
    ``sentence_sep``, what stands between two sentences, taken from ``sentence_join``:
    a catalogue cannot hold an empty translation)."""
    out = {k: v for k, v in catalogue(lang).items() if ":" not in k}
    join = out.get("sentence_join", "{first} {next}")
    out["sentence_sep"] = join.removeprefix("{first}").removesuffix("{next}")
    return out


def sentences(lang: str) -> dict[str, str]:
    """The executive summary's sentence templates in ``lang``, by key."""
    return _namespace(lang, "finding:")


def and_list(items, t: dict) -> str:
    """``items`` as a list a reader says: ``a, b and c`` (``a、b和c``), through the
    catalogue's ``list_and`` template (``{items}`` the first ones joined by ``list_sep``,
    ``{last}`` the last).

    >>> and_list(["A", "B", "C"], strings("en"))
    'A, B and C'
    """
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return t["list_and"].format(items=t["list_sep"].join(items[:-1]), last=items[-1])


def __getattr__(name: str):
    """``STRINGS`` and ``DIAGNOSTICS`` as they were before the catalogues (read-only views
    built from them, for code written against the old dicts)."""
    if name == "STRINGS":
        return {lang: strings(lang) for lang in languages()}
    if name == "DIAGNOSTICS":
        return {lang: _namespace(lang, "diagnostic:") for lang in languages()}
    raise AttributeError(name)
