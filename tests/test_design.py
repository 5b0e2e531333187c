"""Design-based uncertainty: Taylor-linearised standard errors against R's survey package
(Debian r-cran-survey, installed by setup.sh, run here on a sample the test builds) and
closed forms; the stratified cluster bootstrap against R's subbootstrap and the Taylor
SE; raking repeated inside the bootstrap."""
from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from crmsurvey.errors import InputError
from crmsurvey.weighting.design import (design_means, nps_values, share_values,
                                        survey_design)


def _has_r_survey() -> bool:
    if shutil.which("Rscript") is None:
        return False
    proc = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True)
    return proc.returncode == 0


needs_r = pytest.mark.skipif(not _has_r_survey(), reason="R's survey package is not "
                             "installed (Debian r-cran-survey; ./setup.sh installs it)")


def run_r(code: str, data: pd.DataFrame, tmp_path) -> pd.DataFrame:
    """Run R ``code`` with the survey package and ``d`` read from ``data``; the code
    writes a CSV to stdout with ``write.csv(..., stdout(), row.names = FALSE)``."""
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    script = (f"suppressMessages(library(survey))\nd <- read.csv('{path}')\n{code}\n")
    proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return pd.read_csv(io.StringIO(proc.stdout))


def stratified_clusters(seed: int = 5, *, lonely: bool = False) -> pd.DataFrame:
    """A stratified cluster sample: 4 regions (strata), 3–6 stores (clusters) each, 4–25
    respondents per store with a store effect, unequal weights, three brands crossing
    the stores, a 1–10 item with blanks and a 0–10 recommend question."""
    rng = np.random.default_rng(seed)
    rows = []
    store = 0
    for region, n_stores in enumerate([3, 5, 4, 6] + ([1] if lonely else []), start=1):
        for _ in range(n_stores):
            store += 1
            size = int(rng.integers(4, 26))
            effect = rng.normal(0, 1.2)
            sat = np.clip(np.round(7 + effect + rng.normal(0, 1.5, size)), 1, 10)
            rec = np.clip(np.round(7.5 + effect + rng.normal(0, 2, size)), 0, 10)
            rows.append(pd.DataFrame({
                "region": region, "store": 100 * region + store, "sat": sat, "rec": rec,
                "brand": rng.choice(["A", "B", "C"], size, p=[0.5, 0.3, 0.2]),
                "w": rng.lognormal(0, 0.4, size),
                "popstores": 3 * n_stores + region}))
    d = pd.concat(rows, ignore_index=True)
    d.loc[rng.random(len(d)) < 0.08, "sat"] = np.nan
    return d


# --- Taylor linearisation ----------------------------------------------------------

R_MEANS = """
options(survey.lonely.psu = "certainty")
des <- svydesign(ids = ~store, strata = ~region, weights = ~w, data = d, {FPC})
d$prom <- as.numeric(d$rec >= 9); d$det <- as.numeric(d$rec <= 6)
d$top <- as.numeric(d$sat >= 9)
des <- update(des, prom = d$prom, det = d$det, top = d$top)
row <- function(what, group, est) data.frame(what = what, group = group,
    est = as.numeric(coef(est)), se = as.numeric(SE(est)))
out <- rbind(row("sat", "all", svymean(~sat, des, na.rm = TRUE)),
             row("top", "all", svymean(~top, des, na.rm = TRUE)),
             row("nps", "all", svycontrast(svymean(~prom + det, des), c(1, -1))))
by <- svyby(~sat, ~brand, des, svymean, na.rm = TRUE)
out <- rbind(out, data.frame(what = "sat", group = by$brand, est = by$sat, se = SE(by)))
for (b in c("A", "B", "C")) {
  sub <- subset(des, brand == b)
  out <- rbind(out, row("nps", b, svycontrast(svymean(~prom + det, sub), c(1, -1))),
               row("top", b, svymean(~top, sub, na.rm = TRUE)))
}
write.csv(out, stdout(), row.names = FALSE)
"""


