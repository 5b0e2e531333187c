"""Batched bootstrap and jackknife of a PLS model.

Resamples are row-frequency vectors from a resampling scheme
(:mod:`crmsurvey.resampling`: multinomial or Poisson); their moments are accumulated
over row chunks (:mod:`crmsurvey.moments`) and the PLS algorithm runs on all resamples of
a chunk at once (see :mod:`.algorithm`), with one BLAS thread. Resamples are drawn in
fixed blocks and a chunk of blocks is a work unit (:class:`BootChunk`) that any engine
can run, so the numbers depend neither on the chunk size nor on where the chunks run.
Freed arrays stay on the process's heap for the next chunk (:mod:`crmsurvey._heap`).
Memory is the data plus a working set bounded by the chunk and the model: one resample
block's frequencies are formed a row chunk at a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from .._heap import keep_heap
from .._threads import blas_threads
from ..diagnostics import Diagnostic
from ..moments import LeaveOneOut, chunk_blocks, resample_moments
from ..resampling import Resampling, scheme_for
from .extract import extract_stats
from .layout import Layout
from .stats import BatchStats, Options, batch_statistics, construct_signs

__all__ = ["Draws", "BootChunk", "bootstrap_chunk", "run_bootstrap", "jackknife",
           "intervals", "resample_moments"]


@dataclass(frozen=True, eq=False)
class Draws:
    """Bootstrap draws of each statistic, (B, m), NaN rows for failed resamples."""

    values: dict[str, np.ndarray]
    failed: np.ndarray  # (B,) bool: did not converge or gave non-finite estimates
    not_converged: int
    sign_flips: int
    seed: int
    resampling: str = "multinomial"  # the scheme's kind

    def diagnostics(self) -> list[Diagnostic]:
        """A ``bootstrap_failures`` diagnostic when any resample failed."""
        n_failed = int(self.failed.sum())
        if not n_failed:
            return []
        # the causes that occurred, each with its count (no "rest" when there is none)
        total, stalled = len(self.failed), min(self.not_converged, n_failed)
        causes = [f"{k} {what}" for k, what in ((stalled, "did not converge"),
                                                 (n_failed - stalled,
                                                  "gave non-finite estimates")) if k]
        return [Diagnostic(
            "bootstrap_failures", f"{n_failed} of {total} bootstrap resamples failed "
            f"({' and '.join(causes)}); intervals use the others",
            params={"failed": n_failed, "total": total})]


@dataclass(frozen=True, eq=False)
class BootChunk:
    """One work unit: the resamples of ``blocks`` (picklable, self-contained)."""

    source: object  # Plain or Staged: moments of any row frequencies
    base_w: np.ndarray
    lay: Layout
    opts: Options
    full_loadings: np.ndarray  # (p, K) for the sign change
    expected: dict  # statistic → mask of entries finite in the full sample
    scheme: Resampling  # row frequencies of the resamples
    blocks: range
    stop: int  # resamples of this chunk to keep (the last chunk may be partial)
    sign_change: str


def bootstrap_chunk(task: BootChunk) -> dict:
    """Fit every resample of the chunk; return its statistics and failure counts."""
    keep_heap()  # the chunk's arrays are freed and allocated again by the next chunk
    with blas_threads(1):
        return _chunk(task)


def _chunk(task: BootChunk) -> dict:
    m = resample_moments(task.source, task.scheme, task.base_w, task.blocks, task.stop)
    boot = batch_statistics(m, task.lay, task.opts)
    flips = 0
    if task.sign_change == "construct":
        sign = construct_signs(task.full_loadings, boot.loadings, task.lay)
        if (sign < 0).any():
            flips = int((sign < 0).sum())
            boot = boot.flip(sign, task.lay, task.opts, m)
    vals = extract_stats(boot, task.lay)
    bad = ~boot.converged
    for k, v in vals.items():
        bad |= ~np.isfinite(v[:, task.expected[k]]).all(axis=1)
    for v in vals.values():
        v[bad] = np.nan
    return {"values": vals, "failed": bad, "not_converged": int((~boot.converged).sum()),
            "flips": flips}


def run_bootstrap(source, base_w: np.ndarray, lay: Layout, opts: Options,
                  full: BatchStats, *, n_boot: int, seed: int, chunk: int,
                  sign_change: Literal["none", "construct"] = "construct",
                  resampling: str | Resampling = "multinomial",
                  progress: Callable[[int], None] | None = None, engine=None) -> Draws:
    """Draw ``n_boot`` resamples in chunks, run the chunks on ``engine`` (default: here)
    and put the draws back together in resample order.

    ``resampling`` is a scheme name (``"multinomial"``, ``"poisson"``, ``"auto"``; see
    :func:`crmsurvey.resampling.scheme_for`) or a scheme. ``progress`` is called with
    the resamples of each chunk as it finishes."""
    from ..engine import get_engine

    scheme = (scheme_for(resampling, len(base_w), seed) if isinstance(resampling, str)
              else resampling)
    expected = {k: np.isfinite(v[0]) for k, v in extract_stats(full, lay).items()}
    tasks = [BootChunk(source, base_w, lay, opts, full.loadings[0], expected, scheme, blocks,
                       stop, sign_change) for blocks, stop in chunk_blocks(n_boot, chunk)]
    eng = get_engine(engine)
    done = None if progress is None else (lambda i: progress(tasks[i].stop))
    try:
        results = eng.map(bootstrap_chunk, tasks, done=done)
    finally:
        if eng is not engine:
            eng.close()
    values = {k: np.concatenate([r["values"][k] for r in results]) for k in expected}
    return Draws(values, np.concatenate([r["failed"] for r in results]),
                 sum(r["not_converged"] for r in results), sum(r["flips"] for r in results),
                 seed, scheme.kind)


def jackknife(source, base_w: np.ndarray, lay: Layout, opts: Options, *,
              chunk: int) -> dict[str, np.ndarray]:
    """Leave-one-out estimates (n, m) of every statistic, for BCa's acceleration.

    The left-out samples' frequencies are formed a row chunk at a time
    (:class:`~crmsurvey.moments.LeaveOneOut`), ``chunk`` samples together."""
    n = len(base_w)
    parts: dict[str, list[np.ndarray]] = {}
    keep_heap()
    with blas_threads(1):
        for start in range(0, n, chunk):
            m = source.moments(LeaveOneOut(base_w, range(start, min(n, start + chunk))))
            for k, v in extract_stats(batch_statistics(m, lay, opts), lay).items():
                parts.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in parts.items()}


def intervals(est: np.ndarray, draws: np.ndarray, *, ci: float, method: str,
              jack: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or BCa interval bounds for each column of ``draws`` (B, m)."""
    alpha = (1 - ci) / 2
    if method == "percentile":
        # numpy's nanquantile goes column by column: columns without NaN (failed
        # resamples) take the quantiles of complete columns, all at once
        probs = [alpha, 1 - alpha]
        whole = np.isfinite(draws).all(axis=0)
        if whole.all():
            out = _quantiles(draws, probs)
        else:
            out = np.empty((2, draws.shape[1]))
            out[:, whole] = _quantiles(draws[:, whole], probs)
            out[:, ~whole] = np.nanquantile(draws[:, ~whole], probs, axis=0)
        return out[0], out[1]
    from scipy import stats as sps  # BCa only: a fit without it does not import SciPy

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


