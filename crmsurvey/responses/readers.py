"""Read survey data files into a raw table, keeping what the file says about codes.

Formats, by file ending: ``.csv``/``.txt``/``.tsv`` (UTF-8, UTF-8 or UTF-16 with a BOM,
GB18030/GBK — decoded strictly, see :mod:`crmsurvey.responses.encoding`; Qualtrics exports
with their three header rows), ``.xlsx``,
``.sav``/``.zsav`` (SPSS, with value labels and user-missing codes), ``.dta`` (Stata),
``.parquet``. Values are returned as read (column names as text: an Excel header ``5`` is
the column ``"5"``): checking against the questionnaire is
:mod:`crmsurvey.responses.check`'s job. Files are checked against
:mod:`crmsurvey.responses.limits` before they are parsed.
"""
from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..notes import Note
from . import limits
from .encoding import LEGACY, decode_text

__all__ = ["RawTable", "read_table", "decode_text"]

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".sav": "sav", ".zsav": "sav", ".dta": "dta", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class RawTable:
    """A data file as read: values untouched, plus what the file said about them."""

    frame: pd.DataFrame
    source: str
    format: str
    encoding: str | None = None
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing_codes: dict[str, set] = field(default_factory=dict)
    question_text: dict[str, str] = field(default_factory=dict)  # Qualtrics header row 2
    notes: list[Note] = field(default_factory=list)


def read_table(path: str | Path, *, encoding: str | None = None,
               sheet: str | int | None = None, name: str | None = None) -> RawTable:
    """Read one data file. Unreadable files raise InputError naming the file — by
    ``name`` when given (the path as the user wrote it, e.g. relative to a study file)."""
    p = Path(path)
    src = name or str(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown data format {p.suffix!r}", path=src,
                         hint="use .csv, .xlsx, .sav, .dta or .parquet")
    if not p.is_file():
        raise InputError("no such file", path=src)
    limits.check_size(p, src)
    try:
        table = {"csv": _read_csv, "xlsx": _read_xlsx, "sav": _read_stat, "dta": _read_stat,
                 "parquet": _read_parquet}[fmt](p, src, encoding=encoding, sheet=sheet, fmt=fmt)
    except InputError:
        raise
    except Exception as exc:  # a library's own error about a broken file
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read as {fmt}: {msg}", path=src) from None
    limits.check_columns(table.frame.shape[1], src)
    table.frame.columns = [str(c) for c in table.frame.columns]
    return table


def _read_csv(p: Path, src: str, *, encoding, fmt, **_) -> RawTable:
    limits.check_text_lines(p, src)
    text, enc = decode_text(p.read_bytes(), src, encoding)
    if not text.strip():
        raise InputError("the file is empty", path=src)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                skip_blank_lines=True, index_col=False)
    except pd.errors.ParserWarning:
        raise InputError("broken CSV: a row has more fields than the header", path=src,
                         line=1) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = f"line {m.group(1)} has {m.group(2)} fields" if m else str(exc).splitlines()[0]
        raise InputError(f"broken CSV: {where}", path=src,
                         line=int(m.group(1)) if m else None) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row", path=src) from None
    _check_header(frame, src)
    table = RawTable(frame, src, "csv", encoding=enc)
    if enc == LEGACY:
        table.notes.append(Note("read_gb18030"))
    elif encoding:
        table.notes.append(Note("read_as", {"encoding": enc}))
    if _is_qualtrics(frame):
        table.question_text = {c: str(frame[c].iloc[0]) for c in frame.columns}
        table.frame = frame.iloc[2:].reset_index(drop=True)
        table.format = "qualtrics"
        table.notes.append(Note("qualtrics_header_rows"))
    return table


def _is_qualtrics(frame: pd.DataFrame) -> bool:
    if len(frame) < 2:
        return False
    for value in frame.iloc[1].astype(str).head(5):
        if value.startswith("{"):
            try:
                return "ImportId" in json.loads(value)
            except ValueError:
                continue
    return False


def _check_header(frame: pd.DataFrame, src: str) -> None:
    seen: set[str] = set()
    for i, col in enumerate(map(str, frame.columns), start=1):
        base = re.sub(r"\.\d+$", "", col)
        if col != base and base in seen:
            raise InputError(f"column {i} repeats the name {base!r}", path=src, line=1)
        if col.startswith("Unnamed: "):
            raise InputError(f"column {i} has no name", path=src, line=1)
        seen.add(col)


def _read_xlsx(p: Path, src: str, *, sheet, **_) -> RawTable:
    limits.check_xlsx(p, src)
    frame = pd.read_excel(p, sheet_name=0 if sheet is None else sheet, dtype=object,
                          engine="openpyxl")
    frame = frame.dropna(how="all")
    _check_header(frame, src)
    return RawTable(frame.reset_index(drop=True), src, "xlsx")


def _read_stat(p: Path, src: str, *, fmt, **_) -> RawTable:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    limits.check_columns(reader(str(p), metadataonly=True)[1].number_columns, src)
    frame, meta = reader(str(p), user_missing=True)
    missing: dict[str, set] = {}
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        codes = set()
        for r in ranges:
            lo, hi = r["lo"], r["hi"]
            if lo == hi:
                codes.add(lo)
            else:  # a range: remember both ends; check.py tests membership by range
                codes.add((lo, hi))
        missing[col] = codes
    labels = dict(getattr(meta, "variable_value_labels", None) or {})
    return RawTable(frame, src, fmt, value_labels=labels, missing_codes=missing)


#: What to install for Parquet files (pyarrow is an optional extra).
PARQUET_HINT = "pip install pyarrow (or: pip install 'crmsurvey[parquet]')"


def _read_parquet(p: Path, src: str, **_) -> RawTable:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet files needs pyarrow, which is not installed",
                         path=src, hint=PARQUET_HINT) from None

    limits.check_columns(pq.ParquetFile(p).metadata.num_columns, src)
    return RawTable(pd.read_parquet(p), src, "parquet")
