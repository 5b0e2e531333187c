"""Sample statistics of mixed ordered and continuous items, as lavaan's WLSMV uses them
(Muthén 1984, lavaan's ``muthen1984``): one group's complete rows.

1. Univariate: each ordered item's thresholds ``τ_k = Φ⁻¹(P(y ≤ k))``; each continuous
   item's mean and variance (divisor N).
2. Bivariate, each pair with the univariate values fixed (two-step): polychoric
   (ordered–ordered; a 2×2 table with one empty cell gets lavaan's ``zero.add``),
   polyserial (continuous–ordered, maximising ``Σ ln P(y₂ | y₁)``) and Pearson
   (continuous–continuous) correlations.
3. Their joint asymptotic covariance ``Γ`` from the casewise scores: ``B⁻¹ (S'S) B⁻ᵀ``
   with ``B = [[A₁₁, 0], [A₂₁, A₂₂]]`` — ``A₁₁`` the per-item block-diagonal part of the
   scores' cross-product, ``A₂₁`` the cross-product of each correlation's score with the
   pair likelihood's scores in the univariate parameters, ``A₂₂`` diagonal — then the
   delta rule to the covariance metric (a correlation with a continuous item times its
   standard deviation).

The statistics vector is lavaan's ``WLS.obs`` order — thresholds and means item by item,
the continuous items' variances, then the covariances below the diagonal column by column
— except that a continuous item's mean enters as ``+μ`` (lavaan stores ``−μ`` and flips
the sign of its rows of ``Γ``; nothing else changes).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], size=3000)
>>> df = pd.DataFrame({"y": np.digitize(z[:, 0], [-.5, .5]), "x": z[:, 1]})
>>> m = sample_moments(df, ["y"])
>>> m.labels[:3], round(float(m.cov[0, 1]), 1)         # thresholds, mean, variance
(['y|t1', 'y|t2', 'x~1'], 0.5)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .polychoric import (_phi, bvn_dh, cell_probabilities, polychoric, special,
                         threshold_scores, thresholds_of)

__all__ = ["OrderedMoments", "sample_moments", "pair_index", "polyserial"]

_FAR = 50.0  # ±∞ edges of the polyserial likelihood: φ and 1 − Φ are exactly 0 there


@dataclass(frozen=True, eq=False)
class OrderedMoments:
    """One group's statistics: ``stats`` (see the module docstring) with ``labels`` in
    lavaan's names, their ``nacov`` (``N · acov``), the matrix ``cov`` (1 on an ordered
    item's diagonal), the slots ``th_item``/``th_number`` (item index; 0 for a mean),
    ``categories`` of the ordered items, their category ``codes`` (−1 for continuous)."""

    observed: tuple[str, ...]
    ordered: np.ndarray  # (p,) bool
    stats: np.ndarray
    labels: list[str]
    nacov: np.ndarray
    cov: np.ndarray
    th_item: np.ndarray
    th_number: np.ndarray
    categories: dict
    codes: np.ndarray
    n: int

    @property
    def n_th(self) -> int:
        return len(self.th_item)

    @property
    def numeric(self) -> np.ndarray:
        return np.flatnonzero(~self.ordered)


def pair_index(p: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs below the diagonal, column by column (lavaan's ``vech(diagonal = FALSE)``):
    rows ``i`` and columns ``j`` (``i > j``)."""
    j, i = np.triu_indices(p, 1)
    return i, j


def _categories(col: pd.Series, name: str) -> tuple[list, np.ndarray]:
    values = sorted(pd.unique(col))
    if len(values) < 2:
        raise InputError(f"ordered item {name!r} has a single category in the rows used")
    return values, np.searchsorted(values, col.to_numpy())


