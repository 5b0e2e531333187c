"""A corpus of hostile and broken input, generated here: each case ends with the promised
exit code and one line, no traceback, in bounded time and memory, touching nothing
outside OUT — or, where the input is fine but a part fails, with the rest of the run
completed and the failure recorded."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.study import load_results

from .conftest import MINI

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 3 * 1024**3  # address space of one CLI call


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def cli(*args, timeout: float = 120, cwd: Path | None = None):
    """Run the CLI with a memory ceiling and a time limit; return (code, stdout, stderr,
    seconds)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_limit, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t


def refused(*args, message: str, timeout: float = 60) -> str:
    """Exit 2 with one line naming the problem, and no traceback."""
    code, out, err, _ = cli(*args, timeout=timeout)
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert message in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path, skip: Path) -> dict[str, float]:
    """Every file under ``folder`` but ``skip``, with its modification time."""
    return {str(p): p.stat().st_mtime for p in folder.rglob("*")
            if p.is_file() and skip not in p.parents}


def study_file(folder: Path, *, data: str = "[{simulate: {n: 120, seed: 3}}]",
               report: str = "{language: en}", extra: str = "") -> Path:
    path = folder / "s.yaml"
    path.write_text(f"""id: h
title: hostile
questionnaire: ccsi
data: {data}
pls: {{bootstrap: 0}}
min_group_size: 20
report: {report}
{extra}
""", encoding="utf-8")
    return path


BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] +
                 [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
                  for p, c in zip("abcdefgh", "bcdefghi")])


# --- bounded YAML --------------------------------------------------------------------

def test_alias_bomb_questionnaire_is_refused_fast(tmp_path):
    (tmp_path / "q.yaml").write_text(BOMB)
    t = time.perf_counter()
    with pytest.raises(cs.InputError, match="expands to more than"):
        cs.load_questionnaire(tmp_path / "q.yaml")
    assert time.perf_counter() - t < 1.0
    refused("questionnaire", "validate", tmp_path / "q.yaml", message="expands to more than")


def test_alias_bomb_study_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(BOMB)
    refused("run", tmp_path / "s.yaml", "-o", tmp_path / "out", message="expands to more than")
    assert not (tmp_path / "out").exists()


def test_huge_and_special_files_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 300_000)  # 3 MB of comments
    refused("questionnaire", "validate", big, message="larger than the limit")
    refused("questionnaire", "validate", "/dev/zero", message="not a regular file")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    refused("questionnaire", "validate", fifo, message="not a regular file", timeout=20)
    monkeypatch.setenv("CRMSURVEY_MAX_YAML_BYTES", "100")  # the limit is configurable
    with pytest.raises(cs.InputError, match="limit of 100 bytes"):
        cs.load_questionnaire(ROOT / "questionnaires" / "ccsi.yaml")


# --- templates are code ----------------------------------------------------------------

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ '{0.__class__.__mro__}'.format(t) }}",
    "{{ t.update({'x': 1}) }}",
    "{% include '../../../../etc/passwd' %}",
]


