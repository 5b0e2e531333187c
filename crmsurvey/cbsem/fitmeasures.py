"""Fit measures with lavaan's definitions and names (single group, no mean structure).

``S`` is the covariance matrix divided by N (lavaan's sample statistics); the test
statistic is ``N · F``; RMSEA uses N (lavaan's ``likelihood = "normal"``); SRMR is
lavaan's default ``srmr`` (Bentler: residuals scaled by the sample standard deviations,
over the lower triangle with the diagonal).
"""
from __future__ import annotations

import numpy as np
from .distributions import chi2_sf, ncx2_cdf, ncx2_noncentrality

__all__ = ["FIT_NAMES", "fit_measures", "combine_groups", "loglik", "srmr", "rmsea_ci", "cfi",
           "tli", "rmsea", "chi2_sf"]

FIT_NAMES = ("npar", "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "cfi", "tli",
             "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "srmr", "aic", "bic",
             "loglik", "ntotal")


def loglik(s: np.ndarray, sigma: np.ndarray, n: float) -> float:
    """Multivariate normal log-likelihood of the data given Σ (means saturated)."""
    p = s.shape[0]
    _, logdet = np.linalg.slogdet(sigma)
    return -n / 2 * (p * np.log(2 * np.pi) + logdet + np.trace(s @ np.linalg.inv(sigma)))


def baseline_chisq(s: np.ndarray, n: float, estimator: str) -> float:
    """The independence model's statistic (all covariances zero)."""
    d = np.diag(np.diag(s))
    if estimator == "ML":
        return float(n * (np.log(np.diag(s)).sum() - np.linalg.slogdet(s)[1]))
    resid = s - d
    if estimator == "GLS":
        resid = resid @ np.linalg.inv(s)
    return float(n * 0.5 * np.trace(resid @ resid))


def srmr(s: np.ndarray, sigma: np.ndarray, mean: np.ndarray | None = None,
         mu: np.ndarray | None = None) -> float:
    """Bentler's SRMR (lavaan's ``srmr``); with a mean structure the standardised mean
    residuals ``(m − μ)/sd`` count as well."""
    sd = np.sqrt(np.diag(s))
    resid = list(((s - sigma) / np.outer(sd, sd))[np.tril_indices(s.shape[0])])
    if mean is not None:
        resid += list((mean - mu) / sd)
    return float(np.sqrt(np.mean(np.square(resid))))


def rmsea_ci(chisq: float, df: int, n: float, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: non-centrality where the χ² tail equals (1 ± level)/2."""
    if df <= 0 or not np.isfinite(chisq):
        return np.nan, np.nan

    # the non-centrality λ with P(χ²(df, λ) ≤ chisq) = (1 ± level)/2, 0 when none
    lo = ncx2_noncentrality(chisq, df, (1 + level) / 2)
    hi = ncx2_noncentrality(chisq, df, (1 - level) / 2)
    return float(np.sqrt(lo / (n * df))), float(np.sqrt(hi / (n * df)))


def information_criteria(ll: float, npar: int, n: float) -> dict[str, float]:
    """``loglik`` with lavaan's AIC and BIC for ``npar`` free parameters and N."""
    return dict(loglik=ll, aic=-2 * ll + 2 * npar, bic=-2 * ll + npar * np.log(n))


def fit_measures(s: np.ndarray, sigma: np.ndarray, fmin: float, *, n: float, npar: int,
                 estimator: str) -> dict[str, float]:
    """Every measure in :data:`FIT_NAMES` for one group."""
    p = s.shape[0]
    df = p * (p + 1) // 2 - npar
    chisq = float(n * fmin)
    base = baseline_chisq(s, n, estimator)
    out = _from_chisq(chisq, df, base, p * (p - 1) // 2, n)
    ll = loglik(s, sigma, n) if estimator == "ML" else np.nan
    out.update(npar=npar, srmr=srmr(s, sigma), ntotal=n, **information_criteria(ll, npar, n))
    return {k: out[k] for k in FIT_NAMES}


def cfi(t: float, df: float, t_b: float, df_b: float, c: float = 1.0,
        c_b: float = 1.0) -> float:
    """lavaan's CFI; with scaling factors ``c``, ``c_b`` the robust CFI (Brosseau-Liard
    & Savalei 2014): ``1 − max(T − c·df, 0) / max(T − c·df, T_b − c_b·df_b, 0)``."""
    t1 = max(t - c * df, 0.0)
    t2 = max(t - c * df, t_b - c_b * df_b, 0.0)
    return 1.0 if t1 == 0 and t2 == 0 else 1 - t1 / t2


def tli(t: float, df: float, t_b: float, df_b: float, c: float = 1.0,
        c_b: float = 1.0) -> float:
    """lavaan's TLI ``1 − (T − c·df)·df_b / ((T_b − c_b·df_b)·df)`` (robust with c)."""
    t2 = (t_b - c_b * df_b) * df
    if df <= 0:
        return np.nan
    return 1 - (t - c * df) * df_b / t2 if t2 != 0 else 1.0


def rmsea(t: float, df: float, n: float, c: float = 1.0) -> float:
    """lavaan's RMSEA ``sqrt(max(T/(N·df) − c/N, 0))`` (robust with c)."""
    return float(np.sqrt(max(t / n / df - c / n, 0.0))) if df > 0 else np.nan


def _from_chisq(chisq: float, df: int, base: float, base_df: int, n: float) -> dict:
    pvalue = chi2_sf(chisq, df) if df > 0 else np.nan
    lo, hi = rmsea_ci(chisq, df, n)
    rmsea_p = 1 - ncx2_cdf(chisq, df, n * df * 0.05**2) if df > 0 else np.nan
    return dict(chisq=chisq, df=df, pvalue=pvalue, baseline_chisq=base, baseline_df=base_df,
                cfi=cfi(chisq, df, base, base_df), tli=tli(chisq, df, base, base_df),
                rmsea=rmsea(chisq, df, n), rmsea_ci_lower=lo, rmsea_ci_upper=hi,
                rmsea_pvalue=rmsea_p)


def combine_groups(per_group: list[dict]) -> dict[str, float]:
    """Measures of separately fitted groups taken together (statistics and df add up;
    RMSEA is computed on the pooled statistic with the total N, as lavaan does)."""
    n = sum(g["ntotal"] for g in per_group)
    chisq = sum(g["chisq"] for g in per_group)
    df = sum(g["df"] for g in per_group)
    out = _from_chisq(chisq, df, sum(g["baseline_chisq"] for g in per_group),
                      sum(g["baseline_df"] for g in per_group), n)
    ll = sum(g["loglik"] for g in per_group)
    npar = sum(g["npar"] for g in per_group)
    weights = np.array([g["ntotal"] for g in per_group]) / n
    out.update(npar=npar, srmr=float(np.sum(weights * [g["srmr"] for g in per_group])),
               ntotal=n, **information_criteria(ll, npar, n))
    if len(per_group) > 1:  # lavaan: RMSEA of a multi-group model scales by the groups
        out["rmsea"] *= np.sqrt(len(per_group))
        out["rmsea_ci_lower"] *= np.sqrt(len(per_group))
        out["rmsea_ci_upper"] *= np.sqrt(len(per_group))
    return {k: out[k] for k in FIT_NAMES}
