"""PLS model fit as ADANCO and cSEM report it, and the improper-solution checks.

Fit: d_G, SRMR and d_ULS of the saturated and the estimated model are written out here
from their definitions — Dijkstra & Henseler 2015 ("Consistent partial least squares path
modeling", MIS Quarterly 39(2); "Consistent and asymptotically normal PLS estimators",
CSDA 81) for PLSc's ρA, consistent loadings and disattenuated correlations, and cSEM's
``fit()`` (R/csem_fit.R) and ``calculateDG``/``calculateSRMR``/``calculateDL``
(R/helper_assess.R) for the implied matrix and the distances (d_G with the base-10
logarithm, as cSEM and ADANCO print it) — using only the estimated weights and the data,
on data simulated here. Checks: cSEM's ``verify()`` (R/postestimate_verify.R) plus
collinearity, planted in simulated data.
"""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import CrmWarning
from crmsurvey.pls import verify as V


def _items(factors: dict[str, np.ndarray], rng) -> pd.DataFrame:
    """Three items per construct, loadings .9, .8, .7, on standardised factor scores."""
    cols = {}
    for name, f in factors.items():
        f = (f - f.mean()) / f.std()
        for k, lam in enumerate((0.9, 0.8, 0.7), 1):
            cols[f"{name.lower()}{k}"] = lam * f + np.sqrt(1 - lam ** 2) * rng.standard_normal(
                len(f))
    return pd.DataFrame(cols)


def _outcome(rng, *terms):
    """Σ coefficient · predictor plus a disturbance of the variance left to 1."""
    x = sum(b * f for b, f in terms)
    return x + np.sqrt(max(1 - x.var(), 0.05)) * rng.standard_normal(len(x))


def _draw(n: int, seed: int) -> pd.DataFrame:
    """A chain with a direct effect A → C that MODEL omits: B ~ A, C ~ A + B, D ~ A + C,
    E ~ D. Omitting A → C leaves cor(A, C) unreproduced, so D's implied variance is not
    1 and the E–D correlation tells cSEM's construction from one that keeps it at 1."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n)
    b = _outcome(rng, (0.5, a))
    c = _outcome(rng, (0.4, a), (0.4, b))
    d = _outcome(rng, (0.3, a), (0.5, c))
    e = _outcome(rng, (0.6, d))
    return _items({"A": a, "B": b, "C": c, "D": d, "E": e}, rng)


def _draw_collinear(n: int, seed: int, cor_ab: float) -> pd.DataFrame:
    """A, B exogenous with correlation ``cor_ab``, C ~ A + B, D ~ C (MODEL_AB)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n)
    b = cor_ab * a + np.sqrt(1 - cor_ab ** 2) * rng.standard_normal(n)
    c = _outcome(rng, (0.4, a), (0.3, b))
    d = _outcome(rng, (0.6, c))
    return _items({"A": a, "B": b, "C": c, "D": d}, rng)


BLOCKS = """
A {a} a1 + a2 + a3
B {b} b1 + b2 + b3
C =~ c1 + c2 + c3
D =~ d1 + d2 + d3
E =~ e1 + e2 + e3
D ~ A + C
E ~ D
"""
MODEL = BLOCKS + "B ~ A\nC ~ B\n"  # A → C omitted
MODEL_TRUE = BLOCKS + "B ~ A\nC ~ A + B\n"
MODEL_AB = """
A =~ a1 + a2 + a3
B =~ b1 + b2 + b3
C =~ c1 + c2 + c3
D =~ d1 + d2 + d3
C ~ A + B
D ~ C
"""
SCALE = (-10.0, 10.0)


