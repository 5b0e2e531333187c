"""Questionnaire features a new user missed (round 2): an open-text item (9), complaints
from a single yes/no item named in the study file (10), reversed items marked in the
question tables and the workbook (4), and the workbook's labels and words (19a)."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError

BANK = """\
id: bank
languages: [en, zh-CN]
title: {en: Retail bank survey, zh-CN: 零售银行调查}
scales:
  seven:
    type: rating
    min: 1
    max: 7
    anchors:
      1: {en: Strongly disagree, zh-CN: 非常不同意}
      7: {en: Strongly agree, zh-CN: 非常同意}
  yn:
    type: binary
    values:
      1: {en: "Yes", zh-CN: 是}
      2: {en: "No", zh-CN: 否}
sections:
  - id: main
    title: {en: Your bank, zh-CN: 您的银行}
    items:
      - {id: region, role: group, text: {en: Region, zh-CN: 地区}}
      - {id: staff_help, scale: seven, text: {en: Staff are helpful, zh-CN: 员工乐于助人}}
      - {id: app_easy, scale: seven, text: {en: The app is easy, zh-CN: 手机银行容易使用}}
      - {id: fees_hidden, scale: seven, reverse: true, text: {en: The bank charges hidden fees, zh-CN: 本行存在隐性收费}}
      - {id: overall_sat, scale: seven, text: {en: Overall satisfaction, zh-CN: 总体满意度}}
      - {id: meets_needs, scale: seven, text: {en: Meets my needs, zh-CN: 满足我的需求}}
      - {id: complained, scale: yn, text: {en: "Have you complained?", zh-CN: 您是否投诉过？}}
      - {id: handling_sat, scale: seven, text: {en: Complaint handling, zh-CN: 投诉处理满意度}}
      - {id: stay_bank, scale: seven, text: {en: I will stay, zh-CN: 我会继续使用本行}}
      - {id: more_products, scale: seven, text: {en: More products, zh-CN: 更多产品}}
      - {id: comment, type: text, text: {en: "Any other comments?", zh-CN: 其他意见或建议}}
constructs:
  SERV: {label: {en: Service, zh-CN: 服务}, items: [staff_help, app_easy, fees_hidden]}
  SAT: {label: {en: Satisfaction, zh-CN: 满意度}, items: [overall_sat, meets_needs]}
  LOY: {label: {en: Loyalty, zh-CN: 忠诚度}, items: [stay_bank, more_products]}
paths:
  - SAT ~ SERV
  - LOY ~ SAT
simulate:
  paths: {"SAT ~ SERV": 0.6, "LOY ~ SAT": 0.6}
