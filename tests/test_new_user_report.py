"""Claims a new user's own study exposed (two regions, one wave), each checked at its source:

1. a finding calls a gap between groups significant only where the body counts it
   (MICOM warrants it);
5. too few resamples for a comparison's interval — one pair included — is exit 2 at the
   line of ``pls.bootstrap``, unless the study accepts fewer draws (``pls.tail_draws``);
   the methodology states the draws the limits rest on;
7. a wave item of one level says nothing about waves (no trend section, no "earlier
   waves", no changes in the methodology);
16. the IPMA caption names what its lines average;
18. the zh-CN appendix heads the item ids as item codes;
19b. an indirect effect's bootstrap p is never below 1/B (results, CSV).

The study is simulated in the test (``cs.simulate`` through the study's ``data:``).
"""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ._report_text import element, page_text, summary, text_of
from ._studies import study_run

#: two regions (brands A and B), a wave item with one level, no client, no MICOM run
STUDY = """
id: new_user
title: {en: New user, zh-CN: 新用户}
questionnaire: ccsi
data:
  - simulate: {n: 400, seed: 11, groups: {brand: [A, B], wave: ["2026"]}}
groups: [brand]
waves: wave
pls: {bootstrap: 800, seed: 3, fit_test: 0, predict_folds: 0}
report: {language: en}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return study_run(tmp_path_factory, "new_user_report", STUDY)


def _fixed_parts(template: str) -> list[str]:
    """The literal runs of a catalogue template between its ``{placeholders}``."""
    return [p for p in re.split(r"\{[^}]*\}", template) if len(p.strip()) > 3]


# --- 1. a gap MICOM does not warrant is no significant gap ------------------------------

def _unwarranted(r):
    """``r`` with every index difference between groups marked not warranted (MICOM
    "none"), as in the user's study."""
    comps = [c.model_copy(update={"differences": [
        d.model_copy(update={"warranted": False, "micom": "none"}) if d.quantity == "index"
        else d for d in c.differences]}) for c in r.comparisons]
    return r.model_copy(update={"comparisons": comps})


def test_no_finding_calls_an_unwarranted_gap_significant(run):
    from crmsurvey.report.i18n import sentences
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import Finding
    from crmsurvey.study.story import build_story, holds

    r = run.results()
    sat = r.story.construct
    top_low = [d for c in r.comparisons for d in c.differences
               if d.quantity == "index" and d.name == sat and d.ci_lower is not None]
    assert top_low, "premise: the two regions' index difference was tested"
    bad = _unwarranted(r)
    story = build_story(bad, {})
    codes = [f.code for f in story.findings]
    assert "spread_unwarranted" in codes
    assert not {"spread_gap", "spread_similar", "pairs_significant"} & set(codes)
    # every finding that requires "significant" still holds on the changed results
    for f in story.findings:
        assert all(holds(bad.model_copy(update={"story": story}), q, f) for q in f.requires)
    # a spread_gap or pairs_significant record over an unwarranted difference fails
    # its re-check, whatever its interval says
    d = top_low[0]
    gap = Finding(code="spread_gap", requires=["significant"], refs=["index-differences"],
                  params=dict(construct=sat, top=d.group_a, low=d.group_b, gap=5.0,
                              gap_lower=1.0, gap_upper=9.0, level=0.95, warranted=False))
    assert not holds(bad, "significant", gap)
    pairs = Finding(code="pairs_significant", requires=["significant"], refs=[],
                    params=dict(tested=1, entries=[dict(gap_lower=1.0, warranted=False)]))
    assert not holds(bad, "significant", pairs)
    # the rendered summary says the comparison is not tested, never "significantly higher"
    shown = bad.model_copy(update={"story": story})
    for lang in ("en", "zh-CN"):
        text = text_of(summary(build_html(shown, lang=lang)))
        said = sentences(lang)
        assert all(p.strip() in text for p in _fixed_parts(said["spread_unwarranted"]))
        assert not any(p.strip() in text for p in _fixed_parts(said["spread_gap"]))


