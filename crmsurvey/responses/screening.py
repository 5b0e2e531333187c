"""Screening rules: each flags rows with a reason; rows are excluded only by rules the
user switches on. Every rule works on whole columns at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _defaults as D
from ..notes import Note
from ..questionnaire import Questionnaire

__all__ = ["repeated_rows", "RULES", "same_answers", "screen"]

#: Rules in the order a row's exclusion reason is chosen (first flagged rule wins).
RULES = ("duplicate", "screened_out", "attention", "speeder", "straightlining", "missing",
         "invalid_weight")


#: Item roles that are not answers: left aside when rows are compared on their answers
#: (like the file's own metadata — 序号, submission time, IP — which are not items).
NOT_ANSWERS = ("id", "duration", "weight")


def same_answers(q: Questionnaire, frame: pd.DataFrame,
                 min_items: int = D.DUPLICATE_MIN_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """(a hash of each row's answers, whether the row may be judged on them).

    Answers are every item column of ``frame`` but the id, duration and weight (a file's
    own metadata — 序号, submission time, IP — are not items); two rows with equal hashes
    hold the same answer (or the same blank) in each. A respondent who submitted twice
    repeats every answer, so the rule finds them whatever number 问卷星 gave the rows.

    A row is judged only when it answers at least ``min_items`` of those columns and its
    construct items are not all one value: with few questions, or everything at 7, two
    honest respondents can answer alike, so a shorter questionnaire's repeats are left to
    its id column. Chance pairs grow with the square of the sample: on clean simulated
    answers to a 13-question bank form none of 500 respondents and 10
    of 5,000 were judged duplicates — for samples of thousands on short forms, raise
    ``min_items`` (``load_responses(duplicate_min_items=…)``).
    """
    cols = [c for c in frame.columns if c in q.items and q.items[c].role not in NOT_ANSWERS]
    rating = [c for c in cols if q.items[c].role == "indicator"]
    x = frame[cols]
    answered = x.notna().sum(axis=1).to_numpy()
    y = frame[rating].astype(float)
    varied = (y.max(axis=1) > y.min(axis=1)).to_numpy()
    return pd.util.hash_pandas_object(x, index=False).to_numpy(), (answered >= min_items) & varied


def _earlier_same(keys: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Per row, the position of the first earlier judged row with the same key, or -1."""
    pos = np.flatnonzero(judged)
    first = pd.Series(pos).groupby(keys[pos]).transform("first").to_numpy()
    out = np.full(len(keys), -1)
    out[pos] = np.where(first < pos, first, -1)
    return out


def screen(values: pd.DataFrame, codes: pd.DataFrame, meta: pd.DataFrame, q: Questionnaire, *,
           speeder_fraction: float = D.SPEEDER_FRACTION,
           straightline_min_items: int = D.STRAIGHTLINE_MIN_ITEMS,
           max_missing_share: float = D.MAX_MISSING_SHARE,
           duplicate_min_items: int = D.DUPLICATE_MIN_ITEMS
           ) -> tuple[pd.DataFrame, list[Note], np.ndarray]:
    """Boolean flags, one column per rule in :data:`RULES`, notes on what was judged, and
    per row the position of the earlier row whose answers (not id) it repeats (-1: none;
    see :func:`same_answers`). A duplicate repeats an earlier row's id or its answers."""
    flags = pd.DataFrame(False, index=values.index, columns=list(RULES))
    notes: list[Note] = []

    id_item = q.role_item("id")
    if id_item in meta:
        ids = meta[id_item]
        flags["duplicate"] = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
        notes.append(Note("screen_duplicate_id", {"item": id_item}))
    keys, judged = same_answers(q, pd.concat([values, meta], axis=1), duplicate_min_items)
    repeats = _earlier_same(keys, judged)
    repeats[flags["duplicate"].to_numpy()] = -1  # a repeated id says enough
    flags["duplicate"] |= repeats >= 0
    notes.append(Note("screen_duplicate_answers", {"min_items": int(duplicate_min_items)}))

    for item in q.items_with_role("screener"):
        qualify = q.items[item].qualify
        if item in values and qualify:
            flags["screened_out"] |= ~values[item].isin(qualify)

    for item in q.items_with_role("attention"):
        if item in values:
            flags["attention"] |= values[item].ne(q.items[item].expected)

    dur = q.role_item("duration")
    if dur in meta and meta[dur].notna().any():
        median = float(meta[dur].median())
        flags["speeder"] = (meta[dur] < speeder_fraction * median).to_numpy()
        notes.append(Note("screen_speeder", {"fraction": float(speeder_fraction),
                                             "median": median}))

    rating = [i for i in values.columns if q.items[i].role == "indicator"
              and q.scale(i).type == "rating"]
    blocks = [[it.id for it in sec.items if it.id in rating] for sec in q.sections] + [rating]
    for block in blocks:
        if len(block) >= straightline_min_items:
            x = values[block]
            full = x.notna().sum(axis=1) >= straightline_min_items
            flags["straightlining"] |= full & (x.max(axis=1) == x.min(axis=1))
    notes.append(Note("screen_straightlining", {"min_items": int(straightline_min_items)}))

    construct_items = [i for c in q.definition.constructs.values() for i in c.items
                       if i in values]
    if construct_items:
        c = codes[construct_items]
        missing = c.notna() & ~c.isin(["not_asked", "skipped"])  # the route's gaps aside
        flags["missing"] = (missing.mean(axis=1) > max_missing_share).to_numpy()
        notes.append(Note("screen_missing", {"share": float(max_missing_share)}))

    weight = q.role_item("weight")
    if weight in meta:
        w = meta[weight]
        flags["invalid_weight"] = ~((w > 0) & np.isfinite(w)).to_numpy()
    return flags, notes, repeats


def exclusion_reason(flags: pd.DataFrame, rules_on: list[str]) -> pd.Series:
    """The first switched-on rule that flags each row (NaN where the row is kept)."""
    reason = pd.Series(np.nan, index=flags.index, dtype="object")
    for rule in reversed([r for r in RULES if r in rules_on]):
        reason[flags[rule].to_numpy()] = rule
    return reason


def repeated_rows(q, earlier: pd.DataFrame, later: pd.DataFrame,
                  min_items: int = D.DUPLICATE_MIN_ITEMS) -> np.ndarray:
    """For each row of ``later``, the position in ``earlier`` of a row whose answers it
    repeats (:func:`same_answers`, as within one file), or -1. Used across the files of
    one study (two exports that overlap, one file listed twice). Respondent ids are not
    compared: an id identifies a row within its file — each wave's 问卷星 export numbers
    its rows from 1 — so equal ids in two files are different respondents."""
    found = np.full(len(later), -1)
    items = [c for c in earlier.columns if c in q.items and c in later]
    if items:
        h_early, ok_early = same_answers(q, earlier[items], min_items)
        h_late, ok_late = same_answers(q, later[items], min_items)
        first = pd.Series(np.arange(len(earlier))[ok_early], index=h_early[ok_early])
        first = first[~first.index.duplicated()]
        same = first.reindex(h_late).fillna(-1).to_numpy(dtype=int)
        found = np.where(ok_late, same, found)
    return found
