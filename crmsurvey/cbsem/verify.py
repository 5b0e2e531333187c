"""Admissibility checks after a CB-SEM fit: every problem as a plain sentence."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["check_solution", "is_positive_definite"]


def is_positive_definite(a: np.ndarray, tol: float = 1e-10) -> bool:
    if not np.all(np.isfinite(a)):
        return False
    return bool(np.linalg.eigvalsh((a + a.T) / 2).min() > tol * max(1.0, np.abs(a).max()))


def check_solution(est: pd.DataFrame, sigma: np.ndarray, latent_cov: np.ndarray,
                   latent: list[str]) -> list[str]:
    """Heywood cases, standardised estimates beyond ±1, non-positive-definite matrices."""
    problems = []
    free = est[est["free"]]
    var = free[(free.op == "~~") & (free.lhs == free.rhs)]
    for r in var[var.est < 0].itertuples():
        problems.append(f"negative variance (Heywood case): {r.lhs} ~~ {r.rhs} = {r.est:.3f}; "
                        "the solution is improper")
    beyond = free[(free.op != "~") & ~((free.op == "~~") & (free.lhs == free.rhs))
                  & (free.std_all.abs() > 1)]
    for r in beyond.itertuples():
        problems.append(f"standardised estimate beyond ±1: {r.lhs} {r.op} {r.rhs} has std_all "
                        f"{r.std_all:.3f}")
    if not is_positive_definite(sigma):
        problems.append("the model-implied covariance matrix is not positive definite")
    if latent and not is_positive_definite(latent_cov):
        problems.append("the covariance matrix of the latent variables is not positive "
                        f"definite ({', '.join(latent)}): two constructs may be nearly "
                        "collinear; inspect their correlation")
    return problems
