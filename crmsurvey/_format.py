"""Formatting shared by result summaries (rounding, "–" for NaN, p formats) and JSON."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["num", "pval", "pct", "format_table", "json_safe"]


def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v))


def num(v, digits: int = 3) -> str:
    """``0.512``; ``–`` for a missing value; a value that rounds to zero has no sign.

    >>> num(0.5123), num(-0.0002), num(-0.04, 1), num(None)
    ('0.512', '0.000', '0.0', '–')
    """
    if _missing(v):
        return "–"
    out = f"{v:.{digits}f}"
    return out[1:] if out.startswith("-") and not out.strip("-0.") else out


def pval(v, floor=None) -> str:
    """``.034``, ``< .001``; ``–`` for a missing value. ``floor``: the smallest value a
    p-value from resamples can take (``1/B``, or its adjusted value), at or below which it
    reads ``< floor`` rounded up — ``< .002`` for B = 500, never ``< .001``.

    >>> pval(0.002, floor=1 / 500), pval(0.0004, floor=1 / 2400), pval(0.0004)
    ('< .002', '< .001', '< .001')
    """
    if _missing(v):
        return "–"
    if floor is not None and not _missing(floor) and v <= floor * (1 + 1e-9):
        return "< " + f"{max(math.ceil(floor * 1000 - 1e-9), 1) / 1000:.3f}".lstrip("0")
    return "< .001" if v < 0.001 else f"{v:.3f}".lstrip("0")


def pct(v, digits: int = 1) -> str:
    return "–" if _missing(v) else f"{v:.{digits}f}%"


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
