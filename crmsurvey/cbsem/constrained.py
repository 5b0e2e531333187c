"""Fisher scoring under equality constraints, over one or several groups at once.

The free rows of a parameter table are ``θ_rows = K θ + c`` (:func:`crmsurvey.cbsem.
partable.constraints`); groups share θ wherever a label (or ``==``) ties them. The
discrepancy is lavaan's multi-group ``F = Σ_g (N_g/N) F_g`` (ML, GLS or ULS), its gradient
and expected information those of :mod:`crmsurvey.cbsem.scoring` carried through ``K``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scoring import _weight, discrepancy, information
from .structure import Structure

__all__ = ["GroupsFit", "fit_groups", "group_information"]


@dataclass(frozen=True, eq=False)
class GroupsFit:
    theta: list[np.ndarray]  # each group's free rows
    u: np.ndarray  # the unique parameters
    f: np.ndarray  # each group's discrepancy F_g
    converged: bool
    iterations: int


def _split(rows: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(rows, np.cumsum(sizes)[:-1])


def group_information(structs: list[Structure], thetas: list[np.ndarray], s: list,
                      weights: np.ndarray, estimator: str, s_inv=None):
    """Σ_g w_g (F_g, gradient, expected information) over the groups' free rows."""
    grads, infos, fs = [], [], []
    for g, (st, th) in enumerate(zip(structs, thetas)):
        sig, aux = st.implied(th[None])
        si = None if s_inv is None else s_inv[g][None]
        v = _weight(sig, si, estimator)
        deriv = st.derivatives(aux)
        grads.append(weights[g] * np.einsum("bij,bkji->bk", v @ (sig - s[g][None]) @ v,
                                            deriv)[0])
        infos.append(weights[g] * information(deriv, v)[0])
        fs.append(discrepancy(sig, s[g][None], estimator, si)[0])
    q = sum(len(t) for t in thetas)
    info = np.zeros((q, q))
    at = 0
    for i in infos:
        info[at:at + len(i), at:at + len(i)] = i
        at += len(i)
    return np.array(fs), np.concatenate(grads), info


def fit_groups(structs: list[Structure], s: list[np.ndarray], n: list[float],
               theta0: list[np.ndarray], k: np.ndarray, c: np.ndarray, *,
               estimator: str = "ML", tol: float = 1e-9, max_iter: int = 500) -> GroupsFit:
    """Minimise ``Σ_g (N_g/N) F_g`` over the unique parameters from ``theta0``."""
    sizes = [st.q for st in structs]
    w = np.asarray(n, float) / float(np.sum(n))
    s_inv = [np.linalg.inv(x) for x in s] if estimator == "GLS" else None
    u = np.linalg.lstsq(k, np.concatenate(theta0) - c, rcond=None)[0]

    def total(uu):
        th = _split(k @ uu + c, sizes)
        fs = [discrepancy(st.implied(t[None])[0], x[None], estimator,
                          None if s_inv is None else s_inv[g][None])[0]
              for g, (st, t, x) in enumerate(zip(structs, th, s))]
        return float(np.dot(w, fs))

    f, converged, it = total(u), False, 0
    for it in range(1, max_iter + 1):
        _, grad, info = group_information(structs, _split(k @ u + c, sizes), s, w,
                                          estimator, s_inv)
        gu, iu = k.T @ grad, k.T @ info @ k
        try:
            step = np.linalg.solve(iu, gu)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(iu, gu, rcond=None)[0]
        scale, new = 1.0, u - step
        for _ in range(20):
            f_new = total(new)
            if np.isfinite(f_new) and f_new <= f + 1e-12:
                break
            scale /= 2
            new = u - scale * step
        else:
            break
        u, f = new, f_new
        if np.abs(scale * step).max() < tol:
            converged = True
            break
    th = _split(k @ u + c, sizes)
    fs = np.array([discrepancy(st.implied(t[None])[0], x[None], estimator,
                               None if s_inv is None else s_inv[g][None])[0]
                   for g, (st, t, x) in enumerate(zip(structs, th, s))])
    return GroupsFit(th, u, fs, converged, it)
