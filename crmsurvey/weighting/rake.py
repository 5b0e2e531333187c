"""Survey weights from population targets: raking (iterative proportional fitting),
post-stratification on cells and linear (GREG) calibration, with trimming, within the
levels of a ``by`` column, and everything a reader needs to judge them.

The weights have **mean 1 within the sample, and within each level of** ``by`` **when
it is given** (each level keeps its sample size as its weighted size, so levels are not
re-sized against each other; the overall mean is then 1 too). Trimming bounds are
relative to that mean.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import _defaults as D
from .._data import sampling_weights
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from .fit import fit, shares_of
from .levels import TABLE_COLUMNS, concerns, prepare_level, targets_per_level, unused_levels
from .targets import Margin, code_key, column_codes, shown_code

__all__ = ["Raking", "rake", "poststratify", "calibrate", "weigh", "TABLE_COLUMNS",
           "GROUP_COLUMNS"]

Method = Literal["rake", "poststratify", "linear"]

#: Columns of :attr:`Raking.groups`, one row per level of ``by`` (one row without it).
GROUP_COLUMNS = ["by", "n", "n_eff", "deff", "efficiency", "weight_min", "weight_max",
                 "iterations", "max_error", "converged"]


@dataclass(frozen=True, eq=False)
class Raking:
    """Weights computed from population targets, and how well they fit.

    Attributes
    ----------
    weights : ndarray
        One weight per row of the data, mean 1 in the sample and in each ``by`` level.
    table : DataFrame
        :data:`TABLE_COLUMNS`: per (``by`` level, variable, category) the respondents
        ``n``, the unweighted sample share, the target share and the weighted share.
        With ``by``, rows with ``by`` None come first: the whole sample, its target the
        levels' targets weighted by the levels' sizes.
    groups : DataFrame
        :data:`GROUP_COLUMNS`: per ``by`` level its n, Kish's n_eff, design effect and
        efficiency, weight range, iterations, largest margin error and convergence.
    iterations, max_error, converged
        The most iterations, the largest margin error over all groups, and whether
        every group converged.
    deff, efficiency, n_eff, weight_min, weight_max
        Kish's design effect ``1 + CV²`` of all the weights (``CV`` with the population
        standard deviation), its inverse, ``n / deff``, and the weight range.
    diagnostics : tuple of Diagnostic
        Empty target categories, non-convergence, an extreme design effect, missing
        values and codes without a target, negative weights (linear calibration).
    """

    method: str
    variables: tuple[str, ...]
    by: str | None
    trim: tuple[float, float] | None
    weights: np.ndarray = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    groups: pd.DataFrame = field(repr=False)
    iterations: int
    max_error: float
    converged: bool
    deff: float
    efficiency: float
    n_eff: float
    weight_min: float
    weight_max: float
    diagnostics: tuple[Diagnostic, ...] = ()
    tol: float = 1e-6
    max_iter: int = 100

    def summary(self) -> str:
        """The diagnostics as text: method, convergence, weight range, design effect,
        the margins table and the notes."""
        status = "converged" if self.converged else "did NOT converge"
        lines = [f"Weights by {self.method} on {', '.join(self.variables)}"
                 + (f" within each level of {self.by}" if self.by else "")
                 + (f", trimmed to [{self.trim[0]:g}, {self.trim[1]:g}]" if self.trim else ""),
                 f"  {status} after {self.iterations} iteration(s); largest margin error "
                 f"{self.max_error:.2g} (tolerance {self.tol:g})",
                 f"  weights {self.weight_min:.3f} to {self.weight_max:.3f} (mean 1); Kish "
                 f"design effect {self.deff:.3f}, efficiency {self.efficiency:.1%}, "
                 f"effective n {self.n_eff:.1f} of {len(self.weights)}", ""]
        t = self.table.copy()
        if self.by is None:
            t = t.drop(columns="by")
        else:  # the whole sample's rows first
            t["by"] = t["by"].astype(object).where(t["by"].notna(), "all")
        lines.append(t.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        if self.by is not None:
            lines += ["", self.groups.to_string(index=False, float_format=lambda x: f"{x:.3f}")]
        if self.diagnostics:
            lines += ["", "Notes:"] + [f"  [{i}] {d.message}"
                                       for i, d in enumerate(self.diagnostics, 1)]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for results.json (everything but the weights themselves)."""
        def records(df: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]
        return {"method": self.method, "variables": list(self.variables), "by": self.by,
                "trim": list(self.trim) if self.trim else None,
                "iterations": self.iterations, "max_error": self.max_error,
                "converged": self.converged, "deff": self.deff,
                "efficiency": self.efficiency, "n_eff": self.n_eff, "n": len(self.weights),
                "weight_min": self.weight_min, "weight_max": self.weight_max,
                "tol": self.tol, "max_iter": self.max_iter,
                "groups": records(self.groups), "table": records(self.table),
                "diagnostics": [asdict(d) for d in self.diagnostics]}

    def __repr__(self) -> str:
        return (f"<Raking {self.method} on {', '.join(self.variables)}: "
                f"{'converged' if self.converged else 'not converged'}, deff "
                f"{self.deff:.3f}, n_eff {self.n_eff:.1f}, weights {self.weight_min:.3f}–"
                f"{self.weight_max:.3f}, {len(self.diagnostics)} diagnostic(s)>")


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def rake(data: pd.DataFrame, targets: Mapping[str, Mapping[Any, float]], *,
         base: np.ndarray | str | None = None, by: str | None = None,
         trim: tuple[float, float] | None = None, max_iter: int = 100,
         tol: float = 1e-6) -> Raking:
    """Rake the sample to population margins (iterative proportional fitting).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, with a column per target variable.
    targets : mapping or path
        Variable → {category: share or count}, e.g. ``{"gender": {1: .49, 2: .51}}``
        (shares add up to 1; counts or percentages are divided by their sum). With
        ``by``, either the same targets for every level, or level → such a mapping. Or a
        CSV table with columns ``variable, category, target`` (``by`` first for targets
        per level).
    base : array or column name, optional
        Design weights to start from (default: equal).
    by : str, optional
        Rake within each level of this column (to that level's targets).
    trim : (low, high), optional
        Bounds on the weights relative to their mean (1); weights are clipped after
        each sweep and raked again, until margins and bounds both hold.
    max_iter, tol
        At most ``max_iter`` sweeps; converged when every achieved share is within
        ``tol`` of its target.

    Returns
    -------
    Raking
        Weights with mean 1 (within each ``by`` level), the margins table, design
        effect, n_eff and diagnostics (also raised as warnings).

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> df = pd.DataFrame({"gender": [1, 1, 1, 2] * 25, "age": [1, 1, 2, 2, 2] * 20})
    >>> r = cs.rake(df, {"gender": {1: .49, 2: .51}, "age": {1: .3, 2: .7}})
    >>> r.converged, round(r.deff, 3), round(r.n_eff, 1)
    (True, 1.417, 70.6)
    >>> print(r.table.drop(columns="by").round(3).to_string(index=False))
    variable  category  n  sample_share  target_share  weighted_share
      gender         1 75          0.75          0.49            0.49
      gender         2 25          0.25          0.51            0.51
         age         1 40          0.40          0.30            0.30
         age         2 60          0.60          0.70            0.70
    """
    return weigh(data, targets, method="rake", base=base, by=by, trim=trim,
                 max_iter=max_iter, tol=tol)


