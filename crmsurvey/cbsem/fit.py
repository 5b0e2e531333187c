"""``cbsem()``: covariance-based SEM with lavaan's conventions.

The model syntax becomes lavaan's parameter table (:mod:`crmsurvey.cbsem.partable`), the
table the groups' matrices and starting values (:mod:`crmsurvey.cbsem.build`); Fisher
scoring fits ML, GLS and ULS to full convergence (:mod:`crmsurvey.cbsem.scoring`, with
equality constraints and shared parameters across groups :mod:`crmsurvey.cbsem.
constrained`), standard errors come from the expected information, and fit is reported
with lavaan's definitions; WLSMV reads the same table (:mod:`crmsurvey.cbsem.wlsmv`).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._data import far_value_diagnostics
from .._random import resolve_seed
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from ..notes import Note
from ..options import CBSEM, CBSEMMissing, Estimator
from .build import LEAST_SQUARES, Built, build, fit_covariance, ls_measures
from .estimators import ESTIMATORS, auto_missing, check
from .fitmeasures import FIMLC_NAMES, FIT_NAMES, combine_groups, fit_measures, \
    information_criteria
from .result import CBSEMResult, CBSEMSettings
from .sample import admissible as _admissible, covariance as _covariance, \
    model_frame as _frame
from .structure import Structure
from .syntax import cbsem_syntax, fix_single_indicators
from .tables import r2_of, table_estimates
from .verify import check_collinearity, check_solution, is_positive_definite

__all__ = ["cbsem", "cbsem_syntax", "auto_missing"]

_O = CBSEM.defaults()  # the defaults, defined once (crmsurvey.options)


def cbsem(model: str | Any, data: pd.DataFrame | Any, *,
          estimator: Estimator = _O.estimator, ordered: list[str] | bool | None = _O.ordered,
          missing: CBSEMMissing = _O.missing, bootstrap: int = _O.bootstrap,
          seed: int | None = _O.seed, ci: float = _O.ci, weights=None,
          group: str | None = None, group_equal: tuple[str, ...] = (),
          std_lv: bool = _O.std_lv,
          orthogonal: bool = _O.orthogonal,
          reliability: dict[str, float] | None = None, chunk: int = 500,
          engine=None) -> CBSEMResult:
    """Fit a covariance-based SEM and report it as lavaan would.

    Parameters
    ----------
    model : str, ModelSpec or Questionnaire
        lavaan syntax; ``=~`` lines are reflective factors.
    data : DataFrame or Responses
    estimator : ``"ML"`` (default), ``"MLM"`` (ML with Satorra–Bentler robust standard
        errors and scaled test, lavaan's names: ``chisq_scaled``, ``cfi_robust``, …; see
        :mod:`crmsurvey.cbsem.robust`), ``"MLR"`` (Huber–White standard errors and the
        Yuan–Bentler scaled test, with complete data or FIML; :mod:`crmsurvey.cbsem.mlr`),
        ``"GLS"``, ``"ULS"``, ``"DWLS"`` (as lavaan: S with divisor N − 1), ``"WLSMV"``
        (the default with ``ordered``; :mod:`crmsurvey.cbsem.wlsmv`). What each takes
        (missing data, weights, bootstrap, groups): :mod:`crmsurvey.cbsem.estimators`.
    ordered : the ordered (ordinal) items, or ``True`` for all of them, as lavaan's
        ``ordered =``: thresholds, polychoric correlations and WLSMV.
    missing : ``"listwise"``, ``"fiml"`` (full-information ML, lavaan's ``"ml"``; see
        :mod:`crmsurvey.cbsem.fiml`) or ``"auto"`` (FIML where it applies — ML or MLR,
        unweighted, no bootstrap — and listwise otherwise, said in the notes).
    bootstrap : nonparametric bootstrap resamples (ML/MLM/MLR/GLS/WLSMV): percentile
        intervals and bootstrap standard errors; every resample is refitted together
        (batched Fisher scoring from the full-sample solution; for WLSMV thresholds,
        polychorics and DWLS, :mod:`crmsurvey.cbsem.ordinal_bootstrap`).
    seed : int or None
        Seed of the bootstrap; the default is the one of every surface
        (:data:`crmsurvey._random.DEFAULT_SEED`), ``None`` draws a fresh one.
    ci : confidence level of the intervals.
    weights : column name or array of sampling weights: a weighted covariance matrix with
        the effective sample size (Kish). Standard errors then ignore the design; use the
        bootstrap (which resamples with the weights) for design-aware intervals.
        ``False``: unweighted, even when ``Responses`` carry weights.
    group : column of the groups (lavaan's ``group =``): intercepts free in every group
        (a mean structure, counted in ``npar``); a label shared by groups (``c(a, a)*x``)
        makes the parameter equal across them and the groups are fitted together,
        otherwise each on its own; ``estimates`` gains a ``group`` column. With MLM and
        MLR the scaled test and the robust indices are lavaan's over the stacked groups.
    std_lv : identify each factor by fixing its variance to 1 (all loadings free), as
        lavaan's ``std.lv = TRUE``; by default the first loading is fixed to 1.
    orthogonal : fix the covariances among exogenous factors to 0 (lavaan's
        ``orthogonal = TRUE``).
    group_equal : with WLSMV and ``group``, parameters held equal across groups, as
        lavaan's ``group.equal``: ``"loadings"``, ``"thresholds"``, ``"intercepts"``
        (thresholds or intercepts tied free the other groups' scale factors and latent
        means, lavaan's identification).
    reliability : item → reliability of single-indicator factors. A factor measured by one
        item is not identified with a free error variance; it is fixed at
        ``(1 − reliability) · var(item)`` — 0 (a perfectly reliable item) unless given.
    engine : where bootstrap chunks run (``"processes"``, a worker count, a Dask address
        or client); same numbers wherever they run.

    Notes
    -----
    ``estimator``, ``ordered``, ``missing``, ``bootstrap``, ``seed``, ``ci``, ``std_lv``
    and ``orthogonal``, their
    allowed values and defaults are defined once, in :class:`crmsurvey.options.CBSEMOptions`,
    shared with the study file's ``cbsem:`` section and the CLI's ``cbsem`` command.

    Examples
    --------
    >>> from semopy.examples import political_democracy as pdx
    >>> res = cbsem(pdx.get_model(), pdx.get_data())
    >>> float(round(res.fit["chisq"], 3)), int(res.fit["df"])          # lavaan: 38.125, 35
    (38.125, 35)
    """
    o = CBSEM.validated(estimator=estimator, ordered=ordered, missing=missing,
                        bootstrap=bootstrap, seed=seed, ci=ci, std_lv=std_lv,
                        orthogonal=orthogonal)
    estimator, ordered, missing, bootstrap, seed, ci = (
        o.estimator, o.ordered, o.missing, o.bootstrap, o.seed, o.ci)
    if ordered and estimator == "ML":
        estimator = "WLSMV"  # lavaan's default for ordered data
    check(estimator, missing=missing, bootstrap=bootstrap, ordered=bool(ordered))
    carried = weights is None and getattr(data, "weights", None) is not None and \
        hasattr(data, "questionnaire")  # Responses bring their weight column
    data, found = _checked(model, data)
    syntax, data, weights, single_notes = _inputs(model, data, weights, reliability)
    if not found and isinstance(data, pd.DataFrame) and not _is_checked(data):
        found = far_value_diagnostics(data, [c for c in dict.fromkeys(
            re.findall(r"[A-Za-z_.][\w.]*", syntax)) if c in data.columns])
    warn_all(found)
    if missing == "auto":
        missing, why = auto_missing(estimator, weights is not None, bootstrap)
        if why:
            single_notes = [*single_notes, why]
    check(estimator, missing=missing, bootstrap=bootstrap, ordered=bool(ordered),
          weighted=weights is not None, group=group is not None, carried=carried)
    if group_equal and estimator != "WLSMV":
        raise InputError("group_equal is taken by WLSMV here", hint="for ML, share labels "
                         "across groups in the syntax: c(a, a)*x")
    if estimator == "WLSMV":
        from .wlsmv import fit_wlsmv

        res = fit_wlsmv(syntax, data, ordered, ci, group=group, group_equal=group_equal,
                        std_lv=std_lv, orthogonal=orthogonal, bootstrap=bootstrap,
                        seed=seed, chunk=chunk, engine=engine)
    elif group is not None:
        res = _multi_group(syntax, data, group, estimator=estimator, missing=missing,
                           bootstrap=bootstrap, seed=seed, ci=ci, weights=weights,
                           chunk=chunk, engine=engine, std_lv=std_lv, orthogonal=orthogonal)
    else:
        res = _fit_one(syntax, data, estimator=estimator, missing=missing,
                       bootstrap=bootstrap, seed=seed, ci=ci, weights=weights, chunk=chunk,
                       engine=engine, std_lv=std_lv, orthogonal=orthogonal)
    if found:
        res = replace(res, diagnostics=tuple(found) + res.diagnostics)
    return replace(res, notes=tuple(single_notes) + res.notes) if single_notes else res


def _is_checked(data) -> bool:
    """Responses, or a frame taken from them (codes applied already). Without the responses
    module loaded there are none: the first fit of a process does not import it."""
    if "crmsurvey.responses.load" not in sys.modules:  # where Responses and the mark live
        return False
    from ..responses.given import is_checked

    return is_checked(data)


def _checked(model, data):
    """A raw frame beside a Questionnaire, checked against it (its special and missing
    codes applied, reverse-coded items turned; no row excluded), and what was set missing."""
    if hasattr(model, "model_spec") and isinstance(data, pd.DataFrame):
        from ..responses.given import checked_data

        return checked_data(model, data)
    return data, []


def _inputs(model, data, weights, reliability: dict | None = None):
    """Model syntax (single-indicator error variances fixed, with notes), data frame and
    weights from what the caller passed."""
    if hasattr(model, "model_spec") or hasattr(model, "constructs"):
        model = cbsem_syntax(model)
    if not isinstance(model, str):
        raise InputError("model must be lavaan syntax, a ModelSpec or a Questionnaire")
    if re.search(r"^\s*DEFINE\s*\(\s*ordinal\s*\)", model, re.I | re.M):
        raise InputError("ordinal items are not supported through semopy's DEFINE(ordinal) "
                         "(its ordinal code fails on current SciPy/NumPy)",
                         hint="name the ordered items with ordered=[...] (WLSMV) instead")
    if hasattr(data, "questionnaire") and hasattr(data, "data"):  # Responses
        if weights is None and data.weights is not None:
            weights = data.weights.to_numpy()
        data = data.data
    if weights is False:  # switched off, even when the Responses carry weights
        weights = None
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame (or crmsurvey Responses)")
    model, notes = fix_single_indicators(model, data, reliability or {})
    return model, data, weights, notes


@dataclass
class _Solution:
    """What the estimation stage hands to the reporting stages of one group's fit."""

    st: Structure
    theta: np.ndarray
    sigma: np.ndarray
    cov: np.ndarray | None  # of the free rows (with FIML: and the intercepts after them)
    se_kind: str
    fmin: float
    converged: bool
    iterations: int
    fiml: Any = None
    fit: dict | None = None  # FIML's (and robust) fit measures
    robust_fit: dict = field(default_factory=dict)

    @property
    def se(self) -> np.ndarray:
        q = self.st.q
        if self.cov is None:
            return np.full(q, np.nan)
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.cov))[:q]


