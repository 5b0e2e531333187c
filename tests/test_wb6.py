"""Consistency of wording between the report, the workbook and the questionnaire (issue
27, items 2 and 8): labels picked in one way everywhere (a language the questionnaire
lacks reads English, never the questionnaire's first language), one Chinese term for a
segment, the weighting sheet's categories by their labels, and the methodology's margin
of error equal to half the interval as printed."""
from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from crmsurvey import _catalogue

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "crmsurvey" / "locales"
CCSI = yaml.safe_load((ROOT / "questionnaires" / "ccsi.yaml").read_text(encoding="utf-8"))
#: Chinese, Japanese and Korean characters and full-width forms
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
#: The fixed Chinese term of each concept touched here, and the variants it replaces
#: (patterns: 细分群体, "segment group", holds the fixed term and is no variant).
FIXED_TERMS = {"细分": ("顾客群", "客户群", "客群", "(?<!细)分群")}


def _messages(path: Path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        out = [m for m in read_po(f, charset="utf-8") if m.id and m.context]
    for m in out:  # a plural entry: its singular forms
        m.id = m.id if isinstance(m.id, str) else m.id[0]
        m.string = m.string if isinstance(m.string, str) else m.string[0]
    return out


def _de_catalogue(tmp_path: Path, monkeypatch) -> None:
    """A ``de.po`` holding the English source text (as a translator starts), made the
    catalogue folder's only translation beside the template."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    (tmp_path / "messages.pot").write_bytes((LOCALES / "messages.pot").read_bytes())
    cat = Catalog(locale="de")
    for m in _messages(LOCALES / "messages.pot"):
        cat.add(m.id, m.id, context=m.context, flags=m.flags)
    with open(tmp_path / "de.po", "wb") as f:
        write_po(f, cat)
    monkeypatch.setattr(_catalogue, "LOCALES_DIR", tmp_path)
    assert "de" in _catalogue.languages()


def _book(folder: Path, lang: str):
    import openpyxl

    from crmsurvey.study.export import bundle_tables
    from crmsurvey.study.results import load_results
    from crmsurvey.study.workbook import workbook

    results = load_results(folder / "results.json")
    return openpyxl.load_workbook(io.BytesIO(workbook(bundle_tables(results, folder), results,
                                                      lang)))


def _cells(book) -> list[tuple[str, str]]:
    return [(ws.title, v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
            for v in row if isinstance(v, str)]


# --- 1. one way to pick a text's language -----------------------------------------------

def test_questionnaire_text_in_a_language_it_lacks_is_english():
    """ccsi is Chinese-first: a language it lacks reads its English text, its default
    is its first language, and the outline in that language has no Chinese in it."""
    import crmsurvey as cs
    from crmsurvey.questionnaire.show import outline

    q = cs.load_questionnaire("ccsi")
    assert CCSI["languages"][0] == "zh-CN"
    assert q.text(q.definition.title, "de") == CCSI["title"]["en"]
    assert q.text(q.definition.title) == CCSI["title"]["zh-CN"]
    assert q.text({"zh-CN": "满意", "ja": "満足"}, "de") == "满意"  # the first it has, in order
    text = outline(q, "de")
    assert CJK.findall(text) == [], CJK.findall(text)[:10]
    assert CJK.search(outline(q, "zh-CN"))  # the check can fail


def test_no_module_of_the_workbook_cli_or_questionnaire_picks_a_language_itself():
    """The order 'lang, *, then whatever comes first' written out again is what showed
    Chinese labels in a German workbook; these modules call text_in_language."""
    for rel in ("crmsurvey/study/workbook.py", "crmsurvey/cli/study.py",
                "crmsurvey/questionnaire/questionnaire.py"):
        src = (ROOT / rel).read_text(encoding="utf-8")
        assert not re.search(r"\.get\(lang\)\s*or", src), rel
        assert "text_in_language" in src, rel


@pytest.mark.slow
def test_a_de_workbook_of_a_chinese_first_questionnaire_has_no_chinese(demo_runs, tmp_path,
                                                                       monkeypatch):
    """The demo's questionnaire (ccsi) lists zh-CN first: its workbook in a language with
    a catalogue but no questionnaire translation labels constructs, questions, groups and
    categories in English."""
    zh = _cells(_book(demo_runs["en"], "zh-CN"))
    assert any(CJK.search(v) for _, v in zh)  # the check can fail
    _de_catalogue(tmp_path, monkeypatch)
    de = _cells(_book(demo_runs["en"], "de"))
    assert [(s, v) for s, v in de if CJK.search(v)] == []
    values = {v for _, v in de}
    constructs = {c["label"]["en"] for c in CCSI["constructs"].values()}
    assert constructs <= values, constructs - values
    assert {"Male", "Female", "60 and over"} <= values


# --- 2. one term per concept ---------------------------------------------------------------

def test_the_chinese_catalogue_uses_the_fixed_term_for_a_segment():
    """No Chinese text says a rejected variant of a fixed term; every entry whose English
    source speaks of a segment says 细分."""
    zh = _messages(LOCALES / "zh_CN.po")
    assert len(zh) > 1000
    for term, rejected in FIXED_TERMS.items():
        for variant in rejected:
            hits = [m.context for m in zh if re.search(variant, m.string)]
            assert hits == [], (term, variant, hits)
    segment = [m for m in zh if re.search(r"\bsegments?\b", m.id, re.I)]
    assert len(segment) > 10
    assert [(m.context, m.string) for m in segment if "细分" not in m.string] == []
    # the English template: its keys are the same, so the workbook's and the report's
    # headings for a segment are one word there too
    en = {m.context: m.id for m in _messages(LOCALES / "messages.pot")}
    assert en["column:segment"] == "Segment" and en["segment"] == "RFM segment"


@pytest.mark.slow
def test_the_chinese_workbook_and_report_call_a_segment_the_same(demo_runs):
    book = _book(demo_runs["en"], "zh-CN")
    cells = _cells(book) + [("", ws.title) for ws in book.worksheets]
    html = (demo_runs["zh-CN"] / "report.zh-CN.html").read_text(encoding="utf-8")
    for rejected in FIXED_TERMS.values():
        for variant in rejected:
            assert [c for c in cells if re.search(variant, c[1])] == [], variant
            assert not re.search(variant, html), variant
    assert "RFM细分" in {ws.title for ws in book.worksheets}


# --- 3. the weighting sheet's categories by their labels --------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_weighting_sheet_names_categories_as_the_questionnaire_does(demo_runs, lang):
    """The raking variables (gender, age) by their question, each category by its label
    in the questionnaire with its code in the column beside it."""
    t = _catalogue.catalogue(lang)
    book = _book(demo_runs["en"], lang)
    ws = book[t["sheet:weighting"]]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    col = {name: head.index(t[f"column:{name}"]) for name in
           ("variable", "item", "category", "category_code")}
    assert col["category_code"] == col["category"] + 1
    items = {it["id"]: it for s in CCSI["sections"] for it in s["items"]}
    seen = set()
    for row in rows[1:]:
        var, code = row[col["variable"]], row[col["category_code"]]
        scale = CCSI["scales"][items[var]["scale"]]
        assert row[col["item"]] == items[var]["text"][lang]
        assert row[col["category"]] == scale["values"][int(code)][lang], row
        seen.add((var, int(code)))
    assert seen == {("gender", k) for k in (1, 2, 3)} | {("age", k) for k in (1, 2, 3, 4)}


# --- 4. the margin of error is half the interval as printed ------------------------------

def test_margin_of_error_is_half_the_printed_interval():
    from crmsurvey.report.sections.methodology import margin_of_error

    # [73.50, 76.77] prints 73.5 – 76.8: width 3.3, half 1.65 (the unrounded half: 1.635)
    assert margin_of_error(73.49885, 76.76846) == "1.65"
    assert margin_of_error(73.36, 76.64) == "1.6"  # 73.4 – 76.6
    rng = __import__("numpy").random.default_rng(5)
    for lo, w in zip(rng.uniform(0, 90, 200), rng.uniform(0.1, 10, 200)):
        hi = lo + w
        printed = (Decimal(f"{hi:.1f}") - Decimal(f"{lo:.1f}")) / 2
        assert Decimal(margin_of_error(lo, hi)) == printed, (lo, hi)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_methodology_margin_is_half_the_headline_interval_printed(demo_runs, lang):
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import load_results

    results = load_results(demo_runs["en"] / "results.json")
    head = results.index_of(results.headline.group, "SAT")
    html = build_html(results, lang=lang)
    lo, hi = f"{head.ci_lower:.1f}", f"{head.ci_upper:.1f}"
    assert re.search(rf">\s*{re.escape(lo)}\s*–\s*{re.escape(hi)}\s*<", html)  # the table
    margin = re.search(r"±([0-9.]+)\s*(?:points|分)", html)
    assert margin, lang
    assert Decimal(margin.group(1)) == (Decimal(hi) - Decimal(lo)) / 2


# --- the loyalty types: one name per type in the report and the workbook ----------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_loyalty_type_columns_are_named_as_the_report_names_the_types(lang):
    """Dick & Basu's types head the workbook's typology columns with the report's words
    (the latent-loyalty column once read "Latent variable" / 潜变量)."""
    from crmsurvey.analytics.typology import TYPES

    t = _catalogue.catalogue(lang)
    kinds = set(TYPES.values())
    assert kinds == {"loyal", "latent", "spurious", "no_loyalty"}
    assert {k: t[f"column:{k}"] for k in kinds} == {k: t[f"type_{k}"] for k in kinds}


@pytest.mark.slow
def test_the_typology_sheet_heads_its_columns_with_the_types(demo_runs):
    t = _catalogue.catalogue("zh-CN")
    ws = _book(demo_runs["en"], "zh-CN")[t["sheet:typology"]]
    heads = [c.value for c in ws[1]]
    assert {t[f"type_{k}"] for k in ("loyal", "latent", "spurious", "no_loyalty")} <= set(heads)
    assert "潜变量" not in heads


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_row_of_all_levels_names_them_as_the_report_does(demo_runs, lang):
    """The indices of the whole sample (of each wave) say "All respondents" in the brand
    column instead of leaving it empty, one such row per whole-sample index."""
    from crmsurvey.study.results import load_results

    t = _catalogue.catalogue(lang)
    results = load_results(demo_runs["en"] / "results.json")
    rows = list(_book(demo_runs["en"], lang)[t["sheet:indices"]].iter_rows(values_only=True))
    brand = rows[0].index({"en": "Brand", "zh-CN": "品牌"}[lang])  # the study's group_names
    cells = [r[brand] for r in rows[1:]]
    assert None not in cells
    whole = [x for x in results.indices if "brand" not in x.group]
    assert len(whole) > 0 and cells.count(t["all"]) == len(whole)
