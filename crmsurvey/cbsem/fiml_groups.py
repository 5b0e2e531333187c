"""FIML over groups fitted together (parameters shared across groups, restricted mean
structures) and its MLR: lavaan's ``missing = "ml"`` with ``estimator = "ML"`` or
``"MLR"`` on such models.

``−ℓ(u) = Σ_g −ℓ_g(μ_g(u), Σ_g(u))`` over each group's missing-data patterns, with its
analytic gradient ``−Σ_g Δ_g' ∂ℓ_g/∂φ_g`` (``φ = (μ, vech Σ)``, ``Δ_g = ∂φ_g/∂u``), is
minimised from the fit to the EM moments by scoring steps with ``Σ_g Δ_g' H_g Δ_g``
(``H_g`` the saturated model's observed information at the implied moments); the
Hessian at the solution (lavaan's observed information) adds the curvature of ``Σ(u)``
and ``μ(u)`` (:func:`observed_hessian`). All analytic. With ``h1`` the EM moments of
each group:

- ``χ² = 2 (ℓ_h1 − ℓ)``, the baseline's with means and variances free (each variable's
  own observed values);
- MLR: ``E`` the observed information per row, ``B₀ = Σ_g Δ_g'(S_g'S_g)Δ_g / N`` from the
  rows' scores at the implied moments, covariance ``E⁻¹B₀E⁻¹/N``, ``c = [Σ_g tr(B₁_g
  A₁_g⁻¹) − tr(B₀E⁻¹)]/df``; the robust CFI/TLI/RMSEA from lavaan's FIML-corrected
  statistics (Zhang & Savalei 2023, V3) over the stacked groups, as
  :func:`crmsurvey.cbsem.mlr.fiml_corrected` for one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constrained import implied_mean
from .fitmeasures import scaled_measures
from .information import saturated_information
from .mlr import _ml_statistic, _trace, saturated_scores
from .patterns import Patterns, em_saturated, pattern_terms, summed_sigma_gradient
from .robust import weight_of_inverse
from .robust_joint import _group_delta

__all__ = ["FimlGroups", "fiml_groups", "mlr_fiml_groups", "observed_hessian"]


@dataclass(frozen=True, eq=False)
class FimlGroups:
    u: np.ndarray
    thetas: list[np.ndarray]  # each group's [θ_g, intercepts_g]
    minus_loglik: float
    hessian: np.ndarray | None  # of −ℓ in u (not per row)
    converged: bool
    iterations: int


def _moments(st, mp, th):
    sigma = st.implied(th[None, :st.q])[0][0]
    return implied_mean(st, mp, th[:st.q], th[st.q:])[0], sigma


def _value_gradient(structs, parts, pats, rows, need: bool):
    """``−ℓ`` and (``need``) its gradient in each group's rows."""
    total, grads = 0.0, []
    for st, mp, pat, th in zip(structs, parts, pats, rows):
        try:
            mu, sigma = _moments(st, mp, th)
        except np.linalg.LinAlgError:
            return np.inf, None
        a, ad, value = pattern_terms(pat, mu, sigma)
        if not np.isfinite(value):
            return np.inf, None
        total += value
        if need:
            p = len(mu)
            i, j = np.tril_indices(p)
            g_sigma = summed_sigma_gradient(pat, a, ad)
            g_phi = np.concatenate([-(ad * pat.n[:, None]).sum(axis=0),
                                    g_sigma[i, j] * np.where(i == j, 1.0, 2.0)])
            grads.append(_group_delta(st, mp, th)[0].T @ g_phi)
    return total, (np.concatenate(grads) if need else None)


def _mean_curvature(st, mp, th: np.ndarray, g_mu: np.ndarray) -> np.ndarray:
    """``Σ_i g_i ∂²μ_i/∂ρ_k∂ρ_l`` over a group's rows ``ρ = (θ, intercepts)`` for
    ``μ = ν + ΛCα``, ``C = (I − B)⁻¹``: the pairs (λ_ij, α_m) ``g_i C_jm``, (λ_ij, β_ab)
    ``g_i C_ja (Cα)_b``, (β_ab, α_m) ``(g'ΛC)_a C_bm`` and (β_ab, β_cd)
    ``(g'ΛC)_c C_da (Cα)_b + (g'ΛC)_a C_bc (Cα)_d``."""
    from .structure import BETA, LAMBDA

    q = st.q
    beta, lam, _, _ = (a[0] for a in st.matrices(th[None, :q]))
    c = np.linalg.inv(np.eye(len(beta)) - beta)
    alpha = mp.alpha0.copy()
    alpha[mp.pos[mp.to_alpha]] = th[q:][mp.to_alpha]
    ca, gl = c @ alpha, g_mu @ lam @ c
    cross = np.zeros((q + mp.r, q + mp.r))  # pairs of different kinds, one side
    lam_k = np.flatnonzero(st.matrix == LAMBDA)
    beta_k = np.flatnonzero(st.matrix == BETA)
    alpha_t = q + np.flatnonzero(mp.to_alpha)
    alpha_m = mp.pos[mp.to_alpha]
    row, col = st.row, st.col
    a_, b_ = row[beta_k], col[beta_k]
    cross[np.ix_(lam_k, alpha_t)] = g_mu[row[lam_k], None] * c[col[lam_k][:, None], alpha_m]
    cross[np.ix_(beta_k, alpha_t)] = gl[a_, None] * c[b_[:, None], alpha_m]
    cross[np.ix_(lam_k, beta_k)] = g_mu[row[lam_k], None] * c[col[lam_k][:, None], a_] * ca[b_]
    out = cross + cross.T
    out[np.ix_(beta_k, beta_k)] = (gl[a_][None, :] * c[b_][:, a_].T * ca[b_][:, None]
                                   + gl[a_][:, None] * c[b_][:, a_] * ca[b_][None, :])
    return out


