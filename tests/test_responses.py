"""Response loading: every format, the encodings, value checks, screening, the log."""
import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.responses import RULES


def _frame():
    return pd.DataFrame({
        "rid": ["r1", "r2", "r3", "r4", "r5", "r2"],
        "secs": [300, 320, 40, 310, 290, 330],
        "w": [1.0, 0.5, 1.2, 0.0, 1.1, 1.0],
        "a1": [1, 2, 3, 4, 9, 2],       # 9 = don't know
        "a2": [2, 2, 3, 7, 5, 2],       # 7 is off the 1-5 scale
        "a3": [1, 2, 3, 4, -1, 2],      # reversed; -1 = missing code
        "b1": [2, 2, 3, 4, 5, 2],
        "b2": [3, 2, 3, 4, 5, 2],
        "chk": [2, 2, 2, 5, 2, 2],
        "c1": [0, 1, 1, 0, 1, 0],
    })


def _check_accounting(r):
    log = r.log
    assert log.rows_read == log.rows_kept + sum(log.excluded.values())
    assert len(r.data) == log.rows_kept
    assert len(r.all_rows) == log.rows_read


def test_values_codes_and_reverse(mini):
    r = cs.load_responses(mini, _frame())
    rows = r.all_rows
    assert np.isnan(rows.loc[5, "a1"]) and r.codes.loc[5, "a1"] == "dont_know"
    assert np.isnan(rows.loc[4, "a2"]) and r.codes.loc[4, "a2"] == "out_of_range"
    assert r.codes.loc[5, "a3"] == "missing_code"
    assert rows.loc[1, "a3"] == 5 and rows.loc[4, "a3"] == 2  # 1..5 reversed
    bad = [(p.row, p.column, p.value) for p in r.log.problems if p.rule == "value"]
    assert bad == [(4, "a2", 7)]
    weight_problem = [p for p in r.log.problems if p.rule == "weight"]
    assert [(p.row, p.column) for p in weight_problem] == [(4, "w")]
    _check_accounting(r)


def test_screening_flags_and_exclusion_accounting(mini):
    r = cs.load_responses(mini, _frame(), exclude=["duplicate", "speeder", "attention"])
    assert r.flags["duplicate"].tolist() == [False] * 5 + [True]
    assert r.flags["speeder"].tolist() == [False, False, True, False, False, False]
    assert r.flags["attention"].tolist() == [False, False, False, True, False, False]
    assert r.flags["invalid_weight"].tolist() == [False, False, False, True, False, False]
    assert r.log.excluded == {"duplicate": 1, "speeder": 1, "attention": 1}
    assert r.log.rows_kept == 3
    assert r.excluded.loc[6] == "duplicate"
    _check_accounting(r)


def test_nothing_excluded_unless_switched_on(mini):
    r = cs.load_responses(mini, _frame())
    assert r.log.rows_kept == 6 and r.log.excluded == {}
    assert r.log.flagged["duplicate"] == 1


def test_exclusion_reason_is_first_rule_in_order(mini):
    df = _frame()
    df.loc[5, "secs"] = 10  # the duplicate is also a speeder
    r = cs.load_responses(mini, df, exclude="all")
    assert r.excluded.loc[6] == "duplicate"
    assert set(r.log.excluded) == set(RULES)
    _check_accounting(r)


def test_straightlining_and_missing(ccsi, ccsi_data):
    df = ccsi_data.copy()
    rating = [i for c in ccsi.definition.constructs.values() for i in c.items if i != "comp1"]
    df.loc[0, rating] = 7
    df.loc[1, rating[:5]] = ""
    r = cs.load_responses(ccsi, df, exclude=["straightlining", "missing"])
    assert r.flags.loc[1, "straightlining"] and r.excluded.loc[1] == "straightlining"
    assert r.flags.loc[2, "missing"]
    _check_accounting(r)


def test_unknown_rule(mini):
    with pytest.raises(InputError, match="unknown screening rule 'speder'.*'speeder'"):
        cs.load_responses(mini, _frame(), exclude=["speder"])


def test_missing_required_column(mini, tmp_path):
    path = tmp_path / "d.csv"
    _frame().drop(columns=["b2"]).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        cs.load_responses(mini, path)
    assert "missing required column for item 'b2'" in str(err.value)
    assert str(path) in str(err.value)


def test_mapping(mini):
    df = _frame().rename(columns={"a1": "Q1_1"})
    r = cs.load_responses(mini, df, mapping={"Q1_1": "a1"})
    assert r.all_rows["a1"].iloc[0] == 1
    with pytest.raises(InputError, match="lacks"):
        cs.load_responses(mini, df, mapping={"Q9": "a1"})


# --- file formats -------------------------------------------------------------------