def _ours(d: pd.DataFrame, fpc: str | None = None) -> dict[tuple[str, str], tuple]:
    design = survey_design(d, strata="region", cluster="store", fpc=fpc)
    brands = ["A", "B", "C"]
    domains = np.column_stack([np.ones(len(d), bool)] + [d.brand.eq(b).to_numpy()
                                                         for b in brands])
    y = np.column_stack([d.sat, share_values(d.sat, 9), nps_values(d.rec)])
    m = design_means(y, d.w.to_numpy(), design, domains)
    out = {}
    for g, group in enumerate(["all"] + brands):
        for k, what in enumerate(["sat", "top", "nps"]):
            out[what, group] = (m.mean[g, k], m.se[g, k])
    return out


@needs_r
@pytest.mark.parametrize("fpc", [None, "popstores"])
def test_taylor_matches_r_survey(tmp_path, fpc):
    """Item mean, top-2 share and NPS (promoters − detractors, linearised), overall and
    per brand as domains, with and without a finite-population correction: R's
    svymean / svyby / svycontrast to 1e-6."""
    d = stratified_clusters()
    ref = run_r(R_MEANS.replace("{FPC}", f"fpc = ~{fpc}" if fpc else ""), d, tmp_path)
    ours = _ours(d, fpc)
    assert len(ref) == 12
    for r in ref.itertuples():
        est, se = ours[r.what, r.group]
        assert est == pytest.approx(r.est, abs=1e-9), (r.what, r.group)
        assert se == pytest.approx(r.se, rel=1e-6, abs=1e-9), (r.what, r.group)


@needs_r
def test_lonely_stratum_is_certainty_and_said(tmp_path):
    """A stratum with one store adds no variance (R's lonely.psu = "certainty") and is a
    lonely_psu diagnostic naming it."""
    d = stratified_clusters(lonely=True)
    ref = run_r(R_MEANS.replace("{FPC}", ""), d, tmp_path)
    ours = _ours(d)
    for r in ref.itertuples():
        assert ours[r.what, r.group][1] == pytest.approx(r.se, rel=1e-6), (r.what, r.group)
    diags = survey_design(d, strata="region", cluster="store").diagnostics()
    assert [x.code for x in diags] == ["lonely_psu"] and diags[0].concerns == ("5",)


def test_stratified_srs_closed_form():
    """Stratified simple random sampling with weights N_h/n_h: the textbook variance of
    the stratified mean, Σ_h W_h² (1 − n_h/N_h) s_h² / n_h, written out here."""
    rng = np.random.default_rng(3)
    N = {"a": 4000, "b": 2500, "c": 900}
    n = {"a": 40, "b": 25, "c": 30}
    d = pd.concat([pd.DataFrame({"s": h, "y": rng.normal(5 + k, 1 + k, n[h]),
                                 "w": N[h] / n[h], "N": N[h]})
                   for k, h in enumerate(N)], ignore_index=True)
    total = sum(N.values())
    expect = sum((N[h] / total) ** 2 * (1 - n[h] / N[h]) * d.y[d.s == h].var(ddof=1) / n[h]
                 for h in N)
    m = design_means(d[["y"]].to_numpy(), d.w.to_numpy(), survey_design(d, strata="s",
                                                                        fpc="N"))
    assert m.se[0, 0] ** 2 == pytest.approx(expect, rel=1e-12)
    ybar = sum(N[h] / total * d.y[d.s == h].mean() for h in N)
    assert m.mean[0, 0] == pytest.approx(ybar, rel=1e-12)


def test_equal_clusters_closed_form():
    """Unweighted, one stratum, a clusters of equal size: Var = Σ_c (ȳ_c − ȳ)² / (a(a−1));
    one respondent per cluster gives s²/n."""
    rng = np.random.default_rng(4)
    a, size = 12, 7
    d = pd.DataFrame({"c": np.repeat(np.arange(a), size),
                      "y": rng.normal(0, 1, a * size) + np.repeat(rng.normal(0, 1, a), size)})
    cm = d.groupby("c").y.mean()
    expect = ((cm - d.y.mean()) ** 2).sum() / (a * (a - 1))
    m = design_means(d[["y"]].to_numpy(), None, survey_design(d, cluster="c"))
    assert m.se[0, 0] ** 2 == pytest.approx(expect, rel=1e-12)
    assert m.deff[0, 0] > 1.5  # strong cluster effect: far less information than n rows
    srs = design_means(d[["y"]].to_numpy(), None, survey_design(d.assign(c=range(len(d))),
                                                                cluster="c"))
    assert srs.se[0, 0] ** 2 == pytest.approx(d.y.var(ddof=1) / len(d), rel=1e-12)