def _fit(syntax: str, data: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.pls(syntax, data, scale=SCALE, **kw)


def _independent_fit(res, data: pd.DataFrame, common: set[str]) -> dict:
    """Saturated and estimated SRMR, d_ULS, d_G from the result's weights and the data.

    Composite (Henseler et al. 2014): loadings = cor(item, score), V = cor(scores), the
    block's own correlations observed. Common factor under PLSc (Dijkstra & Henseler
    2015): w normalised to w'S_jj w = 1; ρA = (w'w)² · w'(S_jj − diag S_jj)w /
    w'(ww' − diag ww')w; λ = √ρA · w / (w'w); V_ij = cor(scores)_ij / √(ρA_i ρA_j);
    the block implied by λλ'. Paths: OLS on V. Estimated model (cSEM fit()):
    Ψ = [Φ 0; 0 diag(1 − R²)], V = (I − B)⁻¹ Ψ (I − B)⁻ᵀ, diagonal set to 1;
    Σ = Λ V Λ' + Θ, Θ = I − diag(ΛΛ')."""
    w_tab = res.weights
    cons = list(dict.fromkeys(w_tab.lhs))
    items = list(w_tab.rhs)
    x = data[items].to_numpy()
    s = np.corrcoef(x, rowvar=False)
    z = (x - x.mean(0)) / x.std(0)
    owner = np.array([cons.index(c) for c in w_tab.lhs])
    k, p = len(cons), len(items)
    w = w_tab.est.to_numpy().copy()
    rho = np.ones(k)
    lam = np.zeros(p)
    for j, c in enumerate(cons):
        idx = np.flatnonzero(owner == j)
        sj = s[np.ix_(idx, idx)]
        wj = w[idx] / np.sqrt(w[idx] @ sj @ w[idx])
        w[idx] = wj
        if c in common:
            ww = np.outer(wj, wj)
            rho[j] = (wj @ wj) ** 2 * (wj @ (sj - np.diag(np.diag(sj))) @ wj) / (
                wj @ (ww - np.diag(np.diag(ww))) @ wj)
            lam[idx] = np.sqrt(rho[j]) * wj / (wj @ wj)
    scores = z @ (w[:, None] * (owner[:, None] == np.arange(k)))
    scores = (scores - scores.mean(0)) / scores.std(0)
    for j, c in enumerate(cons):
        if c not in common:
            idx = owner == j
            lam[idx] = (z[:, idx] * scores[:, [j]]).mean(0)
    v_sat = np.corrcoef(scores, rowvar=False) / np.sqrt(np.outer(rho, rho))
    np.fill_diagonal(v_sat, 1.0)
    # paths by OLS on the (disattenuated) construct correlations
    pt = res.paths
    beta = np.zeros((k, k))  # beta[j, i]: path i → j
    for lhs in dict.fromkeys(pt.lhs):
        j = cons.index(lhs)
        pred = [cons.index(c) for c in pt[pt.lhs == lhs].rhs]
        beta[j, pred] = np.linalg.solve(v_sat[np.ix_(pred, pred)], v_sat[pred, j])
    exo = [j for j in range(k) if not beta[j].any()]
    psi = np.zeros((k, k))
    psi[np.ix_(exo, exo)] = v_sat[np.ix_(exo, exo)]
    for j in range(k):
        if j not in exo:
            psi[j, j] = 1 - beta[j] @ v_sat[j]  # 1 − R²_j
    inv = np.linalg.inv(np.eye(k) - beta)
    v_est = inv @ psi @ inv.T
    implied_var = np.diag(v_est).copy()
    np.fill_diagonal(v_est, 1.0)
    big = np.zeros((k, p))
    big[owner, np.arange(p)] = lam
    same_composite = (owner[:, None] == owner[None]) & np.array(
        [cons[o] not in common for o in owner])[:, None]
    out = {"beta": beta, "lam": lam, "cons": cons, "implied_var": implied_var}
    for name, v in (("saturated", v_sat), ("estimated", v_est)):
        sigma = big.T @ v @ big
        sigma += np.diag(1 - np.diag(big.T @ big))
        sigma = np.where(same_composite, s, sigma)
        diff = s - sigma
        phi = np.linalg.eigvals(np.linalg.solve(s, sigma)).real
        out[name] = {"srmr": np.sqrt(np.mean(diff[np.tril_indices(p)] ** 2)),
                     "d_uls": 0.5 * np.sum(diff ** 2),
                     "d_g": 0.5 * np.sum(np.log10(phi) ** 2)}
    return out


CASES = {
    "composite_mode_b_centroid": (MODEL.format(a="<~", b="=~"), {"scheme": "centroid"}, set()),
    "composite_path": (MODEL.format(a="<~", b="<~"), {"scheme": "path"}, set()),
    "plsc_path": (MODEL.format(a="=~", b="=~"), {"consistent": True}, set("ABCDE")),
    "plsc_mode_b_factorial": (MODEL.format(a="<~", b="=~"),
                              {"consistent": True, "scheme": "factorial"}, set("BCDE")),
}


@pytest.fixture(scope="module")
def data():
    return _draw(600, 11)


@pytest.mark.parametrize("case", list(CASES))
def test_fit_matches_the_csem_adanco_definitions(data, case):
    syntax, kw, common = CASES[case]
    res = _fit(syntax, data, **kw)
    want = _independent_fit(res, data, common)
    # the inputs written out here are the estimator's own (a check on the test)
    got_paths = {(r.rhs, r.lhs): r.est for r in res.paths.itertuples()}
    cons = want["cons"]
    for (i, j), est in got_paths.items():
        assert want["beta"][cons.index(j), cons.index(i)] == pytest.approx(est, abs=1e-9)
    np.testing.assert_allclose(res.loadings.est, want["lam"], atol=1e-9)
    fit = res.model_fit.set_index("measure")
    for model in ("saturated", "estimated"):
        for measure in ("srmr", "d_uls", "d_g"):
            assert fit.loc[measure, model] == pytest.approx(
                want[model][measure], rel=1e-8, abs=1e-12), (model, measure)
    # the estimated model omits paths: its fit differs from the saturated one, and D's
    # implied variance is not 1, so the 1 − R² construction matters here
    assert fit.loc["d_uls", "estimated"] > fit.loc["d_uls", "saturated"] + 1e-4
    assert abs(want["implied_var"][cons.index("D")] - 1) > 1e-3


def test_estimated_model_uses_one_minus_r2_disturbances(data):
    """MODEL omits A → C, so the implied cor(A, C) is β_AB β_BC, not the estimated one;
    D ~ A + C then has implied variance β' V β + (1 − R²_D) ≠ 1, and cSEM keeps it inside
    cov(E, D) = β_DE · var(D) and resets only the diagonal."""
    from crmsurvey.pls.fit import structural_correlations
    from crmsurvey.pls.layout import layout_of
    from crmsurvey.model import parse_model
    from crmsurvey.moments import PairProducts
    from crmsurvey.pls.stats import Options, batch_statistics

    lay = layout_of(parse_model(MODEL.format(a="=~", b="=~")))
    x = data[list(lay.items)].to_numpy()
    st = batch_statistics(PairProducts(x).moments(np.ones((1, len(x)))), lay,
                          Options("path", 1e-10, 300, True, np.tile(SCALE, (lay.p, 1))))
    v = structural_correlations(st, lay)[0]
    c, b = st.ccor[0], st.beta[0]
    ia, ib, ic, id_, ie = (lay.constructs.index(n) for n in "ABCDE")
    cor_ac = b[ia, ib] * b[ib, ic]
    assert v[ia, ic] == pytest.approx(cor_ac, abs=1e-12)
    assert abs(c[ia, ic] - cor_ac) > 0.05  # the omitted path matters in these data
    bd = b[[ia, ic], id_]
    var_d = bd @ np.array([[1, cor_ac], [cor_ac, 1]]) @ bd + 1 - st.r2[0, id_]
    assert abs(var_d - 1) > 1e-3
    assert v[id_, ie] == pytest.approx(b[id_, ie] * var_d, abs=1e-12)
    assert v[id_, id_] == 1.0 and v[ie, ie] == 1.0


def test_d_g_is_base_10_in_the_distances_and_the_exact_fit_test(data):
    """One definition of d_G for the statistic and its HI95/HI99: the distances the
    resamples are measured with give ½ Σ (log₁₀ φ)² — the natural-log form divided by
    (ln 10)²."""
    from crmsurvey.pls.fit import distances

    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 40, 6))
    s = np.stack([np.corrcoef(m, rowvar=False) for m in a])
    sigma = np.stack([np.corrcoef(m[:, ::-1] + 0.3 * m, rowvar=False) for m in a])
    got = distances(s, sigma)["d_g"]
    for i in range(3):
        phi = np.linalg.eigvals(np.linalg.inv(s[i]) @ sigma[i]).real
        assert got[i] == pytest.approx(0.5 * np.sum(np.log10(phi) ** 2), rel=1e-10)
        assert got[i] * np.log(10) ** 2 == pytest.approx(0.5 * np.sum(np.log(phi) ** 2),
                                                         rel=1e-10)
    res = _fit(MODEL_TRUE.format(a="=~", b="=~"), data, consistent=True, fit_test=100, seed=2)
    fit = res.model_fit.set_index("measure")
    # the common-factor model holds in the population: exact fit is not rejected on any
    # distance, and d_G sits below its HI95 on the same (base-10) scale
    for m in ("srmr", "d_uls", "d_g"):
        assert 0 < fit.loc[m, "estimated"] < fit.loc[m, "estimated_hi95"] \
            <= fit.loc[m, "estimated_hi99"]


