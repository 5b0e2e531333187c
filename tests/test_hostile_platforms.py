"""Hostile input from survey platforms and firms' systems: Qualtrics survey files,
transaction files, and the noise of dependencies beside the CLI's one line."""
from __future__ import annotations

import copy
import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import crmsurvey as cs
from crmsurvey.analytics import clv_bgnbd, load_transactions, rfm
from crmsurvey.fielding.qualtrics import from_qsf, to_qsf

from .test_hostile import cli, refused


# --- Qualtrics .qsf import -----------------------------------------------------------

@pytest.fixture(scope="module")
def qsf() -> dict:
    return to_qsf(cs.load_questionnaire("ccsi"))


def _question(d: dict) -> tuple[int, dict]:
    """The first choice question with recode values: (index, payload)."""
    k = next(i for i, e in enumerate(d["SurveyElements"])
             if e["Element"] == "SQ" and "RecodeValues" in e["Payload"])
    return k, d["SurveyElements"][k]["Payload"]


def _deep_flow(d: dict) -> None:
    flow = next(e for e in d["SurveyElements"] if e["Element"] == "FL")["Payload"]
    for _ in range(150):  # branches inside branches
        flow["Flow"] = [{"Type": "Branch", "FlowID": "FL_9", "Flow": []}]
        flow = flow["Flow"][0]


def _set(path: tuple, value):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key] if key != "Q" else _question(d)[1]
        target[path[-1]] = value
    return change


MALFORMED = {  # name: (change to a valid survey, what the line names)
    "element_not_object": (_set(("SurveyElements", 3), 5),
                           "SurveyElements[3]: expected an object, found the number 5"),
    "no_primary_attribute": (lambda d: d["SurveyElements"][_question(d)[0]]
                             .pop("PrimaryAttribute"), "without a PrimaryAttribute"),
    "survey_entry_list": (_set(("SurveyEntry",), [{"SurveyName": "x"}]),
                          "SurveyEntry: expected an object, found a list"),
    "survey_entry_empty_list": (_set(("SurveyEntry",), []),
                                "SurveyEntry: expected an object, found a list"),
    "recode_abc": (_set(("Q", "RecodeValues", "1"), "abc"),
                   "Payload.RecodeValues.1: expected a whole-number code, found the text 'abc'"),
    "recode_1e400": (_set(("Q", "RecodeValues", "1"), "1e400"),
                     "Payload.RecodeValues.1: expected a whole-number code"),
    "unknown_choice_order": (lambda d: _question(d)[1]["ChoiceOrder"].append(77),
                             "Payload.ChoiceOrder[2]: choice '77' is not one of the question's"),
    "language_list": (_set(("Q", "Language"), ["EN"]),
                      "Payload.Language: expected an object, found a list"),
    "choices_list": (_set(("Q", "Choices"), ["a", "b"]),
                     "Payload.Choices: expected an object, found a list"),
    "payload_text": (lambda d: d["SurveyElements"][_question(d)[0]].__setitem__("Payload", "x"),
                     "Payload: expected an object, found the text 'x'"),
    "deep_flow": (_deep_flow, "JSON nested deeper than 100 levels"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_qsf_is_one_line_naming_the_json_path(qsf, tmp_path, case):
    change, message = MALFORMED[case]
    d = copy.deepcopy(qsf)
    change(d)
    path = tmp_path / f"{case}.qsf"
    path.write_text(json.dumps(d), encoding="utf-8")
    line = refused("questionnaire", "import", path, "-o", tmp_path / "y.yaml", message=message)
    assert f"{case}.qsf" in line
    assert not (tmp_path / "y.yaml").exists()


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 100 levels"),
    ('{"SurveyEntry": {}, "SurveyElements": [{"Element": "SQ", "x": Infinity}]}',
     "Infinity is not a JSON number"),
    ('{"SurveyEntry": {}, "SurveyElements": [1e400]}', "out of range"),
    ('{"SurveyEntry": {"SurveyName": "\\ud800"}, "SurveyElements": '
     '[{"Element": "SQ", "PrimaryAttribute": "QID1", "Payload": {}}]}', "broken character"),
])
def test_unreadable_json_is_refused_before_it_is_used(tmp_path, text, message):
    path = tmp_path / "x.qsf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(cs.InputError, match=message):
        from_qsf(path)


def test_large_qsf_is_refused_before_parsing(tmp_path, monkeypatch):
    big = tmp_path / "big.qsf"
    with open(big, "wb") as fh:  # sparse: 17 MB of nothing, above the 16 MiB default
        fh.truncate(17 * 1024 * 1024)
    t = time.perf_counter()
    refused("questionnaire", "import", big, "-o", tmp_path / "y.yaml",
            message="larger than the limit of 16,777,216 bytes")
    assert time.perf_counter() - t < 5
    monkeypatch.setenv("CRMSURVEY_MAX_QSF_BYTES", "lots")
    with pytest.raises(cs.InputError, match="CRMSURVEY_MAX_QSF_BYTES='lots' is not"):
        from_qsf(big)
    monkeypatch.setenv("CRMSURVEY_MAX_QSF_BYTES", "100")
    small = tmp_path / "s.qsf"
    small.write_text(json.dumps({"SurveyEntry": {}, "SurveyElements": [None] * 50}))
    with pytest.raises(cs.InputError, match="limit of 100 bytes"):
        from_qsf(small)


