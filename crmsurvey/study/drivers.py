"""What drives the target, per group: construct- and item-level IPMA, and the priorities a
manager can act on — only where the statistics single one out."""
from __future__ import annotations

import numpy as np

from .._stats import bootstrap_contrast
from .results import Drivers, DriverRow, Group, ItemDriverRow

__all__ = ["drivers_of", "mediators"]


def mediators(target: str, paths: list[tuple[str, str]]) -> set[str]:
    """The target's own mediators: constructs with a direct path into the target that are
    themselves explained by the model (e.g. Satisfaction and Complaints for Loyalty) —
    outcomes, not levers a manager pulls."""
    outcomes = {lhs for lhs, _ in paths}
    return {rhs for lhs, rhs in paths if lhs == target and rhs in outcomes}


def drivers_of(group: Group, res, target: str, constructs: list[str],
               not_actionable: set[str], *, alpha: float = 0.05) -> Drivers:
    """IPMA of ``target`` in one group's fit ``res``; ``constructs``: those with an index
    (a performance to show)."""
    ipma = res.ipma(target)
    ipma = ipma[ipma.construct.isin(constructs)].reset_index(drop=True)
    te = res.total_effects
    te = te[te.lhs == target].set_index("rhs")
    has_ci = "ci_lower" in te
    rows = []
    for r in ipma.itertuples():
        t = te.loc[r.construct]
        lo = float(t.ci_lower) if has_ci and np.isfinite(t.ci_lower) else None
        hi = float(t.ci_upper) if has_ci and np.isfinite(t.ci_upper) else None
        rows.append(DriverRow(construct=r.construct, importance=float(r.importance),
                              performance=float(r.performance), total_std=float(t.total),
                              ci_lower=lo, ci_upper=hi,
                              significant=lo is not None and (lo > 0 or hi < 0),
                              actionable=r.construct not in not_actionable))
    priorities = [r.construct for r in sorted(rows, key=lambda r: -abs(r.total_std))
                  if r.actionable and r.significant]
    standout, lead = None, None
    if len(priorities) == 1:
        standout = priorities[0]
    elif len(priorities) > 1 and res.draws is not None:
        # the lead of the strongest over the next, in size of standardised total effect,
        # on the same resamples as their intervals
        all_te = res.total_effects
        column = {(lhs, rhs): k for k, (lhs, rhs) in enumerate(zip(all_te.lhs, all_te.rhs))}
        by_name = {r.construct: r for r in rows}
        first, second = (by_name[c] for c in priorities[:2])
        s1, s2 = np.sign(first.total_std), np.sign(second.total_std)
        total = res.draws.values["total"]
        gap = (s1 * total[:, column[target, first.construct]]
               - s2 * total[:, column[target, second.construct]])
        test = bootstrap_contrast(np.array([abs(first.total_std) - abs(second.total_std)]),
                                  gap[:, None], alpha=alpha)
        lead = (float(test["ci_lower"][0]), float(test["ci_upper"][0]))
        if test["significant"][0]:
            standout = first.construct
    items = res.ipma_items(target)
    items = items[items.construct.isin(constructs)]
    return Drivers(group=group, target=target, constructs=rows,
                   items=[ItemDriverRow(construct=r.construct, item=r.item,
                                        importance=float(r.importance),
                                        performance=float(r.performance))
                          for r in items.itertuples()],
                   priorities=priorities, standout=standout, lead_ci=lead)