# --- 5. enough resamples for a single pair, or an explicit opt-out -----------------------

SMALL = """id: small
title: small
questionnaire: ccsi
data:
  - simulate: {{n: 160, seed: 5, groups: {{brand: [A, B]}}}}
groups: [brand]
pls:
  seed: 2
  fit_test: 0
  predict_folds: 0
  bootstrap: 200{extra}
"""


@pytest.mark.slow
def test_too_few_resamples_for_one_pair_is_one_line_at_the_study_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.format(extra=""), encoding="utf-8")
    line = 1 + next(k for k, x in enumerate(SMALL.splitlines()) if "bootstrap: 200" in x)
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "run", str(path), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    (msg,) = proc.stderr.strip().splitlines()
    assert f"s.yaml:{line}:" in msg and "Traceback" not in proc.stderr
    # one pair at 5%: 200 · .05 / 2 = 5 draws beyond each limit; 20 need 800
    assert "5.0 draws" in msg and "800" in msg and "pls.tail_draws" in msg


@pytest.mark.slow
def test_a_study_that_accepts_fewer_draws_runs_and_says_so(tmp_path):
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.render import build_html
    from crmsurvey.study import load_study, run_study

    path = tmp_path / "s.yaml"
    path.write_text(SMALL.format(extra="\n  tail_draws: 5"), encoding="utf-8")
    r = run_study(load_study(path)).results
    assert r.settings.multiplicity.tail_draws == 5 and r.settings.pls["bootstrap"] == 200
    t = strings("en")
    text = page_text(build_html(r, lang="en"))
    levels = [d.ci_level for c in r.comparisons for d in c.differences
              if d.quantity == "index"]
    beyond = int(200 * (1 - min(levels)) / 2 + 1e-9)
    assert beyond == 5
    assert t["resamples_text2"].format(tail=beyond, boot=200).strip() in text
    assert t["resamples_chosen"].format(tail=5, default=20).strip() in text


def test_the_methodology_states_the_draws_the_limits_rest_on(run):
    from crmsurvey.report.i18n import strings

    r = run.results()
    levels = [d.ci_level for c in r.comparisons for d in c.differences
              if d.quantity == "index"]
    boot = r.settings.pls["bootstrap"]
    beyond = int(boot * (1 - min(levels)) / 2 + 1e-9)
    assert boot == 800 and beyond == 20  # one pair at 95%: 800 resamples leave 20
    for lang in ("en", "zh-CN"):
        t = strings(lang)
        text = page_text(run.html(lang))
        assert t["resamples_text2"].format(tail=beyond, boot=boot).strip() in text
        assert all(p.strip() not in text for p in _fixed_parts(t["resamples_chosen"]))


# --- 7. one wave: nothing about waves ------------------------------------------------------

def test_a_single_wave_says_nothing_about_waves(run):
    from crmsurvey.report.i18n import strings

    r = run.results()
    assert r.settings.waves == "wave" and r.trend is not None and len(r.trend.waves) == 1
    for lang in ("en", "zh-CN"):
        t, doc = strings(lang), run.html(lang)
        text = page_text(doc)
        assert 'id="trend"' not in doc and 'href="#trend"' not in doc
        for key in ("headline_scope", "waves_text", "waves_text_one", "multiplicity_waves",
                    "multiplicity_waves_one", "group_sizes_wave", "model_intro_wave",
                    "limit_cross_section", "changes_title", "current_intro"):
            for part in _fixed_parts(t[key]):
                assert part.strip() not in text, (lang, key, part)


# --- 16. the IPMA caption names what its lines average -----------------------------------

