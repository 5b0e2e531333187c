"""Dates in a firm's files, read the same way on every row: the format is decided on the
whole column, never guessed from its first value.

- Year first (``2025-12-25``, ``2025/12/25``, ``2025.12.25``, ``20251225``, Chinese
  ``2025年12月25日``), with or without a time, is read as such.
- Day and month first (``25/12/2025``, ``12-25-25``): a column where some first number
  is above 12 is day/month, where some second number is, month/day; a column with both
  is refused, and one where every such date could be either is refused unless
  ``dayfirst`` (``--dayfirst``/``--monthfirst``) or ``date_format`` says which.
- Month names (``Dec 25, 2025``, ``25 December 2025``) are read one by one.
- Times with a time-zone offset (``…T10:00+08:00``, ``…Z``) are converted to UTC and a
  note says so; a column mixing times with and without an offset is refused, naming
  the column and a row of each kind.
- With ``date_format`` (``strftime`` codes, ``%d.%m.%Y``) every value is read with it.

A value that cannot be read is NaT: the caller excludes its row with a reason.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..errors import InputError
from ..notes import Note

__all__ = ["parse_dates", "parse_date"]

_TIME = r"(?P<t>(?:[T ]\s*\d.*)?)"
_YMD = (r"^(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|(?P<m2>\d{2})(?P<d2>\d{2}))"
        + _TIME + "$")
_CJK = r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?" + _TIME + "$"
_DMY = r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _TIME + "$"
_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"  # after a time
_HINT = ("say which with --dayfirst or --monthfirst (dayfirst: true/false in a study), "
         "or give the format, e.g. --date-format '%d/%m/%Y'")


def _canonical(y: pd.Series, m: pd.Series, d: pd.Series, t: pd.Series) -> pd.Series:
    """``YYYY-MM-DD[THH:MM…]`` from parts (strings; two-digit years as strptime's %y)."""
    short = y.str.len() == 2
    if short.any():
        yy = pd.to_numeric(y.where(short), errors="coerce")
        y = y.where(~short, (yy + np.where(yy < 69, 2000, 1900)).astype("Int64").astype(str))
    t = (t.fillna("").str.replace(r"^[T\s]+|\s+$", "", regex=True)
         .str.replace(r"\s+(?=[+-]\d{2}:?\d{2}$|Z$)", "", regex=True))
    date = y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2)
    return date.where(t == "", date + "T" + t)


def _row(first: np.ndarray, k: int) -> int:
    """The row number (from 1) where distinct value ``k`` first occurs."""
    return int(first[k]) + 1


def parse_dates(values: pd.Series, *, what: str, source: str | None = None,
                date_format: str | None = None, dayfirst: bool | None = None
                ) -> tuple[pd.Series, list[Note]]:
    """Read a column of dates (strings, datetimes, or both); return naive timestamps
    (NaT where a value cannot be read) and notes for the log. ``what`` names the column
    in errors (``column 'date'``). Raises InputError for a column whose day/month order
    is ambiguous or mixed, or that mixes times with and without a time-zone offset."""
    index = values.index
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return (values.dt.tz_convert("UTC").dt.tz_localize(None).set_axis(index),
                [Note("times_utc", {"column": str(values.name)})])
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.set_axis(index), []
    # work on the distinct values: dates repeat, and errors name the first row of each
    obj = values.astype(object).where(values.notna(), None)
    keys = obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    codes, uniq = pd.factorize(keys, use_na_sentinel=True)
    first = np.full(len(uniq), -1)
    seen = codes >= 0
    first[codes[seen][::-1]] = np.flatnonzero(seen)[::-1]
    out = pd.Series(pd.NaT, index=range(len(uniq)), dtype="datetime64[ns]")
    notes: list[Note] = []
    is_text = np.array([isinstance(v, str) for v in uniq], dtype=bool)
    is_time = np.array([isinstance(v, (dt.date, np.datetime64)) for v in uniq], dtype=bool)
    aware = np.zeros(len(uniq), dtype=bool)
    if is_time.any():
        stamps = [pd.Timestamp(v) for v in uniq[is_time]]
        aware[is_time] = [s.tzinfo is not None for s in stamps]
        out[is_time] = [_naive_ns(s) for s in stamps]
    text = pd.Series(np.asarray(uniq, dtype=object)[is_text], index=np.flatnonzero(is_text),
                     dtype="string")
    if len(text):
        aware[text.index] = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
        if date_format:
            parsed = _with_format(text, date_format, what, source)
        else:
            parsed = _detect(text, what, source, dayfirst, first)
        out[text.index] = parsed.to_numpy()
    read = out.notna().to_numpy()
    if (aware & read).any() and (~aware & read).any():
        a, n = np.flatnonzero(aware & read)[0], np.flatnonzero(~aware & read)[0]
        raise InputError(f"{what} mixes times with a time-zone offset (row "
                         f"{_row(first, a)}: {str(uniq[a])!r}) and without (row "
                         f"{_row(first, n)}: {str(uniq[n])!r})", path=source,
                         hint="give every time an offset, or none")
    if (aware & read).any():
        notes.append(Note("times_utc", {"column": str(values.name)}))
    dates = pd.Series(np.where(codes >= 0, out.to_numpy()[np.maximum(codes, 0)],
                               np.datetime64("NaT")), dtype="datetime64[ns]")
    return dates.set_axis(index), notes


