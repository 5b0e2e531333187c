"""Page review round 3 (review B 2, 3, 6, 7, 9, 11): the summary quotes a pair's interval
as the body prints it, a lead is named as whose, group items are headed by the study's
``group_names``, listed questions are quoted, a rank names its kind of group, the path
diagram's note explains dashed arrows only where one is drawn, and a re-render in another
language writes that language's workbook with its settings worded."""
from __future__ import annotations

import re

import openpyxl
import pytest

from crmsurvey._catalogue import catalogue

from ._report_text import element, summary, summary_problems, text_of
from ._studies import LANGS, bundled


@pytest.fixture(scope="module")
def brands(tmp_path_factory):
    return bundled(tmp_path_factory, "shape_brands")


def _difference(results, quantity, name, a, b):
    """The stored comparison row of ``a`` and ``b`` (either order) for one quantity."""
    for c in results.comparisons:
        for d in c.differences:
            if d.quantity == quantity and d.name == name and \
                    {tuple(sorted(d.group_a.items())), tuple(sorted(d.group_b.items()))} == \
                    {tuple(sorted(a.items())), tuple(sorted(b.items()))}:
                return d
    return None


# --- B2: the summary's interval is the body's row, signs and order kept -----------------

@pytest.mark.parametrize("lang", LANGS)
def test_summary_numbers_and_intervals_are_the_bodys(brands, lang):
    assert summary_problems(brands.html(lang)) == []


def test_score_findings_carry_the_bodys_row_in_its_direction(brands):
    results = brands.results()
    scored = [f for f in results.story.findings
              if f.code.startswith(("nps_", "csat_")) and "best" in f.params]
    assert scored, "the brands study has a client and competitors: an NPS/CSAT finding"
    for f in scored:
        p = f.params
        d = _difference(results, p["measure"], p["item"], p["group"], p["best"])
        assert (p["pair_a"], p["pair_b"]) == (d.group_a, d.group_b)
        assert (p["pair_lower"], p["pair_upper"]) == (d.ci_lower, d.ci_upper)


def test_the_interval_check_fails_on_a_sign_flipped_summary(brands):
    """The check can fail: the NPS pair's interval quoted as the other side's lead (lo, hi
    negated and swapped, as the report printed it before) is caught."""
    doc = brands.html("en")
    head = summary(doc)
    m = re.search(r'(<a class="ref" href="#nps-differences">)([^<]*)(</a>\s*to\s*'
                  r'<a class="ref" href="#nps-differences">)([^<]*)(</a>)', head)
    assert m, "the summary quotes the NPS pair's interval"
    lo, hi = (float(x.replace("−", "-")) for x in (m.group(2), m.group(4)))
    flipped = m.expand(rf"\g<1>{-hi:.1f}\g<3>{-lo:.1f}\g<5>")
    bad = doc.replace(head, head.replace(m.group(0), flipped))
    assert any(kind.startswith("interval not in") for kind, _ in summary_problems(bad))


# --- B3: a lead the data cannot tell from zero is named as whose ------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_a_client_lead_names_the_client_as_leader(brands, lang):
    """A lead the data cannot tell from zero is said with its leader as the subject: the
    client's ("Brand A leads it by") where the client's figure is the higher, else the
    competitor "has … more" — never "has …, less, a lead"."""
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names

    results = brands.results()
    names = Names(results, lang, strings(lang))
    text = text_of(summary(brands.html(lang)))
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z0-9])|(?<=。)", text)
    found = 0
    for f in results.story.findings:
        if not f.code.endswith("_similar") or "best" not in f.params:
            continue
        p = f.params
        client, best = names.group(p["group"]), names.group(p["best"])
        said = [x for x in sentences if client in x and best in x
                and ("cannot tell from zero" in x or "领先不显著" in x)]
        assert len(said) >= 1, f.code
        found += 1
        for x in said:
            assert "less, a lead" not in x and "低" not in x.split(best)[1][:20]
        if p["value"] > p["best_value"]:
            assert any(f"{client} leads it by" in x or f"{client}领先" in x for x in said)
        else:
            assert any(" more, a lead" in x or "高出" in x for x in said)
    assert found, "the brands study has a lead the data cannot tell from zero"


