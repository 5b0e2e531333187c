"""Hostile studies: files a study reads stay inside its root, a network scheduler never
comes from a study file, every study setting and results.json is bounded (exit 2 in about
a second), and one part that cannot be estimated or shown is a diagnostic while the rest
of the run completes."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.study import load_results, load_study, run_study

from .test_hostile import ROOT, cli, refused, study_file

IMAG, EXPE = ["imag1", "imag2", "imag3"], ["expe1", "expe2", "expe3"]


def _data_study(folder: Path, data: pd.DataFrame, extra: str = "") -> Path:
    """A study of ``data`` (written beside it as d.csv), groups by brand."""
    folder.mkdir(parents=True, exist_ok=True)
    data.to_csv(folder / "d.csv", index=False)
    path = folder / "s.yaml"
    path.write_text(f"""id: h
title: hostile
questionnaire: ccsi
data: [{{path: d.csv}}]
groups: [brand]
min_group_size: 20
pls: {{bootstrap: 0, fit_test: 0, predict_folds: 0}}
{extra}
""", encoding="utf-8")
    return path


def _sample(brands=("A", "B"), n: int = 60, seed: int = 5) -> pd.DataFrame:
    return cs.simulate(cs.load_questionnaire("ccsi"), n, seed=seed,
                       groups={"brand": list(brands)})


# --- 1. files a study reads lie inside its root --------------------------------------

@pytest.fixture()
def outside(tmp_path):
    """A study folder and, beside it (outside), a readable CSV and a logo."""
    secret = tmp_path / "secret.csv"
    secret.write_text("resp_id,brand\nTOPSECRET,A\n", encoding="utf-8")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "link.csv").symlink_to(secret)
    return tmp_path


@pytest.mark.parametrize("line, message", [
    ("data: [{path: SECRET}]", "data file"),
    ("data: [{path: link.csv}]", "data file"),  # a link inside, leading outside
    ("data: [{path: ../secret.csv}]", "data file"),
    ("questionnaire: ../secret.csv", "questionnaire"),
    ("analytics: {transactions: {path: ../secret.csv}}", "transaction file"),
    ("report: {logo: ../logo.png}", "report logo"),
    ("report: {template: ../tpl}", "report template"),
])
def test_files_outside_the_root_are_refused(outside, line, message):
    folder = outside / "study"
    line = line.replace("SECRET", str(outside / "secret.csv"))
    text = study_file(folder).read_text()
    key = line.split(":")[0]
    kept = [x for x in text.splitlines() if not x.startswith(key + ":")]
    (folder / "s.yaml").write_text("\n".join(kept + [line]) + "\n")
    with pytest.raises(cs.InputError, match=f"{message} .* is outside the study's root") as e:
        load_study(folder / "s.yaml")
    assert "--root" in e.value.one_line() and e.value.line is not None


@pytest.mark.slow
def test_root_option_widens_the_root_and_cli_refuses_otherwise(outside):
    folder = outside / "study"
    study = study_file(folder, data="[{path: ../secret.csv}]")
    line = refused("run", study, "-o", outside / "out", message="outside the study's root")
    assert "../secret.csv" in line and "--root" in line and "TOPSECRET" not in line
    assert not (outside / "out").exists()
    loaded = load_study(study, root=outside)  # the user names the project root
    assert loaded.path("../secret.csv") == (outside / "secret.csv").resolve()
    with pytest.raises(cs.InputError, match="outside the study's root"):
        run_study(loaded, root=folder)  # a narrower root at run time holds too
    code, _, err, _ = cli("run", study, "-o", outside / "out", "--root", outside / "nope")
    assert code == 2 and "--root folder does not exist" in err


def test_shipped_layout_keeps_working(tmp_path):
    demo = load_study("demo_ccsi")  # bundled study, bundled instrument by id
    assert demo.questionnaire.id == "ccsi"
    (tmp_path / "s.yaml").write_text(  # a bundled instrument named by its file
        study_file(tmp_path).read_text().replace(
            "questionnaire: ccsi",
            f"questionnaire: {ROOT / 'questionnaires' / 'kano_appliance.yaml'}"))
    assert load_study(tmp_path / "s.yaml").questionnaire.id


# --- 2. no network scheduler from a study file ----------------------------------------

@pytest.mark.slow
def test_network_engine_in_a_study_file_is_refused(tmp_path):
    study = study_file(tmp_path, extra="engine: tcp://127.0.0.1:9")
    t = time.perf_counter()
    line = refused("run", study, "-o", tmp_path / "out", message="not allowed in a study file")
    assert time.perf_counter() - t < 10  # no connection attempted
    assert "s.yaml:8" in line and "--scheduler" in line and "CRMSURVEY_SCHEDULER" in line
    for bad in ("tcp://10.0.0.1:8786", "0", "100000", "inproc://x"):
        study_file(tmp_path, extra=f"engine: {bad!r}" if not bad.isdigit() else
                   f"engine: {bad}")
        with pytest.raises(cs.InputError, match="engine"):
            load_study(tmp_path / "s.yaml")
    study_file(tmp_path, extra="engine: processes")
    assert load_study(tmp_path / "s.yaml").definition.engine == "processes"


# --- 3. bounded settings, exit 2 before the work -------------------------------------

def _with(folder: Path, old: str, new: str) -> Path:
    path = study_file(folder)
    path.write_text(path.read_text().replace(old, new))
    return path


@pytest.mark.parametrize("old, new, message", [
    ("title: hostile", "title: " + "[" * 5000 + "]" * 5000, "nested more than 200"),
    ("title: hostile", 'title: "\\ud800"', "lone surrogate"),
    ("seed: 3", "seed: " + "9" * 5000, "a number longer than"),
    ("seed: 3", "seed: -1", "greater than or equal to 0"),
    ("seed: 3", "seed: 4294967296", "less than or equal to"),
    ("n: 120", "n: 100000000", "more than the limit of 200,000"),
    ("bootstrap: 0", "bootstrap: 1000000000", "more than the limit of 100,000"),
    ("{language: en}", "{language: en, title: " + "x" * 2_000_000 + "}",
     "a text of 2,000,000 characters"),
])
@pytest.mark.slow
def test_unbounded_settings_are_exit_2_fast(tmp_path, old, new, message):
    study = _with(tmp_path, old, new)
    t = time.perf_counter()
    line = refused("run", study, "-o", tmp_path / "out", message=message)
    assert time.perf_counter() - t < 15 and "s.yaml" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["1" + "0" * 25, "abc", "-5", " 100", "0", "1e6"])
def test_bad_limit_variables_are_exit_2_naming_them(tmp_path, monkeypatch, value):
    study = study_file(tmp_path)
    for name in ("CRMSURVEY_MAX_YAML_BYTES", "CRMSURVEY_MAX_RESAMPLES"):
        monkeypatch.setenv(name, value)
        with pytest.raises(cs.InputError, match=name):
            load_study(study)
        monkeypatch.delenv(name)
    monkeypatch.setenv("CRMSURVEY_MAX_YAML_BYTES", value)
    refused("questionnaire", "validate", ROOT / "questionnaires" / "ccsi.yaml",
            message="CRMSURVEY_MAX_YAML_BYTES")


def test_resample_limit_is_configurable(tmp_path, monkeypatch):
    study = _with(tmp_path, "bootstrap: 0", "bootstrap: 2000")
    monkeypatch.setenv("CRMSURVEY_MAX_RESAMPLES", "1000")
    with pytest.raises(cs.InputError, match="CRMSURVEY_MAX_RESAMPLES"):
        load_study(study)
    monkeypatch.setenv("CRMSURVEY_MAX_RESAMPLES", "5000")
    assert load_study(study).definition.pls.bootstrap == 2000


@pytest.fixture(scope="module")
def results_json(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("r")
    study = study_file(folder, data="[{simulate: {n: 60, seed: 3, groups: {brand: [A, B]}}}]",
                       extra="groups: [brand]")
    return json.loads(run_study(load_study(study)).results.to_json())


@pytest.mark.parametrize("change, field", [
    (lambda r: r["indices"][0].update(construct="NOPE"), "indices.0.construct"),
    (lambda r: r["models"][0]["paths"][0].update(lhs="NOPE"), "models.0.paths.0.lhs"),
    (lambda r: r["drivers"][0]["constructs"][0].update(construct="NOPE"),
     "drivers.0.constructs.0.construct"),
    (lambda r: r["model"].update(ipma_target="NOPE"), "model.ipma_target"),
    (lambda r: r.update(analytics={"x": json.loads("[" * 500 + "]" * 500)}), "analytics.x"),
])
def test_results_naming_unknown_constructs_or_nested_deep_are_refused(
        tmp_path, results_json, change, field):
    data = json.loads(json.dumps(results_json))
    change(data)
    (tmp_path / "results.json").write_text(json.dumps(data))
    with pytest.raises(cs.InputError, match=field.replace(".", r"\.")):
        load_results(tmp_path / "results.json")


@pytest.mark.slow
def test_results_nested_200000_deep_is_exit_2(tmp_path):
    (tmp_path / "results.json").write_text('{"schema_version": 3, "x": ' + "[" * 200_000
                                           + "]" * 200_000 + "}")
    refused("report", tmp_path, message="nested too deep")


# --- 4. one bad part is a diagnostic ------------------------------------------------

def test_identical_constructs_in_one_brand_fail_only_that_brand(tmp_path):
    data = _sample()
    b = data["brand"] == "B"
    data.loc[b, EXPE] = data.loc[b, IMAG].to_numpy()
    r = run_study(load_study(_data_study(tmp_path, data))).results
    failed = [d for d in r.diagnostics if d.code == "pls_failed"]
    assert [d.group for d in failed] == [{"brand": "B"}] and failed[0].severity == "error"
    assert {m.group.get("brand") for m in r.models} == {None, "A"}
    assert {x.group.get("brand") for x in r.indices} == {None, "A"}
    assert {x.group.get("brand") for x in r.scores} == {None, "A", "B"}  # no model needed
    json.loads(r.to_json())


def test_identical_constructs_in_the_whole_sample_are_diagnostics(tmp_path):
    data = _sample(n=120)  # (with fewer rows rounding can leave the regression solvable)
    data[EXPE] = data[IMAG].to_numpy()
    r = run_study(load_study(_data_study(tmp_path, data))).results
    assert {json.dumps(d.group) for d in r.diagnostics if d.code == "pls_failed"} == {
        "{}", '{"brand": "A"}', '{"brand": "B"}'}
    assert r.models == [] and r.indices == [] and r.scores  # NPS etc. still reported
    json.loads(r.to_json())


@pytest.mark.parametrize("weight", [1e300, 1e-300])
def test_extreme_uniform_weights_are_scale_free(tmp_path, weight):
    data = _sample(seed=7)
    data["weight"] = 1.0
    base = run_study(load_study(_data_study(tmp_path / "one", data, "weight: weight"))).results
    data["weight"] = weight
    r = run_study(load_study(_data_study(tmp_path / "x", data, "weight: weight"))).results
    json.loads(r.to_json())
    assert [x.index for x in r.indices] == [x.index for x in base.indices]
    assert [x.value for x in r.scores] == [x.value for x in base.scores]


NAMES = ["A", "B $x^$", "C\x0bD\x1b[31m"]


def test_group_names_with_dollars_and_controls_in_charts_and_workbook():
    import openpyxl

    from crmsurvey.report import charts
    from crmsurvey.study.workbook import workbook

    rows = [{"group": g, "detractors": 20.0, "passives": 30.0, "promoters": 50.0}
            for g in NAMES]
    svg = charts.nps_chart(rows, {g: g for g in NAMES}, ("d", "p", "+"))
    assert "x^" in svg
    import io
    book = openpyxl.load_workbook(io.BytesIO(workbook({"scores": pd.DataFrame(
        {"brand": NAMES, "value": [1.0, 2.0, 3.0]})})))
    cells = [c.value for c in book.worksheets[0]["A"]]
    assert cells[1:] == ["A", "B $x^$", "C\\x0bD\\x1b[31m"]


@pytest.mark.slow
def test_hostile_group_names_and_a_failing_brand_complete_the_run(tmp_path):
    """End to end: group names with "$" and control characters, and one brand whose
    model cannot be estimated — the report renders, the terminal sees no raw escape."""
    data = _sample(brands=NAMES, n=50)
    c = data["brand"] == NAMES[2]
    data.loc[c, EXPE] = data.loc[c, IMAG].to_numpy()
    study = _data_study(tmp_path, data)
    code, out, err, _ = cli("run", study, "-o", tmp_path / "out", timeout=300)
    assert code == 0, err
    assert (tmp_path / "out" / "report.pdf").stat().st_size > 1000
    assert "\x1b" not in out + err and "\x0b" not in out + err
    assert "problem: The PLS model of C\\x0bD\\x1b[31m could not be estimated" in err
    assert (tmp_path / "out" / "tables.xlsx").exists()


@pytest.mark.slow
def test_whole_sample_that_cannot_be_estimated_still_reports(tmp_path):
    data = _sample(n=120)
    data[EXPE] = data[IMAG].to_numpy()
    code, _, err, _ = cli("run", _data_study(tmp_path, data), "-o", tmp_path / "out",
                          timeout=300)
    assert code == 0 and (tmp_path / "out" / "report.pdf").exists(), err
    assert err.count("problem: The PLS model of") == 3
    code, _, err, _ = cli("run", _data_study(tmp_path, data), "-o", tmp_path / "out2",
                          "--strict", timeout=300)
    assert code == 3