def test_names_in_a_qsf_are_data_not_yaml(qsf, tmp_path):
    """A line break in the survey's name or the file's name adds no keys to the YAML."""
    d = copy.deepcopy(qsf)
    name = ("x\nconstructs: {SAT: [sat1, sat2]}\npaths: ['LOY ~ SAT']\n"
            "simulate: {n: 1}\r\u2028id: evil\x85# \x00")
    d["SurveyEntry"]["SurveyName"] = name
    folder = tmp_path / "in\nconstructs: {A: [b]}"
    folder.mkdir()
    src = folder / "s\npaths: ['A ~ B']\n.qsf"
    src.write_text(json.dumps(d), encoding="utf-8")
    out = tmp_path / "y.yaml"
    code, _, err, _ = cli("questionnaire", "import", src, "-o", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert list(doc) == ["id", "version", "languages", "title", "description", "scales",
                         "sections"]
    assert doc["title"] == name and doc["id"] == "ccsi"
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert len(head) == 5 and "constructs: {SAT" in head[0]  # the name, on the comment line
    q = cs.load_questionnaire(out)
    assert q.text(q.definition.title, q.languages[0]) == name
    # with no survey name the file's name is the title, as data too
    d["SurveyEntry"]["SurveyName"] = ""
    src.write_text(json.dumps(d), encoding="utf-8")
    doc = yaml.safe_load(from_qsf(src))
    assert doc["title"] == "s\npaths: ['A ~ B']\n" and "paths" not in doc


# --- transactions ----------------------------------------------------------------------

def _tx_file(tmp_path, dates, amounts=None, name="tx.csv"):
    n = len(dates)
    frame = pd.DataFrame({"customer_id": [f"c{i % 40}" for i in range(n)], "date": dates,
                          "amount": amounts if amounts is not None else [25.0] * n})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_date_format_is_decided_on_the_whole_column(tmp_path):
    days = pd.date_range("2025-01-01", periods=499, freq="D")
    dates = ["2025-01-15"] + [d.strftime("%d/%m/%Y") for d in days]  # row 1 differs
    tx = load_transactions(_tx_file(tmp_path, dates))
    assert tx.log.excluded["bad_date"] == 0 and tx.log.rows_kept == 500
    assert tx.frame.date.iloc[1] == pd.Timestamp("2025-01-01")
    assert tx.frame.date.iloc[13] == pd.Timestamp("2025-01-13")
    cjk = load_transactions(_tx_file(tmp_path, ["2025年12月25日", "2025年1月5日",
                                                "2025-12-01"]))
    assert cjk.frame.date.tolist() == [pd.Timestamp("2025-12-25"), pd.Timestamp("2025-01-05"),
                                       pd.Timestamp("2025-12-01")]
    code, out, err, _ = cli("rfm", _tx_file(tmp_path, dates), "--json")
    assert code == 0 and err == "", err
    assert json.loads(out)["log"]["excluded"]["bad_date"] == 0


@pytest.mark.slow
def test_ambiguous_day_month_column_needs_to_be_told(tmp_path):
    path = _tx_file(tmp_path, ["03/04/2025", "05/06/2025", "01/02/2025"] * 10)
    refused("rfm", path, message="could be day/month or month/day")
    with pytest.raises(cs.InputError, match=r"'03/04/2025' \(row 1\)"):
        load_transactions(path)
    assert load_transactions(path, dayfirst=True).frame.date.iloc[0] == pd.Timestamp("2025-04-03")
    assert load_transactions(path, dayfirst=False).frame.date.iloc[0] == pd.Timestamp("2025-03-04")
    assert load_transactions(path, date_format="%m/%d/%Y").frame.date.iloc[0] \
        == pd.Timestamp("2025-03-04")
    code, out, err, _ = cli("rfm", path, "--dayfirst", "--as-of", "2025-07-01", "--json")
    assert code == 0 and err == "", err
    mixed = _tx_file(tmp_path, ["25/12/2025", "12/25/2025"], name="mixed.csv")
    refused("rfm", mixed, message="mixes day/month (row 1: '25/12/2025') and month/day (row 2")


def test_time_zones_are_converted_to_utc_or_refused_when_mixed(tmp_path):
    aware = _tx_file(tmp_path, ["2025-01-01T23:30:00+08:00", "2025-01-01T10:00:00Z"])
    tx = load_transactions(aware)
    assert tx.frame.date.tolist() == [pd.Timestamp("2025-01-01 15:30"),
                                      pd.Timestamp("2025-01-01 10:00")]
    assert any(n.code == "times_utc" and n.params == {"column": "date"} for n in tx.log.notes)
    mixed = _tx_file(tmp_path, ["2025-01-01 10:00", "2025-01-02 10:00+08:00"], name="m.csv")
    refused("rfm", mixed, message="column 'date' mixes times with a time-zone offset (row 2")


def test_infinite_amount_is_excluded_with_its_row(tmp_path):
    tx = load_transactions(_tx_file(tmp_path, ["2025-01-01"] * 4,
                                    amounts=["10", "inf", "-inf", "1e400"]))
    assert tx.log.excluded["bad_amount"] == 3 and tx.log.rows_kept == 1
    assert [(p.row, p.column, p.rule) for p in tx.log.problems] == [
        (2, "amount", "bad_amount"), (3, "amount", "bad_amount"), (4, "amount", "bad_amount")]
    assert np.isfinite(rfm(tx).monetary).all()


@pytest.mark.slow
def test_bad_analysis_date_and_zero_amounts_are_exit_2(tmp_path):
    days = pd.date_range("2025-01-01", periods=200, freq="D").strftime("%Y-%m-%d")
    path = _tx_file(tmp_path, list(days), amounts=[0.0] * 200)
    refused("rfm", path, "--as-of", "garbage", message="'garbage' is not a date")
    t = time.perf_counter()
    refused("clv", path, "--model", "bgnbd", message="with a positive amount")
    assert time.perf_counter() - t < 20  # refused before the model is imported and fitted
    with pytest.raises(cs.InputError, match="Gamma-Gamma spend model needs at least 10"):
        clv_bgnbd(load_transactions(path))


def test_study_transaction_options_take_the_date_format():
    from crmsurvey.study.schema import TransactionOptions

    o = TransactionOptions(path="tx.csv", date_format="%d.%m.%Y", dayfirst=True)
    assert (o.date_format, o.dayfirst) == ("%d.%m.%Y", True)


# --- one line on the terminal ------------------------------------------------------------

NOISY = """
import logging, sys, warnings
import crmsurvey.analytics as a
from crmsurvey.cli import main
from crmsurvey.errors import DataWarning
load = a.load_transactions
def noisy(*args, **kw):  # what pytensor, arviz, semopy and numpy do on import or use
    warnings.warn("PyTensor could not link to a BLAS installation.", UserWarning)
    warnings.warn("ArviZ is undergoing a major refactor", FutureWarning)
    warnings.warn("overflow encountered in multiply", RuntimeWarning)
    logging.getLogger("pytensor.tensor.blas").warning("Using NumPy C-API based BLAS")
    warnings.warn("3 answers set missing", DataWarning)
    return load(*args, **kw)
a.load_transactions = noisy
sys.exit(main(sys.argv[1:]))
"""


def test_dependency_warnings_do_not_reach_the_terminal(tmp_path):
    import subprocess
    import sys

    path = _tx_file(tmp_path, ["2025-01-01"] * 3)
    proc = subprocess.run([sys.executable, "-c", NOISY, "rfm", path, "--as-of", "garbage"],
                          capture_output=True, text=True, timeout=60)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2
    assert "DataWarning: 3 answers set missing" in lines[0]  # crmsurvey's own still show
    assert [x for x in lines if "Warning" in x or "BLAS" in x] == [lines[0]], proc.stderr
    assert lines[-1].startswith("error: the analysis date") and len(lines) == 2, proc.stderr


def test_polychoric_on_sparse_tables_has_no_overflow():
    from crmsurvey.cbsem.polychoric import polychoric

    rng = np.random.default_rng(0)  # 0·∞ in empty cells stopped the fit at its start, 0.9
    r = 0.96
    z = rng.multivariate_normal(np.zeros(3), np.full((3, 3), r) + (1 - r) * np.eye(3), 60)
    df = pd.DataFrame(np.digitize(z, np.sort(rng.normal(0, 1.5, 8))), columns=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = polychoric(df)
    assert p.iterations < 100
    assert 0.9 < p.correlation.loc["a", "b"] < 0.999 and p.correlation.loc["a", "b"] != 0.9


@pytest.mark.slow
def test_bgnbd_prints_no_dependency_notices(tmp_path):
    """pymc-marketing's import printed ArviZ's FutureWarning and PyTensor's BLAS notice
    beside the note line."""
    rng = np.random.default_rng(0)
    rows = [(f"c{c}", (pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(d))).date(),
             round(float(rng.gamma(4, 10)), 2))
            for c in range(60) for d in np.sort(rng.integers(0, 365, 4))]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame.loc[0, "amount"] = np.inf
    path = tmp_path / "tx.csv"
    frame.to_csv(path, index=False)
    code, out, err, _ = cli("clv", path, "--model", "bgnbd", "--json", timeout=300)
    assert code == 0, err
    assert err.splitlines() == [err.splitlines()[0]] and err.startswith("note: 1 of 240"), err
    assert len(json.loads(out)["rows"]) == 60