@pytest.mark.parametrize("kwargs, column", [
    ({"strata": "regoin", "cluster": "store"}, "regoin"),
    ({"strata": "region", "cluster": "shop"}, "shop"),
    ({"strata": "region", "cluster": "store", "fpc": "popsize"}, "popsize"),
])
def test_bad_design_column_names_it(kwargs, column):
    d = stratified_clusters()
    with pytest.raises(InputError, match=repr(column)):
        survey_design(d, **kwargs)


def test_design_column_checks():
    d = stratified_clusters()
    d.loc[7, "store"] = np.nan
    with pytest.raises(InputError, match=r"'store', row 7: no value"):
        survey_design(d, strata="region", cluster="store")
    d = stratified_clusters()
    d["fpc"] = np.arange(len(d)) + 100
    with pytest.raises(InputError, match="differs within a stratum"):
        survey_design(d, strata="region", cluster="store", fpc="fpc")
    d["fpc"] = 2  # fewer population stores than sampled
    with pytest.raises(InputError, match="population clusters"):
        survey_design(d, strata="region", cluster="store", fpc="fpc")
    with pytest.raises(InputError, match="needs strata"):
        survey_design(d)


# --- the stratified cluster bootstrap ----------------------------------------------

def test_cluster_scheme_draws_clusters_within_strata():
    """Every row of a cluster gets its cluster's frequency; per resample and stratum the
    frequencies of the n_h clusters add up to n_h (m_h = n_h − 1 draws, each n_h/m_h);
    a group's view and any split into blocks or rows give the same numbers."""
    from crmsurvey.resampling import Cluster

    d = stratified_clusters()
    design = survey_design(d, strata="region", cluster="store")
    c = Cluster(design, seed=3)
    f = c.counts(range(3), slice(0, len(d)))
    assert f.shape == (300, len(d))
    per_store = pd.DataFrame(f.T).groupby(d.store.to_numpy())
    assert (per_store.nunique() == 1).all().all()  # one frequency per cluster
    first = per_store.first().T  # (resamples, stores)
    region = d.groupby("store").region.first()
    sums = first.T.groupby(region.to_numpy()).sum().T  # (resamples, regions)
    n_h = d.groupby("region").store.nunique()
    assert np.allclose(sums.to_numpy(), n_h.to_numpy()[None, :])
    assert np.isclose(f.mean(), 1, atol=0.02)
    mask = d.brand.eq("B").to_numpy()
    assert np.array_equal(c.rows(mask).counts(range(3), slice(0, mask.sum())), f[:, mask])
    assert np.array_equal(np.vstack([Cluster(design, 3).counts(range(1, 3), slice(5, 50)),
                                     ]), f[100:, 5:50])


R_SUBBOOT = """
set.seed(11)
des <- svydesign(ids = ~store, strata = ~region, weights = ~w, data = d)
rep <- as.svrepdesign(des, type = "subbootstrap", replicates = {B})
out <- data.frame(what = c("taylor", "subboot"),
                  se = c(SE(svymean(~sat, des, na.rm = TRUE)),
                         SE(svymean(~sat, rep, na.rm = TRUE))))
write.csv(out, stdout(), row.names = FALSE)
"""


@needs_r
@pytest.mark.slow
def test_cluster_bootstrap_se_matches_taylor_and_r_subbootstrap(tmp_path):
    """The SE of a weighted mean from 4000 stratified cluster resamples (Rao–Wu with
    m_h = n_h − 1) is the Taylor SE within Monte Carlo error — and so is R survey's own
    subbootstrap (as.svrepdesign(type = "subbootstrap"), 1000 resamples: R draws them
    one by one) on the same data."""
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting.replicates import replicate_means

    b = 4000
    d = stratified_clusters()
    ref = run_r(R_SUBBOOT.replace("{B}", "1000"), d, tmp_path).set_index("what").se
    design = survey_design(d, strata="region", cluster="store")
    taylor = design_means(d[["sat"]].to_numpy(), d.w.to_numpy(), design).se[0, 0]
    assert taylor == pytest.approx(ref["taylor"], rel=1e-6)
    mean, se = replicate_means(d[["sat"]].to_numpy(), d.w.to_numpy(), Cluster(design, 1), b)
    # the SE of an SE from B resamples of 18 clusters: a few per cent
    assert se[0, 0] == pytest.approx(taylor, rel=0.07)
    assert ref["subboot"] == pytest.approx(taylor, rel=0.12)  # R: 1000 resamples


