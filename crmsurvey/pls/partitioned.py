"""One PLS model across a Dask cluster: the rows stay on the workers.

:func:`pls_partitioned` reads Parquet or CSV files as ``dask.dataframe`` partitions on
the workers and never gathers a row on the driver:

1. each partition is checked and screened against the questionnaire where it lies
   (:func:`crmsurvey.load_responses`); the partitions' cleaning logs add up to one log
   (rows read = kept + excluded, problem rows numbered across the files);
2. a first pass returns per partition its kept rows, the (weighted) sums and counts of
   every item's answers and its extremes — the driver derives the item means for mean
   replacement, the weights' scale, each partition's offset in the row order and the
   centre of the moments;
3. each partition replaces its missing answers and keeps its items in memory;
4. every sample's moments — the full sample's, then each resample block's — are each
   partition's additive :class:`~crmsurvey.moments.Sums`, reduced pairwise on the
   cluster; the driver receives one ``(B, p(p+1)/2)`` array per resample block.

Resample counts are keyed by the global row (:mod:`crmsurvey.resampling`), so estimates
and intervals equal those of :func:`crmsurvey.pls` on the same screened rows in one
process (to rounding). Limits: first-order models (no interaction terms or higher-order
constructs), percentile intervals (BCa's jackknife has one sample per respondent), no
exact fit test (distances only), no construct scores, IPMA or PLSpredict (they are
per-respondent); the multinomial scheme draws each block over all rows in every
partition, so ``resampling="auto"`` (Poisson from 100,000 rows) is the scheme for a
cluster.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from .._data import numeric_columns, sampling_weights
from .._random import resolve_seed
from ..diagnostics import warn_all
from ..errors import InputError
from ..model import parse_model
from ..moments import Dense, Moments, PairProducts, Resampled, Sums
from ..options import PLS
from ..resampling import scheme_diagnostics, scheme_for
from ..responses.log import CleaningLog, Problem
from . import quality as Q
from .bootstrap import run_bootstrap
from .extract import extract_stats
from .fit import model_fit
from .layout import layout_of
from .mediation import indirect_table
from .result import PLSResult, PLSSettings
from .selection import criteria
from .stats import Options, batch_statistics
from .tables import (add_inference, collinear_diagnostics, estimate_diagnostics,
                     estimate_tables, interval_bounds, measurement_ops)

__all__ = ["pls_partitioned", "Partitioned", "combined_log"]


@dataclass(frozen=True, eq=False)
class _Part:
    """One partition on its worker: kept rows' items (n_i, p), raw weights, its log."""

    x: np.ndarray
    w: np.ndarray
    log: CleaningLog


def _screen(frame: pd.DataFrame, questionnaire, items: list[str], exclude: list[str],
            weighted: bool, listwise: bool) -> _Part:
    """Check and screen one partition; keep the model's items and the weights."""
    from ..responses.load import load_responses

    r = load_responses(questionnaire, frame.reset_index(drop=True), exclude=exclude)
    x = numeric_columns(r.data, items).to_numpy(dtype=float)
    w = np.ones(len(x))
    if weighted and r.weights is not None:
        sampling_weights(r.weights.to_numpy(), r.data)  # checked as in one process
        w = pd.to_numeric(r.weights, errors="coerce").to_numpy(dtype=float)
    keep = w > 0
    if listwise:
        keep &= ~np.isnan(x).any(axis=1)
    return _Part(x[keep], w[keep], r.log)


def _first_pass(part: _Part) -> dict:
    """What the driver needs from a partition: sizes, sums, counts and extremes."""
    x, w = part.x, part.w
    seen = ~np.isnan(x)
    return {"n": len(x), "dropped": part.log.rows_kept - len(x), "w_sum": float(w.sum()),
            "w_max": float(w.max(initial=0.0)),
            "wx": np.nansum(x * w[:, None], axis=0), "w_seen": (seen * w[:, None]).sum(axis=0),
            "x_sum": np.nansum(x, axis=0), "seen": seen.sum(axis=0),
            "lo": np.nanmin(np.where(seen, x, np.inf), axis=0, initial=np.inf),
            "hi": np.nanmax(np.where(seen, x, -np.inf), axis=0, initial=-np.inf),
            "log": part.log}


def _impute(part: _Part, means: np.ndarray, scale: float) -> _Part:
    """Missing answers replaced by the whole sample's (weighted) item means; weights
    rescaled to mean 1 over the whole sample."""
    x = np.where(np.isnan(part.x), means, part.x)
    return _Part(x, part.w / scale, part.log)


class _FullSample:
    """The full sample twice: each row at its sampling weight, and each row once (for
    the unweighted raw-score alpha, as in one process)."""

    size = 2