def _fit_one(syntax, data, *, estimator, missing, bootstrap, seed, ci, weights, chunk,
             engine=None, group_label=None, std_lv=False, orthogonal=False,
             built: Built | None = None) -> CBSEMResult:
    """One group: the table, the sample moments, the estimator's record run on them
    (:func:`_estimate`), then the tables, fit measures, notes and bootstrap."""
    rec = ESTIMATORS[estimator]
    casewise = missing == "fiml" or rec.casewise  # MLR: casewise scores, FIML machinery
    written, defs = syntax, []
    if ":=" in syntax:
        from .defined import split_defined

        syntax, defs = split_defined(syntax)
    if built is None:
        built = build(syntax, fiml=missing == "fiml", std_lv=std_lv, orthogonal=orthogonal)
        if built.restricted_means:
            from .joint import joint_fit

            return joint_fit(written, built, data, None, [None], estimator=estimator,
                                 missing=missing, bootstrap=bootstrap, seed=seed, ci=ci,
                                 weights=weights, chunk=chunk)
    if not built.cons.trivial and (casewise or not rec.constraints or bootstrap):
        raise InputError("equality constraints (shared labels, ==) are fitted with ML, GLS "
                         "or ULS on complete data without a bootstrap here",
                         hint="estimator='ML', missing='listwise', bootstrap=0")
    observed = list(built.observed)
    frame, w, n_dropped = _frame(observed, data, weights, missing)
    x = frame.to_numpy(dtype=float)
    x, n_dropped, x_note = _complete_covariates(x, observed, built, casewise, n_dropped)
    s, n = _moments(x, w, casewise)
    problems = _sample_problems(s)
    sol = _estimate(rec, built, x, s, n, casewise, fiml_asked=missing == "fiml")
    npar, p = built.cons.npar, len(observed)
    df = p * (p + 1) // 2 - built.n_exo - npar
    problems += _identification(sol, npar, df, p, n)
    st, theta, sigma = sol.st, sol.theta, sol.sigma
    inner_cov = st.inner_cov(theta[None])[0]
    est = table_estimates(built.pt, st, theta, sol.se, sigma, inner_cov, ci)
    latent = list(built.latent)
    li = [st.inner.index(v) for v in latent]
    problems += check_solution(est, sigma, inner_cov[np.ix_(li, li)], latent)
    r2 = r2_of(st, latent, theta, sigma, inner_cov)
    problems += check_collinearity(est, inner_cov[np.ix_(li, li)], latent, r2)
    fit, est, notes = _fit_block(rec, built, sol, est, x, w, s, n, npar, df, missing, ci)
    if group_label is None:  # kept for combining a multi-group fit's groups only
        fit = {k: v for k, v in fit.items() if k not in FIMLC_NAMES}
    notes = [*x_note, *notes]
    se_kind, n_failed, n_inadmissible, table, draws = sol.se_kind, 0, 0, None, None
    if bootstrap:
        from .bootstrap import bootstrap_table

        seed = resolve_seed(seed)
        est, n_failed, n_inadmissible, draws, table = bootstrap_table(
            st, x, w, theta, est, estimator=rec.objective, n_boot=bootstrap, seed=seed,
            ci=ci, chunk=chunk, engine=engine)
        se_kind = "bootstrap"
        problems += _bootstrap_notes(rec, bootstrap, n_failed, n_inadmissible, notes)
    if defs:
        from .defined import defined_rows

        est = pd.concat([est, defined_rows(defs, est, list(st.names), theta, sol.cov, ci,
                                           draws)], ignore_index=True)
    warn_all(problems)
    settings = CBSEMSettings(
        estimator=rec.name, missing=missing, n=len(x), n_dropped=n_dropped,
        weighted=w is not None, n_effective=n, se=se_kind, bootstrap=int(bootstrap),
        seed=seed if bootstrap else None, ci=ci, n_failed=n_failed,
        n_inadmissible=n_inadmissible, group=group_label, iterations=sol.iterations,
        semopy_version="", version=__version__)
    mi = None
    if rec.name == "ML" and missing == "listwise":
        def mi():  # imported when asked for
            from .modindices import modification_indices

            return modification_indices(built.pt[built.pt.group == 1], built.cons, theta,
                                        s, n, observed)
    return CBSEMResult(est, pd.Series(fit, name="value"), r2, _admissible(problems),
                       tuple(problems), tuple(notes), settings, written, draws=table, _mi=mi)


