"""PLS path modelling on correlation matrices, for a whole batch of samples at once.

With standardised items, everything the PLS-PM algorithm needs is the item correlation
matrix ``R``: construct scores ``Y = X W`` have correlations ``W'RW``, the inner proxy is
``Z = Y E`` and mode A's outer update is ``cov(X, Z) = R W E``. So the original sample and
every bootstrap resample are the same computation on a stack of ``R`` matrices.

Each item belongs to one block, so the weights are kept as a vector ``w`` (B, p), spread
to ``W = w · mask`` where a product needs it. Each sample stops at its own convergence
and leaves the active set, so results do not depend on how samples are batched.

The iterations run with the batch on the *last* axis (``R`` as (p, p, B), ``R W`` as
(p, K, B)): every step is then a vector operation over the samples, ``R W`` one
contraction per block, and the small systems of the path scheme and mode B are solved
for all samples together (:mod:`.stacked`). The public functions keep the batch first.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .layout import Layout
from .schemes import SCHEMES
from .stacked import Regressions, solve_spd

__all__ = ["Fit", "fit_batch", "item_construct_cor", "construct_cor", "path_coefficients",
           "total_effects"]


@dataclass(frozen=True, eq=False)
class Fit:
    """Per sample: outer weights (B, p) of each item in its own block, the item–construct
    correlations ``R W`` (B, p, K) at those weights, iterations."""

    weights: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    loadings: np.ndarray | None = None


def item_construct_cor(r: np.ndarray, w: np.ndarray, lay: Layout) -> np.ndarray:
    """``R W`` (B, p, K): the correlation of every item with every construct score.

    Computed as ``(R · w) @ mask``, one matrix product for the whole batch (each item is
    in one block), about twice as fast as a batch of small products."""
    b, p = w.shape
    return ((r * w[:, None, :]).reshape(b * p, p) @ lay.mask).reshape(b, p, lay.k)


def construct_cor(rw: np.ndarray, w: np.ndarray, lay: Layout) -> np.ndarray:
    """``W'RW`` (B, K, K) from ``R W`` and the weight vector."""
    return (w[:, :, None] * lay.mask).transpose(0, 2, 1) @ rw


# --- the iterations, batch last ---------------------------------------------------------

def _spans(lay: Layout) -> list[slice]:
    """Each block's items as a slice (items are laid out block by block,
    :func:`~.layout.layout_of`)."""
    starts = np.flatnonzero(np.r_[True, lay.block[1:] != lay.block[:-1]])
    if len(starts) != lay.k or (np.diff(lay.block) < 0).any():
        raise ValueError("the layout's items are not grouped block by block")
    ends = np.r_[starts[1:], lay.p]
    return [slice(int(s), int(e)) for s, e in zip(starts, ends)]


def _rw(rt: np.ndarray, w: np.ndarray, spans: list[slice]) -> np.ndarray:
    """``R W`` (p, K, B) from ``R`` (p, p, B) and the weights (p, B)."""
    out = np.empty((rt.shape[0], len(spans), rt.shape[2]))
    for k, s in enumerate(spans):
        np.einsum("ijb,jb->ib", rt[:, s], w[s], out=out[:, k])
    return out


def _block_sums(x: np.ndarray, lay: Layout) -> np.ndarray:
    """Sums over each block's items of ``x`` (p, ...): (K, ...), one matrix product."""
    return (lay.mask.T @ x.reshape(lay.p, -1)).reshape((lay.k,) + x.shape[1:])


def _normalise(rt, w, lay: Layout, spans) -> tuple[np.ndarray, np.ndarray]:
    """Scale each block's weights to give its score unit variance; also return R W."""
    rw = _rw(rt, w, spans)
    var = _block_sums(w * rw[np.arange(lay.p), lay.block], lay)  # (K, B)
    scale = 1 / np.sqrt(var)
    rw *= scale[None]
    return w * scale[lay.block], rw


def _outer_update(rt, rw, e, lay: Layout, spans) -> np.ndarray:
    """New (unnormalised) weights (p, B) from the inner weights ``e`` (K, K, B)."""
    # cov(item, inner proxy of its own construct) = Σ_l (R W)[p, l] · E[l, block(p)]
    cov_xz = np.einsum("plb,lpb->pb", rw, e[:, lay.block])
    for j in np.flatnonzero(lay.mode_b):
        s = spans[j]
        cov_xz[s] = solve_spd(rt[s, s], cov_xz[s])
    return cov_xz


