"""Latent-class segmentation (crmsurvey.analytics.latent_class) on simulated data,
against a plain two-class EM written out here (loops over classes, scipy's densities)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import xlogy

from crmsurvey.analytics.latent_class import latent_classes
from crmsurvey.errors import InputError


def _planted(n, seed, two=True):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    cl = (rng.random(n) < 1 / (1 + np.exp(-(-0.2 + 1.0 * z)))).astype(int) if two \
        else np.zeros(n, int)
    x1 = rng.normal(np.where(cl == 0, 0.0, 2.2), 1.0)
    x2 = rng.normal(np.where(cl == 0, 1.0, -1.0), np.where(cl == 0, 0.8, 0.6))
    p_prom = np.where(cl == 0, 0.7, 0.15)
    u = rng.random(n)
    nps = np.where(u < p_prom, "promoter",
                   np.where(u < p_prom + (1 - p_prom) / 2, "passive", "detractor"))
    return pd.DataFrame({"x1": x1, "x2": x2, "nps": nps, "z": z}), cl


def _plain_em(x, cat, k=2, iters=3000):
    """Textbook EM of a two-class mixture: diagonal normals for x's columns and one
    multinomial, started from a split at the first column's median."""
    n, j = x.shape
    levels = sorted(set(cat))
    r = np.zeros((n, k))
    r[:, 0] = x[:, 0] <= np.median(x[:, 0])
    r[:, 1] = 1 - r[:, 0]
    ll_old = -np.inf
    for _ in range(iters):
        pi = r.mean(axis=0)
        dens = np.zeros((n, k))
        params = []
        for c in range(k):
            w = r[:, c]
            mu = (w[:, None] * x).sum(0) / w.sum()
            var = (w[:, None] * (x - mu) ** 2).sum(0) / w.sum()
            probs = {lev: w[cat == lev].sum() / w.sum() for lev in levels}
            f = pi[c] * np.prod(stats.norm.pdf(x, mu, np.sqrt(var)), axis=1)
            f = f * np.array([probs[v] for v in cat])
            dens[:, c] = f
            params.append((mu, var, probs))
        ll = np.log(dens.sum(1)).sum()
        r = dens / dens.sum(1, keepdims=True)
        if abs(ll - ll_old) < 1e-11 * abs(ll):
            break
        ll_old = ll
    return ll, r, params


@pytest.fixture(scope="module")
def two():
    df, cl = _planted(1200, 11)
    lc = latent_classes(df, continuous=["x1", "x2"], categorical=["nps"],
                        covariates=["z"], classes=[1, 2, 3], starts=8, seed=3)
    return df, cl, lc


def test_two_planted_classes_found(two):
    df, cl, lc = two
    assert lc.chosen == 2
    f = lc.fit
    acc = max(np.mean(f.classes - 1 == cl), np.mean(f.classes - 1 != cl))
    assert acc >= 0.9
    assert 0 < f.share_best <= 1 and f.starts == 8
    assert f.posterior.shape == (len(df), 2)
    np.testing.assert_allclose(f.posterior.sum(1), 1.0)
    # the class with high x1 is planted class 1; its covariate log-odds is +1.0 (z's SD ≈ 1)
    prof = f.profiles.set_index(["variable", "level", "class"])["value"]
    hi = 1 if prof[("x1", "", 1)] > prof[("x1", "", 2)] else 2
    sign = 1 if hi == 2 else -1    # coef is class 2 against class 1
    coef = f.covariates.query("covariate == 'z'")["coef"].item()
    assert abs(sign * coef * (1 / df["z"].std(ddof=0)) - 1.0) < 0.3
    assert abs(prof[("x1", "", hi)] - 2.2) < 0.2
    assert abs(prof[("nps", "promoter", hi)] - 0.15) < 0.06
    m = lc.membership()
    assert list(m.columns) == ["class", "p1", "p2"] and (m.index == df.index).all()


def test_criteria_as_defined(two):
    _, _, lc = two
    for _, row in lc.table.iterrows():
        n, m2, p = len(lc.index), -2 * row.loglik, row.npar
        assert row.bic == pytest.approx(m2 + np.log(n) * p)
        assert row.caic == pytest.approx(m2 + (np.log(n) + 1) * p)
        assert row.aic3 == pytest.approx(m2 + 3 * p)
    # 2 normals (mean, variance) + 2 free NPS shares per class, + (intercept, z) for class 2
    assert lc.table.set_index("classes").loc[2, "npar"] == 2 * (4 + 2) + 2
    post = lc.fit.posterior
    ent = 1 + xlogy(post, post).sum() / (len(post) * np.log(2))
    assert lc.fit.entropy == pytest.approx(ent)


