"""Inner weighting schemes, on a batch of construct correlation matrices.

Each takes ``C`` (K, K, B) — the batch on the last axis, as the iterations of
:func:`~.algorithm.fit_batch` hold it — and the layout, and returns ``E`` (K, K, B): the
inner proxy of construct j is ``Σ_i E[i, j] · Y_i``.
"""
from __future__ import annotations

import numpy as np

from functools import lru_cache

from .layout import Layout
from .stacked import Regressions

__all__ = ["SCHEMES", "path", "factorial", "centroid"]


def path(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Path weighting (Lohmöller 1989): correlations to the constructs j predicts,
    multiple-regression coefficients from the constructs that predict j."""
    keep, reg, cells = _path_parts(lay)
    e = c * keep[:, :, None]  # cor(i, j) where j predicts i, or i is j's only predictor
    if cells is not None:  # every regression on two or more predictors at once
        e.reshape(lay.k * lay.k, -1)[cells[0]] = reg.solve(c)[cells[1], cells[2]]
    return e


@lru_cache(maxsize=64)
def _path_parts(lay: Layout):
    """What the path scheme needs of a layout: the cells taken from C as they are, the
    regressions on several predictors and where their coefficients go in E (flat cell,
    row, system)."""
    multi = [(j, lay.predecessors(j)) for j in lay.endogenous if len(lay.predecessors(j)) > 1]
    keep = lay.adj.T.copy()
    for j in lay.endogenous:
        if len(lay.predecessors(j)) == 1:  # its coefficient is the correlation
            keep[lay.predecessors(j), j] = True
    if not multi:
        return keep, None, None
    cells = np.array([(i * lay.k + j, row, s) for s, (j, pred) in enumerate(multi)
                      for row, i in enumerate(pred)]).T
    return keep, Regressions(lay.k, multi), cells


def factorial(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Factorial scheme: the correlation with every adjacent construct."""
    return c * (lay.adj | lay.adj.T)[:, :, None]


def centroid(c: np.ndarray, lay: Layout) -> np.ndarray:
    """Centroid scheme (Wold): the sign of the correlation with every adjacent construct."""
    return np.sign(c) * (lay.adj | lay.adj.T)[:, :, None]


SCHEMES = {"path": path, "factorial": factorial, "centroid": centroid}