def _complete_covariates(x: np.ndarray, observed: list[str], built: Built, casewise: bool,
                         n_dropped: int) -> tuple[np.ndarray, int, list[Note]]:
    """FIML with exogenous covariates (lavaan's ``fixed.x``): rows missing a covariate
    are left out, as lavaan does, and said in a note."""
    if not (casewise and built.ov_x):
        return x, n_dropped, []
    xi = [observed.index(v) for v in built.ov_x]
    keep = ~np.isnan(x[:, xi]).any(axis=1)
    if keep.all():
        return x, n_dropped, []
    k = int((~keep).sum())
    return x[keep], n_dropped + k, [Note("cb_covariate_rows", {"n": k,
                                                                "covariates": list(built.ov_x)})]


def _moments(x: np.ndarray, w, casewise: bool) -> tuple[np.ndarray, float]:
    """The covariance matrix the structure is fitted to first (with FIML: the EM one,
    a start) and the (effective) sample size."""
    if casewise:
        from .fiml import Patterns, em_saturated

        return em_saturated(Patterns.of(x), x.shape[1])[1], float(len(x))
    return _covariance(x, w)


def _sample_problems(s: np.ndarray) -> list[Diagnostic]:
    if is_positive_definite(s):
        return []
    return [Diagnostic(
        "sample_not_pd", "the sample covariance matrix is not positive definite (collinear "
        "items, or fewer rows than variables) — the estimates below are not trustworthy",
        "error", params={})]


