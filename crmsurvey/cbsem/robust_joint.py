"""Satorra–Bentler robust ML (lavaan's ``estimator = "MLM"``) for groups fitted together:
parameters shared across groups (``c(a, a)*x``, ``==``) and restricted mean structures.

Each group's saturated moments are ``φ_g = (m_g, vech S_g)``; ``Δ_g = ∂φ_g/∂u`` over the
unique parameters ``u`` (the table's free rows ``K u + c``), ``W_g = diag(Σ_g⁻¹, ½D'(Σ_g⁻¹
⊗ Σ_g⁻¹)D)`` (expected information at the estimate) and ``Γ_g`` the covariance (divisor
N_g) of each row's ``(d, d_i d_j)``, ``d`` the row centred at the group's means. With the
group weights ``f_g = N_g/N`` and lavaan's stacking (``f_g W_g``, ``Γ_g / f_g``):

- ``E = Σ_g f_g Δ_g'W_g Δ_g``; robust covariance of ``u``:
  ``(1/N) E⁻¹ (Σ_g f_g Δ_g'W_g Γ_g W_g Δ_g) E⁻¹``;
- ``U = W − WΔE⁻¹Δ'W`` over the stacked groups, scaling factor ``c = tr(UΓ)/df``;
- the baseline (means and variances free in each group) from each group's own ``c_b``.
"""
from __future__ import annotations

import numpy as np

from .constrained import implied_mean, mean_derivatives
from .fitmeasures import scaled_measures
from .robust import vech_weight

__all__ = ["moment_gamma", "satorra_bentler_groups"]


def moment_gamma(x: np.ndarray) -> np.ndarray:
    """Γ with the means: covariance (divisor N) of each row's ``(d, vech(d d'))``."""
    d = x - x.mean(axis=0)
    i, j = np.tril_indices(x.shape[1])
    return np.cov(np.hstack([d, d[:, i] * d[:, j]]), rowvar=False, bias=True)


def _group_delta(st, mp, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``∂(μ, vech Σ)/∂(θ, intercepts)`` of one group and its weight matrix ``W``."""
    theta, means = th[:st.q], th[st.q:]
    sig, aux = st.implied(theta[None])
    sigma = sig[0]
    p = len(sigma)
    i, j = np.tril_indices(p)
    _, maux = implied_mean(st, mp, theta, means)
    delta = np.zeros((p + len(i), st.q + mp.r))
    delta[:p] = mean_derivatives(st, mp, maux).T
    delta[p:, :st.q] = st.derivatives(aux)[0][:, i, j].T
    w = np.zeros((len(delta), len(delta)))
    w[:p, :p] = np.linalg.inv(sigma)
    w[p:, p:] = vech_weight(sigma)
    return delta, w


def _baseline_trace(x: np.ndarray) -> float:
    """``tr(U_b Γ)`` of one group's independence model (means, variances free): only its
    covariances count (the free means and variances are projected out)."""
    p = x.shape[1]
    i, j = np.tril_indices(p)
    s = np.cov(x, rowvar=False, bias=True)
    g = moment_gamma(x)[p:, p:]
    w = vech_weight(np.diag(np.diag(s)))
    delta = np.zeros((len(i), p))
    delta[i == j, np.arange(p)] = 1.0
    u = w - w @ delta @ np.linalg.solve(delta.T @ w @ delta, delta.T @ w)
    return float(np.sum(u * g.T))


def satorra_bentler_groups(structs, parts, thetas: list[np.ndarray], xs: list[np.ndarray],
                           k: np.ndarray, fit: dict) -> tuple[np.ndarray, dict]:
    """Robust covariance of all groups' free rows ``K cov(u) K'`` and lavaan's scaled and
    robust fit measures (:func:`crmsurvey.cbsem.fitmeasures.scaled_measures`).

    ``thetas``: each group's ``[θ_g, intercepts_g]``; ``xs``: each group's complete rows;
    ``k``: rows = ``K u + c``; ``fit``: chisq, df, baseline_chisq, baseline_df.
    """
    n = np.array([len(x) for x in xs], float)
    f = n / n.sum()
    sizes = np.cumsum([len(t) for t in thetas])[:-1]
    parts_k = np.split(k, sizes)
    e = np.zeros((k.shape[1],) * 2)
    meat = np.zeros_like(e)
    jw, gam = [], []
    for st, mp, th, x, kg, fg in zip(structs, parts, thetas, xs, parts_k, f):
        delta, w = _group_delta(st, mp, th)
        jg = delta @ kg  # ∂φ_g/∂u
        g = moment_gamma(x)
        wj = w @ jg
        e += fg * jg.T @ wj
        meat += fg * wj.T @ g @ wj
        jw.append((fg * w, fg * wj))
        gam.append(g / fg)
    e_inv = np.linalg.inv(e)
    cov_u = e_inv @ meat @ e_inv / n.sum()
    # tr(UΓ) = Σ_g tr(f_g W_g Γ_g/f_g) − tr(E⁻¹ Σ_g (f_g W_g Δ_g)' (Γ_g/f_g) (f_g W_g Δ_g))
    trace = sum(float(np.sum(wg * g.T)) for (wg, _), g in zip(jw, gam))
    trace -= float(np.sum(e_inv * sum(b.T @ g @ b for (_, b), g in zip(jw, gam)).T))
    df, base_df = fit["df"], fit["baseline_df"]
    c = trace / df if df > 0 else np.nan
    c_b = sum(_baseline_trace(x) for x in xs) / base_df
    out = scaled_measures(fit["chisq"], df, fit["baseline_chisq"], base_df, c, c_b,
                          float(n.sum()), groups=len(xs))
    return k @ cov_u @ k.T, out