"""


def _line_of(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def bank():
    return cs.parse_questionnaire(BANK, source="bank.yaml")


# -- 9: open-text items ---------------------------------------------------------------
def test_an_open_text_item_has_no_scale_and_role_other(bank):
    it = bank.items["comment"]
    assert it.open_text and it.scale is None and it.role == "other"
    assert bank.scale("comment") is None
    assert "comment" not in bank.model_spec().to_lavaan()


@pytest.mark.parametrize("change, needle, words", [
    ("[stay_bank, more_products]}", "LOY: {label",
     "construct 'LOY' uses open-text item 'comment'"),
    ("text, scale: seven,", "id: comment", "open-text item 'comment' has a scale"),
    ("text, role: nps,", "id: comment", "open-text item 'comment' has role 'nps'"),
])
def test_open_text_misuse_is_refused_at_its_line(change, needle, words):
    if change.startswith("["):
        text = BANK.replace(change, "[stay_bank, more_products, comment]}")
    else:
        text = BANK.replace("type: text,", "type: " + change)
    with pytest.raises(InputError) as e:
        cs.parse_questionnaire(text, source="bank.yaml")
    assert words in e.value.msg
    assert e.value.path == "bank.yaml" and e.value.line == _line_of(text, needle)


def test_open_answers_are_kept_as_text_and_wjx_blanks_are_missing(bank):
    df = cs.simulate(bank, 40, seed=2, groups={"region": ["E", "S"]},
                     settings=cs.simulation.SimulationSettings(messy=False))
    said = ["服务很好", "手续费太高, 希望降低", "(空)", "", "12"]
    df["comment"] = [said[k % len(said)] for k in range(len(df))]
    r = cs.load_responses(bank, df)
    got = r.all_rows["comment"]
    assert got.iloc[0] == "服务很好" and got.iloc[1] == "手续费太高, 希望降低"
    assert pd.isna(got.iloc[2]) and pd.isna(got.iloc[3])
    assert got.iloc[4] == "12"  # a number written as a comment stays the text written
    assert "comment" not in r.items.columns
    assert not [p for p in r.log.problems if p.column == "comment"]


def test_simulated_responses_leave_open_questions_blank_and_load(bank):
    plain = cs.parse_questionnaire(BANK.replace(
        "      - {id: comment, type: text, text: {en: \"Any other comments?\", "
        "zh-CN: 其他意见或建议}}\n", ""))
    df = cs.simulate(bank, 20, seed=4, groups={"region": ["E", "S"]})
    assert (df["comment"] == "").all()
    # the other columns are drawn as without the open question
    same = cs.simulate(plain, 20, seed=4, groups={"region": ["E", "S"]})
    pd.testing.assert_frame_equal(df.drop(columns="comment"), same)
    assert cs.load_responses(bank, df).all_rows["comment"].isna().all()


def test_wjx_header_past_the_questions_is_matched_by_its_text(bank):
    """问卷星 numbers every question it asked (the region too), so the comment is question
    11 there and 10 in the questionnaire: its header's text finds it."""
    from crmsurvey.fielding.instrument import question_numbers

    df = cs.simulate(bank, 15, seed=3, groups={"region": ["E", "S"]},
                     settings=cs.simulation.SimulationSettings(messy=False))
    df["comment"] = ""
    numbers = question_numbers(bank)
    assert numbers["comment"] == len(numbers)
    wjx = pd.DataFrame({"序号": range(1, len(df) + 1), "提交答卷时间": "2026/10/01 09:00:00",
                        "所用时间": "300秒"})
    zh = {i: bank.text(it.text, "zh-CN") for i, it in bank.items.items()}
    for item, n in numbers.items():
        wjx[f"{n}、{zh[item]}"] = df[item].to_numpy()
    wjx[f"{len(numbers) + 1}、地区"] = df["region"].to_numpy()
    wjx = wjx.rename(columns={f"{numbers['comment']}、{zh['comment']}":
                              f"{len(numbers) + 2}、{zh['comment']}"})
    wjx[f"{len(numbers) + 2}、{zh['comment']}"] = "(空)"
    wjx.loc[0, f"{len(numbers) + 2}、{zh['comment']}"] = "APP经常闪退"
    r = cs.load_responses(bank, wjx, mapping={f"{len(numbers) + 1}、地区": "region"})
    assert r.all_rows["comment"].iloc[0] == "APP经常闪退"
    assert r.all_rows["comment"].iloc[1:].isna().all()


@pytest.mark.parametrize("lang, words", [("en", "open question"), ("zh-CN", "开放题")])
def test_open_text_in_outline_codebook_and_printed_form(bank, lang, words):
    from crmsurvey.fielding.codebook import codebook
    from crmsurvey.fielding.printed import questionnaire_html
    from crmsurvey.questionnaire.show import outline

    shown = outline(bank, lang).splitlines()
    k = next(i for i, line in enumerate(shown) if line.strip().startswith("comment"))
    assert words in shown[k + 1]
    row = codebook(bank, lang).set_index("variable").loc["comment"]
    assert row.type == "text" and row.scale == "" and row.question == 10
    html = questionnaire_html(bank, lang)
    block = html[html.index("[comment]"):]
    block = block[:block.index('<div class="q')] if '<div class="q' in block else block
    assert block.count('class="line wide"') == 4  # lines to write on