def _quantiles(draws: np.ndarray, probs: list[float]) -> np.ndarray:
    """``np.quantile(draws, probs, axis=0)`` (linear interpolation, Hyndman & Fan's type 7)
    of complete columns, the same numbers: each column's draws made contiguous and
    partitioned once around the order statistics the quantiles need."""
    b, m = draws.shape
    if b == 0 or m == 0:
        return np.full((len(probs), m), np.nan)
    x = np.array(draws.T, order="C")  # (m, B) copy: each column's draws contiguous
    at = [(b - 1) * q for q in probs]  # numpy's virtual index for type 7
    low = [min(int(np.floor(v)), b - 1) for v in at]
    # each quantile needs the order statistics lo and lo + 1; partitioning at the last of
    # each such pair suffices: lo is then the largest value left of lo + 1
    anchors = sorted({min(lo + 1, b - 1) for lo in low})
    x.partition(anchors, axis=1)
    order: dict[int, np.ndarray] = {k: x[:, k] for k in anchors}
    for lo in low:
        if lo not in order:
            order[lo] = x[:, :lo + 1].max(axis=1)
    out = np.empty((len(probs), m))
    for row, (v, lo) in enumerate(zip(at, low)):
        a, c = order[lo], order[min(lo + 1, b - 1)]
        t = v - lo
        d = c - a
        out[row] = c - d * (1 - t) if t >= 0.5 else a + d * t  # numpy's _lerp
    return out
