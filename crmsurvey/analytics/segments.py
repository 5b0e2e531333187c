"""RFM scoring with named segments, and ABC (Pareto) classes of customers."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError, check_choice
from .transactions import Transactions

__all__ = ["SEGMENTS", "ABC_CUTS", "rfm", "quintile_scores", "abc_classes"]

#: the default ABC cuts of each rule (what the report's caption states)
ABC_CUTS = {"customers": (0.05, 0.20), "value": (0.80, 0.95)}

#: Segment rules on the R and F scores (and M for "cannot lose"), first match wins —
#: the widely used 11-segment RFM map.
SEGMENTS: list[tuple[str, str]] = [
    ("champions", "r >= 4 and f >= 4 and m >= 4"),
    ("cannot_lose", "r <= 2 and f >= 4 and m >= 4"),
    ("loyal", "r >= 3 and f >= 4"),
    ("at_risk", "r <= 2 and f >= 3"),
    ("new", "r == 5 and f == 1"),
    ("promising", "r == 4 and f == 1"),
    ("potential_loyalist", "r >= 4 and f <= 3"),
    ("need_attention", "r == 3 and f == 3"),
    ("about_to_sleep", "r == 3 and f <= 2"),
    ("hibernating", "r == 2 and f <= 2"),
    ("lost", "r == 1 and f <= 2"),
]


def quintile_scores(values, *, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1–5 by quintile of rank, ``ceil(5 · rank / n)``. Ties share the lower score
    (rank "min"), so the result never depends on row order.

    Examples
    --------
    >>> quintile_scores(range(1, 11)).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    v = pd.Series(np.asarray(values, dtype=float))
    if not higher_is_better:
        v = -v
    rank = v.rank(method="min").to_numpy()  # 1-based
    return np.ceil(5 * rank / len(v)).astype(int)


def rfm(tx: Transactions, *, monetary: Literal["total", "mean"] = "total") -> pd.DataFrame:
    """Per customer: ``customer, recency`` (days since the last purchase, as of
    ``tx.as_of``), ``frequency`` (purchases), ``monetary``, scores ``r, f, m``, ``rfm``
    code and ``segment``."""
    check_choice("monetary", monetary, ("total", "mean"))
    if tx.frame.empty:
        raise InputError("no transactions left to score")
    g = tx.frame.groupby("customer", sort=True)
    out = pd.DataFrame({
        "recency": (tx.as_of - g["date"].max()).dt.days,
        "frequency": g.size(),
        "monetary": g["amount"].sum() if monetary == "total" else g["amount"].mean(),
    }).reset_index()
    out["r"] = quintile_scores(out.recency, higher_is_better=False)
    out["f"] = quintile_scores(out.frequency)
    out["m"] = quintile_scores(out.monetary)
    out["rfm"] = out.r.astype(str) + out.f.astype(str) + out.m.astype(str)
    seg = pd.Series("others", index=out.index, dtype=object)
    for name, rule in reversed(SEGMENTS):
        seg[out.eval(rule).to_numpy()] = name
    out["segment"] = seg
    return out


def abc_classes(values: pd.Series, *, rule: Literal["customers", "value"] = "customers",
                cuts: tuple[float, float] | None = None) -> pd.Series:
    """ABC class of each customer (index: customer) by value.

    ``rule="customers"``: the top ``cuts[0]`` of customers (by value) are A, the next up to
    ``cuts[1]`` B, the rest C — default 5 % / 20 % (A 5 %, B 15 %, C 80 %, as Chinese CRM
    textbooks teach). ``rule="value"``: classes by cumulative share of value — default A
    up to 80 %, B up to 95 %, C the rest. Ties are ordered by customer id.
    """
    check_choice("rule", rule, ("customers", "value"))
    cuts = cuts or ABC_CUTS[rule]
    if not 0 < cuts[0] < cuts[1] < 1:
        raise InputError(f"ABC cuts must satisfy 0 < A < B < 1, not {cuts}")
    v = pd.Series(values, dtype=float)
    if (v < 0).any():
        raise InputError("ABC classes need non-negative customer values")
    order = v.sort_index().sort_values(ascending=False, kind="stable")
    if rule == "customers":  # a customer is A while the share of customers so far ≤ cut
        end = np.arange(1, len(order) + 1) / len(order)
        cls = np.where(end <= cuts[0], "A", np.where(end <= cuts[1], "B", "C"))
    else:  # a customer is A while the value share before it is still below the cut
        total = order.sum()
        start = (order.cumsum() - order).to_numpy() / total if total else np.ones(len(order))
        cls = np.where(start < cuts[0], "A", np.where(start < cuts[1], "B", "C"))
    return pd.Series(cls, index=order.index, name="abc").reindex(v.index)
