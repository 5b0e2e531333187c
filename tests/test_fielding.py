"""From the YAML to the field and back: printed questionnaire, codebook, Qualtrics and
LimeSurvey exports with simulated platform response exports, Qualtrics import, and the
header conventions of 问卷星 and 腾讯问卷."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.fielding import question_numbers, questions
from crmsurvey.fielding.codebook import codebook, write_codebook
from crmsurvey.fielding.limesurvey import limesurvey_code, to_limesurvey
from crmsurvey.fielding.qualtrics import from_qsf, to_qsf, write_qsf
from crmsurvey.questionnaire.relevance import evaluate, parse_relevance


@pytest.fixture(scope="module")
def ccsi():
    return cs.load_questionnaire("ccsi")


@pytest.fixture(scope="module")
def answers(ccsi):
    """Simulated CCSI answers (codes), without the duplicates the simulator plants."""
    from crmsurvey.simulation import SimulationSettings

    return cs.simulate(ccsi, n=150, seed=4, groups={"brand": ["A", "B"]},
                       settings=SimulationSettings(messy=False))


def _same_rows(res, answers, items):
    """The platform export loads to the same values (and codes: blank, dont_know, …) as
    the simulated answers loaded directly."""
    ref = cs.load_responses(res.questionnaire, answers)
    assert res.log.rows_read == ref.log.rows_read
    same_values = np.allclose(res.all_rows[items].to_numpy(float),
                              ref.all_rows[items].to_numpy(float), equal_nan=True)
    same_codes = (res.codes[items].fillna("").to_numpy()
                  == ref.codes[items].fillna("").to_numpy()).all()
    return same_values and same_codes


# -- printed questionnaire and codebook ---------------------------------------------------
def test_questions_are_numbered_as_asked_and_routing_is_written_out(ccsi):
    qs = {x.id: x for x in questions(ccsi, "en")}
    assert qs["resp_id"].number is None and qs["brand"].number is None  # recorded
    assert qs["scr1"].number == 1 and qs["nps"].number == 22
    assert qs["comp_handle"].routing == "Ask if Q18 comp1 = 1 “Yes”"
    zh = {x.id: x for x in questions(ccsi, "zh-CN")}
    assert zh["comp_handle"].routing == "仅当 第18题 comp1 = 1“是”时询问"
    assert [o.code for o in qs["imag1"].options] == [*range(1, 11), 98, 99]
    assert [o.special for o in qs["imag1"].options][-2:] == [True, True]


@pytest.mark.parametrize("lang, second", [("zh-CN", None), ("en", None), ("zh-CN", "en")])
def test_printed_questionnaire_pdf(ccsi, tmp_path, lang, second):
    """The PDF renders; its text (pdftotext-free: the HTML) holds every question in the
    language asked for and no other — and the Chinese version no English question."""
    from crmsurvey.fielding import print_questionnaire, questionnaire_html

    out = print_questionnaire(ccsi, tmp_path / "q.pdf", lang, second=second)
    assert out.read_bytes().startswith(b"%PDF-") and out.stat().st_size > 20_000
    html = questionnaire_html(ccsi, lang, second=second)
    for x in questions(ccsi, lang):
        assert x.text.replace("'", "&#39;").replace('"', "&#34;") in html
    english = [x.text for x in questions(ccsi, "en")]
    if lang == "zh-CN" and second is None:
        assert not any(t.replace("'", "&#39;").replace('"', "&#34;") in html for t in english)
        assert "Ask if" not in html and "Don't know" not in html and "Recorded" not in html


def test_printed_questionnaire_refuses_unknown_language(ccsi, tmp_path):
    from crmsurvey.fielding import print_questionnaire

    with pytest.raises(cs.InputError, match="not a language of the questionnaire"):
        print_questionnaire(ccsi, tmp_path / "q.pdf", "fr")


def test_item_text_is_escaped_in_the_printed_questionnaire(tmp_path):
    from crmsurvey.fielding import questionnaire_html

    q = cs.parse_questionnaire("""
id: t
title: T
scales: {five: {type: rating, min: 1, max: 5}}
sections:
  - id: s
    items:
      - {id: a, scale: five, text: "<img src='http://evil.example/x.png'> rate", note: "<b>probe</b>"}
