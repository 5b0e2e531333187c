"""Render a study's results to HTML and PDF (jinja2 + WeasyPrint); what the templates
show is built in :mod:`.context`.

Templates autoescape every value and use ``StrictUndefined``; untrusted text (question
wording, group names, data values) therefore shows as text. The PDF renderer fetches only
``data:`` URIs and files inside the template folder or the run's ``assets`` folder —
never the network and no other file.
"""
from __future__ import annotations

import base64
import itertools
import math
import os
import re
from pathlib import Path

from .._assets import read_image
from .._catalogue import require_language
from .._format import number_locale
from .._io import atomic_path
from .._render import render_template, restricted_fetcher, write_pdf
from .._resources import bundled_dir
from ..errors import InputError
from ..study.results import Results
from .context import build_context
from .filters import num, pct, pval, text_in

__all__ = ["render_report", "build_html", "report_logo", "restricted_fetcher",
           "build_context"]


_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}
#: A language tag as reports name their files (``en``, ``zh-CN``): nothing else may reach
#: a file name, whatever a results.json says.
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")


def report_logo(assets: Path) -> str | None:
    """The run's logo in ``assets`` (``logo.png``/``.jpg``/``.svg``) as a data: URI (no
    machine path in report.html), or None. It is checked as the study's logo is, and may
    not be a link, a pipe or a device, nor ``assets`` a link: an InputError names it."""
    assets = Path(assets)
    if not os.path.lexists(assets):
        return None
    if assets.is_symlink() or not assets.is_dir():
        raise InputError("the report's assets must be a folder of the run's own files, "
                         "not a link or a file", path=str(assets))
    for path in sorted(assets.glob("logo.*")):
        try:
            kind, data = read_image(path, follow_links=False)
        except ValueError as exc:
            raise InputError(f"the report's logo is not accepted: {exc}",
                             path=str(path)) from None
        if kind != path.suffix:
            raise InputError(f"the report's logo is a {kind[1:].upper()} image named "
                             f"{path.name!r}", path=str(path))
        return f"data:{_IMAGE_TYPES[kind]};base64," + base64.b64encode(data).decode()
    return None


def build_html(results: Results, *, lang: str | None = None, template_dir: Path | None = None,
               logo: str | None = None) -> str:
    """The report as HTML. A template that fails — a syntax error, a missing include, an
    unknown name or an operation the sandbox refuses — is an InputError naming the
    template and, where known, the line."""
    lang = require_language(lang or results.study.language)
    template_dir = Path(template_dir or bundled_dir("reports") / "default")
    with number_locale(lang):  # numbers, percentages and dates in the report's locale
        ctx = build_context(results, lang)
        ctx["logo"] = logo
        html = render_template(template_dir, "report.html.j2", ctx,
                               {"num": num, "pval": pval, "pct": pct, "text": text_in,
                                "cover_title": cover_title})
    return _cjk_spacing(html)  # a no-op without full-width punctuation


#: Chinese full-width sentence punctuation takes no space after it; the template joins
#: sentences with one (English spacing), so it is dropped here, between text only.
_SPACE_AFTER_FULL_STOP = re.compile(r"(?<=[。；！？：）])[ \t]+(?=[^\s<])")


def _cjk_spacing(html: str) -> str:
    """Drop the ASCII space after Chinese sentence punctuation.

    >>> _cjk_spacing("<p>可接受的。 基于</p>")
    '<p>可接受的。基于</p>'
    """
    return _SPACE_AFTER_FULL_STOP.sub("", html)


#: no line break inside a figure: after a dash between numbers ("0–6") nor after the
#: point of a p-value (".067"); WeasyPrint breaks both (U+2060 WORD JOINER holds them)
_GLUE = re.compile(r"(?<=\d[–—])(?=[\d−-])|(?<=[\s(]\.)(?=\d)")
_TAGS = re.compile(r"(<style\b.*?</style>|<script\b.*?</script>|<[^>]*>)", re.S | re.I)
#: ... nor inside a statistic's expression: the spaces around the relation of "p = .067",
#: "n = 90" or "ρC ≥ 0.70" become no-break spaces (review: "(p / = .067)")
_RELATION = re.compile(r"(?<!\s) (=|&lt;|&gt;|<|>|≤|≥|≈) (?=[-−+.\d])")
#: ... nor before the dash of an interval ("−23.0 – −3.6" breaks, if at all, after it)
_INTERVAL = re.compile(r"(?<=\d) (?=[–—] [-−]?\d)")


