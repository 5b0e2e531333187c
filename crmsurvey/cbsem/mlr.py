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
- ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` as for MLM (complete data); with
  missing data lavaan uses a separate FIML correction (Zhang & Savalei), not done here:
  those three are NaN and the notes say so.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as sps

from .fiml import FimlFit, Patterns
from .fitmeasures import cfi, rmsea, tli
from .numeric import jacobian
from .robust import weight_of_inverse

__all__ = ["saturated_scores", "mlr"]


def saturated_scores(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray,
                     pat: Patterns | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's score for ``φ = (μ, vech Σ)`` (N, p + p*) and the mean expected
    information (p + p*, p + p*) over the rows' missing-data patterns (``pat``: the
    patterns of ``x``, when the caller has them)."""
    pat = Patterns.of(x) if pat is None else pat
    n, p = x.shape
    i, j = np.tril_indices(p)
    mult = np.where(i == j, 1.0, 2.0)
    scores = np.zeros((n, p + len(i)))
    info = np.zeros((p + len(i), p + len(i)))
    for o, rows in zip(pat.obs, pat.index):
        a = np.zeros((p, p))
        a[np.ix_(o, o)] = np.linalg.inv(sigma[np.ix_(o, o)])
        d = np.nan_to_num(x[rows] - mu)
        ad = d @ a
        g = 0.5 * (ad[:, :, None] * ad[:, None, :] - a[None])
        scores[rows] = np.hstack([ad, g[:, i, j] * mult])
        info[:p, :p] += len(rows) * a
        info[p:, p:] += len(rows) * weight_of_inverse(a)
    return scores, info / n


def _observed_info(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Observed information (per row) of the unrestricted model: the expected one for
    complete data (they agree at the estimates), else central differences of the scores."""
    if not np.isnan(x).any():
        return saturated_scores(x, mu, sigma)[1]
    n, p = x.shape
    i, j = np.tril_indices(p)
    phi = np.concatenate([mu, sigma[i, j]])
    pat = Patterns.of(x)

    def grad(ph):
        s = np.zeros((p, p))
        s[i, j] = ph[p:]
        s[j, i] = ph[p:]
        return saturated_scores(x, ph[:p], s, pat)[0].sum(axis=0)

    h = -jacobian(grad, phi)
    return (h + h.T) / 2 / n


def _trace(x, pat, delta, mu0, sigma0, e_inv, a1_inv, b1) -> float:
    s0, _ = saturated_scores(x, mu0, sigma0, pat)
    b0 = delta.T @ (s0.T @ s0 / len(x)) @ delta
    return float(np.sum(b1 * a1_inv.T) - np.sum(b0 * e_inv.T))


def mlr(x: np.ndarray, fiml: FimlFit, sigma: np.ndarray, deriv: np.ndarray, fit: dict
        ) -> tuple[np.ndarray | None, dict]:
    """Robust covariance of ``(θ, μ)`` and lavaan's scaled/robust fit measures."""
    n, p = x.shape
    q = len(fiml.theta)
    i, j = np.tril_indices(p)
    delta = np.zeros((p + len(i), q + p))
    delta[:p, q:] = np.eye(p)
    delta[p:, :q] = deriv[:, i, j].T
    pat = Patterns.of(x)
    s_model, _ = saturated_scores(x, fiml.mu, sigma, pat)
    b0 = delta.T @ (s_model.T @ s_model / n) @ delta
    cov = None if fiml.cov is None else n * fiml.cov @ b0 @ fiml.cov
    s1, _ = saturated_scores(x, fiml.h1_mu, fiml.h1_sigma, pat)
    b1 = s1.T @ s1 / n
    a1_inv = np.linalg.inv(_observed_info(x, fiml.h1_mu, fiml.h1_sigma))
    df, chisq = fit["df"], fit["chisq"]
    c = _trace(x, pat, delta, fiml.mu, sigma, n * fiml.cov, a1_inv, b1) / df
    # baseline: free means and variances, no covariances
    mu_b = np.nanmean(x, axis=0)
    sigma_b = np.diag(np.nanvar(x, axis=0))
    delta_b = np.zeros((p + len(i), 2 * p))
    delta_b[:p, :p] = np.eye(p)
    delta_b[p + np.flatnonzero(i == j), p + np.arange(p)] = 1.0
    e_b = delta_b.T @ _observed_info(x, mu_b, sigma_b) @ delta_b
    base_df, base = fit["baseline_df"], fit["baseline_chisq"]
    c_b = _trace(x, pat, delta_b, mu_b, sigma_b, np.linalg.inv(e_b), a1_inv, b1) / base_df
    t, t_b = chisq / c, base / c_b
    complete = not np.isnan(x).any()
    out = {"chisq_scaled": t, "df_scaled": df, "pvalue_scaled": float(sps.chi2.sf(t, df)),
           "chisq_scaling_factor": c, "baseline_chisq_scaled": t_b,
           "baseline_df_scaled": base_df,
           "baseline_pvalue_scaled": float(sps.chi2.sf(t_b, base_df)),
           "baseline_chisq_scaling_factor": c_b,
           "cfi_scaled": cfi(t, df, t_b, base_df), "tli_scaled": tli(t, df, t_b, base_df),
           "rmsea_scaled": rmsea(t, df, n),
           "cfi_robust": cfi(chisq, df, base, base_df, c, c_b) if complete else np.nan,
           "tli_robust": tli(chisq, df, base, base_df, c, c_b) if complete else np.nan,
           "rmsea_robust": rmsea(chisq, df, n, c) if complete else np.nan}
    return cov, out
