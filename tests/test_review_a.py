"""Review A (demo, shape_brands) after the page review, session 4 (helper fix-A): the
summary quotes what the body shows, tables say which number is which, and text is
printed only where the data license it.

- a wave change's interval is called "adjusted" as the changes table heads it, never by
  a Holm step's level the body does not print (A2);
- a competitor's lead the data cannot tell from zero is stated with its size and the
  interval of that lead (A3); a client ahead of every competitor is said to be ahead
  (A11);
- path differences say which test sets the * and how low the resamples let an adjusted
  p-value fall; the methodology names the comparisons' own resamples (A5);
- the IPMA tables say which number is unstandardised and which standardised (A6);
- the recommendations' cap is stated with the questions it leaves out, and a
  competitor's score on one question is not called a tested gap (A7);
- PLS against CB-SEM names the two samples when they differ (A8);
- "1 not warranted … are" reads as one (A10); two indices are "a vs b", not a dash
  that reads as an interval (A13); no line break inside "0–6" or ".067" (A14);
- CSAT rows name the question, not its code (A19); the invariance caption sits under
  its own table (A22); the mean-by-group chart has its groups in the table's order with
  their n and a legend (A24); the sample tiles and the weighting sentence print counts
  alike (A25).
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from crmsurvey.report.i18n import sentences, strings
from crmsurvey.study.results import Difference, Finding

from ._report_text import text_of as _text
from ._studies import study_run

ROOT = Path(__file__).resolve().parents[1]

STUDY = """\
id: review_a
title: Review A
questionnaire: ccsi
data:
  - simulate: {n: 150, seed: 41, groups: {brand: [A, B]}}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
compare: {permutations: 199, bootstrap: 100, seed: 3}
pls: {bootstrap: 800, seed: 7, fit_test: 0, predict_folds: 0}
ipma_target: LOY
analytics:
  csat: {sat1: 9}
