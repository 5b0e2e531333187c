"""Complaints (issue 27, item 6): complaint rate, complaint-handling satisfaction and the
loyalty of complainers against non-complainers, per group, in the results and the report
body — with sentences only where the data license them."""
from __future__ import annotations

import math
import re
from html import unescape

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import crmsurvey as cs
from crmsurvey.analytics.complaints import complaint_table
from crmsurvey.study.results import load_results

Z = sps.norm.ppf(0.975)


def _wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, from its definition: the p with |k/n − p| ≤ z·sqrt(p(1−p)/n)
    (the roots of a quadratic in p)."""
    ph = k / n
    a = 1 + Z**2 / n
    b = -(2 * ph + Z**2 / n)
    c = ph**2
    disc = math.sqrt(b * b - 4 * a * c)
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


def _frame(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g, rate, gap in (("A", 0.25, -12.0), ("B", 0.4, 0.0), ("C", 0.1, -5.0)):
        n = 300
        comp = (rng.random(n) < rate).astype(float)
        loy = rng.normal(70, 12, n) + gap * comp
        handle = np.where(comp == 1, rng.integers(1, 11, n), np.nan)
        rows.append(pd.DataFrame({"g": g, "comp": comp, "handle": handle, "loy": loy}))
    return pd.concat(rows, ignore_index=True)


def test_rates_handling_and_loyalty_follow_their_definitions():
    df = _frame()
    # two complainers of A skip the handling question: its t interval has their df
    df.loc[df.index[(df.g == "A") & (df.comp == 1)][:2], "handle"] = np.nan
    t = complaint_table(df.comp, handling=df.handle, loyalty=df.loy, groups=df.g)
    assert list(t.group) == ["all", "A", "B", "C"]
    by = t.set_index("group")
    raw_p = {}
    for g in ("A", "B", "C"):
        sub = df[df.g == g]
        k, n = int(sub.comp.sum()), len(sub)
        r = by.loc[g]
        assert r.n == n and r.complainers == k
        assert r.rate == pytest.approx(100 * k / n)
        lo, hi = _wilson(k, n)
        assert (r.rate_lower, r.rate_upper) == pytest.approx((100 * lo, 100 * hi), abs=1e-9)
        h = sub.handle.dropna()
        half = sps.t.ppf(0.975, len(h) - 1) * h.std(ddof=1) / math.sqrt(len(h))
        assert r.handling == pytest.approx(h.mean())
        assert (r.handling_lower, r.handling_upper) == pytest.approx((h.mean() - half,
                                                                     h.mean() + half))
        yes, no = sub.loy[sub.comp == 1], sub.loy[sub.comp == 0]
        se = math.sqrt(yes.var(ddof=1) / len(yes) + no.var(ddof=1) / len(no))
        assert r.difference == pytest.approx(yes.mean() - no.mean())
        assert r.se == pytest.approx(se)
        raw_p[g] = 2 * sps.norm.sf(abs(r.difference / se))
        assert r.pvalue == pytest.approx(raw_p[g])
    # Holm over the three groups, written out
    order = sorted(raw_p, key=raw_p.get)
    running = 0.0
    for j, g in enumerate(order):
        running = max(running, (3 - j) * raw_p[g])
        assert by.loc[g, "pvalue_adj"] == pytest.approx(min(1.0, running))
        assert bool(by.loc[g, "significant"]) == (min(1.0, running) < 0.05)
        assert bool(by.loc[g, "significant"]) == (by.loc[g, "ci_lower"] > 0
                                                  or by.loc[g, "ci_upper"] < 0)
    assert bool(by.loc["A", "significant"]) and by.loc["A", "difference"] < 0  # 12 points


def test_no_complainer_or_one_gives_only_what_the_data_allow():
    df = _frame(2)
    df.loc[df.g == "C", ["comp", "handle"]] = [0.0, np.nan]
    first_b = df.index[df.g == "B"]
    df.loc[first_b, ["comp", "handle"]] = [0.0, np.nan]
    df.loc[first_b[0], ["comp", "handle"]] = [1.0, 7.0]
    t = complaint_table(df.comp, handling=df.handle, loyalty=df.loy, groups=df.g).set_index(
        "group")
    c = t.loc["C"]
    assert c.reason == "no_complainers" and c.complainers == 0 and c.rate == 0
    assert c.rate_lower == 0 and c.rate_upper > 0  # Wilson: an interval even at 0 of 300
    assert all(pd.isna(c[k]) for k in ("handling", "difference", "pvalue", "significant"))
    b = t.loc["B"]
    assert b.reason == "too_few" and b.complainers == 1 and b.handling == 7.0
    assert pd.isna(b.handling_lower) and pd.isna(b.pvalue) and pd.isna(b.significant)
    assert t.loc["A", "pvalue_adj"] == pytest.approx(t.loc["A", "pvalue"])  # family of one


def test_weights_enter_the_shares_and_kish_n():
    comp = np.array([1, 0, 0, 1, 0, 0, 0, 1.0])
    w = np.array([2, 1, 1, 1, 1, 3, 1, 1.0])
    r = complaint_table(comp, weights=w).iloc[0]
    share = (2 + 1 + 1) / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert r.rate == pytest.approx(100 * share) and r.n_eff == pytest.approx(n_eff)
    z2 = Z**2
    centre = (share + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = Z * math.sqrt(share * (1 - share) / n_eff + z2 / (4 * n_eff**2)) / (1 + z2 / n_eff)
    assert r.rate_lower == pytest.approx(100 * (centre - half))


def test_the_complaint_items_are_found_from_the_model():
    from crmsurvey.study import load_study
    from crmsurvey.study.analytics import complaint_items

    from pathlib import Path

    study = load_study(Path(__file__).resolve().parent.parent / "studies" / "demo_ccsi.yaml")
    assert complaint_items(study) == {"construct": "COMP", "item": "comp1", "yes": 1.0,
                                      "handling": "comp_handle", "loyalty": "LOY"}


@pytest.fixture(scope="module")
def no_complaints_in_c(tmp_path_factory):
    """A three-brand study in which nobody at Brand C complained."""
    from crmsurvey.simulation import SimulationSettings
    from crmsurvey.study import load_study, run_study

    folder = tmp_path_factory.mktemp("complaints")
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 80, seed=6, groups={"brand": ["A", "B", "C"]},
                     settings=SimulationSettings(messy=False))
    df.loc[df.brand == "C", "comp1"] = 0
    df.loc[df.brand == "C", "comp_handle"] = np.nan
    df.to_csv(folder / "d.csv", index=False)
    (folder / "s.yaml").write_text("""
