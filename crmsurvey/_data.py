"""Checks shared by the estimators: numeric item columns and sampling weights."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["numeric_columns", "sampling_weights", "kish_n_eff"]


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
