"""Options on every surface: the study file's invariance estimator (issue: compare used
ML only), the table of where each option of the options tables can be set, and the
weighting loader's error field in place of a split message."""
from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError

STUDY = """\
id: surfaces
title: Invariance estimator
questionnaire: ccsi
data:
  - path: answers.csv
exclude: []
groups: [brand]
pls: {{bootstrap: 50, seed: 2, predict_folds: 0, fit_test: 0, tail_draws: 1}}
cbsem: {{missing: listwise}}
compare: {{permutations: 100, bootstrap: 100, seed: 3{estimator}}}
"""


def _study(tmp_path, estimator: str | None):
    """The study file (clean simulated answers of two brands) with
    ``invariance_estimator`` (None: left out), the questionnaire and the answers."""
    from crmsurvey.simulation import SimulationSettings

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 200, seed=11, groups={"brand": ["Brand A", "Brand B"]},
                     settings=SimulationSettings(messy=False))
    df.to_csv(tmp_path / "answers.csv", index=False)
    extra = f", invariance_estimator: {estimator}" if estimator else ""
    (tmp_path / "study.yaml").write_text(STUDY.format(estimator=extra), encoding="utf-8")
    return tmp_path / "study.yaml", q, df


def test_study_refuses_an_invariance_estimator_the_tests_do_not_have(tmp_path):
    from crmsurvey.study import load_study

    _study(tmp_path, "WLSMV")
    with pytest.raises(InputError) as err:
        load_study(tmp_path / "study.yaml")
    assert "compare.invariance_estimator" in err.value.msg and "'MLR'" in err.value.msg
    assert err.value.line is not None  # placed in the study file


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The study run with the default (ML) and with MLR: {estimator: (results, data)}."""
    from crmsurvey.study import load_study, run_study

    out = {}
    for estimator in (None, "MLR"):
        path, q, df = _study(tmp_path_factory.mktemp(estimator or "default"), estimator)
        out[estimator or "ML"] = (run_study(load_study(path)).results, q, df)
    return out


@pytest.mark.slow
def test_invariance_table_is_that_of_the_chosen_estimator(runs):
    from crmsurvey.cbsem.syntax import cbsem_syntax
    from crmsurvey.study.schema import StudyDef

    for estimator, (results, q, df) in runs.items():
        (c,) = results.comparisons
        assert results.settings.compare["invariance_estimator"] == estimator
        got = c.invariance["table"]
        # the same tests called directly on the same answers (no screening: every row)
        spec = q.model_spec()
        # ML: the whole model; MLR: every factor (one of a single item too), correlated,
        # no paths
        syntax = cbsem_syntax(spec) if estimator == "ML" else "".join(
            f"{c.name} =~ {' + '.join(c.items)}\n" for c in spec.constructs)
        want = cs.measurement_invariance(syntax, df, "brand",
                                         min_size=StudyDef.model_fields[
                                             "min_group_size"].default,
                                         estimator=estimator).table
        assert [r["model"] for r in got] == list(want.model)
        for col in ("chisq", "df", "cfi", "delta_chisq"):
            shown = [np.nan if r.get(col) is None else r[col] for r in got]  # NaN: null
            np.testing.assert_allclose(shown, want[col].to_numpy(float), rtol=1e-6,
                                       equal_nan=True)
        scaled = [r.get("chisq_scaled") for r in got]
        if estimator == "ML":
            assert all(v is None for v in scaled)
        else:  # lavaan's scaled test: a scaling factor other than 1
            assert all(v is not None and v != r["chisq"] for v, r in zip(scaled, got))
    # the scaled difference test is not ML's
    ml, mlr = (runs[k][0].comparisons[0].invariance["table"] for k in ("ML", "MLR"))
    assert ml[1]["delta_chisq"] != pytest.approx(mlr[1]["delta_chisq"], rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_methodology_names_the_invariance_estimator(runs, lang):
    from crmsurvey.report import build_html
    from crmsurvey.report.i18n import strings

    t = strings(lang)
    for estimator, (results, _, _) in runs.items():
        html = build_html(results, lang=lang)
        key = "comparison_invariance_estimator" + ("" if estimator == "ML" else "_cfa")
        said = t[key].format(estimator=t[f"estimator_{estimator}"]).strip()
        assert said in html
        other = "MLR" if estimator == "ML" else "ML"
        for k in ("comparison_invariance_estimator", "comparison_invariance_estimator_cfa"):
            assert t[k].format(estimator=t[f"estimator_{other}"]).strip() not in html


# --- 3. the weighting loader places an error by its field, not by splitting its text ----

def test_targets_error_names_its_variable_as_a_field():
    from crmsurvey.weighting.targets import margins_from

    with pytest.raises(InputError) as err:
        margins_from({"age.group": {1: 0.5, 2: 0.4}}, where="t.csv: north")
    # a variable name with a dot, and a place with a colon, do not matter
    assert err.value.concerns == "age.group"


def test_study_places_a_per_level_targets_error_at_its_variables_line(tmp_path):
    from crmsurvey.study import load_study

    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 60, seed=5, groups={"brand": ["A", "B"]}).to_csv(tmp_path / "d.csv",
                                                                     index=False)
    # level B's gender shares add up to 0.9: its first gender row is line 5
    (tmp_path / "t.csv").write_text(
        "by,variable,category,target\n"
        "A,gender,1,0.5\nA,gender,2,0.5\n"
        "B,age,1,0.5\nB,gender,1,0.5\nB,gender,2,0.4\nB,age,2,0.5\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "id: w\ntitle: Targets by level\nquestionnaire: ccsi\ndata:\n  - path: d.csv\n"
        "groups: [brand]\nweighting: {rake: t.csv, by: brand}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_study(tmp_path / "study.yaml")
    assert err.value.line == 5 and err.value.path.endswith("t.csv")
    assert "gender" in err.value.msg and "0.9" in err.value.msg


# --- 2. every option of the options tables on every surface, or a recorded reason -------

def _tables():
    from crmsurvey import options

    return [d for d in vars(options).values() if isinstance(d, options.Declared)]


def _study_field(place: str):
    """The pydantic field at a dotted place of the study file (``compare.x``)."""
    import typing

    from crmsurvey.study.schema import StudyDef

    model, field = StudyDef, None
    for part in place.split("."):
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        arms = [a for a in typing.get_args(field.annotation) or (field.annotation,)
                if isinstance(a, type)]
        model = next((a for a in arms if hasattr(a, "model_fields")), None)
    return field


def _cli_params(command: str) -> dict:
    """{parameter name: click parameter} of a command ("responses check": a subcommand)."""
    import typer

    from crmsurvey.cli import app

    node = typer.main.get_command(app)
    for part in command.split():
        node = node.commands[part]
    return {p.name: p for p in node.params}


def _surfaces_of(table) -> dict[str, dict]:
    """{surface: {option: what sets it there}} as the surfaces are now."""
    import importlib

    import typer

    from crmsurvey import options
    from crmsurvey.cli import app

    where = options.SURFACES[table.name]
    module, _, name = where["python"].rpartition(".")
    func = getattr(importlib.import_module(module), name)
    sig = inspect.signature(func)
    cmd = where["cli"]
    if isinstance(cmd, str):
        params = _cli_params(cmd)
    elif cmd:  # several commands: an option is on the CLI when every one has it
        each = [_cli_params(c) for c in cmd]
        params = {n: p for n, p in each[0].items() if all(n in e for e in each)}
    else:
        params = {}
    study = where["study"]
    places = {o: (f"{study}.{o}" if isinstance(study, str) else study.get(o))
              for o in table.fields}
    return {"python": {o: sig.parameters[o] for o in table.fields if o in sig.parameters},
            "cli": {o: params[o] for o in table.fields if o in params},
            "study": {o: f for o, p in places.items() if p and (f := _study_field(p))}}


def test_every_table_has_its_surfaces_recorded():
    from crmsurvey import options

    assert {t.name for t in _tables()} == set(options.SURFACES)
    assert {"PLSOptions", "CBSEMOptions", "InvarianceOptions"} <= set(options.SURFACES)


@pytest.mark.parametrize("surface", ["python", "cli", "study"])
def test_every_option_is_on_every_surface_or_says_why_not(surface):
    from crmsurvey import options

    missing, stale = [], []
    for table in _tables():
        found = _surfaces_of(table)[surface]
        for name in table.fields:
            reason = options.NOT_ON.get((table.name, name, surface)) or \
                options.NOT_ON.get((table.name, None, surface))
            if name not in found and not reason:
                missing.append(f"{table.name}.{name}")
            if name in found and reason:
                stale.append(f"{table.name}.{name}")
    assert not missing, f"not settable on the {surface} surface, no reason recorded"
    assert not stale, "a reason is recorded for an option the surface has"


def _norm(value):
    """A default as compared across surfaces: a tuple as a list, unset and empty alike."""
    if value is None or (isinstance(value, (list, tuple, dict)) and not value):
        return None
    return list(value) if isinstance(value, tuple) else value


def test_surfaces_take_the_tables_values():
    """The function's, the study's and the CLI's defaults are the table's (a study's may
    differ where options.STUDY_DEFAULTS says so); the study's and CLI's allowed values are
    the table's."""
    from crmsurvey import options

    for table in _tables():
        s = _surfaces_of(table)
        study_defaults = options._STUDY_DEFAULTS.get(table.name, {})
        for name, opt in table.fields.items():
            where = (table.name, name)
            assert _norm(s["python"][name].default) == _norm(opt.default), where
            if name in s["study"]:
                got = s["study"][name].get_default(call_default_factory=True)
                assert _norm(got) == _norm(study_defaults.get(name, opt.default)), where
            if name in s["cli"]:
                assert _norm(s["cli"][name].default) == _norm(opt.default), where
            choices = table.choices(name)
            if choices and name in s["study"]:
                assert options.literal_choices(s["study"][name].annotation) == choices
            if choices and name in s["cli"]:  # listed in the flag's help
                assert s["cli"][name].metavar == "[" + "|".join(choices) + "]"


