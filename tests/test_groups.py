"""Group comparisons: PLS-MGA (permutation, Henseler), MICOM, index differences, CB-SEM
invariance, and the same numbers on any engine."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.cbsem.invariance import measurement_invariance
from crmsurvey.pls.mga import compare_groups

from .peers import ECSI, HS, mobi

SYNTAX = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"


def _two_groups(beta_a: float, beta_b: float, n: int = 400, shift_b: float = 0.0,
                seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for g, beta, shift in (("a", beta_a, 0.0), ("b", beta_b, shift_b)):
        xi = rng.standard_normal(n)
        eta = beta * xi + np.sqrt(1 - beta**2) * rng.standard_normal(n)
        cols = {f"x{i}": 5 + shift + 1.5 * (0.8 * xi + 0.6 * rng.standard_normal(n))
                for i in (1, 2, 3)}
        cols |= {f"y{i}": 5 + shift + 1.5 * (0.8 * eta + 0.6 * rng.standard_normal(n))
                 for i in (1, 2, 3)}
        frames.append(pd.DataFrame(cols).assign(g=g))
    return pd.concat(frames, ignore_index=True)


def test_mga_finds_a_real_difference_and_not_a_null_one():
    diff = compare_groups(SYNTAX, _two_groups(0.2, 0.7), "g", permutations=500,
                          bootstrap=500, scale=(0, 10))
    same = compare_groups(SYNTAX, _two_groups(0.5, 0.5, seed=1), "g", permutations=500,
                          bootstrap=500, scale=(0, 10))
    assert diff.permutation.pvalue.iloc[0] < 0.01 and diff.henseler.pvalue.iloc[0] < 0.01
    assert diff.henseler.p_one_sided.iloc[0] > 0.99  # H1 a > b is the wrong direction
    assert same.permutation.pvalue.iloc[0] > 0.05 and same.henseler.pvalue.iloc[0] > 0.05
    assert -0.5 < diff.permutation.difference.iloc[0] < -0.25  # PLS attenuates a bit


def test_micom_invariance_and_mean_difference():
    res = compare_groups(SYNTAX, _two_groups(0.5, 0.5, shift_b=1.0, seed=2), "g",
                         permutations=500, bootstrap=200, scale=(0, 10))
    m = res.micom.set_index("construct")
    assert m.compositional.all() and (m.c > 0.99).all()  # same measurement in both groups
    assert not m.mean_equal.any() and (m.invariance == "partial").all()  # group b shifted
    idx = res.indices.set_index("construct")
    assert (idx.ci_upper < 0).all()  # b's items sit one point higher: its index too
    assert idx.difference["X"] == pytest.approx(-10.0, abs=2.5)


def test_three_groups_use_holm():
    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 200, seed=4, groups={"company": ["P", "Q", "R"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare_groups(q, df, "company", permutations=200, bootstrap=200)
    assert len(res.permutation) == 3 * 9  # 3 pairs x 9 paths
    one = res.permutation[(res.permutation.lhs == "SAT") & (res.permutation.rhs == "PQ")]
    assert (one.pvalue_holm >= one.pvalue - 1e-12).all()
    assert one.pvalue_holm.max() <= 1


def test_mga_groups_equal_their_separate_fits_with_missing_values():
    """Each group's missing values are replaced by its own item means, as a separate
    ``pls(..., missing="mean")`` fit of the group does: MGA's estimates are those fits'."""
    df = _two_groups(0.3, 0.6, n=150, seed=5)
    rng = np.random.default_rng(6)
    items = [c for c in df.columns if c != "g"]
    holes = rng.random((len(df), len(items))) < 0.08
    df[items] = df[items].mask(holes)
    res = compare_groups(SYNTAX, df, "g", permutations=100, bootstrap=100, scale=(0, 10))
    for g in ("a", "b"):
        alone = cs.pls(SYNTAX, df[df.g == g], scale=(0, 10))
        assert alone.settings.n_imputed > 0
        assert res.permutation[f"est_{g}"].iloc[0] == pytest.approx(alone.paths.est.iloc[0],
                                                                     abs=1e-12)
        idx = res.indices.set_index("construct")[f"index_{g}"]
        assert idx.to_numpy() == pytest.approx(alone.index["index"].to_numpy(), abs=1e-10)


def test_mga_needs_two_groups():
    with pytest.raises(cs.InputError, match="at least two levels"):
        compare_groups(SYNTAX, _two_groups(0.5, 0.5).assign(g="a"), "g")


def _cfa_groups(lam_b, seed=1, skip=2):
    rng = np.random.default_rng(seed)
    lam = np.array([.8, .7, .6, .8, .7, .9, .6, .7, .8])

    def grp(n, lam):
        phi = np.array([[1, .4, .4], [.4, 1, .3], [.4, .3, 1]])
        f = rng.standard_normal((n, 3)) @ np.linalg.cholesky(phi).T
        x = f[:, np.repeat([0, 1, 2], 3)] * lam + rng.standard_normal((n, 9)) * 0.6
        return pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 10)])

    for _ in range(skip):  # the data the lavaan reference was computed on came third
        grp(300, lam)
    return pd.concat([grp(300, lam).assign(g="a"), grp(300, lam_b(lam)).assign(g="b")])


def test_metric_invariance_matches_lavaan():
    """Reference from lavaan 0.6 on the same generated data:
    cfa(m, d, group = "g") and cfa(m, d, group = "g", group.equal = "loadings")."""
    def changed(lam):
        lam = lam.copy()
        lam[1], lam[5] = 0.2, 1.4
        return lam

    inv = measurement_invariance(HS, _cfa_groups(changed), "g")
    t = inv.table.set_index("model")
    assert t.loc["configural", "chisq"] == pytest.approx(46.601, abs=1e-3)
    assert t.loc["metric", "chisq"] == pytest.approx(139.829, abs=1e-3)
    assert t.loc["metric", "df"] == 54 and t.loc["metric", "cfi"] == pytest.approx(0.954, abs=1e-3)
    assert t.loc["metric", "decision"] == "not supported"
    assert list(t.index) == ["configural", "metric", "scalar"]  # scalar: tests/test_cbsem_lavaan
    # a CFA (no paths): the reference note without (I − B)⁻¹α (tests/test_faults6.py)
    assert any(n.code == "cb_latent_means_reference_cfa" for n in inv.notes)


def test_identical_groups_are_metric_invariant():
    d = _cfa_groups(lambda lam: lam)
    twin = pd.concat([d[d.g == "a"], d[d.g == "a"].assign(g="b")])
    t = measurement_invariance(HS, twin, "g").table.set_index("model")
    assert t.loc["metric", "delta_chisq"] == pytest.approx(0, abs=1e-6)
    assert t.loc["metric", "delta_df"] == 6  # six free loadings shared


@pytest.mark.slow
def test_engines_give_the_same_numbers():
    data = mobi()
    local = cs.pls(ECSI, data, scale=(1, 10), bootstrap=400, seed=8, chunk=100)
    pool = cs.pls(ECSI, data, scale=(1, 10), bootstrap=400, seed=8, chunk=100, engine=2)
    pd.testing.assert_frame_equal(local.paths, pool.paths)
    pd.testing.assert_frame_equal(local.index, pool.index)


@pytest.mark.slow
def test_dask_cluster_same_numbers_even_when_a_worker_dies():
    distributed = pytest.importorskip("distributed")
    import os
    import signal
    import threading

    data = mobi()
    local = cs.pls(ECSI, data, scale=(1, 10), bootstrap=3000, seed=5, chunk=100)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        same = cs.pls(ECSI, data, scale=(1, 10), bootstrap=3000, seed=5, chunk=100,
                      engine=client)
        pids = list(client.run(os.getpid).values())
        killer = threading.Timer(0.3, lambda: os.kill(pids[0], signal.SIGKILL))
        killer.start()
        survived = cs.pls(ECSI, data, scale=(1, 10), bootstrap=3000, seed=5, chunk=100,
                          engine=client)
        killer.join()
    pd.testing.assert_frame_equal(local.paths, same.paths)
    pd.testing.assert_frame_equal(local.paths, survived.paths)
