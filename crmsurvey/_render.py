"""HTML and PDF rendering shared by the study report and the printed questionnaire:
templates run in Jinja's immutable sandbox, autoescaped and strict; WeasyPrint fetches
only ``data:`` URIs and files under the folders it is given — never the network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from ._io import atomic_path
from .errors import InputError

__all__ = ["sandboxed_environment", "render_template", "restricted_fetcher", "write_pdf"]


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
        raise ValueError(f"the renderer fetches only its own assets, not {url!r}")

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


def sandboxed_environment(template_dir: Path, filters: dict[str, Callable]):
    """Templates are code: rendered in Jinja's immutable sandbox (no attribute starting
    with ``_``, no mutation, format strings checked), autoescaped, strict."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(template_dir)),
                                        autoescape=True, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    env.filters.update(filters)
    return env


def render_template(template_dir: Path, name: str, context: dict,
                    filters: dict[str, Callable]) -> str:
    """Render ``template_dir/name``. A template the user gave that fails — a syntax
    error, a missing include, an unknown name or an operation the sandbox refuses — is an
    InputError naming the template and, where known, the line; a failing template shipped
    with crmsurvey is a fault of the tool (RuntimeError: the CLI's exit 1)."""
    from jinja2 import TemplateError

    main = Path(template_dir) / name
    if not main.is_file():
        raise InputError(f"no {name} in template folder {str(template_dir)!r}")
    try:
        env = sandboxed_environment(Path(template_dir), filters)
        return env.get_template(name).render(**context)
    except TemplateError as exc:
        where = _template_frame() or (getattr(exc, "filename", None) or str(main),
                                      getattr(exc, "lineno", None))
        if _bundled(Path(template_dir)):
            raise RuntimeError(f"the bundled template failed at {where[0]}:{where[1]}: "
                               f"{exc}") from exc
        raise _user_template_error(exc, where, template_dir) from None


def _bundled(folder: Path) -> bool:
    """Whether ``folder`` holds templates shipped with crmsurvey."""
    from ._resources import bundled_dir

    shipped = bundled_dir("reports").resolve()
    folder = folder.resolve()
    return folder == shipped or shipped in folder.parents


def _user_template_error(exc: Exception, where: tuple, template_dir: Path) -> InputError:
    """The InputError for a user's template that failed at ``where`` (file, line)."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    if isinstance(exc, TemplateSyntaxError):
        return InputError(f"template error: {exc.message}", path=where[0], line=exc.lineno)
    if isinstance(exc, TemplateNotFound):
        return InputError(f"template {exc.name!r} not found in the template folder",
                          path=str(template_dir))
    # SecurityError (the sandbox), UndefinedError, ...
    return InputError(f"template error: {exc}", path=where[0], line=where[1])


def _template_frame() -> tuple[str, int] | None:
    """(file, line) of the template being rendered when the error arose: Jinja rewrites
    tracebacks so that template frames carry their own file and line."""
    import sys
    import traceback

    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(".j2")]
    return (frames[-1].filename, frames[-1].lineno) if frames else None


#: laid out again at most this often: a moved chapter may move another, and the summary
#: is set tighter, then smaller, before the next chapter moves (render.run_on_chapters)
RELAYOUT_ROUNDS = 4


def write_pdf(html: str, out: Path, *, base: Path, allowed: list[Path],
              refused: list[str] | None = None, relayout=None) -> Path:
    """Write ``html`` as a PDF at ``out`` (atomically), resolving relative URLs against
    the folder ``base`` and fetching only under ``allowed``. The fonts the text needs are
    checked first (:func:`crmsurvey._fonts.check_fonts`): a missing font is exit 2
    naming the package, not boxes or a crashed renderer. ``relayout``: called with the
    laid-out WeasyPrint document and its HTML; HTML it returns is laid out again (up to
    :data:`RELAYOUT_ROUNDS` times, until it returns None) and written instead (a page
    break that left a page near empty, taken back)."""
    import logging

    from ._fonts import check_fonts

    check_fonts(html)
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    def layout(text: str):
        return HTML(string=text, base_url=Path(base).resolve().as_uri() + "/",
                    url_fetcher=restricted_fetcher(allowed, refused)).render()

    document = layout(html)
    for _ in range(RELAYOUT_ROUNDS if relayout is not None else 0):
        html = relayout(document, html)
        if html is None:
            break
        document = layout(html)
    with atomic_path(out) as tmp:
        document.write_pdf(str(tmp))
    return Path(out)
