"""Mediation: every specific indirect effect of one construct on a later one, through any
chain of mediators (serial chains of any length), and the total indirect effect — point
estimates from the path coefficients, inference from the same bootstrap resamples as
every other interval (Nitzl, Roldán & Cepeda 2016).

A specific indirect effect is the product of the path coefficients along one directed
path of the structural model with at least one mediator; the total indirect effect of X
on Y is the sum over all of them (= total − direct effect).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .extract import path_pairs
from .layout import Layout

__all__ = ["chains", "indirect_table"]


def chains(lay: Layout) -> list[tuple[int, ...]]:
    """Every directed path with at least one mediator, as construct indices from the
    source to the target, in a fixed order (by source, target, then length).

    Examples
    --------
    >>> from crmsurvey.model import parse_model
    >>> from crmsurvey.pls.layout import layout_of
    >>> lay = layout_of(parse_model("A =~ a1\\nB =~ b1\\nC =~ c1\\nD =~ d1\\n"
    ...                             "B ~ A\\nC ~ A + B\\nD ~ C + B"))
    >>> [tuple(lay.constructs[i] for i in c) for c in chains(lay)]
    [('A', 'B', 'C'), ('A', 'B', 'D'), ('A', 'C', 'D'), ('A', 'B', 'C', 'D'), ('B', 'C', 'D')]
    """
    found: list[tuple[int, ...]] = []

    def walk(path: tuple[int, ...]) -> None:
        for nxt in np.flatnonzero(lay.adj[path[-1]]):
            longer = path + (int(nxt),)
            if len(longer) > 2:
                found.append(longer)
            walk(longer)

    for source in range(lay.k):
        walk((source,))
    return sorted(found, key=lambda c: (c[0], c[-1], len(c), c))


def _products(paths: np.ndarray, cols: list[list[int]]) -> np.ndarray:
    """(B, n_chains) products of the path columns of each chain: the chains of one length
    gathered and multiplied together."""
    by_path = np.ascontiguousarray(paths.T)  # (paths, B): a chain's factors are rows
    out = np.empty((len(cols), len(paths)))
    for size in sorted({len(c) for c in cols}):
        which = [k for k, c in enumerate(cols) if len(c) == size]
        idx = np.array([cols[k] for k in which])  # (chains, size)
        prod = by_path[idx[:, 0]]
        for step in range(1, size):  # left to right, as np.prod
            prod *= by_path[idx[:, step]]
        out[which] = prod
    return out.T


def indirect_table(lay: Layout, est_paths: np.ndarray, draws: np.ndarray | None, *,
                   intervals=None, jack: np.ndarray | None = None) -> pd.DataFrame:
    """``from, through, to, est`` for every specific indirect effect and, per pair with
    one, the total indirect effect (``through`` = ``"total"``); with bootstrap ``draws``
    of the path coefficients (B, paths) also ``se, ci_lower, ci_upper, pvalue`` (the
    percentile bootstrap p-value, ``2·min(P(d ≤ 0), P(d > 0))`` as seminr, but never below
    ``1/B`` for B usable resamples: no draw crossing 0 says p < 1/B, not p = 0).
    ``intervals(est, draws, jack)`` gives the interval bounds (the result's method)."""
    column = {pair: k for k, pair in enumerate(path_pairs(lay))}
    specific = chains(lay)
    cols = [[column[c[s], c[s + 1]] for s in range(len(c) - 1)] for c in specific]
    pairs = list(dict.fromkeys((c[0], c[-1]) for c in specific))
    by_pair = {p: [k for k, c in enumerate(specific) if (c[0], c[-1]) == p] for p in pairs}

    def values(paths: np.ndarray) -> np.ndarray:
        each = _products(paths, cols)
        totals = [each[:, by_pair[p]].sum(axis=1) for p in pairs]
        return np.column_stack([each] + totals) if totals else each

    names = lay.constructs
    est = values(est_paths[None])[0]
    table = pd.DataFrame({
        "from": [names[c[0]] for c in specific] + [names[a] for a, _ in pairs],
        "through": [" -> ".join(names[i] for i in c[1:-1]) for c in specific]
        + ["total"] * len(pairs),
        "to": [names[c[-1]] for c in specific] + [names[b] for _, b in pairs],
        "est": est})
    if draws is None:
        return table
    if not specific:  # no mediator anywhere in the model
        return table.assign(se=[], ci_lower=[], ci_upper=[], pvalue=[])
    d = values(draws)
    ok = np.isfinite(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        if ok.all():  # no failed resample: the plain column statistics
            se = d.std(axis=0, ddof=1)
            usable = np.full(d.shape[1], len(d))
        else:
            se = np.nanstd(d, axis=0, ddof=1)
            usable = ok.sum(axis=0)
        low = np.sum((d <= 0) & ok, axis=0) / usable
    table["se"] = se
    table["ci_lower"], table["ci_upper"] = intervals(
        est, d, None if jack is None else values(jack))
    with np.errstate(divide="ignore"):
        table["pvalue"] = np.where(usable > 0, np.maximum(2 * np.minimum(low, 1 - low),
                                                          1.0 / usable), np.nan)
    return table
