"""The client's story as data (crmsurvey/study/story.py) and its rendering
(crmsurvey/report/findings.py): the bootstrap draws behind the ACSI-style impacts are the
model's own resamples (checked by refitting one resample), the market shares are
validated, the scorecard's market row is the share-weighted sum written out here, every
finding's preconditions hold, and every number in the executive summary appears in the
body — inside the very table its link points to."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.study import load_results
from crmsurvey.simulation import SimulationSettings
from crmsurvey.study.impacts import importance_draws, unstandardised_effects
from crmsurvey.study.story import REQUIREMENTS, STEP, holds, market_shares

from ._report_text import summary_problems, text_of as _text
from ._studies import study_run

ROOT = Path(__file__).resolve().parents[1]

# (the summary's numbers against the body: tests/_report_text.py, summary_problems)


# --- the bootstrap draws of the importances -------------------------------------------

@pytest.fixture(scope="module")
def fitted():
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 300, seed=5, settings=SimulationSettings(messy=False))
    r = cs.load_responses(q, df, exclude=[])
    return q, r, cs.pls(q, r, bootstrap=40, seed=3, weights=False)


def test_importance_draws_are_the_models_own_resamples(fitted):
    """Draw b equals the IPMA of the model refitted on resample b's rows (the row
    frequencies of the fit's own bootstrap)."""
    from crmsurvey.pls.source import fit_scheme, model_resamples

    q, r, res = fitted
    draws = importance_draws(res)
    lay = res._fitted.lay
    assert draws.shape == (40, lay.k, lay.k) and np.isfinite(draws).all()
    freq = next(model_resamples(fit_scheme(res), 40))
    t = lay.constructs.index("LOY")
    for b in (0, 17, 39):
        rows = np.repeat(np.arange(freq.shape[1]), freq[b].astype(int))
        refit = cs.pls(q, r.data.iloc[rows].reset_index(drop=True), weights=False)
        ipma = refit.ipma("LOY").set_index("construct").importance
        for c, v in ipma.items():
            assert draws[b, lay.constructs.index(c), t] == pytest.approx(v, abs=1e-8)


def test_effects_on_the_full_sample_are_the_ipma(fitted):
    """The batched formula on the full sample's moments gives the fit's IPMA for every
    target."""
    q, r, res = fitted
    f, lay = res._fitted, res._fitted.lay
    x = f.source.x
    cov = np.cov(x, rowvar=False, bias=True)[None]
    w = res.weights.set_index("rhs").loc[list(lay.items), "est"].to_numpy()[None]
    effects = unstandardised_effects(w, np.sqrt(np.diag(cov[0]))[None], cov, f.opts.bounds,
                                     lay)[0]
    for target in ("SAT", "LOY"):
        ipma = res.ipma(target).set_index("construct").importance
        for c, v in ipma.items():
            assert effects[lay.constructs.index(c), lay.constructs.index(target)] == \
                pytest.approx(v, rel=1e-9, abs=1e-12)


# --- market shares ------------------------------------------------------------------------

LEVELS = {"brand": ["A", "B", "C"]}


def test_market_shares_are_normalised():
    item, shares = market_shares({"brand": {"A": 30, "B": 50, "C": 20}}, LEVELS)
    assert item == "brand" and shares == pytest.approx({"A": .3, "B": .5, "C": .2})
    assert market_shares(None, LEVELS) is None


@pytest.mark.parametrize("given, says", [
    ({"brand": {"A": 1, "B": 1, "D": 1}}, "'D' is not a level"),
    ({"brand": {"A": 1, "B": 1}}, "no share for 'C'"),
    ({"brand": {"A": 1, "B": -1, "C": 1}}, "positive"),
    ({"brand": {"A": 1, "B": float("nan"), "C": 1}}, "positive"),
    ({"brand": {"A": 1, "B": 0, "C": 1}}, "positive"),
    ({"region": {"N": 1}}, "not a group item"),
    ({"brand": {"A": 1, "B": 1, "C": 1}, "region": {"N": 1}}, "one group item"),
])
def test_market_shares_refused(given, says):
    with pytest.raises(InputError, match=says):
        market_shares(given, LEVELS)


