"""Weights from population targets: raking against iterative proportional fitting written
out here and against R's survey::rake (Debian r-cran-survey, run in the test when it is
installed); post-stratification and linear calibration against their closed forms (and
R's calibrate); achieved margins, trimming bounds, Kish's design effect; the study
section, the report's table and the CLI."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import ConvergenceWarning, DataWarning, InputError
from crmsurvey.weighting import read_target_table

ROOT = Path(__file__).resolve().parent.parent
GENDER = {1: 0.49, 2: 0.51}
AGE = {1: 0.22, 2: 0.29, 3: 0.27, 4: 0.22}
REGION = {"north": 0.3, "south": 0.45, "west": 0.25}


def skewed_sample(n: int = 1500, seed: int = 3) -> pd.DataFrame:
    """An online-panel-like sample: too many men and young people, gender and age
    related, regions uneven, and design weights."""
    rng = np.random.default_rng(seed)
    gender = rng.choice([1, 2], n, p=[0.62, 0.38])
    age = np.where(gender == 1, rng.choice([1, 2, 3, 4], n, p=[0.45, 0.3, 0.17, 0.08]),
                   rng.choice([1, 2, 3, 4], n, p=[0.35, 0.3, 0.22, 0.13]))
    region = rng.choice(["north", "south", "west"], n, p=[0.4, 0.4, 0.2])
    return pd.DataFrame({"gender": gender, "age": age, "region": region,
                         "brand": rng.choice(["A", "B"], n),
                         "d": rng.lognormal(0, 0.3, n)})


def ipf_by_hand(df: pd.DataFrame, targets: dict, base=None, sweeps: int = 200
                ) -> np.ndarray:
    """Iterative proportional fitting as in Deming & Stephan (1940), one category at a
    time: each category's weights are multiplied so its weighted total is its target
    share of the current total."""
    w = np.ones(len(df)) if base is None else np.asarray(base, float).copy()
    for _ in range(sweeps):
        for var, cats in targets.items():
            total = sum(cats.values())
            grand = w.sum()
            new = w.copy()
            for cat, t in cats.items():
                rows = (df[var] == cat).to_numpy()
                new[rows] = w[rows] * (t / total) * grand / w[rows].sum()
            w = new
    return w / w.mean()


def weighted_shares(df, w, var) -> pd.Series:
    return pd.Series(w).groupby(df[var].to_numpy()).sum() / w.sum()


def test_raking_equals_ipf_written_out():
    df = skewed_sample()
    targets = {"gender": GENDER, "age": AGE, "region": REGION}
    r = cs.rake(df, targets, tol=1e-12, max_iter=1000)
    assert r.converged and r.max_error <= 1e-12
    np.testing.assert_allclose(r.weights, ipf_by_hand(df, targets), rtol=1e-9)
    assert r.weights.mean() == pytest.approx(1.0, abs=1e-12)
    # with a design weight to start from
    r = cs.rake(df, targets, base="d", tol=1e-12, max_iter=1000)
    np.testing.assert_allclose(r.weights, ipf_by_hand(df, targets, df["d"]), rtol=1e-9)


def test_achieved_margins_equal_targets_and_table():
    df = skewed_sample()
    r = cs.rake(df, {"gender": GENDER, "age": AGE}, tol=1e-10)
    for var, cats in (("gender", GENDER), ("age", AGE)):
        got = weighted_shares(df, r.weights, var)
        for cat, share in cats.items():
            assert got[cat] == pytest.approx(share, abs=1e-9)
            row = r.table.query("variable == @var and category == @cat").iloc[0]
            assert row.target_share == pytest.approx(share)
            assert row.weighted_share == pytest.approx(share, abs=1e-9)
            assert row.sample_share == pytest.approx((df[var] == cat).mean())
            assert row.n == (df[var] == cat).sum()
    assert list(r.table.columns) == ["by", "variable", "category", "n", "sample_share",
                                     "target_share", "weighted_share"]
    assert "gender" in r.summary() and "design effect" in r.summary()


def test_counts_percentages_and_shares_give_the_same_weights():
    df = skewed_sample(600)
    shares = cs.rake(df, {"gender": GENDER, "age": AGE}).weights
    counts = cs.rake(df, {"gender": {1: 4900, 2: 5100},
                          "age": {1: 22, 2: 29, 3: 27, 4: 22}}).weights
    np.testing.assert_allclose(shares, counts, rtol=1e-12)
    # codes written as text in a targets file match numeric data
    text = cs.rake(df, {"gender": {"1": 0.49, "2": 0.51}, "age": AGE}).weights
    np.testing.assert_allclose(shares, text, rtol=1e-12)


def test_trimming_bounds_hold_and_margins_still_met():
    df = skewed_sample()
    targets = {"gender": GENDER, "age": AGE, "region": REGION}
    free = cs.rake(df, targets)
    assert free.weight_min < 0.5 and free.weight_max > 2.5  # the bounds below bite
    r = cs.rake(df, targets, trim=(0.5, 2.5), max_iter=500)
    assert r.converged
    assert r.weights.min() >= 0.5 - 1e-6 and r.weights.max() <= 2.5 + 1e-6
    assert r.weights.mean() == pytest.approx(1.0, abs=1e-12)
    for var, cats in targets.items():
        got = weighted_shares(df, r.weights, var)
        for cat, share in cats.items():
            assert got[cat] == pytest.approx(share, abs=1e-5)
    # linear calibration with the same bounds: bounded, margins met
    lin = cs.calibrate(df, targets, trim=(0.5, 2.5))
    assert lin.converged
    assert lin.weights.min() >= 0.5 - 1e-6 and lin.weights.max() <= 2.5 + 1e-6
    for var, cats in targets.items():
        got = weighted_shares(df, lin.weights, var)
        for cat, share in cats.items():
            assert got[cat] == pytest.approx(share, abs=1e-5)


def test_bounds_that_cannot_hold_are_a_diagnostic():
    df = skewed_sample()
    # age 4 is 10% of the sample and 22% of the population: weights near 2.2 are needed
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        r = cs.rake(df, {"age": AGE}, trim=(0.5, 1.5))
    assert not r.converged
    assert [d.code for d in r.diagnostics] == ["weight_not_converged"]


def test_kish_design_effect_is_one_plus_cv_squared():
    df = skewed_sample()
    r = cs.rake(df, {"gender": GENDER, "age": AGE, "region": REGION}, base="d")
    w = r.weights
    cv2 = np.std(w) ** 2 / np.mean(w) ** 2  # population standard deviation
    assert r.deff == pytest.approx(1 + cv2, rel=1e-12)
    assert r.efficiency == pytest.approx(1 / (1 + cv2), rel=1e-12)
    assert r.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    assert (r.weight_min, r.weight_max) == (w.min(), w.max())


def test_by_rakes_each_level_to_its_own_targets():
    df = skewed_sample()
    per_brand = {"A": {"gender": {1: 0.6, 2: 0.4}}, "B": {"gender": {1: 0.3, 2: 0.7}}}
    r = cs.rake(df, per_brand, by="brand")
    for brand, t in per_brand.items():
        rows = (df["brand"] == brand).to_numpy()
        w = r.weights[rows]
        assert w.mean() == pytest.approx(1.0, abs=1e-12)  # mean 1 within each level
        got = weighted_shares(df[rows].reset_index(drop=True), w, "gender")
        assert got[1] == pytest.approx(t["gender"][1], abs=1e-9)
        g = r.groups.set_index("by").loc[brand]
        assert g.n == rows.sum()
        assert g.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert set(r.table["by"].dropna()) == {"A", "B"}
    # the whole sample's rows: shares over everyone, the target weighted by level sizes
    whole = r.table[r.table["by"].isna()].set_index("category")
    n_a = (df["brand"] == "A").sum()
    want = (n_a * 0.6 + (len(df) - n_a) * 0.3) / len(df)
    assert whole.loc[1, "target_share"] == pytest.approx(want)
    assert whole.loc[1, "weighted_share"] == pytest.approx(want, abs=1e-9)
    assert whole.loc[1, "sample_share"] == pytest.approx((df["gender"] == 1).mean())
    # one set of targets for every level
    same = cs.rake(df, {"gender": GENDER}, by="brand")
    for brand in "AB":
        rows = (df["brand"] == brand).to_numpy()
        got = weighted_shares(df[rows].reset_index(drop=True), same.weights[rows], "gender")
        assert got[2] == pytest.approx(0.51, abs=1e-9)
    with pytest.raises(InputError, match="'B' has no targets"):
        cs.rake(df, {"A": {"gender": GENDER}}, by="brand")


def test_poststratification_closed_form():
    df = skewed_sample(800)
    cells = pd.DataFrame([{"gender": g, "age": a, "target": GENDER[g] * AGE[a]}
                          for g in GENDER for a in AGE])
    r = cs.poststratify(df, cells, base="d")
    # w_i = d_i · T_c · Σd / Σ_{j in c} d_j, then mean 1
    d = df["d"].to_numpy()
    cell_d = df.assign(d=d).groupby(["gender", "age"])["d"].transform("sum").to_numpy()
    t = df.apply(lambda row: GENDER[row.gender] * AGE[row.age], axis=1).to_numpy()
    want = d * t * d.sum() / cell_d
    np.testing.assert_allclose(r.weights, want / want.mean(), rtol=1e-12)
    assert r.iterations == 1 and r.converged
    assert set(r.table["variable"]) == {"gender × age"}


def test_linear_calibration_closed_form():
    df = skewed_sample(900)
    targets = {"gender": GENDER, "age": AGE}
    r = cs.calibrate(df, targets, base="d")
    # GREG: w = d (1 + x'λ), λ = (X'DX)^-1 (T - X'd); x = intercept + dummies (first
    # category of each variable left out), T = N (1, shares of the other categories)
    d = df["d"].to_numpy() / df["d"].mean()
    x = np.column_stack([np.ones(len(df))] + [(df["gender"] == 2).to_numpy(float)]
                        + [(df["age"] == a).to_numpy(float) for a in (2, 3, 4)])
    n = d.sum()
    t = n * np.array([1.0, GENDER[2], AGE[2], AGE[3], AGE[4]])
    lam = np.linalg.solve(x.T @ (d[:, None] * x), t - x.T @ d)
    want = d * (1 + x @ lam)
    np.testing.assert_allclose(r.weights, want / want.mean(), rtol=1e-10)


def test_empty_category_missing_and_stray_codes_are_diagnostics():
    df = skewed_sample(500)
    df.loc[:9, "gender"] = np.nan
    df.loc[10:14, "gender"] = 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = cs.rake(df, {"gender": GENDER, "age": {1: 22, 2: 29, 3: 27, 4: 22, 5: 10}})
    codes = [d.code for d in r.diagnostics]
    assert codes.count("weight_target_empty") == 1  # age 5: no respondent
    assert "weight_missing" in codes and "weight_uncovered" in codes
    assert any(issubclass(w.category, DataWarning) for w in caught)
    empty = r.table.query("variable == 'age' and category == 5").iloc[0]
    assert empty.n == 0 and empty.weighted_share == 0
    # the other age categories are raked to their targets rescaled to add up to 1
    got = weighted_shares(df, r.weights, "age")
    assert empty.target_share == pytest.approx(10 / 110)
    assert got[1] == pytest.approx(0.22, abs=1e-6)
    # respondents without a gender keep out of its shares; the rest match the targets
    known = df["gender"].isin([1, 2]).to_numpy()
    got = weighted_shares(df[known].reset_index(drop=True), r.weights[known], "gender")
    assert got[1] == pytest.approx(0.49, abs=1e-6)


def test_extreme_design_effect_is_a_diagnostic():
    df = skewed_sample(1000)
    with pytest.warns(DataWarning, match="design effect"):
        r = cs.rake(df, {"age": {1: 0.02, 2: 0.03, 3: 0.05, 4: 0.9}})
    assert r.deff > 2
    assert "weight_deff_high" in [d.code for d in r.diagnostics]


@pytest.mark.parametrize("targets, match", [
    ({"gender": {1: 0.49, 2: 0.41}}, "shares add up to 0.9"),
    ({"gender": {1: -1, 2: 2}}, "non-negative"),
    ({"sex": GENDER}, "'sex' is not in the data"),
    ({}, "at least one variable"),
])
def test_bad_targets_are_input_errors(targets, match):
    with pytest.raises(InputError, match=match):
        cs.rake(skewed_sample(100), targets)


def test_target_table_file(tmp_path):
    p = tmp_path / "targets.csv"
    p.write_text("variable,category,target\ngender,1,49\ngender,2,51\nage,1,.22\n"
                 "age,2,.29\nage,3,.27\nage,4,.22\n", encoding="utf-8")
    assert read_target_table(p) == {None: {"gender": {1: 49.0, 2: 51.0}, "age": AGE}}
    p.write_text("variable,category,target\ngender,1,0.49\ngender,2,lots\n")
    with pytest.raises(InputError, match=r"targets.csv:3: target 'lots' is not a number"):
        read_target_table(p)


# --- R's survey package, run here ------------------------------------------------------

def _has_r_survey() -> bool:
    if shutil.which("Rscript") is None:
        return False
    return subprocess.run(["Rscript", "-e", "library(survey)"],
                          capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _has_r_survey(), reason="R's survey package is not installed "
                    "(Debian r-cran-survey; ./setup.sh installs it)")
def test_rake_and_linear_calibration_match_r_survey(tmp_path):
    df = skewed_sample(700)
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    n = 700
    script = f"""
