"""Fit measures with lavaan's definitions and names (single group, no mean structure).

``S`` is the covariance matrix divided by N (lavaan's sample statistics); the test
statistic is ``N · F``; RMSEA uses N (lavaan's ``likelihood = "normal"``); SRMR is
lavaan's default ``srmr`` (Bentler: residuals scaled by the sample standard deviations,
over the lower triangle with the diagonal).
"""
from __future__ import annotations

import numpy as np
from .distributions import chi2_sf, ncx2_cdf, ncx2_noncentrality

__all__ = ["FIT_NAMES", "ROBUST_NAMES", "FIMLC_NAMES", "fit_measures", "combine_groups",
           "scaled_measures", "scaled_difference", "loglik", "srmr", "rmsea_ci", "cfi",
           "tli", "rmsea", "chi2_sf"]

FIT_NAMES = ("npar", "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "cfi", "tli",
             "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "srmr", "aic", "bic",
             "loglik", "ntotal")
# lavaan's scaled test (MLM, MLR) and the robust indices built on it
ROBUST_NAMES = ("chisq_scaled", "df_scaled", "pvalue_scaled", "chisq_scaling_factor",
                "baseline_chisq_scaled", "baseline_df_scaled", "baseline_pvalue_scaled",
                "baseline_chisq_scaling_factor", "cfi_scaled", "tli_scaled", "cfi_robust",
                "tli_robust", "rmsea_scaled", "rmsea_robust")
# a group's FIML-corrected statistics and scaling factors (lavaan's XX3, c.hat3 and their
# baseline values, Zhang & Savalei 2023), kept in each group's fit of a multi-group MLR
# with FIML so that the groups' robust indices can be combined
FIMLC_NAMES = ("fimlc_chisq", "fimlc_scaling_factor", "fimlc_baseline_chisq",
               "fimlc_baseline_scaling_factor")


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


def scaled_measures(chisq: float, df: float, base: float, base_df: float, c: float,
                    c_b: float, n: float, *, groups: int = 1,
                    corrected: tuple[float, float, float, float] | None = None
                    ) -> dict[str, float]:
    """lavaan's scaled and robust measures (:data:`ROBUST_NAMES`) from the statistic ``T``
    and its scaling factor ``c`` (the same for the baseline model): ``T/c`` and the fit
    indices on it, and the robust CFI/TLI/RMSEA (Brosseau-Liard, Savalei & Li 2012, 2014)
    — with missing data on the FIML-corrected ``corrected = (T₃, c₃, T₃_b, c₃_b)``.
    Over ``groups`` groups RMSEA carries lavaan's factor ``sqrt(G)``.

    >>> m = scaled_measures(120.0, 50, 900.0, 66, 1.2, 1.5, 400)
    >>> round(m["chisq_scaled"], 3), round(m["rmsea_robust"], 4)
    (100.0, 0.0548)
    """
    t, t_b = chisq / c, base / c_b
    t3, c3, t3_b, c3_b = (chisq, c, base, c_b) if corrected is None else corrected
    root = np.sqrt(groups)
    return {"chisq_scaled": t, "df_scaled": df,
            "pvalue_scaled": chi2_sf(t, df) if df > 0 else np.nan,
            "chisq_scaling_factor": c, "baseline_chisq_scaled": t_b,
            "baseline_df_scaled": base_df,
            "baseline_pvalue_scaled": chi2_sf(t_b, base_df) if base_df > 0 else np.nan,
            "baseline_chisq_scaling_factor": c_b,
            "cfi_scaled": cfi(t, df, t_b, base_df), "tli_scaled": tli(t, df, t_b, base_df),
            "cfi_robust": cfi(t3, df, t3_b, base_df, c3, c3_b),
            "tli_robust": tli(t3, df, t3_b, base_df, c3, c3_b),
            "rmsea_scaled": float(rmsea(t, df, n) * root),
            "rmsea_robust": float(rmsea(t3, df, n, c3) * root)}


def scaled_difference(h0: dict, h1: dict) -> dict[str, float]:
    """The scaled χ² difference of a restricted model ``h0`` against the model ``h1`` it is
    nested in (Satorra & Bentler 2001; lavaan's ``lavTestLRT`` default for MLM and MLR):
    ``c_d = (df₀ c₀ − df₁ c₁)/(df₀ − df₁)``, ``T_d = (T₀ − T₁)/c_d`` on ``df₀ − df₁``
    (``c₁ = 1`` for a saturated ``h1``; a negative ``c_d`` gives NaN, as lavaan).

    >>> d = scaled_difference(dict(chisq=130.0, df=90, chisq_scaling_factor=1.2),
    ...                       dict(chisq=110.0, df=82, chisq_scaling_factor=1.1))
    >>> round(d["scaling_factor"], 4), round(d["chisq_diff"], 3), d["df_diff"]
    (2.225, 8.989, 8)
    """
    t0, r0, c0 = h0["chisq"], h0["df"], h0["chisq_scaling_factor"]
    t1, r1 = h1["chisq"], h1["df"]
    c1 = 1.0 if r1 == 0 else h1["chisq_scaling_factor"]
    m = r0 - r1
    cd = (r0 * c0 - r1 * c1) / m if m else np.nan
    cd = cd if cd >= 0 else np.nan
    t = (t0 - t1) / cd if m else t0 - t1
    return {"chisq_diff": float(t), "df_diff": m, "scaling_factor": float(cd),
            "pvalue": chi2_sf(t, m) if m > 0 and np.isfinite(t) else np.nan}


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
    RMSEA is computed on the pooled statistic with the total N, as lavaan does).

    With the groups' scaled tests (MLM, MLR) the scaled and robust measures of the stacked
    groups as lavaan's: with no parameter shared, lavaan's trace ``tr(UΓ)`` over the groups
    is the sum of the groups' own, so ``c = Σ_g c_g df_g / Σ_g df_g`` (the baseline's and
    the FIML-corrected ``c₃`` alike), ``T = Σ_g T_g``.
    """
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
    if all("chisq_scaling_factor" in g for g in per_group):
        out.update(_combined_scaled(per_group, out))
        return {k: out[k] for k in FIT_NAMES + ROBUST_NAMES}
    return {k: out[k] for k in FIT_NAMES}


def _pooled_factor(per_group: list[dict], factor: str, df: str) -> float:
    """``Σ_g c_g df_g / Σ_g df_g`` (NaN when a group has none)."""
    dfs = np.array([g[df] for g in per_group], dtype=float)
    return float(np.dot([g[factor] for g in per_group], dfs) / dfs.sum())


def _combined_scaled(per_group: list[dict], fit: dict) -> dict[str, float]:
    c = _pooled_factor(per_group, "chisq_scaling_factor", "df")
    c_b = _pooled_factor(per_group, "baseline_chisq_scaling_factor", "baseline_df")
    corrected = None
    if any("fimlc_chisq" in g for g in per_group):  # MLR with FIML
        filled = [{k: g.get(k, np.nan) for k in (*FIMLC_NAMES, "df", "baseline_df")}
                  for g in per_group]
        corrected = (sum(g["fimlc_chisq"] for g in filled),
                     _pooled_factor(filled, "fimlc_scaling_factor", "df"),
                     sum(g["fimlc_baseline_chisq"] for g in filled),
                     _pooled_factor(filled, "fimlc_baseline_scaling_factor", "baseline_df"))
    return scaled_measures(fit["chisq"], fit["df"], fit["baseline_chisq"],
                           fit["baseline_df"], c, c_b, fit["ntotal"],
                           groups=len(per_group), corrected=corrected)
