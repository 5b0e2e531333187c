"""Raking repeated inside every bootstrap resample, all resamples at once.

Weights raked to population targets are themselves estimates: another sample would
have needed other adjustments. :class:`Rerake` is a resampling scheme (the protocol of
:mod:`crmsurvey.resampling`) that wraps another one — the multinomial bootstrap of the
whole sample, or the stratified cluster bootstrap of its design — and rakes every
resample again from its base (design) weights, so intervals computed from its
resamples carry the weighting's own uncertainty.

A resample is a vector of row frequencies ``f`` (B, n). Its raking is the raking of
the sample those frequencies describe: row i stands ``fᵢ`` times with a per-copy weight
``uᵢ``, started at the base weight and moved by the sweeps of
:func:`crmsurvey.weighting.fit.fit` — each margin's categories scaled to their target
shares of the total ``Σ f·u``, the weights rescaled to mean 1 (``Σ f·u / Σ f``, within
each level of ``by``) and clipped to the trimming bounds, until every margin is within
``tol`` — for every resample and level at once (one sparse product per margin and
sweep; nothing loops over resamples or rows). A resample that lacks a category raked
in the whole sample is raked to the other categories' targets rescaled to add up to 1,
the rule the whole-sample raking applies to a category without respondents.

Its :meth:`~Rerake.counts` are ``f·u / w``, ``w`` the whole-sample raked weights: an
estimator multiplies them by its weights, as it does with any scheme's counts, and so
weighs resample b by the re-raked ``f·u``. Raking uses every row of the sample (the
weights of a group depend on the others); :meth:`~Rerake.rows` views a group's rows.

Not from a weighting library: none rakes many resamples at once. The sweeps are those
of the whole-sample raking (:mod:`crmsurvey.weighting.fit`), and
``tests/test_design.py`` checks that a resample's weights equal :func:`rake` of the
rows it repeats.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from .._data import sampling_weights
from ..errors import InputError
from .levels import level_margins

__all__ = ["Rerake", "Margins", "rake_margins", "rake_batch", "replicate_means"]


@dataclass(frozen=True, eq=False)
class Margins:
    """The targets of a raking laid out for batched sweeps: ``slots[j]`` is the j-th
    margin of every level, as (row → category code, −1 for none) over all rows;
    ``share`` (K,), ``level_of`` (K,) the target share and ``by`` level of every
    category code; ``level`` (n,) each row's level."""

    slots: tuple[np.ndarray, ...]
    share: np.ndarray
    level_of: np.ndarray
    level: np.ndarray
    n_levels: int


def rake_margins(data: pd.DataFrame, targets: Mapping, *, base: np.ndarray,
                 by: str | None = None) -> Margins:
    """The margins :func:`crmsurvey.weighting.rake` fits for ``data``, ``targets`` and
    ``by`` (the same checks and the same rule for target categories without
    respondents), laid out for :func:`rake_batch`."""
    per_level = level_margins(data, targets, base=base, by=by)
    n = len(data)
    level = np.zeros(n, dtype=int)
    slots: list[np.ndarray] = []
    shares: list[np.ndarray] = []
    level_of: list[np.ndarray] = []
    offset = 0
    for li, (_, rows, fitted) in enumerate(per_level):
        level[rows] = li
        for j, margin in enumerate(fitted):
            idx, p, k = margin[:3]  # (row → category, shares, categories, …)
            if j == len(slots):
                slots.append(np.full(n, -1))
            known = idx >= 0
            slots[j][rows[known]] = offset + idx[known]
            shares.append(np.asarray(p, dtype=float))
            level_of.append(np.full(k, li))
            offset += k
    return Margins(tuple(slots), np.concatenate(shares) if shares else np.zeros(0),
                   np.concatenate(level_of) if level_of else np.zeros(0, dtype=int),
                   level, len(per_level))


def _indicator(codes: np.ndarray, k: int) -> sparse.csr_matrix:
    rows = np.flatnonzero(codes >= 0)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, codes[rows])), shape=(len(codes), k))