def _part_sums(part: _Part, sample, offset: int, centre: np.ndarray) -> Sums:
    """This partition's share of the sums of ``sample`` (the full sample, or resamples
    given as ``(scheme, blocks, first, size)``)."""
    from .._threads import blas_threads

    if isinstance(sample, _FullSample):
        freq = Dense(np.stack([part.w, np.ones(len(part.w))]))
    else:
        scheme, blocks, first, size = sample
        freq = Resampled(scheme, blocks, part.w, first=first, size=size, offset=offset)
    with blas_threads(1):
        return PairProducts(part.x, centre=centre).sums(freq)


class Partitioned:
    """A PLS source whose rows are partitions on a Dask cluster (see the module
    docstring): ``moments`` of the full sample or of :class:`~crmsurvey.moments.Resampled`
    resamples, every partition's share reduced on the cluster."""

    def __init__(self, client, parts: list, offsets: list[int], n: int,
                 centre: np.ndarray) -> None:
        self.client, self.parts, self.offsets = client, parts, offsets
        self.n, self.centre = n, centre

    def _reduced(self, sample):
        """A future of the sums of ``sample``, reduced pairwise on the workers."""
        futures = [self.client.submit(_part_sums, part, sample, off, self.centre, pure=False)
                   for part, off in zip(self.parts, self.offsets)]
        while len(futures) > 1:
            pairs = [self.client.submit(operator.add, a, b, pure=False)
                     for a, b in zip(futures[::2], futures[1::2])]
            futures = pairs + ([futures[-1]] if len(futures) % 2 else [])
        return futures[0]

    def sums(self, sample) -> Sums:
        """The reduced sums of ``sample`` (only they come back to the driver)."""
        return self._reduced(sample).result()

    @staticmethod
    def _sample(freq):
        if isinstance(freq, _FullSample):
            return freq
        if not isinstance(freq, Resampled):
            raise TypeError("a partitioned source takes the full sample or Resampled "
                            "frequencies, not rows from the driver")
        return (freq.scheme, freq.blocks, freq.first, freq.size)

    def moments(self, freq) -> Moments:
        return self.sums(self._sample(freq)).moments()

    def moments_many(self, freqs: list) -> list[Moments]:
        """Moments of several samples, all reduced on the cluster at once."""
        futures = [self._reduced(self._sample(f)) for f in freqs]
        return [s.moments() for s in self.client.gather(futures)]


def combined_log(logs: Sequence[CleaningLog], source: str) -> CleaningLog:
    """One cleaning log from the partitions' logs, in partition order: counts added,
    problem rows numbered across the partitions (1 = the first row of the first)."""
    problems: list[Problem] = []
    notes: list[str] = []
    start = 0
    for log in logs:
        problems += [Problem(p.row + start, p.column, p.value, p.message, p.rule)
                     for p in log.problems]
        notes += [n for n in log.notes if n not in notes]
        start += log.rows_read
    rules = list(logs[0].rules_on) if logs else []

    def total(name: str) -> dict[str, int]:
        keys = dict.fromkeys(k for log in logs for k in getattr(log, name))
        return {k: sum(getattr(log, name).get(k, 0) for log in logs) for k in keys}

    return CleaningLog(source=source, format=logs[0].format if logs else "",
                       encoding=logs[0].encoding if logs else None,
                       rows_read=sum(g.rows_read for g in logs),
                       rows_kept=sum(g.rows_kept for g in logs), excluded=total("excluded"),
                       flagged=total("flagged"), rules_on=rules, problems=problems,
                       notes=notes)


