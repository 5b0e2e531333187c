"""Values a whole file takes: the wave or the brand an export holds but has no column for
(``load_responses(values={"wave": "2025"})``, a study's ``data: - values: {...}``).

A value is checked like an answer in the file: an item of the questionnaire, and a code
of the item's scale (a rating point, a categorical code) where it has one. A file that has
the item's column too must hold that value (or nothing) in every row — a blank is filled,
any other value is an InputError naming the row.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..questionnaire import Questionnaire
from .check import Checked

__all__ = ["apply_values", "value_refusal"]


def value_refusal(q: Questionnaire, item: str, value: Any) -> str:
    """Why ``value`` cannot be every row's answer to ``item`` ("" when it can)."""
    if item not in q.items:
        return f"{item!r} is not an item of the questionnaire"
    sc = q.scale(item)
    if sc is None:
        return "" if not isinstance(value, (dict, list)) else "a single value is needed"
    try:
        num = float(value)
    except (TypeError, ValueError):
        num = float("nan")
    if sc.type in ("binary", "categorical"):
        if num not in set(map(float, sc.values)):
            return (f"{value!r} is not a code of {item!r}'s scale (codes: "
                    f"{', '.join(str(v) for v in sc.values)})")
    elif sc.type == "rating":
        if not (sc.min <= num <= sc.max and float(num).is_integer()):
            return f"{value!r} is not a point of {item!r}'s scale {sc.min:g}–{sc.max:g}"
    elif not np.isfinite(num):
        return f"{value!r} is not a number"
    return ""


def apply_values(checked: Checked, q: Questionnaire, values: dict[str, Any],
                 source: str | None) -> None:
    """Set each item of ``values`` to its value in every row of ``checked`` (in place).
    An InputError (``concerns`` = the item) for a value that is not a code of the item's
    scale, or a column of the file holding another value."""
    for item, value in values.items():
        refusal = value_refusal(q, item, value)
        if refusal:
            raise InputError(f"values: {refusal}", path=source, concerns=item)
        scaled = q.scale(item) is not None
        target = checked.values if scaled else checked.meta
        given = float(value) if scaled else str(value)
        if item in target:
            col = target[item]
            have = col.notna()
            differ = have & ((col != given) if scaled else (col.astype(str) != given))
            if differ.any():
                i = int(np.flatnonzero(differ.to_numpy())[0])
                held = col.iloc[i]
                held = f"{held:g}" if isinstance(held, (float, np.floating)) else str(held)
                raise InputError(
                    f"values: every row's {item!r} is set to {value!r}, but the file's "
                    f"column {checked.columns.get(item, item)!r} holds {held!r} in "
                    f"row {i + 1} ({int(differ.sum())} row(s) differ)", path=source,
                    concerns=item, hint="drop the value from values:, or the column")
            target[item] = col.where(have, given)
        else:
            target[item] = pd.Series(given, index=target.index,
                                     dtype=float if scaled else "object")
        if scaled:
            codes = checked.codes.get(item)
            checked.codes[item] = (codes.where(target[item].isna(), pd.NA) if codes is not None
                                   else pd.Series(pd.NA, index=checked.codes.index,
                                                  dtype="object"))
        checked.columns.setdefault(item, item)
