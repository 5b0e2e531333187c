"""CVPAT (Liengaard et al. 2021; Sharma et al. 2023) and the Gaussian copula test of
endogeneity (Park & Gupta 2012; Hult et al. 2018), checked against definitions written out
here and against simulations whose answer is known."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.moments import resample_indices
from crmsurvey.pls.cvpat import cvpat, cvpat_compare
from crmsurvey.pls.endogeneity import copula_test
from crmsurvey.pls.predict import assign_folds

MODEL = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ X + M
"""
NO_XY = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ M
"""


def _items(rng, name, latent, loading=0.8):
    n = len(latent)
    return {f"{name}{k}": loading * latent + np.sqrt(1 - loading**2) * rng.normal(size=n)
            for k in (1, 2, 3)}


def _chain(rng, n, a=0.6, b=0.3, c=0.5) -> pd.DataFrame:
    """X → M (a), X → Y (b), M → Y (c), standardised latent variables, loadings .8."""
    x = rng.normal(size=n)
    m = a * x + np.sqrt(1 - a**2) * rng.normal(size=n)
    ry = b * x + c * m
    y = ry + np.sqrt(max(1e-9, 1 - np.var(ry))) * rng.normal(size=n)
    return pd.DataFrame({**_items(rng, "x", x), **_items(rng, "m", m), **_items(rng, "y", y)})


def _fit(model, df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # index bounds of frames without a scale
        return cs.pls(model, df, **kw)


# --- CVPAT: the losses against a computation written out here -------------------------

def _direct_losses(df: pd.DataFrame, ids: np.ndarray):
    """Per-respondent losses of PLS (DA), IA and LM for Y's and M's items, each fold model
    fitted from scratch on its training rows (cs.pls on the subset; numpy least squares)."""
    n = len(df)
    endo = {"M": ["m1", "m2", "m3"], "Y": ["y1", "y2", "y3"]}
    ante = {"M": ["X"], "Y": ["X", "M"]}
    blocks = {"X": ["x1", "x2", "x3"], **endo}
    sq = {k: np.zeros((n, 6)) for k in ("pls", "ia", "lm")}
    targets = endo["M"] + endo["Y"]
    for r in range(ids.shape[0]):
        for f in np.unique(ids[r]):
            test, train = ids[r] == f, ids[r] != f
            tr = df[train]
            res = _fit(MODEL, tr.reset_index(drop=True))
            mean, sd = tr.mean(), tr.std(ddof=0)
            z = (df[test] - mean) / sd
            w = res.weights.set_index("rhs").est
            score = {c: z[its].to_numpy() @ w[its].to_numpy() for c, its in blocks.items()}
            beta = {(p.lhs, p.rhs): p.est for p in res.paths.itertuples()}
            lam = res.loadings.set_index("rhs").est
            for t, item in enumerate(targets):
                c = "M" if item in endo["M"] else "Y"
                pred_score = sum(beta[(c, a)] * score[a] for a in ante[c])
                y_pls = pred_score * lam[item] * sd[item] + mean[item]
                y_ia = mean[item]
                xs = [i for a in ante[c] for i in blocks[a]]
                design = np.column_stack([np.ones(train.sum()), tr[xs].to_numpy()])
                coef = np.linalg.lstsq(design, tr[item].to_numpy(), rcond=None)[0]
                y_lm = np.column_stack([np.ones(test.sum()), df.loc[test, xs].to_numpy()]) @ coef
                obs = df.loc[test, item].to_numpy()
                for k, pred in (("pls", y_pls), ("ia", y_ia), ("lm", y_lm)):
                    sq[k][test, t] += (obs - pred) ** 2
    reps = ids.shape[0]
    return {k: {"M": v[:, :3].mean(axis=1) / reps, "Y": v[:, 3:].mean(axis=1) / reps,
                "Overall": v.mean(axis=1) / reps} for k, v in sq.items()}


def test_cvpat_losses_and_t_tests_match_a_direct_computation_on_the_same_folds():
    df = _chain(np.random.default_rng(11), 120)
    res = _fit(MODEL, df)
    out = cvpat(res, benchmark="both", folds=5, repeats=2, seed=4)
    ids = assign_folds(len(df), 5, 2, 4)  # PLSpredict's folds for this seed
    direct = _direct_losses(df, ids)
    assert list(out.construct) == ["M", "Y", "Overall"] * 2
    for row in out.itertuples():
        own = direct["ia" if row.benchmark == "IA" else "lm"][row.construct]
        pls = direct["pls"][row.construct]
        assert row.loss_pls == pytest.approx(pls.mean(), rel=1e-8)
        assert row.loss_benchmark == pytest.approx(own.mean(), rel=1e-8)
        # Liengaard et al. (2021): D = loss(PLS) − loss(benchmark), paired t-test
        assert row.diff == pytest.approx((pls - own).mean(), rel=1e-7, abs=1e-12)
        t, p = stats.ttest_rel(pls, own)
        assert row.t == pytest.approx(t, rel=1e-6) and row.p == pytest.approx(p, rel=1e-6)
        assert row.df == len(df) - 1
    # the one-sided test (H1: PLS's loss is lower) against scipy's, on the same losses
    less = cvpat(res, benchmark="both", folds=5, repeats=2, seed=4, alternative="less")
    for row in less.itertuples():
        own = direct["ia" if row.benchmark == "IA" else "lm"][row.construct]
        p = stats.ttest_rel(direct["pls"][row.construct], own, alternative="less").pvalue
        assert row.p == pytest.approx(p, rel=1e-6)
    with pytest.raises(InputError, match="'less'"):
        cvpat(res, benchmark="IA", folds=5, repeats=2, seed=4, alternative="greater")


def test_cvpat_true_structure_beats_the_indicator_average():
    df = _chain(np.random.default_rng(5), 300)
    out = cvpat(_fit(MODEL, df), benchmark="IA")
    overall = out.set_index("construct").loc["Overall"]
    assert overall["diff"] < 0 and overall.t < 0 and overall.p < 0.001
    assert (out.set_index("construct").loc[["M", "Y"], "diff"] < 0).all()


def test_cvpat_zero_paths_are_not_better_than_the_indicator_average_at_the_nominal_rate():
    """Both paths into Y are 0: for Y, H0 of the one-sided test (alternative="less", H1:
    PLS's loss below IA's) holds, so it may reject in at most ~5 % of data sets (40 data sets; binomial bound
    at 0.1 %). Centroid scheme: with an outcome unrelated to everything, the path
    scheme's inner weights can oscillate in a training fold (PLSpredict then refuses)."""
    hits = 0
    for k in range(40):
        df = _chain(np.random.default_rng(100 + k), 150, a=0.5, b=0.0, c=0.0)
        out = cvpat(_fit(MODEL, df, scheme="centroid"), benchmark="IA", folds=10, repeats=2,
                    alternative="less")
        hits += out.set_index("construct").loc["Y", "p"] < 0.05
    assert hits <= stats.binom.isf(0.001, 40, 0.05)


