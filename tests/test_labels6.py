"""Group levels by their labels, the kind tag of a question, the groups a table leaves
out, and plural forms in the catalogues (issue 27, session 6, helper "labels").

A coded group item (age band 1/2/3 with labels in both languages, read back from a CSV
as numbers) is shown by its questionnaire label in the report's language, never as the
float "1.0"; a group skipped for too few respondents is named beside every table of
the headline wave's groups that leaves it out; a 1–10 question outside the model is not
tagged NPS; "1 are significant" is gone (gettext plural forms)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmsurvey._catalogue import Plural, catalogue, plural_form
from crmsurvey._data import level_names

from ._studies import ROOT, study_run

LABELS = {"en": {"1": "18 to 34", "2": "35 to 54", "3": "55 and over"},
          "zh-CN": {"1": "18至34岁", "2": "35至54岁", "3": "55岁及以上"}}
SMALL = 35  # respondents of level 3: fewer than the study's 50


# --- the level names the results key groups by ----------------------------------------------

def test_level_names_write_codes_as_integers():
    s = pd.Series([1.0, np.nan, 12.0, 2.0], name="age_band")
    out = level_names(s)
    assert out.tolist()[0] == "1" and out.tolist()[2:] == ["12", "2"]
    assert pd.isna(out.iloc[1])
    # a code that is no whole number keeps its decimals; text stays as written
    assert level_names(pd.Series([1.5])).tolist() == ["1.5"]
    text = pd.Series(["North", None])
    assert level_names(text) is text


def test_nps_table_by_a_coded_item_names_levels_as_codes_in_their_order():
    from crmsurvey.analytics import nps_table

    rng = np.random.default_rng(3)
    codes = np.repeat([1.0, 2.0, 10.0], 40)
    data = pd.DataFrame({"rec": rng.integers(0, 11, codes.size), "band": codes})
    table = nps_table(data, "rec", by="band")
    assert table.group.tolist() == ["all", "1", "2", "10"]
    # each level's NPS is its rows' own: promoters (9–10) minus detractors (0–6), in %
    for level, code in (("1", 1.0), ("10", 10.0)):
        x = data.rec[data.band == code]
        expected = 100 * ((x >= 9).mean() - (x <= 6).mean())
        assert table.set_index("group").loc[level, "nps"] == pytest.approx(expected)


# --- plural forms --------------------------------------------------------------------------

def test_count_sentences_have_plural_forms_in_english_and_one_form_in_chinese():
    en, zh = catalogue("en"), catalogue("zh-CN")
    for key in ("cmp_reading", "cmp_reading_warranted", "cmp_reading_client",
                "cmp_reading_client_warranted", "finding:pairs_significant",
                "groups_left_out", "diagnostic:lonely_psu", "diagnostic:set_missing"):
        assert isinstance(en[key], Plural) and len(en[key].forms) == 2, key
        assert isinstance(zh[key], Plural) and len(zh[key].forms) == 1, key
    one = en["cmp_reading"].format(n=1, m=4)
    assert one == "1 of 4 index differences between pairs of groups is significant."
    assert en["cmp_reading"].format(n=2, m=4).endswith(" are significant.")
    assert en["cmp_reading"].format(n=0, m=4).endswith(" are significant.")
    assert "1 is significant" in en["finding:pairs_significant"].format(n=1, m=6, entries="x")
    # the count a comment names (#. count: m), not {n} or {k}
    assert en["scorecard_rank_none"].format(m=1, construct="Loyalty").startswith(
        "Ranks follow the point estimates: the 1 tested difference between")
    assert "of the 3 tested differences" in en["scorecard_rank_none"].format(
        m=3, construct="Loyalty")
    # a count as the report writes it (grouped digits) picks the form too
    assert en["groups_left_out"].format(groups="A", reason="r", n="1") == "A is not shown: r."
    assert zh["cmp_reading"].format(n=1, m=4) == zh["cmp_reading"].format(n=1, m=4)
    assert "1项显著" in zh["cmp_reading"].format(n=1, m=4)
    # the form for code that formats a template another way (markupsafe in findings.py)
    assert plural_form(en["cmp_reading"], {"n": 1}).endswith("is significant.")
    assert plural_form("plain {n}", {"n": 1}) == "plain {n}"


def test_no_english_count_sentence_says_one_with_a_plural_verb():
    """Every count sentence of the English catalogue, filled with a count of 1 (and 2 for
    the others it names), reads "1 is" / "1 has", never "1 are" / "1 have" / "1 were"."""
    import string

    en = catalogue("en")
    bad = []
    for key, text in en.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        count = text.counter if isinstance(text, Plural) else None
        for name in ({count} if count else {"n", "k"}) & fields:
            filled = {f: "2" for f in fields} | {name: "1"}
            try:
                out = text.format(**filled)
            except (KeyError, IndexError, ValueError):
                continue
            if re.search(r"(?<![\d.,])1 (?:\w+ ){0,6}?(are|have|were)\b", out):
                bad.append((key, out))
    assert bad == []


def test_diagnostics_pick_the_plural_form():
    from crmsurvey.diagnostics import Diagnostic, diagnostic_text

    one = diagnostic_text(Diagnostic("lonely_psu", "m", params={"n": 1}), "en")
    three = diagnostic_text(Diagnostic("lonely_psu", "m", params={"n": 3}), "en")
    assert one.startswith("1 stratum has a single cluster")
    assert three.startswith("3 strata have a single cluster")
    assert diagnostic_text(Diagnostic("lonely_psu", "m", params={"n": 1}),
                           "zh-CN").startswith("1个层")


# --- a study with a coded group item ---------------------------------------------------------

def _inputs(folder: Path) -> Path:
    """The hotel questionnaire with its age band coded 1/2/3 (labels in both languages)
    and a 1–10 question outside the model; answers simulated, written as codes."""
    import crmsurvey as cs

    folder.mkdir(parents=True, exist_ok=True)
    src = (ROOT / "studies" / "questionnaires" / "hotel.yaml").read_text(encoding="utf-8")
    values = ", ".join(f'{k}: {{en: "{LABELS["en"][k]}", zh-CN: "{LABELS["zh-CN"][k]}"}}'
                       for k in ("1", "2", "3"))
    text = src.replace("scales:\n", "scales:\n  bands:\n    type: categorical\n"
                       f"    values: {{{values}}}\n", 1)
    text = text.replace("{id: age_band, role: group, optional: true,",
                        "{id: age_band, role: group, scale: bands,", 1)
    text = text.replace("      - {id: nps, role: nps,",
                        '      - {id: handle, scale: ten, optional: true, text: {en: "How '
                        'well was your last request handled", zh-CN: "您上次的请求处理得如何"}}\n'
                        "      - {id: nps, role: nps,", 1)
    assert text.count("bands") == 2 and "id: handle" in text
    (folder / "hotel_coded.yaml").write_text(text, encoding="utf-8")
    q = cs.load_questionnaire(folder / "hotel_coded.yaml")
    df = cs.simulate(q, 90, seed=61, groups={"age_band": ["1", "2", "3"]})
    df = pd.concat([df[df.age_band != "3"], df[df.age_band == "3"].head(SMALL)])
    df["age_band"] = df["age_band"].astype(int)  # codes, as a platform's export holds them
    df.to_csv(folder / "answers.csv", index=False)
    return folder


STUDY = """\
id: coded_groups
title: {en: Coded groups, zh-CN: 编码分组}
questionnaire: data/hotel_coded.yaml
data: [{path: data/answers.csv}]
exclude: []
groups: [age_band]
min_group_size: 50
compare: {permutations: 100, bootstrap: 100, seed: 1, invariance: false}
pls: {bootstrap: 0, seed: 1, fit_test: 0, predict_folds: 0}
ipma_target: LOY
analytics:
  csat: {sat1: 9}
