"""WLSMV on lavaan's parameter table: ordered items, alone or beside continuous ones, in
one or more groups (lavaan's ``estimator = "WLSMV"`` with ``ordered =``; delta
parameterisation, complete rows).

1. Each group's statistics and their ``Γ`` (``N_g · acov``): thresholds, means and
   variances, polychoric/polyserial/Pearson covariances (:mod:`.ordered`).
2. The model (:mod:`.ordered_model`): the parameter table with thresholds and scale
   factors, equality constraints ``x = K u + c`` from shared labels, ``==`` and
   ``group_equal``.
3. DWLS: ``F = Σ_g ((N_g − 1)/N) (s_g − σ_g(u))' W_g (s_g − σ_g(u))`` with ``W_g = diag(Γ_g)⁻¹``,
   by Gauss–Newton with step halving.
4. Robust standard errors ``(1/N) A⁻¹ B A⁻¹``, ``A = Σ f_g Δ_g'W_gΔ_g``, ``B = Σ f_g
   Δ_g'W_gΓ_gW_gΔ_g`` (``f_g = N_g/N``); ``χ² = Σ_g (N_g − 1) F_g`` (lavaan's); the mean-and-variance
   adjusted (scaled-shifted) test ``a·T + b`` with ``a = sqrt(df / tr((UΓ)²))``, ``b = df −
   a·tr(UΓ)``, ``U = V − VΔ(Δ'VΔ)⁻¹Δ'V`` over the stacked groups (``V = f_g W_g``, ``Γ =
   Γ_g / f_g``, lavaan's convention); the baseline is the independence model (thresholds,
   means and variances free, covariances 0) in every group.
5. ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` as lavaan computes them for ordered
   items (Savalei 2021, lavaan's "catML") for one group of ordered items
   (:func:`catml_robust`); NaN otherwise, as lavaan reports them (mixed items, groups).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._threads import blas_threads
from ..errors import InputError
from .fitmeasures import cfi, chi2_sf, rmsea, tli
from .ordered import pair_index, sample_moments
from .ordered_model import OrderedModel, ordered_table, table_constraints
from .partable import parse_syntax, variables
from .sample import model_frame

__all__ = ["nacov", "dwls", "inference", "catml_robust", "group_samples", "fit_wlsmv"]


def nacov(frame: pd.DataFrame, pc=None) -> np.ndarray:
    """``N · acov`` of the thresholds and polychoric correlations of ordered ``frame``
    (item by item, then the pairs): :func:`.ordered.sample_moments`'s ``Γ``."""
    return sample_moments(frame, list(frame.columns)).nacov


