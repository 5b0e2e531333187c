"""Every example study shape in studies/ renders in both languages and prints only what
its data license: no comparisons, MICOM or multiplicity text without groups, nothing
"since the last wave" without waves, no table without rows, no "stands out" with one
driver, no loader note in English inside a Chinese report — and a study of twenty brands
reads as compactly as one of three (under 40 pages, every pair still in tables.xlsx).

Each study is run once per session (English), copied and re-rendered in Chinese; the
checks read the rendered HTML and the PDF's text (pypdf). The expectations come from the
results (how many groups, waves and drivers the study has), not from the report's text.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

ROOT = Path(__file__).resolve().parents[1]
STUDIES = {"single": "shape_single.yaml", "waves": "shape_waves.yaml",
           "brands": "shape_brands.yaml", "segments": "shape_segments.yaml",
           "many": "shape_many_brands.yaml"}
LANGS = ("en", "zh-CN")

pytestmark = pytest.mark.slow


class _Shapes(dict):
    """{study: {lang: (html path, pdf path, results dict, folder)}}, each study run on
    first use (tests/conftest.py: ``bundled_runs``, once per session for all workers)."""

    def __init__(self, runs, tmp_path_factory):
        super().__init__()
        self._runs, self._factory = runs, tmp_path_factory

    def __missing__(self, key):
        from ._studies import many_brands

        done = (many_brands(self._factory) if key == "many"  # 4,000 resamples, see there
                else self._runs[STUDIES[key].removesuffix(".yaml")])
        results = done.results_dict()
        self[key] = {lang: (done.html_path(lang), done.pdf_path(lang), results,
                            done.folder(lang)) for lang in LANGS}
        return self[key]


@pytest.fixture(scope="session")
def shapes(bundled_runs, tmp_path_factory):
    """Each example study run once (English) and re-rendered in Chinese from its
    results.json: {study: {lang: (html path, pdf path, results dict, folder)}}. The
    twenty brands run with fewer resamples (tests/_studies.py: many_brands)."""
    return _Shapes(bundled_runs, tmp_path_factory)


def _pdf_text(path: Path) -> tuple[str, int]:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)


class _Tables(HTMLParser):
    """Every <table>: its header cells and the number of body rows with a cell."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"rows": 0, "head": [], "section": None})
            self._in = self.tables[-1]
        elif tag == "tbody" and self._in is not None:
            self._in["section"] = "body"
        elif tag == "thead" and self._in is not None:
            self._in["section"] = "head"
        elif tag == "tr" and self._in is not None and self._in["section"] == "body":
            self._in["rows"] += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = None


