"""Notes and reasons as data: a stable ``code`` and the ``params`` that fill its wording.

What the loader did with a file (its encoding, the columns it matched or ignored), the
screening rules it applied, why a group was not analysed and how missing values were
handled are kept as a :class:`Note` — never as an English sentence — exactly as a
:class:`~crmsurvey.diagnostics.Diagnostic` is. Each language's catalogue words a note by
its key ``note:<code>``; :func:`note_text` is that wording (English by default, as the
command line and ``str(note)`` show it).

Parameters are JSON values: text, numbers, or lists of text (a list is joined with the
language's list separator; a list cut short ends with ``"…"``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ._catalogue import catalogue

__all__ = ["Note", "note_text", "short_list", "unique", "SCREENING_CODES", "CODES"]

#: The codes of notes that describe a screening rule as it was applied (the report's
#: methodology); every other note of a cleaning log is about reading one file (the
#: sample appendix).
SCREENING_CODES = ("screen_duplicate_id", "screen_duplicate_answers", "screen_speeder",
                   "screen_straightlining", "screen_missing")

#: Every code a note, a skip reason or a disclosure of crmsurvey can carry — each has the
#: key ``note:<code>`` in every catalogue (tests/test_notes_coded.py checks both ways).
CODES = SCREENING_CODES + (
    # reading a file (responses.readers, .check, .load, .platforms; study.run)
    "read_gb18030", "read_as", "qualtrics_header_rows", "qualtrics_column",
    "columns_ignored", "option_numbers", "platform_headers", "headers_by_text",
    "header_mismatch", "header_reworded", "platform_unmatched", "repeat_rows",
    # reading a transactions file (analytics.transactions, .dates)
    "analysis_date", "times_utc",
    # why a group or wave was not analysed (study.units, .compare, .run)
    "too_few", "wave_lacks_constructs", "single_level", "no_comparison", "unit_failed",
    # what a model did with missing values (study.estimates, .run): Disclosure
    "dropped_listwise", "dropped_zero_weight", "missing_mean", "missing_listwise",
    "missing_fiml",
    # how a CB-SEM model was estimated (cbsem.fit, .syntax, .estimators, .joint,
    # .invariance, .wlsmv_report): CBSEMResult.notes, Invariance.notes
    "cb_single_indicator", "cb_auto_listwise", "cb_covariate_rows", "cb_fiml",
    "cb_fiml_casewise", "cb_mlr", "cb_no_chisq", "cb_weighted", "cb_mlr_bootstrap",
    "cb_boot_inadmissible", "cb_groups_separate", "cb_joint_means", "cb_stacked",
    "cb_latent_means_reference", "cb_latent_means_reference_cfa", "cb_wlsmv",
    "cb_wlsmv_mixed", "cb_boot_inadmissible_residual",
    "cb_wlsmv_bootstrap",
)

#: The most entries a list parameter keeps (a list cut short ends with "…").
SHORT_LIST = 10


@dataclass(frozen=True)
class Note:
    """A note as a code with parameters.

    Examples
    --------
    >>> n = Note("too_few", {"min": 30})
    >>> n.code, n.params["min"]
    ('too_few', 30)
    >>> Note.from_dict(n.to_dict()) == n
    True
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Note":
        return cls(str(data["code"]), dict(data.get("params") or {}))

    @property
    def key(self) -> str:
        """A stable text key (code and parameters) for sorting and de-duplication."""
        return json.dumps([self.code, self.params], sort_keys=True, ensure_ascii=False,
                          default=str)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return note_text(self)

    def text(self, lang: str = "en") -> str:
        """This note in ``lang``, from that language's catalogue."""
        return note_text(self, lang)


def short_list(values: Iterable[Any], most: int = SHORT_LIST) -> list[str]:
    """At most ``most`` entries as text, ending with ``"…"`` when some were left out."""
    values = [str(v) for v in values]
    return values[:most] + (["…"] if len(values) > most else [])


def unique(notes: Iterable[Note]) -> list[Note]:
    """``notes`` without repeats, each where it first occurs."""
    return list(dict.fromkeys(notes))


def note_text(note: Any, lang: str = "en") -> str:
    """The wording of ``note`` (a :class:`Note`, its record in the results, or a mapping
    with ``code`` and ``params``) in ``lang``: the catalogue entry ``note:<code>``, its
    placeholders filled from the parameters (lists joined with the language's separator).

    Examples
    --------
    >>> note_text(Note("too_few", {"min": 30}))
    'fewer than 30 respondents'
    """
    code, params = (note["code"], note.get("params") or {}) if isinstance(note, Mapping) \
        else (note.code, note.params)  # a Note, or its results record
    t = catalogue(lang)
    sep = t["list_sep"]
    return t[f"note:{code}"].format(**{k: sep.join(map(str, v)) if isinstance(v, list) else v
                                      for k, v in params.items()})