def test_ipma_caption_names_the_averaged_and_the_left_out(run):
    from crmsurvey.report.i18n import and_list, strings
    from crmsurvey.report.sections.common import Names

    r = run.results()
    dr = r.drivers_of(r.story.focus)
    averaged = [c for c in dr.constructs if c.actionable]
    left = [c for c in dr.constructs if not c.actionable]
    assert len(averaged) >= 2, "premise: two drivers or more, so the chart draws lines"
    # the lines are the means of the drivers' points (charts.ipma_chart averages these)
    for lang in ("en", "zh-CN"):
        t = strings(lang)
        names = Names(r, lang, t)
        doc = run.html(lang)
        caption = next(text_of(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", doc,
                                                       re.S)
                       if any(p.strip() in text_of(c) for p in _fixed_parts(
                           t["ipma_note_lines_not" if left else "ipma_note_lines"])))
        want = t["ipma_note_lines_not" if left else "ipma_note_lines"].format(
            target=names[dr.target],
            averaged=and_list([names[c.construct] for c in averaged], t),
            others=and_list([names[c.construct] for c in left], t))
        if left:  # drawn hollow, for context (test_charts6)
            want = t["sentence_sep"].join([want, t["ipma_note_context"].format(
                others=and_list([names[c.construct] for c in left], t), n=len(left))])
        assert caption == text_of(want)


# --- 18. the questionnaire appendix: item codes headed as codes ----------------------------

def test_zh_appendix_heads_item_ids_as_item_codes(run):
    from crmsurvey.report.i18n import strings

    r = run.results()
    doc = run.html("zh-CN")
    start = doc.index(f"<h2>{strings('zh-CN')['questionnaire_text']}</h2>")
    table = doc[start:doc.index("</table>", start)]
    head = text_of(re.search(r"<th[^>]*>(.*?)</th>", table).group(1))  # the first column
    first = [text_of(c) for c in re.findall(r"<tr><td>(.*?)</td>", table)]
    assert first and set(first) <= set(r.model.items)  # the column holds item ids
    assert head != "题号" and "代码" in head  # a question number would be 1, 2, …


# --- 19b. an indirect effect's p is never below 1/B ---------------------------------------

def test_indirect_effect_p_is_floored_at_one_over_b(run):
    r = run.results()
    head = r.model_of(r.headline.group)
    b = head.settings["bootstrap"]
    ps = np.array([x["pvalue"] for x in head.indirect if x.get("pvalue") is not None])
    assert len(ps) and ps.min() >= 1 / b - 1e-15
    assert np.isclose(ps, 1 / b).any()  # a strong chain: no draw crosses 0
    csv = pd.read_csv(run.folder() / "indirect.csv")
    assert csv["pvalue"].dropna().min() >= 1 / b - 1e-15


def test_indirect_table_p_floor_counts_usable_resamples():
    """The floor is 1/B over the resamples that did not fail (written out here)."""
    from crmsurvey.model import parse_model
    from crmsurvey.pls.extract import path_pairs
    from crmsurvey.pls.layout import layout_of
    from crmsurvey.pls.mediation import indirect_table

    lay = layout_of(parse_model("A =~ a1\nM =~ m1\nY =~ y1\nM ~ A\nY ~ A + M"))
    pairs = path_pairs(lay)
    rng = np.random.default_rng(1)
    draws = 0.5 + 0.05 * rng.standard_normal((100, len(pairs)))
    draws[:10] = np.nan  # ten failed resamples: 90 usable
    table = indirect_table(lay, np.full(len(pairs), 0.5), draws,
                           intervals=lambda e, d, j: (np.nanmin(d, 0), np.nanmax(d, 0)))
    assert len(table) and np.allclose(table["pvalue"], 1 / 90)
    # a chain whose draws straddle 0: 2·min(P(d ≤ 0), P(d > 0)), above the floor
    draws = 0.05 * rng.standard_normal((100, len(pairs)))
    table = indirect_table(lay, np.zeros(len(pairs)), draws,
                           intervals=lambda e, d, j: (d.min(0), d.max(0)))
    prod = draws[:, pairs.index((0, 1))] * draws[:, pairs.index((1, 2))]
    low = np.mean(prod <= 0)
    assert table["pvalue"].iloc[0] == pytest.approx(max(2 * min(low, 1 - low), 1 / 100))
