"""Net Promoter Score with its standard error.

Promoters answer 9–10, passives 7–8, detractors 0–6 on the 0–10 recommend question;
``NPS = 100 · (p_promoters − p_detractors)`` and, treating the answer as a three-valued
variable (+1, 0, −1), ``SE = 100 · sqrt((p_P + p_D − (p_P − p_D)²) / n)``. With sampling
weights the shares are weighted and n is Kish's effective sample size.

Intervals keep their stated coverage at subgroup sizes (n = 30–100, shares near .9, where
the Wald interval covers 80–90 % instead of 95 %): the NPS interval is the adjusted-Wald
interval of :func:`nps_interval` (Rocks 2016), the CSAT interval Wilson's score interval
(:func:`wilson_interval`), both on the effective n. ``tests/test_referee_stats.py``
checks their coverage by simulation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._data import kish_n_eff, level_names, sampling_weights
from .._stats import normal_contrast
from ..errors import InputError

__all__ = ["nps", "nps_table", "nps_compare", "csat", "wilson_interval", "nps_interval"]

COLUMNS = ["group", "n", "n_eff", "promoters", "passives", "detractors", "nps", "se",
           "ci_lower", "ci_upper"]


def _checked_weights(weights, n: int) -> np.ndarray:
    """Ones, or the given weights checked like every estimator's (rows by position)."""
    if weights is None:
        return np.ones(n)
    return sampling_weights(weights, pd.DataFrame(index=pd.RangeIndex(1, n + 1)))


def wilson_interval(share, n_eff, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's (1927) score interval of a proportion ``share`` (0–1) observed on an
    (effective) sample of ``n_eff``: the proportions p whose score test
    ``|share − p| / sqrt(p(1 − p)/n)`` stays below z — unlike the Wald interval, it keeps
    close to its coverage near 0 and 1 and at small n (Brown, Cai & DasGupta 2001).
    Arrays broadcast; a design effect enters through ``n_eff``.

    Examples
    --------
    >>> lo, hi = wilson_interval(0.9, 30)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.7438, 0.9654)
    """
    p = np.asarray(share, dtype=float)
    n = np.asarray(n_eff, dtype=float)
    z2 = sps.norm.ppf(0.5 + ci / 2) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = np.sqrt(z2 * (p * (1 - p) / n + z2 / (4 * n * n))) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def nps_interval(promoters, detractors, n_eff, ci: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted-Wald interval of ``promoters − detractors`` (shares, 0–1) on an
    (effective) sample of ``n_eff`` (Rocks 2016, "Interval estimation for the 'net
    promoter score'", The American Statistician 70(4), 365–372): ¾ of a promoter and ¾
    of a detractor are added and n becomes n + 3, then the Wald interval of a difference
    of two multinomial proportions, ``sqrt((p_P + p_D − (p_P − p_D)²) / n)``, is taken
    around the adjusted difference. Arrays broadcast.

    Examples
    --------
    >>> lo, hi = nps_interval(0.9, 0.05, 30)      # the Wald interval: .68 to 1.00
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5822, 0.9633)
    """
    n = np.asarray(n_eff, dtype=float)
    n2 = n + 3
    pp = (np.asarray(promoters, dtype=float) * n + 0.75) / n2
    pd_ = (np.asarray(detractors, dtype=float) * n + 0.75) / n2
    centre = pp - pd_
    z = sps.norm.ppf(0.5 + ci / 2)
    half = z * np.sqrt(np.maximum(pp + pd_ - centre**2, 0.0) / n2)
    return np.clip(centre - half, -1.0, 1.0), np.clip(centre + half, -1.0, 1.0)


def _one(x: np.ndarray, w: np.ndarray, ci: float) -> dict:
    ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
    x, w = x[ok], w[ok]
    if not len(x):
        return dict(n=0, n_eff=0.0, promoters=np.nan, passives=np.nan, detractors=np.nan,
                    nps=np.nan, se=np.nan, ci_lower=np.nan, ci_upper=np.nan)
    if ((x < 0) | (x > 10) | (x != np.round(x))).any():
        bad = x[(x < 0) | (x > 10) | (x != np.round(x))][0]
        raise InputError(f"NPS answers are whole numbers 0–10; found {bad:g}")
    wn = w / w.sum()
    pp = float(wn[x >= 9].sum())
    pd_ = float(wn[x <= 6].sum())
    n_eff = kish_n_eff(w)
    score = pp - pd_
    se = np.sqrt(max(pp + pd_ - score**2, 0.0) / n_eff)
    lo, hi = nps_interval(pp, pd_, n_eff, ci)
    return dict(n=int(len(x)), n_eff=n_eff, promoters=100 * pp, passives=100 * (1 - pp - pd_),
                detractors=100 * pd_, nps=100 * score, se=100 * se,
                ci_lower=100 * float(lo), ci_upper=100 * float(hi))


