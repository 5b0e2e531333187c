"""Screening rules: each flags rows with a reason; rows are excluded only by rules the
user switches on. Every rule works on whole columns at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _defaults as D
from ..notes import Note
from ..questionnaire import Questionnaire

__all__ = ["repeated_rows", "RULES", "screen"]

#: Rules in the order a row's exclusion reason is chosen (first flagged rule wins).
RULES = ("duplicate", "screened_out", "attention", "speeder", "straightlining", "missing",
         "invalid_weight")


def screen(values: pd.DataFrame, codes: pd.DataFrame, meta: pd.DataFrame, q: Questionnaire, *,
           speeder_fraction: float = D.SPEEDER_FRACTION,
           straightline_min_items: int = D.STRAIGHTLINE_MIN_ITEMS,
           max_missing_share: float = D.MAX_MISSING_SHARE) -> tuple[pd.DataFrame, list[Note]]:
    """Boolean flags, one column per rule in :data:`RULES`, and notes on what was judged."""
    flags = pd.DataFrame(False, index=values.index, columns=list(RULES))
    notes: list[Note] = []

    id_item = q.role_item("id")
    if id_item in meta:
        ids = meta[id_item]
        flags["duplicate"] = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
        notes.append(Note("screen_duplicate_id", {"item": id_item}))
    else:
        answers = values[[c for c in values.columns if q.items[c].role == "indicator"]]
        flags["duplicate"] = answers.notna().any(axis=1) & answers.duplicated(keep="first")
        notes.append(Note("screen_duplicate_answers"))

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
        missing = c.notna() & c.ne("not_asked")
        flags["missing"] = (missing.mean(axis=1) > max_missing_share).to_numpy()
        notes.append(Note("screen_missing", {"share": float(max_missing_share)}))

    weight = q.role_item("weight")
    if weight in meta:
        w = meta[weight]
        flags["invalid_weight"] = ~((w > 0) & np.isfinite(w)).to_numpy()
    return flags, notes


def exclusion_reason(flags: pd.DataFrame, rules_on: list[str]) -> pd.Series:
    """The first switched-on rule that flags each row (NaN where the row is kept)."""
    reason = pd.Series(np.nan, index=flags.index, dtype="object")
    for rule in reversed([r for r in RULES if r in rules_on]):
        reason[flags[rule].to_numpy()] = rule
    return reason


def repeated_rows(q, earlier: pd.DataFrame, later: pd.DataFrame) -> np.ndarray:
    """For each row of ``later``, the position in ``earlier`` of a row it repeats — the
    same respondent id, or identical answers to every construct item — or -1. Used
    across the files of one study (two exports that overlap, one file listed twice)."""
    found = np.full(len(later), -1)
    id_item = q.role_item("id")
    if id_item in earlier and id_item in later:
        first = pd.Series(np.arange(len(earlier)), index=earlier[id_item].astype("string"))
        first = first[~first.index.duplicated() & first.index.notna()]
        found = first.reindex(later[id_item].astype("string")).fillna(-1).to_numpy(dtype=int)
    items = [c for c in earlier.columns if c in q.items and q.items[c].role == "indicator"
             and c in later]
    if items:
        def hashes(frame):
            answered = frame[items].notna().any(axis=1).to_numpy()
            return pd.util.hash_pandas_object(frame[items], index=False).to_numpy(), answered

        h_early, ok_early = hashes(earlier)
        h_late, ok_late = hashes(later)
        first = pd.Series(np.arange(len(earlier))[ok_early], index=h_early[ok_early])
        first = first[~first.index.duplicated()]
        same = first.reindex(h_late).fillna(-1).to_numpy(dtype=int)
        found = np.where((found < 0) & ok_late, same, found)
    return found
