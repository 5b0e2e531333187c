"""The report's wording in each language, read from the gettext catalogues (see
:mod:`crmsurvey._catalogue` and ``crmsurvey/locales/README.md``). A key's context is
namespaced by what it words:

- ``contents``, ``summary``… — headings, notes and table headers (:func:`strings`);
- ``finding:<key>`` — the executive summary's sentence templates (:func:`sentences`);
- ``diagnostic:<code>`` — a :class:`~crmsurvey.diagnostics.Diagnostic` by its code;
- ``screening:<name>`` — screening notes and reasons for skipping a group.

Placeholders are ``str.format`` fields (``{level}``) filled in from the results.

>>> strings("zh-CN")["contents"]
'目录'
"""
from __future__ import annotations

import re

from .._catalogue import SOURCE, catalogue, languages

__all__ = ["strings", "sentences", "diagnostic_text", "screening_note", "languages"]


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


def diagnostic_text(code: str, message: str, concerns: list[str], lang: str) -> str:
    """A diagnostic in the report's language: its translation by code where there is one
    (the estimator's own sentence in English, or for a code without an entry)."""
    if lang == SOURCE:
        return message
    t = catalogue(lang)
    template = t.get(f"diagnostic:{code}")
    if template is None:
        return message
    listed = t["list_sep"].join(concerns)
    # after a colon the list stands alone; elsewhere it is put in brackets
    if "{concerns}" in template and not template.split("{concerns}")[0].rstrip().endswith(
            (":", "：")):
        listed = t["list_paren"].format(items=listed) if listed else ""
    return template.format(concerns=listed)


#: Screening notes and reasons for skipping a group are written in English by the stages
#: that make them; each pattern names the catalogue entry that words it.
SCREENING_PATTERNS = [
    (r"duplicates: a repeated respondent id in '(.+)' \(first kept\)", "duplicate_id"),
    (r"duplicates: identical answers to every construct item \(no id item\)",
     "duplicate_answers"),
    (r"speeders: under ([\d.]+) × the median duration \(([\d.]+) s\)", "speeders"),
    (r"straight-lining: .*\(at least (\d+) items answered\)", "straightlining"),
    (r"missing: more than (\d+)% of construct items missing", "missing"),
    (r"(\d+) row\(s\) repeat rows of (.+) \(same id or identical answers\)", "repeat_rows"),
    (r"(\d+) column\(s\) not in the questionnaire were ignored: (.*)", "ignored_columns"),
    (r"Qualtrics column '(.+)' used for item '(.+)'", "qualtrics_column"),
    (r"Qualtrics export: .*", "qualtrics_export"),
    (r"fewer than (\d+) respondents", "too_few"),
    (r"this wave lacks construct\(s\) (.+)", "wave_lacks"),
    (r"group column '(.+)' has a single level", "single_level"),
    (r"no comparison of (\w+): .*", "no_comparison"),
]


def screening_note(note: str, lang: str) -> str:
    """A screening note in the report's language (as written in English, and where no
    pattern fits)."""
    if lang == SOURCE:
        return note
    t = catalogue(lang)
    for pattern, name in SCREENING_PATTERNS:
        m = re.fullmatch(pattern, note)
        if m:
            return t[f"screening:{name}"].format(*m.groups())
    return note


def __getattr__(name: str):
    """``STRINGS`` and ``DIAGNOSTICS`` as they were before the catalogues (read-only views
    built from them, for code written against the old dicts)."""
    if name == "STRINGS":
        return {lang: strings(lang) for lang in languages()}
    if name == "DIAGNOSTICS":
        return {lang: _namespace(lang, "diagnostic:") for lang in languages()}
    raise AttributeError(name)