def calibrate(data: pd.DataFrame, targets: Mapping[str, Mapping[Any, float]], *,
              base: np.ndarray | str | None = None, by: str | None = None,
              trim: tuple[float, float] | None = None, max_iter: int = 100,
              tol: float = 1e-6) -> Raking:
    """Linear (GREG) calibration to population margins, as R survey's
    ``calibrate(design, ~gender + age, population, calfun = "linear")``: weights
    ``d·(1 + xᵀλ)`` closest to the base weights ``d`` in chi-square distance. Margins
    are met in one step; weights may be negative (a diagnostic) unless ``trim`` bounds
    them. Arguments as :func:`rake`.

    Examples
    --------
    One margin: linear calibration is post-stratification on it.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"gender": [1, 1, 1, 2]})
    >>> calibrate(df, {"gender": {1: .5, 2: .5}}).weights.round(4).tolist()
    [0.6667, 0.6667, 0.6667, 2.0]
    """
    return weigh(data, targets, method="linear", base=base, by=by, trim=trim,
                 max_iter=max_iter, tol=tol)


def poststratify(data: pd.DataFrame, cells: pd.DataFrame | Sequence[Mapping[str, Any]], *,
                 base: np.ndarray | str | None = None, by: str | None = None,
                 trim: tuple[float, float] | None = None, max_iter: int = 100,
                 tol: float = 1e-6) -> Raking:
    """Post-stratify to population cells: each cell's weights scaled so that its weighted
    share is its target, ``wᵢ = dᵢ · Tc / Σ_{j∈c} dⱼ`` (target as a share of the total).

    ``cells`` is a table (or records, or a CSV file) with one column per variable, a
    ``target`` column (shares or counts), and with ``by`` optionally a ``by`` column giving
    each level its own cells. Other arguments as :func:`rake`.

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> df = pd.DataFrame({"gender": [1, 1, 1, 2], "age": [1, 2, 1, 2]})
    >>> cells = pd.DataFrame({"gender": [1, 1, 2], "age": [1, 2, 2],
    ...                       "target": [.3, .3, .4]})
    >>> cs.poststratify(df, cells).weights.round(2).tolist()
    [0.6, 1.2, 0.6, 1.6]
    """
    if isinstance(cells, (str, os.PathLike)):  # a cells table (CSV)
        from .targets import read_cell_table

        cells = read_cell_table(cells)[0]
    frame = pd.DataFrame(list(cells)) if not isinstance(cells, pd.DataFrame) else cells
    if "target" not in frame.columns:
        raise InputError("post-stratification cells need a 'target' column")
    variables = [c for c in frame.columns if c not in ("target", "by")]
    if not variables:
        raise InputError("post-stratification cells need at least one variable column")
    name = " × ".join(map(str, variables))

    def as_targets(rows: pd.DataFrame) -> dict:
        return {name: {_cell(r[variables]): r["target"] for _, r in rows.iterrows()}}

    if "by" in frame.columns:
        targets: Mapping = {lvl: as_targets(rows) for lvl, rows in frame.groupby("by", sort=False)}
    else:
        targets = as_targets(frame)
    gone = [v for v in variables if v not in data.columns]
    if gone:
        raise InputError(f"weighting variable {gone[0]!r} is not in the data")
    cell_data = data.copy()
    cell_data[name] = _cells(data, variables)
    return weigh(cell_data, targets, method="poststratify", base=base, by=by, trim=trim,
                 max_iter=max_iter, tol=tol, variables=tuple(map(str, variables)))