suppressMessages(library(survey))
d <- read.csv('{path}')
d$gender <- factor(d$gender); d$age <- factor(d$age); d$region <- factor(d$region)
des <- svydesign(ids = ~1, weights = ~d, data = d)
pg <- data.frame(gender = factor(1:2), Freq = {n} * c(0.49, 0.51))
pa <- data.frame(age = factor(1:4), Freq = {n} * c(0.22, 0.29, 0.27, 0.22))
pr <- data.frame(region = factor(c('north', 'south', 'west')),
                 Freq = {n} * c(0.3, 0.45, 0.25))
raked <- rake(des, list(~gender, ~age, ~region), list(pg, pa, pr),
              control = list(maxit = 1000, epsilon = 1e-10))
lin <- calibrate(des, ~gender + age, population = c(`(Intercept)` = {n},
                 gender2 = {n} * 0.51, age2 = {n} * 0.29, age3 = {n} * 0.27,
                 age4 = {n} * 0.22), calfun = "linear")
write.csv(data.frame(rake = weights(raked), linear = weights(lin)), stdout(),
          row.names = FALSE)
"""
    proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r_w = pd.read_csv(io.StringIO(proc.stdout))
    ours = cs.rake(df, {"gender": GENDER, "age": AGE, "region": REGION}, base="d",
                   tol=1e-12, max_iter=1000)
    np.testing.assert_allclose(ours.weights, r_w["rake"] / r_w["rake"].mean(), rtol=1e-8)
    lin = cs.calibrate(df, {"gender": GENDER, "age": AGE}, base="d")
    np.testing.assert_allclose(lin.weights, r_w["linear"] / r_w["linear"].mean(),
                               rtol=1e-8)


# --- simulated skew, the CLI and the study ------------------------------------------------

def test_simulated_skew_leaves_the_other_columns_alone(tmp_path):
    """The questionnaire's simulate.shares skews gender and age from their own streams:
    every other column is as without them."""
    from crmsurvey._resources import bundled_questionnaire

    text = bundled_questionnaire("ccsi").read_text(encoding="utf-8")
    assert "  shares:\n" in text
    plain = tmp_path / "plain.yaml"
    plain.write_text(text[:text.index("  # an online panel")], encoding="utf-8")
    skewed = cs.simulate(cs.load_questionnaire("ccsi"), 3000, seed=9)
    even = cs.simulate(cs.load_questionnaire(plain), 3000, seed=9)
    others = [c for c in skewed.columns if c not in ("gender", "age")]
    pd.testing.assert_frame_equal(skewed[others], even[others])
    shares = pd.to_numeric(skewed["age"], errors="coerce").value_counts(normalize=True)
    assert shares[1.0] == pytest.approx(0.34, abs=0.03)
    assert shares[4.0] == pytest.approx(0.13, abs=0.03)


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 250, seed=4, groups={"brand": ["A", "B"]}).to_csv(folder / "d.csv",
                                                                      index=False)
    return folder


def _cli(*args) -> tuple[int, str, str]:
    import contextlib

    from crmsurvey.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def test_cli_weights_writes_the_column_and_prints_the_margins(panel):
    (panel / "t.yaml").write_text("rake:\n  gender: {1: 0.49, 2: 0.49, 3: 0.02}\n"
                                  "  age: {1: 22, 2: 29, 3: 27, 4: 22}\nby: brand\n"
                                  "trim: [0.3, 3.0]\n", encoding="utf-8")
    code, out, err = _cli("weights", "ccsi", panel / "d.csv", "--targets", panel / "t.yaml",
                          "-o", panel / "w.csv")
    assert code == 0, err
    assert "converged" in out and "design effect" in out and "sample_share" in out
    assert "screened:" in err and "'weight'" in err
    raw = pd.read_csv(panel / "d.csv")
    got = pd.read_csv(panel / "w.csv")
    assert len(got) == len(raw) and list(got.columns) == list(raw.columns)
    kept = got[got["weight"].notna()]
    assert 0 < len(kept) < len(raw)  # screened rows have no weight
    assert (kept["weight"] >= 0.3 - 1e-6).all() and (kept["weight"] <= 3.0 + 1e-6).all()
    for brand, rows in kept.groupby("brand"):
        w = rows["weight"].to_numpy()
        assert w.mean() == pytest.approx(1.0, abs=1e-9)
        share = weighted_shares(rows.reset_index(drop=True), w, "age")
        assert share[4] == pytest.approx(0.22, abs=1e-5)
    # a CSV table, linear calibration, JSON out
    (panel / "t.csv").write_text("variable,category,target\ngender,1,.49\ngender,2,.49\n"
                                 "gender,3,.02\n", encoding="utf-8")
    code, out, _ = _cli("weights", "ccsi", panel / "d.csv", "--targets", panel / "t.csv",
                        "--method", "linear", "-o", panel / "w2.csv", "--json")
    assert code == 0
    assert json.loads(out)["method"] == "linear" and json.loads(out)["converged"]
    # bounds no weighting can keep: written, said, and exit 3 with --strict
    code, out, err = _cli("weights", "ccsi", panel / "d.csv", "--targets", panel / "t.yaml",
                          "--trim", "0.9,1.05", "-o", panel / "w3.csv", "--strict")
    assert code == 3 and "did not converge" in out and "strict:" in err
    assert (panel / "w3.csv").is_file()
    # a target category without respondents: the target is missed, exit 3 with --strict
    raw[raw["gender"] != 3].to_csv(panel / "no3.csv", index=False)
    (panel / "g.yaml").write_text("rake:\n  gender: {1: 0.49, 2: 0.49, 3: 0.02}\n",
                                  encoding="utf-8")
    args = ("weights", "ccsi", panel / "no3.csv", "--targets", panel / "g.yaml", "-o",
            panel / "w4.csv")
    assert _cli(*args)[0] == 0
    code, out, err = _cli(*args, "--strict")
    assert code == 3 and "converged" in out and "1 target(s) without respondents" in err


@pytest.mark.parametrize("name, text, where", [
    ("bad.yaml", "rake:\n  gender: {1: 0.49, 2: 0.51}\n  age: {1: .5, 5: .5}\n",
     "bad.yaml:3:"),
    ("bad.csv", "variable,category,target\ngender,1,.49\ngender,2,.51\nage,7,1\n",
     "bad.csv:4:"),
    ("bad2.yaml", "rake:\n  sex: {1: 0.49, 2: 0.51}\n", "bad2.yaml:2:"),
])
def test_cli_weights_unknown_target_is_exit_2_with_file_line(panel, name, text, where):
    (panel / name).write_text(text, encoding="utf-8")
    code, out, err = _cli("weights", "ccsi", panel / "d.csv", "--targets", panel / name,
                          "-o", panel / "x.csv")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and where in err
    assert not (panel / "x.csv").exists()


@pytest.mark.parametrize("flags, says", [
    (["--trim", "3,0.3"], "--trim [3.0, 0.3]"),
    (["--trim", "0.3"], "--trim '0.3' is not LOW,HIGH"),
    (["--by", "brnd"], "--by 'brnd' is not an item"),
    (["--base", "nps"], "--base 'nps' is not a weight item"),
    (["--method", "ipf"], "--method 'ipf'"),
    (["-o", "OUT.json"], "cannot write '.json'"),
])
def test_cli_weights_bad_flags_name_the_flag_not_the_file(panel, flags, says):
    (panel / "t.yaml").write_text("rake:\n  gender: {1: 0.49, 2: 0.49, 3: 0.02}\n"
                                  "by: brand\ntrim: [0.3, 3.0]\n", encoding="utf-8")
    flags = [str(panel / f) if f.startswith("OUT") else f for f in flags]
    code, out, err = _cli("weights", "ccsi", panel / "d.csv", "--targets", panel / "t.yaml",
                          "-o", panel / "x.csv", *flags)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert says in err and "t.yaml" not in err  # the file's own trim and by are fine
    assert "screened" not in err  # said before the data are read
    assert not (panel / "x.csv").exists()


STD_TARGETS = Path(__file__).parents[1] / "studies" / "targets_ccsi.yaml"


def test_cli_weights_unreadable_inputs_are_exit_2(panel):
    (panel / "syntax.yaml").write_text("rake:\n  gender: {1: 0.49, 2: 0.51\n  age: [\n",
                                       encoding="utf-8")
    for args, says in [((panel / "d.csv", "--targets", panel / "syntax.yaml"), "syntax.yaml:3"),
                       ((panel / "none.csv", "--targets", STD_TARGETS), "none.csv"),
                       ((panel / "d.csv", "--targets", panel / "none.yaml"), "none.yaml")]:
        code, out, err = _cli("weights", "ccsi", *args, "-o", panel / "x.csv")
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert says in err


def test_cli_weights_names_the_data_row_without_a_by_value(panel):
    """A respondent without a brand cannot be weighted within brands: exit 2 naming its
    row of the data file (1 = the first data row), not its place among the kept rows."""
    raw = pd.read_csv(panel / "d.csv")
    raw.loc[raw.index[-3], "brand"] = None
    raw.to_csv(panel / "gap.csv", index=False)
    code, out, err = _cli("weights", "ccsi", panel / "gap.csv", "--targets", STD_TARGETS,
                          "--exclude", "none", "-o", panel / "x.csv")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"(first: row {len(raw) - 2})" in err, err


STUDY = """\
id: weighted
title: Weighted study
questionnaire: ccsi
data:
  - simulate: {{n: 150, seed: 5, groups: {{brand: [A, B]}}}}
