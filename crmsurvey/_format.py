"""Formatting shared by result summaries (rounding, "–" for NaN, p formats) and JSON."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["format_table", "json_safe"]


def format_table(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            if c == "pvalue":
                out[c] = [("–" if not np.isfinite(v) else "< .001" if v < 0.001
                           else f"{v:.3f}") for v in out[c]]
            else:
                out[c] = [("–" if not np.isfinite(v) else f"{v:.{digits}f}") for v in out[c]]
    return out


def json_safe(obj):
    """NaN → None, numpy scalars → Python, recursively."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
