"""The result's estimate tables, their bootstrap inference and the estimate-level
diagnostics, from a fitted :class:`~.stats.BatchStats`: shared by :func:`crmsurvey.pls`
(one process) and :func:`crmsurvey.pls.partitioned.pls_partitioned` (a cluster), so both
assemble the same tables from the same statistics.

Tables use lavaan's column names (``lhs op rhs est se ...``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic
from .bootstrap import Draws, intervals
from .extract import effect_pairs, extract_stats, path_pairs
from .layout import Layout
from .stats import BatchStats

__all__ = ["measurement_ops", "estimate_tables", "interval_bounds", "add_inference",
           "estimate_diagnostics", "collinear_diagnostics"]


def measurement_ops(lay: Layout) -> list[str]:
    """lavaan's operator of each item's measurement row: ``<~`` (mode B) or ``=~``."""
    return ["<~" if lay.mode_b[b] else "=~" for b in lay.block]


def estimate_tables(full: BatchStats, lay: Layout, n: int) -> dict[str, pd.DataFrame]:
    """Point-estimate tables of the full sample (``full``: a batch of one) of ``n`` rows:
    ``paths``, ``loadings``, ``weights``, ``total`` (direct, indirect and total effects),
    ``index``, ``r2`` (with adjusted R²) and ``htmt``."""
    names = lay.constructs
    est = {k: v[0] for k, v in extract_stats(full, lay).items()}
    paths = path_pairs(lay)
    effects = effect_pairs(lay)
    direct = full.beta[0]
    ops = measurement_ops(lay)
    out = {
        "paths": pd.DataFrame({"lhs": [names[j] for _, j in paths], "op": "~",
                               "rhs": [names[i] for i, _ in paths], "est": est["paths"]}),
        "loadings": pd.DataFrame({"lhs": [names[b] for b in lay.block], "op": ops,
                                  "rhs": list(lay.items), "est": est["loadings"]}),
        "weights": pd.DataFrame({"lhs": [names[b] for b in lay.block], "op": ops,
                                 "rhs": list(lay.items), "est": est["weights"]}),
        "total": pd.DataFrame({"lhs": [names[j] for _, j in effects], "op": "~",
                               "rhs": [names[i] for i, _ in effects],
                               "direct": [direct[i, j] for i, j in effects],
                               "indirect": [est["total"][n] - direct[i, j]
                                            for n, (i, j) in enumerate(effects)],
                               "total": est["total"]}),
        "index": pd.DataFrame({"construct": list(names), "index": est["index"]}),
    }
    endo = lay.endogenous
    n_pred = np.array([len(lay.predecessors(j)) for j in endo])
    out["r2"] = pd.DataFrame({"construct": [names[j] for j in endo], "r2": est["r2"],
                              "r2_adj": 1 - (1 - est["r2"]) * (n - 1) / (n - n_pred - 1),
                              "predictors": n_pred})
    iu = np.triu_indices(lay.k, 1)
    out["htmt"] = pd.DataFrame({"lhs": [names[i] for i in iu[0]], "op": "htmt",
                                "rhs": [names[j] for j in iu[1]], "est": est["htmt"]})
    return out


def interval_bounds(est: np.ndarray, draws: np.ndarray, jack: np.ndarray | None = None, *,
                    ci: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~.bootstrap.intervals` with the jackknife third (the form
    :func:`~.mediation.indirect_table` and the moderation slopes call)."""
    return intervals(est, draws, ci=ci, method=method, jack=jack)


