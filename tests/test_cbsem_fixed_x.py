"""FIML with exogenous observed covariates as lavaan fits it (``fixed.x = TRUE``): the
covariates' means and covariances fixed at their sample values, so the likelihood is
that of the indicators given the covariates; ``npar`` without the covariates' moments,
``logl`` (hence AIC, BIC) of y given x, the baseline keeping the covariates'
covariances, intercepts ``ν = μ − Λ(I − B)⁻¹Γ μ_x`` with delta-method standard errors,
rows missing a covariate deleted; MLR's scaled test without the covariates' own moments.
Checked against lavaan run here (Rscript) on a simulated SEM, to 1e-3."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmsurvey.cbsem import cbsem

from .lavaan import run_lavaan

pytestmark = pytest.mark.slow  # R runs

MODEL = "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF1 ~ x1 + x2\nF2 ~ F1 + x2"
FIT = {"npar": "npar", "chisq": "chisq", "df": "df", "baseline.chisq": "baseline_chisq",
       "baseline.df": "baseline_df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
       "srmr": "srmr", "logl": "loglik", "aic": "aic", "bic": "bic", "ntotal": "ntotal"}
ROBUST = {"chisq.scaled": "chisq_scaled", "chisq.scaling.factor": "chisq_scaling_factor",
          "cfi.robust": "cfi_robust", "tli.robust": "tli_robust",
          "rmsea.robust": "rmsea_robust"}


def _survey(n: int = 600, seed: int = 5, holes: float = 0.12, x_holes: float = 0.0
            ) -> pd.DataFrame:
    """Two correlated covariates (x2 not centred) drive two factors; y5 also depends on
    x1 (a misfit, so χ² and the robust indices are not trivial); holes in the
    indicators (and, with ``x_holes``, in x1)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 0.4 * x1 + 0.9 * rng.normal(size=n) + 1.0
    f1 = 0.5 * x1 - 0.3 * x2 + 0.8 * rng.normal(size=n)
    f2 = 0.6 * f1 + 0.25 * x2 + 0.7 * rng.normal(size=n)
    ys = {f"y{k}": 3 + lam * f + 0.6 * rng.normal(size=n) + (0.35 * x1 if k == 5 else 0)
          for k, (f, lam) in enumerate([(f1, 1), (f1, .8), (f1, 1.2), (f2, 1), (f2, .7),
                                        (f2, .9)], 1)}
    df = pd.DataFrame({**ys, "x1": x1, "x2": x2})
    for c in ys:
        df.loc[rng.random(n) < holes, c] = np.nan
    df.loc[rng.random(n) < x_holes, "x1"] = np.nan
    return df


@pytest.mark.parametrize("estimator, x_holes", [("ML", 0.0), ("ML", 0.05), ("MLR", 0.0)],
                         ids=["ML", "ML-x-holes", "MLR"])
