"""WLSMV on lavaan's parameter table, checked against lavaan run in the test.

One Rscript call fits every case (tests/lavaan/wlsmv_mixed_suite.R): all-ordered CFAs
written with ``NA*`` and with ``std_lv``; ordered items beside continuous ones and a yes/no
complaint item (CFA, SEM, an ordered outcome, ``orthogonal``, labels, ``==``,
``start()``, a defined parameter); two groups, configural, per-group labels, and with
loadings, thresholds and intercepts equal (lavaan's ``group.equal``). ``cs.cbsem`` must give lavaan's
npar, χ² (plain and scaled-shifted), df, scaling factor and shift, baseline, CFI, TLI and
RMSEA (plain, scaled and robust) and every estimate and standard error to 1e-3. The
sample statistics and their Γ are checked separately against lavaan's ``wls.obs`` and
``NACOV``.
"""
import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError

from .lavaan import run_lavaan

pytestmark = pytest.mark.slow

A = "A =~ a1 + a2 + a3 + a4\n"
MIXED = A + "B =~ b1 + b2 + b3 + b4 + c\n"
ORD_A = ["a1", "a2", "a3", "a4"]
ORD_Q = ["q1", "q2", "q3"]

# case: (model, ordered, std_lv, group, group_equal)
CASES = {
    "ordered_na": ("A =~ NA*a1 + a2 + a3 + a4\nA ~~ 1*A\nQ =~ q1 + q2 + q3\n",
                   ORD_A + ORD_Q, False, "", ()),
    "ordered_std_lv": (A + "Q =~ q1 + q2 + q3\n", ORD_A + ORD_Q, True, "", ()),
    "mixed_cfa": (MIXED, ORD_A + ["c"], False, "", ()),
    "mixed_sem": (MIXED + "B ~ A\n", ORD_A + ["c"], False, "", ()),
    "groups_configural": (MIXED, ORD_A + ["c"], False, "g", ()),
    "groups_invariant": (MIXED, ORD_A + ["c"], False, "g", ("loadings", "thresholds")),
    "groups_intercepts": (MIXED, ORD_A + ["c"], False, "g",
                          ("loadings", "thresholds", "intercepts")),
    "orthogonal": (MIXED, ORD_A + ["c"], False, "", ()),
    "groups_li": (MIXED, ORD_A + ["c"], False, "g", ("loadings", "intercepts")),
    "groups_std_lv": (MIXED, ORD_A + ["c"], True, "g", ("loadings", "thresholds")),
    "groups_metric": (MIXED, ORD_A + ["c"], False, "g", ("loadings",)),
    "groups_sem": (MIXED + "B ~ A\n", ORD_A + ["c"], False, "g", ("loadings", "thresholds")),
    "ordered_groups": (A + "Q =~ q1 + q2 + q3\n", ORD_A + ORD_Q, False, "g",
                       ("loadings", "thresholds")),
    "labels_start": ("A =~ a1 + l*a2 + l*a3 + start(0.9)*a4\nB =~ b1 + p*b2 + q*b3 + b4 + c"
                     "\np == q\n", ORD_A + ["c"], False, "", ()),
    "ordered_outcome": (A + "B =~ b1 + b2 + b3 + b4\nc ~ A + B\n", ORD_A + ["c"], False,
                        "", ()),
    "empty_cell": ("B =~ b1 + b2 + b3 + c + d\n", ["c", "d"], False, "", ()),
    "defined": (MIXED + "B ~ p*A\nd := 2*p\n", ORD_A + ["c"], False, "", ()),
    "group_labels": ("A =~ a1 + c(v, v)*a2 + c(w1, w2)*a3 + c(1, NA)*a4\n"
                     "B =~ b1 + b2 + b3 + b4 + c\n", ORD_A + ["c"], False, "g", ()),
}
ORTHOGONAL = {"orthogonal"}  # fitted with orthogonal = TRUE
MEASURES = ["npar", "chisq", "df", "chisq.scaled", "chisq.scaling.factor",
            "chisq.shift.parameter", "baseline.chisq", "baseline.chisq.scaled", "cfi",
            "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust",
            "tli.robust", "rmsea.robust", "srmr"]


