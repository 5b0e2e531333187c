"""Modification indices (lavaan's ``modindices``) by the score test.

The parameter table is extended by every cross-loading and residual covariance it does
not have (free rows at 0); at the fitted solution the extension's score and expected
information give, for each such parameter j, ``mi = N d_j² / V_j`` and ``epc = −d_j / V_j``
with ``d`` the gradient of lavaan's ``F/2`` and ``V_j`` the information of j net of the
model's free parameters (equality constraints included).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .partable import Constraints
from .scoring import information
from .structure import structure_from_partable

__all__ = ["modification_indices"]


def _candidates(pt: pd.DataFrame, observed: list[str]) -> list[tuple[str, str, str]]:
    have = set(zip(pt.lhs, pt.op, pt.rhs))
    have |= {(b, o, a) for a, o, b in zip(pt.lhs, pt.op, pt.rhs) if o == "~~"}
    latent = list(dict.fromkeys(pt.lhs[pt.op == "=~"]))
    exo = set(pt.lhs[pt.exo == 1])  # fixed.x covariates: no score test, as lavaan
    observed = [v for v in observed if v not in exo]
    out = [(f, "=~", x) for f in latent for x in observed if (f, "=~", x) not in have]
    out += [(a, "~~", b) for i, a in enumerate(observed) for b in observed[i + 1:]
            if (a, "~~", b) not in have]
    return out


def modification_indices(pt: pd.DataFrame, cons: Constraints, theta: np.ndarray,
                         s: np.ndarray, n: float, observed: list[str]) -> pd.DataFrame:
    """``lhs, op, rhs, mi, epc`` for one group's table ``pt`` fitted at ``theta`` (its
    free rows), largest first."""
    rows = pt[pt.op.isin(["=~", "~", "~~"])]
    extra = _candidates(rows, observed)
    if not extra:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc"])
    q = int((rows.free > 0).sum())
    add = pd.DataFrame([dict(lhs=a, op=o, rhs=b, free=q + k + 1, ustart=np.nan, exo=0,
                             label="", plabel=f".mi{k}.") for k, (a, o, b) in enumerate(extra)])
    ext = pd.concat([rows[add.columns], add], ignore_index=True)
    st = structure_from_partable(ext, observed, s)
    theta_ext = np.concatenate([theta, np.zeros(len(extra))])
    sigma, aux = st.implied(theta_ext[None])
    w = np.linalg.inv(sigma[0])
    deriv = st.derivatives(aux)
    k = np.zeros((cons.k.shape[0] + len(extra), cons.k.shape[1] + len(extra)))
    k[:cons.k.shape[0], :cons.k.shape[1]] = cons.k  # K and the candidates' identity
    k[cons.k.shape[0]:, cons.k.shape[1]:] = np.eye(len(extra))
    d = k.T @ (0.5 * np.einsum("ij,kji->k", w - w @ s @ w, deriv[0]))
    info = k.T @ (0.5 * information(deriv, w[None])[0]) @ k
    f, c = np.arange(cons.npar), cons.npar + np.arange(len(extra))
    iff = np.linalg.pinv(info[np.ix_(f, f)])
    v = np.diag(info[np.ix_(c, c)]) - np.einsum("jf,fg,gj->j", info[np.ix_(c, f)], iff,
                                                info[np.ix_(f, c)])
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = n * d[c] ** 2 / v
        epc = -d[c] / v
    out = pd.DataFrame({"lhs": [e[0] for e in extra], "op": [e[1] for e in extra],
                        "rhs": [e[2] for e in extra], "mi": mi, "epc": epc})
    return out.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
