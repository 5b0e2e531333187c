"""Formatting shared by result summaries (rounding, "–" for NaN, p formats) and JSON.

Numbers are rounded by Python (the same digits in every language); inside
:func:`number_locale` their decimal sign, minus sign and percent layout are the
locale's, from Babel's CLDR data (``0,512`` and ``23,6 %`` in German). Outside it they
read as in English, as result summaries and files always do.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Iterator

import numpy as np
import pandas as pd

__all__ = ["num", "pval", "pct", "date", "number_locale", "format_table", "json_safe",
           "shown_difference", "difference", "interval", "current_language", "MINUS"]

_LOCALE: ContextVar[str | None] = ContextVar("crmsurvey_number_locale", default=None)
#: decimal sign, minus sign, percent prefix and suffix outside :func:`number_locale`
_PLAIN = (".", "-", "", "%")
#: The minus sign of report numbers (U+2212, as the report's text writes it) wherever the
#: locale's CLDR minus is the ASCII hyphen-minus
MINUS = "\u2212"


@contextmanager
def number_locale(lang: str | None) -> Iterator[None]:
    """Format numbers, percentages and dates for ``lang`` (a language tag, ``"de"``,
    ``"zh-CN"``) inside the block.

    >>> with number_locale("de"):
    ...     num(-1.5, 2), pct(23.6)
    ('\u22121,50', '23,6\xa0%')
    """
    token = _LOCALE.set(lang)
    try:
        yield
    finally:
        _LOCALE.reset(token)


def current_language() -> str | None:
    """The language of the enclosing :func:`number_locale` block (None outside one): a
    chart drawn for a report picks its fonts by it.

    >>> with number_locale("zh-CN"):
    ...     current_language()
    'zh-CN'
    """
    return _LOCALE.get()


@lru_cache(maxsize=None)
def _babel_locale(lang: str):
    """Babel's locale for a tag; the language alone where the tag is unknown to CLDR
    (a pseudo-locale ``en-XA`` formats as ``en``)."""
    from babel import Locale, UnknownLocaleError

    tag = lang.replace("-", "_")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(tag.split("_")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


@lru_cache(maxsize=None)
def _symbols(lang: str | None) -> tuple[str, str, str, str]:
    if lang is None:
        return _PLAIN
    from babel.numbers import get_decimal_symbol, get_minus_sign_symbol

    loc = _babel_locale(lang)
    pattern = loc.percent_formats[None]
    sign = loc.number_symbols["latn"]["percentSign"] if hasattr(loc, "number_symbols") \
        else "%"
    prefix, suffix = (x[0].replace("%", sign) for x in (pattern.prefix, pattern.suffix))
    minus = get_minus_sign_symbol(loc)
    return get_decimal_symbol(loc), MINUS if minus == "-" else minus, prefix, suffix


def _local(text: str) -> str:
    """``text`` (Python's rendering of a number) with the locale's decimal and minus sign."""
    point, minus, _, _ = _symbols(_LOCALE.get())
    if (point, minus) == (".", "-"):
        return text
    return text.replace(".", "\0").replace("-", minus).replace("\0", point)


def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v))


def num(v, digits: int = 3, sign: bool = False) -> str:
    """``0.512``; ``–`` for a missing value; a value that rounds to zero has no sign;
    ``sign``: ``+0.512`` for a positive value.

    >>> num(0.5123), num(-0.0002), num(-0.04, 1), num(None), num(2, 1, sign=True)
    ('0.512', '0.000', '0.0', '–', '+2.0')
    """
    if _missing(v):
        return "–"
    out = f"{v:{'+' if sign else ''}.{digits}f}"
    if not out.strip("+-0."):  # rounds to zero: no "-0.0", no "+0.0"
        out = out.lstrip("+-")
    return _local(out)


def shown_difference(a, b, digits: int = 1) -> float | None:
    """``a − b`` as a reader works it out from the two figures printed beside it: the
    figures rounded to ``digits`` decimals (as :func:`num` prints them), then subtracted —
    exactly, in decimal. None where either is missing. The report's rule for a difference
    shown next to its two figures (``77.16`` and ``60.54`` print ``77.2`` and ``60.5``, so
    ``16.7``, where the unrounded ``16.62`` would print ``16.6``); its interval and test
    stay those of the unrounded estimate. Rounding keeps order, so the result never has
    the opposite sign of ``a − b`` (it may be zero).

    >>> shown_difference(77.16, 60.54), num(77.16 - 60.54, 1), shown_difference(1, None)
    (16.7, '16.6', None)
    """
    if _missing(a) or _missing(b):
        return None
    from decimal import Decimal

    return float(Decimal(f"{a:.{digits}f}") - Decimal(f"{b:.{digits}f}"))


def difference(a, b, digits: int = 1, sign: bool = False, magnitude: bool = False) -> str:
    """:func:`shown_difference` printed with :func:`num` in the report's locale
    (``magnitude``: its absolute value, for a sentence that says the direction in words).

    >>> difference(77.16, 60.54), difference(-7.64, 9.92, magnitude=True), difference(None, 1)
    ('16.7', '17.5', '–')
    >>> with number_locale("de"):
    ...     difference(2.04, 3.16, sign=True)
    '\u22121,2'
    """
    v = shown_difference(a, b, digits)
    return num(abs(v) if magnitude and v is not None else v, digits, sign)


def pval(v, floor=None) -> str:
    """``.034``, ``< .001``; ``–`` for a missing value. ``floor``: the smallest value a
    p-value from resamples can take (``1/B``, or its adjusted value), at or below which it
    reads ``< floor`` rounded up — ``< .002`` for B = 500, never ``< .001``; a value that
    would print ``1.000`` reads ``> .999``.

    >>> pval(0.002, floor=1 / 500), pval(0.0004, floor=1 / 2400), pval(0.0004), pval(0.9996)
    ('< .002', '< .001', '< .001', '> .999')
    """
    if _missing(v):
        return "–"
    if floor is not None and not _missing(floor) and v <= floor * (1 + 1e-9):
        return "< " + _local(f"{max(math.ceil(floor * 1000 - 1e-9), 1) / 1000:.3f}".lstrip("0"))
    if v > 0.999:  # would round to "1.000": the ceiling, as the floor
        return _local("> .999")
    return _local("< .001" if v < 0.001 else f"{v:.3f}".lstrip("0"))


def pct(v, digits: int = 1) -> str:
    """A percentage given on the 0–100 scale: ``23.6%`` (``23,6 %`` in German).

    >>> pct(23.56), pct(None)
    ('23.6%', '–')
    """
    if _missing(v):
        return "–"
    _, _, prefix, suffix = _symbols(_LOCALE.get())
    return prefix + num(v, digits) + suffix


def date(value) -> str:
    """A date written ``YYYY-MM-DD`` in the locale's medium form (``Jun 1, 2026``,
    ``2026年6月1日``); anything else as written.

    >>> with number_locale("en"):
    ...     date("2026-06-01"), date("June 2026")
    ('Jun 1, 2026', 'June 2026')
    """
    import datetime as dt

    lang = _LOCALE.get()
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if lang is None:
        return day.isoformat()
    from babel.dates import format_date

    return format_date(day, format="medium", locale=_babel_locale(lang))


def format_table(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Float columns as text: p-value columns with :func:`pval`, others with :func:`num`."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            fmt = pval if str(c).startswith("pvalue") or str(c).startswith("p_") else \
                (lambda v: num(v, digits))
            out[c] = [fmt(v) for v in out[c]]
    return out


def json_safe(obj):
    """NaN → None, numpy scalars → Python, recursively."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