def _cell(values) -> str | None:
    """A cell's code: its variables' codes joined (``1 / 2``); None if one is missing."""
    keys = [code_key(v) for v in values]
    if any(k is None for k in keys):
        return None
    return " / ".join(str(shown_code(k)) for k in keys)


def _cells(data: pd.DataFrame, variables: list) -> pd.Series:
    """Every row's cell code (as :func:`_cell`), built column by column from each
    column's distinct values."""
    text = np.full(len(data), "", dtype=object)
    missing = np.zeros(len(data), dtype=bool)
    for j, v in enumerate(variables):
        codes, uniques = pd.factorize(pd.Series(data[v].to_numpy(dtype=object)))
        keys = [code_key(u) for u in uniques]
        shown = np.array([str(shown_code(k)) if k is not None else "" for k in keys] + [""],
                         dtype=object)
        missing |= (codes < 0) | np.isin(codes, [i for i, k in enumerate(keys) if k is None])
        text = text + ("" if j == 0 else " / ") + shown[codes]
    return pd.Series(np.where(missing, None, text), index=data.index, dtype=object)


def weigh(data: pd.DataFrame, targets: Mapping, *, method: Method = "rake",
          base: np.ndarray | str | None = None, by: str | None = None,
          trim: tuple[float, float] | None = None, max_iter: int = 100, tol: float = 1e-6,
          variables: tuple[str, ...] | None = None, warn: bool = True) -> Raking:
    """:func:`rake`, :func:`calibrate` or :func:`poststratify` by ``method`` (targets as
    variable → category → share; for ``poststratify`` one variable whose categories are
    the cells). ``warn=False`` leaves the diagnostics on the result unraised."""
    if method not in ("rake", "poststratify", "linear"):
        raise InputError(f"unknown weighting method {method!r}",
                         hint="rake, poststratify or linear")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise InputError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise InputError(f"tol must be positive, got {tol!r}")
    if trim is not None:
        trim = (float(trim[0]), float(trim[1]))
        if not (0 <= trim[0] < 1 < trim[1] and np.isfinite(trim[1])):
            raise InputError(f"trim bounds {list(trim)} must be low < 1 < high, relative "
                             "to the mean weight", hint="e.g. [0.3, 3.0]")
    if isinstance(targets, (str, os.PathLike)):  # a targets table (CSV)
        from .targets import read_target_table

        table = read_target_table(targets)
        targets = table[None] if set(table) == {None} else table
    n = len(data)
    if n == 0:
        raise InputError("no rows to weight")
    d = np.ones(n) if base is None else sampling_weights(base, data)
    per_level = targets_per_level(data, targets, by)
    diags: list[Diagnostic] = [Diagnostic(
        "weight_target_empty", f"{by} {lv!r} has targets but no respondents", "info",
        (str(lv),), params={"variable": str(by), "categories": [str(lv)]})
        for lv in unused_levels(data, targets, by)]
    weights = np.zeros(n)
    tables, groups = [], []
    for level, (rows, margins) in per_level.items():
        if not d[rows].sum() > 0:
            raise InputError("the base weights" + (f" in {by} {level!r}" if by else "")
                             + " are all 0: there is nothing to weight")
        fit_margins, table, gdiags = prepare_level(data.iloc[rows], d[rows], margins, level, by)
        diags += gdiags
        if not fit_margins:
            raise InputError("no target variable has respondents with a value"
                             + (f" in {by} {level!r}" if by else ""))
        res = fit(d[rows], [(i, p) for i, p, _, _ in fit_margins], method, trim=trim,
                  max_iter=max_iter, tol=tol)
        w = res.weights / res.weights.mean()
        weights[rows] = w
        variable = table["variable"].to_numpy()
        for idx, _, k, var in fit_margins:
            table.loc[variable == var, "weighted_share"] = shares_of(w, idx, k)
        tables.append(table)
        groups.append(_group_row(level, w, res))
        where = f" in {by} {level!r}" if by else ""
        if not res.converged:
            diags.append(Diagnostic(
                "weight_not_converged", f"{_METHOD_NAMES[method]} did not converge{where}: "
                f"largest margin error {res.max_error:.2g} after {res.iterations} "
                f"iteration(s) (tolerance {tol:g})" + (
                    f"; the trimming bounds [{trim[0]:g}, {trim[1]:g}] may be too tight"
                    if trim else ""), "warning", concerns(level, f"{res.max_error:.2g}"),
                params={"error": res.max_error, "iterations": res.iterations}))
        if (w < 0).any():
            diags.append(Diagnostic(
                "weight_negative", f"{int((w < 0).sum())} negative weight(s){where} from "
                "linear calibration: give trim bounds, or rake instead", "warning",
                concerns(level, str(int((w < 0).sum()))),
                params={"n": int((w < 0).sum())}))
    if by is not None:
        tables.insert(0, _whole_sample(data, weights, per_level))
    table = pd.concat(tables, ignore_index=True)[TABLE_COLUMNS]
    gtable = pd.DataFrame(groups, columns=GROUP_COLUMNS)
    deff = _kish_deff(weights)
    for row in gtable.itertuples():
        if row.deff > D.WEIGHT_DEFF_MAX:
            where = f" in {by} {row.by!r}" if by else ""
            diags.append(Diagnostic(
                "weight_deff_high", f"the weights' design effect is {row.deff:.2f}{where} "
                f"(above {D.WEIGHT_DEFF_MAX:g}): the effective sample is {row.n_eff:.0f} of "
                f"{row.n} — consider trim bounds or coarser targets", "warning",
                concerns(row.by, f"{row.deff:.2f}"),
                params={"deff": row.deff, "limit": D.WEIGHT_DEFF_MAX, "n_eff": row.n_eff,
                        "n": row.n}))
    named = variables or tuple(dict.fromkeys(m.variable for _, margins in per_level.values()
                                             for m in margins))
    out = Raking(method=method, variables=named,
                 by=by, trim=trim, weights=weights, table=table, groups=gtable,
                 iterations=int(gtable["iterations"].max()),
                 max_error=float(gtable["max_error"].max()),
                 converged=bool(gtable["converged"].all()), deff=deff, efficiency=1 / deff,
                 n_eff=n / deff, weight_min=float(weights.min()),
                 weight_max=float(weights.max()), diagnostics=tuple(diags), tol=tol,
                 max_iter=max_iter)
    if warn:
        warn_all(out.diagnostics)
    return out


