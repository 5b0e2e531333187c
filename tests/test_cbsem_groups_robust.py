"""Multi-group robust ML (MLM, MLR with complete data and with FIML), with and without
parameters held equal across groups (FIML over the groups fitted together included),
against lavaan 0.6 run in the test (tests/lavaan/groups_robust.R): estimates, standard errors, χ², the scaled χ² and its
scaling factor, df, and the scaled and robust CFI/TLI/RMSEA to 1e-3; the scaled
χ²-difference test against lavTestLRT."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.cbsem.fitmeasures import combine_groups, scaled_difference
from crmsurvey.errors import InputError

from .lavaan import run_lavaan

CFA = "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nC =~ c1 + c2 + c3\n"
ITEMS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "c1", "c2", "c3"]
# lavaan's group.equal = "loadings" written with labels shared by the groups
METRIC = ("A =~ a1 + c(la2, la2)*a2 + c(la3, la3)*a3 + c(la4, la4)*a4\n"
          "B =~ b1 + c(lb2, lb2)*b2 + c(lb3, lb3)*b3 + c(lb4, lb4)*b4\n"
          "C =~ c1 + c(lc2, lc2)*c2 + c(lc3, lc3)*c3\n")
# ... and c("loadings", "intercepts"): intercepts shared, latent means free in group 2
SCALAR = METRIC + "".join(f"{v} ~ c(i{v}, i{v})*1\n" for v in ITEMS) + \
    "A ~ c(0, NA)*1\nB ~ c(0, NA)*1\nC ~ c(0, NA)*1\n"

# one group, a restricted mean structure (a latent mean free, a marker's intercept fixed)
MEANS = CFA + "A ~ 1\na1 ~ 0*1\n"

# case: (crmsurvey's model, lavaan's model, estimator, lavaan's missing, group.equal);
# the groups are "g" except in the cases named "one_*" (the whole sample, one group)
CASES = {
    "mlm": (CFA, CFA, "MLM", "listwise", ""),
    "mlr": (CFA, CFA, "MLR", "listwise", ""),
    "mlr_fiml": (CFA, CFA, "MLR", "ml", ""),
    "mlm_metric": (METRIC, CFA, "MLM", "listwise", "loadings"),
    "mlm_scalar": (SCALAR, CFA, "MLM", "listwise", "loadings intercepts"),
    "mlr_metric": (METRIC, CFA, "MLR", "listwise", "loadings"),
    "mlr_scalar": (SCALAR, CFA, "MLR", "listwise", "loadings intercepts"),
    "mlr_fiml_metric": (METRIC, CFA, "MLR", "ml", "loadings"),
    "mlr_fiml_scalar": (SCALAR, CFA, "MLR", "ml", "loadings intercepts"),
    "one_mlm_means": (MEANS, MEANS, "MLM", "listwise", ""),
    "one_mlr_means": (MEANS, MEANS, "MLR", "listwise", ""),
}
# scaled χ² differences (lavTestLRT's Satorra–Bentler 2001): (case, restricted, general)
PAIRS = [("mlm_metric_vs_configural", "mlm_metric", "mlm"),
         ("mlm_scalar_vs_metric", "mlm_scalar", "mlm_metric"),
         ("mlr_metric_vs_configural", "mlr_metric", "mlr"),
         ("mlr_scalar_vs_metric", "mlr_scalar", "mlr_metric"),
         ("mlr_fiml_metric_vs_configural", "mlr_fiml_metric", "mlr_fiml"),
         ("mlr_fiml_scalar_vs_metric", "mlr_fiml_scalar", "mlr_fiml_metric")]
MEASURES = ["npar", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled",
            "chisq_scaling_factor", "baseline_chisq", "baseline_df", "baseline_chisq_scaled",
            "baseline_chisq_scaling_factor", "cfi", "tli", "rmsea", "cfi_scaled",
            "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust", "srmr"]


def groups_data(seed: int = 3, n: tuple[int, int] = (300, 250), holes: float = 0.12
                ) -> pd.DataFrame:
    """Two groups of a 3-factor survey with skewed, heavy-tailed factors and t(5) errors
    (scaling factors away from 1), an item with a cross-loading the model leaves out,
    different factor (co)variances and means by group; the second group has ~12 %
    answers missing at random."""
    rng = np.random.default_rng(seed)
    frames = []
    lam = np.array([1, .8, .7, .9, 1, .7, .8, .6, 1, .9, .75])
    idx = np.repeat([0, 1, 2], [4, 4, 3])
    for g, ng in enumerate(n):
        phi = np.array([[1, .5, .3], [.5, 1, .4], [.3, .4, 1]]) * (1 + 0.3 * g)
        f = rng.multivariate_normal(np.zeros(3), phi, size=ng)
        f = np.sign(f) * np.abs(f) ** 1.3
        x = 3 + 0.2 * g + f[:, idx] * lam + rng.standard_t(5, size=(ng, 11)) * 0.6
        x[:, 3] += 0.3 * f[:, 1]
        if g == 1:
            x[rng.random(x.shape) < holes] = np.nan
        frames.append(pd.DataFrame(x, columns=ITEMS).assign(g=f"g{g + 1}"))
    return pd.concat(frames, ignore_index=True)


def _fit(case: str, data: pd.DataFrame):
    model, _, estimator, missing, _ = CASES[case]
    fiml = missing == "ml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.cbsem(model, data if fiml else data.dropna(), estimator=estimator,
                        missing="fiml" if fiml else "listwise",
                        group=None if case.startswith("one_") else "g")


@pytest.fixture(scope="module")
def lavaan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("groups_robust")
    data = groups_data()
    pd.DataFrame([dict(case=k, model=lm, estimator=e, missing=mi, group_equal=ge)
                  for k, (_, lm, e, mi, ge) in CASES.items()]).to_csv(tmp / "cases.csv",
                                                                      index=False)
    pd.DataFrame(PAIRS, columns=["case", "h0", "h1"]).to_csv(tmp / "pairs.csv", index=False)
    ref = run_lavaan("groups_robust.R", data, tmp, CASES=tmp / "cases.csv",
                     PAIRS=tmp / "pairs.csv", LRT=tmp / "lrt.csv")
    ref["lrt"] = pd.read_csv(tmp / "lrt.csv").set_index("case")
    fits = {case: _fit(case, data) for case in CASES}
    return data, ref, fits


def _close(got, want, what):
    assert np.isfinite(got), what
    assert got == pytest.approx(want, abs=1e-3, rel=1e-6), what


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_scaled_and_robust_measures_are_lavaans(lavaan, case):
    _, ref, fits = lavaan
    fit = fits[case].fit
    for m in MEASURES:
        _close(float(fit[m]), float(ref["fit"][f"{case}:{m.replace('_', '.')}"]),
               (case, m))
    # a real correction (of the model's statistic or of the baseline's)
    assert max(abs(fit["chisq_scaling_factor"] - 1),
               abs(fit["baseline_chisq_scaling_factor"] - 1)) > 0.01


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_robust_standard_errors_are_lavaans(lavaan, case):
    _, ref, fits = lavaan
    est = ref["est"][ref["est"].case == case]
    got = fits[case].estimates.copy()
    if "group" in got:
        levels = list(dict.fromkeys(got.group))
        got["group"] = [levels.index(g) + 1 for g in got.group]
    else:
        got["group"] = 1
    got = got.set_index(["group", "lhs", "op", "rhs"])
    compared = 0
    for r in est[est.op.isin(["=~", "~~", "~1"])].itertuples():
        row = got.loc[(r.group, r.lhs, r.op, "" if pd.isna(r.rhs) else r.rhs)]
        _close(row.est, r.est, (case, r.lhs, r.op, r.rhs, "est"))
        if r.se > 0:
            _close(row.se, r.se, (case, r.lhs, r.op, r.rhs, "se"))
            compared += 1
    groups = 1 if case.startswith("one_") else 2
    assert compared >= groups * (11 + 14)  # loadings (shared or not), variances, intercepts


@pytest.mark.slow
@pytest.mark.parametrize("case, h0, h1", PAIRS)
def test_scaled_difference_is_lavtestlrts(lavaan, case, h0, h1):
    _, ref, fits = lavaan
    got = scaled_difference(fits[h0].fit, fits[h1].fit)
    want = ref["lrt"].loc[case]
    _close(got["chisq_diff"], want.chisq_diff, "chisq_diff")
    _close(got["df_diff"], want.df_diff, "df_diff")
    _close(got["pvalue"], want.pvalue, "pvalue")


def test_pooled_scaling_factor_is_the_df_weighted_mean():
    """Independent groups: lavaan's trace over the stacked groups is the sum of the
    groups' traces, so c = (c₁ df₁ + c₂ df₂)/(df₁ + df₂), written out here."""
    one = dict(npar=30, chisq=50.0, df=40, baseline_chisq=600.0, baseline_df=55,
               loglik=-1000.0, srmr=0.04, ntotal=200.0, chisq_scaling_factor=1.3,
               baseline_chisq_scaling_factor=1.6)
    two = {**one, "chisq": 70.0, "ntotal": 300.0, "chisq_scaling_factor": 1.1,
           "baseline_chisq_scaling_factor": 1.2, "df": 40}
    fit = combine_groups([one, two])
    c = (1.3 * 40 + 1.1 * 40) / 80
    c_b = (1.6 * 55 + 1.2 * 55) / 110
    assert fit["chisq_scaling_factor"] == pytest.approx(c)
    assert fit["chisq_scaled"] == pytest.approx(120 / c)
    # robust RMSEA with lavaan's sqrt(G) for G groups: sqrt(max(T/(N df) − c/N, 0))·√2
    assert fit["rmsea_robust"] == pytest.approx(
        np.sqrt(max(120 / (500 * 80) - c / 500, 0)) * np.sqrt(2))
    t1, t2 = 120 - c * 80, 1200 - c_b * 110
    assert fit["cfi_robust"] == pytest.approx(1 - t1 / t2)
    # without scaling factors (ML) the robust names are not made up
    plain = combine_groups([{k: v for k, v in g.items() if "scaling" not in k}
                            for g in (one, two)])
    assert "chisq_scaled" not in plain


