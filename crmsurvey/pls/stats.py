"""Every statistic of a batch of samples, from their moments: one function used for the
full sample, the bootstrap resamples and the jackknife alike."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .algorithm import (construct_cor, fit_batch, item_construct_cor, path_coefficients,
                        total_effects)
from .consistent import consistent_correlations
from .index import csi_index
from .layout import Layout
from ..moments import Moments
from .quality import htmt

__all__ = ["Options", "BatchStats", "batch_statistics", "construct_signs"]


@dataclass(frozen=True)
class Options:
    scheme: str
    tol: float
    max_iter: int
    consistent: bool
    bounds: np.ndarray  # (p, 2)


@dataclass(frozen=True, eq=False)
class BatchStats:
    """Arrays with the batch on the first axis."""

    weights: np.ndarray  # (B, p): each item's weight in its own block
    loadings: np.ndarray  # (B, p, K), all item–construct correlations
    ccor: np.ndarray  # (B, K, K) construct correlations used for the paths
    beta: np.ndarray  # (B, K, K)
    r2: np.ndarray  # (B, K)
    total: np.ndarray  # (B, K, K)
    htmt: np.ndarray  # (B, K, K)
    index: np.ndarray  # (B, K)
    iterations: np.ndarray
    converged: np.ndarray

    def flip(self, sign: np.ndarray, lay: Layout, opts: Options, m: Moments) -> "BatchStats":
        """Construct-level sign change: multiply construct k of sample b by sign[b, k]."""
        w = self.weights * sign[:, lay.block]
        return _assemble(m, lay, opts, w, self.iterations, self.converged)


def _assemble(m: Moments, lay: Layout, opts: Options, w, iterations, converged,
              loadings=None) -> BatchStats:
    """Every statistic from the weights (``loadings``: ``R W`` when the fit has it)."""
    r = m.corr
    if loadings is None:
        loadings = item_construct_cor(r, w, lay)
    ccor = construct_cor(loadings, w, lay)
    if opts.consistent:
        ccor, loadings = consistent_correlations(r, w, ccor, loadings, lay)
    beta, r2 = path_coefficients(ccor, lay)
    if any(":" in c for c in lay.constructs):
        beta = _per_product_unit(beta, loadings, m, lay)
    with np.errstate(invalid="ignore"):
        index = csi_index(w, m.mean, m.sd, opts.bounds, lay)
    return BatchStats(w, loadings, ccor, beta, r2, total_effects(beta), htmt(r, lay), index,
                      iterations, converged)


def _per_product_unit(beta, loadings, m: Moments, lay: Layout) -> np.ndarray:
    """Express each interaction construct's paths per unit of the product of the
    standardised constructs (Henseler & Chin 2010's variance adjustment, as seminr): divide
    by the loading-weighted mean SD of the interaction's items (SDs with n − 1, as the
    products of standardised items or scores are formed with n − 1)."""
    beta = beta.copy()
    n = m.total
    for j in (j for j, c in enumerate(lay.constructs) if ":" in c):
        idx = lay.items_of(j)
        lam = np.abs(loadings[:, idx, j])
        sd = m.sd[:, idx] * np.sqrt((n - 1) / n)[:, None]
        beta[:, j, :] /= (lam * sd).sum(axis=1)[:, None] / lam.sum(axis=1)[:, None]
    return beta


def construct_signs(reference: np.ndarray, loadings: np.ndarray, lay: Layout) -> np.ndarray:
    """Tenenhaus et al. (2005) construct-level sign change (B, K): −1 where a sample's
    loadings on a construct are closer to the negated ``reference`` loadings (p, K)."""
    own = np.einsum("bpk,pk->bk", loadings, lay.mask)  # Σ of each block's own loadings
    ref = (reference * lay.mask).sum(axis=0)
    return np.where(np.abs(ref - own) > np.abs(ref + own), -1.0, 1.0)


def batch_statistics(m: Moments, lay: Layout, opts: Options) -> BatchStats:
    """Fit PLS-PM on every sample of ``m`` and derive all statistics."""
    fit = fit_batch(m.corr, lay, scheme=opts.scheme, tol=opts.tol, max_iter=opts.max_iter)
    return _assemble(m, lay, opts, fit.weights, fit.iterations, fit.converged, fit.loadings)