def read_partitions(paths: str | Path | Sequence[str | Path], *, blocksize: str = "64MB"):
    """``dask.dataframe`` partitions of Parquet or CSV files, or of a folder of them (CSV
    read as text: every value is checked by the questionnaire on the worker)."""
    import dask.dataframe as dd

    files = [str(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if len(files) == 1 and Path(files[0]).is_dir():  # a folder of parts, in name order
        files = sorted(str(p) for p in Path(files[0]).iterdir()
                       if p.suffix.lower() in (".parquet", ".pq", ".csv"))
    if not files:
        raise InputError("no data files given")
    for f in files:
        if not Path(f).is_file():
            raise InputError(f"{f}: no such data file")
    kinds = {Path(f).suffix.lower() for f in files}
    if kinds <= {".parquet", ".pq"}:
        return dd.read_parquet(files, split_row_groups=True)
    if kinds <= {".csv"}:
        return dd.read_csv(files, dtype=str, keep_default_na=False, blocksize=blocksize)
    raise InputError(f"a cluster reads Parquet or CSV files, not {', '.join(sorted(kinds))}",
                     hint="convert the data to Parquet (pyarrow) first")


def pls_partitioned(questionnaire, data, *, engine, exclude: Sequence[str] = (),
                    weights: bool = True, model=None, chunk: int = 500,
                    progress: Callable[[int], None] | None = None, **options: Any
                    ) -> tuple[PLSResult, CleaningLog]:
    """Estimate the questionnaire's PLS model on data partitioned across a Dask cluster.

    Parameters
    ----------
    questionnaire : Questionnaire
        Its model, scales (index bounds), checks and screening rules apply.
    data : path(s) or dask DataFrame
        Parquet or CSV files (read by the workers), or a ``dask.dataframe`` already
        defined; partitions in row order.
    engine : distributed.Client, scheduler address or DaskEngine
    exclude : screening rules that exclude rows (see :func:`crmsurvey.load_responses`),
        applied per partition.
    weights : use the questionnaire's weight item when present.
    model : ModelSpec or lavaan syntax, optional
        Instead of the questionnaire's model (its items must be the questionnaire's).
    **options : the options of :func:`crmsurvey.pls` (:class:`~crmsurvey.options.PLSOptions`).

    Returns
    -------
    (PLSResult, CleaningLog) — the result as :func:`crmsurvey.pls` gives it (without
    construct scores, IPMA and PLSpredict) and the partitions' combined cleaning log.
    """
    from dask import delayed

    from ..engine import DaskEngine, get_engine

    o = PLS.validated(**options)
    eng = get_engine(engine)
    if not isinstance(eng, DaskEngine):
        raise InputError("pls_partitioned needs a Dask cluster (a Client or a scheduler "
                         "address)")
    spec = questionnaire.model_spec() if model is None else (
        parse_model(model) if isinstance(model, str) else model)
    if spec.interactions or spec.higher_order:
        raise InputError("a model with interaction terms or higher-order constructs is "
                         "estimated in one process, not across a cluster")
    if o.ci_method == "bca":
        raise InputError("BCa intervals need a jackknife with one sample per respondent; "
                         "across a cluster use ci_method='percentile'")
    if o.fit_test:
        raise InputError("the exact fit test is not available across a cluster",
                         hint="fit_test=0 (the fit distances are still reported)")
    if o.consistent:
        raise InputError("consistent PLS is not available across a cluster")
    lay = layout_of(spec)
    items = list(lay.items)
    client = eng.client
    try:
        ddf = data if hasattr(data, "to_delayed") else read_partitions(data)
        screened = client.compute([delayed(_screen)(d, questionnaire, items, list(exclude),
                                                    weights, o.missing == "listwise")
                                   for d in ddf.to_delayed()])
        first = client.gather(client.map(_first_pass, screened, pure=False))
        source_name = ", ".join(map(str, data)) if isinstance(data, (list, tuple)) else str(
            data if not hasattr(data, "to_delayed") else "<dask DataFrame>")
        log = combined_log([f["log"] for f in first], source_name)
        n = sum(f["n"] for f in first)
        offsets = list(np.cumsum([0] + [f["n"] for f in first[:-1]]).astype(int))
        w_mean = sum(f["w_sum"] for f in first) / max(n, 1)
        w_seen = sum(f["w_seen"] for f in first)
        seen = sum(f["seen"] for f in first)
        for j, c in enumerate(lay.constructs):
            if not seen[lay.items_of(j)].any():
                raise InputError(f"every value of construct {c!r}'s items is missing")
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sum(f["wx"] for f in first) / w_seen
        n_imputed = int(n * len(items) - seen.sum())
        centre = (sum(f["x_sum"] for f in first) + (n - seen) * means) / n
        parts = client.map(_impute, screened, means=means, scale=w_mean, pure=False)
        del screened
        source = Partitioned(client, parts, offsets, n, centre)
        scale = questionnaire.scale_bounds()
        observed = np.column_stack([np.min([f["lo"] for f in first], axis=0),
                                    np.max([f["hi"] for f in first], axis=0)])
        bounds, bounds_observed = _bounds(scale, items, observed)
        opts = Options(o.scheme, o.tol, o.max_iter, False, bounds)
        both = source.moments(_FullSample())
        m = Moments(both.mean[:1], both.sd[:1], both.corr[:1], both.total[:1])
        bad = np.flatnonzero(~(m.sd[0] > 0))
        if bad.size:
            raise InputError(f"item {items[bad[0]]!r} is constant (every kept row has the "
                             "same value)", hint="drop it from the model")
        res = _assemble(source, m, both.cov[1], lay, opts, o, spec, n, bounds_observed, n_imputed,
                        sum(f["dropped"] for f in first), w_mean, chunk, progress,
                        weighted=weights and questionnaire.role_item("weight") is not None)
        return res, log
    finally:
        if eng is not engine:
            eng.close()


def _bounds(scale, items: list[str], observed: np.ndarray) -> tuple[np.ndarray, bool]:
    out, missing = observed.copy(), False
    for i, item in enumerate(items):
        if scale and item in scale:
            out[i] = scale[item]
        else:
            missing = True
    return out, missing


def _assemble(source: Partitioned, m: Moments, raw_cov: np.ndarray, lay, opts: Options, o, spec, n: int,
              bounds_observed: bool, n_imputed: int, n_dropped: int, w_mean: float,
              chunk: int, progress, *, weighted: bool) -> PLSResult:
    """The result from the reduced moments, as :func:`crmsurvey.pls` assembles it."""
    full = batch_statistics(m, lay, opts)
    if not np.isfinite(full.weights[0]).all():
        raise np.linalg.LinAlgError("the outer weights are undefined: a structural "
                                    "regression is singular")
    shape = SimpleNamespace(x=np.broadcast_to(np.float64(0), (n, lay.p)),
                            bounds_observed=bounds_observed)
    diagnostics = estimate_diagnostics(full, lay, shape)
    tables = estimate_tables(full, lay, n)
    seed = resolve_seed(o.seed)
    kind = scheme_for(o.resampling, n, seed).kind
    draws = None
    n_failed = 0
    ci = partial(interval_bounds, ci=o.ci, method=o.ci_method)
    if o.bootstrap:
        diagnostics += scheme_diagnostics(kind, n)
        placeholder = np.broadcast_to(np.float64(1), (n,))  # weights live on the workers
        draws = run_bootstrap(source, placeholder, lay, opts, full, n_boot=o.bootstrap,
                              seed=seed, chunk=chunk, sign_change=o.sign_change,
                              resampling=kind, progress=progress)
        add_inference(tables, full, lay, draws, None, ci=o.ci, method=o.ci_method,
                      df=n - 1)
        n_failed = int(draws.failed.sum())
        diagnostics += draws.diagnostics()
    tables["indirect"] = indirect_table(
        lay, extract_stats(full, lay)["paths"][0],
        None if draws is None else draws.values["paths"], intervals=ci, jack=None)
    r = m.corr[0]
    fit_table, _ = model_fit(shape.x, np.broadcast_to(np.float64(1), (n,)), full, r, lay,
                             opts, n_boot=0)
    selection = criteria(m, full, lay, opts, n)
    item_vif = Q.item_vif(r, lay)
    diagnostics += collinear_diagnostics(item_vif, lay)
    w = full.weights[0]
    loadings = full.loadings[0]
    quality = Q.reliability(r, w, loadings, lay, Q.raw_alpha(raw_cov, lay))
    names = list(lay.constructs)
    fl_values = full.ccor[0].copy()
    fl_values[np.arange(lay.k), np.arange(lay.k)] = np.sqrt(quality["ave"].to_numpy())
    settings = PLSSettings(
        scheme=o.scheme, missing=o.missing, n=n, n_dropped=n_dropped, n_imputed=n_imputed,
        weighted=weighted, consistent=False, tol=o.tol, max_iter=o.max_iter,
        iterations=int(full.iterations[0]), converged=bool(full.converged[0]),
        bootstrap=int(o.bootstrap), seed=seed if o.bootstrap else None, fit_test=0,
        ci=o.ci, ci_method=o.ci_method, sign_change=o.sign_change, n_failed=n_failed,
        pvalue_df=n - 1, version=__version__, resampling=kind)
    warn_all(diagnostics)
    return PLSResult(
        paths=tables["paths"], loadings=tables["loadings"], weights=tables["weights"],
        total_effects=tables["total"], r2=tables["r2"], index=tables["index"],
        quality=quality, htmt=pd.DataFrame(full.htmt[0], index=names, columns=names),
        fornell_larcker=pd.DataFrame(fl_values, index=names, columns=names),
        cross_loadings=pd.DataFrame(loadings, index=list(lay.items), columns=names),
        item_vif=pd.DataFrame({"lhs": [names[b] for b in lay.block],
                               "op": measurement_ops(lay), "rhs": list(lay.items),
                               "vif": item_vif}),
        inner_vif=Q.inner_vif(full.ccor[0], lay), f2=Q.f_squared(full.ccor[0], full.r2[0], lay),
        scores=pd.DataFrame(columns=names, dtype=float), diagnostics=tuple(diagnostics),
        settings=settings, model=spec.syntax or spec.to_lavaan(),
        htmt_intervals=tables.get("htmt"), indirect=tables["indirect"], model_fit=fit_table,
        model_selection=selection, draws=draws)