def test_cluster_bootstrap_with_fpc_matches_taylor():
    """With a finite-population correction (Rao–Wu's λ_h = √(1 − f_h)), the bootstrap
    variance of a mean is the corrected Taylor variance within Monte Carlo error, and
    clearly below the uncorrected one when half the clusters were sampled."""
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting.replicates import replicate_means

    d = stratified_clusters(9)
    d["half"] = d.groupby("region").store.transform("nunique") * 2
    y = d[["sat"]].to_numpy()
    with_fpc = survey_design(d, strata="region", cluster="store", fpc="half")
    plain = survey_design(d, strata="region", cluster="store")
    t_fpc = design_means(y, d.w.to_numpy(), with_fpc).se[0, 0]
    t_plain = design_means(y, d.w.to_numpy(), plain).se[0, 0]
    assert t_fpc == pytest.approx(t_plain * np.sqrt(0.5), rel=1e-9)
    _, se = replicate_means(y, d.w.to_numpy(), Cluster(with_fpc, 2), 3000)
    assert se[0, 0] == pytest.approx(t_fpc, rel=0.08)


# --- raking inside the bootstrap ---------------------------------------------------

TARGETS = {"g": {1: 0.49, 2: 0.51}, "a": {1: 0.22, 2: 0.29, 3: 0.27, 4: 0.22}}


def raking_sample(seed: int = 12) -> pd.DataFrame:
    """The stratified cluster sample with a gender (about 30 % women where the population
    has 51 %; the share differs from store to store) and an age group, and a score that
    differs by gender — a case where raking matters."""
    d = stratified_clusters(seed)
    rng = np.random.default_rng(seed)
    stores = d.store.unique()
    share = d.store.map(dict(zip(stores, rng.uniform(0.05, 0.6, len(stores))))).to_numpy()
    d["g"] = np.where(rng.random(len(d)) < share, 2, 1)
    d["a"] = rng.choice([1, 2, 3, 4], len(d), p=[0.1, 0.2, 0.3, 0.4])
    d["y"] = 6.0 * (d.g == 2) + 0.5 * d.a + rng.normal(0, 1, len(d))
    return d


R_RAKE = """
des <- svydesign(ids = ~store, strata = ~region, weights = ~w, data = d)
tot <- sum(weights(des))
rk <- rake(des, list(~g, ~a),
           list(data.frame(g = c(1, 2), Freq = c(.49, .51) * tot),
                data.frame(a = 1:4, Freq = c(.22, .29, .27, .22) * tot)),
           control = list(maxit = 200, epsilon = 1e-10))
d$wr <- weights(rk)
fixed <- svydesign(ids = ~store, strata = ~region, weights = ~wr, data = d)
set.seed(3)  # R's own subbootstrap, raked again in every replicate
rep <- rake(as.svrepdesign(des, type = "subbootstrap", replicates = 1000), list(~g, ~a),
            list(data.frame(g = c(1, 2), Freq = c(.49, .51) * tot),
                 data.frame(a = 1:4, Freq = c(.22, .29, .27, .22) * tot)),
            control = list(maxit = 200, epsilon = 1e-10))
out <- data.frame(what = c("raked", "fixed", "replicates"),
                  est = c(coef(svymean(~y, rk)), coef(svymean(~y, fixed)),
                          coef(svymean(~y, rep))),
                  se = c(SE(svymean(~y, rk)), SE(svymean(~y, fixed)), SE(svymean(~y, rep))))
write.csv(out, stdout(), row.names = FALSE)
"""


