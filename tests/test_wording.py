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


@pytest.mark.slow
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
    a list of construct codes their labels, the group item its name in the language;
    lavaan's notation stays; the whole-sample row of the weighting sheet is named."""
    import io

    import openpyxl
    import pandas as pd

    from crmsurvey.study.workbook import workbook

    results = _tiny_results("zh-CN")
    tables = {
        "differences": pd.DataFrame({"quantity": ["index", "csat"], "kind": ["groups", "change"],
                                     "family": ["all_pairs", "change"], "test": ["z", "percentile"],
                                     "method": ["holm", "bonferroni"], "micom": ["full", None],
                                     "name": ["SAT", "sat1"], "significant": [True, False],
                                     "warranted": [False, None]}),
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
    assert diff[0][-2:] == [t["yes"], t["no"]] and diff[1][-2:] == [t["no"], None]
    assert diff[1][:5] == [t["cell:quantity:csat"], t["cell:kind:change"],
                           t["cell:family:change"], t["cell:test:percentile"],
                           t["cell:method:bonferroni"]]
    assert cells[t["sheet:disclosures"]][0] == [t["cell:model:pls"],
                                                t["cell:dropped_reason:listwise"],
                                                t["cell:missing_method:listwise"]]
    assert cells[t["sheet:drivers"]][0] == ["满意" + t["list_sep"] + "忠诚", "满意"]
    assert cells[t["sheet:paths"]][0] == ["忠诚", "~", "满意"]
    assert [r[0] for r in cells[t["sheet:weighting"]]] == [t["all"], "甲"]
    # the group item by the study's name for it in the language
    assert book[t["sheet:weighting"]]["A1"].value == "品牌"
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
                              group_labels={"brand": {"A": {"en": "A", "zh-CN": "甲"}}},
                              group_names={"brand": {"en": "Brand", "zh-CN": "品牌"}}))


# --- no catalogue entry that nothing uses ---------------------------------------------------

#: Namespaces whose keys are made from code constants and checked against them exactly:
#: ``diagnostic:<code>`` (the codes the package makes, read above), ``note:<code>``
#: (crmsurvey.notes.CODES and the Disclosure codes), ``cell:<column>:<code>``
#: (crmsurvey.study.workbook.CODED).
_EXACT = ("diagnostic:", "note:", "cell:")


def _used_in_source() -> tuple[set[str], list[re.Pattern], list[set[str]]]:
    """What the code and the templates ask the catalogue for: string constants (Python,
    read with ast; templates: ``t.key``/``w.key`` and quoted words), the patterns of keys
    built at run time — an f-string with a literal head (``f"micom_status_{x}"``), a head
    ending in ``_`` joined to a variable (``"term_" ~ term``, ``"x_" + y``) — and each
    file's constants (a key may be two of one file's constants joined, the second
    starting with ``_``: ``"current_intro" + "_noclient"``)."""
    import ast

    from tests.test_notes_coded import PACKAGE

    root = PACKAGE.parent
    constants: set[str] = set()
    patterns: list[re.Pattern] = []
    per_file: list[set[str]] = []
    for path in PACKAGE.rglob("*.py"):
        mine: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                mine.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(
                    node.values[0], ast.Constant) and len(node.values[0].value) >= 3 \
                    and not node.values[0].value.startswith(_EXACT):
                patterns.append(re.compile("".join(
                    re.escape(v.value) if isinstance(v, ast.Constant) else "[A-Za-z0-9_ ]+"
                    for v in node.values)))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(
                    node.left, ast.Constant) and isinstance(node.left.value, str) \
                    and node.left.value.endswith("_"):
                patterns.append(re.compile(re.escape(node.left.value) + "[A-Za-z0-9_]+"))
        per_file.append(mine)
        constants |= mine
    for path in [*(root / "reports").rglob("*.j2"), *PACKAGE.rglob("*.j2")]:
        text = path.read_text(encoding="utf-8")
        mine = set(re.findall(r"\b(?:t|w|words)\.([A-Za-z_][A-Za-z0-9_]*)", text))
        mine |= set(re.findall(r'"([A-Za-z_:][A-Za-z0-9_: ]*)"', text))
        mine |= set(re.findall(r"'([A-Za-z_:][A-Za-z0-9_: ]*)'", text))
        patterns += [re.compile(re.escape(head) + "[A-Za-z0-9_]+")
                     for head in re.findall(r'["\']([a-z_]+_)["\']\s*~', text)]
        per_file.append(mine)
        constants |= mine
    return constants, patterns, per_file


def _joined(key: str, per_file: list[set[str]]) -> bool:
    for mine in per_file:
        for i in range(1, len(key)):
            head, tail = key[:i], key[i:]
            if not (tail.startswith("_") and head in mine):
                continue
            if tail in mine or any(tail[j] == "_" and tail[:j] in mine and tail[j:] in mine
                                   for j in range(2, len(tail))):
                return True
    return False