@pytest.mark.slow
@pytest.mark.parametrize("template", ESCAPES)
def test_template_escapes_fail_with_exit_2(tmp_path, template):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "report.html.j2").write_text(template)
    study = study_file(tmp_path, report="{language: en, template: tpl}")
    before = snapshot(tmp_path, tmp_path / "out")
    code, out, err, _ = cli("run", study, "-o", tmp_path / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "uid=" not in out + err and "root:" not in out + err
    assert not (tmp_path / "out").exists() and snapshot(tmp_path, tmp_path / "out") == before


@pytest.mark.slow
def test_template_with_a_missing_include_is_exit_2(tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "report.html.j2").write_text("{% include 'nope.j2' %}")
    study = study_file(tmp_path, report="{language: en, template: tpl}")
    refused("run", study, "-o", tmp_path / "out", message="'nope.j2' not found")


# --- logos ---------------------------------------------------------------------------

@pytest.mark.parametrize("logo, content, message", [
    ("/etc/passwd", None, "outside the study's root folder"),
    ("../../../../../../etc/hostname", None, "outside the study's root folder"),
    ("fake.png", b"this is text, not an image", "not a PNG, JPEG or SVG"),
    ("folder", None, "not a regular file"),
    ("xxe.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "document type"),
    ("ref.svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
                b'xmlns:xlink="http://www.w3.org/1999/xlink"><image '
                b'xlink:href="file:///etc/passwd"/></svg>', "refers to another file"),
])
@pytest.mark.slow
def test_logo_is_accepted_by_content_only(tmp_path, logo, content, message):
    if content is not None:
        (tmp_path / logo).write_bytes(content)
    if logo == "folder":
        (tmp_path / "folder").mkdir()
    study = study_file(tmp_path, report=f"{{language: en, logo: '{logo}'}}")
    line = refused("run", study, "-o", tmp_path / "out", message=message)
    assert "s.yaml:7" in line  # the study file and the line of 'report:'
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_outputs_carry_no_machine_paths(tmp_path):
    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 100, seed=2).to_csv(tmp_path / "d.csv", index=False)
    study = study_file(tmp_path, data="[{path: d.csv}]")
    code, _, err, _ = cli("run", study, "-o", tmp_path / "out")
    assert code == 0, err
    for f in (tmp_path / "out").iterdir():
        if f.suffix in (".json", ".csv", ".html"):
            assert str(tmp_path) not in f.read_text(encoding="utf-8-sig"), f.name


# --- nothing lost, nothing stale --------------------------------------------------------

@pytest.mark.slow
def test_a_failing_cbsem_model_is_recorded_and_the_run_completes(tmp_path):
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 150, seed=4)
    df["qual2"] = df["qual1"]  # two identical columns: a singular covariance matrix
    df.to_csv(tmp_path / "d.csv", index=False)
    study = study_file(tmp_path, data="[{path: d.csv}]", extra="cbsem: {estimator: ML}")
    code, _, err, _ = cli("run", study, "-o", tmp_path / "out")
    assert code == 0 and "problem:" in err and "Traceback" not in err, err
    r = load_results(tmp_path / "out" / "results.json")
    assert r.models and not r.cbsem.admissible
    assert {d.code for d in r.cbsem.diagnostics} & {"sample_not_pd", "model_failed"}
    assert any(d.code == "collinearity" for d in r.diagnostics)  # PLS: VIF infinite
    vif = {x["rhs"]: x["vif"] for x in r.models[0].item_vif}
    assert vif["qual1"] is None or vif["qual1"] > 1e6  # inf is stored as null in JSON
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "not positive definite" in text or "could not be estimated" in text
    code, _, err, _ = cli("run", study, "-o", tmp_path / "out2", "--strict")
    assert code == 3 and "problem:" in err


@pytest.mark.slow
def test_bundle_is_replaced_as_a_whole(tmp_path):
    study = study_file(tmp_path, extra="cbsem: {estimator: ML}")
    out = tmp_path / "out"
    assert cli("run", study, "-o", out)[0] == 0
    assert (out / "cbsem_fit.csv").is_file()
    (out / "my_notes.txt").write_text("mine")
    study.write_text(study.read_text().replace("cbsem: {estimator: ML}", ""))
    (tmp_path / "outside.txt").write_text("keep")
    before = snapshot(tmp_path, out)
    code, _, err, _ = cli("run", study, "-o", out)
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert "my_notes.txt" in names  # the user's own file stays
    assert "cbsem_fit.csv" not in names and "cbsem_estimates.csv" not in names  # stale
    assert load_results(out / "results.json").cbsem is None
    listed = json.loads((out / ".crmsurvey-manifest.json").read_text())
    assert set(listed) == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                           and p.name not in ("my_notes.txt", ".crmsurvey-manifest.json")}
    assert snapshot(tmp_path, out) == before  # nothing outside OUT touched


def test_staging_happens_inside_out(tmp_path, monkeypatch):
    """OUT may be a mount point: staging beside it would cross devices."""
    import tempfile

    from crmsurvey.pipeline import run

    made = []
    real = tempfile.mkdtemp

    def spy(*args, **kwargs):
        made.append(Path(kwargs.get("dir") or args[2]))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    run(study_file(tmp_path), tmp_path / "out")
    assert made == [tmp_path / "out"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".crmsurvey-st")]