def nps(scores, *, weights=None, ci: float = 0.95) -> pd.Series:
    """NPS of 0–10 answers (NaN ignored).

    Examples
    --------
    >>> r = nps([10, 9, 8, 7, 6, 0])
    >>> float(round(r["nps"], 1)), float(round(r["se"], 1))   # 2 promoters, 2 detractors of 6
    (0.0, 33.3)
    """
    x = np.asarray(pd.to_numeric(pd.Series(scores), errors="coerce"), dtype=float)
    w = _checked_weights(weights, len(x))
    return pd.Series(_one(x, w, ci))


def nps_table(data: pd.DataFrame, item: str, *, by: str | None = None,
              weights: str | np.ndarray | None = None, ci: float = 0.95) -> pd.DataFrame:
    """NPS overall (group ``"all"``) and per level of ``by``: ``group, n, n_eff,
    promoters, passives, detractors, nps, se, ci_lower, ci_upper``."""
    if item not in data.columns:
        raise InputError(f"NPS item {item!r} is not a column of the data")
    x = pd.to_numeric(data[item], errors="coerce").to_numpy(dtype=float)
    # a respondent without a valid weight is an error, not a row quietly left out
    w = np.ones(len(x)) if weights is None else sampling_weights(weights, data)
    rows = [{"group": "all", **_one(x, w, ci)}]
    if by is not None:
        codes = level_names(data[by])  # a coded item's levels as "1", not "1.0"
        g = codes.astype("string").to_numpy()
        found = pd.unique(codes.dropna().astype(str))
        numeric = pd.api.types.is_numeric_dtype(data[by])  # codes in their order: 2 < 10
        for level in sorted(found, key=float) if numeric else sorted(found):
            sel = g == level
            rows.append({"group": str(level), **_one(x[sel], w[sel], ci)})
    return pd.DataFrame(rows, columns=COLUMNS)


def nps_compare(table: pd.DataFrame) -> pd.DataFrame:
    """Pairwise differences between the groups of an :func:`nps_table` (``"all"`` left
    out): ``group_a, group_b, difference, se, z, pvalue, pvalue_holm`` — independent
    samples, normal approximation (:func:`crmsurvey._stats.normal_contrast`), Holm's
    correction over all pairs.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["all", "A", "B"], "nps": [30.0, 40.0, 20.0],
    ...                   "se": [3.0, 4.0, 5.0]})
    >>> r = nps_compare(t).iloc[0]
    >>> r.group_a, r.group_b, float(r.difference), round(float(r.z), 3)
    ('A', 'B', 20.0, 3.123)
    """
    rows = table[table.group != "all"].reset_index(drop=True)
    a, b = np.triu_indices(len(rows), 1)
    diff = rows.nps.to_numpy(float)[a] - rows.nps.to_numpy(float)[b]
    se = np.hypot(rows.se.to_numpy(float)[a], rows.se.to_numpy(float)[b])
    r = normal_contrast(diff, se, m=len(diff), method="holm")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.nan)
    return pd.DataFrame({"group_a": rows.group.to_numpy()[a], "group_b": rows.group.to_numpy()[b],
                         "difference": diff, "se": se, "z": z, "pvalue": r["pvalue"],
                         "pvalue_holm": r["pvalue_adj"]})


def csat(scores, *, top: int | float, weights=None, ci: float = 0.95) -> pd.Series:
    """CSAT: the (weighted) share in % of answers at or above ``top`` (e.g. 9 on a 1–10
    scale for a top-2 box), with its standard error and Wilson's score interval
    (:func:`wilson_interval`), both on Kish's effective n."""
    x = np.asarray(pd.to_numeric(pd.Series(scores), errors="coerce"), dtype=float)
    w = _checked_weights(weights, len(x))
    ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
    x, w = x[ok], w[ok]
    if not len(x):
        return pd.Series({"n": 0, "n_eff": 0.0, "csat": np.nan, "se": np.nan,
                          "ci_lower": np.nan, "ci_upper": np.nan})
    share = float(w[x >= top].sum() / w.sum())
    n_eff = kish_n_eff(w)
    se = np.sqrt(share * (1 - share) / n_eff)
    lo, hi = wilson_interval(share, n_eff, ci)
    return pd.Series({"n": len(x), "n_eff": n_eff, "csat": 100 * share, "se": 100 * se,
                      "ci_lower": 100 * float(lo), "ci_upper": 100 * float(hi)})
