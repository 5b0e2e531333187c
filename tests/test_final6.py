"""Last wording defects from the final page look (issue 27, helper "final-wording").

Each test reads a bundled example study's report (both languages) and decides from the
results what the text may say:

- the recommendation rule mentions the importance–performance map's averages only where
  the map draws average lines (two drivers or more) (1);
- with one group, headings and notes do not say "by group" / 各组, and a wave MICOM
  note speaks of pooling the waves (2);
- the whole sample's complaint rate is "x% of customers complained" (3).
"""
from __future__ import annotations

import re

import pytest

from crmsurvey._catalogue import catalogue
from crmsurvey.report.i18n import sentences, strings
from crmsurvey.study.results import group_key

from ._report_text import page_text, summary
from ._studies import bundled_fixture

pytestmark = pytest.mark.slow

LANGS = ("en", "zh-CN")


single = bundled_fixture("shape_single")
waves = bundled_fixture("shape_waves")


def _headings(doc: str) -> list[str]:
    return [page_text(h) for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", doc, re.S)]


def _map_clause(lang: str) -> str:
    """The clause about the map's averages, as the catalogue words it (the text after
    the rule's last "；"/";" in the sentence with the clause)."""
    s = sentences(lang)
    full, short = s["recs_rule_nocomp"], s["recs_rule_nocomp_nomap"]
    assert full.startswith(short[:-1]), "the short rule is the full one without the clause"
    return full[len(short) - 1:].strip(" ;；.。")


# --- 1: the map's averages are named only where the map draws them --------------------------

@pytest.mark.parametrize("name", ["shape_single", "shape_waves"])
def test_map_averages_named_only_where_drawn(bundled_runs, name):
    run = bundled_runs[name]
    r = run.results()
    story = r.story
    if story is None or not story.recommendations:
        pytest.skip("no recommendations in this study")
    dr = r.drivers_of(story.focus)
    actionable = [c for c in dr.constructs if c.actionable] or list(dr.constructs)
    drawn = len(actionable) > 1
    for lang in LANGS:
        text = page_text(summary(run.html(lang)))
        clause = _map_clause(lang)
        assert (clause in text) == drawn, (name, lang, drawn, clause)


def test_one_driver_study_has_no_average_lines_clause(single):
    """shape_single has one driver: the clause must be gone in both languages."""
    r = single.results()
    dr = r.drivers_of(r.story.focus)
    assert len([c for c in dr.constructs if c.actionable]) == 1
    assert "averages constructs instead" not in page_text(single.html("en"))
    assert "平均线则按结构变量计算" not in page_text(single.html("zh-CN"))


# --- 2: one group: no "by group" -------------------------------------------------------------

@pytest.mark.parametrize("name", ["shape_single", "shape_waves"])
def test_one_group_headings_do_not_say_by_group(bundled_runs, name):
    run = bundled_runs[name]
    r = run.results()
    wave = r.trend.item if r.trend is not None else None
    # one group: every index's group names at most the wave
    assert all(set(x.group) <= {wave} for x in r.indices)
    for lang in LANGS:
        t = strings(lang)
        heads = _headings(run.html(lang))
        assert t["scores_table"] not in heads and t["trend_table"] not in heads, (lang, heads)
        assert not any("by group" in h for h in heads if lang == "en"), heads
        assert not any(h.startswith("各组") and "样本量" not in h for h in heads
                       if lang == "zh-CN"), heads
    assert strings("en")["scores_table_one"] in _headings(run.html("en"))


def test_wave_micom_note_pools_the_waves(waves):
    r = waves.results()
    if r.trend is None or not getattr(r.trend, "micom", None):
        pytest.skip("no wave MICOM in this run")
    for lang in LANGS:
        t = strings(lang)
        text = page_text(waves.html(lang))
        assert t["micom_note_waves"] in text
        assert t["micom_note"] not in text  # no group MICOM in a one-brand study


# --- 3: the whole sample's complaint rate ---------------------------------------------------

def test_whole_sample_complaints_name_no_group(waves):
    r = waves.results()
    codes = [f for f in r.story.findings if f.code.startswith("complaints_")]
    if not codes:
        pytest.skip("no complaints finding")
    f = codes[0]
    # the whole sample: the group is the current wave alone (no brand, no segment)
    assert set(f.params["group"]) <= {r.trend.item}, f.params["group"]
    en = page_text(summary(waves.html("en")))
    zh = page_text(summary(waves.html("zh-CN")))
    assert "whole sample's customers" not in en
    assert re.search(r"\d%\s*of customers complained", en), en
    assert sentences("zh-CN")["everyone"] + "的顾客" not in zh
    assert re.search(r"\d%\s*的顾客有过抱怨", zh), zh
    assert f.code + "_all" in sentences("en")


# --- 4: segments: untested pairs said; no repeated pair ---------------------------------------

segments = bundled_fixture("shape_segments")


def _scorecard_note(doc: str) -> str:
    i = doc.index('id="scorecard"')
    j = doc.index('<p class="muted">', i)
    return page_text(doc[j:doc.index("</p>", j)])


def _unwarranted(r, construct: str) -> list:
    return [d for c in r.comparisons for d in c.differences
            if d.quantity == "index" and d.name == construct and d.warranted is False]


def test_scorecard_note_names_the_untested_pairs(segments):
    r = segments.results()
    card = r.story.scorecard
    left = _unwarranted(r, card.construct)
    if not left:
        pytest.skip("every pair warranted in this run")
    for lang in LANGS:
        note = _scorecard_note(segments.html(lang))
        levels = r.study.group_labels[card.item]
        for d in left:
            a = levels[d.group_a[card.item]][lang] if isinstance(
                levels[d.group_a[card.item]], dict) else d.group_a[card.item]
            b = levels[d.group_b[card.item]][lang] if isinstance(
                levels[d.group_b[card.item]], dict) else d.group_b[card.item]
            assert f"{a} – {b}" in note, (lang, note)


def test_spread_says_tested_pairs_when_some_are_untested(segments):
    r = segments.results()
    f = next((f for f in r.story.findings if f.code.startswith("market_spread_nopair")), None)
    if f is None:
        pytest.skip("no spread finding")
    untested = bool(_unwarranted(r, f.params["construct"]))
    assert f.code.endswith("_untested") == untested
    en = page_text(summary(segments.html("en")))
    assert ("no tested pair of groups differs" in en) == untested
    assert ("but no pair of groups differs" in en) == (not untested)


def test_weakest_is_not_repeated_from_the_pairs_sentence(segments):
    r = segments.results()
    codes = [f.code for f in r.story.findings]
    pairs = next((f for f in r.story.findings if f.code == "pairs_significant"), None)
    weak = next((f for f in r.story.findings if f.code == "driver_weakest"), None)
    if pairs is None or weak is None:
        pytest.skip(f"findings {codes}")
    p = weak.params
    repeated = any(e["construct"] == p["driver"] and e["low"] == p["low"]
                   and e["high"] == p["high"] for e in pairs.params["entries"][:3])
    for lang in LANGS:
        text = page_text(summary(segments.html(lang)))
        head = sentences(lang)["driver_weakest"].split("{")[0]  # "Among the groups, "
        assert (head in text) == (not repeated), (lang, repeated)


# --- 5, 6: brands: the lead the data cannot tell; the gaps table's order and context --------

brands = bundled_fixture("shape_brands")


def test_rank_one_lead_not_significant_is_said(brands):
    r = brands.results()
    f = next(f for f in r.story.findings if f.code.startswith("client_position"))
    card = r.story.scorecard
    nxt = next((x for x in card.rows if x.rank == f.params["rank"] + 1), None)
    assert nxt is not None
    d = next(d for c in r.comparisons for d in c.differences
             if d.quantity == "index" and d.name == f.params["construct"]
             and {group_key(d.group_a), group_key(d.group_b)}
             == {group_key(f.params["group"]), group_key(nxt.group)})
    en = page_text(summary(brands.html("en")))
    zh = page_text(summary(brands.html("zh-CN")))
    said_en = "a lead the data cannot tell from zero" in en
    said_zh = "这一领先在统计上与0无法区分" in zh
    assert said_en == said_zh == (not d.significant)
    if said_en:  # the lead printed is the printed figures' difference
        from crmsurvey._format import shown_difference
        lead = abs(shown_difference(d.value_a, d.value_b))
        assert re.search(rf"by\s*{lead:.1f}\s*, a lead", en), en


def test_gaps_table_marks_context_and_states_its_order(brands):
    r = brands.results()
    f = next((f for f in r.story.findings if f.code.startswith("gaps_")), None)
    if f is None:
        pytest.skip("no gaps finding")
    context = set(r.model.context)
    for lang in LANGS:
        t = strings(lang)
        text = page_text(brands.html(lang))
        order = {"en": "deficits first, then leads, each largest first",
                 "zh-CN": "先列落后、后列领先，各按差值从大到小排列"}[lang]
        assert order in text and "behind and ahead, largest first" not in text
        for k, key in (("behind", "gap_expects_less"), ("ahead", "gap_expects_more")):
            ctx_rows = [e for e in f.params[k] if e["construct"] in context]
            assert (t[key] in text) == bool(ctx_rows), (lang, key)
        # context rows are never called behind/ahead: every row's mark matches its kind
        html = brands.html(lang)
        start = html.index(t["gap_way"])
        table = html[start:html.index("</table>", start)]
        marks = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>(.*?)</td>", table)
        names = {page_text(a): page_text(b) for a, b in marks}
        assert marks, table[:200]
        for label, mark in names.items():
            is_context = mark in (t["gap_expects_less"], t["gap_expects_more"])
            assert is_context == any(page_text(x) == label for x in
                                     [_label(r, c, lang) for c in context]), (label, mark)


def _label(r, construct: str, lang: str) -> str:
    v = r.model.labels.get(construct, construct)
    return v.get(lang, v.get("en")) if isinstance(v, dict) else v


# --- 7: Chinese wording ---------------------------------------------------------------------

def test_zh_wording(brands, segments):
    zh = page_text(brands.html("zh-CN"))
    assert "客户所在组" not in zh
    assert not re.search(r"\d对\d", zh), "values joined by 与, as the summary"
    assert not re.search(r"[A-Za-z]\d+(\.\d)?分", zh), "a group name runs into its score"
    recs = page_text(summary(brands.html("zh-CN")))
    assert "；以及“" not in recs  # questions joined with 、 and 和
    seg = page_text(summary(segments.html("zh-CN")))
    assert not re.search(r"项显著：[^；。]*?：", seg), "stacked colons"
    t = strings("zh-CN")
    assert "所有这些p值都不低于" not in "".join(str(v) for v in t.values())
    assert "其标准化总效应大" not in "".join(str(v) for v in t.values())


# --- 8: CSAT change in percent; the workbook's method for a single test -------------------

def test_csat_change_in_percent_and_one_test_unadjusted(waves):
    html = waves.html("en")
    i = html.index('id="changes"')
    table = html[i:html.index("</table>", i)]
    rows = [page_text(x).strip() for x in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    csat = [x for x in rows if x.startswith(strings("en")["col_csat"])]
    r = waves.results()
    if any(d.quantity == "csat" for d in r.trend.changes):
        assert csat and re.search(r"\d%\s*→\s*\d+(\.\d)?%", csat[0]), csat
    import openpyxl
    wb = openpyxl.load_workbook(waves.folder("en") / "tables.xlsx", read_only=True)
    ws = wb["Comparisons"]
    head = [c.value for c in next(ws.iter_rows(max_row=1))]
    m_col, method_col = head.index("Pairs compared"), head.index("Method")
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[m_col] == 1:
            assert row[method_col] == catalogue("en")["cell:method:none"], row
