"""Models fitted with their mean structure in one ML fit over the groups: parameters shared
across groups (a label in several groups, ``c(a, a)*x``, or ``==``) and restricted mean
structures (fixed or labelled intercepts, free latent means), as lavaan fits them.

``F = Σ_g (N_g/N) F_g`` with ``F_g = F_ML(S_g + d d', Σ_g)``, ``d = m_g − μ_g`` and
``μ_g = ν + Λ (I − B)⁻¹ α`` (:func:`crmsurvey.cbsem.constrained.fit_groups_means`);
``χ² = Σ N_g F_g``; the baseline has free means and variances.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .. import __version__
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from ..notes import Note
from .build import Built
from .fitmeasures import FIT_NAMES, ROBUST_NAMES, information_criteria
from .partable import records
from .result import CBSEMResult, CBSEMSettings
from .sample import admissible, model_frame
from .tables import r2_of, table_estimates
from .verify import check_solution

__all__ = ["joint_fit"]


def joint_fit(syntax, built: Built, data, group, levels, *, estimator, missing,
                  bootstrap, seed, ci, weights, chunk, engine=None) -> CBSEMResult:
    """Groups fitted together — parameters shared across groups by labels (``c(a, a)*x``)
    or ``==``, or a restricted mean structure (fixed or labelled intercepts, free latent
    means): one ML fit with the mean structure, ``F = Σ (N_g/N) F_g`` with
    ``F_g = F_ML(S_g + d d', Σ_g)``, ``d = m_g − μ_g``, ``χ² = Σ N_g F_g``; MLM and MLR
    add the robust standard errors and scaled test over the stacked groups
    (:mod:`crmsurvey.cbsem.robust_joint`); ``missing="fiml"`` (ML, MLR) fits ``−ℓ`` over
    the rows from there (:mod:`crmsurvey.cbsem.fiml_groups`)."""
    from .constrained import fit_groups_means, implied_mean, mean_part
    from .fitmeasures import _from_chisq, baseline_chisq, srmr
    from .partable import constraints
    from .structure import start_values, structure_from_partable

    fiml = missing == "fiml"
    if estimator not in ("ML", "MLM", "MLR") or missing not in ("listwise", "fiml") \
            or (fiml and estimator == "MLM") or bootstrap or weights is not None \
            or ":=" in syntax or ((estimator != "ML" or fiml) and built.ov_x):
        raise InputError("parameters shared across groups and restricted mean structures "
                         "are fitted with ML, MLM or MLR (ML and MLR also with FIML), "
                         "unweighted, without a bootstrap or defined parameters (robust or "
                         "FIML: without observed covariates) here",
                         hint="estimator='ML', 'MLM' or 'MLR', bootstrap=0")
    observed, pt = list(built.observed), built.pt
    xs, s, m, n, dropped = [], [], [], [], 0
    for level in levels:
        rows = slice(None) if group is None else (data[group] == level).to_numpy()
        frame, _, d = model_frame(observed, data[rows], None, missing)
        x = frame.to_numpy(dtype=float)
        xs.append(x)
        if fiml:  # the EM moments: the start, and FIML's h1
            from .patterns import Patterns, em_saturated

            mg, sg = em_saturated(Patterns.of(x), len(observed))
        else:
            mg, sg = x.mean(axis=0), np.cov(x, rowvar=False, bias=True)
        s.append(sg)
        m.append(mg)
        n.append(float(len(x)))
        dropped += d
    cons = constraints(pt, with_means=True)
    structs, parts, theta0 = [], [], []
    for g in range(1, len(levels) + 1):
        rows = pt[pt.group == g]
        st = structure_from_partable(rows, observed, s[g - 1])
        mp = mean_part(rows, st, m[g - 1])
        obs = {v: k for k, v in enumerate(observed)}
        start = [m[g - 1][obs[v]] if v in obs else 0.0
                 for v in rows.lhs[(rows.op == "~1") & (rows.free > 0)]]
        structs.append(st)
        parts.append(mp)
        theta0.append(np.concatenate([start_values(st, rows, s[g - 1]), start]))
    gf, cov = fit_groups_means(structs, parts, s, m, n, theta0, cons.k, cons.c)
    robust, se_kind, stats = {}, "expected", None
    if fiml:
        gf, cov, robust, stats = _fiml(estimator, built, structs, parts, gf, xs, cons)
        se_kind = "observed" if estimator == "ML" else "robust.huber.white"
    elif estimator != "ML" and cov is not None and np.isfinite(gf.f).all():
        cov, robust = _robust(estimator, built, structs, parts, gf, xs, s, n, cons)
        se_kind = "robust.sem" if estimator == "MLM" else "robust.huber.white"
    se_all = np.sqrt(np.clip(np.diag(cov), 0, None)) if cov is not None else \
        np.full(len(cons.k), np.nan)
    p, g_n, npar = len(observed), len(levels), cons.npar
    ests, r2s, problems, at, ll, srmrs = [], [], [], 0, 0.0, []
    latent = list(built.latent)
    for g, (level, st, mp, th) in enumerate(zip(levels, structs, parts, gf.theta), 1):
        theta, means = th[:st.q], th[st.q:]
        se = se_all[at:at + st.q + mp.r]
        at += st.q + mp.r
        sigma = st.implied(theta[None])[0][0]
        mu = implied_mean(st, mp, theta, means)[0]
        inner_cov = st.inner_cov(theta[None])[0]
        rows = pt[pt.group == g]
        est = table_estimates(rows, st, theta, se[:st.q], sigma, inner_cov, ci)
        est = _mean_rows(est, rows, st, mp, means, se[st.q:], sigma, inner_cov, m[g - 1], ci)
        label = "1" if group is None else str(level)
        ests.append(est.assign(group=label))
        r2s.append(r2_of(st, latent, theta, sigma, inner_cov).assign(group=label))
        li = [st.inner.index(v) for v in latent]
        problems += [replace(d, message=f"group {label}: {d.message}" if group else d.message,
                             concerns=(label, *d.concerns) if group else d.concerns,
                             params={**d.params, "in_group": label} if group else d.params)
                     for d in check_solution(est, sigma, inner_cov[np.ix_(li, li)], latent)]
        d = m[g - 1] - mu
        ll -= n[g - 1] / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1]
                              + np.trace(np.linalg.solve(sigma, s[g - 1] + np.outer(d, d))))
        srmrs.append(srmr(s[g - 1], sigma, m[g - 1], mu))
    if not gf.converged:
        problems.append(Diagnostic("non_convergence", "the optimiser did not converge; "
                                   "estimates are not final", "error", params={}))
    n_tot = float(sum(n))
    nx = len(built.ov_x)
    df = g_n * (p * (p + 1) // 2 + p - nx * (nx + 1) // 2 - nx) - npar
    if df < 0:
        problems.append(Diagnostic("not_identified", f"the model is not identified: {npar} "
                                   f"free parameters (df = {df})", "error",
                                   params={"npar": npar, "df": df}))
    chisq = float(np.dot(n, gf.f))
    base = sum(baseline_chisq(sg, ng, "ML") for sg, ng in zip(s, n))
    if stats is not None:  # FIML: against the EM moments, ℓ over the rows
        chisq, base, ll = stats["chisq"], stats["baseline_chisq"], stats["loglik"]
    fit = dict.fromkeys(FIT_NAMES, np.nan)
    fit.update(_from_chisq(chisq, df, base, g_n * p * (p - 1) // 2, n_tot))
    if g_n > 1:
        for k in ("rmsea", "rmsea_ci_lower", "rmsea_ci_upper"):
            fit[k] *= np.sqrt(g_n)
    fit.update(npar=npar, srmr=float(np.dot(np.asarray(n) / n_tot, srmrs)), ntotal=n_tot,
               **information_criteria(ll, npar, n_tot))
    names = FIT_NAMES
    if estimator != "ML":
        names = FIT_NAMES + ROBUST_NAMES
        fit.update(robust or dict.fromkeys(ROBUST_NAMES, np.nan))
    est = pd.concat(ests, ignore_index=True)
    if group is not None:
        est = est[["group"] + [c for c in est.columns if c != "group"]]
    else:
        est = est.drop(columns="group")
    warn_all(problems)
    settings = CBSEMSettings(
        estimator=estimator, missing=missing, n=int(n_tot), n_dropped=dropped,
        weighted=False, n_effective=n_tot, se=se_kind, bootstrap=0, seed=None, ci=ci,
        n_failed=0, n_inadmissible=0, group=group, iterations=gf.iterations,
        semopy_version="", version=__version__)
    notes = (Note("cb_joint_means"),)
    r2 = pd.concat(r2s, ignore_index=True)
    if group is None:
        r2 = r2.drop(columns="group")
    return CBSEMResult(est, pd.Series({k: fit[k] for k in names}, name="value"), r2,
                       admissible(problems), tuple(problems), notes, settings, syntax)


def _fiml(estimator, built: Built, structs, parts, gf, xs, cons):
    """FIML over the groups from the fit to the EM moments
    (:mod:`crmsurvey.cbsem.fiml_groups`); with MLR its robust covariance and measures."""
    from dataclasses import replace as with_

    from .fiml_groups import fiml_groups, fiml_statistics, mlr_fiml_groups

    ff = fiml_groups(structs, parts, xs, cons.k, cons.c, gf.theta)
    gf = with_(gf, theta=ff.thetas, u=ff.u, converged=gf.converged and ff.converged,
               iterations=gf.iterations + ff.iterations)
    stats = fiml_statistics(structs, parts, xs, ff)
    p, g_n = len(built.observed), len(xs)
    stats.update(df=g_n * (p * (p + 1) // 2 + p) - cons.npar,
                 baseline_df=g_n * p * (p - 1) // 2)
    try:
        cov = cons.k @ np.linalg.inv(ff.hessian) @ cons.k.T
    except np.linalg.LinAlgError:
        return gf, None, {}, stats
    if estimator == "MLR" and stats["df"] > 0:
        cov, robust = mlr_fiml_groups(structs, parts, xs, cons.k, ff, stats)
        return gf, cov, robust, stats
    return gf, cov, {}, stats


def _robust(estimator, built: Built, structs, parts, gf, xs, s, n, cons):
    """MLM or MLR over the groups fitted together (:mod:`crmsurvey.cbsem.robust_joint`):
    the robust covariance of the rows and the scaled and robust measures."""
    from .fitmeasures import baseline_chisq
    from .robust_joint import satorra_bentler_groups, yuan_bentler_groups

    p, g_n = len(built.observed), len(xs)
    df = g_n * (p * (p + 1) // 2 + p) - cons.npar
    fit = {"chisq": float(np.dot(n, gf.f)), "df": df,
           "baseline_chisq": sum(baseline_chisq(sg, ng, "ML") for sg, ng in zip(s, n)),
           "baseline_df": g_n * p * (p - 1) // 2}
    if estimator == "MLM":
        return satorra_bentler_groups(structs, parts, gf.theta, xs, cons.k, fit)
    return yuan_bentler_groups(structs, parts, gf.theta, xs, cons.k, fit)


def _mean_rows(est, rows, st, mp, means, se, sigma, inner_cov, sample_mean, ci):
    """The ``~1`` rows of a fitted mean structure in the table's order (free: fitted,
    fixed: their value), standardised as lavaan (intercepts over the implied SD)."""
    from .tables import more_rows

    obs = {v: k for k, v in enumerate(st.observed)}
    inner = {v: k for k, v in enumerate(st.inner)}
    mrows = rows[rows.op == "~1"]
    free_vals = iter(zip(means, se))
    value, err, sd = [], [], []
    for r in records(mrows):
        if r.free > 0:
            v, e = next(free_vals)
        else:
            v = sample_mean[obs[r.lhs]] if r.exo else (r.ustart if np.isfinite(r.ustart)
                                                         else 0.0)
            e = np.nan
        value.append(float(v))
        err.append(float(e))
        sd.append(np.sqrt(sigma[obs[r.lhs], obs[r.lhs]]) if r.lhs in obs else
                  np.sqrt(max(inner_cov[inner[r.lhs], inner[r.lhs]], 0.0)))
    value, sd = np.array(value), np.array(sd)
    latent = ~mrows.lhs.isin(list(obs)).to_numpy()
    return more_rows(est, lhs=mrows.lhs.to_list(), op="~1", rhs="", value=value,
                     se=np.array(err), ci=ci, std_lv=np.where(latent, value / sd, value),
                     std_all=value / sd, free=(mrows.free > 0).to_numpy(),
                     label=[lab or plab for lab, plab in zip(mrows.label, mrows.plabel)])