def fit_batch(r: np.ndarray, lay: Layout, *, scheme: str = "path", tol: float = 1e-7,
              max_iter: int = 300, start: np.ndarray | None = None) -> Fit:
    """Run PLS-PM on each correlation matrix in ``r`` (B, p, p).

    Initial weights are 1 (SmartPLS, seminr) unless ``start`` (p,) gives others.
    Convergence: the sum of absolute changes of the outer weights
    falls below ``tol`` (SmartPLS's and seminr's criterion). Samples that reach
    ``max_iter`` first are marked ``converged == False``; a sample whose weights turn
    non-finite (a singular system) stops there, also not converged.
    """
    inner = SCHEMES[scheme]
    spans = _spans(lay)
    b = r.shape[0]
    rt = np.ascontiguousarray(np.moveaxis(r, 0, -1))  # (p, p, B)
    init = np.ones(lay.p) if start is None else np.asarray(start, dtype=float)
    weights = np.empty((b, lay.p))
    loadings = np.empty((b, lay.p, lay.k))
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.arange(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        w, rw = _normalise(rt, np.repeat(init[:, None], b, axis=1), lay, spans)
        for it in range(1, max_iter + 1):
            c = _block_sums(w[:, None] * rw, lay)  # W'RW (K, K, B)
            w_old = w
            w, rw = _normalise(rt, _outer_update(rt, rw, inner(c, lay), lay, spans),
                               lay, spans)
            diff = np.abs(w - w_old).sum(axis=0)
            iterations[active] = it
            done = diff < tol
            converged[active[done]] = True
            keep = ~done & np.isfinite(diff)
            if it == max_iter:
                keep[:] = False
            if not keep.all():  # these samples stop here: keep their results
                out = np.flatnonzero(~keep)
                weights[active[out]] = w[:, out].T
                loadings[active[out]] = np.moveaxis(rw[..., out], -1, 0)
                if not keep.any():
                    break
                active = active[keep]
                rt, w, rw = (np.compress(keep, a, axis=-1) for a in (rt, w, rw))
    if max_iter < 1:
        weights[:], loadings[:] = w.T, np.moveaxis(rw, -1, 0)
    return Fit(weights, iterations, converged, loadings)


# --- after convergence, batch first -------------------------------------------------------

def path_coefficients(c: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients ``beta[b, i, j]`` (i predicts j) and R² (B, K); NaN for a
    sample whose predictors' correlation matrix is singular."""
    b = c.shape[0]
    beta = np.zeros((b, lay.k, lay.k))
    r2 = np.full((b, lay.k), np.nan)
    reg = _regressions(lay)
    if reg is None:
        return beta, r2
    each = reg.coefficients(np.ascontiguousarray(np.moveaxis(c, 0, -1)))
    for (j, pred), coef in zip(reg.targets, each):
        coef = coef.T  # (B, m)
        coef[~np.isfinite(coef).all(axis=1)] = np.nan
        beta[:, pred, j] = coef
        r2[:, j] = np.einsum("bi,bi->b", coef, c[:, pred, j])
    return beta, r2


@lru_cache(maxsize=64)
def _regressions(lay: Layout) -> Regressions | None:
    """The structural regressions of a layout (every endogenous construct on its
    predictors)."""
    targets = [(j, lay.predecessors(j)) for j in lay.endogenous]
    return Regressions(lay.k, targets) if targets else None


def total_effects(beta: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^-1 - I`` of a recursive model, per sample.

    Built in causal order: the total effect of i on j is i's direct effect plus its
    total effect on each of j's predictors times that predictor's direct effect on j.

    Examples
    --------
    >>> b = np.array([[[0.0, 0.5, 0.2], [0.0, 0.0, 0.4], [0.0, 0.0, 0.0]]])
    >>> float(total_effects(b)[0, 0, 2].round(12))  # 0.2 direct + 0.5 · 0.4
    0.4
    """
    support = ((beta != 0) | np.isnan(beta)).any(axis=0)  # (K, K): i → j in some sample
    total = np.zeros_like(beta)
    done: list[int] = []
    while len(done) < len(support):
        ready = [j for j in range(len(support)) if j not in done
                 and all(i in done for i in np.flatnonzero(support[:, j]))]
        if not ready:
            raise ValueError("the structural model has a cycle")
        for j in ready:
            pred = np.flatnonzero(support[:, j])
            total[:, :, j] = beta[:, :, j] + np.einsum("bik,bk->bi", total[:, :, pred],
                                                       beta[:, pred, j])
        done += ready
    return total
