"""A consultant's per-wave exports (session 6, helper "files"): ids that restart in each
file, a file's constant wave or brand (``values:``), the whole sample's change across
waves of a different composition, answered group items numbered, reworded headers.

Data are simulated here (``cs.simulate``, numpy); expected values are written out from
the rules (a row count, a question number, a line of the study file)."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.simulation import SimulationSettings

CCSI = cs.load_questionnaire("ccsi")


def _wave_file(n: int, seed: int, *, brand: str = "Brand A") -> pd.DataFrame:
    """One wave's export: ids 1…n (as each wave's 问卷星 export numbers its rows), no
    wave column."""
    df = cs.simulate(CCSI, n, seed=seed, groups={"brand": [brand]},
                     settings=SimulationSettings(messy=False))
    df["resp_id"] = np.arange(1, n + 1)
    return df.drop(columns=["wave"])


def _study(folder, data: str, extra: str = "") -> str:
    text = ("id: files6\ntitle: {en: Files, zh-CN: 文件}\nquestionnaire: ccsi\n"
            f"data:\n{data}exclude: [duplicate]\n{extra}report: {{language: en}}\n")
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    return text


def _load(folder):
    from crmsurvey.study.load import load_study
    from crmsurvey.study.run import _load

    return _load(load_study(folder / "study.yaml"))


# --- 1. ids identify rows within their file ------------------------------------------

def test_ids_restarting_in_each_file_keep_every_row_a_repeat_within_a_file_is_excluded(
        tmp_path):
    a, b = _wave_file(120, 1), _wave_file(130, 2)
    a = pd.concat([a, a.iloc[[7]]], ignore_index=True)  # id 8 submitted twice in file a
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    _study(tmp_path, "  - {path: a.csv, values: {wave: '2025'}}\n"
                     "  - {path: b.csv, values: {wave: '2026'}}\n")
    data, logs, _ = _load(tmp_path)
    # ids 1…120 and 1…130 repeat across the files: 250 respondents, not 130
    assert len(data) == 120 + 130
    assert [log.rows_read for log in logs] == [121, 130]
    assert [log.excluded["duplicate"] for log in logs] == [1, 0]
    assert (data["wave"] == "2025").sum() == 120 and (data["wave"] == "2026").sum() == 130


def test_the_same_answers_in_a_later_file_are_still_a_duplicate(tmp_path):
    a, b = _wave_file(100, 3), _wave_file(100, 4)
    b = pd.concat([b, a.iloc[[5]].assign(resp_id=101)], ignore_index=True)  # new id
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    # two exports of one wave (fieldwork downloaded twice): a row of the first that the
    # second repeats under a new id is a second submission
    _study(tmp_path, "  - {path: a.csv, values: {wave: '2026'}}\n"
                     "  - {path: b.csv, values: {wave: '2026'}}\n")
    data, logs, _ = _load(tmp_path)
    assert len(data) == 200
    assert logs[1].excluded["duplicate"] == 1
    assert any(p.row == 101 and "row 6 of a.csv" in p.message for p in logs[1].problems)


def test_check_prints_one_line_when_rows_are_excluded(tmp_path, capsys):
    from crmsurvey.cli import main

    a = _wave_file(80, 5)
    a = pd.concat([a, a.iloc[[3, 9]]], ignore_index=True)
    a.to_csv(tmp_path / "a.csv", index=False)
    assert main(["responses", "check", "ccsi", str(tmp_path / "a.csv"), "--exclude",
                 "duplicate", "--value", "wave=2025"]) == 0
    err = capsys.readouterr().err
    assert "kept 80 of 82 rows; excluded: 2 duplicates (see the cleaning log above)" in err


@pytest.mark.slow
def test_run_prints_the_exclusions_and_header_notes(trend_results, tmp_path, capsys):
    from crmsurvey.cli.study import _problems
    from crmsurvey.notes import Note

    results = trend_results
    src = results.sample.sources[0].model_copy(update={"notes": [Note(
        "header_reworded", {"pairs": ["'8、与您期望相比，您的满意程度' → sat2"]})]})
    sample = results.sample.model_copy(update={
        "rows_read": 601, "rows_kept": 590, "sources": [src],
        "excluded": {"duplicate": 6, "speeder": 5, "attention": 0}})
    (tmp_path / "results.json").write_text(results.model_copy(update={"sample": sample})
                                           .to_json(), encoding="utf-8")
    _problems(tmp_path, False)
    err = capsys.readouterr().err
    assert ("kept 590 of 601 rows; excluded: 6 duplicates, 5 speeders "
            "(see cleaning_log.csv)") in err
    assert "'8、与您期望相比，您的满意程度' → sat2" in err


# --- 2. values: what a file holds but has no column for ------------------------------

def test_values_set_every_row_in_python():
    df = _wave_file(60, 6)
    r = cs.load_responses(CCSI, df.drop(columns=["gender"]),
                          values={"wave": "2025", "gender": 2})
    assert set(r.data["wave"]) == {"2025"}
    assert set(r.data["gender"]) == {2.0}
    # a column that holds the same value (or nothing) is fine; another value is refused
    same = df.assign(wave="2025")
    same.loc[3, "wave"] = None
    assert set(cs.load_responses(CCSI, same, values={"wave": "2025"}).data["wave"]) == {
        "2025"}
    with pytest.raises(InputError, match=r"holds '2024' in row 1 \(60 row\(s\) differ\)"):
        cs.load_responses(CCSI, df.assign(wave="2024"), values={"wave": "2025"})
    with pytest.raises(InputError, match="not a code of 'gender'"):
        cs.load_responses(CCSI, df.drop(columns=["gender"]),
                          values={"wave": "2025", "gender": 9})


def _line_of(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("entry, needle, message", [
    ("{wave: '2025', brandd: Brand A}", "brandd", "'brandd' is not an item"),
    ("{wave: '2025', gender: 7}", "gender", "7 is not a code of 'gender'"),
    ("{wave: '2025', brand: Brand B}", "brand: Brand B", "holds 'Brand A' in row 1"),
])
def test_a_wrong_value_is_refused_at_its_line(tmp_path, entry, needle, message):
    from crmsurvey.pipeline import run

    _wave_file(40, 7).to_csv(tmp_path / "a.csv", index=False)
    text = _study(tmp_path, f"  - path: a.csv\n    values: {entry}\n")
    line = _line_of(text, needle)
    with pytest.raises(InputError) as e:
        from crmsurvey.study.load import load_study

        run(load_study(tmp_path / "study.yaml"), tmp_path / "out")
    assert message in e.value.msg
    assert e.value.line == line and str(e.value.path).endswith("study.yaml")


# --- 3. the whole sample's change, only with the same groups in both waves -----------

_TREND = """id: files6_trend
title: {en: Trend, zh-CN: 趋势}
questionnaire: ccsi
data:
  - simulate: {n: 150, seed: 11, groups: {brand: [Brand A], wave: ["2025"]}}
  - simulate: {n: 150, seed: 12, groups: {brand: [Brand A, Brand B], wave: ["2026"]}}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
