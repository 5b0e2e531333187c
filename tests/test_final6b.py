"""Issue 27, helper final-b: the last defects of the twenty-brand report, checked on the
demo study's results (brands × waves, a client) re-rendered in both languages.

- MICOM tables (groups and waves): c and its 5% quantile are printed with the decimals
  that show the decision, also where the two agree to four decimals;
- the complaints note says what the table shows (no interval column for handling);
- the IPMA note words one hollow marker in the singular;
- a study of many groups: the index chart's caption and the trend chart's note say that
  they show the whole sample and the client, and the notes name the workbook of the
  report's language (tables.xlsx / tables.zh-CN.xlsx);
- the Chinese catalogue says resamples (重抽样), not "sample", for failed resamples.
"""
from __future__ import annotations

import copy
import html as htmllib
import re
from pathlib import Path

import numpy as np
import pytest

from crmsurvey._format import num, number_locale
from crmsurvey.report.render import build_html
from crmsurvey.report.sections.common import decisive_digits

LANGS = ("en", "zh-CN")
LOCALES = Path(__file__).resolve().parents[1] / "crmsurvey" / "locales"


def _text(html: str) -> str:
    """The visible text of an HTML page, one space between words."""
    t = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", t)))


def _close_pair(rng: np.random.Generator, above: bool) -> tuple[float, float]:
    """(c, quantile) near 1 that print alike at four decimals; c above or below."""
    while True:
        q = float(rng.uniform(0.9900, 0.9998))
        c = q + (1 if above else -1) * float(rng.uniform(2e-6, 4e-5))
        if f"{c:.4f}" == f"{q:.4f}" and c < 1:
            return c, q


# --- the rule itself, on numbers made here ----------------------------------------------
def test_decisive_digits_prints_pairs_that_show_the_order():
    rng = np.random.default_rng(27)
    for lang in LANGS:
        with number_locale(lang):
            for above in (True, False) * 50:
                c, q = _close_pair(rng, above)
                d = decisive_digits(c, q)
                assert d > 4
                pc, pq = num(c, d), num(q, d)
                assert pc != pq and (float(pc) > float(pq)) == (c > q)
                # the fewest: one decimal fewer prints them alike
                assert num(c, d - 1) == num(q, d - 1)
            # far apart: four decimals, as before; equal values: no endless search
            assert decisive_digits(0.9999, 0.9853) == 4
            assert decisive_digits(0.99, 0.99) >= 4
            assert decisive_digits(None, 0.99) == 4


# --- the demo's results, changed here and rendered ----------------------------------------
@pytest.fixture(scope="module")
def demo_results(bundled_runs):
    return bundled_runs["demo_ccsi"].results()


def _micom_close(results):
    """A copy of ``results`` whose group and wave MICOM rows have c and its quantile
    agreeing to four decimals, alternately above and below (the decision follows)."""
    res = copy.deepcopy(results)
    rng = np.random.default_rng(6)
    rows = [r for c in res.comparisons for r in c.micom] + list(res.trend.micom or [])
    changed = 0
    for i, r in enumerate(rows):
        if r.get("c") is None or r["c"] >= 1 - 1e-12:
            continue  # one question: c = 1 by construction, left out of the table
        c, q = _close_pair(rng, above=bool(i % 2))
        r.update(c=c, c_5pct=q, compositional=c >= q)
        changed += 1
    assert changed >= 4
    return res


#: the first two number cells of a MICOM row: c (class "miss" where not established) and
#: its 5% quantile
_CELLS = re.compile(r'<td class="num( miss)?">([^<]+)</td><td class="num">([^<]+)</td>')


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_micom_cells_show_the_decision(demo_results, lang):
    res = _micom_close(demo_results)
    page = build_html(res, lang=lang)
    tables = [p.split("</table>")[0]
              for p in page.split('<th class="num" translate="no">c</th>')[1:]]
    assert len(tables) >= 2  # the group comparison's and the waves'
    assert 'id="waves-micom"' in page
    longer = 0
    for table in tables:
        rows = table.split("<tbody>")[1].split("</tr>")[:-1]
        assert rows
        for row in rows:
            miss, c, q = _CELLS.search(row).groups()
            established = not miss
            assert c != q, row  # the printed pair shows the decision
            assert (float(c) >= float(q)) == established, (c, q, miss)
            longer += len(q.split(".")[1]) > 4
    assert longer >= 4  # the rows made to agree at four decimals, printed longer


@pytest.mark.slow
def test_complaints_note_describes_the_table(bundled_runs):
    demo = bundled_runs["demo_ccsi"]
    complaints = demo.results().analytics.get("complaints")
    if not (complaints and complaints.get("handling")):
        pytest.skip("the demo has no complaint-handling question")
    for lang, page in demo.pages().items():
        table = page.split('id="complaints"')[1].split("</table>")[0]
        heads = re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0])
        text = _text(page)
        if lang == "en":
            # one interval column (the complaint rate's) before handling: no handling interval
            assert heads.index(next(h for h in heads if h == "Handling")) == 3
            assert "among complainers, 95% t interval" not in text
            assert "its 95% t interval is in the sentences below" in text
            # and the sentences below do give it
            assert re.search(r"rated the handling [\d.]+ on the [\d–]+ scale \(95% interval",
                             text)
        else:
            assert "附95% t置信区间；" not in text
            assert "其95% t置信区间见表下文字" in text
            assert re.search(r"抱怨处理的评分为[\d.]+分（[\d–]+分量表；95%置信区间", text)


