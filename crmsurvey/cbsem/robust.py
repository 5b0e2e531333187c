"""Satorra–Bentler robust ML (lavaan's ``estimator = "MLM"``) for complete data.

With ``s = vech(S)``, ``Γ`` the asymptotic covariance of ``√N s`` estimated from the
fourth-order moments (divisor N, lavaan's default), ``Δ = ∂vech(Σ)/∂θ'`` and the
normal-theory weight ``W = ½ D'(Σ⁻¹ ⊗ Σ⁻¹)D`` at the estimate (expected information):

- robust covariance of the estimates ``(1/N) A⁻¹ Δ'WΓWΔ A⁻¹`` with ``A = Δ'WΔ``;
- ``U = W − WΔA⁻¹Δ'W``, scaling factor ``c = tr(UΓ)/df``, scaled statistic ``T/c``
  (Satorra & Bentler 1994); the same for the independence (baseline) model;
- lavaan's ``*_scaled`` measures use the scaled statistics; ``cfi_robust``,
  ``tli_robust`` and ``rmsea_robust`` follow Brosseau-Liard, Savalei & Li (2012, 2014):
  ``rmsea_robust = sqrt(max(T/(N df) − c/N, 0))``, ``cfi_robust = 1 − max(T − c df, 0) /
  max(T − c df, T_b − c_b df_b, 0)``, ``tli_robust = 1 − (T − c df) df_b / ((T_b − c_b
  df_b) df)``.

Means are saturated (free intercepts), so they do not enter the covariance structure's
statistics.
"""
from __future__ import annotations

import numpy as np

from .fitmeasures import ROBUST_NAMES, scaled_measures

__all__ = ["gamma", "satorra_bentler", "ROBUST_NAMES"]


def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.tril_indices(p)


def gamma(x: np.ndarray) -> np.ndarray:
    """Γ: covariance (divisor N) of the products ``d_i d_j`` of the centred data."""
    d = x - x.mean(axis=0)
    i, j = _pairs(x.shape[1])
    z = d[:, i] * d[:, j]
    return np.cov(z, rowvar=False, bias=True)


def vech_weight(sigma: np.ndarray) -> np.ndarray:
    """``½ D'(V ⊗ V)D`` for vech in lower-triangle order, V = Σ⁻¹."""
    return weight_of_inverse(np.linalg.inv(sigma))


def weight_of_inverse(v: np.ndarray) -> np.ndarray:
    """``½ D'(V ⊗ V)D`` from V itself (V may be a pattern's inverse embedded in zeros)."""
    i, j = _pairs(len(v))
    # D'(V⊗V)D [a, b] = Σ over the (1 or 2) positions of pair a and of pair b
    w = (v[i[:, None], i[None, :]] * v[j[:, None], j[None, :]]
         + v[i[:, None], j[None, :]] * v[j[:, None], i[None, :]])
    off_a = (i != j)[:, None]
    off_b = (i != j)[None, :]
    # each off-diagonal pair appears twice in vec: the sum above counts (ij,kl)+(ij,lk);
    # the (ji, ·) copies double it again
    w = w * np.where(off_a, 2.0, 1.0) * np.where(off_b, 2.0, 1.0) / 2.0
    return 0.5 * w


def _scaling(delta: np.ndarray, w: np.ndarray, g: np.ndarray, df: float) -> float:
    a = delta.T @ w @ delta
    u = w - w @ delta @ np.linalg.solve(a, delta.T @ w)
    return float(np.trace(u @ g) / df)


def satorra_bentler(x: np.ndarray, s: np.ndarray, sigma: np.ndarray, deriv: np.ndarray,
                    fit: dict, n: float) -> tuple[np.ndarray, dict]:
    """Robust covariance of the estimates and lavaan's scaled and robust fit measures.

    ``deriv``: (q, p, p) derivatives of Σ; ``fit``: the ML fit measures (chisq, df,
    baseline_chisq, baseline_df).
    """
    p = len(s)
    i, j = _pairs(p)
    g = gamma(x)
    delta = deriv[:, i, j].T  # (p*, q)
    w = vech_weight(sigma)
    a = delta.T @ w @ delta
    a_inv = np.linalg.inv(a)
    cov = a_inv @ (delta.T @ w @ g @ w @ delta) @ a_inv / n
    df, chisq = fit["df"], fit["chisq"]
    c = _scaling(delta, w, g, df) if df > 0 else np.nan
    base_df, base = fit["baseline_df"], fit["baseline_chisq"]
    base_delta = np.zeros((len(i), p))
    base_delta[i == j, np.arange(p)] = 1.0
    c_b = _scaling(base_delta, vech_weight(np.diag(np.diag(s))), g, base_df)
    return cov, scaled_measures(chisq, df, base, base_df, c, c_b, n)
