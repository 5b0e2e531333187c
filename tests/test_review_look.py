"""The page review's look and wording items (review B 12, 16–18; review C 11, 12, 14–17;
example_file 4–7): Chinese terms, full-width brackets, headings that say what and whose,
summary cards that never break a word, filled pages, path and IPMA chart labels."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdf
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


# --- the bundled questionnaires --------------------------------------------------------

@pytest.mark.parametrize("name, sat, loy", [("ccsi", "SAT", "LOY"), ("acsi", "SAT", "LOY"),
                                            ("ecsi", "Satisfaction", "Loyalty")])
def test_bundled_construct_labels_use_the_fixed_chinese_terms(name, sat, loy):
    import crmsurvey as cs

    q = cs.load_questionnaire(name)
    assert q.definition.constructs[sat].label["zh-CN"] == "顾客满意度"
    assert q.definition.constructs[loy].label["zh-CN"] == "顾客忠诚度"


def test_imag2_says_the_same_in_both_languages():
    """知名度 is how well known a brand is, not its reputation (声誉)."""
    import crmsurvey as cs

    item = cs.load_questionnaire("ccsi").items["imag2"]
    assert "知名度" in item.text["zh-CN"] and "声誉" not in item.text["zh-CN"]
    assert "reputation" not in item.text["en"] and "known" in item.text["en"]


def test_example_file_names_title_and_client_in_chinese_too():
    study = yaml.safe_load((ROOT / "studies" / "example_file.yaml").read_text("utf-8"))
    assert re.search(r"[\u4e00-\u9fff]", study["title"]["zh-CN"])
    assert re.search(r"[\u4e00-\u9fff]", study["report"]["client"]["zh-CN"])


# --- one run of the example study with CSAT and the appendix ----------------------------

@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """studies/example_file.yaml with a top-2-box CSAT and every section, run once and
    re-rendered in Chinese: {lang: (html text, pdf path)}."""
    from ._studies import study_run

    study = yaml.safe_load((ROOT / "studies" / "example_file.yaml").read_text("utf-8"))
    study["analytics"] = {"csat": {"sat1": 9}}  # sat1 runs 1–10: 9–10 is the top-2 box
    study["report"].pop("sections")
    done = study_run(tmp_path_factory, "look", yaml.safe_dump(study, allow_unicode=True),
                     files=[ROOT / "studies" / "example_data"])
    return {lang: (done.html(lang), done.pdf_path(lang)) for lang in done.langs}


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _heads(html: str) -> list[list[str]]:
    """Each table's header cells (text)."""
    return [[_plain(c).strip() for c in re.findall(r"<th\b[^>]*>(.*?)</th>", head, re.S)]
            for head in re.findall(r"<thead>(.*?)</thead>", html, re.S)]


def _before(html: str, table_id: str) -> str:
    """The last heading before the table (or figure) with ``table_id``."""
    return _plain(re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html[:html.index(table_id)],
                             re.S)[-1]).strip()


@pytest.mark.slow
def test_chinese_report_uses_the_fixed_terms(example):
    html, _ = example["zh-CN"]
    text = _plain(html)
    for wrong in (r"顾客满意指数", r"顾客满意(?![度率])", r"顾客忠诚(?!度)", r"顾客满意率",
                  r"最高档位占比"):
        assert not re.search(wrong, text), wrong
    assert "顾客满意度指数" in text


@pytest.mark.slow
@pytest.mark.parametrize("lang, heading, pairs", [
    ("en", "CSAT: share in the top-2 box", "CSAT (top-2 box) differences between groups"),
    ("zh-CN", "满意率（最高两档）", "各组满意率（最高两档）的差异")])