def _estimate(rec, built: Built, x, s, n, casewise: bool, fiml_asked: bool = False
              ) -> _Solution:
    """The estimator's record run: the covariance structure fitted by its objective, then
    (casewise) FIML from there, and its standard errors and robust test."""
    fitted = fit_covariance(built, [s], [n], estimator=rec.objective, x=[x])
    st, theta = fitted.structs[0], fitted.theta[0]
    fmin = float(fitted.fmin[0])
    se_kind = {"DWLS": rec.se, "ULS": rec.se}.get(rec.objective, "expected")
    sol = _Solution(st, theta, st.implied(theta[None])[0][0], fitted.cov, se_kind, fmin,
                    fitted.converged, fitted.iterations)
    npar, p = built.cons.npar, len(built.observed)
    df = p * (p + 1) // 2 - built.n_exo - npar
    if casewise:
        from .fiml import fiml_fit, fiml_measures

        fiml = fiml_fit(st, x, theta, fixed_mu=np.isin(st.observed, built.ov_x))
        sigma, aux = st.implied(fiml.theta[None])
        sol = replace(sol, theta=fiml.theta, sigma=sigma[0], cov=fiml.cov, fiml=fiml,
                      converged=fiml.converged, se_kind="observed",
                      iterations=sol.iterations + fiml.iterations)
        sol.fit = fiml_measures(fiml, sigma[0], npar, df, n)
        if rec.test == "yuan.bentler.mplus" and fiml.cov is not None and df > 0:
            from .mlr import mlr

            sol.cov, sol.robust_fit = mlr(x, fiml, sigma[0], st.derivatives(aux)[0], sol.fit,
                                          corrected=fiml_asked)
            sol.se_kind = rec.se
    elif rec.test == "satorra.bentler" and sol.cov is not None and df > 0 \
            and np.isfinite(fmin):
        from .robust import satorra_bentler

        _, aux = st.implied(theta[None])
        ml_fit = fit_measures(s, sol.sigma, fmin, n=n, npar=npar, estimator="ML")
        sol.cov, sol.robust_fit = satorra_bentler(x, s, sol.sigma, st.derivatives(aux)[0],
                                                  ml_fit, n)
        sol.se_kind = rec.se
    return sol


