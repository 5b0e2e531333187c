"""Review round (session 4): a difference printed next to its two figures equals the
difference of those figures as printed (review B A4, review C many_brands 5, example_file
3) — in every table of a rendered report and in the executive summary's sentences, both
languages; where the two figures are not beside it (the NPS and CSAT pair tables) it
still equals the difference of the figures the report prints for the two groups.

The check is written out here from the HTML alone: each figure is read back as printed
and subtracted in decimal arithmetic."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from crmsurvey._format import difference, number_locale, shown_difference

from ._report_text import text_of as _text

# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize("a,b,digits", [
    (77.16, 60.54, 1),   # review C: 77.2 − 60.5 printed 16.6 from the unrounded values
    (9.94, -7.64, 1),    # review B: NPS 9.9 − (−7.6)
    (25.96, 30.24, 1),   # CSAT 26.0 − 30.2
    (72.949, 71.751, 1), (0.04, 0.06, 1), (-0.04, 0.04, 1), (0.31234, 0.29876, 3),
    (50.05, 50.0499, 1), (1e-9, -1e-9, 1)])
def test_difference_is_that_of_the_printed_figures(a, b, digits):
    shown_a, shown_b = (Decimal(f"{v:.{digits}f}") for v in (a, b))
    assert Decimal(difference(a, b, digits)) == shown_a - shown_b
    v = shown_difference(a, b, digits)
    # rounding keeps order: never the opposite sign of the estimate
    assert v == 0 or (v > 0) == (a > b)


def test_difference_missing_and_locale():
    assert difference(None, 1.0) == "–" and shown_difference(1.0, float("nan")) is None
    assert difference(-7.64, 9.92, magnitude=True) == "17.5"
    with number_locale("de"):
        assert difference(10.04, 1.26) == "8,7"  # 10,0 − 1,3 (the estimate 8,78)


# --- rendered reports ---------------------------------------------------------------------

STUDY = """\
id: review_round
title: Differences as printed
questionnaire: ccsi
data:
  - simulate:
      n: 160
      seed: 23
      groups: {brand: [Brand A, Brand B, Brand C], wave: ["2025", "2026"]}
exclude: [duplicate, screened_out, attention, speeder]
groups: [brand]
waves: wave
compare: {permutations: 100, bootstrap: 100, seed: 3}
pls: {bootstrap: 2400, seed: 2, predict_folds: 0, fit_test: 0}
ipma_target: LOY
analytics:
  csat: {sat1: 9}
report:
  client_group: {brand: Brand A}
"""

_NUM = r"[-−]?\d+(?:\.\d+)?"


def _dec(text: str) -> Decimal:
    """A printed figure: ``-7.6``, ``−7.6``, ``26.0%``, ``16.7 *``, ``0.3 * †``."""
    m = re.match(_NUM, text.strip())
    assert m, text
    return Decimal(m.group(0).replace("−", "-"))


def _table(doc: str, ident: str) -> list[list[str]] | None:
    """The body rows of the table ``id=ident``: each a list of its cells' text."""
    m = re.search(r'<table[^>]*\bid="%s"[^>]*>(.*?)</table>' % ident, doc, re.S)
    if m is None:
        return None
    body = re.split(r"<tbody[^>]*>", m.group(1), maxsplit=1)[-1]  # one or more tbody
    rows = [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    return [r for r in rows if r]


def _by_question(doc: str, ident: str) -> list[tuple[str, list[str]]]:
    """The body rows of a table in blocks by question (the CSAT tables: a question's
    wording once, in a heading row above its groups' rows): (question, cells)."""
    m = re.search(r'<table[^>]*\bid="%s"[^>]*>(.*?)</table>' % ident, doc, re.S)
    if m is None:
        return []
    out, question = [], None
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1).split("</thead>", 1)[-1], re.S):
        heading = re.findall(r"<th[^>]*>(.*?)</th>", row, re.S)
        if heading:
            question = _text(heading[0])
            continue
        out.append((question, [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]))
    return out


