"""MICOM between the previous and current wave: kept in the results (``Trend.micom``),
equal to :func:`crmsurvey.pls.mga.compare_groups` run directly on the two waves' rows,
governing the changes it warrants (†), and shown in the report — its table in the
appendix, the † and its note beside the changes, the rule and its multiplicity policy in
the methodology — in both languages; a study without a previous wave shows none of it."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey._random import child_seed

pytestmark = pytest.mark.slow  # a two-wave study with bootstrap and permutations (~20 s)

PERMUTATIONS, COMPARE_BOOT, COMPARE_SEED = 200, 100, 3
BROKEN = "VAL"  # its first question answered at random in the current wave

STUDY = f"""\
id: waves_micom
title: {{en: Two waves, zh-CN: 两期跟踪}}
questionnaire: ccsi
data:
  - path: answers.csv
exclude: []
waves: wave
compare: {{permutations: {PERMUTATIONS}, bootstrap: {COMPARE_BOOT}, seed: {COMPARE_SEED}}}
pls: {{bootstrap: 800, seed: 7, fit_test: 0, predict_folds: 0}}
report: {{language: en}}
"""


def _answers() -> pd.DataFrame:
    """Two waves of CCSI answers drawn from one model, except that in the current wave
    the first question of ``BROKEN`` is answered at random: its composite is no longer
    formed alike in both waves, so MICOM's step 2 fails for it."""
    from crmsurvey.simulation import SimulationSettings

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 300, seed=41, groups={"wave": ["2025", "2026"]},
                     settings=SimulationSettings(messy=False))
    item = q.definition.constructs[BROKEN].items[0]
    low, high = q.item_bounds(item)
    now = (df["wave"].astype(str) == "2026").to_numpy()
    rng = np.random.default_rng(child_seed(41, 9))
    df.loc[now, item] = rng.integers(int(low), int(high) + 1, size=int(now.sum()))
    return df


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory):
    """The study run once (results only, no PDF), with its answers."""
    from crmsurvey.study import load_study, run_study

    root = tmp_path_factory.mktemp("waves_micom")
    answers = _answers()
    answers.to_csv(root / "answers.csv", index=False)
    (root / "study.yaml").write_text(STUDY, encoding="utf-8")
    results = run_study(load_study(root / "study.yaml")).results
    return {"root": root, "answers": answers, "results": results}


@pytest.fixture(scope="module")
def pages(two_waves):
    from crmsurvey.report.render import build_html

    return {lang: build_html(two_waves["results"], lang=lang) for lang in ("en", "zh-CN")}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_trend_keeps_micom_rows_equal_to_a_direct_run(two_waves):
    """Trend.micom holds one row per construct for the previous → current pair, the same
    numbers MICOM gives when run directly on the two waves' rows."""
    from crmsurvey.pls.mga import compare_groups

    tr = two_waves["results"].trend
    q = cs.load_questionnaire("ccsi")
    assert tr.previous == "2025" and tr.current == "2026"
    assert {r["construct"] for r in tr.micom} == set(q.definition.constructs)
    df = two_waves["answers"]
    # the study's model and scale, unweighted (the study names no weight column; the
    # questionnaire's own would weight the rows given beside a Questionnaire)
    direct = compare_groups(q.model_spec(), df, "wave", permutations=PERMUTATIONS,
                            bootstrap=COMPARE_BOOT, seed=COMPARE_SEED,
                            scale=q.scale_bounds(), min_size=50).micom
    got = pd.DataFrame([{**r, "group_a": r["group_a"]["wave"], "group_b": r["group_b"]["wave"]}
                        for r in tr.micom])
    cols = ["c", "c_5pct", "p_c", "mean_diff", "mean_ci_lower", "mean_ci_upper",
            "logvar_diff", "var_ci_lower", "var_ci_upper"]
    merged = direct.merge(got, on=["group_a", "group_b", "construct"], suffixes=("", "_run"))
    assert len(merged) == len(direct) == len(got)
    for col in cols:
        np.testing.assert_allclose(merged[col + "_run"], merged[col], rtol=1e-9, atol=1e-12,
                                   err_msg=col)
    for col in ("compositional", "mean_equal", "var_equal", "invariance"):
        assert list(merged[col + "_run"]) == list(merged[col]), col
    # step 2 as MICOM defines it: c at or above its 5% permutation quantile
    assert list(merged["compositional"]) == list(merged["c"] >= merged["c_5pct"])


def test_broken_construct_fails_and_its_changes_are_not_warranted(two_waves):
    tr = two_waves["results"].trend
    verdict = {r["construct"]: r for r in tr.micom}
    assert not verdict[BROKEN]["compositional"] and verdict[BROKEN]["invariance"] == "none"
    index = [d for d in tr.changes if d.quantity == "index"]
    assert index
    for d in index:  # each change follows its construct's verdict: none → not warranted
        assert d.micom == verdict[d.name]["invariance"]
        assert d.warranted is (verdict[d.name]["invariance"] != "none")
    assert any(d.name == BROKEN and d.warranted is False for d in index)
    # NPS and CSAT changes are not composites: MICOM does not govern them
    assert all(d.warranted is None for d in tr.changes if d.quantity != "index")


