"""PLS path modelling on correlation matrices, for a whole batch of samples at once.

With standardised items, everything the PLS-PM algorithm needs is the item correlation
matrix ``R``: construct scores ``Y = X W`` have correlations ``W'RW``, the inner proxy is
``Z = Y E`` and mode A's outer update is ``cov(X, Z) = R W E``. So the original sample and
every bootstrap resample are the same computation on a stack of ``R`` matrices. Each
sample stops at its own convergence, so results do not depend on how samples are batched.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Layout
from .schemes import SCHEMES

__all__ = ["Fit", "fit_batch", "construct_cor", "path_coefficients", "total_effects"]


@dataclass(frozen=True, eq=False)
class Fit:
    """Per sample: outer weights (B, p, K), construct correlations (B, K, K), iterations."""

    weights: np.ndarray
    ccor: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def construct_cor(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``W'RW`` for a batch."""
    return np.einsum("bpk,bpq,bql->bkl", w, r, w, optimize=True)


def _normalise(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    var = np.einsum("bpk,bpq,bqk->bk", w, r, w, optimize=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / np.sqrt(var)[:, None, :]


def _outer_update(r: np.ndarray, w: np.ndarray, e: np.ndarray, lay: Layout) -> np.ndarray:
    cov_xz = r @ w @ e  # (B, p, K): cov(item, inner proxy)
    new = cov_xz * lay.mask
    for j in np.flatnonzero(lay.mode_b):
        idx = lay.items_of(j)
        rjj = r[:, idx[:, None], idx[None, :]]
        new[:, idx, j] = np.linalg.solve(rjj, cov_xz[:, idx, j][..., None])[..., 0]
    return _normalise(r, new)


def fit_batch(r: np.ndarray, lay: Layout, *, scheme: str = "path", tol: float = 1e-7,
              max_iter: int = 300) -> Fit:
    """Run PLS-PM on each correlation matrix in ``r`` (B, p, p).

    Convergence: the sum of absolute changes of the outer weights falls below ``tol``
    (SmartPLS's and seminr's criterion). Samples that reach ``max_iter`` first are marked
    ``converged == False``.
    """
    inner = SCHEMES[scheme]
    b = r.shape[0]
    w = _normalise(r, np.broadcast_to(lay.mask, (b, *lay.mask.shape)).copy())
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.arange(b)
    for it in range(1, max_iter + 1):
        ra, wa = r[active], w[active]
        with np.errstate(invalid="ignore", divide="ignore"):
            try:
                new = _outer_update(ra, wa, inner(construct_cor(ra, wa), lay), lay)
            except np.linalg.LinAlgError:
                new = _outer_update_safe(ra, wa, inner, lay)
        diff = np.abs(new - wa).sum(axis=(1, 2))
        w[active] = new
        iterations[active] = it
        done = diff < tol
        converged[active[done]] = True
        active = active[~done & np.isfinite(diff)]
        if not active.size:
            break
    return Fit(w, construct_cor(r, w), iterations, converged)


def _outer_update_safe(r, w, inner, lay):
    """One sample at a time, for a batch where some matrix was singular (rare)."""
    out = np.full_like(w, np.nan)
    for i in range(r.shape[0]):
        try:
            out[i:i + 1] = _outer_update(r[i:i + 1], w[i:i + 1],
                                         inner(construct_cor(r[i:i + 1], w[i:i + 1]), lay), lay)
        except np.linalg.LinAlgError:
            pass
    return out


def path_coefficients(c: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients ``beta[b, i, j]`` (i predicts j) and R² (B, K)."""
    b = c.shape[0]
    beta = np.zeros((b, lay.k, lay.k))
    r2 = np.full((b, lay.k), np.nan)
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        try:
            coef = np.linalg.solve(c[:, pred[:, None], pred[None, :]], c[:, pred, j][..., None])
        except np.linalg.LinAlgError:
            coef = _solve_each(c[:, pred[:, None], pred[None, :]], c[:, pred, j][..., None])
        beta[:, pred, j] = coef[..., 0]
        r2[:, j] = np.einsum("bi,bi->b", coef[..., 0], c[:, pred, j])
    return beta, r2


def _solve_each(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.full(y.shape, np.nan)
    for i in range(a.shape[0]):
        try:
            out[i] = np.linalg.solve(a[i], y[i])
        except np.linalg.LinAlgError:
            pass
    return out


def total_effects(beta: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^-1 - I`` of a recursive model, per sample."""
    k = beta.shape[-1]
    eye = np.eye(k)
    return np.linalg.inv(eye - beta) - eye
