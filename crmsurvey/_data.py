"""Checks shared by the estimators: numeric item columns and sampling weights."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["numeric_columns", "sampling_weights", "kish_n_eff", "far_values",
           "far_value_diagnostics", "level_names"]


def numeric_columns(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``data[columns]`` as floats; blank text is missing; any other value that is not a
    number is an InputError naming its column and row."""
    frame = data[columns].copy()
    for col in columns:
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            s = s.where(~s.astype("string").str.strip().eq("").fillna(False))
            frame[col] = s
            bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
            if bad.any():
                row = bad.idxmax()
                raise InputError(f"column {col!r}, row {row}: {s[row]!r} is not a number")
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def sampling_weights(weights, data: pd.DataFrame) -> np.ndarray:
    """Weights given as a column name or an array, checked — finite and non-negative, an
    InputError naming the first bad row and its value otherwise — and scaled to mean 1
    (weights are scale-free: 1e300 or 1e-300 each give the same fit as 1)."""
    if isinstance(weights, str):
        if weights not in data.columns:
            raise InputError(f"weight column {weights!r} is not in the data")
        weights = data[weights]
    raw = pd.Series(np.asarray(weights, dtype=object).ravel())
    if len(raw) != len(data):
        raise InputError(f"weights has {len(raw)} values for {len(data)} rows")
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        first = int(np.argmax(bad))
        value = raw.iloc[first]
        shown = "missing" if pd.isna(value) or (isinstance(value, str) and not value.strip()) \
            else f"{value:g}" if isinstance(value, (int, float, np.number)) else repr(value)
        raise InputError(f"{int(bad.sum())} row(s) have no valid weight (first: row "
                         f"{data.index[first]}, weight {shown})",
                         hint="weights must be finite and non-negative; exclude such rows "
                              "with the screening rule 'invalid_weight'")
    top = w.max(initial=0.0)
    if top > 0:  # scale by the largest first: the mean of 1e300s overflows, 1e-320s lose bits
        w = w / top
        w = w / w.mean()
    return w


def kish_n_eff(weights: np.ndarray | None, n: int | None = None) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (``n`` when unweighted).

    Examples
    --------
    >>> kish_n_eff(np.array([1.0, 1.0, 2.0]))
    2.6666666666666665
    """
    if weights is None:
        return float(n)
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


#: A value is "far outside the bulk" of its item when an empty stretch of the number line
#: more than this many times as wide as the bulk's own range separates it from the bulk:
#: 98 beside answers 1–10 (a gap of 88, a range of 9), 999 beside ages 18–80. A skewed
#: but honest tail (a few 1s on a 1–10 item most answer 8 to 10) has no such gap.
FAR_GAP = 3.0


def far_values(data: pd.DataFrame, columns) -> list[tuple[str, int, float]]:
    """Items with values far outside the bulk of their answers: ``(item, count, the value
    farthest out)`` per item, in column order.

    The rule, per item: split its distinct numeric values at the widest gap between
    neighbours; the side holding more answers is the bulk, trimmed the same way in turn
    (so codes on both sides, −99 and 98, are found); the other side is far when its gap
    to the trimmed bulk is more than :data:`FAR_GAP` times the bulk's range. A bulk of one
    value (most answers the same, or a 0/1 item) judges nothing. Text that is not a number
    is left to the estimator's own check.

    Examples
    --------
    >>> df = pd.DataFrame({"sat1": [7, 8, 6, 9, 7, 98, 8, 5, 98, 7]})
    >>> far_values(df, ["sat1"])
    [('sat1', 2, 98.0)]
    """
    out = []
    for col in columns:
        if col not in data.columns:
            continue
        x = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        values, counts = np.unique(x, return_counts=True)
        lo, hi = _bulk(values, counts)
        far = (x < lo) | (x > hi)
        if far.any():
            centre = np.median(x[~far])
            out.append((str(col), int(far.sum()),
                        float(x[far][np.argmax(np.abs(x[far] - centre))])))
    return out


def _bulk(values: np.ndarray, counts: np.ndarray, depth: int = 0) -> tuple[float, float]:
    """(lowest, highest) value of the bulk of sorted distinct ``values`` (see far_values);
    at most a few levels of codes are looked for."""
    if len(values) == 0:
        return np.inf, -np.inf
    if len(values) < 3 or depth > 3:
        return values[0], values[-1]
    cut = int(np.argmax(np.diff(values))) + 1  # values[:cut] | values[cut:]
    if counts[:cut].sum() >= counts[cut:].sum():
        lo, hi = _bulk(values[:cut], counts[:cut], depth + 1)
        if hi > lo and values[cut] - hi > FAR_GAP * (hi - lo):
            return lo, hi
        return lo, values[-1]
    lo, hi = _bulk(values[cut:], counts[cut:], depth + 1)
    if hi > lo and lo - values[cut - 1] > FAR_GAP * (hi - lo):
        return lo, hi
    return values[0], hi


def far_value_diagnostics(data: pd.DataFrame, columns) -> list:
    """One ``far_values`` :class:`~crmsurvey.diagnostics.Diagnostic` (a DataWarning) per
    item of ``columns`` with values far outside its bulk (see :func:`far_values`)."""
    from .diagnostics import Diagnostic

    return [Diagnostic(
        "far_values", f"item {item!r}: {n} value(s) far outside the bulk of its answers "
        f"(e.g. {value:g}) — special or missing codes such as 98 \"don't know\"? Give the "
        "questionnaire (cs.pls(q, df)) or load the data with cs.load_responses, or set "
        "them missing", concerns=(item, str(n)), params={"item": item, "n": n, "value": value})
        for item, n, value in far_values(data, columns)]


def level_names(series: pd.Series) -> pd.Series:
    """A group or wave item's values as the level names the results key groups by: a
    numeric code as its integer (``"1"``, not the ``"1.0"`` of a float column that a
    loader reads codes into), other values as written; missing stays missing.

    >>> level_names(pd.Series([1.0, None, 12.0])).tolist()
    ['1', nan, '12']
    """
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    v = series.to_numpy(dtype=float)
    whole = np.isfinite(v) & (v == np.round(v))
    text = series.astype(str).to_numpy(dtype=object)
    text[whole] = v[whole].astype(np.int64).astype(str)
    text[~np.isfinite(v)] = np.nan
    return pd.Series(text, index=series.index, name=series.name, dtype=object)
