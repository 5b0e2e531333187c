"""Statistics a referee accepts (issue 27, item 5): enough resamples for the adjusted
level, p-values no finer than the resamples resolve, Holm for wave changes, implied
latent means (against lavaan, run here), single-item and binary constructs, PLS/CB-SEM
disagreements named, the interval wording, CSAT in the PDF with its rule, current-wave
group sizes, and interval coverage at subgroup sizes (simulated here)."""
from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from crmsurvey.study.results import load_results

from ._report_text import page_text, section
from .lavaan import run_lavaan

ALPHA = 0.05


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's adjusted p-values, written out: sort, multiply by m − j, running max."""
    order = np.argsort(p)
    m = len(p)
    out = np.empty(m)
    running = 0.0
    for j, k in enumerate(order):
        running = max(running, (m - j) * p[k])
        out[k] = min(1.0, running)
    return out


#: the visible text of a report's HTML (a file or text), entities resolved, whitespace
#: collapsed; a section of it from one heading to the next
_text = _text_of = page_text
_section = section


# --- a. enough resamples -----------------------------------------------------------------

STUDY = """
id: r
title: referee
questionnaire: ccsi
data:
  - simulate: {{n: 90, seed: 5, groups: {{brand: [A, B, C]}}}}
exclude: [duplicate]
groups: [brand]
min_group_size: 30
pls: {{{pls}}}
"""


def test_the_rule_is_twenty_draws_beyond_each_adjusted_limit():
    from crmsurvey._stats import resamples_needed

    for alpha, m in ((0.05, 1), (0.05, 3), (0.05, 190), (0.1, 6)):
        want = math.ceil(20 / (alpha / m / 2))  # B · a / 2 ≥ 20, a = α/m
        assert resamples_needed(alpha, m) == want
        assert resamples_needed(alpha, m) * alpha / m / 2 >= 20 - 1e-9
        assert (resamples_needed(alpha, m) - 1) * alpha / m / 2 < 20


