"""Endogeneity of the structural regressors: the Gaussian copula test (Park & Gupta 2012,
Marketing Science 31(4); for PLS-SEM Hult et al. 2018, Journal of International
Marketing 26(3); pitfalls: Becker, Proksch & Ringle 2022, JAMS 50).

Each structural equation ``Y = Σ β_k X_k + ε`` of the construct scores is estimated again
by least squares with one more regressor per non-normal antecedent ``X_k``, its copula
term ``c_k = Φ⁻¹(F̂(X_k))``: ``F̂`` is the (weighted) empirical distribution function of
the score, rescaled by ``n / (n + 1)`` so that the largest value stays finite (REndo's
and Becker et al.'s choice). A copula coefficient that differs from 0 says that ``X_k``
is correlated with the equation's error — endogeneity — and ``path_est`` is the path
corrected for it. The copula terms of an equation's non-normal regressors enter together.

**The regressor must not be normal**: for a normal ``X_k``, ``c_k`` is a linear function
of ``X_k`` and its coefficient is not identified (Park & Gupta 2012; Becker et al. 2022
show that near-normal regressors give unreliable tests). Each score is tested with the
Shapiro–Wilk test (unweighted, on the full sample's scores); a regressor whose normality
is not rejected at ``normality_alpha`` gets no copula term — its row says
``status = "normal"`` with NaN estimates, and a ``copula_not_identified`` diagnostic is
warned — rather than a meaningless coefficient. So does a discrete regressor (fewer than
:data:`MIN_DISTINCT` distinct scores, e.g. a yes/no item): ``status = "discrete"``, as
the continuous copula term assumes a continuous regressor (Park & Gupta treat discrete
ones by another likelihood).

Inference: the copula terms are rebuilt in every bootstrap resample — the model is
re-estimated there (weights, construct-level sign change as the fit), the scores, the
empirical distribution and the regression all come from the resample's row frequencies
— and the resamples are **the model's own** (:func:`.source.model_resamples`: the same row
frequencies as its bootstrap intervals). ``se`` is the bootstrap standard deviation,
``p`` two-sided from ``t = est / se`` with ``n − 1`` degrees of freedom, and the
interval is the fit's (percentile, or BCa with a jackknife) at its level.

Consistent PLS: the regressions use the composite scores (not the disattenuated
correlations), so ``path_est`` there is a composite-score path.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._threads import blas_threads
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from ..moments import LeaveOneOut, moments_of, row_chunks
from .bootstrap import intervals
from .source import fit_scheme, model_resamples
from .stats import batch_statistics, construct_signs

__all__ = ["copula_test", "copula_terms"]

_COLUMNS = ["lhs", "op", "rhs", "status", "normality_p", "copula_est", "se", "t", "p",
            "ci_lower", "ci_upper", "path_est"]
#: A regressor with fewer distinct scores (a single item on a short scale, a yes/no item)
#: is discrete: Park & Gupta's continuous copula term does not apply to it.
MIN_DISTINCT = 20
#: rows × constructs × resamples kept in memory at once (about 160 MB of scores)
_CELLS = 20_000_000


def copula_terms(scores: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """``Φ⁻¹(F̂(x) · n / (n + 1))`` of each column of ``scores`` (B, n, m) under row
    frequencies ``freq`` (B, n): ``F̂(x) = Σ_{j: x_j ≤ x} f_j / Σ_j f_j`` (ties share the
    value of the last of them), ``n`` the number of rows.

    Examples
    --------
    >>> x = np.array([[[3.0], [1.0], [2.0], [2.0]]])       # one sample, one regressor
    >>> copula_terms(x, np.ones((1, 4)))[0, :, 0].round(3).tolist()  # Φ⁻¹(.8, .2, .6, .6)
    [0.842, -0.842, 0.253, 0.253]
    """
    from scipy import stats as sps  # here, not at import: a PLS fit does not load SciPy

    b, n, m = scores.shape
    s = np.moveaxis(scores, 2, 1).reshape(b * m, n)
    f = np.repeat(freq, m, axis=0)
    order = np.argsort(s, axis=1, kind="stable")
    ss = np.take_along_axis(s, order, axis=1)
    cum = np.cumsum(np.take_along_axis(f, order, axis=1), axis=1)
    last = np.ones_like(ss, dtype=bool)
    last[:, :-1] = ss[:, 1:] != ss[:, :-1]
    cum = np.minimum.accumulate(np.where(last, cum, np.inf)[:, ::-1], axis=1)[:, ::-1]
    ecdf = np.empty_like(cum)
    np.put_along_axis(ecdf, order, cum / cum[:, -1:], axis=1)
    c = np.where(f > 0, sps.norm.ppf(ecdf * n / (n + 1)), 0.0)  # rows not drawn: no −∞
    return np.moveaxis(c.reshape(b, m, n), 1, 2)


def _scores(fitted, freq: np.ndarray, sign_change: str) -> tuple[np.ndarray, np.ndarray]:
    """Construct scores (B, n, K) of the model re-estimated on each row of ``freq``, and
    which samples failed (did not converge)."""
    f = fitted
    m = f.source.moments(freq)
    st = batch_statistics(m, f.lay, f.opts)
    w = st.weights
    if sign_change == "construct":
        w = w * construct_signs(f.full_loadings, st.loadings, f.lay)[:, f.lay.block]
    with np.errstate(divide="ignore", invalid="ignore"):
        ws = (w / m.sd)[:, :, None] * f.lay.mask  # (B, P, K)
        shift = np.einsum("bp,bpk->bk", m.mean, ws)
    xb = f.source.data(freq)
    return np.matmul(xb, ws) - shift[:, None, :], ~st.converged


def _equations(lay, tested: dict[int, list[int]]):
    for j in lay.endogenous:
        yield j, list(lay.predecessors(j)), tested[j]


def _estimates(fitted, freq: np.ndarray, tested: dict[int, list[int]], sign_change: str
               ) -> tuple[np.ndarray, np.ndarray]:
    """Copula and path coefficients (B, m) of every tested regressor, in equation order."""
    scores, failed = _scores(fitted, freq, sign_change)
    cop_out, path_out = [], []
    for j, preds, cop in _equations(fitted.lay, tested):
        if not cop:
            continue
        terms = copula_terms(scores[:, :, cop], freq)
        cols = np.concatenate([scores[:, :, [j] + preds], terms], axis=2)
        m = moments_of(cols, freq)
        cov = m.cov
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(cov).all(axis=(1, 2))
        coef = np.full((len(freq), cols.shape[2] - 1), np.nan)
        if ok.any():
            a, y = cov[ok][:, 1:, 1:], cov[ok][:, 1:, :1]
            coef[ok] = (np.linalg.pinv(a) @ y)[..., 0]
        k = len(preds)
        cop_out.append(coef[:, k:])
        path_out.append(coef[:, [preds.index(c) for c in cop]])
    if not cop_out:
        empty = np.empty((len(freq), 0))
        return empty, empty
    cop_est, path_est = np.concatenate(cop_out, axis=1), np.concatenate(path_out, axis=1)
    cop_est[failed] = np.nan
    path_est[failed] = np.nan
    return cop_est, path_est


def _sub_batches(freq: np.ndarray, n: int, k: int):
    step = max(1, _CELLS // max(1, n * k))
    for i in range(0, len(freq), step):
        yield freq[i:i + step]


def copula_test(result, *, normality_alpha: float = 0.05, bootstrap: int | None = None,
                seed: int | None = None) -> pd.DataFrame:
    """Gaussian copula test of endogeneity of every structural regressor (see the module
    docstring).

    Parameters
    ----------
    result : PLSResult
        A model from :func:`crmsurvey.pls`; its bootstrap resamples give the intervals.
    normality_alpha : a regressor gets a copula term only if Shapiro–Wilk rejects its
        normality at this level.
    bootstrap, seed : how many resamples (default: the fit's ``settings.bootstrap``) and,
        for other resamples than the fit's, their seed (default: the fit's scheme and seed,
        so the resamples are its bootstrap's — row by row, or by its survey design).

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, status, normality_p, copula_est, se, t, p, ci_lower, ci_upper,
        path_est``: one row per path ``lhs ~ rhs``; ``status`` ``"tested"`` or
        ``"normal"`` or ``"discrete"`` (no copula term: not identified).
        ``attrs["draws"]``: the bootstrap draws of the tested rows' copula coefficients
        (B, rows with ``status == "tested"``); ``attrs["diagnostics"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, crmsurvey as cs
    >>> from scipy import stats
    >>> from crmsurvey.pls.endogeneity import copula_test
    >>> rng = np.random.default_rng(3); n = 500        # Park & Gupta's model, rho = .6:
    >>> u, e = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=n).T
    >>> x = stats.expon.ppf(stats.norm.cdf(u)); y = 0.5 * x + e  # x exponential, endogenous
    >>> df = pd.DataFrame({f"{v}{k}": col + 0.2 * rng.normal(size=n)
    ...                    for v, col in (("x", x), ("y", y)) for k in (1, 2)})
    >>> res = cs.pls("X =~ x1 + x2\\nY =~ y1 + y2\\nY ~ X", df, scale=(-5, 15),
    ...              bootstrap=200, seed=1)
    >>> out = copula_test(res)
    >>> out[["lhs", "rhs", "status"]].values.tolist(), bool(out.p.iloc[0] < 0.05)
    ([['Y', 'X', 'tested']], True)
    """
    from scipy import stats as sps

    f = getattr(result, "_fitted", None)
    if f is None:
        raise InputError("the copula test needs a model fitted by crmsurvey.pls")
    if not 0 < normality_alpha < 1:
        raise InputError(f"normality_alpha must be between 0 and 1, not {normality_alpha!r}")
    s = result.settings
    n_boot = s.bootstrap if bootstrap is None else int(bootstrap)
    if n_boot < 2:
        raise InputError("the copula test's intervals come from bootstrap resamples: fit the "
                         "model with bootstrap=N, or pass bootstrap=N")
    scheme = fit_scheme(result, None if seed is None else int(seed))
    lay, n = f.lay, len(f.base_w)
    with blas_threads(1):
        full_scores, _ = _scores(f, f.base_w[None, :], "none")
    normal_p = np.empty(lay.k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy: "p-value may not be accurate for N > 5000"
        for c in range(lay.k):
            normal_p[c] = sps.shapiro(full_scores[0, :, c]).pvalue
    distinct = np.array([len(np.unique(full_scores[0, :, c])) for c in range(lay.k)])
    status = np.where(distinct < MIN_DISTINCT, "discrete",
                      np.where(normal_p < normality_alpha, "tested", "normal"))
    tested = {j: [c for c in lay.predecessors(j) if status[c] == "tested"]
              for j in lay.endogenous}
    rows = [(j, c) for j, preds, _ in _equations(lay, tested) for c in preds]
    est_rows = [(j, c) for j, _, cop in _equations(lay, tested) for c in cop]
    with blas_threads(1):
        cop0, path0 = _estimates(f, f.base_w[None, :], tested, "none")
        draws = [_estimates(f, sub, tested, s.sign_change)[0]
                 for counts in model_resamples(scheme, n_boot)
                 for sub in _sub_batches(counts * f.base_w, n, lay.k)]
        draws = np.concatenate(draws) if est_rows else np.empty((n_boot, 0))
        jack = None
        if s.ci_method == "bca" and est_rows:
            jack = np.concatenate([_estimates(f, sub, tested, "none")[0]
                                   for sub in _leave_one_out(f.base_w, n, lay.k)])
    diagnostics = []
    failed = int((~np.isfinite(draws).all(axis=1)).sum()) if est_rows else 0
    if failed:
        diagnostics.append(Diagnostic(
            "copula_failures", f"{failed} of {n_boot} bootstrap resamples of the copula test "
            "failed; its intervals use the others",
            params={"failed": failed, "total": n_boot}))
    est = cop0[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.nanstd(draws, axis=0, ddof=1)
        t = est / se
    lo, hi = intervals(est, draws, ci=s.ci, method=s.ci_method, jack=jack) if est_rows \
        else (np.empty(0), np.empty(0))
    where = {r: i for i, r in enumerate(est_rows)}
    out = []
    for j, c in rows:
        i = where.get((j, c))
        if i is None:
            why = (f"the scores of {lay.constructs[c]!r} are not shown to be non-normal "
                   f"(Shapiro–Wilk p = {normal_p[c]:.3f}), so its copula term is not "
                   "identified" if status[c] == "normal" else
                   f"{lay.constructs[c]!r} has only {distinct[c]} distinct scores, and the "
                   "continuous copula term needs a continuous regressor")
            diagnostics.append(Diagnostic(
                "copula_not_identified", f"{lay.constructs[c]!r} → {lay.constructs[j]!r}: "
                f"{why}; endogeneity of this path is not tested", "info",
                (lay.constructs[c], lay.constructs[j]),
                params={"predictor": lay.constructs[c], "outcome": lay.constructs[j]}))
            out.append((lay.constructs[j], "~", lay.constructs[c], str(status[c]),
                        normal_p[c]) + (np.nan,) * 7)
            continue
        out.append((lay.constructs[j], "~", lay.constructs[c], "tested", normal_p[c], est[i],
                    se[i], t[i], 2 * sps.t.sf(abs(t[i]), n - 1), lo[i], hi[i], path0[0, i]))
    warn_all(diagnostics)
    table = pd.DataFrame(out, columns=_COLUMNS)
    table.attrs["diagnostics"] = tuple(diagnostics)
    table.attrs["draws"] = draws  # (B, tested rows): the copula coefficients per resample
    table.attrs["bootstrap"] = n_boot
    table.attrs["seed"] = getattr(scheme, "seed", None)
    return table


def _leave_one_out(base_w: np.ndarray, n: int, k: int):
    step = max(1, min(n, _CELLS // max(1, n * k)))
    for rows in row_chunks(n, step):
        yield LeaveOneOut(base_w, range(rows.start, rows.stop)).chunk(slice(0, n))
