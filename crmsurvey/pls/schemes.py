"""Inner weighting schemes, on a batch of construct correlation matrices.

Each takes ``C`` (B, K, K) and the layout and returns ``E`` (B, K, K): the inner proxy
of construct j is ``Σ_i E[i, j] · Y_i``.
"""
from __future__ import annotations

import numpy as np

from .layout import Layout

__all__ = ["SCHEMES", "path", "factorial", "centroid"]


def path(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Path weighting (Lohmöller 1989): correlations to the constructs j predicts,
    multiple-regression coefficients from the constructs that predict j."""
    e = c * lay.adj.T  # E[i, j] = cor(i, j) where j predicts i
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        if len(pred) > 1:  # one predictor: the coefficient is the correlation already there
            e[:, pred, j] = np.linalg.solve(c[:, pred[:, None], pred[None, :]],
                                            c[:, pred, j][..., None])[..., 0]
        else:
            e[:, pred, j] = c[:, pred, j]
    return e


def factorial(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Factorial scheme: the correlation with every adjacent construct."""
    return c * (lay.adj | lay.adj.T)


def centroid(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Centroid scheme (Wold): the sign of the correlation with every adjacent construct."""
    return np.sign(c) * (lay.adj | lay.adj.T)


SCHEMES = {"path": path, "factorial": factorial, "centroid": centroid}
