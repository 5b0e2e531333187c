"""The batched bootstrap equals a per-resample PLS fit (issue 21, item 4: the speed work
must keep every resample's numbers).

The reference is the textbook PLS-PM algorithm written out here on the resampled rows
themselves (``x[idx]``: standardise, unit-variance scores, Lohmöller's path scheme, mode A
covariances and mode B regressions, the same stop rule), one resample at a time, and
interval bounds from ``np.quantile`` of its draws — nothing from crmsurvey's kernels.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.moments import resample_indices
from crmsurvey.resampling import Poisson

SYNTAX = """
A =~ a1 + a2 + a3
B <~ b1 + b2 + b3
C =~ c1 + c2 + c3 + c4
D =~ d1 + d2
C ~ A + B
D ~ C + A + B
"""
BLOCKS = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"], "C": ["c1", "c2", "c3", "c4"],
          "D": ["d1", "d2"]}
MODE_B = {"B"}
PREDICTORS = {"C": ["A", "B"], "D": ["C", "A", "B"]}


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    c = 0.5 * a + 0.3 * b + 0.8 * rng.standard_normal(n)
    d = 0.4 * c + 0.2 * a + 0.1 * b + 0.8 * rng.standard_normal(n)
    lv = {"A": a, "B": b, "C": c, "D": d}
    cols = {}
    for name, items in BLOCKS.items():
        for k, item in enumerate(items):
            cols[item] = np.round(5 + 1.5 * (lv[name] + (0.5 + 0.1 * k)
                                              * rng.standard_normal(n)))
    return pd.DataFrame(cols)


def _reference_pls(x: pd.DataFrame, tol: float = 1e-7, max_iter: int = 300) -> dict:
    """PLS-PM on the rows of ``x`` as given (a resample repeats rows)."""
    names = list(BLOCKS)
    z = {k: x[v].to_numpy() for k, v in BLOCKS.items()}
    z = {k: (v - v.mean(axis=0)) / v.std(axis=0) for k, v in z.items()}
    n = len(x)
    w = {k: np.ones(len(v)) for k, v in BLOCKS.items()}

    def scores(w):
        out = {}
        for k in names:
            y = z[k] @ w[k]
            w[k] = w[k] / y.std(ddof=0)
            out[k] = z[k] @ w[k]
        return out

    y = scores(w)
    for _ in range(max_iter):
        cor = {(i, j): y[i] @ y[j] / n for i in names for j in names}
        proxy = {k: np.zeros(n) for k in names}
        for j in names:
            for i in PREDICTORS.get(j, []):  # j's successors get cor(i, j) from j
                proxy[i] += cor[i, j] * y[j]
            pred = PREDICTORS.get(j, [])
            if pred:  # j's predictors: regression coefficients of j on all of them
                coef = np.linalg.solve(np.array([[cor[a, b] for b in pred] for a in pred]),
                                       np.array([cor[a, j] for a in pred]))
                for c, i in zip(coef, pred):
                    proxy[j] += c * y[i]
        new = {}
        for k in names:
            cov = z[k].T @ proxy[k] / n
            new[k] = np.linalg.solve(z[k].T @ z[k] / n, cov) if k in MODE_B else cov
        y = scores(new)
        change = sum(np.abs(new[k] - w[k]).sum() for k in names)
        w = new
        if change < tol:
            break
    paths = {}
    for j, pred in PREDICTORS.items():
        coef = np.linalg.lstsq(np.column_stack([y[i] for i in pred]), y[j], rcond=None)[0]
        paths.update({(i, j): c for i, c in zip(pred, coef)})
    loadings = {item: np.corrcoef(z[k][:, m], y[k])[0, 1]
                for k, items in BLOCKS.items() for m, item in enumerate(items)}
    weights = {item: w[k][m] for k, items in BLOCKS.items() for m, item in enumerate(items)}
    return {"paths": paths, "loadings": loadings, "weights": weights}


def _resampled_rows(kind: str, n: int, n_boot: int, seed: int) -> list[np.ndarray]:
    if kind == "multinomial":
        return list(resample_indices(n, n_boot, seed))
    counts = Poisson(n, seed).counts(range(-(-n_boot // 100)), slice(0, n))[:n_boot]
    return [np.repeat(np.arange(n), c.astype(int)) for c in counts]


@pytest.fixture(scope="module")
def data():
    return _data(300, 2)


@pytest.mark.parametrize("kind", ["multinomial", "poisson"])
def test_every_resample_equals_its_own_fit(data, kind):
    n_boot = 150
    res = cs.pls(SYNTAX, data, scale=(1, 9), bootstrap=n_boot, seed=5, chunk=100,
                 sign_change="none", resampling=kind)
    assert res.settings.n_failed == 0
    d = res.draws.values
    path_cols = [(r.rhs, r.lhs) for r in res.paths.itertuples()]
    items = list(res.loadings.rhs)
    for b, idx in enumerate(_resampled_rows(kind, len(data), n_boot, 5)):
        ref = _reference_pls(data.iloc[idx].reset_index(drop=True))
        np.testing.assert_allclose(d["paths"][b], [ref["paths"][c] for c in path_cols],
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(d["weights"][b], [ref["weights"][i] for i in items],
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(d["loadings"][b], [ref["loadings"][i] for i in items],
                                   rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def boot(data):
    """400 resamples and their reference paths, for the interval checks."""
    res = cs.pls(SYNTAX, data, scale=(1, 9), bootstrap=400, seed=9, sign_change="none")
    cols = [(r.rhs, r.lhs) for r in res.paths.itertuples()]
    fits = [_reference_pls(data.iloc[idx].reset_index(drop=True))["paths"]
            for idx in resample_indices(len(data), 400, 9)]
    ref = np.array([[f[c] for c in cols] for f in fits])
    return res, cols, ref


def test_percentile_intervals_are_the_quantiles_of_the_draws(boot):
    res, cols, ref = boot
    lo, hi = np.quantile(ref, [0.025, 0.975], axis=0)  # numpy's default (type 7)
    np.testing.assert_allclose(res.paths.ci_lower, lo, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.paths.ci_upper, hi, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.paths.se, ref.std(axis=0, ddof=1), rtol=1e-9)


def test_indirect_effects_are_products_of_the_resampled_paths(boot):
    res, cols, ref = boot
    col = {c: k for k, c in enumerate(cols)}
    ind = res.indirect.set_index(["from", "through", "to"])
    # A → C → D and B → C → D; the total indirect effect of A on D is the one chain
    for src in ("A", "B"):
        prod = ref[:, col[(src, "C")]] * ref[:, col[("C", "D")]]
        row = ind.loc[(src, "C", "D")]
        assert row.se == pytest.approx(prod.std(ddof=1), rel=1e-9)
        lo, hi = np.quantile(prod, [0.025, 0.975])
        assert (row.ci_lower, row.ci_upper) == pytest.approx((lo, hi), abs=1e-10)
        # two-sided bootstrap p, never below 1/B (the README's floor)
        p = max(2 * min((prod <= 0).mean(), (prod > 0).mean()), 1 / len(prod))
        assert row.pvalue == pytest.approx(p, abs=1e-12)
        total = ind.loc[(src, "total", "D")]
        assert total.se == pytest.approx(prod.std(ddof=1), rel=1e-9)


def test_a_failing_resample_leaves_the_others_exact():
    """Resamples in which an item is constant fail alone; every other resample still
    equals its own fit."""
    data = _data(40, 7)
    data.loc[:, "d2"] = 5.0
    data.loc[[3, 17], "d2"] = [6.0, 4.0]  # constant in every resample without rows 3, 17
    with pytest.warns(cs.errors.CrmWarning):
        res = cs.pls(SYNTAX, data, scale=(1, 9), bootstrap=200, seed=1, sign_change="none")
    failed = res.draws.failed
    rows = resample_indices(len(data), 200, 1)
    constant = np.array([not np.isin([3, 17], idx).any() for idx in rows])
    assert constant.any() and (failed == constant).all()
    cols = [(r.rhs, r.lhs) for r in res.paths.itertuples()]
    for b in np.flatnonzero(~failed)[:60]:
        ref = _reference_pls(data.iloc[rows[b]].reset_index(drop=True))
        np.testing.assert_allclose(res.draws.values["paths"][b],
                                   [ref["paths"][c] for c in cols], rtol=0, atol=1e-10)


HEAP_CHILD = """
import resource, sys
import numpy as np
from crmsurvey._heap import keep_heap
if sys.argv[1] == "keep":
    assert keep_heap()
