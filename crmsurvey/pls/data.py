"""Prepare the item matrix for PLS: checks with clear errors, missing data, weights."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np
import pandas as pd

from .._data import numeric_columns, sampling_weights
from ..errors import InputError
from .layout import Layout

__all__ = ["Prepared", "prepare", "identical_blocks"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Items as a float matrix (n, p) in layout order, row weights, what was done."""

    x: np.ndarray
    weights: np.ndarray  # (n,), ones when unweighted
    index: pd.Index  # the rows used
    n_dropped: int  # rows removed by listwise deletion
    n_imputed: int  # cells replaced by the item mean
    bounds: np.ndarray  # (p, 2) scale min and max per item
    bounds_observed: bool  # True where any bound came from the data


def _fail(msg: str, hint: str = "") -> InputError:
    return InputError(msg, hint=hint)


def prepare(data: pd.DataFrame, lay: Layout, *, missing: Literal["mean", "listwise"] = "mean",
            weights=None, scale=None) -> Prepared:
    """Check ``data`` against the model and return the numeric matrix the engine uses."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame (or crmsurvey Responses)")
    cols = list(map(str, data.columns))
    unknown = [i for i in lay.items if i not in cols]
    if unknown:
        close = difflib.get_close_matches(unknown[0], cols, n=1)
        owner = lay.constructs[lay.block[lay.items.index(unknown[0])]]
        raise _fail(f"item {unknown[0]!r} of construct {owner!r} is not a column of the data",
                    f"did you mean {close[0]!r}?" if close else "")
    frame = numeric_columns(data, list(lay.items))
    x = frame.to_numpy(dtype=float)
    w = np.ones(len(frame)) if weights is None else sampling_weights(weights, data)
    for j, c in enumerate(lay.constructs):
        block = x[:, lay.items_of(j)]
        if np.isnan(block).all():
            raise _fail(f"every value of construct {c!r}'s items is missing")
    keep = np.ones(len(frame), dtype=bool)
    if missing == "listwise":
        keep = ~np.isnan(x).any(axis=1)
    keep &= w > 0
    x, w = x[keep], w[keep]
    n_imputed = int(np.isnan(x).sum())
    if n_imputed:  # the (weighted) item mean, as SmartPLS and seminr do
        means = np.nansum(x * w[:, None], axis=0) / np.sum(~np.isnan(x) * w[:, None], axis=0)
        x = np.where(np.isnan(x), means, x)
    sd = x.std(axis=0)
    for j, col in enumerate(lay.items):
        if not np.isfinite(sd[j]) or sd[j] == 0:
            raise _fail(f"item {col!r} is constant (every kept row has the same value)",
                        "drop it from the model")
    n_par = int(lay.mask.sum() + lay.adj.sum())
    if len(x) <= max(n_par // 4, lay.adj.sum(axis=0).max() + 1, 2):
        raise _fail(f"only {len(x)} usable rows for a model with {n_par} parameters")
    bounds, observed = _bounds(scale, lay, x)
    return Prepared(x, w, frame.index[keep], int((~keep).sum()), n_imputed, bounds, observed)


def identical_blocks(x: np.ndarray, lay: Layout) -> tuple[str, str] | None:
    """Two constructs measured by the same answers (the same columns of ``x`` in any order),
    or None: their scores coincide whatever the weights, so no structural model can
    separate them — found from the data, not from whether a solver happens to fail."""
    seen: dict[frozenset, str] = {}
    for j, c in enumerate(lay.constructs):
        key = frozenset(x[:, i].tobytes() for i in lay.items_of(j))
        if key in seen:
            return seen[key], c
        seen[key] = c
    return None


def _bounds(scale, lay: Layout, x: np.ndarray) -> tuple[np.ndarray, bool]:
    observed = np.column_stack([x.min(axis=0), x.max(axis=0)])
    if scale is None:
        return observed, True
    if isinstance(scale, tuple) or (isinstance(scale, list) and len(scale) == 2
                                    and not isinstance(scale[0], (tuple, list))):
        lo, hi = map(float, scale)
        if lo >= hi:
            raise _fail(f"scale {scale!r}: min must be below max")
        return np.tile([lo, hi], (lay.p, 1)), False
    if isinstance(scale, Mapping):
        out = observed.copy()
        missing = False
        for i, item in enumerate(lay.items):
            if item in scale:
                out[i] = scale[item]
            else:
                missing = True
        return out, missing
    raise _fail("scale must be a (min, max) pair or a mapping item → (min, max)")
