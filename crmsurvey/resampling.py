"""Resampling schemes: the row frequencies of bootstrap resamples, handed out in pieces.

A bootstrap resample is a vector of row frequencies (how often each respondent is in the
resample). Every estimator that resamples (PLS, CB-SEM, the exact fit test) asks a
*scheme* for them, block of resamples by block, row range by row range — never for a
dense (resamples × all rows) array:

- :class:`Multinomial` — n rows drawn with replacement from all n (the classic
  bootstrap; every published figure of crmsurvey's bootstrap so far). A block's draws
  involve every row, so one block's counts are kept compactly (one byte a row and
  resample) while its row ranges are handed out.
- :class:`Poisson` — each row's count an independent Poisson(1) (the Poisson bootstrap
  of Hanley & MacGibbon 2006 and of massive or distributed data, e.g. Chamandy et al.
  2012). Counts are keyed by (seed, resample block, row block of :data:`ROW_BLOCK`
  rows), so the numbers are the same however the rows are partitioned or chunked, and
  any row range is drawn without touching the others. The sample size varies from
  resample to resample (mean n, sd √n), which is what the scheme estimates with.

The protocol (:class:`Resampling`) is deliberately small, so other schemes (stratified
cluster resampling of a survey design) plug in beside these two::

    kind: str       # "multinomial", "poisson", ...
    n: int          # rows of the whole sample
    seed: int
    counts(blocks: range, rows: slice) -> np.ndarray
        # float row frequencies, shape (len(blocks) * BLOCK, rows.stop - rows.start):
        # resample blocks ``blocks`` (resample i of block b is resample b * BLOCK + i),
        # rows ``rows`` of the whole sample (0 ≤ start ≤ stop ≤ n)

A scheme's counts for a row range must equal that range of its counts for all rows.
Sampling weights are not part of the counts: callers multiply.

>>> import numpy as np
>>> p = Poisson(10_000, seed=1)
>>> whole = p.counts(range(1), slice(0, 10_000))
>>> bool((np.hstack([p.counts(range(1), slice(0, 3_333)),
...                  p.counts(range(1), slice(3_333, 10_000))]) == whole).all())
True
"""
from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from . import _defaults as D
from ._random import block_rng, text_key
from .diagnostics import Diagnostic

__all__ = ["BLOCK", "ROW_BLOCK", "Resampling", "Multinomial", "Poisson", "Cluster",
           "scheme_for", "scheme_diagnostics", "POISSON_FROM", "SCHEMES"]

#: Resamples are drawn in fixed blocks, each from its own generator
#: (``SeedSequence([seed, block, ...])``), so a bootstrap gives the same numbers whatever
#: chunk size or worker processes it.
BLOCK = 100
#: Rows of one Poisson generator: counts of rows ``[g·ROW_BLOCK, (g+1)·ROW_BLOCK)`` of
#: resample block ``b`` come from ``SeedSequence([seed, b, POISSON, g])``. Part of the
#: scheme's definition: changing it changes the numbers.
ROW_BLOCK = 4096
#: ``resampling="auto"`` uses the Poisson bootstrap from this many rows on (below it the
#: multinomial bootstrap, so the figures of small and medium studies do not move).
POISSON_FROM = D.POISSON_FROM
#: The schemes ``resampling=`` accepts (``auto`` picks one by n).
SCHEMES = ("auto", "multinomial", "poisson")

_POISSON = text_key("poisson")  # keeps Poisson streams apart from the multinomial ones
_DRAW_CELLS = 1 << 22  # multinomial: indices drawn at once (32 MiB of int64)


@runtime_checkable
class Resampling(Protocol):
    """What a resampling scheme provides (see the module docstring)."""

    kind: str
    n: int
    seed: int

    def counts(self, blocks: range, rows: slice) -> np.ndarray:
        """Float row frequencies ``(len(blocks) * BLOCK, rows.stop - rows.start)``."""
        ...


def _check_rows(n: int, rows: slice) -> tuple[int, int]:
    start, stop, step = rows.indices(n)
    if step != 1 or stop < start:
        raise ValueError(f"rows must be a contiguous slice of 0..{n}, not {rows}")
    return start, stop


