"""Review B, item 7 (the segment page) and 15 (running header above the Segments chapter):
segments formed on the outcome show no drivers, drivers are the actionable ones, one basis
(modal assignment) for size, NPS and profile, weak classification and criteria
disagreements said, "–" for one segment's entropy, constant ``describe`` items noted,
segments named by tested index differences, and the methodology and glossary describing
the method only when the section exists."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmsurvey.analytics.latent_class import latent_classes
from crmsurvey.study.segments import index_contrasts

from ._report_text import text_of
from .test_fimix import _study, default_run

pytestmark = pytest.mark.slow

#: the ccsi model: Loyalty's own mediators (explained constructs with a path into it)
ACTIONABLE = {"IMAG", "EXPE", "QUAL", "VAL"}
OUTCOMES = {"LOY", "SAT", "COMP"}


@pytest.fixture(scope="module")
def on_outcome(tmp_path_factory):
    """Latent classes on Satisfaction, Loyalty and the NPS group (the outcome)."""
    return default_run(tmp_path_factory)  # the same study as test_fimix's lc_run


@pytest.fixture(scope="module")
def on_drivers(tmp_path_factory):
    """The default indicators (the drivers' indices); brand constant (one level)."""
    return _study(tmp_path_factory.mktemp("drivers"), """  method: latent_class
  describe: [gender, sat1]
  numbers: [1, 2, 3]
  starts: 4""")


def _page(results, lang="en"):
    from crmsurvey.report.render import build_html

    html = build_html(results, lang=lang)
    page = html[html.index('id="segments"'):]
    return html, page[:page.index("</section>")]


def _text(fragment: str) -> str:
    return text_of(fragment, strip=False)


# (a) selection on the outcome ------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_segments_on_the_outcome_show_no_drivers(on_outcome, lang):
    from crmsurvey.report.i18n import strings

    s = on_outcome.results.segments
    assert set(s.formed_on) == {"SAT", "LOY", "nps_group"}
    assert all(r.drivers == [] for r in s.segments)
    t = strings(lang)
    _, page = _page(on_outcome.results, lang)
    assert t["seg_drivers_outcome"].split("{")[0] in page
    loy = on_outcome.results.model.labels["LOY"]
    assert t["seg_drivers"].format(target=loy.get(lang, loy["en"])) not in page


def test_default_basis_is_the_drivers_indices(on_drivers):
    s = on_drivers.results.segments
    assert s.formed_on == []
    assert {r["variable"] for r in s.profile} == ACTIONABLE


# (b) only actionable drivers ---------------------------------------------------------------

def test_segment_drivers_are_the_actionable_ones(on_drivers):
    s = on_drivers.results.segments
    fitted = [r for r in s.segments if r.drivers]
    assert fitted
    for r in fitted:
        assert {d["construct"] for d in r.drivers} <= ACTIONABLE
        assert not {d["construct"] for d in r.drivers} & OUTCOMES


# (c) one basis for size, NPS and profile ---------------------------------------------------

def test_profile_nps_and_share_from_the_same_members(on_outcome):
    """The NPS group's profile shares give the segment's NPS (100 · (promoters −
    detractors)), and a construct's profile mean is its members' mean score."""
    run = on_outcome
    s = run.results.segments
    member = run.tables["segments_membership"].set_index("row")
    prof = pd.DataFrame(s.profile)
    n = len(member)
    for r in s.segments:
        g = prof[(prof.variable == "nps_group") & (prof.segment == r.segment)]
        share = dict(zip(g.level, g.value))
        assert r.nps == pytest.approx(100 * (share.get("promoter", 0)
                                             - share.get("detractor", 0)), abs=1e-9)
        assert r.n == int((member.segment == r.segment).sum())
        assert r.share == pytest.approx(r.n / n)


# (d) weak classification, criteria that disagree -------------------------------------------

def test_weak_classification_and_disagreement_diagnostics():
    rng = np.random.default_rng(3)
    cl = rng.random(300) < 0.5
    df = pd.DataFrame({"x": rng.normal(np.where(cl, 0.0, 1.3), 1.0),
                       "y": rng.normal(np.where(cl, 0.0, 1.0), 1.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = latent_classes(df, continuous=["x", "y"], classes=[1, 2, 3], starts=5,
                            seed=2, criterion="aic3")
    tab = lc.table.set_index("classes")
    codes = [d.code for d in lc.diagnostics]
    weak = lc.chosen > 1 and tab.loc[lc.chosen, "entropy"] < 0.8
    assert ("segments_weak_classification" in codes) == weak
    others = {c: int(tab[c].idxmin()) for c in ("bic", "caic")}
    said = {(d.params["other"].lower(), d.params["other_k"]) for d in lc.diagnostics
            if d.code == "segments_criteria_disagree"}
    assert said == {(c, k) for c, k in others.items() if k != lc.chosen}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_page_says_weak_classification_and_disagreement(on_outcome, lang):
    from crmsurvey.report.i18n import strings
    from crmsurvey.study.results import Diagnostic

    t = strings(lang)
    s = on_outcome.results.segments
    extra = [Diagnostic(code="segments_weak_classification", severity="warning",
                        message="weak", concerns=["0.61"]),
             Diagnostic(code="segments_criteria_disagree", severity="info",
                        message="disagree", concerns=["bic", "2", "aic3", "3"],
                        params={"criterion": "BIC", "k": 2, "other": "AIC3", "other_k": 3})]
    seg = s.model_copy(update={"diagnostics": [*s.diagnostics, *extra], "entropy": 0.61})
    _, page = _page(on_outcome.results.model_copy(update={"segments": seg}), lang)
    text = _text(page)
    assert t["seg_weak"].format(entropy="0.61") in text
    assert t["seg_disagree_one"].format(criterion=t["seg_crit_aic3"], k="3") in text


# (e) one segment's entropy -----------------------------------------------------------------

def test_one_segment_entropy_is_a_dash(on_outcome):
    _, page = _page(on_outcome.results)
    fit = page[page.rindex("<table"):]
    first = re.findall(r"<td[^>]*>(.*?)</td>", fit.split("<tbody>")[1].split("</tr>")[0])
    cols = re.findall(r"<th[^>]*>(.*?)</th>", fit.split("</thead>")[0])
    from crmsurvey.report.i18n import strings

    assert _text(first[0]).strip() == "1"
    assert first[cols.index(strings("en")["seg_crit_entropy"])] == "–"


# (f) a constant describe item ---------------------------------------------------------------

def test_constant_describe_item_is_an_info_diagnostic(tmp_path):
    from crmsurvey.study import load_study, run_study

    from .test_fimix import lc_run_path

    path = lc_run_path(tmp_path, """  method: latent_class
  describe: [brand, gender]
  numbers: [1, 2]
  starts: 2""")
    path.write_text(path.read_text(encoding="utf-8").replace("brand: [A, B]", "brand: [A]"),
                    encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_study(load_study(path))
    s = run.results.segments
    assert {d["variable"] for d in s.distinguish} == {"gender"}
    d = [x for x in s.diagnostics if x.code == "segments_describe_constant"]
    assert [x.concerns for x in d] == [["brand"]] and d[0].severity == "info"


# (g) index differences tested, segments named --------------------------------------------

def _holm(p):
    """Holm (1979) written out: the i-th smallest of m p-values times (m − i + 1), made
    monotone, at most 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, run = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (len(p) - rank) * p[i]))
        out[i] = run
    return out


@pytest.mark.parametrize("k", [2, 3])
def test_index_contrasts_are_welch_tests_holm_adjusted(k):
    rng = np.random.default_rng(k)
    lab = rng.integers(1, k + 1, 200)
    sc = pd.DataFrame({"A": rng.normal(60 + 4 * lab, 10), "B": rng.normal(70, 8, 200)})
    sc.iloc[5, 1] = np.nan
    got = index_contrasts(sc, lab, np.ones(200), k)
    ps = []
    for seg in range(1, k + 1):
        for c in sc:
            x = sc[c].to_numpy()
            a, b = x[lab == seg], x[lab != seg]
            ref = stats.ttest_ind(a[np.isfinite(a)], b[np.isfinite(b)], equal_var=False)
            row = got[(got.segment == seg) & (got.construct == c)].iloc[0]
            assert row.t == pytest.approx(ref.statistic, rel=1e-10)
            assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
            assert row["diff"] == pytest.approx(np.nanmean(a) - np.nanmean(b))
            ps.append(ref.pvalue)
    fam = ps[:2] if k == 2 else ps
    holm = _holm(fam)
    want = holm + holm if k == 2 else holm
    np.testing.assert_allclose(got.p_holm.to_numpy(), want, rtol=1e-10)


def test_weights_as_repeated_rows_in_the_contrasts():
    rng = np.random.default_rng(9)
    lab = np.repeat([1, 2], 50)
    sc = pd.DataFrame({"A": rng.normal(60 + 5 * lab, 10)})
    w = np.where(np.arange(100) % 5 == 0, 2.0, 1.0)
    got = index_contrasts(sc, lab, w, 2)
    twice = np.r_[np.arange(100), np.arange(100)[w == 2]]
    ref = index_contrasts(sc.iloc[twice].reset_index(drop=True), lab[twice],
                          np.ones(len(twice)), 2)
    assert got["diff"].to_numpy() == pytest.approx(ref["diff"].to_numpy())
    assert got["mean"].to_numpy() == pytest.approx(ref["mean"].to_numpy())


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_segments_named_by_their_significant_differences(on_drivers, lang):
    from crmsurvey.report.i18n import strings

    t = strings(lang)
    r = on_drivers.results
    s = r.segments
    if s.chosen == 1:
        pytest.skip("one segment chosen: nothing to name")
    text = _text(_page(r, lang)[1])
    labels = {c: v[lang] if lang in v else v.get("en") for c, v in r.model.labels.items()}
    for row in s.segments:
        sig = sorted((c for c in row.contrasts if c["p_holm"] < 0.05
                      and c["construct"] in row.indices), key=lambda c: -abs(c["t"]))[:2]
        for c in sig:
            key = "seg_name_higher" if c["diff"] > 0 else "seg_name_lower"
            assert t[key].format(construct=labels[c["construct"]]) in text
        if not sig and not any(v > 0.5 for v in row.nps_shares.values()):
            assert t["seg_reading_none"].format(label=t["seg_label"].format(
                k=row.segment), share="").split("（")[0].split(" (")[0] in text
    assert t["seg_contrasts"] in text


# (h) methodology and glossary ----------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_method_and_glossary_only_with_the_section(on_outcome, lang):
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.render import build_html

    t = strings(lang)
    html = _text(build_html(on_outcome.results, lang=lang))
    assert t["seg_method_latent_class"] in html and t["def_latent_class"] in html
    assert t["def_fimix"] not in html
    bare = _text(build_html(on_outcome.results.model_copy(update={"segments": None}),
                            lang=lang))
    assert t["seg_method_latent_class"] not in bare and t["def_latent_class"] not in bare


# 15: the running header names the chapter the page starts in (the Segments page, or the next) ---

def test_running_header_names_the_segments_chapter(on_outcome, tmp_path):
    import shutil
    import subprocess

    from crmsurvey.report.i18n import strings
    from crmsurvey.report.render import render_report

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    _, pdf = render_report(on_outcome.results, tmp_path, lang="en")
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    title = strings("en")["segments"]
    pages = out.split("\f")
    at = next(k for k, p in enumerate(pages) if re.search(rf"^\s*{title}\s*$", p, re.M)
              and "A latent-class analysis" in p)
    body = [line.strip() for line in pages[at].splitlines() if line.strip()]
    # the chapter the page starts in: the Segments page if the chapter opens it, else the next
    page = pages[at] if body[1] == title else pages[at + 1]
    header = next(line for line in page.splitlines() if line.strip())
    assert header.rstrip().endswith(title)