""")
    html = questionnaire_html(q)
    assert "<img src=" not in html and "&lt;img" in html and "&lt;b&gt;probe" in html


def test_codebook_rows_and_files(ccsi, tmp_path):
    cb = codebook(ccsi)
    assert list(cb.variable) == list(ccsi.items)
    row = cb.set_index("variable").loc["imag1"]
    assert row["text_zh-CN"] == "该品牌的总体形象" and row.text_en == "The brand's overall image"
    assert row.codes.startswith("1=非常差; 2; 3") and row.codes.endswith("10=非常好")
    assert row.special == "98=不知道; 99=不适用" and row.missing == "-9"
    assert row.construct == "IMAG" and row.question == 2
    assert cb.set_index("variable").loc["comp_handle", "routing"] == "comp1 == 1"
    for suffix in (".xlsx", ".csv", ".pdf"):
        write_codebook(ccsi, tmp_path / f"cb{suffix}")
    assert pd.read_excel(tmp_path / "cb.xlsx").variable.tolist() == list(ccsi.items)
    assert (tmp_path / "cb.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel + Chinese
    assert pd.read_csv(tmp_path / "cb.csv", encoding="utf-8-sig").shape == cb.shape
    assert (tmp_path / "cb.pdf").read_bytes().startswith(b"%PDF-")


# -- Qualtrics ----------------------------------------------------------------------------
def _qualtrics_export(qsf: dict, answers: pd.DataFrame, q) -> str:
    """A response export in Qualtrics' CSV layout ("numeric values"), built from the survey
    file alone: metadata columns, each question's DataExportTag, its text and ImportId in
    header rows 2 and 3, the recode value of the chosen choice, embedded data last."""
    sq = [e["Payload"] for e in qsf["SurveyElements"] if e["Element"] == "SQ"]
    flow = next(e for e in qsf["SurveyElements"] if e["Element"] == "FL")["Payload"]
    embedded = [f["Field"] for f in flow["Flow"] if f["Type"] == "EmbeddedData"
                for f in f["EmbeddedData"]]
    meta = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "UserLanguage"]
    cols = meta + [p["DataExportTag"] for p in sq] + embedded
    text = ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)",
            "Finished", "Recorded Date", "Response ID", "User Language"] + \
        [p["QuestionText"] for p in sq] + embedded
    ids = [json.dumps({"ImportId": m}) for m in meta] + \
        [json.dumps({"ImportId": p["QuestionID"]}) for p in sq] + \
        [json.dumps({"ImportId": f}) for f in embedded]
    body = pd.DataFrame(index=range(len(answers)))
    body["StartDate"] = "2026-03-05 10:00:00"
    body["EndDate"] = "2026-03-05 10:05:00"
    body["Status"] = "IP Address"
    body["Progress"] = "100"
    body["Duration (in seconds)"] = answers["duration_sec"].round().astype(int).astype(str)
    body["Finished"] = "True"
    body["RecordedDate"] = "2026-03-05 10:05:01"
    body["ResponseId"] = answers["resp_id"].astype(str)
    body["UserLanguage"] = "ZH-S"
    for p in sq:
        tag = p["DataExportTag"]
        col = answers[tag]
        if p["QuestionType"] == "MC":  # the choice the respondent clicked, exported recoded
            choice_of = {int(v): k for k, v in p["RecodeValues"].items()}
            codes = pd.to_numeric(col, errors="coerce")
            missing = set(q.scale(tag).missing)
            assert set(codes.dropna().astype(int)) <= set(choice_of) | missing, tag
            body[tag] = codes.map(lambda v: p["RecodeValues"][choice_of[int(v)]]
                                  if v == v and int(v) in choice_of else "")
        else:
            body[tag] = col.map(lambda v: "" if pd.isna(v) else str(v))
    for f in embedded:
        body[f] = answers[f].astype(str)
    head = pd.DataFrame([text, ids], columns=cols)
    return pd.concat([head, body[cols]], ignore_index=True).to_csv(index=False)


def test_qualtrics_round_trip_loads_with_no_mapping(ccsi, answers, tmp_path):
    qsf = json.loads(write_qsf(ccsi, tmp_path / "ccsi.qsf").read_text(encoding="utf-8"))
    sq = {e["Payload"]["DataExportTag"]: e["Payload"] for e in qsf["SurveyElements"]
          if e["Element"] == "SQ"}
    assert list(sq) == [i for i, it in ccsi.items.items()
                        if it.role not in ("id", "duration", "weight", "group")]
    assert sq["imag1"]["Language"]["ZH-S"] if ccsi.languages[0] != "zh-CN" else \
        sq["imag1"]["Language"]["EN"]["QuestionText"] == "The brand's overall image"
    logic = sq["comp_handle"]["DisplayLogic"]["0"]["0"]
    assert logic["Operator"] == "Selected" and logic["QuestionID"] == sq["comp1"]["QuestionID"]
    assert sq["comp1"]["RecodeValues"][logic["ChoiceLocator"].rsplit("/", 1)[1]] == "1"
    path = tmp_path / "export.csv"
    path.write_text(_qualtrics_export(qsf, answers, ccsi), encoding="utf-8")
    res = cs.load_responses(ccsi, path)
    assert res.log.format == "qualtrics" and res.log.rows_read == len(answers)
    fielded = [i for i in sq if i in res.all_rows]
    assert _same_rows(res, answers, [i for i in fielded if ccsi.scale(i)])
    assert res.all_rows["resp_id"].astype(str).tolist() == answers.resp_id.astype(str).tolist()
    assert (res.all_rows["brand"] == answers["brand"].to_numpy()).all()


def test_qualtrics_import_gives_the_same_instrument(ccsi, tmp_path):
    write_qsf(ccsi, tmp_path / "ccsi.qsf")
    text = from_qsf(tmp_path / "ccsi.qsf")
    assert text.startswith("# Imported from the Qualtrics survey file")
    assert "Constructs and paths" in text
    q2 = cs.parse_questionnaire(text)  # valid on first load
    assert q2.languages == ccsi.languages and q2.definition.constructs == {}
    fielded = [i for i in q2.items if i != "brand" and i != "wave"]
    assert fielded == [i for i, it in ccsi.items.items()
                       if it.role not in ("id", "duration", "weight", "group")]
    for item in fielded:
        a, b = ccsi.items[item], q2.items[item]
        assert {la: ccsi.text(a.text, la) for la in ccsi.languages} == \
            {la: q2.text(b.text, la) for la in q2.languages}, item
        for la in ccsi.languages:
            assert [(o.code, o.label, o.special) for o in questions_by_id(ccsi, la)[item]] == \
                [(o.code, o.label, o.special) for o in questions_by_id(q2, la)[item]], item
    assert q2.scale("nps").special == {98: "dont_know"}
    assert q2.items["brand"].role == "group"
    sec = next(s for s in q2.sections if any(i.id == "comp_handle" for i in s.items))
    assert parse_relevance(sec.relevance) == parse_relevance("comp1 == 1")


def questions_by_id(q, lang):
    return {x.id: x.options for x in questions(q, lang)}


def test_qualtrics_logic_with_lists_and_and_or_survives_the_trip(tmp_path):
    q = cs.parse_questionnaire("""
