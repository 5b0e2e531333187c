"""Nonparametric bootstrap of a WLSMV fit, every resample at once.

Each resample is a vector of row frequencies (the shared seed blocks of
:mod:`crmsurvey.moments`), so everything the two-step estimator needs is a count:

1. the category counts of each item give the thresholds;
2. each pair's contingency table (one matrix product over the one-hot rows) gives its
   polychoric correlation, by Fisher scoring on every pair of every resample together
   (:func:`crmsurvey.cbsem.polychoric.fit_rho`, warm-started at the full-sample value);
3. the DWLS weights ``1 / diag(Γ_ρρ)``: the scores of Muthén (1984) depend on a row only
   through its cell of the pair's table, so the diagonal of ``Γ`` is a sum over cells
   (:func:`rho_variances`; equal to the diagonal of :func:`crmsurvey.cbsem.wlsmv.nacov`);
4. DWLS by batched Gauss–Newton with the analytic ``∂Σ/∂θ``, from the full-sample solution
   (equality constraints through ``free = K u + c``).

A resample fails (counted, left out) when a category of an item is empty in it — the
thresholds would change in number, as lavaan's ``bootstrapLavaan`` fails there too — or a
step does not converge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..moments import BLOCK, chunk_blocks, resample_counts
from .polychoric import (_EDGE, bvn_dh, cell_probabilities, fit_rho, threshold_scores,
                         thresholds_of, zero_add)
from .structure import Structure

_MEMORY = 1e8  # bytes of one quadrature array (resamples × pairs × inner edges × nodes)

__all__ = ["rho_variances", "dwls_batch", "OrdinalChunk", "ordinal_chunk", "ordinal_draws"]


def rho_variances(counts: np.ndarray, tau_a: np.ndarray, tau_b: np.ndarray,
                  rho: np.ndarray) -> np.ndarray:
    """``N · avar`` of each polychoric correlation (the diagonal of Muthén's ``Γ_ρρ``),
    batched over tables ``counts`` (..., Ka, Kb) with edges ``tau_a``/``tau_b`` and ``rho``.

    A row's ρ-score and its threshold scores depend on its cell alone, so the influence of
    a row on ρ̂ is a function ψ of the cell: ``ψ = (s_ρ − A₂₁ A₁₁⁻¹ s_τ) / A₂₂`` with
    ``A₁₁`` block-diagonal over the two items, and ``Γ_ρρ = N Σ_cells n_cell ψ²``.
    """
    n = counts.sum(axis=(-2, -1))
    r = np.asarray(rho, float)[..., None, None]
    prob, dprob = cell_probabilities(tau_a, tau_b, rho)
    s = np.where(counts > 0, dprob / prob, 0.0)
    q = counts * s / prob
    ka, kb = counts.shape[-2], counts.shape[-1]
    da = np.eye(ka, ka - 1) - np.eye(ka, ka - 1, -1)
    db = np.eye(kb, kb - 1) - np.eye(kb, kb - 1, -1)
    proj = []
    for tau, other, n_c, dq, d in (
            (tau_a, tau_b, counts.sum(-1), np.einsum("ct,...cb->...tb", da, q), da),
            (tau_b, tau_a, counts.sum(-2), np.einsum("ct,...ac->...ta", db, q), db)):
        s_tau = threshold_scores(tau)  # (..., K, K−1)
        padded = ~(tau[..., 1:-1] < _EDGE)  # thresholds past the item's last category
        a11 = np.einsum("...c,...ct,...cu->...tu", n_c, s_tau, s_tau) \
            + padded[..., :, None] * np.eye(d.shape[1])
        g = np.diff(bvn_dh(tau[..., 1:-1, None], other[..., None, :], r), axis=-1)
        a21 = (g * dq).sum(axis=-1)  # (..., K−1)
        u = np.linalg.solve(a11, a21[..., None])[..., 0]
        proj.append(np.einsum("...ct,...t->...c", s_tau, u))
    a22 = (counts * s * s).sum(axis=(-2, -1))
    psi = (s - proj[0][..., :, None] - proj[1][..., None, :]) / a22[..., None, None]
    return n * (counts * psi * psi).sum(axis=(-2, -1))


def dwls_batch(st: Structure, resid: np.ndarray, theta: np.ndarray, r: np.ndarray,
               w: np.ndarray, *, k: np.ndarray | None = None, c: np.ndarray | None = None,
               tol: float = 1e-10, max_iter: int = 100
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """DWLS in the delta parameterisation for a stack of correlation vectors.

    ``resid`` marks the residual variances among the structure's parameters (not free:
    ``1 − explained``); ``theta`` (B, free) starts Gauss–Newton, ``r`` and ``w`` (B, pairs)
    are the polychorics (upper triangle) and their weights; equality constraints, if any,
    as ``free = K u + c`` (Gauss–Newton in ``u``). Returns the full parameter vectors
    (B, q) with the residual variances filled in, the implied correlations, a converged
    mask and the iterations used.
    """
    a, b = np.triu_indices(len(st.observed), 1)
    free = ~resid
    if k is None:
        k, c = np.eye(int(free.sum())), np.zeros(int(free.sum()))
    u = np.linalg.lstsq(k, (theta - c).T, rcond=None)[0].T  # (B, npar)
    full = np.zeros((len(theta), st.q))
    done = np.zeros(len(theta), bool)
    it = 0
    for it in range(1, max_iter + 1):
        full[:, free] = u @ k.T + c
        sigma, aux = st.implied(full)
        res = r - sigma[:, a, b]
        jac = np.einsum("bfp,fk->bkp", st.derivatives(aux)[:, free][:, :, a, b], k)
        lhs = np.einsum("bkp,bp,blp->bkl", jac, w, jac)
        rhs = np.einsum("bkp,bp->bk", jac, w * res)
        try:
            step = np.linalg.solve(lhs, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(m, v, rcond=None)[0] for m, v in zip(lhs, rhs)])
        u += step
        done = ~(np.abs(step) >= tol).any(axis=1)
        if done.all():
            break
    full[:, free] = u @ k.T + c
    sigma = st.implied(full)[0]
    full[:, resid] = 1 - np.diagonal(sigma, axis1=1, axis2=2)[:, st.row[resid]]
    return full, sigma[:, a, b], done, it


@dataclass(frozen=True, eq=False)
class OrdinalChunk:
    """One work unit: the resamples of ``blocks``, refitted from the full-sample values."""

    st: Structure
    resid: np.ndarray
    onehot: np.ndarray  # (n, p, K): each row's category of each item
    theta: np.ndarray  # full-sample free parameters
    rho: np.ndarray  # full-sample polychorics (pairs,)
    seed: int
    blocks: range
    stop: int
    k: np.ndarray | None = None  # equality constraints: free = K u + c
    c: np.ndarray | None = None


def ordinal_chunk(task: OrdinalChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameter draws (B, q), threshold draws (B, p·(K−1)) and the failed mask."""
    from .._threads import blas_threads

    with blas_threads(1):  # small matrices: one BLAS thread, parallel chunks instead
        return _ordinal_chunk(task)