def _glue_numbers(html: str) -> str:
    """``html`` with a word joiner where a line must not break inside a number (text
    only: tags, styles and scripts are left alone).

    >>> _glue_numbers('<p style="margin: .5em">(0–6) (p = .067; n &lt; 30)</p>')
    '<p style="margin: .5em">(0–\u20606) (p\xa0=\xa0.\u2060067; n\xa0&lt;\xa030)</p>'
    >>> _glue_numbers("<td>−23.0 – −3.6</td>")
    '<td>−23.0\xa0– −3.6</td>'
    """
    parts = _TAGS.split(html)
    return "".join(x if k % 2 else _INTERVAL.sub("\u00a0", _RELATION.sub(
        "\u00a0\\1\u00a0", _GLUE.sub("\u2060", x))) for k, x in enumerate(parts))


#: Where a Chinese title may break: at a space, after closing brackets and punctuation,
#: before opening brackets (CJK text otherwise breaks between any two characters,
#: inside a word: "…（三个品" / "牌）")
_TITLE_BREAK = re.compile(r"\s+|(?<=[）」』】〕，、：；。！？])|(?=[（「『【〔])")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
#: the cover title's size and the width of its line (report.css: 28 pt on 160 mm)
TITLE_PT, TITLE_WIDTH_PT = 28.0, 160 / 25.4 * 72


def cover_title(text: str | None):
    """The cover's title as markup: a title with Chinese text in pieces that do not
    break inside (``nw`` spans joined by zero-width spaces, where a line may break),
    and a smaller size (``font-size``) when its longest piece would not fit one line.
    Other titles are returned as they are (escaped), breaking at spaces.

    >>> str(cover_title("中国顾客满意度指数示例（三个品牌）"))
    '<span class="nw">中国顾客满意度指数示例</span>\u200b<span class="nw">（三个品牌）</span>'
    >>> str(cover_title("A & B"))
    'A &amp; B'
    """
    from markupsafe import Markup, escape

    text = text or ""
    if not _CJK.search(text):
        return escape(text)
    pieces = [p for p in _TITLE_BREAK.split(text) if p]
    widest = max(sum(1.0 if _CJK.match(c) else 0.6 for c in p) for p in pieces)
    spans = Markup("\u200b").join(Markup('<span class="nw">%s</span>') % p for p in pieces)
    if widest * TITLE_PT <= 0.97 * TITLE_WIDTH_PT:
        return spans
    size = math.floor(10 * 0.97 * TITLE_WIDTH_PT / widest) / 10
    return Markup('<span style="font-size: %spt">%s</span>') % (size, spans)


#: a table's column heading; where a word ends inside a Chinese one (after closing
#: brackets and punctuation, before opening brackets)
_HEADER = re.compile(r"(<th\b[^>]*>)(.*?)(</th>)", re.S)
_WORD_END = re.compile(r"(?<=[）」』】〕，、：；。！？])|(?=[（「『【〔])")
#: a one-letter word of a Latin heading and the space after it ("p (adj.)", "n used")
_ONE_LETTER = re.compile(r"(?<![^\s>])(\w) (?=\S)")
#: a table cell of plain text naming a path ("A → B") or a chain of them
_PATH_CELL = re.compile(r"(<td\b[^>]*>)([^<]*\S →\s[^<]*)(</td>)")


def _header_words(html: str) -> str:
    """``html`` with each Chinese column heading breaking between words only: its
    pieces between spaces, punctuation and brackets set as ``nw`` spans joined by
    zero-width spaces (CJK text otherwise breaks between any two characters: "抱怨处" /
    "理", "样本" / "量" in a narrow column). In a heading without Chinese text a
    one-letter word is bound to the next one (no "p" / "(adj.)"). A cell naming a path
    or a chain ("顾客满意度 → 顾客忠诚度") breaks at its arrows only, as a heading does.

    >>> _header_words('<td>顾客满意度 → 顾客忠诚度</td>')
    '<td><span class="nw">顾客满意度</span> → <span class="nw">顾客忠诚度</span></td>'
    >>> _header_words('<th class="num">顾客忠诚度：抱怨者</th><th>n</th>')
    '<th class="num"><span class="nw">顾客忠诚度：</span>\u200b<span class="nw">抱怨者</span></th><th>n</th>'
    >>> _header_words('<th class="num">p (adj.)</th>')
    '<th class="num">p\xa0(adj.)</th>'
    """
    def words(text: str) -> str:
        if not _CJK.search(text):
            return _ONE_LETTER.sub("\\1\xa0", text)
        out = []
        for token in re.split(r"(\s+)", text):
            if not token or token.isspace():
                out.append(token)
                continue
            out.append("\u200b".join(f'<span class="nw">{w}</span>' if _CJK.search(w)
                                     else w for w in _WORD_END.split(token) if w))
        return "".join(out)

    def heading(m: re.Match) -> str:
        parts = _TAGS.split(m.group(2))
        return m.group(1) + "".join(x if k % 2 else words(x)
                                    for k, x in enumerate(parts)) + m.group(3)

    return _PATH_CELL.sub(heading, _HEADER.sub(heading, html))


