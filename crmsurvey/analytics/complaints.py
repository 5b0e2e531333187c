"""Complaints as the ACSI reads them: the complaint rate (share who complained), how
satisfied complainers were with the handling, and the loyalty of complainers against
non-complainers — per group, each with its interval and test.

A figure is computed only where the data allow it: no complainer in a group means a
rate with its interval and nothing else (``reason="no_complainers"``); one complainer,
no handling interval and no loyalty test (``reason="too_few"``). The loyalty
differences of several groups are one family, adjusted with Holm's method (each
interval at the level its step was tested at, so it excludes 0 exactly when the
difference is significant), as the study's wave changes are.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._data import kish_n_eff
from .._stats import normal_contrast
from .scores import _checked_weights, wilson_interval

__all__ = ["complaint_table", "COLUMNS"]

COLUMNS = ["group", "n", "n_eff", "complainers", "rate", "rate_lower", "rate_upper",
           "handling", "handling_lower", "handling_upper", "handling_n",
           "loyalty_complainers", "loyalty_others", "difference", "se", "ci_lower",
           "ci_upper", "ci_level", "pvalue", "pvalue_adj", "significant", "reason"]


def _mean_se(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, its standard error on Kish's n, and that n."""
    if len(x) == 0:
        return np.nan, np.nan, 0.0
    wn = w / w.sum()
    mean = float(wn @ x)
    n_eff = kish_n_eff(w)
    if len(x) < 2:
        return mean, np.nan, n_eff
    var = float(wn @ (x - mean) ** 2) * len(x) / (len(x) - 1)
    return mean, float(np.sqrt(var / n_eff)), n_eff


def _one(yes: np.ndarray, handling: np.ndarray | None, loyalty: np.ndarray | None,
         w: np.ndarray, ci: float) -> dict:
    answered = np.isfinite(yes)
    n = int(answered.sum())
    out: dict = {"n": n, "reason": None}
    if not n:
        out.update(n_eff=0.0, complainers=0, reason="no_answers")
        return out
    c = answered & (yes == 1)
    wa = w[answered]
    rate = float(w[c].sum() / wa.sum())
    n_eff = kish_n_eff(wa)
    lo, hi = wilson_interval(rate, n_eff, ci)
    out.update(n_eff=n_eff, complainers=int(c.sum()), rate=100 * rate,
               rate_lower=100 * float(lo), rate_upper=100 * float(hi))
    if not c.any():
        out["reason"] = "no_complainers"
        return out
    if handling is not None:  # t interval on the complainers who rated the handling
        h = c & np.isfinite(handling)
        mean, se, _ = _mean_se(handling[h], w[h])
        t = sps.t.ppf(0.5 + ci / 2, max(int(h.sum()) - 1, 1))
        out.update(handling=mean, handling_n=int(h.sum()),
                   handling_lower=mean - t * se, handling_upper=mean + t * se)
    if loyalty is not None:
        ok = answered & np.isfinite(loyalty)
        a, sa, _ = _mean_se(loyalty[ok & c], w[ok & c])
        b, sb, _ = _mean_se(loyalty[ok & ~c], w[ok & ~c])
        out.update(loyalty_complainers=a, loyalty_others=b, difference=a - b,
                   se=float(np.hypot(sa, sb)))
    if int(c.sum()) < 2:
        out["reason"] = "too_few"
    return out


def complaint_table(complained, *, yes: float = 1, handling=None, loyalty=None, groups=None,
                    weights=None, ci: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Complaint rate (%, Wilson interval on Kish's n), handling satisfaction among
    complainers (mean on the item's scale, t interval) and the loyalty of complainers
    minus non-complainers (means of ``loyalty``, e.g. 0–100 index scores; z test, Holm
    over the groups) — overall (``group`` ``"all"``, its own family) and per level of
    ``groups``. Columns: :data:`COLUMNS`.

    Examples
    --------
    >>> t = complaint_table([1, 0, 0, 1, 0, 0], loyalty=[40, 80, 70, 50, 90, 60])
    >>> r = t.iloc[0]
    >>> float(round(r.rate, 1)), int(r.complainers), float(r.difference)
    (33.3, 2, -30.0)
    """
    yes_arr = np.asarray(pd.to_numeric(pd.Series(complained), errors="coerce"), dtype=float)
    flag = np.where(np.isfinite(yes_arr), (yes_arr == yes).astype(float), np.nan)
    n = len(flag)
    w = _checked_weights(weights, n)  # a bad weight: one InputError naming its row
    h = None if handling is None else np.asarray(pd.to_numeric(pd.Series(handling),
                                                               errors="coerce"), dtype=float)
    loy = None if loyalty is None else np.asarray(loyalty, dtype=float)
    rows = [{"group": "all", **_one(flag, h, loy, w, ci)}]
    if groups is not None:
        g = pd.Series(groups).astype("string").to_numpy()
        for level in sorted(pd.unique(g[pd.notna(g)])):
            sel = g == level
            rows.append({"group": str(level),
                         **_one(flag[sel], None if h is None else h[sel],
                                None if loy is None else loy[sel], w[sel], ci)})
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    table["significant"] = pd.array([pd.NA] * len(table), dtype="boolean")
    # tests: where there are two or more complainers and a loyalty difference
    testable = table.reason.isna() & table.difference.notna() & table.se.notna()
    for family in (table.group == "all", table.group != "all"):
        sel = (testable & family).to_numpy()
        if sel.any():
            r = normal_contrast(table.difference[sel].to_numpy(), table.se[sel].to_numpy(),
                                alpha=alpha, m=int(sel.sum()), method="holm")
            for key in ("ci_lower", "ci_upper", "ci_level", "pvalue", "pvalue_adj",
                        "significant"):
                table.loc[sel, key] = r[key]
    return table