waves: wave
pls: {bootstrap: 200, tail_draws: 5, seed: 3, fit_test: 0, predict_folds: 0}
compare: {permutations: 100, bootstrap: 100, seed: 4}
ipma_target: LOY
report: {language: en}
"""

@pytest.fixture(scope="module")
def trend_results(tmp_path_factory):
    from crmsurvey.study.load import load_study
    from crmsurvey.study.results import load_results
    from crmsurvey.study.run import run_study

    root = tmp_path_factory.mktemp("files6_trend")
    (root / "study.yaml").write_text(_TREND, encoding="utf-8")
    done = run_study(load_study(root / "study.yaml"))
    (root / "results.json").write_text(done.results.to_json(), encoding="utf-8")
    return load_results(root / "results.json")


def test_composition_change_names_the_levels_of_one_wave_only():
    from crmsurvey.study.run import composition_change

    data = pd.DataFrame({"wave": ["2025"] * 3 + ["2026"] * 4,
                         "brand": ["A", "A", None, "A", "B", "B", "A"]})
    assert composition_change(data, "wave", "2026", "2025", ["brand"]) == {
        "brand": {"2026": ["B"]}}
    same = data.assign(brand=["A", "B", "B", "A", "B", "A", None])
    assert composition_change(same, "wave", "2026", "2025", ["brand"]) == {}
    swapped = data.assign(brand=["A", "A", "A", "B", "B", "B", "B"])
    assert composition_change(swapped, "wave", "2026", "2025", ["brand"]) == {
        "brand": {"2026": ["B"], "2025": ["A"]}}


@pytest.mark.slow
def test_no_whole_sample_change_when_the_waves_hold_different_groups(trend_results):
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names
    from crmsurvey.report.sections.trend import trend_context

    tr = trend_results.trend
    assert tr.only_in == {"brand": {"2026": ["Brand B"]}}
    changed = {json.dumps(d.group_a, sort_keys=True) for d in tr.changes}
    assert json.dumps({"wave": "2026"}) not in changed  # the whole sample: no change
    assert json.dumps({"brand": "Brand A", "wave": "2026"}, sort_keys=True) in changed
    said = {}
    for lang in ("en", "zh-CN"):
        t = strings(lang)
        said[lang] = trend_context(trend_results, Names(trend_results, lang, t), t,
                                   "95%")["trend"]["withheld"]
    assert said["en"] == ("The whole sample's change is not shown: 2026 includes Brand B, "
                          "2025 does not.")
    assert said["zh-CN"] == "未列出全部受访者的变化：2026年包含Brand B，2025年不包含。"
    from crmsurvey.report.render import build_html

    for lang, sentence in said.items():  # the report prints it in the trend section
        page = build_html(trend_results, lang=lang).replace("&#39;", "'")
        assert sentence in page


@pytest.mark.slow
def test_micom_between_the_waves_runs_on_the_groups_both_hold(trend_results):
    """MICOM between 2025 (Brand A) and 2026 (Brand A and B) on Brand A's respondents
    alone, and the methodology says so."""
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names
    from crmsurvey.report.sections.trend import trend_context

    tr = trend_results.trend
    assert tr.micom_groups == {"brand": ["Brand A"]}
    assert tr.micom, "MICOM between the waves ran"
    for lang, words in (("en", "run on the respondents of the groups both waves hold "
                                "(Brand A)"), ("zh-CN", "仅在两个年度均有的组（Brand A）的受访者上")):
        t = strings(lang)
        method = trend_context(trend_results, Names(trend_results, lang, t), t,
                               "95%")["trend"]["micom_method"]
        assert words in method


# --- 4 and 5. numbering of answered group items; headers whose text differs -----------

_Q = """id: files6_q
version: "1"
languages: [en, zh-CN]
title: {en: Files, zh-CN: 文件}
scales:
  five: {type: rating, min: 1, max: 5}
  ageband: {type: categorical, values: {1: "18-29", 2: "30-44", 3: "45-59", 4: "60+"}}
