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
from urllib.parse import unquote, urlparse

from .._io import atomic_path
from .._resources import bundled_dir
from ..errors import InputError
from ..study.results import Results
from .context import build_context
from .filters import num, pct, pval, text_in

__all__ = ["render_report", "build_html", "restricted_fetcher", "build_context"]


def _allowed(url: str, roots: list[Path]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        return any(path == r or r in path.parents for r in roots) and path.is_file()
    return False


def restricted_fetcher(allowed: list[Path], refused: list[str] | None = None):
    """A WeasyPrint URL fetcher that serves data: URIs and files under ``allowed`` and
    refuses everything else (recording it in ``refused``)."""
    from weasyprint import urls

    roots = [p.resolve() for p in allowed]

    def refuse(url: str):
        if refused is not None:
            refused.append(url)
        raise ValueError(f"the report renderer fetches only its own assets, not {url!r}")

    if hasattr(urls, "URLFetcher"):  # WeasyPrint ≥ 68: a fetcher class
        class Restricted(urls.URLFetcher):
            def fetch(self, url, headers=None):
                if not _allowed(url, roots):
                    refuse(url)
                return super().fetch(url, headers)

        return Restricted(allowed_protocols=("data", "file"))

    def fetch(url: str, *args, **kwargs):  # older WeasyPrint: a function
        if not _allowed(url, roots):
            refuse(url)
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}


def _logo_uri(path: Path) -> str:
    """The logo embedded as a data: URI (no machine path in report.html)."""
    kind = _IMAGE_TYPES.get(path.suffix, "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def _environment(template_dir: Path):
    """Templates are code: rendered in Jinja's immutable sandbox (no attribute starting
    with ``_``, no mutation, format strings checked), autoescaped, strict."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(template_dir)),
                                        autoescape=True, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pval=pval, pct=pct, text=text_in)
    return env


def build_html(results: Results, *, lang: str | None = None, template_dir: Path | None = None,
               logo: str | None = None) -> str:
    """The report as HTML. A template that fails — a syntax error, a missing include, an
    unknown name or an operation the sandbox refuses — is an InputError naming the
    template and, where known, the line."""
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    lang = lang or results.study.language
    template_dir = Path(template_dir or bundled_dir("reports") / "default")
    main = template_dir / "report.html.j2"
    if not main.is_file():
        raise InputError(f"no report.html.j2 in template folder {str(template_dir)!r}")
    ctx = build_context(results, lang)
    ctx["logo"] = logo
    try:
        return _environment(template_dir).get_template("report.html.j2").render(**ctx)
    except TemplateSyntaxError as exc:
        raise InputError(f"template error: {exc.message}", path=exc.filename or str(main),
                         line=exc.lineno) from None
    except TemplateNotFound as exc:
        raise InputError(f"template {exc.name!r} not found in the template folder",
                         path=str(template_dir)) from None
    except TemplateError as exc:  # SecurityError (the sandbox), UndefinedError, ...
        where = _template_frame()
        raise InputError(f"template error: {exc}", path=where[0] if where else str(main),
                         line=where[1] if where else None) from None


def _template_frame() -> tuple[str, int] | None:
    """(file, line) of the template being rendered when the error arose: Jinja rewrites
    tracebacks so that template frames carry their own file and line."""
    import sys
    import traceback

    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(".j2")]
    return (frames[-1].filename, frames[-1].lineno) if frames else None


def render_report(results: Results, outdir: Path, *, lang: str | None = None,
                  template_dir: Path | None = None, refused: list[str] | None = None
                  ) -> tuple[Path, Path]:
    """Write the report into ``outdir`` (each file atomically): ``report.html`` and
    ``report.pdf`` in the results' own language, ``report.<lang>.html/.pdf`` in another
    one (so that both can stand side by side). A language the questionnaire has no text
    for is an InputError."""
    import logging

    from weasyprint import HTML

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
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=template_dir.as_uri() + "/",
                    url_fetcher=restricted_fetcher([template_dir, assets], refused))
    with atomic_path(outdir / f"{stem}.pdf") as tmp:
        document.write_pdf(str(tmp))
    return outdir / f"{stem}.html", outdir / f"{stem}.pdf"
