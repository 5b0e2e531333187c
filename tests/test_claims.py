"""Claims and statistics a referee accepts (issue 27, helper "claims"): each sentence the
report prints is licensed by a test or a result that the report shows.

- NPS / CSAT "ahead" only when the lead over the highest competitor is significant;
  otherwise the "cannot tell from zero" wording (1);
- "no measure changed" compares like units and says "among the indices" (2);
- a recommended question is below the best competitor in the printed figures (4).
"""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest

from crmsurvey.report.i18n import sentences, strings
from crmsurvey.study.results import Difference
from crmsurvey.study.story import _at_most, _changes, _Ctx, _scores

from ._story_ctx import changes_ctx

A, B, C = ({"brand": k} for k in "ABC")


def _diff(name, a, b, va, vb, lo, hi, *, quantity="index", kind="groups", level=0.983):
    return Difference(quantity=quantity, name=name, kind=kind, group_a=a, group_b=b,
                      value_a=va, value_b=vb, difference=va - vb, se=1.0, ci_lower=lo,
                      ci_upper=hi, ci_level=level, pvalue=0.01, pvalue_adj=0.03, m=3,
                      significant=lo > 0 or hi < 0)


def _score(measure, group, value, item=None):
    return SimpleNamespace(measure=measure, group=group, value=value, item=item, pooled=False,
                           ci_lower=value - 5, ci_upper=value + 5)


def _scores_ctx(values: list, differences: list):
    """A story context with the NPS of A, B and C and their tested differences."""
    x = object.__new__(_Ctx)
    x.r = SimpleNamespace(scores=[_score("nps", g, v, "nps") for g, v in zip((A, B, C), values)],
                          comparisons=[SimpleNamespace(item="brand", levels=list("ABC"),
                                                       differences=differences)])
    x.focus, x.competitors = A, [B, C]
    return x


# --- 1: "ahead of every competitor" only with a significant lead --------------------------

def test_a_lead_is_ahead_only_when_its_test_says_so():
    # A leads B (the highest competitor) by 4 points; the adjusted interval includes 0
    close = [_diff("nps", A, B, 30.0, 26.0, -8.0, 16.0, quantity="nps"),
             _diff("nps", A, C, 30.0, 10.0, 5.0, 35.0, quantity="nps")]
    f, = _scores(_scores_ctx([30.0, 26.0, 10.0], close))
    assert f.code == "nps_ahead_similar"  # before: "nps_first", "ahead of every competitor"
    assert "significant" not in f.requires
    assert (f.params["gap_lower"], f.params["gap_upper"]) == (-8.0, 16.0)
    # stored the other way round (B − A): the lead is still A's, and significant
    clear = [_diff("nps", B, A, 10.0, 30.0, -35.0, -5.0, quantity="nps"),
             _diff("nps", C, A, 5.0, 30.0, -40.0, -10.0, quantity="nps")]
    f, = _scores(_scores_ctx([30.0, 10.0, 5.0], clear))
    assert f.code == "nps_ahead" and "significant" in f.requires
    assert f.params["gap"] == pytest.approx(20.0)
    assert (f.params["gap_lower"], f.params["gap_upper"]) == (5.0, 35.0)
    # untested: nothing is said
    assert _scores(_scores_ctx([30.0, 10.0, 5.0], [])) == []


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_lead_sentences_say_what_the_test_found(lang):
    s = sentences(lang)
    for measure in ("nps", "csat"):
        sig, similar = s[f"{measure}_ahead"], s[f"{measure}_ahead_similar"]
        for text in (sig, similar):
            for slot in ("{gap}", "{gap_lo}", "{gap_hi}", "{best}", "{best_value}"):
                assert slot in text
        if lang == "en":
            assert "significantly ahead" in sig and "cannot tell from zero" in similar
            assert "every competitor" not in sig + similar
        else:
            assert "显著高于" in sig and "不显著" in similar


# --- 2: no change: like units only, "index" said -----------------------------------------

def _changes_ctx(changes):
    return changes_ctx(changes, A)


def test_no_change_sentence_compares_indices_with_indices():
    before = {"brand": "A", "wave": "2025"}
    image = _diff("IMAG", A, before, 71.5, 69.3, -2.6, 6.7, kind="change")
    nps = _diff("nps", A, before, 3.5, -3.1, -8.0, 21.0, quantity="nps", kind="change")
    f, = _changes(_changes_ctx([nps, image]))
    # the NPS moved 6.6 points, more than any index: the sentence names the indices
    assert f.code == "change_flat_index" and f.params["name"] == "IMAG"
    f, = _changes(_changes_ctx([nps]))
    assert f.code == "change_flat_nps"
    en, zh = sentences("en"), sentences("zh-CN")
    assert "among the indices" in en["change_flat_index"]
    assert "各项指数中" in zh["change_flat_index"]
    assert "largest" not in en["change_flat_nps"]
    # a "no change" finding is the first to leave a full summary
    kept = _at_most([SimpleNamespace(code=c) for c in
                     ("client_position", "gaps_behind", "nps_behind", "csat_behind",
                      "change_flat_index", "driver_standout")], 5)
    assert "change_flat_index" not in [k.code for k in kept]


