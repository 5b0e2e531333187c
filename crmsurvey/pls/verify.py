"""Is a PLS or PLSc solution proper? Named checks on an estimated model.

Two families, as for CB-SEM (:mod:`crmsurvey.cbsem.verify`):

- **Admissibility** (severity ``error``; the checks of cSEM's ``verify()``): the
  algorithm converged (``non_convergence``, the code every estimator uses); every
  standardised loading lies within ±1 (``loading_above_one``: a negative error variance
  or a correlation above 1 — PLSc loadings can exceed 1); the construct correlation
  matrix is positive definite (``construct_corr_not_pd``; under PLSc the disattenuated
  matrix); the reliabilities PLSc corrects with are at most 1 (``reliability_above_one``:
  ρA of a common factor above 1 gives correlations beyond ±1).
- **Collinearity** (severity ``warning``; the solution is admissible but its structural
  effects cannot be told apart): a standardised path beyond ±1 (``path_beyond_one``), two
  constructs correlating above :data:`CONSTRUCT_CORR_LIMIT` (``construct_corr_high``) and
  a predictor's inner VIF above :data:`INNER_VIF_LIMIT` (``inner_vif_high``).

The thresholds are defined here once. :func:`crmsurvey.pls` attaches these diagnostics to
``res.diagnostics`` (and so to the summary's notes, a study's ``results.json`` and the
report's estimation notes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic

__all__ = ["verify", "check_solution", "check_collinearity", "CONSTRUCT_CORR_LIMIT",
           "INNER_VIF_LIMIT", "CODES"]

#: Two constructs correlating above this (in absolute value) are flagged, as CB-SEM's
#: latent correlations (:func:`crmsurvey.cbsem.verify.check_collinearity`).
CONSTRUCT_CORR_LIMIT = 0.95
#: A predictor's inner (structural) VIF above this is critical collinearity (Hair et al.
#: 2022, *A Primer on PLS-SEM*, 3rd ed., ch. 6: VIF ≥ 5).
INNER_VIF_LIMIT = 5.0
#: Smallest eigenvalue a positive definite correlation matrix must exceed.
EIGEN_TOL = 1e-8
#: Slack for loadings, paths and reliabilities of exactly 1 (a single item's loading).
_SLACK = 1e-9

#: Every code this module can return.
CODES = ("non_convergence", "loading_above_one", "construct_corr_not_pd",
         "reliability_above_one", "path_beyond_one", "construct_corr_high", "inner_vif_high")


def verify(result) -> list[Diagnostic]:
    """Admissibility and collinearity checks of a :class:`~crmsurvey.pls.result.PLSResult`.

    Returns a list of :class:`~crmsurvey.diagnostics.Diagnostic` (empty for a clean
    solution); codes in :data:`CODES`, thresholds in this module's constants.

    Examples
    --------
    >>> import crmsurvey as cs
    >>> q = cs.load_questionnaire("ccsi")
    >>> from crmsurvey.simulation import SimulationSettings
    >>> clean = SimulationSettings(messy=False)
    >>> res = cs.pls(q, cs.simulate(q, 400, seed=3, settings=clean))
    >>> [d.code for d in verify(res)]
    []
    """
    return check_solution(result) + check_collinearity(result)


def _construct_cor(result) -> pd.DataFrame:
    """The construct correlation matrix the paths were computed from (the Fornell–Larcker
    table holds it off the diagonal; under PLSc disattenuated)."""
    cor = result.fornell_larcker.astype(float).copy()
    values = cor.to_numpy(copy=True)
    np.fill_diagonal(values, 1.0)
    return pd.DataFrame(values, index=cor.index, columns=cor.columns)


def check_solution(result) -> list[Diagnostic]:
    """cSEM's admissibility checks (severity ``error``): convergence, loadings within ±1,
    a positive definite construct correlation matrix, PLSc reliabilities at most 1."""
    out = []
    s = result.settings
    if not s.converged:
        out.append(Diagnostic("non_convergence", f"PLS did not converge in {s.iterations} "
                              "iterations; estimates are not final", "error",
                              params={"iterations": s.iterations}))
    lo = result.loadings
    for r in lo[lo.est.abs() > 1 + _SLACK].itertuples():
        out.append(Diagnostic(
            "loading_above_one", f"loading of {r.rhs!r} on {r.lhs!r} is {r.est:.3f}, beyond "
            "±1: its error variance would be negative; the solution is improper",
            "error", (r.rhs, r.lhs),
            params={"item": r.rhs, "construct": r.lhs, "loading": r.est}))
    cor = _construct_cor(result)
    names = list(cor.index)
    values = cor.to_numpy()
    smallest = (np.linalg.eigvalsh(values).min() if np.isfinite(values).all() else np.nan)
    if len(names) > 1 and not smallest > EIGEN_TOL:
        out.append(Diagnostic(
            "construct_corr_not_pd", "the construct correlation matrix"
            f"{' (disattenuated)' if s.consistent else ''} is not positive definite "
            f"(smallest eigenvalue {smallest:.2g}): some constructs are linearly dependent "
            "or correlate beyond ±1; the solution is improper", "error", tuple(names),
            params={"eigenvalue": smallest}))
    if s.consistent:
        q = result.quality
        common = q[(q["mode"] == "A") & (q["items"] > 1)]
        for r in common[common.rho_a > 1 + _SLACK].itertuples():
            out.append(Diagnostic(
                "reliability_above_one", f"reliability ρA of {r.construct!r} is "
                f"{r.rho_a:.3f}, above 1: PLSc's correction for attenuation is improper",
                "error", (r.construct,), params={"construct": r.construct, "rho_a": r.rho_a}))
    return out


def check_collinearity(result, *, limit: float = CONSTRUCT_CORR_LIMIT,
                       vif_limit: float = INNER_VIF_LIMIT) -> list[Diagnostic]:
    """Warnings for constructs too collinear to interpret: standardised paths beyond ±1,
    construct correlations above ``limit``, inner VIFs above ``vif_limit``, each naming
    the constructs."""
    out = []
    p = result.paths
    for r in p[p.est.abs() > 1 + _SLACK].itertuples():
        out.append(Diagnostic(
            "path_beyond_one", f"standardised path {r.rhs} → {r.lhs} is {r.est:.2f}, beyond "
            f"±1: the predictors of {r.lhs} are too collinear to separate their effects",
            "warning", (r.rhs, r.lhs),
            params={"predictor": r.rhs, "outcome": r.lhs, "path": r.est}))
    cor = _construct_cor(result)
    names = list(cor.index)
    values = cor.to_numpy()
    for i, j in zip(*np.triu_indices(len(names), 1)):
        if abs(values[i, j]) > limit:
            out.append(Diagnostic(
                "construct_corr_high", f"constructs {names[i]} and {names[j]} correlate "
                f"{values[i, j]:.3f} (above {limit:g}): they are hardly distinct", "warning",
                (names[i], names[j]), params={"first": names[i], "second": names[j],
                                              "corr": values[i, j], "limit": limit}))
    v = result.inner_vif
    for r in v[v.vif > vif_limit].itertuples():
        out.append(Diagnostic(
            "inner_vif_high", f"VIF of {r.rhs} as a predictor of {r.lhs} is {r.vif:.1f} "
            f"(above {vif_limit:g}): its effect cannot be separated from those of the other "
            f"predictors of {r.lhs}",
            "warning", (r.rhs, r.lhs),
            params={"predictor": r.rhs, "outcome": r.lhs, "vif": r.vif, "limit": vif_limit}))
    return out
