"""Thresholds and polychoric correlations of ordered items (Olsson 1979, two-step), all
pairs at once — the first stage of categorical SEM (lavaan's ``lavCor(ordered = …)``).

Each item's thresholds come from its own cumulative proportions, ``τ_k = Φ⁻¹(P(y ≤ k))``;
each pair's correlation then maximises the bivariate multinomial likelihood
``Σ n_ab ln P_ab(ρ)`` with those thresholds fixed, by Fisher scoring on every pair
together (a 2×2 table with one empty cell first gets lavaan's ``zero.add``). The bivariate normal probabilities use the Sheppard–Drezner integral
``Φ₂(h, k; ρ) = Φ(h)Φ(k) + (2π)⁻¹ ∫₀^{asin ρ} exp(−(h² + k² − 2hk sin t) / (2 cos² t)) dt``
with Gauss–Legendre quadrature: 20 points while every |ρ| ≤ 0.95 (error below 2e-15
there), 40 beyond (1e-13 at |ρ| = 0.999).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Polychoric", "polychoric", "bivariate_normal_cdf", "cell_probabilities",
           "fit_rho", "thresholds_of", "threshold_scores", "bvn_dh", "zero_add"]


class _Special:
    """``scipy.special``, imported on first use (the package imports this module; a
    fit without ordered items should not pay scipy's import)."""

    def __getattr__(self, name: str):
        from scipy import special as module

        return getattr(module, name)


special = _Special()


def _phi(x):
    """The standard normal density."""
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2 * np.pi)

_RULES = {m: np.polynomial.legendre.leggauss(m) for m in (20, 40)}
_EDGE = 8.0  # ±∞ thresholds, far enough out for Φ to be 0 or 1 in double precision
_EPS = np.finfo(float).eps  # the smallest cell probability that is not rounding noise


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``P(X ≤ h, Y ≤ k)`` for standard normals with correlation ``rho`` (broadcast)."""
    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float),
                                    np.asarray(rho, float))
    top = np.arcsin(rho)
    nodes, weights = _RULES[20 if not (np.abs(rho) > 0.95).any() else 40]
    t = (top[..., None] / 2) * (nodes + 1)  # nodes on [0, asin ρ]
    s, c2 = np.sin(t), np.cos(t) ** 2
    hh, kk = h[..., None], k[..., None]
    integrand = np.exp(-(hh * hh + kk * kk - 2 * hh * kk * s) / (2 * c2))
    integral = (top / 2) * (integrand @ weights)
    return special.ndtr(h) * special.ndtr(k) + integral / (2 * np.pi)


def _density(h, k, rho):
    one = 1 - rho * rho
    return np.exp(-(h * h - 2 * rho * h * k + k * k) / (2 * one)) / (2 * np.pi * np.sqrt(one))


def cell_probabilities(tau_a: np.ndarray, tau_b: np.ndarray, rho: np.ndarray, *,
                       second: bool = False) -> tuple[np.ndarray, ...]:
    """Cell probabilities ``P_ab(ρ)`` and ``∂P_ab/∂ρ`` (and ``∂²P_ab/∂ρ²`` with ``second``)
    of a pair of ordered items, batched: edges ``tau_a`` (..., Ka+1) and ``tau_b``
    (..., Kb+1) from −8 to +8, ``rho`` (...); each out (..., Ka, Kb). Φ₂ is evaluated once
    per edge crossing; at the ±8 borders it is the product of the margins (the integral
    term is below 1e-15 there)."""
    h, k = tau_a[..., :, None], tau_b[..., None, :]
    r = np.asarray(rho, float)[..., None, None]
    cdf = special.ndtr(h) * special.ndtr(k)
    cdf[..., 1:-1, 1:-1] = bivariate_normal_cdf(h[..., 1:-1, :], k[..., :, 1:-1], r)
    pdf = _density(h, k, r)

    def cells(g):
        return g[..., 1:, 1:] - g[..., :-1, 1:] - g[..., 1:, :-1] + g[..., :-1, :-1]

    out = (np.clip(cells(cdf), 1e-300, None), cells(pdf))
    if not second:
        return out
    one = 1 - r * r  # ∂φ₂/∂ρ = φ₂ · (ρ/(1−ρ²) + hk/(1−ρ²) − ρ(h² − 2ρhk + k²)/(1−ρ²)²)
    dpdf = pdf * ((r + h * k) / one - r * (h * h - 2 * r * h * k + k * k) / (one * one))
    return (*out, cells(dpdf))


def fit_rho(counts: np.ndarray, tau_a: np.ndarray, tau_b: np.ndarray, rho: np.ndarray, *,
            tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, int]:
    """Polychoric correlations of contingency tables ``counts`` (..., Ka, Kb) with the
    thresholds fixed, from ``rho`` (...) — every table at once: Fisher scoring, then
    Newton steps (observed information) once a step is below 0.05. Returns ρ, a converged
    mask and the iterations used."""
    n = counts.sum(axis=(-2, -1))
    rho = np.asarray(rho, float).copy()
    step = np.full(rho.shape, np.inf)
    it = 0
    for it in range(1, max_iter + 1):
        prob, dprob, d2prob = cell_probabilities(tau_a, tau_b, rho, second=True)
        # a cell the model makes numerically empty (P below machine precision, where the
        # differences of Φ₂ are rounding noise) counts at P = ε: the ratios stay finite
        # (|∂P/∂ρ| < 4 for |ρ| ≤ .999), so empty cells add exactly 0, never 0·∞
        prob = np.maximum(prob, _EPS)
        ratio = dprob / prob
        score = (counts * ratio).sum(axis=(-2, -1))
        hess = (counts * (d2prob / prob - ratio * ratio)).sum(axis=(-2, -1))
        fisher = n * (dprob * ratio).sum(axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            move = np.where((step < 0.05) & (hess < 0), -score / hess, score / fisher)
        new = np.clip(rho + move, -0.999, 0.999)
        step, rho = np.abs(new - rho), new
        if not (step >= tol).any():  # NaN steps stop too: they are flagged below
            break
    return rho, step < tol, it


def threshold_scores(edges: np.ndarray) -> np.ndarray:
    """The score of each threshold (∂ ln P(category)/∂τ) for a row in each category of an
    item with edges ``edges`` (..., K+1): (..., K, K−1); 0 for empty (padded) categories."""
    k = edges.shape[-1] - 1
    d = np.eye(k, k - 1) - np.eye(k, k - 1, -1)  # +1 below the threshold, −1 above
    p = np.diff(special.ndtr(edges), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p[..., :, None] > 0,
                        d * _phi(edges[..., None, 1:-1]) / p[..., :, None], 0.0)


def bvn_dh(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """∂Φ₂(h, k; r)/∂h."""
    return _phi(h) * special.ndtr((k - r * h) / np.sqrt(1 - r * r))


def thresholds_of(counts: np.ndarray) -> np.ndarray:
    """Threshold edges (..., K+1) ``[−8, Φ⁻¹(cumulative proportions), +8]`` of category
    counts (..., K); categories past an item's last are padded with +8."""
    cum = np.cumsum(counts, axis=-1)[..., :-1] / counts.sum(axis=-1, keepdims=True)
    edges = np.full((*counts.shape[:-1], counts.shape[-1] + 1), _EDGE)
    edges[..., 0] = -_EDGE
    with np.errstate(divide="ignore"):
        edges[..., 1:-1] = np.clip(special.ndtri(cum), -_EDGE, _EDGE)
    return edges


