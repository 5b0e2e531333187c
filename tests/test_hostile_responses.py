"""Hostile and misleading response files: platform exports whose numbers or codes are off,
text in mixed or legacy encodings, ambiguous columns, values and weights at the edges of
floating point, and files too large to read. Each ends with exit 2 naming the problem, or
with the data read right — never with answers silently on the wrong item."""
from __future__ import annotations

import time
import zipfile

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.fielding import question_numbers

from .test_hostile import cli, refused, study_file


@pytest.fixture(scope="module")
def ccsi():
    return cs.load_questionnaire("ccsi")


@pytest.fixture(scope="module")
def answers(ccsi):
    from crmsurvey.simulation import SimulationSettings

    return cs.simulate(ccsi, n=150, seed=4, settings=SimulationSettings(messy=False))


def _numbered(q, answers, fmt: str, extra: bool) -> pd.DataFrame:
    """Question columns headed ``fmt.format(n, text)``; with ``extra``, the platform's
    survey has one more question at the start (a phone number), so every number is one
    higher than the questionnaire's."""
    out = {}
    if extra:
        out[fmt.format(1, "请留下您的手机号码")] = ["138"] * len(answers)
    for item, n in question_numbers(q).items():
        out[fmt.format(n + extra, q.text(q.items[item].text, "zh-CN"))] = answers[item]
    out["brand"] = answers["brand"]
    return pd.DataFrame(out)


def _wjx(q, answers, extra=False) -> pd.DataFrame:
    head = pd.DataFrame({"序号": range(1, len(answers) + 1), "提交答卷时间": "2026/3/5 10:22",
                         "所用时间": [f"{int(v)}秒" for v in answers.duration_sec]})
    return pd.concat([head, _numbered(q, answers, "{}、{}", extra)], axis=1)


def _tencent(q, answers, extra=False) -> pd.DataFrame:
    head = pd.DataFrame({"编号": range(1, len(answers) + 1), "答题时长": "125秒"})
    return pd.concat([head, _numbered(q, answers, "第{}题：{}", extra)], axis=1)


# --- 1. a numbering shifted by an extra question ------------------------------------------

@pytest.mark.parametrize("export", [_wjx, _tencent])
def test_shifted_numbering_is_matched_by_text_and_said(ccsi, answers, tmp_path, export):
    path = tmp_path / "export.csv"
    export(ccsi, answers, extra=True).to_csv(path, index=False)
    res = cs.load_responses(ccsi, path)
    items = [i for i in question_numbers(ccsi) if ccsi.scale(i)]
    ref = cs.load_responses(ccsi, answers)
    np.testing.assert_allclose(res.all_rows[items].to_numpy(float),
                               ref.all_rows[items].to_numpy(float), equal_nan=True)
    note = next(n for n in res.log.notes if n.code == "headers_by_text")
    assert any(p.endswith("→ scr1") for p in note.params["pairs"])
    assert any("请留下您的手机号码" in c for n in res.log.notes
               if n.code == "platform_unmatched" for c in n.params["columns"])


def test_shifted_numbering_with_unclear_texts_is_exit_2(ccsi, answers, tmp_path):
    frame = _wjx(ccsi, answers, extra=True)
    # two headers now carry the same question's text: the texts do not decide alone
    frame = frame.rename(columns={"17、与您的预期相比，该品牌的表现":
                                  "17、总体而言，您对该品牌的满意程度"})
    frame.to_csv(tmp_path / "wjx.csv", index=False)
    line = refused("responses", "check", "ccsi", tmp_path / "wjx.csv",
                   message="numbered headers do not follow the questionnaire's numbering")
    assert "'3、该品牌的总体形象' → imag1" in line


# --- 2. option numbers instead of values ---------------------------------------------------

def _option_numbers(ccsi, answers, tmp_path):
    """问卷星's "按选项序号" download: each answer is the position of the option (NPS 0–10
    becomes 1–11, the binary 0/1 items 1/2; 1–10 scales read the same)."""
    frame = _wjx(ccsi, answers)
    for item, n in question_numbers(ccsi).items():
        col = f"{n}、{ccsi.text(ccsi.items[item].text, 'zh-CN')}"
        sc = ccsi.scale(item)
        if sc is not None and sc.type != "rating" or item == "nps":
            first = min(sc.values) if sc.type != "rating" else sc.min
            frame[col] = frame[col].where(frame[col].isin(list(sc.special)), frame[col] - first + 1)
    path = tmp_path / "wjx.csv"
    frame.to_csv(path, index=False)
    return path


