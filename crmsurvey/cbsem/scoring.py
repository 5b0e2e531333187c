"""Batched Fisher scoring for ML, GLS and ULS on stacks of covariance matrices.

All three discrepancy functions have the form ``F = ½ tr([(S − Σ) V]²)`` (GLS: V = S⁻¹,
ULS: V = I) or, for ML, ``F = log|Σ| + tr(SΣ⁻¹) − log|S| − p`` whose expected Hessian uses
``V = Σ⁻¹``. The step ``θ ← θ − I⁻¹ g`` with ``g_k = tr(V(Σ − S)V ∂Σ/∂θ_k)`` and
``I_kl = tr(V ∂Σ_k V ∂Σ_l)`` is computed for every sample of the stack at once; a step
that does not lower ``F`` is halved.

Every ``∂Σ/∂θ_k`` of the LISREL form is a symmetric rank-two matrix ``a_k b_k' + b_k a_k'``
(:func:`rank_two`), so ``I_kl = 2[(a_k'Va_l)(b_k'Vb_l) + (a_k'Vb_l)(b_k'Va_l)]`` and
``g_k = 2 b_k'(V(Σ − S)V)a_k``; the ``a``, ``b`` are drawn from ``p + 2r`` vectors (unit
vectors, columns of ``ΛC`` and rows of ``CΨC'Λ'``, :func:`rank_two_basis`), so one
``Z V Z'`` holds every product: ``O((p + r)² p + q²)`` per sample instead of the
``O(q² p²)`` of the full derivative matrices.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .structure import BETA, LAMBDA, PSI, THETA, Structure

__all__ = ["Scored", "discrepancy", "score_fit", "information", "rank_two",
           "rank_two_basis", "rank_two_information"]


@dataclass(frozen=True, eq=False)
class Scored:
    theta: np.ndarray  # (B, q)
    fmin: np.ndarray  # (B,) discrepancy at the solution
    iterations: np.ndarray
    converged: np.ndarray


def discrepancy(sigma: np.ndarray, s: np.ndarray, estimator: str,
                s_inv: np.ndarray | None = None) -> np.ndarray:
    """The estimator's discrepancy F for each sample (NaN where Σ is not positive definite)."""
    return _evaluate(sigma, s, estimator, s_inv)[0]


