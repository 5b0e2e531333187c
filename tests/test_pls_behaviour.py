"""PLS engine behaviour: weights, seeds, diagnostics, bad input, indices, IPMA, recovery."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import ConvergenceWarning, IndexWarning, InputError, ModelSyntaxError

from .peers import ECSI, mobi


@pytest.fixture(scope="module")
def data():
    return mobi()


def _fit(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        return cs.pls(*args, **kw)


def test_integer_weights_equal_repeated_rows(data):
    """Weighted PLS (Becker & Ismail 2016) with frequency weights reproduces the fit on
    the data with rows repeated that many times."""
    w = np.random.default_rng(3).integers(1, 4, len(data))
    weighted = cs.pls(ECSI, data, weights=w, scale=(1, 10))
    repeated = cs.pls(ECSI, data.loc[data.index.repeat(w)].reset_index(drop=True),
                      scale=(1, 10))
    np.testing.assert_allclose(weighted.paths.est, repeated.paths.est, atol=1e-9)
    np.testing.assert_allclose(weighted.index["index"], repeated.index["index"], atol=1e-9)
    assert weighted.settings.weighted
    unweighted = cs.pls(ECSI, data, scale=(1, 10))
    assert not np.allclose(weighted.paths.est, unweighted.paths.est, atol=1e-4)


def test_weight_column_by_name_and_bad_weights(data):
    df = data.assign(w=1.0)
    res = cs.pls(ECSI, df, weights="w", scale=(1, 10))
    assert res.paths.est.iloc[0] == pytest.approx(0.50491393, abs=1e-6)
    df.loc[5, "w"] = -1
    with pytest.raises(InputError, match="first: row 5.*invalid_weight"):
        cs.pls(ECSI, df, weights="w", scale=(1, 10))


def test_same_seed_same_numbers_whatever_the_chunk(data):
    a = cs.pls(ECSI, data, scale=(1, 10), bootstrap=300, seed=9, chunk=100)
    b = cs.pls(ECSI, data, scale=(1, 10), bootstrap=300, seed=9, chunk=1000)
    c = cs.pls(ECSI, data, scale=(1, 10), bootstrap=300, seed=10)
    pd.testing.assert_frame_equal(a.paths, b.paths)
    pd.testing.assert_frame_equal(a.index, b.index)
    assert not np.allclose(a.paths.se, c.paths.se)
    assert a.settings.seed == 9 and a.settings.n_failed == 0


def test_bootstrap_tables_and_intervals(data):
    res = cs.pls(ECSI, data, scale=(1, 10), bootstrap=400, seed=1, ci_method="bca")
    for table in (res.paths, res.loadings, res.weights):
        assert list(table.columns[:9]) == ["lhs", "op", "rhs", "est", "se", "t", "pvalue",
                                           "ci_lower", "ci_upper"]
    p = res.paths
    assert ((p.ci_lower <= p.est) & (p.est <= p.ci_upper)).all()
    assert list(res.index.columns[:2]) == ["construct", "index"]
    assert (res.index.ci_lower < res.index["index"]).all()
    assert (res.index.ci_upper > res.index["index"]).all()
    assert {"ci_lower", "ci_upper"} <= set(res.total_effects.columns)
    assert res.htmt_intervals is not None and res.htmt_intervals.ci_upper.notna().all()
    # significance agrees with the interval excluding zero for clear cases
    clear = p[p.pvalue < 0.001]
    assert ((clear.ci_lower > 0) | (clear.ci_upper < 0)).all()


def test_index_is_the_acsi_formula(data):
    res = cs.pls(ECSI, data, scale=(1, 10))
    w = res.weights[res.weights.lhs == "Satisfaction"]
    items = list(w.rhs)
    sd = data[items].std(ddof=0).to_numpy()
    wt = (w.est.to_numpy() / sd) / (w.est.to_numpy() / sd).sum()
    want = 100 * (wt * (data[items].mean().to_numpy() - 1) / 9).sum()
    got = res.index.set_index("construct").loc["Satisfaction", "index"]
    assert got == pytest.approx(want, abs=1e-9)


def test_index_without_scale_warns(data):
    with pytest.warns(IndexWarning, match="observed minimum and maximum"):
        res = cs.pls(ECSI, data)
    assert any(d.code == "index_bounds" for d in res.diagnostics)


def test_negative_weight_is_reported(data):
    df = data.assign(NOISE=-data["CUSA1"] + np.random.default_rng(0).normal(0, 1, len(data)))
    syntax = ECSI.replace("Satisfaction =~ CUSA1 + CUSA2 + CUSA3",
                          "Satisfaction =~ CUSA1 + CUSA2 + CUSA3 + NOISE")
    with pytest.warns(IndexWarning, match="negative outer weight"):
        res = cs.pls(syntax, df, scale={i: (1, 10) for i in data.columns} | {"NOISE": (-20, 5)})
    kinds = [d.code for d in res.diagnostics]
    assert "negative_weight" in kinds
    assert "Satisfaction" in res.summary().as_text().split("Notes:")[1]


def test_non_convergence_is_reported(data):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = cs.pls(ECSI, data, scale=(1, 10), max_iter=2)
    assert not res.settings.converged


@pytest.mark.parametrize("mutate, syntax_change, error, text", [
    (lambda d: d, ("CUSA3", "CUSA9"), InputError, "item 'CUSA9' of construct 'Satisfaction'"),
    (lambda d: d.assign(CUSA1=5.0), None, InputError, "item 'CUSA1' is constant"),
    (lambda d: d.assign(PERV1=np.nan, PERV2=np.nan), None, InputError, "construct 'Value'"),
    (lambda d: d.assign(IMAG2=d.IMAG2.astype(object).where(d.index != 7, "n/a")), None,
     InputError, "column 'IMAG2', row 7"),
    (lambda d: d.head(4), None, InputError, "only 4 usable rows"),
    (lambda d: d, ("Quality      ~ Expectation", "Quality ~ Expectation\nImage ~ Loyalty"),
     ModelSyntaxError, "cycle"),
    (lambda d: d, ("Complaints   ~ Satisfaction", "Complaints ~ Satisfactoin"),
     ModelSyntaxError, "'Satisfactoin'"),
])
def test_bad_input_names_the_culprit(data, mutate, syntax_change, error, text):
    syntax = ECSI.replace(*syntax_change) if syntax_change else ECSI
    with pytest.raises(error) as err:
        _fit(syntax, mutate(data.copy()))
    assert text in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, ValueError)


def test_bad_options():
    with pytest.raises(ValueError, match="scheme must be one of 'path', 'factorial'"):
        cs.pls(ECSI, mobi(), scheme="pathx")


def test_listwise_deletion(data):
    holes = data.copy()
    holes.loc[[1, 2, 3], "CUSA1"] = np.nan
    res = _fit(ECSI, holes, missing="listwise")
    assert res.settings.n == 247 and res.settings.n_dropped == 3
    assert res.scores.shape == (247, 7)


def test_ipma_against_regression_on_rescaled_scores(data):
    res = cs.pls(ECSI, data, scale=(1, 10))
    ipma = res.ipma("Loyalty").set_index("construct")
    idx = res.index.set_index("construct")["index"]
    np.testing.assert_allclose(ipma.performance, idx[ipma.index], atol=1e-9)
    # direct drivers of Loyalty: importance = total effect from an OLS on 0-100 scores
    scores = {}
    for c, block in res.weights.groupby("lhs", sort=False):
        x = (data[list(block.rhs)] - 1) / 9 * 100
        wt = block.est.to_numpy() / data[list(block.rhs)].std(ddof=1).to_numpy()
        scores[c] = x.to_numpy() @ (wt / wt.sum())
    s = pd.DataFrame(scores)
    design = np.column_stack([np.ones(len(s)), s[["Image", "Satisfaction", "Complaints"]]])
    coef = np.linalg.lstsq(design, s["Loyalty"], rcond=None)[0]
    assert ipma.loc["Complaints", "importance"] == pytest.approx(coef[3], abs=1e-9)
    assert ipma.loc["Satisfaction", "importance"] > ipma.loc["Complaints", "importance"]
    with pytest.raises(ValueError, match="unknown target"):
        res.ipma("Loyality")


def test_plsc_recovers_population_paths():
    """Reflective data from a known model: consistent PLS recovers the paths."""
    rng = np.random.default_rng(5)
    n = 6000
    xi = rng.standard_normal(n)
    eta1 = 0.6 * xi + np.sqrt(1 - 0.36) * rng.standard_normal(n)
    eta2 = 0.3 * xi + 0.5 * eta1
    eta2 = eta2 + np.sqrt(1 - np.var(eta2)) * rng.standard_normal(n)
    cols = {}
    for name, lv, lams in (("x", xi, (0.8, 0.7, 0.75)), ("m", eta1, (0.85, 0.7, 0.8)),
                           ("y", eta2, (0.75, 0.8, 0.7))):
        for i, lam in enumerate(lams, 1):
            cols[f"{name}{i}"] = lam * lv + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    df = pd.DataFrame(cols)
    syntax = "X =~ x1 + x2 + x3\nM =~ m1 + m2 + m3\nY =~ y1 + y2 + y3\nM ~ X\nY ~ X + M"
    res = _fit(syntax, df, consistent=True)
    got = {(r.rhs, r.lhs): r.est for r in res.paths.itertuples()}
    assert got[("X", "M")] == pytest.approx(0.6, abs=0.03)
    assert got[("X", "Y")] == pytest.approx(0.3, abs=0.03)
    assert got[("M", "Y")] == pytest.approx(0.5, abs=0.03)
    plain = _fit(syntax, df)
    assert plain.paths.est.iloc[0] < got[("X", "M")] - 0.05  # PLS attenuates


def test_questionnaire_and_responses_as_input(ccsi):
    df = cs.simulate(ccsi, 400, seed=2)
    r = cs.load_responses(ccsi, df, exclude=["duplicate"])
    res = cs.pls(ccsi, r)
    assert not [d for d in res.diagnostics if d.code == "index_bounds"]
    assert res.settings.weighted and res.settings.n == r.log.rows_kept
    reported = [c for c, d in ccsi.definition.constructs.items() if d.index]
    assert res.index.set_index("construct").loc[reported, "index"].between(40, 90).all()


def test_summary_and_dict(data):
    import json

    res = cs.pls(ECSI, data, scale=(1, 10), bootstrap=100, seed=1)
    text = str(res.summary())
    assert "Path coefficients" in text and "Notes:" in text and "seed 1" in text
    assert "<table" in res._repr_html_()
    json.dumps(res.to_dict())


def test_index_scores_average_to_the_index(data):
    res = cs.pls(ECSI, data, scale=(1, 10))
    scores = res.index_scores()
    assert scores.shape == (250, 7)
    np.testing.assert_allclose(scores.mean().to_numpy(),
                               res.index.set_index("construct").loc[scores.columns, "index"],
                               atol=1e-9)
    assert scores.min().min() >= 0 and scores.max().max() <= 100 + 1e-9


def test_warnings_point_at_the_callers_line(ccsi):
    """A diagnostic is raised as a warning attributed to the user's call, whichever
    crmsurvey entry point it came through (not to crmsurvey's own files)."""
    df = cs.load_responses(ccsi, cs.simulate(ccsi, 200, seed=1)).data
    df["qual2"] = df["qual1"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cs.pls(ccsi, df, scale=ccsi.scale_bounds())
    assert caught and {w.filename for w in caught} == {__file__}


def test_constructs_measured_by_the_same_answers_fail_whatever_the_rounding():
    """Two constructs whose items are the same columns (in another order) have identical
    scores: the fit fails naming them, found from the data, not from whether a solver's
    rounding happens to leave the regression solvable."""
    rng = np.random.default_rng(5)
    f = rng.normal(size=(200, 1))
    a = f + rng.normal(size=(200, 3))
    c = 0.5 * f + rng.normal(size=(200, 3))
    data = pd.DataFrame(np.hstack([a, a[:, ::-1], c]),
                        columns=["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"])
    model = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nC =~ c1 + c2 + c3\nC ~ A + B"
    with pytest.raises(np.linalg.LinAlgError, match="'A' and 'B' are measured by the same"):
        cs.pls(model, data)
