"""FIMIX-PLS (crmsurvey.pls.fimix) on simulated data with planted segments: the number of
segments chosen, respondents classified, segment paths recovered; criteria as Sarstedt
et al. (2011) define them, written out here."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.pls.fimix import fimix
from scipy.special import xlogy

ITEMS = 5
TRUE = {0: {("Y", "X"): 0.85, ("Y", "M"): -0.5, ("L", "Y"): 0.9},
        1: {("Y", "X"): -0.85, ("Y", "M"): 0.5, ("L", "Y"): -0.9}}


def _items(p):
    return " + ".join(f"{p}{i}" for i in range(1, ITEMS + 1))


MODEL = (f"X =~ {_items('x')}\nM =~ {_items('m')}\nY =~ {_items('y')}\n"
         f"L =~ {_items('l')}\nY ~ X + M\nL ~ Y")


def _planted(n, seed, two=True):
    """Two segments (40 % / 60 %) whose three structural paths differ in sign; every
    construct has variance 1 in each segment, so its standardised paths are TRUE."""
    rng = np.random.default_rng(seed)
    seg = (rng.random(n) < 0.4).astype(int) if two else np.zeros(n, int)
    x, m = rng.normal(size=n), rng.normal(size=n)
    t = {key: np.array([TRUE[0][key], TRUE[1][key]])[seg] for key in TRUE[0]}
    bx, bm, by = t[("Y", "X")], t[("Y", "M")], t[("L", "Y")]
    y = bx * x + bm * m + rng.normal(size=n) * np.sqrt(1 - bx ** 2 - bm ** 2)
    lo = by * y + rng.normal(size=n) * np.sqrt(1 - by ** 2)
    cols = {}
    for name, v in (("x", x), ("m", m), ("y", y), ("l", lo)):
        for i in range(1, ITEMS + 1):
            cols[f"{name}{i}"] = 0.95 * v + rng.normal(size=n) * np.sqrt(1 - 0.95 ** 2)
    return pd.DataFrame(cols), seg


def _pls(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cs.pls(MODEL, df)


@pytest.fixture(scope="module")
def two():
    df, seg = _planted(1000, 10)
    res = _pls(df)
    return df, seg, res, fimix(res, segments=[1, 2, 3, 4], starts=8, seed=1)


def _oracle_accuracy(scores, seg):
    """Classification by the true memberships' own regressions (the best any method on
    these scores can do, up to sampling error)."""
    ll = np.zeros((len(seg), 2))
    for k in range(2):
        idx = seg == k
        for lhs, preds in (("Y", ["X", "M"]), ("L", ["Y"])):
            xk, yk = scores.loc[idx, preds].to_numpy(), scores.loc[idx, lhs].to_numpy()
            b = np.linalg.lstsq(xk, yk, rcond=None)[0]
            psi = np.mean((yk - xk @ b) ** 2)
            res = scores[lhs].to_numpy() - scores[preds].to_numpy() @ b
            ll[:, k] += -0.5 * np.log(psi) - res ** 2 / (2 * psi)
        ll[:, k] += np.log(idx.mean())
    return np.mean(ll.argmax(1) == seg)


def _matched(f, seg):
    """FIMIX segment (1, 2) → planted segment (0, 1), by agreement."""
    same = np.mean(f.segments - 1 == seg)
    return {1: 0, 2: 1} if same >= 0.5 else {1: 1, 2: 0}


def test_two_segments_chosen_and_classified(two):
    df, seg, res, fx = two
    assert fx.chosen == 2
    f = fx.fit
    match = _matched(f, seg)
    planted = np.array([match[s] for s in f.segments])
    acc = np.mean(planted == seg)
    assert acc >= 0.9
    assert acc >= _oracle_accuracy(res.scores, seg) - 0.01
    assert f.share_best > 0
    assert sorted(f.sizes, reverse=True) == list(f.sizes)
    m = fx.membership()
    assert list(m.columns) == ["segment", "p1", "p2"] and (m.index == df.index).all()
    # FIMIX's own segment paths have the planted signs and are near the truth
    for _, row in f.paths.iterrows():
        want = TRUE[match[row.segment]][(row.lhs, row.rhs)]
        assert abs(row.est - want) < 0.1


def test_segment_paths_within_their_intervals(two):
    df, seg, _, fx = two
    match = _matched(fx.fit, seg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per = fx.reestimate(df, consistent=True, bootstrap=400, ci=0.99, seed=2)
    for k, r in per.items():
        assert len(r.scores) == int((fx.fit.segments == k).sum())
        for _, row in r.paths.iterrows():
            want = TRUE[match[k]][(row.lhs, row.rhs)]
            assert row.ci_lower <= want <= row.ci_upper, (k, row.lhs, row.rhs)


def test_criteria_as_defined(two):
    _, _, res, fx = two
    t = fx.table.set_index("segments")
    n = len(res.scores)
    ll1 = t.loc[1, "loglik"]
    for k, row in t.iterrows():
        npar = (k - 1) + k * 3 + k * 2          # 3 paths, 2 endogenous constructs
        assert row.npar == npar
        m2 = -2 * row.loglik
        assert row.aic4 == pytest.approx(m2 + 4 * npar)
        assert row.caic == pytest.approx(m2 + (np.log(n) + 1) * npar)
        assert row.hq == pytest.approx(m2 + 2 * npar * np.log(np.log(n)))
        assert row.mdl5 == pytest.approx(m2 + 5 * npar * np.log(n))
        if k > 1:
            p = fx.fits[k].posterior
            ec = -xlogy(p, p).sum()
            assert row.en == pytest.approx(1 - ec / (n * np.log(k)))
            assert row.nfi == pytest.approx((k * (p ** 2).sum() - n) / (n * (k - 1)))
            assert row.nec == pytest.approx(ec / (row.loglik - ll1))
    # one segment: the log-likelihood of the OLS regressions of the scores
    s = res.scores
    ll = 0.0
    for lhs, preds in (("Y", ["X", "M"]), ("L", ["Y"])):
        b = np.linalg.lstsq(s[preds].to_numpy(), s[lhs].to_numpy(), rcond=None)[0]
        e = s[lhs].to_numpy() - s[preds].to_numpy() @ b
        psi = np.mean(e ** 2)
        ll += -0.5 * n * (np.log(2 * np.pi * psi) + 1)
    assert ll1 == pytest.approx(ll, rel=1e-9)


def test_one_true_segment_one_chosen():
    df, _ = _planted(800, 3, two=False)
    fx = fimix(_pls(df), segments=[1, 2, 3], starts=6, seed=1)
    assert fx.chosen == 1
    assert fx.fit.sizes.tolist() == [1.0]


def test_refusals():
    df, _ = _planted(30, 1)
    res = _pls(df)
    with pytest.raises(InputError, match="too few"):
        fimix(res, segments=[1, 2, 3, 4])
    with pytest.raises(InputError):
        fimix(res, criterion="nope")


# --- the study's segments: section and the report's segment page ----------------------

def lc_run_path(tmp_path, segments: str = """  method: latent_class
  indicators: [SAT, LOY, nps_group]
  categorical: [nps_group]
  describe: [brand, gender, age, sat1]
  numbers: [1, 2, 3]
  covariates: [age]
  starts: 4"""):
    """The study file with this ``segments:`` section, written in ``tmp_path``."""
    (tmp_path / "s.yaml").write_text(f"""
