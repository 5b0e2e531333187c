"""Studies and PDF reports: both languages, every index in the PDF, CJK fonts embedded,
untrusted text shown as text, nothing fetched, atomic output, clean errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from crmsurvey._format import json_safe
from crmsurvey.pipeline import rerender, run
from crmsurvey.report.render import restricted_fetcher
from crmsurvey.study import load_results

ROOT = Path(__file__).resolve().parent.parent


def _study(tmp: Path, *, questionnaire: str = "ccsi", extra: str = "", groups="[Brand A, Brand B]",
           cbsem: bool = True) -> Path:
    text = f"""
id: t
title: {{en: Test study, zh-CN: 测试研究}}
questionnaire: {questionnaire}
data:
  - simulate: {{n: 150, seed: 3, groups: {{brand: {groups}}}}}
exclude: [duplicate, speeder]
groups: [brand]
pls: {{bootstrap: 60, seed: 2, tail_draws: 1}}
{"cbsem: {estimator: ML}" if cbsem else ""}
report: {{client: Test Client, language: en}}
{extra}
"""
    path = tmp / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _pdf_text(path: Path) -> tuple[str, PdfReader]:
    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_demo_report_has_every_index(demo_runs, demo_pdfs, lang):
    folder = demo_runs[lang]
    results = load_results(folder / "results.json")
    text, reader = _pdf_text(demo_pdfs[lang])
    assert len(reader.pages) >= 8
    groups = {tuple(r.group.items()) for r in results.indices}
    assert groups == {((("brand", b),) if b else ()) + (("wave", w),)
                      for b in ("", "Brand A", "Brand B", "Brand C")
                      for w in ("2024", "2025", "2026")}  # brand × wave, no pooled figure
    for r in results.indices:
        assert f"{r.index:.1f}" in text, r
    assert str(results.sample.rows_read) in text
    if lang == "zh-CN":
        assert "顾客满意" in text and "执行摘要" in text
        assert any("CJK" in f for f in _fonts(reader)), _fonts(reader)
    else:
        assert "Executive summary" in text and "Satisfaction" in text


def test_results_bundle_contract(demo_runs):
    folder = demo_runs["en"]
    results = load_results(folder / "results.json")
    for r in results.indices:
        assert r.ci_lower < r.index < r.ci_upper
    head = results.model_of(results.headline.group)
    assert head is not None and {"paths", "quality"} <= set(head.model_dump())
    assert results.cbsem.fit["cfi"] > 0.9 and results.cbsem.group == {"wave": "2026"}
    s = results.sample
    assert s.rows_read == s.rows_kept + sum(s.excluded.values())
    assert results.settings.pls["seed"] == 7
    for name in ("indices.csv", "paths.csv", "scores.csv", "differences.csv",
                 "disclosures.csv", "ipma_items.csv", "tables.xlsx", "report.html"):
        assert (folder / name).is_file()


def test_untrusted_text_is_text_and_nothing_is_fetched(tmp_path):
    q = (ROOT / "questionnaires" / "ccsi.yaml").read_text(encoding="utf-8")
    evil_img = '<img src="file:///etc/passwd">'
    label = 'SAT:  {label: {zh-CN: 顾客满意度, en: Satisfaction}'
    assert label in q  # the hostile label really goes in
    q = q.replace(label, "SAT:  {label: {zh-CN: 顾客满意度, en: 'Satisfaction " + evil_img + "'}")
    (tmp_path / "q.yaml").write_text(q, encoding="utf-8")
    study = _study(tmp_path, questionnaire="q.yaml",
                   groups='["<script>alert(1)</script>", "=HYPERLINK(1)"]', cbsem=False)
    out = run(study, tmp_path / "out")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert evil_img not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>" not in html
    text, _ = _pdf_text(out / "report.pdf")
    assert evil_img in text and "<script>alert(1)</script>" in text
    refused: list[str] = []
    from crmsurvey.report.render import render_report

    render_report(load_results(out / "results.json"), out, refused=refused)
    assert refused == []  # escaped markup never asks for anything


def test_spreadsheet_text_stays_text(tmp_path):
    """tables.xlsx holds no formula cell: lavaan's ``=~`` and formula-like names from the
    data are string cells shown as written; the CSVs get the apostrophe guard."""
    import zipfile

    import openpyxl
    import pandas as pd

    from crmsurvey.study.export import write_tables

    names = ["=HYPERLINK(\"x\")", "+1", "-2", "@A1", "ok"]
    table = pd.DataFrame({"group": names, "value": [1.0, -2.0, 3.0, 4.0, 5.0]})
    est = pd.DataFrame({"lhs": ["QUAL", "SAT"], "op": ["=~", "~"], "rhs": ["qual1", "QUAL"],
                        "est": [1.0, 0.5]})
    write_tables({"indices": table, "cbsem_estimates": est}, tmp_path)
    with zipfile.ZipFile(tmp_path / "tables.xlsx") as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    ws = book["Indices"]
    cells = [ws.cell(row=i, column=1) for i in range(2, 7)]
    assert [c.value for c in cells] == names
    assert all(c.data_type == "s" for c in cells)
    assert ws.cell(row=3, column=2).value == -2.0  # numbers stay numbers
    assert [c.value for c in book["CB-SEM estimates"]["B"][1:]] == ["=~", "~"]
    csv = (tmp_path / "indices.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv


def test_fetcher_serves_only_own_assets(tmp_path):
    (tmp_path / "ok.css").write_text("p {}")
    refused: list[str] = []
    fetch = restricted_fetcher([tmp_path], refused)
    call = fetch.fetch if hasattr(fetch, "fetch") else fetch
    call((tmp_path / "ok.css").as_uri())
    for url in ("file:///etc/passwd", "http://127.0.0.1/x.png",
                (tmp_path / ".." / "x").resolve().as_uri()):
        with pytest.raises(ValueError):
            call(url)
    assert len(refused) == 3


def test_rerender_without_refitting(demo_runs, tmp_path):
    import shutil

    folder = tmp_path / "copy"  # a copy: the other tests read the English report
    shutil.copytree(demo_runs["en"], folder)
    before = (folder / "results.json").read_bytes()
    english = (folder / "report.pdf").read_bytes()
    assert rerender(folder, lang="zh-CN") == folder / "report.zh-CN.pdf"
    text, _ = _pdf_text(folder / "report.zh-CN.pdf")
    assert "执行摘要" in text and (folder / "results.json").read_bytes() == before
    assert (folder / "report.pdf").read_bytes() == english  # beside, not over, the English
    assert "report.zh-CN.pdf" in (folder / ".crmsurvey-manifest.json").read_text()
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "report", str(folder),
                           "--lang", "fr"], capture_output=True, text=True)
    # French has neither a catalogue nor questionnaire texts: refused on the first
    assert proc.returncode == 2 and "no catalogue for report language 'fr'" in proc.stderr


def test_failed_run_leaves_nothing(tmp_path):
    (tmp_path / "tpl").mkdir()  # a template folder without report.html.j2
    study = _study(tmp_path, extra="", cbsem=False)
    text = study.read_text().replace("report: {client: Test Client, language: en}",
                                     "report: {client: Test Client, language: en, template: tpl}")
    study.write_text(text)
    with pytest.raises(Exception):
        run(study, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.replace("groups: [brand]", "groups: [colour]"), "group 'colour'"),
    (lambda s: s.replace("exclude: [duplicate, speeder]", "exclude: [duplicat]"),
     "unknown screening rule"),
    (lambda s: s.replace("questionnaire: ccsi", "questionnaire: nope.yaml"), "not found"),
    (lambda s: s.replace("pls: {bootstrap: 60", "pls: {bootstrapp: 60"), "unknown key"),
    (lambda s: s + "\n  : [", "cannot read YAML"),
])
@pytest.mark.slow
def test_broken_study_exits_2_with_one_line(tmp_path, mutate, message):
    study = _study(tmp_path, cbsem=False)
    study.write_text(mutate(study.read_text()))
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "run", str(study), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(study) in lines[0]
    assert not (tmp_path / "out").exists()


def test_small_groups_are_skipped_and_said(tmp_path):
    study = _study(tmp_path, cbsem=False)
    study.write_text(study.read_text() + "min_group_size: 500\n")
    out = run(study, tmp_path / "out")
    results = load_results(out / "results.json")
    assert {s.group["brand"] for s in results.skipped} == {"Brand A", "Brand B"}
    text, _ = _pdf_text(out / "report.pdf")
    assert "fewer than 500 respondents" in text


def test_logo_is_embedded(tmp_path):
    from PIL import Image

    Image.new("RGB", (120, 40), (31, 78, 121)).save(tmp_path / "logo.png")
    study = _study(tmp_path, cbsem=False)
    study.write_text(study.read_text().replace(
        "report: {client: Test Client, language: en}",
        "report: {client: Test Client, language: en, logo: logo.png, sections: [summary]}"))
    out = run(study, tmp_path / "out")
    assert (out / "assets" / "logo.png").is_file()
    reader = PdfReader(str(out / "report.pdf"))
    xobjects = reader.pages[0]["/Resources"].get("/XObject", {})
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())
    text, _ = _pdf_text(out / "report.pdf")
    assert "Executive summary" in text and "Measurement quality" not in text


def test_demo_has_crm_analytics(demo_runs):
    folder = demo_runs["en"]
    a = load_results(folder / "results.json").analytics
    link = a["customers"]["link"]
    assert link["matched"] + link["unknown"] == link["respondents"]
    shares = a["typology"]["shares"][0]
    assert shares["group"] == {}
    assert sum(shares[k] for k in ("loyal", "latent", "spurious", "no_loyalty")) == \
        pytest.approx(100)
    sat_by_abc = {r["group"]: r["mean"] for r in a["customers"]["by"]["abc"]["satisfaction"]["rows"]}
    assert sat_by_abc["A"] > sat_by_abc["C"]  # the simulated link: loyal customers spend more
    text, _ = _pdf_text(folder / "report.pdf")
    for heading in ("Loyalty types", "Customer value and satisfaction", "CSAT"):
        assert heading in text
    assert (folder / "rfm.csv").is_file() and (folder / "abc.csv").is_file()


@pytest.mark.slow
def test_kano_only_study(tmp_path):
    study = tmp_path / "kano.yaml"
    study.write_text(f"""