report:
  client_group: {brand: A}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The study run once per session (tests/_studies.py), re-rendered in Chinese:
    (results, {lang: html})."""
    done = study_run(tmp_path_factory, "review_a", STUDY)
    return done.results(), done.pages()


def _sentence(results, lang: str, code: str, **params) -> str:
    """One summary finding, rendered over ``results`` in ``lang``."""
    from crmsurvey._format import number_locale
    from crmsurvey.report.sections.common import Names, box_rule as _box
    from crmsurvey.report.findings import _Render

    t = strings(lang)
    rule = lambda item: _box(results, item, 9, t, "csat_box")  # noqa: E731
    with number_locale(lang):
        r = _Render(results, Names(results, lang, t), t, rule)
        return _text(str(r.finding(Finding(code=code, params=params, requires=[],
                                           refs=[]))))


# --- A2: the summary calls an adjusted change interval "adjusted" ----------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_change_interval_is_named_as_the_changes_table_heads_it(run, lang):
    results, _ = run
    A = {"brand": "A"}
    base = dict(group=A, quantity="index", name="SAT", previous_wave="2025", before=70.0,
                after=72.2, change=2.2, ci_lower=-2.6, ci_upper=6.7, level=0.983,
                warranted=None)
    adjusted = _sentence(results, lang, "change_flat_index", adjusted=True, **base)
    alone = _sentence(results, lang, "change_flat_index", adjusted=False,
                      **dict(base, level=0.95))
    word = sentences(lang)["level_adjusted"]
    assert word in adjusted and "98.3%" not in adjusted
    assert "95%" in alone and word not in alone.split("（")[0].split("(")[-1]


# --- A3 / A11: the lead is stated; a leader is "ahead" -----------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_similar_states_the_competitors_lead_and_its_interval(run, lang):
    results, _ = run
    s = _sentence(results, lang, "nps_similar", measure="nps", item="nps",
                  group={"brand": "A"}, value=1.1, ci_lower=-10.4, ci_upper=12.6, level=0.95,
                  best={"brand": "C"}, best_value=14.6, gap=13.5, gap_lower=-8.2,
                  gap_upper=35.1, gap_level=0.99)
    assert "13.5" in s  # 14.6 − 1.1: the lead itself is said
    s = s.replace("\u2212", "-")  # the report's minus sign
    # the interval of that lead, quoted as the body's pair (A – C) prints it
    assert "-35.1" in s and "8.2" in s


def test_a_client_ahead_of_every_competitor_is_said_to_lead():
    from crmsurvey.study.story import _scores

    A, B, C = ({"brand": k} for k in "ABC")
    score = lambda g, v: SimpleNamespace(measure="csat", group=g, item="sat1",  # noqa: E731
                                         pooled=False, value=v, ci_lower=v - 5,
                                         ci_upper=v + 5)
    rows = [score(A, 30.5), score(B, 20.0), score(C, 24.2)]
    # the lead over the highest competitor (C) is tested: "ahead" only as its test says
    lead = SimpleNamespace(difference=6.3, ci_lower=1.2, ci_upper=11.4, ci_level=0.983,
                           significant=True, group_a=A, group_b=C)
    x = SimpleNamespace(r=SimpleNamespace(scores=rows), focus=A, competitors=[B, C],
                        score=lambda m, g, i=None: next(
                            (s for s in rows if s.group == g), None),
                        difference=lambda q, n, a, b: (lead, 1))
    (f,) = _scores(x)
    assert f.code == "csat_ahead" and f.params["best"] == C
    for lang in ("en", "zh-CN"):
        text = sentences(lang)["csat_ahead"]
        assert "not below" not in text and "不低于" not in text
    assert "significantly ahead" in sentences("en")["csat_ahead"]


# --- A5: which test sets the *; the comparisons' own resamples ---------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_path_differences_say_which_test_marks_and_their_floor(run, lang):
    results, pages = run
    doc = pages[lang]
    paths = [r for c in results.comparisons for r in c.paths]
    assert paths
    m = paths[0]["m"]
    floor = m / (199 + 1)  # Bonferroni over m pairs of a permutation p ≥ 1/(P + 1)
    shown = f"{floor:.3f}".lstrip("0") if abs(floor * 1000 - round(floor * 1000)) < 1e-9 \
        else f"{(int(floor * 1000) + 1) / 1000:.3f}".lstrip("0")
    note = strings(lang)["paths_star"].split("{")[0]
    at = doc.index(note)
    text = _text(doc[at:doc.index("</p>", at)])
    assert "199" in text and "100" in text and str(m) in text and shown in text
    method = strings(lang)["resamples_compare"].split("{")[0].strip()
    assert method in _text(doc)


# --- A6: the IPMA table says which effect is which ---------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_ipma_table_heads_name_unstandardised_and_standardised(run, lang):
    _, pages = run
    doc = pages[lang]
    table = doc[doc.index('id="ipma-focus"'):]
    head = _text(table[:table.index("</thead>")])
    t = strings(lang)
    assert t["importance_unstd"] in head and t["effect_std"] in head
    assert (t["importance_unstd"], t["effect_std"]) == (
        ("Importance (unstandardised)", "Total effect (standardised)") if lang == "en"
        else ("重要性（未标准化）", "总效应（标准化）"))


# --- A7: the cap and the untested competitor score ---------------------------------------

@pytest.mark.slow
def test_recommendations_state_their_cap_and_are_weakest_first_within_ties(run):
    from crmsurvey.study.story import MOST_RECOMMENDATIONS

    results, pages = run
    recs = results.story.recommendations
    assert len(recs) <= MOST_RECOMMENDATIONS
    if results.story.more_levers:
        assert len(recs) == MOST_RECOMMENDATIONS
        note = _text(pages["en"][pages["en"].index('id="actions"'):])
        assert f"other questions that meet the same rule ({len(results.story.more_levers)})" in note
    # most important first; equal importance: the lower score first
    keys = [(-r.importance, r.performance) for r in recs]
    assert keys == sorted(keys)
    if any(r.competitor for r in recs):
        assert strings("en")["actions_untested"] in _text(pages["en"])


# --- A8: PLS and CB-SEM on different respondents -----------------------------------------

def test_disagreements_name_both_samples_when_they_differ():
    from crmsurvey.report.sections.cbsem import disagreements as _disagreements

    path = {"lhs": "SAT", "op": "~", "rhs": "IMAG"}
    pls = SimpleNamespace(paths=[dict(path, est=0.10, pvalue=0.01)],
                          disclosure=SimpleNamespace(used=364))
    cb = SimpleNamespace(error=None, estimates=[dict(path, est=0.2, std_all=0.14,
                                                     pvalue=0.07)],
                         disclosure=SimpleNamespace(used=217, dropped_reason="listwise"))
    results = SimpleNamespace(cbsem=cb, model_of=lambda g: pls, headline=SimpleNamespace(
        group={}), settings=SimpleNamespace(multiplicity=SimpleNamespace(alpha=0.05)))
    lines = _disagreements(results, _Names({"SAT": "Satisfaction", "IMAG": "Image"}),
                           strings("en"))
    assert "364" in lines[0] and "217" in lines[0] and "listwise" in lines[0]
    assert len(lines) == 2  # the samples, then the one disagreement
    cb.disclosure.used = 364
    assert len(_disagreements(results, _Names({"SAT": "S", "IMAG": "I"}),
                              strings("en"))) == 1


class _Names(dict):
    lang = "en"


# --- A10, A13, A14 ------------------------------------------------------------------------

def test_one_not_warranted_difference_reads_as_one():
    one = strings("en")["cmp_reading_warranted_one"].format(n=5, m=17, k=1)
    assert "is not counted" in one and "are not counted" not in one


@pytest.mark.slow
def test_two_indices_are_not_printed_as_an_interval(run):
    _, pages = run
    doc = pages["en"]
    table = doc[doc.index('id="index-differences"'):]
    table = table[:table.index("</table>")]
    cells = [_text(c) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2:3]]
    assert cells and all(re.fullmatch(r"[-−]?\d+\.\d vs [-−]?\d+\.\d", c) for c in cells)


def test_no_line_break_inside_a_range_or_a_p_value():
    from crmsurvey.report.render import _glue_numbers

    out = _glue_numbers('<style>p{margin: .5em}</style><p>(0–6) (p = .067) 65.8 – 72.0</p>')
    # the relation is glued with no-break spaces too (p = .067 never splits)
    assert "(0–\u20606)" in out and "(p\xa0=\xa0.\u2060067)" in out
    assert "margin: .5em" in out  # a style is left alone
    # a spaced interval may break after its dash only (the dash stays with the lower limit)
    assert "65.8\xa0– 72.0" in out


# --- A19: CSAT rows name the question -----------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_csat_rows_name_the_question_not_its_code(run, lang):
    import crmsurvey as cs

    _, pages = run
    doc = pages[lang]
    table = doc[doc.index('id="csat-table"'):]
    table = table[:table.index("</table>")]
    # the question heads its groups' rows (a heading row of its own, printed once)
    first = [_text(c) for c in re.findall(
        r'<tr class="question"><th[^>]*>(.*?)</th></tr>', table, re.S)]
    question = cs.load_questionnaire("ccsi").items["sat1"].text[lang]
    assert first and all(question in c and not c.startswith("sat1") for c in first)


# --- A22: the invariance caption under its own table --------------------------------------

def test_invariance_caption_follows_the_invariance_table_not_the_latent_means():
    tpl = (ROOT / "reports" / "default" / "report.html.j2").read_text("utf-8")
    inv = tpl.index("{% for r in c.invariance.table %}")
    note = tpl.index("{{ t.invariance_note }}")
    means = tpl.index("{% if c.invariance.latent_means %}")
    assert inv < note < means


# --- A24: mean-by-group chart -------------------------------------------------------------

def test_mean_chart_caption_explains_dots_and_lines_in_both_languages():
    for lang in ("en", "zh-CN"):
        t = strings(lang)
        assert "{construct}" in t["mean_chart_note"]
        assert t["label_n"].format(label="Champions", n="63").endswith(
            "(n = 63)" if lang == "en" else "（n = 63）")


# --- A25: counts printed alike ------------------------------------------------------------

def test_sample_tiles_and_weighting_sentence_format_counts_alike():
    tpl = (ROOT / "reports" / "default" / "report.html.j2").read_text("utf-8")
    assert "{{ sample.rows_read|num(0) }}" in tpl and "{{ sample.rows_kept|num(0) }}" in tpl
    src = (ROOT / "crmsurvey" / "report" / "weighting.py").read_text("utf-8")
    assert "n=num(wt.n, 0)" in src
    assert "respondents kept" in strings("en")["weighting_deff"]


# --- A23: headers and question cells that do not break mid-word ----------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_recommendation_impacts_share_one_spanning_header(run, lang):
    results, pages = run
    doc = pages[lang]
    if not results.story.recommendations:
        pytest.skip("no recommendation in this run")
    table = doc[doc.index('id="actions"'):]
    head = table[:table.index("</thead>")]
    t = strings(lang)
    assert re.search(r'<th colspan="\d+"[^>]*>' + re.escape(t["impact_head"]) + "</th>", head)
    targets = re.findall(r'<th class="num nw">(.*?)</th>', head)
    assert targets and all(t["impact_target"].split("{")[0] in x or
                           t["impact_target"].split("}")[-1] in x for x in targets)
    body = table[:table.index("</table>")]
    assert '<span class="code line">' in body  # the code under the question, not inline


# --- A18: Chinese wording that reads as something else ------------------------------------

def test_chinese_group_heading_more_and_relevance_words():
    import crmsurvey as cs

    brand = cs.load_questionnaire("ccsi").items["brand"].text["zh-CN"]
    assert "评价的" not in brand  # "指数差异（评价的品牌）" read "Brand rated" literally
    more = sentences("zh-CN")["and_more"].format(names="甲、乙", k=1)
    assert "等（另有" not in more and "1" in more
    assert "相关性" not in strings("zh-CN")["relevance"]  # Q²predict is no correlation
