"""Weighted first and second moments of many samples at once (PLS and CB-SEM).

A sample is a vector of row frequencies (bootstrap counts times sampling weights).
All correlation matrices of a batch come from two matrix products: ``F @ X`` for the
means and ``F @ Q`` for the cross-products, where ``Q`` holds every item pair's
row-wise product once (the upper triangle). Nothing loops over samples.

Memory is bounded by the model, not by rows × samples: frequencies come as
:class:`Frequencies` — handed out by row ranges — and the sums ``Σ f``, ``Σ f x`` and
``Σ f q`` are accumulated over row chunks of a fixed working set (:data:`WORK_BYTES`);
``Q`` is formed chunk by chunk and never kept. Chunked sums equal unchunked ones to
rounding (``tests/test_pls_scale.py``). Additive sums (:class:`Sums`) are also what a
partition of the data contributes on a cluster.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Protocol

import numpy as np

from ._random import block_rng
from .resampling import BLOCK, ROW_BLOCK, Multinomial, Resampling

__all__ = ["BLOCK", "WORK_BYTES", "KEEP_BYTES", "Moments", "Sums", "PairProducts",
           "Frequencies", "Dense", "Resampled", "LeaveOneOut", "as_frequencies", "from_cov", "moments", "moments_of",
           "resample_counts", "resample_indices", "resample_moments", "chunk_blocks", "row_chunks",
           "row_step"]

#: Working set of one row chunk (frequencies, pair products, per-sample data): the rows
#: of a chunk are chosen so that its arrays stay about this size.
WORK_BYTES = 48 << 20
#: :class:`PairProducts` keeps every row's pair products when they take at most this.
KEEP_BYTES = 16 << 20


def row_step(width: int, work: int = WORK_BYTES) -> int:
    """Rows per chunk when each row costs ``width`` floats of working set: a multiple of
    :data:`~crmsurvey.resampling.ROW_BLOCK` (so Poisson counts are drawn once per chunk),
    at least one row block."""
    rows = work // (8 * max(1, width))
    return max(ROW_BLOCK, rows // ROW_BLOCK * ROW_BLOCK)


@dataclass(frozen=True, eq=False)
class Moments:
    """Per sample: item means, standard deviations and the correlation matrix."""

    mean: np.ndarray  # (B, p), on the original scale
    sd: np.ndarray  # (B, p), population (divide by the total weight)
    corr: np.ndarray  # (B, p, p)
    total: np.ndarray | None = None  # (B,) total row frequency of each sample

    @property
    def cov(self) -> np.ndarray:
        """(B, p, p) covariance matrices, divided by the total weight (lavaan's S)."""
        return np.ascontiguousarray(self.corr * self.sd[:, :, None] * self.sd[:, None, :])

    @staticmethod
    def concat(parts: list["Moments"]) -> "Moments":
        """The samples of ``parts`` one after another."""
        if len(parts) == 1:
            return parts[0]
        total = None if any(p.total is None for p in parts) else np.concatenate(
            [p.total for p in parts])
        return Moments(np.concatenate([p.mean for p in parts]),
                       np.concatenate([p.sd for p in parts]),
                       np.concatenate([p.corr for p in parts]), total)


def from_cov(mean: np.ndarray, cov: np.ndarray, total: np.ndarray) -> Moments:
    """Moments from means (B, p), covariances (B, p, p) and total weights (B,)."""
    p = cov.shape[-1]
    diag = np.arange(p)
    sd = np.sqrt(np.clip(cov[:, diag, diag], 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    corr[:, diag, diag] = 1.0
    return Moments(mean, sd, corr, total)


# --- frequencies, by row chunks ---------------------------------------------------------

class Frequencies(Protocol):
    """Row frequencies of ``size`` samples over ``n`` rows, handed out by row ranges.

    ``chunk(rows)`` gives the float ``(size, rows.stop - rows.start)`` frequencies of
    rows ``rows``; a consumer may ask for the same rows more than once (multi-pass
    sources).
    """

    size: int
    n: int

    def chunk(self, rows: slice) -> np.ndarray: ...


def row_chunks(n: int, step: int) -> Iterator[slice]:
    """Consecutive row ranges of ``step`` rows covering ``0..n``."""
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


class Dense:
    """Frequencies already in memory: a ``(B, n)`` array (the full sample, PLSpredict's
    training folds, a few resamples of a small group)."""

    def __init__(self, freq: np.ndarray) -> None:
        self.freq = np.asarray(freq, dtype=float)
        self.size, self.n = self.freq.shape

    def chunk(self, rows: slice) -> np.ndarray:
        return self.freq[:, rows]


class Resampled:
    """The resamples ``[first, first + size)`` of the resample blocks ``blocks`` of a
    :class:`~crmsurvey.resampling.Resampling` scheme, times sampling ``weights``.

    Rows may be a window ``offset .. offset + len(weights)`` of the scheme's rows (a
    partition of the data on a cluster worker)."""

    def __init__(self, scheme: Resampling, blocks: range, weights: np.ndarray, *,
                 first: int = 0, size: int | None = None, offset: int = 0) -> None:
        self.scheme, self.blocks, self.weights = scheme, blocks, np.asarray(weights, float)
        self.first = first
        self.size = len(blocks) * BLOCK - first if size is None else size
        self.n, self.offset = len(self.weights), offset

    def chunk(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.n)
        c = self.scheme.counts(self.blocks, slice(self.offset + start, self.offset + stop))
        c = c[self.first:self.first + self.size]
        c *= self.weights[start:stop]
        return c


class LeaveOneOut:
    """The jackknife samples of rows ``left`` (one sample per row left out), over
    sampling ``weights``."""

    def __init__(self, weights: np.ndarray, left: range) -> None:
        self.weights, self.left = np.asarray(weights, float), left
        self.size, self.n = len(left), len(self.weights)

    def chunk(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.n)
        out = np.broadcast_to(self.weights[start:stop], (self.size, stop - start)).copy()
        hit = np.arange(max(start, self.left.start), min(stop, self.left.stop))
        out[hit - self.left.start, hit - start] = 0.0
        return out


def as_frequencies(freq) -> Frequencies:
    """``freq`` itself, or a (B, n) array as :class:`Dense`."""
    return Dense(freq) if isinstance(freq, np.ndarray) else freq


# --- accumulated sums -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Sums:
    """Additive sums of B samples over some rows, about a fixed ``centre``: ``total``
    (Σ f), ``s1`` (Σ f·(x − centre)) and ``s2`` (Σ f·(x − centre)ᵢ(x − centre)ⱼ for each
    item pair i ≤ j). Sums over disjoint rows add up (``a + b``)."""

    total: np.ndarray  # (B,)
    s1: np.ndarray  # (B, p)
    s2: np.ndarray  # (B, p(p+1)/2)
    centre: np.ndarray  # (p,)

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.total + other.total, self.s1 + other.s1, self.s2 + other.s2,
                    self.centre)

    def moments(self) -> Moments:
        """Means, standard deviations and correlations of each sample.

        Computed pair by pair with the samples along rows (each item pair's values of all
        samples contiguous), so that the correlation matrices come out with the samples
        on the last axis in memory — the layout the PLS iterations read — and are handed
        out as a (B, p, p) view of it."""
        p = len(self.centre)
        i, j = _pairs(p)
        diag = _diagonal(p)
        mean_c = np.divide(self.s1.T, self.total)  # (p, B)
        cov = np.divide(self.s2.T, self.total)  # (pairs, B)
        cov -= mean_c[i] * mean_c[j]
        sd = np.sqrt(np.clip(cov[diag], 0.0, None))  # (p, B)
        with np.errstate(divide="ignore", invalid="ignore"):
            cov /= sd[i] * sd[j]
        cov[diag] = 1.0
        corr = np.take(cov, _pair_of_cell(p), axis=0).reshape(p, p, -1)
        return Moments((mean_c + self.centre[:, None]).T, sd.T, np.moveaxis(corr, -1, 0),
                       self.total)


@lru_cache(maxsize=32)
def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(p)``, kept."""
    return np.triu_indices(p)


@lru_cache(maxsize=32)
def _diagonal(p: int) -> np.ndarray:
    """Positions of the pairs (i, i) in ``np.triu_indices(p)`` order."""
    i, j = np.triu_indices(p)
    return np.flatnonzero(i == j)


def _pair_products(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a[:, i] * a[:, j]`` for every pair i ≤ j, in ``np.triu_indices`` order:
    (n, p(p+1)/2), formed as column i times columns i.. p−1 (slices, no gathers)."""
    n, p = a.shape
    out = np.empty((n, p * (p + 1) // 2)) if out is None else out
    at = 0
    for i in range(p):
        np.multiply(a[:, i:i + 1], a[:, i:], out=out[:, at:at + p - i])
        at += p - i
    return out


@lru_cache(maxsize=32)
def _pair_of_cell(p: int) -> np.ndarray:
    """For each cell (i, j) of a p × p matrix, row-major, its pair's position in
    ``np.triu_indices(p)`` order."""
    i, j = np.triu_indices(p)
    out = np.empty((p, p), dtype=np.intp)
    out[i, j] = out[j, i] = np.arange(len(i))
    return out.ravel()


class PairProducts:
    """``X`` centred once; every item pair's products formed a row chunk at a time.

    ``centre`` (default: the column means) is any fixed point near the data — the sums
    of a partition use the whole sample's, from a first pass. The sums of a row chunk
    are one matrix product ``F @ [1, X, Q]``; when ``[1, X, Q]`` of all rows takes at
    most :data:`KEEP_BYTES` it is formed once and kept (small data, many batches).
    """

    def __init__(self, x: np.ndarray, centre: np.ndarray | None = None) -> None:
        x = np.asarray(x, dtype=float)
        self.centre = x.mean(axis=0) if centre is None else np.asarray(centre, float)
        self.x = x - self.centre
        self.p = x.shape[1]
        self.iu = np.triu_indices(self.p)
        self.width = 1 + self.p + len(self.iu[0])
        self._kept = (self._columns(slice(0, len(x)))
                      if len(x) * self.width * 8 <= KEEP_BYTES else None)

    def _columns(self, rows: slice) -> np.ndarray:
        """``[1, X, Q]`` of ``rows``: a column of ones, the centred items and every item
        pair's product (``np.triu_indices`` order)."""
        if getattr(self, "_kept", None) is not None:
            return self._kept[rows]
        xc = self.x[rows]
        out = np.empty((len(xc), self.width))
        out[:, 0] = 1.0
        out[:, 1:1 + self.p] = xc
        _pair_products(xc, out[:, 1 + self.p:])
        return out

    def sums(self, freq, *, step: int | None = None) -> Sums:
        """Sums of each sample of ``freq`` ((B, n) array or :class:`Frequencies`),
        accumulated over row chunks of ``step`` rows (default: :func:`row_step`)."""
        f = as_frequencies(freq)
        if isinstance(f, LeaveOneOut):
            return self._leave_one_out(f)
        step = step or row_step(f.size + self.width)
        acc = None  # (width, B): sums along rows, as Sums.moments reads them
        for rows in row_chunks(len(self.x), step):
            part = self._columns(rows).T @ f.chunk(rows).T
            if acc is None:
                acc = part
            else:
                acc += part
        if acc is None:  # no rows
            acc = np.zeros((self.width, f.size))
        p = self.p
        return Sums(acc[0], acc[1:1 + p].T, acc[1 + p:].T, self.centre)

    def _leave_one_out(self, f: "LeaveOneOut") -> Sums:
        """Jackknife sums as the whole sample's minus each left-out row's share: O(n)
        per batch instead of O(n · batch)."""
        whole = self.sums(Dense(f.weights[None]))
        rows = slice(f.left.start, f.left.stop)
        w, xc = f.weights[rows], self.x[rows]
        return Sums(whole.total - w, whole.s1 - w[:, None] * xc,
                    whole.s2 - w[:, None] * _pair_products(xc), self.centre)

    def moments(self, freq, *, step: int | None = None) -> Moments:
        """Moments of each sample of ``freq``: non-negative row frequencies, a (B, n)
        array or :class:`Frequencies`."""
        return self.sums(freq, step=step).moments()


def moments(x: np.ndarray, freq: np.ndarray | None = None) -> Moments:
    """Moments of ``x`` (n, p) under row frequencies ``freq`` (B, n); default: all ones."""
    if freq is None:
        freq = np.ones((1, x.shape[0]))
    return PairProducts(x).moments(freq)


def moments_of(xb: np.ndarray, freq: np.ndarray) -> Moments:
    """Moments of per-sample data ``xb`` (B, n, P) under row frequencies ``freq`` (B, n):
    for columns rebuilt in each resample (interaction terms, stage-1 scores)."""
    total = freq.sum(axis=1)
    mean = np.einsum("bn,bnp->bp", freq, xb) / total[:, None]
    xc = xb - mean[:, None, :]
    cov = np.einsum("bnp,bnq->bpq", xc * freq[:, :, None], xc) / total[:, None, None]
    return from_cov(mean, cov, total)


def resample_moments(source, scheme: Resampling, base_w: np.ndarray, blocks: range,
                     stop: int) -> Moments:
    """Moments of the first ``stop`` resamples of ``blocks``: in one pass when their
    frequencies are small, else one resample block at a time (so at most one block's
    frequencies of a row chunk exist at once). ``source`` is anything with
    ``moments(Frequencies)`` (:class:`PairProducts`, a PLS source); a cluster source with
    ``moments_many`` gets every block at once."""
    if len(blocks) * BLOCK * len(base_w) * 8 <= WORK_BYTES and not hasattr(
            source, "moments_many"):  # small data: the whole chunk in one pass
        return source.moments(Resampled(scheme, blocks, base_w, size=stop))
    samples = [Resampled(scheme, range(b, b + 1), base_w, size=min(BLOCK, stop - i * BLOCK))
               for i, b in enumerate(blocks) if stop > i * BLOCK]
    if hasattr(source, "moments_many"):  # a cluster source: every block at once
        return Moments.concat(source.moments_many(samples))
    return Moments.concat([source.moments(f) for f in samples])


# --- the multinomial draws (kept for callers and parity checks) --------------------------

def resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """The (n_boot, n) row indices a multinomial bootstrap with ``seed`` draws (for parity
    checks with software that takes explicit indices)."""
    blocks = [block_rng(seed, b).integers(0, n, size=(BLOCK, n))
              for b in range(-(-n_boot // BLOCK))]
    return np.concatenate(blocks)[:n_boot]


def chunk_blocks(n_boot: int, chunk: int) -> list[tuple[range, int]]:
    """Resample blocks grouped into chunks of about ``chunk`` resamples: per chunk its
    block range and how many of its resamples to keep (the last may be partial)."""
    per = max(1, chunk // BLOCK)
    n_blocks = -(-n_boot // BLOCK)
    return [(range(b, min(n_blocks, b + per)), min(n_boot - b * BLOCK, per * BLOCK))
            for b in range(0, n_blocks, per)]


def resample_counts(n: int, seed: int, blocks: range) -> np.ndarray:
    """Dense row frequencies (len(blocks) · BLOCK, n) of the multinomial resamples in
    ``blocks`` (small data; large data go through :class:`Resampled`)."""
    return Multinomial(n, seed).counts(blocks, slice(0, n))
