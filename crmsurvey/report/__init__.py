"""PDF study reports: jinja2 templates (in the top-level ``reports/`` folder) rendered by
WeasyPrint, with SVG charts and the fixed wording in English and Chinese."""
from .render import build_html, render_report

__all__ = ["build_html", "render_report"]
