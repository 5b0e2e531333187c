"""Batched bootstrap and jackknife of a PLS model.

Resamples are row-frequency vectors; their moments come from two matrix products and the
PLS algorithm runs on all of them at once (see :mod:`.algorithm`). Resamples are drawn
in fixed blocks (:func:`crmsurvey.moments.resample_counts`), so the numbers do not depend
on the chunk size. Chunks bound the memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
from scipy import stats as sps

from .layout import Layout
from ..moments import BLOCK, PairProducts, resample_counts
from .stats import BatchStats, Options, batch_statistics

__all__ = ["Draws", "run_bootstrap", "jackknife", "intervals"]


@dataclass(frozen=True, eq=False)
class Draws:
    """Bootstrap draws of each statistic, (B, m), NaN rows for failed resamples."""

    values: dict[str, np.ndarray]
    failed: np.ndarray  # (B,) bool: did not converge or gave non-finite estimates
    not_converged: int
    sign_flips: int
    seed: int


def _sign_change(full: BatchStats, boot: BatchStats, lay: Layout) -> np.ndarray:
    """Tenenhaus et al. (2005) construct-level sign change: flip construct j of a
    resample when its loadings are closer to the negated original loadings."""
    l0 = (full.loadings[0] * lay.mask)[None]
    lb = boot.loadings * lay.mask
    diff = np.abs((l0 - lb).sum(axis=1))
    summ = np.abs((l0 + lb).sum(axis=1))
    return np.where(diff > summ, -1.0, 1.0)


def run_bootstrap(pp: PairProducts, base_w: np.ndarray, lay: Layout, opts: Options,
                  full: BatchStats, extract: Callable[[BatchStats], dict[str, np.ndarray]], *,
                  n_boot: int, seed: int, chunk: int,
                  sign_change: Literal["none", "construct"] = "construct",
                  progress: Callable[[int], None] | None = None) -> Draws:
    """Draw ``n_boot`` resamples and return every statistic ``extract`` pulls out."""
    n = len(base_w)
    chunk = max(BLOCK, chunk // BLOCK * BLOCK)
    n_blocks = -(-n_boot // BLOCK)
    parts: dict[str, list[np.ndarray]] = {}
    failed, not_conv, flips = [], 0, 0
    expected = {k: np.isfinite(v[0]) for k, v in extract(full).items()}
    for start in range(0, n_blocks, chunk // BLOCK):
        blocks = range(start, min(n_blocks, start + chunk // BLOCK))
        freq = resample_counts(n, seed, blocks)
        stop = min(n_boot - start * BLOCK, len(freq))
        freq = freq[:stop] * base_w
        m = pp.moments(freq)
        boot = batch_statistics(m, lay, opts)
        if sign_change == "construct":
            sign = _sign_change(full, boot, lay)
            if (sign < 0).any():
                flips += int((sign < 0).sum())
                boot = boot.flip(sign, lay, opts, m)
        vals = extract(boot)
        bad = ~boot.converged
        for k, v in vals.items():
            bad |= ~np.isfinite(v[:, expected[k]]).all(axis=1)
        not_conv += int((~boot.converged).sum())
        for k, v in vals.items():
            v = v.copy()
            v[bad] = np.nan
            parts.setdefault(k, []).append(v)
        failed.append(bad)
        if progress:
            progress(len(freq))
    return Draws({k: np.concatenate(v) for k, v in parts.items()}, np.concatenate(failed),
                 not_conv, flips, seed)


def jackknife(pp: PairProducts, base_w: np.ndarray, lay: Layout, opts: Options,
              extract: Callable[[BatchStats], dict[str, np.ndarray]], *, chunk: int
              ) -> dict[str, np.ndarray]:
    """Leave-one-out estimates (n, m) of every statistic, for BCa's acceleration."""
    n = len(base_w)
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, n, chunk):
        rows = np.arange(start, min(n, start + chunk))
        freq = np.broadcast_to(base_w, (len(rows), n)).copy()
        freq[np.arange(len(rows)), rows] = 0.0
        for k, v in extract(batch_statistics(pp.moments(freq), lay, opts)).items():
            parts.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in parts.items()}


def intervals(est: np.ndarray, draws: np.ndarray, *, ci: float, method: str,
              jack: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or BCa interval bounds for each column of ``draws`` (B, m)."""
    alpha = (1 - ci) / 2
    if method == "percentile":
        lo, hi = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
        return lo, hi
    ok = np.isfinite(draws)
    below = np.sum((draws < est) & ok, axis=0) + 0.5 * np.sum((draws == est) & ok, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = sps.norm.ppf(below / ok.sum(axis=0))
        dev = np.nanmean(jack, axis=0) - jack
        acc = (dev**3).sum(axis=0) / (6 * ((dev**2).sum(axis=0)) ** 1.5)
    acc = np.nan_to_num(acc)
    bounds = []
    for z in sps.norm.ppf([alpha, 1 - alpha]):
        adj = sps.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))
        cols = [np.nanquantile(draws[:, i], adj[i]) if np.isfinite(adj[i]) else np.nan
                for i in range(draws.shape[1])]
        bounds.append(np.array(cols))
    return bounds[0], bounds[1]
