"""PLS at scale: moments accumulated over row chunks, the Poisson bootstrap, bounded
memory, the Dask path (issue 21).

Reference values are written out here independently: weighted moments with numpy's own
``np.cov(aweights=…)``, counts from ``resample_indices`` (the draws the seminr parity
tests use), Poisson(1) probabilities from scipy, the standard error of a correlation
under bivariate normality, ``(1 − ρ²)/√n``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import crmsurvey as cs
from crmsurvey.errors import CrmWarning
from crmsurvey.moments import (Dense, LeaveOneOut, PairProducts, Resampled, moments_of,
                               resample_indices)
from crmsurvey.resampling import BLOCK, ROW_BLOCK, Multinomial, Poisson, scheme_for

ROOT = Path(__file__).resolve().parent.parent


def _weighted_reference(x: np.ndarray, f: np.ndarray):
    """Means, population covariances and correlations of x under each row of f."""
    means, covs = [], []
    for fb in f:
        c = np.cov(x, rowvar=False, aweights=fb, bias=True)
        means.append(np.average(x, axis=0, weights=fb))
        covs.append(c)
    covs = np.array(covs)
    sd = np.sqrt(np.diagonal(covs, axis1=1, axis2=2))
    return np.array(means), sd, covs / (sd[:, :, None] * sd[:, None, :])


# --- chunked moments ------------------------------------------------------------------

def test_chunked_moments_equal_unchunked_and_numpy():
    rng = np.random.default_rng(0)
    n, p = 3 * ROW_BLOCK + 123, 6
    x = rng.normal(5, 2, size=(n, p)) + rng.normal(size=(n, 1))
    w = rng.uniform(0.5, 2, size=n)
    scheme = Poisson(n, seed=4)
    freq = Resampled(scheme, range(1), w, size=7)
    dense = freq.chunk(slice(0, n))
    pp = PairProducts(x)
    whole = pp.moments(dense, step=n)
    for step in (ROW_BLOCK, 1000, 2 * ROW_BLOCK + 5):
        part = pp.moments(freq, step=step)
        for a, b in ((part.mean, whole.mean), (part.sd, whole.sd), (part.corr, whole.corr)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    mean, sd, corr = _weighted_reference(x, dense)
    np.testing.assert_allclose(whole.mean, mean, atol=1e-12)
    np.testing.assert_allclose(whole.sd, sd, atol=1e-12)
    np.testing.assert_allclose(whole.corr, corr, atol=1e-12)
    # sums over disjoint rows add up (what a partition contributes on a cluster)
    centre = x.mean(axis=0)
    halves = [PairProducts(x[s], centre=centre).sums(Dense(dense[:, s]))
              for s in (slice(0, 5000), slice(5000, n))]
    joined = (halves[0] + halves[1]).moments()
    np.testing.assert_allclose(joined.corr, whole.corr, atol=1e-12)


@pytest.mark.parametrize("interaction", ["two_stage", "product_indicator", "orthogonal"])
def test_staged_moments_chunked_equal_dense(interaction):
    """Interaction sources: moments accumulated over row chunks equal the moments of the
    dense (B, n, P) data each resample sees, built once for all rows."""
    from crmsurvey.model import parse_model
    from crmsurvey.pls.moderation import staged_inputs
    from crmsurvey.pls.data import prepare
    from crmsurvey.pls.staged import stage
    from crmsurvey.pls.stats import Options

    rng = np.random.default_rng(1)
    n = ROW_BLOCK + 700
    lat = rng.normal(size=(n, 2))
    y = 0.4 * lat[:, 0] + 0.3 * lat[:, 1] + 0.2 * lat[:, 0] * lat[:, 1] + rng.normal(size=n)
    cols = {f"a{i}": lat[:, 0] + rng.normal(scale=.6, size=n) for i in range(3)}
    cols |= {f"b{i}": lat[:, 1] + rng.normal(scale=.6, size=n) for i in range(2)}
    cols |= {f"y{i}": y + rng.normal(scale=.6, size=n) for i in range(2)}
    df = pd.DataFrame(cols)
    spec = parse_model("A =~ a0 + a1 + a2\nB =~ b0 + b1\nY =~ y0 + y1\nY ~ A + B + A:B")
    st = stage(spec, interaction=interaction)
    prep = prepare(df, st.first)
    source, prep, opts = staged_inputs(prep, st, Options("path", 1e-7, 300, False,
                                                         prep.bounds))
    freq = Resampled(Multinomial(n, 3), range(1), prep.weights, size=5)
    dense = freq.chunk(slice(0, n))
    want = moments_of(source.data(dense), dense)
    for step in (ROW_BLOCK, 1500):
        source._step = lambda b, s=step: s
        got = source.moments(freq)
        np.testing.assert_allclose(got.mean, want.mean, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.corr, want.corr, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.sd, want.sd, rtol=0, atol=1e-12)


def test_leave_one_out_frequencies():
    w = np.arange(1.0, 11.0)
    f = LeaveOneOut(w, range(3, 7))
    want = np.tile(w, (4, 1))
    want[np.arange(4), np.arange(3, 7)] = 0
    np.testing.assert_array_equal(np.hstack([f.chunk(slice(0, 5)), f.chunk(slice(5, 10))]),
                                  want)


# --- resampling schemes -----------------------------------------------------------------

def test_multinomial_counts_are_the_published_draws():
    """The multinomial scheme's counts are the bincounts of the row indices every earlier
    release drew (so published figures do not move), however they are asked for."""
    n = 517
    idx = resample_indices(n, 2 * BLOCK, seed=11)
    want = np.stack([np.bincount(r, minlength=n) for r in idx])
    m = Multinomial(n, 11)
    np.testing.assert_array_equal(m.counts(range(2), slice(0, n)), want)
    np.testing.assert_array_equal(
        np.hstack([m.counts(range(1, 2), slice(a, b)) for a, b in ((0, 100), (100, n))]),
        want[BLOCK:])


def test_poisson_counts_identical_for_any_partitioning():
    n = 3 * ROW_BLOCK + 77
    p = Poisson(n, seed=9)
    whole = p.counts(range(2, 4), slice(0, n))
    rng = np.random.default_rng(5)
    for _ in range(3):
        cuts = np.sort(rng.choice(np.arange(1, n), size=6, replace=False))
        edges = [0, *cuts.tolist(), n]
        parts = [Poisson(n, seed=9).counts(range(2, 4), slice(a, b))
                 for a, b in zip(edges[:-1], edges[1:])]
        np.testing.assert_array_equal(np.hstack(parts), whole)
    # one block asked alone is the same as within a range of blocks
    np.testing.assert_array_equal(p.counts(range(3, 4), slice(10, 20)), whole[BLOCK:, 10:20])
    # other seeds and other blocks differ
    assert not np.array_equal(Poisson(n, seed=10).counts(range(2, 3), slice(0, n)),
                              whole[:BLOCK])
    assert not np.array_equal(whole[:BLOCK], whole[BLOCK:])


def test_poisson_counts_are_poisson_one():
    c = Poisson(50_000, seed=2).counts(range(2), slice(0, 50_000)).ravel()
    k = np.arange(7)
    observed = np.array([(c == v).sum() for v in k[:-1]] + [(c >= k[-1]).sum()])
    expected = np.append(stats.poisson.pmf(k[:-1], 1), stats.poisson.sf(k[-2], 1)) * c.size
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert abs(c.mean() - 1) < 5 / np.sqrt(c.size)


def test_auto_scheme_by_n():
    assert scheme_for("auto", 99_999, 1).kind == "multinomial"
    assert scheme_for("auto", 100_000, 1).kind == "poisson"


# --- the estimator ----------------------------------------------------------------------

MODEL = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"


def _two_constructs(n: int, seed: int, rho: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lat = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    cols = {f"x{i}": lat[:, 0] + rng.normal(scale=.7, size=n) for i in (1, 2, 3)}
    cols |= {f"y{i}": lat[:, 1] + rng.normal(scale=.7, size=n) for i in (1, 2, 3)}
    return pd.DataFrame(cols)


def _pls(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.pls(*args, **kw)


def test_resampling_option_said_and_multinomial_unchanged():
    df = _two_constructs(400, 1)
    auto = _pls(MODEL, df, bootstrap=200, seed=3)
    multi = _pls(MODEL, df, bootstrap=200, seed=3, resampling="multinomial")
    pois = _pls(MODEL, df, bootstrap=200, seed=3, resampling="poisson")
    assert auto.settings.resampling == "multinomial" and pois.settings.resampling == "poisson"
    pd.testing.assert_frame_equal(auto.paths, multi.paths)
    assert not np.allclose(pois.paths.se, multi.paths.se, rtol=1e-9)
    assert "poisson resamples" in pois.summary().as_text()
    assert "Poisson bootstrap" in pois.summary().as_text()
    with pytest.raises(cs.InputError, match="resampling must be one of"):
        cs.pls(MODEL, df, bootstrap=10, resampling="bayesian")


def test_poisson_on_a_small_sample_is_a_diagnostic():
    """Poisson resamples of 60 rows vary in size by ±8 rows (13 %): said, not smoothed;
    the classic bootstrap of the same rows and Poisson on 400 rows are quiet."""
    df = _two_constructs(60, 2)
    with pytest.warns(CrmWarning, match="Poisson bootstrap resamples of 60 rows"):
        small = cs.pls(MODEL, df, bootstrap=50, seed=3, resampling="poisson")
    assert [d.code for d in small.diagnostics if d.code == "poisson_small_n"] == [
        "poisson_small_n"]
    for res in (_pls(MODEL, df, bootstrap=50, seed=3),
                _pls(MODEL, _two_constructs(400, 2), bootstrap=50, seed=3,
                     resampling="poisson")):
        assert "poisson_small_n" not in [d.code for d in res.diagnostics]


def test_chunk_size_and_engine_do_not_change_poisson_numbers():
    df = _two_constructs(300, 2)
    seen = []
    a = _pls(MODEL, df, bootstrap=300, seed=5, resampling="poisson", chunk=100,
             progress=seen.append)
    b = _pls(MODEL, df, bootstrap=300, seed=5, resampling="poisson", chunk=300)
    assert seen == [100, 100, 100]
    np.testing.assert_allclose(a.draws.values["paths"], b.draws.values["paths"], rtol=0,
                               atol=1e-13)


@pytest.mark.slow
def test_poisson_intervals_agree_with_multinomial_and_known_se():
    """Single-item constructs: the path is the correlation of two bivariate normal
    variables, whose standard error is (1 − ρ²)/√n. Both schemes' bootstrap SEs agree
    with it, and with each other, within Monte Carlo error; so do the interval limits."""
    n, rho, b = 2000, 0.5, 2000
    rng = np.random.default_rng(12)
    df = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n),
                      columns=["x", "y"])
    model = "X =~ x\nY =~ y\nY ~ X"
    fits = {k: _pls(model, df, bootstrap=b, seed=8, resampling=k)
            for k in ("multinomial", "poisson")}
    r = float(fits["poisson"].paths.est.iloc[0])
    known = (1 - r**2) / np.sqrt(n)
    mc = known / np.sqrt(2 * (b - 1))  # sd of a bootstrap SE estimate from b draws
    for res in fits.values():
        assert abs(float(res.paths.se.iloc[0]) - known) < 4 * mc + 0.03 * known
    m, p = (fits[k].paths.iloc[0] for k in ("multinomial", "poisson"))
    assert abs(m.se - p.se) < 4 * np.sqrt(2) * mc
    # a 95 % limit from b draws: sd about se·√(α(1−α))/φ(z)/√b
    tail = known * np.sqrt(0.025 * 0.975) / stats.norm.pdf(1.96) / np.sqrt(b)
    assert abs(m.ci_lower - p.ci_lower) < 4 * np.sqrt(2) * tail
    assert abs(m.ci_upper - p.ci_upper) < 4 * np.sqrt(2) * tail


# --- one model across a Dask cluster ----------------------------------------------------

@pytest.fixture(scope="module")
def local_cluster():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


TABLES = ("paths", "loadings", "weights", "total_effects", "r2", "index", "quality",
          "indirect", "htmt_intervals")


@pytest.mark.slow
@pytest.mark.parametrize("resampling", ["multinomial", "poisson"])
def test_dask_path_equals_in_process(local_cluster, tmp_path, resampling):
    """Three CSV files read and screened on two worker processes: the same estimates
    and intervals as one process on the same screened rows, and a log that adds up."""
    from crmsurvey.pls.partitioned import pls_partitioned

    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 1500, seed=4)
    rules = ["attention", "straightlining", "missing"]  # row-local rules
    cuts = [0, 400, 1100, len(df)]
    files = []
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        files.append(tmp_path / f"part{k}.csv")
        df.iloc[a:b].to_csv(files[-1], index=False)
    df.to_csv(tmp_path / "all.csv", index=False)
    whole = cs.load_responses(q, tmp_path / "all.csv", exclude=rules)
    opts = dict(bootstrap=300, seed=6, resampling=resampling)
    want = _pls(q, whole, **opts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, log = pls_partitioned(q, files, engine=local_cluster, exclude=rules, chunk=200,
                                   **opts)
    assert got.settings.resampling == want.settings.resampling == resampling
    assert got.settings.n == want.settings.n and got.settings.n_imputed == want.settings.n_imputed
    for name in TABLES:
        a, b = getattr(got, name), getattr(want, name)
        num = a.select_dtypes("number").columns
        pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num))
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0,
                                   atol=1e-10, err_msg=name)
    # the log adds up across partitions and matches the one-process log
    assert log.rows_read == len(df) == log.rows_kept + sum(log.excluded.values())
    assert log.excluded == whole.log.excluded and log.rows_kept == whole.log.rows_kept
    assert {(p.row, p.column) for p in log.problems} == {
        (p.row, p.column) for p in whole.log.problems}


# --- memory -------------------------------------------------------------------------------

RSS_CHILD = """
import json, resource, sys, warnings
import numpy as np, pandas as pd
import crmsurvey as cs
n, kind = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
lat = rng.normal(size=(n, 3))
lat[:, 1] += 0.5 * lat[:, 0]
lat[:, 2] += 0.4 * lat[:, 1]
df = pd.DataFrame({f"{c}{i}": np.clip(np.round(5.5 + 1.5 * (lat[:, k] + rng.normal(
    scale=.7, size=n))), 1, 10) for k, c in enumerate("abc") for i in range(5)})
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
model = "A =~ a0+a1+a2+a3+a4\\nB =~ b0+b1+b2+b3+b4\\nC =~ c0+c1+c2+c3+c4\\nB ~ A\\nC ~ A + B"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    res = cs.pls(model, df, bootstrap=500, seed=1, resampling=kind, scale=(1, 10))
assert res.settings.n_failed == 0
print(json.dumps({"base": base, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                  / 1024}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["poisson", "multinomial"])
def test_bootstrap_memory_of_200k_rows_is_bounded(kind):
    """500 resamples of 200,000 rows × 15 items (24 MB of data): the peak resident memory
    of a fresh process grows by less than 400 MiB over what it held with the data (a
    dense resamples × rows array alone would be 800 MB)."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, "200000", kind], check=True,
                         capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=600)
    rss = json.loads(out.stdout.strip().splitlines()[-1])
    assert rss["peak"] - rss["base"] < 400, rss


@pytest.mark.slow
def test_cli_scheduler_equals_one_process(local_cluster, tmp_path):
    """``crmsurvey pls --scheduler`` on a folder of CSV parts gives the numbers of the
    one-process command on the whole file."""
    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 600, seed=7)
    (tmp_path / "parts").mkdir()
    df.iloc[:250].to_csv(tmp_path / "parts" / "a.csv", index=False)
    df.iloc[250:].to_csv(tmp_path / "parts" / "b.csv", index=False)
    df.to_csv(tmp_path / "all.csv", index=False)
    cmd = [str(Path(sys.executable).parent / "crmsurvey"), "pls", "acsi"]
    flags = ["--bootstrap", "100", "--exclude", "attention,missing", "--json"]
    one = subprocess.run(cmd + [str(tmp_path / "all.csv")] + flags, capture_output=True,
                         text=True, timeout=300)
    many = subprocess.run(cmd + [str(tmp_path / "parts")] + flags + [
        "--scheduler", local_cluster.scheduler.address], capture_output=True, text=True,
        timeout=300)
    assert one.returncode == 0 and many.returncode == 0, many.stderr[-2000:]
    a, b = json.loads(one.stdout), json.loads(many.stdout)
    pa, pb = pd.DataFrame(a["paths"]), pd.DataFrame(b["paths"])
    np.testing.assert_allclose(pb[["est", "se", "ci_lower", "ci_upper"]].to_numpy(float),
                               pa[["est", "se", "ci_lower", "ci_upper"]].to_numpy(float),
                               atol=1e-10)
    bad = subprocess.run(cmd + [str(tmp_path / "parts"), "--predict", "5", "--scheduler",
                                local_cluster.scheduler.address], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "--scheduler" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, says", [
    (["nothere.csv"], "nothere.csv: no such file or folder"),
    (["DATA", "--copula"], "--copula"),
    (["DATA", "--cvpat"], "--cvpat"),
    (["DATA", "--resampling", "bogus"], "'bogus'"),
])
def test_cli_scheduler_bad_input_is_exit_2_before_any_connection(tmp_path, capsys, args,
                                                                   says):
    """Refused at once: the scheduler's address is unreachable and never tried."""
    from crmsurvey.cli import main

    cs.simulate(cs.load_questionnaire("acsi"), 50, seed=1).to_csv(tmp_path / "d.csv",
                                                                  index=False)
    args = [str(tmp_path / "d.csv") if a == "DATA" else str(tmp_path / a) if a.endswith(
        ".csv") else a for a in args]
    code = main(["pls", "acsi", *args, "--bootstrap", "20", "--scheduler",
                 "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and says in err, err


def test_jackknife_sums_equal_leave_one_out_frequencies():
    """Plain sources take the jackknife's samples as the whole sample minus one row; the
    moments equal those of the explicit leave-one-out frequencies."""
    rng = np.random.default_rng(3)
    x = rng.normal(3, 1, size=(700, 5))
    w = rng.uniform(0.2, 3, size=700)
    pp = PairProducts(x)
    fast = pp.moments(LeaveOneOut(w, range(100, 160)))
    dense = pp.moments(Dense(LeaveOneOut(w, range(100, 160)).chunk(slice(0, 700))))
    np.testing.assert_allclose(fast.corr, dense.corr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.mean, dense.mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.sd, dense.sd, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_progress_per_chunk_from_worker_processes():
    """A pool of worker processes reports each chunk as it finishes (the CLI's progress
    bar) and gives the numbers of a serial run."""
    df = _two_constructs(300, 3)
    seen = []
    a = _pls(MODEL, df, bootstrap=400, seed=2, chunk=100, engine=2, progress=seen.append)
    b = _pls(MODEL, df, bootstrap=400, seed=2, chunk=100)
    assert seen == [100] * 4
    np.testing.assert_allclose(a.draws.values["paths"], b.draws.values["paths"], rtol=1e-12)


def test_methodology_says_poisson_only_where_used():
    from types import SimpleNamespace

    from crmsurvey.report.sections.methodology import poisson_text as _poisson_text
    from crmsurvey.report.i18n import STRINGS

    def results(*kinds):
        return SimpleNamespace(models=[SimpleNamespace(settings={"resampling": k})
                                       for k in kinds])

    for lang in ("en", "zh-CN"):
        t = STRINGS[lang]
        assert _poisson_text(results("multinomial", "multinomial"), {"bootstrap": 500}, t) == ""
        assert _poisson_text(results("poisson"), {"bootstrap": 0}, t) == ""
        assert _poisson_text(results("poisson", "poisson"), {"bootstrap": 500},
                             t) == t["pls_poisson_all"]
        mixed = _poisson_text(results("multinomial", "poisson"), {"bootstrap": 500}, t)
        assert mixed == t["pls_poisson"] and ("100,000" in mixed or "十万" in mixed)


@pytest.mark.slow
def test_dask_path_reads_parquet_row_groups(local_cluster, tmp_path):
    """One Parquet file of row groups of 300 rows is a partition per row group; the
    result equals one process's on the file."""
    from crmsurvey.pls.partitioned import pls_partitioned, read_partitions

    pytest.importorskip("pyarrow")
    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 900, seed=8)
    for c in df.columns:  # numbers as numbers, blanks as missing (Parquet columns are typed)
        if c not in ("resp_id", "company"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    df[["resp_id", "company"]] = df[["resp_id", "company"]].astype(str)
    df.to_parquet(tmp_path / "all.parquet", row_group_size=300, index=False)
    assert read_partitions(tmp_path / "all.parquet").npartitions == -(-len(df) // 300) > 2
    want = _pls(q, cs.load_responses(q, tmp_path / "all.parquet"), bootstrap=200, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, log = pls_partitioned(q, tmp_path / "all.parquet", engine=local_cluster,
                                   bootstrap=200, seed=2)
    assert log.rows_read == len(df)
    np.testing.assert_allclose(got.paths[["est", "se", "ci_lower", "ci_upper"]].to_numpy(float),
                               want.paths[["est", "se", "ci_lower", "ci_upper"]].to_numpy(float),
                               rtol=0, atol=1e-10)
