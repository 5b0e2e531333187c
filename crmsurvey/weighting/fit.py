"""The fitting loop shared by raking, post-stratification and linear calibration, for
one sample (or one level of ``by``): a step that moves the weights towards the targets,
the weights rescaled to mean 1, clipped to the trimming bounds, repeated until every
margin is within ``tol`` of its target.

A *margin* here is a row → category array (``-1``: the row has no value on that
variable, or a code without a target; such rows keep their weight through that margin's
step and do not count in its shares) and the target shares of its categories.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "fit", "shares_of", "max_error", "STEPS"]


@dataclass(frozen=True, eq=False)
class Fit:
    weights: np.ndarray
    iterations: int
    max_error: float
    converged: bool


def shares_of(w: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Weighted shares of the ``k`` categories among the rows that have one."""
    known = idx >= 0
    tot = np.bincount(idx[known], weights=w[known], minlength=k)
    s = tot.sum()
    return tot / s if s > 0 else np.full(k, np.nan)


def max_error(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The largest absolute difference between an achieved and a target share."""
    return max((float(np.max(np.abs(shares_of(w, idx, len(p)) - p))) for idx, p in margins),
               default=0.0)


def _rake_step(w: np.ndarray, margins, trim=None) -> np.ndarray:
    """One sweep of iterative proportional fitting: each margin in turn, the weights of
    each category multiplied by target / achieved (Deming & Stephan 1940). With ``trim``
    a weight that would cross a bound is held at it and the category's other weights
    carry the rest of its target."""
    w = w.copy()
    for idx, p in margins:
        known = idx >= 0
        ik, wk = idx[known], w[known]
        tot = np.bincount(ik, weights=wk, minlength=len(p))
        want = p * tot.sum()
        factor = np.divide(want, tot, out=np.ones_like(tot), where=tot > 0)
        if trim is not None:
            factor = _bounded_factor(wk, ik, want, factor, trim)
            w[known] = np.clip(wk * factor[ik], *trim)
        else:
            w[known] = wk * factor[ik]
    return w


def _bounded_factor(wk, ik, want, factor, trim, rounds: int = 50) -> np.ndarray:
    """Per category, the factor f with ``Σ clip(w·f, low, high) = target``: the weights
    held at a bound count as the bound, the free ones carry the rest (a fixed point,
    found in a few rounds; an unreachable target leaves the category at its bounds)."""
    lo, hi = trim
    k = len(want)
    for _ in range(rounds):
        cand = wk * factor[ik]
        held = np.where(cand <= lo, lo, np.where(cand >= hi, hi, 0.0))
        free = held == 0.0
        held_tot = np.bincount(ik, weights=held, minlength=k)
        free_tot = np.bincount(ik[free], weights=wk[free], minlength=k)
        new = np.divide(want - held_tot, free_tot, out=factor.copy(), where=free_tot > 0)
        new = np.maximum(new, 0.0)
        if np.allclose(new, factor, rtol=1e-12, atol=0.0):
            return new
        factor = new
    return factor


def _indicators(n: int, margins) -> tuple[np.ndarray, list[np.ndarray]]:
    """The category indicators of every margin side by side, and each margin's rows
    with a value."""
    blocks, known = [], []
    for idx, p in margins:
        x = np.zeros((n, len(p)))
        ok = idx >= 0
        x[np.flatnonzero(ok), idx[ok]] = 1.0
        blocks.append(x)
        known.append(ok)
    return np.hstack(blocks), known


def _linear_fit(base: np.ndarray, margins, trim, max_iter: int, tol: float) -> "Fit":
    """Linear (GREG) calibration (Deville & Särndal 1992; R survey's ``calibrate(calfun =
    "linear")``): ``w = d·(1 + xᵀλ)`` with ``λ`` solving ``Σ w x = T``, ``x`` the
    category indicators of every margin and ``T`` the targets as totals of the base
    weight of the rows with a value — one Newton step. With ``trim`` the weights are
    ``clip(d·(1 + xᵀλ), low, high)`` and Newton's steps use the rows inside the bounds
    (truncated linear calibration). Without bounds weights may turn negative."""
    d = base / base.mean()
    x, known = _indicators(len(d), margins)
    t = np.concatenate([p * d[ok].sum() for (_, p), ok in zip(margins, known)])
    lam = np.zeros(x.shape[1])
    w, err = d, max_error(d, margins)
    if err <= tol and (trim is None or _within(d, trim)):
        return Fit(d, 0, err, True)
    for it in range(1, max_iter + 1):
        raw = d * (1.0 + x @ lam)
        w = raw if trim is None else np.clip(raw, *trim)
        inside = np.ones(len(d), bool) if trim is None else (raw > trim[0]) & (raw < trim[1])
        jac = x.T @ ((d * inside)[:, None] * x)
        # indicator blocks are collinear (each adds up to the intercept): min-norm step
        lam = lam + np.linalg.pinv(jac) @ (t - x.T @ w)
        raw = d * (1.0 + x @ lam)
        w = raw if trim is None else np.clip(raw, *trim)
        err = max_error(w, margins)
        if err <= tol:
            return Fit(w, it, err, True)
    return Fit(w, max_iter, err, False)


def _poststratify_step(w: np.ndarray, margins, trim=None) -> np.ndarray:
    """Post-stratification: the weights of each cell (one margin whose categories are
    the cells) multiplied by its target / achieved total (held at the bounds with
    ``trim``, as in raking)."""
    return _rake_step(w, margins[:1], trim)


STEPS = {"rake": _rake_step, "poststratify": _poststratify_step}


def fit(base: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]], method: str, *,
        trim: tuple[float, float] | None, max_iter: int, tol: float) -> Fit:
    """Weights for one sample: ``base`` moved to the targets by ``method``, rescaled to
    mean 1 and clipped to ``trim`` after each step, until the largest margin error is at
    most ``tol`` (or ``max_iter`` steps). Post-stratification and linear calibration
    meet their targets in one step without bounds."""
    if method == "linear":
        return _linear_fit(base, margins, trim, max_iter, tol)
    step = STEPS[method]
    w = base / base.mean()
    err = max_error(w, margins)
    if err <= tol and (trim is None or _within(w, trim)):
        return Fit(w, 0, err, True)
    for it in range(1, max_iter + 1):
        w = step(w, margins, trim)
        w = w / w.mean()
        if trim is not None:
            w = np.clip(w, trim[0], trim[1])
        err = max_error(w, margins)
        if err <= tol:
            return Fit(w, it, err, True)
    return Fit(w, max_iter, err, False)


def _within(w: np.ndarray, trim: tuple[float, float]) -> bool:
    return bool(w.min() >= trim[0] and w.max() <= trim[1])
