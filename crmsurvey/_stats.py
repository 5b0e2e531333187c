"""Small statistical helpers shared by the estimators and analytics."""
from __future__ import annotations

import numpy as np

__all__ = ["holm"]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN-free input).

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03])).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    if not m:
        return p
    order = np.argsort(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out
