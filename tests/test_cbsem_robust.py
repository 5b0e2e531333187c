"""Analytic FIML/MLR derivatives and the robust fit indices (cfi_robust, tli_robust,
rmsea_robust) for MLR with FIML and for WLSMV, against numerical derivatives written in
the test and against lavaan 0.6 run in the test (R code in tests/lavaan/)."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.cbsem import fiml, information, patterns
from crmsurvey.cbsem.mlr import saturated_scores

from .lavaan import run_lavaan

PD = """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""

# four factors, the data with a cross-loading and a residual correlation the model leaves
# out: the robust indices sit inside (0, 1), not at their bounds
SURVEY = "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, 5)) for c in "ABCD")


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.cbsem(*args, **kwargs)


def survey(n: int = 800, seed: int = 5, holes: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = 0.4 + 0.6 * np.eye(4)
    f = rng.standard_normal((n, 4)) @ np.linalg.cholesky(phi).T
    lam = rng.uniform(0.55, 0.85, 16)
    x = f[:, np.repeat(np.arange(4), 4)] * lam + rng.standard_normal((n, 16)) * 0.6
    x[:, 3] += 0.5 * f[:, 1]  # A4 also measures B
    shared = rng.standard_normal(n)
    x[:, 8] += 0.4 * shared  # C1 and C2 share a residual
    x[:, 9] += 0.4 * shared
    x = np.clip(np.round(3.5 + 1.1 * x), 1, 6)  # six-point items
    x[rng.random(x.shape) < holes] = np.nan
    return pd.DataFrame(x, columns=[f"{c}{i}" for c in "ABCD" for i in range(1, 5)])


def _central(fn, x: np.ndarray, h: float) -> np.ndarray:
    """Central differences, column by column (the test's own numerical derivative)."""
    cols = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = h * max(1.0, abs(x[k]))
        cols.append((np.asarray(fn(x + e)) - np.asarray(fn(x - e))) / (2 * e[k]))
    return np.column_stack(cols)


@pytest.fixture(scope="module")
def pd_holes():
    from semopy.examples import political_democracy as pdx

    data = pdx.get_data()
    cols = [f"x{i}" for i in range(1, 4)] + [f"y{i}" for i in range(1, 9)]
    return data[cols].mask(np.random.default_rng(3).random((len(data), 11)) < 0.1)


@pytest.fixture(scope="module")
def pd_structure(pd_holes):
    import semopy

    from crmsurvey.cbsem.structure import structure_of

    sem = semopy.Model(PD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem.fit(pd_holes.dropna())
    st = structure_of(sem)
    x = pd_holes[list(st.observed)].to_numpy(float)
    return st, x, np.asarray(sem.param_vals, float)


def test_pair_trace_is_the_duplication_sandwich():
    """``pair_trace(U, V)`` equals D'(U ⊗ V)D with the duplication matrix D built here."""
    rng = np.random.default_rng(0)
    p = 4
    u = rng.standard_normal((p, p))
    u = u + u.T
    v = rng.standard_normal((p, p))
    v = v @ v.T
    i, j = np.tril_indices(p)
    dup = np.zeros((p * p, len(i)))
    for k, (a, b) in enumerate(zip(i, j)):
        dup[a * p + b, k] = dup[b * p + a, k] = 1.0  # vec index of (a, b) and (b, a)
    want = dup.T @ np.kron(u, v) @ dup
    got = information.pair_trace(u[None], v[None], np.ones(1))
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_saturated_loglik_gradient_and_information_are_the_derivatives(pd_holes):
    """Row scores sum to the numerical gradient of ℓ(μ, vech Σ); the analytic observed
    information is the numerical Jacobian of the summed scores (relative 1e-6); the EM
    estimates are a stationary point."""
    x = pd_holes.to_numpy(float)
    pat = patterns.Patterns.of(x)
    p = x.shape[1]
    i, j = np.tril_indices(p)
    mu, sigma = patterns.em_saturated(pat, p)
    mu, sigma = mu + 0.2, sigma * 1.1 + 0.05 * np.eye(p)  # away from the optimum

    def unpack(ph):
        s = np.zeros((p, p))
        s[i, j] = s[j, i] = ph[p:]
        return ph[:p], s

    def loglik_rows(ph):  # the definition, row by row
        m, s = unpack(ph)
        total = 0.0
        for row in x:
            o = ~np.isnan(row)
            d = row[o] - m[o]
            so = s[np.ix_(o, o)]
            total -= 0.5 * (o.sum() * np.log(2 * np.pi) + np.linalg.slogdet(so)[1]
                            + d @ np.linalg.solve(so, d))
        return total

    phi = np.concatenate([mu, sigma[i, j]])
    assert patterns.loglik(pat, mu, sigma) == pytest.approx(loglik_rows(phi), rel=1e-12)
    grad = saturated_scores(x, mu, sigma, pat).sum(axis=0)
    num_grad = _central(lambda ph: np.array([loglik_rows(ph)]), phi, 1e-5)[0]
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-6 * np.abs(grad).max())
    info = information.saturated_information(pat, mu, sigma)
    num = -_central(lambda ph: saturated_scores(x, *unpack(ph), pat).sum(axis=0), phi,
                    1e-6) / len(x)
    assert np.abs(info - num).max() < 1e-6 * np.abs(info).max()
    m1, s1 = patterns.em_saturated(pat, p)
    assert np.abs(saturated_scores(x, m1, s1, pat).sum(axis=0)).max() < 1e-6


@pytest.mark.slow
def test_fiml_hessian_is_the_derivative_of_the_gradient(pd_structure):
    """The analytic Hessian of −ℓ in (θ, μ) for a model with paths, loadings, factor and
    residual covariances equals the numerical Jacobian of the analytic gradient, and the
    gradient the numerical derivative of −ℓ (relative 1e-6)."""
    st, x, theta = pd_structure
    pat = patterns.Patterns.of(x)
    mu = np.nanmean(x, axis=0) + 0.1
    par = np.concatenate([theta, mu])
    f = fiml._objective(st, pat, x.shape[1])
    value, grad = f(par)
    num_grad = _central(lambda v: np.array([f(v)[0]]), par, 1e-6)[0]
    assert np.abs(grad - num_grad).max() < 1e-6 * np.abs(grad).max()
    hess = information.observed_information(st, pat, theta, mu)
    num = _central(lambda v: f(v)[1], par, 1e-6)
    assert np.abs(hess - num).max() < 1e-6 * np.abs(hess).max()


@pytest.mark.slow
def test_mlr_fiml_with_paths_matches_lavaan(tmp_path, pd_holes):
    """Political Democracy with planted holes, MLR with FIML: estimates and Huber–White
    SEs (and intercepts) to 1e-3, χ² and the scaled χ² to 1e-3 relative, the scaling
    factor and the FIML-corrected robust CFI/TLI/RMSEA to 1e-3."""
    ref = run_lavaan("robust_mlr_fiml.R", pd_holes, tmp_path, model=PD)
    res = _quiet(PD, pd_holes, estimator="MLR", missing="fiml")
    assert res.settings.se == "robust.huber.white" and res.admissible
    fit = ref["fit"]
    for k in ("chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], rel=1e-3), k
    assert res.fit["loglik"] == pytest.approx(fit["logl"], rel=1e-6)
    for k in ("chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], abs=1e-3), k
    got = res.estimates.set_index(["lhs", "op", "rhs"])
    est = ref["est"].assign(rhs=ref["est"].rhs.fillna(""))
    checked = 0
    for r in est.itertuples():
        key = (r.lhs, r.op, r.rhs)
        if key not in got.index or r.se == 0:
            continue
        assert got.loc[key, "est"] == pytest.approx(r.est, abs=1e-3), key
        assert got.loc[key, "se"] == pytest.approx(r.se, abs=1e-3), key
        checked += 1
    assert checked >= 30


@pytest.mark.slow
def test_mlr_fiml_robust_indices_on_a_misfitting_survey_match_lavaan(tmp_path):
    """A 16-item survey with holes and a misspecified CFA: the FIML-corrected robust
    indices inside (0, 1) match lavaan to 1e-3."""
    data = survey()
    ref = run_lavaan("robust_mlr_fiml.R", data, tmp_path, model=SURVEY)
    res = _quiet(SURVEY, data, estimator="MLR", missing="fiml")
    fit = ref["fit"]
    assert 0.5 < fit["cfi.robust"] < 0.999 and fit["rmsea.robust"] > 0.01
    assert res.fit["chisq_scaled"] == pytest.approx(fit["chisq.scaled"], rel=1e-3)
    for k in ("cfi.robust", "tli.robust", "rmsea.robust"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], abs=1e-3), k


@pytest.mark.slow
@pytest.mark.parametrize("model", ["HS", "SURVEY"])
def test_wlsmv_robust_indices_match_lavaan(tmp_path, model):
    """WLSMV, every item ordered: cfi_robust, tli_robust, rmsea_robust (Savalei 2021) to
    1e-3 — Holzinger–Swineford cut into four categories, and the misfitting survey's
    complete rows as six-point items."""
    if model == "HS":
        from semopy.examples import holzinger39

        from .peers import HS as syntax

        data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
        data = data.apply(lambda c: pd.cut(c, [-np.inf, *c.quantile([.25, .5, .8]),
                                               np.inf], labels=False).astype(int))
    else:
        syntax, data = SURVEY, survey(holes=0.0).astype(int)
    ref = run_lavaan("robust_wlsmv.R", data, tmp_path, model=syntax)
    res = _quiet(syntax, data, ordered=True)
    fit = ref["fit"]
    assert 0.5 < fit["cfi.robust"] < 0.999
    assert res.fit["chisq_scaled"] == pytest.approx(fit["chisq.scaled"], rel=1e-3)
    for k in ("cfi.robust", "tli.robust", "rmsea.robust"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(fit[k], abs=1e-3), k


def test_distributions_agree_with_scipy():
    """The scipy-free χ², non-central χ² and normal functions of a fit's report against
    scipy.special on a grid (relative 1e-10; the RMSEA interval's λ to 1e-9)."""
    from scipy import special

    from crmsurvey.cbsem import distributions as dist

    rng = np.random.default_rng(4)
    for df in (1, 2, 5, 24, 35, 265, 1200):
        for x in rng.uniform(0.05, 3, 6) * df:
            assert dist.chi2_sf(x, df) == pytest.approx(special.chdtrc(df, x), rel=1e-10)
            for nc in (0.0, 0.3 * df, 2.0 * df):
                assert dist.ncx2_cdf(x, df, nc) == pytest.approx(
                    special.chndtr(x, df, nc), rel=1e-10, abs=1e-14)
            for prob in (0.05, 0.95):
                want = special.chndtrinc(x, df, prob) if special.chdtr(df, x) >= prob else 0
                assert dist.ncx2_noncentrality(x, df, prob) == pytest.approx(
                    want, rel=1e-9, abs=1e-9)
    z = np.array([-9.0, -1.96, -0.3, 0.0, 0.7, 3.1, 8.5, np.nan])
    np.testing.assert_allclose(dist.norm_sf(z), special.ndtr(-z), rtol=1e-12)
    for p in (1e-12, 0.025, 0.5, 0.95, 0.975, 1 - 1e-9):
        assert dist.norm_ppf(p) == pytest.approx(special.ndtri(p), rel=1e-9)


def test_bootstrap_draws_are_each_resamples_ml_solution():
    """The batched bootstrap (shared full-sample information, rank-two derivatives) ends
    where each resample's own ML fit does: the ML discrepancy written here has a zero
    numerical gradient at the draws, and per-resample Fisher scoring from the same start
    (each its own information) gives the same draws (1e-7)."""
    import semopy

    from crmsurvey.cbsem.bootstrap import CBChunk, cbsem_chunk
    from crmsurvey.cbsem.scoring import score_fit
    from crmsurvey.cbsem.structure import structure_of
    from crmsurvey.moments import PairProducts, resample_counts

    data = survey(n=400, holes=0.0).iloc[:, :8]
    model = "A =~ A1 + A2 + A3 + A4\nB =~ B1 + B2 + B3 + B4"
    sem = semopy.Model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem.fit(data)
    st = structure_of(sem)
    x = data[list(st.observed)].to_numpy(float)
    s_full = np.cov(x, rowvar=False, bias=True)
    theta = score_fit(st, s_full[None], np.asarray(sem.param_vals, float)[None]).theta[0]
    draws, failed, _ = cbsem_chunk(CBChunk(st, x, np.ones(len(x)), theta, "ML", 11,
                                           range(0, 1), 40))
    assert not failed.any()
    s = PairProducts(x).moments(resample_counts(len(x), 11, range(0, 1))[:40]).cov
    own = score_fit(st, s, np.tile(theta, (40, 1))).theta
    np.testing.assert_allclose(draws, own, atol=1e-7)
    p = len(s_full)

    def f_ml(t, sk):  # log|Σ| + tr(SΣ⁻¹) − log|S| − p, Σ from the structure
        sigma = st.implied(t[None])[0][0]
        return (np.linalg.slogdet(sigma)[1] + np.trace(sk @ np.linalg.inv(sigma))
                - np.linalg.slogdet(sk)[1] - p)

    for b in range(0, 40, 13):
        grad = _central(lambda t: np.array([f_ml(t, s[b])]), draws[b], 1e-6)[0]
        assert np.abs(grad).max() < 1e-6


def test_mlr_fiml_on_complete_rows_uses_lavaans_fiml_corrected_indices(tmp_path):
    """missing="fiml" on data without holes: lavaan (missing = "ml") still takes the
    FIML-corrected robust CFI/TLI/RMSEA, not the complete-data ones; so do we (1e-3)."""
    from semopy.examples import holzinger39

    from .peers import HS

    data = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    ref = run_lavaan("hs_mlr.R", data, tmp_path, model=HS, MISSING="ml")
    res = _quiet(HS, data, estimator="MLR", missing="fiml")
    listwise = _quiet(HS, data, estimator="MLR", missing="listwise")
    assert abs(res.fit["cfi_robust"] - listwise.fit["cfi_robust"]) > 1e-3  # they differ
    for k in ("chisq.scaled", "cfi.robust", "tli.robust", "rmsea.robust"):
        assert res.fit[k.replace(".", "_")] == pytest.approx(ref["fit"][k], abs=1e-3), k


def test_fiml_with_collinear_items_is_a_clear_error():
    """Two identical columns make Σ singular during EM: EM stops there (it used to fail
    on unpacking None) and FIML refuses with the reason; a study records it as
    model_failed (tests/test_hostile.py)."""
    df = survey(n=300, seed=2)
    df["A2"] = df["A1"]
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        _quiet(SURVEY, df, missing="fiml")
