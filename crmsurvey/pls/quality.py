"""Measurement and structural quality from the correlation matrices: reliability
(alpha, rho_A, rho_C, AVE), HTMT, Fornell–Larcker, cross-loadings, VIFs and f².

Conventions follow seminr / SmartPLS: standardised alpha, single-item constructs
reported with reliabilities of 1, HTMT on absolute correlations.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .layout import Layout

__all__ = ["reliability", "rho_a", "htmt", "item_vif", "inner_vif", "f_squared"]


def rho_a(r: np.ndarray, w: np.ndarray, lay: Layout) -> np.ndarray:
    """Dijkstra–Henseler rho_A per construct (B, K) from ``R`` (B,p,p) and weights (B,p)."""
    out = np.ones((r.shape[0], lay.k))
    for j in range(lay.k):
        idx = lay.items_of(j)
        if len(idx) < 2 or lay.mode_b[j]:
            continue
        wj = w[:, idx]
        s = r[:, idx[:, None], idx[None, :]]
        off = ~np.eye(len(idx), dtype=bool)
        wsw = np.einsum("bi,bij,bj->b", wj, s * off, wj)
        ww = wj[:, :, None] * wj[:, None, :]
        waw = np.einsum("bi,bij,bj->b", wj, ww * off, wj)
        out[:, j] = (wj * wj).sum(axis=1) ** 2 * wsw / waw
    return out


def reliability(r: np.ndarray, w: np.ndarray, loadings: np.ndarray, lay: Layout,
                raw_alpha: np.ndarray) -> pd.DataFrame:
    """One row per construct: alpha (standardised), alpha_raw, rho_a, rho_c, ave."""
    rows = []
    rho = rho_a(r[None], w[None], lay)[0]
    for j, c in enumerate(lay.constructs):
        idx = lay.items_of(j)
        lam = loadings[idx, j]
        k = len(idx)
        if k < 2:
            alpha = rho_c = ave = 1.0
        else:
            rj = r[np.ix_(idx, idx)]
            alpha = k / (k - 1) * (1 - k / rj.sum())
            rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            ave = float((lam**2).mean())
        rows.append({"construct": c, "mode": "B" if lay.mode_b[j] else "A", "items": k,
                     "alpha": alpha, "alpha_raw": raw_alpha[j], "rho_a": rho[j],
                     "rho_c": rho_c, "ave": ave})
    return pd.DataFrame(rows)


def raw_alpha(cov: np.ndarray, lay: Layout) -> np.ndarray:
    """Cronbach's alpha of each block's raw items from their covariances (K,); 1 for a
    single-item block (alpha is the same with n or n − 1 in the covariance)."""
    out = np.ones(lay.k)
    for j in range(lay.k):
        idx = lay.items_of(j)
        if len(idx) > 1:
            c = cov[np.ix_(idx, idx)]
            k = len(idx)
            out[j] = k / (k - 1) * (1 - np.trace(c) / c.sum())
    return out


def htmt(r: np.ndarray, lay: Layout) -> np.ndarray:
    """Heterotrait–monotrait ratios (B, K, K), symmetric, NaN on the diagonal."""
    b, p = r.shape[:2]
    # sums of absolute correlations within and between every pair of blocks: mask' |R| mask,
    # with the batch last (the layout the moments hand out: no transposing copy)
    a = np.abs(np.moveaxis(r, 0, -1)).reshape(p, p * b)  # (p, p·B)
    # a resample that gave no estimate is NaN (or inf) throughout: its sums are NaN, and
    # the run reports it as a diagnostic, not as numpy's floating-point warning
    with np.errstate(invalid="ignore", over="ignore"):
        left = (lay.mask.T @ a).reshape(lay.k, p, b)  # Σ over each block's rows
        sums = np.moveaxis(np.matmul(lay.mask.T, left), -1, 0)  # (B, K, K)
    size = lay.mask.sum(0)
    k = np.arange(lay.k)
    many = size > 1
    mono = np.ones((b, lay.k))  # mean monotrait correlation (off the diagonal); 1 alone
    mono[:, many] = (sums[:, k, k][:, many] - size[many]) / (size * (size - 1))[many]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (sums / np.outer(size, size)) / np.sqrt(mono[:, :, None] * mono[:, None, :])
    out[:, np.arange(lay.k), np.arange(lay.k)] = np.nan
    return out


def vif(r: np.ndarray) -> np.ndarray:
    """Variance inflation factors from a correlation matrix: ``1 / (1 − R²ᵢ)`` with
    ``R²ᵢ`` from regressing variable i on the others by least squares (stable when the
    others are collinear among themselves); ``inf`` where i is a linear combination of
    the others (R²ᵢ = 1 to 1e-10).

    Examples
    --------
    >>> vif(np.array([[1.0, 1.0], [1.0, 1.0]])).tolist()   # two identical items
    [inf, inf]
    >>> vif(np.array([[1.0, 0.6], [0.6, 1.0]])).round(4).tolist()
    [1.5625, 1.5625]
    """
    m = len(r)
    out = np.ones(m)
    for i in range(m):
        rest = np.delete(np.arange(m), i)
        beta = np.linalg.lstsq(r[np.ix_(rest, rest)], r[rest, i], rcond=None)[0]
        unexplained = 1.0 - float(r[i, rest] @ beta)
        out[i] = np.inf if unexplained < 1e-10 else 1.0 / unexplained
    return out


def item_vif(r: np.ndarray, lay: Layout) -> np.ndarray:
    """VIF of each item within its block (p,)."""
    out = np.ones(lay.p)
    for j in range(lay.k):
        idx = lay.items_of(j)
        if len(idx) > 1:
            out[idx] = vif(r[np.ix_(idx, idx)])
    return out


def inner_vif(c: np.ndarray, lay: Layout) -> pd.DataFrame:
    """VIF of each predictor in each structural regression (lhs outcome, rhs predictor)."""
    rows = []
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        v = vif(c[np.ix_(pred, pred)]) if len(pred) > 1 else np.ones(1)
        rows += [{"lhs": lay.constructs[j], "op": "~", "rhs": lay.constructs[i], "vif": x}
                 for i, x in zip(pred, v)]
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "vif"])


def f_squared(c: np.ndarray, r2: np.ndarray, lay: Layout) -> pd.DataFrame:
    """Cohen's f² of every path: (R²_with − R²_without) / (1 − R²_with)."""
    rows = []
    for j in lay.endogenous:
        pred = lay.predecessors(j)
        for i in pred:
            rest = pred[pred != i]
            r2_wo = 0.0
            if len(rest):
                coef = np.linalg.solve(c[np.ix_(rest, rest)], c[rest, j])
                r2_wo = float(coef @ c[rest, j])
            rows.append({"lhs": lay.constructs[j], "op": "~", "rhs": lay.constructs[i],
                         "f2": (r2[j] - r2_wo) / (1 - r2[j])})
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "f2"])
