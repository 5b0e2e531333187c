"""CB-SEM against lavaan 0.6 run in the test (R code in tests/lavaan/)."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .lavaan import run_lavaan
from .peers import ECSI, HS, mobi


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.cbsem(*args, **kwargs)


def _compare(res, ref, ops=("=~", "~", "~~"), tol=1e-3):
    got = res.estimates.set_index(["lhs", "op", "rhs"])
    for r in ref["est"].itertuples():
        if r.op not in ops or (r.lhs, r.op, r.rhs) not in got.index:
            continue
        row = got.loc[(r.lhs, r.op, r.rhs)]
        assert row.est == pytest.approx(r.est, abs=tol), (r.lhs, r.op, r.rhs)
        if r.se > 0:
            assert row.se == pytest.approx(r.se, abs=tol), (r.lhs, r.op, r.rhs)


def test_single_indicator_factor_from_the_questionnaire_matches_lavaan(tmp_path):
    """q.to_lavaan() has COMP =~ comp1: its error variance is fixed at 0 (said in the
    notes), the solution is admissible and equals lavaan's with comp1 ~~ 0*comp1."""
    q = cs.load_questionnaire("ccsi")
    data = cs.load_responses(q, cs.simulate(q, 400, seed=1)).data
    cols = [i for c in q.model_spec().constructs for i in c.items]
    ref = run_lavaan("single_indicator.R", data[cols], tmp_path,
                     model=q.to_lavaan() + "comp1 ~~ 0*comp1\n")
    for model in (q.to_lavaan(), q):
        res = _quiet(model, data)
        assert res.admissible and not res.diagnostics
        assert any(n.code == "cb_single_indicator" and n.params["item"] == "comp1"
                   and n.params["variance"] == 0 for n in res.notes)
        for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr"):
            assert res.fit[k] == pytest.approx(ref["fit"][k], rel=1e-3, abs=1e-4), k
        _compare(res, ref)
    rel = _quiet(q, data, reliability={"comp1": 0.8})
    var = data["comp1"].var(ddof=0)
    theta = rel.estimates.set_index(["lhs", "op", "rhs"]).loc[("comp1", "~~", "comp1"), "est"]
    assert theta == pytest.approx(0.2 * var, rel=1e-6)


@pytest.mark.slow
def test_collinear_constructs_are_warned_and_lavaan_agrees_on_the_numbers(tmp_path):
    """ECSI on mobi as CB-SEM: lavaan's post-check passes it, with standardised paths beyond
    1; crmsurvey keeps lavaan's `admissible` and warns, naming the constructs."""
    data = mobi()
    ref = run_lavaan("ecsi_collinear.R", data, tmp_path, model=ECSI + "CUSCO ~~ 0*CUSCO\n")
    assert ref["fit"]["post_check"] == 1
    with pytest.warns(cs.errors.CrmWarning):
        res = cs.cbsem(ECSI, data)
    assert res.admissible
    std = res.estimates.set_index(["lhs", "op", "rhs"]).std_all
    lav = ref["est"].set_index(["lhs", "op", "rhs"])["std.all"]
    beyond = [k for k in lav.index if k[1] == "~" and abs(lav[k]) > 1]
    assert beyond
    for k in beyond:  # a near-singular solution: the optimum is flat, agree to 1 %
        assert std[k] == pytest.approx(lav[k], rel=1e-2)
    messages = [d.message for d in res.diagnostics if d.code == "collinear_constructs"]
    assert any("Satisfaction → Loyalty" in m and "beyond ±1" in m for m in messages)
    assert any("R² of Quality" in m for m in messages)
    assert any("correlate" in m for m in messages)
    assert "collinear" in res.summary().as_text()