id: k
title: Kano check
questionnaire: {ROOT / 'questionnaires' / 'kano_appliance.yaml'}
data:
  - simulate: {{n: 300, seed: 5}}
pls: null
analytics: {{kano: true}}
report: {{language: zh-CN}}
""", encoding="utf-8")
    out = run(study, tmp_path / "out")
    results = load_results(out / "results.json")
    assert {r["feature"] for r in results.analytics["kano"]} == {"app_control", "warranty_5y",
                                                                   "quiet_running"}
    text, _ = _pdf_text(out / "report.pdf")
    assert "卡诺模型" in text and "warranty_5y" in text


def test_demo_compares_groups_and_waves(demo_runs):
    folder = demo_runs["en"]
    results = load_results(folder / "results.json")
    (brand,) = results.comparisons
    assert brand.item == "brand" and brand.scope == {"wave": "2026"}
    pairs = {(d.group_a["brand"], d.group_b["brand"]) for d in brand.differences}
    assert pairs == {("Brand A", "Brand B"), ("Brand A", "Brand C"), ("Brand B", "Brand C")}
    assert all(0 <= r["pvalue_adj"] <= 1 for r in brand.paths)
    assert [r["model"] for r in brand.invariance["table"]] == ["configural", "metric", "scalar"]
    trend = results.trend
    assert trend.waves == ["2024", "2025", "2026"]
    assert (trend.current, trend.previous) == ("2026", "2025")
    assert {(d.group_a["wave"], d.group_b["wave"]) for d in trend.changes} == {("2026", "2025")}
    groups = {tuple(sorted(d.group_a.items())) for d in trend.changes}
    assert len(groups) == 4  # the whole sample and each brand
    text, _ = _pdf_text(folder / "report.pdf")
    for heading in ("Group comparisons", "Trends over waves", "MICOM", "Change since 2025"):
        assert heading in text


def test_study_engine_gives_the_same_bundle(tmp_path):
    from crmsurvey.study import load_study, run_study

    study = load_study(_study(tmp_path, cbsem=False))
    serial = run_study(study)
    pooled = run_study(study, engine=2)
    a = {"brand": "Brand A"}
    # the same numbers up to the last bit or two: workers run one BLAS thread, this
    # process may run more, and a matrix product's rounding can depend on that
    for x, y in ((serial.results.indices, pooled.results.indices),
                 (serial.results.model_of(a).paths, pooled.results.model_of(a).paths),
                 (serial.results.comparisons, pooled.results.comparisons)):
        _same(json_safe([getattr(v, "model_dump", lambda v=v: v)() for v in x]),
              json_safe([getattr(v, "model_dump", lambda v=v: v)() for v in y]))


def _same(a, b, path="") -> None:
    """Equal structures; numbers equal to 1e-12 relative."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            _same(u, v, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14), path
    else:
        assert a == b, path