def polyserial(z: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, tol: float = 1e-10,
               max_iter: int = 100) -> np.ndarray:
    """Two-step polyserial correlations of many pairs at once: ``z`` (n, P) the continuous
    items standardised, ``lo``/``hi`` (n, P) the edges of each row's category of the
    ordered item (±50 for ±∞). Each ρ maximises ``Σ ln P(y | z)`` on [−0.995, 0.995]
    (lavaan's bounds): Newton on the score with a numerical second derivative, kept
    inside a bracket that bisection narrows (the score falls through 0 at the maximum).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=4000)
    >>> edges = np.array([-50, -0.5, 0.4, 50])
    >>> y = np.digitize(x[:, 1], edges[1:-1])
    >>> z = (x[:, :1] - x[:, 0].mean()) / x[:, 0].std()
    >>> round(float(polyserial(z, edges[y][:, None], edges[y + 1][:, None])[0]), 1)
    0.6
    """
    def score(rho, k):
        zz, hh, ll = z[:, k], hi[:, k], lo[:, k]
        r = np.sqrt(1 - rho * rho)
        t_hi, t_lo = (hh - rho * zz) / r, (ll - rho * zz) / r
        p = np.maximum(special.ndtr(t_hi) - special.ndtr(t_lo), np.finfo(float).eps)
        return ((_phi(t_hi) * (hh * rho - zz) - _phi(t_lo) * (ll * rho - zz))
                / (p * r ** 3)).sum(axis=0)

    lo_b, hi_b = np.full(z.shape[1], -0.995), np.full(z.shape[1], 0.995)
    rho = np.zeros(z.shape[1])
    active = np.arange(z.shape[1])
    for _ in range(max_iter):
        x = rho[active]
        g = score(x, active)
        up = g > 0
        lo_b[active] = np.where(up, x, lo_b[active])
        hi_b[active] = np.where(up, hi_b[active], x)
        h = 1e-7
        slope = (score(x + h, active) - g) / h
        with np.errstate(divide="ignore", invalid="ignore"):
            new = x - g / slope
        outside = ~((new > lo_b[active]) & (new < hi_b[active])) | ~np.isfinite(new)
        new = np.where(outside, (lo_b[active] + hi_b[active]) / 2, new)
        rho[active] = new
        active = active[np.abs(new - x) >= tol]
        if not active.size:
            break
    return rho


def _far(edges: np.ndarray) -> np.ndarray:
    out = edges.copy()
    out[0], out[-1] = -_FAR, _FAR
    return out


