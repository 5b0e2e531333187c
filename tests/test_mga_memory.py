"""PLS-MGA's permutation test with bounded memory (issue 21): relabellings drawn a few at
a time and their moments accumulated over row chunks — never a (permutations × rows)
float array — with the numbers of the plain dense computation, written out here: per
block of 100, a uniform key per row and relabelling, argsort, the first n_a rows group a,
dense frequency vectors, moments, PLS."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from crmsurvey import _defaults as D
from crmsurvey._random import block_rng
from crmsurvey.moments import PairProducts
from crmsurvey.pls.data import prepare
from crmsurvey.pls.extract import extract_stats
from crmsurvey.pls.layout import layout_of
from crmsurvey.pls.mga import _permutations
from crmsurvey.pls.stats import Options, batch_statistics
from crmsurvey.model import parse_model

SYNTAX = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"


def _setup(n_a: int, n_b: int, n_other: int = 0, seed: int = 0):
    """Three groups (a, b and rows of neither), weights, and what compare_groups hands
    to the permutations: centred pair products, masks, pooled composite scores."""
    rng = np.random.default_rng(seed)
    n = n_a + n_b + n_other
    xi = rng.standard_normal(n)
    eta = 0.5 * xi + 0.8 * rng.standard_normal(n)
    x = np.column_stack([0.8 * xi + 0.6 * rng.standard_normal(n) for _ in range(3)]
                        + [0.8 * eta + 0.6 * rng.standard_normal(n) for _ in range(3)])
    df = pd.DataFrame(5 + 1.5 * x, columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    labels = rng.permutation(np.repeat(["a", "b", "c"], [n_a, n_b, n_other]))
    lay = layout_of(parse_model(SYNTAX))
    weights = rng.uniform(0.5, 2.0, n)
    prep = prepare(df, lay, weights=weights)
    opts = Options("path", D.PLS_TOLERANCE, D.PLS_MAX_ITER, False, prep.bounds)
    pp = PairProducts(prep.x)
    mask_a, mask_b = (labels == "a").astype(float), (labels == "b").astype(float)
    scores = rng.standard_normal((n, lay.k))  # any fixed composite scores
    return pp, prep.weights, lay, opts, mask_a, mask_b, scores


def _dense(pp, weights, lay, opts, mask_a, mask_b, scores, n_perm, seed):
    """The unchunked definition: whole blocks, dense (relabellings × rows) arrays."""
    rows = np.flatnonzero(mask_a + mask_b > 0)
    n_a = int(mask_a.sum())
    out = {k: [] for k in ("paths_a", "paths_b", "weights_a", "weights_b", "mean_diff",
                           "logvar_diff")}
    for b in range(-(-n_perm // 100)):
        size = min(100, n_perm - 100 * b)
        order = np.argsort(block_rng(seed, b).random((size, len(rows))), axis=1)
        fa, fb = np.zeros((size, len(weights))), np.zeros((size, len(weights)))
        for r in range(size):
            ia, ib = rows[order[r, :n_a]], rows[order[r, n_a:]]
            fa[r, ia], fb[r, ib] = weights[ia], weights[ib]
        stats = batch_statistics(pp.moments(np.concatenate([fa, fb])), lay, opts)
        paths = extract_stats(stats, lay)["paths"]
        out["paths_a"].append(paths[:size])
        out["paths_b"].append(paths[size:])
        out["weights_a"].append(stats.weights[:size])
        out["weights_b"].append(stats.weights[size:])
        mv = []
        for f in (fa, fb):
            m = np.array([np.average(scores, axis=0, weights=fr) for fr in f])
            v = np.array([np.average((scores - mr) ** 2, axis=0, weights=fr)
                          for fr, mr in zip(f, m)])
            mv.append((m, v))
        out["mean_diff"].append(mv[0][0] - mv[1][0])
        out["logvar_diff"].append(np.log(mv[0][1]) - np.log(mv[1][1]))
    return {k: np.concatenate(v) for k, v in out.items()}


class _SmallSteps:
    """Pair products whose sums run over row chunks of 37 rows."""

    def __init__(self, pp):
        self.pp = pp

    def moments(self, freq):
        return self.pp.moments(freq, step=37)


@pytest.mark.parametrize("work", [1, 20_000, 1 << 30])
def test_chunked_permutations_equal_the_dense_definition(work):
    pp, w, lay, opts, ma, mb, scores = _setup(90, 70, n_other=40)
    want = _dense(pp, w, lay, opts, ma, mb, scores, 130, seed=11)
    got = _permutations(_SmallSteps(pp), w, lay, opts, ma, mb, scores, 130, 11, work=work)
    for key, value in want.items():
        np.testing.assert_allclose(getattr(got, key), value, rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    # a real test of the relabellings: not the identity, and sizes kept
    assert np.ptp(got.paths_a[:, 0]) > 0.05


@pytest.mark.slow
def test_permutations_of_many_rows_stay_within_a_fixed_working_set():
    n = 120_000
    pp, w, lay, opts, ma, mb, scores = _setup(n // 2, n // 2)
    dense_block = 100 * n * 8  # one (block × rows) float array: 96 MB
    tracemalloc.start()
    _permutations(pp, w, lay, opts, ma, mb, scores, 100, 3, work=8 << 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the dense version held keys, order, two frequency arrays and their concatenation
    # (about 6 dense blocks); the chunked one holds row chunks (moments' 48 MiB) and its
    # work
    assert peak < dense_block, (peak, dense_block)
