"""Modification indices (lavaan's ``modindices``) by the score test.

The model is extended by every cross-loading and residual covariance it fixes to zero;
at the fitted solution the extension's score and expected information give, for each
such parameter j, ``mi = N d_j² / V_j`` and ``epc = −d_j / V_j`` with ``d`` the gradient of
lavaan's ``F/2`` and ``V_j`` the information of j net of the free parameters.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .scoring import information
from .structure import BETA, LAMBDA, PSI, Structure, structure_of

__all__ = ["modification_indices"]


def _key(st: Structure, which: int, i: int, j: int) -> tuple:
    rows = st.observed if which in (LAMBDA, 3) else st.inner
    cols = st.inner if which in (LAMBDA, BETA, PSI) else st.observed
    a, b = rows[i], cols[j]
    return (which, *sorted((a, b))) if which in (PSI, 3) else (which, a, b)


def modification_indices(syntax: str, st: Structure, theta: np.ndarray, s: np.ndarray,
                         n: float, observed: list[str]) -> pd.DataFrame:
    import semopy

    free = {_key(st, st.matrix[k], st.row[k], st.col[k]): theta[k] for k in range(st.q)}
    fixed = {_key(st, m, i, j) for _, m, i, j, _ in st.fixed}
    latent = [v for v in st.inner if v not in st.observed]
    lines = []
    for lv in latent:
        lines += [f"{lv} =~ {x}" for x in observed
                  if (LAMBDA, x, lv) not in free and (LAMBDA, x, lv) not in fixed]
    for a_i, a in enumerate(observed):
        for b in observed[a_i + 1:]:
            if (3, *sorted((a, b))) not in free:
                lines.append(f"{a} ~~ {b}")
    if not lines:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc"])
    ext = semopy.Model(syntax + "\n" + "\n".join(lines))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ext.load(cov=pd.DataFrame(s, index=observed, columns=observed), n_samples=n)
    xst = structure_of(ext)
    keys = [_key(xst, xst.matrix[k], xst.row[k], xst.col[k]) for k in range(xst.q)]
    theta_ext = np.array([free.get(k, 0.0) for k in keys])
    is_free = np.array([k in free for k in keys])
    sigma, aux = xst.implied(theta_ext[None])
    w = np.linalg.inv(sigma[0])
    deriv = xst.derivatives(aux)
    d = 0.5 * np.einsum("ij,kji->k", w - w @ s @ w, deriv[0])
    info = 0.5 * information(deriv, w[None])[0]
    f, c = np.flatnonzero(is_free), np.flatnonzero(~is_free)
    iff = np.linalg.pinv(info[np.ix_(f, f)])
    v = np.diag(info[np.ix_(c, c)]) - np.einsum("jf,fg,gj->j", info[np.ix_(c, f)], iff,
                                                info[np.ix_(f, c)])
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = n * d[c] ** 2 / v
        epc = -d[c] / v
    rows = []
    for idx, k in enumerate(c):
        which, a, b = keys[k]
        lhs, op, rhs = (b, "=~", a) if which == LAMBDA else (a, "~~", b)
        rows.append({"lhs": lhs, "op": op, "rhs": rhs, "mi": mi[idx], "epc": epc[idx]})
    out = pd.DataFrame(rows)
    return out.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