def test_ordinal_in_a_variable_name_is_not_an_ordinal_model():
    rng = np.random.default_rng(3)
    f = rng.normal(size=300)
    df = pd.DataFrame({"coordinal1": f + rng.normal(size=300), "x2": f + rng.normal(size=300),
                       "x3": f + rng.normal(size=300), "x4": f + rng.normal(size=300)})
    res = _quiet("F =~ coordinal1 + x2 + x3 + x4", df)
    assert res.fit["df"] == 2


def test_mlm_matches_lavaan_on_holzinger_swineford(tmp_path):
    """Satorra–Bentler: robust SEs to 3 decimals, scaled χ² to 1e-3 relative, scaled and
    robust CFI/TLI/RMSEA to 1e-3 (lavaan's names with underscores)."""
    from semopy.examples import holzinger39

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    ref = run_lavaan("hs_mlm.R", data, tmp_path, model=HS)
    res = _quiet(HS, data, estimator="MLM")
    assert res.settings.estimator == "MLM" and res.settings.se == "robust.sem"
    for k in ("chisq", "chisq.scaled", "baseline.chisq.scaled"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], rel=1e-3), k
    for k in ("df.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "cfi.robust",
              "tli.robust", "rmsea.scaled", "rmsea.robust", "srmr"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], abs=1e-3), k
    _compare(res, ref)
    assert "chisq_scaled" in res.summary().as_text()


@pytest.mark.slow
def test_fiml_matches_lavaan_missing_ml(tmp_path):
    """FIML with planted missing values (10 % of cells, completely at random): estimates,
    SEs and intercepts to 3 decimals, χ² to 1e-3 relative, CFI/TLI/RMSEA/SRMR to 1e-3."""
    from semopy.examples import holzinger39

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    holes = data.mask(np.random.default_rng(12).random(data.shape) < 0.1)
    ref = run_lavaan("hs_fiml.R", holes, tmp_path, model=HS)
    res = _quiet(HS, holes, missing="fiml")
    assert res.admissible and res.settings.n == 301 and res.settings.se == "observed"
    for k in ("chisq", "baseline.chisq", "aic", "bic"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], rel=1e-3), k
    assert res.fit["loglik"] == pytest.approx(ref["fit"]["logl"], rel=1e-6)
    for k in ("npar", "df", "cfi", "tli", "rmsea", "srmr"):
        assert res.fit[k] == pytest.approx(ref["fit"][k], abs=1e-3), k
    ref["est"]["rhs"] = ref["est"]["rhs"].fillna("")
    _compare(res, ref, ops=("=~", "~~", "~1"))
    means = res.estimates[res.estimates.op == "~1"]
    assert means.free.sum() == 9 and (means[~means.free.astype(bool)].est == 0).all()
    assert len(means) == (ref["est"].op == "~1").sum()  # latent means listed (0), as lavaan
    # the standardised loadings are sensible (the old semopy FIML gave ≈ 0.99 everywhere)
    std = res.estimates[res.estimates.op == "=~"].std_all
    assert std.between(0.3, 0.95).all()


PD_DEFINED = """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ab := a*b
total := c + a*b
"""


