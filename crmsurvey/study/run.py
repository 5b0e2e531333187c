"""Run a study in numbered steps, each small, into typed :class:`~.results.Results`.

1. load and screen the responses            6. comparisons between groups (current wave)
2. units: whole sample and groups per wave  7. trend: change since the previous wave
3. fit a PLS model per unit                 8. drivers (IPMA) per group
4. indices per unit                         9. CB-SEM on the headline group
5. NPS and CSAT per unit                   10. CRM analytics; 11. assemble

The headline is the current wave (the last, or ``current_wave:``) — or the whole sample
when the study has no waves; figures pooled over waves exist only with ``pooled: true``
and say so. Every difference is computed from the figures it compares (see
:mod:`.contrasts`).
"""
from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .. import __version__
from .._format import json_safe
from ..errors import CrmWarning, InputError, surface
from ..notes import SCREENING_CODES, unique as unique_notes
from ..notes import Note as LogNote
from ..responses import load_responses
from ..simulation import SimulationSettings, simulate
from . import contrasts as C
from .compare import check_waves, mga
from .drivers import drivers_of, mediators
from .estimates import index_rows, item_rows, pls_model, score_rows
from .load import Study
from .results import (CBSEMModel, Comparison, Diagnostic, Disclosure, Headline, ItemInfo,
                      ModelInfo,
                      Multiplicity, Note, Results, Sample, Settings, Skip, SourceLog, StudyInfo,
                      Trend,
                      Uncertainty,
                      group_key, group_label)
from .units import ModelFailure, Unit, Waves, build_units, fit_units, waves_of

