"""Admissibility checks after a CB-SEM fit: every problem a Diagnostic."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic

__all__ = ["check_solution", "is_positive_definite"]


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
            "the solution is improper", "error", (r.lhs,)))
    beyond = free[(free.op != "~") & ~((free.op == "~~") & (free.lhs == free.rhs))
                  & (free.std_all.abs() > 1)]
    for r in beyond.itertuples():
        problems.append(Diagnostic(
            "std_beyond_one", f"standardised estimate beyond ±1: {r.lhs} {r.op} {r.rhs} has "
            f"std_all {r.std_all:.3f}", "error", (r.lhs, r.rhs)))
    if not is_positive_definite(sigma):
        problems.append(Diagnostic("implied_not_pd", "the model-implied covariance matrix is "
                                   "not positive definite", "error"))
    if latent and not is_positive_definite(latent_cov):
        problems.append(Diagnostic(
            "latent_not_pd", "the covariance matrix of the latent variables is not positive "
            f"definite ({', '.join(latent)}): two constructs may be nearly collinear; inspect "
            "their correlation", "error", tuple(latent)))
    return problems