def test_a_study_default_that_differs_is_recorded_and_real():
    """Each default recorded as the study's own is the study's, and differs from the
    function's (a stale record would hide nothing)."""
    from crmsurvey import options

    for name, defaults in options._STUDY_DEFAULTS.items():
        table = next(t for t in _tables() if t.name == name)
        study = _surfaces_of(table)["study"]
        for option, value in defaults.items():
            assert _norm(study[option].get_default(call_default_factory=True)) == _norm(value)
            assert _norm(value) != _norm(table.default(option)), (name, option)


def test_a_missing_option_would_be_found(monkeypatch):
    """The check above fails for an option no surface has (not vacuous)."""
    from crmsurvey import options

    fields = dict(options.INVARIANCE.fields, new_option=options.Option(int, 1, "New."))
    monkeypatch.setattr(options.INVARIANCE, "fields", fields)
    found = _surfaces_of(options.INVARIANCE)
    assert "new_option" not in found["python"] and "new_option" not in found["study"]
    with pytest.raises(AssertionError, match="no reason recorded"):
        test_every_option_is_on_every_surface_or_says_why_not("study")


def test_cli_invariance_is_the_functions(tmp_path):
    """``crmsurvey invariance`` (the options table's CLI surface) gives the function's
    table; a value the table does not allow is one line, exit 2."""
    import contextlib
    import io
    import json

    from crmsurvey.cli import main
    from crmsurvey.simulation import SimulationSettings

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 150, seed=8, groups={"brand": ["A", "B"]},
                     settings=SimulationSettings(messy=False))
    df.to_csv(tmp_path / "d.csv", index=False)
    syntax = "IMAG =~ imag1 + imag2 + imag3\nSAT =~ sat1 + sat2 + sat3\nLOY =~ loy1 + loy2\n"
    (tmp_path / "m.lav").write_text(syntax, encoding="utf-8")

    def cli(*args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()

    code, out, _ = cli("invariance", tmp_path / "m.lav", tmp_path / "d.csv", "--group",
                       "brand", "--estimator", "MLM", "--min-size", "40", "--json")
    assert code == 0
    got = json.loads(out)["table"]
    want = cs.measurement_invariance(syntax, df, "brand", min_size=40, estimator="MLM").table
    for col in ("chisq", "chisq_scaled", "delta_chisq", "cfi_robust"):
        np.testing.assert_allclose([np.nan if r[col] is None else r[col] for r in got],
                                   want[col].to_numpy(float), rtol=1e-8, equal_nan=True)
    code, out, err = cli("invariance", tmp_path / "m.lav", tmp_path / "d.csv", "--group",
                         "brand", "--estimator", "WLSMV")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "'MLR'" in err


# --- 4. the reading options: one table, every command that reads responses ---------------

def _commands(node=None, prefix=""):
    """{"responses check": click command, ...}: every command of the CLI."""
    import typer

    from crmsurvey.cli import app

    node = node or typer.main.get_command(app)
    out = {}
    for name, sub in getattr(node, "commands", {}).items():
        if getattr(sub, "commands", None):
            out.update(_commands(sub, f"{prefix}{name} "))
        else:
            out[prefix + name] = sub
    return out


def test_every_command_reading_responses_is_a_reading_surface():
    """A command taking a DATA argument reads a response file: it is one of the reading
    commands, whose flags the surfaces test checks (a new one cannot escape it)."""
    from crmsurvey import options

    readers = {n for n, c in _commands().items()
               if any(p.name == "data" and p.param_type_name == "argument" for p in c.params)}
    assert readers == set(options.READING_COMMANDS)
    assert options.SURFACES["ReadingOptions"]["cli"] == options.READING_COMMANDS


def test_a_reading_flag_missing_on_one_command_would_be_found(monkeypatch):
    """The surfaces check fails when one command of several lacks a reading flag (not
    vacuous): ``rfm`` reads transactions, with none of them."""
    from crmsurvey import options

    monkeypatch.setitem(options.SURFACES, "ReadingOptions", dict(
        options.SURFACES["ReadingOptions"], cli=(*options.READING_COMMANDS, "rfm")))
    assert "mapping" not in _surfaces_of(options.READING)["cli"]
    with pytest.raises(AssertionError, match="no reason recorded"):
        test_every_option_is_on_every_surface_or_says_why_not("cli")


def _cli(*args):
    import contextlib
    import io

    from crmsurvey.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """Answers whose sat1 column is named Q_SAT1 and whose last 5 rows are second
    submissions (another id, the same answers): (questionnaire, path, frame)."""
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 200, seed=3)
    again = df.iloc[:5].copy()
    again["resp_id"] = again["resp_id"].astype(str) + "-again"
    df = pd.concat([df, again], ignore_index=True).rename(columns={"sat1": "Q_SAT1"})
    path = tmp_path_factory.mktemp("reading") / "d.csv"
    df.to_csv(path, index=False)
    return q, path, df


