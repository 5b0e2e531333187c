"""Loyalty typologies: Dick & Basu (1994) relative attitude × repeat behaviour."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TYPES", "dick_basu", "typology_shares"]

#: (high attitude, high behaviour) → type
TYPES = {(True, True): "loyal", (True, False): "latent", (False, True): "spurious",
         (False, False): "no_loyalty"}


def dick_basu(attitude, behaviour, *, cut_attitude: float | None = None,
              cut_behaviour: float | None = None) -> tuple[pd.Series, dict[str, float]]:
    """Each respondent's type and the cut-offs used.

    "High" means strictly above the cut-off; the defaults are the medians of the answered
    values (stated in the report). Rows missing either score get no type (NaN).

    Examples
    --------
    >>> types, cuts = dick_basu([1, 5, 5, 1], [1, 5, 1, 5], cut_attitude=3, cut_behaviour=3)
    >>> types.tolist()
    ['no_loyalty', 'loyal', 'latent', 'spurious']
    """
    a = pd.to_numeric(pd.Series(attitude), errors="coerce").reset_index(drop=True)
    b = pd.to_numeric(pd.Series(behaviour), errors="coerce").reset_index(drop=True)
    ok = a.notna() & b.notna()
    ca = float(a[ok].median()) if cut_attitude is None else float(cut_attitude)
    cb = float(b[ok].median()) if cut_behaviour is None else float(cut_behaviour)
    out = pd.Series(np.nan, index=a.index, dtype=object)
    for (high_a, high_b), name in TYPES.items():
        sel = ok & ((a > ca) == high_a) & ((b > cb) == high_b)
        out[sel] = name
    return out, {"attitude": ca, "behaviour": cb}


def typology_shares(types: pd.Series, groups: pd.Series | None = None) -> pd.DataFrame:
    """Shares (%) of each type overall (group ``"all"``) and per group."""
    frame = pd.DataFrame({"type": types.to_numpy(),
                          "group": "all" if groups is None else groups.astype(str).to_numpy()})
    frame = frame.dropna(subset=["type"])
    parts = [frame.assign(group="all")] + ([frame] if groups is not None else [])
    table = pd.concat(parts).groupby(["group", "type"]).size().unstack(fill_value=0)
    table = table.reindex(columns=list(TYPES.values()), fill_value=0)
    shares = 100 * table.div(table.sum(axis=1), axis=0)
    shares.insert(0, "n", table.sum(axis=1))
    order = ["all"] + sorted(g for g in shares.index if g != "all")
    return shares.reindex(order).reset_index()
