"""tables.xlsx for people: one titled sheet per table in the results' language (titles,
column headers and notes from the catalogue: ``sheet:``, ``column:`` and ``sheet_note:``
keys in ``crmsurvey/locales/``),
construct and group labels and worded codes (``cell:``) instead of codes, number formats instead of long floats,
frozen header rows, a notes sheet with the settings — and the same bytes for the same
results (fixed timestamps in the file and in its zip)."""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile

import numpy as np
import pandas as pd

from .._catalogue import catalogue, text_in_language
from ..analytics.segments import SEGMENTS as RFM_SEGMENTS
from ..cbsem.fitmeasures import FIT_NAMES, ROBUST_NAMES
from .results import Multiplicity, Results

__all__ = ["workbook"]

#: Columns holding construct codes; values of these are shown as construct labels.
_CONSTRUCT_COLUMNS = {"construct", "lhs", "rhs", "name", "target", "standout", "from",
                      "through", "to"}
#: Columns on the 0–100 (or points) scale, shown with one decimal.
_ONE_DECIMAL = {"index", "value", "value_a", "value_b", "difference", "ci_lower", "ci_upper",
                "se", "mean", "top2", "performance", "promoters", "passives", "detractors",
                "nps", "csat"}
_FIXED_TIME = _dt.datetime(2000, 1, 1)
#: lavaan's fit measures as the CB-SEM fit sheet lists them (chisq and srmr: PLS's too)
_LAVAAN_FIT = tuple(m for m in (*FIT_NAMES, *ROBUST_NAMES) if m not in ("chisq", "srmr"))
#: Columns whose values are crmsurvey's own codes, and the codes each can hold: a cell is
#: worded by the catalogue's ``cell:<column>:<code>`` (lavaan's operators in ``op`` and
#: PLS's mode ``A``/``B`` are notation and stay).
CODED: dict[str, tuple[str, ...]] = {
    "quantity": ("index", "nps", "csat"),
    "kind": ("groups", "change"),
    "family": ("client", "pairs", "all_pairs", "change"),
    "method": ("bonferroni", "holm", "none"),  # none: a single test (m = 1)
    "test": ("percentile", "z"),
    "micom": ("full", "partial", "none"),
    "invariance": ("full", "partial", "none"),
    "dropped_reason": ("listwise", "zero_weight"),
    "missing_method": ("mean", "listwise", "fiml"),
    "predictive_power": ("high", "medium", "low", "none"),
    "decision": ("baseline", "supported", "not supported"),
    # NPS/CSAT, PLS fit, and the CB-SEM fit measures (lavaan's names)
    "measure": ("nps", "csat", "srmr", "d_uls", "d_g", "chisq", "nfi", *_LAVAAN_FIT),
    "model": ("pls", "cbsem", "configural", "metric", "scalar"),
    "through": ("total",),  # an indirect effect's chain, or the pair's total
    "op": ("htmt",),  # HTMT's rows: no lavaan operator (the operators stay as they are)
}
#: Columns holding a list of construct codes (", "-joined).
_CONSTRUCT_LISTS = {"priorities"}


