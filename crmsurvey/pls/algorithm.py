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

#: Finished samples keep being carried (and their extra iterations discarded) until the
#: samples still iterating are at most this share of the batch: dropping columns of the
#: (p, p, B) stack costs as much as an iteration, so it is done a few times, not at each.
COMPACT_SHARE = 0.5


def _spans(lay: Layout) -> list[slice]:
    """Each block's items as a slice (items are laid out block by block,
    :func:`~.layout.layout_of`)."""
    starts = np.flatnonzero(np.r_[True, lay.block[1:] != lay.block[:-1]])
    if len(starts) != lay.k or (np.diff(lay.block) < 0).any():
        raise ValueError("the layout's items are not grouped block by block")
    ends = np.r_[starts[1:], lay.p]
    return [slice(int(s), int(e)) for s, e in zip(starts, ends)]


class _Work:
    """The iterations' arrays for a stack of S samples (batch last), allocated once and
    updated in place.

    ``rw`` holds ``R V`` at the *unnormalised* weights ``v`` and ``scale`` (K, S) each
    block's factor to unit score variance, so ``R W = rw · scale`` is never formed for
    the whole stack: the scale goes into ``W'RW`` and the inner weights (both K × K)
    instead, and into ``R W`` only for the samples that stop."""

    def __init__(self, rt: np.ndarray, lay: Layout, spans: list[slice]) -> None:
        p, k, s = lay.p, lay.k, rt.shape[-1]
        self.lay, self.spans, self.rt = lay, spans, rt  # R (p, p, S)
        self.mode_b = [spans[j] for j in np.flatnonzero(lay.mode_b)]
        self.v, self.w, self.w_old = np.empty((p, s)), np.empty((p, s)), np.empty((p, s))
        self.rw, self.c = np.empty((p, k, s)), np.empty((k, k, s))
        self.scale, self.es, self.item = np.empty((k, s)), np.empty((k, k, s)), np.empty((p, s))

    def take(self, cols: np.ndarray) -> "_Work":
        """A workspace of the columns ``cols`` only, in the same state."""
        out = _Work(np.take(self.rt, cols, axis=-1), self.lay, self.spans)
        for name in ("w", "rw", "c", "scale"):
            np.take(getattr(self, name), cols, axis=-1, out=getattr(out, name))
        return out

    def loadings(self, cols: np.ndarray) -> np.ndarray:
        """``R W`` (len(cols), p, K) of the samples in ``cols``."""
        return np.moveaxis(self.rw[..., cols] * self.scale[None, :, cols], -1, 0)

    def update(self, v: np.ndarray) -> None:
        """New weights from unnormalised ones ``v`` (p, S): ``R V``, ``W'RW`` and the
        weights scaled to unit score variance."""
        lay, rw, c, scale = self.lay, self.rw, self.c, self.scale
        for k, s in enumerate(self.spans):
            np.einsum("ijb,jb->ib", self.rt[:, s], v[s], out=rw[:, k])
        for k, s in enumerate(self.spans):
            np.einsum("pb,plb->lb", v[s], rw[s], out=c[k])  # V'RV
        np.sqrt(c.reshape(lay.k * lay.k, -1)[::lay.k + 1], out=scale)
        np.divide(1.0, scale, out=scale)
        np.multiply(v, np.take(scale, lay.block, axis=0, out=self.item), out=self.w)
        c *= scale[:, None]
        c *= scale[None]

    def step(self, inner) -> np.ndarray:
        """One iteration: inner weights from ``W'RW``, new outer weights, normalised;
        returns each sample's sum of absolute weight changes."""
        lay, v = self.lay, self.v
        # rows of the inner weights times the scale: Σ_l (R V)[p, l] scale_l E[l, k]
        # is cov(item p, inner proxy of construct k)
        np.multiply(inner(self.c, lay), self.scale[:, None], out=self.es)
        for k, s in enumerate(self.spans):
            np.einsum("plb,lb->pb", self.rw[s], self.es[:, k], out=v[s])
        for s in self.mode_b:
            v[s] = solve_spd(self.rt[s, s], v[s])
        self.w, self.w_old = self.w_old, self.w
        self.update(v)
        np.subtract(self.w, self.w_old, out=self.item)
        np.abs(self.item, out=self.item)
        return self.item.sum(axis=0)


def fit_batch(r: np.ndarray, lay: Layout, *, scheme: str = "path", tol: float = 1e-7,
              max_iter: int = 300, start: np.ndarray | None = None) -> Fit:
    """Run PLS-PM on each correlation matrix in ``r`` (B, p, p).

    Initial weights are 1 (SmartPLS, seminr) unless ``start`` (p,) gives others.
    Convergence: the sum of absolute changes of the outer weights
    falls below ``tol`` (SmartPLS's and seminr's criterion). Samples that reach
    ``max_iter`` first are marked ``converged == False``; a sample whose weights turn
    non-finite (a singular system) stops there, also not converged. Each sample's
    results are those of the iteration it stopped at.
    """
    inner = SCHEMES[scheme]
    b = r.shape[0]
    init = np.ones(lay.p) if start is None else np.asarray(start, dtype=float)
    weights = np.empty((b, lay.p))
    loadings = np.empty((b, lay.p, lay.k))
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    ws = _Work(np.ascontiguousarray(np.moveaxis(r, 0, -1)), lay, _spans(lay))
    ids = np.arange(b)  # the sample in each column of the workspace
    live = np.ones(b, dtype=bool)  # columns still iterating
    with np.errstate(all="ignore"):
        ws.update(np.repeat(init[:, None], b, axis=1))
        for it in range(1, max_iter + 1):
            diff = ws.step(inner)
            done = live & (diff < tol)
            stop = done | (live & ~np.isfinite(diff)) if it < max_iter else live
            if not stop.any():
                continue
            out = np.flatnonzero(stop)  # these samples stop here: keep their results
            iterations[ids[out]] = it
            converged[ids[done]] = True
            weights[ids[out]] = ws.w[:, out].T
            loadings[ids[out]] = ws.loadings(out)
            live &= ~stop
            n_live = np.count_nonzero(live)
            if not n_live:
                break
            if n_live <= COMPACT_SHARE * len(live):
                keep = np.flatnonzero(live)
                ws, ids, live = ws.take(keep), ids[keep], np.ones(n_live, dtype=bool)
    if max_iter < 1:
        weights[:], loadings[:] = ws.w.T, ws.loadings(np.arange(b))
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
