"""Findings as records: the preconditions a finding may name (:data:`REQUIREMENTS`),
a finding's record (:func:`_finding`), the summary's cut (:func:`_at_most`) and the
check that a finding's preconditions hold in the results (:func:`holds`), re-run by the
report before it prints a finding."""
from __future__ import annotations

from typing import Any

from ..results import Finding, Results

__all__ = ["REQUIREMENTS", "MAX_FINDINGS", "holds"]

#: the preconditions a finding may name, checked against the results by :func:`holds`
REQUIREMENTS = ("client", "groups>=2", "waves>=2", "bootstrap", "drivers>=2", "drivers==1",
                "significant", "nps", "csat", "segments", "no_recommendations")


#: Key findings in the executive summary at most; the body has the rest.
MAX_FINDINGS = 6


def _at_most(findings: list, k: int) -> list:
    """``findings`` cut to ``k``: findings that report no difference (codes ending in
    ``_similar``, and the ``change_flat`` family) leave first, the latest first; then the
    latest of the rest. The focus's own NPS and CSAT are never "quiet": the summary
    always says them (a lead too small to be told from zero is still the client's score)."""
    out = list(findings)
    while len(out) > k:
        quiet = [i for i, f in enumerate(out) if not f.code.startswith(("nps_", "csat_"))
                 and (f.code.endswith("_similar") or f.code.startswith("change_flat"))]
        out.pop(quiet[-1] if quiet else -1)
    return out



def _finding(code: str, requires: list[str], refs: list[str], **params: Any) -> Finding:
    return Finding(code=code, params=params, requires=requires, refs=refs)



# --- preconditions ------------------------------------------------------------------------

def holds(results: Results, requirement: str, finding: Finding | None = None) -> bool:
    """Does ``requirement`` (one of :data:`REQUIREMENTS`) hold in ``results`` — for
    ``finding``'s own numbers where it names some (``significant``)?"""
    story = results.story
    focus = story.focus if story is not None else results.headline.group
    if requirement == "client":
        return bool(results.study.client_group) and focus != results.headline.group
    if requirement == "groups>=2":
        return any(len(c.levels) >= 2 for c in results.comparisons)
    if requirement == "waves>=2":
        return results.trend is not None and results.trend.previous is not None
    if requirement == "bootstrap":
        return bool((results.settings.pls or {}).get("bootstrap"))
    if requirement == "segments":
        return results.segments is not None and results.segments.chosen >= 2
    dr = results.drivers_of(focus)
    n = sum(r.actionable for r in dr.constructs) if dr is not None else 0
    if requirement == "drivers>=2":
        return n >= 2
    if requirement == "drivers==1":
        return n == 1
    if requirement in ("nps", "csat"):
        return any(s.measure == requirement and s.group == focus for s in results.scores)
    if requirement == "significant":
        return finding is None or _significant(results, finding)
    if requirement == "no_recommendations":
        return _none_recommended(results, dr, finding)
    raise ValueError(f"unknown requirement {requirement!r}; known: {', '.join(REQUIREMENTS)}")


def _significant(results: Results, f: Finding) -> bool:
    """Significant as the body counts it: an index difference between groups only where
    MICOM warrants it (``warranted`` not False), as the group comparisons count it."""
    p = f.params
    if f.code.startswith("gaps_") and f.code != "gaps_none":
        return all(e["gap_lower"] > 0 and e.get("warranted") is not False
                   for e in p["behind"] + p["ahead"])
    if f.code == "segments_differ":
        alpha = results.settings.multiplicity.alpha
        return bool(p["entries"]) and all(e["p_holm"] < alpha for e in p["entries"])
    if f.code == "pairs_significant":
        return bool(p["entries"]) and all(e["gap_lower"] > 0 and e.get("warranted") is not False
                                          for e in p["entries"])
    if f.code == "driver_weakest":
        return p["gap_lower"] > 0 and p.get("warranted") is not False
    if f.code == "spread_gap":
        return p["gap_lower"] > 0 and p.get("warranted") is not False
    if f.code.startswith("complaints_"):
        return (p["ci_lower"] > 0 or p["ci_upper"] < 0) \
            and p["p_adj"] < results.settings.multiplicity.alpha
    if f.code.startswith(("change_up", "change_down")):
        return (p["ci_lower"] > 0 or p["ci_upper"] < 0) and p.get("warranted") is not False
    if f.code in ("nps_ahead", "csat_ahead"):
        return p["gap_lower"] > 0
    if f.code.endswith("_behind"):
        return p["gap_lower"] > 0 or p["gap_upper"] < 0
    if f.code.startswith("driver") and f.code != "drivers_none":
        dr = results.drivers_of(results.story.focus if results.story else
                                results.headline.group)
        return dr is not None and bool(dr.priorities)
    return True


def _none_recommended(results: Results, dr, f: Finding | None) -> bool:
    """No recommendation in the story — and, for ``f``, the drivers as its code says
    them: none significant (``recs_none_ns``), or some (the others)."""
    story = results.story
    if story is not None and story.recommendations:
        return False
    if f is None or dr is None:
        return f is None
    if f.code == "recs_none_ns":
        return not dr.priorities
    return bool(dr.priorities) and set(f.params.get("drivers", ())) <= set(dr.priorities)
