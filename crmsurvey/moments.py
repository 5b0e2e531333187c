"""Weighted first and second moments of many resamples at once (PLS and CB-SEM).

A resample is a vector of row frequencies (bootstrap counts times sampling weights).
All correlation matrices of a batch come from two matrix products: ``F @ X`` for the
means and ``F @ Q`` for the cross-products, where ``Q`` holds every item pair's
row-wise product once (the upper triangle). Nothing loops over resamples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._random import block_rng

__all__ = ["BLOCK", "Moments", "PairProducts", "moments", "moments_of", "resample_counts", "resample_indices", "chunk_blocks"]

#: Resamples are drawn in fixed blocks, each from ``SeedSequence([seed, block])``, so a
#: bootstrap gives the same numbers whatever chunk size processes it.
BLOCK = 100


@dataclass(frozen=True, eq=False)
class Moments:
    """Per resample: item means, standard deviations and the correlation matrix."""

    mean: np.ndarray  # (B, p), on the original scale
    sd: np.ndarray  # (B, p), population (divide by the total weight)
    corr: np.ndarray  # (B, p, p)
    total: np.ndarray | None = None  # (B,) total row frequency of each sample

    @property
    def cov(self) -> np.ndarray:
        """(B, p, p) covariance matrices, divided by the total weight (lavaan's S)."""
        return self.corr * self.sd[:, :, None] * self.sd[:, None, :]


class PairProducts:
    """``X`` centred once, with the products of every item pair (reused across chunks)."""

    def __init__(self, x: np.ndarray) -> None:
        self.centre = x.mean(axis=0)
        self.x = x - self.centre
        p = x.shape[1]
        self.iu = np.triu_indices(p)
        self.q = self.x[:, self.iu[0]] * self.x[:, self.iu[1]]
        self.p = p

    def moments(self, freq: np.ndarray) -> Moments:
        """Moments for each row of ``freq`` (B, n): non-negative row frequencies."""
        total = freq.sum(axis=1, keepdims=True)
        mean_c = (freq @ self.x) / total
        second = (freq @ self.q) / total
        i, j = self.iu
        cov_flat = second - mean_c[:, i] * mean_c[:, j]
        b = freq.shape[0]
        cov = np.empty((b, self.p, self.p))
        cov[:, i, j] = cov_flat
        cov[:, j, i] = cov_flat
        var = np.clip(cov[:, np.arange(self.p), np.arange(self.p)], 0.0, None)
        sd = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / (sd[:, :, None] * sd[:, None, :])
        corr[:, np.arange(self.p), np.arange(self.p)] = 1.0
        return Moments(mean_c + self.centre, sd, corr, total[:, 0])


def moments(x: np.ndarray, freq: np.ndarray | None = None) -> Moments:
    """Moments of ``x`` (n, p) under row frequencies ``freq`` (B, n); default: all ones."""
    if freq is None:
        freq = np.ones((1, x.shape[0]))
    return PairProducts(x).moments(freq)


def resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """The (n_boot, n) row indices a bootstrap with ``seed`` draws (for parity checks
    with software that takes explicit indices)."""
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
    """Row frequencies (len(blocks) · BLOCK, n) of the resamples in ``blocks``."""
    out = []
    for b in blocks:
        idx = block_rng(seed, b).integers(0, n, size=(BLOCK, n))
        flat = (idx + (np.arange(BLOCK) * n)[:, None]).ravel()
        out.append(np.bincount(flat, minlength=BLOCK * n).reshape(BLOCK, n))
    return np.concatenate(out).astype(float)


def moments_of(xb: np.ndarray, freq: np.ndarray) -> Moments:
    """Moments of per-sample data ``xb`` (B, n, P) under row frequencies ``freq`` (B, n):
    for columns rebuilt in each resample (interaction terms, stage-1 scores)."""
    total = freq.sum(axis=1)
    mean = np.einsum("bn,bnp->bp", freq, xb) / total[:, None]
    xc = xb - mean[:, None, :]
    cov = np.einsum("bnp,bnq->bpq", xc * freq[:, :, None], xc) / total[:, None, None]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    corr[:, np.arange(xb.shape[-1]), np.arange(xb.shape[-1])] = 1.0
    return Moments(mean, sd, corr, total)
