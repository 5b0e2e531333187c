"""Defects a new user found with their own bank study (issue: helper "fixnu"): duplicate
submissions within one export, thresholds off the scale, 问卷星's "(跳过)" and text
downloads, reverse-coded yes/no items, error messages by surface, internal template
faults, special codes in ``questionnaire show``, and the README's API names."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.cli import main
from crmsurvey.errors import InputError
from crmsurvey.simulation import SimulationSettings

from .conftest import MINI

ROOT = Path(__file__).resolve().parents[1]

BANK = """\
id: bank
title: {zh-CN: 零售银行满意度, en: Retail bank satisfaction}
languages: [zh-CN, en]
scales:
  seven:
    type: rating
    min: 1
    max: 7
    anchors:
      1: {zh-CN: 非常不同意, en: Strongly disagree}
      7: {zh-CN: 非常同意, en: Strongly agree}
    special: {8: dont_know}
  yn:
    type: binary
    values: {0: {zh-CN: 否, en: "No"}, 1: {zh-CN: 是, en: "Yes"}}
  ten: {type: rating, min: 0, max: 10}
sections:
  - id: admin
    items:
      - {id: cust_no, role: id}
      - {id: region, role: group}
      - {id: secs, role: duration, optional: true}
  - id: main
    items:
      - {id: q1, scale: seven}
      - {id: q2, scale: seven}
      - {id: q3, scale: seven}
      - {id: v1, scale: seven}
      - {id: v2, scale: seven}
      - {id: s1, scale: seven}
      - {id: s2, scale: seven}
      - {id: s3, scale: seven}
      - {id: l1, scale: seven}
      - {id: l2, scale: seven}
      - {id: l3, scale: seven}
      - {id: complained, scale: yn, role: other}
      - {id: recommend, scale: ten, role: nps}
  - id: handling
    relevance: "complained == 1"
    items:
      - {id: handled, scale: seven, role: other}
constructs:
  QUAL: {items: [q1, q2, q3]}
  VAL: {items: [v1, v2]}
  SAT: {items: [s1, s2, s3]}
  LOY: {items: [l1, l2, l3]}
paths:
  - SAT ~ QUAL + VAL
  - LOY ~ SAT