def _pair_tables(doc: str) -> list[list[list[str]]]:
    """Every table whose rows name a pair of groups (``<td class="pair">``)."""
    out = []
    for m in re.finditer(r"<table[^>]*>(.*?)</table>", doc, re.S):
        body = m.group(1).split("<tbody>", 1)[-1]
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        if rows and 'class="pair"' in rows[0]:
            out.append([[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
                        for r in rows])
    return out


def difference_problems(doc: str) -> tuple[list, int]:
    """Rows where a printed difference is not printed a − printed b; and how many rows
    were checked."""
    bad, checked = [], 0

    def check(where, a, b, d, magnitude=False):
        nonlocal checked
        if "–" in (a.strip(), b.strip(), d.strip()):  # a missing figure
            return
        want = _dec(a) - _dec(b)
        got = _dec(d)
        checked += 1
        if (abs(want) if magnitude else want) != got:
            bad.append((where, a, b, d))

    for r in _table(doc, "scorecard") or []:  # … this wave, interval, n, last wave, change
        if len(r) >= 8 and r[-2] != "–":
            check("scorecard", r[-6], r[-3], r[-2])
    for r in _table(doc, "gaps") or []:  # client, competitor, gap (a magnitude)
        check("gaps", r[3], r[4], r[5], magnitude=True)
    for r in _table(doc, "changes") or []:  # "before → after", change
        k = next(i for i, c in enumerate(r) if "→" in c)
        before, after = r[k].split("→")
        check("changes", after, before, r[k + 1])
    for table in _pair_tables(doc):  # index pairs: construct, pair, "a – b", difference, …
        for r in table:
            m = re.fullmatch(rf"({_NUM}) ?(?:–|vs|对) ?({_NUM})", r[2]) if len(r) == 6 \
                else None
            if m:  # "a – b", "a vs b", "a对b"
                check("index pairs", m[1], m[2], r[3])
    for r in _table(doc, "complaints") or []:  # … complainers, others, difference, ci, p, n
        if len(r) >= 8 and r[-4] != "–":
            check("complaints", r[-6], r[-5], r[-4])
    # NPS and CSAT pairs: the figures are those of the groups' own table
    nps = {r[0]: r[1] for r in _table(doc, "nps-table") or []}
    for r in _table(doc, "nps-differences") or []:
        a, b = r[0].split(" – ")
        check("nps pairs", nps[a], nps[b], r[1])
    csat = {(q, r[0]): r[1] for q, r in _by_question(doc, "csat-table")}
    for q, r in _by_question(doc, "csat-differences"):
        a, b = r[0].split(" – ")
        check("csat pairs", csat[q, a], csat[q, b], r[1])
    return bad, checked


_SENTENCES = [  # the summary's sentences that print a difference beside its two figures
    # gap entries: "(77.2 vs 60.5: 16.7 points"
    (rf"\(({_NUM}) vs ({_NUM}): ({_NUM}) points", lambda m: (m[1], m[2], m[3])),
    # changes: "rose by 1.2 points, from 71.8 to 72.9"
    (rf"(?:rose|fell) by ({_NUM}) (?:percentage )?points, from ({_NUM})%? to ({_NUM})",
     lambda m: (m[3], m[2], m[1])),
    # NPS / CSAT behind the best competitor: "is 9.9 (…), significantly below X's 17.5: 7.6
    # points behind"; or level with it: "is 15.0 (…); the highest competitor, X, has 18.9,
    # 3.9 points more"
    (rf"is ({_NUM})%? \([^)]*\), significantly below [^:]*?({_NUM})%?: ({_NUM}) "
     r"(?:percentage )?points behind", lambda m: (m[2], m[1], m[3])),
    (rf"is ({_NUM})%? \([^)]*\); the highest competitor, [^,]*, has ({_NUM})%?, ({_NUM}) "
     r"(?:percentage )?points more", lambda m: (m[2], m[1], m[3])),
]


def summary_difference_problems(doc: str) -> tuple[list, int]:
    start = doc.index('<h1 id="summary">')
    text = html.unescape(re.sub(r"<[^>]+>", "", doc[start:doc.index("</section>", start)]))
    bad, checked = [], 0
    for pattern, parts in _SENTENCES:  # each difference said as a magnitude
        for m in re.finditer(pattern, text):
            a, b, d = parts(m)
            checked += 1
            if abs(_dec(a) - _dec(b)) != _dec(d):
                bad.append((m.group(0), a, b, d))
    return bad, checked


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The study run once per session (tests/_studies.py): {lang: html}."""
    from ._studies import study_run

    done = study_run(tmp_path_factory, "review_round", STUDY)
    pages = done.pages()
    # the study has differences whose rounded estimate is not the printed figures' (else
    # the checks below could not fail)
    from crmsurvey._format import num

    results = done.results()
    ds = [d for c in results.comparisons for d in c.differences] + results.trend.changes
    assert sum(num(d.difference, 1) != difference(d.value_a, d.value_b) for d in ds) >= 2
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_table_differences_equal_printed_figures(pages, lang):
    doc = pages[lang]
    bad, checked = difference_problems(doc)
    assert bad == []
    # every kind of table was there to check: scorecard (3 brands + market), gaps,
    # changes, index, NPS and CSAT pairs, complaints
    for ident in ("scorecard", "changes", "index-differences", "nps-differences",
                  "csat-differences", "complaints"):
        assert f'id="{ident}"' in doc, ident
    assert checked >= 4 + 3 * 2 + 3 + 3 + 3


@pytest.mark.slow
def test_summary_differences_equal_printed_figures(pages):
    bad, checked = summary_difference_problems(pages["en"])
    assert bad == [] and checked >= 1
    # the Chinese summary prints the same figures (the same rendering of the same params)
    numbers = {lang: sorted(re.findall(r"\d+\.\d+", _text(
        doc[doc.index('<h1 id="summary">'):doc.index("</section>",
                                                     doc.index('<h1 id="summary">'))])))
        for lang, doc in pages.items()}
    assert numbers["en"] == numbers["zh-CN"]


@pytest.mark.slow
@pytest.mark.parametrize("lang,says", [("en", "difference of those figures as printed"),
                                        ("zh-CN", "按显示精度取整后之差")])
def test_methodology_states_the_rule(pages, lang, says):
    doc = pages[lang]
    method = doc[doc.index('id="methodology"'):]
    assert method.count(says) == 1


# --- the places a small study does not reach: CVPAT losses, the client matrix ---------------

class _Names:
    t = {"cvpat_overall": "Overall"}

    def __getitem__(self, key):
        return key

    def group(self, g, scope=None):
        return g["brand"]


def test_cvpat_difference_is_that_of_the_printed_losses():
    from crmsurvey.report.sections.model import _cvpat

    rows = [{"construct": "SAT", "benchmark": "LM", "loss_pls": 0.31234, "loss_benchmark":
             0.29876, "diff": 0.31234 - 0.29876, "se": .01, "t": 1.0, "df": 99, "p": 0.3}]
    out = _cvpat(rows, _Names())["rows"][0]
    shown = Decimal(f"{out['loss_pls']:.3f}") - Decimal(f"{out['loss_benchmark']:.3f}")
    # 0.312 − 0.299, where the estimate 0.01358 would print 0.014
    assert Decimal(f"{out['diff_shown']:.3f}") == shown == Decimal("0.013")
    assert out["diff"] == pytest.approx(0.01358)  # the estimate stays for the verdicts


def test_client_matrix_prints_the_pair_tables_difference_from_the_clients_side():
    from crmsurvey.report.sections.many_groups import _client_matrix

    a, b = {"brand": "A"}, {"brand": "B"}
    rows = [{"name": "SAT", "group_a": b, "group_b": a, "value_a": 60.54, "value_b": 77.16,
             "difference": 60.54 - 77.16, "difference_shown": shown_difference(60.54, 77.16),
             "significant": True, "warranted": True}]
    m = _client_matrix(rows, lambda g: g == a, _Names(), {})
    cell = m["rows"][0]["cells"][0]
    assert m["rows"][0]["label"] == "B"
    assert difference(77.16, 60.54) == "16.7" == f"{cell['difference_shown']:.1f}"