id: t
title: T
scales:
  five: {type: rating, min: 1, max: 5}
  yn: {type: binary, values: {0: "No", 1: "Yes"}}
sections:
  - id: a
    items: [{id: x, scale: five, text: X}, {id: y, scale: yn, text: Y}]
  - id: b
    relevance: "x in [4, 5] and y == 1 or x == 1"
    items: [{id: z, scale: five, text: Z}]
""")
    write_qsf(q, tmp_path / "t.qsf")
    q2 = cs.parse_questionnaire(from_qsf(tmp_path / "t.qsf"))
    rel = next(s.relevance for s in q2.sections if any(i.id == "z" for i in s.items))
    grid = pd.DataFrame([(x, y) for x in range(1, 6) for y in (0, 1)], columns=["x", "y"])
    want = evaluate(parse_relevance("x in [4, 5] and y == 1 or x == 1"), grid)
    assert (evaluate(parse_relevance(rel), grid) == want).all()


def test_broken_qsf_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.qsf"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(cs.InputError, match="not a Qualtrics survey file"):
        from_qsf(bad)


# -- LimeSurvey ---------------------------------------------------------------------------
def test_limesurvey_round_trip(ccsi, answers, tmp_path):
    tsv = to_limesurvey(ccsi)
    rows = pd.read_csv(pd.io.common.StringIO(tsv), sep="\t", dtype=str, keep_default_na=False)
    qrows = rows[(rows["class"] == "Q") & (rows.language == "en")]
    fielded = [i for i, it in ccsi.items.items() if it.role not in ("id", "duration", "weight")]
    assert qrows.name.tolist() == [limesurvey_code(i) for i in fielded]
    assert rows.loc[(rows["class"] == "G") & rows.name.eq("Complaint handling"),
                    "relevance"].item() == "(comp1.NAOK == 1)"
    answers_en = rows[(rows["class"] == "A") & (rows.language == "en")]
    imag1 = qrows.loc[qrows.name == "imag1", "id"].item()
    assert answers_en[answers_en.id == imag1].name.tolist() == [str(k) for k in
                                                               [*range(1, 11), 98, 99]]
    # a response export ("answer codes", "question code" headings, with timings)
    export = pd.DataFrame({"id": range(1, len(answers) + 1),
                           "submitdate": "2026-03-05 10:05:01", "lastpage": 10,
                           "startlanguage": "zh-CN", "seed": 123})
    for item in fielded:
        export[limesurvey_code(item)] = answers[item].to_numpy()
    export["interviewtime"] = answers["duration_sec"].to_numpy()
    path = tmp_path / "results-survey123.csv"
    export.to_csv(path, index=False)
    res = cs.load_responses(ccsi, path)
    assert res.log.format == "limesurvey"
    assert _same_rows(res, answers, [i for i in fielded if ccsi.scale(i)])
    assert np.allclose(res.all_rows["duration_sec"], answers["duration_sec"])
    headers = next(n for n in res.log.notes if n.code == "platform_headers")
    assert "'comphandle' → comp_handle" in headers.params["pairs"]


# -- 问卷星 and 腾讯问卷 -------------------------------------------------------------------
def _wjx_export(q, answers):
    numbers = question_numbers(q)
    cols = {"序号": range(1, len(answers) + 1),
            "提交答卷时间": "2026/3/5 10:22:13",
            "所用时间": [f"{int(round(v))}秒" for v in answers.duration_sec],
            "来源": "手机提交", "来源详情": "直接访问", "来自IP": "1.2.3.4(上海-上海)"}
    out = pd.DataFrame(cols)
    for item, n in numbers.items():
        out[f"{n}、{q.text(q.items[item].text, 'zh-CN')}"] = answers[item].to_numpy()
    out["品牌"] = answers.brand.to_numpy()
    return out


def test_wjx_export_loads_by_question_number(ccsi, answers, tmp_path):
    path = tmp_path / "wjx.xlsx"
    _wjx_export(ccsi, answers).to_excel(path, index=False)
    res = cs.load_responses(ccsi, path, mapping={"品牌": "brand"})
    assert res.log.format == "wjx" and res.log.rows_read == len(answers)
    asked = list(question_numbers(ccsi))
    assert _same_rows(res, answers, [i for i in asked if ccsi.scale(i)])
    assert np.allclose(res.all_rows.duration_sec, answers.duration_sec.round())
    assert res.all_rows.resp_id.astype(int).tolist() == list(range(1, len(answers) + 1))
    unmatched = next(n for n in res.log.notes if n.code == "platform_unmatched")
    assert unmatched.params["platform"] == "问卷星"
    for col in ("来源", "来源详情", "来自IP"):
        assert col in unmatched.params["columns"]


def test_wjx_matrix_rows_and_wrong_numbers(ccsi, answers, tmp_path):
    """A matrix question (5 with rows) is matched by its rows' texts; a numbered header
    whose text is not that question's is matched by number and flagged."""
    frame = _wjx_export(ccsi, answers)
    quality = ["qual1", "qual2", "qual3", "qual4"]
    for item in quality:
        old = f"{question_numbers(ccsi)[item]}、{ccsi.text(ccsi.items[item].text, 'zh-CN')}"
        frame = frame.rename(columns={old: f"8({ccsi.text(ccsi.items[item].text, 'zh-CN')})"})
    frame = frame.rename(columns={"2、该品牌的总体形象": "2、完全不同的一道题目内容"})
    path = tmp_path / "wjx.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    res = cs.load_responses(ccsi, path, mapping={"品牌": "brand"})
    assert _same_rows(res, answers, quality)
    assert any("'2、完全不同的一道题目内容' → imag1" in n.params.get("pairs", [])
               for n in res.log.notes if n.code == "header_mismatch")