def add_inference(tables: dict[str, pd.DataFrame], full: BatchStats, lay: Layout,
                  draws: Draws, jack: dict[str, np.ndarray] | None, *, ci: float,
                  method: str, df: int) -> None:
    """Add ``se``, ``t``, ``pvalue`` (t with ``df`` degrees of freedom; not for the
    index and HTMT), ``ci_lower``, ``ci_upper`` and ``boot_mean`` to ``tables`` in place,
    from the bootstrap ``draws`` (and the jackknife ``jack`` for BCa)."""
    from scipy import stats as sps  # imported by a bootstrap only, not by every fit

    est = {k: v[0] for k, v in extract_stats(full, lay).items()}
    # every statistic's draws side by side (each fills the table of its name): one pass
    # for the SDs, means and bounds
    keys = ["paths", "loadings", "weights", "total", "index", "htmt"]
    cut = np.cumsum([0] + [draws.values[k].shape[1] for k in keys])
    d = np.concatenate([draws.values[k] for k in keys], axis=1)
    e = np.concatenate([est[k] for k in keys])
    se, mean = _sd_and_mean(d)
    se[se < 1e-12] = np.nan  # fixed by construction (a single item's loading of 1)
    lo, hi = intervals(e, d, ci=ci, method=method, jack=None if jack is None else
                       np.concatenate([jack[k] for k in keys], axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_all = e / se
    p_all = 2 * sps.t.sf(np.abs(t_all), df)
    for key, a, b in zip(keys, cut[:-1], cut[1:]):
        new = {"se": se[a:b]}
        if key not in ("index", "htmt"):
            new["t"], new["pvalue"] = t_all[a:b], p_all[a:b]
        new.update(ci_lower=lo[a:b], ci_upper=hi[a:b], boot_mean=mean[a:b])
        t = tables[key].drop(columns=[c for c in new if c in tables[key]])
        tables[key] = pd.concat([t, pd.DataFrame(new, index=t.index)], axis=1)


def _sd_and_mean(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap SD (n − 1) and mean of each column of the draws, failed resamples (NaN
    rows) left out."""
    if np.isfinite(d).all():
        return d.std(axis=0, ddof=1), d.mean(axis=0)
    return np.nanstd(d, axis=0, ddof=1), np.nanmean(d, axis=0)


def estimate_diagnostics(full: BatchStats, lay: Layout, prep) -> list[Diagnostic]:
    """Negative outer weights, index bounds taken from the data and fewer respondents
    than items (``prep``: the prepared data, or anything with ``x`` and
    ``bounds_observed``). Convergence and loadings beyond ±1: :mod:`.verify`."""
    out = []
    w = full.weights[0]
    for i in np.flatnonzero(w < 0):
        c = lay.constructs[lay.block[i]]
        out.append(Diagnostic("negative_weight", f"item {lay.items[i]!r} has a negative outer "
                              f"weight ({w[i]:.3f}) in {c!r}: the 0–100 index of {c!r} is not "
                              "valid", concerns=(lay.items[i], c),
                              params={"item": lay.items[i], "construct": c, "weight": w[i]}))
    if prep.bounds_observed:
        out.append(Diagnostic("index_bounds", "no response-scale bounds given (scale=...): the "
                              "0–100 indices use the observed minimum and maximum of each item "
                              "and so depend on this sample", params={}))
    if len(prep.x) < lay.p:
        out.append(Diagnostic("small_sample", f"{len(prep.x)} respondents for {lay.p} items: "
                              "fewer respondents than items, so estimates and intervals are "
                              "unstable", concerns=(str(len(prep.x)), str(lay.p)),
                              params={"n": len(prep.x), "items": lay.p}))
    return out


def collinear_diagnostics(item_vif: np.ndarray, lay: Layout) -> list[Diagnostic]:
    """One ``collinearity`` diagnostic per block with perfectly collinear items (infinite
    VIF)."""
    out = []
    for j in range(lay.k):
        idx = [i for i in lay.items_of(j) if np.isinf(item_vif[i])]
        if idx:
            names = ", ".join(repr(lay.items[i]) for i in idx)
            out.append(Diagnostic("collinearity", f"items {names} of {lay.constructs[j]!r} are "
                                  "perfectly collinear (VIF infinite): one is a copy or a "
                                  "linear combination of the others; drop it",
                                  concerns=tuple(lay.items[i] for i in idx),
                                  params={"items": [lay.items[i] for i in idx],
                                          "construct": lay.constructs[j]}))
    return out