def _pair_scores(kind: str, ua: dict, ub: dict, rho: float) -> dict:
    """Casewise scores of one pair's likelihood: in ρ (``rho``), in each item's thresholds
    or mean (``th_a``, ``th_b``: (n, slots)) and in a continuous item's variance
    (``var_a``, ``var_b``: (n,) or None). ``ua``/``ub``: the items' univariate fits."""
    if kind == "pearson":
        xa, xb = ua["x"] - ua["mu"], ub["x"] - ub["mu"]
        va, vb = ua["var"], ub["var"]
        sa, sb, one = np.sqrt(va), np.sqrt(vb), 1 - rho * rho
        q = xa * xa / va - 2 * rho * xa * xb / (sa * sb) + xb * xb / vb
        return dict(
            rho=rho / one + xa * xb / (sa * sb * one) - q * rho / (one * one),
            th_a=((xa / va - rho * xb / (sa * sb)) / one)[:, None],
            th_b=((xb / vb - rho * xa / (sa * sb)) / one)[:, None],
            var_a=-(0.5 / va - (xa * xa / (va * va) - rho * xa * xb / (va * sa * sb))
                    / (2 * one)),
            var_b=-(0.5 / vb - (xb * xb / (vb * vb) - rho * xa * xb / (vb * sa * sb))
                    / (2 * one)))
    if kind == "polyserial":  # a continuous, b ordered
        va, sd = ua["var"], np.sqrt(ua["var"])
        z = (ua["x"] - ua["mu"]) / sd
        y, edges = ub["codes"], _far(ub["edges"])
        r = np.sqrt(1 - rho * rho)
        hi, lo = (edges[y + 1] - rho * z) / r, (edges[y] - rho * z) / r
        p = np.maximum(special.ndtr(hi) - special.ndtr(lo), np.finfo(float).eps)
        f_hi, f_lo = _phi(hi), _phi(lo)
        k = len(edges) - 2  # thresholds of b
        upper = (y[:, None] == np.arange(k)[None, :])  # the row's upper edge is τ_t
        lower = (y[:, None] - 1 == np.arange(k)[None, :])
        return dict(
            rho=(f_hi * (edges[y + 1] * rho - z) - f_lo * (edges[y] * rho - z))
            / (p * r ** 3),
            th_a=(1 / sd * (z + rho / r * (f_hi - f_lo) / p))[:, None],
            var_a=1 / (2 * va) * ((z * z - 1) + rho * z / r * (f_hi - f_lo) / p),
            th_b=(upper * f_hi[:, None] - lower * f_lo[:, None]) / (r * p)[:, None],
            var_b=None)
    ya, yb = ua["codes"], ub["codes"]
    ea, eb = ua["edges"], ub["edges"]
    prob, dprob = cell_probabilities(ea, eb, np.asarray(rho))
    prob = np.maximum(prob, np.finfo(float).eps)
    cell = prob[ya, yb]
    out = dict(rho=dprob[ya, yb] / cell, var_a=None, var_b=None)
    for key, e, other, y, y_other, first in (("th_a", ea, eb, ya, yb, True),
                                             ("th_b", eb, ea, yb, ya, False)):
        g = np.diff(bvn_dh(e[1:-1, None], other[None, :], rho), axis=1)  # (K−1, K_other)
        k = len(e) - 2
        upper = (y[:, None] == np.arange(k)[None, :])
        lower = (y[:, None] - 1 == np.arange(k)[None, :])
        out[key] = (upper ^ lower) * np.where(upper, 1.0, -1.0) * g.T[y_other] / cell[:, None]
    return out


