"""Check raw values against the questionnaire: scale points, special and missing codes,
reverse coding, relevance. Vectorised per column; only bad cells are listed one by one.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._catalogue import catalogue
from ..errors import InputError, mapping_hint
from ..notes import Note, short_list
from ..questionnaire import Questionnaire
from ..questionnaire.relevance import evaluate, parse_relevance
from ..questionnaire.schema import Scale
from .log import Problem
from .platforms import headers_worded_as
from .readers import RawTable

__all__ = ["CODES", "Checked", "check_values", "match_columns"]

#: Qualtrics metadata columns that stand for roles when no item column is found.
QUALTRICS_ROLES = {"id": "ResponseId", "duration": "Duration (in seconds)"}


@dataclass
class Checked:
    """Values checked against the questionnaire, one row per data row."""

    values: pd.DataFrame  # scale items, float, NaN where not a valid answer
    codes: pd.DataFrame  # why a value is missing: blank, special code name, ...
    meta: pd.DataFrame  # id, group, duration, weight and open-text columns by item id
    columns: dict[str, str]  # item id -> column in the file
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def match_columns(raw: RawTable, q: Questionnaire, mapping: dict[str, str] | None = None,
                  required=None) -> tuple[dict[str, str], list[Note]]:
    """Item id → column. Missing required columns raise InputError; returns notes too.
    ``required``: the items that must have a column (default: every item not optional)."""
    cols = [str(c) for c in raw.frame.columns]
    mapping = dict(mapping or {})
    for col, item in mapping.items():
        if col not in cols:
            raise InputError(f"the column mapping names column {col!r}, which the file lacks",
                             path=raw.source, hint=_close(col, cols))
        if item not in q.items:
            raise InputError(f"the column mapping maps {col!r} to unknown item {item!r}",
                             path=raw.source, hint=_close(item, q.items))
    by_item: dict[str, str] = {}
    for col, item in mapping.items():
        if item in by_item:
            raise InputError(f"the column mapping maps both {by_item[item]!r} and {col!r} to "
                             f"item {item!r}", path=raw.source,
                             hint="map one column to each item")
        by_item[item] = col
    lower: dict[str, list[str]] = {}
    for c in cols:
        lower.setdefault(c.lower(), []).append(c)
    notes: list[Note] = []
    for item_id, item in q.items.items():
        if item_id in by_item:
            continue
        if item_id in cols:
            by_item[item_id] = item_id
        elif item_id.lower() in lower:
            found = [c for c in lower[item_id.lower()] if c not in mapping]
            if len(found) > 1:
                raise InputError(f"columns {' and '.join(map(repr, found))} both name item "
                                 f"{item_id!r} (in another case)", path=raw.source,
                                 hint="rename or drop one of them")
            if found:
                by_item[item_id] = found[0]
        elif raw.format == "qualtrics" and QUALTRICS_ROLES.get(item.role) in cols:
            by_item[item_id] = QUALTRICS_ROLES[item.role]
            notes.append(Note("qualtrics_column", {"column": by_item[item_id], "item": item_id}))
    need = set(required) if required is not None else {i for i, it in q.items.items()
                                                           if not it.optional}
    missing = [i for i in q.items if i not in by_item and i in need]
    if missing:
        free = [c for c in cols if c not in by_item.values()]
        worded = headers_worded_as(q, missing[0], free)
        names = ", ".join(repr(m) for m in missing[:5]) + (" …" if len(missing) > 5 else "")
        carried = f" (column {worded[0]!r} carries its text)" if worded else ""
        hint = (f"map it: mapping: {{{worded[0]!r}: {missing[0]}}} in the study's data "
                f"entry, --map {worded[0]}={missing[0]} on the command line" if worded else
                "; ".join(filter(None, (_close(missing[0], free), mapping_hint(missing[0])))))
        raise InputError(f"missing required column{'s' if len(missing) > 1 else ''} for "
                         f"item{'s' if len(missing) > 1 else ''} {names}{carried}",
                         path=raw.source, hint=hint)
    unused = [c for c in cols if c not in by_item.values()]
    if unused:
        notes.append(Note("columns_ignored", {"n": len(unused), "columns": short_list(unused)}))
    return by_item, notes


def _close(name: str, options) -> str:
    m = difflib.get_close_matches(name, list(options), n=1)
    return f"did you mean {m[0]!r}?" if m else ""


def _as_text(s: pd.Series) -> pd.Series:
    """Text of a column; whole numbers read as floats (Excel, SPSS) lose their ".0", so an
    id 1001 stays "1001" and matches the same id elsewhere."""
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if len(whole) and np.isfinite(whole).all() and (whole == np.round(whole)).all():
            return s.astype("Int64").astype("string")
    return s.astype("string").str.strip()


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers, blank mask) of a raw column."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype(float)
        return num, num.isna()
    text = _as_text(s)
    blank = text.isna() | (text == "")
    return pd.to_numeric(text.where(~blank), errors="coerce").astype(float), blank.fillna(True)


def _file_missing(num: pd.Series, codes: set) -> pd.Series:
    hit = pd.Series(False, index=num.index)
    for c in codes:
        hit |= num.between(*c) if isinstance(c, tuple) else num.eq(c)
    return hit


#: How answers are coded in a file: ``values`` (the scale's own values, 0–10 for NPS) or
#: ``option_numbers`` (the position of the option clicked, 1 for the first: 问卷星's
#: "按选项序号" download) — recoded to values, options after the scale's points to its
#: special codes in order.
CODES = ("values", "option_numbers")


def _points(sc: Scale) -> list[float] | None:
    """The scale's answer values in option order (None for numeric scales)."""
    if sc.type == "rating":
        return [float(v) for v in range(int(sc.min), int(sc.max) + 1)]
    if sc.type in ("binary", "categorical"):
        return [float(v) for v in sc.values]
    return None