def test_tencent_export(ccsi, answers, tmp_path):
    numbers = question_numbers(ccsi)
    out = pd.DataFrame({"编号": range(1, len(answers) + 1),
                        "开始答题时间": "2026-03-05 10:00:00",
                        "结束答题时间": "2026-03-05 10:05:00",
                        "答题时长": [f"{int(v // 60)}分{int(v % 60)}秒"
                                  for v in answers.duration_sec.round()]})
    for item, n in numbers.items():
        out[f"第{n}题：{ccsi.text(ccsi.items[item].text, 'zh-CN')}"] = answers[item].to_numpy()
    out["brand"] = answers.brand.to_numpy()
    path = tmp_path / "tencent.csv"
    out.to_csv(path, index=False)
    res = cs.load_responses(ccsi, path)
    assert res.log.format == "tencent"
    assert _same_rows(res, answers, [i for i in numbers if ccsi.scale(i)])
    assert np.allclose(res.all_rows.duration_sec, answers.duration_sec.round())


# -- command line -------------------------------------------------------------------------
@pytest.mark.slow
def test_questionnaire_commands(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "crmsurvey.cli", "questionnaire", *args],
                              capture_output=True, text=True)

    assert run("print", "ccsi", "--lang", "en", "-o", str(tmp_path / "q.pdf")).returncode == 0
    assert run("codebook", "ccsi", "-o", str(tmp_path / "cb.xlsx")).returncode == 0
    assert run("export", "ccsi", "-o", str(tmp_path / "c.qsf")).returncode == 0
    assert run("export", "ccsi", "-o", str(tmp_path / "c.txt")).returncode == 0
    done = run("import", str(tmp_path / "c.qsf"), "-o", str(tmp_path / "c.yaml"))
    assert done.returncode == 0, done.stderr
    assert run("validate", str(tmp_path / "c.yaml")).returncode == 0
    bad = run("print", "ccsi", "--lang", "fr", "-o", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