#: Chapters that begin a page of their own (``h1`` without ``class="cont"``) and may run
#: on below the previous chapter instead, where their page break left a page less than
#: :data:`SHORT_PAGE` full (review round 3: the glossary's last bullet points alone on a
#: page before the appendix)
RUN_ON = ("appendix",)
SHORT_PAGE = 0.5
#: ... and a chapter that runs on (``class="cont"``) but would begin below this share of
#: the page's height starts the next page instead (review round 3: "Sample and data
#: quality" with its tiles at a page's foot, its tables overleaf)
LOW_START = 0.72
#: Chapters meant to be read on one page: where one runs over onto a second page it is
#: set a little tighter (``class="fit"``), and where it still runs over, the chapter
#: after it begins the next page rather than below its last lines (review: the
#: executive summary's footnote, then "Scores by group" mid-page under the running
#: header "Executive summary")
ONE_PAGE = ("summary",)


def page_fill(page) -> float:
    """The share of a laid-out WeasyPrint page's height down to the lowest line, image
    or table row of its body (the running header and footer left out)."""
    from weasyprint.formatting_structure import boxes

    bottom = 0.0
    for child in page._page_box.children:
        if isinstance(child, boxes.MarginBox):
            continue
        for box in child.descendants():
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox, boxes.TableRowBox)) \
                    and box.height:
                bottom = max(bottom, box.position_y + box.margin_height())
    return bottom / page.height


def _content_top(page) -> float:
    """Where the first line, image or table row of a laid-out page's body begins."""
    from weasyprint.formatting_structure import boxes

    tops = [box.position_y for child in page._page_box.children
            if not isinstance(child, boxes.MarginBox) for box in child.descendants()
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox, boxes.TableRowBox))]
    return min(tops, default=0.0)


def run_on_chapters(html: str, document) -> str | None:
    """``html`` with each chapter of :data:`RUN_ON` set to run on (``class="cont"``)
    where, laid out as ``document``, the page before the one it begins is less than
    :data:`SHORT_PAGE` full, and each running-on chapter that begins below
    :data:`LOW_START` of its page, or after a chapter of :data:`ONE_PAGE` that ran over
    its first page even set tighter and then smaller, set to begin the next one (``class="cont page"``);
    None when nothing changes."""
    pages = document.pages
    out = html
    running = set(re.findall(r'<h1 id="([^"]+)" class="cont">', html))
    for page in pages:
        for name, box in page.anchors.items():  # (x1, y1, x2, y2) from the page's top
            if name in running and box[1] > LOW_START * page.height:
                out = out.replace(f'<h1 id="{name}" class="cont">',
                                  f'<h1 id="{name}" class="cont page">', 1)
    for name in ONE_PAGE:
        after = re.search(rf'<h1 id="{re.escape(name)}"([^>]*)>(?:(?!<h1\b).)*'
                          r'<h1 id="([^"]+)" class="cont">', html, flags=re.S)
        at = [next((k for k, page in enumerate(pages) if key in page.anchors), None)
              for key in (name, after and after.group(2))]
        if not after or None in at or at[1] <= at[0] or \
                pages[at[1]].anchors[after.group(2)][1] <= _content_top(pages[at[1]]) + 1:
            continue  # on one page, or the next chapter alone at its page's top
        if "fit" not in after.group(1):  # first set tighter (report.css: h1.fit ~ …)
            out = out.replace(f'<h1 id="{name}"{after.group(1)}>',
                              f'<h1 id="{name}" class="fit">', 1)
        elif "tight" not in after.group(1):  # then in smaller type (h1.tight ~ …)
            out = out.replace(f'<h1 id="{name}"{after.group(1)}>',
                              f'<h1 id="{name}" class="fit tight">', 1)
        else:  # still over: the next chapter begins a page
            out = out.replace(f'<h1 id="{after.group(2)}" class="cont">',
                              f'<h1 id="{after.group(2)}" class="cont page">', 1)
    for name in RUN_ON:
        at = next((k for k, page in enumerate(pages) if name in page.anchors), None)
        if at is None or at < 3 or page_fill(pages[at - 1]) >= SHORT_PAGE:
            continue
        out = re.sub(rf'<h1 id="{re.escape(name)}"(?![^>]*\bclass=)',
                     f'<h1 id="{name}" class="cont"', out, count=1)
    return out if out != html else None


#: A table that breaks keeps this many body rows or more on each side of the break; the
#: stylesheet asks it of the rows (report.css), and WeasyPrint honours it except where a
#: table begins at a page's foot with room for its head and one or two rows only: such
#: a table is kept whole (``class="keep"``: moved to the next page with its heading, and
#: broken there only if longer than a page)
KEEP_ROWS = 3
#: ... when it has this many body rows or more (shorter ones move whole, report.css)
LONG_TABLE = 6
_TABLE_TAG = re.compile(r"<table\b([^>]*)>")
_CLASS = re.compile(r'\bclass="([^"]*)"')