def test_cvpat_compare_prefers_the_model_with_the_true_path_on_the_same_folds():
    df = _chain(np.random.default_rng(8), 400, b=0.5, c=0.2)
    full, reduced = _fit(MODEL, df), _fit(NO_XY, df)
    out = cvpat_compare(full, reduced)
    y = out.set_index("construct").loc["Y"]
    assert y["diff"] < 0 and y.p < 0.01
    assert (out.benchmark == "alternative").all()
    same = cvpat_compare(full, full)  # one model against itself, on the same folds
    assert (same["diff"] == 0).all() and same.t.isna().all()


def test_cvpat_compare_refuses_other_outcomes_or_other_respondents():
    df = _chain(np.random.default_rng(9), 120)
    res = _fit(MODEL, df)
    other = _fit("X =~ x1 + x2 + x3\nM =~ m1 + m2 + m3\nM ~ X", df)
    with pytest.raises(InputError, match="same endogenous"):
        cvpat_compare(res, other)
    with pytest.raises(InputError, match="same respondents"):
        cvpat_compare(res, _fit(MODEL, df.iloc[:100]))
    with pytest.raises(InputError, match="benchmark"):
        cvpat(res, benchmark="naive")


def test_cvpat_bootstrap_se_comes_from_the_models_own_resamples():
    df = _chain(np.random.default_rng(12), 150)
    res = _fit(MODEL, df, bootstrap=300, seed=6)
    t_out = cvpat(res, benchmark="IA", folds=5, repeats=2, seed=4)
    b_out = cvpat(res, benchmark="IA", folds=5, repeats=2, seed=4, test="bootstrap")
    direct = _direct_losses(df, assign_folds(len(df), 5, 2, 4))
    d = direct["pls"]["Overall"] - direct["ia"]["Overall"]
    idx = resample_indices(len(df), 300, 6)  # the rows the model's bootstrap drew
    se = d[idx].mean(axis=1).std(ddof=1)
    row = b_out.set_index("construct").loc["Overall"]
    assert row.se == pytest.approx(se, rel=1e-6)
    assert row["diff"] == t_out.set_index("construct").loc["Overall", "diff"]
    with pytest.raises(InputError, match="bootstrap"):
        cvpat(_fit(MODEL, df), test="bootstrap")