def test_market_weights_item_is_checked_at_load(tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text("id: s\ntitle: S\nquestionnaire: ccsi\ndata:\n  - simulate: {n: 50}\n"
                     "groups: [brand]\nreport:\n  market_weights:\n    region: {North: 1}\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match="market_weights item 'region'") as err:
        cs.load_study(study)
    assert err.value.line == 9


# --- a small study: the scorecard, the findings, the recommendations -----------------------

STUDY = """\
id: story_test
title: Story test
questionnaire: ccsi
data:
  - simulate:
      n: 240
      seed: 8
      groups: {brand: [Brand A, Brand B], wave: ["2025", "2026"]}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
waves: wave
pls: {bootstrap: 1600, seed: 2, predict_folds: 0, fit_test: 0}
ipma_target: LOY
analytics:
  csat: {sat1: 9}
report:
  client_group: {brand: Brand A}
  market_weights: {brand: {Brand A: 25, Brand B: 75}}
"""


@pytest.fixture(scope="module")
def story_run(tmp_path_factory):
    """The study run once per session (tests/_studies.py): (results, {lang: html})."""
    done = study_run(tmp_path_factory, "story", STUDY)
    return done.results(), done.pages()


@pytest.mark.slow
def test_weighted_market_row_is_the_share_weighted_index(story_run):
    results, _ = story_run
    card = results.story.scorecard
    index = {(r.group.get("brand"), r.group.get("wave")): r.index for r in results.indices
             if r.construct == "SAT" and not r.pooled}
    now = .25 * index["Brand A", "2026"] + .75 * index["Brand B", "2026"]
    before = .25 * index["Brand A", "2025"] + .75 * index["Brand B", "2025"]
    assert card.weights == pytest.approx({"Brand A": .25, "Brand B": .75})
    assert card.market.index == pytest.approx(now, abs=1e-12)
    assert card.market.previous == pytest.approx(before, abs=1e-12)
    assert card.market.change == pytest.approx(now - before, abs=1e-12)
    assert card.market.ci_lower < now < card.market.ci_upper
    lo, hi = card.market.change_lower, card.market.change_upper
    assert card.market.significant == (lo > 0 or hi < 0)
    # groups ranked by this wave's index, each with its own change since the last wave
    assert [r.rank for r in card.rows] == [1, 2]
    assert card.rows[0].index >= card.rows[1].index
    for r in card.rows:
        key = (r.group["brand"], "2026")
        assert r.index == index[key]
        assert r.change == pytest.approx(index[key] - index[key[0], "2025"], abs=1e-12)


@pytest.mark.slow
def test_findings_hold_and_say_gaps_as_magnitudes(story_run):
    results, _ = story_run
    story = results.story
    assert story.focus == {"brand": "Brand A", "wave": "2026"}
    assert story.findings
    for f in story.findings:
        assert set(f.requires) <= set(REQUIREMENTS)
        assert all(holds(results, req, f) for req in f.requires), f.code
        for side in ("behind", "ahead"):
            for e in f.params.get(side, []):  # a gap is a positive number of points
                assert e["gap"] == pytest.approx(abs(e["value"] - e["other_value"]))
                assert 0 < e["gap_lower"] <= e["gap"] <= e["gap_upper"]
    codes = {f.code for f in story.findings}
    assert not codes & {"driver_standout", "driver_single"} or \
        results.drivers_of(story.focus).standout is not None


@pytest.mark.slow
def test_recommendations_are_weak_levers_with_impacts(story_run):
    results, _ = story_run
    story = results.story
    dr = results.drivers_of(story.focus)
    assert 0 < len(story.recommendations) <= 5
    importance = {r.construct: r.importance for r in dr.constructs}
    for rec in story.recommendations:
        assert rec.construct in dr.priorities  # a significant lever the client can pull
        assert rec.competitor_performance > rec.performance  # the competitor does better
        loy = next(i for i in rec.impacts if i.target == "LOY")
        assert loy.value == pytest.approx(STEP * importance[rec.construct], rel=1e-9)
        for i in rec.impacts:
            assert i.ci_lower < i.value < i.ci_upper


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_summary_numbers_are_in_the_body(story_run, lang):
    _, pages = story_run
    doc = pages[lang]
    assert summary_problems(doc) == []
    assert not re.search(r"by -\d|by −\d|落后-\d", _text(doc))  # no double negatives
    assert 'id="scorecard"' in doc and 'id="actions"' in doc


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_demo_summary_numbers_are_in_the_body(demo_runs, lang):
    folder = demo_runs[lang]
    doc = (folder / ("report.html" if lang == "en" else "report.zh-CN.html")).read_text(
        encoding="utf-8")
    assert summary_problems(doc) == []
    results = load_results(folder / "results.json")
    assert results.story.recommendations and results.story.scorecard.rows