def test_shared_parameters_with_a_bootstrap_are_refused_with_the_reason():
    """Groups fitted together are not resampled here: said, not fitted as something
    else."""
    data = groups_data(n=(60, 60))
    with pytest.raises(InputError, match="without a bootstrap"):
        cs.cbsem(METRIC, data.dropna(), estimator="MLM", group="g", bootstrap=20)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["MLM", "MLR"])
def test_robust_invariance_table_is_lavaans(lavaan, estimator):
    """measurement_invariance(estimator=…): lavaan's group.equal models (configural,
    metric, scalar) with their scaled statistics and robust indices, the scaled χ²
    differences of lavTestLRT, and the scalar model's latent means with robust SEs."""
    from crmsurvey.cbsem.invariance import measurement_invariance

    data, ref, _ = lavaan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = measurement_invariance(CFA, data, "g", estimator=estimator)
    e = estimator.lower()
    table = inv.table.set_index("model")
    for model, case in (("configural", e), ("metric", f"{e}_metric"),
                        ("scalar", f"{e}_scalar")):
        for m in ("npar", "chisq", "df", "cfi", "chisq_scaled", "chisq_scaling_factor",
                  "cfi_robust", "tli_robust", "rmsea_robust"):
            _close(float(table.loc[model, m]),
                   float(ref["fit"][f"{case}:{m.replace('_', '.')}"]), (model, m))
    for model, pair in (("metric", f"{e}_metric_vs_configural"),
                        ("scalar", f"{e}_scalar_vs_metric")):
        want = ref["lrt"].loc[pair]
        _close(float(table.loc[model, "delta_chisq"]), want.chisq_diff, (model, "diff"))
        _close(float(table.loc[model, "delta_pvalue"]), want.pvalue, (model, "p"))
    est = ref["est"]
    lv = est[(est.case == f"{e}_scalar") & (est.op == "~1") & est.lhs.isin(list("ABC"))
             & (est.group == 2)].set_index("lhs")
    got = inv.latent_means.set_index("construct")
    for c in "ABC":
        _close(float(got.loc[c, "est"]), lv.loc[c, "est"], (c, "mean"))
        _close(float(got.loc[c, "se"]), lv.loc[c, "se"], (c, "se"))


