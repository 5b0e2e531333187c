"""Review fixes of the report's wording outside the summary (review B items 5, 6, 8–11,
13, 14; review C many_brands 3, 4, 6, 8, 9, 13, example_file 1, 2): each sentence printed
only where the results license it. The expectations come from the results (how many
resamples, groups, drivers; which comparisons ran), not from text the code printed
before."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from ._report_text import page_text

ROOT = Path(__file__).resolve().parents[1]


# --- unit checks (fast) -----------------------------------------------------------------

def test_too_few_resamples_for_unadjusted_percentile_intervals_warn():
    from crmsurvey.study.resamples import few_resamples

    # B·0.025 draws beyond each 95 % limit, written out: 200 → 5, 799 → 19.975, 800 → 20
    for b in (100, 200, 799):
        (d,) = few_resamples(b, 0.95, 20, {})
        assert d.code == "few_resamples" and d.severity == "warning"
        assert str(b) in d.message and "800" in d.message
    assert few_resamples(800, 0.95, 20, {}) == []
    assert few_resamples(400, 0.90, 20, {}) == []  # 400 · 0.05 = 20 beyond a 90 % limit
    assert len(few_resamples(399, 0.90, 20, {})) == 1


def test_the_bundled_single_sample_study_has_a_licensed_number_of_resamples():
    for name in ("shape_single.yaml", "shape_waves.yaml"):
        pls = yaml.safe_load((ROOT / "studies" / name).read_text(encoding="utf-8"))["pls"]
        assert pls["bootstrap"] * (1 - 0.95) / 2 >= 20 - 1e-9, name


def test_waves_study_comment_says_what_its_one_family_of_changes_gets():
    text = (ROOT / "studies" / "shape_waves.yaml").read_text(encoding="utf-8")
    assert "Holm" not in text  # one change per measure: tested on its own, nothing adjusted


def test_lists_are_joined_with_and_before_the_last_item():
    from crmsurvey.report.i18n import and_list, strings

    en, zh = strings("en"), strings("zh-CN")
    assert and_list(["Image", "Value", "Quality"], en) == "Image, Value and Quality"
    assert and_list(["Image", "Value"], en) == "Image and Value"
    assert and_list(["Image"], en) == "Image" and and_list([], en) == ""
    assert and_list(["形象", "价值", "质量"], zh) == "形象、价值和质量"


def test_bootstrap_failure_note_names_only_the_causes_that_occurred():
    from crmsurvey.pls.bootstrap import Draws

    failed = np.zeros(16000, bool)
    failed[3] = True
    (d,) = Draws({}, failed, 1, 0, 1).diagnostics()
    assert "1 of 16000" in d.message and "1 did not converge" in d.message
    assert "rest" not in d.message and "non-finite" not in d.message
    failed[5] = True
    (d,) = Draws({}, failed, 0, 0, 1).diagnostics()
    assert "2 gave non-finite" in d.message and "converge" not in d.message


# --- rendered reports (slow) ------------------------------------------------------------

class _Reports(dict):
    """{study: {"results": dict, "en": text, "zh-CN": text}}, each study's run read on
    first use (tests/conftest.py: ``bundled_runs``, run once per session)."""

    def __init__(self, runs):
        super().__init__()
        self._runs = runs

    def __missing__(self, key):
        done = self._runs[key]
        self[key] = {"results": done.results_dict(),
                     **{lang: page_text(done.html_path(lang)) for lang in done.langs}}
        return self[key]


@pytest.fixture(scope="module")
def reports(bundled_runs):
    """shape_single, shape_waves and example_file run once (English), re-rendered in
    Chinese: {study: {"results": dict, "en": text, "zh-CN": text}}."""
    return _Reports(bundled_runs)


@pytest.mark.slow
def test_a_mediator_is_not_labelled_the_outcome(reports):
    for key in ("shape_single", "shape_waves"):
        r = reports[key]["results"]
        target = r["model"]["ipma_target"]
        labels = r["model"]["labels"]
        name = lambda c, lang: labels[c][lang] if isinstance(labels[c], dict) else labels[c]  # noqa: E731
        mediators = {d["construct"] for m in r["drivers"] for d in m["constructs"]
                     if not d["actionable"] and d["construct"] != target}
        assert mediators, key  # Satisfaction sits between the drivers and Loyalty
        for lang, word in (("en", "(mediator for {t})"), ("zh-CN", "（{t}的中介变量）")):
            text = reports[key][lang]
            assert "(outcome)" not in text and "（结果变量）" not in text
            for c in mediators:
                assert name(c, lang) + " " + word.format(t=name(target, lang)) in text \
                    or name(c, lang) + word.format(t=name(target, lang)) in text


@pytest.mark.slow
def test_no_caption_describes_lines_that_are_not_drawn(reports):
    r = reports["shape_single"]["results"]
    drivers = [d for d in r["drivers"][0]["constructs"] if d["actionable"]]
    assert len(drivers) == 1  # one driver: the chart draws no average lines
    assert "Dashed lines" not in reports["shape_single"]["en"]
    assert "虚线：" not in reports["shape_single"]["zh-CN"]
    assert "Dashed lines" in reports["shape_waves"]["en"]  # several drivers: lines drawn


@pytest.mark.slow
def test_one_group_complaints_are_neither_adjusted_nor_by_group(reports):
    r = reports["shape_waves"]["results"]
    rows = [x for x in r["analytics"]["complaints"]["rows"] if x.get("reason") != "no_answers"]
    assert sum(1 for x in rows if x["group"]) <= 1
    en = reports["shape_waves"]["en"]
    start = en.index("Complaints ")
    section = en[start:en.index("Complaint rate with its", start)]
    assert "adjusted interval" not in section and "by group" not in section
    assert "校正置信区间" not in reports["shape_waves"]["zh-CN"].split("抱怨率")[1][:600]


@pytest.mark.slow
def test_one_p_value_floor_per_report_and_the_method_says_which_test(reports):
    for key in ("shape_single", "shape_waves"):
        boot = reports[key]["results"]["settings"]["pls"]["bootstrap"]
        floor = math.ceil(1000 / boot) / 1000  # the finest p B resamples support, rounded up
        en = reports[key]["en"]
        start = en.rindex("Methodology")
        for shown in re.findall(r"< (\.\d{3})", en[:start]):  # every table before the method
            assert float(shown) >= floor - 1e-12 or key == "shape_waves", (key, shown)
        method = en[start:]
        assert "t test" in method and f"1/{boot}" in method
    # paths (t test over the bootstrap SE) and indirect effects print the same floor
    en = reports["shape_single"]["en"]
    paths = en[en.index("PLS path modelling"):]
    assert "< .001" not in paths[:paths.index("R²")]


@pytest.mark.slow
def test_cbsem_and_model_wording(reports):
    r = reports["shape_single"]["results"]
    cb = r["cbsem"]
    en = reports["shape_single"]["en"]
    assert "admissible" not in en
    if cb["disclosure"]["dropped"] == 0:
        assert "0 with a missing answer" not in en
        assert "0名有缺失回答" not in reports["shape_single"]["zh-CN"]
    assert "estimated on All respondents" not in en
    waves = reports["shape_waves"]
    current = waves["results"]["settings"]["current_wave"]
    assert f"estimated on {current} with" not in waves["en"]
    assert f"the {current} wave" in waves["en"]


@pytest.mark.slow
def test_information_criteria_are_explained_and_no_competing_models_claimed(reports):
    for key in ("shape_single", "shape_waves"):
        en = reports[key]["en"]
        if " GM " in en:
            assert "Geweke" in en
        assert "when competing models are fitted" not in en


@pytest.mark.slow
def test_no_raw_letters_or_holm_claims_in_the_method(reports):
    for key in reports:
        en = reports[key]["en"]
        assert "B resamples" not in en and "below 1/B" not in en


@pytest.mark.slow
def test_example_file_describes_only_the_comparisons_it_ran(reports):
    from crmsurvey.report.i18n import strings

    r = reports["example_file"]["results"]
    assert all(not c["paths"] and not c["micom"] for c in r["comparisons"])
    assert not any(s["measure"] == "csat" for s in r["scores"])
    for lang in ("en", "zh-CN"):
        text = reports["example_file"][lang]
        assert "†" not in text  # no MICOM legend under the NPS pairs
        method = text[text.rindex("Methodology" if lang == "en" else "研究方法"):]
        # MICOM is named once: to say invariance was not assessed (round 3, A1)
        said = re.sub(r"\s+", " ", strings(lang)["micom_not_run"])
        assert re.sub(r"\s+", " ", method).count(said) == 1
        assert "MICOM" not in re.sub(r"\s+", " ", method).replace(said, "")
        assert "permutation" not in method.lower() and "置换" not in method
    en = reports["example_file"]["en"]
    assert "CSAT" not in en
    assert "满意率" not in reports["example_file"]["zh-CN"]


def test_cbsem_rows_are_worded_not_lavaan_operators():
    from crmsurvey.report.sections.cbsem import _cb_row
    from crmsurvey.report.i18n import strings

    class Names(dict):
        def get(self, k, default=None):
            return super().get(k, k)

    names = Names(SAT="Satisfaction", LOY="Loyalty")
    for lang in ("en", "zh-CN"):
        t = strings(lang)
        rows = [{"lhs": "SAT", "op": "=~", "rhs": "sat1"}, {"lhs": "LOY", "op": "~", "rhs": "SAT"},
                {"lhs": "sat1", "op": "~~", "rhs": "sat1"}, {"lhs": "SAT", "op": "~~", "rhs": "LOY"},
                {"lhs": "sat1", "op": "~1", "rhs": ""}]
        labels = [_cb_row(r, names, t) for r in rows]
        assert not any(op in x for x in labels for op in ("=~", "~~", "~1", " ~ "))
        assert "Satisfaction" in labels[0] and "sat1" in labels[0]
        assert labels[1].index("Satisfaction") < labels[1].index("Loyalty")  # cause → effect
        assert labels[2] != labels[3] and "Loyalty" in labels[3]


@pytest.mark.slow
def test_the_whole_sample_of_a_wave_is_not_labelled_by_the_bare_wave(reports):
    r = reports["shape_waves"]["results"]
    wave = r["settings"]["current_wave"]
    en = reports["shape_waves"]["en"]
    assert f"PLS {wave} " not in en and f"PLS All respondents · {wave}" in en
