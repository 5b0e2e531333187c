"""What a PLS-SEM reviewer asks for: model fit, PLSpredict, model selection criteria.

References: seminr (PyPI) run here on the same ecsi_data and folds; model-fit distances
computed in the test from their published definitions (Henseler et al. 2014, Table 1 and
Appendix; Dijkstra & Henseler 2015, eq. for d_G), with seminr's own estimates as input.
"""
import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .peers import ECSI, named, seminr_model


# --- model fit ------------------------------------------------------------------------

def _composite_implied(ecsi_peer, ecsi_data, *, saturated: bool) -> tuple[np.ndarray, np.ndarray]:
    """Σ of the composite model written out block by block (Henseler et al. 2014):
    within a block the observed correlations, between blocks λ_i · cor(η_i, η_j) · λ_j';
    the estimated model's cor(η) from the structural equations, solved in causal order."""
    load = named(ecsi_peer.outer_loadings)
    scores = named(ecsi_peer.construct_scores)
    beta = named(ecsi_peer.path_coef)  # predictor × outcome
    items = list(load.index)
    s = ecsi_data[items].corr().to_numpy()
    cons = list(scores.columns)
    v = scores.corr().to_numpy()
    if not saturated:  # η = B'η + ζ, var ζ_j = 1 − R²_j, exogenous as observed (cSEM fit())
        exo = [c for c in cons if not beta[c].any()]
        a = beta.loc[cons, cons].to_numpy().T  # a[j, i]: path i → j
        psi = np.zeros_like(v)
        ex = [cons.index(c) for c in exo]
        psi[np.ix_(ex, ex)] = v[np.ix_(ex, ex)]
        for j, c in enumerate(cons):
            if c not in exo:
                psi[j, j] = 1 - (a[j] * v[j]).sum()  # 1 − R²_j
        inv = np.linalg.inv(np.eye(len(cons)) - a)
        v = inv @ psi @ inv.T
        np.fill_diagonal(v, 1.0)
    owner = [next(c for c in cons if load.loc[i, c] != 0) for i in items]
    sigma = np.empty_like(s)
    for a, ia in enumerate(items):
        for b, ib in enumerate(items):
            ca, cb = owner[a], owner[b]
            if ca == cb:
                sigma[a, b] = s[a, b]
            else:
                sigma[a, b] = (load.loc[ia, ca] * v[cons.index(ca), cons.index(cb)]
                               * load.loc[ib, cb])
    return s, sigma


@pytest.mark.parametrize("saturated", [True, False])
def test_model_fit_matches_the_definitions(ecsi_res, ecsi_peer, ecsi_data, saturated):
    s, sigma = _composite_implied(ecsi_peer, ecsi_data, saturated=saturated)
    p = len(s)
    lower = np.tril_indices(p)
    want = {
        "srmr": np.sqrt(np.mean((s - sigma)[lower] ** 2)),
        "d_uls": 0.5 * np.sum((s - sigma) ** 2),
        # base-10 logarithm, as ADANCO and cSEM (calculateDG in R/helper_assess.R)
        "d_g": 0.5 * np.sum(np.log10(np.linalg.eigvals(np.linalg.inv(s) @ sigma).real) ** 2),
    }
    f_ml = (np.linalg.slogdet(sigma)[1] + np.trace(s @ np.linalg.inv(sigma))
            - np.linalg.slogdet(s)[1] - p)
    want["chisq"] = (len(ecsi_data) - 1) * f_ml
    want["nfi"] = 1 - f_ml / -np.linalg.slogdet(s)[1]
    got = ecsi_res.model_fit.set_index("measure")["saturated" if saturated else "estimated"]
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-6), k