sections:
  - id: admin
    title: {en: Record, zh-CN: 记录}
    items:
      - {id: rid, role: id, text: {en: Response number, zh-CN: 序号}}
      - {id: secs, role: duration, text: {en: Time taken, zh-CN: 所用时间}}
      - {id: wave, role: group, text: {en: Survey wave, zh-CN: 调查波次}}
  - id: main
    title: {en: Main, zh-CN: 主要}
    items:
      - {id: q1, scale: five, text: {en: Coverage, zh-CN: 您对网络覆盖的满意度}}
      - {id: q2, scale: five, text: {en: Speed, zh-CN: 您对上网速度的满意度}}
      - {id: q3, scale: five, text: {en: Service, zh-CN: 您对客服服务的满意度}}
      - {id: s1, scale: five, text: {en: Overall, zh-CN: 您的总体满意度}}
      - {id: s2, scale: five, text: {en: Expectations, zh-CN: 与您的期望相比的满意度}}
      - {id: s3, scale: five, text: {en: Ideal, zh-CN: 与理想中的运营商相比的满意度}}
      - {id: age_band, role: group, scale: ageband, text: {en: Your age, zh-CN: 您的年龄段}}
constructs:
  Q: {label: {en: Quality, zh-CN: 质量}, items: [q1, q2, q3]}
  S: {label: {en: Satisfaction, zh-CN: 顾客满意度}, items: [s1, s2, s3]}
paths:
  - S ~ Q
