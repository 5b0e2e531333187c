"""Consistent PLS (PLSc; Dijkstra & Henseler 2015): correct the construct correlations
and loadings of reflective (mode A) constructs for attenuation, using rho_A."""
from __future__ import annotations

import numpy as np

from .layout import Layout
from .quality import rho_a

__all__ = ["consistent_correlations"]


def consistent_correlations(r, w, ccor, loadings, lay: Layout):
    """Corrected construct correlations (B, K, K) and loadings (B, p, K).

    ``cor*(i, j) = cor(i, j) / sqrt(rho_A,i · rho_A,j)``; mode A loadings become
    ``λ = w · sqrt(rho_A) / (w'w)`` (the consistent loadings); mode B and single-item
    constructs keep reliability 1.
    """
    rho = rho_a(r, w, lay)
    with np.errstate(invalid="ignore", divide="ignore"):
        cc = ccor / np.sqrt(rho[:, :, None] * rho[:, None, :])
    k = np.arange(lay.k)
    cc[:, k, k] = 1.0
    new_load = loadings.copy()
    for j in range(lay.k):
        idx = lay.items_of(j)
        if lay.mode_b[j] or len(idx) < 2:
            continue
        wj = w[:, idx]
        own = wj * (np.sqrt(rho[:, j]) / (wj * wj).sum(axis=1))[:, None]
        new_load[:, idx, j] = own
    return cc, new_load
