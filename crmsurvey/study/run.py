"""Run a study: load and screen the responses, fit every model overall and per group,
and collect everything the report shows into one JSON-able bundle plus tables."""
from __future__ import annotations

import datetime as _dt
import platform
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .. import __version__
from .._format import json_safe
from ..analytics.scores import nps_compare, nps_table
from ..errors import CrmWarning, InputError
from ..responses import load_responses
from ..simulation import SimulationSettings, simulate
from .compare import check_waves, run_comparisons, wave_trend
from .load import Study

__all__ = ["StudyResults", "run_study"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class StudyResults:
    """``bundle``: everything for results.json; ``tables``: name → DataFrame for export."""

    bundle: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _load(study: Study):
    d, q = study.definition, study.questionnaire
    frames, logs = [], []
    for src in d.data:
        if src.simulate is not None:
            sim = src.simulate
            raw = simulate(q, sim.n, seed=sim.seed, groups=sim.groups,
                           settings=SimulationSettings(paths=sim.paths))
            r = load_responses(q, raw, exclude=d.exclude)
            r.log.source = f"simulated: n={sim.n} per group, seed={sim.seed}"
        else:
            r = load_responses(q, study.path(src.path), mapping=src.mapping,
                               exclude=d.exclude, encoding=src.encoding, sheet=src.sheet)
        frames.append(r.data)
        logs.append(r.log)
    return pd.concat(frames, ignore_index=True), logs


def _sample(logs, data: pd.DataFrame, groups: list[str]) -> dict:
    excluded: dict[str, int] = {}
    flagged: dict[str, int] = {}
    for log in logs:
        for k, v in log.excluded.items():
            excluded[k] = excluded.get(k, 0) + v
        for k, v in log.flagged.items():
            flagged[k] = flagged.get(k, 0) + v
    return {
        "rows_read": sum(log.rows_read for log in logs),
        "rows_kept": sum(log.rows_kept for log in logs),
        "excluded": excluded,
        "flagged": flagged,
        "problems": sum(len(log.problems) for log in logs),
        "sources": [{**log.to_dict(), "problems": [p.to_dict() for p in log.problems[:200]],
                     "problems_total": len(log.problems)} for log in logs],
        "group_sizes": {g: {str(k): int(v) for k, v in
                            data[g].value_counts(sort=False).sort_index().items()}
                        for g in groups},
    }


def _pls_tables(res, group: str) -> dict[str, pd.DataFrame]:
    return {name: getattr(res, name).assign(group=group)
            for name in ("paths", "loadings", "quality", "r2", "total_effects")}


def _fit_unit(task: tuple) -> object:
    """One work unit: a group's PLS model with its bootstrap (picklable for any engine)."""
    from ..pls import pls

    spec, frame, weights, bounds, o = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)  # kept in the result's diagnostics
        try:
            return pls(spec, frame, scheme=o.scheme, bootstrap=o.bootstrap, seed=o.seed,
                       ci=o.ci, ci_method=o.ci_method, consistent=o.consistent,
                       weights=weights, scale=bounds)
        except InputError as exc:
            return exc


def fit_units(spec, data: pd.DataFrame, units, options, weights, bounds, *, engine=None
              ) -> dict[str, object]:
    """Fit every (group) unit — on ``engine`` when given; same seed, same numbers."""
    from ..engine import run_units

    tasks = [(spec, data[rows.to_numpy()],
              None if weights is None else weights[rows.to_numpy()], bounds, options)
             for _, rows in units]
    results = run_units(_fit_unit, tasks, engine)
    return {name: r for (name, _), r in zip(units, results)}


