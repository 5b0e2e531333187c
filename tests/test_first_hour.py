"""Issue 25, item 2: the questionnaire's codes apply wherever a questionnaire is given;
syntax alone warns about values far outside the bulk of an item; the CLI's fitting and
scoring commands screen as a study does, say what they excluded, and take --exclude and
--weight."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey import _defaults as D
from crmsurvey._data import far_values
from crmsurvey.cli import main
from crmsurvey.errors import DataWarning, InputError

from .conftest import MINI

SAT_LOY = "SAT =~ sat1 + sat2 + sat3\nLOY =~ loy1 + loy2\nLOY ~ SAT"


@pytest.fixture(scope="module")
def raw(ccsi):
    """Simulated CCSI answers with the default mess: blanks, 98 "don't know", speeders…"""
    return cs.simulate(ccsi, 400, seed=25)


def _same(a, b, tol=1e-10):
    for table in ("paths", "loadings", "weights"):
        np.testing.assert_allclose(getattr(a, table).est.to_numpy(),
                                   getattr(b, table).est.to_numpy(), rtol=0, atol=tol)


# --- Python: a questionnaire and a raw frame ---------------------------------------

def test_pls_on_a_raw_frame_applies_the_questionnaires_codes(ccsi, raw):
    assert (raw[["sat1", "sat2", "sat3"]] == 98).any().any()  # the codes are there
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # nothing to warn about: codes applied
        got = cs.pls(ccsi, raw)
    want = cs.pls(ccsi, cs.load_responses(ccsi, raw, exclude=[]))
    _same(got, want)
    assert got.settings.n == want.settings.n == len(raw)
    assert got.settings.weighted and want.settings.weighted  # the weight item, as Responses
    # the reporter's case: the codes used as answers give another, wrong, model
    with pytest.warns(DataWarning, match="far outside the bulk"):
        naive = cs.pls(ccsi.to_lavaan(), raw, scale=ccsi.scale_bounds())
    loy = got.paths.query("lhs == 'LOY' and rhs == 'SAT'").est.item()
    assert abs(naive.paths.query("lhs == 'LOY' and rhs == 'SAT'").est.item() - loy) > 0.05


def test_reverse_coding_applied_once(mini):
    raw = cs.simulate(mini, 400, seed=5)
    got = cs.pls(mini, raw)
    want = cs.pls(mini, cs.load_responses(mini, raw, exclude=[]))
    _same(got, want)
    assert got.loadings.set_index("rhs").est["a3"] > 0.5  # a3 (reverse) turned
    # a frame taken from Responses is checked already: not turned back
    r = cs.load_responses(mini, raw, exclude=[])
    _same(cs.pls(mini, r.data), cs.pls(mini, r, weights=False))
    _same(cs.pls(mini, r.items), cs.pls(mini, r, weights=False))


def test_raw_frame_with_only_the_model_items(ccsi, raw):
    items = [i for c in ccsi.definition.constructs.values() for i in c.items]
    got = cs.pls(ccsi, raw[items])
    want = cs.pls(ccsi, cs.load_responses(ccsi, raw, exclude=[]), weights=False)
    _same(got, want)


def test_raw_frame_refused_naming_the_column(ccsi, raw):
    bad = raw.drop(columns=["sat2"])
    with pytest.raises(InputError, match="'sat2'"):
        cs.pls(ccsi, bad)
    shifted = raw.copy()  # 问卷星's option numbers: a 0–10 item read 1–11
    nps = pd.to_numeric(shifted["nps"], errors="coerce")
    shifted["nps"] = nps.where(nps > 10, nps + 1)
    with pytest.raises(InputError, match="column 'nps'.*option numbers"):
        cs.pls(ccsi, shifted)


def test_off_scale_answers_set_missing_are_said(mini):
    raw = cs.simulate(mini, 300, seed=2)
    raw.loc[:4, "b1"] = 7  # not on the 1–5 scale, not one of its codes
    with pytest.warns(DataWarning, match=r"5 answer\(s\) off the scale.*b1 5"):
        res = cs.pls(mini, raw)
    assert any(d.code == "set_missing" and "b1" in d.concerns for d in res.diagnostics)


def test_cbsem_on_a_raw_frame_applies_the_codes(ccsi, raw):
    got = cs.cbsem(ccsi, raw, weights=False)
    want = cs.cbsem(ccsi, cs.load_responses(ccsi, raw, exclude=[]), weights=False)
    np.testing.assert_allclose(got.estimates.est.to_numpy(), want.estimates.est.to_numpy(),
                               rtol=0, atol=1e-10)
    assert got.fit["chisq"] == pytest.approx(want.fit["chisq"], abs=1e-8)


# --- Python: syntax alone -----------------------------------------------------------

def test_syntax_only_warns_naming_item_and_count(raw):
    counts = {i: int((pd.to_numeric(raw[i], errors="coerce") > 10).sum())
              for i in ("sat1", "sat2", "sat3", "loy1", "loy2")}
    assert all(counts.values())
    with pytest.warns(DataWarning) as record:
        res = cs.pls(SAT_LOY, raw, scale=(1, 10))
    said = [str(w.message) for w in record if issubclass(w.category, DataWarning)]
    for item, n in counts.items():
        assert any(f"item {item!r}: {n} value(s) far outside" in s and "98" in s
                   for s in said), (item, n, said)
    far = [d for d in res.diagnostics if d.code == "far_values"]
    assert {d.concerns for d in far} == {(i, str(n)) for i, n in counts.items()}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cs.cbsem(SAT_LOY, raw.assign(**{i: pd.to_numeric(raw[i], errors="coerce")
                                        for i in counts}))
    said = [str(w.message) for w in record if issubclass(w.category, DataWarning)]
    assert any(f"item 'sat1': {counts['sat1']} value(s) far outside" in s for s in said)


def test_no_far_value_warning_on_checked_or_ordinary_data(ccsi, raw):
    r = cs.load_responses(ccsi, raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        cs.pls(SAT_LOY, r.data, scale=(1, 10))
    rng = np.random.default_rng(0)
    top_heavy = np.array([1, 1, 1, 2, 3, 5, 8, 13, 21, 30]) / 85  # few 1s on a 1–10 item
    ordinary = pd.DataFrame({"normal": rng.normal(size=5000),
                             "heavy_tails": rng.standard_t(3, 5000),
                             "lognormal": rng.lognormal(0, 1, 5000),
                             "rating": rng.integers(1, 11, 5000),
                             "top_heavy": rng.choice(np.arange(1, 11), 5000, p=top_heavy),
                             "rare": rng.binomial(1, 0.02, 5000)})
    assert far_values(ordinary, ordinary.columns) == []
    codes = pd.DataFrame({"age": np.r_[rng.integers(18, 80, 95), [999] * 5],
                          "both": np.r_[rng.integers(1, 6, 90), [-99] * 4, [98] * 6],
                          "many": np.r_[rng.integers(0, 11, 70), [99] * 30]})
    assert far_values(codes, codes.columns) == [("age", 5, 999.0), ("both", 10, -99.0),
                                                ("many", 30, 99.0)]


# --- the CLI ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def messy_file(tmp_path_factory, ccsi):
    path = tmp_path_factory.mktemp("first_hour") / "messy.csv"
    cs.simulate(ccsi, 250, seed=9, groups={"brand": ["A", "B"]}).to_csv(path, index=False)
    return path


def _screen_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith(("screened:", "not screened:"))]
    assert len(lines) == 1, err
    return lines[0]


def test_cli_pls_says_what_it_screened_out(ccsi, messy_file, capsys):
    import json

    log = cs.load_responses(ccsi, messy_file, exclude=list(D.SCREEN_EXCLUDE)).log
    assert main(["pls", "ccsi", str(messy_file), "--json"]) == 0
    out, err = capsys.readouterr()
    line = _screen_line(err)
    assert line.startswith(f"screened: {log.rows_kept:,} of {log.rows_read:,} rows kept")
    for rule in D.SCREEN_EXCLUDE:
        assert log.excluded[rule] and f"{log.excluded[rule]:,} {rule}" in line
    assert "weighted by 'weight'" in line
    res = json.loads(out)  # stdout is the result alone
    assert res["settings"]["n"] == log.rows_kept and res["settings"]["weighted"]

    assert main(["pls", "ccsi", str(messy_file), "--exclude", "none", "--weight", "none",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    assert _screen_line(err).startswith(f"screened: {log.rows_read:,} of {log.rows_read:,}")
    assert "unweighted" in err
    res = json.loads(out)
    assert res["settings"]["n"] == log.rows_read and not res["settings"]["weighted"]

    assert main(["pls", "ccsi", str(messy_file), "--exclude", "duplicate,speeder",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    assert "excluded" in err and "attention" not in _screen_line(err).split("flagged")[0]


@pytest.mark.parametrize("args, text", [
    (["--exclude", "speedr"], "did you mean 'speeder'"),
    (["--exclude", "none,speeder"], "--exclude none"),
    (["--weight", "wgt"], "--weight 'wgt'"),
])
def test_cli_bad_screening_flags_exit_2(messy_file, capsys, args, text):
    assert main(["nps", "ccsi", str(messy_file), *args]) == 2
    err = capsys.readouterr().err
    assert text in err and len(err.strip().splitlines()) == 1


def test_cli_nps_screens_and_weighs(ccsi, messy_file, capsys):
    import json

    assert main(["nps", "ccsi", str(messy_file), "--json"]) == 0
    out, err = capsys.readouterr()
    weighted = json.loads(out)["rows"][0]
    assert "screened:" in err and weighted["n_eff"] < weighted["n"]
    assert main(["nps", "ccsi", str(messy_file), "--json", "--weight", "none"]) == 0
    plain = json.loads(capsys.readouterr().out)["rows"][0]
    assert plain["n_eff"] == plain["n"] == weighted["n"]


def test_cli_cbsem_weight_none_with_fiml(ccsi, messy_file, capsys):
    import json

    assert main(["cbsem", "ccsi", str(messy_file), "--weight", "none", "--missing", "fiml",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    assert "unweighted" in _screen_line(err)
    res = json.loads(out)
    log = cs.load_responses(ccsi, messy_file, exclude=list(D.SCREEN_EXCLUDE)).log
    assert res["settings"]["missing"] == "fiml" and res["settings"]["n"] <= log.rows_kept


def test_cli_cbsem_lavaan_file_is_not_screened(tmp_path, raw, capsys):
    frame = raw.assign(**{i: pd.to_numeric(raw[i], errors="coerce")
                          for i in ("sat1", "sat2", "sat3", "loy1", "loy2")})
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(SAT_LOY, encoding="utf-8")
    assert main(["cbsem", str(tmp_path / "m.lav"), str(tmp_path / "d.csv"), "--exclude",
                 "speeder"]) == 2
    assert "--exclude needs a questionnaire" in capsys.readouterr().err
    assert main(["cbsem", str(tmp_path / "m.lav"), str(tmp_path / "d.csv")]) == 0
    out, err = capsys.readouterr()
    assert _screen_line(err).startswith(f"not screened: {len(raw):,} rows read")
    assert "far outside the bulk" in out  # the 98s are named in the notes


def test_one_screening_default_for_study_and_cli():
    from crmsurvey.cli import _exclude_flag, _rules
    from crmsurvey.study.schema import StudyDef

    assert StudyDef.model_fields["exclude"].default_factory() == list(D.SCREEN_EXCLUDE)
    assert _rules(None) == list(D.SCREEN_EXCLUDE) and _rules(["none"]) == []
    assert _rules(["duplicate,speeder", "attention"]) == ["duplicate", "speeder", "attention"]
    assert set(D.SCREEN_EXCLUDE) <= set(cs.responses.RULES)
    assert all(rule in _exclude_flag().help for rule in cs.responses.RULES)  # help not stale
