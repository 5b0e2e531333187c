"""Page review, round 3 (sections, methodology and glossary wording): each item checked on
the bundled studies' reports in both languages (tests/conftest.py ``bundled_runs``: run
once per session; every test here is slow).

What a sentence must say is derived in each test from the results (group sizes, the
model's paths, the ABC shares), never from earlier output.
"""
from __future__ import annotations

import base64
import re

import pytest

from ._report_text import element, page_text, section, text_of

LANGS = ("en", "zh-CN")


def _svgs(doc: str) -> list[str]:
    """The report's inline SVG charts, decoded."""
    return [base64.b64decode(m).decode("utf-8")
            for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', doc)]


def _rows(table_html: str) -> list[list[str]]:
    """A table's body rows as their cells' visible text."""
    rows = [[text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.S)]
    return [r for r in rows if r]  # the header row has no <td>


# --- A5: the weighting section pooled over waves says so ------------------------------

def test_weights_fitted_on_every_wave_are_labelled_pooled(bundled_runs):
    run = bundled_runs["demo_ccsi"]
    res = run.results()
    per_wave = res.sample.group_sizes[res.settings.waves]
    # the weights' n is every wave's respondents together, so the tables are pooled
    assert res.weighting.n == sum(per_wave.values()) and len(per_wave) > 1
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    n = f"{res.weighting.n}"  # as the sample tiles print it (no grouping)
    assert f"for all {len(per_wave)} waves pooled" in en
    assert f"{n} respondents), not for the current wave alone" in en
    assert f"全部{len(per_wave)}个年度合并的样本" in zh
    for wave in per_wave:
        assert wave in section(en, "waves pooled", "current wave alone")


# --- C6 and C11: the IPMA names what it leaves out and marks the mediator --------------

def _ancestors(paths, target: str) -> set[str]:
    out, todo = set(), [target]
    while todo:
        here = todo.pop()
        for lhs, rhs in paths:
            if lhs == here and rhs not in out:
                out.add(rhs)
                todo.append(rhs)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_ipma_says_why_a_construct_with_a_path_into_the_target_is_not_plotted(
        bundled_runs, lang):
    run = bundled_runs["shape_waves"]
    res = run.results()
    drivers = res.drivers_of(res.headline.group)
    shown = {r.construct for r in drivers.constructs}
    missing = _ancestors(res.model.paths, drivers.target) - shown
    assert "COMP" in missing  # the complaints item: yes/no, no 0–100 index
    doc = run.html(lang)
    # the sentence right under the map's figure
    after = doc[doc.index("</figure>", doc.index('id="priorities"')):]
    said = text_of(re.match(r'</figure>\s*<p class="muted">(.*?)</p>', after, re.S).group(1))
    label, target = {"en": ("Complaints", "Loyalty"), "zh-CN": ("顾客抱怨", "顾客忠诚度")}[lang]
    assert said.startswith(label) and target in said
    assert ("yes/no question" in said) if lang == "en" else ("是/否题" in said)


@pytest.mark.parametrize("lang", LANGS)
def test_ipma_chart_marks_the_mediator(bundled_runs, lang):
    run = bundled_runs["shape_waves"]
    res = run.results()
    drivers = res.drivers_of(res.headline.group)
    mediators = [r.construct for r in drivers.constructs
                 if not r.actionable and r.construct != drivers.target]
    assert mediators == ["SAT"]
    tag = {"en": "Satisfaction (mediator)", "zh-CN": "顾客满意度（中介变量）"}[lang]
    assert any(tag in svg for svg in _svgs(run.html(lang)))


# --- C8: the missing-data mean is taken where the models were fitted --------------------

def test_mean_replacement_is_said_within_each_wave_without_groups(bundled_runs):
    run = bundled_runs["shape_waves"]
    assert not run.results().settings.groups
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    assert "replaced by the question's mean within each wave" in en
    assert "within each group" not in en
    assert "在各年度内的均值替代" in zh and "组内的均值" not in zh


def test_mean_replacement_names_groups_and_waves_in_the_demo(bundled_runs):
    en = page_text(bundled_runs["demo_ccsi"].html("en"))
    assert "within the respondents of each model (each wave's whole sample" in en


# --- C9: the group sizes caption fits a table of waves only -----------------------------

def test_group_sizes_caption_of_a_study_with_waves_only(bundled_runs):
    run = bundled_runs["shape_waves"]
    sizes = run.results().sample.group_sizes
    assert list(sizes) == [run.results().settings.waves]
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    assert "Respondents per wave." in en and "Groups: respondents in the current" not in en
    assert "各年度的受访者人数。" in zh
    # a study with groups keeps the two-part caption
    assert "Groups: respondents in the current wave" in page_text(
        bundled_runs["demo_ccsi"].html("en"))


# --- A8, A9: column names quoted; the multiplicity family said plainly -------------------

def test_weight_column_is_quoted_in_both_languages(bundled_runs):
    run = bundled_runs["example_file"]
    column = run.results().settings.weight
    assert column == "weight"
    assert f"weighted by the column '{column}'" in page_text(run.html("en"))
    assert f"按“{column}”列加权" in page_text(run.html("zh-CN"))


def test_multiplicity_family_without_jargon(bundled_runs):
    en = page_text(bundled_runs["demo_ccsi"].html("en"))
    assert "one group item for one measure" not in en
    assert "pairs of groups split by the same question, separately for each measure" in en


# --- A10: the whole sample's p is marked as unadjusted --------------------------------

def test_whole_sample_rows_marked_unadjusted(bundled_runs):
    run = bundled_runs["demo_ccsi"]
    doc = run.html("en")
    rows = _rows(element(doc, "complaints"))
    whole = [r for r in rows if r[0] == "All respondents"]
    assert whole and whole[0][-2].endswith("‡")
    assert not any(r[-2].endswith("‡") for r in rows if r[0] != "All respondents")
    changes = _rows(element(doc, "changes"))
    # the whole sample's block comes first: its rows carry ‡, the groups' do not
    firsts = [k for k, r in enumerate(changes) if r[0]]
    assert changes[0][0] == "All respondents"
    block = changes[:firsts[1]]
    assert all(r[-1].endswith("‡") for r in block)
    assert not any(r[-1].endswith("‡") for r in changes[firsts[1]:])
    text = page_text(doc)
    assert text.count("‡ All respondents: interval and p not adjusted") == 2
    assert "‡ 全部受访者一行的置信区间和p值未经校正" in page_text(run.html("zh-CN"))


# --- A11: the ABC rule and the value's unit --------------------------------------------

def test_abc_classes_are_captioned_with_their_rule(bundled_runs):
    run = bundled_runs["demo_ccsi"]
    abc = run.results_dict()["analytics"]["customers"]["abc"]
    share = {r["abc"]: r["share_customers"] for r in abc}
    # the shares of customers the table prints are the rule's 5 % and 15 % (rounded)
    assert round(share["A"]) == 5 and round(share["B"]) == 15
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    assert "the top 5% are class A, the next 15% class B, the rest class C" in en
    assert "前5%为A类，其后15%为B类" in zh
    assert "Value: each customer's total spend" in en and "CLV is in the same unit" in en


# --- A12, Z1, Z2: the zh glossary and citations ----------------------------------------

@pytest.mark.parametrize("name", ["demo_ccsi", "shape_waves", "shape_segments"])
def test_zh_glossary_terms_and_interval_definition(bundled_runs, name):
    zh = page_text(bundled_runs[name].html("zh-CN"))
    assert "满意率（CSAT）" not in zh
    assert "它有95%的样本覆盖真值" not in zh
    assert "在重复抽样中，约95%的样本所得区间会覆盖真值" in zh


@pytest.mark.parametrize("name", ["demo_ccsi", "shape_waves", "shape_segments",
                                  "shape_single"])
def test_citations_kept_in_chinese(bundled_runs, name):
    run = bundled_runs[name]
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    cited = set(re.findall(r"\b([A-Z][a-z]+) et al\.,? (\d{4})", en))
    assert cited  # every report cites its quality criteria
    for author, year in cited:
        assert f"{author}等，{year}" in zh, (author, year)


# --- Z3: the data table's model names as the text names them ---------------------------

def test_cbsem_model_name_translated_in_the_data_table(bundled_runs):
    run = bundled_runs["shape_single"]
    assert run.results().cbsem is not None
    zh = run.html("zh-CN")
    cells = [c for r in re.findall(r"<tr>(.*?)</tr>", zh, re.S)
             for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
    assert "CB-SEM" not in [text_of(c) for c in cells]
    assert "协方差结构模型" in [text_of(c) for c in cells]


# --- E1: the example study names its brands ---------------------------------------------

def test_example_file_names_its_brands(bundled_runs):
    run = bundled_runs["example_file"]
    en, zh = page_text(run.html("en")), page_text(run.html("zh-CN"))
    assert "Brand A's Satisfaction index" in en
    assert not re.search(r"(?<!Brand) [ABC]'s ", en)
    assert "品牌A" in zh


# --- C1: market wording only where the groups are a market ------------------------------

def test_scorecard_market_wording_only_for_a_market(bundled_runs):
    seg = bundled_runs["shape_segments"]
    res = seg.results()
    assert res.study.client_group is None and res.story.scorecard.weights is None
    en, zh = page_text(seg.html("en")), page_text(seg.html("zh-CN"))
    card = text_of(element(seg.html("en"), "scorecard"))
    assert "All respondents" in card and "Market" not in card
    assert "market share" not in section(en, "Scorecard", "bootstrap intervals. The")
    assert "The All respondents row is the whole sample's own model" in en
    assert "市场整体" not in zh
    # a client among competitor brands keeps the market row
    ex = bundled_runs["example_file"]
    assert ex.results().study.client_group is not None
    assert "Market (whole sample)" in text_of(element(ex.html("en"), "scorecard"))
