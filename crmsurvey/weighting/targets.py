"""Population targets: shares or counts per category of a variable, read from a mapping
or a table file, and matched to the codes a data column holds.

A variable's targets are **shares** when every value is at most 1 and they add up to 1
(within :data:`SHARE_SLACK`, then rescaled exactly); otherwise they are **counts**
(or percentages) and become shares by dividing by their sum. Codes are matched by value:
``1``, ``1.0`` and ``"1"`` are one code; text codes (``Brand A``) as written.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Margin", "code_key", "factor", "margins_from", "read_table",
           "read_target_table", "read_cell_table", "column_codes", "shown_code",
           "SHARE_SLACK"]

#: Shares that add up to 1 within this are taken as shares and rescaled to add up to 1
#: exactly (published targets are rounded: .22 + .29 + .27 + .22 = 1.00, but three
#: thirds written .33 add up to .99).
SHARE_SLACK = 0.011


@dataclass(frozen=True, eq=False)
class Margin:
    """One variable's targets: its categories (as written), their shares (adding up to 1)
    and what the targets were given as."""

    variable: str
    categories: tuple[Any, ...]
    shares: np.ndarray
    given_as: str  # "shares" or "counts"
    total: float  # the sum of the targets as given


def code_key(value: Any) -> Any:
    """The key a code is matched by: a finite number as a float, anything else as its
    stripped text; missing (None, NaN, blank) is None.

    >>> code_key(1), code_key("1"), code_key(" Brand A "), code_key(float("nan"))
    (1.0, 1.0, 'Brand A', None)
    """
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else None
    text = str(value).strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        return text
    return x if math.isfinite(x) else text


def margins_from(targets: Mapping[str, Mapping[Any, float]], *, where: str = "targets"
                 ) -> list[Margin]:
    """Check ``targets`` (variable → category → share or count) and turn each into a
    :class:`Margin` whose shares add up to 1. Bad values are InputErrors naming the
    variable, in the message and as ``concerns`` (the study loader adds the file and
    the variable's line)."""
    if not isinstance(targets, Mapping) or not targets:
        raise InputError(f"{where}: expected variable → {{category: share}} with at least "
                         "one variable")
    out = []
    for var, cats in targets.items():
        if not isinstance(cats, Mapping) or not cats:
            raise InputError(f"{where}.{var}: expected {{category: share}}, got {cats!r}",
                             concerns=str(var))
        keys = [code_key(c) for c in cats]
        if None in keys or len(set(keys)) < len(keys):
            raise InputError(f"{where}.{var}: categories must be distinct codes",
                             hint=f"got {list(cats)!r}", concerns=str(var))
        values = []
        for c, v in cats.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(v)) or float(v) < 0:
                raise InputError(f"{where}.{var}.{c}: a target is a non-negative number, "
                                 f"got {v!r}", concerns=str(var))
            values.append(float(v))
        arr = np.array(values)
        total = float(arr.sum())
        if total <= 0:
            raise InputError(f"{where}.{var}: the targets add up to 0", concerns=str(var))
        as_shares = bool(arr.max() <= 1.0)
        if as_shares and abs(total - 1.0) > SHARE_SLACK:
            raise InputError(f"{where}.{var}: shares add up to {total:.4g}, not 1",
                             hint="give shares that add up to 1, or counts",
                             concerns=str(var))
        out.append(Margin(str(var), tuple(cats), arr / total,
                          "shares" if as_shares else "counts", total))
    return out


