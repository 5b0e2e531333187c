"""Link survey respondents to customer data by id and compare survey measures across
customer groups (RFM segment, ABC class, Dick & Basu type)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import InputError

__all__ = ["link_customers", "compare_groups"]


def link_customers(survey: pd.DataFrame, id_column: str, customers: pd.DataFrame, *,
                   customer_column: str = "customer") -> tuple[pd.DataFrame, dict]:
    """Left-join customer attributes onto respondents; report how many ids matched.

    Returns the joined frame and ``{"respondents", "matched", "unknown_ids"}`` (the first
    unknown ids listed, never silently dropped)."""
    if id_column not in survey.columns:
        raise InputError(f"the survey has no id column {id_column!r}")
    if customer_column not in customers.columns:
        raise InputError(f"the customer table has no column {customer_column!r}")
    ids = survey[id_column].astype("string").str.strip()
    table = customers.assign(**{customer_column: customers[customer_column].astype("string")})
    joined = survey.assign(_id=ids.to_numpy()).merge(
        table, how="left", left_on="_id", right_on=customer_column, validate="many_to_one",
        indicator=True)
    unknown = joined.loc[joined["_merge"] == "left_only", "_id"].dropna().unique().tolist()
    info = {"respondents": len(survey), "matched": int((joined["_merge"] == "both").sum()),
            "unknown_ids": unknown[:20], "unknown": len(unknown)}
    return joined.drop(columns=["_id", "_merge"]), info


def compare_groups(values: pd.Series, groups: pd.Series) -> tuple[pd.DataFrame, dict]:
    """Mean, SD, n and 95 % interval of ``values`` per group, and the one-way ANOVA and
    Kruskal–Wallis tests of a difference."""
    frame = pd.DataFrame({"v": pd.to_numeric(values, errors="coerce").to_numpy(),
                          "g": groups.astype("string").to_numpy()}).dropna()
    rows = []
    samples = []
    for g, part in frame.groupby("g", sort=True):
        v = part.v.to_numpy()
        samples.append(v)
        se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
        t = sps.t.ppf(0.975, len(v) - 1) if len(v) > 1 else np.nan
        rows.append({"group": g, "n": len(v), "mean": v.mean(),
                     "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
                     "ci_lower": v.mean() - t * se, "ci_upper": v.mean() + t * se})
    tests = {"anova_f": np.nan, "anova_p": np.nan, "kruskal_h": np.nan, "kruskal_p": np.nan}
    usable = [s for s in samples if len(s) > 1]
    if len(usable) >= 2:
        f = sps.f_oneway(*usable)
        k = sps.kruskal(*usable)
        tests = {"anova_f": float(f.statistic), "anova_p": float(f.pvalue),
                 "kruskal_h": float(k.statistic), "kruskal_p": float(k.pvalue)}
    return pd.DataFrame(rows, columns=["group", "n", "mean", "sd", "ci_lower", "ci_upper"]), tests