# --- improper solutions -------------------------------------------------------------

def _codes(res) -> set[str]:
    return {d.code for d in res.diagnostics}


def test_clean_models_get_no_verify_diagnostic(data):
    for syntax, kw, _ in CASES.values():
        res = _fit(syntax, data, **kw)
        assert res.diagnostics == (), [d.message for d in res.diagnostics]
        assert V.verify(res) == []
        assert "solution admissible" in res.summary().as_text()


def test_near_collinear_plsc_model_is_flagged():
    """A and B correlate .99 in the population, both predicting C."""
    data = _draw_collinear(500, 3, cor_ab=0.99)
    with pytest.warns(CrmWarning):
        res = cs.pls(MODEL_AB, data, scale=SCALE, consistent=True)
    codes = _codes(res)
    assert {"construct_corr_high", "inner_vif_high", "path_beyond_one"} <= codes
    high = next(d for d in res.diagnostics if d.code == "construct_corr_high")
    assert set(high.concerns) == {"A", "B"} and high.severity == "warning"
    vif = [d for d in res.diagnostics if d.code == "inner_vif_high"]
    assert {d.concerns for d in vif} == {("A", "C"), ("B", "C")}
    ab = res.fornell_larcker.loc["A", "B"]
    assert ab > V.CONSTRUCT_CORR_LIMIT
    # every flagged path really is beyond ±1, every unflagged one within
    flagged = {d.concerns for d in res.diagnostics if d.code == "path_beyond_one"}
    for r in res.paths.itertuples():
        assert ((r.rhs, r.lhs) in flagged) == (abs(r.est) > 1)
    text = res.summary().as_text()
    assert "correlate" in text and "solution admissible" not in text
    # the same data without the collinear pair: no warning
    assert not _codes(_fit("A =~ a1 + a2 + a3\nC =~ c1 + c2 + c3\nD =~ d1 + d2 + d3\n"
                           "C ~ A\nD ~ C", data, consistent=True))