# --- B6: group items headed by the study's group_names -----------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_group_item_headings_use_group_names(brands, lang):
    results = brands.results()
    want = {"en": "Brand", "zh-CN": "品牌"}[lang]
    question = results.model.items["brand"].text["en"]  # "Brand rated"
    assert results.study.group_names["brand"][lang] == want
    doc = brands.html(lang)
    i = doc.index(catalogue(lang)["group_sizes"])
    sizes = doc[i:doc.index("</table>", i)]
    cells = re.findall(r"<td>(.*?)</td>", sizes)
    assert cells[0] == want
    headings = " ".join(text_of(h) for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", doc, re.S))
    assert want in headings
    assert question not in headings and question not in text_of(sizes)


# --- B7: the other qualifying questions are quoted -----------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_other_qualifying_questions_are_quoted(brands, lang):
    from crmsurvey.report.render import build_html

    results = brands.results()
    if not results.story.recommendations:
        pytest.skip("no recommendation in this run")
    t = catalogue(lang)
    with_commas = [i for i, info in results.model.items.items()
                   if info.text and re.search("[,，]", info.text.get(lang, ""))][:2]
    assert len(with_commas) == 2
    results = results.model_copy(update={"story": results.story.model_copy(
        update={"more_levers": with_commas})})
    text = text_of(build_html(results, lang=lang))
    quoted = [t["quoted"].format(text=results.model.items[i].text[lang]) for i in with_commas]
    assert t["list_sep"].join(quoted) in text


# --- B9: a rank's kind of group, and the dashed-arrow note only with a dashed arrow ------

def test_zh_rank_names_the_kind_of_group(brands):
    results = brands.results()
    f = next(f for f in results.story.findings if f.code.startswith("client_position"))
    text = text_of(summary(brands.html("zh-CN")))
    assert f"在{f.params['of']}个品牌中排第{f.params['rank']}位" in text
    assert "个组中" not in text


@pytest.mark.parametrize("dashed", [False, True])
def test_path_note_explains_dashed_arrows_only_when_drawn(brands, dashed):
    from crmsurvey.report import charts
    from crmsurvey.report.i18n import strings
    from crmsurvey.report.sections.common import Names
    from crmsurvey.report.sections.model import model_context

    results = brands.results()
    fit = results.model_of(results.headline.group)
    if dashed:  # one path's interval made to include zero
        fit.paths[0] = dict(fit.paths[0], ci_lower=-abs(fit.paths[0]["est"]),
                            ci_upper=abs(fit.paths[0]["est"]))
    else:
        assert all(charts.path_significant(p) for p in fit.paths), \
            "the brands study's paths are all significant"
    t = strings("en")
    ctx = model_context(fit, results, Names(results, "en", t))
    assert ctx["path_chart_note"] == t["path_diagram_note" if dashed
                                       else "path_diagram_note_solid"]
    assert ("dashed" in ctx["path_chart_note"]) == dashed


# --- B11: the re-rendered language's own workbook, settings worded -----------------------

def test_rerender_writes_the_languages_workbook(brands):
    folder = brands.folder("zh-CN")
    path = folder / "tables.zh-CN.xlsx"
    assert path.is_file() and (folder / "tables.xlsx").is_file()
    zh = catalogue("zh-CN")
    wb = openpyxl.load_workbook(path)
    assert zh["sheet:notes"] in wb.sheetnames and zh["sheet:indices"] in wb.sheetnames
    assert "Notes" not in wb.sheetnames
    en = openpyxl.load_workbook(folder / "tables.xlsx")
    assert "Notes" in en.sheetnames  # the run's own workbook stays in its language


@pytest.mark.parametrize("lang", LANGS)
def test_notes_sheet_words_settings(brands, lang):
    results = brands.results()
    t = catalogue(lang)
    name = "tables.xlsx" if lang == results.study.language else f"tables.{lang}.xlsx"
    ws = openpyxl.load_workbook(brands.folder(lang) / name)[t["sheet:notes"]]
    rows = dict(list(ws.iter_rows(values_only=True))[1:])
    text = " ".join(str(v) for v in rows.values())
    assert "=" not in text.replace("alpha=", "")  # no "scheme=path, …" runs
    pls = results.settings.pls
    for key, value in pls.items():
        head = t["sheet_note:setting_of"].format(section=t["sheet_note:pls"],
                                                 setting=t[f"setting:pls.{key}"])
        shown = rows[head]
        if isinstance(value, bool):
            assert shown == t["yes" if value else "no"]
        elif isinstance(value, str):
            assert shown == t[f"setting_value:{value}"]
            if lang != "en":
                assert shown != value
        else:
            assert shown == pytest.approx(value)
    assert rows[t["sheet_note:screening"]] == t["list_sep"].join(
        t[f"rule_{c}"] for c in results.settings.exclude)