def _kept(err: str) -> int:
    """Rows kept, from the screening line on stderr."""
    return int(re.search(r"screened: ([\d,]+) of", err).group(1).replace(",", ""))


READ_FLAGS = ["--map", "Q_SAT1=sat1", "--duplicate-min-items", 1000, "--speeder-fraction",
              0.2, "--exclude", "duplicate,speeder,missing", "--max-missing-share", 0.3]
READ_KW = dict(mapping={"Q_SAT1": "sat1"}, duplicate_min_items=1000, speeder_fraction=0.2,
               exclude=["duplicate", "speeder", "missing"], max_missing_share=0.3)


def test_the_thresholds_matter_on_these_answers(renamed):
    """The flags below change the screening (else the comparisons would prove little)."""
    q, path, _ = renamed
    flags = cs.load_responses(q, path, **READ_KW).log.flagged
    default = cs.load_responses(q, path, mapping={"Q_SAT1": "sat1"}).log.flagged
    assert default["duplicate"] == 5 and flags["duplicate"] == 0  # 1000 items: none
    assert flags["speeder"] < default["speeder"]


@pytest.mark.parametrize("command", ["responses check", "nps", "pls", "cbsem"])
def test_reading_flags_mean_what_load_responses_keywords_mean(renamed, command):
    """Every reading command reads the file as ``load_responses`` with the same keywords
    does: the same rows kept (and for nps the same figure)."""
    q, path, _ = renamed
    r = cs.load_responses(q, path, **READ_KW)
    code, out, err = _cli(*command.split(), "ccsi", path, *READ_FLAGS, "--json")
    assert code == 0, err
    if command == "responses check":
        log = json.loads(out)
        assert (log["rows_kept"], log["flagged"]) == (r.log.rows_kept, r.log.flagged)
        return
    assert _kept(err) == r.log.rows_kept
    if command == "nps":
        from crmsurvey.analytics import nps_table

        item = q.items_with_role("nps")[0]
        want = nps_table(r.data, item, weights=r.weights.to_numpy())
        assert json.loads(out)["rows"][0]["nps"] == pytest.approx(want["nps"].iloc[0])


