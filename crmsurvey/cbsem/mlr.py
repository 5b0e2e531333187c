"""Robust ML with Huber–White standard errors and the Yuan–Bentler scaled test (lavaan's
``estimator = "MLR"``, its ``yuan.bentler.mplus`` test), with or without missing data.

In terms of the saturated parameters ``φ = (μ, vech Σ)`` and each row's score ``s_i``
(over the variables it answered):

- standard errors ``(1/N) E⁻¹ B₀ E⁻¹`` — ``E`` the observed information of the model
  (per row) and ``B₀ = Δ' B₁(structured) Δ`` the mean outer product of the rows' scores at
  the model-implied moments (``Δ = ∂φ/∂(θ, μ)``);
- scaling factor ``c = [tr(B₁ A₁⁻¹) − tr(B₀ E⁻¹)] / df`` with ``A₁``, ``B₁`` the observed
  and first-order information of the unrestricted model at its estimates (sample or EM
  moments); ``chisq_scaled = chisq / c``; the same for the baseline model;
- ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` as for MLM with complete data; with
  missing data lavaan's FIML-corrected ones (Zhang & Savalei 2023, its "FIML-C V3",
  :func:`fiml_corrected`).

Every information matrix is analytic
(:func:`crmsurvey.cbsem.information.saturated_information`).
"""
from __future__ import annotations

import numpy as np

from .fiml import FimlFit
from .information import moment_jacobian, saturated_information
from .patterns import Patterns, pattern_inverses
from .fitmeasures import FIMLC_NAMES, scaled_measures
from .robust import weight_of_inverse

__all__ = ["saturated_scores", "mlr", "fiml_corrected"]

_ROWS = 4096  # rows per block of the row scores


def saturated_scores(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray,
                     pat: Patterns | None = None) -> np.ndarray:
    """Each row's score for ``φ = (μ, vech Σ)`` (N, p + p*) over the variables it
    answered (``pat``: the patterns of ``x``, when the caller has them): ``A d`` and
    ``½ (A d d'A − A)`` with ``A = Σ_oo⁻¹`` padded with zeros."""
    pat = Patterns.of(x) if pat is None else pat
    p = x.shape[1]
    i, j = np.tril_indices(p)
    mult = np.where(i == j, 1.0, 2.0)
    a = pattern_inverses(pat, sigma)[0]
    scores = np.zeros((len(x), p + len(i)))
    answered = np.flatnonzero(pat.row_pattern >= 0)
    for start in range(0, len(answered), _ROWS):  # rows × p × p held a block at a time
        rows = answered[start:start + _ROWS]
        ar = a[pat.row_pattern[rows]]  # (rows, p, p)
        ad = np.einsum("nxy,ny->nx", ar, np.nan_to_num(x[rows] - mu))
        scores[rows, :p] = ad
        scores[rows, p:] = 0.5 * (ad[:, i] * ad[:, j] - ar[:, i, j]) * mult
    return scores


def _observed_info(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray,
                   pat: Patterns | None = None) -> np.ndarray:
    """Observed information (per row) of the unrestricted model at ``(μ, Σ)``."""
    return saturated_information(Patterns.of(x) if pat is None else pat, mu, sigma)


def _trace(x, pat, delta, mu0, sigma0, e_inv, a1_inv, b1, keep) -> float:
    s0 = saturated_scores(x, mu0, sigma0, pat)[:, keep]
    b0 = delta.T @ (s0.T @ s0 / len(x)) @ delta
    return float(np.sum(b1 * a1_inv.T) - np.sum(b0 * e_inv.T))


