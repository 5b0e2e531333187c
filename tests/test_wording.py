"""Every word a reader sees comes from the catalogue of the report's language.

- diagnostics are a code with named parameters: every ``Diagnostic(...)`` the package
  makes (read from the source with ``ast``, as tests/test_notes_coded.py reads notes)
  gives the parameters its wording ``diagnostic:<code>`` needs, in every language, and
  the report prints that wording (never the estimator's English ``message``);
- the segments' "criteria disagree" sentence reads the diagnostic's parameters by name.
"""
from __future__ import annotations

import re
import string

import pytest

from crmsurvey._catalogue import catalogue, languages
from crmsurvey.diagnostics import Diagnostic, diagnostic_text

from tests.test_notes_coded import _made_with_params


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _diagnostics_made() -> list[tuple[str, object, set[str]]]:
    """Every diagnostic the package makes with a literal code: the estimators' dataclass
    (params: 5th positional argument) and the results' record (keyword ``params``)."""
    return _made_with_params(("Diagnostic",), at=4)


#: What the f-string codes are made from: ``f"{key}_skipped"`` / ``f"{key}_failed"`` in
#: study.run, ``key`` one of its PREDICTION_TESTS.
def _dynamic() -> set[str]:
    from crmsurvey.study.run import PREDICTION_TESTS

    return {f"{k}_{what}" for k in PREDICTION_TESTS for what in ("skipped", "failed")}


def _codes(code, keys) -> list[str]:
    """The catalogue codes a made code stands for (an f-string: the documented codes it
    matches)."""
    if isinstance(code, str):
        return [code]
    return [k for k in _dynamic() if code.fullmatch(k)]


def test_the_scan_finds_the_diagnostics():
    made = _diagnostics_made()
    assert len(made) >= 60, len(made)
    assert any(not isinstance(c, str) for _, c, _ in made)  # f"{key}_skipped" in study.run


@pytest.mark.parametrize("lang", languages())
def test_every_diagnostic_made_is_worded_with_its_own_parameters(lang):
    """Each code made has an entry ``diagnostic:<code>`` in every catalogue, translated,
    with the same placeholders as the English source; each call gives (at least) the
    parameters its wording names — so the report's text can always be filled in."""
    source, own = catalogue("en"), catalogue(lang)
    keys = [k.removeprefix("diagnostic:") for k in source if k.startswith("diagnostic:")]
    for where, code, names in _diagnostics_made():
        codes = _codes(code, keys)
        assert codes, (where, code.pattern if hasattr(code, "pattern") else code)
        for c in codes:
            key = f"diagnostic:{c}"
            assert key in own, (lang, where, key)
            assert _fields(own[key]) == _fields(source[key]), (lang, key)
            assert _fields(own[key]) <= names, (lang, where, c, _fields(own[key]) - names)
            if lang != "en":
                assert own[key] != source[key], (lang, key)
    assert _fields(own["diagnostic_in_group"]) == {"group", "text"}


def test_every_diagnostic_call_names_its_parameters():
    """No estimator makes a diagnostic without ``params`` (a code whose wording needs
    none says so with ``params={}``): the wording is never left to the English message."""
    import ast

    from tests.test_notes_coded import PACKAGE

    missing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Diagnostic":
                if len(node.args) < 5 and not any(k.arg == "params" for k in node.keywords):
                    missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert missing == [], missing


def test_diagnostic_wording_fills_parameters_by_name():
    d = Diagnostic("construct_corr_high", "constructs A and B correlate 0.970", "warning",
                   ("A", "B"), {"first": "A", "second": "B", "corr": 0.9701, "limit": 0.95})
    en, zh = d.text("en"), d.text("zh-CN")
    assert en == catalogue("en")["diagnostic:construct_corr_high"].format(
        first="A", second="B", corr=0.9701, limit=0.95)
    assert "0.970" in en and "0.95" in en and en != d.message
    assert "A与B" in zh and "0.970" in zh and not re.search(r"[A-Za-z]{3,}", zh)
    # a list parameter is joined the language's way
    lat = Diagnostic("latent_not_pd", "m", "error", params={"constructs": ("F1", "F2")})
    assert lat.params["constructs"] == ["F1", "F2"]
    assert "F1, F2" in lat.text("en") and "F1、F2" in lat.text("zh-CN")
    # inside one group of a multi-group fit the group leads
    g = Diagnostic("heywood", "m", "error", params={"variable": "x1", "value": -0.2,
                                                     "in_group": "B"})
    assert g.text("zh-CN") == catalogue("zh-CN")["diagnostic_in_group"].format(
        group="B", text=catalogue("zh-CN")["diagnostic:heywood"].format(variable="x1",
                                                                       value=-0.2))
    # a record of an older run without the parameters keeps its message
    assert diagnostic_text({"code": "heywood", "message": "old text", "params": {}}) == \
        "old text"


def test_numpy_parameters_are_json_values():
    import json

    import numpy as np

    from crmsurvey.study.results import Diagnostic as Record

    d = Diagnostic("bootstrap_failures", "m", params={"failed": np.int64(3),
                                                     "total": np.float64(500.0)})
    rec = Record.of([d], {"brand": "A"})[0]
    back = Record.model_validate(json.loads(rec.model_dump_json()))
    assert back.params == {"failed": 3, "total": 500.0}
    assert diagnostic_text(back, "zh-CN") == d.text("zh-CN")