def table_parts(document) -> list[tuple[object, list[int], list[list[int]]]]:
    """Each table of a laid-out document that lies on more than one page: (its element,
    its body rows per page, the rows per page of each of its group blocks —
    ``tbody.group`` — that lies on more than one page). A repeated head is no body row."""
    from weasyprint.formatting_structure import boxes

    tables: dict[int, tuple] = {}
    for k, page in enumerate(document.pages):
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox):
                continue
            for box in child.descendants():
                if not isinstance(box, boxes.TableBox):
                    continue
                per_page, groups = tables.setdefault(id(box.element),
                                                     (box.element, {}, {}))[1:]
                for group in box.children:
                    if isinstance(group, boxes.TableRowGroupBox) and \
                            group.element_tag == "tbody":
                        n = sum(isinstance(r, boxes.TableRowBox) for r in group.children)
                        per_page[k] = per_page.get(k, 0) + n
                        if "group" in (group.element.get("class") or "").split():
                            split = groups.setdefault(id(group.element), {})
                            split[k] = split.get(k, 0) + n
    return [(element, [per_page[k] for k in sorted(per_page)],
             [[g[k] for k in sorted(g)] for g in groups.values() if len(g) > 1])
            for element, per_page, groups in tables.values() if len(per_page) > 1]


def keep_table_heads(html: str, document) -> str | None:
    """``html`` with each table that, laid out as ``document``, begins a page's foot with
    fewer than :data:`KEEP_ROWS` of its :data:`LONG_TABLE` or more body rows (or of its
    first group block) set to move whole (``class="keep"``); None when none does."""
    if not document.pages:
        return None
    root = document.pages[0]._page_box.children[0].element
    order = {id(t): k for k, t in enumerate(root.iter("table"))}
    short = set()
    for element, counts, groups in table_parts(document):
        total = sum(1 for body in element.iter("tbody") for r in body if r.tag == "tr")
        head = [g[0] for g in groups]
        if (total >= LONG_TABLE and counts[0] < KEEP_ROWS) or \
                any(n < KEEP_ROWS and n == counts[0] for n in head):
            short.add(order.get(id(element)))
    if not short - {None}:
        return None

    seen = itertools.count()

    def mark(m: re.Match) -> str:
        attrs = m.group(1)
        if next(seen) not in short or re.search(r'\bclass="[^"]*\bkeep\b', attrs):
            return m.group(0)
        if _CLASS.search(attrs):
            return "<table" + _CLASS.sub(lambda c: f'class="{c.group(1)} keep"', attrs,
                                         count=1) + ">"
        return f'<table class="keep"{attrs}>'

    out = _TABLE_TAG.sub(mark, html)
    return out if out != html else None


def relayout(html: str, document) -> str | None:
    """The layout's second look (:func:`run_on_chapters`, then :func:`keep_table_heads`):
    ``html`` changed where the laid-out ``document`` needs it, or None."""
    moved = run_on_chapters(html, document)
    kept = keep_table_heads(moved or html, document)
    return kept or moved


def render_report(results: Results, outdir: Path, *, lang: str | None = None,
                  template_dir: Path | None = None, refused: list[str] | None = None,
                  assets: Path | None = None) -> tuple[Path, Path]:
    """Write the report into ``outdir`` (each file atomically): ``report.html`` and
    ``report.pdf`` in the results' own language, ``report.<lang>.html/.pdf`` in another
    one (so that both can stand side by side). A language the questionnaire has no text
    for is an InputError. The logo comes from ``assets`` (default ``outdir/assets``)."""
    lang = lang or results.study.language
    known = [k for k in results.study.languages or [results.study.language]
             if isinstance(k, str) and _LANG_TAG.fullmatch(k)]
    if not isinstance(lang, str) or not _LANG_TAG.fullmatch(lang) or lang not in known:
        raise InputError(f"language {lang!r} is not a language of the questionnaire",
                         hint=f"it has {', '.join(known) or 'none a report can name'}")
    stem = "report" if lang == results.study.language else f"report.{lang}"
    outdir = Path(outdir)
    template_dir = Path(template_dir or bundled_dir("reports") / "default").resolve()
    assets = Path(assets if assets is not None else outdir / "assets")
    logo = report_logo(assets)
    assets = assets.resolve()
    html = build_html(results, lang=lang, template_dir=template_dir, logo=logo)
    with atomic_path(outdir / f"{stem}.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    pdf_html = _header_words(_glue_numbers(html))
    write_pdf(pdf_html, outdir / f"{stem}.pdf", base=template_dir,
              allowed=[template_dir, assets], refused=refused,
              relayout=lambda document, text: relayout(text, document))
    return outdir / f"{stem}.html", outdir / f"{stem}.pdf"
