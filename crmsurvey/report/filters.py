"""Filters for report templates: the shared number formats and text in a language."""
from __future__ import annotations

from .._catalogue import text_in_language
from .._format import num, pct, pval

__all__ = ["num", "pval", "pct", "text_in"]


def text_in(value, lang: str, languages=()) -> str:
    """Pick a language from a text mapping (``{"*": …}``, ``{"en": …, "zh-CN": …}``):
    ``lang``'s, else English, else the first of ``languages`` it has
    (:func:`crmsurvey._catalogue.text_in_language`)."""
    return text_in_language(value, lang, languages)
