"""The command line as a user meets it: exit codes, one-line errors, JSON log."""
import json
import subprocess
import sys

import pytest

from crmsurvey.cli import main


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")
    return proc.returncode, proc.stdout, proc.stderr


def test_validate_show_syntax():
    code, out, _ = run("questionnaire", "validate", "questionnaires/ccsi.yaml")
    assert code == 0 and "valid" in out
    code, out, _ = run("questionnaire", "show", "ccsi", "--lang", "en")
    assert code == 0 and "Customer satisfaction" in out and "SAT ~ IMAG" in out
    code, out, _ = run("questionnaire", "show", "ccsi")
    assert "顾客满意" in out
    code, out, _ = run("questionnaire", "syntax", "acsi")
    assert code == 0 and "PQ   =~ pq1 + pq2 + pq3" in out


def test_validate_prints_every_error_one_line_each(tmp_path):
    from .conftest import MINI

    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.replace("[b1, b2]", "[b1, b9]").replace("  - B ~ A", "  - B ~ Z"))
    code, out, err = run("questionnaire", "validate", bad)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith(str(bad) + ":") for ln in lines)


def test_yaml_tag_exit_2(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("id: !!python/object/apply:os.system ['echo hacked']\n")
    code, out, err = run("questionnaire", "validate", evil)
    assert code == 2 and "hacked" not in out and "Traceback" not in err


@pytest.mark.slow
def test_simulate_then_check_json(tmp_path):
    data = tmp_path / "s.csv"
    code, out, err = run("simulate", "ccsi", "--n", 150, "--seed", 4, "--groups", "brand=A,B,C",
                         "-o", data)
    assert code == 0, err
    again = tmp_path / "t.csv"
    run("simulate", "ccsi", "--n", 150, "--seed", 4, "--groups", "brand=A,B,C", "-o", again)
    assert data.read_bytes() == again.read_bytes()
    code, out, err = run("responses", "check", "ccsi", data, "--json", "--exclude", "duplicate",
                         "--exclude", "speeder")
    assert code == 0, err
    log = json.loads(out)
    assert log["rows_read"] == log["rows_kept"] + sum(log["excluded"].values())
    assert set(log["excluded"]) == {"duplicate", "speeder"}
    assert isinstance(log["problems"], list)


@pytest.mark.slow
def test_problems_in_json(tmp_path):
    data = tmp_path / "s.csv"
    run("simulate", "ccsi", "--n", 50, "-o", data)
    text = data.read_text().splitlines()
    cols = text[0].split(",")
    row = text[3].split(",")
    row[cols.index("sat1")] = "11"
    text[3] = ",".join(row)
    data.write_text("\n".join(text) + "\n")
    code, out, _ = run("responses", "check", "ccsi", data, "--json")
    problems = json.loads(out)["problems"]
    assert {"row": 3, "column": "sat1", "value": "11", "rule": "value"}.items() <= problems[0].items()
    assert "1–10" in problems[0]["message"]


@pytest.mark.parametrize("args, text", [
    (["responses", "check", "ccsi", "nope.csv"], "no such file"),
    (["questionnaire", "show", "nope.yaml"], "no such file"),
    (["simulate", "ccsi", "--groups", "colour=A", "-o", "x.csv"], "not a group item"),
    (["simulate", "ccsi", "--path", "SAT~LOY=0.3", "-o", "x.csv"], "not a path"),
    (["responses", "check", "ccsi"], "Missing argument"),
])
def test_bad_input_exits_2_with_one_line(args, text, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert text in err and len(err.strip().splitlines()) == 1


def test_import_is_light():
    code = ("import sys, crmsurvey; heavy = [m for m in ('semopy', 'pandas', 'scipy', "
            "'weasyprint', 'pingouin') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_pls_command(tmp_path):
    data = tmp_path / "s.csv"
    run("simulate", "ccsi", "--n", 200, "--seed", 1, "-o", data)
    code, out, err = run("pls", "ccsi", data, "--bootstrap", 100, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert {r["lhs"] for r in res["paths"]} == {"EXPE", "QUAL", "VAL", "SAT", "COMP", "LOY"}
    assert all(r["se"] > 0 for r in res["paths"])
    code, out, err = run("pls", "ccsi", data, "--scheme", "pathx")
    assert code == 2 and "scheme must be one of" in err


def test_pls_command_prints_fit_and_plspredict(tmp_path):
    import crmsurvey as cs

    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 200, seed=3).to_csv(tmp_path / "d.csv", index=False)
    code, out, err = run("pls", "ccsi", str(tmp_path / "d.csv"), "--predict", "5", "--reps",
                         "2", "--fit-test", "50", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert {r["measure"] for r in payload["model_fit"]} == {"srmr", "d_uls", "d_g", "chisq",
                                                            "nfi"}
    assert payload["predict"]["folds"] == 5 and payload["predict"]["items"]
    assert payload["settings"]["fit_test"] == 50 and payload["model_selection"]
    code, out, _ = run("pls", "ccsi", str(tmp_path / "d.csv"), "--predict", "5")
    assert "Model fit" in out and "PLSpredict: 5-fold" in out


@pytest.mark.slow
def test_cbsem_command_on_a_model_file_and_a_questionnaire(tmp_path):
    from semopy.examples import holzinger39

    holzinger39.get_data().to_csv(tmp_path / "hs.csv", index=False)
    (tmp_path / "hs.lav").write_text("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\n"
                                     "speed =~ x7 + x8 + x9\n", encoding="utf-8")
    code, out, err = run("cbsem", tmp_path / "hs.lav", tmp_path / "hs.csv", "--estimator",
                         "MLM", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert round(payload["fit"]["chisq_scaled"], 3) == 80.872  # lavaan 0.6
    assert payload["settings"]["se"] == "robust.sem"
    code, out, err = run("cbsem", tmp_path / "hs.lav", tmp_path / "hs.csv")
    assert code == 0 and "Fit (lavaan definitions)" in out and "n = 301 used" in out
    import crmsurvey as cs

    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 300, seed=5).to_csv(tmp_path / "d.csv", index=False)
    code, out, err = run("cbsem", "ccsi", tmp_path / "d.csv", "--reliability", "comp1=0.8")
    assert code == 0, err
    assert "single indicator ('comp1')" in out and "reliability 0.8" in out
    cut = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]].apply(
        lambda c: (c > c.median()).astype(int) + (c > c.quantile(.8)).astype(int))
    cut.to_csv(tmp_path / "cut.csv", index=False)
    code, out, err = run("cbsem", tmp_path / "hs.lav", tmp_path / "cut.csv", "--ordered", "all")
    assert code == 0, err
    assert "WLSMV" in out and "chisq_scaling_factor" in out and " | " in out
    code, _, err = run("cbsem", tmp_path / "hs.lav", tmp_path / "hs.csv", "--estimator", "XX")
    assert code == 2 and err.count("\n") == 1