def test_results_json_round_trip_and_old_results_load(two_waves, tmp_path):
    from crmsurvey.study import load_results
    from crmsurvey.study.export import results_tables

    results = two_waves["results"]
    dump = json.loads(results.model_dump_json())
    assert dump["trend"]["micom"] and dump["trend"]["micom"][0]["group_a"] == {"wave": "2025"}
    (tmp_path / "new.json").write_text(json.dumps(dump), encoding="utf-8")
    assert load_results(tmp_path / "new.json").trend.micom == results.trend.micom
    del dump["trend"]["micom"]  # written before the trend kept its MICOM
    (tmp_path / "old.json").write_text(json.dumps(dump), encoding="utf-8")
    assert load_results(tmp_path / "old.json").trend.micom == []
    # the CSV/workbook table of MICOM holds the waves' rows
    table = results_tables(results)["micom"]
    assert set(table["group_a.wave"].dropna()) == {"2025"}
    assert len(table) == len(results.trend.micom)


def _appendix_table(html: str, heading: str) -> str:
    start = html.index(heading)
    return html[start:html.index("</table>", start)]


def test_report_shows_the_wave_micom_table(two_waves, pages):
    """The appendix's table: one row per construct of two questions or more (the complaint
    item is its own composite), the verdict worded, in both languages."""
    results = two_waves["results"]
    q = cs.load_questionnaire("ccsi")
    multi = [c for c, v in q.definition.constructs.items() if len(v.items) > 1]
    heading = {"en": "Measurement invariance between waves (MICOM, 2025 – 2026)",
               "zh-CN": "年度间测量不变性（MICOM，2025 – 2026）"}
    status = {"en": "not established", "zh-CN": "未能确认"}
    for lang, html in pages.items():
        table = _appendix_table(html, heading[lang])
        rows = re.findall(r"<tr><td[^>]*>(.*?)</td>", table)
        assert len(rows) == len(multi)
        assert table.count(status[lang]) == sum(
            1 for r in results.trend.micom if r["construct"] in multi
            and r["invariance"] == "none")
        # the c of the failed construct is printed as its step 2 fails (class miss)
        assert "num miss" in table


def test_report_marks_not_warranted_changes(two_waves, pages):
    """† beside each change of a construct MICOM did not warrant, nowhere else in the
    changes table; its note names the construct and the waves."""
    from crmsurvey.report.context import build_context

    results = two_waves["results"]
    for lang, html in pages.items():
        ctx = build_context(results, lang)
        names = ctx["labels"]
        title = ctx["trend"]["title"]
        start = html.index(title)
        table = html[start:html.index("</table>", start)]
        rows = re.findall(r"<tr>(.*?)</tr>", table)[1:]
        marked = [r for r in rows if "†" in r]
        bad = [d for d in results.trend.changes if d.warranted is False]
        assert len(marked) == len(bad) >= 1
        for row in marked:
            assert names[BROKEN] in row
        note = _text(html[html.index("</table>", start):][:2000])
        assert "†" in note and names[BROKEN] in note and "2025" in note
    assert "did not establish compositional invariance for Perceived value" in \
        _text(pages["en"])
    assert "未能确认感知价值的组成不变性" in _text(pages["zh-CN"]).replace(" ", "")


def test_methodology_states_the_rule_and_micom_policy(pages):
    en, zh = _text(pages["en"]), _text(pages["zh-CN"]).replace(" ", "")
    assert ("is warranted only where MICOM between the two waves, run on all respondents "
            "of both, establishes at least partial invariance") in en
    assert "applied to each construct at 5% without adjustment" in en
    assert "MICOM" in zh and "不作校正" in zh and "至少部分不变" in zh
    # MICOM is in the glossary of a study without groups, said of two waves
    assert "checks that a construct is measured alike in two waves" in en
    assert "检验结构变量在两个年度中的测量方式是否一致" in zh


def test_no_table_without_wave_micom(two_waves):
    """The same study's results without the trend's MICOM (compare off, or results written
    before it) render no wave MICOM table, no † and no rule."""
    from crmsurvey.report.render import build_html

    r = two_waves["results"]
    bare = r.model_copy(update={"trend": r.trend.model_copy(update={"micom": []})})
    for lang in ("en", "zh-CN"):
        text = _text(build_html(bare, lang=lang))
        assert "MICOM" not in text and "†" not in text


def test_one_wave_study_has_no_wave_micom(tmp_path):
    """One wave: no trend, nothing about MICOM between waves."""
    from crmsurvey.report.render import build_html
    from crmsurvey.study import load_study, run_study

    df = _answers()
    df[df["wave"].astype(str) == "2026"].to_csv(tmp_path / "answers.csv", index=False)
    (tmp_path / "study.yaml").write_text(STUDY.replace("bootstrap: 800", "bootstrap: 0"),
                                         encoding="utf-8")
    results = run_study(load_study(tmp_path / "study.yaml")).results
    assert results.trend is None or not results.trend.micom
    for lang in ("en", "zh-CN"):
        text = _text(build_html(results, lang=lang))
        assert "MICOM" not in text and "†" not in text
        assert "between waves" not in text and "年度间" not in text


def test_headline_marks_no_unwarranted_change(two_waves):
    """The scores table's ▲ ▼ mark a significant change only where MICOM warrants it: the
    broken construct's change, made significant here, gets no mark; a warranted one does."""
    from crmsurvey.report.context import build_context

    r = two_waves["results"]
    changes = [d.model_copy(update={"significant": True}) if d.quantity == "index" else d
               for d in r.trend.changes]
    forced = r.model_copy(update={"trend": r.trend.model_copy(update={"changes": changes})})
    constructs = r.model.index_constructs
    row = next(x for x in build_context(forced, "en")["current_rows"] if x["overall"])
    marks = dict(zip(constructs, (c["mark"] for c in row["cells"])))
    warranted = {d.name: d.warranted for d in changes if d.quantity == "index"}
    assert warranted[BROKEN] is False and marks[BROKEN] == ""
    assert all(marks[c] in ("▲", "▼") for c in constructs if warranted[c])