def test_a_bad_reading_value_is_one_line_on_every_command(renamed, tmp_path):
    from crmsurvey import options

    _, path, _ = renamed
    (tmp_path / "t.csv").write_text("variable,category,target\ngender,1,0.5\n"
                                    "gender,2,0.5\n", encoding="utf-8")
    needs = {"invariance": ["--group", "brand"],  # the command's own required flags
             "weights": ["--targets", tmp_path / "t.csv", "-o", tmp_path / "w.csv"]}
    for command in options.READING_COMMANDS:
        args = [*command.split(), "ccsi", path, *needs.get(command, [])]
        code, _, err = _cli(*args, "--duplicate-min-items", 0)
        assert code == 2 and len(err.strip().splitlines()) == 1, (command, err)
        assert "duplicate_min_items" in err and "greater than or equal to 1" in err
        code, _, err = _cli(*args, "--codes", "numbers")
        assert code == 2 and "'option_numbers'" in err, (command, err)
        assert not (tmp_path / "w.csv").exists()
    with pytest.raises(InputError, match="duplicate_min_items"):  # Python says the same
        cs.load_responses(cs.load_questionnaire("ccsi"), path, duplicate_min_items=0)


def test_a_lavaan_file_refuses_the_questionnaires_reading_flags(renamed, tmp_path):
    _, path, _ = renamed
    (tmp_path / "m.lav").write_text("LOY =~ loy1 + loy2 + loy3\n", encoding="utf-8")
    code, _, err = _cli("cbsem", tmp_path / "m.lav", path, "--map", "Q_SAT1=sat1")
    assert code == 2 and "--map needs a questionnaire" in err


