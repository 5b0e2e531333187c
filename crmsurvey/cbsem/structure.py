"""The parameter structure of a semopy model, in batched form.

semopy writes a model as ``Σ = Λ C Ψ C'Λ' + Θ`` with ``C = (I − B)⁻¹`` (matrices
``B``, ``Λ``, ``Ψ``, ``Θ``). :class:`Structure` reads which entry of which matrix each free
parameter sets, so that ``Σ(θ)`` and its derivatives can be computed for a whole stack of
parameter vectors at once — the bootstrap refits every resample together.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Structure", "structure_of", "BETA", "LAMBDA", "PSI", "THETA"]

BETA, LAMBDA, PSI, THETA = range(4)


@dataclass(frozen=True, eq=False)
class Structure:
    """Free parameters of a semopy model and the fixed part of its matrices."""

    names: tuple[str, ...]  # semopy parameter names, in semopy's order
    matrix: np.ndarray  # (q,) which matrix: BETA, LAMBDA, PSI, THETA
    row: np.ndarray  # (q,)
    col: np.ndarray  # (q,)
    base: tuple[np.ndarray, ...]  # the four matrices with free entries zeroed
    inner: tuple[str, ...]  # rows/columns of B and Ψ (latent and structural variables)
    observed: tuple[str, ...]  # rows of Λ and Θ
    fixed: tuple[tuple[str, int, int, int, float], ...]  # (name, matrix, row, col, value)

    @property
    def q(self) -> int:
        return len(self.names)

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """The four matrices for each row of ``theta`` (B, q): list of (B, ., .)."""
        b = theta.shape[0]
        mats = [np.broadcast_to(m, (b, *m.shape)).copy() for m in self.base]
        for k in range(4):
            sel = np.flatnonzero(self.matrix == k)
            if sel.size:
                mats[k][:, self.row[sel], self.col[sel]] = theta[:, sel]
                if k in (PSI, THETA):
                    mats[k][:, self.col[sel], self.row[sel]] = theta[:, sel]
        return mats

    def implied(self, theta: np.ndarray):
        """``Σ(θ)`` (B, p, p) and the pieces the derivatives reuse."""
        beta, lam, psi, th = self.matrices(theta)
        c = np.linalg.inv(np.eye(beta.shape[-1]) - beta)
        m = lam @ c
        sigma = m @ psi @ m.transpose(0, 2, 1) + th
        return sigma, (m, c, psi)

    def inner_cov(self, theta: np.ndarray) -> np.ndarray:
        """Covariance of the inner (latent and structural) variables: ``C Ψ C'``."""
        beta, _, psi, _ = self.matrices(theta)
        c = np.linalg.inv(np.eye(beta.shape[-1]) - beta)
        return c @ psi @ c.transpose(0, 2, 1)

    def derivatives(self, aux) -> np.ndarray:
        """``∂Σ/∂θ_k`` for every parameter: (B, q, p, p)."""
        m, c, psi = aux
        b, p = m.shape[0], m.shape[1]
        out = np.zeros((b, self.q, p, p))
        d = c @ psi @ m.transpose(0, 2, 1)  # (B, n_inner, p): C Ψ M'
        for k in range(self.q):
            i, j, which = self.row[k], self.col[k], self.matrix[k]
            if which == BETA:  # M E_ij C Ψ M' + transpose
                t = m[:, :, i, None] * d[:, None, j, :]
                out[:, k] = t + t.transpose(0, 2, 1)
            elif which == LAMBDA:  # E_ij C Ψ M' + transpose
                out[:, k, i, :] += d[:, j, :]
                out[:, k, :, i] += d[:, j, :]
            elif which == PSI:
                t = m[:, :, i, None] * m[:, None, :, j]
                out[:, k] = t if i == j else t + t.transpose(0, 2, 1)
            else:
                out[:, k, i, j] = 1.0
                out[:, k, j, i] = 1.0
        return out


def structure_of(model) -> Structure:
    """Read the structure of a semopy ``Model`` (after ``load``/``fit``)."""
    mats = list(model.matrices[:4])
    names, which, rows, cols, fixed = [], [], [], [], []
    base = [m.copy() for m in mats]
    for name, par in model.parameters.items():
        for loc in par.locations:
            k = next(i for i, mx in enumerate(mats) if mx is loc.matrix)
            i, j = loc.indices
            if par.active:
                names.append(name)
                which.append(k)
                rows.append(i)
                cols.append(j)
                base[k][i, j] = 0.0
                if k in (PSI, THETA):
                    base[k][j, i] = 0.0
            else:
                fixed.append((name, k, i, j, float(mats[k][i, j])))
    return Structure(tuple(names), np.array(which), np.array(rows), np.array(cols),
                     tuple(base), tuple(model.names_beta[0]), tuple(model.names_lambda[0]),
                     tuple(fixed))
