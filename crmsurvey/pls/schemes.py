"""Inner weighting schemes, on a batch of construct correlation matrices.

Each takes ``C`` (K, K, B) — the batch on the last axis, as the iterations of
:func:`~.algorithm.fit_batch` hold it — and the layout, and returns ``E`` (K, K, B): the
inner proxy of construct j is ``Σ_i E[i, j] · Y_i``.
"""
from __future__ import annotations

import numpy as np

from .layout import Layout
from .stacked import solve_spd

__all__ = ["SCHEMES", "path", "factorial", "centroid"]


def path(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Path weighting (Lohmöller 1989): correlations to the constructs j predicts,
    multiple-regression coefficients from the constructs that predict j."""
    e = c * lay.adj.T[:, :, None]  # E[i, j] = cor(i, j) where j predicts i
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        if len(pred) > 1:  # one predictor: the coefficient is the correlation already there
            e[pred, j] = solve_spd(c[pred[:, None], pred[None, :]], c[pred, j])
        else:
            e[pred, j] = c[pred, j]
    return e


def factorial(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Factorial scheme: the correlation with every adjacent construct."""
    return c * (lay.adj | lay.adj.T)[:, :, None]


def centroid(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Centroid scheme (Wold): the sign of the correlation with every adjacent construct."""
    return np.sign(c) * (lay.adj | lay.adj.T)[:, :, None]


SCHEMES = {"path": path, "factorial": factorial, "centroid": centroid}