def _from_option_numbers(num: pd.Series, sc: Scale) -> pd.Series:
    """Option numbers 1, 2, … → the scale's values, then its special codes."""
    points = _points(sc)
    if points is None:
        return num
    table = dict(enumerate(points + [float(k) for k in sc.special], start=1))
    return num.map(table).where(num.isin(list(table)), num)


def _shifted_by_one(s: pd.Series, sc: Scale) -> int:
    """How many answers of the raw column ``s`` are the scale's maximum + 1 when the
    minimum never occurs and nothing else is off the scale: option numbers (1–11) read as
    values (0–10). Scales of consecutive whole numbers not starting at 1 only (from 1,
    numbers and values agree; their columns are not even read as numbers here)."""
    points = _points(sc)
    if not points or points[0] == 1 or points != [float(v) for v in
                                                   range(int(points[0]), int(points[-1]) + 1)]:
        return 0
    lo, hi = points[0], points[-1]
    num = _numeric(s)[0]
    codes = set(sc.special) | set(sc.missing)
    seen = num[num.notna() & ~num.isin(list(codes))]
    above = int((seen == hi + 1).sum())
    if above and not (seen == lo).any() and seen.between(lo, hi + 1).all():
        return above
    return 0


#: How survey platforms mark a question the respondent's route skipped (问卷星's
#: "(跳过)"): a legitimate gap, read as missing with the reason ``skipped``.
SKIPPED = frozenset({"(跳过)", "（跳过）", "跳过", "(空)", "（空）"})  # 问卷星: skipped, blank