def run_study(study: Study, *, progress: Progress | None = None, engine=None) -> StudyResults:
    """Fit the study's models and return the results bundle and tables. ``engine``
    (``"processes"``, a worker count, a Dask address or client) runs the group units;
    the study file's ``engine:`` is used when none is given."""
    d, q = study.definition, study.questionnaire
    engine = engine if engine is not None else d.engine
    say = progress or (lambda stage, done, total: None)
    say("loading", 0, 1)
    data, logs = _load(study)
    say("loading", 1, 1)
    weights = None
    if d.weight:  # checked once here, so no later stage drops an unweighted row quietly
        from .._data import sampling_weights

        weights = sampling_weights(d.weight, data)
    bounds = q.scale_bounds()
    has_model = bool(q.definition.constructs)
    spec = q.model_spec() if has_model else None
    index_constructs = study.index_constructs
    target = study.ipma_target
    labels = {c: v.label or {"*": c} for c, v in q.definition.constructs.items()}

    fits: dict[str, object] = {}
    skipped: list[dict] = []
    units: list[tuple[str, pd.Series]] = [("all", pd.Series(True, index=data.index))]
    wave_skips = check_waves(study, data) if d.waves else {}
    for g in d.groups + ([d.waves] if d.waves and d.waves not in d.groups else []):
        levels = data[g].dropna().astype(str)
        if levels.nunique() < 2:
            skipped.append({"group": g, "level": None, "n": int(len(levels)),
                            "reason": f"group column {g!r} has a single level"})
            continue
        for level, n in levels.value_counts().sort_index().items():
            if g == d.waves and level in wave_skips:
                skipped.append({"group": g, "level": level, "n": int(n),
                                "reason": wave_skips[level]})
                continue
            if n < d.min_group_size:
                skipped.append({"group": g, "level": level, "n": int(n),
                                "reason": f"fewer than {d.min_group_size} respondents"})
                continue
            units.append((f"{g}={level}", data[g].astype(str) == level))
    diagnostics: dict[str, list[str]] = {}
    if d.pls is not None and has_model:
        say("fitting", 0, len(units))
        fitted = fit_units(spec, data, units, d.pls, weights, bounds, engine=engine)
        for name, rows in units:
            result = fitted[name]
            if isinstance(result, InputError):
                if name == "all":
                    raise result
                skipped.append({"group": name.split("=")[0], "level": name.split("=", 1)[1],
                                "n": int(rows.sum()), "reason": result.msg})
                continue
            fits[name] = result
            diagnostics[name] = [d_.message for d_ in result.diagnostics]
        say("fitting", len(units), len(units))

    indices, tables = [], {}
    for name, res in fits.items():
        n = int(res.settings.n)
        for r in res.index.itertuples():
            if r.construct in index_constructs:
                indices.append({"group": name, "construct": r.construct, "index": r.index,
                                "ci_lower": getattr(r, "ci_lower", np.nan),
                                "ci_upper": getattr(r, "ci_upper", np.nan), "n": n})
        for tname, t in _pls_tables(res, name).items():
            tables.setdefault(tname, []).append(t)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    tables["indices"] = pd.DataFrame(indices, columns=["group", "construct", "index",
                                                       "ci_lower", "ci_upper", "n"])

    nps_item = next(iter(q.items_with_role("nps")), None)
    nps_rows, nps_pairs = [], []
    if nps_item and nps_item in data:
        for g in d.groups or [None]:
            t = nps_table(data, nps_item, by=g, weights=weights)
            t["group"] = [x if x == "all" else f"{g}={x}" for x in t.group]
            nps_rows.append(t if not nps_rows else t[t.group != "all"])
            if g is not None:
                nps_pairs.append(nps_compare(t))
        tables["nps"] = pd.concat(nps_rows, ignore_index=True)
        if nps_pairs:
            tables["nps_differences"] = pd.concat(nps_pairs, ignore_index=True)

    overall = fits.get("all")
    ipma = overall.ipma(target) if overall is not None else pd.DataFrame()
    if len(ipma):  # a construct without an index (complaints) has no performance to show
        ipma = ipma[ipma.construct.isin(index_constructs)].reset_index(drop=True)
    if overall is not None:
        tables["ipma"] = ipma
    drivers = []
    if overall is not None and len(ipma):
        # importance in index points (IPMA); significance from the bootstrap interval of
        # the standardised total effect
        te = overall.total_effects[overall.total_effects.lhs == target].set_index("rhs")
        for r in ipma.sort_values("importance", ascending=False).head(3).itertuples():
            row = te.loc[r.construct]
            lo, hi = row.get("ci_lower", np.nan), row.get("ci_upper", np.nan)
            drivers.append({"construct": r.construct, "total": r.importance,
                            "significant": bool(lo > 0 or hi < 0)})

    cb = None
    if d.cbsem is not None and has_model:
        say("cbsem", 0, 1)
        cb = _cbsem(spec, data, weights, d.cbsem)
        if cb is not None and "estimates" in cb:
            tables["cbsem_estimates"] = pd.DataFrame(cb["estimates"])
            tables["cbsem_fit"] = pd.DataFrame({"measure": list(cb["fit"]),
                                                "value": list(cb["fit"].values())})
        say("cbsem", 1, 1)

    comparisons = run_comparisons(study, data, spec, weights, bounds, skipped) \
        if d.compare is not None and has_model else {}
    trend = wave_trend(study, fits, comparisons) if d.waves else None
    from .analytics import run_analytics

    say("analytics", 0, 1)
    analytics, a_tables = run_analytics(study, data, overall, weights)
    tables.update(a_tables)
    say("analytics", 1, 1)
    sample = _sample(logs, data, d.groups)
    tables["cleaning_log"] = pd.DataFrame(
        [{"source": s["source"], "rows_read": s["rows_read"], "rows_kept": s["rows_kept"],
          **{f"excluded_{k}": v for k, v in s["excluded"].items()}} for s in sample["sources"]])
    bundle = {
        "study": {"id": d.id, "title": d.title, "client": d.report.client,
                  "report_title": d.report.title, "subtitle": d.report.subtitle,
                  "author": d.report.author, "language": d.report.language,
                  "sections": list(d.report.sections),
                  "questionnaire": {"id": q.id, "version": str(q.definition.version),
                                    "title": q.definition.title}},
        "settings": {"crmsurvey": __version__, "python": platform.python_version(),
                     "numpy": np.__version__, "pandas": pd.__version__,
                     "created": _dt.date.today().isoformat(), "exclude": list(d.exclude),
                     "weight": d.weight, "groups": list(d.groups),
                     "min_group_size": d.min_group_size,
                     "pls": d.pls.model_dump() if d.pls else None,
                     "cbsem": d.cbsem.model_dump() if d.cbsem else None,
                     "screening_notes": sorted({n for log in logs for n in log.notes})},
        "model": {"syntax": spec.to_lavaan() if spec else "", "labels": labels,
                  "constructs": {c.name: list(c.items) for c in spec.constructs} if spec else {},
                  "paths": [[lhs, rhs] for lhs, rhs in spec.paths] if spec else [],
                  "index_constructs": index_constructs, "ipma_target": target},
        "sample": sample,
        "indices": indices,
        "nps": tables["nps"].to_dict("records") if "nps" in tables else [],
        "nps_differences": tables["nps_differences"].to_dict("records")
        if "nps_differences" in tables else [],
        "pls": {name: res.to_dict() for name, res in fits.items()},
        "diagnostics": diagnostics,
        "ipma": {"target": target, "rows": ipma.to_dict("records")},
        "drivers": drivers,
        "cbsem": cb,
        "skipped": skipped,
        "analytics": analytics,
        "comparisons": comparisons,
        "trend": trend,
    }
    return StudyResults(json_safe(bundle), tables)


def _cbsem(spec, data, weights, o) -> dict:
    from ..cbsem import cbsem

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)
        try:
            res = cbsem(spec, data, estimator=o.estimator, bootstrap=o.bootstrap, seed=o.seed,
                        weights=weights)
        except InputError as exc:
            return {"error": exc.msg}
    out = res.to_dict()
    out["fit"] = {k: v for k, v in out["fit"].items()}
    return out