# --- tables.xlsx: coded cells worded in the results' language ------------------------------

def _literals(ann) -> set[str]:
    import typing

    return {a for a in typing.get_args(ann) if isinstance(a, str)} | {
        v for a in typing.get_args(ann) if not isinstance(a, str) for v in _literals(a)}


def test_every_code_a_workbook_cell_can_hold_is_worded():
    """Each code of a coded column (workbook.CODED, which holds at least the values the
    results' schema allows) has a ``cell:`` entry in every catalogue, translated."""
    from crmsurvey.study import results as R
    from crmsurvey.study.workbook import CODED

    schema = {"quantity": R.Difference, "kind": R.Difference, "method": R.Difference,
              "test": R.Difference, "dropped_reason": R.Disclosure,
              "missing_method": R.Disclosure, "model": R.Disclosure}
    for column, model in schema.items():
        assert _literals(model.model_fields[column].annotation) <= set(CODED[column]), column
    assert set(CODED["measure"]) >= {"nps", "csat"} | set(
        __import__("crmsurvey.pls.fit", fromlist=["MEASURES"]).MEASURES)
    en = catalogue("en")
    for lang in languages():
        own = catalogue(lang)
        for column, codes in CODED.items():
            for code in codes:
                assert f"cell:{column}:{code}" in own, (lang, column, code)
        if lang != "en":
            assert sum(own[k] != en[k] for k in own if k.startswith("cell:")) >= 30


def test_workbook_words_coded_cells_and_construct_lists():
    """A small table of each kind, written in Chinese: codes become the catalogue's words,
    a list of construct codes their labels; lavaan's notation and the user's group names
    stay; the whole-sample row of the weighting sheet is named."""
    import io

    import openpyxl
    import pandas as pd

    from crmsurvey.study.workbook import workbook

    results = _tiny_results("zh-CN")
    tables = {
        "differences": pd.DataFrame({"quantity": ["index", "csat"], "kind": ["groups", "change"],
                                     "family": ["all_pairs", "change"], "test": ["z", "percentile"],
                                     "method": ["holm", "bonferroni"], "micom": ["full", None],
                                     "name": ["SAT", "sat1"]}),
        "disclosures": pd.DataFrame({"model": ["pls"], "dropped_reason": ["listwise"],
                                     "missing_method": ["listwise"]}),
        "drivers": pd.DataFrame({"priorities": ["SAT, LOY"], "standout": ["SAT"]}),
        "paths": pd.DataFrame({"lhs": ["LOY"], "op": ["~"], "rhs": ["SAT"]}),
        "weighting": pd.DataFrame({"brand": ["all", "A"], "variable": ["age", "age"]}),
    }
    book = openpyxl.load_workbook(io.BytesIO(workbook(tables, results)))
    t = catalogue("zh-CN")
    cells = {ws.title: [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
             for ws in book.worksheets}
    diff = cells[t["sheet:differences"]]
    assert diff[0][:6] == [t["cell:quantity:index"], t["cell:kind:groups"],
                           t["cell:family:all_pairs"], t["cell:test:z"], t["cell:method:holm"],
                           t["cell:micom:full"]]
    assert diff[1][:5] == [t["cell:quantity:csat"], t["cell:kind:change"],
                           t["cell:family:change"], t["cell:test:percentile"],
                           t["cell:method:bonferroni"]]
    assert cells[t["sheet:disclosures"]][0] == [t["cell:model:pls"],
                                                t["cell:dropped_reason:listwise"],
                                                t["cell:missing_method:listwise"]]
    assert cells[t["sheet:drivers"]][0] == ["满意" + t["list_sep"] + "忠诚", "满意"]
    assert cells[t["sheet:paths"]][0] == ["忠诚", "~", "满意"]
    assert [r[0] for r in cells[t["sheet:weighting"]]] == [t["all"], "甲"]
    codes = {c for v in __import__("crmsurvey.study.workbook", fromlist=["CODED"]).CODED.values()
             for c in v}
    seen = {v for rows in cells.values() for row in rows for v in row if isinstance(v, str)}
    assert not seen & codes, seen & codes


def _tiny_results(lang: str):
    """A Results record with only what the workbook reads (labels, group names, settings),
    built from the schema's own defaults."""
    from types import SimpleNamespace

    labels = {"SAT": {"en": "Satisfaction", "zh-CN": "满意"},
              "LOY": {"en": "Loyalty", "zh-CN": "忠诚"}}
    settings = SimpleNamespace(groups=["brand"], waves=None, created="2026-01-01",
                               current_wave=None, weight=None, exclude=[], pls={}, cbsem={},
                               compare={}, versions={},
                               multiplicity=SimpleNamespace(method="bonferroni", alpha=0.05,
                                                            families="pairs"))
    return SimpleNamespace(
        model=SimpleNamespace(labels=labels), settings=settings, weighting=None,
        study=SimpleNamespace(id="tiny", language=lang,
                              group_labels={"brand": {"A": {"en": "A", "zh-CN": "甲"}}}))