@pytest.mark.slow
def test_hollow_marker_number_follows_the_count(bundled_runs):
    demo = bundled_runs["demo_ccsi"]
    text = _text(demo.html("en"))
    found = re.findall(r"(The hollow marker|Hollow markers) \(([^)]*)\) (is|are) shown", text)
    assert found
    for head, names, verb in found:
        several = " and " in names or ", " in names
        assert (head == "Hollow markers") == several and (verb == "are") == several


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_many_groups_captions_say_what_is_shown(demo_results, monkeypatch, lang):
    import crmsurvey.report.sections.many_groups as mg

    monkeypatch.setattr(mg, "MANY_GROUPS", 2)  # three brands read as "many"
    res = demo_results
    text = _text(build_html(res, lang=lang))
    own = res.study.language
    file = "tables.xlsx" if lang == own else f"tables.{lang}.xlsx"
    if lang == "en":
        assert "for the whole sample and Brand A, with" in text
        assert "Each construct's index (0–100) by group" not in text
        assert "one line for Brand A, the whole sample dashed" in text
        assert "one line per group" not in text
        assert "Every pair is in the group comparisons" not in text
        said_all = re.findall(r"(?:pairs are|changes are|pair is) in (tables[\w.-]*?\.xlsx)", text)
        assert said_all
        for said in said_all:
            assert said == file
    else:
        assert "全部受访者与品牌A" in text and "每条线代表一个组别" not in text
        assert "实线为品牌A，虚线为全部受访者" in text
        assert "全部组对见组间比较一节" not in text
        said_all = re.findall(r"(?:组对|变化)见(tables[\w.-]*?\.xlsx)", text)
        assert said_all
        for said in said_all:
            assert said == file
        assert file in text


def test_zh_resample_failures_say_resamples():
    po = (LOCALES / "zh_CN.po").read_text(encoding="utf-8")
    assert "其余样本" not in po
    assert po.count("基于其余重抽样") >= 3


def test_notes_name_the_workbook_beside_the_report(bundled_runs, tmp_path_factory):
    """Every note that sends the reader to the workbook names the one written beside
    that report: tables.xlsx in the run's language, tables.zh-CN.xlsx in the Chinese
    report re-rendered from an English run (the file ``crmsurvey report --lang`` writes)."""
    from ._studies import EXAMPLES, many_brands

    named = 0
    for name in EXAMPLES:  # the twenty brands with fewer resamples, as the other tests
        run = (many_brands(tmp_path_factory) if name == "shape_many_brands"
               else bundled_runs[name])
        en, zh = _text(run.html("en")), _text(run.html("zh-CN"))
        assert "tables.zh-CN.xlsx" not in en, name
        assert not re.search(r"tables\.xlsx", zh), name
        assert (run.folder("zh-CN") / "tables.zh-CN.xlsx").is_file()
        named += en.count("tables.xlsx")
        assert en.count("tables.xlsx") == zh.count("tables.zh-CN.xlsx"), name
    assert named  # some study's report names its workbook


def test_sizes_heading_says_waves_where_there_are_no_groups(bundled_runs):
    """A brand tracked over waves (no group item) heads its sizes table by wave; a study
    with group items keeps "Group sizes"; the scorecard's rank names its kind of group."""
    waves = bundled_runs["shape_waves"]
    assert "<h2>Sample sizes by wave</h2>" in waves.html("en")
    assert "<h2>各年度样本量</h2>" in waves.html("zh-CN")
    assert "Group sizes" not in waves.html("en") and "各组样本量" not in waves.html("zh-CN")
    demo = bundled_runs["demo_ccsi"]
    assert "<h2>Group sizes</h2>" in demo.html("en")
    assert "groups by" not in _text(demo.html("en"))


def test_path_differences_need_micom_of_both_constructs(bundled_runs):
    """A path's group difference is interpreted only where MICOM step 2 holds for both
    of its constructs in that pair (Henseler et al. 2016): such a row is marked † and
    neither starred nor counted as significant; the others are as tested."""
    from crmsurvey.study.results import group_key

    run = bundled_runs["shape_segments"]
    unwarranted = 0
    for c in run.results().comparisons:
        failed = {(group_key(r["group_a"]), group_key(r["group_b"]), r["construct"])
                  for r in c.micom if not r["compositional"]}
        for p in c.paths:
            key = group_key(p["group_a"]), group_key(p["group_b"])
            want = not ({(*key, p["lhs"]), (*key, p["rhs"])} & failed)
            assert p["warranted"] is want, p
            unwarranted += not want
    assert unwarranted  # the segments study has pairs MICOM does not warrant
    html = run.html("en")
    assert html.count(" †</td>") >= unwarranted
    assert "not warranted (appendix)" in _text(html)
