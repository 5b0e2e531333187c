"""The executive summary after the page review (session 4, helper fix-story): a sentence
says only what the results license.

- drivers that "cannot be told apart" — only the strongest and the next were tested
  against each other, so the sentence names those two (review B A1, C 2);
- a study without a client names its significant index differences between groups
  (review B A2);
- recommendations are exactly the questions the caption's rule licenses, none added to
  reach a count (review B A3);
- a client's gaps leave out pairs MICOM does not warrant, and "and N more" counts the
  rows of the gap table (review C 1);
- wave changes are ranked within one unit, CSAT's in percentage points (review C 7);
- the Chinese recommendation keeps a group's name apart from its score (review C 10);
- the gap table's note names the group comparisons only when the report has them
  (example_file 1).
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from crmsurvey.report.i18n import sentences, strings
from crmsurvey.study.results import Difference
from crmsurvey.study.story import _changes, _Ctx, _drivers, _gaps, _pairs, _segments

from ._report_text import summary as _summary, text_of
from ._studies import study_run
from ._story_ctx import changes_ctx


def _text(fragment: str) -> str:
    return text_of(fragment, strip=False)


def _diff(name, a, b, va, vb, lo, hi, *, quantity="index", warranted=None, kind="groups"):
    d = va - vb
    return Difference(quantity=quantity, name=name, kind=kind, group_a=a, group_b=b,
                      value_a=va, value_b=vb, difference=d, se=1.0, ci_lower=lo,
                      ci_upper=hi, ci_level=0.99, pvalue=0.01, pvalue_adj=0.02, m=3,
                      significant=lo > 0 or hi < 0, warranted=warranted)


def _ctx(differences, *, client: bool, constructs=("SAT", "LOY")):
    """A story context over hand-made comparisons (no fits needed for these findings)."""
    x = object.__new__(_Ctx)
    groups = [{"brand": k} for k in "ABC"]
    x.r = SimpleNamespace(comparisons=[SimpleNamespace(item="brand", differences=differences,
                                                       levels=list("ABC"))],
                          model=SimpleNamespace(index_constructs=list(constructs)))
    x.client, x.item, x.scope = client, "brand", {}
    x.focus = groups[0] if client else {}
    x.competitors = groups[1:] if client else []
    return x


A, B, C = ({"brand": k} for k in "ABC")


# --- review C 1: not-warranted pairs are no gaps; every gap is kept for the table -----

def test_gaps_leave_out_pairs_micom_does_not_warrant():
    diffs = [_diff("SAT", A, B, 60, 77, -25, -9, warranted=False),  # the largest, not warranted
             _diff("SAT", A, C, 60, 70, -15, -5, warranted=True),
             _diff("LOY", A, B, 80, 70, 4, 16),
             _diff("LOY", C, A, 75, 70, -2, 12),  # not significant
             _diff("EXP", B, A, 50, 66, -20, -12)]  # stored as B − A: A is ahead
    f = _gaps(_ctx(diffs, client=True, constructs=("SAT", "LOY", "EXP")))
    assert f.code == "gaps_mixed"
    behind = [(e["construct"], e["other"]) for e in f.params["behind"]]
    ahead = [(e["construct"], e["other"]) for e in f.params["ahead"]]
    assert ("SAT", B) not in behind + ahead  # MICOM did not warrant it
    assert behind == [("SAT", C)]
    assert ahead == [("EXP", B), ("LOY", B)]  # largest first: 16 then 10
    assert [e["gap"] for e in f.params["ahead"]] == sorted(
        (e["gap"] for e in f.params["ahead"]), reverse=True)
    assert all(e["gap_lower"] > 0 for e in f.params["behind"] + f.params["ahead"])


# --- review B A2: a study without a client names its significant differences ----------

def test_no_client_names_every_significant_pair_largest_first():
    diffs = [_diff("SAT", A, B, 70, 68, -1, 5),  # not significant
             _diff("LOY", A, B, 60, 69.3, -14, -4),  # B above A by 9.3
             _diff("LOY", A, C, 66, 60, 1, 11),
             _diff("SAT", B, C, 75, 60, 5, 25, warranted=False)]  # not warranted
    f = _pairs(_ctx(diffs, client=False))
    assert f is not None and f.code == "pairs_significant"
    assert f.params["tested"] == 3  # the not-warranted pair is not counted as tested
    e = f.params["entries"]
    assert [(x["construct"], x["high"], x["low"]) for x in e] == [("LOY", B, A), ("LOY", A, C)]
    assert e[0]["gap"] == pytest.approx(9.3) and e[0]["high_value"] == 69.3
    assert (e[0]["gap_lower"], e[0]["gap_upper"]) == (4, 14)
    # nothing significant: no sentence at all
    assert _pairs(_ctx(diffs[:1], client=False)) is None
    assert _pairs(_ctx(diffs, client=True)) is None


# --- review B A1 / C 2: only the tested pair is said to be indistinguishable ------------

def _drivers_ctx(priorities, standout):
    from crmsurvey.study.results import DriverRow, Drivers

    rows = [DriverRow(construct=c, importance=1.0 - k / 10, performance=70.0,
                      total_std=0.4 - k / 10, ci_lower=0.05, ci_upper=0.6, significant=True,
                      actionable=True) for k, c in enumerate(priorities)]
    dr = Drivers(group={}, target="LOY", constructs=rows, items=[], priorities=priorities,
                 standout=standout, lead_ci=(-0.02, 0.2))
    x = object.__new__(_Ctx)
    x.r = SimpleNamespace(drivers_of=lambda g: dr)
    x.focus, x.level = {}, 0.95
    return x


def test_drivers_similar_names_the_leader_and_the_runner_up():
    f, = _drivers(_drivers_ctx(["IMAG", "PQ", "EXP", "PV"], None))
    assert f.code == "drivers_similar"
    assert (f.params["first"], f.params["second"]) == ("IMAG", "PQ")
    for lang in ("en", "zh-CN"):
        text = sentences(lang)["drivers_similar"].format(
            group="G", drivers="D1, D2, D3", target="T", first="FIRST", second="SECOND")
        assert "FIRST" in text and "SECOND" in text
        reading = strings(lang)["no_standout"].format(names="N", first="FIRST",
                                                      second="SECOND")
        assert "FIRST" in reading and "SECOND" in reading
    # the claim about every pair is gone from both templates
    assert "their effects cannot be told apart" not in sentences("en")["drivers_similar"]
    assert "gaps between them" not in strings("en")["no_standout"]


# --- review B 7g: segments reach the summary only when licensed ------------------------

def _segments_ctx(chosen=2, weak=False, p=0.001):
    def seg(k, share, diff):
        return SimpleNamespace(segment=k, share=share, contrasts=[
            {"construct": "SAT", "mean": 70 + diff, "rest": 70, "diff": diff, "p_holm": p},
            {"construct": "LOY", "mean": 70, "rest": 70, "diff": 0.4, "p_holm": 0.8}])
    diags = [SimpleNamespace(code="segments_weak_classification")] if weak else []
    x = object.__new__(_Ctx)
    x.r = SimpleNamespace(
        segments=SimpleNamespace(chosen=chosen, method="latent_class", diagnostics=diags,
                                 segments=[seg(1, .6, 6.0), seg(2, .4, -9.0)]),
        settings=SimpleNamespace(multiplicity=SimpleNamespace(alpha=0.05)),
        model=SimpleNamespace(index_constructs=["SAT", "LOY"]))
    return x


def test_segments_finding_only_when_licensed():
    f = _segments(_segments_ctx())
    assert f.code == "segments_differ" and f.params["k"] == 2
    assert [(e["segment"], e["diff"]) for e in f.params["entries"]] == [(2, -9.0), (1, 6.0)]
    assert _segments(_segments_ctx(weak=True)) is None  # weak classification: not said
    assert _segments(_segments_ctx(chosen=1)) is None
    assert _segments(_segments_ctx(p=0.2)) is None  # nothing significant


# --- review C 7: changes are ranked within one unit ---------------------------------------

def _changes_ctx(changes):
    return changes_ctx(changes, A)


def test_a_csat_change_is_not_ranked_against_index_points():
    before = {"brand": "A", "wave": "2025"}
    idx = _diff("SAT", A, before, 72.9, 71.8, -1.0, 3.2, kind="change")
    csat = _diff("sat1", A, before, 47.4, 42.9, -0.5, 9.5, quantity="csat", kind="change")
    f, = _changes(_changes_ctx([csat, idx]))
    assert f.code == "change_flat_index" and f.params["quantity"] == "index"
    f, = _changes(_changes_ctx([csat]))
    assert f.code == "change_flat_pp"
    up = _diff("sat1", A, before, 49.4, 42.9, 1.5, 11.5, quantity="csat", kind="change")
    f, = _changes(_changes_ctx([up]))
    assert f.code == "change_up_pp"
    for lang in ("en", "zh-CN"):
        for code in ("change_up_pp", "change_down_pp", "change_flat_pp"):
            text = sentences(lang)[code]
            assert ("percentage points" if lang == "en" else "个百分点") in text


# --- review C 10: the Chinese recommendation keeps names and scores apart -----------------

def test_zh_question_vs_separates_group_names_from_scores():
    text = sentences("zh-CN")["question_vs"].format(
        question="Q", group="Brand 01", performance="69.1", competitor="Brand 14",
        competitor_performance="79.2")
    assert "Brand 0169.1" not in text and "Brand 1479.2" not in text
    assert re.search(r"Brand 01\D+69\.1", text) and re.search(r"Brand 14\D+79\.2", text)


# --- rendered reports ---------------------------------------------------------------------

REGIONS = """\
id: regions
title: Regions
questionnaire: hotel.yaml
data:
  - simulate: {n: 150, seed: 51, groups: {region: [North, South, East]}}
