"""Claims and statistics a referee accepts (issue 27, helper "claims"): each sentence the
report prints is licensed by a test or a result that the report shows.

- NPS / CSAT "ahead" only when the lead over the highest competitor is significant;
  otherwise the "cannot tell from zero" wording (1);
- "no measure changed" compares like units and says "among the indices" (2);
- a recommended question is below the best competitor in the printed figures (4).
"""
from __future__ import annotations

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