def _data(seed: int = 41) -> pd.DataFrame:
    """Two groups of 400: factor A measured by four ordered items (2–5 categories), B by
    four continuous items and a yes/no complaint item, Q by three ordered items; the
    second group's factors have other means and variances. A rare yes/no item ``d`` is
    never 1 with ``c`` (their 2×2 table has an empty cell: lavaan's zero.add)."""
    rng = np.random.default_rng(seed)
    n = 800
    g = np.repeat(["north", "south"], n // 2)
    second = g == "south"
    f = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=n)
    f[second] = f[second] * 1.2 + [.3, -.2, .1]
    cols = {}
    cuts = ([-1, 0, 1], [-.4, .7], [-1.5, -.5, .5, 1.2], [.2])
    for j, (lam, cut) in enumerate(zip([.8, .7, .75, .6], cuts)):
        cols[f"a{j + 1}"] = np.digitize(lam * f[:, 0] + rng.normal(size=n) * .6, cut) + 1
    for j, lam in enumerate([.8, .6, .7, .5]):
        cols[f"b{j + 1}"] = 3 + lam * f[:, 1] + rng.normal(size=n) * .6
    cols["c"] = (0.7 * f[:, 1] + rng.normal(size=n) * .7 > .4).astype(int)  # complained
    for j, lam in enumerate([.7, .8, .6]):
        cols[f"q{j + 1}"] = np.digitize(lam * f[:, 2] + rng.normal(size=n) * .6,
                                        [-.6, .4]) + 1
    rare = np.flatnonzero((cols["c"] == 0) & (cols["b1"] < 2.4))[:12]
    cols["d"] = np.isin(np.arange(n), rare).astype(int)  # rare, never with c = 1
    return pd.DataFrame({**cols, "g": g})


@pytest.fixture(scope="module")
def lavaan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wlsmv")
    data = _data()
    cases = pd.DataFrame([dict(case=k, model=m, ordered="+".join(o), std_lv=str(s).upper(),
                               group=gr, group_equal="+".join(ge),
                               orthogonal=str(k in ORTHOGONAL).upper())
                          for k, (m, o, s, gr, ge) in CASES.items()])
    cases.to_csv(tmp / "cases.csv", index=False)
    ref = run_lavaan("wlsmv_mixed_suite.R", data, tmp, CASES=tmp / "cases.csv")
    return data, ref


def _fit(case, data):
    model, ordered, std_lv, group, group_equal = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.cbsem(model, data, ordered=ordered, std_lv=std_lv, group=group or None,
                        group_equal=group_equal, orthogonal=case in ORTHOGONAL)


@pytest.mark.parametrize("case", list(CASES))
def test_fit_measures_match_lavaan(lavaan, case):
    data, ref = lavaan
    res = _fit(case, data)
    assert res.settings.estimator == "WLSMV" and res.settings.semopy_version == ""
    for name in MEASURES:
        want = ref["fit"].get(f"{case}:{name}", np.nan)
        got = res.fit[name.replace(".", "_")]
        if np.isnan(want):  # lavaan reports no robust indices for mixed items or groups
            assert np.isnan(got), name
        else:
            assert got == pytest.approx(want, abs=1e-3, rel=1e-6), name


@pytest.mark.parametrize("case", list(CASES))
def test_r2_matches_lavaan(lavaan, case):
    data, ref = lavaan
    res = _fit(case, data)
    want = ref["fit"][ref["fit"].index.str.startswith(f"{case}:r2.")]
    r2 = res.r2.copy()
    groups = list(dict.fromkeys(r2["group"])) if "group" in r2 else [None]
    r2["g"] = [groups.index(v) + 1 for v in r2["group"]] if "group" in r2 else 1
    got = r2.set_index(["variable", "g"])["r2"]
    assert len(got) == len(want)
    for name, value in want.items():
        variable, g = name.split(":r2.", 1)[1].rsplit(".", 1)
        assert got[(variable, int(g))] == pytest.approx(value, abs=1e-3), name


@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_standard_errors_match_lavaan(lavaan, case):
    data, ref = lavaan
    res = _fit(case, data)
    want = ref["est"][ref["est"].case == case].copy()
    want["rhs"] = want["rhs"].fillna("")
    got = res.estimates.copy()
    groups = list(dict.fromkeys(got["group"])) if "group" in got else [None]
    got["g"] = [groups.index(v) + 1 for v in got["group"]] if "group" in got else 1
    got = got.set_index(["lhs", "op", "rhs", "g"])
    assert len(got) == len(want)
    for r in want.itertuples():
        row = got.loc[(r.lhs, r.op, r.rhs, r.group)]
        what = f"{r.lhs} {r.op} {r.rhs} (group {r.group})"
        assert row.est == pytest.approx(r.est, abs=1e-3), what
        if r.se > 0:
            assert row.se == pytest.approx(r.se, abs=1e-3), what
        else:
            assert np.isnan(row.se), what
        assert row.std_all == pytest.approx(r._8, abs=1e-3), what
        assert row.std_lv == pytest.approx(r._9, abs=1e-3), what