def _logdet_pd(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log|Σ|`` of each matrix of the stack and whether it is positive definite — a
    positive determinant is not enough (two negative roots give one, and F would accept
    a Σ no covariance matrix is). One Cholesky for the stack; where it fails, the roots."""
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        finite = np.isfinite(sigma).all(axis=(-2, -1))
        safe = np.where(finite[..., None, None], sigma, np.eye(sigma.shape[-1]))
        sign, logdet = np.linalg.slogdet(safe)
        ok = finite & (sign > 0) & (np.linalg.eigvalsh(safe)[..., 0] > 0)
        return logdet, ok
    logdet = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)
    return logdet, np.isfinite(logdet)


def _evaluate(sigma: np.ndarray, s: np.ndarray, estimator: str,
              s_inv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """F and, for ML, ``Σ⁻¹`` (the next step's weight: computed once per point)."""
    if estimator == "ML":
        logdet, ok = _logdet_pd(sigma)
        _, logdet_s = np.linalg.slogdet(s)
        with np.errstate(invalid="ignore"):
            inv = np.linalg.inv(np.where(ok[:, None, None], sigma, np.eye(s.shape[-1])))
        f = logdet + np.einsum("bij,bji->b", s, inv) - logdet_s - s.shape[-1]
        return np.where(ok, f, np.nan), inv
    resid = s - sigma
    if estimator == "GLS":
        resid = resid @ s_inv
    return 0.5 * np.einsum("bij,bji->b", resid, resid), None


def _weight(sigma, s_inv, estimator):
    if estimator == "ML":
        return np.linalg.inv(sigma)
    if estimator == "GLS":
        return s_inv
    return np.broadcast_to(np.eye(sigma.shape[-1]), sigma.shape)


def information(deriv: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``I_kl = tr(V D_k V D_l)`` (B, q, q), as one matrix product per sample (the D_k
    are symmetric)."""
    a = v[:, None] @ deriv  # (B, q, p, p): V D_k
    b, q = a.shape[:2]
    return a.reshape(b, q, -1) @ a.transpose(0, 1, 3, 2).reshape(b, q, -1).transpose(0, 2, 1)


def rank_two_basis(st: Structure, aux):
    """The vectors every ``∂Σ/∂θ_k`` is made of: ``Z`` (B, p + 2r, p) holds the unit
    vectors ``e_i``, the columns ``m_i`` of ``M = ΛC`` and the rows ``d_j`` of ``CΨM'``;
    ``∂Σ/∂θ_k = s_k (z_{a_k} z_{b_k}' + z_{b_k} z_{a_k}')`` with ``(a, b, s)`` (q,) each:
    a loading ``Λ_ij`` is ``(e_i, d_j)``, a path ``B_ij`` ``(m_i, d_j)``, a factor
    (co)variance ``Ψ_ij`` ``(m_i, m_j)``, a residual (co)variance ``Θ_ij`` ``(e_i, e_j)``,
    ``s`` ½ on a diagonal."""
    m, c, psi = aux
    nb, p, r = m.shape
    d = c @ psi @ m.transpose(0, 2, 1)  # (B, r, p)
    z = np.concatenate([np.broadcast_to(np.eye(p), (nb, p, p)), m.transpose(0, 2, 1), d],
                       axis=1)
    kind, row, col = st.matrix, st.row, st.col
    a = np.where(np.isin(kind, (LAMBDA, THETA)), row, p + row)
    b = np.select([kind == THETA, kind == PSI], [col, p + col], p + r + col)
    scale = np.where(np.isin(kind, (PSI, THETA)) & (row == col), 0.5, 1.0)
    return z, a, b, scale


def rank_two(st: Structure, aux) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)``, each (B, q, p), with ``∂Σ/∂θ_k = a_k b_k' + b_k a_k'`` (see
    :func:`rank_two_basis`)."""
    z, ia, ib, scale = rank_two_basis(st, aux)
    return z[:, ia] * scale[None, :, None], z[:, ib]


def rank_two_information(z: np.ndarray, ia, ib, scale, v: np.ndarray) -> np.ndarray:
    """``I_kl = tr(V D_k V D_l)`` (B, q, q) from :func:`rank_two_basis`:
    ``2 s_k s_l [(z_a'Vz_a)(z_b'Vz_b) + (z_a'Vz_b)(z_b'Vz_a)]`` from ``H = Z V Z'``."""
    h = z @ v @ z.transpose(0, 2, 1)
    g_aa = h[:, ia[:, None], ia[None, :]]
    g_bb = h[:, ib[:, None], ib[None, :]]
    g_ab = h[:, ia[:, None], ib[None, :]]
    return 2 * np.outer(scale, scale) * (g_aa * g_bb + g_ab * g_ab.transpose(0, 2, 1))


def score_fit(st: Structure, s: np.ndarray, theta0: np.ndarray, *, estimator: str = "ML",
              tol: float = 1e-9, max_iter: int = 200, shared: int = 0) -> Scored:
    """Minimise F for each covariance matrix in ``s`` (B, p, p) from ``theta0`` (B, q).

    ``shared``: when every sample starts at the same ``θ₀`` (a bootstrap from the full
    sample's solution), the first ``shared`` iterations step with the information at
    ``θ₀`` (one matrix, inverted once, for all samples) instead of each sample's own; a
    sample not converged by then continues with its own. The solution is the same (the
    gradient is each sample's), only the way there is cheaper. BLAS runs on one thread
    inside (small matrices: more threads only lose on a busy machine).
    """
    from .._threads import blas_threads

    with blas_threads(1):
        return _score_fit(st, s, theta0, estimator, tol, max_iter, shared)


def _score_fit(st: Structure, s: np.ndarray, theta0: np.ndarray, estimator: str,
               tol: float, max_iter: int, shared: int) -> Scored:
    b = s.shape[0]
    s_inv = np.linalg.inv(s) if estimator == "GLS" else None
    logdet_s = np.linalg.slogdet(s)[1] if estimator == "ML" else None
    theta = theta0.copy()
    sigma, aux = st.implied(theta)
    aux = tuple(np.array(a) for a in aux)
    f, sig_inv = _evaluate(sigma, s, estimator, s_inv)
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.flatnonzero(np.isfinite(f))
    info0_inv = None
    if shared and b:
        v0 = _weight(sigma[:1], None if s_inv is None else
                     np.linalg.inv(s.mean(axis=0))[None], estimator)
        try:
            info0_inv = np.linalg.inv(rank_two_information(*rank_two_basis(
                st, tuple(a[:1] for a in aux)), v0)[0])
        except np.linalg.LinAlgError:
            info0_inv = None

    def evaluate(t, rows):
        sig, ax = st.implied(t)
        if estimator == "ML":  # F from the inverse and ln|S| computed once
            logdet, ok = _logdet_pd(sig)
            with np.errstate(invalid="ignore"):
                inv = np.linalg.inv(np.where(ok[:, None, None], sig, np.eye(sig.shape[-1])))
            val = logdet + np.einsum("bij,bji->b", s[rows], inv) - logdet_s[rows] \
                - sig.shape[-1]
            return np.where(ok, val, np.nan), sig, ax, inv
        val, _ = _evaluate(sig, s[rows], estimator, None if s_inv is None else s_inv[rows])
        return val, sig, ax, None

    for it in range(1, max_iter + 1):
        if not active.size:
            break
        sa = s[active]
        sig_a = sigma[active]
        aux_a = tuple(a[active] for a in aux)
        v = sig_inv[active] if estimator == "ML" else \
            _weight(sig_a, None if s_inv is None else s_inv[active], estimator)
        z, ia, ib, s_k = rank_two_basis(st, aux_a)
        zv = z @ v
        zxz = zv @ (sig_a - sa) @ zv.transpose(0, 2, 1)  # Z V(Σ − S)V Z'
        grad = 2 * s_k * zxz[:, ib, ia]
        if info0_inv is not None and it <= shared:
            step = grad @ info0_inv
        else:
            info = rank_two_information(z, ia, ib, s_k, v)
            try:
                step = np.linalg.solve(info, grad[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.stack([_lstsq(info[i], grad[i]) for i in range(len(active))])
        f_old = f[active]
        scale = np.ones(len(active))
        new_theta = theta[active] - step
        for _ in range(13):  # halve steps that do not lower F (12 halvings at most)
            f_new, sig_new, aux_new, inv_new = evaluate(new_theta, active)
            worse = ~(f_new <= f_old + 1e-12)
            if not worse.any() or scale.min() < 2 ** -11:
                break
            scale[worse] /= 2
            new_theta[worse] = theta[active][worse] - scale[worse, None] * step[worse]
        theta[active] = new_theta
        f[active] = f_new
        sigma[active] = sig_new
        for a, a_new in zip(aux, aux_new):
            a[active] = a_new
        if inv_new is not None:
            sig_inv[active] = inv_new
        iterations[active] = it
        done = np.abs(scale[:, None] * step).max(axis=1) < tol
        converged[active[done]] = True
        active = active[~done & np.isfinite(f_new)]
    return Scored(theta, f, iterations, converged)


def _lstsq(a, y):
    return np.linalg.lstsq(a, y, rcond=None)[0]