def test_option_numbers_are_refused_with_the_download_setting(ccsi, answers, tmp_path):
    path = _option_numbers(ccsi, answers, tmp_path)
    line = refused("responses", "check", "ccsi", path, message="looks like option numbers")
    assert "按选项序号" in line and "option_numbers" in line


@pytest.mark.slow
def test_option_numbers_are_recoded_when_said(ccsi, answers, tmp_path):
    path = _option_numbers(ccsi, answers, tmp_path)
    res = cs.load_responses(ccsi, path, codes="option_numbers")
    ref = cs.load_responses(ccsi, answers)
    items = [i for i in question_numbers(ccsi) if ccsi.scale(i)]
    np.testing.assert_allclose(res.all_rows[items].to_numpy(float),
                               ref.all_rows[items].to_numpy(float), equal_nan=True)
    assert not res.log.set_missing() and any(n.code == "option_numbers" for n in res.log.notes)
    code, out, err, _ = cli("responses", "check", "ccsi", path, "--codes", "option_numbers")
    assert code == 0 and "answers set missing" not in out, err
    study = study_file(tmp_path, data=f"[{{path: {path.name}, codes: option_numbers}}]")
    code, _, err, _ = cli("run", study, "-o", tmp_path / "out")
    assert code == 0, err


# --- 3. encodings: strict, in a fixed order, never guessed -------------------------------

def _brand_file(ccsi, tmp_path, lines_as=None, encoding="utf-8"):
    """A small CCSI file whose brand column holds Chinese names; ``lines_as`` maps a data
    row (1-based) to the encoding that one line is written in."""
    df = cs.simulate(ccsi, 40, seed=2)
    df["brand"] = np.where(np.arange(len(df)) % 2 == 0, "品牌甲", "品牌乙")
    lines = df.to_csv(index=False, lineterminator="\n").splitlines(keepends=True)
    data = b"".join(line.encode((lines_as or {}).get(k, encoding))
                    for k, line in enumerate(lines))
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    return path


def test_a_utf8_file_with_one_gbk_line_is_refused_naming_the_line(ccsi, tmp_path):
    path = _brand_file(ccsi, tmp_path, lines_as={12: "gbk"})
    refused("responses", "check", "ccsi", path, message="d.csv:13: mixed text encodings: "
            "line 13 is not UTF-8")


def test_genuine_gbk_and_utf16_files_still_load_and_say_so(ccsi, tmp_path):
    res = cs.load_responses(ccsi, _brand_file(ccsi, tmp_path, encoding="gbk"))
    assert set(res.all_rows["brand"]) == {"品牌甲", "品牌乙"}
    assert res.log.encoding == "gb18030" and any(n.code == "read_gb18030" for n in res.log.notes)
    for enc in ("utf-16", "utf-8-sig"):
        res = cs.load_responses(ccsi, _brand_file(ccsi, tmp_path, encoding=enc))
        assert set(res.all_rows["brand"]) == {"品牌甲", "品牌乙"}


@pytest.mark.parametrize("text, encoding", [
    ("name,city\nMüller,Zürich\nSão,Paulo\n", "cp1252"),
    ("品牌,滿意度,推薦\n品牌甲,非常滿意,會推薦給朋友\n品牌乙,不滿意,服務質量很差\n", "big5"),
    ("ブランド,満足度\nブランド甲,とても満足\nブランド乙,不満\n", "shift_jis"),
])
def test_other_legacy_encodings_are_not_read_as_gb18030(tmp_path, text, encoding):
    from crmsurvey.responses.readers import read_table

    path = tmp_path / "d.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError, match="not UTF-8 .*read as GB18030|neither UTF-8"):
        read_table(path)
    table = read_table(path, encoding=encoding)  # named, it is read right
    assert text.splitlines()[1].split(",")[0] in set(table.frame.iloc[:, 0])