def _identification(sol: _Solution, npar: int, df: int, p: int, n: float
                    ) -> list[Diagnostic]:
    out = []
    if not sol.converged:
        out.append(Diagnostic("non_convergence", "the optimiser did not converge; "
                              "estimates are not final", "error", params={}))
    if df < 0:
        out.append(Diagnostic(
            "not_identified", f"the model is not identified: {npar} free parameters for "
            f"{p * (p + 1) // 2} variances and covariances (df = {df})", "error",
            params={"npar": npar, "df": df}))
    if n < npar:
        out.append(Diagnostic("small_sample", f"fewer rows ({n:g}) than free parameters "
                              f"({npar})", "error", (f"{n:g}", str(npar)),
                              params={"n": n}))
    if not np.all(np.isfinite(sol.se)):
        out.append(Diagnostic(
            "se_failed", "some standard errors could not be computed (singular information "
            "matrix): the model may not be identified", "error", params={}))
    return out


def _fit_block(rec, built: Built, sol: _Solution, est, x, w, s, n, npar, df, missing, ci):
    """lavaan's fit measures for the record's test, the intercept rows of the mean
    structure, and the notes saying how they were computed."""
    notes: list[Note] = []
    p = len(built.observed)
    if sol.fiml is not None:
        from .fiml import with_intercepts

        fit = {**sol.fit, **sol.robust_fit}
        if built.meanstructure:
            est = with_intercepts(est, sol.st, sol.fiml, sol.cov, sol.sigma, ci,
                                  built.pt[built.pt.group == 1])
            est = _latent_means(est, built)
        else:  # MLR on complete rows: lavaan adds no mean structure
            _no_means(fit, s, sol.sigma, npar, n)
        if missing == "fiml":
            n_missing = int(np.isnan(x).any(axis=1).sum())
            notes.append(Note("cb_fiml_casewise" if rec.casewise else "cb_fiml",
                              {"rows": len(x), "incomplete": n_missing}))
        if rec.name == "MLR":
            notes.append(Note("cb_mlr"))
    elif rec.objective in LEAST_SQUARES and np.isfinite(sol.fmin) and w is None:
        fit = ls_measures(x, sol.sigma, sol.fmin, npar, rec.objective)
    elif rec.objective in ("ML", "GLS") and np.isfinite(sol.fmin):
        fit = fit_measures(s, sol.sigma, sol.fmin, n=n, npar=npar, estimator=rec.objective)
        if built.ov_x:
            _fixed_x(fit, s, [list(built.observed).index(v) for v in built.ov_x], n,
                     rec.objective)
        fit.update(sol.robust_fit)
    else:
        from .fitmeasures import srmr

        fit = dict.fromkeys(FIT_NAMES, np.nan)
        fit.update(npar=npar, df=df, ntotal=n, srmr=srmr(s, sol.sigma))
        notes.append(Note("cb_no_chisq", {"estimator": rec.name}))
    if built.meanstructure and sol.fiml is None:
        est = _saturated_means(est, built.pt, sol.st, x, w, sol, n, ci)
        _with_means(fit, built.n_means, p, n)
    if w is not None:
        notes.append(Note("cb_weighted", {"n_eff": float(n)}))
    return fit, est, notes


