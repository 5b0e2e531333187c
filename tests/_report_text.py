"""Reading a rendered report's HTML in tests: visible text, sections, elements, and the
executive summary's numbers checked against the body.

These are the text helpers the review tests (tests/test_review_*.py, test_story.py,
test_study_shapes.py, test_referee_stats.py) share. They read markup only; what a
sentence should say comes from the results in each test, never from earlier output.
"""
from __future__ import annotations

import html as _html
import re
from pathlib import Path

__all__ = ["text_of", "page_text", "plain", "section", "summary", "element", "NUMBER",
           "magnitude", "summary_problems"]

_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.S)
_DATA_URI = re.compile(r'src="data:[^"]*"')


def text_of(fragment: str, *, strip: bool = True) -> str:
    """The visible text of an HTML fragment: tags become spaces, entities are resolved,
    whitespace runs are one space, ends stripped (``strip=False``: a space kept where a
    tag or a line break was at either end).

    >>> text_of("<p>A&nbsp;&amp; <b>B</b>\\n  C</p>")
    'A & B C'
    >>> text_of("<p>A</p>", strip=False)
    ' A '
    """
    text = re.sub(r"\s+", " ", _html.unescape(_TAG.sub(" ", fragment)))
    return text.strip() if strip else text


def page_text(doc: str | Path) -> str:
    """A whole report's visible text (an HTML text or file): ``<script>``/``<style>``
    and inline images (``data:`` URIs) left out, then as :func:`text_of`."""
    if isinstance(doc, Path):
        doc = doc.read_text(encoding="utf-8")
    return text_of(_DATA_URI.sub("", _CODE.sub(" ", doc)), strip=False)


def plain(fragment: str) -> str:
    """Markup removed without a space (``ρ<sub>A</sub>`` is ``ρA``), entities kept,
    whitespace runs one space: a heading or cell as the reader sees it run together."""
    return re.sub(r"\s+", " ", _TAG.sub("", fragment))


def section(text: str, start: str, end: str) -> str:
    """``text`` from the first ``start`` up to the next ``end`` after it."""
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


def summary(doc: str) -> str:
    """The executive summary's HTML (its heading up to the end of its section)."""
    start = doc.index('<h1 id="summary">')
    return doc[start:doc.index("</section>", start)]


def element(doc: str, ident: str) -> str | None:
    """The inner HTML of the element with ``id=ident`` (None when there is none)."""
    m = re.search(r'<(\w+)[^>]*\bid="%s"[^>]*>' % re.escape(ident), doc)
    if m is None:
        return None
    return doc[m.end():doc.index(f"</{m.group(1)}>", m.end())]


#: a printed decimal figure (CJK text runs into numbers: 78.3对72.4)
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-−]?\d+\.\d+%?")


#: a linked interval of the summary: two links to one element joined by "to" / "至"
INTERVAL_LINK = re.compile(r'<a class="ref" href="#([^"]+)">([^<]*)</a>\s*(?:to|至)\s*'
                           r'<a class="ref" href="#\1">([^<]*)</a>')
#: a printed interval of a table cell ("-35.1 – 8.2")
INTERVAL = re.compile(r"([-−]?\d+\.\d+)%?\s*–\s*([-−]?\d+\.\d+)%?")


def magnitude(x: str) -> str:
    """A printed figure without its sign and percent sign."""
    return x.replace("−", "-").lstrip("-").rstrip("%")


def summary_problems(doc: str) -> list[tuple]:
    """Every decimal number of the executive summary must appear in the rest of the
    report (as a magnitude: "behind by 8.0" is the body's "-8.0"), and every linked one in
    the element its link points to. Interval levels (``<span class="level">``) are
    settings, not figures."""
    doc = re.sub(r'<span class="level">.*?</span>', "", doc)
    start = doc.index('<h1 id="summary">')
    end = doc.index("</section>", start)
    head, body = doc[start:end], doc[:start] + doc[end:]
    in_body = {magnitude(x) for x in NUMBER.findall(text_of(body))}
    problems = [("not in the body", x) for x in NUMBER.findall(text_of(head))
                if magnitude(x) not in in_body]
    links = re.findall(r'<a class="ref" href="#([^"]+)">(.*?)</a>', head)
    for ref, inner in links:
        target = element(body, ref)
        if target is None:
            problems.append(("no element", ref))
            continue
        there = {magnitude(y) for y in NUMBER.findall(text_of(target))}
        problems += [("not in #" + ref, y) for y in NUMBER.findall(text_of(inner))
                     if magnitude(y) not in there]
    if not links:
        problems.append(("no link", ""))
    # an interval is quoted as its linked table prints it, signs and order kept: the
    # summary's "lo to hi" is a "lo – hi" of the element it links to (a sign-flipped
    # "-8.2 to 35.1" beside the body's "-35.1 – 8.2" is not)
    for ref, lo, hi in INTERVAL_LINK.findall(head):
        target = element(body, ref)
        if target is None:
            continue
        pairs = set(INTERVAL.findall(text_of(target).replace("−", "-")))
        # a percentage's sign (a CSAT interval "23.1% to 30.3%") is no part of the figure
        quoted = tuple(re.sub(r"\s*%$", "", v.replace("−", "-"))
                       for v in (text_of(lo), text_of(hi)))
        if quoted not in pairs:
            problems.append(("interval not in #" + ref, " to ".join(quoted)))
    # a gap is said as a magnitude: never "behind … by -15.8"
    problems += [("double negative", m) for m in
                 re.findall(r"(?:by|behind|落后|相差)\s*[-−]\d+\.\d", text_of(head))]
    return problems