def test_exact_fit_test_resamples_data_that_fit_exactly(ecsi_data):
    """The Bollen–Stine transformation gives ecsi_data whose correlation matrix is the
    model-implied Σ, so the model refitted on them fits almost exactly (mode A weights
    re-estimated on Σ move a little); the test is seeded and its quantiles ordered."""
    from crmsurvey.pls.fit import _sqrtm, distances, implied_correlations, common_factors
    from crmsurvey.pls.layout import layout_of
    from crmsurvey.model import parse_model
    from crmsurvey.moments import PairProducts
    from crmsurvey.pls.stats import Options, batch_statistics

    lay = layout_of(parse_model(ECSI))
    x = ecsi_data[list(lay.items)].to_numpy()
    opts = Options("path", 1e-7, 300, False, np.tile([1.0, 10.0], (lay.p, 1)))
    m = PairProducts(x).moments(np.ones((1, len(x))))
    st = batch_statistics(m, lay, opts)
    common = common_factors(lay, False)
    sigma = implied_correlations(st, m.corr, lay, common=common, saturated=False)[0]
    z = (x - x.mean(0)) / x.std(0)
    xt = z @ _sqrtm(m.corr[0], -0.5) @ _sqrtm(sigma, 0.5)
    mt = PairProducts(xt).moments(np.ones((1, len(x))))
    assert mt.corr[0] == pytest.approx(sigma, abs=1e-10)
    stt = batch_statistics(mt, lay, opts)
    d = distances(mt.corr, implied_correlations(stt, mt.corr, lay, common=common,
                                                 saturated=False))
    # not exactly 0: besides the re-estimated weights, the implied construct matrix (cSEM's
    # 1 − R² disturbances, diagonal reset to 1) is not itself a correlation matrix
    assert d["srmr"][0] < 0.02 < 0.12 < res_srmr(st, m, lay, common)

    ecsi_res = cs.pls(ECSI, ecsi_data, scale=(1, 10), fit_test=200, seed=3)
    fit = ecsi_res.model_fit.set_index("measure")
    assert (fit.estimated_hi99 >= fit.estimated_hi95).loc[["srmr", "d_uls", "d_g"]].all()
    assert (fit.estimated_hi95 > 0).loc[["srmr", "d_uls", "d_g"]].all()
    # the mobi ECSI model does not fit exactly (SRMR 0.124 > its HI95)
    assert fit.loc["srmr", "estimated"] > fit.loc["srmr", "estimated_hi95"]
    again = cs.pls(ECSI, ecsi_data, scale=(1, 10), fit_test=200, seed=3).model_fit
    pd.testing.assert_frame_equal(ecsi_res.model_fit, again)


def res_srmr(st, m, lay, common):
    from crmsurvey.pls.fit import distances, implied_correlations

    return distances(m.corr, implied_correlations(st, m.corr, lay, common=common,
                                                  saturated=False))["srmr"][0]


def test_consistent_fit_treats_reflective_blocks_as_common_factors(ecsi_data):
    """Under PLSc a block's implied correlations are λ_a λ_b (not the observed ones)."""
    ecsi_res = cs.pls(ECSI, ecsi_data, scale=(1, 10), consistent=True)
    from crmsurvey.pls.fit import common_factors
    from crmsurvey.pls.layout import layout_of
    from crmsurvey.model import parse_model

    lay = layout_of(parse_model(ECSI))
    assert common_factors(lay, True).sum() == 6  # Complaints has one item
    assert ecsi_res.model_fit.saturated.notna().all()
    from crmsurvey.moments import PairProducts
    from crmsurvey.pls.stats import Options, batch_statistics
    from crmsurvey.pls.fit import implied_correlations

    x = ecsi_data[list(lay.items)].to_numpy()
    m = PairProducts(x).moments(np.ones((1, len(x))))
    st = batch_statistics(m, lay, Options("path", 1e-7, 300, True,
                                          np.tile([1.0, 10.0], (lay.p, 1))))
    sigma = implied_correlations(st, m.corr, lay, common=common_factors(lay, True),
                                 saturated=True)[0]
    lam = ecsi_res.loadings.set_index("rhs").est
    idx = [lay.items.index(i) for i in ("PERQ1", "PERQ2", "PERQ3")]
    want = np.outer(lam[["PERQ1", "PERQ2", "PERQ3"]], lam[["PERQ1", "PERQ2", "PERQ3"]])
    np.fill_diagonal(want, 1)
    np.testing.assert_allclose(sigma[np.ix_(idx, idx)], want, atol=1e-12)
    assert not np.allclose(sigma[np.ix_(idx, idx)], m.corr[0][np.ix_(idx, idx)])


# --- model selection ------------------------------------------------------------------

def test_information_criteria_match_seminr(ecsi_res, ecsi_peer):
    import seminr as s

    want = named(s.it_criteria(ecsi_peer))
    got = ecsi_res.model_selection.set_index("construct")
    for c in want.columns:
        assert got.loc[c, "aic"] == pytest.approx(want.loc["AIC", c], rel=1e-6)
        assert got.loc[c, "bic"] == pytest.approx(want.loc["BIC", c], rel=1e-6)


def test_geweke_meese_uses_the_saturated_model(ecsi_res, ecsi_data):
    """GM = SSE/MSE_sat + k ln n (Sharma et al. 2019), MSE_sat from seminr fitting the
    saturated structural model (each construct predicting every later one)."""
    order = ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints",
             "Loyalty"]
    blocks = "\n".join(line for line in ECSI.strip().splitlines() if "=~" in line)
    sat = blocks + "\n" + "\n".join(f"{c} ~ {' + '.join(order[:i])}"
                                    for i, c in enumerate(order) if i)
    sat_r2 = named(seminr_model(sat, ecsi_data).r_squared)
    n = len(ecsi_data)
    for row in ecsi_res.model_selection.itertuples():
        r2 = ecsi_res.r2.set_index("construct").r2[row.construct]
        k = row.predictors + 1
        mse = 1 - sat_r2.loc["Rsq", row.construct]
        assert row.gm == pytest.approx((1 - r2) * (n - 1) / mse + k * np.log(n), rel=1e-6)


