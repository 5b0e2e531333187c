"""Analytic observed information of the normal model under missing data (FIML, MLR).

- :func:`saturated_information`: the unrestricted model's observed information in
  ``φ = (μ, vech Σ)``, pattern by pattern (lavaan's
  ``lav_mvnorm_missing_information_observed_samplestats``);
- :func:`observed_information`: the Hessian of −ℓ in a model's ``(θ, μ)``: ``Δ'HΔ`` with
  ``Δ = ∂φ/∂(θ, μ)`` (:func:`moment_jacobian`) plus the curvature of ``Σ(θ)`` weighted by
  the likelihood's gradient in ``Σ`` (:func:`curvature`).

No numerical derivatives: tests/test_cbsem_robust.py checks both against central
differences.
"""
from __future__ import annotations

import numpy as np

from .patterns import Patterns, pattern_terms, summed_sigma_gradient

__all__ = ["pair_trace", "saturated_information", "sigma_gradient", "curvature",
           "moment_jacobian", "observed_information"]


def pair_trace(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ_k w_k tr(U_k E_ab V_k E_cd)`` over the vech pairs ``ab``, ``cd`` (lower
    triangle, row-major as ``np.tril_indices``), ``E_ab`` the symmetric unit matrix of the
    pair; ``u``, ``v`` (K, p, p) symmetric. ``pair_trace(V, V, [1])`` is ``D'(V⊗V)D``."""
    k, p = u.shape[0], u.shape[-1]
    i, j = np.tril_indices(p)
    # the trace term of the positions (y, z) of E_ab and (w, x) of E_cd is U_xy V_zw;
    # U and V are symmetric, so one product over the vech entries holds every such term
    t = (u[:, i, j] * w[:, None]).T @ v[:, i, j]  # (p*, p*): Σ_k w_k U_{ij} V_{kl}
    pos = np.empty((p, p), dtype=int)
    pos[i, j] = pos[j, i] = np.arange(len(i))
    off = (i != j).astype(float)
    a, b = (i[:, None], j[:, None]), (i[None, :], j[None, :])

    def at(y, z, w_, x):
        return t[pos[x, y], pos[z, w_]]

    out = at(a[0], a[1], b[0], b[1]) + off[:, None] * at(a[1], a[0], b[0], b[1])
    out += off[None, :] * at(a[0], a[1], b[1], b[0])
    out += (off[:, None] * off[None, :]) * at(a[1], a[0], b[1], b[0])
    return out


def _pattern_pieces(pat: Patterns, mu: np.ndarray, sigma: np.ndarray):
    """``A``, ``A T A`` and ``A d`` of every pattern (see :func:`pattern_terms`)."""
    a, ad, _ = pattern_terms(pat, mu, sigma)
    if a is None:
        raise np.linalg.LinAlgError("the implied covariance matrix is not positive "
                                    "definite")
    ata = a @ pat.cov_pad @ a + ad[:, :, None] * ad[:, None, :]
    return a, ata, ad


def saturated_information(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Observed information per row of the normal model in ``φ = (μ, vech Σ)`` at ``(μ,
    Σ)`` under the rows' missing-data patterns: ``−∂²ℓ/∂φ∂φ' / N`` (p + p*, p + p*),
    lavaan's ``lav_mvnorm_missing_information_observed_samplestats``.

    Per pattern with ``A = Σ_oo⁻¹``, ``d = m − μ_o`` and ``T = C + dd'``: ``n A`` for the
    means, ``n A E_ab A d`` between a mean and ``σ_ab``, and ``n/2 [tr(A E (ATA) F) +
    tr(ATA E A F) − tr(A E A F)]`` between ``σ_E`` and ``σ_F``.
    """
    p = len(mu)
    a, ata, ad = _pattern_pieces(pat, mu, sigma)
    n = pat.n
    i, j = np.tril_indices(p)
    off = (i != j).astype(float)
    out = np.empty((p + len(i), p + len(i)))
    out[:p, :p] = np.einsum("k,kxy->xy", n, a)
    m = np.einsum("k,kxa,kb->xab", n, a, ad)  # n A[:, a] (Ad)_b
    cross = m[:, i, j] + off * m[:, j, i]
    out[:p, p:] = cross
    out[p:, :p] = cross.T
    half = n / 2
    cross_a = pair_trace(a, ata, half)  # pair_trace(ATA, A) is its transpose
    out[p:, p:] = cross_a + cross_a.T - pair_trace(a, a, half)
    return out / pat.total


def sigma_gradient(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``∂(−ℓ)/∂Σ`` with every entry free (symmetric p × p): ``Σ n/2 (A − ATA)``."""
    a, ad, _ = pattern_terms(pat, mu, sigma)
    return summed_sigma_gradient(pat, a, ad)


def curvature(st, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``tr(G ∂²Σ/∂θ_k∂θ_l)`` (q, q) for a symmetric ``G`` (p, p), ``Σ = MΨM' + Θ`` with
    ``M = ΛC``, ``C = (I − B)⁻¹``: the part of the Hessian that ``Δ'(·)Δ`` leaves out."""
    from .structure import BETA, LAMBDA, PSI

    beta, lam, psi, _ = (x[0] for x in st.matrices(theta[None]))
    r = beta.shape[0]
    c = np.linalg.inv(np.eye(r) - beta)
    mm = lam @ c
    q, p = st.q, lam.shape[0]
    d_m = np.zeros((q, p, r))
    d_psi = np.zeros((q, r, r))
    kind, row, col = st.matrix, st.row, st.col
    for k in range(q):
        i, j = row[k], col[k]
        if kind[k] == LAMBDA:
            d_m[k, i] = c[j]
        elif kind[k] == BETA:
            d_m[k] = np.outer(mm[:, i], c[j])
        elif kind[k] == PSI:
            d_psi[k, i, j] = d_psi[k, j, i] = 1.0
    gm = g @ d_m  # (q, p, r)
    out = 2 * np.einsum("kpr,rs,lps->kl", gm, psi, d_m, optimize=True)
    mq = np.einsum("pr,kps->krs", mm, gm)  # M' G dM_k
    t2 = 2 * np.einsum("kxy,lyx->kl", mq, d_psi)
    out += t2 + t2.T
    h = g @ mm @ psi  # (p, r)
    hc = h @ c.T  # (p, r): (H C')[x, b]
    mhc = mm.T @ hc  # (r, r)
    lam_k = np.flatnonzero(kind == LAMBDA)
    beta_k = np.flatnonzero(kind == BETA)
    for l in beta_k:  # noqa: E741 — the pair (k, l) of the formula
        a_, b_ = row[l], col[l]
        for k in lam_k:
            v = 2 * c[col[k], a_] * hc[row[k], b_]
            out[k, l] += v
            out[l, k] += v
        for k in beta_k:
            i, j = row[k], col[k]
            out[k, l] += 2 * (c[j, a_] * mhc[i, b_] + c[b_, i] * mhc[a_, j])
    return out


def moment_jacobian(deriv: np.ndarray, p: int) -> np.ndarray:
    """``Δ = ∂(μ, vech Σ)/∂(θ, μ)`` (p + p*, q + p) from ``∂Σ/∂θ`` (q, p, p), the means
    free and saturated."""
    q = deriv.shape[0]
    i, j = np.tril_indices(p)
    delta = np.zeros((p + len(i), q + p))
    delta[:p, q:] = np.eye(p)
    delta[p:, :q] = deriv[:, i, j].T
    return delta


def observed_information(st, pat: Patterns, theta: np.ndarray, mu: np.ndarray
                         ) -> np.ndarray:
    """The Hessian of −ℓ (not per row) in ``(θ, μ)``: ``N Δ' H Δ`` with ``H`` the
    saturated observed information at the implied moments, plus the curvature term."""
    sigma, aux = st.implied(theta[None])
    sigma = sigma[0]
    delta = moment_jacobian(st.derivatives(aux)[0], len(mu))
    h = pat.total * delta.T @ saturated_information(pat, mu, sigma) @ delta
    q = st.q
    h[:q, :q] += curvature(st, theta, sigma_gradient(pat, mu, sigma))
    return (h + h.T) / 2
