"""The target margins of a weighting, level by level of ``by``: the rows of each level,
its margins as a category code per row, target categories without respondents (dropped,
the rest rescaled) and the diagnostics about the targets — shared by
:func:`crmsurvey.weighting.weigh` and the batched raking of
:mod:`crmsurvey.weighting.replicates`."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic
from ..errors import InputError
from ..notes import short_list
from .targets import Margin, code_key, column_codes, factor, margins_from, shown_code

__all__ = ["TABLE_COLUMNS", "level_margins", "targets_per_level", "prepare_level",
           "unused_levels", "concerns"]

#: Columns of :attr:`Raking.table`, one row per category of every target variable.
TABLE_COLUMNS = ["by", "variable", "category", "n", "sample_share", "target_share",
                 "weighted_share"]


def concerns(level: Any, *rest: str) -> tuple[str, ...]:
    """What a diagnostic concerns: the level of ``by`` (when there is one), then ``rest``."""
    return ((str(level),) if level is not None else ()) + tuple(rest)


def _per_level_given(targets: Mapping) -> bool:
    """Targets given per level: level → variable → category → target (a variable's
    targets are numbers)."""
    return isinstance(targets, Mapping) and bool(targets) and all(
        isinstance(v, Mapping) and v and all(isinstance(x, Mapping) for x in v.values())
        for v in targets.values())


def unused_levels(data: pd.DataFrame, targets: Mapping, by: str | None) -> list:
    """Levels given targets of their own that have no respondents."""
    if by is None or not _per_level_given(targets):
        return []
    present = set(factor(data[by])[1])
    return [k for k in targets if code_key(k) not in present]


def level_margins(data: pd.DataFrame, targets: Mapping, *, base: np.ndarray,
                  by: str | None = None) -> list[tuple[Any, np.ndarray, list]]:
    """The margins :func:`~crmsurvey.weighting.weigh` fits, per level of ``by`` (one
    entry, level None, without it): ``(level, row positions, margins)``, each margin
    ``(row → category index, −1 for none; target shares; number of categories;
    variable)`` — checked and with categories without respondents dropped (the rest
    rescaled) as ``weigh`` does; its diagnostics are ``weigh``'s to give.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"g": [1, 1, 2, 2, 2], "b": ["x", "x", "x", "y", "y"]})
    >>> [(lv, rows.tolist(), [(i.tolist(), p.tolist()) for i, p, _, _ in m])
    ...  for lv, rows, m in level_margins(df, {"g": {1: .5, 2: .5}}, base=np.ones(5),
    ...                                   by="b")]
    [('x', [0, 1, 2], [([0, 0, 1], [0.5, 0.5])]), ('y', [3, 4], [([1, 1], [0.0, 1.0])])]
    """
    return [(level, rows, prepare_level(data.iloc[rows], base[rows], margins, level, by)[0])
            for level, (rows, margins) in targets_per_level(data, targets, by).items()]


def targets_per_level(data: pd.DataFrame, targets: Mapping, by: str | None
                       ) -> dict[Any, tuple[np.ndarray, list[Margin]]]:
    """Level of ``by`` (None without it) → (its row positions, its margins)."""
    if by is None:
        return {None: (np.arange(len(data)), margins_from(targets))}
    if by not in data.columns:
        raise InputError(f"the 'by' column {by!r} is not in the data")
    codes, keys, written = factor(data[by])
    if (codes < 0).any():
        first = data.index[int(np.argmax(codes < 0))]
        raise InputError(f"{int((codes < 0).sum())} row(s) have no value of {by!r} (first: "
                         f"row {first}) and cannot be weighted within its levels")
    order = sorted(range(len(keys)), key=lambda i: (isinstance(keys[i], str), keys[i]))
    per_level_given = _per_level_given(targets)
    if per_level_given:
        given = {code_key(k): v for k, v in targets.items()}
        lacking = [written[i] for i in order if keys[i] not in given]
        if lacking:
            raise InputError(f"{by} {lacking[0]!r} has no targets",
                             hint="give targets for every level, or one set for all")
    common = None if per_level_given else margins_from(targets)
    out = {}
    for i in order:
        level = written[i]
        out[level] = (np.flatnonzero(codes == i), common if common is not None
                      else margins_from(given[keys[i]], where=f"targets.{level}"))
    return out


def prepare_level(data: pd.DataFrame, d: np.ndarray, margins: list[Margin], level: Any,
             by: str | None):
    """Each margin as (row → category, shares to fit, categories), the group's table
    (weighted shares to be filled in), and the diagnostics about the targets."""
    where = f" in {by} {level!r}" if by else ""
    fit_margins, rows, diags = [], [], []
    for m in margins:
        if m.variable not in data.columns:
            raise InputError(f"weighting variable {m.variable!r} is not in the data")
        idx, present, stray = column_codes(data[m.variable], m.categories)
        k = len(m.categories)
        counts = np.bincount(idx[idx >= 0], minlength=k)
        base_tot = np.bincount(idx[idx >= 0], weights=d[idx >= 0], minlength=k)
        known = int((idx >= 0).sum())
        for i, c in enumerate(m.categories):
            rows.append({"by": level, "variable": m.variable, "category": c,
                         "n": int(counts[i]),
                         "sample_share": counts[i] / known if known else np.nan,
                         "target_share": float(m.shares[i]), "weighted_share": np.nan})
        if (~present).any():
            diags.append(Diagnostic(
                "weight_missing", f"{int((~present).sum())} respondent(s){where} have no "
                f"value of {m.variable!r}: they keep their weight through its margin and "
                "are left out of its shares", "info",
                concerns(level, m.variable, str(int((~present).sum()))),
                params={"n": int((~present).sum()), "variable": m.variable}))
        if stray:
            n_stray = int((present & (idx < 0)).sum())
            diags.append(Diagnostic(
                "weight_uncovered", f"{n_stray} respondent(s){where} have a code of "
                f"{m.variable!r} without a target ({', '.join(map(_label, stray[:5]))}): "
                "they are treated as having no value", "warning",
                concerns(level, m.variable, ", ".join(map(_label, stray[:5]))),
                params={"n": n_stray, "variable": m.variable,
                        "codes": short_list(map(_label, stray), 5)}))
        empty = (base_tot <= 0) & (m.shares > 0)
        if empty.all() or known == 0:
            diags.append(Diagnostic(
                "weight_target_empty", f"no respondent{where} has a value of "
                f"{m.variable!r} with a target: that margin is left out", "warning",
                concerns(level, m.variable), params={"variable": m.variable}))
            continue
        p = m.shares.copy()
        if empty.any():
            cats = [_label(c) for c, e in zip(m.categories, empty) if e]
            diags.append(Diagnostic(
                "weight_target_empty", f"{m.variable} {', '.join(cats)}{where}: a target "
                f"category with no respondents (target {m.shares[empty].sum():.1%}); the "
                "other categories of the variable are raked to their targets rescaled to "
                "add up to 1", "warning", concerns(level, m.variable, ", ".join(cats)),
                params={"variable": m.variable, "categories": cats}))
            p[empty] = 0.0
            p = p / p.sum()
        fit_margins.append((idx, p, k, m.variable))
    return fit_margins, pd.DataFrame(rows, columns=TABLE_COLUMNS), diags


def _label(code: Any) -> str:
    return str(shown_code(code))