def test_wave_lacking_a_construct_is_skipped_and_said(tmp_path):
    import crmsurvey as cs

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 200, seed=1, groups={"brand": ["A"], "wave": ["2025", "2026"]})
    df.loc[df.wave == "2025", ["val1", "val2"]] = ""
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.yaml").write_text("""
id: w
title: waves
questionnaire: ccsi
data: [{path: d.csv}]
waves: wave
min_group_size: 20
pls: {bootstrap: 50, tail_draws: 1}
""")
    out = run(tmp_path / "s.yaml", tmp_path / "out")
    results = load_results(out / "results.json")
    reasons = [s.reason for s in results.skipped if s.group == {"wave": "2025"}]
    assert reasons and reasons[0].code == "wave_lacks_constructs" and \
        reasons[0].params["constructs"] == ["VAL"]
    assert results.trend.waves == ["2026"] and results.trend.changes == []


def test_rows_without_a_weight_stop_the_run_with_advice(tmp_path):
    import crmsurvey as cs

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 120, seed=1)
    df["weight"] = df["weight"].astype(object)
    df.loc[3, "weight"] = ""
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.yaml").write_text("id: w\ntitle: w\nquestionnaire: ccsi\n"
                                     "data: [{path: d.csv}]\nweight: weight\npls: {bootstrap: 0}\n")
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "run", str(tmp_path / "s.yaml"),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "no valid weight" in proc.stderr and "invalid_weight" in proc.stderr
    (tmp_path / "s.yaml").write_text((tmp_path / "s.yaml").read_text() +
                                     "exclude: [invalid_weight]\n")
    assert run(tmp_path / "s.yaml", tmp_path / "out").is_dir()


def test_missing_p_values_render(demo_runs):
    """A comparison whose p-value could not be computed (null in results.json) shows as
    '–', not significant, instead of stopping the report."""
    from crmsurvey.report.render import build_html
    from crmsurvey.study import Results

    data = json.loads((demo_runs["en"] / "results.json").read_text(encoding="utf-8"))
    for d in data["comparisons"][0]["differences"][:2]:
        d.update(pvalue=None, pvalue_adj=None, ci_lower=None, ci_upper=None,
                 significant=False)
    html = build_html(Results.model_validate(data), lang="en")
    assert "Group comparisons" in html


def test_unweighted_study_fits_cbsem_by_fiml_and_says_so(tmp_path):
    """FIML is the study default where it applies (unweighted ML); the disclosure and the
    methodology text say so in both languages."""
    from crmsurvey.report.context import build_context
    from crmsurvey.study import load_study, run_study

    results = run_study(load_study(_study(tmp_path))).results
    cb = results.cbsem
    assert cb.settings["missing"] == "fiml" and cb.disclosure.missing_method == "fiml"
    assert cb.disclosure.dropped == 0 and cb.admissible
    assert "full-information maximum likelihood" in build_context(results, "en")["cb_text"]
    assert "完全信息极大似然" in build_context(results, "zh-CN")["cb_text"]


def test_no_negative_zero_in_printed_numbers():
    """A value that rounds to zero prints without a sign, in tables and in sentences (the
    summary's sentences format their numbers with the same ``num``)."""
    from crmsurvey._format import num
    from crmsurvey.report import findings

    assert [num(-0.0004), num(-0.04, 1), num(-0.0006)] == ["0.000", "0.0", "-0.001"]
    assert findings.num is num


def test_ipma_reference_lines_average_the_drivers_only(monkeypatch):
    """The quadrant lines and "below the others" are about the drivers: the outcome's
    own point (actionable False) is drawn but not averaged."""
    import matplotlib.axes

    from crmsurvey.report import charts

    drawn = {}
    for name in ("axvline", "axhline"):
        real = getattr(matplotlib.axes.Axes, name)

        def record(self, v, *a, _real=real, _name=name, **k):
            drawn[_name] = v
            return _real(self, v, *a, **k)

        monkeypatch.setattr(matplotlib.axes.Axes, name, record)
    rows = [{"construct": "A", "importance": 0.2, "performance": 60.0, "actionable": True},
            {"construct": "B", "importance": 0.4, "performance": 70.0, "actionable": True},
            {"construct": "Y", "importance": 0.9, "performance": 95.0, "actionable": False}]
    assert "<svg" in charts.ipma_chart(rows, {}, "importance", "performance")
    assert drawn == {"axvline": pytest.approx(0.3), "axhline": pytest.approx(65.0)}
