"""Write the results bundle and its tables: results.json, CSV files, one XLSX workbook."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .._io import atomic_path

__all__ = ["write_results", "neutralise"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str)
                                    and v.startswith(_FORMULA_START) else v)
    return out


def write_results(bundle: dict, tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write into ``folder`` (each file atomically); return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with atomic_path(folder / "results.json") as tmp:
        tmp.write_text(json.dumps(bundle, ensure_ascii=False, indent=1, allow_nan=False),
                       encoding="utf-8")
    written.append(folder / "results.json")
    for name, t in tables.items():
        with atomic_path(folder / f"{name}.csv") as tmp:
            neutralise(t).to_csv(tmp, index=False, encoding="utf-8-sig")
        written.append(folder / f"{name}.csv")
    with atomic_path(folder / "tables.xlsx") as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, t in tables.items():
                neutralise(t).to_excel(xw, sheet_name=name[:31], index=False)
    written.append(folder / "tables.xlsx")
    return written