a = np.ones((300, 1000))  # 2.4 MB, as a chunk's correlation matrices


def batch():
    b = a * 2.0
    c = b + a
    return float((c * b)[0, 0])


batch()  # the first round maps its pages in any case
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_kept_heap_spares_the_page_faults_of_repeated_batches():
    """Arrays freed and allocated again, as chunk after chunk does: with the heap kept
    (``crmsurvey._heap.keep_heap``) they reuse mapped pages instead of faulting in fresh
    ones each time (three 2.4 MB arrays are ~1,800 pages a round)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    faults = {mode: int(subprocess.run([sys.executable, "-c", HEAP_CHILD, mode], env=env,
                                       check=True, capture_output=True, text=True)
                        .stdout.split()[-1]) for mode in ("keep", "default")}
    assert faults["keep"] < 500 and faults["default"] > 20_000, faults


@pytest.mark.parametrize("n_boot", [1, 2, 7, 40, 999, 5000])
def test_percentile_bounds_are_numpys_quantiles(n_boot):
    """The percentile bounds of complete columns are ``np.quantile``'s (type 7), bit for
    bit; a column with a failed resample (NaN) gets ``np.nanquantile``'s."""
    from crmsurvey.pls.bootstrap import intervals

    rng = np.random.default_rng(n_boot)
    draws = rng.standard_normal((n_boot, 6))
    draws[:, 2] = 0.5  # a constant column
    for ci in (0.95, 0.9, 0.99, 0.8):
        for given in (draws, np.asfortranarray(draws)):  # the draws are left as they are
            kept = given.copy()
            lo, hi = intervals(np.zeros(6), given, ci=ci, method="percentile")
            assert np.array_equal(given, kept)
            want = np.quantile(draws, [(1 - ci) / 2, 1 - (1 - ci) / 2], axis=0)
            assert np.array_equal(lo, want[0]) and np.array_equal(hi, want[1])
    if n_boot > 2:
        draws[0, 4] = np.nan
        lo, hi = intervals(np.zeros(6), draws, ci=0.95, method="percentile")
        want = np.nanquantile(draws[:, 4], [0.025, 0.975])
        assert (lo[4], hi[4]) == pytest.approx(tuple(want), abs=1e-12)


