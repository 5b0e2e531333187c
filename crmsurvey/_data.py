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
    """Weights given as a column name or an array, checked: finite and non-negative."""
    if isinstance(weights, str):
        if weights not in data.columns:
            raise InputError(f"weight column {weights!r} is not in the data")
        weights = data[weights]
    w = np.asarray(pd.to_numeric(pd.Series(np.asarray(weights)), errors="coerce"), dtype=float)
    if len(w) != len(data):
        raise InputError(f"weights has {len(w)} values for {len(data)} rows")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        first = int(np.argmax(bad))
        raise InputError(f"{int(bad.sum())} row(s) have no valid weight (first: row "
                         f"{data.index[first]}, weight {w[first]!r})",
                         hint="weights must be finite and non-negative; exclude such rows "
                              "with the screening rule 'invalid_weight'")
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