@pytest.mark.slow
def test_encoding_option_overrides_and_is_strict(ccsi, tmp_path):
    path = _brand_file(ccsi, tmp_path, encoding="gbk")
    code, out, err, _ = cli("responses", "check", "ccsi", path, "--encoding", "gbk")
    assert code == 0 and "read as gbk" in out, err
    refused("responses", "check", "ccsi", path, "--encoding", "utf-8",
            message="does not decode as utf-8")
    refused("responses", "check", "ccsi", path, "--encoding", "klingon",
            message="unknown text encoding 'klingon'")
    study = study_file(tmp_path, data=f"[{{path: {path.name}, encoding: utf-8}}]")
    refused("run", study, "-o", tmp_path / "out", message="does not decode as utf-8")


# --- 4. columns that name one item twice ------------------------------------------------

def test_two_columns_for_one_item_are_exit_2(ccsi, tmp_path):
    df = cs.simulate(ccsi, 60, seed=5)
    df.rename(columns={"sat1": "SAT1"}).assign(Sat1=1).to_csv(tmp_path / "d.csv", index=False)
    refused("responses", "check", "ccsi", tmp_path / "d.csv",
            message="columns 'SAT1' and 'Sat1' both name item 'sat1'")
    df.rename(columns={"sat1": "a", "sat2": "b"}).to_csv(tmp_path / "m.csv", index=False)
    refused("responses", "check", "ccsi", tmp_path / "m.csv", "--map", "a=sat1",
            "--map", "b=sat1", message="maps both 'a' and 'b' to item 'sat1'")


def test_a_numeric_xlsx_header_can_be_mapped(ccsi, tmp_path):
    df = cs.simulate(ccsi, 60, seed=5)
    df = df.rename(columns={"sat1": 15})
    df.to_excel(tmp_path / "d.xlsx", index=False)
    code, out, err, _ = cli("responses", "check", "ccsi", tmp_path / "d.xlsx", "--map", "15=sat1")
    assert code == 0 and "rows read 60" in out, err
    res = cs.load_responses(ccsi, df, mapping={"15": "sat1"})  # a DataFrame alike
    assert res.all_rows["sat1"].notna().sum() > 50


# --- 5. values and weights at the edges of floating point ---------------------------------