def _labelled(frame: pd.DataFrame, results: Results | None, lang: str,
              words: dict[str, str], name: str = "") -> pd.DataFrame:
    if results is None:
        return frame
    labels = {c: _text(v, results, lang) or c for c, v in results.model.labels.items()}
    levels = results.study.group_labels
    groups = set(results.settings.groups) | {results.settings.waves}
    out = frame.copy()
    if name == "weighting" and results.weighting is not None:
        out = _weighting_labels(out, results, lang)
    for col in list(out.columns):
        base = col.split(".")[-1]
        if name == "cleaning_log" and col == "source" and \
                len(out) == len(results.sample.sources):  # one row per source read
            out[col] = [_source(src, results, lang, words) for src in results.sample.sources]
        elif base == "through":  # a chain of constructs, or the pair's total indirect effect
            out[col] = out[col].map(lambda v: words["cell:through:total"] if v == "total"
                                    else " → ".join(labels.get(c, c) for c in v.split(" -> "))
                                    if isinstance(v, str) else v)
        elif col == "segment" and name in ("rfm", "rfm_segments"):  # the RFM map's names
            rfm = {c: words[f"seg_{c}"] for c, _ in RFM_SEGMENTS}
            out[col] = out[col].map(lambda v: rfm.get(v, v) if isinstance(v, str) else v)
        elif col in ("scope_item", "compared"):  # the group item a comparison is within
            out[col] = out[col].map(lambda v: group_name(results, v, lang)
                                    if isinstance(v, str) and v else v)
        elif col == "group" and col not in groups:  # a table of one row per group (or all)
            out[col] = out[col].map(lambda v: words["all"] if v == "all" else v)
        elif base == "item" and out[col].isin(list(_items(results))).any():
            out.insert(out.columns.get_loc(col) + 1, "item_id", out[col])
            out[col] = out[col].map(lambda v: _question(results, v, lang, words))
        elif base == "reference":  # a level of the sheet's group item (latent means)
            item = next((g for g in out.columns if g in levels), None)
            names = {k: _text(v, results, lang) or k for k, v in levels.get(item, {}).items()}
            out[col] = out[col].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
        elif base in _CONSTRUCT_COLUMNS:
            out[col] = out[col].map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
            if base == "name":  # an NPS or CSAT comparison names its question
                out[col] = out[col].map(lambda v: v if v in labels
                                        else _question(results, v, lang, words))
        elif base in _CONSTRUCT_LISTS:
            out[col] = out[col].map(lambda v: words["list_sep"].join(
                labels.get(c, c) for c in v.split(", ")) if isinstance(v, str) and v else v)
        elif base in CODED and col == base:
            known = {c: words.get(f"cell:{base}:{c}", c) for c in CODED[base]}
            if base == "method" and "m" in out.columns:  # one test: nothing adjusted (the
                out[col] = out[col].where(out["m"] != 1, "none")  # PDF: "on its own")
            out[col] = out[col].map(lambda v: known.get(v, v) if isinstance(v, str) else v)
        elif base in levels or (name == "weighting" and base in groups):
            names = {k: _text(v, results, lang) or k for k, v in levels.get(base, {}).items()}
            if name == "weighting":  # the whole sample's rows
                names.setdefault("all", words["all"])
            out[col] = out[col].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
        if col in results.settings.groups and out[col].notna().any():
            # a row not split by this group item is its levels together, as the report
            # names it ("All respondents"), not an empty cell
            out[col] = out[col].map(lambda v: words["all"] if pd.isna(v) else v)
        if out[col].map(lambda v: isinstance(v, (bool, np.bool_))).any():  # yes / no
            out[col] = out[col].map(lambda v: words["yes" if v else "no"]
                                    if isinstance(v, (bool, np.bool_)) else v)
    return out


def _weighting_labels(frame: pd.DataFrame, results: Results, lang: str) -> pd.DataFrame:
    """The weighting sheet as the report's weighting table words it: each variable's
    question beside its id (``item``) and each category's label in the questionnaire
    (a crossed cell's labels joined by " / ") with its code in ``category_code``; a
    category the questionnaire does not label keeps its code."""
    labels = results.weighting.labels
    out = frame.copy()

    def question(var):
        if not isinstance(var, str):
            return var
        return " × ".join(_text((labels.get(v) or {}).get("text"), results, lang) or v
                          for v in var.split(" × "))

    def category(var, code):
        if not isinstance(var, str) or code is None or (isinstance(code, float)
                                                        and np.isnan(code)):
            return code
        codes = [str(code)] if " × " not in var else str(code).split(" / ")
        names = [_text(((labels.get(v) or {}).get("codes") or {}).get(c), results, lang) or c
                 for v, c in zip(var.split(" × "), codes)]
        return " / ".join(names)

    if "variable" in out and "category" in out:
        at = out.columns.get_loc("category")
        out.insert(at + 1, "category_code", out["category"])
        out["category"] = [category(v, c) for v, c in zip(out["variable"], out["category"])]
    if "variable" in out:
        out.insert(out.columns.get_loc("variable") + 1, "item", out["variable"].map(question))
    return out


