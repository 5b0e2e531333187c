"""CB-SEM against lavaan's published Political Democracy results (REFERENCE.md)."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import EstimationWarning, InputError


@pytest.fixture(scope="module")
def pdem():
    from semopy.examples import political_democracy as pdx

    return pdx.get_model(), pdx.get_data()


@pytest.fixture(scope="module")
def res(pdem):
    return cs.cbsem(*pdem)


LAVAAN_FIT = {"chisq": 38.125, "df": 35, "pvalue": 0.329, "cfi": 0.995, "tli": 0.993,
              "rmsea": 0.034, "rmsea_ci_lower": 0.000, "rmsea_ci_upper": 0.092,
              "rmsea_pvalue": 0.611, "srmr": 0.044, "npar": 31}
LAVAAN_EXACT = {"aic": 3157.582, "bic": 3229.424, "loglik": -1547.791}


def test_fit_measures_match_lavaan(res):
    for k, want in LAVAAN_FIT.items():
        assert res.fit[k] == pytest.approx(want, abs=1e-3 + 1e-9), k
    for k, want in LAVAAN_EXACT.items():
        assert res.fit[k] == pytest.approx(want, rel=1e-4), k
    assert res.fit["chisq"] == pytest.approx(38.125, rel=1e-4)
    assert list(res.fit.index[:16]) == ["npar", "chisq", "df", "pvalue", "baseline_chisq",
                                        "baseline_df", "cfi", "tli", "rmsea",
                                        "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue",
                                        "srmr", "aic", "bic", "loglik"]


@pytest.mark.parametrize("lhs, rhs, est, se", [("dem60", "ind60", 1.483, 0.399),
                                                ("dem65", "ind60", 0.572, 0.221),
                                                ("dem65", "dem60", 0.837, 0.098)])
def test_paths_match_lavaan(res, lhs, rhs, est, se):
    row = res.estimates.query("lhs == @lhs and op == '~' and rhs == @rhs").iloc[0]
    assert row.est == pytest.approx(est, abs=5e-4)
    assert row.se == pytest.approx(se, abs=5e-4)


def test_estimates_in_lavaan_layout(res):
    est = res.estimates
    assert list(est.columns[:11]) == ["lhs", "op", "rhs", "est", "se", "z", "pvalue",
                                      "ci_lower", "ci_upper", "std_lv", "std_all"]
    loadings = est[est.op == "=~"]
    assert loadings.iloc[0][["lhs", "rhs", "est"]].tolist() == ["ind60", "x1", 1.0]
    assert set(loadings.lhs) == {"ind60", "dem60", "dem65"}  # not semopy's item ~ construct
    # admissible (lavaan's sense); dem60 and dem65 (democracy four years apart) correlate
    # .967 with R² .961 — warned as nearly collinear, not an improper solution
    assert res.admissible
    assert {d.code for d in res.diagnostics} == {"collinear_constructs"}
    # standardised latent variances are 1 - R²
    r2 = dict(zip(res.r2.variable, res.r2.r2))
    dem65 = est.query("lhs == 'dem65' and op == '~~' and rhs == 'dem65'").iloc[0]
    assert dem65.std_all == pytest.approx(1 - r2["dem65"], abs=1e-9)


def test_modification_index_approximates_the_chisq_difference(pdem):
    """Without y4 ~~ y8 lavaan's chisq is 38.742 (semopy's pd_lavaan_params; REFERENCE.md):
    the score test for that covariance approximates the difference 0.617."""
    model, data = pdem
    smaller = model.replace("y4 ~~ y8", "")
    fit = cs.cbsem(smaller, data)
    assert fit.fit["chisq"] == pytest.approx(38.742, abs=1e-3)
    mi = fit.modification_indices()
    row = mi.query("lhs == 'y4' and op == '~~' and rhs == 'y8'").iloc[0]
    assert row.mi == pytest.approx(38.742 - 38.125, abs=0.1)
    assert row.epc == pytest.approx(0.348, abs=0.1)
    assert list(mi.columns) == ["lhs", "op", "rhs", "mi", "epc"]
    assert mi.mi.is_monotonic_decreasing


def _collinear_data(n=120, seed=4):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    f1, f2 = z, z + 0.02 * rng.standard_normal(n)
    cols = {f"a{i}": 0.7 * f1 + 0.7 * rng.standard_normal(n) for i in (1, 2, 3)}
    cols |= {f"b{i}": 0.7 * f2 + 0.7 * rng.standard_normal(n) for i in (1, 2, 3)}
    return pd.DataFrame(cols)


def test_improper_solution_is_reported():
    """Two nearly collinear constructs: the estimated correlation passes 1 for this
    sample, and the result says so, naming the parameter."""
    with pytest.warns(EstimationWarning):
        res = cs.cbsem("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", _collinear_data())
    assert not res.admissible
    text = " ".join(res.problems)
    assert "A ~~ B" in text or "B ~~ A" in text
    assert "std_all" in text


def test_heywood_case_is_reported():
    rng = np.random.default_rng(1)
    f = rng.standard_normal(60)
    df = pd.DataFrame({"x1": f + 0.05 * rng.standard_normal(60),
                       "x2": 0.3 * f + rng.standard_normal(60),
                       "x3": 0.3 * f + rng.standard_normal(60),
                       "y1": rng.standard_normal(60)})
    df["x1"] = df.x1 * 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        res = cs.cbsem("F =~ x1 + x2", df.assign(x2=df.x1 * 0.9 + 0.01 *
                                                      rng.standard_normal(60)))
    assert not res.admissible or res.problems  # a 2-indicator factor on near-copies
    assert any("not identified" in p or "negative variance" in p or "beyond" in p
               for p in res.problems)


def test_bootstrap_is_deterministic_and_counts_failures(pdem):
    model, data = pdem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        a = cs.cbsem(model, data, bootstrap=300, seed=5, chunk=100)
        b = cs.cbsem(model, data, bootstrap=300, seed=5, chunk=500)
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    assert a.settings.se == "bootstrap" and a.settings.bootstrap == 300
    assert a.settings.n_inadmissible > 0  # dem65's small residual variance crosses zero
    row = a.estimates.query("lhs == 'dem60' and op == '~' and rhs == 'ind60'").iloc[0]
    assert 0.25 < row.se < 0.6 and row.ci_lower < 1.483 < row.ci_upper


def test_sampling_weights(pdem):
    model, data = pdem
    w = np.random.default_rng(0).integers(1, 3, len(data))
    weighted = cs.cbsem(model, data, weights=w)
    repeated = cs.cbsem(model, data.loc[data.index.repeat(w)].reset_index(drop=True))
    np.testing.assert_allclose(weighted.estimates.est, repeated.estimates.est, atol=1e-6)
    assert weighted.settings.n_effective < w.sum()
    assert any(n.code == "cb_weighted" and n.params["n_eff"] == pytest.approx(
        weighted.settings.n_effective) for n in weighted.notes)


def test_multi_group(pdem):
    model, data = pdem
    df = data.assign(region=np.where(np.arange(len(data)) % 2 == 0, "north", "south"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        res = cs.cbsem(model, df, group="region")
    assert set(res.groups) == {"north", "south"}
    assert res.estimates.columns[0] == "group"
    assert res.fit["df"] == 70
    assert res.fit["chisq"] == pytest.approx(sum(g.fit["chisq"] for g in res.groups.values()))


@pytest.mark.parametrize("estimator", ["GLS", "ULS"])
def test_other_estimators_run(pdem, estimator):
    res = cs.cbsem(*pdem, estimator=estimator)
    row = res.estimates.query("lhs == 'dem60' and op == '~'").iloc[0]
    assert 1.2 < row.est < 1.8 and row.se > 0


def test_fiml(pdem):
    model, data = pdem
    holes = data.copy()
    holes.iloc[::7, 4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.cbsem(model, holes, missing="fiml")
    assert res.settings.n == 75 and res.settings.missing == "fiml"
    assert any(n.code == "cb_fiml" and n.params["rows"] == 75 for n in res.notes)


@pytest.mark.parametrize("kw, text", [
    ({"estimator": "PML"}, "estimator must be one of"),
    ({"group": "nope"}, "group column 'nope'"),
])
def test_bad_options(pdem, kw, text):
    with pytest.raises(InputError, match=text):
        cs.cbsem(*pdem, **kw)


def test_bad_input(pdem):
    model, data = pdem
    with pytest.raises(InputError, match="'y9'"):
        cs.cbsem(model.replace("y8", "y9"), data)
    with pytest.raises(InputError, match="ordinal items are not supported"):
        cs.cbsem(model + "\nDEFINE(ordinal) y1", data)
    with pytest.raises(InputError, match="cannot read the model"):
        cs.cbsem("dem60 =~ y1 + $", data)
    with pytest.raises(InputError, match="column 'y2', row 3"):
        cs.cbsem(model, data.assign(y2=data.y2.astype(object).where(data.index != 3, "x")))


def test_summary_and_dict(res):
    import json

    text = str(res.summary())
    assert "Fit (lavaan definitions)" in text and "admissible" in text
    json.dumps(res.to_dict())


@pytest.mark.slow
def test_bootstrap_on_a_process_pool_gives_the_same_numbers(pdem):
    model, data = pdem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        here = cs.cbsem(model, data, bootstrap=200, seed=2, chunk=100)
        pool = cs.cbsem(model, data, bootstrap=200, seed=2, chunk=100, engine=2)
    pd.testing.assert_frame_equal(here.estimates, pool.estimates)