def test_plsc_loading_above_one_is_flagged():
    """A two-item block whose first item also carries the predictor (a cross-loading):
    PLSc's weights favour it and its consistent loading √(r₁₂ w₁/w₂) exceeds 1."""
    rng = np.random.default_rng(1)
    n = 500
    xi = rng.standard_normal(n)
    eta = 0.6 * xi + 0.8 * rng.standard_normal(n)
    df = pd.DataFrame({f"x{k}": 0.8 * xi + 0.6 * rng.standard_normal(n) for k in (1, 2, 3)})
    df["y1"] = 0.6 * eta + 0.6 * xi + 0.3 * rng.standard_normal(n)
    df["y2"] = 0.5 * eta + 0.85 * rng.standard_normal(n)
    syntax = "XI =~ x1 + x2 + x3\nETA =~ y1 + y2\nETA ~ XI"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cs.pls(syntax, df, scale=SCALE, consistent=True)
    assert any(issubclass(w.category, CrmWarning) and "beyond ±1" in str(w.message)
               for w in caught)
    lam = res.loadings.set_index("rhs").est
    assert lam["y1"] > 1
    load = [d for d in res.diagnostics if d.code == "loading_above_one"]
    assert [d.concerns for d in load] == [("y1", "ETA")] and load[0].severity == "error"
    rel = [d for d in res.diagnostics if d.code == "reliability_above_one"]
    assert res.quality.set_index("construct").rho_a["ETA"] > 1
    assert [d.concerns for d in rel] == [("ETA",)]
    # PLS-PM on the same data is proper: composite loadings are correlations
    assert not _codes(_fit(syntax, df)) & set(V.CODES)
    # stored with the result's JSON and shown in the summary
    stored = {d["code"] for d in res.to_dict()["diagnostics"]}
    assert {"loading_above_one", "reliability_above_one"} <= stored
    assert "loading of 'y1' on 'ETA'" in res.summary().as_text()


