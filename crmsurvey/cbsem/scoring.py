"""Batched Fisher scoring for ML, GLS and ULS on stacks of covariance matrices.

All three discrepancy functions have the form ``F = ½ tr([(S − Σ) V]²)`` (GLS: V = S⁻¹,
ULS: V = I) or, for ML, ``F = log|Σ| + tr(SΣ⁻¹) − log|S| − p`` whose expected Hessian uses
``V = Σ⁻¹``. The step ``θ ← θ − I⁻¹ g`` with ``g_k = tr(V(Σ − S)V ∂Σ/∂θ_k)`` and
``I_kl = tr(V ∂Σ_k V ∂Σ_l)`` is computed for every sample of the stack at once; a step
that does not lower ``F`` is halved.

Every ``∂Σ/∂θ_k`` of the LISREL form is a symmetric rank-two matrix ``a_k b_k' + b_k a_k'``
(:func:`rank_two`), so ``I_kl = 2[(a_k'Va_l)(b_k'Vb_l) + (a_k'Vb_l)(b_k'Va_l)]`` and
``g_k = 2 b_k'(V(Σ − S)V)a_k`` cost ``O(q p² + q² p)`` per sample instead of the
``O(q² p²)`` of the full derivative matrices — the bootstrap's cost grows with the model
as one fit's does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .structure import BETA, LAMBDA, PSI, THETA, Structure

__all__ = ["Scored", "discrepancy", "score_fit", "information", "rank_two",
           "rank_two_information"]


@dataclass(frozen=True, eq=False)
class Scored:
    theta: np.ndarray  # (B, q)
    fmin: np.ndarray  # (B,) discrepancy at the solution
    iterations: np.ndarray
    converged: np.ndarray


def discrepancy(sigma: np.ndarray, s: np.ndarray, estimator: str,
                s_inv: np.ndarray | None = None) -> np.ndarray:
    """The estimator's discrepancy F for each sample (NaN where Σ is not positive definite)."""
    if estimator == "ML":
        sign, logdet = np.linalg.slogdet(sigma)
        _, logdet_s = np.linalg.slogdet(s)
        with np.errstate(invalid="ignore"):
            inv = np.linalg.inv(np.where(sign[:, None, None] > 0, sigma, np.eye(s.shape[-1])))
        f = logdet + np.einsum("bij,bji->b", s, inv) - logdet_s - s.shape[-1]
        return np.where(sign > 0, f, np.nan)
    resid = s - sigma
    if estimator == "GLS":
        resid = resid @ s_inv
    return 0.5 * np.einsum("bij,bji->b", resid, resid)


def _weight(sigma, s_inv, estimator):
    if estimator == "ML":
        return np.linalg.inv(sigma)
    if estimator == "GLS":
        return s_inv
    return np.broadcast_to(np.eye(sigma.shape[-1]), sigma.shape)


def information(deriv: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``I_kl = tr(V D_k V D_l)`` (B, q, q)."""
    a = v[:, None] @ deriv  # (B, q, p, p): V D_k
    return np.einsum("bkij,blji->bkl", a, a, optimize=True)


def rank_two(st: Structure, aux) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)``, each (B, q, p), with ``∂Σ/∂θ_k = a_k b_k' + b_k a_k'``: for a loading
    ``Λ_ij`` ``(e_i, d_j)``, a path ``B_ij`` ``(m_i, d_j)``, a factor (co)variance
    ``Ψ_ij`` ``(m_i, m_j)`` and a residual (co)variance ``Θ_ij`` ``(e_i, e_j)`` (halved
    ``b`` on a diagonal), with ``M = ΛC`` and ``d_j`` row ``j`` of ``CΨM'``."""
    m, c, psi = aux
    nb, p = m.shape[0], m.shape[1]
    d = c @ psi @ m.transpose(0, 2, 1)  # (B, r, p)
    a = np.zeros((nb, st.q, p))
    b = np.zeros((nb, st.q, p))
    half = np.where(st.row == st.col, 0.5, 1.0)
    for kind in (LAMBDA, THETA):
        k = np.flatnonzero(st.matrix == kind)
        a[:, k, st.row[k]] = 1.0
    k = np.flatnonzero(st.matrix == LAMBDA)
    b[:, k] = d[:, st.col[k]]
    k = np.flatnonzero(st.matrix == THETA)
    b[:, k, st.col[k]] = half[k]
    k = np.flatnonzero(st.matrix == BETA)
    a[:, k] = m.transpose(0, 2, 1)[:, st.row[k]]
    b[:, k] = d[:, st.col[k]]
    k = np.flatnonzero(st.matrix == PSI)
    a[:, k] = m.transpose(0, 2, 1)[:, st.row[k]]
    b[:, k] = m.transpose(0, 2, 1)[:, st.col[k]] * half[k, None]
    return a, b


def rank_two_information(a: np.ndarray, b: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``I_kl = tr(V D_k V D_l)`` (B, q, q) from the rank-two factors of :func:`rank_two`."""
    va, vb = a @ v, b @ v  # V symmetric: rows a_k'V, b_k'V
    g_aa = va @ a.transpose(0, 2, 1)
    g_bb = vb @ b.transpose(0, 2, 1)
    g_ab = va @ b.transpose(0, 2, 1)
    return 2 * (g_aa * g_bb + g_ab * g_ab.transpose(0, 2, 1))


def score_fit(st: Structure, s: np.ndarray, theta0: np.ndarray, *, estimator: str = "ML",
              tol: float = 1e-9, max_iter: int = 200) -> Scored:
    """Minimise F for each covariance matrix in ``s`` (B, p, p) from ``theta0`` (B, q)."""
    b = s.shape[0]
    s_inv = np.linalg.inv(s) if estimator == "GLS" else None
    theta = theta0.copy()
    sigma, aux = st.implied(theta)
    f = discrepancy(sigma, s, estimator, s_inv)
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.flatnonzero(np.isfinite(f))
    for it in range(1, max_iter + 1):
        if not active.size:
            break
        sa = s[active]
        sig_a, aux_a = st.implied(theta[active])
        v = _weight(sig_a, None if s_inv is None else s_inv[active], estimator)
        a, b = rank_two(st, aux_a)
        grad = 2 * np.einsum("bkp,bkp->bk", a @ (v @ (sig_a - sa) @ v), b)
        info = rank_two_information(a, b, v)
        try:
            step = np.linalg.solve(info, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([_lstsq(info[i], grad[i]) for i in range(len(active))])
        f_old = f[active]
        scale = np.ones(len(active))
        new_theta = theta[active] - step
        for _ in range(12):  # halve steps that do not lower F
            sig_new, _ = st.implied(new_theta)
            f_new = discrepancy(sig_new, sa, estimator,
                                None if s_inv is None else s_inv[active])
            worse = ~(f_new <= f_old + 1e-12)
            if not worse.any():
                break
            scale[worse] /= 2
            new_theta[worse] = theta[active][worse] - scale[worse, None] * step[worse]
        theta[active] = new_theta
        f[active] = f_new
        iterations[active] = it
        done = np.abs(scale[:, None] * step).max(axis=1) < tol
        converged[active[done]] = True
        active = active[~done & np.isfinite(f_new)]
    return Scored(theta, f, iterations, converged)


def _lstsq(a, y):
    return np.linalg.lstsq(a, y, rcond=None)[0]
