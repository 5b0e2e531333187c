"""Filters for report templates: the shared number formats and text in a language."""
from __future__ import annotations

from .._format import num, pct, pval

__all__ = ["num", "pval", "pct", "text_in"]


def text_in(value, lang: str) -> str:
    """Pick a language from a text mapping (``{"*": …}``, ``{"en": …, "zh-CN": …}``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("*") or next(iter(value.values()), "")