id: seg
title: {{en: Segments, zh-CN: 细分}}
questionnaire: ccsi
data:
  - simulate: {{n: 150, seed: 5, groups: {{brand: [A, B]}}}}
pls: {{bootstrap: 100, seed: 7, fit_test: 0, predict_folds: 0}}
segments:
{segments}
""", encoding="utf-8")
    return tmp_path / "s.yaml"


def _study(tmp_path, segments: str | None = None):
    from crmsurvey.study import load_study, run_study

    path = lc_run_path(tmp_path) if segments is None else lc_run_path(tmp_path, segments)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(load_study(path))


_DEFAULT_RUN: dict = {}


def default_run(tmp_path_factory):
    """The latent-class study with its default segments, run once per test process
    (here and tests/test_review_fix_segments.py: ``on_outcome``). Read-only."""
    if "run" not in _DEFAULT_RUN:
        _DEFAULT_RUN["run"] = _study(tmp_path_factory.mktemp("lc"))
    return _DEFAULT_RUN["run"]


@pytest.fixture(scope="module")
def lc_run(tmp_path_factory):
    return default_run(tmp_path_factory)


@pytest.mark.slow
def test_study_segments_section(lc_run):
    r = lc_run.results
    s = r.segments
    assert s.method == "latent_class" and s.criterion == "bic"
    fit = {row["segments"]: row for row in s.fit}
    assert s.chosen == min(fit, key=lambda k: fit[k]["bic"])
    member = lc_run.tables["segments_membership"]
    assert [row.n for row in s.segments] == [int((member["segment"] == k).sum())
                                             for k in range(1, s.chosen + 1)]
    assert sum(row.share for row in s.segments) == pytest.approx(1.0)
    if s.chosen > 1:  # age bands as dummies: one log-odds per band and segment beyond 1
        assert {(c["segment"], c["covariate"]) for c in s.covariates} == {
            (k, f"age_{b}") for k in range(2, s.chosen + 1) for b in (2, 3, 4)}
    tests = {t["variable"]: t for t in s.distinguish}
    assert set(tests) == {"brand", "gender", "age", "sat1"}
    assert tests["age"]["test"] == "chi2" and tests["sat1"]["test"] == "anova"


@pytest.mark.slow
def test_segment_nps_and_index_from_the_members(lc_run, tmp_path):
    """Each segment's NPS (100 · (share 9–10 − share 0–6)) and mean index recomputed here
    from the members' answers and a PLS fit of the same rows."""
    from crmsurvey.study import load_study
    from crmsurvey.study.run import _load

    study = load_study(lc_run_path(tmp_path))
    data, _, _ = _load(study)
    member = lc_run.tables["segments_membership"].set_index("row")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.pls(study.questionnaire.model_spec(), data,
                     scale=study.questionnaire.scale_bounds())
    idx = res.index_scores()
    for row in lc_run.results.segments.segments:
        rows = member.index[member["segment"] == row.segment]
        x = data.loc[rows, "nps"].dropna().to_numpy(float)
        assert row.nps == pytest.approx(100 * (np.mean(x >= 9) - np.mean(x <= 6)))
        for c, v in row.indices.items():
            assert v == pytest.approx(idx.loc[rows, c].mean(), abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_segment_page_renders_in_both_languages(lc_run, lang):
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.render import build_html

    html = build_html(lc_run.results, lang=lang)
    t = strings(lang)
    page = html[html.index('id="segments"'):]
    page = page[:page.index("</section>")]
    assert t["seg_fit"] in page and t["seg_label"].format(k=1) in page
    if lc_run.results.segments.chosen > 1:
        assert t["seg_sizes"] in page and t["seg_profile"] in page


@pytest.mark.slow
def test_segment_page_words_come_from_the_catalogue(lc_run, tmp_path, monkeypatch):
    """A pseudo-locale (every msgid accented and wrapped in ⟦ ⟧): the segment page holds
    no letters outside those spans but the user's own names (constructs, items, levels)."""
    import html as H
    import re

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from crmsurvey import _catalogue
    from crmsurvey.report.render import build_html

    src = _catalogue.LOCALES_DIR / "messages.pot"
    accent = str.maketrans("aeiouycnAEIOUYCN", "áéíóúýçñÁÉÍÓÚÝÇÑ")
    cat = Catalog(locale="en")

    def pseudo(text):
        parts = re.split(r"(\{[^{}]*\})", text)
        return "⟦" + "".join(p if p.startswith("{") else p.translate(accent)
                             for p in parts) + "⟧"

    with open(src, "rb") as f:
        for m in read_po(f):
            if m.id:
                cat.add(m.id, pseudo(m.id) if isinstance(m.id, str)  # plural: each form
                        else tuple(map(pseudo, m.id)), context=m.context, flags=m.flags)
    (tmp_path / "messages.pot").write_bytes(src.read_bytes())
    with open(tmp_path / "en_XA.po", "wb") as f:
        write_po(f, cat)
    monkeypatch.setattr(_catalogue, "LOCALES_DIR", tmp_path)
    page = build_html(lc_run.results, lang="en-XA")
    page = page[page.index('id="segments"'):]
    page = page[page.index(">") + 1:page.index("</section>")]
    text = H.unescape(re.sub(r"<[^>]+>", "\u2063", page))
    while (t2 := re.sub(r"⟦[^⟦⟧]*⟧", " ", text)) != text:
        text = t2
    r = lc_run.results
    texts = [*r.model.labels.values(), *r.segments.labels.values(),
             *[v for lev in r.segments.levels.values() for v in lev.values()]]
    user = [w for v in texts for w in v.values()] + ["A", "B"]
    for u in sorted(filter(None, user), key=len, reverse=True):
        text = text.replace(u, " ")
    left = [p.strip() for p in text.split("\u2063") if re.search(r"[^\W\d_]", p)]
    assert left == []


@pytest.mark.slow
def test_study_fimix_segments(tmp_path):
    run = _study(tmp_path, """  method: fimix
  numbers: [1, 2]
  starts: 3""")
    s = run.results.segments
    assert s.method == "fimix" and s.criterion == "caic"
    fit = {row["segments"]: row for row in s.fit}
    assert s.chosen == min(fit, key=lambda k: fit[k]["caic"])
    assert {"aic", "aic3", "aic4", "bic", "caic", "hq", "mdl5", "en", "nfi", "nec"} <= set(
        s.fit[0])
    if s.chosen > 1:
        assert all(row.paths for row in s.segments)


def test_segments_refusals(tmp_path):
    from crmsurvey.errors import InputError

    with pytest.raises(InputError, match="neither a construct nor an item"):
        _study(tmp_path, """  indicators: [NOPE]""")


def test_weights_count_as_repeated_rows():
    """FIMIX-PLS with a weight of 2 on some rows equals those rows repeated (same scores)."""
    df, _ = _planted(400, 6)
    res = _pls(df)
    w = np.where(np.arange(400) % 4 == 0, 2.0, 1.0)

    class Twice:  # the same scores with the weighted rows repeated
        scores = pd.concat([res.scores, res.scores[w == 2]], ignore_index=True)
        paths, model = res.paths, res.model

    a = fimix(res, segments=[2], starts=4, seed=1, weights=w, tol=1e-13).fits[2]
    b = fimix(Twice, segments=[2], starts=4, seed=1, tol=1e-13).fits[2]
    pa = a.paths.set_index(["segment", "lhs", "rhs"])["est"].sort_index()
    pb = b.paths.set_index(["segment", "lhs", "rhs"])["est"].sort_index()
    np.testing.assert_allclose(pa, pb, atol=1e-6)
    np.testing.assert_allclose(a.sizes, b.sizes, atol=1e-6)
    assert a.loglik == pytest.approx(b.loglik * 400 / 500, rel=1e-7)