def test_csat_headings_follow_the_studys_top_k_rule(example, lang, heading, pairs):
    html, _ = example[lang]
    assert _before(html, 'id="csat-table"') == heading
    assert _before(html, 'id="csat-differences"') == pairs


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_column_has_a_heading_of_its_own(example, lang):
    """No empty header cell (the gap table's behind/ahead column), no two columns with
    the same heading (the appendix's item code and question), and the HTMT pairs are
    headed as constructs, not as compared groups."""
    html, _ = example[lang]
    heads = _heads(html)
    # (a matrix's corner cell, above its row names, may stay empty)
    assert heads and all(all(h[1:]) for h in heads), [h for h in heads if not all(h[1:])]
    # (a two-row head repeats its second row's headings under each group)
    one_row = [h for h, raw in zip(heads, re.findall(r"<thead>(.*?)</thead>", html, re.S))
               if raw.count("<tr") == 1]
    assert one_row and all(len(set(h)) == len(h) for h in one_row), [
        h for h in one_row if len(set(h)) != len(h)]
    htmt = [h for h in heads if "HTMT" in h]
    assert htmt and all(h[0] == ("Constructs" if lang == "en" else "结构变量对") for h in htmt)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_nps_pairs_and_the_ipma_say_what_and_whose(example, lang):
    html, _ = example[lang]
    assert _before(html, 'id="nps-differences"') == (
        "NPS differences between groups" if lang == "en" else "各组净推荐值的差异")
    # the IPMA chart and the question table are the client group's (brand A)
    chart = html.index('id="priorities"')
    fig = html.index("<figure", chart)
    head = _plain(re.findall(r"<h2>(.*?)</h2>", html[chart:fig], re.S)[-1])
    assert head.endswith("A") and ("Importance" in head or "重要性" in head)
    item_head = [_plain(h) for h in re.findall(r"<h2>(.*?)</h2>", html[chart:], re.S)
                 if "Question-level" in h or "题目层面" in h]
    assert item_head and item_head[0].endswith("A")


