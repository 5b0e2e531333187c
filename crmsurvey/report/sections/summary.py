"""The executive summary: the key figures (index and NPS of the whole sample and the
client) and the client's story (findings and recommendations linked into the body)."""
from __future__ import annotations

from markupsafe import Markup, escape

from ...study.results import Results
from ..findings import level_text, story_context
from .common import Names, box_rule, waves_compared

__all__ = ["summary_context"]


def _unbroken(template: str, **names) -> Markup:
    """A summary card's label: each name kept on one line (a narrow card breaks between
    the names, never inside a word such as 全部受访者)."""
    return Markup(escape(template)).format(**{k: Markup('<span class="nw">{}</span>').format(v)
                                              for k, v in names.items()})


def summary_context(results: Results, names: Names, t: dict, level: str, sat) -> dict:
    """The summary page: key-figure cards (``kpis``), the headline wave's sentence and
    the story's findings and recommendations."""
    scope = results.headline.group
    client = results.study.client_group
    focus = {**client, **scope} if client else None
    kpis = []
    for group in [g for g in (scope, focus) if g is not None]:
        row = results.index_of(group, sat) if sat else None
        if row is not None:
            kpis.append({"label": _unbroken(t["kpi_index"], construct=names[sat],
                                            group=names.group(group)),
                         "value": row.index, "lo": row.ci_lower, "hi": row.ci_upper,
                         "n": row.n, "level": level, "ref": "scorecard"})
        nps = next((s for s in results.scores if s.measure == "nps" and s.group == group
                    and not s.pooled), None)
        if nps is not None:
            kpis.append({"label": _unbroken(t["kpi_nps"], group=names.group(group)),
                         "value": nps.value, "lo": nps.ci_lower, "hi": nps.ci_upper,
                         "n": nps.n, "level": level_text(0.95), "ref": "nps-table"})
    head = results.headline
    return {"kpis": kpis,
            "headline_text": t["headline_scope"].format(wave=head.wave, n=kpis[0]["n"])
            if head.wave and kpis and waves_compared(results) else "",
            # the client's story: findings and recommendations linked into the body, and
            # the body tables they point to (crmsurvey.report.findings)
            **story_context(results, names, t, lambda item: box_rule(
                results, item, next((s.detail.get("top") for s in results.scores
                                     if s.measure == "csat" and s.item == item), None), t,
                "csat_box"))}
