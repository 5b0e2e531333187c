"""Options are defined once (crmsurvey.options) and reach every surface alike: the Python
signature, the study file's schema and the CLI flags — same default, same allowed values,
and a bad value refused on each. Seeds have one default and one module deriving them."""
from __future__ import annotations

import inspect
import re
import typing
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import typer
from pydantic import ValidationError

import crmsurvey as cs
from crmsurvey import _random, options
from crmsurvey.cbsem.fit import cbsem
from crmsurvey.cli import app, main
from crmsurvey.errors import InputError
from crmsurvey.options import CBSEMOptions, PLSOptions, STUDY_DEFAULTS
from crmsurvey.pls.estimate import pls
from crmsurvey.study import schema

ROOT = Path(__file__).resolve().parent.parent

#: per record: its function, its study section, its CLI command, and the function's
#: keywords that are data or run-time settings rather than options (no study/CLI field)
SURFACES = {
    PLSOptions: (pls, schema.PLSOptions, "pls",
                 {"weights", "scale", "design", "chunk", "progress", "engine"}),
    CBSEMOptions: (cbsem, schema.CBSEMOptions, "cbsem",
                   {"weights", "group", "group_equal", "reliability", "chunk", "engine"}),
}
RECORDS = list(SURFACES)
SMALL = "SAT =~ sat1 + sat2 + sat3\nLOY =~ loy1 + loy2\nLOY ~ SAT"
FIELDS = [(r, name) for r in RECORDS for name in r.model_fields]
IDS = [f"{r.__name__}.{name}" for r, name in FIELDS]


def _cli_params(command: str) -> dict:
    return {p.name: p for p in typer.main.get_command(app).commands[command].params}


# --- each surface has each option, with the record's default and allowed values -------

@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_python_signature_is_the_record(record):
    func, _, _, runtime = SURFACES[record]
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func)
    keywords = {n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}
    # every keyword is an option of the record or a declared data/run-time argument
    assert keywords == set(record.model_fields) | runtime
    for name in record.model_fields:
        assert sig.parameters[name].default == record.default(name), name
        if record.choices(name):
            assert typing.get_args(hints[name]) == record.choices(name), name


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_study_section_is_the_record(record):
    _, section, _, _ = SURFACES[record]
    assert issubclass(section, record)
    study_only = set(section.model_fields) - set(record.model_fields)
    assert study_only <= {"predict_folds", "predict_reps", "cvpat", "copula", "tail_draws"}
    differs = STUDY_DEFAULTS.get(record, {})
    for name in record.model_fields:
        want = differs.get(name, record.default(name))
        assert section.default(name) == want, name
        assert section.choices(name) == record.choices(name), name
    # the deliberate differences are documented where they are defined
    source = inspect.getsource(options)
    assert "STUDY_DEFAULTS" in source and "deliberately differ" in source
    assert set(differs) < set(record.model_fields)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_cli_command_is_the_record(record):
    _, _, command, _ = SURFACES[record]
    params = _cli_params(command)
    for name in record.model_fields:
        assert name in params, f"--{name.replace('_', '-')} missing from {command}"
        p = params[name]
        assert p.default == record.default(name), name
        assert record.help(name) and p.help.startswith(record.help(name))
        if record.choices(name):  # the allowed values, listed in help and completed
            assert p.metavar == "[" + "|".join(record.choices(name)) + "]"
    help_text = _help(command)
    for name in record.model_fields:
        for value in record.choices(name) or ():
            assert value in help_text


def _help(command: str) -> str:
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "300"}).output
    return re.sub(r"\s+", "", out)


def test_each_option_is_described_and_its_default_allowed():
    for record, name in FIELDS:
        assert record.help(name), name
        if record.choices(name):
            assert record.default(name) in record.choices(name)


# --- a bad value is refused on every surface, with the same words ---------------------

BAD = {"bootstrap": -1, "fit_test": -1, "seed": -1, "ci": 1.5, "tol": 0.0, "max_iter": 0,
       "consistent": "maybe", "ordered": 5}