def _naive_ns(stamp: pd.Timestamp) -> pd.Timestamp:
    """``stamp`` in UTC without its zone, in nanoseconds; NaT (a row excluded with a
    reason) outside the years 1677–2262, such as Excel's 9999-12-31 for "never"."""
    try:
        return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo
                else stamp).as_unit("ns")
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return pd.NaT


def _utc(frame: pd.Series, format: str) -> pd.Series:
    parsed = pd.to_datetime(frame, format=format, errors="coerce", utc=True).dt.tz_localize(None)
    if parsed.dtype != "datetime64[ns]":  # a coarser unit holds years beyond 1677–2262
        parsed = parsed.where(parsed.between(pd.Timestamp.min, pd.Timestamp.max))
        parsed = parsed.astype("datetime64[ns]")
    return parsed


def _with_format(text: pd.Series, date_format: str, what: str, source) -> pd.Series:
    try:
        return _utc(text, date_format)
    except (ValueError, TypeError) as exc:
        raise InputError(f"date format {date_format!r} cannot be used for {what}: {exc}",
                         path=source, hint="write it with strftime codes, e.g. %d.%m.%Y"
                         ) from None


def _detect(text: pd.Series, what: str, source, dayfirst: bool | None, first
            ) -> pd.Series:
    canon = pd.Series(pd.NA, index=text.index, dtype="string")
    ymd = text.str.extract(_YMD)
    ymd["m"], ymd["d"] = ymd["m"].fillna(ymd["m2"]), ymd["d"].fillna(ymd["d2"])
    cjk = text.str.extract(_CJK)
    for parts in (ymd, cjk):
        hit = parts["y"].notna() & canon.isna()
        canon[hit] = _canonical(parts.y[hit], parts.m[hit], parts.d[hit], parts.t[hit])
    dmy = text.str.extract(_DMY)
    hit = dmy["a"].notna() & canon.isna()
    if hit.any():
        a = pd.to_numeric(dmy.a[hit]).to_numpy()
        b = pd.to_numeric(dmy.b[hit]).to_numpy()
        where = np.asarray(text.index[hit])
        if dayfirst is None:
            day_first, month_first = a > 12, b > 12
            if day_first.any() and month_first.any():
                i, j = where[np.argmax(day_first)], where[np.argmax(month_first)]
                raise InputError(f"{what} mixes day/month (row {_row(first, i)}: "
                                 f"{text[i]!r}) and month/day (row {_row(first, j)}: "
                                 f"{text[j]!r}) dates", path=source,
                                 hint="give the format, e.g. --date-format '%d/%m/%Y'")
            if not (day_first.any() or month_first.any()) and (a != b).any():
                i = where[np.argmax(a != b)]
                raise InputError(f"{what}: dates such as {text[i]!r} (row "
                                 f"{_row(first, i)}) could be day/month or month/day",
                                 path=source, hint=_HINT)
            dayfirst = bool(day_first.any())
        day, month = (dmy.a, dmy.b) if dayfirst else (dmy.b, dmy.a)
        canon[hit] = _canonical(dmy.y[hit], month[hit], day[hit], dmy.t[hit])
    out = _utc(canon, "ISO8601")
    # month names, one by one (a year and a word are needed: "12" alone is no date)
    rest = canon.isna() & text.str.contains(r"[^\W\d_]{3}", regex=True) \
        & text.str.contains(r"\d{4}", regex=True)
    for i in np.flatnonzero(rest.to_numpy()):
        k = text.index[i]
        try:
            stamp = pd.Timestamp(pd.to_datetime(text[k], dayfirst=bool(dayfirst)))
        except (ValueError, OverflowError, TypeError):
            continue
        out[k] = _naive_ns(stamp)
    return out


def parse_date(value, *, what: str, date_format: str | None = None,
               dayfirst: bool | None = None) -> pd.Timestamp:
    """One date (e.g. the analysis date) read by the rules above; InputError when it is
    not a date."""
    if isinstance(value, (dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
    else:
        parsed, _ = parse_dates(pd.Series([str(value)]), what=what, date_format=date_format,
                                dayfirst=dayfirst)
        stamp = parsed.iloc[0]
    if pd.isna(stamp):
        raise InputError(f"{what} {str(value)!r} is not a date",
                         hint="write it as 2026-03-31")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