def _ordinal_chunk(task: OrdinalChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, p, k = task.onehot.shape
    freq = resample_counts(n, task.seed, task.blocks)[:task.stop]
    a, b = np.triu_indices(p, 1)
    margins = np.einsum("bn,npk->bpk", freq, task.onehot)
    real = task.onehot.any(axis=0)  # (p, K): categories seen in the full sample
    empty = ((margins == 0) & real).any(axis=(1, 2))
    tau = thresholds_of(margins)  # (B, p, K+1)
    flat = task.onehot[:, a, :, None] * task.onehot[:, b, None, :]  # (n, pairs, K, K)
    counts = (freq @ flat.reshape(n, -1)).reshape(len(freq), len(a), k, k)
    added = zero_add(counts, real.sum(axis=1), a, b)  # lavaan's zero.add, per resample
    rho, ok, _ = fit_rho(added, tau[:, a], tau[:, b],
                         np.broadcast_to(task.rho, (len(freq), len(a))))
    with np.errstate(all="ignore"):
        w = 1 / rho_variances(counts, tau[:, a], tau[:, b], rho)
    bad = empty | ~ok.all(axis=1) | ~np.isfinite(w).all(axis=1)
    w = np.where(bad[:, None], 1.0, w)
    rho = np.where(bad[:, None], task.rho, rho)
    full, _, done, _ = dwls_batch(task.st, task.resid,
                                  np.broadcast_to(task.theta, (len(freq), task.theta.size)),
                                  rho, w, k=task.k, c=task.c)
    bad |= ~done | ~np.isfinite(full).all(axis=1)
    thresholds = tau[:, :, 1:-1][:, real[:, 1:]]  # each item's own thresholds, in order
    return (np.where(bad[:, None], np.nan, full), np.where(bad[:, None], np.nan, thresholds),
            bad)


def ordinal_draws(st: Structure, resid: np.ndarray, onehot: np.ndarray, theta: np.ndarray,
                  rho: np.ndarray, *, n_boot: int, seed: int, chunk: int, engine=None,
                  k: np.ndarray | None = None, c: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameter draws (n_boot, q), threshold draws and the failed mask; chunks run on
    ``engine`` (see :mod:`crmsurvey.engine`); ``k``, ``c``: equality constraints (see
    :func:`dwls_batch`)."""
    from ..engine import run_units

    pairs, n_cat = len(rho), onehot.shape[2]
    chunk = max(BLOCK, min(chunk, int(_MEMORY // (pairs * (n_cat - 1) ** 2 * 40 * 8))))
    tasks = [OrdinalChunk(st, resid, onehot, theta, rho, seed, blocks, stop, k, c)
             for blocks, stop in chunk_blocks(n_boot, chunk)]
    results = run_units(ordinal_chunk, tasks, engine)
    return tuple(np.concatenate([res[i] for res in results]) for i in range(3))
