"""Results particular to staged models: simple slopes of interaction terms and the
first-stage measurement model (see :mod:`crmsurvey.pls.staged`)."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import pandas as pd

from ..model import ModelSpec
from .stats import Options
from .staged import Staged, Staging

__all__ = ["staged_inputs", "simple_slopes", "first_stage_table", "LEVELS"]

#: moderator levels of the simple-slope table, in standard deviations
LEVELS = (-1.0, 0.0, 1.0)


def staged_inputs(prep, staging: Staging, opts: Options):
    """The source of the final model's data, the prepared data with the final items
    (derived columns have no response scale: NaN bounds, so no 0–100 index) and the
    options with those bounds."""
    bounds = np.full((staging.final.p, 2), np.nan)
    plain = staging.source >= 0
    bounds[plain] = prep.bounds[staging.source[plain]]
    opts = replace(opts, bounds=bounds)
    source = Staged(prep.x, prep.weights, staging, opts)
    x = source.data(prep.weights[None])[0]
    return source, replace(prep, x=x, bounds=bounds), opts


def simple_slopes(paths: pd.DataFrame, spec: ModelSpec, draws: np.ndarray | None,
                  jack: np.ndarray | None, *, intervals: Callable) -> pd.DataFrame:
    """Simple slopes of each interaction ``Y ~ A + B + A:B``: the effect of ``A`` on ``Y``
    with the moderator ``B`` at −1, 0 and +1 SD, ``β_A + level · β_A:B`` in standardised
    units (as SmartPLS and seminr's ``slope_analysis``); for a quadratic term ``A:A`` the
    slope of ``A`` at that level of ``A``, ``β_A + 2 · level · β_A:A``. Intervals and SEs
    come from the same bootstrap draws as the paths."""
    key = {(r.lhs, r.rhs): i for i, r in enumerate(paths.itertuples())}
    rows, combos = [], []
    for lhs, term in spec.paths:
        if ":" not in term:
            continue
        iv, mod = term.split(":")
        if (lhs, iv) not in key:
            continue  # no main effect: no simple slope to speak of
        factor = 2.0 if iv == mod else 1.0
        for level in LEVELS:
            c = np.zeros(len(paths))
            c[key[(lhs, iv)]] = 1.0
            c[key[(lhs, term)]] = factor * level
            rows.append((lhs, iv, mod, level))
            combos.append(c)
    out = pd.DataFrame(rows, columns=["lhs", "iv", "moderator", "level"])
    if not rows:
        return out
    combo = np.array(combos).T  # (paths, slopes)
    out["slope"] = paths.est.to_numpy() @ combo
    if draws is not None:
        d = draws @ combo
        out["se"] = np.nanstd(d, axis=0, ddof=1)
        out["ci_lower"], out["ci_upper"] = intervals(
            out.slope.to_numpy(), d, None if jack is None else jack @ combo)
    return out


def first_stage_table(staging: Staging | None, source, base_w: np.ndarray
                      ) -> pd.DataFrame | None:
    """Loadings and weights of the first-order model whose scores the final model uses
    (``lhs, op, rhs, loading, weight``), or None when no stage-1 scores are used."""
    if staging is None or not staging.needs_scores:
        return None
    lay = staging.first
    _, st = source.first_stage(base_w[None])
    own = st.loadings[0][np.arange(lay.p), lay.block]
    return pd.DataFrame({"lhs": [lay.constructs[b] for b in lay.block],
                         "op": ["<~" if lay.mode_b[b] else "=~" for b in lay.block],
                         "rhs": list(lay.items), "loading": own, "weight": st.weights[0]})