def test_cvpat_bootstrap_follows_a_survey_designs_cluster_resamples():
    """A model bootstrapped by clusters (Rao–Wu): CVPAT's bootstrap SE comes from the same
    cluster resamples, not from rows."""
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting.design import survey_design

    df = _chain(np.random.default_rng(12), 150)
    df["store"] = np.repeat(np.arange(30), 5)
    res = _fit(MODEL, df, bootstrap=100, seed=6, design={"cluster": "store"})
    row = cvpat(res, benchmark="IA", folds=5, repeats=2, seed=4,
                test="bootstrap").set_index("construct").loc["Overall"]
    direct = _direct_losses(df.drop(columns="store"), assign_folds(len(df), 5, 2, 4))
    d = direct["pls"]["Overall"] - direct["ia"]["Overall"]
    f = Cluster(survey_design(df, cluster="store"), seed=6).counts(range(1), slice(0, 150))
    assert row.se == pytest.approx(((f @ d) / f.sum(axis=1)).std(ddof=1), rel=1e-8)


# --- the Gaussian copula test ----------------------------------------------------------

def _endogenous(rng, n, rho, noise=0.2) -> pd.DataFrame:
    """Y = 0.5 X + ε with (Φ⁻¹(F(X)), ε) bivariate normal, correlation ``rho`` (Park &
    Gupta's data-generating model), X exponential (non-normal)."""
    u, eps = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n).T
    x = stats.expon.ppf(stats.norm.cdf(u))
    y = 0.5 * x + eps
    return pd.DataFrame({f"{v}{k}": col + noise * rng.normal(size=n)
                         for v, col in (("x", x), ("y", y)) for k in (1, 2)})


SIMPLE = "X =~ x1 + x2\nY =~ y1 + y2\nY ~ X"


def _copula_by_hand(df: pd.DataFrame) -> float:
    """Park & Gupta's regression on one sample's PLS scores, written out: the scores
    standardised, F̂ the empirical CDF times n / (n + 1), OLS with an intercept."""
    res = _fit(SIMPLE, df.reset_index(drop=True))
    s = res.scores
    s = (s - s.mean()) / s.std(ddof=0)
    n = len(s)
    ecdf = np.array([(s.X <= v).sum() for v in s.X]) / n
    c = stats.norm.ppf(ecdf * n / (n + 1))
    design = np.column_stack([np.ones(n), s.X, c])
    return float(np.linalg.lstsq(design, s.Y.to_numpy(), rcond=None)[0][2])


