"""The printed questionnaire: the instrument as a respondent or interviewer sees it,
rendered by the report stack (sandboxed jinja2 + WeasyPrint, the same fonts), in one
language or two side by side for a translation check."""
from __future__ import annotations

from pathlib import Path

from .._io import write_text
from .._render import render_template, write_pdf
from .._resources import bundled_dir
from ..errors import InputError
from ..questionnaire import Questionnaire
from .instrument import labels, questions, routing_text

__all__ = ["questionnaire_html", "print_questionnaire"]

_ROW_POINTS = 12  # rating scales up to this many options print as a row of boxes


def _languages(q: Questionnaire, lang: str | None, second: str | None) -> list[str]:
    langs = [lang or q.languages[0]] + ([second] if second else [])
    for la in langs:
        if la not in q.languages:
            raise InputError(f"language {la!r} is not a language of the questionnaire",
                             path=q.source, hint=f"it has {', '.join(q.languages)}")
    if second and second == langs[0]:
        raise InputError("the second language must differ from the first")
    return langs


def _side(q: Questionnaire, lang: str) -> dict:
    words = labels(lang)
    qs = []
    for x in questions(q, lang):
        row = x.kind == "single" and x.scale.type == "rating" and \
            len(x.options) <= _ROW_POINTS + 2
        shown = words["number_label"].format(n=x.number) if x.number else ""
        qs.append({**vars(x), "row": row, "shown_number": shown})
    return {"lang": lang, "words": words, "title": q.text(q.definition.title, lang),
            "description": q.text(q.definition.description, lang), "questions": qs}


def questionnaire_html(q: Questionnaire, lang: str | None = None, *, second: str | None = None,
                       template_dir: Path | None = None) -> str:
    """The printed questionnaire as HTML (``second``: a language shown beside ``lang``)."""
    sides = [_side(q, la) for la in _languages(q, lang, second)]
    langs = [s["lang"] for s in sides]
    sections = []
    for sec in q.sections:
        idx = [k for k, x in enumerate(sides[0]["questions"]) if x["section"] == sec.id]
        sections.append({
            "titles": [q.text(sec.title, la) or sec.id for la in langs],
            "routes": [routing_text(q, sec.relevance, la) for la in langs],
            "questions": [[s["questions"][k] for s in sides] for k in idx]})
    ctx = {"sides": sides, "sections": sections, "id": q.id,
           "version": str(q.definition.version),
           "n_questions": sum(x["number"] is not None for x in sides[0]["questions"])}
    folder = Path(template_dir or bundled_dir("reports") / "questionnaire")
    return render_template(folder, "questionnaire.html.j2", ctx, {})


def print_questionnaire(q: Questionnaire, out: str | Path, lang: str | None = None, *,
                        second: str | None = None, template_dir: Path | None = None) -> Path:
    """Write the printed questionnaire to ``out`` (``.pdf``, or ``.html``), atomically.

    Examples
    --------
    >>> import crmsurvey as cs, tempfile, pathlib
    >>> q = cs.load_questionnaire("ccsi")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ccsi.pdf"
    >>> print_questionnaire(q, out, "zh-CN").read_bytes()[:5]
    b'%PDF-'
    """
    folder = Path(template_dir or bundled_dir("reports") / "questionnaire").resolve()
    html = questionnaire_html(q, lang, second=second, template_dir=folder)
    out = Path(out)
    if out.suffix.lower() == ".html":
        write_text(out, html)
        return out
    if out.suffix.lower() != ".pdf":
        raise InputError(f"cannot print to {out.suffix or 'a file without an ending'!r}",
                         path=str(out), hint="use .pdf or .html")
    return write_pdf(html, out, base=folder, allowed=[folder])