STUDY_SCREENING = """\
id: screening
title: Screening thresholds
questionnaire: ccsi
data:
  - path: d.csv
    mapping: {{Q_SAT1: sat1}}
exclude: [duplicate, speeder, missing]
screening:
  speeder_fraction: 0.2
  max_missing_share: 0.3
  duplicate_min_items: {dup}
"""


def test_study_screening_section_is_load_responses_keywords(renamed, tmp_path):
    """The study's screening: thresholds screen as the keywords do; a bad one is refused
    at its line."""
    from crmsurvey.study import load_study
    from crmsurvey.study.run import _load

    q, path, df = renamed
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.yaml").write_text(STUDY_SCREENING.format(dup=1000), encoding="utf-8")
    _, logs, _ = _load(load_study(tmp_path / "s.yaml"))
    want = cs.load_responses(q, path, **READ_KW).log
    assert (logs[0].rows_kept, logs[0].flagged) == (want.rows_kept, want.flagged)
    (tmp_path / "s.yaml").write_text(STUDY_SCREENING.format(dup=0), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_study(tmp_path / "s.yaml")
    assert err.value.line == 11 and "screening.duplicate_min_items" in err.value.msg


# --- 3. latent classes: one default for the function, FIMIX-PLS and a study --------------

def test_segment_numbers_and_starts_are_one_default():
    from crmsurvey import options
    from crmsurvey.pls.fimix import fimix
    from crmsurvey.study.schema import SegmentsOptions

    table = options.LATENT_CLASS
    lc = inspect.signature(cs.latent_classes).parameters
    fx = inspect.signature(fimix).parameters
    study = SegmentsOptions()
    assert list(lc["classes"].default) == list(fx["segments"].default) == study.numbers \
        == list(table.default("classes"))
    assert lc["starts"].default == fx["starts"].default == study.starts \
        == table.default("starts")


# --- 2. cbsem --model with a questionnaire --------------------------------------------------

def test_cbsem_model_file_with_a_questionnaire(renamed, tmp_path):
    """``cbsem QUESTIONNAIRE DATA --model FILE`` fits the file's model to the
    questionnaire's checked and screened responses (as cs.cbsem does with them); a
    misspelt item is the one check ``pls --model`` makes, word for word."""
    q, path, _ = renamed
    syntax = "SAT =~ sat1 + sat2 + sat3\nLOY =~ loy1 + loy2\nLOY ~ SAT\n"
    (tmp_path / "m.lav").write_text(syntax, encoding="utf-8")
    code, out, err = _cli("cbsem", "ccsi", path, "--map", "Q_SAT1=sat1", "--model",
                          tmp_path / "m.lav", "--json")
    assert code == 0, err
    r = cs.load_responses(q, path, mapping={"Q_SAT1": "sat1"},
                          exclude=list(cs.options.STUDY_DEFAULTS[
                              cs.options.ReadingOptions]["exclude"]))
    want = cs.cbsem(syntax, r).estimates
    got = pd.DataFrame(json.loads(out)["estimates"])
    assert _kept(err) == r.log.rows_kept
    np.testing.assert_allclose(got["est"].to_numpy(float), want["est"].to_numpy(float),
                               rtol=1e-8)
    (tmp_path / "typo.lav").write_text(syntax.replace("sat3", "sta3"), encoding="utf-8")
    said = []
    for command in ("cbsem", "pls"):
        code, _, err = _cli(command, "ccsi", path, "--map", "Q_SAT1=sat1", "--model",
                            tmp_path / "typo.lav")
        assert code == 2 and len(err.strip().splitlines()) == 1
        said.append(err)
    assert said[0] == said[1] and "typo.lav:1:" in said[0] and "'sat3'" in said[0]
    code, _, err = _cli("cbsem", tmp_path / "m.lav", path, "--model", tmp_path / "m.lav")
    assert code == 2 and "--model goes with a questionnaire" in err


def test_weights_reads_the_file_again_as_its_flags_say(tmp_path):
    """``weights`` writes the file it screened, read with the same --encoding (a
    Latin-1 file is neither UTF-8 nor GB18030 without it)."""
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 300, seed=4).assign(store="Café")
    df.to_csv(tmp_path / "l1.csv", index=False, encoding="latin-1")
    (tmp_path / "t.csv").write_text("variable,category,target\ngender,1,0.5\ngender,2,0.5\n",
                                    encoding="utf-8")
    args = ("weights", "ccsi", tmp_path / "l1.csv", "--targets", tmp_path / "t.csv", "-o",
            tmp_path / "w.csv")
    code, _, err = _cli(*args)
    assert code == 2 and "--encoding" in err
    code, _, err = _cli(*args, "--encoding", "latin-1")
    assert code == 0, err
    written = pd.read_csv(tmp_path / "w.csv")
    assert len(written) == len(df) and set(written["store"]) == {"Café"}