def test_defined_parameters_match_lavaan(tmp_path):
    """An indirect and a total effect defined with := on Political Democracy: estimates,
    delta-method SEs and standardised values to 3 decimals; with a bootstrap the interval
    comes from the resamples."""
    from semopy.examples import political_democracy as pdx

    data = pdx.get_data()
    ref = run_lavaan("pd_defined.R", data, tmp_path, model=PD_DEFINED)
    res = _quiet(PD_DEFINED, data)
    got = res.estimates[res.estimates.op == ":="].set_index("lhs")
    want = ref["est"][ref["est"].op == ":="].set_index("lhs")
    assert list(got.index) == ["ab", "total"] and got.loc["ab", "rhs"] == "a*b"
    for name in ("ab", "total"):
        assert got.loc[name, "est"] == pytest.approx(want.loc[name, "est"], abs=1e-3)
        assert got.loc[name, "se"] == pytest.approx(want.loc[name, "se"], abs=1e-3)
        assert got.loc[name, "std_all"] == pytest.approx(want.loc[name, "std.all"], abs=1e-3)
    assert res.fit["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-4)
    assert ":=" in res.model  # the model as written
    boot = _quiet(PD_DEFINED, data, bootstrap=200, seed=3)
    ab = boot.estimates.set_index("lhs").loc["ab"]
    assert ab.ci_lower < got.loc["ab", "est"] < ab.ci_upper and ab.se > 0


@pytest.mark.parametrize("line, message", [
    ("ab := a*d", "'d', which labels no parameter"),
    ("ab := __import__('os')", "functions allowed are"),
    ("ab := a.b.__class__", "labels no parameter|only arithmetic"),
    ("ab := [a][0]", "only arithmetic"),
    ("ab := a*b; x", "cannot read"),
])
def test_defined_parameter_errors_are_one_line(line, message):
    from semopy.examples import political_democracy as pdx

    model = PD_DEFINED.replace("ab := a*b", line)
    with pytest.raises(cs.InputError, match=message):
        cs.cbsem(model, pdx.get_data())


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_mlr_matches_lavaan(tmp_path, missing):
    """MLR on complete Holzinger–Swineford data and with planted holes (FIML): Huber–White
    SEs (and intercepts) to 3 decimals, Yuan–Bentler scaled χ² to 1e-3 relative, scaling
    factors and scaled fit to 1e-3; the robust CFI/TLI/RMSEA (FIML-corrected with holes)."""
    from semopy.examples import holzinger39

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    if missing == "fiml":
        data = data.mask(np.random.default_rng(12).random(data.shape) < 0.1)
    ref = run_lavaan("hs_mlr.R", data, tmp_path, model=HS, MISSING="ml" if missing == "fiml"
                     else "listwise")
    res = _quiet(HS, data, estimator="MLR", missing=missing)
    assert res.settings.se == "robust.huber.white" and res.admissible
    for k in ("chisq", "chisq.scaled", "baseline.chisq.scaled"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], rel=1e-3), k
    for k in ("pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaling.factor",
              "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust",
              "rmsea.robust"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], abs=1e-3), k
    ref["est"]["rhs"] = ref["est"]["rhs"].fillna("")
    _compare(res, ref, ops=("=~", "~~", "~1"))


