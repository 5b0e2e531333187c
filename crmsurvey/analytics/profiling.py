"""Segments (or latent classes) described by observed variables: what distinguishes
them — a crosstab with Pearson's χ² and Cramér's V for a categorical variable, one-way
ANOVA with η² for a numeric one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["SegmentProfile", "explain_segments"]


@dataclass(frozen=True, eq=False)
class SegmentProfile:
    """What distinguishes segments on observed variables.

    ``profile``: ``variable, level, segment, value`` (a segment's mean, or its share of
    a level); ``tests``: ``variable, test, statistic, df, pvalue, effect`` — Pearson's
    χ² of the crosstab with Cramér's V for a categorical variable, one-way ANOVA's F with
    η² for a numeric one. Respondents missing the variable are left out of its rows.
    """

    profile: pd.DataFrame
    tests: pd.DataFrame


def explain_segments(labels, data: pd.DataFrame,
                     columns: Sequence[str]) -> SegmentProfile:
    """Describe segments (or latent classes) by observed variables.

    Parameters
    ----------
    labels : array-like
        Each respondent's segment, aligned with ``data``'s rows.
    data : DataFrame
        Observed variables (group items, covariates, key items).
    columns : list of str
        Which columns to describe; text or categorical columns are crosstabulated,
        numeric ones compared by their means.

    Examples
    --------
    >>> df = pd.DataFrame({"brand": list("AABBAB"), "age": [20, 22, 50, 55, 21, 53]})
    >>> sp = explain_segments([1, 1, 2, 2, 1, 2], df, ["brand", "age"])
    >>> sp.tests[["variable", "test"]].values.tolist()
    [['brand', 'chi2'], ['age', 'anova']]
    """
    from scipy import stats

    labels = np.asarray(labels)
    if len(labels) != len(data):
        raise InputError("explain_segments: one segment label per row of the data")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(f"explain_segments: no column {missing[0]!r} in the data")
    prof, tests = [], []
    for name in columns:
        s = data[name]
        keep = s.notna().to_numpy()
        lab, v = labels[keep], s[keep]
        segs = np.unique(lab)
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            x = v.to_numpy(float)
            means = pd.Series(x).groupby(lab).mean()
            prof += [(name, "", int(k), float(means[k])) for k in segs]
            grand = x.mean()
            ssb = sum((lab == k).sum() * (means[k] - grand) ** 2 for k in segs)
            sst = ((x - grand) ** 2).sum()
            dfb, dfw = len(segs) - 1, len(x) - len(segs)
            f = (ssb / dfb) / ((sst - ssb) / dfw) if dfb > 0 and dfw > 0 and sst > ssb \
                else np.nan
            p = float(stats.f.sf(f, dfb, dfw)) if np.isfinite(f) else np.nan
            tests.append((name, "anova", f, dfb, p, ssb / sst if sst > 0 else np.nan))
        else:
            tab = pd.crosstab(lab, v.astype(str).to_numpy())
            share = tab.div(tab.sum(axis=1), axis=0)
            prof += [(name, str(lev), int(k), float(share.loc[k, lev]))
                     for lev in tab.columns for k in tab.index]
            o = tab.to_numpy(float)
            e = o.sum(1, keepdims=True) * o.sum(0, keepdims=True) / o.sum()
            chi = float(((o - e) ** 2 / np.where(e > 0, e, 1)).sum())
            df_ = (o.shape[0] - 1) * (o.shape[1] - 1)
            p = float(stats.chi2.sf(chi, df_)) if df_ > 0 else np.nan
            v_ = np.sqrt(chi / (o.sum() * (min(o.shape) - 1))) if min(o.shape) > 1 else np.nan
            tests.append((name, "chi2", chi, df_, p, v_))
    return SegmentProfile(
        pd.DataFrame(prof, columns=["variable", "level", "segment", "value"]),
        pd.DataFrame(tests, columns=["variable", "test", "statistic", "df", "pvalue",
                                     "effect"]))