def test_observed_hessian_is_the_gradients_derivative():
    """The analytic Hessian of −ℓ over groups sharing loadings and intercepts, with
    structural paths and free latent means (the curvature of μ = ν + Λ(I − B)⁻¹α and of
    Σ), against central differences of the gradient taken here, away from the optimum."""
    from crmsurvey.cbsem.build import build
    from crmsurvey.cbsem.constrained import mean_part
    from crmsurvey.cbsem.fiml_groups import _value_gradient, observed_hessian
    from crmsurvey.cbsem.partable import constraints
    from crmsurvey.cbsem.patterns import Patterns
    from crmsurvey.cbsem.structure import start_values, structure_from_partable

    data = groups_data()
    built = build("B ~ A\nC ~ B\n" + SCALAR, ngroups=2, group=True)
    pt, observed = built.pt, list(built.observed)
    cons = constraints(pt, with_means=True)
    xs = [data[data.g == g][observed].to_numpy() for g in ("g1", "g2")]
    structs, parts, start = [], [], []
    for g, x in enumerate(xs, 1):
        rows = pt[pt.group == g]
        s = pd.DataFrame(x).cov(ddof=0).to_numpy()
        st = structure_from_partable(rows, observed, s)
        free_means = rows.lhs[(rows.op == "~1") & (rows.free > 0)]
        structs.append(st)
        parts.append(mean_part(rows, st, np.nanmean(x, axis=0)))
        start.append(np.concatenate([start_values(st, rows, s), [
            np.nanmean(x[:, observed.index(v)]) if v in observed else 0.3
            for v in free_means]]))
    rng = np.random.default_rng(1)
    u = np.linalg.lstsq(cons.k, np.concatenate(start) - cons.c, rcond=None)[0]
    u = u + rng.normal(size=len(u)) * 0.05
    pats = [Patterns.of(x) for x in xs]
    sizes = np.cumsum([len(t) for t in start])[:-1]

    def gradient(v):
        rows = np.split(cons.k @ v + cons.c, sizes)
        return cons.k.T @ _value_gradient(structs, parts, pats, rows, True)[1]

    numeric = np.zeros((len(u), len(u)))
    for j in range(len(u)):
        h = 1e-5 * max(1.0, abs(u[j]))
        e = np.zeros(len(u))
        e[j] = h
        numeric[:, j] = (gradient(u + e) - gradient(u - e)) / (2 * h)
    got = observed_hessian(structs, parts, pats, np.split(cons.k @ u + cons.c, sizes),
                           cons.k)
    assert np.abs(got - numeric).max() < 1e-5 * np.abs(numeric).max()
    assert np.abs(got - got.T).max() == 0