@pytest.mark.slow
def test_chinese_table_cells_use_full_width_brackets(example):
    html, _ = example["zh-CN"]
    cells = [_plain(c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", html, re.S)]
    intervals = [c for c in cells if re.search(r"\d（[-−]?\d", c)]
    assert intervals  # the recommended actions' impacts carry their intervals
    assert not [c for c in cells if re.search(r"\d \(", c)]
    en_cells = [_plain(c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", example["en"][0],
                                              re.S)]
    assert [c for c in en_cells if re.search(r"\d \([-−]?\d", c)]


def test_no_spaces_around_numbers_in_chinese():
    from crmsurvey.report.i18n import strings

    assert "全部受访者{n}人" in strings("zh-CN")["headline_scope"]


@pytest.mark.slow
def test_chinese_summary_cards_break_no_word(example):
    """Each card's names are kept whole (全部受访者, 95%置信区间): the PDF's lines of the
    summary page never end inside them."""
    html, pdf = example["zh-CN"]
    assert '<span class="nw">全部受访者</span>' in html
    page = next(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages
                if "执行摘要" in (p.extract_text() or "") and "主要发现" in p.extract_text())
    cards = page[:page.index("主要发现")]  # the cards, above the findings
    lines = [line.strip() for line in cards.splitlines()]
    for word in ("全部受访者", "95%置信区间", "顾客满意度", "净推荐值"):
        for k in range(1, len(word)):
            head, tail = word[:k], word[k:]
            assert not any(a.endswith(head) and b.startswith(tail)
                           for a, b in zip(lines, lines[1:])), word


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_body_pages_are_at_least_half_full(example, lang):
    """Chapters run on where the last one ended: every body page but the last is filled
    at least half way (the page-fill measure of tests/test_study_shapes.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "shapes_measure", Path(__file__).with_name("test_study_shapes.py"))
    shapes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shapes)
    _page_fill = shapes._page_fill
    from crmsurvey.report.i18n import strings

    pages = pypdf.PdfReader(str(example[lang][1])).pages
    first = [((p.extract_text() or "").splitlines() or [""])[0].strip() for p in pages]
    # the appendix alone starts a page of its own
    short = [(k + 1, round(_page_fill(p), 2)) for k, p in enumerate(pages[:-1]) if k >= 2
             and first[k + 1] != strings(lang)["appendix"] and _page_fill(p) < 0.5]
    assert short == []


# --- chart labels ----------------------------------------------------------------------

def _ccsi_paths():
    arrows = [("EXPE", "IMAG", .42), ("QUAL", "EXPE", .49), ("VAL", "EXPE", -.1),
              ("VAL", "QUAL", .54), ("SAT", "IMAG", .16), ("SAT", "EXPE", .16),
              ("SAT", "QUAL", .42), ("SAT", "VAL", -.06), ("COMP", "SAT", -.09),
              ("LOY", "IMAG", .19), ("LOY", "SAT", .3), ("LOY", "COMP", -.09)]
    return [{"lhs": a, "rhs": b, "est": e, "ci_lower": e - .1, "ci_upper": e + .1}
            for a, b, e in arrows]


def test_path_labels_sit_on_their_arrow_and_clear_of_the_others():
    """Every coefficient sits on its own arrow, and no other arrow runs through it
    (review C 15: the EQ→Satisfaction arrow ran through 0.38*)."""
    from crmsurvey.report.charts import LABEL_H, LABEL_W, _bezier, path_layout

    names = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "COMP", "LOY"]
    lay = path_layout(names, _ccsi_paths())
    t = np.linspace(0, 1, 201)
    curves = [np.array(_bezier(a[1], a[2], a[3], t)).T for a in lay["arrows"]]
    crossed = 0
    for k, (x, y) in enumerate(lay["labels"]):
        own = np.abs(curves[k] - (x, y)).max(axis=1).min()
        assert own < 1e-9  # on its own arrow
        for j, c in enumerate(curves):
            if j != k:
                inside = (np.abs(c[:, 0] - x) < LABEL_W / 2) & (np.abs(c[:, 1] - y) < LABEL_H / 2)
                crossed += bool(inside.any())
    assert crossed == 0


@pytest.mark.parametrize("label", ["Satisfaction", "Complaints", "顾客满意度指数"])
def test_path_box_names_keep_clear_of_the_box_edges(label):
    """Each drawn name is narrower than its box by a margin on both sides (review C 15:
    "Satisfaction" and "Complaints" touched the edges): measured as matplotlib draws it,
    in the diagram's own geometry (seven layers, the widest the CCSI model has)."""
    from crmsurvey.report import charts

    plt = charts._plt()
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    ax.set_xlim(-0.6, 6 * 1.4 + 0.6)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    texts = [ax.text(k * 1.4, 0, charts._wrap(name), fontsize=7.5, ha="center")
             for k, name in enumerate(["Image", label, "Loyalty"])]
    charts._fit_names(fig, ax, texts, charts.BOX_W * charts.NAME_ROOM)
    renderer = fig.canvas.get_renderer()
    box = abs(ax.transData.transform((charts.BOX_W, 0))[0] - ax.transData.transform((0, 0))[0])
    widths = [t.get_window_extent(renderer).width for t in texts]
    assert max(widths) <= 0.9 * box  # at least 5 % of the box clear on each side
    assert len({t.get_fontsize() for t in texts}) == 1  # one size for every name
    plt.close(fig)


def test_ipma_labels_clear_of_points_lines_and_each_other():
    """Two drivers nearly on top of each other: the names are placed apart, off the
    other points and off the quadrant lines (review B 18, review C 16)."""
    from crmsurvey.report import charts

    plt = charts._plt()
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    # example_file's brand A (review C 16: the mean line touched "Expected quality"), and
    # a neighbour next to Perceived quality (review B 18: 感知质量 crowded)
    x = np.array([0.406, 0.045, 0.097, 0.021, 0.345, 0.105])
    y = np.array([68.6, 63.3, 65.5, 70.0, 61.2, 66.0])
    names = ["品牌形象", "Expected quality", "感知质量", "Perceived value", "顾客满意度",
             "Near neighbour"]
    ax.scatter(x, y)
    ax.set_xlim(-0.04, 0.5)  # as ipma_chart sets them
    ax.set_ylim(58.9, 72.3)
    lines = (x[:4].mean(), y[:4].mean())
    boxes = charts._place_labels(fig, ax, x, y, names, lines)
    renderer = fig.canvas.get_renderer()
    # the boxes are the drawn names' (a name beside its point, without a leader line)
    drawn = {a.get_text(): a.get_window_extent(renderer) for a in ax.texts
             if a.arrow_patch is None}
    assert drawn and all(boxes[names.index(k)].contains(*b.p0) and
                         boxes[names.index(k)].contains(*b.p1) for k, b in drawn.items())
    pts = ax.transData.transform(np.column_stack([x, y]))
    lx, ly = ax.transData.transform([lines])[0]
    assert len(boxes) == len(names)
    for i, b in enumerate(boxes):
        assert not any(b.overlaps(o) for o in boxes[:i] + boxes[i + 1:])
        assert not (b.x0 < lx < b.x1) and not (b.y0 < ly < b.y1)
        assert not any(b.x0 < px < b.x1 and b.y0 < py < b.y1 for px, py in pts)
    plt.close(fig)


@pytest.mark.slow
def test_short_questions_in_the_actions_table_stay_on_one_line(example):
    """The question column keeps a readable width (review B 18: "Speed / of check-in"):
    a question of up to 35 letters is set on one line of the PDF."""
    html, pdf = example["en"]
    table = html[html.index('id="actions"'):]
    table = table[:table.index("</table>")]
    questions = [_plain(q).strip() for q in re.findall(r"<tr><td>(.*?)<span", table, re.S)]
    short = [q for q in questions if len(q) <= 35]
    assert short
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    lines = [re.sub(r"\s+", " ", line) for line in text.splitlines()]
    assert all(any(q in line for line in lines) for q in short), short
