"""WLSMV for ordered items (lavaan's ``estimator = "WLSMV"`` with ``ordered =``; delta
parameterisation, complete rows).

1. Thresholds and polychoric correlations (:mod:`.polychoric`).
2. Their asymptotic covariance ``Γ`` (Muthén 1984, as lavaan's ``muthen1984``): casewise
   scores of the univariate threshold likelihoods and of each pair's bivariate likelihood
   in ρ; ``B⁻¹ = [[A₁₁⁻¹, 0], [−A₂₂⁻¹A₂₁A₁₁⁻¹, A₂₂⁻¹]]`` built from outer products of those
   scores (``A₂₁``: ρ scores against the pair's threshold scores), ``Γ = N B⁻¹ (S'S) B⁻ᵀ``.
3. DWLS: the model-implied correlation matrix has unit diagonal (residual variances
   ``1 − diag(ΛCΛ')``, not free); ``θ`` minimises ``F = Σ w (r − ρ(θ))²`` with
   ``w = 1 / diag(Γ_ρρ)`` (Gauss–Newton; the thresholds are saturated and fit exactly).
4. Robust SEs ``(1/N)(Δ'WΔ)⁻¹Δ'WΓWΔ(Δ'WΔ)⁻¹``; ``chisq = (N − 1) F`` as lavaan prints it;
   the mean-and-variance adjusted (scaled-shifted) test ``a·T + b`` with
   ``a = sqrt(df / tr((UΓ)²))``, ``b = df − a·tr(UΓ)``, ``U = W − WΔ(Δ'WΔ)⁻¹Δ'W``;
   ``chisq_scaling_factor = 1/a``; ``*_scaled`` fit from the adjusted statistics and the
   baseline (independence) model's.
5. ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` as lavaan computes them for categorical
   data (Savalei 2021, lavaan's "catML"): the ML discrepancy of the implied correlations
   against the polychoric ones, ``T₃ = N F_ML(P(θ̂), R)``, with the scaling factor
   ``c₃ = tr(U'VUΓ) / df`` (``V`` the normal-theory weight ``½D'(P⁻¹⊗P⁻¹)D`` on the
   correlations, ``U = I − Δ(Δ'WΔ)⁻¹Δ'W``), and for the baseline ``T₃_b = −N ln|R|``,
   ``c₃_b = tr(Γ) / df_b``; RMSEA with N − 1 as the other WLSMV measures
   (:func:`catml_robust`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .polychoric import (_EDGE, _density, bivariate_normal_cdf, bvn_dh, polychoric,
                         threshold_scores)

__all__ = ["nacov", "dwls_fit", "catml_robust"]


def _codes(frame: pd.DataFrame, cats: dict) -> np.ndarray:
    return np.column_stack([np.searchsorted(cats[c], frame[c].to_numpy()) for c in frame])


def nacov(frame: pd.DataFrame, pc) -> np.ndarray:
    """``N · acov`` of (thresholds item by item, polychorics in upper-triangle order)."""
    cols = list(frame.columns)
    y = _codes(frame, pc.categories)
    n, p = y.shape
    k = [len(pc.categories[c]) for c in cols]
    edges = [np.concatenate([[-_EDGE], pc.thresholds.loc[pc.thresholds.item == c, "est"]
                             .to_numpy(), [_EDGE]]) for c in cols]
    start = np.cumsum([0] + [kk - 1 for kk in k])
    t_n = int(start[-1])
    sc_th = np.zeros((n, t_n))
    for j in range(p):  # each row's scores: its category's row of the item's table
        sc_th[:, start[j]:start[j + 1]] = threshold_scores(edges[j])[y[:, j]]
    iu = np.triu_indices(p, 1)
    sc_r = np.zeros((n, len(iu[0])))
    a21 = np.zeros((len(iu[0]), t_n))
    for m, (a, b) in enumerate(zip(*iu)):
        r = pc.correlation.iat[a, b]
        ea, eb = edges[a], edges[b]
        lo_a, hi_a = ea[:-1][:, None], ea[1:][:, None]
        lo_b, hi_b = eb[:-1][None, :], eb[1:][None, :]
        prob = (bivariate_normal_cdf(hi_a, hi_b, r) - bivariate_normal_cdf(lo_a, hi_b, r)
                - bivariate_normal_cdf(hi_a, lo_b, r) + bivariate_normal_cdf(lo_a, lo_b, r))
        dprob = (_density(hi_a, hi_b, r) - _density(lo_a, hi_b, r)
                 - _density(hi_a, lo_b, r) + _density(lo_a, lo_b, r))
        ya, yb = y[:, a], y[:, b]
        cell = prob[ya, yb]
        s = dprob[ya, yb] / cell
        sc_r[:, m] = s
        for t in range(k[a] - 1):  # threshold t+1 of a: top of category t, bottom of t+1
            g = (bvn_dh(ea[t + 1], hi_b, r) - bvn_dh(ea[t + 1], lo_b, r))[0]
            d = np.zeros_like(prob)
            d[t], d[t + 1] = g, -g
            a21[m, start[a] + t] = (s * d[ya, yb] / cell).sum()
        for t in range(k[b] - 1):
            g = (bvn_dh(eb[t + 1], hi_a, r) - bvn_dh(eb[t + 1], lo_a, r))[:, 0]
            d = np.zeros_like(prob)
            d[:, t], d[:, t + 1] = g, -g
            a21[m, start[b] + t] = (s * d[ya, yb] / cell).sum()
    scores = np.hstack([sc_th, sc_r])
    inner = scores.T @ scores
    a11 = np.zeros((t_n, t_n))
    for j in range(p):
        idx = np.arange(start[j], start[j + 1])
        a11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1 / (sc_r ** 2).sum(axis=0))
    b_inv = np.block([[a11_inv, np.zeros((t_n, len(iu[0])))],
                      [-a22_inv @ a21 @ a11_inv, a22_inv]])
    return n * b_inv @ inner @ b_inv.T


def dwls_fit(st, resid: np.ndarray, theta0: np.ndarray, r: np.ndarray,
             gamma_rr: np.ndarray, n: int) -> dict:
    """DWLS estimates (:func:`.ordinal_bootstrap.dwls_batch` on the one sample), robust
    covariance, the statistics of the scaled-shifted test and the baseline model's."""
    from .ordinal_bootstrap import dwls_batch

    w = 1 / np.diag(gamma_rr)
    full, rho, done, it = dwls_batch(st, resid, theta0[None], r[None], w[None])
    full, res = full[0], r - rho[0]
    f = float((w * res ** 2).sum())
    a, b = np.triu_indices(len(st.observed), 1)
    j = st.derivatives(st.implied(full[None])[1])[0][~resid][:, a, b].T  # (pairs, free)
    a_inv = np.linalg.inv(j.T @ (w[:, None] * j))
    wm = np.diag(w)
    cov = a_inv @ j.T @ wm @ gamma_rr @ wm @ j @ a_inv / n
    df = len(r) - j.shape[1]

    u = wm - wm @ j @ a_inv @ j.T @ wm
    scale, shift = _adjusted(u, gamma_rr, df)
    chisq = (n - 1) * f
    base = (n - 1) * float((w * r ** 2).sum())
    a_b, b_b = _adjusted(wm, gamma_rr, len(r))  # independence: no parameter besides τ
    return {"full": full, "cov": cov, "converged": bool(done[0]), "iterations": it, "df": df,
            "chisq": chisq, "scaled": scale * chisq + shift, "factor": 1 / scale,
            "shift": shift, "base": base, "base_df": len(r),
            "base_scaled": a_b * base + b_b,
            "robust": catml_robust(r, rho[0], j, w, a_inv, gamma_rr, df, n)}