def test_sample_statistics_and_gamma_match_lavaan(tmp_path):
    """Thresholds, means, variances, polychoric/polyserial/Pearson covariances and their
    Γ (lavaan's ``wls.obs`` and ``NACOV``; lavaan stores −μ, so those rows flip sign)."""
    from crmsurvey.cbsem.ordered import sample_moments

    data = _data()[["a1", "a2", "a3", "b1", "b2", "c"]]
    code = """fit <- sem("A =~ a1 + a2 + a3\\nB =~ b1 + b2 + c", d, ordered = c("a1",
    "a2", "a3", "c"), estimator = "WLSMV")
    obs <- lavInspect(fit, "wls.obs")
    write_fit(obs)
    g <- lavInspect(fit, "gamma")
    write.csv(data.frame(i = rep(rownames(g), ncol(g)), j = rep(colnames(g), each = nrow(g)),
              est = as.vector(g)), "{EST}", row.names = FALSE)
    """
    (tmp_path / "stats.R").write_text(code, encoding="utf-8")
    from . import lavaan as lav

    old = lav.HERE
    try:
        lav.HERE = tmp_path
        (tmp_path / "common.R").write_text((old / "common.R").read_text(encoding="utf-8"),
                                           encoding="utf-8")
        ref = run_lavaan("stats.R", data, tmp_path / "out")
    finally:
        lav.HERE = old
    m = sample_moments(data, ["a1", "a2", "c", "a3"])
    want = ref["fit"]
    sign = {lab: -1.0 if lab.endswith("~1") else 1.0 for lab in m.labels}
    got = pd.Series(m.stats, index=m.labels)
    assert sorted(got.index) == sorted(want.index)
    for lab in want.index:
        assert got[lab] * sign[lab] == pytest.approx(want[lab], abs=1e-6), lab
    gam = pd.DataFrame(m.nacov, index=m.labels, columns=m.labels)
    for r in ref["est"].itertuples():
        assert gam.loc[r.i, r.j] * sign[r.i] * sign[r.j] == pytest.approx(r.est, abs=1e-5)


