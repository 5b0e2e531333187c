"""Atomic file writing: a failed write leaves no half-written file behind."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

__all__ = ["atomic_path", "write_text", "write_frame"]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                               dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table by file ending: .csv (UTF-8), .xlsx, .parquet, .sav, .dta."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".parquet", ".sav", ".dta"):
        from .errors import InputError

        raise InputError(f"cannot write {suffix or 'a file without an ending'!r}",
                         path=str(path), hint="use .csv, .xlsx, .parquet, .sav or .dta")
    with atomic_path(path) as tmp:
        if suffix in (".csv", ".txt"):
            frame.to_csv(tmp, index=False)
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix in (".sav", ".dta"):
            import pyreadstat

            (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(tmp))