def _bootstrap_notes(rec, bootstrap: int, n_failed: int, n_inadmissible: int,
                     notes: list[Note]) -> list[Diagnostic]:
    if rec.name == "MLR":
        notes.append(Note("cb_mlr_bootstrap"))
    if n_inadmissible:
        notes.append(Note("cb_boot_inadmissible", {"n": n_inadmissible,
                                                   "bootstrap": bootstrap}))
    if not n_failed:
        return []
    return [Diagnostic("bootstrap_failures", f"{n_failed} of {bootstrap} bootstrap resamples "
                       "failed to converge; intervals use the others", "warning",
                       (str(n_failed), str(bootstrap)),
                       params={"failed": n_failed, "total": bootstrap})]


def _saturated_means(est, pt, st, x, w, sol: _Solution, n, ci) -> pd.DataFrame:
    """lavaan's ``~1`` rows of a saturated mean structure: the intercepts of the
    (weighted) sample means (:func:`crmsurvey.cbsem.constrained.intercepts`: the means
    themselves unless exogenous covariates shift them), standard errors from the means'
    expected information ``N (Σ̂⁻¹)`` over the free means (``σ̂_ii / N`` without
    covariates) and θ's; exogenous covariates' means fixed at the sample values; latent
    means 0."""
    from .constrained import intercepts
    from .tables import more_rows

    mean = np.average(x, axis=0, weights=w)
    rows = pt[pt.op == "~1"]
    obs = {v: k for k, v in enumerate(st.observed)}
    fixed = np.isin(st.observed, rows.lhs[rows.exo > 0])
    cov = None
    if sol.cov is not None:
        q, at = st.q, st.q + np.flatnonzero(~fixed)
        cov = np.zeros((q + len(mean),) * 2)
        cov[:q, :q] = sol.cov[:q, :q]
        try:
            cov[np.ix_(at, at)] = np.linalg.inv(n * np.linalg.inv(sol.sigma)[
                np.ix_(~fixed, ~fixed)])
        except np.linalg.LinAlgError:
            cov = None
    nu, se_obs = intercepts(st, pt, sol.theta, mean, fixed, cov)
    value = np.array([nu[obs[v]] if v in obs else 0.0 for v in rows.lhs])
    free = (rows.free > 0).to_numpy()
    se = np.array([se_obs[obs[v]] if v in obs else np.nan for v in rows.lhs])
    se = np.where(free, se, np.nan)
    sd = np.array([np.sqrt(sol.sigma[obs[v], obs[v]]) if v in obs else 1.0
                   for v in rows.lhs])
    return more_rows(est, lhs=rows.lhs.to_list(), op="~1", rhs="", value=value, se=se,
                     ci=ci, std_lv=value, std_all=value / sd, free=free,
                     label=[lab or plab for lab, plab in zip(rows.label, rows.plabel)])


