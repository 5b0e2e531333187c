"""Measurement invariance across groups for CB-SEM: configural and metric.

semopy fits groups separately and cannot constrain parameters across them, so the
constrained (metric) model is fitted here: one stacked multi-group ML fit by Fisher
scoring, loadings shared, everything else per group, ``F = Σ (N_g/N) F_g`` and
``χ² = Σ N_g F_g`` as lavaan computes them. Scalar invariance needs a mean structure
(intercepts), which semopy's covariance parameterisation does not carry: it is reported
as not tested rather than approximated.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from .fit import _inputs, _prepare, _semopy_model
from .fitmeasures import baseline_chisq
from .scoring import discrepancy, information, score_fit
from .structure import LAMBDA, structure_of

__all__ = ["Invariance", "measurement_invariance"]


@dataclass(frozen=True, eq=False)
class Invariance:
    """``table``: ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, delta_chisq,
    delta_df, delta_pvalue, delta_cfi, decision``; ``notes``; per-group sizes."""

    table: pd.DataFrame
    notes: tuple[str, ...]
    groups: dict[str, int]
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, eq=False)
class _Group:
    st: object
    s: np.ndarray
    n: float
    theta: np.ndarray


def _groups(syntax: str, data: pd.DataFrame, group: str, min_size: int,
            left_out: list[Diagnostic]) -> dict[str, _Group]:
    out = {}
    for level in [g for g in pd.unique(data[group]) if pd.notna(g)]:
        sub = data[data[group] == level]
        sem = _semopy_model(syntax)
        frame, _, _ = _prepare(sem, sub, None, "listwise")
        if len(frame) < min_size:
            left_out.append(Diagnostic(
                "group_too_small", f"group {level!r} left out: {len(frame)} complete rows, "
                f"fewer than {min_size}", "warning", (str(level),)))
            continue
        x = frame.to_numpy(dtype=float)
        s = np.cov(x, rowvar=False, bias=True)
        observed = list(sem.vars["observed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sem.fit(cov=pd.DataFrame(s, index=observed, columns=observed), n_samples=len(x))
        st = structure_of(sem)
        fit = score_fit(st, s[None], np.asarray(sem.param_vals, float)[None])
        out[str(level)] = _Group(st, s, float(len(x)), fit.theta[0])
    return out


def _fit_metric(groups: dict[str, _Group], tol: float = 1e-9, max_iter: int = 300):
    """Loadings shared across groups: Fisher scoring on the stacked discrepancy."""
    gs = list(groups.values())
    st0 = gs[0].st
    shared = np.flatnonzero(st0.matrix == LAMBDA)
    own = np.flatnonzero(st0.matrix != LAMBDA)
    n_total = sum(g.n for g in gs)
    q_shared, q_own = len(shared), len(own)
    theta = np.concatenate([np.mean([g.theta[shared] for g in gs], axis=0)] +
                           [g.theta[own] for g in gs])

    def split(th, k):
        full = np.empty(st0.q)
        full[shared] = th[:q_shared]
        full[own] = th[q_shared + k * q_own: q_shared + (k + 1) * q_own]
        return full

    def total_f(th):
        return sum(g.n / n_total * discrepancy(g.st.implied(split(th, k)[None])[0], g.s[None],
                                                 "ML")[0] for k, g in enumerate(gs))

    f = total_f(theta)
    for _ in range(max_iter):
        grad = np.zeros_like(theta)
        info = np.zeros((len(theta), len(theta)))
        for k, g in enumerate(gs):
            sig, aux = g.st.implied(split(theta, k)[None])
            v = np.linalg.inv(sig)
            deriv = g.st.derivatives(aux)
            gk = np.einsum("bij,bkji->bk", v @ (sig - g.s[None]) @ v, deriv)[0]
            ik = information(deriv, v)[0]
            cols = np.concatenate([np.arange(q_shared),
                                   q_shared + k * q_own + np.arange(q_own)])
            order = np.concatenate([shared, own])
            wgt = g.n / n_total
            grad[cols] += wgt * gk[order]
            info[np.ix_(cols, cols)] += wgt * ik[np.ix_(order, order)]
        step = np.linalg.lstsq(info, grad, rcond=None)[0]
        scale = 1.0
        for _ in range(12):
            f_new = total_f(theta - scale * step)
            if f_new <= f + 1e-12:
                break
            scale /= 2
        theta = theta - scale * step
        converged = np.abs(scale * step).max() < tol
        f = f_new
        if converged:
            break
    fs = [discrepancy(g.st.implied(split(theta, k)[None])[0], g.s[None], "ML")[0]
          for k, g in enumerate(gs)]
    return float(sum(g.n * fk for g, fk in zip(gs, fs))), len(theta), converged


def _row(name, chisq, npar, groups, base, base_df):
    p = groups[0].s.shape[0]
    df = len(groups) * p * (p + 1) // 2 - npar
    n = sum(g.n for g in groups)
    denom = max(base - base_df, chisq - df, 0.0)
    return {"model": name, "npar": npar, "chisq": chisq, "df": df,
            "pvalue": sps.chi2.sf(chisq, df) if df > 0 else np.nan,
            "cfi": 1 - max(chisq - df, 0) / denom if denom > 0 else 1.0,
            "tli": ((base / base_df) - (chisq / df)) / ((base / base_df) - 1) if df > 0 else np.nan,
            "rmsea": np.sqrt(max(chisq - df, 0) / (df * n)) * np.sqrt(len(groups))
            if df > 0 else np.nan}


def measurement_invariance(model, data: pd.DataFrame, group: str, *, min_size: int = 30
                           ) -> Invariance:
    """Configural and metric invariance with the χ²-difference test and ΔCFI
    (Cheung & Rensvold 2002: a drop of more than .01 speaks against invariance)."""
    syntax, data, _ = _inputs(model, data, None)
    if group not in data.columns:
        raise InputError(f"group column {group!r} is not in the data")
    diagnostics: list[Diagnostic] = []
    groups = _groups(syntax, data, group, min_size, diagnostics)
    if len(groups) < 2:
        raise InputError(f"measurement invariance needs two groups of {min_size}+ complete "
                         f"rows in {group!r}")
    gs = list(groups.values())
    base = sum(baseline_chisq(g.s, g.n, "ML") for g in gs)
    p = gs[0].s.shape[0]
    base_df = len(gs) * p * (p - 1) // 2
    conf_chisq = sum(g.n * discrepancy(g.st.implied(g.theta[None])[0], g.s[None], "ML")[0]
                     for g in gs)
    rows = [_row("configural", conf_chisq, sum(g.st.q for g in gs), gs, base, base_df)]
    metric_chisq, metric_npar, converged = _fit_metric(groups)
    rows.append(_row("metric", metric_chisq, metric_npar, gs, base, base_df))
    table = pd.DataFrame(rows)
    table["delta_chisq"] = [np.nan, table.chisq[1] - table.chisq[0]]
    table["delta_df"] = [np.nan, table.df[1] - table.df[0]]
    table["delta_pvalue"] = [np.nan, sps.chi2.sf(table.delta_chisq[1], table.delta_df[1])]
    table["delta_cfi"] = [np.nan, table.cfi[1] - table.cfi[0]]
    table["decision"] = ["baseline", "supported" if table.delta_cfi[1] >= -0.01 else
                         "not supported"]
    notes = ["scalar invariance not tested: it needs intercepts (a mean structure), which "
             "semopy's covariance parameterisation does not carry",
             "metric model fitted by crmsurvey's stacked multi-group Fisher scoring (semopy "
             "has no cross-group equality constraints)"]
    if not converged:
        diagnostics.append(Diagnostic("non_convergence", "the metric model did not converge; "
                                      "its statistics are not final", "error", ("metric",)))
    warn_all(diagnostics)
    return Invariance(table, tuple(notes), {k: int(g.n) for k, g in groups.items()},
                      tuple(diagnostics))
