"""lavaan's parameter table and conventions, checked against lavaan run in the test.

One Rscript call fits every case (tests/lavaan/partable_suite.R); for each, crmsurvey's
table (:func:`crmsurvey.cbsem.partable.partable`) must equal lavaan's ``parTable`` and
``cs.cbsem`` must give lavaan's npar, χ², df, fit measures, estimates, standard errors
and standardised values to 1e-3.
"""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.cbsem.partable import COLUMNS, constraints, parse_syntax, partable
from crmsurvey.errors import InputError

from .lavaan import run_lavaan

BASE = """A =~ a1 + a2 + a3 + a4
B =~ b1 + b2 + b3 + b4
C =~ c1 + c2 + c3 + c4
"""
REST = "B =~ b1 + b2 + b3 + b4\nC =~ c1 + c2 + c3 + c4\n"

# case: (model, std_lv, orthogonal, estimator, group)
CASES = {
    "na_one": ("A =~ NA*a1 + a2 + a3 + a4\nA ~~ 1*A\n" + REST, False, False, "ML", ""),
    "na_all": ("A =~ NA*a1 + a2 + a3 + a4\nB =~ NA*b1 + b2 + b3 + b4\n"
               "C =~ NA*c1 + c2 + c3 + c4\nA ~~ 1*A\nB ~~ 1*B\nC ~~ 1*C\n",
               False, False, "ML", ""),
    "std_lv": (BASE, True, False, "ML", ""),
    "fix_second": ("A =~ a1 + 1*a2 + a3 + a4\n" + REST, False, False, "ML", ""),
    "start": ("A =~ a1 + start(0.8)*a2 + a3 + a4\n" + REST, False, False, "ML", ""),
    "labels": ("A =~ a1 + l*a2 + l*a3 + a4\n" + REST, False, False, "ML", ""),
    "equality": ("A =~ a1 + p*a2 + q*a3 + a4\n" + REST + "p == q\n", False, False, "ML", ""),
    "resid_cov": (BASE + "a1 ~~ a2\nb3 ~~ c3\n", False, False, "ML", ""),
    "orthogonal": (BASE, False, True, "ML", ""),
    "structural": (BASE + "C ~ A + B\nA ~ x1\n", False, False, "ML", ""),
    "intercepts": (BASE + "a1 ~ 1\n", False, False, "ML", ""),
    "mlr": (BASE, False, False, "MLR", ""),
    "group": (BASE, False, False, "ML", "g"),
    "group_labels": ("A =~ a1 + c(v, v)*a2 + c(w1, w2)*a3 + c(1, NA)*a4\n" + REST,
                     False, False, "ML", "g"),
    "group_own": ("A =~ a1 + a2 + a3 + c(1, NA)*a4\n" + REST, False, False, "ML", "g"),
    "group_mlr": (BASE, False, False, "MLR", "g"),
    "dwls": (BASE + "a1 ~~ a2\n", False, False, "DWLS", ""),
    "higher_order": (BASE + "G =~ A + B + C\n", False, False, "ML", ""),
    "indicator_predictor": (BASE + "b1 ~ a1 + C\nc4 ~~ b4\n", False, False, "ML", ""),
    "single_indicator": ("A =~ a1 + a2 + a3 + a4\nS =~ b1\nS ~ A\n", False, False, "ML",
                         ""),
    "latent_mean": (BASE + "A ~ 1\na1 ~ 0*1\n", False, False, "ML", ""),
    "fixed_intercept": (BASE + "b2 ~ 3*1\n", False, False, "ML", ""),
    "scalar_groups": ("A =~ a1 + c(l2, l2)*a2 + c(l3, l3)*a3 + a4\n" + REST
                      + "a1 ~ c(i1, i1)*1\na2 ~ c(i2, i2)*1\na3 ~ c(i3, i3)*1\n"
                      "A ~ c(0, NA)*1\n", False, False, "ML", "g"),
    "group_std_lv": (BASE, True, False, "ML", "g"),
    "defined": (BASE + "B ~ p*A\nC ~ q*B\npq := p*q\n", False, False, "ML", ""),
    "weak_marker": ("A =~ w1 + a2 + a3 + a4\n" + REST, False, False, "ML", ""),
    "gls": (BASE, False, False, "GLS", ""),
    "uls": (BASE, False, False, "ULS", ""),
}