id: c
title: complaints
questionnaire: ccsi
data: [{path: d.csv}]
exclude: [duplicate]
groups: [brand]
min_group_size: 30
pls: {bootstrap: 0, fit_test: 0, predict_folds: 0}
""", encoding="utf-8")
    return run_study(load_study(folder / "s.yaml")).results


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_group_without_complainers_is_said_so_and_not_tested(no_complaints_in_c, lang):
    from crmsurvey.report.context import build_context

    r = no_complaints_in_c
    rows = {tuple(x["group"].items()): x for x in r.analytics["complaints"]["rows"]}
    c = rows[(("brand", "C"),)]
    assert c["reason"] == "no_complainers" and c["pvalue"] is None
    ctx = build_context(r, lang)["complaints"]
    lines = ctx["lines"]
    assert len(lines) == 4  # all, A, B, C: one paragraph each
    said_c = [x for x in lines if x.startswith("C")]
    assert len(said_c) == 1 and ("no respondent complained" if lang == "en"
                                 else "没有受访者抱怨") in said_c[0]
    if lang == "en":
        assert "no respondent complained" in said_c[0] and "index" not in said_c[0]
    others = [x for x in lines if x not in said_c]
    assert all(("complained" in x) if lang == "en" else ("抱怨" in x) for x in others)


def _body(path) -> str:
    """The visible text of the report's "Scores by group" chapter."""
    html = path.read_text(encoding="utf-8")
    html = html[html.index('id="indices"'):html.index('id="trend"')]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_demo_report_body_shows_complaints_per_group(demo_runs, lang):
    r = load_results(demo_runs["en"] / "results.json")
    part = r.analytics["complaints"]
    brands = [x for x in part["rows"] if x["group"]]
    assert len(brands) == 3 and all(x["complainers"] > 1 for x in brands)
    body = _body(demo_runs[lang] / ("report.html" if lang == "en" else "report.zh-CN.html"))
    assert ("Complaints" if lang == "en" else "顾客抱怨") in body
    for x in brands:
        assert f"{x['rate']:.1f}%" in body  # each brand's complaint rate, in the body
        word = "below" if lang == "en" else "低"
        if x["significant"] and x["difference"] < 0:
            assert word in body
