"""Limits on response files, checked before a file is parsed, so that a hostile or broken
file is refused in about a second instead of exhausting memory.

Each limit can be raised with an environment variable holding a positive whole number
(anything else is an InputError naming the variable):

=====================  ===============================  =================================
limit                  variable                         default
=====================  ===============================  =================================
file size              ``CRMSURVEY_MAX_RESPONSE_BYTES``  256 MiB (200,000 respondents ×
                                                         300 answers is ~150 MB of CSV)
columns                ``CRMSURVEY_MAX_COLUMNS``         20,000 (Excel allows 16,384)
line length (text)     ``CRMSURVEY_MAX_LINE_BYTES``      4 MiB
XLSX decompressed      ``CRMSURVEY_MAX_XLSX_BYTES``      256 MiB in total, from the sizes
                                                         the zip declares (reading stops
                                                         there, so they cannot lie)
=====================  ===============================  =================================
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .._limits import env_limit
from ..errors import InputError

__all__ = ["LIMITS", "limit", "check_size", "check_columns", "check_text_lines",
           "check_xlsx"]

#: name → (environment variable, default)
LIMITS = {
    "bytes": ("CRMSURVEY_MAX_RESPONSE_BYTES", 256 * 1024**2),
    "columns": ("CRMSURVEY_MAX_COLUMNS", 20_000),
    "line": ("CRMSURVEY_MAX_LINE_BYTES", 4 * 1024**2),
    "xlsx": ("CRMSURVEY_MAX_XLSX_BYTES", 256 * 1024**2),
}
_CHUNK = 1 << 20


def limit(name: str) -> int:
    """The limit ``name`` (a key of :data:`LIMITS`): its variable if set, else the default."""
    var, default = LIMITS[name]
    return env_limit(var, default)


def _too_big(what: str, name: str, source: str, line: int | None = None,
             unit: str = "") -> InputError:
    var, _ = LIMITS[name]
    return InputError(f"{what}: more than the limit of {limit(name):,}{unit}", path=source,
                      line=line, hint=f"set {var} to allow more")


def check_size(path: Path, source: str) -> None:
    """The file is no larger than the ``bytes`` limit."""
    size = path.stat().st_size
    if size > limit("bytes"):
        raise _too_big(f"the file has {size:,} bytes", "bytes", source, unit=" bytes")


def check_columns(n: int, source: str) -> None:
    """``n`` columns are no more than the ``columns`` limit."""
    if n > limit("columns"):
        raise _too_big(f"the file has {n:,} columns", "columns", source, line=1)


def check_text_lines(path: Path, source: str) -> None:
    """Scan a text file in chunks: the header has at most the ``columns`` limit of fields
    (counted by the most frequent of , ; tab |) and no line is longer than the ``line``
    limit."""
    max_line, max_cols = limit("line"), limit("columns")
    with open(path, "rb") as fh:
        first = fh.readline(max_line + 1)
        fields = 1 + max(first.count(sep) for sep in (b",", b";", b"\t", b"|"))
        if fields > max_cols:
            raise _too_big(f"the header has {'at least ' if len(first) > max_line else ''}"
                           f"{fields:,} columns", "columns", source, line=1)
        if len(first) > max_line:
            raise _too_big("line 1 is too long", "line", source, 1, " bytes")
        line, run = 2, 0  # the line being read, and its bytes so far
        while chunk := fh.read(_CHUNK):
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if len(ends) == 0:
                run += len(chunk)
            else:
                lengths = np.diff(ends, prepend=-1) - 1
                lengths[0] += run
                over = np.flatnonzero(lengths > max_line)
                if len(over):
                    line += int(over[0])
                    run = max_line + 1
                    break
                line += len(ends)
                run = len(chunk) - int(ends[-1]) - 1
            if run > max_line:
                break
        if run > max_line:
            raise _too_big(f"line {line} is too long", "line", source, line, " bytes")


def check_xlsx(path: Path, source: str) -> None:
    """The workbook's parts decompress to no more than the ``xlsx`` limit in total."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise InputError("cannot read as xlsx: not a zip file", path=source) from None
    if total > limit("xlsx"):
        raise _too_big(f"the workbook expands to {total:,} bytes", "xlsx", source,
                       unit=" bytes")
