"""A WLSMV fit reported as lavaan reports it: the parameter table's rows group by group
(thresholds ``|``, scale factors ``~*~``, intercepts and latent means ``~1`` beside the
covariance structure; an ordered item's residual variance is ``1/Δ² − explained``, fixed),
lavaan's fit measures, R², diagnostics, notes, and the bootstrap where it applies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..notes import Note
from .ordered_model import OrderedModel

__all__ = ["WLSMVFit", "report", "bootstrap_refusal"]


def bootstrap_refusal(model: OrderedModel, ordered: list[str], ngroups: int) -> str:
    """Why the WLSMV bootstrap cannot refit this model ('' when it can): it refits one
    group of ordered items with the thresholds saturated; equality constraints may tie
    the covariance structure's parameters."""
    pt = model.pt
    if ngroups > 1:
        return "it refits one group at a time (no group=)"
    if len(ordered) < len(model.observed):
        return "it refits models whose items are all ordered"
    user = pt[(pt.user == 1) & pt.op.isin(["|", "~1", "~*~"])]
    if len(user) or _covariance_constraints(model) is None:
        return ("it refits models whose thresholds are free and whose equality "
                "constraints tie loadings, paths or (co)variances only")
    return ""


def _covariance_constraints(model: OrderedModel):
    """``(K, c)`` of the covariance structure's parameters alone, or None when a
    constraint reaches a threshold, intercept or scale factor."""
    rows = model.groups[0].cov_rows
    k = model.cons.k
    used = np.flatnonzero(np.abs(k[rows]).sum(axis=0) > 0)
    others = np.setdiff1d(np.arange(k.shape[0]), rows)
    if np.abs(k[np.ix_(others, used)]).sum() > 0 or np.abs(model.cons.c[others]).sum() > 0:
        return None
    return k[np.ix_(rows, used)], model.cons.c[rows]


def _group_table(model: OrderedModel, g: int, x: np.ndarray, se_x: np.ndarray, ci: float):
    from .tables import more_rows, table_estimates

    pt = model.pt
    grp = model.groups[g]
    pos = model.pt_pos
    parts = model.parts(x[None], g)
    sigma, inner_cov = parts["sigma"][0], parts["inner_cov"][0]
    theta = parts["theta"][0]
    rows = pt[pt.group == g + 1]
    est = table_estimates(rows, grp.st, theta, se_x[grp.cov_rows], sigma, inner_cov, ci)
    obs = {v: k for k, v in enumerate(model.observed)}
    ordr = [v for v, o in zip(model.observed, grp.ordered) if o]
    delta = parts["delta"][0]
    resid = dict(zip(ordr, parts["resid"][0]))
    own = est.op.eq("~~") & est.lhs.eq(est.rhs) & est.lhs.isin(ordr)
    for k in np.flatnonzero(own.to_numpy()):
        v = est.lhs.iat[k]
        est.iloc[k, est.columns.get_indexer(["est", "ci_lower", "ci_upper", "std_lv"])] = \
            resid[v]
        est.iat[k, est.columns.get_loc("std_all")] = resid[v] * delta[obs[v]] ** 2
    sd_in = dict(zip(grp.st.inner, np.sqrt(np.diag(inner_cov))))
    sd_ob = dict(zip(model.observed, np.sqrt(np.diag(sigma))))
    for op in ("|", "~*~", "~1"):
        part = rows[rows.op == op]
        if not len(part):
            continue
        p_ = pos[part.index.to_numpy()]
        value = np.where(p_ >= 0, x[np.maximum(p_, 0)], part.ustart.fillna(0).to_numpy())
        se = np.where(p_ >= 0, se_x[np.maximum(p_, 0)], np.nan)
        if op == "|":
            scale = np.array([delta[obs[v]] for v in part.lhs])
            std_lv, std_all = value, value * scale
        elif op == "~*~":  # the standardised y* has variance 1 (lavaan: std.all 1)
            std_lv, std_all = value, np.ones(len(value))
        else:
            sd_lv = np.array([sd_in[v] if v in sd_in and v not in obs else 1.0
                              for v in part.lhs])
            sd_all = np.array([sd_ob[v] if v in obs else sd_in.get(v, 1.0)
                               for v in part.lhs])
            std_lv, std_all = value / sd_lv, value / sd_all
        est = more_rows(est, lhs=part.lhs.to_list(), op=op, rhs=part.rhs.to_list(),
                        value=value, se=se, ci=ci, std_lv=std_lv, std_all=std_all,
                        free=(p_ >= 0), label=[lab or plab for lab, plab
                                               in zip(part.label, part.plabel)])
    order = {k: i for i, k in enumerate(zip(rows.lhs, rows.op, rows.rhs))}
    est["_order"] = [order.get(k, len(order)) for k in zip(est.lhs, est.op, est.rhs)]
    est = est.sort_values("_order", kind="stable").drop(columns="_order")
    return est.reset_index(drop=True), parts


