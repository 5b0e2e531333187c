"""SPSS files both ways: the questionnaire's labels written into a ``.sav``, and a
codebook read back from any ``.sav``.

:func:`for_sav` gives what :func:`pyreadstat.write_sav` takes — variable labels
(the item text), value labels (anchors, categories and special codes), user-missing
codes (special and missing codes) and the measurement level — so that a file written
by crmsurvey opens in SPSS, PSPP or R's haven with its questionnaire on board.
:func:`sav_codebook` is the codebook of a ``.sav`` written by anyone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..questionnaire import Questionnaire
from .instrument import options

__all__ = ["for_sav", "sav_codebook", "MEASURE"]

#: SPSS measurement level by scale type; items without a scale by role.
MEASURE = {"rating": "ordinal", "binary": "nominal", "categorical": "nominal",
           "numeric": "scale", "group": "nominal", "id": "nominal", "duration": "scale",
           "weight": "scale", "text": "nominal"}

#: SPSS limits in bytes: variable labels and value labels (longer text is cut).
VARIABLE_LABEL_BYTES, VALUE_LABEL_BYTES = 256, 120


def _cut(text: str, most: int) -> str:
    """``text`` cut to at most ``most`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    return text if len(data) <= most else data[:most].decode("utf-8", "ignore")


def _missing(codes: list[int], top: float | None) -> list[Any]:
    """SPSS holds three discrete missing values, or one range and one value: more codes
    become a range when every code lies above the scale (``top``)."""
    codes = sorted(set(codes))
    if len(codes) <= 3:
        return codes
    if top is not None and codes[0] > top:
        return [{"lo": codes[0], "hi": codes[-1]}]
    return codes[:3]


def for_sav(q: Questionnaire, frame: pd.DataFrame, lang: str | None = None
            ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``frame`` made ready for SPSS, and the keyword arguments for
    :func:`pyreadstat.write_sav` that describe it: the questionnaire's items among its
    columns get their text as label, value labels, user-missing codes and a measurement
    level; other columns are left as they are.

    An item column whose values are all numbers or blank is written as a number (blank:
    system-missing); one holding other text stays text, with its label only. Labels are
    in ``lang`` (default: the questionnaire's first language).

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> q = cs.load_questionnaire("acsi")
    >>> frame, meta = for_sav(q, pd.DataFrame({"pq1": ["7", "", "98"]}), lang="en")
    >>> frame.pq1.tolist()[::2], meta["variable_measure"]["pq1"], meta["missing_ranges"]
    ([7.0, 98.0], 'ordinal', {'pq1': [-9, 98, 99]})
    """
    lang = lang or q.languages[0]
    frame = frame.copy()
    labels, values, missing, measure = {}, {}, {}, {}
    for col in frame.columns:
        item = q.items.get(col)
        if item is None:
            continue
        text = q.text(item.text, lang)
        if text:
            labels[col] = _cut(text, VARIABLE_LABEL_BYTES)
        sc = q.scale(col)
        measure[col] = MEASURE.get(sc.type if sc else "text" if item.open_text else item.role,
                                   "unknown")
        if sc is None:
            continue
        raw = frame[col]
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        number = pd.to_numeric(raw.where(~blank), errors="coerce")
        if (number.isna() & ~blank).any():  # text answers: keep the column as text
            continue
        frame[col] = number.astype(float)
        named = {o.code: _cut(o.label, VALUE_LABEL_BYTES) for o in options(q, sc, lang)
                 if o.label}
        if named:
            values[col] = named
        codes = list(sc.special) + list(sc.missing)
        if codes:
            top = sc.max if sc.type in ("rating", "numeric") else \
                max(sc.values) if sc.values else None
            missing[col] = _missing(codes, top)
    return frame, {"file_label": _cut(q.text(q.definition.title, lang), 64),
                   "column_labels": labels, "variable_value_labels": values,
                   "missing_ranges": missing, "variable_measure": measure}


def sav_codebook(path: str | Path) -> pd.DataFrame:
    """The codebook of an SPSS file: ``variable, label, type, measure, codes, missing``
    (``codes``: its value labels, ``1=Brand A; 2=Brand B``) — from the file's
    dictionary alone, without a questionnaire."""
    import pyreadstat

    src = str(path)
    if not Path(path).is_file():
        raise InputError("no such file", path=src)
    try:
        _, meta = pyreadstat.read_sav(src, metadataonly=True, user_missing=True)
    except Exception as exc:  # pyreadstat's own error about a broken file
        raise InputError(f"cannot read as sav: {str(exc).splitlines()[0] if str(exc) else exc}",
                         path=src) from None

    def code(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    rows = []
    for name, label in zip(meta.column_names, meta.column_labels):
        missing = []
        for r in (meta.missing_ranges or {}).get(name, []):
            missing.append(code(r["lo"]) if r["lo"] == r["hi"]
                           else f"{code(r['lo'])}–{code(r['hi'])}")
        rows.append({
            "variable": name, "label": label or "",
            "type": "text" if meta.readstat_variable_types.get(name) == "string" else "number",
            "measure": meta.variable_measure.get(name, "unknown"),
            "codes": "; ".join(f"{code(k)}={v}" for k, v in
                               (meta.variable_value_labels or {}).get(name, {}).items()),
            "missing": "; ".join(missing)})
    return pd.DataFrame(rows, columns=["variable", "label", "type", "measure", "codes",
                                       "missing"])
