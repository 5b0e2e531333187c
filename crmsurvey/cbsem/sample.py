"""The sample side of a CB-SEM fit, shared by every estimator (ML and its relatives in
:mod:`crmsurvey.cbsem.fit`, WLSMV in :mod:`crmsurvey.cbsem.wlsmv`): the model's columns
with the rows used, lavaan's covariance matrix, and lavaan's admissibility."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._data import kish_n_eff, numeric_columns, sampling_weights
from ..errors import InputError

__all__ = ["model_frame", "covariance", "admissible"]


def model_frame(observed, data: pd.DataFrame, weights, missing: str):
    """The model's columns (numeric), the weights, and the rows dropped."""
    absent = [v for v in observed if v not in data.columns]
    if absent:
        raise InputError(f"observed variable {absent[0]!r} of the model is not a column of "
                         "the data")
    frame = numeric_columns(data, list(observed))
    w = None if weights is None else sampling_weights(weights, data)
    keep = frame.notna().all(axis=1).to_numpy() if missing == "listwise" else \
        frame.notna().any(axis=1).to_numpy()
    if w is not None:
        keep = keep & (w > 0)
        w = w[keep]
    frame = frame[keep]
    for col in observed:
        if frame[col].nunique() < 2:
            raise InputError(f"variable {col!r} is constant in the rows used")
    return frame, w, int((~keep).sum())


def covariance(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, float]:
    """lavaan's S (divided by N, or by Σw) and the (Kish effective) sample size."""
    s = np.cov(x, rowvar=False, aweights=w, bias=True)
    return s, kish_n_eff(w, len(x))


def admissible(diagnostics) -> bool:
    """lavaan's sense: no problem with the solution itself (failed bootstrap resamples
    are a warning, not an improper solution)."""
    return not any(d.severity == "error" for d in diagnostics)