def test_matches_plain_em_two_classes():
    df, _ = _planted(500, 5)
    lc = latent_classes(df, continuous=["x1", "x2"], categorical=["nps"], classes=[2],
                        starts=6, seed=2, tol=1e-14, max_iter=5000)
    ll, r, params = _plain_em(df[["x1", "x2"]].to_numpy(), df["nps"].to_numpy())
    f = lc.fit
    assert f.loglik == pytest.approx(ll, rel=1e-8)
    # align labels by the first mean
    prof = f.profiles.set_index(["variable", "level", "class"])["value"]
    ours = [prof[("x1", "", 1)], prof[("x1", "", 2)]]
    flip = (ours[0] > ours[1]) != (params[0][0][0] > params[1][0][0])
    post = f.posterior[:, ::-1] if flip else f.posterior
    np.testing.assert_allclose(post, r, atol=1e-4)
    for c in range(2):
        cc = (1 - c if flip else c) + 1
        mu, _, probs = params[c]
        assert prof[("x1", "", cc)] == pytest.approx(mu[0], abs=1e-4)
        assert prof[("x2", "", cc)] == pytest.approx(mu[1], abs=1e-4)
        assert prof[("nps", "promoter", cc)] == pytest.approx(probs["promoter"], abs=1e-4)


def test_one_class_chosen_when_there_is_one():
    df, _ = _planted(800, 21, two=False)
    lc = latent_classes(df, continuous=["x1", "x2"], categorical=["nps"],
                        classes=[1, 2, 3], starts=5, seed=1)
    assert lc.chosen == 1
    assert lc.fit.sizes.tolist() == [1.0]


def test_bad_input_is_input_error():
    df, _ = _planted(50, 1)
    with pytest.raises(InputError, match="no column 'nope'"):
        latent_classes(df, continuous=["nope"])
    with pytest.raises(InputError):
        latent_classes(df.assign(c=1.0), continuous=["c"])
    with pytest.raises(InputError):
        latent_classes(df, continuous=["x1"], criterion="xyz")
    with pytest.raises(InputError, match="covariate 'z' is missing for 1 respondents"):
        latent_classes(df.assign(z=df.z.where(df.index != 3)), continuous=["x1"],
                       covariates=["z"])


def test_explain_segments_against_scipy():
    from crmsurvey.analytics.profiling import explain_segments

    rng = np.random.default_rng(4)
    n = 300
    seg = rng.integers(1, 4, n)
    df = pd.DataFrame({"brand": np.where(rng.random(n) < 0.3 + 0.2 * (seg == 2), "A", "B"),
                       "age": rng.normal(40 + 5 * seg, 8)})
    df.loc[::17, "age"] = np.nan
    sp = explain_segments(seg, df, ["brand", "age"])
    t = sp.tests.set_index("variable")
    tab = pd.crosstab(seg, df["brand"]).to_numpy()
    chi, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    assert t.loc["brand", "statistic"] == pytest.approx(chi)
    assert t.loc["brand", "pvalue"] == pytest.approx(p)
    assert t.loc["brand", "df"] == dof
    assert t.loc["brand", "effect"] == pytest.approx(np.sqrt(chi / n))
    ok = df["age"].notna().to_numpy()
    f, p = stats.f_oneway(*[df["age"][ok & (seg == k)] for k in (1, 2, 3)])
    assert t.loc["age", "statistic"] == pytest.approx(f)
    assert t.loc["age", "pvalue"] == pytest.approx(p)
    prof = sp.profile.set_index(["variable", "level", "segment"])["value"]
    assert prof[("age", "", 2)] == pytest.approx(df["age"][ok & (seg == 2)].mean())
    assert prof[("brand", "A", 1)] == pytest.approx(np.mean(df["brand"][seg == 1] == "A"))


def test_weights_count_as_repeated_rows():
    """A weight of 2 is the respondent twice: the same estimates and posteriors; the
    log-likelihood of the doubled data, scaled to the respondents (weights mean 1)."""
    df, _ = _planted(300, 8)
    w = np.where(np.arange(300) % 3 == 0, 2.0, 1.0)
    twice = pd.concat([df, df[w == 2]], ignore_index=True)
    kw = dict(continuous=["x1", "x2"], categorical=["nps"], covariates=["z"], classes=[2],
              starts=4, seed=1, tol=1e-13, max_iter=4000)
    a = latent_classes(df, weights=w, **kw).fit
    b = latent_classes(twice, **kw).fit
    pa = a.profiles.set_index(["variable", "level", "class"])["value"]
    pb = b.profiles.set_index(["variable", "level", "class"])["value"]
    np.testing.assert_allclose(pa.sort_index(), pb.sort_index(), atol=1e-5)
    np.testing.assert_allclose(a.sizes, b.sizes, atol=1e-6)
    np.testing.assert_allclose(a.posterior, b.posterior[:300], atol=1e-5)
    assert a.loglik == pytest.approx(b.loglik * 300 / 400, rel=1e-7)