def sample_moments(frame: pd.DataFrame, ordered: list[str]) -> OrderedMoments:
    """The statistics of ``frame``'s columns (complete rows) and their ``Γ``; ``ordered``
    names the ordered items, the others are continuous."""
    cols = list(frame.columns)
    p, n = len(cols), len(frame)
    if n < 2:
        raise InputError("WLSMV needs complete rows: none are left")
    is_ord = np.array([c in ordered for c in cols])
    uni, cats, codes = [], {}, np.full((n, p), -1)
    sc_th, sc_var, th_item, th_number, labels = [], [], [], [], []
    for j, c in enumerate(cols):
        if is_ord[j]:
            values, y = _categories(frame[c], c)
            cats[c], codes[:, j] = values, y
            edges = thresholds_of(np.bincount(y, minlength=len(values))[None].astype(float))[0]
            uni.append(dict(codes=y, edges=edges))
            sc_th.append(threshold_scores(edges)[y])
            th_item += [j] * (len(values) - 1)
            th_number += list(range(1, len(values)))
            labels += [f"{c}|t{k}" for k in range(1, len(values))]
        else:
            x = frame[c].to_numpy(dtype=float)
            mu, var = float(x.mean()), float(x.var())
            uni.append(dict(x=x, mu=mu, var=var))
            sc_th.append(((x - mu) / var)[:, None])
            sc_var.append(-1 / (2 * var) + (x - mu) ** 2 / (2 * var * var))
            th_item.append(j)
            th_number.append(0)
            labels.append(f"{c}~1")
    num = np.flatnonzero(~is_ord)
    labels += [f"{cols[j]}~~{cols[j]}" for j in num]
    sc_th = np.hstack(sc_th)
    sc_var = np.column_stack(sc_var) if len(num) else np.zeros((n, 0))
    th_item, th_number = np.array(th_item), np.array(th_number)
    n_th, n_num = len(th_item), len(num)
    a11_size = n_th + n_num
    slots = [list(np.flatnonzero(th_item == j)) + ([n_th + int(np.searchsorted(num, j))]
                                                   if not is_ord[j] else [])
             for j in range(p)]
    pi, pj = pair_index(p)
    sc_cor = np.zeros((n, len(pi)))
    a21 = np.zeros((len(pi), a11_size))
    h21 = np.zeros((len(pi), a11_size))
    h22 = np.eye(len(pi))
    cor = np.eye(p)
    sd = np.array([1.0 if is_ord[j] else np.sqrt(uni[j]["var"]) for j in range(p)])
    ord_cols = [c for c, o in zip(cols, is_ord) if o]
    poly = polychoric(frame, ord_cols).correlation if len(ord_cols) > 1 else None
    mix = [(j, i) if is_ord[i] else (i, j) for i, j in zip(pi, pj) if is_ord[i] != is_ord[j]]
    serial = {}
    if mix:  # every continuous–ordered pair at once
        rho_mix = polyserial(
            np.column_stack([(uni[a]["x"] - uni[a]["mu"]) / sd[a] for a, _ in mix]),
            np.column_stack([_far(uni[b]["edges"])[uni[b]["codes"]] for _, b in mix]),
            np.column_stack([_far(uni[b]["edges"])[uni[b]["codes"] + 1] for _, b in mix]))
        serial = dict(zip(mix, rho_mix))
    for m, (i, j) in enumerate(zip(pi, pj)):
        a, b = (j, i) if is_ord[i] and not is_ord[j] else (i, j)  # continuous first
        kind = ("polychoric" if is_ord[a] and is_ord[b] else
                "polyserial" if is_ord[b] else "pearson")
        if kind == "pearson":
            rho = float(np.mean((uni[a]["x"] - uni[a]["mu"]) * (uni[b]["x"] - uni[b]["mu"]))
                        / (sd[a] * sd[b]))
        elif kind == "polyserial":
            rho = float(serial[(a, b)])
        else:
            rho = float(poly.at[cols[a], cols[b]])  # with lavaan's zero.add
        cor[i, j] = cor[j, i] = rho
        sc = _pair_scores(kind, uni[a], uni[b], rho)
        sc_cor[:, m] = sc["rho"]
        for item, th_key, var_key in ((a, "th_a", "var_a"), (b, "th_b", "var_b")):
            cols_th = list(np.flatnonzero(th_item == item))
            a21[m, cols_th] = sc_cor[:, m] @ sc[th_key]
            if sc[var_key] is not None:
                slot = n_th + int(np.searchsorted(num, item))
                a21[m, slot] = sc_cor[:, m] @ sc[var_key]
                other = b if item == a else a
                h21[m, slot] = sd[other] * rho / (2 * sd[item])
        h22[m, m] = sd[i] * sd[j]
    scores = np.hstack([sc_th, sc_var, sc_cor])
    inner = scores.T @ scores
    a11 = np.zeros((a11_size, a11_size))
    for idx in slots:
        a11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1 / np.einsum("ij,ij->j", sc_cor, sc_cor))
    b_inv = np.block([[a11_inv, np.zeros((a11_size, len(pi)))],
                      [-a22_inv @ a21 @ a11_inv, a22_inv]])
    h = np.block([[np.eye(a11_size), np.zeros((a11_size, len(pi)))], [h21, h22]])
    w = h @ b_inv @ inner @ b_inv.T @ h.T
    cov = cor * np.outer(sd, sd)
    th = np.concatenate([uni[j]["edges"][1:-1] if is_ord[j] else [uni[j]["mu"]]
                         for j in range(p)])
    stats = np.concatenate([th, sd[num] ** 2, cov[pi, pj]])
    labels += [f"{cols[j]}~~{cols[i]}" for i, j in zip(pi, pj)]
    return OrderedMoments(tuple(cols), is_ord, stats, labels, n * w, cov, th_item,
                          th_number, cats, codes, n)