def read_table(path: str | Path, *, name: str | None = None
               ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A small CSV table (UTF-8, at most the YAML size limit): its header (lower-cased)
    and its non-blank rows with their line numbers; a row of the wrong width is an
    InputError naming the file and line."""
    from .._yaml import max_yaml_bytes, read_bytes

    shown = name or str(path)
    try:
        raw = read_bytes(path, max_yaml_bytes())
    except InputError as exc:
        raise InputError(exc.msg, path=shown, hint=exc.hint) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("a targets table is UTF-8 text", path=shown) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"cannot read the table: {exc}", path=shown) from None
    if not rows:
        raise InputError("the targets table is empty", path=shown)
    header = [h.strip().lower() for h in rows[0]]
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} cells, expected {len(header)}", path=shown,
                             line=line)
        out.append((line, [c.strip() for c in row]))
    if not out:
        raise InputError("the targets table has no rows", path=shown)
    return header, out


def target_number(text: str, *, path: str, line: int) -> float:
    """A target cell as a number, or an InputError at its line."""
    try:
        return float(text)
    except ValueError:
        raise InputError(f"target {text!r} is not a number", path=path, line=line) from None


def shown_code(key: Any) -> Any:
    """A code as written back: 1.0 → 1, text unchanged."""
    return int(key) if isinstance(key, float) and key.is_integer() else key


def read_target_table(path: str | Path, *, name: str | None = None,
                      lines: dict | None = None
                      ) -> dict[Any, dict[str, dict[Any, float]]]:
    """A targets table (CSV with columns ``variable, category, target`` and optionally
    ``by`` first) → ``{by level or None: {variable: {category: target}}}``. A bad row is
    an InputError naming the file and line; ``lines``, when given, receives the line of
    each ``(level, variable, category)``.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("variable,category,target\\ngender,1,0.49\\ngender,2,0.51\\n")
    >>> read_target_table(p)
    {None: {'gender': {1: 0.49, 2: 0.51}}}
    """
    shown = name or str(path)
    header, rows = read_table(path, name=shown)
    need = ["variable", "category", "target"]
    if header not in (need, ["by"] + need):
        raise InputError(f"the targets table's columns are {', '.join(header)}",
                         path=shown, line=1,
                         hint="expected: variable, category, target (with by first to "
                              "give each level its own targets)")
    has_by = header[0] == "by"
    out: dict[Any, dict[str, dict[Any, float]]] = {}
    for line, cells in rows:
        level = cells[0] if has_by else None
        var, cat, target = cells[-3:]
        value = target_number(target, path=shown, line=line)
        key = code_key(cat)
        if key is None or not var:
            raise InputError("a row needs a variable and a category", path=shown, line=line)
        by_var = out.setdefault(level, {}).setdefault(var, {})
        if shown_code(key) in by_var:
            raise InputError(f"category {cat!r} of {var!r} is given twice", path=shown,
                             line=line)
        by_var[shown_code(key)] = value
        if lines is not None:
            lines[(level, var, shown_code(key))] = line
    return out


def read_cell_table(path: str | Path, *, name: str | None = None
                    ) -> tuple[list[dict[str, Any]], list[int]]:
    """A post-stratification table (CSV: one column per variable, ``target``, and
    optionally ``by``) → its rows as records, and each row's line."""
    shown = name or str(path)
    header, rows = read_table(path, name=shown)
    if "target" not in header or len(header) < 2:
        raise InputError(f"the cells table's columns are {', '.join(header)}", path=shown,
                         line=1, hint="expected: one column per variable, and target")
    records, lines = [], []
    for line, cells in rows:
        rec: dict[str, Any] = {}
        for h, c in zip(header, cells):
            rec[h] = target_number(c, path=shown, line=line) if h == "target" else \
                (c if h == "by" else shown_code(code_key(c)))
        records.append(rec)
        lines.append(line)
    return records, lines


def factor(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[Any], list[Any]]:
    """Each row's position among the distinct codes of ``values`` (-1: no value), the
    codes' keys (:func:`code_key`; ``1`` and ``"1"`` are one code) and each code as first
    written — computed once per distinct value, not per row.

    >>> factor(["1", 1, None, "B"])[0].tolist(), factor(["1", 1, None, "B"])[1]
    ([0, 0, -1, 1], [1.0, 'B'])
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values,
                                                                              dtype=object))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    raw = [code_key(u) for u in uniques]
    keys = list(dict.fromkeys(k for k in raw if k is not None))
    where = {k: i for i, k in enumerate(keys)}
    written: dict[Any, Any] = {}
    for u, k in zip(uniques, raw):
        if k is not None:
            written.setdefault(k, u)
    remap = np.array([where[k] if k is not None else -1 for k in raw] + [-1], dtype=np.int64)
    return remap[codes], keys, [written[k] for k in keys]


def column_codes(values: pd.Series | np.ndarray, categories: tuple[Any, ...]
                 ) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Each row's category position in ``categories`` (-1: no value, or a code with no
    target), whether the row has a value at all, and the codes found without a target."""
    codes, keys, _ = factor(values)
    lookup = {code_key(c): i for i, c in enumerate(categories)}
    category_of = np.array([lookup.get(k, -1) for k in keys] + [-1], dtype=np.int64)
    stray = sorted((k for k, c in zip(keys, category_of) if c < 0), key=str)
    return category_of[codes], codes >= 0, stray