def test_sheet_by_name_or_position(tmp_path):
    """--sheet takes a sheet's name or its position from 0, as a study's sheet: does."""
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 80, seed=6)
    with pd.ExcelWriter(tmp_path / "d.xlsx") as xl:
        df.iloc[:10].to_excel(xl, sheet_name="notes", index=False)
        df.to_excel(xl, sheet_name="answers", index=False)
    for sheet in ("answers", "1"):
        code, out, err = _cli("responses", "check", "ccsi", tmp_path / "d.xlsx", "--sheet",
                              sheet, "--exclude", "none", "--json")
        assert code == 0, err
        assert json.loads(out)["rows_read"] == len(df)


# --- 5. one flag for "by this group item"; --help never cuts an option's name ---------

def _every_command(node=None, prefix=""):
    """{"pls": click command, "responses": its group, "": the app, ...}."""
    import typer

    from crmsurvey.cli import app

    node = node or typer.main.get_command(app)
    out = {prefix.strip(): node}
    for name, sub in getattr(node, "commands", {}).items():
        out.update(_every_command(sub, f"{prefix}{name} "))
    return out


def _help_text(command: str, monkeypatch, columns: int) -> str:
    """``crmsurvey COMMAND --help`` into a StringIO (not a terminal, as a pipe), with
    COLUMNS set."""
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, err = _cli(*command.split(), "--help")
    assert code == 0, err
    return out


