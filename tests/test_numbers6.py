"""Issue 27, the page review's wrong numbers and referee points (helper "numbers"):
the tail-draw count of the multiplicity text, the drivers' printed lead, PLSpredict's
classes for a yes/no construct and a small Q², CB-SEM invariance against MICOM, the
CSAT interval's percent sign, the complaints and driver findings' wording, the CB-SEM
problems block, and the sample tiles' scope.

Expected values are worked out here from results.json by the definitions written out
in each test (B·(1 − level)/2 draws; the difference of the figures as printed), never
from text this code printed before.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest

from crmsurvey._catalogue import catalogue
from crmsurvey.report.sections.model import predict_class

from ._report_text import element, page_text, text_of

LANGS = ("en", "zh-CN")


@pytest.fixture(scope="module")
def demo(bundled_runs):
    return bundled_runs["demo_ccsi"]


# --- 1. draws beyond each limit: the highest level printed --------------------------------

def test_tail_draws_count_the_highest_level(demo):
    """The demo's index differences: Bonferroni-adjusted 98.3 % intervals between the
    three brands and unadjusted 95 % wave changes of the whole sample. The fewest draws
    beyond a limit are those of the highest level, B·(1 − level)/2 (20 of 2400 at
    1 − .05/3), not the 60 of the 95 % level."""
    r = demo.results_dict()
    boot = r["settings"]["pls"]["bootstrap"]
    diffs = [d for c in r["comparisons"] for d in c["differences"]] + \
        list((r.get("trend") or {}).get("changes") or [])
    levels = {round(d["ci_level"], 6) for d in diffs if d["quantity"] == "index"
              and d.get("test") != "z" and d.get("ci_lower") is not None}
    assert len(levels) > 1  # the case of the review: a 95 % level beside an adjusted one
    expected = math.floor(boot * (1 - max(levels)) / 2 + 1e-9)
    # written out: three brands, Bonferroni over their 3 pairs, α = .05
    assert expected == math.floor(boot * 0.05 / 3 / 2 + 1e-9) == 20
    assert math.floor(boot * (1 - min(levels)) / 2 + 1e-9) != expected  # the test can fail
    for lang, pattern in (("en", r"at least (\d+) draws beyond each limit \((\d+) resamples"),
                          ("zh-CN", r"至少有(\d+)个抽样值（(\d+)次重抽样")):
        found = re.findall(pattern, page_text(demo.html(lang)))
        assert found == [(str(expected), str(boot))], (lang, found)


# --- 2. the drivers' lead: the printed figures' difference --------------------------------

def test_no_standout_lead_is_the_printed_difference(demo):
    res = demo.results()
    focus = res.story.focus if res.story is not None else res.headline.group
    main = res.drivers_of(focus) or res.drivers_of(res.headline.group)
    assert main.lead_ci is not None and not main.standout
    by = {x.construct: x for x in main.constructs}
    a, b = (abs(by[c].total_std) for c in main.priorities[:2])
    shown = Decimal(f"{a:.3f}") - Decimal(f"{b:.3f}")  # as a reader subtracts them
    for lang, pattern in (("en", r"larger by (\d\.\d{3})"), ("zh-CN", r"标准化总效应比后者大(\d\.\d{3})")):
        text = page_text(demo.html(lang))
        leads = re.findall(pattern, text)
        assert leads == [f"{shown:.3f}"], (lang, leads, a, b)
        # the two figures the lead is read from are printed in the drivers table
        for c in main.priorities[:2]:
            assert f"{by[c].total_std:.3f}" in text


# --- 3. PLSpredict classes ---------------------------------------------------------------

@pytest.mark.parametrize("power", ["high", "medium", "low", "none"])
@pytest.mark.parametrize("relevance", ["none", "small", "medium", "large"])
def test_predict_class_rules(power, relevance):
    """Shmueli et al. (2019) class PLS against LM; Hair et al. (2019) read Q²'s size: a
    yes/no construct is not classed at all, and "high"/"medium" never stands bare beside
    a small Q²predict."""
    assert predict_class(power, relevance, "binary") == ("binary", "binary")
    rel, pw = predict_class(power, relevance, None)
    assert rel == relevance
    if relevance == "small" and power in ("high", "medium"):
        assert pw == f"{power}_small"
    else:
        assert pw == power
    assert predict_class(power, relevance, "single") == predict_class(power, relevance, None)


def test_predict_table_of_the_demo(demo):
    """Complaints (one yes/no question) reads "not assessed"; every construct whose lowest
    Q²predict is small is not called bare "high"."""
    res = demo.results()
    fit = res.model_of(res.headline.group)
    q2 = {}
    for row in fit.predict.items:
        q2.setdefault(row["construct"], []).append(row["q2_predict"])
    html = demo.html("en")
    start = html.index("Out-of-sample prediction (PLSpredict)")
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td>(.*?)</tr>", html[start:html.index("</table>", start)])
    cells = {text_of(label): [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rest)]
             for label, rest in rows}
    assert cells["Complaints"][-1] == "not assessed: one yes/no question"
    small = [c for c, v in q2.items() if 0 < min(v) < 0.25 and c != "COMP"]
    assert small  # the demo has small Q² constructs to check
    for label, row in cells.items():
        if row[1] == "small":
            assert row[-1] not in ("high", "medium"), (label, row)
    zh = page_text(demo.html("zh-CN"))
    assert "未评估：仅一道是/否题" in zh


# --- 4. CB-SEM invariance against MICOM ----------------------------------------------------

def test_invariance_and_micom_sentence(demo):
    """Scalar invariance supported by CB-SEM while MICOM does not establish a pair: the
    methodology names that pair, says what each test tests and that MICOM governs."""
    r = demo.results_dict()
    c = next(c for c in r["comparisons"] if c.get("micom") and c.get("invariance"))
    scalar = next(x for x in c["invariance"]["table"] if x["model"] == "scalar")
    assert scalar["decision"] == "supported"
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names
    from crmsurvey.report.sections.methodology import _invariance_micom

    res = demo.results()
    t = strings("en")
    names = Names(res, "en", t)
    failed = [(x["construct"], x["group_a"]["brand"], x["group_b"]["brand"])
              for x in c["micom"] if x["invariance"] == "none"]
    assert failed  # the demo's case
    en = page_text(demo.html("en"))
    assert "CB-SEM tests the common-factor model with all groups pooled" in en
    assert "so MICOM governs them" in en and "marked †" in en
    for construct, a, b in failed:
        assert f"{names[construct]} ({a} – {b})" in en
    zh = page_text(demo.html("zh-CN"))
    assert "以MICOM为准" in zh and "（品牌B – 品牌C）" in zh
    # without MICOM's failures: the general sentence, no pairs named
    ok = res.model_copy(update={"comparisons": [
        x.model_copy(update={"micom": [dict(m, invariance="full") for m in x.micom]})
        for x in res.comparisons]})
    assert _invariance_micom(ok, names, t) == t["invariance_micom"]
    none = res.model_copy(update={"comparisons": [
        x.model_copy(update={"micom": []}) for x in res.comparisons]})
    assert _invariance_micom(none, names, t) == ""


# --- 5. CSAT intervals with their percent sign ---------------------------------------------

def test_csat_interval_cells_are_percentages(demo):
    res = demo.results()
    for lang in LANGS:
        table = element(demo.html(lang), "csat-table")
        cells = re.findall(r'<td class="num">([^<]*–[^<]*)</td>', table)
        assert cells
        for cell in cells:
            lo, hi = (x.strip() for x in cell.split("–"))
            assert lo.endswith("%") and hi.endswith("%"), (lang, cell)
    # the figures are the results' intervals
    from crmsurvey.report.sections.common import within

    rows = [s for s in res.scores if s.measure == "csat" and not s.pooled
            and within(res, s.group)]
    assert rows
    text = text_of(element(demo.html("en"), "csat-table"))
    for s in rows:
        assert f"{s.ci_lower:.1f}% – {s.ci_upper:.1f}%" in text


# --- 6. wording of two findings (catalogue) ------------------------------------------------

def test_findings_wording():
    en, zh = catalogue("en"), catalogue("zh-CN")
    for key in ("finding:complaints_lower", "finding:complaints_higher"):
        assert "{rate} of {group}'s customers complained" in en[key]
        assert zh[key].startswith("{group}的顾客中有{rate}")
    assert "bootstrap uncertainty" not in en["finding:driver_standout"]
    assert "clearly ahead of {second}" in en["finding:driver_standout"]
    assert "明显领先于{second}" in zh["finding:driver_standout"]
    # the licence's parameters are unchanged
    fields = lambda s: set(re.findall(r"{(\w+)}", s))  # noqa: E731
    for key in ("finding:complaints_lower", "finding:driver_standout"):
        assert fields(en[key]) == fields(zh[key])


# --- 7. CB-SEM problems only where there are some; 8. tiles of all waves ------------------

def test_cbsem_problems_block_and_tiles(demo):
    res = demo.results()
    assert res.cbsem is not None and not res.cbsem.diagnostics and not res.cbsem.error
    en, zh = page_text(demo.html("en")), page_text(demo.html("zh-CN"))
    assert "Problems reported by the estimator" not in en
    assert en.count("The estimator reported no problems.") == 1
    assert zh.count("估计过程未报告任何问题。") == 1
    # the demo has waves: the tiles say they pool them
    assert res.settings.waves
    for label in ("Responses read (all waves)", "Responses kept (all waves)",
                  "Excluded (all waves)"):
        assert label in en
    assert "读取样本（各年度合计）" in zh
    # the numbers of the tiles are the sample's, all waves together
    assert f"Responses read (all waves) {res.sample.rows_read}" in en


def test_tiles_without_waves(bundled_runs):
    one = bundled_runs["shape_single"]
    assert not one.results().settings.waves
    assert "(all waves)" not in page_text(one.html("en"))
    assert "各年度合计" not in page_text(one.html("zh-CN"))