def _source(src, results: Results, lang: str, words: dict[str, str]) -> str:
    """A source of the cleaning log: the file as the study names it, or what was
    simulated (``n`` per level of the first group item, as ``simulate`` draws them)."""
    sim = src.simulated
    if not sim:
        return src.source
    if sim.get("levels", 1) <= 1:
        return words["source_simulated"].format(n=sim["n"], seed=sim["seed"])
    return words["source_simulated_groups"].format(
        n=sim["n"], seed=sim["seed"], levels=sim["levels"], total=sim["n"] * sim["levels"],
        item=group_name(results, sim["item"], lang))


def group_name(results: Results, item: str, lang: str) -> str:
    """A group item's name as the report names it: the study's ``report.group_names`` in
    ``lang``, else the item's wording in the questionnaire, else its id."""
    name = results.study.group_names.get(item) or getattr(_items(results).get(item),
                                                          "text", None)
    return _text(name, results, lang) or item


def _text(value, results: Results, lang: str) -> str:
    """A text mapping of the questionnaire or the study in ``lang``, picked as the report
    picks it (:func:`crmsurvey._catalogue.text_in_language`: ``lang``, ``*``, English,
    then the questionnaire's languages in order)."""
    return text_in_language(value, lang, getattr(results.study, "languages", ()))


def _items(results: Results) -> dict:
    """The questionnaire items the results quote (none in results without them)."""
    return getattr(results.model, "items", None) or {}


def _question(results: Results, item, lang: str, words: dict[str, str]):
    """An item's wording in ``lang`` (marked where it is reverse-keyed), else as given."""
    info = _items(results).get(item) if isinstance(item, str) else None
    if info is None or not info.text:
        return item
    text = _text(info.text, results, lang)
    return words["item_reversed"].format(question=text) if info.reverse else text


def _notes(results: Results | None, t: dict[str, str]) -> pd.DataFrame:
    """The settings sheet: labels from the catalogue, settings as code values."""
    columns = [t["sheet_note:setting"], t["sheet_note:value"]]
    if results is None:
        return pd.DataFrame({c: [] for c in columns})
    s = results.settings
    w = results.weighting
    rows = [("study", results.study.id), ("created", s.created),
            ("current_wave", s.current_wave or ""), ("weight", s.weight or (
                t["sheet_note:weight_computed"].format(
                    method=w.method, variables=", ".join(w.variables)) if w else "")),
            ("screening", t["list_sep"].join(t.get(f"rule_{c}", c) for c in s.exclude)),
            *_settings("pls", s.pls, t), *_settings("cbsem", s.cbsem, t),
            *_settings("comparisons", s.compare, t),
            ("multiplicity", t["sheet_note:multiplicity_value"].format(
                method=t.get(f"cell:method:{s.multiplicity.method}", s.multiplicity.method),
                alpha=s.multiplicity.alpha,
                # the policy's own description is English: the default one is worded
                families=t["sheet_note:families_default"] if s.multiplicity.families
                == Multiplicity.model_fields["families"].default
                else s.multiplicity.families))]
    reversed_items = [i for i, info in _items(results).items() if info.reverse]
    if reversed_items:  # their figures (means, top-2 box, IPMA) are on the reversed scale
        rows.append(("reversed", t["sheet_note:reversed_value"].format(
            items=t["list_sep"].join(reversed_items))))
    rows = [(t[f"sheet_note:{k}"] if isinstance(k, str) else k[0], v) for k, v in rows]
    rows += [(t["sheet_note:version"].format(name=k), v) for k, v in s.versions.items()]
    return pd.DataFrame(rows, columns=columns)