exclude: [duplicate, screened_out, attention, speeder]
groups: [region]
pls: {bootstrap: 2400, seed: 7, fit_test: 0, predict_folds: 0}
ipma_target: LOY
"""

BRANDS = """\
id: brands
title: Brands
questionnaire: ccsi
data:
  - simulate: {n: 160, seed: 8, groups: {brand: [A, B, C]}}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
pls: {bootstrap: 2400, seed: 2, fit_test: 0, predict_folds: 0}
ipma_target: LOY
report:
  client_group: {brand: A}
  sections: [summary, indices, priorities, model, quality, sample, methodology]
"""


def _run(tmp_path_factory, key: str, text: str, files=()) -> tuple:
    """The study run once per session (tests/_studies.py): (results, {lang: html})."""
    done = study_run(tmp_path_factory, key, text, files=files)
    return done.results(), done.pages()


@pytest.fixture(scope="module")
def regions(tmp_path_factory):
    return _run(tmp_path_factory, "regions", REGIONS,
                files=[Path(__file__).resolve().parents[1] / "studies" / "questionnaires"
                       / "hotel.yaml"])


@pytest.fixture(scope="module")
def brands(tmp_path_factory):
    return _run(tmp_path_factory, "brands", BRANDS)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_no_client_summary_names_the_significant_pairs(regions, lang):
    results, pages = regions
    summary = _summary(pages[lang])
    sig = [d for c in results.comparisons for d in c.differences
           if d.quantity == "index" and d.significant and d.warranted is not False]
    assert sig, "the simulation should give significant regional gaps"
    f = next(f for f in results.story.findings if f.code == "pairs_significant")
    assert len(f.params["entries"]) == len(sig)
    # the largest pairs' figures, each linked to the table that lists every pair
    linked = re.findall(r'<a class="ref" href="#index-differences">([^<]+)</a>', summary)
    largest = max(sig, key=lambda d: abs(d.difference))
    for v in (largest.value_a, largest.value_b):
        assert f"{v:.1f}" in linked
    if len(sig) > 3 and lang == "en":
        assert f"and {len(sig) - 3} more" in _text(summary)


@pytest.mark.slow
def test_recommendations_only_those_the_rule_licenses(regions, brands):
    for results, _ in (regions, brands):
        story = results.story
        dr = results.drivers_of(story.focus)
        levers = [i for i in dr.items if i.construct in dr.priorities and i.importance > 0]
        if not levers:
            continue
        mean = sum(i.performance for i in levers) / len(levers)
        for rec in story.recommendations:
            assert rec.performance < mean + 1e-9  # the caption's rule, with nothing added
            if rec.competitor is not None:
                assert rec.competitor_performance > rec.performance
        assert len(story.recommendations) < len(levers)  # never every question


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_gap_table_note_and_counts_without_a_comparisons_section(brands, lang):
    results, pages = brands
    doc = pages[lang]
    assert 'id="comparisons"' not in doc
    t = strings(lang)
    text = _text(doc)
    assert _text(t["gaps_note"]) not in text  # refers to a section that is not there
    gaps = next((f for f in results.story.findings if f.code.startswith("gaps_")
                 and f.code != "gaps_none"), None)
    if gaps is None:
        pytest.skip("no significant gap in this simulation")
    # the MICOM clause only where MICOM ran (this study compares no paths: no MICOM)
    micom = any(c.micom for c in results.comparisons)
    # the workbook named is the one beside this report (a re-rendered language's own)
    file = "tables.xlsx" if lang == results.study.language else f"tables.{lang}.xlsx"
    assert _text(t["gaps_note_nocomp" + ("" if micom else "_nomicom")].format(
        file=file)) in text
    table = doc[doc.index('id="gaps"'):]
    table = table[:table.index("</table>")]
    rows = table.count("<tr>") - 1  # less the header row
    named = sum(min(3, len(gaps.params[k])) for k in ("behind", "ahead"))
    said = r"and (\d+) more" if lang == "en" else r"另有(\d+)个"
    more = sum(int(k) for k in re.findall(said, _text(_summary(doc))))
    assert rows == named + more  # "and N more" counts the table's other rows


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_segments_sentence_renders_through_the_catalogue(regions, lang):
    """The segments finding in words, each difference linked to the segment page's table,
    the rest counted."""
    from crmsurvey.report.context import Names
    from crmsurvey.report.findings import _Render
    from crmsurvey.study.results import Finding

    results, _ = regions
    t = strings(lang)
    entries = [dict(segment=k, share=s, construct=c, mean=0.0, rest=0.0, diff=d, p_holm=.001)
               for k, s, c, d in ((2, .4, "SAT", -9.25), (1, .6, "SAT", 6.5), (1, .6, "LOY", 4.0),
                                  (2, .4, "LOY", -3.0))]
    f = Finding(code="segments_differ", params=dict(k=2, method="latent_class",
                                                    entries=entries),
                requires=[], refs=["segment-contrasts"])
    text = str(_Render(results, Names(results, lang, t), t, str).finding(f))
    assert text.count('href="#segment-contrasts"') == 3  # three named, one counted
    plain = _text(text)
    assert "9.2" in plain or "9.3" in plain
    assert t["seg_label"].format(k=2) in plain
    assert ("and 1 more" if lang == "en" else "另有1") in plain