def test_semopy_is_not_imported_by_a_wlsmv_fit():
    code = ("import sys, warnings, numpy as np, pandas as pd, crmsurvey as cs\n"
            "from tests.test_cbsem_wlsmv_mixed import _data, MIXED\n"
            "warnings.simplefilter('ignore')\n"
            "cs.cbsem(MIXED, _data(), ordered=['a1', 'a2', 'a3', 'a4', 'c'])\n"
            "print('semopy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_refusals_name_the_reason():
    data = _data()
    with pytest.raises(InputError, match="one group at a time"):
        cs.cbsem(MIXED, data, ordered=ORD_A + ["c"], group="g", bootstrap=10)
    with pytest.raises(InputError, match="all ordered"):
        cs.cbsem(MIXED, data, ordered=ORD_A, bootstrap=10)
    with pytest.raises(InputError, match="not a parameter in the delta"):
        cs.cbsem(A + "a1 ~~ a1\n", data, ordered=ORD_A)
    with pytest.raises(InputError, match="group_equal='residuals'"):
        cs.cbsem(MIXED, data, ordered=ORD_A, group="g", group_equal=("residuals",))
    with pytest.raises(InputError, match="'c' predicts"):
        cs.cbsem(MIXED.replace("+ c", "") + "c ~ A\nB ~ c\n", data, ordered=ORD_A + ["c"])
    with pytest.raises(InputError, match="conditional.x"):
        cs.cbsem(MIXED.replace("+ c", "") + "B ~ b9\n", data.assign(b9=1.0 * data.c),
                 ordered=ORD_A)
    with pytest.raises(InputError, match="goes with group="):
        cs.cbsem(MIXED, data, ordered=ORD_A, group_equal="loadings")
    with pytest.raises(InputError, match="taken by WLSMV"):
        cs.cbsem(MIXED, data, group="g", group_equal=("loadings",))


def test_bootstrap_still_refits_all_ordered_models():
    data = _data()
    model, ordered = CASES["ordered_na"][:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.cbsem(model, data, ordered=ordered, bootstrap=20, seed=4)
    assert res.settings.se == "bootstrap"
    assert res.settings.n_failed < 20
    boot = res.estimates.set_index(["lhs", "op", "rhs"])
    col = "A=~a2"
    assert col in res.draws
    assert boot.loc[("A", "=~", "a2"), "se"] == pytest.approx(
        res.draws[col].std(ddof=1))


def test_cli_fits_groups_with_group_equal(tmp_path):
    """``crmsurvey cbsem --ordered … --group g --group-equal loadings,thresholds``: the
    invariant model (lavaan's npar, 43); a bad name is exit 2, one line."""
    _data().to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(MIXED, encoding="utf-8")
    cmd = [sys.executable, "-m", "crmsurvey.cli", "cbsem", str(tmp_path / "m.lav"),
           str(tmp_path / "d.csv"), "--ordered", "a1,a2,a3,a4,c", "--group", "g",
           "--group-equal"]
    out = subprocess.run(cmd + ["loadings,thresholds", "--json"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["fit"]["npar"] == 43 and res["settings"]["estimator"] == "WLSMV"
    bad = subprocess.run(cmd + ["residuals"], capture_output=True, text=True)
    assert bad.returncode == 2 and "group_equal='residuals'" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("case", ["groups_sem", "ordered_outcome", "labels_start"])
def test_jacobian_is_the_derivative_of_the_implied_statistics(case):
    """The analytic ``∂ stats / ∂u`` (thresholds, means, variances, covariances in the
    loadings, paths, latent means, scale factors) equals central differences of the
    implied statistics at a point away from the solution."""
    from crmsurvey.cbsem.ordered import sample_moments
    from crmsurvey.cbsem.ordered_model import OrderedModel, ordered_table, table_constraints
    from crmsurvey.cbsem.partable import parse_syntax, variables

    data = _data()
    model_text, ordered, std_lv, group, group_equal = CASES[case]
    observed = list(variables(parse_syntax(model_text)).ov)
    parts = [data[data.g == lv] for lv in ("north", "south")] if group else [data]
    sample = [sample_moments(part[observed], ordered) for part in parts]
    pt = ordered_table(model_text, ordered, {o: data[o].nunique() - 1 for o in ordered},
                       ngroups=len(parts), std_lv=std_lv, group_equal=group_equal)
    model = OrderedModel(pt, table_constraints(pt), observed, ordered,
                         [s.th_item for s in sample], [s.cov for s in sample])
    u = model.start(sample) + np.random.default_rng(1).normal(size=model.npar) * 0.1
    h = 1e-6
    for g in range(len(parts)):
        up = model.implied(model.rows(u + h * np.eye(len(u))), g)
        down = model.implied(model.rows(u - h * np.eye(len(u))), g)
        np.testing.assert_allclose(model.jacobian(u, g), ((up - down) / (2 * h)).T,
                                   atol=1e-7)



def test_bootstrap_with_equality_constraints_refits_each_resample():
    """Labels and ``==`` in an all-ordered model: each bootstrap draw (batched, from the
    resample's counts) is the full WLSMV fit of that resample's rows, to 1e-6."""
    from crmsurvey.moments import resample_counts

    data = _data()[ORD_A + ORD_Q]
    model = "A =~ a1 + l*a2 + l*a3 + a4\nQ =~ q1 + p*q2 + r*q3\np == r\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.cbsem(model, data, ordered=True, bootstrap=3, seed=8)
        assert res.settings.n_failed == 0
        freq = resample_counts(len(data), 8, range(1))[:3].astype(int)
        for k, f in enumerate(freq):
            one = cs.cbsem(model, data.loc[data.index.repeat(f)], ordered=True)
            got = one.estimates.set_index(["lhs", "op", "rhs"])
            for name in ("A=~a2", "A=~a3", "Q=~q2", "Q=~q3", "A~~Q", "a1|t2"):
                lhs, op, rhs = _split(name)
                assert res.draws[name].iloc[k] == pytest.approx(got.loc[(lhs, op, rhs),
                                                                        "est"], abs=1e-6)
    assert res.draws["A=~a2"].equals(res.draws["A=~a3"])


def _split(name: str) -> tuple[str, str, str]:
    for op in ("=~", "~~", "|"):
        if op in name:
            lhs, rhs = name.split(op)
            return lhs, op, rhs
    raise ValueError(name)