def test_infinite_answers_are_off_the_scale(ccsi):
    df = cs.simulate(ccsi, 60, seed=5)
    for col in ("sat1", "sat2", "weight"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df.loc[4, "sat1"], df.loc[5, "sat2"], df.loc[6, "weight"] = np.inf, -np.inf, np.inf
    res = cs.load_responses(ccsi, df)
    assert res.log.set_missing() == {"sat1": 1, "sat2": 1}
    assert res.codes.loc[5, "sat1"] == "out_of_range" and res.flags.loc[7, "invalid_weight"]
    with pytest.raises(InputError, match=r"first: row 7, weight inf"):
        cs.pls(ccsi, res)


def test_weight_errors_name_the_row_and_the_value(ccsi, tmp_path):
    df = cs.simulate(ccsi, 60, seed=5)
    df["weight"] = df["weight"].astype(object)
    df.loc[11, "weight"] = -3
    df.to_csv(tmp_path / "d.csv", index=False)
    refused("pls", "ccsi", tmp_path / "d.csv", message="first: row 12, weight -3")
    frame = pd.DataFrame({"w": [1.0, 2.0, "abc"]})
    with pytest.raises(InputError, match="first: row 2, weight 'abc'"):
        from crmsurvey._data import sampling_weights
        sampling_weights("w", frame)


@pytest.mark.filterwarnings("ignore::crmsurvey.errors.IndexWarning")
def test_weights_are_scale_free(ccsi):
    df = cs.simulate(ccsi, 120, seed=6)
    w = np.random.default_rng(1).uniform(0.5, 2, len(df))
    base = cs.pls(ccsi, df.assign(weight=w))
    for factor in (1e300, 1e-300):
        other = cs.pls(ccsi, df.assign(weight=w * factor))
        np.testing.assert_allclose(other.paths.est, base.paths.est, rtol=1e-12)
    from crmsurvey.analytics import nps_table

    answered = df[pd.to_numeric(df["nps"], errors="coerce") <= 10]
    unweighted = cs.pls(ccsi, df.assign(weight=1.0))
    nps = nps_table(answered.assign(weight=1.0), "nps", weights="weight")
    for value in (1e300, 1e-300):
        uniform = cs.pls(ccsi, df.assign(weight=value))
        assert uniform.paths.est.tolist() == unweighted.paths.est.tolist()
        other = nps_table(answered.assign(weight=value), "nps", weights="weight")
        pd.testing.assert_frame_equal(other, nps)
        assert np.isfinite(nps[["n_eff", "se"]].to_numpy()).all()


# --- 6. bounded reading ------------------------------------------------------------------

def _quick_refusal(*args, message: str) -> str:
    t = time.perf_counter()
    line = refused(*args, message=message)
    assert time.perf_counter() - t < 10  # interpreter start and imports included
    return line


def test_a_million_columns_are_refused_quickly_by_default(tmp_path):
    path = tmp_path / "wide.csv"
    with open(path, "w") as fh:
        fh.write(",".join(f"question_{k:07d}_text" for k in range(1_000_000)) + "\n")
        fh.write(",".join(["1"] * 10) + "\n")
    assert path.stat().st_size > 20e6
    _quick_refusal("responses", "check", "ccsi", path,
                   message="columns: more than the limit of 20,000")


def test_a_gigabyte_line_is_refused_by_the_default_size_limit(tmp_path):
    path = tmp_path / "line.csv"
    with open(path, "wb") as fh:  # sparse: takes no disk space
        fh.write(b"resp_id,")
        fh.truncate(1024**3)
    _quick_refusal("responses", "check", "ccsi", path,
                   message="more than the limit of 268,435,456 bytes")


@pytest.mark.slow
def test_lowered_limits_refuse_files_just_over_them(ccsi, tmp_path, monkeypatch):
    df = cs.simulate(ccsi, 60, seed=5)
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    size = path.stat().st_size
    monkeypatch.setenv("CRMSURVEY_MAX_RESPONSE_BYTES", str(size - 1))
    _quick_refusal("responses", "check", "ccsi", path, message="more than the limit of "
                   f"{size - 1:,} bytes")
    monkeypatch.setenv("CRMSURVEY_MAX_RESPONSE_BYTES", str(size))
    assert cli("responses", "check", "ccsi", path)[0] == 0

    lines = path.read_text().splitlines(keepends=True)
    lines[30] = lines[30].rstrip("\n") + " " * 400 + "\n"  # one long line
    path.write_text("".join(lines))
    monkeypatch.setenv("CRMSURVEY_MAX_RESPONSE_BYTES", "1000000")
    monkeypatch.setenv("CRMSURVEY_MAX_LINE_BYTES", "400")
    line = _quick_refusal("responses", "check", "ccsi", path, message="line 31 is too long")
    assert "d.csv:31" in line
    monkeypatch.setenv("CRMSURVEY_MAX_COLUMNS", "28")
    _quick_refusal("responses", "check", "ccsi", path, message="the header has 29 columns")


def test_an_xlsx_expanding_past_the_limit_is_refused_before_it_is_opened(ccsi, tmp_path,
                                                                        monkeypatch):
    path = tmp_path / "d.xlsx"
    cs.simulate(ccsi, 60, seed=5).to_excel(path, index=False)
    with zipfile.ZipFile(path) as zf:
        total = sum(i.file_size for i in zf.infolist())
    monkeypatch.setenv("CRMSURVEY_MAX_XLSX_BYTES", str(total - 1))
    _quick_refusal("responses", "check", "ccsi", path,
                   message=f"the workbook expands to {total:,} bytes")
    monkeypatch.setenv("CRMSURVEY_MAX_XLSX_BYTES", str(total))
    assert cli("responses", "check", "ccsi", path)[0] == 0


@pytest.mark.parametrize("value", ["-1", "0", "1e6", "lots"])
def test_limit_variables_are_validated(tmp_path, monkeypatch, value):
    path = tmp_path / "d.csv"
    path.write_text("resp_id\n1\n")
    monkeypatch.setenv("CRMSURVEY_MAX_COLUMNS", value)
    refused("responses", "check", "ccsi", path,
            message=f"CRMSURVEY_MAX_COLUMNS={value!r} is not a whole number")
