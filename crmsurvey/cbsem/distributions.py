"""The few distribution functions a CB-SEM fit reports, without scipy.

χ² tails (p-values), the non-central χ² (RMSEA interval and close-fit test) and the
normal (z tests, intervals). ``scipy.special`` and ``scipy.stats`` cost half a second to
several seconds of import, which the first fit of a process would pay for a dozen
numbers; these are written from their definitions with the standard library's ``lgamma``
and ``erfc`` and agree with scipy to about 1e-13 (checked in tests/test_cbsem_robust.py).

- ``P(a, x)``, the regularised lower incomplete gamma: its power series for
  ``x < a + 1``, else ``1 − Q`` with ``Q`` from the Legendre continued fraction
  (evaluated by the modified Lentz method); ``χ²_k`` CDF ``= P(k/2, x/2)``.
- Non-central ``χ²_k(λ)`` CDF: the Poisson(λ/2) mixture of central ``χ²_{k+2j}`` CDFs,
  summed outward from the Poisson mode until the weights vanish.
- Its inverse in λ (for the RMSEA interval): the CDF falls with λ; bracketed, then
  regula falsi to a relative 1e-13.
- The normal quantile: bisection on ``erfc`` to the last bit.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["gamma_p", "chi2_cdf", "chi2_sf", "ncx2_cdf", "ncx2_noncentrality", "norm_sf",
           "norm_ppf"]

_EPS = 1e-16


def gamma_p(a: float, x: float) -> float:
    """Regularised lower incomplete gamma ``P(a, x)``."""
    if x <= 0:
        return 0.0
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        while abs(term) > abs(total) * _EPS:
            k += 1
            term *= x / k
            total += term
        return min(1.0, total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    return 1.0 - _gamma_q_fraction(a, x)


def _gamma_q_fraction(a: float, x: float) -> float:
    """``Q(a, x)`` by its continued fraction (x ≥ a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < _EPS:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_cdf(x: float, df: float) -> float:
    """``P(χ²_df ≤ x)``."""
    return gamma_p(df / 2, x / 2)


def chi2_sf(x: float, df: float) -> float:
    """``P(χ²_df > x)``, accurate in the far tail (no ``1 − CDF`` cancellation)."""
    if x <= 0:
        return 1.0
    a, h = df / 2, x / 2
    return _gamma_q_fraction(a, h) if h >= a + 1 else 1.0 - gamma_p(a, h)


def ncx2_cdf(x: float, df: float, nc: float) -> float:
    """``P(χ²_df(nc) ≤ x)``: Σ_j Poisson(j; nc/2) · P(df/2 + j, x/2), from the Poisson
    mode outward, each ``P`` from its neighbour by ``P(a + 1, h) = P(a, h) − h^a e^−h /
    Γ(a + 1)``."""
    if nc <= 0:
        return chi2_cdf(x, df)
    if x <= 0:
        return 0.0
    half, h = nc / 2, x / 2
    mode = int(half)
    a0 = df / 2 + mode
    p_mode = gamma_p(a0, h)

    def weight(j: int) -> float:
        return math.exp(-half + j * math.log(half) - math.lgamma(j + 1))

    def density_term(a: float) -> float:  # h^a e^−h / Γ(a + 1)
        return math.exp(a * math.log(h) - h - math.lgamma(a + 1))

    total = weight(mode) * p_mode
    p_j = p_mode
    for j in range(mode - 1, -1, -1):  # P(a − 1) = P(a) + h^(a−1) e^−h / Γ(a)
        p_j = min(1.0, p_j + density_term(df / 2 + j))
        w = weight(j)
        total += w * p_j
        if w < 1e-18:
            break
    p_j = p_mode
    for j in range(mode + 1, mode + 1_000_000):
        p_j = max(0.0, p_j - density_term(df / 2 + j - 1))
        w = weight(j)
        total += w * p_j
        if w < 1e-18 and j > half:
            break
    return min(1.0, total)


def ncx2_noncentrality(x: float, df: float, prob: float) -> float:
    """The λ with ``P(χ²_df(λ) ≤ x) = prob`` (0 when even λ = 0 gives less than prob):
    bracketed, then regula falsi (Illinois) to a relative 1e-13."""
    if chi2_cdf(x, df) < prob:
        return 0.0
    lo, hi = 0.0, max(x, 1.0)
    f_lo, f_hi = chi2_cdf(x, df) - prob, ncx2_cdf(x, df, hi) - prob
    while f_hi > 0:
        lo, f_lo = hi, f_hi
        hi *= 2
        f_hi = ncx2_cdf(x, df, hi) - prob
    side = 0
    for _ in range(200):
        mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_mid = ncx2_cdf(x, df, mid) - prob
        if f_mid > 0:
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo /= 2
            side = 1
        if hi - lo < 1e-13 * max(hi, 1.0) or f_mid == 0:
            break
    return mid


def norm_sf(z) -> np.ndarray:
    """Upper tail of the standard normal, elementwise (NaN stays NaN)."""
    z = np.asarray(z, float)
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(z) | np.isinf(z)
    out[ok] = [0.5 * math.erfc(v / math.sqrt(2)) for v in z[ok]]
    return out


def norm_ppf(p: float) -> float:
    """The standard normal quantile of ``p`` in (0, 1)."""
    if not 0 < p < 1:
        return math.copysign(math.inf, p - 0.5) if p in (0.0, 1.0) else math.nan
    if p > 0.5:  # the lower tail, where erfc keeps its relative precision
        return -norm_ppf(1 - p)
    lo, hi = -40.0, 0.0  # Φ is monotone: bisection on erfc to the last bit
    while True:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            return mid
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