@pytest.mark.slow
def test_scalar_invariance_matches_lavaan(tmp_path):
    """Holzinger–Swineford by school: configural → metric → scalar (npar, χ², df, CFI,
    TLI, RMSEA to 1e-3) and the scalar model's latent means with SEs (3 decimals)."""
    from semopy.examples import holzinger39

    from crmsurvey.cbsem.invariance import measurement_invariance

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)] + ["school"]]
    ref = run_lavaan("hs_invariance.R", data, tmp_path, model=HS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = measurement_invariance(HS, data, "school")
    table = inv.table.set_index("model")
    assert list(table.index) == ["configural", "metric", "scalar"]
    for model in table.index:
        for k in ("npar", "df", "cfi", "tli", "rmsea"):
            assert table.loc[model, k] == pytest.approx(ref["fit"][f"{model}_{k}"], abs=1e-3)
        assert table.loc[model, "chisq"] == pytest.approx(ref["fit"][f"{model}_chisq"],
                                                          rel=1e-3)
    assert table.loc["scalar", "delta_df"] == 6 and table.loc["scalar", "decision"] == \
        "not supported"  # ΔCFI −.038
    assert next(iter(inv.groups)) == "Pasteur"  # the reference, as lavaan's first group
    want = ref["est"][ref["est"].rhs == 2].set_index("lhs")
    got = inv.latent_means.set_index("construct")
    for c in ("visual", "textual", "speed"):
        assert got.loc[c, "est"] == pytest.approx(want.loc[c, "est"], abs=1e-3)
        assert got.loc[c, "se"] == pytest.approx(want.loc[c, "se"], abs=1e-3)


def test_polychoric_correlations_match_lavaan(tmp_path):
    """Holzinger–Swineford items cut into four ordered categories: thresholds to 1e-10,
    polychoric correlations to 1e-6 (lavaan's lavCor, every item ordered)."""
    from semopy.examples import holzinger39

    from crmsurvey.cbsem.polychoric import bivariate_normal_cdf, polychoric

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    cut = data.apply(lambda c: pd.cut(c, [-np.inf, *c.quantile([.25, .5, .8]), np.inf],
                                      labels=False).astype(int))
    ref = run_lavaan("hs_polychoric.R", cut, tmp_path)
    res = polychoric(cut)
    got = res.thresholds.assign(key=lambda t: t.item + "|t" + t.threshold.astype(str))
    got = got.set_index("key").est
    assert len(got) == len(ref["fit"]) == 27
    for key, want in ref["fit"].items():
        assert got[key] == pytest.approx(want, abs=1e-10), key
    for r in ref["est"].itertuples():
        assert res.correlation.loc[r.lhs, r.rhs] == pytest.approx(r.est, abs=1e-6)
    # the bivariate normal CDF against scipy's
    from scipy.stats import multivariate_normal

    for h, k, rho in [(0.3, -0.5, 0.7), (1.2, 0.4, -0.6), (-2.0, 1.0, 0.95)]:
        want = multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([h, k])
        assert bivariate_normal_cdf(h, k, rho) == pytest.approx(want, abs=1e-7)


def _ordered_hs():
    from semopy.examples import holzinger39

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    return data.apply(lambda c: pd.cut(c, [-np.inf, *c.quantile([.25, .5, .8]), np.inf],
                                       labels=False).astype(int))


def test_wlsmv_matches_lavaan(tmp_path):
    """WLSMV on HS items cut into ordered categories: estimates and robust SEs (loadings,
    factor (co)variances, thresholds) to 3 decimals, χ² and the scaled-shifted χ² to 1e-3
    relative, scaling factor, shift, scaled CFI/TLI/RMSEA and SRMR to 1e-3."""
    from crmsurvey.cbsem.wlsmv import nacov
    from crmsurvey.cbsem.polychoric import polychoric

    data = _ordered_hs()
    ref = run_lavaan("hs_wlsmv.R", data, tmp_path, model=HS)
    res = _quiet(HS, data, ordered=True)
    assert res.settings.estimator == "WLSMV" and res.admissible
    fit = ref["fit"]
    for k in ("chisq", "chisq.scaled"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], rel=1e-3), k
    for k in ("npar", "df", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], abs=1e-3), k
    assert res.fit["chisq_shift_parameter"] == pytest.approx(fit["shift"], abs=1e-3)
    ref["est"]["rhs"] = ref["est"]["rhs"].fillna("")
    _compare(res, ref, ops=("=~", "|"))
    got = res.estimates.set_index(["lhs", "op", "rhs"])
    for r in ref["est"][(ref["est"].op == "~~")
                        & ref["est"].lhs.isin(["visual", "textual", "speed"])].itertuples():
        key = (r.lhs, "~~", r.rhs) if (r.lhs, "~~", r.rhs) in got.index else \
            (r.rhs, "~~", r.lhs)
        assert got.loc[key, "est"] == pytest.approx(r.est, abs=1e-3)
        assert got.loc[key, "se"] == pytest.approx(r.se, abs=1e-3)
    # Γ has the size lavaan's has: 27 thresholds + 36 correlations
    assert nacov(data, polychoric(data)).shape == (63, 63)


def test_ordered_needs_wlsmv_and_items_of_the_model():
    data = _ordered_hs()
    model = HS
    with pytest.raises(cs.InputError, match="not a variable of the model"):
        cs.cbsem(model, data, ordered=["x1", "q9"])
    with pytest.raises(cs.InputError, match="goes with ordered items"):
        cs.cbsem(model, data, estimator="WLSMV")