@pytest.mark.slow
def test_no_catalogue_entry_is_unused():
    """Every key of the English source is asked for somewhere (a static scan of
    crmsurvey/ and reports/); the namespaces built from code constants are checked
    against those constants exactly."""
    from crmsurvey import notes as N
    from crmsurvey.study.workbook import CODED
    from tests.test_notes_coded import _disclosure_codes

    constants, patterns, per_file = _used_in_source()
    made = {c for where, code, _ in _diagnostics_made() for c in _codes(code, [])}
    exact = {f"diagnostic:{c}" for c in made} | {"diagnostic_in_group"}
    exact |= {f"note:{c}" for c in (*N.CODES, *_disclosure_codes())}
    exact |= {f"cell:{col}:{c}" for col, codes in CODED.items() for c in codes}

    def used(key: str) -> bool:
        if key.startswith(_EXACT):
            return key in exact
        if key in constants or any(p.fullmatch(key) for p in patterns) \
                or _joined(key, per_file):
            return True
        space, _, sub = key.rpartition(":")  # finding:, instrument:, sheet: … by sub-key
        return bool(space) and (sub in constants or any(p.fullmatch(sub) for p in patterns)
                                or _joined(sub, per_file))

    unused = sorted(k for k in catalogue("en") if not used(k))
    assert unused == [], unused
    # the check can fail: a key nothing asks for is found
    assert not used("finding:nps_first") and not used("diagnostic:improper_loading")


def test_every_catalogue_holds_the_same_keys():
    """A key removed from the source is removed from every translation too."""
    from crmsurvey._catalogue import LOCALES_DIR, _read

    source = set(_read(LOCALES_DIR / "messages.pot"))
    for path in LOCALES_DIR.glob("*.po"):
        assert set(_read(path)) == source, (path.name, set(_read(path)) ^ source)


# --- a small study: group names and level names in the report's language ---------------------

def _study_file(root) -> "Path":
    """Two brands (simulated here), no resamples, their names and the group item's name
    given per language in the study."""
    from pathlib import Path

    import crmsurvey as cs

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 160, seed=12, groups={"brand": ["North Co", "South Co"]})
    root = Path(root)
    df.to_csv(root / "answers.csv", index=False)
    (root / "study.yaml").write_text(
        "id: names_study\n"
        "title: {en: Names study, zh-CN: 名称研究}\n"
        "questionnaire: ccsi\n"
        "data: [{path: answers.csv}]\n"
        "groups: [brand]\nmin_group_size: 30\n"
        "compare: {permutations: 100, bootstrap: 100, seed: 1, invariance: false}\n"
        "pls: {bootstrap: 0, seed: 1, fit_test: 0, predict_folds: 0}\n"
        "ipma_target: LOY\n"
        "report:\n"
        "  language: en\n"
        "  group_names: {brand: {en: Company, zh-CN: 公司}}\n"
        "  group_labels:\n"
        "    brand:\n"
        "      North Co: {en: North Co, zh-CN: 北方公司}\n"
        "      South Co: {en: South Co, zh-CN: 南方公司}\n", encoding="utf-8")
    return root / "study.yaml"


@pytest.fixture(scope="module")
def names_study(tmp_path_factory):
    from crmsurvey.report.render import build_html
    from crmsurvey.study.load import load_study
    from crmsurvey.study.run import run_study

    root = tmp_path_factory.mktemp("names")
    results = run_study(load_study(_study_file(root))).results
    return results, {lang: build_html(results, lang=lang) for lang in ("en", "zh-CN")}


def _visible(page: str) -> str:
    import html

    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_group_item_and_levels_named_in_the_report_language(names_study, lang):
    """The comparisons heading names the group item by the study's group_names (not the
    questionnaire's "Brand rated"); the Chinese report names the brands only by their
    Chinese labels."""
    results, pages = names_study
    t = catalogue(lang)
    text = _visible(pages[lang])
    name = {"en": "Company", "zh-CN": "公司"}[lang]
    assert results.comparisons, "the study compares the two brands"
    assert t["index_differences"].format(group=name) in text
    assert t["index_differences"].format(group="Brand rated") not in text
    if lang == "zh-CN":
        assert "北方公司" in text and "南方公司" in text
        assert "North Co" not in text and "South Co" not in text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_report_prints_diagnostics_from_the_catalogue(names_study, lang):
    """Each diagnostic the run stored is printed as its catalogue wording in the report's
    language — in English too, where the estimator's own message is not shown."""
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import Diagnostic as Record

    results, _ = names_study
    extra = Record(code="construct_corr_high", severity="warning",
                   message="constructs SAT and LOY correlate 0.961 (above 0.95)",
                   group={"brand": "North Co"}, concerns=["SAT", "LOY"],
                   params={"first": "SAT", "second": "LOY", "corr": 0.961, "limit": 0.95})
    shown = results.model_copy(update={"diagnostics": [*results.diagnostics, extra]})
    text = _visible(build_html(shown, lang=lang))
    from crmsurvey.report.filters import text_in

    labels = {c: text_in(v, lang) for c, v in shown.model.labels.items()}
    for d in shown.diagnostics:
        assert diagnostic_text(d, lang, labels) in text, (lang, d.code)
        if d.message != diagnostic_text(d, lang, labels):
            assert d.message not in text, (lang, d.code)
    # constructs by their labels in the language, not their ids
    said = diagnostic_text(extra, lang, labels)
    assert labels["SAT"] in said and labels["LOY"] in said and "SAT" not in said


def test_diagnostic_numbers_follow_the_locale_and_lose_a_zero_sign():
    from crmsurvey._format import number_locale

    d = Diagnostic("heywood", "m", "error", params={"variable": "x1", "value": -0.0004})
    assert "(0.000," in d.text("en")  # rounds to zero: no sign
    h = Diagnostic("heywood", "m", "error", params={"variable": "x1", "value": -0.25})
    with number_locale("de"):
        assert "(−0,250," in h.text("en") or "(-0,250," in h.text("en")
    assert "(-0.250," in h.text("en")