groups: [brand]
pls: {{bootstrap: 0}}
report: {{sections: [summary, sample, methodology]}}
weighting:
  rake:
    gender: {{1: 0.49, 2: 0.49, 3: 0.02}}
    age: {{1: 0.22, 2: 0.29, 3: 0.27, {code}: 0.22}}
  by: brand
  trim: [0.3, 4.0]
"""


def test_unknown_code_in_a_study_is_its_line(tmp_path):
    (tmp_path / "s.yaml").write_text(STUDY.format(code=5), encoding="utf-8")
    with pytest.raises(InputError, match=r"s.yaml:12:\d+: 5 is not a code of 'age'"):
        cs.load_study(tmp_path / "s.yaml")
    text = STUDY.format(code=4).replace("questionnaire: ccsi\n",
                                        "questionnaire: ccsi\nweight: weight\n")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"s.yaml:4:\d+: weight: and weighting: are both"):
        cs.load_study(tmp_path / "s.yaml")


@pytest.fixture(scope="module")
def weighted_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    (folder / "s.yaml").write_text(STUDY.format(code=4), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.run_study(cs.load_study(folder / "s.yaml"))


@pytest.mark.slow
def test_a_weighted_study_uses_and_shows_its_weights(weighted_study):
    from crmsurvey.report.render import build_html
    from crmsurvey.study import Results
    from crmsurvey.study.workbook import workbook

    res = weighted_study.results
    wt = res.weighting
    assert wt is not None and wt.method == "rake" and wt.by == "brand" and wt.converged
    whole = [r for r in wt.table if r["by"] is None and r["variable"] == "age"]
    assert [r["target_share"] for r in whole] == pytest.approx([0.22, 0.29, 0.27, 0.22])
    assert [r["weighted_share"] for r in whole] == pytest.approx([0.22, 0.29, 0.27, 0.22],
                                                                 abs=1e-5)
    # the weights are the ones every estimate uses: Kish's n of each brand's PLS model
    for g in wt.groups:
        model = res.model_of({"brand": g["by"]})
        assert model.disclosure.weighted
        assert model.disclosure.n_eff == pytest.approx(g["n_eff"], rel=1e-9)
    # results.json keeps it; the report shows sample vs population vs weighted
    back = Results.model_validate(json.loads(res.to_json()))
    assert back.weighting == wt
    html = build_html(back, lang="en")
    assert "Who the sample stands for" in html and "Population" in html
    assert "60 and over" in html and "22.0%" in html
    zh = build_html(back, lang="zh-CN")
    assert "样本的代表性" in zh and "加权后" in zh and "60岁及以上" in zh
    assert "Kish设计效应" in zh
    tables = weighted_study.tables
    assert {"weighting", "weighting_groups"} <= set(tables)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(workbook(tables, back)))
    assert "Weighting targets" in book.sheetnames


def test_targets_and_cells_from_csv_files(tmp_path):
    df = skewed_sample(600)
    (tmp_path / "t.csv").write_text("by,variable,category,target\nA,gender,1,.6\nA,gender,2,.4\n"
                                    "B,gender,1,30\nB,gender,2,70\n", encoding="utf-8")
    from_file = cs.rake(df, tmp_path / "t.csv", by="brand")
    inline = cs.rake(df, {"A": {"gender": {1: .6, 2: .4}}, "B": {"gender": {1: .3, 2: .7}}},
                     by="brand")
    np.testing.assert_allclose(from_file.weights, inline.weights, rtol=1e-12)
    (tmp_path / "c.csv").write_text("gender,region,target\n" + "".join(
        f"{g},{r},{GENDER[g] * REGION[r]}\n" for g in GENDER for r in REGION),
        encoding="utf-8")
    cells = pd.DataFrame([{"gender": g, "region": r, "target": GENDER[g] * REGION[r]}
                          for g in GENDER for r in REGION])
    np.testing.assert_allclose(cs.poststratify(df, tmp_path / "c.csv").weights,
                               cs.poststratify(df, cells).weights, rtol=1e-12)


def test_demo_is_weighted_to_its_stated_targets(demo_runs):
    """The demo study rakes its simulated panel (skewed young and male) to the targets
    its study file states; the report's sample section shows sample vs population vs
    weighted shares in both languages."""
    import yaml

    from crmsurvey.study import load_results

    stated = yaml.safe_load((ROOT / "studies" / "demo_ccsi.yaml").read_text(
        encoding="utf-8"))["weighting"]
    wt = load_results(demo_runs["en"] / "results.json").weighting
    assert wt is not None and wt.converged and wt.by == stated["by"]
    assert wt.trim == stated["trim"]
    for var, cats in stated["rake"].items():
        rows = {r["category"]: r for r in wt.table if r["by"] is None and r["variable"] == var}
        for code, share in cats.items():
            assert rows[code]["target_share"] == pytest.approx(share)
            assert rows[code]["weighted_share"] == pytest.approx(share, abs=1e-5)
    young = next(r for r in wt.table if r["by"] is None and r["variable"] == "age"
                 and r["category"] == 1)
    assert young["sample_share"] > young["target_share"] + 0.05  # the panel's skew
    en = (demo_runs["en"] / "report.html").read_text(encoding="utf-8")
    zh = (demo_runs["zh-CN"] / "report.zh-CN.html").read_text(encoding="utf-8")
    assert "Who the sample stands for" in en and "60 and over" in en
    assert "样本的代表性" in zh and "60岁及以上" in zh