def test_copula_estimate_and_draws_match_the_regression_on_the_models_own_resamples():
    df = _endogenous(np.random.default_rng(21), 200, 0.5)
    res = _fit(SIMPLE, df, bootstrap=50, seed=3)
    out = copula_test(res)
    assert out.copula_est.iloc[0] == pytest.approx(_copula_by_hand(df), rel=1e-8)
    draws = out.attrs["draws"]
    assert draws.shape == (50, 1)
    idx = resample_indices(len(df), 50, 3)  # the rows the model's bootstrap drew
    for b in (0, 1, 17):
        assert draws[b, 0] == pytest.approx(_copula_by_hand(df.iloc[idx[b]]), rel=1e-7)
    assert out.se.iloc[0] == pytest.approx(draws[:, 0].std(ddof=1))
    lo, hi = np.quantile(draws[:, 0], [0.025, 0.975])
    assert (out.ci_lower.iloc[0], out.ci_upper.iloc[0]) == pytest.approx((lo, hi))


@pytest.mark.slow
def test_copula_term_without_endogeneity_is_rejected_at_about_the_nominal_rate():
    """ρ = 0 (no endogeneity), X exponential: 40 simulated data sets, 5 % test; the number
    of rejections stays within the binomial(40, .05) bound at 0.1 %."""
    hits = 0
    for k in range(40):
        df = _endogenous(np.random.default_rng(300 + k), 300, 0.0, noise=0.3)
        out = copula_test(_fit(SIMPLE, df), bootstrap=199, seed=1)
        assert out.status.iloc[0] == "tested"
        hits += out.p.iloc[0] < 0.05
    assert hits <= stats.binom.isf(0.001, 40, 0.05)


def test_planted_endogeneity_is_detected():
    """ρ = 0.6 between the copula of X and the structural error, X exponential: the
    copula term is significant in (nearly) every data set, with the sign of ρ."""
    hits = 0
    for k in range(8):
        df = _endogenous(np.random.default_rng(500 + k), 500, 0.6)
        out = copula_test(_fit(SIMPLE, df), bootstrap=199, seed=1)
        hits += (out.p.iloc[0] < 0.05) and out.copula_est.iloc[0] > 0
    assert hits >= 7


def test_a_normal_regressor_gets_no_copula_term_and_a_diagnostic():
    rng = np.random.default_rng(2)
    df = _chain(rng, 300)
    res = _fit(MODEL, df, bootstrap=20, seed=1)
    with pytest.warns(Warning, match="not identified"):
        out = copula_test(res)
    assert set(out.status) == {"normal"}  # normal latent variables, normal scores
    assert out.copula_est.isna().all() and (out.normality_p >= 0.05).all()
    assert [d.code for d in out.attrs["diagnostics"]] == ["copula_not_identified"] * 3
    with pytest.raises(InputError, match="bootstrap"):
        copula_test(_fit(MODEL, df))


# --- on every surface: summary, CLI --json, study results, report ----------------------

def test_summary_shows_both_tables_and_their_notes():
    df = _endogenous(np.random.default_rng(31), 300, 0.6)
    res = _fit(SIMPLE, df, bootstrap=100, seed=2)
    text = res.summary(cvpat=True, copula=True).as_text()
    assert "CVPAT (diff = PLS loss − benchmark loss" in text and "Overall" in text
    assert "Endogeneity: Gaussian copula test" in text and "tested" in text
    assert "Gaussian copula test (Park & Gupta 2012" in text
    assert "CVPAT" not in res.summary().as_text()  # only when asked


