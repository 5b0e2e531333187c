"""Small statistical helpers shared by the estimators and analytics."""
from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["holm", "step_levels", "resamples_needed", "bootstrap_contrast", "normal_contrast",
           "MIN_TAIL_DRAWS"]

#: Draws a bootstrap percentile interval needs beyond each of its limits for the limit to
#: be stable (Davison & Hinkley 1997, §5.2.3, ask for 1000–2000 resamples at 95 %, i.e.
#: 25–50 beyond each limit): the rule is ``B · a / 2 ≥ MIN_TAIL_DRAWS`` at tail level a.
MIN_TAIL_DRAWS = 20


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


def resamples_needed(alpha: float, m: int = 1, *, tail: int = MIN_TAIL_DRAWS) -> int:
    """The fewest resamples B that leave ``tail`` draws beyond each limit of a percentile
    interval at the adjusted level ``1 − alpha/m``: ``B · alpha / (2m) ≥ tail``.

    Examples
    --------
    >>> resamples_needed(0.05, 3)       # Bonferroni over 3 pairs: 98.3 % intervals
    2400
    >>> resamples_needed(0.05)          # one 95 % interval
    800
    """
    return int(np.ceil(2 * tail * m / alpha - 1e-9))


def step_levels(p: np.ndarray, alpha: float, m: int,
                method: Literal["bonferroni", "holm"] = "bonferroni") -> np.ndarray:
    """Each comparison's tail level: ``alpha / m`` (Bonferroni), or with Holm's step-down
    the level the j-th smallest p-value is tested at, ``alpha / (m − j + 1)``, held at
    the first step that fails for every later one. An interval at its comparison's level
    then excludes 0 exactly when the comparison is rejected (these intervals agree with
    the decisions but, unlike Bonferroni's, do not hold simultaneously).

    Examples
    --------
    >>> step_levels(np.array([0.001, 0.04, 0.03]), 0.05, 3, "holm").round(4).tolist()
    [0.0167, 0.025, 0.025]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), alpha / max(m, 1))
    if method == "bonferroni":
        return out
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    k = len(order)
    levels = alpha / (k - np.arange(k)) if k else np.zeros(0)
    failed = np.flatnonzero(p[order] >= levels)
    if len(failed):
        levels[failed[0]:] = levels[failed[0]]
    out[order] = levels
    return out


def bootstrap_contrast(diff: np.ndarray, draws: np.ndarray, *, alpha: float = 0.05,
                       m: int = 1, method: Literal["bonferroni", "holm"] = "bonferroni"
                       ) -> dict[str, np.ndarray]:
    """Adjusted percentile test of differences ``diff`` (k,) from their bootstrap draws
    (B, k) (NaN: a failed resample, left out).

    ``pvalue = max(2·min(#(d ≤ 0), #(d ≥ 0)), 1) / B`` — never finer than the draws
    resolve (``p_resolution = 1/B``); the interval of comparison j is the
    ``ceil(a_j·B/2)``-th smallest and largest draw, ``a_j`` its level
    (:func:`step_levels`: ``alpha/m`` for Bonferroni, the step's level for Holm over the
    k comparisons given); ``pvalue_adj`` is ``min(1, m·pvalue)`` or Holm's. With these
    definitions ``pvalue_adj < alpha`` exactly when the interval excludes 0 (given the
    ``B·a/2 ≥ 1`` draws a study always has), so a flag never disagrees with its interval.

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
        p = np.where(b > 0, np.minimum(1.0, np.maximum(2 * np.minimum(le, ge), 1) / b),
                     np.nan)
        resolution = np.where(b > 0, 1.0 / b, np.nan)
    a = step_levels(p, alpha, m if method == "bonferroni" else int(np.isfinite(p).sum()),
                    method)
    k = np.maximum(1, np.ceil(a * b / 2 - 1e-9)).astype(int)
    ordered = np.sort(np.where(ok, draws, np.inf), axis=0)  # failed draws sort last
    cols = np.arange(draws.shape[1])
    lo = np.where(b > 0, ordered[np.minimum(k - 1, np.maximum(b - 1, 0)), cols], np.nan)
    hi = np.where(b > 0, ordered[np.maximum(b - k, 0), cols], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.array([np.std(draws[ok[:, j], j], ddof=1) if b[j] > 1 else np.nan
                       for j in cols])
    return {"difference": np.asarray(diff, dtype=float), "se": se, "ci_lower": lo, "ci_upper": hi,
            "ci_level": 1 - a, "pvalue": p, "p_resolution": resolution,
            "pvalue_adj": _adjusted(p, m, method), "significant": (lo > 0) | (hi < 0)}


def _adjusted(p: np.ndarray, m: int, method: str) -> np.ndarray:
    return holm(p) if method == "holm" else np.minimum(1.0, m * p)


def normal_contrast(diff: np.ndarray, se: np.ndarray, *, alpha: float = 0.05, m: int = 1,
                    method: Literal["bonferroni", "holm"] = "bonferroni"
                    ) -> dict[str, np.ndarray]:
    """Adjusted z test and interval of differences with standard errors ``se``
    (independent samples): ``significant`` ⇔ ``pvalue_adj < alpha`` ⇔ the interval
    ``diff ± z(1 − a_j/2)·se`` excludes 0, ``a_j`` the comparison's level
    (:func:`step_levels`).

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
    p = 2 * sps.norm.sf(np.abs(z))
    a = step_levels(p, alpha, m if method == "bonferroni" else int(np.isfinite(p).sum()),
                    method)
    crit = sps.norm.isf(a / 2)
    return {"difference": diff, "se": se, "ci_lower": diff - crit * se,
            "ci_upper": diff + crit * se, "ci_level": 1 - a,
            "pvalue": p, "p_resolution": np.full(len(diff), np.nan),
            "pvalue_adj": _adjusted(p, m, method), "significant": np.abs(z) > crit}
