"""Everything a report template shows, built from the typed study results in display
order — the templates only loop and test. Every number comes from one estimate in the
results; the only arithmetic here is presentation (a margin of error is half an
interval's width)."""
from __future__ import annotations

from ..study.results import Results
from .filters import text_in
from .i18n import strings
from .sections.analytics import analytics_context
from .sections.cbsem import cbsem_context, disagreements
from .sections.common import Names
from .sections.comparisons import comparisons_context
from .sections.complaints import complaints_context
from .sections.drivers import drivers_context
from .sections.methodology import method_context
from .sections.model import model_context
from .sections.scores import current_context, items_context
from .sections.shape import shape_context
from .sections.summary import summary_context
from .sections.trend import trend_context

__all__ = ["build_context", "Names"]


def build_context(results: Results, lang: str) -> dict:
    """Everything the report template shows for ``results`` in language ``lang``
    (``"en"``, ``"zh-CN"``): each section's part, then the switches the study's shape
    licenses."""
    t = strings(lang)
    names = Names(results, lang, t)
    scope = results.headline.group
    level = f"{100 * ((results.settings.pls or {}).get('ci') or 0.95):.0f}%"
    constructs = results.model.index_constructs
    sat = next((c for c in constructs if "sat" in c.lower()), constructs[0] if constructs
               else None)
    ctx = {"t": t, "lang": lang, "labels": names, "level": level, "sat": sat,
           "target": results.model.ipma_target,
           "study": results.study.model_dump(), "settings": results.settings.model_dump(),
           "sample": results.sample.model_dump(), "sections": results.study.sections,
           "client": text_in(results.study.client, lang) if results.study.client else "",
           "author": text_in(results.study.author, lang) if results.study.author else ""}
    ctx.update(summary_context(results, names, t, level, sat))
    ctx.update(current_context(results, names, t, sat))
    ctx.update(trend_context(results, names, t, level))
    ctx.update(drivers_context(results, names, t, lang))
    ctx.update(items_context(results, names))
    ctx.update(model_context(results.model_of(scope), results, names))
    ctx.update(comparisons_context(results, names, t))
    ctx.update(cbsem_context(results.cbsem, names, t, lang))
    ctx["cb_disagreements"] = disagreements(results, names, t)
    ctx["complaints"] = complaints_context(results, names, t)
    ctx.update(analytics_context(results.analytics, names, t, lang))
    ctx.update(method_context(results, names, t, level, lang))
    from .weighting import weighting_context

    ctx.update(weighting_context(results, names, t, lang))
    from .segments import segments_context

    ctx["segments"] = segments_context(results, names, t)
    ctx.update(shape_context(results, ctx, lang))
    return ctx