@pytest.mark.slow
def test_wlsmv_bootstrap_refits_each_resample_as_lavaan(tmp_path):
    """Every WLSMV bootstrap draw is lavaan's WLSMV fit of that resample (thresholds,
    polychorics, DWLS weights and estimates all recomputed): the first four resamples,
    rebuilt from the shared seed blocks, fitted by lavaan, agree to 1e-4."""
    from crmsurvey.moments import resample_counts

    data = _ordered_hs()
    res = _quiet(HS, data, ordered=True, bootstrap=4, seed=11)
    assert res.settings.se == "bootstrap" and res.settings.n_failed == 0
    freq = resample_counts(len(data), 11, range(1))[:4].astype(int)
    stacked = pd.concat([data.loc[data.index.repeat(f)].assign(rep=k)
                         for k, f in enumerate(freq)], ignore_index=True)
    ref = run_lavaan("hs_wlsmv_resamples.R", stacked, tmp_path, model=HS)["est"]
    want = ref.pivot(index="rep", columns="name", values="est")
    assert len(res.draws.columns) == 6 + 6 + 27  # free loadings, factor (co)variances, τ
    for name in res.draws.columns:
        alt = name if name in want else "~~".join(name.split("~~")[::-1])
        np.testing.assert_allclose(res.draws[name], want[alt], atol=1e-4, err_msg=name)
    boot = res.estimates.set_index(["lhs", "op", "rhs"])
    assert boot.loc[("visual", "=~", "x2"), "se"] == pytest.approx(
        res.draws["visual=~x2"].std(ddof=1))


def test_polychoric_variances_from_cells_equal_muthen_gamma():
    """The bootstrap's DWLS weights come from each pair's table alone; they equal the
    diagonal of the casewise Γ (Muthén 1984), items with 2 to 5 categories mixed."""
    from crmsurvey.cbsem.ordinal_bootstrap import rho_variances
    from crmsurvey.cbsem.polychoric import polychoric, thresholds_of
    from crmsurvey.cbsem.wlsmv import nacov

    rng = np.random.default_rng(3)
    z = rng.multivariate_normal(np.zeros(4), .5 + .5 * np.eye(4), size=400)
    cuts = ([-1, 0, 1], [0], [-1.5, -.5, .5, 1.5], [-.3, .8])
    df = pd.DataFrame({c: np.digitize(z[:, j], cuts[j]) for j, c in enumerate("abcd")})
    pc = polychoric(df)
    onehot = (df.to_numpy()[:, :, None] == np.arange(5)).astype(float)
    tau = thresholds_of(onehot.sum(axis=0))
    a, b = np.triu_indices(4, 1)
    counts = np.einsum("ipk,iql->pqkl", onehot, onehot)[a, b]
    got = rho_variances(counts, tau[a], tau[b], pc.correlation.to_numpy()[a, b])
    np.testing.assert_allclose(got, np.diag(nacov(df, pc))[len(pc.thresholds):], rtol=1e-10)


def test_wlsmv_bootstrap_counts_resamples_that_lose_a_category():
    """A category answered by two respondents vanishes from many resamples: those fail
    (the thresholds would change in number), are counted and warned, and the rest count."""
    data = _ordered_hs()
    data.loc[data.index[:2], "x1"] = 4  # a fifth category, two answers
    with pytest.warns(UserWarning, match="bootstrap resamples failed"):
        res = cs.cbsem(HS, data, ordered=True, bootstrap=200, seed=3)
    failed = res.settings.n_failed
    assert 10 < failed < 60  # P(lost) = (1 − 2/301)^301 ≈ 0.13
    assert res.draws.isna().all(axis=1).sum() == failed
    assert any(d.code == "bootstrap_failures" for d in res.diagnostics)
    assert np.isfinite(res.estimates.loc[res.estimates.free, "se"]).all()
    assert res.admissible  # a threshold of 2.5 is a z value, not an improper estimate
