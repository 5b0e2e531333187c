"""Small statistical helpers shared by the estimators and analytics."""
from __future__ import annotations

import numpy as np

__all__ = ["holm", "bootstrap_contrast", "normal_contrast"]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values; a missing p (NaN) stays missing and does not
    count among the tests.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03, np.nan])).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m:
        order = ok[np.argsort(p[ok])]
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(adj, 1.0)
    return out


def bootstrap_contrast(diff: np.ndarray, draws: np.ndarray, *, alpha: float = 0.05,
                       m: int = 1) -> dict[str, np.ndarray]:
    """Bonferroni-adjusted percentile test of differences ``diff`` (k,) from their
    bootstrap draws (B, k) (NaN: a failed resample, left out).

    The interval is the ``ceil(a·B/2)``-th smallest and largest draw, ``a = alpha / m``;
    ``pvalue = 2·min(#(d ≤ 0), #(d ≥ 0)) / B``; ``pvalue_adj = min(1, m·pvalue)``. With
    these definitions ``pvalue_adj < alpha`` exactly when the interval excludes 0, so a
    flag never disagrees with the interval beside it.

    Examples
    --------
    >>> d = np.arange(1.0, 101.0)[:, None] - 3           # 3 draws ≤ 0 of 100
    >>> r = bootstrap_contrast(np.array([47.5]), d)
    >>> float(r["pvalue"][0]), float(r["ci_lower"][0]), bool(r["significant"][0])
    (0.06, 0.0, False)
    """
    draws = np.asarray(draws, dtype=float)
    if draws.shape[0] == 0:  # no bootstrap: no interval, no test
        draws = np.full((1, len(np.atleast_1d(diff))), np.nan)
    ok = np.isfinite(draws)
    b = ok.sum(axis=0)
    le = np.sum((draws <= 0) & ok, axis=0)
    ge = np.sum((draws >= 0) & ok, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(b > 0, np.minimum(1.0, 2 * np.minimum(le, ge) / b), np.nan)
    k = np.maximum(1, np.ceil(alpha / m * b / 2)).astype(int)
    ordered = np.sort(np.where(ok, draws, np.inf), axis=0)  # failed draws sort last
    cols = np.arange(draws.shape[1])
    lo = np.where(b > 0, ordered[np.minimum(k - 1, np.maximum(b - 1, 0)), cols], np.nan)
    hi = np.where(b > 0, ordered[np.maximum(b - k, 0), cols], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.array([np.std(draws[ok[:, j], j], ddof=1) if b[j] > 1 else np.nan
                       for j in cols])
    return {"difference": np.asarray(diff, dtype=float), "se": se, "ci_lower": lo, "ci_upper": hi,
            "ci_level": np.full(len(cols), 1 - alpha / m), "pvalue": p,
            "pvalue_adj": np.minimum(1.0, m * p), "significant": (lo > 0) | (hi < 0)}


def normal_contrast(diff: np.ndarray, se: np.ndarray, *, alpha: float = 0.05, m: int = 1
                    ) -> dict[str, np.ndarray]:
    """Bonferroni-adjusted z test and interval of differences with standard errors ``se``
    (independent samples): ``significant`` ⇔ ``pvalue_adj < alpha`` ⇔ the interval
    ``diff ± z(1 − alpha/2m)·se`` excludes 0.

    Examples
    --------
    >>> r = normal_contrast(np.array([10.0]), np.array([4.0]), m=3)
    >>> round(float(r["pvalue_adj"][0]), 4), bool(r["significant"][0])
    (0.0373, True)
    """
    from scipy import stats as sps

    diff, se = np.asarray(diff, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.nan)
    crit = sps.norm.isf(alpha / (2 * m))
    p = 2 * sps.norm.sf(np.abs(z))
    return {"difference": diff, "se": se, "ci_lower": diff - crit * se,
            "ci_upper": diff + crit * se, "ci_level": np.full(len(diff), 1 - alpha / m),
            "pvalue": p, "pvalue_adj": np.minimum(1.0, m * p),
            "significant": np.abs(z) > crit}