def test_model_weights_prefer_the_better_model(ecsi_data):
    base = "\n".join(line for line in ECSI.strip().splitlines() if "=~" in line)
    full = cs.pls(ECSI, ecsi_data, scale=(1, 10))
    thin = cs.pls(base + "\nExpectation ~ Image\nQuality ~ Expectation\n"
                  "Value ~ Expectation + Quality\nSatisfaction ~ Value\n"
                  "Complaints ~ Satisfaction\nLoyalty ~ Image + Satisfaction + Complaints",
                  ecsi_data, scale=(1, 10))
    w = cs.pls.model_weights({"ecsi": full, "value only": thin}, "Satisfaction")
    assert w.weight.sum() == pytest.approx(1)
    assert w.set_index("model").loc["ecsi", "weight"] > 0.99


# --- PLSpredict -----------------------------------------------------------------------

def _seminr_folds(n: int, k: int, seed: int) -> tuple[list[int], np.ndarray]:
    """A row order for seminr (its folds are contiguous cuts of the order) and the
    same fold of each row for crmsurvey."""
    from seminr.predict.predict_pls import cut_folds

    order = [int(i) for i in np.random.default_rng(seed).permutation(n)]
    ids = np.empty(n, dtype=int)
    ids[order] = np.array(cut_folds(n, k)) - 1
    return order, ids


@pytest.mark.parametrize("technique", ["DA", "EA"])
def test_plspredict_matches_seminr_on_the_same_folds(ecsi_res, ecsi_peer, ecsi_data, technique):
    import seminr as s

    order, ids = _seminr_folds(len(ecsi_data), 10, seed=11)
    fn = s.predict_DA if technique == "DA" else s.predict_EA
    want = s.predict_pls(ecsi_peer, technique=fn, no_folds=10, ordering=order)
    got = ecsi_res.predict(fold_ids=ids, technique=technique)
    pls_oos = named(want.items.pls_out_of_sample)
    lm_oos = named(want.items.lm_out_of_sample)
    assert sorted(got.predictions.columns) == sorted(pls_oos.columns)
    for c in got.predictions.columns:
        np.testing.assert_allclose(got.predictions[c], pls_oos[c], atol=1e-6)
        np.testing.assert_allclose(got.lm_predictions[c], lm_oos[c], atol=1e-6)
    # RMSE and MAE as seminr's summary computes them from the same predictions
    items = got.items.set_index("item")
    for c in pls_oos.columns:
        e = ecsi_data[c].to_numpy() - pls_oos[c].to_numpy()
        assert items.loc[c, "rmse"] == pytest.approx(np.sqrt(np.mean(e**2)), rel=1e-9)
        assert items.loc[c, "mae"] == pytest.approx(np.mean(np.abs(e)), rel=1e-9)
        # Q²predict against the training-fold mean (Shmueli et al. 2019)
        train_mean = np.array([ecsi_data[c][ids != ids[i]].mean() for i in range(len(ecsi_data))])
        q2 = 1 - np.sum(e**2) / np.sum((ecsi_data[c].to_numpy() - train_mean) ** 2)
        assert items.loc[c, "q2_predict"] == pytest.approx(q2, rel=1e-9)


def test_plspredict_leave_one_out_matches_seminr(ecsi_res, ecsi_peer, ecsi_data):
    import seminr as s

    want = named(s.predict_pls(ecsi_peer, technique=s.predict_DA, no_folds=None,
                               ordering=list(range(len(ecsi_data)))).items.pls_out_of_sample)
    got = ecsi_res.predict(fold_ids=np.arange(len(ecsi_data)))
    for c in want.columns:
        np.testing.assert_allclose(got.predictions[c], want[c], atol=1e-6)


def test_plspredict_repetitions_are_seeded_and_pooled(ecsi_res):
    a = ecsi_res.predict(folds=5, reps=3, seed=7)
    b = ecsi_res.predict(folds=5, reps=3, seed=7)
    pd.testing.assert_frame_equal(a.items, b.items)
    assert a.reps == 3 and len(a.items) == 19
    assert set(a.constructs.predictive_power) <= {"high", "medium", "low", "none"}
    with pytest.raises(cs.InputError):
        ecsi_res.predict(folds=1)
    with pytest.raises(cs.InputError):
        ecsi_res.predict(technique="XX")
