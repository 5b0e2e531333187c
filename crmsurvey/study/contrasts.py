"""Differences between two groups' figures, computed from the very estimates shown for
those groups: an index difference is ``index_a − index_b`` of the index table, with an
interval from the two groups' own bootstrap draws (independent samples, independent
resamples); an NPS or CSAT difference is the difference of the score table's values with
a z interval. One multiplicity policy (:class:`~.results.Multiplicity`) for all; a group
item of many levels is compared in the client's family and, for every pair, by z tests
with Holm's adjustment (:func:`families`)."""
from __future__ import annotations

from itertools import combinations

import numpy as np

from .._stats import bootstrap_contrast, normal_contrast
from .results import Difference, Group, IndexRow, Multiplicity, ScoreRow

__all__ = ["index_differences", "score_differences", "pairs", "families", "MANY_GROUPS"]

#: more levels than this in one group item, and its comparisons split into the client's
#: family and every pair (see :class:`~.results.Multiplicity`)
MANY_GROUPS = Multiplicity().many_groups


def pairs(groups: list[Group]) -> list[tuple[Group, Group]]:
    return list(combinations(groups, 2))


def families(groups: list[Group], item: str, client: Group | None
             ) -> tuple[list[tuple[Group, Group]], list[tuple[Group, Group]]]:
    """The pairs of ``groups`` (levels of ``item``) tested with adjusted percentile
    intervals, and those tested by z tests with Holm's adjustment.

    Up to :data:`MANY_GROUPS` levels: every pair in the first family. More, with the
    client's level among them: the client against each competitor (client first), and
    every pair in the second. More, without a client: every pair in the second only.

    Examples
    --------
    >>> g = [{"brand": b} for b in "ABCDEFGH"]
    >>> body, every = families(g, "brand", {"brand": "C"})
    >>> len(body), len(every), body[0]
    (7, 28, ({'brand': 'C'}, {'brand': 'A'}))
    """
    every = pairs(groups)
    if len(groups) <= MANY_GROUPS:
        return every, []
    level = (client or {}).get(item)
    if level is None or level not in {g.get(item) for g in groups}:
        return [], every
    mine = [(a, b) if a.get(item) == level else (b, a) for a, b in every
            if level in (a.get(item), b.get(item))]
    return mine, every


def _rows(stats: dict, k: int) -> dict:
    return {key: (None if not np.isfinite(v[k]) else float(v[k])) if key != "significant"
            else bool(v[k]) for key, v in stats.items() if key != "difference"}


def index_differences(pairs_: list[tuple[Group, Group]], indices: list[IndexRow], draws: dict,
                      constructs: list[str], policy: Multiplicity, *, kind: str, m: int,
                      micom: dict | None = None, method: str = "bonferroni",
                      test: str = "percentile") -> list[Difference]:
    """``draws``: group key → {construct: (B,) draws of its index}. ``m``: the family
    size (the number of pairs compared for one construct); ``method``: Bonferroni over
    ``m``, or Holm over the pairs given (changes since the previous wave); ``test``:
    percentile intervals of the draws of the difference, or ``"z"``: the difference over
    the standard deviation of those draws (no tail draws needed)."""
    from .results import group_key

    table = {(group_key(r.group), r.construct): r for r in indices}
    out = []
    for c in constructs:
        found = [(a, b) for a, b in pairs_ if (group_key(a), c) in table
                 and (group_key(b), c) in table]
        if not found:
            continue
        va = np.array([table[group_key(a), c].index for a, _ in found])
        vb = np.array([table[group_key(b), c].index for _, b in found])
        d = np.column_stack([draws[group_key(a)][c] - draws[group_key(b)][c]
                             for a, b in found]) if draws else np.full((0, len(found)), np.nan)
        if test == "z":
            with np.errstate(invalid="ignore"):  # fewer than two draws: no standard error
                se = np.nanstd(d, axis=0, ddof=1) if len(d) > 1 else np.full(len(found),
                                                                             np.nan)
            stats = normal_contrast(va - vb, se, alpha=policy.alpha, m=m, method=method)
        else:
            stats = bootstrap_contrast(va - vb, d, alpha=policy.alpha, m=m, method=method)
        for k, (a, b) in enumerate(found):
            status = (micom or {}).get((group_key(a), group_key(b), c))
            out.append(Difference(quantity="index", name=c, kind=kind, group_a=a, group_b=b,
                                  value_a=float(va[k]), value_b=float(vb[k]),
                                  difference=float(va[k] - vb[k]), m=m, method=method,
                                  test=test,
                                  warranted=None if status is None else status != "none",
                                  micom=status, **_rows(stats, k)))
    return out


def score_differences(pairs_: list[tuple[Group, Group]], scores: list[ScoreRow],
                      policy: Multiplicity, *, kind: str, m: int, method: str = "bonferroni"
                      ) -> list[Difference]:
    from .results import group_key

    table = {(r.measure, r.item, group_key(r.group)): r for r in scores}
    out = []
    for measure, item in dict.fromkeys((r.measure, r.item) for r in scores):
        found = [(table.get((measure, item, group_key(a))), table.get((measure, item,
                                                                         group_key(b))))
                 for a, b in pairs_]
        found = [(ra, rb) for ra, rb in found if ra and rb and ra.value is not None
                 and rb.value is not None]
        if not found:
            continue
        va = np.array([ra.value for ra, _ in found])
        vb = np.array([rb.value for _, rb in found])
        se = np.array([np.hypot(ra.se or np.nan, rb.se or np.nan) for ra, rb in found])
        stats = normal_contrast(va - vb, se, alpha=policy.alpha, m=m, method=method)
        for k, (ra, rb) in enumerate(found):
            out.append(Difference(quantity=measure, name=item, kind=kind, group_a=ra.group,
                                  group_b=rb.group, value_a=float(va[k]), value_b=float(vb[k]),
                                  difference=float(va[k] - vb[k]), m=m, method=method,
                                  test="z", **_rows(stats, k)))
    return out