def observed_hessian(structs, parts, pats, thetas: list[np.ndarray], k: np.ndarray
                     ) -> np.ndarray:
    """The Hessian of ``−ℓ`` in the unique parameters (lavaan's observed information, not
    per row), analytic: ``Σ_g K_g'[N_g Δ_g'H_gΔ_g + tr(G_Σ ∂²Σ) + g_μ'∂²μ]K_g`` with
    ``H_g`` the saturated observed information at the implied moments and ``G_Σ``,
    ``g_μ`` the gradients of ``−ℓ_g`` in ``Σ`` and ``μ``."""
    from .information import curvature

    sizes = np.cumsum([len(t) for t in thetas])[:-1]
    out = np.zeros((k.shape[1],) * 2)
    for st, mp, pat, th, kg in zip(structs, parts, pats, thetas, np.split(k, sizes)):
        mu, sigma = _moments(st, mp, th)
        delta = _group_delta(st, mp, th)[0]
        h = pat.total * delta.T @ saturated_information(pat, mu, sigma) @ delta
        a, ad, _ = pattern_terms(pat, mu, sigma)
        h[:st.q, :st.q] += curvature(st, th[:st.q], summed_sigma_gradient(pat, a, ad))
        h += _mean_curvature(st, mp, th, -(ad * pat.n[:, None]).sum(axis=0))
        out += kg.T @ ((h + h.T) / 2) @ kg
    return out


def fiml_groups(structs, parts, xs: list[np.ndarray], k: np.ndarray, c: np.ndarray,
                thetas0: list[np.ndarray], *, tol: float = 1e-8, max_iter: int = 50
                ) -> FimlGroups:
    """Minimise ``−ℓ`` over the unique parameters ``u`` (rows ``K u + c``) from
    ``thetas0`` by Newton steps with step halving."""
    pats = [Patterns.of(x) for x in xs]
    sizes = np.cumsum([len(t) for t in thetas0])[:-1]

    def at(u, need):
        return _value_gradient(structs, parts, pats, np.split(k @ u + c, sizes), need)

    def gradient(u):
        return k.T @ at(u, True)[1]

    def scoring_information(u):
        out = np.zeros((k.shape[1],) * 2)
        for st, mp, pat, th, kg in zip(structs, parts, pats, np.split(k @ u + c, sizes),
                                       np.split(k, sizes)):
            jg = _group_delta(st, mp, th)[0] @ kg
            out += pat.total * jg.T @ saturated_information(pat, *_moments(st, mp, th)) @ jg
        return out

    u = np.linalg.lstsq(k, np.concatenate(thetas0) - c, rcond=None)[0]
    f = at(u, False)[0]
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        g = gradient(u)
        try:
            step = np.linalg.solve(scoring_information(u), g)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        for _ in range(30):
            f_new = at(u - scale * step, False)[0]
            if np.isfinite(f_new) and f_new <= f + 1e-10 * max(1.0, abs(f)):
                break
            scale /= 2
        else:
            break
        u, f = u - scale * step, f_new
        if np.abs(scale * step).max() < tol:
            converged = True
            break
    thetas = np.split(k @ u + c, sizes)
    return FimlGroups(u, thetas, f, observed_hessian(structs, parts, pats, thetas, k),
                      converged, it)