def mlr(x: np.ndarray, fiml: FimlFit, sigma: np.ndarray, deriv: np.ndarray, fit: dict,
        *, corrected: bool | None = None) -> tuple[np.ndarray | None, dict]:
    """Robust covariance of ``(θ, μ)`` and lavaan's scaled/robust fit measures;
    ``corrected``: the robust CFI/TLI/RMSEA from :func:`fiml_corrected` (lavaan's
    choice whenever ``missing = "ml"``, holes or not), default: when ``x`` has holes."""
    n, p = x.shape
    i, j = np.tril_indices(p)
    # fixed.x: the exogenous covariates' own moments are not fitted (lavaan drops them)
    fixed = np.zeros(p, bool) if fiml.fixed_mu is None else fiml.fixed_mu
    keep = np.concatenate([~fixed, ~(fixed[i] & fixed[j])])
    free = np.concatenate([np.ones(deriv.shape[0], bool), ~fixed])
    delta = moment_jacobian(deriv, p)[np.ix_(keep, free)]
    e_inv = None if fiml.cov is None else n * fiml.cov[np.ix_(free, free)]
    pat = Patterns.of(x)
    s_model = saturated_scores(x, fiml.mu, sigma, pat)[:, keep]
    b0 = delta.T @ (s_model.T @ s_model / n) @ delta
    cov = None
    if e_inv is not None:  # in the rows of all of (θ, μ): 0 for the covariates' means
        cov = np.zeros_like(fiml.cov)
        cov[np.ix_(free, free)] = e_inv @ b0 @ e_inv / n
    s1 = saturated_scores(x, fiml.h1_mu, fiml.h1_sigma, pat)[:, keep]
    b1 = s1.T @ s1 / n
    a1 = _observed_info(x, fiml.h1_mu, fiml.h1_sigma, pat)[np.ix_(keep, keep)]
    a1_inv = np.linalg.inv(a1)
    df, chisq = fit["df"], fit["chisq"]
    c = _trace(x, pat, delta, fiml.mu, sigma, e_inv, a1_inv, b1, keep) / df
    # baseline: free means and variances, no covariances (but the covariates')
    mu_b = np.nanmean(x, axis=0)
    sigma_b = np.diag(np.nanvar(x, axis=0))
    if fixed.any():
        sigma_b[np.ix_(fixed, fixed)] = np.cov(x[:, fixed], rowvar=False, bias=True)
    delta_b = np.zeros((p + len(i), 2 * p))
    delta_b[:p, :p] = np.eye(p)
    delta_b[p + np.flatnonzero(i == j), p + np.arange(p)] = 1.0
    delta_b = delta_b[keep][:, np.concatenate([~fixed, ~fixed])]
    e_b = delta_b.T @ _observed_info(x, mu_b, sigma_b, pat)[np.ix_(keep, keep)] @ delta_b
    base_df, base = fit["baseline_df"], fit["baseline_chisq"]
    c_b = _trace(x, pat, delta_b, mu_b, sigma_b, np.linalg.inv(e_b), a1_inv, b1,
                 keep) / base_df
    complete = not (np.isnan(x).any() if corrected is None else corrected)
    if complete:
        return cov, scaled_measures(chisq, df, base, base_df, c, c_b, n)
    t3 = fiml_corrected(fiml, sigma, delta, delta_b, mu_b, sigma_b, a1, b1, df, base_df, n,
                        keep)
    out = scaled_measures(chisq, df, base, base_df, c, c_b, n, corrected=t3)
    # the ingredients, for the groups of a multi-group fit to be combined
    out.update(zip(FIMLC_NAMES, t3))
    return cov, out


def _ml_statistic(mean: np.ndarray, s: np.ndarray, mu: np.ndarray, sigma: np.ndarray,
                  n: float) -> float:
    """``N F_ML`` of implied ``(μ, Σ)`` against complete-data moments ``(m, S)``."""
    inv = np.linalg.inv(sigma)
    d = mean - mu
    f = (np.linalg.slogdet(sigma)[1] + np.trace(s @ inv) - np.linalg.slogdet(s)[1]
         - len(s) + d @ inv @ d)
    return float(n * f)


def fiml_corrected(fiml: FimlFit, sigma, delta, delta_b, mu_b, sigma_b, a1, b1, df,
                   base_df, n, keep=None) -> tuple[float, float, float, float]:
    """lavaan's FIML-corrected statistics and scaling factors for the robust CFI, TLI and
    RMSEA with missing data (Zhang & Savalei 2023, version V3): ``(T₃, c₃, T₃_b, c₃_b)``.

    ``T₃`` is ``N F_ML`` of the FIML solution against the EM moments ``(m̃, S̃)`` taken as
    complete data; with ``W_m = A₁`` (observed information of the unrestricted model under
    missing data), ``W_c`` its complete-data value at ``(m̃, S̃)``, ``Γ = W_m⁻¹ B₁ W_m⁻¹``
    and ``U = W_m − W_m Δ (Δ'W_m Δ)⁻¹ Δ'W_m``: ``c₃ = tr(U W_m⁻¹ W_c W_m⁻¹ U Γ) / df``;
    the same for the baseline (free means and variances) with its ``Δ_b``.
    """
    p = len(sigma)
    m_t, s_t = fiml.h1_mu, fiml.h1_sigma
    s_inv = np.linalg.inv(s_t)
    k = p + p * (p + 1) // 2
    wc = np.zeros((k, k))
    wc[:p, :p] = s_inv
    wc[p:, p:] = weight_of_inverse(s_inv)
    if keep is not None:  # fixed.x: the moments the model fits
        wc = wc[np.ix_(keep, keep)]
    wm_inv = np.linalg.inv(a1)
    gamma = wm_inv @ b1 @ wm_inv
    middle = wm_inv @ wc @ wm_inv

    def factor(d: np.ndarray, k: float) -> float:
        wd = a1 @ d
        u = a1 - wd @ np.linalg.solve(d.T @ wd, wd.T)
        return float(np.sum((u @ middle @ u) * gamma.T) / k)

    t3 = _ml_statistic(m_t, s_t, fiml.mu, sigma, n)
    t3_b = _ml_statistic(m_t, s_t, mu_b, sigma_b, n)
    return t3, factor(delta, df), t3_b, factor(delta_b, base_df)