def _tables(html: str) -> list[dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _shape(results: dict) -> dict:
    """What the results hold: groups compared, waves, the headline's groups, drivers."""
    settings = results["settings"]
    head = results["headline"]["group"]
    current = [r for r in results["indices"] if not r.get("pooled")
               and all(r["group"].get(k) == v for k, v in head.items())]
    groups = {json.dumps(r["group"], sort_keys=True) for r in current}
    drivers = next((d for d in results["drivers"] if d["group"] == head), None)
    return {"groups": len(groups), "compared": bool(results["comparisons"]),
            "waves": bool(settings.get("waves")),
            "client": bool(results["study"].get("client_group")),
            "actionable": sum(1 for r in (drivers or {}).get("constructs", [])
                              if r["actionable"]),
            "significant_drivers": len((drivers or {}).get("priorities", []))}


# Words a rule forbids, per language: what the report may not say without the data.
GROUP_WORDS = {"en": ["Bonferroni", "Group comparisons", "Scores by group",
                      "client's group is highlighted", "several groups at once",
                      "Adj. interval", "Priorities by group", "over the groups",
                      "every group is also estimated"],
               "zh-CN": ["Bonferroni", "组间比较", "各组得分",
                         "委托方所在组以底色标出", "多组同时比较", "校正置信区间",
                         "各组改进重点", "对各组校正", "各组也按年度"]}
# without groups and without waves nothing is tested for invariance or adjusted
ONE_SAMPLE_WORDS = ["MICOM", "Holm"]
WAVE_WORDS = {"en": ["since the", "Since 20", "since 20", "Trends over waves",
                     "current wave", "Each wave is a cross-section"],
              "zh-CN": ["历年趋势", "与上一年度", "较20", "当前年度", "每个年度都是横截面"]}
STANDOUT = {"en": ["stands out", "strongest lever", "the other drivers",
                   "the others' level"],
            "zh-CN": ["最突出", "低于其他驱动因素", "不低于其他因素"]}
CLIENT_HIGHLIGHT = {"en": "client's group is highlighted", "zh-CN": "委托方所在组以底色标出"}
LOADER_NOTES = ["duplicates:", "speeders:", "straight-lining:", "missing: more than",
                "columns not matched", "column(s) not in the questionnaire"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", list(STUDIES))
def test_no_table_without_rows(shapes, study, lang):
    html_path, *_ = shapes[study][lang]
    tables = _tables(html_path.read_text(encoding="utf-8"))
    assert tables
    empty = [t for t in tables if t["rows"] == 0]
    assert not empty, f"{study}/{lang}: {len(empty)} table(s) without a row"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", list(STUDIES))
def test_only_what_the_shape_licenses(shapes, study, lang):
    html_path, pdf_path, results, _ = shapes[study][lang]
    text, pages = _pdf_text(pdf_path)
    flat = re.sub(r"\s+", " ", text)
    shape = _shape(results)
    if shape["groups"] <= 1 and not shape["compared"]:
        for word in GROUP_WORDS[lang]:
            assert word not in flat, f"{study}/{lang}: {word!r} without groups"
        if not shape["waves"]:
            for word in ONE_SAMPLE_WORDS:
                assert word not in flat, f"{study}/{lang}: {word!r} in one sample"
    if not shape["waves"]:
        for word in WAVE_WORDS[lang]:
            assert word not in flat, f"{study}/{lang}: {word!r} without waves"
    else:
        assert ("Trends over waves" if lang == "en" else "历年趋势") in flat
    if shape["actionable"] <= 1:
        for word in STANDOUT[lang]:
            assert word not in flat, f"{study}/{lang}: {word!r} with one driver"
    if not shape["client"]:
        assert CLIENT_HIGHLIGHT[lang] not in flat
    sizes = any(results["sample"]["group_sizes"].values())  # per group, or per wave
    # headed by group where the study has group items, by wave where it has only waves
    heading = {("en", True): "Group sizes", ("zh-CN", True): "各组样本量",
               ("en", False): "Sample sizes by wave", ("zh-CN", False): "各年度样本量"}[
        lang, bool(results["settings"]["groups"])]
    assert (heading in flat) == sizes
    if lang == "zh-CN":  # no loader note left in English in the Chinese report
        for note in LOADER_NOTES:
            assert note not in flat, f"{study}: English loader note {note!r}"


def test_single_sample_reads_as_one_sample(shapes):
    """The hotel study of the issue: one sample, one driver the hotel can act on."""
    html_path, pdf_path, results, _ = shapes["single"]["en"]
    shape = _shape(results)
    assert shape == {**shape, "groups": 1, "compared": False, "waves": False,
                     "actionable": 1}
    flat = re.sub(r"\s+", " ", _pdf_text(pdf_path)[0])
    assert "only driver" in flat
    glossary = flat[flat.rfind("Glossary and limitations"):]
    assert "MICOM" not in glossary and "minimum size" not in glossary


def test_segments_are_compared_without_a_client(shapes):
    html_path, pdf_path, results, _ = shapes["segments"]["en"]
    shape = _shape(results)
    assert shape["groups"] == 5 and shape["compared"] and not shape["client"]
    flat = re.sub(r"\s+", " ", _pdf_text(pdf_path)[0])
    for region in ("North", "South", "East", "West"):
        assert region in flat
    assert "Bonferroni" in flat  # four regions: six pairs, adjusted


def test_brands_in_one_wave_compare_without_trend(shapes):
    _, pdf_path, results, _ = shapes["brands"]["en"]
    shape = _shape(results)
    assert shape["groups"] == 5 and shape["compared"] and not shape["waves"]
    flat = re.sub(r"\s+", " ", _pdf_text(pdf_path)[0])
    assert "Brand A – Brand B" in flat and "Brand C – Brand D" in flat  # all six pairs


@pytest.mark.parametrize("lang", LANGS)
def test_twenty_brands_read_compactly(shapes, lang):
    """Twenty brands: under 40 pages; the body and appendix show the client's pairs
    only, and every one of the 190 pairs is in tables.xlsx."""
    html_path, pdf_path, results, folder = shapes["many"][lang]
    text, pages = _pdf_text(pdf_path)
    assert pages < 40, pages
    client = results["study"]["client_group"]["brand"]
    head = results["headline"]["group"]
    brands = sorted({r["group"]["brand"] for r in results["indices"]
                     if "brand" in r["group"] and all(r["group"].get(k) == v
                                                       for k, v in head.items())})
    assert len(brands) == 20
    html = html_path.read_text(encoding="utf-8")
    # the report and workbook name the brands in their language (the study's group_labels)
    named = results["study"].get("group_labels", {}).get("brand", {})

    def label(b):
        text = named.get(b, b)
        return text.get(lang, b) if isinstance(text, dict) else text

    brands, client = [label(b) for b in brands], label(client)
    others = [b for b in brands if b != client]
    for a, b in combinations(others, 2):  # no pair without the client is printed
        assert f"{a} – {b}" not in html and f"{b} – {a}" not in html
    for b in others:  # the client against each competitor is
        assert b in html
    from openpyxl import load_workbook

    # the workbook of the report's language: a report in another language than the
    # study's writes tables.<lang>.xlsx beside report.<lang>.pdf
    book = folder / f"tables.{lang}.xlsx"
    wb = load_workbook(book if book.exists() else folder / "tables.xlsx", read_only=True)
    pairs = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            names = {str(v) for v in row if v is not None}
            named = [b for b in brands if any(b in v for v in names)]
            if len(named) == 2:
                pairs.add(tuple(sorted(named)))
    assert len(pairs) == 190, len(pairs)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", ["single", "brands", "many"])
def test_running_header_names_the_chapter_the_page_starts_in(shapes, study, lang):
    """A chapter that begins mid-page does not name that page; the next page, which
    starts inside it, does (the contents page gives the chapter titles)."""
    _, pdf_path, _, _ = shapes[study][lang]
    pages = [(p.extract_text() or "").splitlines() for p in pypdf.PdfReader(str(pdf_path)).pages]
    titles = [re.sub(r"[ .]*\d+$", "", line).strip() for line in pages[1][1:]
              if re.search(r"\.\s*\d+$", line)]
    assert len(titles) >= 8, titles
    current = None
    for number, lines in enumerate(pages[2:], start=3):
        header, body = lines[-2], lines[:-2]
        starts = next((x for x in titles if body and body[0].strip() == x), None)
        expected = starts or current
        assert header.endswith(expected), (number, header, expected)
        for line in body:
            if line.strip() in titles:
                current = line.strip()


@pytest.mark.parametrize("lang", LANGS)
def test_loader_notes_leave_the_method_text(shapes, lang):
    """Notes the loader wrote about a data file (codes with parameters) are not method
    text for the client: they go to the appendix, worded by the report's catalogue."""
    from html import unescape

    from crmsurvey.notes import note_text
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import Results

    *_, results, _ = shapes["single"][lang]
    data = json.loads(json.dumps(results))
    ignored = {"code": "columns_ignored", "params": {"n": 2, "columns": ["Q7", "Q8"]}}
    platform = {"code": "platform_unmatched", "params": {"platform": "问卷星",
                                                         "columns": ["Q9"]}}
    data["sample"]["sources"][0]["notes"] += [ignored, platform]
    html = unescape(build_html(Results.model_validate(data), lang=lang))
    method = html[html.index('id="methodology"'):html.index('id="glossary"')]
    appendix = html[html.index('id="appendix"'):]
    assert "Q7" not in method and "Q9" not in method
    for note in (ignored, platform):
        assert note_text(note, lang) in appendix
    for rule in results["settings"]["screening_notes"]:  # the screening rules stay,
        assert note_text(rule, lang) in method            # in the report's language


# --- many groups: the client's family, and every pair by z tests (no tail draws) -------

def _brands(k: int) -> list[dict]:
    return [{"brand": f"Brand {i:02d}"} for i in range(1, k + 1)]


def test_many_levels_split_into_the_clients_family_and_every_pair():
    from crmsurvey.study.contrasts import MANY_GROUPS, families

    few = _brands(MANY_GROUPS)
    body, every = families(few, "brand", {"brand": "Brand 01"})
    assert len(body) == MANY_GROUPS * (MANY_GROUPS - 1) // 2 and every == []
    many = _brands(20)
    body, every = families(many, "brand", {"brand": "Brand 07"})
    assert len(body) == 19 and len(every) == 190
    assert all(a == {"brand": "Brand 07"} and b != a for a, b in body)  # client first
    assert {b["brand"] for _, b in body} == {g["brand"] for g in many} - {"Brand 07"}
    body, every = families(many, "brand", None)  # no client: every pair by z tests
    assert body == [] and len(every) == 190


def test_twenty_brands_need_the_resamples_of_nineteen_pairs_and_twenty_changes():
    """B·α/(2m) ≥ 20 at m = 19 pairs (Bonferroni) and m = 20 changes (Holm's first
    step), written out here; the study file asks for the larger."""
    import yaml

    from crmsurvey._stats import resamples_needed

    from crmsurvey.study.results import Multiplicity

    assert Multiplicity().tail_draws == 20  # the policy a user's run has
    assert resamples_needed(0.05, 19) == 15_200 == int(2 * 20 * 19 / 0.05)
    assert resamples_needed(0.05, 20) == 16_000
    study = yaml.safe_load((ROOT / "studies" / STUDIES["many"]).read_text(encoding="utf-8"))
    assert study["pls"]["bootstrap"] >= 16_000


def test_index_z_tests_use_the_draws_standard_error_and_holm():
    """Every pair's index difference over the standard deviation of its bootstrap draws,
    p from the normal distribution, Holm over the pairs — each written out here."""
    import numpy as np
    from scipy.stats import norm

    from crmsurvey.study.contrasts import families, index_differences
    from crmsurvey.study.results import IndexRow, Multiplicity, group_key

    rng = np.random.default_rng(5)
    groups = _brands(8)
    values = 70 + rng.normal(0, 3, len(groups))
    draws = {group_key(g): {"SAT": v + rng.normal(0, 1.5, 400)} for g, v in zip(groups, values)}
    rows = [IndexRow(group=g, construct="SAT", index=float(v), n=100)
            for g, v in zip(groups, values)]
    _, every = families(groups, "brand", {"brand": "Brand 01"})
    out = index_differences(every, rows, draws, ["SAT"], Multiplicity(), kind="groups",
                            m=len(every), method="holm", test="z")
    assert len(out) == 28 and all(d.test == "z" and d.method == "holm" for d in out)
    d = np.array([draws[group_key(a)]["SAT"] - draws[group_key(b)]["SAT"] for a, b in every])
    se = d.std(axis=1, ddof=1)
    diff = np.array([values[groups.index(a)] - values[groups.index(b)] for a, b in every])
    p = 2 * norm.sf(np.abs(diff / se))
    order = np.argsort(p)
    holm = np.empty_like(p)
    running = 0.0
    for j, k in enumerate(order):  # Holm's step-down, as in Holm (1979)
        running = max(running, min(1.0, (len(p) - j) * p[k]))
        holm[k] = running
    np.testing.assert_allclose([x.se for x in out], se, rtol=1e-12)
    np.testing.assert_allclose([x.pvalue for x in out], p, rtol=1e-9)
    np.testing.assert_allclose([x.pvalue_adj for x in out], holm, rtol=1e-9)
    assert [x.significant for x in out] == list(holm < 0.05)
    # the interval excludes 0 exactly when the Holm-adjusted p is below .05
    assert all((x.ci_lower > 0 or x.ci_upper < 0) == x.significant for x in out)


def test_twenty_brands_test_the_client_family_and_every_pair(shapes):
    """The many-brand study: the body's family is the client against each of 19
    competitors (Bonferroni, percentile intervals from enough resamples), every one of
    the 190 pairs is a Holm-adjusted z test, and the policy is stated in the results."""
    *_, results, _ = shapes["many"]["en"]
    client = results["study"]["client_group"]
    comp = next(c for c in results["comparisons"] if c["item"] == "brand")
    assert comp["reference"] == client["brand"]
    body = [d for d in comp["differences"] if d["quantity"] == "index"]
    every = [d for d in comp["all_pairs"] if d["quantity"] == "index"]
    constructs = {d["name"] for d in body}
    assert len(body) == 19 * len(constructs) and len(every) == 190 * len(constructs)
    assert all(d["group_a"]["brand"] == client["brand"] and d["m"] == 19
               and d["method"] == "bonferroni" and d["test"] == "percentile"
               and d["ci_lower"] is not None for d in body)
    assert all(d["m"] == 190 and d["method"] == "holm" and d["test"] == "z" for d in every)
    nps = [d for d in comp["all_pairs"] if d["quantity"] == "nps"]
    assert len(nps) == 190
    # enough resamples for the run's policy: 20 draws beyond each limit by default
    # (test_twenty_brands_need_the_resamples_of_nineteen_pairs_and_twenty_changes), 5 in
    # the tests' run of this study (tests/_studies.py: many_brands)
    boot = results["settings"]["pls"]["bootstrap"]
    tail = results["settings"]["multiplicity"]["tail_draws"]
    assert boot * 0.05 / (2 * 19) >= tail and boot * 0.05 / (2 * 20) >= tail
    assert "client" in results["settings"]["multiplicity"]["reference"]
    assert {p["group_a"]["brand"] for p in comp["paths"]} | \
        {p["group_b"]["brand"] for p in comp["paths"]} >= {client["brand"]}
    assert all(client["brand"] in (p["group_a"]["brand"], p["group_b"]["brand"])
               and p["m"] == 19 for p in comp["paths"])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", list(STUDIES))
def test_summary_numbers_are_in_the_body_and_link_there(shapes, study, lang):
    """Every number of the executive summary appears in the body, and each linked one
    in the table its link points to (tests/_report_text.py: summary_problems)."""
    from ._report_text import summary_problems

    html_path, *_ = shapes[study][lang]
    assert summary_problems(html_path.read_text(encoding="utf-8")) == []


# --- layout -------------------------------------------------------------------------

def _page_fill(page) -> float:
    """The share of the page's height down to its lowest line of body text (running
    header and page number left out)."""
    height = float(page.mediabox.height)
    ys: list[float] = []
    page.extract_text(visitor_text=lambda text, cm, tm, *_: ys.append(cm[3] * tm[5] + cm[5])
                      if text.strip() else None)
    body = [y for y in ys if 60 < y < height - 60]
    return 1 - min(body) / height if body else 0.0


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", list(STUDIES))
def test_no_body_page_under_half_full_but_before_a_chapter(shapes, study, lang):
    """A body page whose text ends above the middle is followed by a page that begins a
    chapter (the contents page names the chapters)."""
    _, pdf_path, _, _ = shapes[study][lang]
    pages = pypdf.PdfReader(str(pdf_path)).pages
    titles = [re.sub(r"[ .]*\d+$", "", line).strip()
              for line in (pages[1].extract_text() or "").splitlines()[1:]
              if re.search(r"\.\s*\d+$", line)]
    for number in range(3, len(pages)):  # the body and appendix, not the last page
        if _page_fill(pages[number - 1]) >= 0.5:
            continue
        first = ((pages[number].extract_text() or "").splitlines() or [""])[0].strip()
        assert first in titles, (study, lang, number, first)


def test_every_group_keeps_its_look_in_every_chart():
    """The whole sample and each group keep one colour, marker and line style in every
    chart (series_styles), and no two of seven series share a marker or a line style
    (greyscale print)."""
    from crmsurvey.report import charts

    keys = ["{}"] + [f"g{i}" for i in range(6)]
    looks = charts.series_styles(keys)
    assert len({v["marker"] for v in looks.values()}) == 7
    assert len({str(v["ls"]) for v in looks.values()}) == 7
    assert looks["{}"]["color"] == charts.GREY
    rows = [{"group": k, "construct": c, "index": 60 + i, "ci_lower": 58 + i,
             "ci_upper": 62 + i, "wave": w} for i, k in enumerate(keys[:3])
            for c in ("SAT", "LOY") for w in ("2025", "2026")]
    mine = {k: looks[k] for k in ("g1", "{}")}  # a chart of two series, client second
    svg_index = charts.index_chart([r for r in rows if r["wave"] == "2026"], ["SAT", "LOY"],
                                   {}, ["{}", "g1"], {"{}": "All", "g1": "Client"}, mine)
    svg_trend = charts.trend_panels(rows, ["SAT", "LOY"], {}, ["2025", "2026"], ["{}", "g1"],
                                    {"{}": "All", "g1": "Client"}, "g1", mine)
    for svg in (svg_index, svg_trend):
        assert looks["g1"]["color"] in svg and charts.GREY in svg
        assert looks["g0"]["color"] not in svg  # g1 keeps its own colour, not the first


def test_ipma_quadrant_lines_only_with_two_drivers():
    from crmsurvey.report import charts

    one = [{"construct": "SQ", "importance": 0.3, "performance": 70, "actionable": True},
           {"construct": "SAT", "importance": 0.5, "performance": 72, "actionable": False}]
    two = one + [{"construct": "VAL", "importance": 0.2, "performance": 68,
                  "actionable": True}]
    assert "stroke-dasharray" not in charts.ipma_chart(one, {}, "x", "y")
    assert "stroke-dasharray" in charts.ipma_chart(two, {}, "x", "y")


def test_report_css_never_leaves_or_carries_one_table_row():
    """A table of the report's stylesheet, pushed down the page line by line: wherever the
    page breaks, neither page holds a single row of it."""
    import io

    weasyprint = pytest.importorskip("weasyprint")
    css = (ROOT / "reports" / "default" / "report.css").read_text(encoding="utf-8")
    rows = "".join(f"<tr><td>row{i:03d}</td><td>x</td></tr>" for i in range(20))
    seen = set()
    for lines in range(14, 33):
        html = (f"<html><head><style>{css}</style></head><body>" + "<p>filler</p>" * lines
                + f"<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>{rows}</tbody>"
                "</table></body></html>")
        reader = pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
        counts = [sum(line.startswith("row") for line in (p.extract_text() or "").splitlines())
                  for p in reader.pages]
        assert sum(counts) == 20 and 1 not in counts, (lines, counts)
        seen.add(tuple(c for c in counts if c))
    assert any(len(c) == 2 for c in seen)  # the table did break across pages


def test_english_text_is_set_in_the_latin_face():
    """Curly quotes, dashes and the middle dot of English text come from the Latin face
    report.css names first (fonts-noto-core), not from the CJK face after it."""
    import io

    weasyprint = pytest.importorskip("weasyprint")
    css = (ROOT / "reports" / "default" / "report.css").read_text(encoding="utf-8")
    html = (f'<html lang="en"><head><style>{css}</style></head><body>'
            "<p>“After use, your rating” – it’s 5–10 · n = 3</p></body></html>")
    reader = pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1]
             for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert fonts == {"Noto-Sans"}, fonts


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("study", list(STUDIES))
def test_no_heading_ends_a_page(shapes, study, lang):
    """Every heading of the HTML (h1–h3) is kept with what follows it: none is the last
    line of body text on a page."""
    import html as html_lib

    html_path, pdf_path, _, _ = shapes[study][lang]
    source = html_path.read_text(encoding="utf-8")
    heads = {re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", h))).strip()
             for h in re.findall(r"<h[123][^>]*>(.*?)</h[123]>", source, flags=re.S)}
    for number, page in enumerate(pypdf.PdfReader(str(pdf_path)).pages[2:], start=3):
        body = [line.strip() for line in (page.extract_text() or "").splitlines()][:-2]
        assert not body or body[-1] not in heads, (study, lang, number, body[-1])


# --- the remaining sentences the data must license (words from the catalogue) ------------

def _html(shapes, study, lang) -> str:
    """The rendered report's HTML with entities resolved (text as the reader sees it)."""
    import html as html_lib

    return html_lib.unescape(shapes[study][lang][0].read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", LANGS)
def test_sentences_follow_the_data(shapes, lang):
    """No ▲ ▼ legend without a mark; no 'Priorities by group' with one driver; the
    limitations name weighting and the customer-value section only where the study has
    them; a binary question is listed among the questions and left out of MICOM; the
    comparison method promises index intervals only where the study drew resamples."""
    import html as html_lib

    from crmsurvey.report.i18n import strings
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import Results

    t = strings(lang)
    legend = t["arrows_note"].split("{")[0]
    for study in STUDIES:
        html = _html(shapes, study, lang)
        if legend in html:
            assert 'class="mark' in html, (study, "a legend without a mark")
    seg = _html(shapes, "segments", lang)
    assert _shape(shapes["segments"][lang][2])["actionable"] == 1
    assert t["drivers_by_group"] not in seg
    single = _html(shapes, "single", lang)  # unweighted, no transactions
    for key in ("limit_sample", "limit_self_report"):
        assert t[key] not in single, key
    assert t["limit_sample_unweighted"] in single
    brands = _html(shapes, "brands", lang)
    appendix = brands[brands.index('id="appendix"'):]
    assert "comp1" in appendix and t["binary_item"] in appendix
    complaints = _shape_label(shapes["brands"][lang][2], "COMP", lang)
    heading = t["micom"].split("{")[0]
    micom = [brands[k:brands.index("</table>", k)] for k in
             (m.start() for m in re.finditer(re.escape(heading), brands))]
    assert micom and all(f"<td>{complaints}</td>" not in m for m in micom)
    assert t["comparison_method"] in brands
    # the same results without resamples: no index interval is promised
    data = json.loads(json.dumps(shapes["brands"][lang][2]))
    for row in data["indices"]:
        row["ci_lower"] = row["ci_upper"] = None
    html = html_lib.unescape(build_html(Results.model_validate(data), lang=lang))
    assert t["comparison_method_noboot"] in html
    assert t["comparison_method"] not in html


def _shape_label(results: dict, construct: str, lang: str) -> str:
    label = results["model"]["labels"][construct]
    return label.get(lang) or label.get("en")