def test_fiml_with_covariates_matches_lavaan(tmp_path, estimator, x_holes):
    data = _survey(x_holes=x_holes)
    robust = estimator == "MLR"
    ref = run_lavaan("fiml_fixed_x.R", data, tmp_path, model=MODEL, ESTIMATOR=estimator,
                     ROBUST=", ".join(f'"{k}"' for k in ROBUST) if robust else '"cfi"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cbsem(MODEL, data, missing="fiml", estimator=estimator)
    names = {**FIT, **(ROBUST if robust else {})}
    for theirs, ours in names.items():
        assert res.fit[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3, abs=1e-3), ours
    # the covariates' moments are not parameters: lavaan's npar (22) has neither their
    # three covariances nor their two means
    assert res.fit["npar"] == 22 and res.fit["df"] == 17
    assert res.fit["chisq"] > 3 * res.fit["df"]  # a real misfit: the indices are not 1
    want = ref["est"].fillna({"rhs": ""})
    got = res.estimates.fillna({"rhs": ""}).merge(want, on=["lhs", "op", "rhs"],
                                                   suffixes=("", "_lavaan"))
    assert len(got) == len(want) == len(res.estimates) == 31
    np.testing.assert_allclose(got.est, got.est_lavaan, atol=1e-3)
    np.testing.assert_allclose(got["std_all"], got["std.all"], atol=1e-3)
    fixed = got.se_lavaan == 0  # lavaan's fixed rows: ours have no standard error
    assert got.se[fixed].isna().all() and got.se[~fixed].notna().all()
    np.testing.assert_allclose(got.se[~fixed], got.se_lavaan[~fixed], atol=1e-3)
    # the intercepts are ν (not the means): x2's mean of about 1 moves them
    nu = got[(got.op == "~1") & got.lhs.str.startswith("y")]
    means = data[nu.lhs].mean()
    assert (np.abs(nu.est.to_numpy() - means.to_numpy()) > 0.05).any()
    if x_holes:
        dropped = int(data.x1.isna().sum())
        assert res.settings.n_dropped == dropped and res.fit["ntotal"] == len(data) - dropped
        assert any(n.code == "cb_covariate_rows" and n.params["n"] == dropped
                   for n in res.notes)


def test_groups_with_covariates_report_lavaans_intercepts(tmp_path):
    """Complete data with ``group=``: a saturated mean structure per group. The ``~1``
    rows are intercepts (the means less the covariates' part), with standard errors from
    the means' expected information over the free means and θ's."""
    data = _survey(holes=0.0)
    data["g"] = np.where(np.arange(len(data)) % 2, "a", "b")
    ref = run_lavaan("groups_fixed_x.R", data, tmp_path, model=MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cbsem(MODEL, data, group="g")
    for theirs, ours in FIT.items():
        if theirs != "ntotal":
            assert res.fit[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3,
                                                  abs=1e-3), ours
    want = ref["est"].fillna({"rhs": ""})
    want["group"] = pd.unique(data.g)[want.group - 1]  # lavaan numbers groups in order
    got = res.estimates.fillna({"rhs": ""}).merge(want, on=["group", "lhs", "op", "rhs"],
                                                   suffixes=("", "_lavaan"))
    assert len(got) == len(want) == 62
    np.testing.assert_allclose(got.est, got.est_lavaan, atol=1e-3)
    np.testing.assert_allclose(got["std_all"], got["std.all"], atol=1e-3)
    fixed = got.se_lavaan == 0
    assert got.se[fixed].isna().all()
    np.testing.assert_allclose(got.se[~fixed], got.se_lavaan[~fixed], atol=1e-3)
    nu = got[(got.op == "~1") & got.lhs.str.startswith("y")]
    means = data.groupby("g").mean()
    group_means = np.array([means.loc[g, v] for g, v in zip(nu.group, nu.lhs)])
    assert (np.abs(nu.est.to_numpy() - group_means) > 0.05).any()


def test_fiml_path_model_intercepts_match_lavaan(tmp_path):
    """Observed variables only, one regressed on another (y4 ~ y1): y1's intercept is part
    of y4's mean, so every ``~1`` row solves ``μ = ν + Λ(I − B)⁻¹α`` for the free
    intercepts together."""
    model = "y1 ~ x1 + x2\ny4 ~ y1 + x2"
    data = _survey(holes=0.1)[["y1", "y4", "x1", "x2"]]
    ref = run_lavaan("fiml_fixed_x.R", data, tmp_path, model=model, ESTIMATOR="ML",
                     ROBUST='"cfi"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cbsem(model, data, missing="fiml")
    for theirs, ours in FIT.items():
        assert res.fit[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3, abs=1e-3), ours
    want = ref["est"].fillna({"rhs": ""})
    got = res.estimates.fillna({"rhs": ""}).merge(want, on=["lhs", "op", "rhs"],
                                                   suffixes=("", "_lavaan"))
    assert len(got) == len(want) == 13
    np.testing.assert_allclose(got.est, got.est_lavaan, atol=1e-3)
    np.testing.assert_allclose(got["std_all"], got["std.all"], atol=1e-3)
    free = got.se_lavaan > 0
    np.testing.assert_allclose(got.se[free], got.se_lavaan[free], atol=1e-3)
    y4 = got[(got.lhs == "y4") & (got.op == "~1")].iloc[0]
    assert abs(y4.est - data.y4.mean()) > 0.5  # the intercept, not the mean
