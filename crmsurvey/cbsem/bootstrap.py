"""Nonparametric bootstrap of a CB-SEM fit, all resamples refitted together.

Resample covariance matrices come from the shared moment machinery
(:mod:`crmsurvey.moments`, fixed seed blocks: same seed, same numbers whatever the chunk
size); each is refitted by batched Fisher scoring from the full-sample solution (a warm
start). Failed resamples are counted and left out; inadmissible ones (a negative
variance) are counted and kept, as lavaan keeps them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..moments import BLOCK, PairProducts, resample_counts
from .scoring import score_fit
from .structure import PSI, THETA, Structure

__all__ = ["bootstrap_draws", "bootstrap_table"]


def bootstrap_draws(st: Structure, x: np.ndarray, w: np.ndarray | None, theta: np.ndarray, *,
                    estimator: str, n_boot: int, seed: int, chunk: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameter draws (n_boot, q) with NaN rows for failures, and the failed and
    inadmissible masks."""
    n = len(x)
    base_w = np.ones(n) if w is None else w
    pp = PairProducts(x)
    chunk = max(BLOCK, chunk // BLOCK * BLOCK)
    n_blocks = -(-n_boot // BLOCK)
    variances = np.flatnonzero(np.isin(st.matrix, (PSI, THETA)) & (st.row == st.col))
    draws, failed, inadmissible = [], [], []
    for start in range(0, n_blocks, chunk // BLOCK):
        blocks = range(start, min(n_blocks, start + chunk // BLOCK))
        freq = resample_counts(n, seed, blocks)
        freq = freq[:min(n_boot - start * BLOCK, len(freq))] * base_w
        s = pp.moments(freq).cov
        fit = score_fit(st, s, np.broadcast_to(theta, (len(s), st.q)).copy(),
                        estimator=estimator)
        bad = ~fit.converged | ~np.isfinite(fit.theta).all(axis=1)
        th = np.where(bad[:, None], np.nan, fit.theta)
        draws.append(th)
        failed.append(bad)
        inadmissible.append(~bad & (th[:, variances] < 0).any(axis=1))
    return np.concatenate(draws), np.concatenate(failed), np.concatenate(inadmissible)


def bootstrap_table(st: Structure, x, w, theta, est: pd.DataFrame, *, estimator: str,
                    n_boot: int, seed: int, ci: float, chunk: int
                    ) -> tuple[pd.DataFrame, int, int]:
    """The estimates table with bootstrap standard errors and percentile intervals."""
    draws, failed, inadmissible = bootstrap_draws(st, x, w, theta, estimator=estimator,
                                                  n_boot=n_boot, seed=seed, chunk=chunk)
    col = {name: k for k, name in enumerate(st.names)}
    out = est.copy()
    rows = out.index[out.free]
    ks = [col[label] for label in out.loc[rows, "label"]]
    alpha = (1 - ci) / 2
    with np.errstate(invalid="ignore"):
        se = np.nanstd(draws[:, ks], axis=0, ddof=1)
        lo, hi = np.nanquantile(draws[:, ks], [alpha, 1 - alpha], axis=0)
    out.loc[rows, "se"] = se
    out.loc[rows, "z"] = out.loc[rows, "est"] / se
    from scipy import stats as sps

    out.loc[rows, "pvalue"] = 2 * sps.norm.sf(np.abs(out.loc[rows, "z"].to_numpy(float)))
    out.loc[rows, "ci_lower"] = lo
    out.loc[rows, "ci_upper"] = hi
    return out, int(failed.sum()), int(inadmissible.sum())