@pytest.mark.parametrize("with_covariate", [False, True])
def test_matches_stepmix(with_covariate):
    """The same model fitted by StepMix (the maintained latent-class library; its
    one-step covariate model by Newton–Raphson): log-likelihood, BIC, class profiles
    and the covariate's log-odds agree."""
    stepmix = pytest.importorskip("stepmix.stepmix")
    from stepmix.utils import get_mixed_descriptor

    df, _ = _planted(600, 5)
    x = pd.DataFrame({"x1": df.x1, "x2": df.x2, "nps": pd.Categorical(df["nps"]).codes})
    data, descriptor = get_mixed_descriptor(dataframe=x, continuous=["x1", "x2"],
                                            categorical=["nps"])
    z = ((df.z - df.z.mean()) / df.z.std(ddof=0)).to_frame()
    sm = stepmix.StepMix(n_components=2, measurement=descriptor, n_init=10, random_state=1,
                         max_iter=20000, abs_tol=1e-12, rel_tol=1e-12, verbose=0,
                         progress_bar=0,
                         **({"structural": "covariate", "structural_params": {
                             "method": "newton-raphson", "max_iter": 1}}
                            if with_covariate else {}))
    args = (data, z) if with_covariate else (data,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm.fit(*args)
    ours = latent_classes(df, continuous=["x1", "x2"], categorical=["nps"],
                          covariates=["z"] if with_covariate else [], classes=[2],
                          starts=10, seed=1, tol=1e-13, max_iter=20000).fit
    assert ours.loglik == pytest.approx(sm.score(*args) * len(df), rel=1e-9)
    if not with_covariate:
        assert ours.criteria["bic"] == pytest.approx(sm.bic(data), rel=1e-9)
    par = sm.get_parameters()
    means = par["measurement"]["continuous"]["means"]                # (class, x1/x2)
    pis = par["measurement"]["categorical"]["pis"]                   # (class, level)
    prof = ours.profiles.set_index(["variable", "level", "class"])["value"]
    theirs = {c: int(np.argmin(np.abs(means[:, 0] - prof[("x1", "", c)]))) for c in (1, 2)}
    assert sorted(theirs.values()) == [0, 1]
    for c, s in theirs.items():
        assert prof[("x2", "", c)] == pytest.approx(means[s, 1], abs=1e-6)
        for i, lev in enumerate(sorted(df["nps"].unique())):
            assert prof[("nps", lev, c)] == pytest.approx(pis[s, i], abs=1e-6)
    if with_covariate:
        beta = par["structural"]["beta"]                             # (class, [1, z])
        slope = beta[theirs[2], 1] - beta[theirs[1], 1]
        assert ours.covariates["coef"].item() == pytest.approx(slope, abs=1e-5)


def test_one_start_at_the_best_is_a_diagnostic():
    from crmsurvey.analytics.latent_class import one_start

    class Fit:
        starts, share_best = 10, 0.1

    d = one_start("latent classes", Fit)
    assert d.code == "segments_one_start" and d.concerns == ("10",)
    Fit.share_best = 0.2
    assert one_start("latent classes", Fit) is None
    Fit.starts, Fit.share_best = 1, 1.0
    assert one_start("latent classes", Fit) is None


def test_rating_scale_classes_are_not_degenerate():
    """Answers on a 0–10 grid: a class of identical answers has variance h²/12 at least
    (Sheppard), so BIC finds the two planted classes instead of ever more classes of
    respondents who gave the same answers (with a 1e-6 floor it chose 4 here)."""
    rng = np.random.default_rng(0)
    n = 400
    mu = np.where((rng.random(n) < 0.4)[:, None], 7.5, 3.5)
    df = pd.DataFrame(np.rint(mu + rng.normal(0, 1.2, (n, 4))), columns=list("abcd"))
    lc = latent_classes(df, continuous=list("abcd"), classes=[1, 2, 3, 4], seed=1)
    assert lc.chosen == 2
    # no likelihood spike from a class of identical answers (it was 628 above 2 classes)
    assert lc.fits[4].loglik - lc.fits[2].loglik < 60