@pytest.mark.parametrize("make_out, message", [
    (lambda p: (p.write_text("x"), p)[1], "the output folder is a file"),
    (lambda p: Path("/proc/crmsurvey-cannot-be-here"), "cannot create the output folder"),
])
def test_bad_output_folder_is_exit_2(tmp_path, make_out, message):
    out = make_out(tmp_path / "out")
    refused("run", study_file(tmp_path), "-o", out, message=message)


@pytest.mark.slow
def test_overlapping_response_files_are_screened_across_files(tmp_path):
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 300, seed=5, settings=cs.simulation.SimulationSettings(messy=False))
    df.iloc[:250].to_csv(tmp_path / "a.csv", index=False)
    df.iloc[200:].to_csv(tmp_path / "b.csv", index=False)  # rows 201–250 in both
    study = study_file(tmp_path, data="[{path: a.csv}, {path: b.csv}, {path: b.csv}]",
                       extra="exclude: [duplicate]")
    assert cli("run", study, "-o", tmp_path / "out")[0] == 0
    s = load_results(tmp_path / "out" / "results.json").sample
    a, b, b2 = s.sources
    assert (a.rows_kept, b.rows_kept, b2.rows_kept) == (250, 50, 0)
    assert b.excluded["duplicate"] == 50 and b2.excluded["duplicate"] == 100
    assert b.notes[-1].code == "repeat_rows" and b.notes[-1].params == {"n": 50,
                                                                         "sources": ["a.csv"]}
    assert b.problems[0]["message"] == "repeats row 201 of a.csv"
    assert s.rows_kept == len(df) and s.rows_read == s.rows_kept + sum(s.excluded.values())


@pytest.mark.slow
def test_out_of_scale_answers_are_counted_shown_and_strict(tmp_path):
    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 120, seed=6, settings=cs.simulation.SimulationSettings(messy=False))
    df["sat1"] = df["sat1"].astype(object)
    df.loc[[3, 5, 8], "sat1"] = 11
    df.loc[4, "qual2"] = "lots"
    df.to_csv(tmp_path / "d.csv", index=False)
    code, out, err, _ = cli("responses", "check", "ccsi", tmp_path / "d.csv")
    assert code == 0 and "answers set missing" in out and "sat1 3" in out
    code, out, err, _ = cli("responses", "check", "ccsi", tmp_path / "d.csv", "--strict")
    # the exclusion line of every reading command, then the strict verdict in one line
    assert code == 3 and err.strip().splitlines()[0].startswith("kept 115 of 120 rows")
    assert [ln for ln in err.strip().splitlines() if ln.startswith("strict:")] == [
        "strict: 4 answer(s) off the scale or unreadable in 2 column(s)"]
    assert len(err.strip().splitlines()) == 2
    study = study_file(tmp_path, data="[{path: d.csv}]")
    assert cli("run", study, "-o", tmp_path / "out")[0] == 0
    r = load_results(tmp_path / "out" / "results.json")
    assert r.sample.set_missing == {"qual2": 1, "sat1": 3}
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "qual2 1, sat1 3" in html


# --- wrong numbers become warnings or errors ----------------------------------------------

def test_identical_items_have_infinite_vif_and_a_named_warning(ccsi):
    df = cs.load_responses(ccsi, cs.simulate(ccsi, 200, seed=7)).data
    df["qual2"] = df["qual1"]
    with pytest.warns(cs.errors.DataWarning, match="'qual1', 'qual2' of 'QUAL'"):
        res = cs.pls(ccsi, df, scale=ccsi.scale_bounds())
    vif = res.item_vif.set_index("rhs").vif
    assert np.isinf(vif["qual1"]) and np.isinf(vif["qual2"]) and vif["qual3"] >= 1


def test_fewer_respondents_than_items_warns(ccsi):
    df = cs.load_responses(ccsi, cs.simulate(ccsi, 60, seed=8)).data.iloc[:12]
    with pytest.warns(cs.errors.DataWarning, match="12 respondents for 18 items"):
        cs.pls(ccsi, df, scale=ccsi.scale_bounds())