# -- 10: complaints from a yes/no item named in the study --------------------------------
STUDY = """\
id: s
title: complaints
questionnaire: bank.yaml
data: [{path: d.csv}]
groups: [region]
min_group_size: 30
pls: {bootstrap: 0, fit_test: 0, predict_folds: 0}
cbsem: {}
compare: {permutations: 100, bootstrap: 100, seed: 1}
analytics:
  csat: {overall_sat: 6}
  complaints: {item: complained, handling: handling_sat, loyalty: LOY}
report:
  group_labels:
    region:
      East: {en: East region, zh-CN: 东部地区}
      South: {en: South region, zh-CN: 南部地区}
"""


def _study_folder(folder: Path, study: str = STUDY) -> Path:
    (folder / "bank.yaml").write_text(BANK, encoding="utf-8")
    (folder / "s.yaml").write_text(study, encoding="utf-8")
    if not (folder / "d.csv").exists():
        q = cs.parse_questionnaire(BANK)
        df = cs.simulate(q, 120, seed=5, groups={"region": ["East", "South"]},
                         settings=cs.simulation.SimulationSettings(messy=False))
        rng = np.random.default_rng(11)
        yes = rng.random(len(df)) < np.where(df.region == "East", 0.15, 0.35)
        df["complained"] = np.where(yes, 1, 2)
        df["handling_sat"] = np.where(yes, rng.integers(1, 8, len(df)), np.nan)
        df["comment"] = np.where(yes, "排队时间长", "")
        df.to_csv(folder / "d.csv", index=False)
    return folder / "s.yaml"


@pytest.fixture(scope="module")
def complaints_run(tmp_path_factory):
    from crmsurvey.study import load_study, run_study

    path = _study_folder(tmp_path_factory.mktemp("complaints"))
    done = run_study(load_study(path))
    return pd.read_csv(path.parent / "d.csv"), done.results, done.tables


def test_a_yes_no_item_named_in_the_study_gets_the_complaint_rows(complaints_run):
    df, r, _ = complaints_run
    a = r.analytics["complaints"]
    assert a["item"] == "complained" and a["construct"] is None and a["loyalty"] == "LOY"
    rows = {tuple(x["group"].values()): x for x in a["rows"]}
    for key, sub in [((), df), (("East",), df[df.region == "East"]),
                     (("South",), df[df.region == "South"])]:
        row, yes = rows[key], sub.complained == 1
        assert row["n"] == len(sub) and row["complainers"] == int(yes.sum())
        assert row["rate"] == pytest.approx(100 * yes.mean())
        assert row["handling"] == pytest.approx(sub.handling_sat[yes].mean())
        assert row["handling_n"] == int(yes.sum())
    assert a["loyalty_scored"] and rows[()]["difference"] == pytest.approx(
        rows[()]["loyalty_complainers"] - rows[()]["loyalty_others"])


@pytest.mark.parametrize("lang, words", [("en", "complained"), ("zh-CN", "投诉")])
def test_the_complaint_section_is_in_the_report_body(complaints_run, lang, words):
    from crmsurvey.report.context import build_context

    _, r, _ = complaints_run
    ctx = build_context(r, lang)["complaints"]
    assert ctx is not None and len(ctx["rows"]) == 3 and ctx["handling"]
    assert len(ctx["lines"]) == 3 and all(words in x or "抱怨" in x for x in ctx["lines"])


@pytest.mark.parametrize("entry, needle, words", [
    ("{item: region}", "complaints:", "not a yes/no (binary) item"),
    ("{item: complained, yes_code: 3}", "complaints:", "complaint code 3 is not a code"),
    ("{item: complained, handling: comment}", "complaints:",
     "complaint handling 'comment' is not a rating item"),
    ("{item: complained, loyalty: stay_bank}", "complaints:",
     "complaint loyalty 'stay_bank' is not a construct"),
])
def test_a_wrong_complaint_entry_is_refused_at_its_line(tmp_path, entry, needle, words):
    from crmsurvey.study import load_study

    study = STUDY.replace("{item: complained, handling: handling_sat, loyalty: LOY}", entry)
    with pytest.raises(InputError) as e:
        load_study(_study_folder(tmp_path, study))
    assert words in e.value.msg and e.value.line == _line_of(study, needle)


