"""Render a study's results to HTML and PDF (jinja2 + WeasyPrint); what the templates
show is built in :mod:`.context`.

Templates autoescape every value and use ``StrictUndefined``; untrusted text (question
wording, group names, data values) therefore shows as text. The PDF renderer fetches only
``data:`` URIs and files inside the template folder or the run's ``assets`` folder —
never the network and no other file.
"""
from __future__ import annotations

import base64
from pathlib import Path

from .._io import atomic_path
from .._render import render_template, restricted_fetcher, write_pdf
from .._resources import bundled_dir
from ..errors import InputError
from ..study.results import Results
from .context import build_context
from .filters import num, pct, pval, text_in

__all__ = ["render_report", "build_html", "restricted_fetcher", "build_context"]


_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}


def _logo_uri(path: Path) -> str:
    """The logo embedded as a data: URI (no machine path in report.html)."""
    kind = _IMAGE_TYPES.get(path.suffix, "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def build_html(results: Results, *, lang: str | None = None, template_dir: Path | None = None,
               logo: str | None = None) -> str:
    """The report as HTML. A template that fails — a syntax error, a missing include, an
    unknown name or an operation the sandbox refuses — is an InputError naming the
    template and, where known, the line."""
    lang = lang or results.study.language
    template_dir = Path(template_dir or bundled_dir("reports") / "default")
    ctx = build_context(results, lang)
    ctx["logo"] = logo
    return render_template(template_dir, "report.html.j2", ctx,
                           {"num": num, "pval": pval, "pct": pct, "text": text_in})


def render_report(results: Results, outdir: Path, *, lang: str | None = None,
                  template_dir: Path | None = None, refused: list[str] | None = None
                  ) -> tuple[Path, Path]:
    """Write the report into ``outdir`` (each file atomically): ``report.html`` and
    ``report.pdf`` in the results' own language, ``report.<lang>.html/.pdf`` in another
    one (so that both can stand side by side). A language the questionnaire has no text
    for is an InputError."""
    lang = lang or results.study.language
    known = results.study.languages or [results.study.language]
    if lang not in known:
        raise InputError(f"language {lang!r} is not a language of the questionnaire",
                         hint=f"it has {', '.join(known)}")
    stem = "report" if lang == results.study.language else f"report.{lang}"
    outdir = Path(outdir)
    template_dir = Path(template_dir or bundled_dir("reports") / "default").resolve()
    assets = (outdir / "assets").resolve()
    logo = next((p for p in sorted(assets.glob("logo.*"))), None) if assets.is_dir() else None
    html = build_html(results, lang=lang, template_dir=template_dir,
                      logo=_logo_uri(logo) if logo else None)
    with atomic_path(outdir / f"{stem}.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    write_pdf(html, outdir / f"{stem}.pdf", base=template_dir,
              allowed=[template_dir, assets], refused=refused)
    return outdir / f"{stem}.html", outdir / f"{stem}.pdf"
