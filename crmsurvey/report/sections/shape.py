"""What the study's shape licenses: switches computed from the results and the other
sections (one group or several, glossary terms, limitations, notes)."""
from __future__ import annotations

from ...notes import SCREENING_CODES, note_text
from ...study.results import Results
from .common import box_rule, waves_compared
from .many_groups import many_groups_context
from .methodology import p_values_text, pls_missing, poisson_text

__all__ = ["shape_context"]


def _glossary_defs(results: Results, t: dict) -> dict[str, str]:
    """Glossary entries worded for this study: CSAT with the one rule every CSAT item
    uses (``top-2 box (9–10)``); none where the items' rules differ (the tables say)."""
    rules = {box_rule(results, s.item, s.detail.get("top"), t, "def_csat_rule")
             for s in results.scores if s.measure == "csat"
             if s.detail.get("top") is not None}
    return {"csat": next(iter(rules))} if len(rules) == 1 else {}


def shape_context(results: Results, ctx: dict, lang: str) -> dict:
    """Switches computed from the results, so that a study prints only what its data
    license: one row of scores is not "by group", nothing is "adjusted" without several
    groups, the glossary defines only the terms the report uses, and the limitations
    name waves and groups only when there are some. Notes on reading the data files
    (every note whose code is not a screening rule's) go to the appendix, not the method
    text."""
    t = ctx["t"]
    single = len(ctx.get("current_rows") or []) <= 1
    trend = ctx.get("trend") or {}
    changes = trend.get("changes") or []
    micom = any(c.get("micom") for c in ctx.get("comparisons") or []) or bool(trend.get("micom"))
    terms = ["index"]
    terms += ["nps"] if ctx.get("nps_rows") else []
    terms += ["csat"] if ctx.get("csat") else []
    terms += ["interval", "significance"]
    terms += ["micom"] if micom else []
    terms += ["htmt"] if "quality" in ctx else []
    terms += ["ipma"] if "ipma_chart" in ctx else []
    terms += ["cbsem_fit"] if ctx.get("cbsem") and not ctx["cbsem"].get("error") else []
    terms += [results.segments.method] if ctx.get("segments") and \
        "segments" in ctx.get("sections", ()) else []
    s = results.settings
    # the sample's and the answers' limits name weighting and the customer-value section
    # only where the study has them
    weighted = bool(s.weight) or results.weighting is not None
    # a wave item of one level is one cross-section: nothing is said about waves
    waved = waves_compared(results)
    limits = ["cross_section" if waved else "cross_section_one",
              "sample" if weighted else "sample_unweighted",
              "self_report" if ctx.get("customers") else "self_report_only",
              "model"] + (["small_groups"] if s.groups else [])
    rules = [note_text(n, lang) for n in s.screening_notes]
    # what reading a file did (every note that is not a screening rule), by its code
    loader = [note_text(n, lang) for src in results.sample.sources for n in src.notes
              if n.code not in SCREENING_CODES]
    waves = "_wave" if s.current_wave and waved else ""
    client = "" if single or results.study.client_group else "_noclient"
    shape = "_single" if single else ""
    out = {"single_group": single, "has_adjusted": not single,
           "scores_intro": t[("current_intro" if waves else "current_intro_one") + client
                             if not single else "current_intro_single" + waves],
           "items_intro": t["items_intro" + (shape + waves if single else
                                             "" if waves else "_groups")],
           "index_ci": any(r.ci_lower is not None for r in results.indices),
           # one driver cannot "stand out" from the others, in any group
           "several_drivers": sum(1 for r in ctx.get("ipma_rows") or []
                                  if r.get("actionable")) > 1,
           # "act first" is defined only where some question is marked so
           "any_act": any(r.get("act") for r in ctx.get("item_rows") or []),
           "group_size_rows": any(bool(v) for v in results.sample.group_sizes.values()),
           # a study tracked over waves without group items has sizes per wave only
           "group_sizes_title": t["group_sizes" if s.groups else "wave_sizes"],
           "glossary_terms": terms, "limitations": limits,
           "glossary_defs": {**_glossary_defs(results, t), **({"micom": t[
               # MICOM between the waves too: the glossary says what it compares
               "def_micom_waves" if any(c.get("micom") for c in ctx.get("comparisons") or [])
               else "def_micom_waves_only"]} if trend.get("micom") else {})},
           # the methodology states the rule for a difference printed beside its two
           # figures where the report prints one
           "differences_rounding": bool(changes) or any(ctx.get(k) for k in (
               "nps_differences", "csat_differences", "comparisons", "gaps_table", "cvpat"))
           or bool((ctx.get("scorecard") or {}).get("changes"))
           or bool((ctx.get("complaints") or {}).get("loyalty")),
           "screening_notes": rules, "loader_notes": list(dict.fromkeys(loader))}
    p = s.pls or {}
    if p and (len(results.models) <= 1 or not p.get("bootstrap")):
        key = "pls_settings" + ("_one" if len(results.models) <= 1 else "") + \
            ("" if p.get("bootstrap") else "_noboot")
        out["pls_text"] = t[key].format(
            scheme=t.get(f"scheme_{p.get('scheme')}", p.get("scheme", "path")),
            boot=p.get("bootstrap", 0), seed=p.get("seed"), level=ctx["level"],
            missing=pls_missing(p, t, len(results.models) <= 1, groups=bool(s.groups),
                                waves=bool(s.waves))) + \
            poisson_text(results, p, t) + p_values_text(p, t)
    out.update(many_groups_context(results, ctx))
    return out
