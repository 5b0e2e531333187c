"""Number formatting for reports (the only place, with ``_format``, that rounds)."""
from __future__ import annotations

import math

__all__ = ["num", "pval", "pct", "text_in"]


def _bad(v) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def num(v, digits: int = 3) -> str:
    """``0.512``; ``–`` for a missing value."""
    if _bad(v):
        return "–"
    return f"{v:.{digits}f}"


def pval(v) -> str:
    if _bad(v):
        return "–"
    return "< .001" if v < 0.001 else f"{v:.3f}".lstrip("0")


def pct(v, digits: int = 1) -> str:
    return "–" if _bad(v) else f"{v:.{digits}f}%"


def text_in(value, lang: str) -> str:
    """Pick a language from a text mapping (``{"*": …}``, ``{"en": …, "zh-CN": …}``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("*") or next(iter(value.values()), "")