@pytest.mark.parametrize("record, name", FIELDS, ids=IDS)
def test_bad_value_refused_everywhere(record, name, capsys):
    func, section, command, _ = SURFACES[record]
    bad = BAD.get(name, "bogus")
    with pytest.raises(InputError, match=rf"^{name}\b"):
        record.validated(**{name: bad})
    with pytest.raises(InputError, match=rf"^{name}\b"):  # before any data are read
        func("A =~ a1 + a2", None, **{name: bad})
    with pytest.raises(ValidationError):
        section(**{name: bad})
    if name in ("consistent", "ordered", "std_lv", "orthogonal"):
        return  # a flag / free text on the command line: no bad value to type
    capsys.readouterr()
    code = main([command, "missing.yaml", "missing.csv", f"--{name.replace('_', '-')}",
                 str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {name}") and "missing.yaml" not in err


def test_choice_message_names_the_allowed_values():
    with pytest.raises(InputError, match="estimator must be one of 'ML', 'MLM', 'MLR', "
                       "'GLS', 'ULS', 'DWLS', 'WLSMV', not 'PML'"):
        cbsem("A =~ a1 + a2", None, estimator="PML")


def test_study_file_takes_wlsmv_and_every_pls_option():
    base = {"id": "s", "title": "t", "questionnaire": "ccsi", "data": [{"path": "x.csv"}]}
    d = schema.StudyDef.model_validate({**base, "cbsem": {"estimator": "WLSMV",
                                                          "ordered": True},
                                        "pls": {"sign_change": "none", "missing": "listwise",
                                                "tol": 1e-6, "max_iter": 100}})
    assert d.cbsem.kwargs()["estimator"] == "WLSMV" and d.cbsem.ordered is True
    assert d.pls.kwargs() == {**PLSOptions().kwargs(), "bootstrap": 1000, "fit_test": 499,
                              "sign_change": "none", "missing": "listwise", "tol": 1e-6,
                              "max_iter": 100}
    with pytest.raises(ValidationError):  # a study always gives the same numbers
        schema.StudyDef.model_validate({**base, "pls": {"seed": None}})


def test_study_options_reach_the_estimators(weighted):
    from crmsurvey.study.run import _cbsem
    from crmsurvey.study.units import Unit, _fit_unit

    q, r = weighted
    o = schema.PLSOptions(bootstrap=0, fit_test=0, sign_change="none", missing="listwise",
                          max_iter=50, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _fit_unit((q.model_spec(), r.data, None, q.scale_bounds(), o, 5, True))
        s = res.settings
        assert (s.missing, s.sign_change, s.max_iter, s.tol) == ("listwise", "none", 50, 1e-6)
        assert s.n_dropped > 0  # listwise, as the study asked
        unit = Unit({}, np.ones(len(r.data), bool))
        wlsmv = _cbsem(q, r.data, unit, None, schema.CBSEMOptions(estimator="WLSMV",
                                                                    ordered=True),
                       list(q.model_spec().items))
    assert wlsmv.error is None and wlsmv.settings["estimator"] == "WLSMV"


# --- the same bad model is the same error ---------------------------------------------

@pytest.mark.parametrize("func", [pls, cbsem])
def test_bad_model_is_input_error(func):
    import pandas as pd

    df = pd.DataFrame({"a1": [1.0, 2, 3], "a2": [2.0, 1, 3]})
    with pytest.raises(InputError, match="model must be lavaan syntax"):
        func(123, df)


# --- FIML and weights -------------------------------------------------------------------

@pytest.fixture(scope="module")
def weighted():
    q = cs.load_questionnaire("acsi")
    r = cs.load_responses(q, cs.simulate(q, 300, seed=1))
    assert r.weights is not None  # the bundled questionnaire's weight column
    return q, r


def test_fiml_refusal_names_the_weights_and_the_switch(weighted):
    q, r = weighted
    with pytest.raises(InputError) as exc:
        cbsem(q, r, missing="fiml")
    msg = str(exc.value)
    assert "weight" in msg and "weights=False" in msg and "--weight none" in msg
    with pytest.raises(InputError, match="bootstrap"):
        cbsem(q, r, missing="fiml", weights=False, bootstrap=10)
    with pytest.raises(InputError, match="'GLS'"):
        cbsem(q, r, missing="fiml", weights=False, estimator="GLS")


def test_weights_false_switches_the_weights_off(weighted):
    _, r = weighted  # a small model: the responses still bring their weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cbsem(SMALL, r, missing="fiml", weights=False)
        auto = cbsem(SMALL, r, missing="auto")
    assert res.settings.missing == "fiml" and not res.settings.weighted
    assert auto.settings.missing == "listwise" and auto.settings.weighted
    assert any(n.code == "cb_auto_listwise" for n in auto.notes)


# --- seeds: one default, one module ---------------------------------------------------

def test_one_default_seed_everywhere():
    seed = _random.DEFAULT_SEED
    assert inspect.signature(pls).parameters["seed"].default == seed
    assert inspect.signature(cbsem).parameters["seed"].default == seed
    assert schema.PLSOptions().seed == schema.CBSEMOptions().seed == seed
    assert schema.CompareOptions().seed == seed
    assert _cli_params("pls")["seed"].default == _cli_params("cbsem")["seed"].default == seed
    from crmsurvey.pls.mga import compare_groups
    from crmsurvey.pls.result import PLSResult

    assert inspect.signature(compare_groups).parameters["seed"].default == seed
    assert inspect.signature(PLSResult.predict).parameters["seed"].default == seed


def test_default_seed_gives_the_same_numbers(weighted):
    _, r = weighted
    model = SMALL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = pls(model, r, bootstrap=40)
        b = pls(model, r, bootstrap=40, seed=_random.DEFAULT_SEED)
        fresh = pls(model, r, bootstrap=40, seed=None)
        again = pls(model, r, bootstrap=40, seed=fresh.settings.seed)
    assert a.settings.seed == _random.DEFAULT_SEED
    np.testing.assert_array_equal(a.paths.se, b.paths.se)
    assert 0 <= fresh.settings.seed <= _random.MAX_SEED  # kept, so it can be repeated
    np.testing.assert_array_equal(fresh.paths.se, again.paths.se)


def test_seed_derivations_live_in_one_module():
    from crmsurvey.moments import resample_indices
    from crmsurvey.study.units import unit_seed

    # the derivations peers' tests rebuild keep their values
    from crmsurvey.study.results import group_key

    key = zlib.crc32(group_key({"brand": "A"}).encode("utf-8"))
    assert unit_seed(1, {"brand": "A"}) == int(
        np.random.SeedSequence([1, key]).generate_state(1)[0])
    idx = resample_indices(50, 150, seed=7)
    want = np.concatenate([np.random.default_rng([7, b]).integers(0, 50, size=(100, 50))
                           for b in range(2)])[:150]
    np.testing.assert_array_equal(idx, want)
    assert _random.child_seed(3, 1, 0) != _random.child_seed(3, 0, 1)
    # no ad-hoc derivation is left in the package
    for path in (ROOT / "crmsurvey").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "_random.py":
            continue
        assert not re.search(r"7919|entropy\s*%|np\.random\.SeedSequence|"
                             r"default_rng\(\[seed", text), path
