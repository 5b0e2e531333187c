"""``load_responses``: read a data file, check it against a questionnaire, screen it."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import _defaults as D
from .._display import clip, counts, html_summary
from ..errors import InputError
from ..notes import Note
from ..questionnaire import Questionnaire
from .check import check_values, match_columns
from .constants import apply_values
from .log import CleaningLog, Problem
from .platforms import detect_platform, recognise_headers
from .readers import RawTable, read_table
from .screening import RULES, exclusion_reason, screen

__all__ = ["CHECKED", "Responses", "load_responses"]

#: ``DataFrame.attrs`` key marking a frame checked against a questionnaire (its id):
#: ``Responses.data`` and frames taken from it, whose codes are applied and reverse-coded
#: items turned already — a second check would turn them back.
CHECKED = "crmsurvey.checked"


@dataclass(frozen=True, eq=False)
class Responses:
    """Checked responses. ``data`` holds the kept rows (index: 1-based file row)."""

    questionnaire: Questionnaire
    data: pd.DataFrame  # kept rows: scale items as float, then id/group/duration/weight
    #: and open-text answers (as written)
    all_rows: pd.DataFrame  # every row read, same columns
    codes: pd.DataFrame  # every row read: why a value is missing (blank, dont_know, …)
    flags: pd.DataFrame  # every row read: one bool column per screening rule
    excluded: pd.Series  # every row read: exclusion reason or NaN
    log: CleaningLog

    @property
    def items(self) -> pd.DataFrame:
        """Kept rows, construct items only (what the estimators take)."""
        cols = [i for c in self.questionnaire.definition.constructs.values() for i in c.items]
        return self.data[cols]

    @property
    def weights(self) -> pd.Series | None:
        w = self.questionnaire.role_item("weight")
        return self.data[w] if w in self.data else None

    def groups(self, item: str | None = None) -> pd.Series | None:
        """The group column (first group item unless named) for the kept rows."""
        names = self.questionnaire.items_with_role("group")
        item = item or next((g for g in names if g in self.data), None)
        return self.data[item] if item in self.data else None

    def __repr__(self) -> str:
        log = self.log
        return (f"<Responses to {self.questionnaire.id!r}: {log.rows_kept} of {log.rows_read} "
                f"rows kept (excluded: {counts(log.excluded)}; flagged: {counts(log.flagged)}), "
                f"{self.data.shape[1]} columns, {len(log.problems)} problems; "
                f"from {clip(log.source, 60)}>")

    def _repr_html_(self) -> str:
        log = self.log
        facts = [("questionnaire", self.questionnaire.id), ("source", log.source),
                 ("format", log.format), ("rows read", log.rows_read),
                 ("rows kept", log.rows_kept), ("columns", self.data.shape[1]),
                 ("problems", len(log.problems))]
        rules = [(r, log.flagged.get(r, 0), log.excluded.get(r, 0) if r in log.rules_on
                  else "not applied") for r in log.flagged]
        by_column = list(log.problem_counts().items())[:10]
        tables = [("Screening", ("rule", "flagged", "excluded"), rules)]
        if by_column:
            tables.append(("Problems by column (most first)", ("column", "problems"), by_column))
        return html_summary("Responses", facts, tables, [str(n) for n in log.notes[:10]])


def load_responses(questionnaire: Questionnaire, data: str | Path | pd.DataFrame, *,
                   mapping: dict[str, str] | None = None, exclude: list[str] | tuple = (),
                   encoding: str | None = None, sheet: str | int | None = None,
                   codes: str | None = None,
                   speeder_fraction: float = D.SPEEDER_FRACTION,
                   straightline_min_items: int = D.STRAIGHTLINE_MIN_ITEMS,
                   max_missing_share: float = D.MAX_MISSING_SHARE,
                   required: list[str] | tuple | None = None,
                   name: str | None = None,
                   duplicate_min_items: int = D.DUPLICATE_MIN_ITEMS,
                   values: dict[str, Any] | None = None) -> Responses:
    """Load responses and check them against ``questionnaire``.

    Parameters
    ----------
    questionnaire : Questionnaire
    data : path or DataFrame
        ``.csv`` (UTF-8, UTF-16 with a BOM or GB18030, see
        :func:`crmsurvey.responses.readers.decode_text`; Qualtrics exports), ``.xlsx``, ``.sav``,
        ``.dta``, ``.parquet``; or a DataFrame already in memory. Exports of 问卷星,
        腾讯问卷 and LimeSurvey are recognised by their headers
        (:mod:`crmsurvey.responses.platforms`).
    mapping : dict, optional
        Column name → item id, for columns not named like their item.
    encoding : str, optional
        The text encoding of a CSV file, instead of UTF-8 → UTF-16 (BOM) → GB18030.
    codes : {"values", "option_numbers"}, optional
        How answers are coded: the scale's values, or option numbers (1 for the first
        option, as 问卷星's "按选项序号" download), recoded to values. Unset, values are read
        and a column that looks like option numbers (the maximum + 1 present, the minimum
        absent) is an InputError.
    exclude : list of str
        Screening rules that exclude rows (others only flag): any of
        ``duplicate, screened_out, attention, speeder, straightlining, missing,
        invalid_weight``, or ``"all"``.
    required : list of str, optional
        The items that must have a column (default: every item not marked optional).
    duplicate_min_items : int
        A row whose answers repeat an earlier row's is a duplicate (a second submission:
        问卷星 numbers every row anew) when it answers at least this many item columns and
        its construct items are not all one value
        (:func:`crmsurvey.responses.screening.same_answers` says why); an id repeated within
        the file is one always (ids identify rows within their file: in a study, equal ids
        in two files are two respondents).
    values : dict, optional
        Item id → the value every row takes: what the file holds but has no column for
        (a wave's export: ``{"wave": "2025"}``). A value must be a code of the item's
        scale where it has one; a column of the file for that item must hold it (or
        nothing) in every row (:mod:`crmsurvey.responses.constants`).
    name : str, optional
        How messages and the log name the file (default: ``data`` as given), e.g. the
        path as a study file writes it rather than the resolved one.

    Examples
    --------
    >>> import crmsurvey as cs
    >>> q = cs.load_questionnaire("ccsi")
    >>> df = cs.simulate(q, n=200, seed=1)
    >>> r = cs.load_responses(q, df, exclude=["duplicate", "attention"])
    >>> r.log.rows_read == r.log.rows_kept + sum(r.log.excluded.values())
    True
    """
    from ..options import READING

    READING.validated(  # the thresholds as every surface checks them
        speeder_fraction=speeder_fraction, straightline_min_items=straightline_min_items,
        max_missing_share=max_missing_share, duplicate_min_items=duplicate_min_items,
        values=values)
    rules = [exclude] if isinstance(exclude, str) else list(exclude)
    rules_on = list(RULES) if rules == ["all"] else rules
    for rule in rules_on:
        if rule not in RULES:
            close = difflib.get_close_matches(rule, RULES, n=1)
            raise InputError(f"unknown screening rule {rule!r}",
                             hint=f"did you mean {close[0]!r}?" if close else
                             f"rules are {', '.join(RULES)}")
    if isinstance(data, pd.DataFrame):
        raw = RawTable(data.reset_index(drop=True), "<DataFrame>", "dataframe")
        raw.frame.columns = [str(c) for c in raw.frame.columns]
    else:
        raw = read_table(data, encoding=encoding, sheet=sheet, name=name)
    platform = detect_platform([str(c) for c in raw.frame.columns])
    platform_notes: list[Note] = []
    if platform and raw.format != "qualtrics":
        raw.frame, platform_notes = recognise_headers(raw.frame, questionnaire, platform,
                                                      set(mapping or {}), raw.source)
        raw.format = platform
    if values:  # items every row takes from ``values`` need no column
        required = [i for i in (required if required is not None else [
            i for i, it in questionnaire.items.items() if not it.optional]) if i not in values]
    columns, notes = match_columns(raw, questionnaire, mapping, required)
    notes = platform_notes + notes
    checked = check_values(raw, questionnaire, columns, codes)
    if values:
        apply_values(checked, questionnaire, values, raw.source)
    if codes == "option_numbers":
        notes.append(Note("option_numbers"))
    flags, screen_notes, repeats = screen(
        checked.values, checked.codes, checked.meta, questionnaire,
        speeder_fraction=speeder_fraction, straightline_min_items=straightline_min_items,
        max_missing_share=max_missing_share, duplicate_min_items=duplicate_min_items)
    again = np.flatnonzero(repeats >= 0)  # the log names the row each one repeats
    problems = sorted(checked.problems + [
        Problem(int(i) + 1, "(answers)", None, f"the same answers as row {repeats[i] + 1}",
                "duplicate") for i in again], key=lambda p: (p.row, p.column))
    reason = exclusion_reason(flags, rules_on)
    rows = pd.RangeIndex(1, len(raw.frame) + 1, name="row")
    every = pd.concat([checked.values, checked.meta], axis=1).set_axis(rows)
    for frame in (checked.codes, flags):
        frame.index = rows
    reason.index = rows
    kept = reason.isna()
    every.attrs[CHECKED] = questionnaire.id  # kept by frames taken from it (data, items)
    log = CleaningLog(
        source=raw.source, format=raw.format, encoding=raw.encoding,
        rows_read=len(raw.frame), rows_kept=int(kept.sum()),
        excluded={r: int((reason == r).sum()) for r in rules_on},
        flagged={r: int(flags[r].sum()) for r in RULES},
        rules_on=rules_on, problems=problems,
        notes=raw.notes + notes + screen_notes,
    )
    return Responses(questionnaire, every[kept.to_numpy()], every, checked.codes, flags,
                     reason, log)
