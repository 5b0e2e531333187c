"""Measurement invariance across groups for CB-SEM: configural, metric and scalar.

The model is read into lavaan's parameter table (:mod:`crmsurvey.cbsem.partable`) and
each group fitted on its own (configural); the constrained models are one stacked
multi-group ML fit, ``F = Σ (N_g/N) F_g`` and ``χ² = Σ N_g F_g`` as lavaan computes
them. Metric: loadings shared, everything else per group (Fisher scoring). Scalar: loadings and intercepts shared, latent means free
from the second group on (the first is the reference, as lavaan's ``group.equal =
c("loadings", "intercepts")``), with the mean term ``N_g (m_g − μ_g)' Σ_g⁻¹ (m_g − μ_g)``,
``μ_g = ν + Λ (I − B)⁻¹ α_g``. The configural and metric models have free intercepts
(saturated means), so their χ² is that of the covariance structure; ``npar`` counts the
intercepts, as lavaan's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from ..notes import Note
from .build import build, fit_covariance
from .fit import _checked, _inputs
from .sample import model_frame as _frame
from .fitmeasures import baseline_chisq, cfi, rmsea, tli
from .scoring import discrepancy, information
from .structure import LAMBDA
from .tables import inference

__all__ = ["Invariance", "measurement_invariance"]


@dataclass(frozen=True, eq=False)
class Invariance:
    """``table``: ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, delta_chisq,
    delta_df, delta_pvalue, delta_cfi, decision`` (each model against the one before);
    ``latent_means``: ``group, construct, est, se, z, pvalue`` — the scalar model's
    implied latent means ``(I − B)⁻¹ α`` (lavaan's ``lavInspect(fit, "mean.lv")``; the
    first group is the reference, 0), SEs by the delta method; ``intercepts``: the same
    columns for the latent intercepts ``α`` themselves (lavaan's ``~1`` rows of latent
    variables: for a construct explained by others, the intercept of its equation, not
    its mean); ``notes``; per-group sizes; ``structural``: the model has regressions
    among its latent variables (B ≠ 0) — without them the implied means are the latent
    intercepts α themselves."""

    table: pd.DataFrame
    notes: tuple[Note, ...]
    groups: dict[str, int]
    diagnostics: tuple[Diagnostic, ...] = ()
    latent_means: pd.DataFrame | None = None
    intercepts: pd.DataFrame | None = None
    structural: bool = False


def _structural(syntax: str) -> bool:
    """Whether ``syntax`` regresses a latent variable on another (a non-zero B)."""
    built = build(syntax)
    pt, latent = built.pt, list(built.latent)
    return bool(((pt.op == "~") & pt.lhs.isin(latent) & pt.rhs.isin(latent)).any())


def _means_reference(structural: bool, reference) -> Note:
    """The note on the reference group, naming (I − B)⁻¹α only where B is not 0."""
    return Note("cb_latent_means_reference" if structural else
                "cb_latent_means_reference_cfa", {"reference": reference})


@dataclass(frozen=True, eq=False)
class _Group:
    st: object
    s: np.ndarray
    n: float
    theta: np.ndarray
    mean: np.ndarray


def _groups(syntax: str, data: pd.DataFrame, group: str, min_size: int,
            left_out: list[Diagnostic]) -> dict[str, _Group]:
    built = build(syntax)
    if not built.cons.trivial or built.ov_x:
        raise InputError("measurement invariance takes a measurement model without labels, "
                         "== constraints or observed covariates here")
    out = {}
    for level in [g for g in pd.unique(data[group]) if pd.notna(g)]:
        sub = data[data[group] == level]
        frame, _, _ = _frame(list(built.observed), sub, None, "listwise")
        if len(frame) < min_size:
            left_out.append(Diagnostic(
                "group_too_small", f"group {level!r} left out: {len(frame)} complete rows, "
                f"fewer than {min_size}", "warning", (str(level),),
                params={"group": str(level), "n": len(frame), "min": min_size}))
            continue
        x = frame.to_numpy(dtype=float)
        s = np.cov(x, rowvar=False, bias=True)
        fitted = fit_covariance(built, [s], [float(len(x))])
        out[str(level)] = _Group(fitted.structs[0], s, float(len(x)), fitted.theta[0],
                                 x.mean(axis=0))
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
    return float(sum(g.n * fk for g, fk in zip(gs, fs))), len(theta), converged, \
        [split(theta, k) for k in range(len(gs))]


def _fit_scalar(groups: dict[str, _Group], metric: list[np.ndarray], tol: float = 1e-9,
                max_iter: int = 200):
    """Loadings and intercepts shared, latent means free after the first group (Fisher
    scoring from the metric solution, the model's Jacobian by central differences).
    Returns χ², npar, converged, latent intercepts and their SEs, the implied latent
    means ``(I − B_g)⁻¹ α_g`` and their delta-method SEs, and the latent names."""
    gs = list(groups.values())
    st0 = gs[0].st
    shared = np.flatnonzero(st0.matrix == LAMBDA)
    own = np.flatnonzero(st0.matrix != LAMBDA)
    latent = [k for k, v in enumerate(st0.inner) if v not in st0.observed]
    p, m, g_n = len(st0.observed), len(latent), len(gs)
    n_total = sum(g.n for g in gs)
    qs, qo = len(shared), len(own)

    def unpack(par):
        out = []
        nu = par[qs + g_n * qo: qs + g_n * qo + p]
        for k in range(g_n):
            theta = np.empty(st0.q)
            theta[shared] = par[:qs]
            theta[own] = par[qs + k * qo: qs + (k + 1) * qo]
            alpha = np.zeros(len(st0.inner))
            if k:
                start = qs + g_n * qo + p + (k - 1) * m
                alpha[latent] = par[start:start + m]
            out.append((theta, nu, alpha))
        return out

    def moments(par):
        for g, (theta, nu, alpha) in zip(gs, unpack(par)):
            beta, lam, _, _ = (a[0] for a in g.st.matrices(theta[None]))
            sigma = g.st.implied(theta[None])[0][0]
            yield g, nu + lam @ np.linalg.solve(np.eye(len(beta)) - beta, alpha), sigma

    def f(par):
        total = 0.0
        try:
            for g, mu, sigma in moments(par):
                d = g.mean - mu
                total += g.n / n_total * (discrepancy(sigma[None], g.s[None], "ML")[0]
                                          + d @ np.linalg.solve(sigma, d))
        except np.linalg.LinAlgError:  # a trial step to a singular Σ
            return 1e10
        return total if np.isfinite(total) else 1e10

    par = np.concatenate([metric[0][shared]] + [th[own] for th in metric]
                         + [np.mean([g.mean for g in gs], axis=0), np.zeros((g_n - 1) * m)])
    value, converged = f(par), False
    for _ in range(max_iter):
        info, grad = _scoring(moments, par, p)
        step = np.linalg.lstsq(info, grad, rcond=None)[0]
        scale = 1.0
        for _ in range(20):
            new = f(par + scale * step)
            if new <= value + 1e-14:
                break
            scale /= 2
        par, value = par + scale * step, new
        if np.abs(scale * step).max() < tol:
            converged = True
            break
    def implied(par):
        out = []
        for g, (theta, _, alpha) in list(zip(gs, unpack(par)))[1:]:
            beta = g.st.matrices(theta[None])[0][0]
            out.append(np.linalg.solve(np.eye(len(beta)) - beta, alpha)[latent])
        return np.concatenate(out)

    from .numeric import jacobian

    means = implied(par)
    try:
        cov = np.linalg.inv(_scoring(moments, par, p)[0])
        se = np.sqrt(np.diag(cov))[-(g_n - 1) * m:]
        jac = jacobian(implied, par)
        means_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, cov, jac), 0))
    except np.linalg.LinAlgError:
        se = means_se = np.full((g_n - 1) * m, np.nan)
    return float(n_total * value), len(par), converged, par[-(g_n - 1) * m:], se, \
        means, means_se, [st0.inner[k] for k in latent]


def _scoring(moments, x: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """lavaan's expected information ``Σ_g N_g Δ_g' W_g Δ_g`` and the scoring direction
    ``Σ_g N_g Δ_g' W_g r_g`` (``r_g`` the residual means and vech(S + dd' − Σ)), with
    ``Δ_g`` the derivatives of group g's ``(μ, vech Σ)`` by central differences and
    ``W_g = diag(Σ⁻¹, ½D'(Σ⁻¹⊗Σ⁻¹)D)``."""
    from .numeric import jacobian
    from .robust import vech_weight

    il = np.tril_indices(p)
    rows = p + len(il[0])
    k = len(x)
    both = jacobian(lambda par: np.concatenate([np.concatenate([mu, sigma[il]])
                                                 for _, mu, sigma in moments(par)]), x)
    deltas = [both[g * rows:(g + 1) * rows] for g in range(len(both) // rows)]
    info = np.zeros((k, k))
    grad = np.zeros(k)
    for d, (g, mu, sigma) in zip(deltas, moments(x)):
        w = np.zeros((len(d), len(d)))
        w[:p, :p] = np.linalg.inv(sigma)
        w[p:, p:] = vech_weight(sigma)
        d_mean = g.mean - mu  # F = F_ML(S + dd', Σ): the mean residual enters both parts
        r = np.concatenate([d_mean, (g.s + np.outer(d_mean, d_mean) - sigma)[il]])
        info += g.n * d.T @ w @ d
        grad += g.n * d.T @ w @ r
    return info, grad


def _row(name, chisq, npar, groups, base, base_df):
    p = groups[0].s.shape[0]
    df = len(groups) * (p * (p + 1) // 2 + p) - npar
    n = sum(g.n for g in groups)
    return {"model": name, "npar": npar, "chisq": chisq, "df": df,
            "pvalue": sps.chi2.sf(chisq, df) if df > 0 else np.nan,
            "cfi": cfi(chisq, df, base, base_df), "tli": tli(chisq, df, base, base_df),
            "rmsea": rmsea(chisq, df, n) * np.sqrt(len(groups))}


def measurement_invariance(model, data: pd.DataFrame, group: str, *, min_size: int = 30,
                           estimator: str = "ML") -> Invariance:
    """Configural, metric and scalar invariance with the χ²-difference test and ΔCFI
    (Cheung & Rensvold 2002: a drop of more than .01 speaks against invariance), and the
    scalar model's latent means (the first group is the reference).

    ``estimator="MLM"`` or ``"MLR"`` (a measurement model, complete rows): robust standard
    errors, lavaan's scaled χ² and robust CFI/TLI/RMSEA in the table, the differences by
    the scaled test (Satorra–Bentler 2001, as ``lavTestLRT``) and ΔCFI on the robust CFI
    (:mod:`crmsurvey.cbsem.invariance_robust`)."""
    from ..options import INVARIANCE

    allowed = INVARIANCE.choices("estimator")
    if estimator not in allowed:
        raise InputError(f"estimator={estimator!r} is not available for measurement "
                         "invariance here", hint="estimator=" + ", ".join(map(repr, allowed)))
    data, found = _checked(model, data)  # a raw frame beside a Questionnaire: its codes
    syntax, data, _, single = _inputs(model, data, None)
    if group not in data.columns:
        raise InputError(f"group column {group!r} is not in the data")
    diagnostics: list[Diagnostic] = list(found)
    groups = _groups(syntax, data, group, min_size, diagnostics)
    if len(groups) < 2:
        raise InputError(f"measurement invariance needs two groups of {min_size}+ complete "
                         f"rows in {group!r}")
    if estimator != "ML":
        return _robust(syntax, data, group, groups, estimator, diagnostics, single)
    gs = list(groups.values())
    base = sum(baseline_chisq(g.s, g.n, "ML") for g in gs)
    p = gs[0].s.shape[0]
    base_df = len(gs) * p * (p - 1) // 2
    conf_chisq = sum(g.n * discrepancy(g.st.implied(g.theta[None])[0], g.s[None], "ML")[0]
                     for g in gs)
    means_npar = len(gs) * p  # free intercepts in the configural and metric models
    rows = [_row("configural", conf_chisq, sum(g.st.q for g in gs) + means_npar, gs, base,
                 base_df)]
    metric_chisq, metric_npar, converged, metric_theta = _fit_metric(groups)
    rows.append(_row("metric", metric_chisq, metric_npar + means_npar, gs, base, base_df))
    scalar_chisq, scalar_npar, scalar_ok, alphas, alpha_se, means, se, latent = \
        _fit_scalar(groups, metric_theta)
    rows.append(_row("scalar", scalar_chisq, scalar_npar, gs, base, base_df))
    table = pd.DataFrame(rows)
    table["delta_chisq"] = table.chisq.diff()
    table["delta_df"] = table.df.diff()
    table["delta_pvalue"] = [np.nan] + [sps.chi2.sf(c, d) for c, d in
                                        zip(table.delta_chisq[1:], table.delta_df[1:])]
    table["delta_cfi"] = table.cfi.diff()
    table["decision"] = ["baseline"] + ["supported" if d >= -0.01 else "not supported"
                                        for d in table.delta_cfi[1:]]
    levels = list(groups)
    def table_of(est, err):
        out = pd.DataFrame({"group": [lv for lv in levels[1:] for _ in latent],
                            "construct": latent * (len(levels) - 1), "est": est, "se": err})
        out["z"], out["pvalue"], _, _ = inference(out.est, out.se, 0.95)
        return out

    lm, intercepts = table_of(means, se), table_of(alphas, alpha_se)
    structural = _structural(syntax)
    notes = single + [Note("cb_stacked"), _means_reference(structural, levels[0])]
    for ok, name in ((converged, "metric"), (scalar_ok, "scalar")):
        if not ok:
            diagnostics.append(Diagnostic("non_convergence", f"the {name} model did not "
                                          "converge; its statistics are not final", "error",
                                          (name,), params={"model": name}))
    warn_all(diagnostics)
    return Invariance(table, tuple(notes), {k: int(g.n) for k, g in groups.items()},
                      tuple(diagnostics), lm, intercepts, structural)


def _robust(syntax, data, group, groups, estimator, diagnostics, single) -> Invariance:
    from .invariance_robust import robust_invariance

    levels = [v for v in pd.unique(data[group]) if pd.notna(v) and str(v) in groups]
    table, means, fits = robust_invariance(syntax, data, group, levels, estimator)
    diagnostics += [d for f in fits.values() for d in f.diagnostics]
    structural = _structural(syntax)
    notes = single + [Note("cb_stacked"), _means_reference(structural, str(levels[0]))]
    warn_all(diagnostics)
    return Invariance(table, tuple(notes), {k: int(g.n) for k, g in groups.items()},
                      tuple(diagnostics), means, means.copy(), structural)