@pytest.mark.slow
def test_too_few_resamples_set_in_the_study_are_one_line_naming_the_number(tmp_path):
    (tmp_path / "s.yaml").write_text(STUDY.format(pls="bootstrap: 500, seed: 2"),
                                     encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "run",
                           str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    # 3 brands, 3 pairs: 98.3% intervals; 500 · .0167 / 2 = 4.2 draws; 2400 needed
    assert "2400" in lines[0] and "4.2 draws" in lines[0] and "pls.bootstrap" in lines[0]


@pytest.fixture(scope="module")
def raised(tmp_path_factory):
    """A study that leaves pls.bootstrap at its default: raised to what its 3 pairs need."""
    from crmsurvey.study import load_study, run_study

    folder = tmp_path_factory.mktemp("raised")
    (folder / "s.yaml").write_text(STUDY.format(pls="seed: 2, fit_test: 0, predict_folds: 0"),
                                   encoding="utf-8")
    return run_study(load_study(folder / "s.yaml")).results


@pytest.mark.slow
def test_a_default_too_small_for_the_adjusted_level_is_raised_and_said(raised):
    b = raised.settings.pls["bootstrap"]
    assert b == 2400
    note = [d for d in raised.diagnostics if d.code == "resamples_raised"]
    assert len(note) == 1 and "2400" in note[0].message and note[0].severity == "info"
    diffs = [d for c in raised.comparisons for d in c.differences if d.quantity == "index"]
    assert diffs and all(d.m == 3 for d in diffs)
    for d in diffs:  # every adjusted limit has 20 draws beyond it
        assert b * (1 - d.ci_level) / 2 >= 20 - 1e-9


# --- b. p-values no finer than the resamples --------------------------------------------

def test_a_bootstrap_p_value_is_never_below_one_over_b():
    from crmsurvey._stats import bootstrap_contrast

    rng = np.random.default_rng(4)
    draws = rng.normal(5.0, 1.0, (500, 6))  # every draw above 0: no draw beyond 0
    r = bootstrap_contrast(draws.mean(axis=0), draws, m=3)
    assert np.all(r["pvalue"] == 1 / 500) and np.all(r["p_resolution"] == 1 / 500)
    assert np.all(r["pvalue_adj"] == 3 / 500) and r["significant"].all()
    mixed = rng.normal(rng.uniform(-0.5, 3, 40), 1.0, (300, 40))
    r = bootstrap_contrast(mixed.mean(axis=0), mixed)
    assert (r["pvalue"] >= 1 / 300 - 1e-15).all()


def test_p_values_at_their_resolution_print_as_less_than_one_over_b():
    from crmsurvey._format import pval
    from crmsurvey._stats import bootstrap_contrast
    from crmsurvey.report.sections.common import floors as _floors

    draws = np.full((500, 1), 2.0)
    r = bootstrap_contrast(np.array([2.0]), draws, m=1)
    row = _floors({k: float(v[0]) for k, v in r.items()})
    assert pval(row["pvalue"], row["p_floor"]) == "< .002"  # never "< .001" from 500 draws
    assert pval(row["pvalue_adj"], row["p_adj_floor"]) == "< .002"
    r3 = bootstrap_contrast(np.array([2.0]), draws, m=3)
    row = _floors({k: float(v[0]) for k, v in r3.items()})
    assert pval(row["pvalue_adj"], row["p_adj_floor"]) == "< .006"
    assert pval(1 / 2400, 1 / 2400) == "< .001"
    assert pval(0.0123, 1 / 500) == ".012"  # above its floor: printed as it is


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_report_prints_no_p_finer_than_its_resamples(demo_runs, lang):
    """MGA path differences rest on the study's 500 permutations and 500 resamples
    (Henseler's test): a p-value at its floor 1/(P + 1) or 1/B reads "< .002" (adjusted
    over 3 pairs "< .006"), never "< .001" — which Henseler's p of 0 used to print."""
    results = load_results(demo_runs["en"] / "results.json")
    o = results.settings.compare
    rows = [x for c in results.comparisons for x in c.paths]
    assert rows and o["permutations"] < 1000 and o["bootstrap"] < 1000
    for x in rows:
        assert x["pvalue"] >= 1 / (o["permutations"] + 1) - 1e-12
        assert x["p_henseler"] >= 1 / o["bootstrap"] - 1e-12
    html = "report.html" if lang == "en" else "report.zh-CN.html"
    text = _text(demo_runs[lang] / html)
    head, tail = ("Path differences (", "MICOM") if lang == "en" else ("路径系数差异（", "MICOM")
    table = _section(text, head, tail)
    assert "< .001" not in table
    floors = [(x["pvalue"], x["pvalue_adj"], 1 / (o["permutations"] + 1)) for x in rows] + \
        [(x["p_henseler"], x["p_henseler_adj"], 1 / o["bootstrap"]) for x in rows]
    for p, adj, floor in floors:
        if p <= floor * (1 + 1e-9):
            shown = f"< {math.ceil(adj * 1000 - 1e-9) / 1000:.3f}".replace("0.", ".")
            assert shown in table


def test_indirect_effect_p_values_print_no_finer_than_one_over_b(demo_runs):
    """The indirect effects' percentile p is floored at 1/B where no draw crosses 0: from
    500 resamples the appendix prints "< .002", never "< .001"."""
    from crmsurvey.report.render import build_html

    r = load_results(demo_runs["en"] / "results.json")
    head = r.model_of(r.headline.group)
    b = head.settings["bootstrap"]
    assert all(x["pvalue"] >= 1 / b - 1e-15 for x in head.indirect if x.get("pvalue") is not None)
    assert any(x["pvalue"] == pytest.approx(1 / b) for x in head.indirect)
    i = r.models.index(head)
    models = list(r.models)
    models[i] = head.model_copy(update={"settings": {**head.settings, "bootstrap": 500}})
    text = _text_of(build_html(r.model_copy(update={"models": models}), lang="en"))
    table = _section(text, "Indirect effects (mediation)", "Information criteria")
    assert "< .002" in table and "< .001" not in table


# --- c. multiplicity of wave changes ------------------------------------------------------

def test_step_levels_match_holm_decisions():
    from crmsurvey._stats import normal_contrast, step_levels

    rng = np.random.default_rng(11)
    for _ in range(200):
        k = int(rng.integers(1, 7))
        diff, se = rng.normal(0, 3, k), rng.uniform(0.5, 2, k)
        r = normal_contrast(diff, se, method="holm", m=k)
        p = 2 * sps.norm.sf(np.abs(diff / se))
        adj = _holm(p)
        np.testing.assert_allclose(r["pvalue_adj"], adj)
        assert (r["significant"] == (adj < ALPHA)).all()
        excludes = (r["ci_lower"] > 0) | (r["ci_upper"] < 0)
        assert (excludes == r["significant"]).all()
        assert np.all(step_levels(p, ALPHA, k, "holm") >= ALPHA / k - 1e-15)


def test_wave_changes_are_holm_adjusted_and_marked_by_the_adjusted_result(demo_runs):
    from crmsurvey.report.context import build_context

    r = load_results(demo_runs["en"] / "results.json")
    assert r.settings.multiplicity.changes == "holm"
    changes = r.trend.changes
    families: dict[tuple, list] = {}
    for d in changes:
        key = (tuple(sorted(k for k in d.group_a if k != r.trend.item)), d.quantity, d.name)
        families.setdefault(key, []).append(d)
    assert any(len(f) == 3 for f in families.values())  # the three brands of one measure
    for fam in families.values():
        raw = np.array([d.pvalue for d in fam])
        adj = _holm(raw)
        for d, a in zip(fam, adj):
            assert d.method == "holm" and d.m == len(fam)
            assert d.pvalue_adj == pytest.approx(a)
            assert d.significant == (a < ALPHA)
            assert d.significant == (d.ci_lower > 0 or d.ci_upper < 0)
    ctx = build_context(r, "en")
    marked = {(row["label"], k) for row in ctx["current_rows"]
              for k, c in enumerate(row["cells"]) if c["mark"]}
    want = set()
    for row in ctx["current_rows"]:
        for k, c in enumerate(r.model.index_constructs):
            d = next((d for d in changes if d.quantity == "index" and d.name == c and
                      ctx["labels"].group(d.group_a) == row["label"]), None)
            if d is not None and d.significant:
                want.add((row["label"], k))
    assert marked == want


def test_the_methodology_states_the_multiplicity_policy(demo_runs):
    text = _text(demo_runs["en"] / "report.html")
    method = _section(text, "Multiple comparisons", "Glossary")
    assert "Holm" in method and "Bonferroni" in method and "MICOM" in method
    # the draws the adjusted limits rest on, as the run has them (at least 20)
    drawn = re.search(r"at least (\d+) draws beyond each", method)
    assert "without adjustment" in method and drawn and int(drawn.group(1)) >= 20
    zh = _text(demo_runs["zh-CN"] / "report.zh-CN.html")
    assert "Holm" in zh and "不作校正" in zh


# --- d. implied latent means, against lavaan ---------------------------------------------

MODEL = "F1 =~ x1 + x2 + x3\nF2 =~ y1 + y2 + y3\nF2 ~ F1\n"
#: MODEL with labels (reference group's latent intercepts fixed at 0), each implied mean
#: (I − B)⁻¹α written out as a defined parameter for lavaan's delta method
LABELLED = """F1 =~ x1 + x2 + x3
F2 =~ y1 + y2 + y3
F2 ~ c(b1, b2, b3)*F1
F1 ~ c(0, NA, NA)*1 + c(k1, k2, k3)*1
F2 ~ c(0, NA, NA)*1 + c(a1, a2, a3)*1
mean_F1_g2 := k2
mean_F1_g3 := k3
mean_F2_g2 := a2 + b2*k2
mean_F2_g3 := a3 + b3*k3
"""


def test_implied_latent_means_match_lavaan_mean_lv(tmp_path):
    """Three groups with their own means of F1 and intercepts of F2; scalar invariance
    (loadings and intercepts equal): lavInspect(fit, "mean.lv") to 1e-3, and the
    delta-method SEs against lavaan's for the same means written as defined parameters."""
    from crmsurvey.cbsem.invariance import measurement_invariance

    rng = np.random.default_rng(27)
    frames = []
    for g, (mu, a) in {"g1": (0.0, 0.0), "g2": (0.5, -0.4), "g3": (-0.3, 0.6)}.items():
        n = 350
        f1 = rng.normal(mu, 1.0, n)
        f2 = a + 0.6 * f1 + rng.normal(0, 0.8, n)
        cols = {}
        for k, (lam, nu) in enumerate([(1.0, 3.0), (0.8, 2.5), (1.2, 3.5)], start=1):
            cols[f"x{k}"] = nu + lam * f1 + rng.normal(0, 0.6, n)
            cols[f"y{k}"] = nu + lam * f2 + rng.normal(0, 0.6, n)
        frames.append(pd.DataFrame({**cols, "g": g}))
    data = pd.concat(frames, ignore_index=True)
    out = run_lavaan("mean_lv.R", data, tmp_path, model=MODEL, LABELLED=LABELLED)
    ref = out["est"]
    assert out["fit"]["labelled_chisq"] == pytest.approx(out["fit"]["chisq"], rel=1e-8)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = measurement_invariance(MODEL, data, "g")
    got = inv.latent_means.set_index(["group", "construct"])
    for _, row in ref.iterrows():
        if row.rhs == "g1":  # the reference group: 0 in both
            assert row.est == pytest.approx(0, abs=1e-8)
            continue
        assert got.loc[(row.rhs, row.lhs), "est"] == pytest.approx(row.est, abs=1e-3)
        assert got.loc[(row.rhs, row.lhs), "se"] == pytest.approx(row.se, rel=2e-3)
    # the intercept of F2's equation is not its mean: they differ by 0.6·(mean of F1)
    icpt = inv.intercepts.set_index(["group", "construct"])
    assert abs(icpt.loc[("g2", "F2"), "est"] - got.loc[("g2", "F2"), "est"]) > 0.1


def test_the_invariance_table_shows_implied_means_labelled_as_such(demo_runs):
    r = load_results(demo_runs["en"] / "results.json")
    inv = next(c.invariance for c in r.comparisons if c.invariance)
    text = _text(demo_runs["en"] / "report.html")
    assert "Implied latent means" in text and "mean.lv" in text
    assert "Latent mean differences" not in text
    means = {(x["group"], x["construct"]): x["est"] for x in inv["latent_means"]}
    icpt = {(x["group"], x["construct"]): x["est"] for x in inv["intercepts"]}
    assert means.keys() == icpt.keys()
    # exogenous constructs: the intercept is the mean; downstream ones differ
    assert means[("Brand B", "IMAG")] == pytest.approx(icpt[("Brand B", "IMAG")], abs=1e-6)
    assert abs(means[("Brand B", "LOY")] - icpt[("Brand B", "LOY")]) > 0.05


def test_the_appendix_tables_are_csv_files_and_workbook_sheets(demo_runs):
    """Invariance, implied latent means, indirect effects, VIF/f², information criteria
    and PLS model fit: a CSV each and a sheet each in tables.xlsx (issue 27, item 8)."""
    import openpyxl

    out = demo_runs["en"]
    r = load_results(out / "results.json")
    inv = next(c.invariance for c in r.comparisons if c.invariance)
    means = pd.read_csv(out / "latent_means.csv")
    assert sorted(means.est.round(9)) == sorted(round(x["est"], 9) for x in inv["latent_means"])
    assert (means.reference == inv["reference"]).all()
    for name in ("invariance", "indirect", "vif_f2", "model_selection", "model_fit"):
        assert len(pd.read_csv(out / f"{name}.csv"))
    sheets = set(openpyxl.load_workbook(out / "tables.xlsx").sheetnames)
    assert {"Measurement invariance", "Implied latent means", "Indirect effects",
            "VIF and f2", "Information criteria", "PLS model fit"} <= sheets


# --- e. single-item and binary constructs; Q² wording -------------------------------------

def test_single_and_binary_constructs_have_no_reliability_in_the_table(demo_runs):
    text = _text(demo_runs["en"] / "report.html")
    quality = _section(text, "Reliability and convergent validity", "Discriminant validity")
    assert "Complaints binary (yes/no) item" in quality
    assert not re.search(r"Complaints\s+1\.000", quality)
    zh = _text(demo_runs["zh-CN"] / "report.zh-CN.html")
    assert "是/否二分题" in zh


def test_predictive_relevance_follows_q2_not_the_lm_comparison():
    from crmsurvey.report.sections.model import _relevance

    assert [_relevance(v) for v in (-0.1, 0.0, 0.017, 0.25, 0.49, 0.5)] == \
        ["none", "none", "small", "medium", "medium", "large"]


# --- f. PLS and CB-SEM disagreements ------------------------------------------------------

def test_pls_and_cbsem_disagreements_are_named(demo_runs):
    r = load_results(demo_runs["en"] / "results.json")
    pls = r.model_of(r.headline.group)
    cb = {(x["lhs"], x["rhs"]): x for x in r.cbsem.estimates if x["op"] == "~"}
    label = {c: v.get("en", c) for c, v in r.model.labels.items()}
    expected = []
    for p in pls.paths:
        c = cb[(p["lhs"], p["rhs"])]
        est = c["std_all"] if c["std_all"] is not None else c["est"]
        if p["est"] * est < 0 or (p["pvalue"] < ALPHA) != (c["pvalue"] < ALPHA):
            expected.append(f"{label[p['rhs']]} → {label[p['lhs']]}")
    text = _text(demo_runs["en"] / "report.html")
    said = re.findall(r"PLS and CB-SEM disagree on ([^:]+):", text)
    assert sorted(said) == sorted(expected)
    if not expected:
        assert "PLS and CB-SEM agree on every path" in text
    zh = _text(demo_runs["zh-CN"] / "report.zh-CN.html")
    assert len(re.findall("结论不一致", zh)) == len(expected)


# --- g. interval wording -----------------------------------------------------------------

def test_the_glossary_says_what_an_interval_is():
    from crmsurvey.report.i18n import strings

    en = strings("en")["def_interval"]
    assert "95% of samples" in en and "not a range" in en
    assert "the range within which the true value lies" not in en
    zh = strings("zh-CN")["def_interval"]
    assert "95%的样本所得区间会覆盖真值" in zh and "所在的范围" not in zh


# --- h. CSAT in the PDF, its rule, current-wave group sizes --------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_csat_pairwise_tests_and_rule_in_the_report(demo_runs, lang):
    r = load_results(demo_runs["en"] / "results.json")
    pairs = [d for c in r.comparisons for d in c.differences if d.quantity == "csat"]
    assert pairs
    html = "report.html" if lang == "en" else "report.zh-CN.html"
    text = _text(demo_runs[lang] / html)
    head = ("CSAT (top-2 box) differences between groups" if lang == "en"
            else "各组满意率（最高两档）的差异")
    block = text[text.index(head):].replace("\u2212", "-")  # the report's minus sign
    for d in pairs:  # the difference of the two CSAT figures printed above the pairs
        a, b = round(d.value_a, 1), round(d.value_b, 1)
        assert f"{a - b:.1f}" in block
    rule = r"\(top-2 box[:,] 9–10\)" if lang == "en" else r"（最高两档[：，]9–10）"
    assert re.search(rule, text) and "top box)" not in text  # the rule with its answers


def test_group_sizes_are_the_current_waves(demo_runs):
    r = load_results(demo_runs["en"] / "results.json")
    sizes = r.sample.group_sizes["brand"]
    current = {x.group["brand"]: x.n for x in r.scores
               if x.measure == "nps" and x.group.get("wave") == r.headline.wave
               and "brand" in x.group}
    # the NPS n of each brand counts its current-wave rows that answered; never more
    assert all(current[b] <= sizes[b] <= current[b] + 20 for b in current)
    waves = r.sample.group_sizes["wave"]
    assert sum(sizes.values()) == waves[r.headline.wave]


# --- i. coverage of the CSAT and NPS intervals at subgroup sizes ---------------------------

N_SIM = 40_000
# A score-type interval's coverage at a fixed p oscillates with n (Brown, Cai & DasGupta
# 2001): we ask for 95% within 2.5 points, beyond the simulation's own binomial error.
TOLERANCE = 0.025 + 3 * math.sqrt(0.95 * 0.05 / N_SIM)


@pytest.mark.parametrize("n,p", [(30, 0.90), (100, 0.95), (30, 0.95), (100, 0.90)])
def test_csat_wilson_interval_covers_at_subgroup_sizes(n, p):
    from crmsurvey.analytics.scores import wilson_interval

    rng = np.random.default_rng(n * 100 + int(p * 100))
    share = rng.binomial(n, p, N_SIM) / n
    lo, hi = wilson_interval(share, n)
    coverage = np.mean((lo <= p) & (p <= hi))
    assert abs(coverage - 0.95) <= TOLERANCE, coverage
    # the Wald interval this replaces misses by far (81% at n = 30, p = .9)
    half = 1.959964 * np.sqrt(share * (1 - share) / n)
    wald = np.mean((share - half <= p) & (p <= share + half))
    if (n, p) in ((30, 0.90), (100, 0.95)):
        assert wald < 0.95 - TOLERANCE


@pytest.mark.parametrize("n,pp,pd_", [(30, 0.90, 0.05), (100, 0.95, 0.02), (30, 0.95, 0.02),
                                      (100, 0.90, 0.05), (30, 0.60, 0.20)])
def test_nps_interval_covers_at_subgroup_sizes(n, pp, pd_):
    from crmsurvey.analytics.scores import nps, nps_interval

    rng = np.random.default_rng(int(n + 1000 * pp + 10000 * pd_))
    counts = rng.multinomial(n, [pp, pd_, 1 - pp - pd_], N_SIM)
    sp, sd = counts[:, 0] / n, counts[:, 1] / n
    lo, hi = nps_interval(sp, sd, n)
    truth = pp - pd_
    coverage = np.mean((lo <= truth) & (truth <= hi))
    assert abs(coverage - 0.95) <= TOLERANCE, coverage
    # the function nps() reports is this interval (one sample checked end to end)
    answers = np.r_[np.full(counts[0, 0], 10), np.full(counts[0, 1], 3),
                    np.full(n - counts[0, 0] - counts[0, 1], 8)]
    r = nps(answers)
    assert r["ci_lower"] == pytest.approx(100 * lo[0]) and \
        r["ci_upper"] == pytest.approx(100 * hi[0])
