"""The typed study results: one source for every number, wave-aware headline, flags that
agree with their intervals, disclosures that add up, a results.json that round-trips and
a broken one that is refused with one line."""
import json
import subprocess
import sys

import numpy as np
import pytest
from pypdf import PdfReader

from crmsurvey.study import SCHEMA_VERSION, Results, load_results
from crmsurvey.study.results import group_key


@pytest.fixture(scope="module")
def demo(demo_runs) -> Results:
    return load_results(demo_runs["en"] / "results.json")


def _all_differences(r: Results):
    return [d for c in r.comparisons for d in c.differences] + list(r.trend.changes)


def test_every_difference_is_the_difference_of_the_figures_shown(demo):
    scores = {(s.measure, s.item, group_key(s.group)): s.value for s in demo.scores}
    diffs = _all_differences(demo)
    assert {d.quantity for d in diffs} == {"index", "nps", "csat"}
    for d in diffs:
        if d.quantity == "index":
            a, b = demo.index_of(d.group_a, d.name), demo.index_of(d.group_b, d.name)
            assert (d.value_a, d.value_b) == (a.index, b.index), d
        else:
            assert d.value_a == scores[d.quantity, d.name, group_key(d.group_a)]
            assert d.value_b == scores[d.quantity, d.name, group_key(d.group_b)]
        assert d.difference == d.value_a - d.value_b
        # and as printed: the rounded difference is the difference of the rounded figures
        # to within one unit of the last digit
        assert abs(round(d.difference, 1) - (round(d.value_a, 1) - round(d.value_b, 1))) <= 0.1 + 1e-9


def test_every_flag_agrees_with_its_interval_and_its_adjusted_p(demo):
    alpha = demo.settings.multiplicity.alpha
    diffs = _all_differences(demo)
    assert any(d.significant for d in diffs) and not all(d.significant for d in diffs)
    for d in diffs:
        excludes_zero = d.ci_lower > 0 or d.ci_upper < 0
        assert d.significant == excludes_zero == (d.pvalue_adj < alpha), d
        assert d.ci_lower <= d.difference <= d.ci_upper or d.quantity == "index"
        if d.method == "bonferroni":
            assert d.pvalue_adj == pytest.approx(min(1.0, d.m * d.pvalue))
            assert d.ci_level == pytest.approx(1 - alpha / d.m)
    brand = demo.comparisons[0]
    assert {d.m for d in brand.differences} == {3}  # three brands: three pairs per family
    # wave changes: Holm over the groups of one measure (the whole sample on its own),
    # written out here: sort the family's p, (m - j)·p_(j) accumulated by the maximum;
    # the j-th interval at alpha/(m - j), held from the first step that fails
    changes = demo.trend.changes
    assert changes and {d.method for d in changes} == {"holm"}
    families: dict = {}
    for d in changes:
        key = (d.quantity, d.name, tuple(sorted(k for k in d.group_a if k != "wave")))
        families.setdefault(key, []).append(d)
    assert {len(f) for f in families.values()} == {1, 3}
    for fam in families.values():
        fam.sort(key=lambda d: d.pvalue)
        m = len(fam)
        adj, level, failed = 0.0, None, False
        for j, d in enumerate(fam):
            assert d.m == m
            adj = max(adj, min(1.0, (m - j) * d.pvalue))
            assert d.pvalue_adj == pytest.approx(adj)
            if not failed:
                level = alpha / (m - j)
                failed = d.pvalue >= level
            assert d.ci_level == pytest.approx(1 - level)
    for r in brand.paths:
        assert r["significant"] == (r["pvalue_adj"] < alpha)


def test_comparisons_carry_micom(demo):
    index_diffs = [d for d in demo.comparisons[0].differences if d.quantity == "index"]
    micom = {(group_key(r["group_a"]), group_key(r["group_b"]), r["construct"]): r
             for r in demo.comparisons[0].micom}
    for d in index_diffs:
        m = micom[group_key(d.group_a), group_key(d.group_b), d.name]
        assert d.micom == m["invariance"] and d.warranted == bool(m["compositional"])
    changes = [d for d in demo.trend.changes if d.quantity == "index"]
    assert changes and all(d.micom in ("full", "partial", "none") for d in changes)