"""


@pytest.fixture(scope="module")
def small_q(tmp_path_factory):
    path = tmp_path_factory.mktemp("files6_q") / "q.yaml"
    path.write_text(_Q, encoding="utf-8")
    return cs.load_questionnaire(path)


def _wjx(n: int, seed: int, headers: dict[str, str]) -> pd.DataFrame:
    """A 问卷星 export ("按选项序号"): 序号, 提交答卷时间, 所用时间, then the numbered
    questions with ``headers`` as their texts."""
    rng = np.random.default_rng(seed)
    lat = rng.normal(size=n)
    out = pd.DataFrame({"序号": np.arange(1, n + 1),
                        "提交答卷时间": "2026/9/1 09:15:33",
                        "所用时间": [f"{s}秒" for s in rng.integers(250, 400, n)]})
    for k, (item, text) in enumerate(headers.items(), 1):
        col = f"{k}、{text}"
        out[col] = (rng.integers(1, 5, n) if item == "age_band" else
                    np.clip(np.rint(3 + lat + rng.normal(0, .7, n)), 1, 5).astype(int))
    return out


_HEADERS = {"q1": "您对网络覆盖的满意度", "q2": "您对上网速度的满意度",
            "q3": "您对客服服务的满意度", "s1": "您的总体满意度",
            "s2": "与您的期望相比的满意度", "s3": "与理想中的运营商相比的满意度",
            "age_band": "您的年龄段"}


def test_an_answered_group_item_is_numbered_and_its_header_lines_up(small_q):
    from crmsurvey.fielding.instrument import question_numbers, questions

    # q1…s3 are questions 1–6; the age band, a group item respondents answer, is 7;
    # the wave (a group item without a scale) is recorded, not asked
    assert question_numbers(small_q) == {"q1": 1, "q2": 2, "q3": 3, "s1": 4, "s2": 5,
                                         "s3": 6, "age_band": 7}
    printed = {x.id: x.number for x in questions(small_q, "zh-CN")}
    assert printed["age_band"] == 7 and printed["wave"] is None
    r = cs.load_responses(small_q, _wjx(50, 1, _HEADERS), values={"wave": "2026"})
    assert r.data["age_band"].between(1, 4).all() and len(r.data) == 50
    assert not [n for n in r.log.notes if n.code in ("header_reworded", "header_mismatch")]


def test_a_missing_column_names_the_header_that_carries_its_text(small_q):
    # the age band's column without its question number (typed in by hand): not
    # recognised as question 7, so the item has no column — the message names it
    df = _wjx(30, 2, _HEADERS).rename(columns={"7、您的年龄段": "您的年龄段"})
    with pytest.raises(InputError) as e:
        cs.load_responses(small_q, df, values={"wave": "2026"})
    assert "missing required column" in e.value.msg
    assert "column '您的年龄段' carries its text" in e.value.msg
    assert "您的年龄段" in e.value.hint


def test_a_reworded_header_is_matched_by_number_and_flagged(small_q, tmp_path, capsys):
    from crmsurvey.cli import main
    from crmsurvey.notes import note_text

    headers = dict(_HEADERS, s2="与您期望相比，您的满意程度")
    df = _wjx(40, 3, headers)
    r = cs.load_responses(small_q, df, values={"wave": "2026"})
    assert r.data["s2"].notna().all()  # matched by its number
    flagged = [n for n in r.log.notes if n.code == "header_reworded"]
    assert [n.params["pairs"] for n in flagged] == [["'5、与您期望相比，您的满意程度' → s2"]]
    zh = note_text(flagged[0], "zh-CN")
    assert "按编号匹配" in zh and "'5、与您期望相比，您的满意程度' → s2" in zh
    # responses check says it on the terminal
    df.to_csv(tmp_path / "w.csv", index=False)
    main(["responses", "check", str(small_q.path), str(tmp_path / "w.csv"),
          "--value", "wave=2026"])
    out = capsys.readouterr().out
    assert re.search(r"note: numbered header matched by its number although its text is "
                     r"not the question's wording .*'5、与您期望相比，您的满意程度' → s2", out)


@pytest.mark.slow
def test_run_says_a_reworded_header_in_words(small_q, tmp_path, capsys):
    """``crmsurvey run`` names a reworded 问卷星 header on the terminal as ``responses
    check`` does: the note's wording, not the stored record (code and parameters)."""
    import shutil

    from crmsurvey.cli import main

    headers = dict(_HEADERS, s2="与您期望相比，您的满意程度")
    _wjx(120, 4, headers).to_csv(tmp_path / "w.csv", index=False)
    shutil.copy(small_q.path, tmp_path / "q.yaml")
    (tmp_path / "study.yaml").write_text(
        "id: reworded\ntitle: Reworded\nquestionnaire: q.yaml\n"
        "data: [{path: w.csv, values: {wave: '2026'}}]\npls: {bootstrap: 0}\n"
        "report: {language: en}\n", encoding="utf-8")
    code = main(["run", str(tmp_path / "study.yaml"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert not code, err
    said = [ln for ln in err.splitlines() if ln.startswith("note: ")]
    assert said and all("code=" not in ln and "params=" not in ln for ln in said)
    assert any("numbered header matched by its number" in ln for ln in said)