report:
  language: en
"""


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    data = _inputs(tmp_path_factory.mktemp("labels6") / "data")
    return study_run(tmp_path_factory, "labels6_coded", STUDY, files=[data])


def _visible(page: str) -> str:
    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    page = re.sub(r"<img[^>]*>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _table(page: str, table_id: str) -> list[str]:
    """The first cells of a table's body rows."""
    body = re.search(rf'(?s)id="{table_id}".*?</table>', page).group(0)
    return [_visible(c).strip() for c in re.findall(r"(?s)<tr[^>]*>\s*<td[^>]*>(.*?)</td>",
                                                    body)]


@pytest.mark.slow
def test_results_key_a_coded_group_by_its_integer_codes(coded):
    r = coded.results()
    levels = {g["age_band"] for g in (x.group for x in r.indices) if "age_band" in g}
    assert levels == {"1", "2"}
    assert [(s.group, s.n, s.reason.code) for s in r.skipped] == [({"age_band": "3"}, SMALL,
                                                                   "too_few")]
    # the questionnaire's labels travel with the results, in both languages
    assert r.study.group_labels["age_band"]["1"] == {"en": "18 to 34", "zh-CN": "18至34岁"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_levels_are_shown_by_their_labels_in_the_report_language(coded, lang):
    page = coded.html(lang)
    text = _visible(page)
    other = "zh-CN" if lang == "en" else "en"
    for code, label in LABELS[lang].items():
        assert label in text, label
        if code != "3" or lang == "en":  # "55 and over" is not "55岁及以上"'s substring
            assert LABELS[other][code] not in text, LABELS[other][code]
    # the NPS and CSAT tables' rows: the whole sample, then the shown groups by label
    t = catalogue(lang)
    assert _table(page, "nps-table")[1:] == [LABELS[lang]["1"], LABELS[lang]["2"]]
    assert [c for c in _table(page, "csat-table") if c in LABELS[lang].values()] == \
        [LABELS[lang]["1"], LABELS[lang]["2"]]
    assert _table(page, "nps-table")[0] == t["all"]
    # the sample section's note on the group not analysed names it by its label too
    from crmsurvey.notes import note_text

    reason = note_text({"code": "too_few", "params": {"min": 50}}, lang)
    assert t["skipped_entry"].format(group=LABELS[lang]["3"], n=SMALL, reason=reason) in text
    assert not re.search(r"(?<![\d.])[123]\.0 \(", text)  # "3.0 (35 respondents)"
    # and so does the comparison's note that it left the group out (a diagnostic)
    r = coded.results()
    assert any(d.code == "group_too_small" and d.params["group"] == "3"
               for d in r.diagnostics)
    left = t["diagnostic:group_too_small"].format(group=LABELS[lang]["3"], n=SMALL, min=50)
    assert left in text, left


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_group_left_out_is_named_beside_each_table_of_groups(coded, lang):
    from crmsurvey.notes import note_text

    page = coded.html(lang)
    t = catalogue(lang)
    reason = note_text({"code": "too_few", "params": {"min": 50}}, lang)
    note = t["groups_left_out"].format(groups=LABELS[lang]["3"], reason=reason, n=1)
    if lang == "en":
        assert note == "55 and over is not shown: fewer than 50 respondents."
    else:
        assert note == "55岁及以上未列出：少于50名受访者。"
    text = _visible(page)
    # beside the index table, the NPS table, the CSAT table and the question table
    assert text.count(note) >= 4, text.count(note)
    for table_id in ("nps-table", "csat-table"):
        after = page[page.index(f'id="{table_id}"'):]
        after = after[after.index("</table>"):]
        assert note in _visible(after[:2000]), table_id


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_only_the_nps_item_is_tagged_nps(coded, lang):
    page = coded.html(lang)
    t = catalogue(lang)
    tags = dict(re.findall(r'<span class="code line">(\w+)((?: · [^<]*)?)</span>', page))
    assert "handle" in tags and "nps" in tags
    assert f" · {t['col_nps']} · " not in tags["handle"] and tags["handle"] == " · 1–10"
    assert tags["nps"] == f" · {t['col_nps']} · 0–10"
    # the questionnaire appendix's table: handle has no construct and is not NPS
    rows = re.findall(r"(?s)<tr><td>handle</td><td>.*?</td><td[^>]*>(.*?)</td>", page)
    assert rows and rows[0] != t["col_nps"]


def test_names_show_a_level_without_a_label_as_its_code():
    from types import SimpleNamespace

    from crmsurvey.report.sections.common import Names

    results = SimpleNamespace(
        study=SimpleNamespace(languages=["en", "zh-CN"],
                              group_labels={"band": {"1": {"en": "Young", "zh-CN": "青年"}}},
                              group_names={}),
        model=SimpleNamespace(labels={}, items={}), headline=SimpleNamespace(group={}))
    names = Names(results, "zh-CN", catalogue("zh-CN"))
    assert names.level("band", "1") == "青年"
    assert names.level("band", "4") == "4"
    assert names.group({"band": level_names(pd.Series([4.0])).iloc[0]}) == "4"


def test_summary_sentences_take_the_plural_form_of_their_count():
    """The executive summary formats its sentences through markupsafe: the count picks
    the form there too ("1 is significant", "2 are significant")."""
    from crmsurvey.report.findings import _Render

    x = object.__new__(_Render)
    x.s = catalogue("en")  # the summary's sentences are the catalogue's finding: entries
    x.s = {k.removeprefix("finding:"): v for k, v in x.s.items() if k.startswith("finding:")}
    one = str(x.sentence_part("pairs_significant", m=4, n=1, entries="A"))
    two = str(x.sentence_part("pairs_significant", m=4, n=2, entries="A, B"))
    assert "1 is significant" in one and "2 are significant" in two, (one, two)
    assert str(x.sentence("pairs_significant", m=4, n=1, entries="A")).startswith("Of the 4")