def _data(seed: int = 20) -> pd.DataFrame:
    """A 3-factor survey: 400 rows, 12 items (a1 and a2 share some error), a covariate x1,
    an item w1 that barely measures A, and two groups of 200 whose loadings differ a
    little."""
    rng = np.random.default_rng(seed)
    n = 400
    g = np.repeat(["one", "two"], n // 2)
    x1 = rng.normal(size=n)
    phi = np.array([[1, .4, .3], [.4, 1, .5], [.3, .5, 1]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    f[:, 0] += 0.4 * x1
    load = np.array([.8, .7, .6, .75])
    cols = {}
    shared = rng.normal(size=n) * 0.4
    for k, name in enumerate("abc"):
        for j in range(4):
            lam = load[j] + (0.15 if g[0] != "one" and j == 3 else 0) * (g == "two")
            e = rng.normal(size=n) * 0.6 + (shared if name == "a" and j < 2 else 0)
            cols[f"{name}{j + 1}"] = 3 + lam * f[:, k] + e
    weak = 3 + 0.06 * f[:, 0] + rng.normal(size=n)  # a marker that barely loads
    return pd.DataFrame({**cols, "x1": x1, "w1": weak, "g": g})


@pytest.fixture(scope="module")
def lavaan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("partable")
    data = _data()
    cases = pd.DataFrame([dict(case=k, model=m, std_lv=str(s).upper(),
                               orthogonal=str(o).upper(), estimator=e, group=gr)
                          for k, (m, s, o, e, gr) in CASES.items()])
    cases.to_csv(tmp / "cases.csv", index=False)
    ref = run_lavaan("partable_suite.R", data, tmp, CASES=tmp / "cases.csv",
                     PT=tmp / "pt.csv", MI=tmp / "mi.csv")
    pt = pd.read_csv(tmp / "pt.csv", keep_default_na=False, na_values=["NA"])
    ref["mi"] = pd.read_csv(tmp / "mi.csv")
    return data, ref, pt


def _fit(case, data):
    model, std_lv, orthogonal, estimator, group = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.cbsem(model, data, estimator=estimator, std_lv=std_lv,
                        orthogonal=orthogonal, group=group or None)


def _close(got, want, what):
    if np.isnan(want):  # lavaan reports none (AIC of a least-squares fit)
        assert np.isnan(got), what
        return
    assert got == pytest.approx(want, abs=1e-3, rel=1e-6), what


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_parameter_table_is_lavaans(lavaan, case):
    data, _, lav_pt = lavaan
    model, std_lv, orthogonal, estimator, group = CASES[case]
    want = lav_pt[lav_pt.case == case][COLUMNS].reset_index(drop=True)
    ngroups = 2 if group else 1
    flat = parse_syntax(model)
    mean = group != "" or any(f.op == "~1" for f in flat)
    got = partable(model, ngroups=ngroups, meanstructure=mean, std_lv=std_lv,
                   orthogonal=orthogonal)
    assert len(got) == len(want), (got.to_string(), want.to_string())
    for col in COLUMNS:
        a, b = got[col].to_numpy(), want[col].to_numpy()
        if col == "ustart":
            assert np.array_equal(np.isnan(a), np.isnan(b.astype(float))), col
            assert np.allclose(a[~np.isnan(a)], b[~np.isnan(a)].astype(float)), col
        else:
            assert [str(v) for v in a] == [str(v) for v in b], (col, got.to_string())


@pytest.mark.parametrize("case", list(CASES))
def test_fit_matches_lavaan(lavaan, case):
    data, ref, _ = lavaan
    res = _fit(case, data)
    fit = ref["fit"]
    measures = ["npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"]
    for m in measures:
        _close(float(res.fit[m]), float(fit[f"{case}:{m}"]), m)
    est = ref["est"][ref["est"].case == case]
    got = res.estimates.copy()
    if "group" in got:
        levels = list(dict.fromkeys(got.group))
        got["group"] = [levels.index(g) + 1 for g in got.group]
    else:
        got["group"] = 1
    got = got.set_index(["group", "lhs", "op", "rhs"])
    compared = 0
    for r in est.itertuples():
        key = (r.group, r.lhs, r.op, "" if pd.isna(r.rhs) else r.rhs)
        if r.op not in ("=~", "~", "~~", "~1", ":="):
            continue
        row = got.loc[key]
        _close(row.est, r.est, (case, key, "est"))
        if r.se > 0:
            _close(row.se, r.se, (case, key, "se"))
        _close(row.std_all, getattr(r, "_9"), (case, key, "std_all"))
        _close(row.std_lv, getattr(r, "_8"), (case, key, "std_lv"))
        compared += 1
    assert compared >= len(est[est.op.isin(["=~", "~", "~~", "~1", ":="])])


@pytest.mark.parametrize("case", ["na_one", "labels", "equality", "resid_cov", "structural"])
def test_modification_indices_match_lavaan(lavaan, case):
    """Score tests for the cross-loadings and residual covariances the model leaves out
    (free parameters and equality constraints netted out), as lavaan's modindices."""
    data, ref, _ = lavaan
    want = ref["mi"][ref["mi"].case == case].set_index(["lhs", "op", "rhs"])
    got = _fit(case, data).modification_indices()
    assert len(got) >= 20
    for r in got.itertuples():
        key = (r.lhs, r.op, r.rhs)
        if key not in want.index:
            key = (r.rhs, r.op, r.lhs)
        assert key in want.index, key
        _close(r.mi, want.loc[key, "mi"], (case, key, "mi"))
        _close(r.epc, want.loc[key, "epc"], (case, key, "epc"))


def test_the_issues_cases(lavaan):
    """The reported bugs, said plainly: NA* frees the first loading (npar 10 for a
    5-item factor), a numeric second loading fixes both, std_all of a residual covariance
    is the residual correlation."""
    data, ref, _ = lavaan
    one = _fit("na_one", data)
    ests = one.estimates.set_index(["lhs", "op", "rhs"])
    assert ests.loc[("A", "=~", "a1"), "free"] and not ests.loc[("A", "~~", "A"), "free"]
    assert ests.loc[("A", "=~", "a2"), "free"]
    assert one.fit["npar"] == 10 + 12 + 2 + 3  # loadings, residuals, lv variances, covs
    fixed = _fit("fix_second", data).estimates.set_index(["lhs", "op", "rhs"])
    assert fixed.loc[("A", "=~", "a1"), "est"] == 1 and fixed.loc[("A", "=~", "a2"), "est"] == 1
    rc = _fit("resid_cov", data).estimates.set_index(["lhs", "op", "rhs"])
    theta = rc.loc[("a1", "~~", "a2"), "est"]
    corr = theta / np.sqrt(rc.loc[("a1", "~~", "a1"), "est"] * rc.loc[("a2", "~~", "a2"), "est"])
    assert rc.loc[("a1", "~~", "a2"), "std_all"] == pytest.approx(corr, rel=1e-12)


def test_constraints_count_unique_parameters():
    pt = partable("A =~ a1 + l*a2 + l*a3 + p*a4\nB =~ b1 + b2 + b3\np == 0.5")
    cons = constraints(pt)
    assert len(pt[(pt.free > 0)]) == 15 and cons.npar == 13
    assert (pt.op == "==").sum() == 2  # the user's p == 0.5 and lavaan's label row


def test_unsupported_syntax_is_refused_with_its_line():
    with pytest.raises(InputError, match="not a number, NA or a label"):
        partable("A =~ a1 + 2x*a2 + a3")
    with pytest.raises(InputError, match="2 labels for 3 group"):
        partable("A =~ a1 + c(a, b)*a2 + a3", ngroups=3)
    with pytest.raises(InputError, match="only equalities between labels"):
        constraints(partable("A =~ a1 + p*a2 + q*a3\np == 2*q"))
    data = _data()
    with pytest.raises(InputError, match="restricted mean structures are fitted with ML"):
        cs.cbsem(BASE + "A ~ 1\na1 ~ 0*1", data, bootstrap=10)


def test_fiml_with_ordered_items_names_the_ordered_data():
    data = _data().round()
    with pytest.raises(InputError, match="ordered items"):
        cs.cbsem(BASE, data, ordered=True, missing="fiml")


# --- estimators as records: one check, the real reason, on every surface ---------------

@pytest.mark.parametrize("kw, flags, words", [
    (dict(estimator="MLM", missing="fiml"), ["--estimator", "MLM", "--missing", "fiml"],
     "fourth moments"),
    (dict(estimator="DWLS", bootstrap=10), ["--estimator", "DWLS", "--bootstrap", "10"],
     "not refitted"),
    (dict(ordered=True, missing="fiml"), ["--ordered", "all", "--missing", "fiml"],
     "ordered items are fitted on complete rows"),
    (dict(estimator="WLSMV"), ["--estimator", "WLSMV"], "goes with ordered items"),
    (dict(estimator="GLS", missing="fiml"), ["--estimator", "GLS", "--missing", "fiml"],
     "estimator='GLS' needs complete rows"),
])
def test_estimator_records_refuse_with_the_reason_everywhere(kw, flags, words, capsys):
    from pydantic import ValidationError

    from crmsurvey.cli import main
    from crmsurvey.study import schema

    with pytest.raises(InputError, match=words):
        cs.cbsem(BASE, None, **kw)  # before the data are looked at
    with pytest.raises(ValidationError, match=words):
        schema.CBSEMOptions(**kw)
    capsys.readouterr()
    code = main(["cbsem", "missing.yaml", "missing.csv", *flags])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "missing.yaml" not in err


def test_records_say_what_each_estimator_takes():
    from crmsurvey.cbsem.estimators import ESTIMATORS, auto_missing

    assert {n for n, r in ESTIMATORS.items() if "fiml" in r.missing} == {"ML", "MLR"}
    assert [n for n, r in ESTIMATORS.items() if r.ordered] == ["WLSMV"]
    assert auto_missing("MLR", False, 0) == ("fiml", None)  # no reason to give
    assert auto_missing("GLS", False, 0)[0] == "listwise"
    data = _data()
    with pytest.raises(InputError, match="unweighted casewise scores"):
        cs.cbsem(BASE, data, estimator="MLR", weights=np.ones(len(data)))
    with pytest.raises(InputError, match="thresholds differ in number between groups"):
        cs.cbsem(BASE, data.round(), ordered=True, group="g")


def _ridge_data() -> tuple[str, pd.DataFrame]:
    """Four factors, one of whose markers barely loads while another item loads against
    it: Fisher scoring stalls from both starts (the principal-component one and lavaan's
    simple one) on the flat ridge this leaves."""
    rng = np.random.default_rng(0)
    k, m, n = int(rng.integers(2, 5)), int(rng.integers(3, 6)), int(rng.integers(80, 400))
    phi = np.full((k, k), rng.uniform(0.1, 0.7))
    np.fill_diagonal(phi, 1)
    f = rng.multivariate_normal(np.zeros(k), phi, size=n)
    cols = {}
    for j in range(k):
        for i in range(m):
            lam = rng.uniform(0.3, 1.2) * (1 if rng.random() > 0.1 else -1)
            cols[f"x{j}_{i}"] = 5 + lam * f[:, j] * rng.uniform(0.5, 2) + \
                rng.normal(size=n) * rng.uniform(0.3, 1.5)
    model = "\n".join(f"F{j} =~ " + " + ".join(f"x{j}_{i}" for i in range(m))
                      for j in range(k)) + f"\nF{k - 1} ~ F0 + F1\n"
    return model, pd.DataFrame(cols)


@pytest.mark.slow
def test_a_flat_ridge_is_walked_to_lavaans_solution(tmp_path):
    from crmsurvey.cbsem.build import build, group_rows
    from crmsurvey.cbsem.scoring import score_fit
    from crmsurvey.cbsem.structure import simple_start, start_values, \
        structure_from_partable

    model, data = _ridge_data()
    built = build(model)
    x = data[list(built.observed)].to_numpy()
    s = np.cov(x, rowvar=False, bias=True)
    rows = group_rows(built.pt, 1)
    st = structure_from_partable(rows, list(built.observed), s)
    both = score_fit(st, np.stack([s, s]), np.stack([start_values(st, rows, s),
                                                       simple_start(st, rows, s)]))
    assert not both.converged.any()  # the case the quasi-Newton fallback is for
    ref = run_lavaan("sem_ml.R", data, tmp_path, model=model)
    assert ref["fit"]["converged"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.cbsem(model, data)
    assert "non_convergence" not in {d.code for d in res.diagnostics}
    for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr"):
        _close(float(res.fit[k]), float(ref["fit"][k]), k)
    got = res.estimates.set_index(["lhs", "op", "rhs"])
    for r in ref["est"].itertuples():
        _close(got.loc[(r.lhs, r.op, r.rhs), "est"], r.est, (r.lhs, r.op, r.rhs))
        if r.se > 0:
            _close(got.loc[(r.lhs, r.op, r.rhs), "se"], r.se, (r.lhs, r.op, r.rhs, "se"))