def test_headline_is_the_current_wave_and_says_so(demo, demo_runs, demo_pdfs):
    assert demo.headline.group == {"wave": "2026"} and demo.headline.previous_wave == "2025"
    assert not any(r.pooled for r in demo.indices)  # pooled figures only on request
    sat = demo.index_of({"wave": "2026"}, "SAT")
    pooled_n = sum(demo.index_of({"wave": w}, "SAT").n for w in ("2024", "2025", "2026"))
    assert sat.n < pooled_n
    reader = PdfReader(str(demo_runs["en"] / "report.pdf"))
    summary = next(p.extract_text() for p in reader.pages if "Executive summary" in
                   p.extract_text() and "Current wave" in p.extract_text())
    assert "Current wave: 2026" in summary and f"{sat.index:.1f}" in summary
    assert f"n = {sat.n}" in summary.replace("\xa0", " ")  # (no-break spaces glue it)
    zh = "\n".join(p.extract_text() for p in PdfReader(str(demo_pdfs["zh-CN"])).pages)
    assert "当前年度：2026年" in zh


def test_brand_by_wave_indices_and_drivers_per_brand(demo):
    for brand in ("Brand A", "Brand B", "Brand C"):
        for wave in ("2024", "2025", "2026"):
            assert demo.index_of({"brand": brand, "wave": wave}, "SAT") is not None
    groups = [d.group for d in demo.drivers]
    assert groups == [{"wave": "2026"}] + [{"brand": b, "wave": "2026"}
                                           for b in ("Brand A", "Brand B", "Brand C")]
    for d in demo.drivers:
        # Satisfaction and Complaints mediate Image/Quality/... → Loyalty: not levers
        assert not {"SAT", "COMP", "LOY"} & set(d.priorities)
        assert d.standout is None or d.standout == d.priorities[0]
        if d.standout is None and len(d.priorities) > 1:
            lo, hi = d.lead_ci
            assert lo <= 0 <= hi  # the lead is within its uncertainty
        by_construct = {r.construct: r.importance for r in d.constructs}
        for c in by_construct:
            items = [i.importance for i in d.items if i.construct == c]
            assert sum(items) == pytest.approx(by_construct[c])


def test_disclosures_add_up(demo):
    kept = demo.sample.rows_kept
    per_wave = {m.group["wave"]: m.disclosure.rows for m in demo.models if set(m.group) == {"wave"}}
    assert sum(per_wave.values()) == kept
    for m in demo.models:
        x = m.disclosure
        assert x.used + x.dropped == x.rows and x.used == m.n
        assert x.cells_imputed == x.cells_missing  # mean replacement fills every blank
        if set(m.group) == {"brand", "wave"}:
            assert x.rows <= per_wave[m.group["wave"]]
    brands = [m.disclosure.rows for m in demo.models if m.group.get("wave") == "2026"
              and "brand" in m.group]
    assert sum(brands) == per_wave["2026"]
    cb = demo.cbsem.disclosure
    assert cb.used + cb.dropped == cb.rows == per_wave["2026"]
    assert cb.dropped > 0 and cb.missing_method == "listwise"


def test_results_json_round_trips(demo_runs):
    path = demo_runs["en"] / "results.json"
    text = path.read_text(encoding="utf-8")
    results = load_results(path)
    assert results.schema_version == SCHEMA_VERSION
    assert results.to_json() == text
    assert Results.model_validate_json(text) == results