def test_batched_raking_equals_rake_of_each_resample():
    """Every resample's re-raked weights are rake() of the rows it repeats (with ``by``
    and trimming too): the batched sweeps are the whole-sample raking, not a variant."""
    import warnings

    from crmsurvey.weighting import rake
    from crmsurvey.weighting.replicates import rake_batch, rake_margins

    d = raking_sample()
    rng = np.random.default_rng(0)
    base = d.w.to_numpy() / d.w.mean()
    idx = rng.integers(0, len(d), size=(4, len(d)))
    freq = np.stack([np.bincount(i, minlength=len(d)) for i in idx]).astype(float)
    for by, trim in [(None, None), ("brand", None), (None, (0.4, 2.5)), ("brand", (0.5, 2.0))]:
        u, ok = rake_batch(freq, base, rake_margins(d, TARGETS, base=base, by=by), trim=trim)
        for b in range(len(idx)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # non-convergence under tight bounds
                r = rake(d.iloc[idx[b]].reset_index(drop=True), TARGETS, base="w", by=by,
                         trim=trim)
            assert ok[b] == r.converged
            assert np.allclose(u[b, idx[b]], r.weights, rtol=1e-10, atol=1e-12), (by, trim)


@needs_r
@pytest.mark.slow
def test_rake_in_bootstrap_matches_r_raked_design(tmp_path):
    """Raking repeated in every cluster resample gives the SE of R survey's own
    replicate design raked again in every replicate (as.svrepdesign(type =
    "subbootstrap") then rake()) within Monte Carlo error, and is near R's
    linearisation through the raking margins (rake() on the design; a first-order
    approximation, 8 % lower here). Holding the raked weights fixed gives R's SE for
    fixed weights instead: here almost 4 times larger — the score differs by gender,
    and the stores differ in their share of women, which raking corrects in every
    resample."""
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting import rake
    from crmsurvey.weighting.replicates import Rerake, replicate_means

    d = raking_sample()
    ref = run_r(R_RAKE, d, tmp_path).set_index("what")
    w = rake(d, TARGETS, base="w", tol=1e-12, max_iter=500).weights
    design = survey_design(d, strata="region", cluster="store")
    y = d[["y"]].to_numpy()
    assert design_means(y, w, design).mean[0, 0] == pytest.approx(ref.est["raked"], rel=1e-8)
    assert design_means(y, w, design).se[0, 0] == pytest.approx(ref.se["fixed"], rel=1e-6)
    b = 3000
    rerake = Rerake(Cluster(design, 5), d, TARGETS, weights=w, base="w")
    _, se_rerake = replicate_means(y, w, rerake, b)
    _, se_fixed = replicate_means(y, w, Cluster(design, 5), b)
    assert rerake.not_converged == 0
    assert se_rerake[0, 0] == pytest.approx(ref.se["replicates"], rel=0.12)  # R: 1000
    assert se_rerake[0, 0] == pytest.approx(ref.se["raked"], rel=0.15)
    assert ref.est["replicates"] == pytest.approx(ref.est["raked"], rel=1e-8)
    assert se_fixed[0, 0] == pytest.approx(ref.se["fixed"], rel=0.08)
    assert ref.se["raked"] < 0.5 * ref.se["fixed"]  # the case is one where raking matters
    assert se_rerake[0, 0] < 0.5 * se_fixed[0, 0]


# --- the PLS bootstrap under a design ----------------------------------------------

PLS_MODEL = "SAT =~ s1 + s2 + s3\nLOY =~ l1 + l2 + l3\nLOY ~ SAT"


def clustered_pls_data(seed: int = 21, *, women: bool = False) -> pd.DataFrame:
    """4 regions × 6 stores of 15–34 respondents; satisfaction has a store effect, loyalty
    follows it; six 1–10 items. With ``women``: a gender whose share differs by store
    (30 % overall, 51 % in the population), satisfaction higher among women."""
    rng = np.random.default_rng(seed)
    parts = []
    for region in range(1, 5):
        for s in range(6):
            size = int(rng.integers(15, 35))
            g = np.where(rng.random(size) < rng.uniform(0.05, 0.6), 2, 1)
            sat = rng.normal(0, 0.5) + rng.normal(0, 1, size) + (3.0 * (g == 2) if women else 0)
            loy = 0.6 * sat + rng.normal(0, 0.8, size)
            f = {"region": region, "store": f"{region}-{s}", "g": g,
                 "a": rng.choice([1, 2, 3, 4], size, p=[0.1, 0.2, 0.3, 0.4])}
            for k in range(1, 4):
                f[f"s{k}"] = np.clip(np.round(6 + 1.4 * sat + rng.normal(0, .8, size)), 1, 10)
                f[f"l{k}"] = np.clip(np.round(6 + 1.4 * loy + rng.normal(0, .8, size)), 1, 10)
            parts.append(pd.DataFrame(f))
    return pd.concat(parts, ignore_index=True)


def test_pls_cluster_bootstrap_index_se_is_the_design_se():
    """With a design, the PLS bootstrap resamples stores within regions: the SE of each
    0–100 index is the Taylor SE of the mean index score (outer weights held at their
    estimates) within Monte Carlo error — and far above what resampling respondents says
    when satisfaction has a store effect. Estimates do not change; paths hardly do."""
    import crmsurvey as cs

    d = clustered_pls_data()
    res = cs.pls(PLS_MODEL, d, bootstrap=500, scale=(1, 10),
                 design={"strata": "region", "cluster": "store"})
    rows = cs.pls(PLS_MODEL, d, bootstrap=500, scale=(1, 10))
    assert res.settings.resampling == "cluster" and rows.settings.resampling == "multinomial"
    assert np.allclose(res.index["index"], rows.index["index"])
    design = survey_design(d, strata="region", cluster="store")
    taylor = design_means(res.index_scores()[["SAT", "LOY"]].to_numpy(), None, design)
    assert np.allclose(taylor.mean[0], res.index["index"])
    assert np.allclose(res.index.se, taylor.se[0], rtol=0.15)
    assert rows.index.se[0] < 0.7 * res.index.se[0]  # SAT carries the store effect
    assert (rows.index.se < res.index.se).all()
    with pytest.raises(InputError, match="'shop'"):
        cs.pls(PLS_MODEL, d, bootstrap=10, design={"strata": "region", "cluster": "shop"})


def test_pls_with_a_lonely_stratum_says_so():
    """A region of one store adds nothing to the cluster bootstrap's variance: the PLS
    result carries the lonely_psu diagnostic (and warns), naming the region."""
    import crmsurvey as cs
    from crmsurvey.errors import CrmWarning

    d = clustered_pls_data()
    one = d["region"] == d["region"].max()
    d.loc[one, "store"] = d.loc[one, "store"].min()
    with pytest.warns(CrmWarning, match="single cluster"):
        res = cs.pls(PLS_MODEL, d, bootstrap=20, scale=(1, 10),
                     design={"strata": "region", "cluster": "store"})
    lonely = [x for x in res.diagnostics if x.code == "lonely_psu"]
    assert len(lonely) == 1 and lonely[0].concerns == (str(d["region"].max()),)
    quiet = cs.pls(PLS_MODEL, clustered_pls_data(), bootstrap=20, scale=(1, 10),
                   design={"strata": "region", "cluster": "store"})
    assert "lonely_psu" not in [x.code for x in quiet.diagnostics]


R_RAKE_SCORE = """
des <- svydesign(ids = ~store, strata = ~region, data = d)
tot <- sum(weights(des))
rk <- rake(des, list(~g, ~a),
           list(data.frame(g = c(1, 2), Freq = c(.49, .51) * tot),
                data.frame(a = 1:4, Freq = c(.22, .29, .27, .22) * tot)),
           control = list(maxit = 200, epsilon = 1e-10))
d$wr <- weights(rk)
fixed <- svydesign(ids = ~store, strata = ~region, weights = ~wr, data = d)
out <- data.frame(what = c("raked", "fixed"),
                  se = c(SE(svymean(~score, rk)), SE(svymean(~score, fixed))))
write.csv(out, stdout(), row.names = FALSE)
"""


@needs_r
@pytest.mark.slow
def test_pls_rake_in_bootstrap_follows_the_raked_design(tmp_path):
    """Raking repeated in every cluster resample of the PLS bootstrap: the SE of the
    satisfaction index is R survey's SE of the mean index score under the raked design
    (within Monte Carlo error and the outer weights' own variation), and differs from
    the SE with the raked weights held fixed as R's fixed-weight SE does (here: women
    are more satisfied and their share differs by store, so raking narrows it)."""
    import crmsurvey as cs
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting import rake
    from crmsurvey.weighting.replicates import Rerake

    d = clustered_pls_data(22, women=True)
    w = rake(d, TARGETS, tol=1e-12, max_iter=500).weights
    design = survey_design(d, strata="region", cluster="store")
    rerake = Rerake(Cluster(design, 1), d, TARGETS, weights=w)
    res = cs.pls(PLS_MODEL, d, bootstrap=500, scale=(1, 10), weights=w, design=rerake)
    fixed = cs.pls(PLS_MODEL, d, bootstrap=500, scale=(1, 10), weights=w,
                   design=design)
    assert res.settings.resampling == "rerake" and fixed.settings.resampling == "cluster"
    assert np.allclose(res.index["index"], fixed.index["index"])
    ref = run_r(R_RAKE_SCORE, d.assign(score=res.index_scores()["SAT"].to_numpy()),
                tmp_path).set_index("what").se
    assert res.index.se[0] == pytest.approx(ref["raked"], rel=0.2)
    assert fixed.index.se[0] == pytest.approx(ref["fixed"], rel=0.2)
    assert ref["raked"] < 0.8 * ref["fixed"] and res.index.se[0] < 0.8 * fixed.index.se[0]


# --- the study file ----------------------------------------------------------------

def _design_study(tmp_path, extra: str) -> "object":
    """The CCSI questionnaire with a region and a store item, 2 brands × 150 simulated
    respondents in 4 regions × 5 stores, and a study over them with ``extra`` keys."""
    import crmsurvey as cs
    from crmsurvey._resources import bundled_dir

    text = (bundled_dir("questionnaires") / "ccsi.yaml").read_text(encoding="utf-8")
    anchor = '      - {id: resp_id, role: id,'
    assert anchor in text
    text = text.replace(anchor, '      - {id: region, role: group, text: {en: "Region", '
                        'zh-CN: "地区"}}\n      - {id: store, role: group, text: {en: '
                        '"Store", zh-CN: "门店"}}\n' + anchor, 1)
    (tmp_path / "q.yaml").write_text(text, encoding="utf-8")
    q = cs.load_questionnaire(tmp_path / "q.yaml")
    df = cs.simulate(q, 150, seed=8, groups={"brand": ["A", "B"]})
    rng = np.random.default_rng(8)
    df["region"] = rng.integers(1, 5, len(df))
    df["store"] = df.region * 10 + rng.integers(1, 6, len(df))
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.yaml").write_text(f"""id: d
title: design
questionnaire: q.yaml
data:
  - path: d.csv
groups: [brand]
min_group_size: 40
pls: {{bootstrap: 100, seed: 2, fit_test: 0, predict_folds: 0, tail_draws: 2}}
analytics: {{csat: {{sat1: 9}}}}
{extra}
""", encoding="utf-8")
    return q


@pytest.mark.slow
def test_study_design_gives_design_based_errors(tmp_path):
    """design: in a study: NPS, CSAT and item means of each group get the Taylor SE of
    the group as a domain of the whole design (recomputed here from the screened rows),
    the PLS bootstrap resamples stores within regions, and results.json says so."""
    import crmsurvey as cs
    from crmsurvey.analytics.scores import nps_interval
    from crmsurvey.study import load_study, run_study

    q = _design_study(tmp_path, "design: {strata: region, cluster: store}")
    r = run_study(load_study(tmp_path / "s.yaml")).results
    u = r.uncertainty
    assert (u.scores, u.resampling, u.strata, u.cluster) == ("taylor", "cluster", "region",
                                                             "store")
    assert u.n_strata == 4 and u.n_clusters == 20
    kept = cs.load_responses(q, tmp_path / "d.csv", exclude=r.settings.exclude).data
    design = survey_design(kept.reset_index(drop=True), strata="region", cluster="store")
    brand = kept.brand.astype(str).to_numpy()
    domains = np.column_stack([np.ones(len(kept), bool), brand == "A", brand == "B"])
    y = np.column_stack([nps_values(kept.nps), share_values(kept.sat1, 9), kept.sat1])
    m = design_means(y, None, design, domains)
    for g, group in enumerate([{}, {"brand": "A"}, {"brand": "B"}]):
        nps = next(s for s in r.scores if s.measure == "nps" and s.group == group)
        csat = next(s for s in r.scores if s.measure == "csat" and s.group == group)
        item = next(i for i in r.items if i.item == "sat1" and i.group == group)
        assert nps.se == pytest.approx(100 * m.se[g, 0], rel=1e-9)
        assert nps.n_eff == pytest.approx(m.n_eff[g, 0], rel=1e-9)
        lo, hi = nps_interval(nps.detail["promoters"] / 100, nps.detail["detractors"] / 100,
                              m.n_eff[g, 0])  # the design effect enters through n_eff
        assert (nps.ci_lower, nps.ci_upper) == pytest.approx((100 * lo, 100 * hi), rel=1e-9)
        assert csat.se == pytest.approx(100 * m.se[g, 1], rel=1e-9)
        assert item.se == pytest.approx(m.se[g, 2], rel=1e-9)
    assert all(m.settings["resampling"] == "cluster" for m in r.models)
    assert type(r).model_validate_json(r.to_json()).uncertainty == u
    from crmsurvey.report.context import build_context

    en = " ".join(build_context(r, "en")["design_text"])
    assert "20 clusters (store) within 4 strata (region)" in en
    assert "Taylor linearisation" in en and "Rao–Wu" in en
    zh = "".join(build_context(r, "zh-CN")["design_text"])
    assert "泰勒线性化" in zh and "分为4层" in zh and "Taylor" not in zh


def test_study_without_design_keeps_kish(tmp_path):
    from crmsurvey.study import load_study, run_study

    _design_study(tmp_path, "")
    r = run_study(load_study(tmp_path / "s.yaml")).results
    assert r.uncertainty.scores == "kish" and r.uncertainty.resampling == "multinomial"
    assert all(i.se is None for i in r.items)
    from crmsurvey.report.context import build_context

    text = build_context(r, "en")["design_text"]
    assert text == ["Standard errors of the NPS and CSAT treat the respondents as a simple "
                    "random sample."]  # no design, no clusters, no re-raking said


@pytest.mark.parametrize("extra, message, line", [
    ("design: {strata: regoin, cluster: store}", "design strata 'regoin'", 10),
    ("design: {}", "design needs strata", 10),
    ("rake_in_bootstrap: true", "needs weighting: with rake", 10),
])
def test_study_design_errors_name_the_line(tmp_path, extra, message, line):
    from crmsurvey.study import load_study

    _design_study(tmp_path, extra)
    with pytest.raises(InputError, match=message) as exc:
        load_study(tmp_path / "s.yaml")
    assert exc.value.line == line and exc.value.path.endswith("s.yaml")


def test_study_rake_in_bootstrap(tmp_path):
    """rake_in_bootstrap: true with a design: the PLS bootstrap rakes every cluster
    resample again, and NPS, CSAT and item means take replicate standard errors (the
    study's own re-raked resamples, every group a domain)."""
    from crmsurvey.study import load_study, run_study

    q = _design_study(tmp_path, """design: {strata: region, cluster: store}
weighting:
  rake: {gender: {1: 0.49, 2: 0.49, 3: 0.02}, age: {1: 0.22, 2: 0.29, 3: 0.27, 4: 0.22}}
rake_in_bootstrap: true""")
    r = run_study(load_study(tmp_path / "s.yaml")).results
    u = r.uncertainty
    assert (u.scores, u.resampling, u.rake_in_bootstrap, u.replicates) == (
        "replicates", "rerake", True, 100)
    assert all(m.settings["resampling"] == "rerake" for m in r.models)
    # the NPS errors, recomputed: the study's re-raked cluster resamples, brands as domains
    import crmsurvey as cs
    from crmsurvey._random import child_seed, text_key
    from crmsurvey.resampling import Cluster
    from crmsurvey.weighting.replicates import Rerake, replicate_means

    kept = cs.load_responses(q, tmp_path / "d.csv", exclude=r.settings.exclude).data
    kept = kept.reset_index(drop=True)
    targets = {"gender": {1: 0.49, 2: 0.49, 3: 0.02},
               "age": {1: 0.22, 2: 0.29, 3: 0.27, 4: 0.22}}
    w = cs.rake(kept, targets).weights
    design = survey_design(kept, strata="region", cluster="store")
    scheme = Rerake(Cluster(design, child_seed(2, text_key("scores"))), kept, targets,
                    weights=w)
    brand = kept.brand.astype(str).to_numpy()
    domains = np.column_stack([np.ones(len(kept), bool), brand == "A", brand == "B"])
    _, se = replicate_means(nps_values(kept.nps)[:, None], w, scheme, 100, domains)
    for g, group in enumerate([{}, {"brand": "A"}, {"brand": "B"}]):
        nps = next(s for s in r.scores if s.measure == "nps" and s.group == group)
        assert nps.se == pytest.approx(100 * se[g, 0], rel=1e-9)
        assert nps.ci_lower < nps.value < nps.ci_upper
    assert all(i.se is not None and i.se > 0 for i in r.items if i.group == {})
