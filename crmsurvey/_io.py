"""Atomic file writing: a failed write leaves no half-written file behind, and a file is
never written over the folder or the input it was asked to stand beside."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # the frame is written by its own methods: no pandas import needed here
    import pandas as pd

__all__ = ["atomic_path", "write_text", "write_frame", "check_frame_path", "check_output"]


def check_output(path: str | Path, *inputs: str | Path) -> Path:
    """Refuse (InputError, exit 2) a single-file output that is an existing folder or the
    same file as one of ``inputs`` (compared after resolving links; inputs that are not
    files, such as a bundled questionnaire's id, are skipped). Returns ``path``."""
    from .errors import InputError

    out = Path(path)
    if out.is_dir():
        raise InputError("the output is a folder; name the file to write", path=str(out))
    target = out.resolve()
    for given in inputs:
        source = Path(given)
        if not source.is_file():
            continue
        same = source.resolve() == target
        if not same and out.exists():
            try:
                same = os.path.samefile(source, out)
            except OSError:
                same = False
        if same:
            raise InputError("the output is the input file; it would be overwritten",
                             path=str(out), hint="write to another file")
    return out


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.
    A ``path`` that is a folder is an InputError (before anything is written)."""
    target = Path(path)
    if target.is_dir():
        from .errors import InputError

        raise InputError("the output is a folder; name the file to write", path=str(target))
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


def check_frame_path(path: str | Path) -> None:
    """An InputError unless :func:`write_frame` can write ``path`` (by its ending): to
    say so before the work that makes the table."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".parquet", ".sav", ".dta"):
        from .errors import InputError

        raise InputError(f"cannot write {suffix or 'a file without an ending'!r}",
                         path=str(path), hint="use .csv, .xlsx, .parquet, .sav or .dta")


def write_frame(frame: pd.DataFrame, path: str | Path, *,
                sav: dict | None = None) -> None:
    """Write a table by file ending: .csv (UTF-8), .xlsx, .parquet, .sav, .dta.
    ``sav``: labels, value labels, missing codes and measures for a ``.sav``
    (:func:`crmsurvey.fielding.spss.for_sav`)."""
    check_frame_path(path)
    suffix = Path(path).suffix.lower()
    with atomic_path(path) as tmp:
        if suffix in (".csv", ".txt"):
            frame.to_csv(tmp, index=False)
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        elif suffix == ".parquet":
            try:
                import pyarrow  # noqa: F401  (an optional extra)
            except ImportError:
                from .errors import InputError

                raise InputError("writing Parquet files needs pyarrow, which is not "
                                 "installed", path=str(path), hint="pip install pyarrow (or: "
                                 "pip install 'crmsurvey[parquet]')") from None
            frame.to_parquet(tmp, index=False)
        elif suffix in (".sav", ".dta"):
            import pyreadstat

            if suffix == ".sav":
                pyreadstat.write_sav(frame, str(tmp), **(sav or {}))
            else:
                pyreadstat.write_dta(frame, str(tmp))
