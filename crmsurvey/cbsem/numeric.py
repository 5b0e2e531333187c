"""Central-difference derivatives, the one numerical-derivative routine of the package
(the delta method of defined parameters, the Jacobians of implied moments in the
invariance tests). FIML and MLR scores and informations are analytic
(:mod:`crmsurvey.cbsem.fiml`; over groups fitted together
:func:`crmsurvey.cbsem.fiml_groups.observed_hessian`), not taken from here."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["jacobian"]


def jacobian(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, step: float = 1e-6,
             columns: Sequence[int] | None = None) -> np.ndarray:
    """``∂fn/∂x`` (m, k) by central differences with steps ``step · max(1, |x_k|)``;
    ``columns`` limits it to those coordinates (the others' columns are 0)."""
    x = np.asarray(x, dtype=float)
    columns = range(len(x)) if columns is None else columns
    out = None
    for k in columns:
        h = step * max(1.0, abs(x[k]))
        e = np.zeros(len(x))
        e[k] = h
        col = (np.asarray(fn(x + e), float) - np.asarray(fn(x - e), float)) / (2 * h)
        if out is None:
            out = np.zeros((col.size, len(x)))
        out[:, k] = col.ravel()
    return np.zeros((0, len(x))) if out is None else out