def _fixed_x(fit: dict, s, xi: list[int], n: float, estimator: str) -> None:
    """lavaan's ``fixed.x``: the exogenous covariates' moments are not modelled — the
    degrees of freedom leave them out, and the baseline model keeps their covariances."""
    from .fitmeasures import _from_chisq

    k = len(xi)
    df = int(fit["df"]) - k * (k + 1) // 2
    base, base_df = fit["baseline_chisq"], fit["baseline_df"]
    if estimator == "ML" and k > 1:
        sxx = s[np.ix_(xi, xi)]
        base -= n * (np.log(np.diag(sxx)).sum() - np.linalg.slogdet(sxx)[1])
    base_df -= k * (k - 1) // 2
    fit.update(_from_chisq(fit["chisq"], df, base, base_df, n))
    if np.isfinite(fit["loglik"]):  # lavaan's loglik is that of y given x
        sxx = s[np.ix_(xi, xi)]
        ll = fit["loglik"] + n / 2 * (k * np.log(2 * np.pi) + np.linalg.slogdet(sxx)[1] + k)
        fit.update(information_criteria(ll, fit["npar"], n))


def _latent_means(est: pd.DataFrame, built: Built) -> pd.DataFrame:
    """The latent means' ``~1`` rows (fixed at 0) beside FIML's intercepts, as lavaan."""
    rows = built.pt[(built.pt.op == "~1") & built.pt.lhs.isin(built.latent)
                    & (built.pt.group == 1)]
    if not len(rows):
        return est
    from .tables import more_rows

    zero = np.zeros(len(rows))
    return more_rows(est, lhs=rows.lhs.to_list(), op="~1", rhs="", value=zero,
                     se=np.full(len(rows), np.nan), ci=0.95, std_lv=zero, std_all=zero,
                     free=False, label=rows.plabel.to_list())