class Multinomial:
    """The classic bootstrap: each resample draws n rows with replacement.

    Resample block ``b`` draws ``BLOCK × n`` row indices from ``block_rng(seed, b)``
    (resample by resample, row by row), the numbers of
    :func:`crmsurvey.moments.resample_indices`. They are drawn in pieces of a few
    million (numpy's generator gives the same stream however it is split) and counted
    into one byte per row and resample; the counts of the last blocks asked for are
    kept while their row ranges are handed out (``BLOCK × n`` bytes a block: 100 MB at
    a million rows).

    Examples
    --------
    >>> m = Multinomial(50, seed=7)
    >>> m.counts(range(2), slice(0, 50)).sum(axis=1)[:3]
    array([50., 50., 50.])
    """

    kind = "multinomial"

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = int(n), int(seed)
        self._cache: dict[int, np.ndarray] = {}

    def __getstate__(self):  # the cache stays where it was drawn
        return {"n": self.n, "seed": self.seed, "_cache": {}}

    def _block(self, b: int) -> np.ndarray:
        n = self.n
        out = np.empty((BLOCK, n), dtype=np.uint8)
        rng = block_rng(self.seed, b)
        per = max(1, _DRAW_CELLS // max(n, 1))
        for r0 in range(0, BLOCK, per):
            s = min(per, BLOCK - r0)
            idx = rng.integers(0, n, size=(s, n))
            idx += (np.arange(s) * n)[:, None]
            c = np.bincount(idx.ravel(), minlength=s * n).reshape(s, n)
            if c.max(initial=0) > np.iinfo(out.dtype).max:  # never seen; stay exact
                out = out.astype(np.uint32)
            out[r0:r0 + s] = c
        return out

    def counts(self, blocks: range, rows: slice) -> np.ndarray:
        start, stop = _check_rows(self.n, rows)
        keep = {b: self._cache[b] for b in blocks if b in self._cache}
        for b in blocks:
            if b not in keep:
                keep[b] = self._block(b)
        self._cache = keep  # only the blocks last asked for stay in memory
        return np.concatenate([keep[b][:, start:stop] for b in blocks]).astype(float)


def _poisson_one_cdf() -> np.ndarray:
    """P(X ≤ k) of Poisson(1) for k = 0, 1, … up to where it is 1 in double precision."""
    out, term, k = [], math.exp(-1.0), 0
    terms = []
    while True:
        terms.append(term)
        cdf = math.fsum(terms)
        if cdf >= 1.0 or 1.0 - cdf < 2.0**-60:
            break
        out.append(cdf)
        k += 1
        term /= k
    return np.array(out)


_CDF = _poisson_one_cdf()
_COMMON = 5  # comparisons made for every cell; the rare larger counts on the few left


class Poisson:
    """The Poisson bootstrap: every row's count an independent Poisson(1).

    Counts of resample block ``b`` and row block ``g`` (:data:`ROW_BLOCK` rows) come from
    ``block_rng(seed, b, POISSON, g)`` by inversion of uniform doubles (the count is
    the number of Poisson(1) distribution-function values the uniform reaches), so any
    row range of any partitioning gets the same counts.

    Examples
    --------
    >>> p = Poisson(20_000, seed=3)
    >>> c = p.counts(range(1), slice(5_000, 15_000))
    >>> c.shape, round(float(c.mean()), 1)
    ((100, 10000), 1.0)
    """

    kind = "poisson"

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = int(n), int(seed)

    def _cells(self, b: int, g: int) -> np.ndarray:
        rows = min(ROW_BLOCK, self.n - g * ROW_BLOCK)
        u = block_rng(self.seed, b, _POISSON, g).random((BLOCK, rows))
        c = np.zeros(u.shape, dtype=np.uint8)
        hit = np.empty(u.shape, dtype=bool)
        for f in _CDF[:_COMMON]:
            np.greater_equal(u, f, out=hit)
            c += hit
        tail = np.flatnonzero(u.ravel() >= _CDF[_COMMON - 1])
        if tail.size:
            c.ravel()[tail] += (u.ravel()[tail, None] >= _CDF[None, _COMMON:]).sum(axis=1,
                                                                                 dtype=np.uint8)
        return c

    def counts(self, blocks: range, rows: slice) -> np.ndarray:
        start, stop = _check_rows(self.n, rows)
        out = np.empty((len(blocks) * BLOCK, stop - start))
        if stop == start:
            return out
        g0, g1 = start // ROW_BLOCK, (stop - 1) // ROW_BLOCK
        for i, b in enumerate(blocks):
            for g in range(g0, g1 + 1):
                lo, hi = max(start, g * ROW_BLOCK), min(stop, (g + 1) * ROW_BLOCK)
                cells = self._cells(b, g)
                out[i * BLOCK:(i + 1) * BLOCK, lo - start:hi - start] = \
                    cells[:, lo - g * ROW_BLOCK:hi - g * ROW_BLOCK]
        return out


def scheme_for(resampling: str, n: int, seed: int) -> Resampling:
    """The scheme named by ``resampling`` (``"auto"``: Poisson from :data:`POISSON_FROM`
    rows, multinomial below) for ``n`` rows and ``seed``.

    >>> scheme_for("auto", 500, 1).kind, scheme_for("auto", 200_000, 1).kind
    ('multinomial', 'poisson')
    """
    if resampling == "auto":
        resampling = "poisson" if n >= POISSON_FROM else "multinomial"
    if resampling == "multinomial":
        return Multinomial(n, seed)
    if resampling == "poisson":
        return Poisson(n, seed)
    raise ValueError(f"unknown resampling scheme {resampling!r}")


def scheme_diagnostics(kind: str, n: int) -> list[Diagnostic]:
    """A ``poisson_small_n`` diagnostic when Poisson resamples are drawn from fewer than
    :data:`crmsurvey._defaults.POISSON_SMALL_N` rows (their sizes vary by √n).

    >>> [d.code for d in scheme_diagnostics("poisson", 40)], scheme_diagnostics("poisson", 500)
    (['poisson_small_n'], [])
    """
    if kind != "poisson" or n >= D.POISSON_SMALL_N:
        return []
    return [Diagnostic(
        "poisson_small_n", f"Poisson bootstrap resamples of {n} rows vary in size by about "
        f"±{math.sqrt(n):.0f} rows ({100 / math.sqrt(max(n, 1)):.0f} %): below "
        f"{D.POISSON_SMALL_N} rows use resampling='multinomial' (or 'auto')", "warning",
        (str(n),), params={"n": n, "limit": D.POISSON_SMALL_N})]


_CLUSTER = text_key("cluster")  # keeps cluster-bootstrap streams apart from the others


class Cluster:
    """The stratified cluster bootstrap of a survey design (Rao & Wu 1988; Rao, Wu & Yue
    1992): in each stratum h, ``m_h = n_h − 1`` of its ``n_h`` sampled clusters are drawn
    with replacement, and a row of cluster c gets the frequency

        1 − λ_h + λ_h · n_h / m_h · r_hc,    λ_h = √(1 − f_h),

    ``r_hc`` the times c was drawn and ``f_h`` the stratum's sampling fraction of
    clusters (0 without a finite-population correction: the frequency is then
    ``n_h / (n_h − 1) · r_hc``, R survey's ``as.svrepdesign(type = "subbootstrap")``).
    Its variance of a linear statistic is, in expectation, the Taylor-linearised one of
    :mod:`crmsurvey.weighting.design`. A stratum with a single cluster keeps frequency 1
    (it adds no variance, as the Taylor estimate). Resample block ``b`` draws from
    ``block_rng(seed, b, CLUSTER)``; :meth:`rows` views a group's rows (a domain:
    every cluster of the design is still drawn), so the counts of a row do not depend on
    which rows are asked for.

    ``design`` is a :class:`crmsurvey.weighting.design.Design` (or anything with its
    ``psu``, ``psu_stratum``, ``n_psu`` and ``fraction`` arrays).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmsurvey.weighting.design import survey_design
    >>> df = pd.DataFrame({"region": [1, 1, 1, 2, 2, 2], "store": [1, 2, 3, 4, 5, 5]})
    >>> c = Cluster(survey_design(df, strata="region", cluster="store"), seed=1)
    >>> f = c.counts(range(1), slice(0, 6))
    >>> f.shape, sorted(set(f[:, 0].tolist()) | set(f[:, 3].tolist()))
    ((100, 6), [0.0, 1.5, 2.0, 3.0])
    """

    kind = "cluster"

    def __init__(self, design, seed: int) -> None:
        self.design, self.seed = design, int(seed)
        self.n = len(design.psu)
        n_h = np.asarray(design.n_psu)
        draws = np.where(n_h > 1, n_h - 1, 0)  # m_h = n_h − 1 draws per stratum
        ps = np.asarray(design.psu_stratum)
        self._order = np.argsort(ps, kind="stable")  # the clusters, stratum by stratum
        first = np.concatenate([[0], np.cumsum(n_h)[:-1]])
        self._slot_first = np.repeat(first, draws)
        self._slot_size = np.repeat(n_h, draws)
        lam = np.sqrt(1 - np.asarray(design.fraction, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(n_h > 1, lam * n_h / np.maximum(n_h - 1, 1), 0.0)
        self._gain = gain[ps]  # (P,) frequency per draw of a cluster
        self._level = np.where(n_h > 1, 1 - lam, 1.0)[ps]  # (P,) frequency when not drawn
        self._cache: dict[int, np.ndarray] = {}

    def rows(self, mask: np.ndarray) -> "Cluster":
        """The scheme for the rows in ``mask`` (a group, or the rows an estimator keeps):
        the same draws, that many columns."""
        return Cluster(self.design.rows(np.asarray(mask, dtype=bool)), self.seed)

    def _block(self, b: int) -> np.ndarray:
        """Frequencies (BLOCK, P) of every cluster in resample block ``b``."""
        p = len(self._gain)
        rng = block_rng(self.seed, b, _CLUSTER)
        slot = self._slot_first + rng.integers(0, self._slot_size,
                                               size=(BLOCK, len(self._slot_size)))
        pick = self._order[slot] + (np.arange(BLOCK) * p)[:, None]
        drawn = np.bincount(pick.ravel(), minlength=BLOCK * p).reshape(BLOCK, p)
        return self._level + self._gain * drawn

    def counts(self, blocks: range, rows: slice) -> np.ndarray:
        start, stop = _check_rows(self.n, rows)
        keep = {b: self._cache[b] if b in self._cache else self._block(b) for b in blocks}
        self._cache = keep
        psu = self.design.psu[start:stop]
        return np.concatenate([keep[b][:, psu] for b in blocks])