"""
INDICATORS = ["q1", "q2", "q3", "v1", "v2", "s1", "s2", "s3", "l1", "l2", "l3"]
CLEAN = SimulationSettings(messy=False)


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bank")
    (folder / "bank.yaml").write_text(BANK, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bank(bank_dir):
    return cs.load_questionnaire(bank_dir / "bank.yaml")


@pytest.fixture(scope="module")
def answers(bank) -> pd.DataFrame:
    df = cs.simulate(bank, 300, seed=11, settings=CLEAN,
                     groups={"region": ["East", "South"]})
    df["cust_no"] = np.arange(1, len(df) + 1)
    return df


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --- A. duplicates within one export -------------------------------------------------

def _copy_with_new_id(df: pd.DataFrame, row: int) -> pd.DataFrame:
    copy = df.iloc[[row]].copy()
    copy["cust_no"] = df["cust_no"].max() + 1  # 问卷星 numbers the second submission anew
    copy["secs"] = 240.0
    return pd.concat([df, copy], ignore_index=True)


def test_a_second_submission_with_a_new_number_is_a_duplicate(bank, answers):
    varied = next(i for i in range(len(answers))
                  if answers.loc[i, INDICATORS].astype(float).nunique() > 1)
    df = _copy_with_new_id(answers, varied)
    r = cs.load_responses(bank, df, exclude=["duplicate"])
    last = len(df)  # 1-based file row of the copy
    assert r.excluded[last] == "duplicate" and last not in r.data.index
    assert any(p.row == last and p.rule == "duplicate"
               and p.message.endswith(f"row {varied + 1}") for p in r.log.problems)
    assert r.log.rows_read == r.log.rows_kept + sum(r.log.excluded.values())
    assert r.excluded.notna().sum() == sum(r.log.excluded.values())  # each row a reason


def test_duplicates_by_answers_follow_the_written_rule(bank, answers):
    """Flags equal the rule written out here with pandas: the same answers (id and
    duration aside) as an earlier row, ≥ 10 columns answered, not all one value."""
    df = _copy_with_new_id(_copy_with_new_id(answers, 3), 40)
    same_at_seven = df.iloc[[5, 6]].copy()
    same_at_seven[INDICATORS] = 7  # two enthusiasts answering alike: not duplicates
    same_at_seven["cust_no"] = [9001, 9002]
    df = pd.concat([df, same_at_seven], ignore_index=True)
    r = cs.load_responses(bank, df, exclude=[])
    a = r.all_rows
    cols = [c for c in a.columns if c not in ("cust_no", "secs")]
    answered = a[cols].notna().sum(axis=1) >= 10
    x = a[INDICATORS]
    judged = answered & (x.max(axis=1) > x.min(axis=1))
    expected = a[judged][cols].duplicated(keep="first").reindex(a.index, fill_value=False)
    assert r.flags["duplicate"].tolist() == expected.tolist()
    assert r.flags["duplicate"].iloc[-1] == False  # noqa: E712 - the straight 7s
    assert r.flags["straightlining"].iloc[-1]


def test_a_short_questionnaire_needs_more_than_identical_answers(mini):
    """MINI has 8 answer columns, under the default 10: identical answers of two
    respondents are plausible, so only the id decides — unless the user lowers it."""
    rows = pd.DataFrame({"rid": [1, 2], "a1": [4, 4], "a2": [2, 2], "a3": [3, 3],
                         "b1": [5, 5], "b2": [1, 1], "chk": [2, 2], "c1": [1, 1]})
    assert not cs.load_responses(mini, rows).flags["duplicate"].any()
    low = cs.load_responses(mini, rows, duplicate_min_items=5)
    assert low.flags["duplicate"].tolist() == [False, True]


def test_parts_use_the_same_rule(bank, answers):
    from crmsurvey.responses.screening import repeated_rows

    first = cs.load_responses(bank, answers.iloc[:150], exclude=[])
    later = pd.concat([answers.iloc[150:], answers.iloc[[7]].assign(cust_no=99999)])
    second = cs.load_responses(bank, later.reset_index(drop=True), exclude=[])
    found = repeated_rows(bank, first.data, second.data)
    assert found[-1] == 7  # the copy of the first part's row 8, by its answers


# --- B. thresholds off the scale -----------------------------------------------------

def _study(folder: Path, analytics: str, *, report: str = "{language: en}",
           data: str = "[{simulate: {n: 60, seed: 1, groups: {region: [East, South]}}}]"
           ) -> Path:
    path = folder / "study.yaml"
    path.write_text(f"""id: nu
title: new user
questionnaire: bank.yaml
data: {data}
groups: [region]
min_group_size: 20
pls: {{bootstrap: 0}}
analytics:
  {analytics}