def catml_robust(r: np.ndarray, rho: np.ndarray, delta: np.ndarray, w: np.ndarray,
                 a_inv: np.ndarray, gamma_rr: np.ndarray, df: int, n: float
                 ) -> tuple[float, float, float, float]:
    """lavaan's statistics for the robust CFI, TLI and RMSEA of categorical data:
    ``(T₃, c₃, T₃_b, c₃_b)`` (see the module docstring, point 5), NaN when the polychoric
    matrix is not positive definite (as lavaan).

    ``r``, ``rho``: sample and implied correlations (upper triangle, row by row);
    ``delta``: their derivatives in the free parameters; ``w``: the DWLS weights;
    ``a_inv``: ``(Δ'WΔ)⁻¹``; ``gamma_rr``: ``N · acov(r)``.
    """
    p = int(round((1 + np.sqrt(1 + 8 * len(r))) / 2))
    a, b = np.triu_indices(p, 1)
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


def _adjusted(u: np.ndarray, gamma: np.ndarray, df: int) -> tuple[float, float]:
    """Scale ``a`` and shift ``b`` of the mean-and-variance adjusted statistic."""
    ug = u @ gamma
    a = np.sqrt(df / np.trace(ug @ ug))
    return a, df - a * np.trace(ug)


def fit_measures(out: dict, n: float) -> dict:
    """lavaan's WLSMV fit names (``chisq`` unscaled; ``*_scaled`` scaled-shifted); RMSEA
    with N − 1, as the statistics (lavaan's convention for these estimators)."""
    from .fitmeasures import cfi, chi2_sf, rmsea, tli

    df, t, t_b = out["df"], out["scaled"], out["base_scaled"]
    base_df = out["base_df"]
    return {"npar": np.nan, "chisq": out["chisq"], "df": df,
            "pvalue": chi2_sf(out["chisq"], df),
            "baseline_chisq": out["base"], "baseline_df": base_df,
            "cfi": cfi(out["chisq"], df, out["base"], base_df),
            "tli": tli(out["chisq"], df, out["base"], base_df),
            "rmsea": rmsea(out["chisq"], df, n - 1),
            "chisq_scaled": t, "df_scaled": df, "pvalue_scaled": chi2_sf(t, df),
            "chisq_scaling_factor": out["factor"], "chisq_shift_parameter": out["shift"],
            "baseline_chisq_scaled": t_b, "baseline_df_scaled": base_df,
            "cfi_scaled": cfi(t, df, t_b, base_df), "tli_scaled": tli(t, df, t_b, base_df),
            "rmsea_scaled": rmsea(t, df, n - 1), "ntotal": n, **robust_indices(out, n)}


