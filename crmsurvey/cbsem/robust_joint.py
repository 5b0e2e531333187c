"""Robust ML for groups fitted together — parameters shared across groups (``c(a, a)*x``,
``==``) and restricted mean structures — on complete rows: Satorra–Bentler (lavaan's
``estimator = "MLM"``, :func:`satorra_bentler_groups`) and Huber–White with the
Yuan–Bentler scaled test (``"MLR"``, :func:`yuan_bentler_groups`).

Each group's saturated moments are ``φ_g = (m_g, vech S_g)``; ``Δ_g = ∂φ_g/∂u`` over the
unique parameters ``u`` (the table's free rows ``K u + c``), ``W_g = diag(Σ_g⁻¹, ½D'(Σ_g⁻¹
⊗ Σ_g⁻¹)D)`` (expected information at the estimate) and ``Γ_g`` the covariance (divisor
N_g) of each row's ``(d, d_i d_j)``, ``d`` the row centred at the group's means. With the
group weights ``f_g = N_g/N`` and lavaan's stacking (``f_g W_g``, ``Γ_g / f_g``):

- ``E = Σ_g f_g Δ_g'W_g Δ_g``; robust covariance of ``u``:
  ``(1/N) E⁻¹ (Σ_g f_g Δ_g'W_g Γ_g W_g Δ_g) E⁻¹``;
- ``U = W − WΔE⁻¹Δ'W`` over the stacked groups, scaling factor ``c = tr(UΓ)/df``;
- the baseline (means and variances free in each group) from each group's own ``c_b``.

MLR (lavaan's ``yuan.bentler.mplus`` with ``information = "observed"``): ``E`` is the
observed information per row over ``u`` — the Hessian of ``Σ_g (N_g/2N) F_g``, analytic
with the curvature of ``Σ(u)`` and of ``μ = ν + Λ(I − B)⁻¹α``
(:func:`crmsurvey.cbsem.fiml_groups.observed_hessian`); ``B₀ = Σ_g f_g Δ_g'B_g Δ_g`` with ``B_g`` the mean outer
product of the rows' scores at the implied moments; standard errors ``(1/N) E⁻¹B₀E⁻¹``;
``c = [Σ_g tr(B₁_g A₁_g⁻¹) − tr(B₀ E⁻¹)] / df`` with ``A₁_g``, ``B₁_g`` the unrestricted
model's observed and first-order information at the sample moments.
"""
from __future__ import annotations

import numpy as np

from .constrained import implied_mean, mean_derivatives
from .fitmeasures import scaled_measures
from .robust import vech_weight

__all__ = ["moment_gamma", "satorra_bentler_groups", "yuan_bentler_groups"]


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


def yuan_bentler_groups(structs, parts, thetas: list[np.ndarray], xs: list[np.ndarray],
                        k: np.ndarray, fit: dict) -> tuple[np.ndarray, dict]:
    """MLR over the groups fitted together: the Huber–White covariance of all groups' free
    rows ``K cov(u) K'`` and lavaan's scaled and robust measures (Yuan–Bentler, Mplus
    variant); arguments as :func:`satorra_bentler_groups`."""
    from .fiml_groups import observed_hessian
    from .information import saturated_information
    from .mlr import _trace, saturated_scores
    from .patterns import Patterns

    n = np.array([len(x) for x in xs], float)
    f = n / n.sum()
    sizes = np.cumsum([len(t) for t in thetas])[:-1]
    parts_k = np.split(k, sizes)
    e = observed_hessian(structs, parts, [Patterns.of(x) for x in xs], thetas, k) / n.sum()
    e_inv = np.linalg.inv(e)
    b0 = np.zeros_like(e)
    h1 = 0.0
    base_trace = 0.0
    for st, mp, th, x, kg, fg in zip(structs, parts, thetas, xs, parts_k, f):
        p = x.shape[1]
        pat = Patterns.of(x)
        delta, _ = _group_delta(st, mp, th)
        jg = delta @ kg
        sigma = st.implied(th[None, :st.q])[0][0]
        mu = implied_mean(st, mp, th[:st.q], th[st.q:])[0]
        scores = saturated_scores(x, mu, sigma, pat) @ jg
        b0 += fg * scores.T @ scores / len(x)
        sg, mg = np.cov(x, rowvar=False, bias=True), x.mean(axis=0)
        s1 = saturated_scores(x, mg, sg, pat)
        b1 = s1.T @ s1 / len(x)
        a1_inv = np.linalg.inv(saturated_information(pat, mg, sg))
        h1 += float(np.sum(b1 * a1_inv.T))
        # the group's independence model: means and variances free
        i, j = np.tril_indices(p)
        delta_b = np.zeros((p + len(i), 2 * p))
        delta_b[:p, :p] = np.eye(p)
        delta_b[p + np.flatnonzero(i == j), p + np.arange(p)] = 1.0
        sigma_b = np.diag(np.diag(sg))
        e_b = delta_b.T @ saturated_information(pat, mg, sigma_b) @ delta_b
        keep = np.ones(len(delta_b), bool)
        base_trace += _trace(x, pat, delta_b, mg, sigma_b, np.linalg.inv(e_b), a1_inv, b1,
                             keep)
    cov_u = e_inv @ b0 @ e_inv / n.sum()
    df, base_df = fit["df"], fit["baseline_df"]
    scale = (h1 - float(np.sum(b0 * e_inv.T))) / df if df > 0 else np.nan
    out = scaled_measures(fit["chisq"], df, fit["baseline_chisq"], base_df, scale,
                          base_trace / base_df, float(n.sum()), groups=len(xs))
    return k @ cov_u @ k.T, out