report: {report}
""", encoding="utf-8")
    return path


@pytest.mark.parametrize("analytics, message", [
    ("csat: {s1: 8}", "off the item's scale 1–7"),
    ("csat: {s1: 1}", "every answer on the scale 1–7"),
    ("typology: {attitude: s1, behaviour: l1, cut_behaviour: 9}", "off the item's scale"),
])
def test_thresholds_off_the_scale_are_refused_at_their_line(bank_dir, capsys, analytics,
                                                            message):
    from crmsurvey.study.load import load_study

    path = _study(bank_dir, analytics)
    with pytest.raises(InputError) as err:
        load_study(path)
    assert message in err.value.msg and err.value.line == 9  # the analytics entry
    code, out, text = _cli(capsys, "run", path, "-o", bank_dir / "out")
    assert code == 2 and len(text.strip().splitlines()) == 1 and ":9:" in text
    assert not (bank_dir / "out").exists()


def test_a_threshold_on_the_scale_is_taken(bank_dir):
    from crmsurvey.study.load import load_study

    assert load_study(_study(bank_dir, "csat: {s1: 6}")).definition.analytics.csat == {
        "s1": 6}


# --- C. 问卷星's skips, text downloads, set-missing on the terminal ------------------------

def test_wjx_skip_is_a_skip_not_a_problem(bank, answers, bank_dir, capsys):
    df = answers.astype(object)
    df.loc[[2, 5], "handled"] = "(跳过)"
    df.loc[[8], "region"] = "（跳过）"
    r = cs.load_responses(bank, df)
    assert not [p for p in r.log.problems if p.rule != "duplicate"]
    assert r.log.set_missing() == {}
    assert (r.codes.loc[[3, 6], "handled"] == "skipped").all()
    assert r.all_rows.loc[[3, 6], "handled"].isna().all()
    assert pd.isna(r.all_rows.loc[9, "region"])
    path = bank_dir / "skips.csv"
    df.to_csv(path, index=False)
    code, out, err = _cli(capsys, "responses", "check", bank_dir / "bank.yaml", path,
                          "--strict")
    assert code == 0 and "跳过" not in out and "set missing" not in out


def test_text_download_reads_the_scales_labelled_ends(bank, answers):
    df = answers.copy()
    num = df[INDICATORS].astype(float)
    text = df.astype(object)
    labels = {1: ["非常不同意", "Strongly disagree"], 7: ["非常同意", "Strongly agree"]}
    for k, (code, words) in enumerate(sorted(labels.items())):
        for j, col in enumerate(INDICATORS):
            hit = num[col] == code
            text.loc[hit, col] = words[(j + k) % 2]  # either language
    text.loc[0, "s1"] = "不知道"  # the special code by its label
    text.loc[1, "complained"] = "是"
    r = cs.load_responses(bank, text)
    assert not [p for p in r.log.problems if p.rule != "duplicate"]
    got = r.all_rows[INDICATORS].iloc[2:]
    pd.testing.assert_frame_equal(got, num.where(num <= 7).iloc[2:].set_axis(got.index),
                                  check_dtype=False)
    assert r.codes.loc[1, "s1"] == "dont_know" and r.all_rows.loc[2, "complained"] == 1


def test_answers_set_missing_are_said_on_the_terminal(bank, answers, bank_dir, capsys):
    df = answers.astype(object)
    df.loc[[0, 1, 2], "s2"] = 9  # off the 1–7 scale
    df.loc[3, "q1"] = "很好"  # unreadable
    path = bank_dir / "oor.csv"
    df.to_csv(path, index=False)
    code, out, err = _cli(capsys, "nps", bank_dir / "bank.yaml", path)
    assert code == 0
    line = next(x for x in err.splitlines() if "screened:" in x)
    assert "4 answer(s) off the scale or unreadable set missing" in line
    assert "q1 1" in line and "s2 3" in line


# --- D. reverse on a yes/no item -----------------------------------------------------

def test_reverse_on_a_binary_item_is_refused_at_its_line():
    text = MINI.replace("{id: c1, scale: yn, optional: true}",
                        "{id: c1, scale: yn, optional: true, reverse: true}")
    with pytest.raises(InputError) as err:
        cs.parse_questionnaire(text, source="q.yaml")
    line = next(k for k, x in enumerate(text.splitlines(), 1) if "reverse: true}" in x
                and "c1" in x)
    assert err.value.line == line and "reverse-coded on a binary scale" in err.value.msg


# --- E. error messages ---------------------------------------------------------------

def test_missing_column_hint_by_surface(bank, bank_dir, answers, capsys):
    df = answers.drop(columns=["s2"])
    with pytest.raises(InputError) as err:
        cs.load_responses(bank, df)
    assert "mapping={'COLUMN': 's2'}" in err.value.hint
    path = bank_dir / "nos2.csv"
    df.to_csv(path, index=False)
    code, out, text = _cli(capsys, "responses", "check", bank_dir / "bank.yaml", path)
    assert code == 2 and "--map COLUMN=s2" in text and "optional: true" in text
    assert "mapping={" not in text


def test_study_data_errors_name_the_file_as_written(bank_dir, answers):
    from crmsurvey.study.load import load_study
    from crmsurvey.study.run import run_study

    (bank_dir / "data").mkdir(exist_ok=True)
    answers.drop(columns=["s2"]).to_csv(bank_dir / "data" / "resp.csv", index=False)
    study = _study(bank_dir, "{}", data="[{path: data/resp.csv, mapping: {S2: s2}}]")
    with pytest.raises(InputError) as err:
        run_study(load_study(study))
    assert err.value.one_line().startswith("data/resp.csv: the column mapping names "
                                           "column 'S2'")
    assert str(bank_dir) not in err.value.one_line()
    study = _study(bank_dir, "{}", data="[{path: data/resp.csv}]")
    with pytest.raises(InputError) as err:
        run_study(load_study(study))
    assert "mapping: {COLUMN: s2}" in err.value.hint and "optional: true" in err.value.hint


def test_client_group_level_not_in_the_data_at_its_line(bank_dir):
    from crmsurvey.study.load import load_study
    from crmsurvey.study.run import run_study

    study = _study(bank_dir, "{}", report="{language: en, client_group: {region: North}}")
    with pytest.raises(InputError) as err:
        run_study(load_study(study))
    assert err.value.path == str(study) and err.value.line == 10
    assert "'North' is not a level of 'region'" in err.value.msg


@pytest.mark.parametrize("command", [["cbsem"], ["pls", "{q}", "--model"]])
def test_model_file_typo_at_its_line_with_did_you_mean(bank_dir, answers, capsys, command):
    lav = bank_dir / "typo.lav"
    lav.write_text("QUAL =~ q1 + q2 + q3\nSAT =~ s1 + s2 + sat3\nSAT ~ QUAL\n")
    data = bank_dir / "plain.csv"
    answers.to_csv(data, index=False)
    args = [a.replace("{q}", str(bank_dir / "bank.yaml")) for a in command]
    args = [*args, lav, data] if command == ["cbsem"] else [args[0], args[1], data,
                                                            args[2], lav]
    code, out, err = _cli(capsys, *args)
    column = "SAT =~ s1 + s2 + sat3".index("sat3") + 1
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"typo.lav:2:{column}: 'sat3'" in err and "did you mean 's3'?" in err
    assert "plain.csv" in err


# --- F. an internal template fault is exit 1 -------------------------------------------

def test_bundled_template_fault_is_internal(tmp_path, monkeypatch, capsys):
    import crmsurvey._resources as res
    import crmsurvey.fielding.printed as printed

    ccsi = cs.load_questionnaire("ccsi")  # before the bundled folders move
    shipped = tmp_path / "reports"
    (shipped / "questionnaire").mkdir(parents=True)
    (shipped / "questionnaire" / "questionnaire.html.j2").write_text(
        "<p>{{ id | no_such_filter }}</p>")
    monkeypatch.setattr(res, "bundled_dir", lambda name: tmp_path / name)
    monkeypatch.setattr(printed, "bundled_dir", lambda name: tmp_path / name)
    monkeypatch.delenv("CRMSURVEY_DEBUG", raising=False)
    code, out, err = _cli(capsys, "questionnaire", "print", ROOT / "questionnaires" /
                          "ccsi.yaml", "-o", tmp_path / "q.html")
    assert code == 1 and err.startswith("internal error:") and len(err.splitlines()) == 1
    assert "no_such_filter" in err and not (tmp_path / "q.html").exists()
    # the same fault in the user's own template folder is bad input
    own = tmp_path / "mine"
    own.mkdir()
    (own / "questionnaire.html.j2").write_text("<p>{{ id | no_such_filter }}</p>")
    with pytest.raises(InputError, match="no_such_filter"):
        printed.questionnaire_html(ccsi, template_dir=own)


# --- G. questionnaire show names special codes ---------------------------------------

@pytest.mark.parametrize("lang, label", [("en", "8=Don't know"), ("zh-CN", "8=不知道")])
def test_show_names_special_codes_in_the_language(bank_dir, capsys, lang, label):
    code, out, err = _cli(capsys, "questionnaire", "show", bank_dir / "bank.yaml",
                          "--lang", lang)
    assert code == 0 and label in out and "dont_know" not in out


# --- H. every name the README documents imports ---------------------------------------

def test_readme_api_names_import():
    import importlib

    import crmsurvey.analytics as analytics

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## CRM analytics")[1].split("\n## ")[0]
    listed = section.split("The examples read")[0]
    not_api = {"feature", "kano_functional", "kano_dysfunctional", "top", "lifetimes",
               "reestimate"}  # a role, a key, an argument, a package, a method
    names = set(re.findall(r"`([a-z][a-z0-9_]*)`", listed)) - not_api
    assert {"complaint_table", "nps", "csat", "kano_table", "rfm"} <= names
    missing = sorted(n for n in names if not hasattr(analytics, n))
    assert not missing, missing
    assert "complaint_table" in analytics.__all__
    for name in set(re.findall(r"\bcs\.([A-Za-z_]\w*)", readme)):
        assert hasattr(cs, name), f"cs.{name}"
    for module, what in re.findall(r"from (crmsurvey[\w.]*) import ([\w, ]+)", readme):
        mod = importlib.import_module(module)
        for name in what.split(","):
            assert hasattr(mod, name.strip()), f"{module}.{name.strip()}"