def robust_indices(out: dict, n: float) -> dict:
    """``cfi_robust``, ``tli_robust``, ``rmsea_robust`` from :func:`catml_robust`'s
    statistics (lavaan's formulas with them; RMSEA with N − 1)."""
    from .fitmeasures import cfi, rmsea, tli

    t3, c3, t3_b, c3_b = out["robust"]
    df, base_df = out["df"], out["base_df"]
    if not np.isfinite([t3, c3, t3_b, c3_b]).all():
        return dict.fromkeys(("cfi_robust", "tli_robust", "rmsea_robust"), np.nan)
    return {"cfi_robust": cfi(t3, df, t3_b, base_df, c3, c3_b),
            "tli_robust": tli(t3, df, t3_b, base_df, c3, c3_b),
            "rmsea_robust": rmsea(t3, df, n - 1, c3)}


def polychoric_input(frame: pd.DataFrame):
    """Thresholds, polychorics and Γ of ``frame`` (complete rows of ordered items)."""
    pc = polychoric(frame)
    return pc, nacov(frame, pc)


def fit_wlsmv(syntax: str, data: pd.DataFrame, ordered, ci: float, *, bootstrap: int = 0,
              seed: int | None = None, chunk: int = 500, engine=None):
    """The CB-SEM result of a WLSMV fit (see the module docstring); ``bootstrap``
    resamples refit thresholds, polychorics, weights and DWLS together
    (:mod:`.ordinal_bootstrap`)."""
    import warnings

    import semopy

    from .. import __version__
    from ..diagnostics import Diagnostic, warn_all
    from ..errors import InputError
    from .sample import admissible as _admissible, prepare as _prepare, \
        semopy_model as _semopy_model
    from .result import CBSEMResult, CBSEMSettings
    from .scoring import score_fit
    from .structure import THETA, structure_of
    from .tables import estimates_table, more_rows, r2_table, written_order
    from .verify import check_collinearity, check_solution

    sem = _semopy_model(syntax)
    frame, _, n_dropped = _prepare(sem, data, None, "listwise")
    observed = list(sem.vars["observed"])
    ordered = observed if ordered is True else list(ordered)
    if sorted(ordered) != sorted(observed):
        raise InputError("WLSMV here needs every observed variable ordered "
                         f"(not ordered: {', '.join(sorted(set(observed) - set(ordered)))})")
    pc, gamma = polychoric_input(frame[observed])
    n = len(frame)
    r_mat = pc.correlation.to_numpy()
    r_frame = pd.DataFrame(r_mat, index=observed, columns=observed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem.load(cov=r_frame, n_samples=n)  # semopy's structure and starting values
    st = structure_of(sem)
    # a ULS start by batched Fisher scoring (semopy's SLSQP took most of a fit's time);
    # semopy's own ULS fit only if that fails
    start = score_fit(st, r_mat[None], np.asarray(sem.param_vals, float)[None],
                      estimator="ULS")
    if start.converged[0] and np.isfinite(start.theta[0]).all():
        full0 = start.theta[0]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sem.fit(cov=r_frame, n_samples=n, obj="ULS")
        full0 = np.asarray(sem.param_vals, float)
    resid = np.array([st.matrix[k] == THETA and st.row[k] == st.col[k] for k in range(st.q)])
    iu = np.triu_indices(len(observed), 1)
    t_n = len(pc.thresholds)
    out = dwls_fit(st, resid, full0[~resid], r_mat[iu], gamma[t_n:, t_n:], n)
    full = out["full"]
    sigma = st.implied(full[None])[0][0]
    se = np.full(st.q, np.nan)
    se[~resid] = np.sqrt(np.diag(out["cov"]))
    inner_cov = st.inner_cov(full[None])[0]
    est = estimates_table(st, sem, full, se, sigma, inner_cov, ci, written_order(syntax))
    est.loc[est.op.eq("~~") & est.lhs.eq(est.rhs) & est.lhs.isin(observed), "free"] = False
    th = pc.thresholds
    est = more_rows(est, lhs=th.item, op="|", rhs="t" + th.threshold.astype(str),
                    value=th.est.to_numpy(), se=np.sqrt(np.diag(gamma)[:t_n] / n), ci=ci,
                    std_lv=th.est.to_numpy(), std_all=th.est.to_numpy())
    est.loc[est.op.eq("|"), "label"] = (th.item + "|t" + th.threshold.astype(str)).to_numpy()
    latent = [v for v in st.inner if v in sem.vars["latent"]]
    li = [st.inner.index(v) for v in latent]
    problems = check_solution(est, sigma, inner_cov[np.ix_(li, li)], latent)
    r2 = r2_table(st, sem, full, sigma, inner_cov)
    problems += check_collinearity(est, inner_cov[np.ix_(li, li)], latent, r2)
    if not out["converged"]:
        problems.append(Diagnostic("non_convergence", "the DWLS fit did not converge; "
                                   "estimates are not final", "error"))
    fit = fit_measures(out, float(n))
    fit["npar"] = float((~resid).sum() + t_n)
    from .fitmeasures import srmr

    fit["srmr"] = srmr(r_mat, sigma)
    notes = [f"WLSMV: {t_n} thresholds and {len(iu[0])} polychoric correlations (two-step), "
             "DWLS with the diagonal of their asymptotic covariance (Muthén 1984), robust "
             "standard errors, mean-and-variance adjusted (scaled-shifted) test; delta "
             "parameterisation (residual variances 1 − explained)"]
    n_failed = n_inadmissible = 0
    table = None
    if bootstrap:
        from .bootstrap import bootstrap_columns
        from .ordinal_bootstrap import ordinal_draws

        from .._random import resolve_seed

        seed = resolve_seed(seed)
        y = _codes(frame[observed], pc.categories)
        onehot = (y[:, :, None] == np.arange(y.max() + 1)).astype(float)
        draws, th_draws, failed = ordinal_draws(st, resid, onehot, full[~resid], r_mat[iu],
                                                n_boot=bootstrap, seed=seed, chunk=chunk,
                                                engine=engine)
        est, table = bootstrap_columns(est, np.hstack([draws, th_draws]),
                                       [*st.names, *est.label[est.op.eq("|")]], ci)
        n_failed = int(failed.sum())
        n_inadmissible = int((draws[:, resid] < 0).any(axis=1).sum())
        if n_failed:
            problems.append(Diagnostic(
                "bootstrap_failures", f"{n_failed} of {bootstrap} bootstrap resamples failed "
                "(an empty category, or no convergence); intervals use the others",
                "warning", (str(n_failed), str(bootstrap))))
        if n_inadmissible:
            notes.append(f"{n_inadmissible} of {bootstrap} bootstrap solutions had a negative "
                         "residual variance (kept, as lavaan does)")
        notes.append("bootstrap: thresholds, polychorics, DWLS weights and estimates refitted "
                     "in every resample; percentile intervals")
    warn_all(problems)
    settings = CBSEMSettings(
        estimator="WLSMV", missing="listwise", n=n, n_dropped=n_dropped, weighted=False,
        n_effective=float(n), se="bootstrap" if bootstrap else "robust.sem",
        bootstrap=int(bootstrap), seed=seed if bootstrap else None, ci=ci, n_failed=n_failed,
        n_inadmissible=n_inadmissible, group=None, iterations=out["iterations"],
        semopy_version=semopy.__version__, version=__version__)
    return CBSEMResult(est, pd.Series(fit, name="value"), r2, _admissible(problems),
                       tuple(problems), tuple(notes), settings, syntax, draws=table)
