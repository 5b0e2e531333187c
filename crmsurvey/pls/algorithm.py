"""PLS path modelling on correlation matrices, for a whole batch of samples at once.

With standardised items, everything the PLS-PM algorithm needs is the item correlation
matrix ``R``: construct scores ``Y = X W`` have correlations ``W'RW``, the inner proxy is
``Z = Y E`` and mode A's outer update is ``cov(X, Z) = R W E``. So the original sample and
every bootstrap resample are the same computation on a stack of ``R`` matrices.

Each item belongs to one block, so the weights are kept as a vector ``w`` (B, p), spread
to ``W = w · mask`` where a product needs it. Each sample stops at its own convergence,
so results do not depend on how samples are batched.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Layout
from .schemes import SCHEMES

__all__ = ["Fit", "fit_batch", "item_construct_cor", "construct_cor", "path_coefficients",
           "total_effects"]


@dataclass(frozen=True, eq=False)
class Fit:
    """Per sample: outer weights (B, p) of each item in its own block, iterations."""

    weights: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def item_construct_cor(r: np.ndarray, w: np.ndarray, lay: Layout) -> np.ndarray:
    """``R W`` (B, p, K): the correlation of every item with every construct score.

    Computed as ``(R · w) @ mask``, one matrix product for the whole batch (each item is
    in one block), about twice as fast as a batch of small products."""
    b, p = w.shape
    return ((r * w[:, None, :]).reshape(b * p, p) @ lay.mask).reshape(b, p, lay.k)


def construct_cor(rw: np.ndarray, w: np.ndarray, lay: Layout) -> np.ndarray:
    """``W'RW`` (B, K, K) from ``R W`` and the weight vector."""
    return (w[:, :, None] * lay.mask).transpose(0, 2, 1) @ rw


def _own(rw: np.ndarray, lay: Layout) -> np.ndarray:
    """Each item's entry for its own construct: (B, p)."""
    return rw[:, np.arange(lay.p), lay.block]


def _normalise(r: np.ndarray, w: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Scale each block's weights to give its score unit variance; also return R W."""
    rw = item_construct_cor(r, w, lay)
    var = (w * _own(rw, lay)) @ lay.mask  # (B, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1 / np.sqrt(var)
    return w * scale[:, lay.block], rw * scale[:, None, :]


def _outer_update(r, w, rw, e, lay: Layout) -> np.ndarray:
    """New (unnormalised) weights from the inner weights ``e``."""
    # cov(item, inner proxy of its own construct) = Σ_l (R W)[p, l] · E[l, block(p)]
    cov_xz = np.einsum("bpl,blp->bp", rw, e[:, :, lay.block])
    for j in np.flatnonzero(lay.mode_b):
        idx = lay.items_of(j)
        rjj = r[:, idx[:, None], idx[None, :]]
        cov_xz[:, idx] = np.linalg.solve(rjj, cov_xz[:, idx][..., None])[..., 0]
    return cov_xz


def fit_batch(r: np.ndarray, lay: Layout, *, scheme: str = "path", tol: float = 1e-7,
              max_iter: int = 300, start: np.ndarray | None = None) -> Fit:
    """Run PLS-PM on each correlation matrix in ``r`` (B, p, p).

    Initial weights are 1 (SmartPLS, seminr) unless ``start`` (p,) gives others.
    Convergence: the sum of absolute changes of the outer weights
    falls below ``tol`` (SmartPLS's and seminr's criterion). Samples that reach
    ``max_iter`` first are marked ``converged == False``.
    """
    inner = SCHEMES[scheme]
    b = r.shape[0]
    init = np.ones(lay.p) if start is None else start
    w, rw = _normalise(r, np.broadcast_to(init, (b, lay.p)).copy(), lay)
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.arange(b)
    ra, wa, rwa = r, w, rw
    for it in range(1, max_iter + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            try:
                e = inner(construct_cor(rwa, wa, lay), lay)
                new, rw_new = _normalise(ra, _outer_update(ra, wa, rwa, e, lay), lay)
            except np.linalg.LinAlgError:  # a singular resample: fail it, keep the rest
                new = np.full_like(wa, np.nan)
                rw_new = np.full_like(rwa, np.nan)
        diff = np.abs(new - wa).sum(axis=1)
        w[active] = new
        iterations[active] = it
        done = diff < tol
        converged[active[done]] = True
        keep = ~done & np.isfinite(diff)
        if not keep.any():
            break
        if keep.all():
            wa, rwa = new, rw_new
        else:
            active = active[keep]
            ra, wa, rwa = r[active], new[keep], rw_new[keep]
    return Fit(w, iterations, converged)


def path_coefficients(c: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients ``beta[b, i, j]`` (i predicts j) and R² (B, K)."""
    b = c.shape[0]
    beta = np.zeros((b, lay.k, lay.k))
    r2 = np.full((b, lay.k), np.nan)
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        a, y = c[:, pred[:, None], pred[None, :]], c[:, pred, j][..., None]
        try:
            coef = np.linalg.solve(a, y)[..., 0]
        except np.linalg.LinAlgError:
            coef = np.stack([_solve_or_nan(a[i], y[i]) for i in range(b)])
        beta[:, pred, j] = coef
        r2[:, j] = np.einsum("bi,bi->b", coef, c[:, pred, j])
    return beta, r2


def _solve_or_nan(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, y)[:, 0]
    except np.linalg.LinAlgError:
        return np.full(len(y), np.nan)


def total_effects(beta: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^-1 - I`` of a recursive model, per sample."""
    k = beta.shape[-1]
    eye = np.eye(k)
    return np.linalg.inv(eye - beta) - eye