QUESTIONNAIRE_CASES = [
    (lambda t: t.replace("- {id: a1, scale: five}", "- {id: '=sq1', scale: five}")
     .replace("items: [a1, a2, a3]", "items: ['=sq1', a2, a3]"), "cannot stand in model syntax"),
    (lambda t: t.replace("- {id: a1, scale: five}", "- {id: 'sq 1<b>', scale: five}")
     .replace("items: [a1, a2, a3]", "items: ['sq 1<b>', a2, a3]"),
     "cannot stand in model syntax"),
    (lambda t: t + "simulate: {paths: {A ~ B: 0.3}}\n", "is not a path of the model"),
    (lambda t: t + "simulate: {paths: {B ~ A: 1.4}}\n", "between −1 and 1"),
    (lambda t: t.replace("      - {id: c1, scale: yn, optional: true}",
                         "      - {id: c1, scale: yn, optional: true}\n"
                         "      - {id: rec, scale: five, role: nps}"), "needs a 0–10 rating"),
    (lambda t: t.replace("paths:\n  - B ~ A\n", ""), "constructs but no paths"),
]


@pytest.mark.parametrize("mutate, message", QUESTIONNAIRE_CASES)
def test_questionnaire_validation_catches(tmp_path, mutate, message):
    text = mutate(MINI)
    assert text != MINI
    (tmp_path / "q.yaml").write_text(text)
    code, _, err, _ = cli("questionnaire", "validate", tmp_path / "q.yaml")
    assert code == 2 and "Traceback" not in err
    assert any(message in line and "q.yaml:" in line for line in err.splitlines()), err


@pytest.mark.parametrize("args, message", [
    (["--discount", "-0.2"], "discount rate must be ≥ 0"),
    (["--retention", "1", "--discount", "0"], "the sum diverges"),
    (["--periods", "-3"], "periods must be a whole number"),
    (["--margin", "nan"], "margin must be a finite number"),
])
@pytest.mark.slow
def test_clv_refuses_divergent_inputs(args, message):
    refused("clv", "--margin", "100", "--retention", "0.8", *args, message=message)


@pytest.mark.slow
def test_former_internal_errors_are_exit_2(tmp_path):
    q = cs.load_questionnaire("kano_appliance")
    cs.simulate(q, 80, seed=1).to_csv(tmp_path / "k.csv", index=False)
    refused("pls", "kano_appliance", tmp_path / "k.csv", message="has no constructs")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "results.json").write_text("{}")
    refused("report", tmp_path / "o", message="schema version")
    study = study_file(tmp_path, extra="analytics: {typology: {attitude: LOY, behaviour: loy1}}")
    study.write_text(study.read_text().replace("pls: {bootstrap: 0}", "pls: null"))
    refused("run", study, "-o", tmp_path / "out", message="typology attitude 'LOY'")
    refused("simulate", "ccsi", "--n", "10", "-o", tmp_path / "x.json", message="cannot write")


@pytest.mark.slow
def test_simulator_says_what_it_adds(tmp_path):
    code, out, _, _ = cli("simulate", "ccsi", "--n", "300", "--seed", "7", "--clean", "-o",
                          tmp_path / "c.csv")
    assert code == 0 and len(pd.read_csv(tmp_path / "c.csv")) == 300
    assert "300 respondents" in out and "added" not in out
    code, out, _, _ = cli("simulate", "ccsi", "--n", "300", "--seed", "7", "-o",
                          tmp_path / "m.csv")
    rows = len(pd.read_csv(tmp_path / "m.csv"))
    assert code == 0 and f"wrote {rows} rows" in out and "300 respondents" in out
    assert f"+ {rows - 300} duplicate" in out and "blank answers" in out


# --- one convention for problems -----------------------------------------------------------

def test_group_comparisons_report_what_they_leave_out():
    from crmsurvey.diagnostics import Diagnostic
    from crmsurvey.pls.mga import compare_groups

    q = cs.load_questionnaire("acsi")
    df = cs.simulate(q, 120, seed=9, groups={"company": ["P", "Q", "R"]})
    df = df[(df.company != "R") | (df.index % 4 == 0)]  # R is small
    with pytest.warns(cs.errors.DataWarning, match="group 'R' left out"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.errors.IndexWarning)
            res = compare_groups(q, df, "company", permutations=100, bootstrap=100,
                                 min_size=50)
    assert res.diagnostics[0] == Diagnostic("group_too_small", res.diagnostics[0].message,
                                            "warning", ("R",))
