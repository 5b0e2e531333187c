"""The study's survey design and how its standard errors are computed.

With ``design: {strata: ITEM, cluster: ITEM}`` the NPS, CSAT and item means of every
group get Taylor-linearised design-based standard errors (each group a domain of the
whole design; :mod:`crmsurvey.weighting.design`), and the PLS bootstrap behind the
indices and paths resamples clusters within strata
(:class:`crmsurvey.resampling.Cluster`). With ``rake_in_bootstrap: true`` the weighting
is repeated in every resample (:class:`crmsurvey.weighting.replicates.Rerake`) — of the
clusters when there is a design, of the respondents otherwise — and the NPS, CSAT and
item means take their standard errors from the same kind of resamples, so every
interval carries the weighting's own uncertainty. Without either, standard errors of
the scores use Kish's effective sample size and the bootstrap resamples respondents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._random import child_seed, text_key
from ..errors import InputError
from ..resampling import Cluster, Multinomial
from ..weighting.design import (Design, design_means, nps_values, share_values,
                               survey_design)
from ..weighting.replicates import Rerake, replicate_means
from .results import Diagnostic, Uncertainty, group_key
from .units import Unit

__all__ = ["StudyDesign", "study_design", "design_columns", "check_design"]


@dataclass(frozen=True, eq=False)
class StudyDesign:
    """The design of the study's kept rows, and how each figure's uncertainty is got.

    ``design`` (None without ``design:``); ``rerake``: (data, targets, options, weights)
    to rake every resample again (None without ``rake_in_bootstrap``); ``n_boot``: the
    resamples behind replicate standard errors; ``seed``: the study's seed."""

    design: Design | None
    rerake: tuple | None
    n_boot: int
    seed: int
    #: (group key, column key) → (standard error, effective n), from :meth:`compute`
    table: dict = field(default_factory=dict)
    #: resamples of the scores' replicates whose raking did not converge
    not_converged: list = field(default_factory=list)

    @property
    def scores(self) -> str:
        """How NPS, CSAT and item-mean SEs are computed: kish, taylor or replicates."""
        return "replicates" if self.rerake else "taylor" if self.design else "kish"

    def _rerake(self, seed: int) -> Rerake:
        data, targets, w, kwargs = self.rerake
        inner = Cluster(self.design, seed) if self.design else Multinomial(len(data), seed)
        return Rerake(inner, data, targets, weights=w, **kwargs)

    def scheme(self, unit: Unit, seed: int):
        """The resampling scheme of ``unit``'s bootstrap (None: the estimator's own) —
        over the unit's rows, drawn from the whole sample (a domain)."""
        if self.rerake is not None:
            return self._rerake(seed).rows(unit.rows)
        if self.design is not None:
            return self.design.rows(unit.rows)  # the estimator draws its clusters
        return None

    def compute(self, units: list[Unit], columns: dict, weights) -> None:
        """Standard errors and effective n of the weighted mean of every column
        (``columns``: key → values over all rows, NaN: not answered) in every unit,
        each a domain of the whole sample — in one pass: one sparse product (Taylor),
        or one run of re-raked resamples of the whole sample for all units and columns
        (the study's own resamples, seeded apart from the units' PLS bootstraps)."""
        keys = list(columns)
        if not keys or not units:
            return
        y = np.column_stack([np.asarray(columns[k], dtype=float) for k in keys])
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
        dom = np.column_stack([u.rows for u in units])
        if self.rerake is not None:
            scheme = self._rerake(child_seed(self.seed, text_key("scores")))
            mean, se = replicate_means(y, w, scheme, self.n_boot, dom)
            ok = np.isfinite(y)[:, None, :] & dom[:, :, None] & (w > 0)[:, None, None]
            dev = np.where(ok, np.nan_to_num(y)[:, None, :] - mean, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                var = (w[:, None, None] * dev**2).sum(0) / (ok * w[:, None, None]).sum(0)
                n_eff = np.where(se > 0, var / se**2, np.nan)
            self.not_converged.append(scheme.not_converged)
        else:
            m = design_means(y, w, self.design, dom)
            se, n_eff = m.se, m.n_eff
        for g, u in enumerate(units):
            for j, k in enumerate(keys):
                self.table[group_key(u.group), k] = (se[g, j], n_eff[g, j])

    def se(self, unit: Unit, key) -> tuple[float, float]:
        """(standard error, effective n) of column ``key`` in ``unit`` (see compute)."""
        return self.table.get((group_key(unit.group), key), (np.nan, np.nan))

    def score(self, unit: Unit, column, row: pd.Series, key: str,
              ci: float = 0.95) -> pd.Series:
        """``row`` (an :func:`~crmsurvey.analytics.nps` or ``csat`` row, ``key`` "nps" or
        "csat"; ``column`` its key in :meth:`compute`) with this design's standard error
        and effective n, and the interval of :func:`~crmsurvey.analytics.nps` / ``csat``
        on that effective n (adjusted Wald, Wilson: the design effect enters through
        n_eff, as Kish's does without a design)."""
        from ..analytics.scores import nps_interval, wilson_interval

        se, n_eff = self.se(unit, column)
        out = row.copy()
        out["se"] = 100 * se
        # no variance at all (every answer alike): the interval on the answers' own n
        out["n_eff"] = n = n_eff if np.isfinite(n_eff) else row["n_eff"]
        if key == "nps":
            lo, hi = nps_interval(row["promoters"] / 100, row["detractors"] / 100, n, ci)
        else:
            lo, hi = wilson_interval(row["csat"] / 100, n, ci)
        out["ci_lower"], out["ci_upper"] = 100 * float(lo), 100 * float(hi)
        return out

    def diagnostics(self) -> list[Diagnostic]:
        """Strata with a single cluster; resamples whose raking did not converge."""
        out = Diagnostic.of(self.design.diagnostics(), {}) if self.design else []
        n = sum(self.not_converged)
        if n:
            out.append(Diagnostic(
                code="rerake_not_converged", severity="warning", concerns=[str(n)],
                params={"n": n, "total": self.n_boot},
                message=f"raking did not converge in {n} of {self.n_boot} resamples behind "
                        "the NPS, CSAT and question-mean errors: their weights miss some "
                        "targets (loosen trim, or coarsen the targets)"))
        return out

    def info(self, resampling: str | None) -> Uncertainty:
        """What the results say about it (the report's methodology words it)."""
        d = self.design
        return Uncertainty(
            scores=self.scores, resampling=resampling,
            rake_in_bootstrap=self.rerake is not None,
            replicates=self.n_boot if self.rerake is not None else None,
            strata=d.columns["strata"] if d else None,
            cluster=d.columns["cluster"] if d else None,
            fpc=d.columns["fpc"] if d else None,
            n_strata=d.n_strata if d else None, n_clusters=d.n_clusters if d else None,
            lonely=list(d.lonely) if d else [])


def study_design(study, data: pd.DataFrame, raking) -> StudyDesign | None:
    """The study's design (``design:``) and re-raking (``rake_in_bootstrap:``) for its
    kept ``data``; ``raking``: the study's weighting (None without ``weighting:``). None
    when the study asks for neither."""
    d = study.definition
    if d.design is None and not d.rake_in_bootstrap:
        return None
    design = None
    if d.design is not None:
        o = d.design
        design = survey_design(data, strata=o.strata, cluster=o.cluster, fpc=o.fpc)
    rerake = None
    if d.rake_in_bootstrap:
        w = d.weighting
        if raking is None or w is None or w.rake is None:  # the loader says it at its line
            raise InputError("rake_in_bootstrap needs weighting: with rake:")
        targets = w.rake
        if isinstance(targets, str):  # a targets table, as the weighting read it
            from ..weighting.targets import read_target_table

            table = read_target_table(study.path(targets), name=targets)
            targets = table[None] if set(table) == {None} else table
        rerake = (data, targets, raking.weights,
                  dict(by=w.by, trim=w.trim, base=w.base, max_iter=w.max_iter, tol=w.tol))
    n_boot = d.pls.bootstrap if d.pls is not None and d.pls.bootstrap else 1000
    seed = d.pls.seed if d.pls is not None else (d.compare.seed if d.compare else 1)
    return StudyDesign(design, rerake, n_boot, seed)


def check_design(d, q, m) -> None:
    """The study's ``design:`` and ``rake_in_bootstrap:`` checked against the
    questionnaire when the study is loaded (an InputError at the line)."""
    import difflib

    from .schema import DesignOptions

    o = d.design
    if o is not None:
        if o.strata is None and o.cluster is None:
            raise m.error("design needs strata:, cluster: or both", ("design",),
                          hint=DesignOptions.FORMS)
        for role in ("strata", "cluster", "fpc"):
            name = getattr(o, role)
            if name is not None and name not in q.items:
                close = difflib.get_close_matches(name, list(q.items), n=1)
                raise m.error(f"design {role} {name!r} is not an item of the questionnaire",
                              ("design", role),
                              hint=f"did you mean {close[0]!r}?" if close else
                              "strata and clusters are items the data carry")
    if d.rake_in_bootstrap:
        w = d.weighting
        if w is None or w.rake is None:
            raise m.error("rake_in_bootstrap repeats the study's raking in every resample: "
                          "it needs weighting: with rake:", ("rake_in_bootstrap",),
                          hint="linear calibration and post-stratification are not "
                               "repeated in the bootstrap" if w is not None else
                               "add weighting: {rake: {ITEM: {CODE: SHARE}}}")


def design_columns(data: pd.DataFrame, nps_item: str | None, csat: dict[str, float],
                   rated) -> dict:
    """The per-respondent values whose means the study reports, keyed as
    :meth:`StudyDesign.score` and the item rows ask for them: the NPS as ±1/0, each CSAT
    item as 0/1 (at or above its top box), each rated item's answer."""
    out = {}
    if nps_item:
        out["nps", nps_item] = nps_values(pd.to_numeric(data[nps_item], errors="coerce"))
    for item, top in csat.items():
        out["csat", item] = share_values(pd.to_numeric(data[item], errors="coerce"), top)
    for item in rated:
        if item in data:
            out["item", item] = pd.to_numeric(data[item], errors="coerce").to_numpy(float)
    return out