_METHOD_NAMES = {"rake": "raking", "poststratify": "post-stratification",
                 "linear": "linear calibration"}


def _kish_deff(w: np.ndarray) -> float:
    """Kish's design effect of weighting, ``n Σw² / (Σw)²`` (= 1 + CV²)."""
    return float(len(w) * (w**2).sum() / w.sum() ** 2)


def _group_row(level: Any, w: np.ndarray, res) -> dict:
    deff = _kish_deff(w)
    return {"by": level, "n": len(w), "n_eff": len(w) / deff, "deff": deff,
            "efficiency": 1 / deff, "weight_min": float(w.min()),
            "weight_max": float(w.max()), "iterations": res.iterations,
            "max_error": res.max_error, "converged": res.converged}


def _whole_sample(data: pd.DataFrame, w: np.ndarray,
                  per_level: dict[Any, tuple[np.ndarray, list[Margin]]]) -> pd.DataFrame:
    """With ``by``: the whole sample's rows of the table (``by`` None) — its sample and
    weighted shares, and as target the levels' targets weighted by each level's weight
    (of the rows with a value; NaN where a level has no target for the variable)."""
    cats: dict[str, dict[Any, Any]] = {}
    for _, margins in per_level.values():
        for m in margins:
            for c in m.categories:
                cats.setdefault(m.variable, {}).setdefault(code_key(c), c)
    rows = []
    for var, keyed in cats.items():
        categories = tuple(keyed.values())
        idx, _, _ = column_codes(data[var], categories)
        k = len(categories)
        counts = np.bincount(idx[idx >= 0], minlength=k)
        weighted = shares_of(w, idx, k)
        target, mass = np.zeros(k), 0.0
        for rows_l, margins in per_level.values():
            m = next((m for m in margins if m.variable == var), None)
            il = idx[rows_l]
            level_mass = float(w[rows_l][il >= 0].sum())
            if m is None:
                target[:] = np.nan
                continue
            where = {code_key(c): s for c, s in zip(m.categories, m.shares)}
            target += level_mass * np.array([where.get(code_key(c), 0.0) for c in categories])
            mass += level_mass
        target = target / mass if mass > 0 else np.full(k, np.nan)
        known = counts.sum()
        rows += [{"by": None, "variable": var, "category": c, "n": int(counts[i]),
                  "sample_share": counts[i] / known if known else np.nan,
                  "target_share": float(target[i]), "weighted_share": float(weighted[i])}
                 for i, c in enumerate(categories)]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
