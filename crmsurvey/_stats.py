"""Small statistical helpers shared by the estimators and analytics."""
from __future__ import annotations

import numpy as np

__all__ = ["holm"]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values; a missing p (NaN) stays missing and does not
    count among the tests.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03, np.nan])).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m:
        order = ok[np.argsort(p[ok])]
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(adj, 1.0)
    return out
