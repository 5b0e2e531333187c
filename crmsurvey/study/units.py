"""The study's units: the groups a model is fitted for (whole sample, each level of each
group item — within each wave when the study has waves), and fitting them on any engine."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._random import child_seed, text_key
from ..errors import CrmWarning, InputError
from .load import Study
from .results import Group, Note, Skip, group_key

__all__ = ["Unit", "Waves", "ModelFailure", "build_units", "fit_units"]


@dataclass(frozen=True, eq=False)
class Unit:
    """One group's rows (a boolean mask over the study's kept rows)."""

    group: Group
    rows: np.ndarray
    pooled: bool = False  # pools several waves

    @property
    def n(self) -> int:
        return int(self.rows.sum())


@dataclass(frozen=True)
class Waves:
    """The waves that can be reported, in order; the headline (current) one and the one
    before it."""

    item: str
    levels: tuple[str, ...]
    current: str
    previous: str | None


def _order(level: str):
    """Levels in their codes' order where all are numbers ("2" before "10")."""
    try:
        return (0, float(level), level)
    except ValueError:
        return (1, 0.0, level)


def _levels(series: pd.Series) -> list[str]:
    levels = series.dropna().astype(str).unique()
    numeric = all(_order(v)[0] == 0 for v in levels)
    return sorted(levels, key=_order) if numeric else sorted(levels)


def waves_of(study: Study, data: pd.DataFrame, wave_skips: dict[str, Note]) -> Waves | None:
    d = study.definition
    if not d.waves:
        return None
    sizes = data[d.waves].dropna().astype(str).value_counts()
    levels = tuple(w for w in _levels(data[d.waves]) if w not in wave_skips
                   and sizes[w] >= d.min_group_size)
    if not levels:
        raise InputError(f"no wave of {d.waves!r} can be reported (each lacks a construct or "
                         f"has fewer than {d.min_group_size} respondents)")
    current = d.current_wave or levels[-1]
    if current not in levels:
        raise InputError(f"current_wave {current!r} is not a reportable wave of {d.waves!r}",
                         hint="waves: " + ", ".join(levels))
    k = levels.index(current)
    return Waves(d.waves, levels, current, levels[k - 1] if k else None)


def build_units(study: Study, data: pd.DataFrame, waves: Waves | None,
                wave_skips: dict[str, Note]) -> tuple[list[Unit], list[Skip]]:
    """Units in a fixed order: per scope (each wave, or the whole sample), the scope
    itself, then each level of each group item; a pooled scope when asked for."""
    d = study.definition
    skipped: list[Skip] = []
    too_few = Note(code="too_few", params={"min": d.min_group_size})
    if waves is not None:
        for level, reason in wave_skips.items():
            skipped.append(Skip(group={waves.item: level},
                                n=int((data[waves.item].astype(str) == level).sum()),
                                reason=reason))
        for level in _levels(data[waves.item]):
            n = int((data[waves.item].astype(str) == level).sum())
            if level not in wave_skips and level not in waves.levels:
                skipped.append(Skip(group={waves.item: level}, n=n, reason=too_few))
    scopes: list[tuple[Group, np.ndarray, bool]] = []
    all_rows = np.ones(len(data), dtype=bool)
    if waves is None:
        scopes.append(({}, all_rows, False))
    else:
        wave = data[waves.item].astype(str).to_numpy()
        scopes += [({waves.item: w}, wave == w, False) for w in waves.levels]
        if d.pooled:
            scopes.append(({}, np.isin(wave, waves.levels), True))
    groups = [g for g in d.groups if g != d.waves]
    for g in groups:
        levels = _levels(data[g])
        if len(levels) < 2:
            skipped.append(Skip(group={g: levels[0] if levels else ""},
                                n=int(data[g].notna().sum()),
                                reason=Note(code="single_level", params={"item": g})))
    groups = [g for g in groups if data[g].dropna().astype(str).nunique() >= 2]
    units: list[Unit] = []
    for scope, in_scope, pooled in scopes:
        units.append(Unit(scope, in_scope, pooled))
        for g in groups:
            values = data[g].astype(str).where(data[g].notna()).to_numpy()
            for level in _levels(data[g]):
                rows = in_scope & (values == level)
                group = {g: level, **scope}
                if rows.sum() < d.min_group_size:
                    skipped.append(Skip(group=group, n=int(rows.sum()), reason=too_few))
                    continue
                units.append(Unit(group, rows, pooled))
    return units, skipped


@dataclass(frozen=True)
class ModelFailure:
    """A unit whose model could not be estimated on data that are fine as input (e.g. one
    construct's items identical to another's): the reason, for a diagnostic."""

    reason: str


def unit_seed(seed: int, group: Group) -> int:
    """Each unit's own bootstrap seed (independent resamples for independent groups),
    fixed by the study's seed and the group — not by the order units run in."""
    return child_seed(seed, text_key(group_key(group)))


def _fit_unit(task: tuple) -> object:
    """One work unit: a group's PLS model with its bootstrap (picklable for any engine)."""
    from ..pls import pls

    spec, frame, weights, bounds, o, seed, headline, *design = task  # design: optional
    design = design[0] if design else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)  # kept in the result's diagnostics
        try:
            return pls(spec, frame, **{**o.kwargs(), "seed": seed,
                                       "fit_test": o.fit_test if headline else 0},
                       weights=weights, scale=bounds, design=design)
        except InputError as exc:
            return exc
        except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
            return ModelFailure(f"{type(exc).__name__}: {exc}")


def fit_units(spec, data: pd.DataFrame, units: list[Unit], options, weights, bounds, *,
              headline: Unit | None = None, engine=None, design=None) -> list[object]:
    """Fit every unit — on ``engine`` when given; same seed, same numbers. Each entry is
    a PLSResult, the InputError that unit's data gave, or a :class:`ModelFailure`. The exact fit test runs on the
    ``headline`` unit only. ``design`` (a :class:`~.design.StudyDesign`): what each
    unit's bootstrap resamples (clusters within strata, raking repeated)."""
    from ..engine import run_units

    seeds = [unit_seed(options.seed, u.group) for u in units]
    tasks = [(spec, data[u.rows], None if weights is None else weights[u.rows], bounds,
              options, seed, u is headline, None if design is None else design.scheme(u, seed))
             for u, seed in zip(units, seeds)]
    return run_units(_fit_unit, tasks, engine)