@pytest.mark.parametrize("max_iter", [300, 6, 1])
def test_a_resample_fits_the_same_alone_or_in_any_batch(data, max_iter):
    """The batched iterations carry finished resamples along until half the batch is
    done (``algorithm.COMPACT_SHARE``): each resample's weights, loadings, iteration
    count and convergence flag are still those of the iteration it stopped at, whatever
    batch it is in — alone, in a shuffled batch, or stopped by ``max_iter``."""
    from crmsurvey.model import parse_model
    from crmsurvey.moments import PairProducts
    from crmsurvey.pls.algorithm import fit_batch
    from crmsurvey.pls.layout import layout_of

    lay = layout_of(parse_model(SYNTAX))
    x = data[list(lay.items)].to_numpy(float)
    counts = np.stack([np.bincount(idx, minlength=len(x))
                       for idx in resample_indices(len(x), 60, 11)]).astype(float)
    corr = PairProducts(x).moments(counts).corr
    batch = fit_batch(corr, lay, max_iter=max_iter)
    if max_iter == 300:
        assert batch.converged.all() and len(set(batch.iterations)) > 2  # mixed stops
    else:
        assert (batch.iterations == max_iter).all() and not batch.converged.all()
    order = np.random.default_rng(1).permutation(len(corr))
    shuffled = fit_batch(corr[order], lay, max_iter=max_iter)
    for k in range(0, len(corr), 7):
        alone = fit_batch(corr[k:k + 1], lay, max_iter=max_iter)
        at = int(np.flatnonzero(order == k)[0])
        for other, i in ((alone, 0), (shuffled, at)):
            assert other.iterations[i] == batch.iterations[k]
            assert other.converged[i] == batch.converged[k]
            np.testing.assert_allclose(other.weights[i], batch.weights[k], rtol=0, atol=1e-13)
            np.testing.assert_allclose(other.loadings[i], batch.loadings[k], rtol=0,
                                       atol=1e-13)