def _with_means(fit: dict, n_means: int, p: int, n: float) -> None:
    """Fit measures with a saturated mean structure (lavaan): ``npar`` counts the free
    intercepts, AIC and BIC with it, and SRMR averages the (zero) mean residuals too."""
    fit["npar"] = fit["npar"] + n_means
    fit.update(information_criteria(fit["loglik"], fit["npar"], n))
    moments = p * (p + 1) / 2
    fit["srmr"] = float(np.sqrt(fit["srmr"] ** 2 * moments / (moments + p)))


def _no_means(fit: dict, s, sigma, npar: int, n: float) -> None:
    """FIML-fitted complete data reported without a mean structure (lavaan's MLR on
    complete rows): ``npar`` without intercepts, AIC/BIC with it, SRMR of covariances."""
    from .fitmeasures import srmr

    fit["npar"] = npar
    fit.update(information_criteria(fit["loglik"], npar, n))
    fit["srmr"] = srmr(s, sigma)


def _multi_group(syntax, data, group, **kw) -> CBSEMResult:
    if group not in data.columns:
        raise InputError(f"group column {group!r} is not in the data")
    levels = [g for g in pd.unique(data[group]) if pd.notna(g)]
    if len(levels) < 2:
        raise InputError(f"group column {group!r} has a single level ({levels[0]!r})"
                         if levels else f"group column {group!r} is empty")
    body = syntax
    if ":=" in syntax:
        from .defined import split_defined

        body = split_defined(syntax)[0]
    built = build(body, ngroups=len(levels), group=True, fiml=kw["missing"] == "fiml",
                  std_lv=kw.pop("std_lv", False), orthogonal=kw.pop("orthogonal", False))
    if built.cross_group or built.restricted_means:
        from .joint import joint_fit

        return joint_fit(syntax, built, data, group, levels, **kw)
    weights = kw.pop("weights")
    fits = {}
    for g, level in enumerate(levels, start=1):
        rows = (data[group] == level).to_numpy()
        w = weights if weights is None or isinstance(weights, str) else \
            np.asarray(weights)[rows]
        fits[str(level)] = _fit_one(syntax, data[rows], weights=w, group_label=str(level),
                                    built=_one_group(built, g), **kw)
    est = pd.concat([f.estimates.assign(group=g) for g, f in fits.items()], ignore_index=True)
    est = est[["group"] + [c for c in est.columns if c != "group"]]
    r2 = pd.concat([f.r2.assign(group=g) for g, f in fits.items()], ignore_index=True)
    fit = combine_groups([dict(f.fit) for f in fits.values()])
    problems = tuple(replace(d, message=f"group {g}: {d.message}", concerns=(g, *d.concerns),
                             params={**d.params, "in_group": g})
                     for g, f in fits.items() for d in f.diagnostics)
    notes = (Note("cb_groups_separate"),) + tuple(
        dict.fromkeys(n for f in fits.values() for n in f.notes))
    first = next(iter(fits.values())).settings
    settings = replace(first, n=sum(f.settings.n for f in fits.values()),
                       n_dropped=sum(f.settings.n_dropped for f in fits.values()),
                       n_effective=sum(f.settings.n_effective for f in fits.values()),
                       n_failed=sum(f.settings.n_failed for f in fits.values()),
                       n_inadmissible=sum(f.settings.n_inadmissible for f in fits.values()),
                       group=group)
    return CBSEMResult(est, pd.Series(fit, name="value"), r2, _admissible(problems), problems,
                       notes, settings, syntax, groups=fits)


def _one_group(built: Built, g: int) -> Built:
    """Group ``g``'s part of a multi-group model (no constraint reaches other groups)."""
    from .partable import constraints

    pt = built.pt
    mine = pt[pt.group == g]
    names = set(mine.plabel) | set(mine.label[mine.label != ""])
    eq = pt[(pt.group == 0) & pt.lhs.isin(names) & pt.rhs.isin(names)]
    sub = pd.concat([mine.assign(group=1, block=1), eq], ignore_index=True)
    return replace(built, pt=sub, cons=constraints(sub), ngroups=1)
