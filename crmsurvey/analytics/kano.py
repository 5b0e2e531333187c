"""Kano feature classification (Kano et al. 1984; Berger et al. 1993).

Each feature is asked twice — functional ("if it has …") and dysfunctional ("if it
lacks …") — with five answers coded 1 like, 2 must-be, 3 neutral, 4 live with,
5 dislike. The evaluation table turns a respondent's pair into A (attractive),
O (one-dimensional), M (must-be), I (indifferent), R (reverse) or Q (questionable).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["EVALUATION", "CATEGORIES", "classify", "kano_table", "kano_pairs"]

#: rows: functional answer 1–5, columns: dysfunctional answer 1–5
EVALUATION = np.array([
    ["Q", "A", "A", "A", "O"],
    ["R", "I", "I", "I", "M"],
    ["R", "I", "I", "I", "M"],
    ["R", "I", "I", "I", "M"],
    ["R", "R", "R", "R", "Q"],
])
#: Order used to break ties for the dominant category (Berger et al.: M > O > A > I).
CATEGORIES = ("M", "O", "A", "I", "R", "Q")


def classify(functional, dysfunctional) -> np.ndarray:
    """Category of each answer pair; ``None`` where either half is missing or off 1–5."""
    f = np.asarray(pd.to_numeric(pd.Series(functional), errors="coerce"), dtype=float)
    d = np.asarray(pd.to_numeric(pd.Series(dysfunctional), errors="coerce"), dtype=float)
    ok = np.isin(f, [1, 2, 3, 4, 5]) & np.isin(d, [1, 2, 3, 4, 5])
    out = np.full(len(f), None, dtype=object)
    out[ok] = EVALUATION[f[ok].astype(int) - 1, d[ok].astype(int) - 1]
    return out


def kano_pairs(questionnaire) -> dict[str, tuple[str, str]]:
    """feature → (functional item, dysfunctional item) from a questionnaire."""
    pairs: dict[str, dict[str, str]] = {}
    for item_id, item in questionnaire.items.items():
        if item.role in ("kano_functional", "kano_dysfunctional"):
            pairs.setdefault(item.feature, {})[item.role.split("_")[1]] = item_id
    return {f: (p["functional"], p["dysfunctional"]) for f, p in pairs.items()}


def kano_table(data: pd.DataFrame, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per feature: ``feature, n, incomplete, A, O, M, I, R, Q`` (shares in %),
    ``dominant, better, worse`` (Berger et al. 1993: better = (A+O)/(A+O+M+I),
    worse = −(O+M)/(A+O+M+I))."""
    rows = []
    for feature, (f_item, d_item) in pairs.items():
        for item in (f_item, d_item):
            if item not in data.columns:
                raise InputError(f"Kano item {item!r} of feature {feature!r} is not a column "
                                 "of the data")
        answered = data[[f_item, d_item]].notna()
        half = int((answered.sum(axis=1) == 1).sum())
        cats = classify(data[f_item], data[d_item])
        valid = cats[cats != None]  # noqa: E711 — object array of letters and None
        n = len(valid)
        counts = {c: int((valid == c).sum()) for c in CATEGORIES}
        core = counts["A"] + counts["O"] + counts["M"] + counts["I"]
        dominant = max(CATEGORIES, key=lambda c: (counts[c], -CATEGORIES.index(c))) if n else None
        rows.append({
            "feature": feature, "n": n, "incomplete": half,
            **{c: 100 * counts[c] / n if n else np.nan for c in "AOMIRQ"},
            "dominant": dominant,
            "better": (counts["A"] + counts["O"]) / core if core else np.nan,
            "worse": -(counts["O"] + counts["M"]) / core if core else np.nan,
        })
    return pd.DataFrame(rows, columns=["feature", "n", "incomplete", "A", "O", "M", "I", "R",
                                       "Q", "dominant", "better", "worse"])
