"""The CB-SEM estimates table in lavaan's layout (``lhs op rhs est se z pvalue ci_lower
ci_upper std_lv std_all``) and R², from a fitted :class:`Structure`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .distributions import norm_ppf, norm_sf
from .partable import records
from .structure import Structure

__all__ = ["inference", "more_rows", "table_estimates", "r2_of"]


def inference(est, se, ci: float):
    """``z``, the two-sided normal p-value and the normal interval of estimates."""
    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    half = norm_ppf(0.5 + ci / 2) * se
    return z, 2 * norm_sf(np.abs(z)), est - half, est + half


def more_rows(est: pd.DataFrame, *, lhs, op: str, rhs, value, se, ci: float, std_lv,
              std_all, free=True, label=None) -> pd.DataFrame:
    """``est`` with further parameters (intercepts, thresholds) in its layout; rows whose
    ``free`` is False are fixed: no test, the interval the value itself."""
    z, p, lo, hi = inference(value, se, ci)
    free = np.broadcast_to(np.asarray(free, bool), np.shape(value))
    z, p = np.where(free, z, np.nan), np.where(free, p, np.nan)
    lo, hi = np.where(free, lo, value), np.where(free, hi, value)
    rows = pd.DataFrame({"lhs": lhs, "op": op, "rhs": rhs, "est": value, "se": se, "z": z,
                         "pvalue": p, "ci_lower": lo, "ci_upper": hi, "std_lv": std_lv,
                         "std_all": std_all, "free": free})
    if label is not None:
        rows["label"] = label
    return pd.concat([est, rows.reindex(columns=est.columns)], ignore_index=True)


def table_estimates(pt: pd.DataFrame, st: Structure, theta: np.ndarray, se: np.ndarray,
                    sigma: np.ndarray, inner_cov: np.ndarray, ci: float) -> pd.DataFrame:
    """One row per ``=~``, ``~``, ``~~`` row of one group's parameter table, in its
    order, standardised as lavaan's ``standardizedSolution``: covariances over the square
    roots of the two (residual) variance parameters (``std_all`` of a residual covariance
    is the residual correlation), variances and loadings over the implied variances."""
    rows = pt[pt.op.isin(["=~", "~", "~~"])]
    latent = set(rows.lhs[rows.op == "=~"])
    free_vals = iter(zip(theta, se))
    fixed_vals = iter(st.fixed)
    est, err = [], []
    for r in records(rows):
        if r.free > 0:
            v, e = next(free_vals)
        else:
            v, e = next(fixed_vals)[4], np.nan
        est.append(float(v))
        err.append(float(e))
    out = pd.DataFrame({"lhs": rows.lhs.to_numpy(), "op": rows.op.to_numpy(),
                        "rhs": rows.rhs.to_numpy(), "est": est, "se": err})
    var_ov = dict(zip(st.observed, np.diag(sigma)))
    var_lv = {v: c for v, c in zip(st.inner, np.diag(inner_cov)) if v in latent}
    resid = {r.lhs: abs(e) for r, e in zip(records(out), est)
             if r.op == "~~" and r.lhs == r.rhs}
    std_lv, std_all = [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in records(out):
            a, b, v = r.lhs, r.rhs, r.est
            sd = lambda x: np.sqrt(var_lv[x]) if x in latent else 1.0  # noqa: E731
            so = lambda x: 1.0 if x in latent else np.sqrt(var_ov[x])  # noqa: E731
            if r.op == "=~":
                lv = v * sd(a) / sd(b)
                al = lv / so(b)
            elif r.op == "~":
                lv = v * sd(b) / sd(a)
                al = lv * so(b) / so(a)
            elif a == b:
                lv = v / var_lv[a] if a in latent else v
                al = lv if a in latent else v / var_ov[a]
            else:
                rv = lambda x: np.sqrt(resid.get(x, np.nan))  # noqa: E731
                lv = v / (rv(a) if a in latent else 1.0) / (rv(b) if b in latent else 1.0)
                al = lv / (1.0 if a in latent else rv(a)) / (1.0 if b in latent else rv(b))
            std_lv.append(lv)
            std_all.append(al)
    out["std_lv"], out["std_all"] = std_lv, std_all
    out["free"] = (rows.free > 0).to_numpy()
    out["label"] = [lab or plab for lab, plab in zip(rows.label, rows.plabel)]
    out["z"], out["pvalue"], lo, hi = inference(out.est, out.se, ci)
    out["ci_lower"] = np.where(out.free, lo, out.est)
    out["ci_upper"] = np.where(out.free, hi, out.est)
    cols = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv",
            "std_all", "free", "label"]
    return out[cols]


def r2_of(st: Structure, latent, theta, sigma, inner_cov) -> pd.DataFrame:
    """R² of the indicators (1 − θ/σ²) and of the regressed inner variables."""
    beta, lam, psi, th = (m[0] for m in st.matrices(theta[None]))
    latent = set(latent)
    rows = []
    for i, v in enumerate(st.observed):
        if any(st.inner[j] in latent for j in np.flatnonzero(lam[i])):
            rows.append({"variable": v, "r2": 1 - th[i, i] / sigma[i, i]})
    for i, v in enumerate(st.inner):
        if np.any(beta[i] != 0):
            rows.append({"variable": v, "r2": 1 - psi[i, i] / inner_cov[i, i]})
    return pd.DataFrame(rows, columns=["variable", "r2"])