@dataclass(frozen=True, eq=False)
class WLSMVFit:
    """What the estimation hands to the report: the model, each group's statistics
    (:class:`~crmsurvey.cbsem.ordered.OrderedMoments`), the DWLS solution
    (:func:`~crmsurvey.cbsem.wlsmv.dwls`) and its inference, the groups' levels (``[None]``
    without groups), the ordered items and the rows left out."""

    model: OrderedModel
    sample: list
    fitted: dict
    out: dict
    levels: list
    group: str | None
    ordered: list[str]
    n_dropped: int


def report(fit_: WLSMVFit, written: str, defs: list, ci: float, *, bootstrap: int = 0,
           seed: int | None = None, chunk: int = 500, engine=None):
    """The :class:`~crmsurvey.cbsem.result.CBSEMResult` of a WLSMV fit (``written``: the
    syntax as given; ``defs``: its ``:=`` definitions)."""
    from .. import __version__
    from ..diagnostics import Diagnostic, warn_all
    from .fitmeasures import srmr
    from .result import CBSEMResult, CBSEMSettings
    from .sample import admissible
    from .tables import r2_of
    from .verify import check_collinearity, check_solution
    from .wlsmv import catml_robust, fit_measures

    model, sample, fitted, out = fit_.model, fit_.sample, fit_.fitted, fit_.out
    levels, group, ordered = fit_.levels, fit_.group, fit_.ordered
    cons = model.cons
    x = model.rows(fitted["u"][None])[0]
    cov_x = cons.k @ out["cov"] @ cons.k.T
    with np.errstate(invalid="ignore"):
        se_x = np.sqrt(np.diag(cov_x))
    n_total = float(sum(s.n for s in sample))
    latent = list(dict.fromkeys(model.pt.lhs[model.pt.op == "=~"]))
    tables, r2s, problems, srmrs = [], [], [], []
    for g in range(len(sample)):
        est, parts = _group_table(model, g, x, se_x, ci)
        grp = model.groups[g]
        sigma, inner_cov = parts["sigma"][0], parts["inner_cov"][0]
        li = [grp.st.inner.index(v) for v in latent]
        checked = est.copy()
        checked.loc[checked.op.eq("~~") & checked.lhs.eq(checked.rhs)
                    & checked.lhs.isin(ordered), "free"] = True
        found = check_solution(checked, sigma, inner_cov[np.ix_(li, li)], latent)
        r2 = r2_of(grp.st, latent, parts["theta"][0], sigma, inner_cov)
        ordr = [v for v, o in zip(model.observed, grp.ordered) if o]
        resid = dict(zip(ordr, parts["resid"][0] / np.diag(sigma)[grp.ordered]))
        r2["r2"] = [1 - resid[v] if v in resid else r for v, r in zip(r2.variable, r2.r2)]
        found += check_collinearity(est, inner_cov[np.ix_(li, li)], latent, r2)
        star = sigma * np.outer(parts["delta"][0], parts["delta"][0])
        srmrs.append(srmr(sample[g].cov, star))
        if group is not None:
            label = str(levels[g])
            est.insert(0, "group", label)
            r2.insert(0, "group", label)
            found = [Diagnostic(d.code, f"group {label}: {d.message}", d.severity,
                                (label, *d.concerns), {**d.params, "in_group": label})
                     for d in found]
        tables.append(est)
        r2s.append(r2)
        problems += found
    est = pd.concat(tables, ignore_index=True)
    r2 = pd.concat(r2s, ignore_index=True)
    if not fitted["converged"]:
        problems.append(Diagnostic("non_convergence", "the DWLS fit did not converge; "
                                   "estimates are not final", "error", params={}))
    if not np.isfinite(se_x).all():
        problems.append(Diagnostic(
            "se_failed", "some standard errors could not be computed (singular information "
            "matrix): the model may not be identified", "error", params={}))
    robust = (np.nan,) * 4
    if len(sample) == 1 and len(ordered) == len(model.observed):
        s = sample[0]
        jr = fitted["jac"][0][s.n_th:]
        keep = np.abs(jr).max(axis=0) > 0
        jr = jr[:, keep]
        wr = fitted["w"][0][s.n_th:]
        try:
            a_inv = np.linalg.inv(jr.T @ (wr[:, None] * jr))
            implied = s.stats[s.n_th:] - fitted["res"][0][s.n_th:]
            robust = catml_robust(s.stats[s.n_th:], implied, jr, wr, a_inv,
                                  s.nacov[s.n_th:, s.n_th:], out["df"], n_total)
        except np.linalg.LinAlgError:
            pass
    fit = fit_measures(out, n_total, len(sample), robust)
    weights = np.array([s.n for s in sample]) / n_total
    fit.update(npar=float(cons.npar), srmr=float(np.sum(weights * srmrs)))
    n_th = sum(s.n_th - len(s.numeric) for s in sample)
    notes = [Note("cb_wlsmv" if len(ordered) == len(model.observed) else "cb_wlsmv_mixed",
                  {"thresholds": int(n_th)})]
    n_failed = n_inadmissible = 0
    table = draws = None
    if bootstrap:  # a model the bootstrap refits (wlsmv.fit_wlsmv asked bootstrap_refusal)
        draws, n_failed, n_inadmissible, est, table, seed = _bootstrap(
            model, sample[0], x, est, ci, bootstrap, seed, chunk, engine)
        if n_failed:
            problems.append(Diagnostic(
                "bootstrap_failures", f"{n_failed} of {bootstrap} bootstrap resamples failed "
                "(an empty category, or no convergence); intervals use the others",
                "warning", (str(n_failed), str(bootstrap)),
                params={"failed": n_failed, "total": bootstrap}))
        if n_inadmissible:
            notes.append(Note("cb_boot_inadmissible_residual",
                              {"n": n_inadmissible, "bootstrap": bootstrap}))
        notes.append(Note("cb_wlsmv_bootstrap"))
    if defs:
        from .defined import defined_rows

        names = [lab or plab for lab, plab in zip(model.pt.label[model.pt.free > 0],
                                                  model.pt.plabel[model.pt.free > 0])]
        est = pd.concat([est, defined_rows(defs, est, names, x, cov_x, ci)],
                        ignore_index=True)
    warn_all(problems)
    settings = CBSEMSettings(
        estimator="WLSMV", missing="listwise", n=int(n_total), n_dropped=fit_.n_dropped,
        weighted=False, n_effective=n_total, se="bootstrap" if bootstrap else "robust.sem",
        bootstrap=int(bootstrap), seed=seed if bootstrap else None, ci=ci,
        n_failed=n_failed, n_inadmissible=n_inadmissible, group=group,
        iterations=fitted["iterations"], semopy_version="", version=__version__)
    return CBSEMResult(est, pd.Series(fit, name="value"), r2, admissible(problems),
                       tuple(problems), tuple(notes), settings, written, draws=table)