def h1_moments(xs: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each group's EM means and covariance (the unrestricted model)."""
    return [em_saturated(Patterns.of(x), x.shape[1]) for x in xs]


def fiml_statistics(structs, parts, xs, fit: FimlGroups) -> dict:
    """χ², the baseline χ² (means and variances free) and ℓ of the fitted model."""
    chisq, base = 0.0, 0.0
    for x, (m1, s1) in zip(xs, h1_moments(xs)):
        pat = Patterns.of(x)
        ll1 = -pattern_terms(pat, m1, s1)[2]
        ll_b = -pattern_terms(pat, np.nanmean(x, axis=0), np.diag(np.nanvar(x, axis=0)))[2]
        chisq += 2 * ll1
        base += 2 * (ll1 - ll_b)
    return {"chisq": chisq - 2 * -fit.minus_loglik, "baseline_chisq": base,
            "loglik": -fit.minus_loglik}


def mlr_fiml_groups(structs, parts, xs, k: np.ndarray, fit: FimlGroups, stats: dict
                    ) -> tuple[np.ndarray, dict]:
    """Huber–White covariance of all groups' rows and lavaan's scaled and robust
    measures; ``stats``: chisq, df, baseline_chisq, baseline_df."""
    n = np.array([len(x) for x in xs], float)
    f = n / n.sum()
    sizes = np.cumsum([len(t) for t in fit.thetas])[:-1]
    e = fit.hessian / n.sum()  # observed information per row
    e_inv = np.linalg.inv(e)
    b0 = np.zeros_like(e)
    h1, base_trace = 0.0, 0.0
    jw, t3, t3_b, k3_b = [], 0.0, 0.0, 0.0
    for st, mp, th, x, kg, fg, (m1, s1) in zip(structs, parts, fit.thetas, xs,
                                                np.split(k, sizes), f, h1_moments(xs)):
        p = x.shape[1]
        pat = Patterns.of(x)
        jg = _group_delta(st, mp, th)[0] @ kg
        mu, sigma = _moments(st, mp, th)
        scores = saturated_scores(x, mu, sigma, pat) @ jg
        b0 += scores.T @ scores / n.sum()
        sc1 = saturated_scores(x, m1, s1, pat)
        b1 = sc1.T @ sc1 / len(x)
        a1 = saturated_information(pat, m1, s1)
        a1_inv = np.linalg.inv(a1)
        h1 += float(np.sum(b1 * a1_inv.T))
        i, j = np.tril_indices(p)
        delta_b = np.zeros((p + len(i), 2 * p))
        delta_b[:p, :p] = np.eye(p)
        delta_b[p + np.flatnonzero(i == j), p + np.arange(p)] = 1.0
        mu_b, sigma_b = np.nanmean(x, axis=0), np.diag(np.nanvar(x, axis=0))
        e_b = delta_b.T @ saturated_information(pat, mu_b, sigma_b) @ delta_b
        base_trace += _trace(x, pat, delta_b, mu_b, sigma_b, np.linalg.inv(e_b), a1_inv,
                             b1, np.ones(len(delta_b), bool))
        # FIML-corrected pieces: W_m = A₁, W_c its complete-data value at the EM moments
        wc = np.zeros_like(a1)
        s_inv = np.linalg.inv(s1)
        wc[:p, :p] = s_inv
        wc[p:, p:] = weight_of_inverse(s_inv)
        gamma = a1_inv @ b1 @ a1_inv
        middle = a1_inv @ wc @ a1_inv
        wd = a1 @ delta_b
        u_b = a1 - wd @ np.linalg.solve(delta_b.T @ wd, wd.T)
        k3_b += float(np.sum((u_b @ middle @ u_b) * gamma.T))
        t3 += _ml_statistic(m1, s1, mu, sigma, len(x))
        t3_b += _ml_statistic(m1, s1, mu_b, sigma_b, len(x))
        jw.append((fg, a1, jg, middle, gamma))
    cov_u = e_inv @ b0 @ e_inv / n.sum()
    df, base_df = stats["df"], stats["baseline_df"]
    c = (h1 - float(np.sum(b0 * e_inv.T))) / df
    c_b = base_trace / base_df
    # U over the stacked groups with lavaan's weights (f_g W_m, W_m⁻¹/f_g, f_g W_c, Γ/f_g)
    # and E = Σ_g f_g Δ_g'W_m Δ_g, as fiml_corrected for one group
    e3 = sum(fg * jg.T @ a1 @ jg for fg, a1, jg, _, _ in jw)
    wd = np.vstack([fg * a1 @ jg for fg, a1, jg, _, _ in jw])
    big = np.zeros((len(wd),) * 2)
    at = 0
    for fg, a1, _, _, _ in jw:
        big[at:at + len(a1), at:at + len(a1)] = fg * a1
        at += len(a1)
    u = big - wd @ np.linalg.solve(e3, wd.T)
    middle = np.zeros_like(big)
    gam = np.zeros_like(big)
    at = 0
    for fg, a1, _, mid, g in jw:
        sl = slice(at, at + len(a1))
        middle[sl, sl] = mid / fg  # (W_m⁻¹/f)(f W_c)(W_m⁻¹/f)
        gam[sl, sl] = g / fg
        at += len(a1)
    k3 = float(np.sum((u @ middle @ u) * gam.T))
    out = scaled_measures(stats["chisq"], df, stats["baseline_chisq"], base_df, c, c_b,
                          float(n.sum()), groups=len(xs),
                          corrected=(t3, k3 / df, t3_b, k3_b / base_df))
    return k @ cov_u @ k.T, out