# --- 10: MICOM as Henseler, Ringle & Sarstedt (2016) define it -----------------------------

def _standardised(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


@pytest.mark.slow
def test_micom_steps_2_and_3_follow_their_definition():
    """Step 2: c is the correlation, on the pooled standardised data, of the composite
    scores formed with group a's and group b's own weights; invariance is not rejected
    when c is at or above the 5% quantile of its permutation distribution. Step 3: the
    differences of the composites' means and log variances, the composites formed with
    the pooled model's weights on the pooled standardised data. Written out here from
    separate fits of each group and of the pooled data."""
    import numpy as np
    import pandas as pd

    import crmsurvey as cs
    from crmsurvey.pls.mga import compare_groups

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 300, seed=5, groups={"brand": ["A", "B"]})
    items = [i for c in q.definition.constructs.values() for i in c.items]
    # unweighted; answers off the scale ("don't know" codes) and blanks are missing, each
    # filled with its group's mean first, so that the separate fits and the comparison
    # see the same numbers
    df = df.drop(columns=[c for c in df.columns if q.items[c].role == "weight"])
    for i in items:
        x, sc = pd.to_numeric(df[i], errors="coerce"), q.scale(i)
        lo, hi = (sc.min, sc.max) if sc.type == "rating" else (min(sc.values), max(sc.values))
        df[i] = x.where((x >= lo) & (x <= hi))
    df[items] = df.groupby("brand")[items].transform(lambda s: s.fillna(s.mean()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_groups(q, df, "brand", permutations=200, bootstrap=10, seed=1)
        fits = {g: cs.pls(q, df[df.brand == g]) for g in ("A", "B")}
        pooled = cs.pls(q, df)
    z = _standardised(df[items].to_numpy())
    col = {i: k for k, i in enumerate(items)}
    micom = cmp.micom.set_index("construct")
    is_a = (df.brand == "A").to_numpy()
    for construct, c in q.definition.constructs.items():
        idx = [col[i] for i in c.items]

        def w(fit):
            return fit.weights.set_index("rhs").loc[c.items, "est"].to_numpy()

        sa, sb = z[:, idx] @ w(fits["A"]), z[:, idx] @ w(fits["B"])
        row = micom.loc[construct]
        # (step 3's composites agree to the fits' convergence tolerance)
        assert row["c"] == pytest.approx(np.corrcoef(sa, sb)[0, 1], abs=1e-6)
        assert bool(row["compositional"]) == (row["c"] >= row["c_5pct"])
        s = z[:, idx] @ w(pooled)
        s = s / s.std()  # a composite on the pooled data has unit variance
        assert row["mean_diff"] == pytest.approx(s[is_a].mean() - s[~is_a].mean(), abs=2e-3)
        assert row["logvar_diff"] == pytest.approx(
            np.log(s[is_a].var()) - np.log(s[~is_a].var()), abs=2e-3)
        assert bool(row["mean_equal"]) == (row["mean_ci_lower"] <= row["mean_diff"]
                                           <= row["mean_ci_upper"])


@pytest.mark.slow
def test_micom_rejects_about_five_percent_under_invariance():
    """One population split at random into two groups: every construct is measured alike,
    so step 2 may reject at most about its 5% level (the 20-brand study's many
    "not established" rows are its brands' differences, not the test's)."""
    import numpy as np

    import crmsurvey as cs
    from crmsurvey.pls.mga import compare_groups

    q = cs.load_questionnaire("ccsi")
    fails = tests = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(12):
            df = cs.simulate(q, 400, seed=100 + seed)
            df["brand"] = np.random.default_rng(seed).choice(["A", "B"], len(df))
            m = compare_groups(q, df, "brand", permutations=200, bootstrap=10,
                               seed=seed).micom
            m = m[m.c < 1 - 1e-12]  # a single-item construct: c is 1 by construction
            fails += int((~m.compositional).sum())
            tests += len(m)
    # binomial(72, .05): P(X > 9) < 0.01
    assert fails <= 9, f"{fails} of {tests} rejected"



# --- rendered: a brands × waves study in both languages ----------------------------------

STUDY = """\
id: claims
title: Claims
questionnaire: ccsi
data:
  - simulate:
      n: 240
      seed: 27
      groups: {brand: [A, B, C], wave: ["2025", "2026"]}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
waves: wave
compare: {permutations: 200, bootstrap: 200, seed: 3, invariance: false}
pls: {bootstrap: 2400, seed: 7, fit_test: 0, predict_folds: 0}
ipma_target: LOY
report:
  client_group: {brand: A}
analytics:
  csat: {sat1: 9}
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import shutil

    from crmsurvey.pipeline import rerender, run
    from crmsurvey.study import load_results

    base = tmp_path_factory.mktemp("claims")
    (base / "study.yaml").write_text(STUDY, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        en = run(base / "study.yaml", base / "en", lang="en")
        shutil.copytree(en, base / "zh-CN")
        rerender(base / "zh-CN", lang="zh-CN")
    return load_results(en / "results.json"), {
        "en": (en / "report.html").read_text(encoding="utf-8"),
        "zh-CN": (base / "zh-CN" / "report.zh-CN.html").read_text(encoding="utf-8")}


def _text(fragment: str) -> str:
    import html
    import re
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def _part(doc: str, start: str, end: str = "</table>") -> str:
    i = doc.index(start)
    return doc[i:doc.index(end, i)]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_rendered_claims(rendered, lang):
    import re

    from crmsurvey._format import shown_difference

    results, pages = rendered
    doc, text = pages[lang], _text(pages[lang])
    t = strings(lang)
    # 1: no "ahead of every competitor" without a test
    assert ("ahead of every competitor" if lang == "en" else "高于所有竞争对手") not in text
    for f in results.story.findings:
        assert not f.code.endswith("_first")
        if f.code in ("nps_ahead", "csat_ahead"):
            assert f.params["gap_lower"] > 0
    # 2: the old "no measure … the largest change, in" wording is gone
    assert not any(f.code == "change_flat" for f in results.story.findings)
    # 3: a † beside a wave change only where MICOM between the waves does not warrant it
    # (Trend.micom: the change's ``warranted`` is False), one per such change; no old legend
    changes = _part(doc, 'id="changes"')
    unwarranted = [d for d in results.trend.changes if d.warranted is False]
    assert changes.count("†") == len(unwarranted)
    assert _text(t["change_note"]) not in text and _text(t["change_note_one"]) not in text
    # 4: every recommended question is below its best competitor as both tables print it
    rows = {(r.item, tuple(sorted(r.group.items()))): r for r in results.items
            if not r.pooled}
    for rec in results.story.recommendations:
        if rec.competitor is not None:
            assert shown_difference(rec.competitor_performance, rec.performance) > 0
            mine, best = (rows[(rec.item, tuple(sorted(g.items())))]
                          for g in (rec.group, rec.competitor))
            assert shown_difference(best.mean, mine.mean) > 0  # the question-level table
            assert round(mine.top2) <= round(best.top2)  # not ahead on its top-2 share
    # 6: ▲ ▼ named only where a mark is shown
    marks = "mark up" in doc or "mark down" in doc
    assert marks or "▲" not in text
    # 7: a significant indirect effect never prints as zero
    heading = f"<h2>{t['indirect_title']}</h2>"
    if heading in doc:
        for row in re.findall(r"<tr>(.*?)</tr>", _part(doc, heading)):
            cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            if len(cells) >= 3 and re.fullmatch(r"-?0[.,]0+", cells[2]):
                lo, hi = (float(x.replace(",", ".").replace("−", "-"))
                          for x in cells[3].split(" – "))
                assert lo <= 0 <= hi, row
    # 8: one floor when the two tests' floors are equal
    assert not re.search(r"(\.\d+)[^.]{0,40}\(permutation\) or \1 \(Henseler\)", text)
    # 5: the methodology names the floor of the adjusted tests the tables print
    pairs = [d for c in results.comparisons for d in c.differences
             if d.quantity == "index" and d.p_resolution is not None and d.m > 1]
    if pairs:
        m = max(d.m for d in pairs)
        boot = results.settings.pls["bootstrap"]
        from crmsurvey._format import pval
        assert "< " + pval(m / boot, m / boot).removeprefix("< ") in text
        assert _text(t["p_floor_groups"]).split("{")[0].strip() in text
    # 11: the glossary says the CSAT rule the study uses
    assert _text(t["def_csat"]) not in text
    if lang == "en":
        assert "top-2 box (9–10)" in text
        assert "ahead of every competitor" not in text
        assert "the largest change, in" not in text


# --- 9: "Starts at best" is explained under the table that shows it ----------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_starts_at_best_is_explained_where_shown(lang):
    from crmsurvey.report.segments import _fit

    t = strings(lang)
    row = {"segments": 2, "loglik": -100.0, "aic3": 1.0, "bic": 2.0, "caic": 3.0,
           "entropy": 0.8, "share_best": 0.1}
    s = SimpleNamespace(method="latent_class", criterion="bic", chosen=2, fit=[row])
    out = _fit(s, t)
    assert t["seg_crit_share_best"] in out["fit_heads"]
    assert t["seg_crit_share_best"] in out["fit_note"]  # the column is explained
    s.fit = [{k: v for k, v in row.items() if k != "share_best"}]
    assert t["seg_crit_share_best"] not in _fit(s, t)["fit_note"]