def _bootstrap(model, s, x, est, ci, n_boot, seed, chunk, engine):
    """The batched ordinal bootstrap (:mod:`.ordinal_bootstrap`) on a structure whose
    ordered residual variances are parameters (filled in as ``1 − explained``)."""
    from .._random import resolve_seed
    from .bootstrap import bootstrap_columns
    from .ordinal_bootstrap import ordinal_draws
    from .structure import structure_from_partable

    seed = resolve_seed(seed)
    pt = model.pt
    rows = pt[(pt.group == 1) & pt.op.isin(["=~", "~", "~~"])].copy()
    own = rows.op.eq("~~") & rows.lhs.eq(rows.rhs) & rows.lhs.isin(model.observed)
    rows.loc[own, "free"] = 1
    st = structure_from_partable(rows, model.observed, s.cov)
    resid = np.zeros(st.q, bool)
    resid[np.flatnonzero(own.to_numpy()[(rows.free > 0).to_numpy()])] = True
    grp = model.groups[0]
    theta = x[grp.cov_rows]
    y = s.codes
    onehot = (y[:, :, None] == np.arange(y.max() + 1)).astype(float)
    k, c = _covariance_constraints(model)
    draws, th_draws, failed = ordinal_draws(st, resid, onehot, theta, s.stats[s.n_th:],
                                            n_boot=n_boot, seed=seed, chunk=chunk,
                                            engine=engine, k=k, c=c)
    names = [*st.names, *est.label[est.op.eq("|")]]
    est, table = bootstrap_columns(est, np.hstack([draws, th_draws]), names, ci)
    n_failed = int(failed.sum())
    n_inadmissible = int((draws[:, resid] < 0).any(axis=1).sum())
    return draws, n_failed, n_inadmissible, est, table, seed