def dwls(model: OrderedModel, sample: list, *, tol: float = 1e-9,
         max_iter: int = 300) -> dict:
    """DWLS estimates ``u`` of every group together (see the module docstring, point 3),
    with the Jacobians ``Δ_g`` at the solution."""
    n = np.array([s.n for s in sample], float)
    f = (n - 1) / n.sum()  # lavaan's objective: Σ (N_g − 1) F_g / N
    w = [1 / np.diag(s.nacov) for s in sample]

    def objective(u):
        x = model.rows(u[None])
        res = [s.stats - model.implied(x, g)[0] for g, s in enumerate(sample)]
        return float(sum(fg * np.sum(wg * r * r) for fg, wg, r in zip(f, w, res))), res

    u = model.start(sample)
    fx, res = objective(u)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        jac = [model.jacobian(u, g) for g in range(len(sample))]
        a = sum(fg * j.T @ (wg[:, None] * j) for fg, wg, j in zip(f, w, jac))
        grad = sum(fg * j.T @ (wg * r) for fg, wg, j, r in zip(f, w, jac, res))
        try:
            step = np.linalg.solve(a, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(a, grad, rcond=None)[0]
        scale = 1.0
        for _ in range(30):
            f_new, res_new = objective(u + scale * step)
            if np.isfinite(f_new) and f_new <= fx + 1e-15:
                break
            scale /= 2
        u, fx, res = u + scale * step, f_new, res_new
        if np.abs(scale * step).max() < tol:
            converged = True
            break
    jac = [model.jacobian(u, g) for g in range(len(sample))]
    return dict(u=u, fmin=fx, res=res, jac=jac, w=w, f=n / n.sum(), n=n, converged=converged,
                iterations=it)


def inference(fitted: dict, sample: list) -> dict:
    """Robust covariance of ``u``, χ², the scaled-shifted test and the baseline's."""
    f, n, w, jac = fitted["f"], fitted["n"], fitted["w"], fitted["jac"]
    gam = [s.nacov for s in sample]
    a = sum(fg * j.T @ (wg[:, None] * j) for fg, wg, j in zip(f, w, jac))
    b = sum(fg * (wg[:, None] * j).T @ g @ (wg[:, None] * j)
            for fg, wg, j, g in zip(f, w, jac, gam))
    a_inv = np.linalg.inv(a)
    cov = a_inv @ b @ a_inv / n.sum()
    df = sum(len(s.stats) for s in sample) - jac[0].shape[1]
    chisq = float(sum((ng - 1) * np.sum(wg * r * r)
                      for ng, wg, r in zip(n, w, fitted["res"])))
    v = _block([fg * np.diag(wg) for fg, wg in zip(f, w)])
    gamma = _block([g / fg for fg, g in zip(f, gam)])
    delta = np.vstack(jac)
    u_mat = v - v @ delta @ a_inv @ delta.T @ v
    scale, shift = _adjusted(u_mat @ gamma, df)
    cov_slots = [np.arange(len(s.stats))[s.n_th + len(s.numeric):] for s in sample]
    base = float(sum((ng - 1) * np.sum(s.stats[c] ** 2 * wg[c])
                     for ng, s, wg, c in zip(n, sample, w, cov_slots)))
    base_df = sum(len(c) for c in cov_slots)
    ug_b = _block([np.diag(wg[c]) @ g[np.ix_(c, c)] for wg, g, c in zip(w, gam, cov_slots)])
    a_b, b_b = _adjusted(ug_b, base_df)
    return dict(cov=cov, a_inv=a_inv, df=df, chisq=chisq, scaled=scale * chisq + shift,
                factor=1 / scale, shift=shift, base=base, base_df=base_df,
                base_scaled=a_b * base + b_b)


def _block(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(m.shape[0] for m in blocks)
    out, k = np.zeros((size, size)), 0
    for m in blocks:
        out[k:k + len(m), k:k + len(m)] = m
        k += len(m)
    return out


def _adjusted(ug: np.ndarray, df: int) -> tuple[float, float]:
    """Scale ``a`` and shift ``b`` of the mean-and-variance adjusted statistic."""
    a = np.sqrt(df / np.sum(ug * ug.T)) if df > 0 else np.nan
    return a, df - a * np.trace(ug)


def catml_robust(r: np.ndarray, rho: np.ndarray, delta: np.ndarray, w: np.ndarray,
                 a_inv: np.ndarray, gamma_rr: np.ndarray, df: int, n: float
                 ) -> tuple[float, float, float, float]:
    """lavaan's statistics for the robust CFI, TLI and RMSEA of ordered items:
    ``(T₃, c₃, T₃_b, c₃_b)`` — the ML discrepancy of the implied correlations against the
    polychoric ones ``T₃ = N F_ML(P(θ̂), R)`` with ``c₃ = tr(U'VUΓ) / df`` (``V`` the
    normal-theory weight ``½D'(P⁻¹⊗P⁻¹)D`` on the correlations, ``U = I − Δ(Δ'WΔ)⁻¹Δ'W``),
    and for the baseline ``T₃_b = −N ln|R|``, ``c₃_b = tr(Γ) / df_b``; NaN when the
    polychoric matrix is not positive definite (as lavaan).

    ``r``, ``rho``: sample and implied correlations (pairs in :func:`.ordered.pair_index`
    order); ``delta``: their derivatives in the parameters; ``w``: the DWLS weights of the
    correlations; ``a_inv``: ``(Δ'WΔ)⁻¹`` over all the statistics; ``gamma_rr``:
    ``N · acov(r)``.
    """
    p = int(round((1 + np.sqrt(1 + 8 * len(r))) / 2))
    a, b = pair_index(p)
    big, implied = np.eye(p), np.eye(p)
    big[a, b] = big[b, a] = r
    implied[a, b] = implied[b, a] = rho
    if np.linalg.eigvalsh(big).min() < np.sqrt(np.finfo(float).eps):
        return (np.nan,) * 4
    prec = np.linalg.inv(implied)
    f = (np.linalg.slogdet(implied)[1] + np.trace(big @ prec) - np.linalg.slogdet(big)[1]
         - p)
    v = prec[a[:, None], a[None, :]] * prec[b[:, None], b[None, :]] \
        + prec[a[:, None], b[None, :]] * prec[b[:, None], a[None, :]]
    u = np.eye(len(r)) - delta @ a_inv @ delta.T * w[None, :]
    c3 = float(np.sum((u.T @ v @ u) * gamma_rr.T)) / df if df > 0 else np.nan
    return (float(n * f), c3, float(-n * np.linalg.slogdet(big)[1]),
            float(np.trace(gamma_rr)) / len(r))


def fit_measures(out: dict, n: float, ngroups: int, robust: tuple) -> dict:
    """lavaan's WLSMV fit names (``chisq`` unscaled; ``*_scaled`` scaled-shifted; RMSEA
    with N, times √G for G groups, as lavaan)."""
    df, t, t_b, base_df = out["df"], out["scaled"], out["base_scaled"], out["base_df"]
    g = np.sqrt(ngroups)
    fit = {"chisq": out["chisq"], "df": df, "pvalue": chi2_sf(out["chisq"], df),
           "baseline_chisq": out["base"], "baseline_df": base_df,
           "cfi": cfi(out["chisq"], df, out["base"], base_df),
           "tli": tli(out["chisq"], df, out["base"], base_df),
           "rmsea": g * rmsea(out["chisq"], df, n),
           "chisq_scaled": t, "df_scaled": df, "pvalue_scaled": chi2_sf(t, df),
           "chisq_scaling_factor": out["factor"], "chisq_shift_parameter": out["shift"],
           "baseline_chisq_scaled": t_b, "baseline_df_scaled": base_df,
           "cfi_scaled": cfi(t, df, t_b, base_df), "tli_scaled": tli(t, df, t_b, base_df),
           "rmsea_scaled": g * rmsea(t, df, n), "ntotal": n}
    t3, c3, t3_b, c3_b = robust
    if np.isfinite([t3, c3, t3_b, c3_b]).all():
        fit.update(cfi_robust=cfi(t3, df, t3_b, base_df, c3, c3_b),
                   tli_robust=tli(t3, df, t3_b, base_df, c3, c3_b),
                   rmsea_robust=rmsea(t3, df, n, c3))
    else:
        fit.update(dict.fromkeys(("cfi_robust", "tli_robust", "rmsea_robust"), np.nan))
    return fit


def group_samples(data: pd.DataFrame, observed: list[str], ordered: list[str],
                  group: str | None) -> tuple[list, list, dict, int]:
    """Each group's statistics (:func:`.ordered.sample_moments` of its complete rows), the
    groups' levels (``[None]`` without groups), each ordered item's categories and the
    rows left out. Every group must use every category of an ordered item (its thresholds
    are counted once for all groups, as lavaan's)."""
    if group is not None and group not in data.columns:
        raise InputError(f"group column {group!r} is not in the data")
    n_na = 0
    if group is not None:
        n_na = int(data[group].isna().sum())
        data = data[data[group].notna()]
    frame, _, n_dropped = model_frame(observed, data, None, "listwise")
    if group is not None:
        frame = frame.assign(**{group: data.loc[frame.index, group].to_numpy()})
    levels = [None] if group is None else list(pd.unique(frame[group]))
    if group is not None and len(levels) < 2:
        raise InputError(f"group column {group!r} has a single level in the complete rows")
    cats = {o: sorted(pd.unique(frame[o])) for o in ordered}
    sample = []
    for level in levels:
        sub = frame if level is None else frame[frame[group] == level]
        for o in ordered:
            gone = [c for c in cats[o] if c not in set(pd.unique(sub[o]))]
            if gone:
                raise InputError(f"ordered item {o!r} has no answer {gone[0]} in group "
                                 f"{level!r}: its thresholds differ in number between groups",
                                 hint="merge that category with a neighbour")
        with blas_threads(1):
            sample.append(sample_moments(sub[observed], ordered))
    return sample, levels, cats, n_dropped + n_na


def fit_wlsmv(syntax: str, data: pd.DataFrame, ordered, ci: float, *,
              group: str | None = None, group_equal: tuple[str, ...] = (),
              std_lv: bool = False, orthogonal: bool = False, bootstrap: int = 0,
              seed: int | None = None, chunk: int = 500, engine=None):
    """The CB-SEM result of a WLSMV fit (see the module docstring); ``bootstrap``
    resamples (one group of ordered items) refit thresholds, polychorics, weights and
    DWLS together (:mod:`.ordinal_bootstrap`)."""
    from .wlsmv_report import WLSMVFit, report  # it uses this module's fit measures

    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    if group_equal and group is None:
        raise InputError("group_equal goes with group= (parameters equal across groups)",
                         hint="name the group column, or leave group_equal out")
    written, defs = syntax, []
    if ":=" in syntax:
        from .defined import split_defined

        syntax, defs = split_defined(syntax)
    flat = parse_syntax(syntax)
    v = variables(flat)
    if any(f.op == "<~" for f in flat):
        raise InputError("composites ('<~') are not fitted by CB-SEM", hint="use pls()")
    if v.ov_x:
        raise InputError(f"WLSMV here takes no observed exogenous covariates ({v.ov_x[0]!r} "
                         "predicts without being predicted or measured): lavaan fits them "
                         "conditionally (conditional.x), which is not available here",
                         hint="model the covariate as a single-indicator factor, or use ML")
    observed = list(v.ov)
    ordered = observed if ordered is True else list(ordered)
    unknown = [o for o in ordered if o not in observed]
    if unknown:
        raise InputError(f"ordered item {unknown[0]!r} is not a variable of the model")
    if not any(o in observed for o in ordered):
        raise InputError("WLSMV needs at least one ordered item of the model")
    sample, levels, cats, n_dropped = group_samples(data, observed, ordered, group)
    pt = ordered_table(syntax, ordered, {o: len(c) - 1 for o, c in cats.items()},
                       ngroups=len(levels), std_lv=std_lv, orthogonal=orthogonal,
                       group_equal=tuple(group_equal))
    cons = table_constraints(pt)
    model = OrderedModel(pt, cons, observed, ordered, [s.th_item for s in sample],
                         [s.cov for s in sample])
    if bootstrap:
        from .estimators import ESTIMATORS
        from .wlsmv_report import bootstrap_refusal

        why = bootstrap_refusal(model, ordered, len(levels))
        if why:
            raise InputError("estimator='WLSMV' takes no bootstrap of this model here: "
                             + ESTIMATORS["WLSMV"].reason("bootstrap", "") + f" ({why})",
                             hint="bootstrap=0 (robust standard errors)")
    with blas_threads(1):  # small matrices: one BLAS thread
        fitted = dwls(model, sample)
        out = inference(fitted, sample)
    return report(WLSMVFit(model, sample, fitted, out, levels, group, ordered, n_dropped),
                  written, defs, ci, bootstrap=bootstrap, seed=seed, chunk=chunk,
                  engine=engine)