def zero_add(counts: np.ndarray, k: np.ndarray, a: np.ndarray, b: np.ndarray
             ) -> np.ndarray:
    """lavaan's ``zero.add = c(0.5, 0)`` with ``zero.keep.margins``: a 2×2 table (items
    ``a``, ``b`` with ``k`` categories) with one empty cell gets 0.5 on that cell's
    diagonal and −0.5 on the other, its margins kept; other tables are unchanged."""
    out = counts.copy()
    square = (k[a] == 2) & (k[b] == 2)
    cells = out[..., :2, :2]
    one = square & ((cells == 0).sum(axis=(-2, -1)) == 1)
    diagonal = (cells[..., 0, 0] == 0) | (cells[..., 1, 1] == 0)
    sign = np.where(diagonal, 0.5, -0.5) * one
    out[..., :2, :2] += sign[..., None, None] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    return out


@dataclass(frozen=True, eq=False)
class Polychoric:
    """``thresholds``: ``item, threshold, est`` (``threshold`` 1 … K−1: between categories
    k and k+1); ``correlation``: the polychoric correlation matrix; ``categories``: each
    item's categories in order; ``n``: complete rows used."""

    thresholds: pd.DataFrame
    correlation: pd.DataFrame
    categories: dict[str, list]
    n: int
    iterations: int


def polychoric(data: pd.DataFrame, columns: list[str] | None = None, *, tol: float = 1e-10,
               max_iter: int = 100) -> Polychoric:
    """Thresholds and polychoric correlations of ordered ``columns`` (complete rows).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=2000)
    >>> df = pd.DataFrame(np.digitize(z, [-1, 0, 1]), columns=["a", "b"])
    >>> round(float(polychoric(df).correlation.loc["a", "b"]), 1)
    0.6
    """
    columns = list(data.columns) if columns is None else list(columns)
    frame = data[columns].dropna()
    if len(frame) < 2 or len(columns) < 2:
        raise InputError("polychoric correlations need two ordered items and complete rows")
    codes, cats = [], {}
    for col in columns:
        values = sorted(pd.unique(frame[col]))
        if len(values) < 2:
            raise InputError(f"ordered item {col!r} has a single category")
        cats[col] = values
        codes.append(np.searchsorted(values, frame[col].to_numpy()))
    y = np.column_stack(codes)
    n, p = y.shape
    kmax = max(len(v) for v in cats.values())
    onehot = (y[:, :, None] == np.arange(kmax)).astype(float)  # (n, p, kmax)
    tau = thresholds_of(onehot.sum(axis=0))  # row j = [−8, τ_1 … τ_{K−1}, +8, +8 …]
    rows = [(col, k, float(tau[j, k])) for j, col in enumerate(columns)
            for k in range(1, len(cats[col]))]
    a, b = iu = np.triu_indices(p, 1)
    counts = np.einsum("ipk,iql->pqkl", onehot, onehot)[a, b]  # (pairs, kmax, kmax)
    start = np.clip(np.corrcoef(y, rowvar=False)[iu], -0.9, 0.9)
    counts = zero_add(counts, np.array([len(cats[c]) for c in columns]), a, b)
    rho, _, it = fit_rho(counts, tau[a], tau[b], start, tol=tol, max_iter=max_iter)
    cor = np.eye(p)
    cor[a, b] = cor[b, a] = rho
    return Polychoric(pd.DataFrame(rows, columns=["item", "threshold", "est"]),
                      pd.DataFrame(cor, index=columns, columns=columns), cats, n, it)
