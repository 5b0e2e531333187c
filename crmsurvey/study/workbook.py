"""tables.xlsx for people: one titled sheet per table in the results' language,
construct and group labels instead of codes, number formats instead of long floats,
frozen header rows, a notes sheet with the settings — and the same bytes for the same
results (fixed timestamps in the file and in its zip)."""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile

import pandas as pd

from .results import Results

__all__ = ["workbook", "SHEETS"]

#: Sheet titles per language (at most 31 characters, no []:*?/\).
SHEETS = {
    "en": {"indices": "Indices", "scores": "NPS and CSAT", "differences": "Comparisons",
           "path_differences": "Path differences", "micom": "MICOM",
           "disclosures": "Data handling", "ipma": "IPMA", "ipma_items": "IPMA questions",
           "item_results": "Question results", "drivers": "Drivers",
           "cleaning_log": "Cleaning log", "paths": "Paths", "loadings": "Loadings",
           "quality": "Reliability", "r2": "R2", "total_effects": "Total effects",
           "htmt_intervals": "HTMT", "cbsem_estimates": "CB-SEM estimates",
           "cbsem_fit": "CB-SEM fit", "weighting": "Weighting targets",
           "weighting_groups": "Weighting by group", "complaints": "Complaints",
           "indirect": "Indirect effects", "model_fit": "PLS model fit",
           "model_selection": "Information criteria", "slopes": "Simple slopes",
           "predict_items": "PLSpredict questions", "predict_constructs": "PLSpredict constructs",
           "cvpat": "CVPAT", "endogeneity": "Endogeneity (copula)",
           "vif_f2": "VIF and f2", "item_vif": "Question VIF",
           "invariance": "Measurement invariance", "latent_means": "Implied latent means",
           "latent_intercepts": "Latent intercepts", "kano": "Kano",
           "typology": "Loyalty types", "rfm": "RFM", "rfm_segments": "RFM segments",
           "abc": "ABC classes", "notes": "Notes"},
    "zh-CN": {"indices": "指数", "scores": "净推荐值与满意率", "differences": "组间比较",
              "path_differences": "路径系数差异", "micom": "MICOM", "disclosures": "数据处理",
              "ipma": "重要性–表现", "ipma_items": "题目重要性–表现",
              "item_results": "题目结果", "drivers": "驱动因素", "cleaning_log": "清洗记录",
              "paths": "路径系数", "loadings": "载荷", "quality": "信度", "r2": "R2",
              "total_effects": "总效应", "htmt_intervals": "HTMT",
              "cbsem_estimates": "协方差模型估计", "cbsem_fit": "协方差模型拟合",
              "weighting": "加权目标与构成", "weighting_groups": "分组加权",
              "complaints": "顾客抱怨", "indirect": "间接效应", "model_fit": "PLS模型拟合",
              "model_selection": "信息准则", "slopes": "简单斜率",
              "predict_items": "PLSpredict题目", "predict_constructs": "PLSpredict结构变量",
              "cvpat": "预测能力检验CVPAT", "endogeneity": "内生性检验（高斯Copula）",
              "vif_f2": "共线性VIF与效应量f2", "item_vif": "题目VIF",
              "invariance": "测量不变性", "latent_means": "隐含潜变量均值",
              "latent_intercepts": "潜变量截距", "kano": "卡诺模型", "typology": "忠诚类型",
              "rfm": "RFM", "rfm_segments": "RFM顾客群", "abc": "ABC分类", "notes": "说明"},
}
#: Columns holding construct codes; values of these are shown as construct labels.
_CONSTRUCT_COLUMNS = {"construct", "lhs", "rhs", "name", "target", "standout", "from",
                      "through", "to"}
#: Columns on the 0–100 (or points) scale, shown with one decimal.
_ONE_DECIMAL = {"index", "value", "value_a", "value_b", "difference", "ci_lower", "ci_upper",
                "se", "mean", "top2", "performance", "promoters", "passives", "detractors",
                "nps", "csat"}
_FIXED_TIME = _dt.datetime(2000, 1, 1)


def _labelled(frame: pd.DataFrame, results: Results | None, lang: str) -> pd.DataFrame:
    if results is None:
        return frame
    labels = {c: (v.get(lang) or v.get("*") or next(iter(v.values()), c))
              for c, v in results.model.labels.items()}
    levels = results.study.group_labels
    out = frame.copy()
    for col in out.columns:
        base = col.split(".")[-1]
        if base in _CONSTRUCT_COLUMNS:
            out[col] = out[col].map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
        elif base in levels:
            names = {k: (v.get(lang) or v.get("*") or k) for k, v in levels[base].items()}
            out[col] = out[col].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    return out


def _notes(results: Results | None) -> pd.DataFrame:
    if results is None:
        return pd.DataFrame({"setting": [], "value": []})
    s = results.settings
    rows = [("study", results.study.id), ("created", s.created),
            ("current wave", s.current_wave or ""), ("weight", s.weight or (
                f"computed: {results.weighting.method} on "
                f"{', '.join(results.weighting.variables)}" if results.weighting else "")),
            ("screening rules", ", ".join(s.exclude)),
            ("PLS", ", ".join(f"{k}={v}" for k, v in (s.pls or {}).items())),
            ("CB-SEM", ", ".join(f"{k}={v}" for k, v in (s.cbsem or {}).items())),
            ("comparisons", ", ".join(f"{k}={v}" for k, v in (s.compare or {}).items())),
            ("multiple comparisons", f"{s.multiplicity.method}, alpha={s.multiplicity.alpha}; "
                                     f"families: {s.multiplicity.families}"),
            *[(f"version {k}", v) for k, v in s.versions.items()]]
    return pd.DataFrame(rows, columns=["setting", "value"])


def _cells(frame: pd.DataFrame, fix) -> pd.DataFrame:
    """``fix`` applied to every text cell and column name (a worksheet cannot hold
    control characters that a group name from the data may carry)."""
    out = frame.rename(columns=lambda c: fix(c) if isinstance(c, str) else c)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: fix(v) if isinstance(v, str) else v)
    return out


def workbook(tables: dict[str, pd.DataFrame], results: Results | None = None) -> bytes:
    """The workbook's bytes (see the module docstring)."""
    from openpyxl.utils import get_column_letter

    from ..errors import escape_controls

    lang = results.study.language if results is not None else "en"
    titles = SHEETS.get(lang, SHEETS["en"])
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, t in {**tables, "notes": _notes(results)}.items():
            frame = _cells(_labelled(t, results, lang), escape_controls)
            title = titles.get(name, SHEETS["en"].get(name, name))[:31]
            frame.to_excel(xw, sheet_name=title, index=False)
            ws = xw.sheets[title]
            ws.freeze_panes = "A2"
            _as_text(ws)
            for k, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(k)
                width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
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