__all__ = ["StudyRun", "run_study"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class StudyRun:
    """``results``: everything for results.json; ``tables``: name → DataFrame (CSV/XLSX),
    each derived from ``results``."""

    results: Results
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<StudyRun: {len(self.tables)} tables ({', '.join(list(self.tables)[:6])}"
                f"{', …' if len(self.tables) > 6 else ''}); results: {self.results!r}>")

    def _repr_html_(self) -> str:
        return self.results._repr_html_()


# --- step 1 -------------------------------------------------------------------------

def _load(study: Study):
    """Every data source, screened; rows that repeat a row of an earlier source
    (identical answers; an id identifies a row within its own file) are flagged — and
    excluded with the ``duplicate`` rule — in the later source's log, naming the earlier
    file and row."""
    d, q = study.definition, study.questionnaire
    frames, logs, set_missing = [], [], {}
    origin: list[tuple[str, np.ndarray]] = []  # per earlier frame: source, file rows
    for k, src in enumerate(d.data):
        if src.simulate is not None:
            sim = src.simulate
            raw = simulate(q, sim.n, seed=sim.seed, groups=sim.groups,
                           settings=SimulationSettings(paths=sim.paths))
            r = load_responses(q, raw, exclude=d.exclude, **d.screening.model_dump())
            r.log.source = f"simulated (seed {sim.seed})"
            # what simulate() drew: n per level of the first group item (one level
            # without groups); the other group items are drawn per respondent
            first = next(iter(sim.groups or {}), None)
            drawn = {"n": sim.n, "seed": sim.seed, "item": first,
                     "levels": len(sim.groups[first]) if first else 1}
        else:
            with surface("study"):  # hints name the study's mapping:, paths as written
                try:
                    r = load_responses(q, study.path(src.path), mapping=src.mapping,
                                       exclude=d.exclude, encoding=src.encoding,
                                       sheet=src.sheet, codes=src.codes, name=src.path,
                                       values=src.values or None,
                                       **d.screening.model_dump())
                except InputError as exc:  # a value of values: — at its line
                    if exc.concerns not in src.values:
                        raise
                    raise study.error(f"{src.path}: {exc.msg}",
                                      ("data", k, "values", exc.concerns), hint=exc.hint
                                      ) from None
            r.log.source = src.path  # as the study names it: no machine path in outputs
            drawn = None
        data, log = r.data, r.log
        if frames:
            data, log = _repeats(q, pd.concat(frames, ignore_index=True), origin, data, log,
                                 d.screening.duplicate_min_items)
        log.simulated = drawn  # kept in the results (SourceLog.simulated)
        kept = set(data.index)
        for col, n in log.set_missing(kept).items():
            set_missing[col] = set_missing.get(col, 0) + n
        origin.append((log.source, data.index.to_numpy()))
        frames.append(data)
        logs.append(log)
    return pd.concat(frames, ignore_index=True), logs, set_missing


def _repeats(q, earlier: pd.DataFrame, origin, data: pd.DataFrame, log,
             min_items: int):
    from ..responses.log import Problem
    from ..responses.screening import repeated_rows

    found = repeated_rows(q, earlier, data, min_items)
    hits = np.flatnonzero(found >= 0)
    if not len(hits):
        return data, log
    sources = np.concatenate([[s] * len(rows) for s, rows in origin])
    file_rows = np.concatenate([rows for _, rows in origin])
    problems = [Problem(int(data.index[i]), "(answers)", None,
                        f"repeats row {file_rows[found[i]]} of {sources[found[i]]}",
                        "duplicate") for i in hits]
    names = sorted(set(sources[found[hits]]))
    log = log.also_flag("duplicate", [p.row for p in problems], problems,
                        LogNote("repeat_rows", {"n": len(hits), "sources": names}))
    if "duplicate" in log.rules_on:
        data = data.drop(index=data.index[hits])
    return data, log


def _sample(logs, data: pd.DataFrame, groups: list[str], set_missing: dict,
            waves: Waves | None = None) -> Sample:
    """``group_sizes``: kept rows per level of each group item — in the current wave
    when the study has waves (the wave item itself: rows per wave)."""
    def total(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for log in logs:
            for k, v in getattr(log, key).items():
                out[k] = out.get(k, 0) + v
        return out

    sources = [SourceLog(**{k: v for k, v in log.to_dict().items() if k != "problems"},
                         problems=[p.to_dict() for p in log.problems[:200]],
                         problems_total=len(log.problems),
                         simulated=getattr(log, "simulated", None)) for log in logs]
    return Sample(rows_read=sum(log.rows_read for log in logs),
                  rows_kept=sum(log.rows_kept for log in logs), excluded=total("excluded"),
                  flagged=total("flagged"), sources=sources,
                  group_sizes={g: {str(k): int(v) for k, v in
                                   _current_rows(data, g, waves)[g].value_counts(sort=False)
                                   .sort_index().items()}
                               for g in groups},
                  set_missing=dict(sorted(set_missing.items())))


def _current_rows(data: pd.DataFrame, item: str, waves: Waves | None) -> pd.DataFrame:
    if waves is None or item == waves.item:
        return data
    return data[data[waves.item].astype(str) == waves.current]


# --- steps 6 and 7 ------------------------------------------------------------------

def _index_draws(units: list[Unit], fits: dict) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for u in units:
        res = fits.get(group_key(u.group))
        if res is not None and res.draws is not None:
            values = res.draws.values["index"]
            out[group_key(u.group)] = {c: values[:, k] for k, c in enumerate(res.index.construct)}
    return out


def _predict(res, options, diagnostics: list, group):
    """PLSpredict of the headline model (none for higher-order models: no published
    procedure), or None with a diagnostic saying why."""
    if not options.predict_folds:
        return None
    try:
        return res.predict(options.predict_folds, options.predict_reps, seed=options.seed)
    except InputError as exc:
        diagnostics.append(Diagnostic(code="predict_skipped", severity="info",
                                      message=f"PLSpredict not run: {exc.msg}",
                                      concerns=[], group=group, params={}))
        return None
    except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
        diagnostics.append(Diagnostic(code="predict_failed", severity="warning",
                                      message=f"PLSpredict failed: {type(exc).__name__}: "
                                              f"{exc}", concerns=[], group=group,
                                      params={}))
        return None


#: The tests of the headline model a study's ``pls:`` section may ask for; a diagnostic
#: ``<test>_skipped`` or ``<test>_failed`` says why one gave no result.
PREDICTION_TESTS = ("cvpat", "copula")


def _prediction_tests(res, options, diagnostics: list, group) -> dict:
    """CVPAT (IA and LM, on PLSpredict's folds) and the copula test of the headline model,
    as asked by the study's ``pls:`` section; a diagnostic says why one was not run."""
    from ..pls.cvpat import cvpat
    from ..pls.endogeneity import copula_test

    runs = {"cvpat": lambda: cvpat(res, benchmark="both", folds=options.predict_folds or 10,
                                   repeats=options.predict_reps, seed=options.seed),
            "copula": lambda: copula_test(res)}
    assert tuple(runs) == PREDICTION_TESTS
    out = {}
    for key, run in runs.items():
        if not getattr(options, key):
            continue
        name = "CVPAT" if key == "cvpat" else "the copula test"
        try:
            out[key] = run()
        except InputError as exc:
            diagnostics.append(Diagnostic(code=f"{key}_skipped", severity="info",
                                          message=f"{name} not run: {exc.msg}", concerns=[],
                                          group=group, params={}))
        except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
            diagnostics.append(Diagnostic(code=f"{key}_failed", severity="warning",
                                          message=f"{name} failed: {type(exc).__name__}: "
                                                  f"{exc}", concerns=[], group=group,
                                          params={}))
    return out


def _comparisons(study, data, units, fits, indices, scores, headline: Unit, spec, weights,
                 bounds, policy, skipped) -> list[Comparison]:
    d = study.definition
    out = []
    draws = _index_draws(units, fits)
    for item in [g for g in d.groups if g != d.waves]:
        members = [u.group for u in units if item in u.group and
                   {k: v for k, v in u.group.items() if k != item} == headline.group]
        if len(members) < 2:
            continue
        # many levels: the client against each competitor, and every pair by z tests
        pairs, every = C.families(members, item, d.report.client_group)
        outcome = None
        if d.compare is not None and spec is not None:
            outcome = mga(study, data, headline.rows, item, headline.group, spec, weights,
                          bounds, policy, skipped, keep=pairs if every else None)
        status = outcome.status if outcome else None
        all_pairs = (
            C.index_differences(every, indices, draws, study.index_constructs, policy,
                                kind="groups", m=len(every), micom=status, method="holm",
                                test="z")
            + C.score_differences(every, scores, policy, kind="groups", m=len(every),
                                  method="holm"))
        differences = (
            C.index_differences(pairs, indices, draws, study.index_constructs, policy,
                                kind="groups", m=len(pairs), micom=status)
            + C.score_differences(pairs, scores, policy, kind="groups", m=len(pairs))
        ) if pairs else all_pairs
        out.append(Comparison(item=item, scope=headline.group,
                              reference=pairs[0][0][item] if pairs and every else None,
                              all_pairs=all_pairs if pairs else [],
                              levels=[g[item] for g in members], differences=differences,
                              paths=outcome.paths if outcome else [],
                              micom=outcome.micom if outcome else [],
                              invariance=outcome.invariance if outcome else None,
                              diagnostics=outcome.diagnostics if outcome else []))
    return out


def _trend(study, data, waves: Waves, units, fits, indices, scores, spec, weights, bounds,
           policy, skipped, diagnostics: list) -> Trend:
    """Each group's change since the previous wave — Holm-adjusted over the groups of one
    group item for one quantity — with MICOM between the two waves on their whole samples
    governing every change of a construct. Where the waves hold different groups
    (:func:`composition_change`) the whole sample has no change, and MICOM runs on the
    groups both waves hold (``Trend.micom_groups``)."""
    changes, micom, only_in, micom_groups = [], [], {}, {}
    if waves.previous is not None:
        cur, prev = waves.current, waves.previous
        keys = {group_key(u.group) for u in units}
        only_in = composition_change(data, waves.item, cur, prev,
                                     [g for g in study.definition.groups if g != waves.item])
        pairs = []
        for u in units:
            if u.group.get(waves.item) == cur and (len(u.group) > 1 or not only_in):
                before = {**u.group, waves.item: prev}  # the whole sample's change only
                if group_key(before) in keys:  # where both waves hold the same groups
                    pairs.append((u.group, before))
        status = None
        rows = data[waves.item].astype(str).isin([cur, prev]).to_numpy()
        for g in only_in:  # MICOM on the groups both waves hold: the same population
            both = set(data.loc[rows, g].dropna().astype(str)) - {
                v for levels in only_in[g].values() for v in levels}
            rows = rows & data[g].astype(str).isin(both).to_numpy()
            micom_groups[g] = sorted(both)
        wave_rows = data.loc[rows, waves.item].astype(str)
        if study.definition.compare is not None and spec is not None and \
                {cur, prev} <= set(wave_rows):
            outcome = mga(study, data, rows, waves.item, {}, spec, weights, bounds, policy,
                          skipped)
            if outcome is not None:
                diagnostics += outcome.diagnostics
                micom = outcome.micom  # kept: the report shows the verdict it rests on
                overall = {r["construct"]: r["invariance"] for r in outcome.micom}
                status = {(group_key(a), group_key(b), c): s for a, b in pairs
                          for c, s in overall.items()}
        draws = _index_draws(units, fits)
        # Holm over the groups of one group item for one quantity (policy.changes); the
        # whole sample's change is a family of its own
        families: dict[tuple, list] = {}
        for pair in pairs:
            families.setdefault(tuple(sorted(k for k in pair[0] if k != waves.item)),
                                []).append(pair)
        for family in families.values():
            changes += C.index_differences(family, indices, draws, study.index_constructs,
                                           policy, kind="change", m=len(family),
                                           micom=status, method=policy.changes)
            changes += C.score_differences(family, scores, policy, kind="change",
                                           m=len(family), method=policy.changes)
    return Trend(item=waves.item, waves=list(waves.levels), current=waves.current,
                 previous=waves.previous, changes=changes, micom=micom, only_in=only_in,
                 micom_groups=micom_groups)


def composition_change(data: pd.DataFrame, wave_item: str, current: str, previous: str,
                       groups: list[str]) -> dict[str, dict[str, list[str]]]:
    """Per group item, the levels with rows in only one of the two waves, by that wave
    (``{"operator": {"2026": ["星河通信"]}}``); empty when both waves hold the same
    groups. A whole sample whose groups changed is not the same population: its change
    mixes the new groups in."""
    wave = data[wave_item].astype(str)
    out: dict[str, dict[str, list[str]]] = {}
    for g in groups:
        levels = {w: set(data.loc[(wave == w).to_numpy(), g].dropna().astype(str))
                  for w in (current, previous)}
        extra = {w: sorted(levels[w] - levels[o]) for w, o in ((current, previous),
                                                                (previous, current))}
        extra = {w: v for w, v in extra.items() if v}
        if extra:
            out[g] = extra
    return out


# --- step 9 -------------------------------------------------------------------------

def _cbsem(spec, data: pd.DataFrame, unit: Unit, weights, o, items) -> CBSEMModel:
    """A model that cannot be estimated is a recorded problem, not the end of the run."""
    from ..cbsem import cbsem

    frame = data[unit.rows]
    w = None if weights is None else weights[unit.rows]
    cells = int(frame[items].isna().to_numpy().sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)
        try:  # every option of the record (missing="auto" is resolved, and noted, there)
            res = cbsem(spec, frame, **o.kwargs(), weights=w)
        except (InputError, ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            msg = exc.msg if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            failed = Diagnostic(code="model_failed", severity="error", group=unit.group,
                                params={},
                                message=f"the CB-SEM model could not be estimated: {msg}")
            return CBSEMModel(group=unit.group, fit={}, estimates=[], r2=[], admissible=False,
                              diagnostics=[failed], notes=[], settings={}, disclosure=None,
                              error=msg)
    out = res.to_dict()
    s = res.settings
    disclosure = Disclosure(
        model="cbsem", group=unit.group, rows=unit.n, used=int(s.n), dropped=int(s.n_dropped),
        dropped_reason="listwise" if s.missing == "listwise" else None, cells_missing=cells,
        cells_imputed=0, missing_method="listwise" if s.missing == "listwise" else "fiml",
        weighted=bool(s.weighted), n_eff=float(s.n_effective))
    return CBSEMModel(group=unit.group, fit=out["fit"], estimates=out["estimates"],
                      r2=out["r2"], admissible=bool(out["admissible"]),
                      diagnostics=Diagnostic.of(res.diagnostics, unit.group),
                      notes=list(out["notes"]),
                      settings=out["settings"], disclosure=disclosure)


# --- the run ------------------------------------------------------------------------

def run_study(study: Study, *, progress: Progress | None = None, engine=None,
              language: str | None = None, root: str | Path | None = None) -> StudyRun:
    """Fit the study's models and return its results and tables. ``engine``
    (``"processes"``, a worker count, a Dask address or client) runs the group units;
    the study file's ``engine:`` (local engines only) is used when none is given;
    ``language`` (default: the study's report language) is the language of the results'
    own report; ``root`` (default: the one the study was loaded with) is the folder
    every file it reads must lie in."""
    from dataclasses import replace

    from .export import results_tables

    if root is not None:
        study = replace(study, root=Path(root).resolve())

    d, q = study.definition, study.questionnaire
    engine = engine if engine is not None else d.engine
    say = progress or (lambda stage, done, total: None)
    policy = Multiplicity()
    # 1. load and screen
    say("loading", 0, 1)
    data, logs, set_missing = _load(study)
    say("loading", 1, 1)
    weights = None
    if d.weight:  # checked once here, so no later stage drops an unweighted row quietly
        from .._data import sampling_weights

        weights = _scale_free(sampling_weights(d.weight, data))
    raking = None
    if d.weighting is not None:  # weights from population targets, on the screened rows
        from .weighting import apply_weighting

        raking = apply_weighting(study, data)
        weights = _scale_free(raking.weights)
    # group and wave levels by their codes as written ("1", not a float column's "1.0"):
    # the results key groups by them, the report names them by the questionnaire's labels
    from .._data import level_names

    for item in dict.fromkeys([*d.groups, *([d.waves] if d.waves else [])]):
        data[item] = level_names(data[item])
    for item, level in (d.report.client_group or {}).items():
        if level not in set(data[item].dropna().astype(str)):
            raise study.error(f"report.client_group: {level!r} is not a level of {item!r} in "
                              "the data", ("report", "client_group", item),
                              hint="levels: " + ", ".join(
                                  sorted(data[item].dropna().astype(str).unique())))
    bounds = q.scale_bounds()
    has_model = bool(q.definition.constructs)
    spec = q.model_spec() if has_model else None
    constructs = study.index_constructs
    target = study.ipma_target
    # 2. units
    wave_skips = check_waves(study, data) if d.waves else {}
    waves = waves_of(study, data, wave_skips)
    units, skipped = build_units(study, data, waves, wave_skips)
    headline = next(u for u in units if u.group == ({waves.item: waves.current} if waves else {}))
    if d.report.market_weights:  # checked before any fitting: known levels, positive
        from .story import market_shares

        market_shares(d.report.market_weights, {
            g: sorted(data.loc[headline.rows, g].dropna().astype(str).unique())
            for g in d.groups if g != d.waves})
    # enough resamples for the adjusted intervals (the default raised, or refused)
    from .resamples import checked_resamples, family_sizes

    pairs_m, changes_m = family_sizes(study, [u.group for u in units if not u.pooled],
                                      headline.group, waves.item if waves else None,
                                      waves.current if waves else None,
                                      waves.previous if waves else None)
    if d.pls is not None and "tail_draws" in d.pls.model_fields_set:  # the study's opt-out
        policy = policy.model_copy(update={"tail_draws": d.pls.tail_draws})
    study, raised = checked_resamples(study, pairs_m, changes_m, policy, headline.group)
    d = study.definition
    from .design import design_columns, study_design  # strata, clusters, re-raking

    design = study_design(study, data, raking)
    # 3. fit
    fits: dict[str, object] = {}
    models, diagnostics = [], list(raised)
    if raking is not None:
        diagnostics += Diagnostic.of(raking.diagnostics, {})
    model_items = [i for c in spec.constructs for i in c.items
                   if i not in spec.construct_names] if spec else []
    if d.pls is not None and has_model:
        say("fitting", 0, len(units))
        fitted = fit_units(spec, data, units, d.pls, weights, bounds, headline=headline,
                           engine=engine, design=design)
        kept = []
        for u, res in zip(units, fitted):
            if isinstance(res, InputError):
                if u is headline:
                    raise res
                skipped.append(Skip(group=u.group, n=u.n, reason=Note(
                    code="unit_failed", params={"detail": res.msg})))
                continue
            if isinstance(res, ModelFailure):  # this unit's problem, not the run's
                diagnostics.append(Diagnostic(
                    code="pls_failed", severity="error", group=u.group, concerns=[],
                    params={"group": group_label(u.group)},
                    message=f"the PLS model of {group_label(u.group)} could not be "
                            f"estimated: {res.reason}"))
                kept.append(u)  # its NPS, CSAT and item figures need no model
                continue
            fits[group_key(u.group)] = res
            kept.append(u)
            prediction = _predict(res, d.pls, diagnostics, u.group) if u is headline else None
            tests = _prediction_tests(res, d.pls, diagnostics, u.group) if u is headline \
                else {}
            model = pls_model(u, res, data, model_items, weights, prediction, **tests)
            models.append(model)
            diagnostics += model.diagnostics
        units = kept
        say("fitting", len(units), len(units))
    # 4. indices; 5. NPS and CSAT
    indices = [row for u in units if group_key(u.group) in fits
               for row in index_rows(u, fits[group_key(u.group)], constructs)]
    nps_item = next((i for i in q.items_with_role("nps") if i in data), None)
    rated = {i: q.item_bounds(i) for i in q.items if q.items[i].role in ("indicator", "nps")
             and getattr(q.scale(i), "type", None) == "rating" and q.item_bounds(i)}
    if design is not None:  # every group's design-based errors, in one pass
        design.compute(units, design_columns(data, nps_item, d.analytics.csat, rated),
                       weights)
    scores = [row for u in units
              for row in score_rows(u, data, weights, nps_item, d.analytics.csat, design)]
    items = [row for u in units for row in item_rows(u, data, weights, rated, design)]
    if design is not None:  # lonely strata; raking that failed in some resamples
        diagnostics += design.diagnostics()
    # 6. comparisons; 7. trend
    comparisons = _comparisons(study, data, units, fits, indices, scores, headline, spec,
                               weights, bounds, policy, skipped) if fits else []
    for c in comparisons:
        diagnostics += c.diagnostics
    trend = _trend(study, data, waves, units, fits, indices, scores, spec, weights, bounds,
                   policy, skipped, diagnostics) if waves and fits else None
    # 8. drivers per group of the headline scope
    drivers = []
    staged = bool(spec is not None and (spec.interactions or spec.higher_order))
    if target is not None and fits and staged:
        diagnostics.append(Diagnostic(
            code="drivers_skipped", severity="info", concerns=[], group=headline.group,
            params={},
            message="importance–performance (IPMA) is not defined for models with "
                    "interaction terms or higher-order constructs; no drivers are ranked"))
    elif target is not None and fits:
        not_actionable = set() if d.ipma_mediators else mediators(target, list(spec.paths))
        not_actionable.add(target)
        drivers = [drivers_of(u.group, fits[group_key(u.group)], target, constructs,
                              not_actionable, alpha=policy.alpha)
                   for u in units if not u.pooled and _in_scope(u.group, headline.group)
                   and group_key(u.group) in fits]
    # 9. CB-SEM
    cb = None
    if d.cbsem is not None and has_model:
        say("cbsem", 0, 1)
        cb = _cbsem(spec, data, headline, weights, d.cbsem, model_items)
        diagnostics += cb.diagnostics
        say("cbsem", 1, 1)
    # 10. analytics, on the headline group's respondents
    from .analytics import run_analytics

    say("analytics", 0, 1)
    frame = data[headline.rows]
    analytics, a_tables = run_analytics(study, frame, fits.get(group_key(headline.group)),
                                        None if weights is None else weights[headline.rows])
    say("analytics", 1, 1)
    # 10b. segments found in the answers (segments:), on the same respondents
    segments = None
    if d.segments is not None:
        from .segments import run_segments

        say("segments", 0, 1)
        segments, s_tables = run_segments(
            study, frame, fits.get(group_key(headline.group)),
            None if weights is None else weights[headline.rows], bounds, spec)
        a_tables = {**a_tables, **s_tables}
        diagnostics += segments.diagnostics
        say("segments", 1, 1)
    # 11. assemble
    results = Results(
        study=_study_info(study, language),
        settings=_settings(study, logs, waves, policy),
        model=ModelInfo(syntax=spec.to_lavaan() if spec else "",
                        labels={c: v.label or {"*": c} for c, v in q.definition.constructs.items()},
                        constructs={c.name: list(c.items) for c in spec.constructs} if spec else {},
                        paths=[(lhs, rhs) for lhs, rhs in spec.paths] if spec else [],
                        index_constructs=constructs, ipma_target=target,
                        context=[c for c, v in q.definition.constructs.items() if not v.lever],
                        items=_item_info(q, rated)),
        sample=_sample(logs, data, d.groups + ([d.waves] if d.waves and d.waves not in d.groups
                                               else []), set_missing, waves),
        headline=Headline(group=headline.group, wave=waves.current if waves else None,
                          previous_wave=waves.previous if waves else None),
        indices=indices, scores=scores, items=items, models=models, cbsem=cb, comparisons=comparisons,
        trend=trend, drivers=drivers, skipped=skipped, diagnostics=diagnostics,
        analytics=json_safe(analytics),
        weighting=None if raking is None else _weighting(raking, d.weighting, q),
        uncertainty=_uncertainty(design, fits), segments=segments)
    from .story import build_story  # the executive summary as data

    results = results.model_copy(update={"story": build_story(results, fits,
                                                              d.report.market_weights)})
    return StudyRun(results, {**results_tables(results), **a_tables})


def _weighting(raking, options, q):
    from .results import Weighting
    from .weighting import weighting_section

    return Weighting.model_validate(json_safe(weighting_section(raking, options, q)))


def _uncertainty(design, fits: dict) -> Uncertainty:
    """How the study's standard errors were computed (the methodology says it)."""
    kinds = {r.settings.resampling for r in fits.values() if r.settings.bootstrap}
    resampling = next(iter(kinds)) if kinds else None
    if design is None:
        return Uncertainty(scores="kish", resampling=resampling)
    return design.info(resampling)


def _scale_free(w: np.ndarray) -> np.ndarray:
    """Weights times the power of two that brings the largest into [0.5, 1). Every
    figure is scale-free in the weights, and a power-of-two factor is exact, so no figure
    changes — but uniform weights of 1e300 or 1e-300 no longer overflow or underflow the
    sums of squares (Kish's n, variances)."""
    top = float(w.max()) if len(w) else 0.0
    if not (np.isfinite(top) and top > 0):
        return w
    return np.ldexp(w, -np.frexp(top)[1])


def _item_info(q, rated: dict) -> dict:
    """The rated items and every other item of a construct (a yes/no question too), with
    their scale, and the group items, as reports quote them."""
    owner = {i: c for c, v in q.definition.constructs.items() for i in v.items}
    bounds = dict(rated)
    for i in owner:
        if i in q.items and i not in bounds and q.item_bounds(i):
            bounds[i] = q.item_bounds(i)
    shown = list(dict.fromkeys([*rated, *[i for i in owner if i in bounds],
                                *q.items_with_role("group")]))
    return {i: ItemInfo(text=q.items[i].text, construct=owner.get(i),
                        min=bounds[i][0] if i in bounds else None,
                        max=bounds[i][1] if i in bounds else None, role=q.items[i].role,
                        reverse=q.items[i].reverse)
            for i in shown}


def _in_scope(group: dict, scope: dict) -> bool:
    return all(group.get(k) == v for k, v in scope.items())


def _study_info(study: Study, language: str | None) -> StudyInfo:
    d, q = study.definition, study.questionnaire
    return StudyInfo(id=d.id, title=d.title, client=d.report.client,
                     client_group=d.report.client_group, report_title=d.report.title,
                     subtitle=d.report.subtitle, author=d.report.author,
                     language=language or d.report.language, languages=list(q.languages),
                     sections=list(d.report.sections),
                     fieldwork=d.fieldwork.model_dump() if d.fieldwork else None,
                     group_labels=_group_labels(study), group_names=d.report.group_names,
                     questionnaire={"id": q.id, "version": str(q.definition.version),
                                    "title": q.definition.title})


def _group_labels(study: Study) -> dict:
    """Each group item's level names: the questionnaire's value labels of a coded item
    (code → label, in every language it gives), with the study's ``report.group_labels``
    over them."""
    d, q = study.definition, study.questionnaire
    out: dict[str, dict] = {}
    for item in dict.fromkeys([*d.groups, *([d.waves] if d.waves else [])]):
        sc = q.scale(item) if item in q.items else None
        values = getattr(sc, "values", None) or {}
        out[item] = {str(k): v for k, v in values.items()}
    for item, names in d.report.group_labels.items():
        out[item] = {**out.get(item, {}), **names}
    return {k: v for k, v in out.items() if v}


def _settings(study: Study, logs, waves: Waves | None, policy: Multiplicity) -> Settings:
    d = study.definition
    return Settings(
        versions={"crmsurvey": __version__, "python": platform.python_version(),
                  "numpy": np.__version__, "pandas": pd.__version__},
        created=_dt.date.today().isoformat(), exclude=list(d.exclude), weight=d.weight,
        groups=list(d.groups), waves=d.waves, current_wave=waves.current if waves else None,
        pooled=d.pooled, min_group_size=d.min_group_size,
        pls=d.pls.model_dump() if d.pls else None,
        cbsem=d.cbsem.model_dump() if d.cbsem else None,
        compare=d.compare.model_dump() if d.compare else None,
        screening_notes=Note.of(unique_notes(n for log in logs for n in log.notes
                                             if n.code in SCREENING_CODES)),
        multiplicity=policy)