# -- 4: reversed items marked where their figures are shown ------------------------------
MARK = {"en": ("The bank charges hidden fees (reversed)", "Questions marked (reversed)"),
        "zh-CN": ("本行存在隐性收费（反向计分）", "（反向计分）")}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_reversed_item_is_marked_and_its_figures_are_reversed(complaints_run, lang):
    from crmsurvey.report.context import build_context

    df, r, _ = complaints_run
    ctx = build_context(r, lang)
    rows = {x["item"]: x for x in ctx["item_table"]}
    marked, note = MARK[lang]
    assert rows["fees_hidden"]["question"] == marked
    assert rows["app_easy"]["question"] == ("The app is easy" if lang == "en" else "手机银行容易使用")
    assert note in ctx["items_reversed_note"]
    # the figure shown is the mean on the reversed scale: 1 + 7 − the answer given
    whole = next(c for c in rows["fees_hidden"]["cells"] if c is not None and not c.group)
    raw = pd.to_numeric(df.fees_hidden, errors="coerce").dropna()
    assert whole.mean == pytest.approx((8 - raw).mean())
    assert whole.mean != pytest.approx(raw.mean())


# -- 19a: the workbook's words ------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_workbook_questions_and_reference_group_in_words(complaints_run, lang):
    import io

    import openpyxl

    from crmsurvey._catalogue import catalogue
    from crmsurvey.study.workbook import workbook

    _, r, tables = complaints_run
    local = r.model_copy(update={"study": r.study.model_copy(update={"language": lang})})
    book = openpyxl.load_workbook(io.BytesIO(workbook(tables, local)))
    w = catalogue(lang)
    sheet = book[w["sheet:item_results"][:31]]
    head = [c.value for c in sheet[1]]
    k, v = head.index(w["column:item"]), head.index(w["column:item_id"])
    pairs = {row[v].value: row[k].value for row in sheet.iter_rows(min_row=2)}
    assert pairs["fees_hidden"] == MARK[lang][0]
    assert pairs["staff_help"] == ("Staff are helpful" if lang == "en" else "员工乐于助人")
    diffs = book[w["sheet:differences"][:31]]
    head = [c.value for c in diffs[1]]
    names = {row[head.index(w["column:name"])].value for row in diffs.iter_rows(min_row=2)}
    assert not names & {"overall_sat", "LOY"}  # words, not codes
    assert {"Loyalty", "Overall satisfaction"} <= names if lang == "en" else \
        {"忠诚度", "总体满意度"} <= names
    means = book[w["sheet:latent_means"][:31]]
    head = [c.value for c in means[1]]
    ref = {row[head.index(w["column:reference"])].value for row in means.iter_rows(min_row=2)}
    labels = {"en": {"East region", "South region"}, "zh-CN": {"东部地区", "南部地区"}}[lang]
    assert ref and ref <= labels
    notes = {row[0].value: row[1].value for row in book[w["sheet:notes"][:31]].iter_rows()}
    assert "fees_hidden" in notes[w["sheet_note:reversed"]]


@pytest.mark.parametrize("entry", ["analytics: {csat: {comment: 6}}",
                                   "analytics: {typology: {attitude: comment, "
                                   "behaviour: stay_bank}}",
                                   "segments: {indicators: [SAT, comment]}"])
def test_a_study_naming_an_open_text_item_for_numbers_is_refused(tmp_path, entry):
    from crmsurvey.study import load_study

    study = STUDY.split("analytics:")[0] + entry + "\n"
    with pytest.raises(InputError) as e:
        load_study(_study_folder(tmp_path, study))
    assert "'comment' is an open-text item" in e.value.msg
    assert e.value.line == _line_of(study, entry)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_complaint_note_names_handling_only_when_there_is_one(complaints_run, lang):
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names
    from crmsurvey.report.sections.complaints import complaints_context

    _, r, _ = complaints_run
    t = strings(lang)
    with_h = complaints_context(r, Names(r, lang, t), t)
    assert with_h["note"] == t["complaints_note"].format(scale="1–7")
    part = dict(r.analytics["complaints"], handling=None, handling_scale=None)
    bare = r.model_copy(update={"analytics": dict(r.analytics, complaints=part)})
    assert complaints_context(bare, Names(bare, lang, t), t)["note"] == \
        t["complaints_note_nohandling"]