def _roundtrip(mini, path, **kw):
    r = cs.load_responses(mini, path, **kw)
    assert r.all_rows["b1"].tolist() == [2, 2, 3, 4, 5, 2]
    assert r.codes.loc[5, "a1"] == "dont_know"
    _check_accounting(r)
    return r


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_detected(mini, tmp_path, encoding):
    df = _frame()
    df["rid"] = ["张三", "李四", "王五", "赵六", "钱七", "李四"]
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False, encoding=encoding)
    r = _roundtrip(mini, path)
    assert r.all_rows["rid"].iloc[0] == "张三"
    assert r.log.encoding in {"utf-8", "utf-8-sig", "gb18030"}
    assert r.log.encoding.startswith("utf-8") == encoding.startswith("utf-8")


def test_semicolon_csv(mini, tmp_path):
    path = tmp_path / "d.csv"
    _frame().to_csv(path, index=False, sep=";")
    _roundtrip(mini, path)


def test_xlsx(mini, tmp_path):
    path = tmp_path / "d.xlsx"
    _frame().to_excel(path, index=False)
    assert _roundtrip(mini, path).log.format == "xlsx"


def test_parquet(mini, tmp_path):
    path = tmp_path / "d.parquet"
    _frame().to_parquet(path)
    _roundtrip(mini, path)


def test_sav_value_labels_and_user_missing(mini, tmp_path):
    import pyreadstat

    df = _frame()
    df.loc[1, "b2"] = 8  # declared user-missing in the .sav file
    path = tmp_path / "d.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"c1": {0: "No", 1: "Yes"}},
                         missing_ranges={"b2": [8]})
    r = _roundtrip(mini, path)
    assert r.codes.loc[2, "b2"] == "missing_code"
    assert not [p for p in r.log.problems if p.column == "b2"]


def test_dta(mini, tmp_path):
    import pyreadstat

    path = tmp_path / "d.dta"
    pyreadstat.write_dta(_frame(), str(path))
    assert _roundtrip(mini, path).log.format == "dta"


def test_qualtrics_export(mini, tmp_path):
    df = _frame().rename(columns={"rid": "ResponseId", "secs": "Duration (in seconds)"})
    header2 = {c: f"Question text {c}" for c in df.columns}
    header3 = {c: '{"ImportId":"QID%d"}' % i for i, c in enumerate(df.columns)}
    full = pd.concat([pd.DataFrame([header2, header3]), df.astype(object)], ignore_index=True)
    path = tmp_path / "qualtrics.csv"
    full.to_csv(path, index=False)
    r = _roundtrip(mini, path)
    assert r.log.format == "qualtrics" and r.log.rows_read == 6
    assert r.all_rows["rid"].iloc[0] == "r1" and r.flags["speeder"].iloc[2]


def test_labels_as_text(mini):
    df = _frame().astype(object)
    df["c1"] = ["No", "Yes", "yes", "no", "Yes", "maybe"]
    r = cs.load_responses(mini, df)
    assert r.all_rows["c1"].tolist()[:5] == [0, 1, 1, 0, 1]
    assert [(p.row, p.value) for p in r.log.problems if p.column == "c1"] == [(6, "maybe")]
    assert r.codes.loc[6, "c1"] == "unparseable"


@pytest.mark.parametrize("content, suffix, expect", [
    (b"", ".csv", "empty"),
    (b"a,b\n1,2,3,4\n", ".csv", "broken CSV"),
    (b"not a zip", ".xlsx", "cannot read as xlsx"),
    (b"junk", ".sav", "cannot read as sav"),
    (b"junk", ".parquet", "cannot read as parquet"),
    (b"x", ".json", "unknown data format"),
])
def test_unreadable_files(mini, tmp_path, content, suffix, expect):
    path = tmp_path / f"d{suffix}"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expect) as err:
        cs.load_responses(mini, path)
    assert "\n" not in str(err.value)


def test_relevance(ccsi, ccsi_data):
    df = ccsi_data.copy()
    first_no = df.index[df["comp1"].astype(str).isin(["0", "0.0"])][0]
    df.loc[first_no, "comp_handle"] = 5
    r = cs.load_responses(ccsi, df)
    rel = [p for p in r.log.problems if p.rule == "relevance"]
    assert [(p.row, p.column) for p in rel] == [(first_no + 1, "comp_handle")]
    asked_no = r.codes["comp_handle"].eq("not_asked").sum()
    assert asked_no > 0.5 * len(df)


def test_numeric_ids_stay_whole_numbers(mini, tmp_path):
    df = _frame()
    df["rid"] = [1001, 1002, 1003, 1004, 1005, 1002]
    path = tmp_path / "d.xlsx"
    df.astype({"rid": float}).to_excel(path, index=False)
    r = cs.load_responses(mini, path)
    assert r.all_rows["rid"].tolist()[:2] == ["1001", "1002"]
    assert r.flags["duplicate"].iloc[5]


def test_one_rule_as_a_string(mini):
    r = cs.load_responses(mini, _frame(), exclude="speeder")
    assert r.log.excluded == {"speeder": 1}