def test_the_group_flag_has_one_name_on_every_command(monkeypatch):
    """Every command fitting or comparing by a group item takes it as ``--group ITEM``
    and lists it in its help; no other visible flag names a group (``weights --by``
    rakes within levels, and says so; ``nps --by`` is hidden, the old name)."""
    from crmsurvey import options

    commands = _commands()
    for name in options.GROUP_COMMANDS:
        (flag,) = [p for p in commands[name].params if "--group" in p.opts]
        assert flag.opts == ["--group"] and flag.metavar == "ITEM" and not flag.hidden
        assert re.search(r"--group\s+ITEM", _help_text(name, monkeypatch, 80)), name
    takers = {n for n, c in commands.items() if any("--group" in p.opts for p in c.params)}
    assert takers == set(options.GROUP_COMMANDS)
    synonyms = {"--by", "--groups", "--group-by", "--groupby", "--split", "--split-by",
                "--segment", "--level", "--compare"}
    visible = {(n, o) for n, c in commands.items() for p in c.params
               if not getattr(p, "hidden", False) for o in p.opts if o in synonyms}
    # simulate --groups brand=A,B makes group levels (a study's simulate: {groups: ...})
    assert visible == {("weights", "--by"), ("simulate", "--groups")}
    by = next(p for p in commands["weights"].params if "--by" in p.opts)
    assert by.help.startswith("Rake within each level") and "--group" in by.help
    old = next(p for p in commands["nps"].params if "--by" in p.opts)
    assert old.hidden


@pytest.fixture(scope="module")
def two_brands(tmp_path_factory):
    """Answers of two brands (messy: screening excludes rows; weighted):
    (questionnaire, path)."""
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 260, seed=21, groups={"brand": ["Brand A", "Brand B"]})
    path = tmp_path_factory.mktemp("brands") / "d.csv"
    df.to_csv(path, index=False)
    return q, path


def test_nps_by_is_the_old_name_of_group(two_brands):
    """``nps --by`` still works, with one line on stderr naming --group, and gives what
    --group gives; both with different items is an error (one line, exit 2)."""
    _, path = two_brands
    code, new, err_new = _cli("nps", "ccsi", path, "--group", "brand", "--json")
    assert code == 0, err_new
    assert "--by" not in err_new
    code, old, err_old = _cli("nps", "ccsi", path, "--by", "brand", "--json")
    assert code == 0 and json.loads(old) == json.loads(new)
    noted = [ln for ln in err_old.splitlines() if "--by" in ln]
    assert len(noted) == 1 and "--group" in noted[0]
    assert len(err_old.splitlines()) == len(err_new.splitlines()) + 1
    code, _, err = _cli("nps", "ccsi", path, "--by", "brand", "--group", "wave")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--group alone" in err


