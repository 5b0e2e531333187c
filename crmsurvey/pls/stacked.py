"""Small symmetric systems solved for a whole stack of samples at once, the stack on the
last axis.

The PLS iterations solve, for every bootstrap resample, a few systems of the size of a
block or of a construct's predictors (2–10 unknowns). LAPACK's batched solve pays a call
per matrix; here elimination runs over the unknowns (the model's size) and every step is
one vector operation over the whole stack. The matrices are correlation matrices
(symmetric positive semi-definite), so Gaussian elimination needs no pivoting; a
singular system gives non-finite values in its own sample only, which the caller treats
as a failed sample — the other samples of the stack are unaffected.
"""
from __future__ import annotations

import numpy as np

__all__ = ["solve_spd"]


def solve_spd(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve ``a[..., s] x[..., s] = y[..., s]`` for every sample ``s``.

    Parameters
    ----------
    a : (m, m, S) symmetric positive (semi-)definite matrices, the stack last.
    y : (m, S) right-hand sides.

    Returns
    -------
    (m, S) solutions; non-finite where a sample's matrix is singular.

    Examples
    --------
    >>> a = np.array([[4.0, 2.0], [2.0, 3.0]])[:, :, None].repeat(2, axis=2)
    >>> solve_spd(a, np.array([[2.0, 6.0], [1.0, 5.0]])).T.round(6).tolist()
    [[0.5, 0.0], [0.75, 1.0]]
    """
    m = a.shape[0]
    if m == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            return y / a[0]
    u = np.array(a, dtype=float)  # eliminated in place: the upper triangle is kept
    z = np.array(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(m - 1):
            f = u[k + 1:, k] / u[k, k]  # (m-k-1, S) multipliers
            u[k + 1:, k + 1:] -= f[:, None] * u[k, k + 1:][None]
            z[k + 1:] -= f * z[k]
        x = np.empty_like(z)
        x[m - 1] = z[m - 1] / u[m - 1, m - 1]
        for k in range(m - 2, -1, -1):
            x[k] = (z[k] - np.einsum("js,js->s", u[k, k + 1:], x[k + 1:])) / u[k, k]
    return x
