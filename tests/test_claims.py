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

from crmsurvey.report.i18n import sentences
from crmsurvey.study.results import Difference
from crmsurvey.study.story import _at_most, _changes, _Ctx, _scores

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
    x = object.__new__(_Ctx)
    x.r = SimpleNamespace(trend=SimpleNamespace(previous="2025", changes=changes))
    x.focus = A
    return x


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