def test_pls_group_fits_each_levels_respondents(two_brands):
    """``pls --group brand``: one model per level, each the PLS fit of that level's
    screened, weighted respondents (the function on the level's rows)."""
    q, path = two_brands
    code, out, err = _cli("pls", "ccsi", path, "--group", "brand", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["group"] == "brand"
    assert [m["level"] for m in got["models"]] == ["Brand A", "Brand B"]
    from crmsurvey import _defaults as D

    r = cs.load_responses(q, path, exclude=list(D.SCREEN_EXCLUDE))  # as a command screens
    assert len(r.data) < 2 * 260  # rows excluded: the levels are of the screened rows
    for m in got["models"]:
        rows = r.data[r.data["brand"] == m["level"]]
        want = cs.pls(q, rows, weights="weight")
        assert m["n"] == len(rows) == want.settings.n
        np.testing.assert_allclose([p["est"] for p in m["paths"]], want.paths.est,
                                   rtol=1e-10)
    code, text, _ = _cli("pls", "ccsi", path, "--group", "brand")
    heads = [ln for ln in text.splitlines() if ln.startswith("== brand = ")]
    assert [h.split(" (")[0] for h in heads] == ["== brand = Brand A", "== brand = Brand B"]
    code, _, err = _cli("pls", "ccsi", path, "--group", "sat1")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "brand" in err


@pytest.mark.parametrize("columns", [80, 40])
def test_help_never_cuts_an_option_name(monkeypatch, columns):
    """At 80 (and 40) columns, into a pipe, every command's --help shows each of its
    option names whole: followed by neither more name nor an ellipsis."""
    for name, command in _every_command().items():
        text = _help_text(name, monkeypatch, columns)
        for p in command.params:
            if getattr(p, "hidden", False):
                continue
            for o in (*p.opts, *p.secondary_opts):
                if o.startswith("--"):
                    assert re.search(re.escape(o) + r"(?![\w…-])", text), (name, o)


def test_help_is_as_wide_as_the_terminal_when_the_names_fit(monkeypatch):
    """A wide terminal keeps its width: the help is not widened past it."""
    for name in ("pls", "responses check", ""):
        text = _help_text(name, monkeypatch, 160)
        assert max(len(ln) for ln in text.splitlines()) == 160, name


def test_command_list_reads_each_summary_as_one_sentence(monkeypatch):
    """``crmsurvey --help`` lists each command with its docstring's first paragraph
    reflowed (no line break where the source wrapped it) and every word kept (nothing
    taken for markup, such as ``report.LANG.pdf``)."""
    import inspect

    root = _every_command()[""]
    text = _help_text("", monkeypatch, 400)
    lines = [re.sub(r"\s+", " ", ln.strip("│ ")) for ln in text.splitlines()]
    for name, command in root.commands.items():
        doc = command.help or inspect.getdoc(command.callback) or ""
        first = re.sub(r"\s+", " ", doc.split("\n\n")[0]).strip().replace("``", "")
        assert f"{name} {first}" in lines, (name, first)  # one line at 400 columns


@pytest.mark.slow
def test_grep_finds_every_reading_flag_in_piped_help():
    """``COLUMNS=80 crmsurvey pls --help | grep speeder-fraction`` (a real pipe)."""
    import os
    import subprocess
    import sys

    from crmsurvey.options import READING

    env = {k: v for k, v in os.environ.items() if k != "TERMINAL_WIDTH"}
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", "pls", "--help"],
                          capture_output=True, text=True, env={**env, "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    params = _cli_params("pls")
    for name in READING.fields:
        flag = params[name].opts[0]  # --map, --speeder-fraction, ...
        assert re.search(re.escape(flag) + r"(?![\w…-])", proc.stdout), flag


def test_group_is_a_group_item_on_every_command(two_brands):
    """With a questionnaire, --group names one of its group items (as a study's
    groups:) on every command taking it: else one line naming them, exit 2."""
    from crmsurvey import options

    _, path = two_brands
    for name in options.GROUP_COMMANDS:
        code, out, err = _cli(name, "ccsi", path, "--group", "sat1")
        assert code == 2 and not out and len(err.strip().splitlines()) == 1, name
        assert "not a group item" in err and "brand" in err, name


def test_nps_group_missing_from_the_file_is_one_line(tmp_path):
    """``nps --group wave`` on a file without the (optional) wave column: one line naming
    the item and the file, exit 2 — as pls, cbsem and invariance say it."""
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 120, seed=5, groups={"brand": ["A", "B"]}).drop(columns=["wave"])
    df.to_csv(tmp_path / "d.csv", index=False)
    code, _, err = _cli("nps", "ccsi", tmp_path / "d.csv", "--group", "wave")
    lines = err.strip().splitlines()
    assert code == 2 and "--group 'wave': the data have no such column" in lines[-1]
    assert "Traceback" not in err and "internal error" not in err