@pytest.mark.slow
def test_cli_pls_json_carries_cvpat_and_the_copula_test(tmp_path):
    import json
    import subprocess
    import sys

    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 200, seed=3).to_csv(tmp_path / "d.csv", index=False)
    cmd = [sys.executable, "-m", "crmsurvey.cli", "pls", "ccsi", str(tmp_path / "d.csv")]
    proc = subprocess.run(cmd + ["--bootstrap", "60", "--predict", "5", "--reps", "1",
                                 "--cvpat", "--copula", "--json"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {r["benchmark"] for r in out["cvpat"]} == {"IA", "LM"}
    assert {r["lhs"] for r in out["endogeneity"]} == {"EXPE", "QUAL", "VAL", "SAT", "COMP",
                                                     "LOY"}
    assert {r["status"] for r in out["endogeneity"]} <= {"tested", "normal", "discrete"}
    proc = subprocess.run(cmd + ["--copula"], capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "bootstrap" in proc.stderr


def test_study_results_and_report_carry_cvpat_and_the_copula_test(tmp_path):
    from crmsurvey.report.render import build_html
    from crmsurvey.study import load_study
    from crmsurvey.study.run import run_study

    path = tmp_path / "study.yaml"
    path.write_text("""
id: t
title: {en: Test, zh-CN: 测试}
questionnaire: ccsi
data:
  - simulate: {n: 200, seed: 3}
pls: {bootstrap: 60, fit_test: 0, predict_folds: 5, predict_reps: 1, cvpat: true,
      copula: true}
report: {client: C, language: en}
""", encoding="utf-8")
    results = run_study(load_study(path)).results
    model = results.models[0]
    assert [r["construct"] for r in model.cvpat if r["benchmark"] == "IA"][-1] == "Overall"
    assert len(model.endogeneity) == len(model.paths)
    en = build_html(results, lang="en")
    zh = build_html(results, lang="zh-CN")
    assert "Predictive ability test (CVPAT)" in en and "Endogeneity (Gaussian copula test)" in en
    assert "预测能力检验（CVPAT）" in zh and "内生性检验（高斯Copula）" in zh
    # one verdict sentence per benchmark, worded from the Overall rows
    verdicts = [r for r in model.cvpat if r["construct"] == "Overall"]
    for r in verdicts:
        word = ("significantly better" if r["p"] < 0.05 and r["diff"] < 0 else
                "significantly worse" if r["p"] < 0.05 else "not significantly")
        assert word in en
    tested = [r for r in model.endogeneity if r["status"] == "tested"]
    if not tested:
        assert "applies to no path" in en
    elif not any(r["p"] < 0.05 for r in tested):
        assert "No copula term is significant" in en
    else:
        assert "may be biased by endogeneity" in en
    # the appendix tables also as CSV and as workbook sheets, titled in each language
    import io

    import openpyxl

    from crmsurvey.study.export import results_tables, workbook

    tables = results_tables(results)
    assert tables["cvpat"][["construct", "benchmark", "diff", "p"]].to_dict("records") == \
        [{k: r[k] for k in ("construct", "benchmark", "diff", "p")} for r in model.cvpat]
    assert list(tables["endogeneity"].status) == [r["status"] for r in model.endogeneity]
    for lang, titles in (("en", {"CVPAT", "Endogeneity (copula)", "PLSpredict questions"}),
                         ("zh-CN", {"预测能力检验CVPAT", "内生性检验（高斯Copula）"})):
        local = results.model_copy(update={"study": results.study.model_copy(
            update={"language": lang})})
        book = openpyxl.load_workbook(io.BytesIO(workbook(tables, local)))
        assert titles <= set(book.sheetnames)


@pytest.mark.slow
def test_a_study_that_cannot_run_the_copula_test_says_why_in_both_languages(tmp_path):
    from crmsurvey.report.render import build_html
    from crmsurvey.study import load_study
    from crmsurvey.study.run import run_study

    path = tmp_path / "study.yaml"
    path.write_text("""
id: t
title: {en: Test, zh-CN: 测试}
questionnaire: ccsi
data:
  - simulate: {n: 150, seed: 4}
pls: {bootstrap: 0, fit_test: 0, predict_folds: 0, copula: true}
report: {client: C, language: en}
""", encoding="utf-8")
    results = run_study(load_study(path)).results
    assert results.models[0].endogeneity is None and results.models[0].cvpat is None
    skipped = [d for d in results.diagnostics if d.code == "copula_skipped"]
    assert len(skipped) == 1 and "bootstrap" in skipped[0].message
    assert "Endogeneity (Gaussian copula test)" not in build_html(results, lang="en")
    assert "未进行高斯Copula内生性检验" in build_html(results, lang="zh-CN")