def _skipped(s: pd.Series) -> pd.Series:
    """Where a raw column holds a platform's mark of a skipped question."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.Series(False, index=s.index)
    return _as_text(s).isin(SKIPPED).fillna(False).astype(bool)


def answer_labels(q: Questionnaire, sc: Scale) -> dict[str, int]:
    """Label text (lower case) → code, for answers downloaded as text (问卷星's 按选项文本):
    the values of a yes/no or categorical scale, the labelled points (anchors) of a rating
    scale — its ends, 非常不同意 … 非常同意 — in every language of the questionnaire, and
    the special codes by their names in the catalogue (不知道 → the don't-know code)."""
    texts = sc.values if sc.type in ("binary", "categorical") else \
        sc.anchors if sc.type == "rating" else {}
    labels = {t.strip().lower(): code for code, text in texts.items() for t in text.values()}
    for lang in q.languages:
        words = catalogue(lang)
        for code, name in sc.special.items():
            word = words.get(f"special:{name}")
            if word:
                labels.setdefault(word.strip().lower(), code)
    return labels


def _check_scale_item(s: pd.Series, sc: Scale, file_missing: set, labels: dict[str, int],
                      codes_as: str = "values") -> tuple[pd.Series, pd.Series, pd.Series]:
    """(valid values, reason codes, problem mask) for one item column."""
    skipped = _skipped(s)
    s = s.mask(skipped)
    num, blank = _numeric(s)
    if codes_as == "option_numbers":
        num = _from_option_numbers(num, sc)
    if labels:  # answers given as label text ("Yes", "是")
        text = _as_text(s).str.lower()
        num = num.fillna(text.map(labels).astype(float))
    codes = pd.Series(pd.NA, index=s.index, dtype="object")
    codes[blank] = "blank"
    codes[skipped] = "skipped"
    special = num.isin(list(sc.special))
    codes[special] = num[special].map(lambda v: sc.special[int(v)])
    miss = num.isin(sc.missing) | _file_missing(num, file_missing)
    codes[miss & ~special] = "missing_code"
    if sc.type == "rating":
        valid = num.between(sc.min, sc.max) & (num == np.round(num))
    elif sc.type in ("binary", "categorical"):
        valid = num.isin(list(sc.values))
    else:
        valid = num.notna()
        if sc.min is not None:
            valid &= num >= sc.min
        if sc.max is not None:
            valid &= num <= sc.max
    unparseable = ~blank & num.isna()
    # Stata's extended missing values (.a–.z) come through as single letters
    stata = unparseable & _as_text(s).str.fullmatch(r"\.?[a-z]").fillna(False)
    codes[stata] = "missing_code"
    unparseable &= ~stata
    codes[unparseable] = "unparseable"
    bad_range = num.notna() & ~valid & ~special & ~miss
    codes[bad_range] = "out_of_range"
    return num.where(valid), codes, unparseable | bad_range


def _describe(sc: Scale) -> str:
    if sc.type == "rating":
        return f"a whole number {sc.min:g}–{sc.max:g}"
    if sc.type in ("binary", "categorical"):
        return "one of " + ", ".join(str(v) for v in sc.values)
    lo = "" if sc.min is None else f"≥ {sc.min:g}"
    hi = "" if sc.max is None else f"≤ {sc.max:g}"
    return "a number " + " and ".join(x for x in (lo, hi) if x) if (lo or hi) else "a number"


def _labelled(s: pd.Series, labels: dict | None) -> pd.Series:
    """``s`` with each value that has a value label replaced by the label."""
    if not labels:
        return s
    named = s.map(labels)
    return named.where(named.notna(), s)


def check_values(raw: RawTable, q: Questionnaire, columns: dict[str, str],
                 codes_as: str | None = None) -> Checked:
    """Check every mapped column of ``raw`` against its item. ``codes_as`` is one of
    :data:`CODES`; None reads values, refusing a column that looks like option numbers."""
    if codes_as not in (None, *CODES):
        raise InputError(f"unknown answer coding {codes_as!r}", hint=f"use one of "
                         f"{', '.join(CODES)}")
    frame = raw.frame
    if codes_as is None:
        _refuse_option_numbers(raw, q, columns)
    rows = np.arange(1, len(frame) + 1)
    values, codes, meta, problems = {}, {}, {}, []
    for item_id, col in columns.items():
        item, s = q.items[item_id], frame[col]
        sc = q.scale(item_id)
        if sc is None:  # id, group, duration, weight
            s = s.mask(_skipped(s))  # a skipped question: missing, no problem
            if item.role in ("id", "group") or item.open_text:  # open answers: as written
                # a labelled code (SPSS, Stata: brand 1 = "Brand A") is read as its label
                text = _as_text(_labelled(s, raw.value_labels.get(col)))
                meta[item_id] = text.where(text != "")
                continue
            num, blank = _numeric(s)
            bad = ((~blank & num.isna()) | (num < 0) | np.isinf(num)
                   | ((num == 0) & (item.role == "weight")))
            # a negative or infinite weight stays as read, so that a stage refusing it can
            # name it ("row 12, weight -3"); the screening rule invalid_weight flags it
            keep = (num < 0) | np.isinf(num) if item.role == "weight" else False
            meta[item_id] = num.where(~bad | keep)
            want = "a positive number" if item.role == "weight" else "a number of seconds ≥ 0"
            problems += [Problem(int(rows[i]), col, _plain(s.iloc[i]), f"not {want}", item.role)
                         for i in np.flatnonzero(bad.to_numpy())]
            continue
        labels = answer_labels(q, sc)
        v, c, bad = _check_scale_item(s, sc, raw.missing_codes.get(col, set()), labels,
                                      codes_as or "values")
        if item.reverse:
            v = sc.min + sc.max - v  # rating items only (the questionnaire check)
        values[item_id], codes[item_id] = v, c
        problems += [Problem(int(rows[i]), col, _plain(s.iloc[i]),
                             f"{'cannot read' if c.iloc[i] == 'unparseable' else 'not on the scale'}"
                             f" (expected {_describe(sc)})", "value")
                     for i in np.flatnonzero(bad.to_numpy())]
    vals = pd.DataFrame(values, index=frame.index, dtype=float)
    code_frame = pd.DataFrame(codes, index=frame.index, dtype="object")
    _apply_relevance(q, vals, code_frame, columns, frame, rows, problems)
    problems.sort(key=lambda p: (p.row, p.column))
    return Checked(vals, code_frame, pd.DataFrame(meta, index=frame.index), columns, problems)


def _refuse_option_numbers(raw: RawTable, q: Questionnaire, columns: dict[str, str]) -> None:
    """InputError when a column holds option numbers: the scale's maximum + 1 present and
    its minimum absent (问卷星's "按选项序号" download of a 0–10 scale reads 1–11)."""
    for item_id, col in columns.items():
        sc = q.scale(item_id)
        if sc is None:
            continue
        above = _shifted_by_one(raw.frame[col], sc)
        if above:
            lo, hi = _points(sc)[0], _points(sc)[-1]
            raise InputError(
                f"column {col!r} (item {item_id!r}) looks like option numbers, not the scale's "
                f"values: {above} answer(s) are {hi + 1:g}, one above the scale {lo:g}–{hi:g}, "
                f"and none is {lo:g}", path=raw.source,
                hint="download the data again with the answers as option texts or scores "
                     "(问卷星: 按选项文本 or 按分数, not 按选项序号), or read the file as option "
                     "numbers (codes: option_numbers in the study's data entry, "
                     "--codes option_numbers)")


def _apply_relevance(q, vals, codes, columns, frame, rows, problems) -> None:
    for sec in q.sections:
        if not sec.relevance:
            continue
        clauses = parse_relevance(sec.relevance)
        needed = {c.item for clause in clauses for c in clause}
        if not needed <= set(vals.columns) | set(columns):
            continue
        asked = evaluate(clauses, vals.reindex(columns=sorted(needed)))
        for item in sec.items:
            if item.id not in vals.columns:
                continue
            not_asked = ~asked & codes[item.id].eq("blank").to_numpy()
            codes.loc[not_asked, item.id] = "not_asked"
            answered = ~asked & vals[item.id].notna().to_numpy()
            col = columns[item.id]
            problems += [Problem(int(rows[i]), col, _plain(frame[col].iloc[i]),
                                 f"answered although section {sec.id!r} did not apply "
                                 f"({sec.relevance})", "relevance")
                         for i in np.flatnonzero(answered)]


def _plain(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v
