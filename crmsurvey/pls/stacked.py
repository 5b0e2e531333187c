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


def solve_spd(a: np.ndarray, y: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """Solve ``a[..., s] x[..., s] = y[..., s]`` for every sample ``s``.

    Parameters
    ----------
    a : (m, m, S) symmetric positive (semi-)definite matrices, the stack last.
    y : (m, S) right-hand sides.
    overwrite : eliminate in ``a`` and ``y`` themselves (no copies; both are spoilt).

    Returns
    -------
    (m, S) solutions; non-finite where a sample's matrix is singular.

    Examples
    --------
    >>> a = np.array([[4.0, 2.0], [2.0, 3.0]])[:, :, None].repeat(2, axis=2)
    >>> solve_spd(a, np.array([[2.0, 6.0], [1.0, 5.0]])).T.round(6).tolist()
    [[0.5, 0.0], [1.0, 1.0]]
    """
    m = a.shape[0]
    if m == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            return y / a[0]
    u = a if overwrite else np.array(a, dtype=float)  # eliminated in place
    z = y if overwrite else np.array(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(m - 1):
            f = u[k + 1:, k] / u[k, k]  # (m-k-1, S) multipliers
            u[k + 1:, k + 1:] -= f[:, None] * u[k, k + 1:][None]
            z[k + 1:] -= f * z[k]
        z[m - 1] /= u[m - 1, m - 1]  # back substitution, the solution in z
        for k in range(m - 2, -1, -1):
            z[k] -= np.einsum("js,js->s", u[k, k + 1:], z[k + 1:])
            z[k] /= u[k, k]
    return z


class Regressions:
    """The regressions of several targets on their predictors from a stack of correlation
    matrices ``C`` (K, K, S), all solved at once: each system is padded with identity rows
    to the largest size (which leaves its solution unchanged) and the systems of every
    sample go to one :func:`solve_spd`.

    ``targets``: (target index, predictor indices) pairs.

    Examples
    --------
    >>> c = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.7], [0.6, 0.7, 1.0]])[:, :, None]
    >>> reg = Regressions(3, [(2, np.array([0, 1]))])
    >>> reg.coefficients(c)[0][:, 0].round(4).tolist()
    [0.3333, 0.5333]
    """

    def __init__(self, k: int, targets: list[tuple[int, np.ndarray]]) -> None:
        self.k, self.targets = k, targets
        n, m = len(targets), max((len(p) for _, p in targets), default=0)
        zero, one = k * k, k * k + 1  # rows appended to the flattened C
        self.a = np.full((m, m, n), zero, dtype=np.intp)
        self.y = np.full((m, n), zero, dtype=np.intp)
        self.a[np.arange(m), np.arange(m)] = one
        for s, (j, pred) in enumerate(targets):
            q = len(pred)
            self.a[:q, :q, s] = pred[:, None] * k + pred[None, :]
            self.y[:q, s] = pred * k + j

    def solve(self, c: np.ndarray) -> np.ndarray:
        """Coefficients (m, n, S): of system ``s``'s predictors in its first rows."""
        flat = c.reshape(self.k * self.k, -1)
        s = flat.shape[1]
        ext = np.empty((self.k * self.k + 2, s))  # C's cells, then a 0 and a 1 row
        ext[:-2], ext[-2], ext[-1] = flat, 0.0, 1.0
        m, n = self.y.shape
        a = np.take(ext, self.a.ravel(), axis=0).reshape(m, m, n * s)
        y = np.take(ext, self.y.ravel(), axis=0).reshape(m, n * s)
        return solve_spd(a, y, overwrite=True).reshape(m, n, s)

    def coefficients(self, c: np.ndarray) -> list[np.ndarray]:
        """Per target, its predictors' coefficients (q, S)."""
        coef = self.solve(c)
        return [coef[:len(pred), t] for t, (_, pred) in enumerate(self.targets)]
