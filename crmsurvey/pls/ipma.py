"""Importance–performance maps (IPMA) and the 0–100 construct scores behind them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .index import rescale, unstandardised_weights
from .layout import Layout

__all__ = ["index_scores", "ipma", "ipma_items"]


def index_scores(prep, w: np.ndarray, lay: Layout) -> pd.DataFrame:
    sd = np.sqrt(np.cov(prep.x, rowvar=False, aweights=prep.weights).diagonal())
    wt = unstandardised_weights(w[None], sd[None], lay)[0]
    return pd.DataFrame(rescale(prep.x, prep.bounds) @ (lay.mask * wt[:, None]),
                        index=prep.index, columns=list(lay.constructs))


def ipma(target: str, prep, w: np.ndarray, lay: Layout) -> pd.DataFrame:
    """Unstandardised path model on the 0–100 index scores: OLS per outcome, then total
    effects on ``target``; performance is each score's (weighted) mean."""
    t = _target(target, lay)
    scores = index_scores(prep, w, lay).to_numpy()
    ucov = np.cov(scores, rowvar=False, aweights=prep.weights, bias=True)
    beta = np.zeros((lay.k, lay.k))
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        beta[pred, j] = np.linalg.solve(ucov[np.ix_(pred, pred)], ucov[pred, j])
    total = np.linalg.inv(np.eye(lay.k) - beta) - np.eye(lay.k)
    mean = prep.weights @ scores / prep.weights.sum()
    drivers = [i for i in range(lay.k) if total[i, t] != 0]
    return pd.DataFrame({"construct": [lay.constructs[i] for i in drivers],
                         "importance": total[drivers, t], "performance": mean[drivers]})


def _target(target: str, lay: Layout) -> int:
    if target not in lay.constructs:
        raise InputError(f"unknown target construct {target!r}; constructs are "
                         f"{', '.join(lay.constructs)}")
    return lay.constructs.index(target)


def ipma_items(target: str, prep, w: np.ndarray, lay: Layout) -> pd.DataFrame:
    """Indicator IPMA: a construct's importance shared out by its items' normalised
    unstandardised weights; performance is each item's mean on 0–100."""
    _target(target, lay)
    con = ipma(target, prep, w, lay).set_index("construct")
    sd = np.sqrt(np.cov(prep.x, rowvar=False, aweights=prep.weights).diagonal())
    wt = unstandardised_weights(w[None], sd[None], lay)[0]
    mean = prep.weights @ rescale(prep.x, prep.bounds) / prep.weights.sum()
    rows = [i for i in range(lay.p) if lay.constructs[lay.block[i]] in con.index]
    owner = [lay.constructs[lay.block[i]] for i in rows]
    return pd.DataFrame({"construct": owner, "item": [lay.items[i] for i in rows],
                         "importance": con.importance.reindex(owner).to_numpy() * wt[rows],
                         "performance": mean[rows]})