def rake_batch(freq: np.ndarray, base: np.ndarray, m: Margins, *,
               trim: tuple[float, float] | None = None, max_iter: int = 100,
               tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Per-copy raked weights ``u`` (B, n) of the samples with row frequencies ``freq``
    (B, n), started at ``base`` (n,), and whether each sample converged (B,).

    Each (sample, level) stops when its largest margin error is at most ``tol``, as
    :func:`crmsurvey.weighting.fit.fit` stops for one sample."""
    freq = np.asarray(freq, dtype=float)
    b, n = freq.shape
    k = len(m.share)
    lev = sparse.csr_matrix((np.ones(n), (np.arange(n), m.level)), shape=(n, m.n_levels))
    ind = [_indicator(codes, k) for codes in m.slots]
    on = freq * (base > 0)  # the rows each sample holds

    def per_level(x):  # (B, n) → (B, L) sums within levels
        return np.asarray((lev.T @ x.T).T)

    count = per_level(on)
    # targets per sample: categories a sample lacks are dropped and the rest rescaled
    present = sum(np.asarray((e.T @ on.T).T) for e in ind) > 0 if ind else np.zeros((b, k), bool)
    want = np.where(present, m.share, 0.0)
    for codes in m.slots:
        cats = np.unique(codes[codes >= 0])
        if not len(cats):
            continue
        grp = sparse.csr_matrix((np.ones(len(cats)), (cats, m.level_of[cats])),
                                shape=(k, m.n_levels))
        tot = np.asarray((grp.T @ want.T).T)  # (B, L) target shares kept per level
        sel = np.zeros(k, bool)
        sel[cats] = True
        with np.errstate(divide="ignore", invalid="ignore"):
            want[:, sel] = np.where(tot[:, m.level_of[sel]] > 0,
                                    want[:, sel] / tot[:, m.level_of[sel]], 0.0)

    def rescale(u, on, count):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = per_level(on * u) / count
        return u / np.where(np.isfinite(mean) & (mean > 0), mean, 1.0)[:, m.level]

    def errors(u, on, want):  # (B, L) largest |achieved − target| per level
        err = np.zeros((len(u), m.n_levels))
        fu = on * u
        for codes, e in zip(m.slots, ind):
            tot = np.asarray((e.T @ fu.T).T)  # (B, K)
            known = per_level(fu * (codes >= 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                share = tot / known[:, m.level_of]
            cats = np.unique(codes[codes >= 0])
            gap = np.abs(np.nan_to_num(share[:, cats]) - want[:, cats])
            gap[(want[:, cats] <= 0) & (tot[:, cats] <= 0)] = 0.0
            np.maximum.at(err.T, m.level_of[cats], gap.T)
        return err

    def within(u, on):
        if trim is None:
            return np.ones((len(u), m.n_levels), bool)
        outside = on * ((u < trim[0] - 1e-12) | (u > trim[1] + 1e-12))
        return per_level(outside) == 0

    def sweep(step, on, want):  # one sweep of every margin, as fit._rake_step
        for codes, e in zip(m.slots, ind):
            fu = on * step
            tot = np.asarray((e.T @ fu.T).T)
            known = per_level(fu * (codes >= 0))
            target = want * known[:, m.level_of]
            factor = np.divide(target, tot, out=np.ones_like(tot), where=tot > 0)
            has = codes >= 0
            if trim is None:
                step[:, has] *= factor[:, codes[has]]
            else:
                factor = _bounded_factor(step[:, has], on[:, has], e[has], target, factor,
                                         trim)
                step[:, has] = np.clip(step[:, has] * factor[:, codes[has]], *trim)
        return step

    u = rescale(np.broadcast_to(base, (b, n)).astype(float), on, count)
    active = (errors(u, on, want) > tol) | ~within(u, on)  # (B, L)
    for _ in range(max_iter):
        rows = np.flatnonzero(active.any(axis=1))  # only unfinished samples are swept
        if not len(rows):
            break
        on_r, want_r = on[rows], want[rows]
        step = rescale(sweep(u[rows].copy(), on_r, want_r), on_r, count[rows])
        if trim is not None:
            step = np.clip(step, trim[0], trim[1])
        # only the unfinished levels of a sample move
        u[rows] = np.where(active[rows][:, m.level], step, u[rows])
        active[rows] &= errors(u[rows], on_r, want_r) > tol
    return rescale(u, on, count), ~active.any(axis=1)  # mean 1 after the last clip, as rake()


def _bounded_factor(u, f, e, target, factor, trim, rounds: int = 50) -> np.ndarray:
    """Per sample and category, the factor with ``Σ f·clip(u·factor) = target``: the
    weights held at a bound count as the bound, the free ones carry the rest — the
    fixed point of :func:`crmsurvey.weighting.fit._bounded_factor`, for every sample at
    once (``u``, ``f`` (B, m) the rows with a category, ``e`` (m, K) their indicators)."""
    lo, hi = trim
    done = np.zeros(len(u), bool)  # each sample stops at its own fixed point
    for _ in range(rounds):
        cand = u * np.asarray((e @ factor.T).T)
        held = np.where(cand <= lo, lo, np.where(cand >= hi, hi, 0.0))
        free = held == 0.0
        held_tot = np.asarray((e.T @ (f * held).T).T)
        free_tot = np.asarray((e.T @ (f * u * free).T).T)
        new = np.divide(target - held_tot, free_tot, out=factor.copy(), where=free_tot > 0)
        new = np.maximum(new, 0.0)
        new[done] = factor[done]
        done |= (np.abs(new - factor) <= 1e-12 * np.abs(factor)).all(axis=1)
        factor = new
        if done.all():
            break
    return factor


class Rerake:
    """A resampling scheme whose resamples are raked again (see the module docstring).

    Parameters
    ----------
    inner : resampling scheme
        Row frequencies of the resamples over every row of ``data`` (e.g.
        :class:`crmsurvey.resampling.Multinomial` or ``Cluster``).
    data, targets, by, trim, base, max_iter, tol
        As given to :func:`crmsurvey.weighting.rake` for the whole-sample weights.
    weights : array
        The whole-sample raked weights (``rake(...).weights``): the counts are the
        re-raked weights over these.
    """

    kind = "rerake"

    def __init__(self, inner, data: pd.DataFrame, targets: Mapping, *, weights: np.ndarray,
                 by: str | None = None, trim: tuple[float, float] | None = None,
                 base: np.ndarray | str | None = None, max_iter: int = 100,
                 tol: float = 1e-6) -> None:
        n = len(data)
        if inner.n != n:
            raise InputError(f"the resampling scheme has {inner.n} rows, the data {n}")
        self.inner, self.seed, self.n = inner, inner.seed, n
        self.base = np.ones(n) if base is None else sampling_weights(base, data)
        self.margins = rake_margins(data, targets, base=self.base, by=by)
        self.trim = None if trim is None else (float(trim[0]), float(trim[1]))
        self.max_iter, self.tol = int(max_iter), float(tol)
        self.weights = np.asarray(weights, dtype=float)
        self.positions = np.arange(n)
        self.not_converged = 0
        self._cache: dict[int, np.ndarray] = {}

    def rows(self, mask: np.ndarray) -> "Rerake":
        """The same resamples, seen on the rows in ``mask`` (a group): the raking still
        uses every row."""
        out = object.__new__(Rerake)
        out.__dict__.update(self.__dict__)
        out.positions = self.positions[np.asarray(mask, dtype=bool)]
        out.n = len(out.positions)
        out._cache = self._cache
        return out

    def _block(self, b: int) -> np.ndarray:
        f = self.inner.counts(range(b, b + 1), slice(0, self.inner.n))
        u, ok = rake_batch(f, self.base, self.margins, trim=self.trim,
                           max_iter=self.max_iter, tol=self.tol)
        self.not_converged += int((~ok).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.weights > 0, f * u / self.weights, 0.0)

    def counts(self, blocks: range, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.n)
        keep = {b: self._cache[b] if b in self._cache else self._block(b) for b in blocks}
        self._cache.clear()
        self._cache.update(keep)
        cols = self.positions[start:stop]
        return np.concatenate([keep[b][:, cols] for b in blocks])


def replicate_means(y: np.ndarray, weights: np.ndarray | None, scheme, n_boot: int,
                    domains: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means of the columns of ``y`` (n, p; NaN: not answered) per domain
    ((n, G) boolean) and their bootstrap standard errors from ``n_boot`` resamples of
    ``scheme`` (its counts times ``weights``): ``(mean, se)``, each (G, p). Two matrix
    products per block of resamples."""
    from ..resampling import BLOCK

    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    n, p = y.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    dom = np.ones((n, 1), bool) if domains is None else np.asarray(domains, bool).reshape(n, -1)
    ok = np.isfinite(y)
    y0 = np.where(ok, y, 0.0)
    # per (domain, column): numerator and denominator columns, (n, G·p) each
    a = (dom[:, :, None] & ok[:, None, :]).reshape(n, -1).astype(float)
    num = a * np.tile(y0, (1, dom.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w @ num) / (w @ a)
    draws = []
    for b in range(-(-n_boot // BLOCK)):
        f = scheme.counts(range(b, b + 1), slice(0, n)) * w
        with np.errstate(invalid="ignore", divide="ignore"):
            draws.append((f @ num) / (f @ a))
    d = np.concatenate(draws)[:n_boot]
    se = np.nanstd(d, axis=0, ddof=1)
    g = dom.shape[1]
    return mean.reshape(g, p), se.reshape(g, p)