def test_non_convergence_is_a_verify_diagnostic(data):
    res = _fit(MODEL.format(a="=~", b="=~"), data, max_iter=1)
    conv = [d for d in res.diagnostics if d.code == "non_convergence"]
    assert len(conv) == 1 and conv[0].severity == "error"


def test_construct_matrix_not_positive_definite_is_flagged(data):
    """verify() on a result whose construct correlations are planted indefinite (a 3×3
    matrix with correlations .9, .9 and −.9)."""
    from dataclasses import replace

    res = _fit(MODEL.format(a="=~", b="=~"), data, consistent=True)
    fl = res.fornell_larcker.copy()
    fl.loc["A", "B"] = fl.loc["B", "A"] = 0.9
    fl.loc["A", "C"] = fl.loc["C", "A"] = 0.9
    fl.loc["B", "C"] = fl.loc["C", "B"] = -0.9
    got = V.check_solution(replace(res, fornell_larcker=fl))
    assert [d.code for d in got] == ["construct_corr_not_pd"]
    assert got[0].severity == "error"


def test_every_check_is_translated():
    from crmsurvey.report.i18n import DIAGNOSTICS, diagnostic_text

    for code in V.CODES:
        assert code in DIAGNOSTICS["zh-CN"], code
    # the thresholds the sentences state are the ones the checks used (a parameter)
    d = {"code": "construct_corr_high", "message": "English",
         "params": {"first": "A", "second": "B", "corr": 0.97,
                    "limit": V.CONSTRUCT_CORR_LIMIT}}
    text = diagnostic_text(d, "zh-CN")
    assert "English" not in text and "A与B" in text and f"{V.CONSTRUCT_CORR_LIMIT:g}" in text
    assert "{limit:g}" in DIAGNOSTICS["zh-CN"]["inner_vif_high"]


def test_every_diagnostic_code_has_chinese_wording():
    """Every code a stage can raise (``Diagnostic("code", ...)`` anywhere in the package)
    has a zh-CN sentence: a Chinese report never falls back to the English message."""
    import pathlib
    import re

    import crmsurvey
    from crmsurvey.report.i18n import DIAGNOSTICS

    root = pathlib.Path(crmsurvey.__file__).parent
    pattern = re.compile(r'Diagnostic\(\s*(?:code\s*=\s*)?"([a-z][a-z_0-9]*)"')
    codes = {m.group(1) for p in root.rglob("*.py") for m in pattern.finditer(p.read_text())}
    assert len(codes) > 40
    assert sorted(codes - set(DIAGNOSTICS["zh-CN"])) == []
