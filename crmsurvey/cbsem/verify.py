"""Admissibility checks after a CB-SEM fit: every problem a Diagnostic."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic

__all__ = ["check_solution", "check_collinearity", "is_positive_definite"]


def is_positive_definite(a: np.ndarray, tol: float = 1e-10) -> bool:
    if not np.all(np.isfinite(a)):
        return False
    return bool(np.linalg.eigvalsh((a + a.T) / 2).min() > tol * max(1.0, np.abs(a).max()))


def check_solution(est: pd.DataFrame, sigma: np.ndarray, latent_cov: np.ndarray,
                   latent: list[str]) -> list[Diagnostic]:
    """Heywood cases, standardised estimates beyond ±1, non-positive-definite matrices."""
    problems = []
    free = est[est["free"]]
    var = free[(free.op == "~~") & (free.lhs == free.rhs)]
    for r in var[var.est < 0].itertuples():
        problems.append(Diagnostic(
            "heywood", f"negative variance (Heywood case): {r.lhs} ~~ {r.rhs} = {r.est:.3f}; "
            "the solution is improper", "error", (r.lhs,),
            params={"variable": r.lhs, "value": r.est}))
    # loadings and covariances only: paths are checked in check_collinearity, and
    # thresholds (z values) and intercepts may lie anywhere
    beyond = free[free.op.isin(["=~", "~~"]) & ~((free.op == "~~") & (free.lhs == free.rhs))
                  & (free.std_all.abs() > 1)]
    for r in beyond.itertuples():
        problems.append(Diagnostic(
            "std_beyond_one", f"standardised estimate beyond ±1: {r.lhs} {r.op} {r.rhs} has "
            f"std_all {r.std_all:.3f}", "error", (r.lhs, r.rhs),
            params={"parameter": f"{r.lhs} {r.op} {r.rhs}", "value": r.std_all}))
    if not is_positive_definite(sigma):
        problems.append(Diagnostic("implied_not_pd", "the model-implied covariance matrix is "
                                   "not positive definite", "error", params={}))
    if latent and not is_positive_definite(latent_cov):
        problems.append(Diagnostic(
            "latent_not_pd", "the covariance matrix of the latent variables is not positive "
            f"definite ({', '.join(latent)}): two constructs may be nearly collinear; inspect "
            "their correlation", "error", tuple(latent),
            params={"constructs": list(latent)}))
    return problems


def check_collinearity(est: pd.DataFrame, latent_cov: np.ndarray, latent: list[str],
                       r2: pd.DataFrame, *, limit: float = 0.95) -> list[Diagnostic]:
    """Warnings (not inadmissibility: lavaan would accept the solution) for constructs too
    collinear to interpret: standardised regression paths beyond ±1, latent correlations
    above ``limit`` and R² above ``limit``, each naming the constructs."""
    out = []
    paths = est[(est.op == "~") & est.lhs.isin(latent) & est.rhs.isin(latent)]
    for r in paths[paths.std_all.abs() > 1].itertuples():
        out.append(Diagnostic(
            "collinear_constructs", f"standardised path {r.rhs} → {r.lhs} is {r.std_all:.2f}, "
            f"beyond ±1: the predictors of {r.lhs} are too collinear to separate their effects",
            "warning", (r.rhs, r.lhs),
            params={"constructs": [r.rhs, r.lhs], "statistic": "β", "value": r.std_all,
                    "limit": 1}))
    sd = np.sqrt(np.clip(np.diag(latent_cov), 1e-300, None))
    cor = latent_cov / np.outer(sd, sd)
    for i, j in zip(*np.triu_indices(len(latent), 1)):
        if abs(cor[i, j]) > limit:
            out.append(Diagnostic(
                "collinear_constructs", f"constructs {latent[i]} and {latent[j]} correlate "
                f"{cor[i, j]:.3f} (above {limit:g}): they are hardly distinct", "warning",
                (latent[i], latent[j]),
                params={"constructs": [latent[i], latent[j]], "statistic": "r",
                        "value": cor[i, j], "limit": limit}))
    for r in r2[r2.variable.isin(latent) & (r2.r2 > limit)].itertuples():
        out.append(Diagnostic(
            "collinear_constructs", f"R² of {r.variable} is {r.r2:.3f} (above {limit:g}): it is "
            "almost a copy of its predictors", "warning", (r.variable,),
            params={"constructs": [r.variable], "statistic": "R²", "value": r.r2,
                    "limit": limit}))
    return out