def _settings(section: str, values: dict | None, t: dict[str, str]) -> list[tuple]:
    """One Notes row per setting of ``section`` ("PLS: weighting scheme", "path
    weighting"): names from the catalogue's ``setting:<section>.<name>``, a coded value
    from ``setting_value:<code>`` (estimators as the report names them, yes/no for
    flags), numbers as they are; a setting the catalogue does not name keeps its code."""
    rows = []
    for name, v in (values or {}).items():
        label = t.get(f"setting:{section}.{name}", name)
        head = t["sheet_note:setting_of"].format(section=t[f"sheet_note:{section}"],
                                                 setting=label)
        if isinstance(v, bool):
            v = t["yes" if v else "no"]
        elif isinstance(v, str):
            v = t.get(f"estimator_{v}") if "estimator" in name and f"estimator_{v}" in t \
                else t.get(f"setting_value:{v}", v)
        elif isinstance(v, (list, tuple)):
            v = t["list_sep"].join(t.get(f"setting_value:{x}", str(x)) for x in v)
        rows.append(((head,), "" if v is None else v))
    return rows


def _header(col: str, words: dict[str, str], groups: dict[str, str]) -> str:
    """A column's heading: the catalogue's ``column:`` entry; a group item by its name in
    ``groups`` (the study's ``report.group_names`` in the language, else its id: the
    user's name), ``group_a.brand`` reads "Group A: Brand"."""
    base, _, item = col.partition(".")
    if item and f"column:{base}" in words:
        return words[f"column:{base}"].format(item=groups.get(item, item))
    if col in groups:
        return groups[col]
    if re.fullmatch(r"p[1-9][0-9]*", col):  # segment membership: p1, p2, …
        return words["column:posterior"].format(k=col[1:])
    return words.get(f"column:{col}", col)


def _cells(frame: pd.DataFrame, fix) -> pd.DataFrame:
    """``fix`` applied to every text cell and column name (a worksheet cannot hold
    control characters that a group name from the data may carry)."""
    out = frame.rename(columns=lambda c: fix(c) if isinstance(c, str) else c)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: fix(v) if isinstance(v, str) else v)
    return out


def workbook(tables: dict[str, pd.DataFrame], results: Results | None = None,
             lang: str | None = None) -> bytes:
    """The workbook's bytes (see the module docstring), in ``lang`` (default: the
    results' language)."""
    from openpyxl.utils import get_column_letter

    from ..errors import escape_controls

    lang = lang or (results.study.language if results is not None else "en")
    words = catalogue(lang)
    groups = {g: group_name(results, g, lang) for g in [
        *results.settings.groups, results.settings.waves, *results.study.group_names] if g} \
        if results else {}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, t in {**tables, "notes": _notes(results, words)}.items():
            frame = _cells(_labelled(t, results, lang, words, name), escape_controls)
            title = words.get(f"sheet:{name}", name)[:31]
            frame.to_excel(xw, sheet_name=title, index=False)
            ws = xw.sheets[title]
            ws.freeze_panes = "A2"
            _as_text(ws)
            for k, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(k)
                head = _header(col, words, groups) if isinstance(col, str) else col
                ws.cell(row=1, column=k).value = head
                width = max([len(str(head))] + [len(str(v)) for v in frame[col].head(200)])
                ws.column_dimensions[letter].width = min(60, max(8, width + 2))
                if pd.api.types.is_integer_dtype(frame[col]):
                    fmt = "0"
                elif pd.api.types.is_float_dtype(frame[col]):
                    fmt = "0.0" if col.split(".")[-1] in _ONE_DECIMAL else "0.000"
                else:
                    continue
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
        xw.book.properties.created = _FIXED_TIME
        xw.book.properties.modified = _FIXED_TIME
    return _fixed_zip(buf.getvalue())


def _as_text(ws) -> None:
    """Text is text: openpyxl stores a string starting with ``=`` (lavaan's ``=~``, a
    group name from the data) as a formula; mark every such cell a string cell, so no
    reader runs it and none shows it empty. No apostrophe is added (that is a CSV
    convention; in a workbook it would show)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry's timestamp fixed (zip stores local times)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z",
                              body)
            dst.writestr(fixed, body)
    return out.getvalue()
