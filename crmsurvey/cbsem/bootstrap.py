"""Nonparametric bootstrap of a CB-SEM fit, all resamples refitted together.

Resample covariance matrices come from the shared moment machinery
(:mod:`crmsurvey.moments`, fixed seed blocks: same seed, same numbers whatever the chunk
size); each is refitted by batched Fisher scoring from the full-sample solution (a warm
start), stepping with the full-sample information (one inverse for every resample) until
a resample is close, then with its own. Failed resamples are counted and left out; inadmissible ones (a negative
variance) are counted and kept, as lavaan keeps them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..moments import PairProducts, chunk_blocks, resample_moments
from ..resampling import Multinomial
from .scoring import score_fit
from .structure import PSI, THETA, Structure

__all__ = ["CBChunk", "cbsem_chunk", "bootstrap_draws", "bootstrap_table",
           "bootstrap_columns"]


@dataclass(frozen=True, eq=False)
class CBChunk:
    """One work unit: the resamples of ``blocks`` refitted from ``theta``."""

    st: Structure
    x: np.ndarray
    base_w: np.ndarray
    theta: np.ndarray
    estimator: str
    seed: int
    blocks: range
    stop: int


def cbsem_chunk(task: CBChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws (B, q) with NaN rows for failures, and the failed and inadmissible masks."""
    from .._threads import blas_threads

    st = task.st
    with blas_threads(1):  # small matrices: one BLAS thread, parallel chunks instead
        # the multinomial draws of resample_counts, accumulated over row chunks
        s = resample_moments(PairProducts(task.x), Multinomial(len(task.x), task.seed),
                             task.base_w, task.blocks, task.stop).cov
        fit = score_fit(st, s, np.broadcast_to(task.theta, (len(s), st.q)).copy(),
                        estimator=task.estimator, shared=20)
    variances = np.flatnonzero(np.isin(st.matrix, (PSI, THETA)) & (st.row == st.col))
    bad = ~fit.converged | ~np.isfinite(fit.theta).all(axis=1)
    th = np.where(bad[:, None], np.nan, fit.theta)
    return th, bad, ~bad & (th[:, variances] < 0).any(axis=1)


def bootstrap_draws(st: Structure, x: np.ndarray, w: np.ndarray | None, theta: np.ndarray, *,
                    estimator: str, n_boot: int, seed: int, chunk: int, engine=None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameter draws (n_boot, q) with NaN rows for failures, and the failed and
    inadmissible masks; chunks run on ``engine`` (see :mod:`crmsurvey.engine`)."""
    from ..engine import run_units

    base_w = np.ones(len(x)) if w is None else w
    tasks = [CBChunk(st, x, base_w, theta, estimator, seed, blocks, stop)
             for blocks, stop in chunk_blocks(n_boot, chunk)]
    results = run_units(cbsem_chunk, tasks, engine)
    return tuple(np.concatenate([r[k] for r in results]) for k in range(3))


def bootstrap_table(st: Structure, x, w, theta, est: pd.DataFrame, *, estimator: str,
                    n_boot: int, seed: int, ci: float, chunk: int, engine=None
                    ) -> tuple[pd.DataFrame, int, int, np.ndarray, pd.DataFrame]:
    """The estimates table with bootstrap standard errors and percentile intervals, the
    failure counts, the draws (B, q) and their labelled frame."""
    draws, failed, inadmissible = bootstrap_draws(st, x, w, theta, estimator=estimator,
                                                  n_boot=n_boot, seed=seed, chunk=chunk,
                                                  engine=engine)
    out, table = bootstrap_columns(est, draws, st.names, ci)
    return out, int(failed.sum()), int(inadmissible.sum()), draws, table


def bootstrap_columns(est: pd.DataFrame, draws: np.ndarray, names, ci: float
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``est`` with bootstrap ``se``, ``z``, ``pvalue`` and percentile interval on the free
    rows whose ``label`` is one of ``names`` (the columns of ``draws``; failed resamples are
    NaN rows and left out), and the draws of those rows as a frame (one column per row,
    named ``lhs op rhs`` without spaces, as lavaan's ``bootstrapLavaan``)."""
    col = {name: k for k, name in enumerate(names)}
    out = est.copy()
    rows = out.index[out.free & out.label.isin(list(col))]  # not intercepts (~1)
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
    named = out.loc[rows]
    return out, pd.DataFrame(draws[:, ks], columns=(named.lhs + named.op + named.rhs).tolist())