@pytest.mark.parametrize("break_it, message", [
    (lambda d: {}, "schema version None"),
    (lambda d: dict(d, schema_version=1), "schema version 1"),
    (lambda d: {k: v for k, v in d.items() if k != "headline"}, "headline"),
    (lambda d: dict(d, indices=[dict(d["indices"][0], index="high")]), "indices.0.index"),
    (lambda d: dict(d, surprise=1), "surprise"),
    (lambda d: None, "not a readable results file"),
])
def test_broken_results_json_exits_2_with_one_line(demo_runs, tmp_path, break_it, message):
    data = json.loads((demo_runs["en"] / "results.json").read_text(encoding="utf-8"))
    broken = break_it(data)
    (tmp_path / "results.json").write_text("{not json" if broken is None else
                                           json.dumps(broken), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "report", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "results.json" in lines[0], lines
    assert not (tmp_path / "report.pdf").exists()


def test_pooled_figures_only_on_request_and_client_group(tmp_path):
    from crmsurvey.study import load_study, run_study

    (tmp_path / "s.yaml").write_text("""
id: p
title: pooled
questionnaire: ccsi
data:
  - simulate: {n: 200, seed: 4, groups: {brand: [A, B], wave: ["2025", "2026"]}}
groups: [brand]
waves: wave
current_wave: "2025"
pooled: true
min_group_size: 40
pls: {bootstrap: 60, seed: 2, tail_draws: 1}
report: {client_group: {brand: A}}
""", encoding="utf-8")
    r = run_study(load_study(tmp_path / "s.yaml")).results
    assert r.headline.group == {"wave": "2025"} and r.headline.previous_wave is None
    assert r.study.client_group == {"brand": "A"}
    pooled = [x for x in r.indices if x.pooled]
    assert {group_key(x.group) for x in pooled} == {"all", "brand=A", "brand=B"}
    assert r.trend.changes == []  # no wave before the current one
    assert [c.scope for c in r.comparisons] == [{"wave": "2025"}]


@pytest.mark.slow
def test_bad_client_group_is_a_study_error(tmp_path):
    (tmp_path / "s.yaml").write_text("""id: p
title: t
questionnaire: ccsi
data: [{simulate: {n: 50}}]
report: {client_group: {colour: red}}
""", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "run", str(tmp_path / "s.yaml"),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2 and "s.yaml:5" in proc.stderr and "colour" in proc.stderr


def test_bootstrap_contrast_matches_a_direct_count():
    """The percentile test's definitions, checked by brute force on random draws."""
    from crmsurvey._stats import bootstrap_contrast

    rng = np.random.default_rng(3)
    for m in (1, 3):
        draws = rng.normal(rng.uniform(-1, 3, 40), 1.0, (400, 40))
        r = bootstrap_contrast(draws.mean(axis=0), draws, m=m)
        for j in range(40):
            d = np.sort(draws[:, j])
            k = int(np.ceil(0.05 / m * 400 / 2))
            assert (r["ci_lower"][j], r["ci_upper"][j]) == (d[k - 1], d[-k])
            # never finer than the draws: at least one draw's worth, 1/B
            p = max(2 * min((d <= 0).sum(), (d >= 0).sum()), 1) / 400
            assert r["pvalue"][j] == pytest.approx(p)
            assert r["significant"][j] == (min(1, m * p) < 0.05)


def test_a_driver_stands_out_only_when_its_lead_is_beyond_its_uncertainty():
    import pandas as pd

    import crmsurvey as cs
    from crmsurvey.study.drivers import drivers_of

    rng = np.random.default_rng(8)
    n = 500
    a, b = rng.standard_normal(n), rng.standard_normal(n)

    def frame(beta_a, beta_b):
        y = beta_a * a + beta_b * b + 0.5 * rng.standard_normal(n)
        cols = {}
        for name, lv in (("a", a), ("b", b), ("y", y / y.std())):
            for k in (1, 2, 3):
                cols[f"{name}{k}"] = np.clip(np.round(5.5 + 1.6 * (0.85 * lv + 0.5 *
                                                                  rng.standard_normal(n))), 1, 10)
        return pd.DataFrame(cols)

    syntax = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nY =~ y1 + y2 + y3\nY ~ A + B"
    strong = cs.pls(syntax, frame(0.8, 0.25), bootstrap=300, seed=1, scale=(1, 10))
    d = drivers_of({}, strong, "Y", ["A", "B"], {"Y"})
    assert d.priorities == ["A", "B"] and d.standout == "A" and d.lead_ci[0] > 0
    even = cs.pls(syntax, frame(0.5, 0.5), bootstrap=300, seed=1, scale=(1, 10))
    d = drivers_of({}, even, "Y", ["A", "B"], {"Y"})
    assert set(d.priorities) == {"A", "B"} and d.standout is None
    assert d.lead_ci[0] <= 0 <= d.lead_ci[1]
    assert d.items and {i.construct for i in d.items} == {"A", "B"}


# --- the client deliverable -------------------------------------------------------------------

#: Latin-letter words a Chinese report may contain: abbreviations readers know, single
#: letters (statistics symbols, Kano and ABC classes, group letters), software and the
#: authors cited; item and construct codes are added from the results.
ALLOWED = {"PLS", "CB", "SEM", "NPS", "CSAT", "IPMA", "HTMT", "AVE", "CFI", "TLI", "RMSEA",
           "SRMR", "VIF", "MICOM", "RFM", "CLV", "ABC", "ACSI", "ANOVA", "lavaan", "crmsurvey",
           "Python", "numpy", "pandas", "Hair", "Henseler", "Hu", "Bentler", "Berger", "Dick",
           "Basu", "Kish", "Bonferroni", "Kruskal", "Wallis", "Fornell", "Qualtrics",
           # PLS model assessment: the measures' own names (Q²predict reads as Q, predict)
           "PLSpredict", "predict", "NFI", "d_ULS", "d_G", "HI95", "HI99", "LM", "RMSE", "MAE",
           "AIC", "BIC", "GM",
           # methods and software cited by their authors' names
           "Holm", "Wilson", "Wald", "cSEM", "ADANCO", "Geweke", "Meese", "Sharma",
           "Dijkstra", "Shmueli", "Nitzl",
           # the workbook named by its file name
           "tables", "xlsx"}


def _latin_words(text: str, results: Results) -> set[str]:
    import re

    codes = set(results.model.items) | set(results.model.constructs) | {
        i for items in results.model.constructs.values() for i in items}
    codes |= {"resp_id", "weight", "wave", "brand"}
    # the workbook's file name (tables.zh-CN.xlsx, perhaps broken after its hyphen)
    text = re.sub(r"tables\.(?:[a-z]{2}-\s*[A-Z]{2}\.)?xlsx", " ", text)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
    return {w for w in words if len(w) > 1 and w not in ALLOWED and w not in codes
            and not re.fullmatch(r"[a-z]+\d+|[a-z]+_[a-z0-9_]+", w)}


def test_chinese_report_has_no_english_left(demo, demo_pdfs):
    text = "\n".join(p.extract_text() for p in PdfReader(str(demo_pdfs["zh-CN"])).pages)
    assert "顾客满意" in text and "执行摘要" in text
    assert _latin_words(text, demo) == set()
    assert "客户" not in text  # one term per concept: 顾客
    from crmsurvey.report.render import build_html

    html = build_html(demo, lang="zh-CN")
    assert "。 " not in html and "置信区间: " not in html  # full-width punctuation, no space
    assert "的中介变量）" in html and "加权后" in html  # the weighted complaint rate says so
    english = "\n".join(p.extract_text() for p in PdfReader(str(demo_pdfs["en"])).pages)
    assert len(_latin_words(english, demo)) > 100  # the check sees English when it is there


@pytest.mark.parametrize("lang, client, wave", [("en", "Brand A", "2026"),
                                                ("zh-CN", "品牌A", "2026年")])
def test_executive_summary_frames_the_client_and_the_change(demo, demo_pdfs, lang, client,
                                                            wave):
    import re

    from crmsurvey.report.context import build_context

    ctx = build_context(demo, lang)
    findings = ctx["findings"]
    # position, gaps to competitors, NPS, CSAT, change, drivers: one finding each at most
    assert 3 <= len(findings) <= 6
    text = " ".join(findings)
    assert client in findings[0] and wave in findings[0]
    change = next(f for f in findings if "2025" in f)
    words = re.sub(r"<[^>]+>", "", change)  # (the figures link to the body's tables)
    assert re.search(r"[-−]?\d+\.\d.{0,40}[-−]?\d+\.\d", words)  # a change with its interval
    pdf = "\n".join(p.extract_text() for p in PdfReader(str(demo_pdfs[lang])).pages[:4])
    first_words = findings[0][:12]
    assert first_words in pdf.replace("\n", "")
    # every number of the position sentence is a figure of the results
    row = demo.index_of({"brand": "Brand A", "wave": "2026"}, "SAT")
    assert f"{row.index:.1f}" in findings[0] and f"{row.ci_lower:.1f}" in findings[0]
    assert text


def test_path_diagram_labels_do_not_overlap(demo):
    from crmsurvey.report.charts import LABEL_H, LABEL_W, path_layout

    fit = demo.model_of(demo.headline.group)
    labels = path_layout(list(demo.model.constructs), fit.paths)["labels"]
    assert len(labels) == len(fit.paths)
    for i, (x, y) in enumerate(labels):
        for px, py in labels[:i]:
            assert abs(x - px) >= LABEL_W or abs(y - py) >= LABEL_H


def test_workbook_is_for_people_and_reproducible(tmp_path):
    """Labelled sheets, labels instead of codes, number formats, frozen headers, a notes
    sheet; the same bytes from two identical runs; lavaan operators left intact."""
    import openpyxl

    from crmsurvey.study import load_study, run_study
    from crmsurvey.study.export import write_tables

    (tmp_path / "s.yaml").write_text("""id: x
title: x
questionnaire: ccsi
data: [{simulate: {n: 120, seed: 2, groups: {brand: [A, B]}}}]
groups: [brand]
min_group_size: 40
pls: {bootstrap: 50, seed: 1, tail_draws: 1}
report: {language: zh-CN, group_labels: {brand: {A: {zh-CN: 甲品牌}}}}
""", encoding="utf-8")
    study = load_study(tmp_path / "s.yaml")
    outs = []
    for k in range(2):
        done = run_study(study)
        folder = tmp_path / f"o{k}"
        folder.mkdir()
        write_tables(done.tables, folder, results=done.results)
        outs.append(folder)
    assert (outs[0] / "tables.xlsx").read_bytes() == (outs[1] / "tables.xlsx").read_bytes()
    wb = openpyxl.load_workbook(outs[0] / "tables.xlsx")
    assert {"指数", "路径系数", "说明"} <= set(wb.sheetnames)
    ws = wb["指数"]
    header = [c.value for c in ws[1]]
    # headings from the catalogue; the group item keeps its id (the user's name)
    # the group item's column is headed by its name in the report's language (the
    # bundled questionnaire's 品牌), not by its id
    assert header[:2] == ["品牌", "结构变量"] and ws.freeze_panes == "A2"
    values = {c.value for c in ws["B"][1:]}
    assert "顾客满意度" in values and "SAT" not in values  # labels, not codes
    assert "甲品牌" in {c.value for c in ws["A"][1:]}
    col = header.index("指数") + 1
    assert ws.cell(row=2, column=col).number_format == "0.0"
    notes = {r[0].value: r[1].value for r in wb["说明"].iter_rows(min_row=2)}
    # labels in Chinese, one row per setting
    assert notes["研究"] == "x" and notes["PLS：自助法重抽样次数"] in (50, "50")
    paths = (outs[0] / "loadings.csv").read_text(encoding="utf-8-sig")
    assert ",=~," in paths and "'=~" not in paths


def test_model_assessment_reaches_the_results_and_both_reports(demo, demo_pdfs):
    """The headline model carries its fit (with the exact fit test), PLSpredict, indirect
    effects and information criteria; the reports print the same figures."""
    head = next(m for m in demo.models if m.predict is not None)
    assert head.group == demo.headline.group
    fit = {r["measure"]: r for r in head.model_fit}
    assert fit["srmr"]["estimated_hi95"] is not None and head.settings["fit_test"] == 499
    assert {r["construct"] for r in head.predict.constructs} == \
        {r["construct"] for r in head.r2}
    assert head.indirect and head.model_selection
    others = [m for m in demo.models if m is not head]
    assert all(m.predict is None and "estimated_hi95" not in m.model_fit[0] for m in others)
    for lang, words in (("en", ("Model fit", "PLSpredict", "Indirect effects")),
                        ("zh-CN", ("模型拟合", "PLSpredict", "间接效应"))):
        text = "\n".join(p.extract_text() for p in PdfReader(str(demo_pdfs[lang])).pages)
        assert all(w in text for w in words)
        assert f"{fit['srmr']['estimated']:.3f}" in text
        assert f"{fit['d_g']['estimated_hi95']:.3f}" in text
        q2 = [r["q2_predict"] for r in head.predict.items]
        assert f"{min(q2):.3f}" in text
