"""Everything a report template shows, built from the typed study results in display
order — the templates only loop and test. Every number comes from one estimate in the
results; the only arithmetic here is presentation (a margin of error is half an
interval's width)."""
from __future__ import annotations

from markupsafe import Markup, escape

from .._format import date as format_date
from .._format import num, pct, shown_difference
from ..errors import escape_controls
from ..notes import SCREENING_CODES, note_text
from ..study.contrasts import MANY_GROUPS as _MANY_GROUPS
from ..study.results import Group, Results, group_key
from . import charts
from .charts import data_uri
from .filters import pval, text_in
from .findings import story_context
from .i18n import and_list, diagnostic_text, strings

__all__ = ["build_context", "Names"]

HU_BENTLER = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06),
              "srmr": ("<=", 0.08)}


class Names:
    """Display names in the report's language: constructs, groups (with the study's
    localised level names, shown within a scope), items' wording."""

    def __init__(self, results: Results, lang: str, t: dict):
        self.lang, self.t = lang, t
        self.constructs = {c: text_in(v, lang) for c, v in results.model.labels.items()}
        self.levels = results.study.group_labels
        self.items = results.model.items
        self.scope = results.headline.group

    def __getitem__(self, construct: str) -> str:
        return self.constructs.get(construct, construct)

    def get(self, construct: str, default=None) -> str:
        return self.constructs.get(construct, default if default is not None else construct)

    def level(self, item: str, value: str) -> str:
        """A group level's display name; control characters a name from the data may
        carry are shown as escapes (no font has them)."""
        text = self.levels.get(item, {}).get(value)
        return escape_controls(text_in(text, self.lang) if text else value)

    def group(self, group: Group, scope: Group | None = None) -> str:
        """``group`` named within ``scope`` (default: the headline's): the levels that
        are not the scope's own, or "all respondents"."""
        scope = self.scope if scope is None else scope
        parts = [self.level(k, v) for k, v in group.items() if scope.get(k) != v]
        wave = [k for k in group if scope.get(k) != group[k]]
        # a year-like wave as the language writes it ("2026年"): the catalogue's wave_label
        parts = [self.t["wave_label"].format(wave=p) if p.isdigit() and len(p) == 4
                 and k in wave else p for p, k in zip(parts, wave)]
        return " · ".join(parts) or self.t["all"]

    def question(self, item: str) -> str:
        info = self.items.get(item)
        return text_in(info.text, self.lang) if info and info.text else item



def _pls_missing(p: dict, t: dict, one: bool) -> str:
    """How the PLS models handled missing answers, as the study's ``pls.missing`` says
    (one model: no "within each group")."""
    if p.get("missing", "mean") == "listwise":
        return t["pls_missing_listwise"]
    return t["pls_missing_mean_one" if one else "pls_missing_mean"]


def _handling(x, t: dict, lang: str) -> str:
    """A disclosure's missing-data method, and why rows were dropped when that is not the
    method itself (rows with a zero sampling weight)."""
    method = note_text({"code": f"missing_{x.missing_method}"}, lang)
    if not x.dropped or x.dropped_reason in (None, x.missing_method):
        return method
    return t["handling_dropped"].format(method=method, reason=note_text(
        {"code": f"dropped_{x.dropped_reason}"}, lang))


def _note(note, names: Names, lang: str) -> str:
    """A note (skip reason, loader note) in the report's language, its constructs named as
    the questionnaire names them."""
    params = dict(note.params)
    if "constructs" in params:
        params["constructs"] = [names[c] for c in params["constructs"]]
    return note_text({"code": note.code, "params": params}, lang)


def _poisson_text(results, p: dict, t: dict) -> str:
    """The sentence on the Poisson bootstrap, where a model was resampled by it."""
    kinds = [(m.settings or {}).get("resampling", "multinomial") for m in results.models]
    if not p.get("bootstrap") or "poisson" not in kinds:
        return ""
    return t["pls_poisson_all" if all(k == "poisson" for k in kinds) else "pls_poisson"]

def _p_values_text(p: dict, t: dict) -> str:
    """Which test gives which p-value, and the one floor every bootstrap p is printed
    against (1/B), where the model was bootstrapped."""
    boot = p.get("bootstrap")
    return " " + t["p_values_text"].format(boot=boot, floor=pval(1 / boot, 1 / boot)
                                           .removeprefix("< ")) if boot else ""


def build_context(results: Results, lang: str) -> dict:
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
    ctx.update(_summary(results, names, t, level, sat))
    ctx.update(_current(results, names, t, sat))
    ctx.update(_trend(results, names, t, level))
    ctx.update(_drivers(results, names, t, lang))
    ctx.update(_item_results(results, names))
    ctx.update(_model(results.model_of(scope), results, names))
    ctx.update(_comparisons(results, names, t))
    ctx.update(_cbsem(results.cbsem, names, t, lang))
    ctx["cb_disagreements"] = _disagreements(results, names, t)
    ctx["complaints"] = _complaints(results, names, t)
    ctx.update(_analytics(results.analytics, names, t, lang))
    ctx.update(_method(results, names, t, level, lang))
    from .weighting import weighting_context

    ctx.update(weighting_context(results, names, t, lang))
    from .segments import segments_context

    ctx["segments"] = segments_context(results, names, t)
    ctx.update(_shape(results, ctx, lang))
    return ctx


def _floors(row: dict, p: str = "pvalue", res: str = "p_resolution",
            adj: str = "pvalue_adj", prefix: str = "p") -> dict:
    """``row`` with the floors its p-values are printed against (``pval(v, floor)``): a
    p-value from B resamples at its floor 1/B reads ``< 1/B``, and its adjusted value
    ``< `` that value adjusted."""
    floor, v = row.get(res), row.get(p)
    at = floor is not None and v is not None and v <= floor * (1 + 1e-9)
    return {**row, f"{prefix}_floor": floor, f"{prefix}_adj_floor": row.get(adj) if at else None}


def _least_p(floor: float) -> str:
    """The smallest adjusted p-value resamples can give, as the tables print it
    (``.030`` where the tables read ``< .030``)."""
    return pval(min(1.0, floor), min(1.0, floor)).removeprefix("< ")


def _diff_row(d, **extra) -> dict:
    """A difference's row with ``difference_shown``: ``value_a − value_b`` as the report
    prints it beside the two figures (the difference of the rounded figures,
    :func:`crmsurvey._format.shown_difference`); its interval and test stay the
    estimate's."""
    return dict(d.model_dump(), difference_shown=shown_difference(d.value_a, d.value_b),
                **extra)


def _p_text(p) -> str:
    """``p = .034`` or ``p < .001``, for sentences."""
    shown = pval(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def _box(results: Results, item: str, top, t: dict, key: str = "box_rule",
         label: str | None = None) -> str:
    """A CSAT rule as the reader says it: ``sat1 (top-2 box: 9–10)``; ``key="csat_box"``:
    without the item, ``top-2 box, 9–10``."""
    info = results.model.items.get(item)
    high = info.max if info is not None else None
    if top is None or high is None:
        return item
    k = int(round(high - top)) + 1
    name = t["box_1"] if k == 1 else t["box_2"] if k == 2 else t["box_n"].format(k=k)
    span = f"{high:g}" if k == 1 else f"{top:g}–{high:g}"
    return t[key].format(item=label or item, box=name, span=span)


def _within(results: Results, group: Group) -> bool:
    """``group`` is the headline scope or one of its groups (same wave)."""
    scope, wave = results.headline.group, results.settings.waves
    if any(group.get(k) != v for k, v in scope.items()):
        return False
    return bool(scope) or wave is None or wave not in group


# --- executive summary ------------------------------------------------------------------

def _unbroken(template: str, **names) -> Markup:
    """A summary card's label: each name kept on one line (a narrow card breaks between
    the names, never inside a word such as 全部受访者)."""
    return Markup(escape(template)).format(**{k: Markup('<span class="nw">{}</span>').format(v)
                                              for k, v in names.items()})


def _summary(results: Results, names: Names, t: dict, level: str, sat) -> dict:
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
                         "n": nps.n, "level": "95%", "ref": "nps-table"})
    head = results.headline
    return {"kpis": kpis,
            "headline_text": t["headline_scope"].format(wave=head.wave, n=kpis[0]["n"])
            if head.wave and kpis else "",
            # the client's story: findings and recommendations linked into the body, and
            # the body tables they point to (crmsurvey.report.findings)
            **story_context(results, names, t, lambda item: _box(
                results, item, next((s.detail.get("top") for s in results.scores
                                     if s.measure == "csat" and s.item == item), None), t,
                "csat_box"))}


# --- current wave by group, trend -------------------------------------------------------

def _styles(results: Results, keys) -> dict[str, dict]:
    """Each chart series' look (colour, marker, line style) from the group it shows, the
    wave left aside: the whole sample first, then the client, then the other groups in
    the order of the results — the same for a group in every chart of the report."""
    wave = results.settings.waves
    rest = lambda g: {k: v for k, v in g.items() if k != wave}  # noqa: E731
    client = results.study.client_group or {}
    order = [{}] + ([client] if client else []) + [rest(r.group) for r in results.indices
                                                     if not r.pooled]
    look = charts.series_styles(list(dict.fromkeys(group_key(g) for g in order)))
    groups = {group_key(r.group): group_key(rest(r.group)) for r in results.indices}
    return {k: look[k] if k in look else look[groups[k]] for k in keys
            if k in look or groups.get(k) in look}


def _current(results: Results, names: Names, t: dict, sat) -> dict:
    """Indices and NPS by group for the headline wave, with ACSI-style change marks
    (▲ ▼ where the change since the previous wave is significant)."""
    scope = results.headline.group
    client = results.study.client_group
    groups = list(dict.fromkeys(group_key(r.group) for r in results.indices
                                if not r.pooled and _within(results, r.group)))
    by_key = {group_key(r.group): r.group for r in results.indices}
    change = {}
    if results.trend is not None:
        change = {(group_key(d.group_a), d.quantity, d.name): d for d in results.trend.changes}
    constructs = results.model.index_constructs
    nps_rows = {group_key(s.group): s for s in results.scores
                if s.measure == "nps" and not s.pooled}

    def cell(value, d):
        mark = "" if d is None or not d.significant else ("▲" if d.difference > 0 else "▼")
        return {"value": value, "mark": mark}

    rows = []
    for key in groups:
        g = by_key[key]
        cells = [cell(r.index if (r := results.index_of(g, c)) else None,
                      change.get((key, "index", c))) for c in constructs]
        nps = nps_rows.get(key)
        rows.append({"label": names.group(g), "cells": cells,
                     "nps": cell(nps.value if nps else None,
                                 next((d for (k, q, _), d in change.items()
                                       if k == key and q == "nps"), None)),
                     "client": bool(client) and all(g.get(k) == v for k, v in client.items()),
                     "overall": g == scope})
    chart_rows = [dict(r.model_dump(), group=group_key(r.group)) for r in results.indices
                  if not r.pooled and _within(results, r.group)]
    pooled = [dict(r.model_dump(), label=names[r.construct],
                   glabel=names.group(r.group, {})) for r in results.indices if r.pooled]
    csat = [dict(s.model_dump(), label=names.group(s.group), top=s.detail.get("top"),
                 rule=_box(results, s.item, s.detail.get("top"), t))
            for s in results.scores if s.measure == "csat" and not s.pooled
            and _within(results, s.group)]
    rules = {s.item: _box(results, s.item, s.detail.get("top"), t) for s in results.scores
             if s.measure == "csat"}
    # the CSAT headings name the rule when every CSAT item has the same one (top-2 box)
    boxes = {_box(results, s.item, s.detail.get("top"), t, "csat_box_name")
             for s in results.scores if s.measure == "csat"}
    box = next(iter(boxes)) if len(boxes) == 1 and not boxes & set(rules) else None
    # rows name the question (not its code); its rule only where the heading does not
    shown = {s.item: names.question(s.item) if box else
             _box(results, s.item, s.detail.get("top"), t, label=names.question(s.item))
             for s in results.scores if s.measure == "csat"}
    csat = [dict(r, rule=shown[r["item"]]) for r in csat]
    rules = {k: shown[k] for k in rules}
    return {"current_rows": rows, "current_constructs": [names[c] for c in constructs],
            # the ▲ ▼ legend only where the table shows a mark
            "has_previous": bool(change) and any(c["mark"] for r in rows
                                                 for c in [*r["cells"], r["nps"]]),
            "previous": results.headline.previous_wave,
            "index_chart": data_uri(charts.index_chart(
                chart_rows, constructs, names.constructs, groups,
                {k: names.group(by_key[k]) for k in groups}, _styles(results, groups)))
            if chart_rows else None,
            "pooled_rows": pooled, "csat": csat,
            "csat_heading": t["csat_rule_heading"].format(box=box) if box else t["csat"],
            "csat_differences_heading": t["csat_differences_rule"].format(box=box) if box
            else t["csat_differences"],
            "nps_rows": [dict(s.model_dump(), **s.detail, label=names.group(s.group))
                         for s in results.scores if s.measure == "nps" and not s.pooled
                         and _within(results, s.group)],
            "nps_differences": [_floors(_diff_row(d, pair=f"{names.group(d.group_a)} – "
                                                          f"{names.group(d.group_b)}"))
                                for c in results.comparisons for d in c.differences
                                if d.quantity == "nps"],
            "csat_differences": [_floors(_diff_row(d, rule=rules.get(d.name, d.name),
                                              pair=f"{names.group(d.group_a)} – "
                                                   f"{names.group(d.group_b)}"))
                                 for c in results.comparisons for d in c.differences
                                 if d.quantity == "csat"]}


def _trend(results: Results, names: Names, t: dict, level: str) -> dict:
    tr = results.trend
    if tr is None:
        return {"trend": None}
    rest = lambda g: {k: v for k, v in g.items() if k != tr.item}  # noqa: E731
    constructs = results.model.index_constructs
    rows = [{"group": group_key(rest(r.group)), "wave": r.group[tr.item],
             "construct": r.construct, "index": r.index}
            for r in results.indices if tr.item in r.group and not r.pooled]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    labels = {group_key(rest(r.group)): names.group(rest(r.group), {})
              for r in results.indices if tr.item in r.group}
    client = results.study.client_group
    table = {(r["group"], r["construct"], r["wave"]): r["index"] for r in rows}
    return {"trend": {
        "chart": data_uri(charts.trend_panels(rows, constructs, names.constructs, tr.waves,
                                              groups, labels, group_key(client) if client
                                              else None, _styles(results, groups)))
        if rows else None,
        "waves": tr.waves, "span": f"{tr.previous} → {tr.current}" if tr.previous else "",
        "table": [{"group": labels[g], "label": names[c],
                   "values": [table.get((g, c, w)) for w in tr.waves]}
                  for g in groups for c in constructs],
        "changes": [_floors(_diff_row(d, glabel=names.group(rest(d.group_a), {}),
                                 label=names[d.name] if d.quantity == "index"
                                 else t[f"col_{d.quantity}"]))
                    for d in tr.changes],
        "title": t["changes_title"].format(prev=tr.previous) if tr.previous else "",
        "note": t["trend_note3"]}}


# --- drivers and items --------------------------------------------------------------------

def _drivers(results: Results, names: Names, t: dict, lang: str) -> dict:
    """The IPMA of the story's focus (the client's group, or the whole sample), with the
    whole market's construct table as context when the focus is the client's."""
    scope = results.headline.group
    focus = results.story.focus if results.story is not None else scope
    main = results.drivers_of(focus) or results.drivers_of(scope)
    if main is None or not main.constructs:
        return {}
    market = results.drivers_of(scope) if main.group != scope else None
    recommended = {x.item for x in results.story.recommendations} \
        if results.story is not None and main.group == results.story.focus else set()
    sep = names.t["list_sep"]
    drivers = [r for r in main.constructs if r.actionable]
    # "below the others" is said of the drivers: the outcome is not among the others
    ref = drivers or main.constructs
    mp = sum(r.performance for r in ref) / len(ref)
    if len(drivers) == 1 and main.priorities:  # nothing to stand out from
        reading = [t["ipma_reading_only"].format(names=names[drivers[0].construct],
                                                 target=names[main.target])]
    elif main.standout:
        r = next(r for r in main.constructs if r.construct == main.standout)
        key = "ipma_reading_act" if r.performance < mp else "ipma_reading_keep"
        reading = [t[key].format(names=names[r.construct])]
    elif main.priorities:
        # only the strongest and the next were tested against each other: say that of them
        first, second = main.priorities[0], main.priorities[min(1, len(main.priorities) - 1)]
        said = and_list([names[c] for c in main.priorities], t)
        reading = [t["no_standout"].format(names=said,
                                           first=names[first], second=names[second])]
    else:
        reading = [t["no_driver"].format(target=names[main.target])]
    levers = {r.construct for r in main.constructs if r.actionable}
    weak = {r.construct for r in main.constructs if r.construct in main.priorities
            and r.performance < mp and len(drivers) > 1}
    lever_items = [i for i in main.items if i.construct in levers] or list(main.items)
    item_mean = (sum(i.performance for i in lever_items) / len(lever_items)) if lever_items else 0
    def tag(r) -> str:
        """What a construct that is not a driver is: the target itself, or (a mediator)
        the target's mediator."""
        if r.actionable:
            return ""
        if r.construct == main.target:
            return t["outcome_tag"]
        return t["mediator_tag"].format(target=names[main.target])

    # the chart draws the drivers' average lines only with two drivers or more
    lines = len(drivers) > 1 or (not drivers and len(main.constructs) > 1)
    return {
        "ipma_note_key": "ipma_note" if lines else "ipma_note_one",
        "ipma_chart": data_uri(charts.ipma_chart([r.model_dump() for r in main.constructs],
                                                 names.constructs, t["importance"],
                                                 t["performance"])),
        "ipma_reading": reading,
        "ipma_group": names.group(main.group),  # whose IPMA: the chart and the question table
        "ipma_rows": [dict(r.model_dump(), label=names[r.construct], tag=tag(r))
                      for r in main.constructs],
        "ipma_title": t["ipma_focus_title"].format(target=names[main.target],
                                                   group=names.group(main.group)),
        "ipma_market": {"title": t["ipma_market_title"].format(target=names[market.target]),
                        "rows": [dict(r.model_dump(), label=names[r.construct], tag=tag(r))
                                 for r in market.constructs]} if market else None,
        # "act first": the questions the summary recommends, where it recommends some
        "item_rows": [dict(r.model_dump(), label=names[r.construct],
                           question=names.question(r.item),
                           act=r.item in recommended if recommended else
                           r.construct in weak and r.performance < item_mean)
                      for r in sorted(main.items, key=lambda r: -r.importance)
                      if r.construct in levers],
        "item_note": "item_ipma_note_actions" if recommended else "item_ipma_note",
        "group_drivers": [{"label": names.group(d.group),
                           "priorities": and_list([names[c] for c in d.priorities], t)
                           or t["none"],
                           "standout": names[d.standout] if d.standout else t["none"]}
                          for d in results.drivers if d.group != scope]}


def _item_results(results: Results, names: Names) -> dict:
    """Each question of the headline wave: wording, mean and top-2-box by group."""
    rows = [r for r in results.items if not r.pooled and _within(results, r.group)]
    groups = list(dict.fromkeys(group_key(r.group) for r in rows))
    by_key = {group_key(r.group): r.group for r in rows}
    table = {(r.item, group_key(r.group)): r for r in rows}
    info = results.model.items
    items = [i for i in dict.fromkeys(r.item for r in rows) if info[i].min is not None]
    return {"item_groups": [names.group(by_key[g]) for g in groups],
            "item_table": [{"item": i, "question": names.question(i),
                            "construct": names[info[i].construct] if info[i].construct
                            else names.t["col_nps"],
                            "scale": f"{info[i].min:g}–{info[i].max:g}",
                            "cells": [table.get((i, g)) for g in groups]} for i in items]}


# --- model, comparisons, CB-SEM -------------------------------------------------------------

def _model(fit, results: Results, names: Names) -> dict:
    if fit is None:
        return {}
    model = results.model
    r2 = {r["construct"]: r["r2"] for r in fit.r2}
    order = list(model.constructs)
    htmt = {(r["lhs"], r["rhs"]): r for r in fit.htmt_intervals or []}
    f2 = {(r["lhs"], r["rhs"]): r["f2"] for r in fit.f2}
    return {
        "path_chart": data_uri(charts.path_diagram(order, fit.paths, r2, names.constructs,
                                                     r2_label=names.t["chart_r2"])),
        # a p-value from B resamples (its t test's standard error, or a percentile) is
        # printed no finer than 1/B, as every other bootstrap p of the report
        "paths": [dict(p, label=f"{names[p['rhs']]} → {names[p['lhs']]}",
                       p_floor=1 / boot if (boot := (fit.settings or {}).get("bootstrap"))
                       else None) for p in fit.paths],
        "r2": [dict(r, label=names[r["construct"]]) for r in fit.r2],
        "quality": [dict(q, label=names[q["construct"]],
                         kind=_measured_by(model, q["construct"])) for q in fit.quality],
        "loadings": [dict(r, label=names[r["lhs"]]) for r in fit.loadings],
        "htmt_names": [names[n] for n in order],
        "htmt": [[(htmt.get((b, a)) or {}).get("est") if j < i else None
                  for j, b in enumerate(order)] for i, a in enumerate(order)],
        "htmt_rows": [{"label": f"{names[r['lhs']]} – {names[r['rhs']]}", "est": r["est"],
                       "ci_lower": r.get("ci_lower"), "ci_upper": r.get("ci_upper")}
                      for r in fit.htmt_intervals or []],
        "item_vif": [dict(r, label=names[r["lhs"]]) for r in fit.item_vif],
        "structural": [{"label": f"{names[r['rhs']]} → {names[r['lhs']]}", "vif": r["vif"],
                        "f2": f2.get((r["lhs"], r["rhs"]))} for r in fit.inner_vif],
        "model_group": names.group(fit.group, {}),
        "model_intro": _model_intro(fit.group, results, names), **_assessment(fit, names)}


def _model_intro(group: Group, results: Results, names: Names) -> str:
    """The model's opening sentence: estimated on a group, or on a wave ("the 2026
    wave") when the group is the whole sample of one wave."""
    t, wave = names.t, results.settings.waves
    if wave and set(group) == {wave}:
        name = names.level(wave, group[wave])
        year = name.isdigit() and len(name) == 4  # a year as the language writes it
        return t["model_intro_wave"].format(wave=t["wave_label"].format(wave=name) if year
                                            else name)
    if not group:
        return t["model_intro_all"]
    return t["model_intro"].format(group=names.group(group, {}))


def _measured_by(model, construct: str) -> str | None:
    """``"binary"`` or ``"single"`` for a construct of one question (a yes/no item, or
    any other), whose α, ρ and AVE are 1 by construction and say nothing; None
    otherwise."""
    items = model.constructs.get(construct, [])
    if len(items) != 1:
        return None
    info = model.items.get(items[0])
    rated = info is not None and info.min is not None and info.max is not None \
        and info.max - info.min > 1
    return "single" if rated else "binary"


def _relevance(q2: float | None) -> str:
    """Hair et al. (2019): Q²predict above 0, 0.25 and 0.5 is small, medium and large
    predictive relevance."""
    if q2 is None or q2 <= 0:
        return "none"
    return "small" if q2 < 0.25 else "medium" if q2 < 0.5 else "large"


def _assessment(fit, names: Names) -> dict:
    """Model fit, PLSpredict, mediation and information criteria of the headline model."""
    out: dict = {}
    mf = {r["measure"]: r for r in fit.model_fit or []}
    if mf:
        rows = []
        t = names.t
        for key, label in (("srmr", t["col_srmr"]), ("d_uls", t["col_d_uls"]),
                           ("d_g", t["col_d_g"])):
            r = mf[key]
            hi95 = r.get("estimated_hi95")
            rows.append({"label": label, "estimated": r["estimated"],
                         "saturated": r["saturated"], "hi95": hi95,
                         "hi99": r.get("estimated_hi99"),
                         "exact": None if hi95 is None or r["estimated"] is None
                         else r["estimated"] <= hi95})
        out["pls_fit"] = rows
        out["fit_nfi"] = mf["nfi"]
        out["fit_test_n"] = fit.settings.get("fit_test", 0)
    if fit.predict is not None:
        p = fit.predict
        by: dict[str, list] = {}
        for r in p.items:
            by.setdefault(r["construct"], []).append(r["q2_predict"])
        out["predict"] = {
            "folds": p.folds, "reps": p.reps,
            "rows": [{"label": names[c["construct"]], "q2_min": min(by[c["construct"]]),
                      "q2_max": max(by[c["construct"]]),
                      "below": f"{c['below_lm']}/{c['items']}",
                      "relevance": _relevance(min(by[c["construct"]])),
                      "power": c["predictive_power"]} for c in p.constructs],
            "items": [dict(r, label=names[r["construct"]]) for r in p.items]}
    if fit.cvpat:
        out["cvpat"] = _cvpat(fit.cvpat, names)
    if fit.endogeneity:
        out["copula"] = _copula(fit.endogeneity, names)
    boot = (fit.settings or {}).get("bootstrap")  # bootstrap p: no finer than 1/B
    if fit.indirect:
        out["indirect_rows"] = [
            dict(r, label=f"{names[r['from']]} → {names[r['to']]}",
                 chain=None if r["through"] == "total" else
                 " → ".join(names[x] for x in r["through"].split(" -> ")),
                 p_floor=1 / boot if boot else None)
            for r in fit.indirect]
    if fit.model_selection:
        out["selection_rows"] = [dict(r, label=names[r["construct"]])
                                 for r in fit.model_selection]
        # one model fitted: the criteria are for a comparison this study does not make
        out["selection_note"] = names.t["selection_note_one"]
    return out


def _cvpat(rows: list[dict], names: Names) -> dict:
    """CVPAT rows and, per benchmark, the verdict its Overall row licenses: ``better``
    (PLS's loss significantly lower, 5 %), ``worse`` (significantly higher) or ``same``."""
    def verdict(r):
        if r["p"] is None or r["p"] >= 0.05:
            return "same"
        return "better" if r["diff"] < 0 else "worse"  # diff = model loss − benchmark's

    return {"rows": [dict(r, label=names.t["cvpat_overall"] if r["construct"] == "Overall"
                          else names[r["construct"]],
                          diff_shown=shown_difference(r["loss_pls"], r["loss_benchmark"], 3))
                     for r in rows],
            "verdicts": [{"benchmark": r["benchmark"], "verdict": verdict(r),
                          "p": "p " + (shown if shown.startswith("<") else "= " + shown)}
                         for r in rows if r["construct"] == "Overall"
                         for shown in [pval(r["p"])]]}


def _copula(rows: list[dict], names: Names) -> dict:
    """Copula-test rows; the paths whose copula term is significant (5 %), and whether any
    path was tested at all (a sentence for each case the data license)."""
    out = [dict(r, label=f"{names[r['rhs']]} → {names[r['lhs']]}") for r in rows]
    tested = [r for r in out if r["status"] == "tested"]
    return {"rows": out, "tested": len(tested),
            "flagged": [r["label"] for r in tested if r["p"] is not None and r["p"] < 0.05]}


def _comparisons(results: Results, names: Names, t: dict) -> dict:
    idx = set(results.model.index_constructs)
    pair = lambda r: f"{names.group(r['group_a'])} – {names.group(r['group_b'])}"  # noqa: E731
    comps = []
    sep = t["list_sep"]
    for c in results.comparisons:
        index = [d for d in c.differences if d.quantity == "index" and d.name in idx]
        # a construct of one question is its own composite: MICOM has nothing to test
        single = list(dict.fromkeys(r["construct"] for r in c.micom
                                    if _measured_by(results.model, r["construct"])))
        c = c.model_copy(update={"micom": [r for r in c.micom if r["construct"] not in single]})
        # not warranted: the construct, with the pairs MICOM did not warrant
        failed: dict[str, list[str]] = {}
        for r in c.micom:
            if not r["compositional"]:
                failed.setdefault(r["construct"], []).append(pair(r))
        pairs_of = {r["construct"]: 0 for r in c.micom}
        for r in c.micom:
            pairs_of[r["construct"]] += 1
        none = [names[k] + t["list_paren"].format(items=sep.join(v))
                if len(v) < pairs_of[k] else names[k] for k, v in failed.items()]
        warranted = [d for d in index if d.warranted is not False]
        sig = [d for d in warranted if d.significant]
        skipped = len(index) - len(warranted)
        inv = c.invariance
        comps.append({
            "group": names.question(c.item),
            "indices": [_floors(_diff_row(d, pair=pair(d.model_dump()),
                                     label=names[d.name])) for d in index],
            "reading": t["cmp_reading_warranted_one" if skipped == 1 else
                         "cmp_reading_warranted"].format(n=len(sig), m=len(warranted),
                                                         k=skipped) if skipped
            else t["cmp_reading"].format(n=len(sig), m=len(index)),
            "paths": [_floors(_floors(dict(r, pair=pair(r),
                                           label=f"{names[r['rhs']]} → {names[r['lhs']]}")),
                              p="p_henseler", res="p_henseler_resolution",
                              adj="p_henseler_adj", prefix="ph")
                      for r in c.paths],
            "paths_sig": sum(1 for r in c.paths if r["significant"]),
            # which test sets the * and how far the resamples let an adjusted p fall
            "paths_star": t["paths_star"].format(
                m=c.paths[0]["m"], perm=(results.settings.compare or {}).get("permutations"),
                boot=(results.settings.compare or {}).get("bootstrap"),
                floor=_least_p(c.paths[0]["m"] * c.paths[0]["p_resolution"]),
                floor_h=_least_p(c.paths[0]["m"] * c.paths[0]["p_henseler_resolution"]))
            if c.paths and results.settings.compare and c.paths[0].get("p_resolution")
            and c.paths[0].get("p_henseler_resolution") else "",
            "micom": [dict(r, pair=pair(r), label=names[r["construct"]],
                           status=t[f"micom_status_{r['invariance']}"]) for r in c.micom],
            "micom_single": t["micom_single"].format(names=sep.join(names[k] for k in single))
            if single else "",
            "micom_text": t["micom_none"].format(names=and_list(none, t)) if none
            else t["micom_ok"],
            "invariance": None if inv is None else {
                "error": inv.get("error"),
                "table": [dict(r, model=t.get(f"inv_{r['model']}", r["model"]),
                               decision=t.get(r["decision"], r["decision"]))
                          for r in inv.get("table", [])],
                "reference": names.group({c.item: inv["reference"]}) if inv.get("reference")
                else None,
                "latent_means": [dict(r, label=names[r["construct"]],
                                      group=names.group({c.item: r["group"]}))
                                 for r in inv.get("latent_means", [])]}})
    return {"comparisons": comps}


def _cbsem(cb, names: Names, t: dict, lang: str) -> dict:
    if cb is None:
        return {"cbsem": None}
    ctx: dict = {"cbsem": cb.model_dump(), "cb_problems": [
        diagnostic_text(d.code, d.message, d.concerns, lang) for d in cb.diagnostics]}
    if cb.error:
        return ctx
    x = cb.disclosure
    # "0 with a missing answer left out" is not said
    key = ("cb_disclosure" if x.dropped else "cb_disclosure_all") + ("" if x.group else
                                                                    "_sample")
    ctx["cb_disclosure"] = t[key].format(
        used=x.used, rows=x.rows, dropped=x.dropped, group=names.group(x.group, {}),
        method=note_text({"code": f"missing_{x.missing_method}"}, lang))
    f = cb.fit
    rows = []
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"):
        rule = HU_BENTLER.get(key)
        value = f.get(key)
        meets = None
        if rule and value is not None:
            meets = value >= rule[1] if rule[0] == ">=" else value <= rule[1]
        rows.append({"measure": t[f"col_{key}"] if key in HU_BENTLER else t[f"fit_{key}"],
                     "value": value, "meets": meets, "digits": 0 if key == "df" else 3,
                     "threshold": f"{rule[0].replace('>=', '≥').replace('<=', '≤')} {num(rule[1], 2)}"
                     if rule else "",
                     "interval": (f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"))
                     if key == "rmsea" else None})
    ctx["fit_rows"] = rows
    ctx["cb_estimates"] = [dict(r, label=_cb_row(r, names, t)) for r in cb.estimates]
    return ctx


#: lavaan's operators as a reader says them (the CSV files keep lhs, op, rhs)
_CB_ROWS = {"=~": "cb_row_loading", "~": "cb_row_path", "~1": "cb_row_intercept",
            "|": "cb_row_threshold", ":=": "cb_row_defined"}


def _cb_row(r: dict, names: Names, t: dict) -> str:
    """A CB-SEM estimate's row label in words (``Loyalty: loading of loy2``), not in
    lavaan's operators; an operator without wording keeps lavaan's notation."""
    op, lhs, rhs = r["op"], names.get(r["lhs"]), names.get(r["rhs"]) if r["rhs"] else ""
    key = ("cb_row_variance" if r["lhs"] == r["rhs"] else "cb_row_covariance") \
        if op == "~~" else _CB_ROWS.get(op)
    return t[key].format(lhs=lhs, rhs=rhs) if key else f"{lhs} {op} {rhs}"


def _disagreements(results: Results, names: Names, t: dict) -> list[str]:
    """Paths where the headline PLS model and CB-SEM disagree — opposite signs, or
    significant (5%) in one and not in the other — each named in a sentence; one
    sentence saying they agree when none do; nothing without both models' tests."""
    cb, pls = results.cbsem, results.model_of(results.headline.group)
    if cb is None or cb.error or pls is None:
        return []
    alpha = results.settings.multiplicity.alpha
    cbp = {(r["lhs"], r["rhs"]): r for r in cb.estimates if r.get("op") == "~"}
    out, tested = [], 0
    for r in pls.paths:
        c = cbp.get((r["lhs"], r["rhs"]))
        if c is None or r.get("pvalue") is None or c.get("pvalue") is None:
            continue
        tested += 1
        cb_est = c.get("std_all") if c.get("std_all") is not None else c["est"]
        if r["est"] * cb_est < 0:
            why = t["why_sign"]
        elif (r["pvalue"] < alpha) != (c["pvalue"] < alpha):
            why = t["why_sig"]
        else:
            continue
        out.append(t["cb_disagree"].format(
            path=f"{names[r['rhs']]} → {names[r['lhs']]}", pls=num(r["est"]),
            pls_p=_p_text(r["pvalue"]), cb=num(cb_est), cb_p=_p_text(c["pvalue"]),
            why=why))
    # where the two models rest on different respondents, the disagreements may be that
    pd, cd = pls.disclosure, cb.disclosure
    if out and pd is not None and cd is not None and pd.used != cd.used:
        key = "cb_different_rows_why" if cd.dropped_reason else "cb_different_rows"
        out.insert(0, t[key].format(pls_n=num(pd.used, 0), cb_n=num(cd.used, 0), why=note_text(
            {"code": f"dropped_{cd.dropped_reason}", "params": {}}, names.lang)
            if cd.dropped_reason else ""))
    return out or ([t["cb_agree"]] if tested else [])


def _complaints(results: Results, names: Names, t: dict) -> dict | None:
    """Complaint rate, handling and complainers' loyalty by group, with a sentence per
    group only for what its data license (no complainer: say so, nothing more)."""
    a = results.analytics.get("complaints")
    if not a or not a.get("rows"):
        return None
    f = lambda v, d=1: num(v, d)  # noqa: E731 ("–" for a missing value)
    loyalty = names[a["loyalty"]]
    scale = a.get("handling_scale")
    scale_text = f"{scale[0]:g}–{scale[1]:g}" if scale else ""
    weighted = bool(results.settings.weight) or bool(getattr(results, "weighting", None))
    rows, lines = [], []
    groups = sum(1 for r in a["rows"] if r.get("group") and r.get("reason") != "no_answers")
    for r in a["rows"]:
        if r.get("reason") == "no_answers":
            continue
        label = names.group(r["group"]) if r["group"] else t["all"]
        # the loyalty difference as printed beside the two groups' loyalty
        shown = shown_difference(r.get("loyalty_complainers"), r.get("loyalty_others"))
        rows.append(_floors(dict(r, label=label, difference_shown=shown)))
        if r.get("reason") == "no_complainers":
            lines.append(t["comp_none"].format(group=label, n=r["n"]))
            continue
        said = [t["comp_rate_weighted" if weighted else "comp_rate"].format(group=label, rate=f(r["rate"]), k=r["complainers"],
                                      n=r["n"], lo=f(r["rate_lower"]), hi=f(r["rate_upper"]))]
        if r.get("handling") is not None and r.get("handling_lower") is not None \
                and r["handling_lower"] == r["handling_lower"]:
            said.append(t["comp_handling"].format(mean=f(r["handling"]), scale=scale_text,
                                                  lo=f(r["handling_lower"]),
                                                  hi=f(r["handling_upper"]),
                                                  n=r["handling_n"]))
        if r.get("reason") == "too_few":
            said.append(t["comp_too_few"])
        elif r.get("pvalue_adj") is not None and r.get("difference") is not None:
            key = "comp_same" if not r["significant"] else \
                "comp_lower" if r["difference"] < 0 else "comp_higher"
            # adjusted (Holm) over several groups; the whole sample is tested on its own
            key += "" if r["group"] and groups > 1 else "_one"
            diff = abs(shown) if r["significant"] else shown
            said.append(t[key].format(loyalty=loyalty, diff=f(diff),
                                      lo=f(r["ci_lower"]), hi=f(r["ci_upper"])))
        lines.append(t["sentence_sep"].join(said))
    intro_key = ("complaints_intro" if a.get("handling") else "complaints_intro_nohandling") \
        + ("" if groups > 1 else "_one")
    return {"rows": rows, "lines": lines, "handling": bool(a.get("handling")),
            "loyalty": bool(a.get("loyalty_scored")),
            "intro": t[intro_key].format(loyalty=loyalty),
            "complainers": t["complainers"].format(loyalty=loyalty),
            "others": t["non_complainers"].format(loyalty=loyalty),
            "note": t["complaints_note" if sum(1 for r in rows if r.get("group"))
                      else "complaints_note_one"].format(scale=scale_text)}


# --- analytics -------------------------------------------------------------------------------

def _analytics(a: dict, names: Names, t: dict, lang: str) -> dict:
    ctx: dict = {"kano": None, "typology": None, "customers": None}
    sep = t["list_sep"]
    if a.get("kano"):
        rows = [dict(r, label=r["feature"]) for r in a["kano"]]
        ctx["kano"] = rows
        ctx["kano_chart"] = data_uri(charts.kano_chart(
            [r for r in rows if r["better"] is not None], t["worse"], t["better"]))
        by_cat: dict[str, list[str]] = {}
        for r in rows:
            if r["dominant"]:
                by_cat.setdefault(r["dominant"], []).append(r["feature"])
        ctx["kano_reading"] = [t["kano_reading"].format(
            names=and_list(n, t), category=t[f"kano_{c}"], advice=t[f"kano_advice_{c}"])
            for c, n in by_cat.items()]
    if a.get("typology"):
        ty = a["typology"]
        overall = next((r for r in ty["shares"] if r["group"] == {}), None)
        kinds = {k: t[f"type_{k}"] for k in ("loyal", "latent", "spurious", "no_loyalty")}
        behaviour = t["transactions"] if ty["behaviour"] == "transactions" else ty["behaviour"]
        medians = t["medians"] if all(ty["cuts_are_medians"].values()) else ""
        shares = {k: (overall.get(k) or 0) for k in kinds} if overall else {}
        ctx["typology"] = {
            "rows": [dict(r, label=names.group(r["group"], {})) for r in ty["shares"]],
            "names": kinds,
            "note": t["typology_note"].format(attitude=names.get(ty["attitude"]),
                                              behaviour=behaviour,
                                              ca=num(ty["cuts"]["attitude"], 1),
                                              cb=num(ty["cuts"]["behaviour"], 1),
                                              medians=medians),
            "reading": t["typology_reading"].format(
                **{k: pct(v, 0) for k, v in shares.items()}) if overall else "",
            "chart": data_uri(charts.typology_chart(shares, kinds, t["attitude"],
                                                    t["behaviour"])) if overall else None}
    if a.get("customers"):
        c = a["customers"]
        seg = lambda k: t.get(f"seg_{k}", k)  # noqa: E731
        by = {}
        for key, title in (("segment", t["segment"]), ("abc", t["abc_class"]),
                           ("typology", t["loyalty"])):
            entry = c.get("by", {}).get(key)
            if not entry or "satisfaction" not in entry:
                continue
            sat = entry["satisfaction"]
            name = (seg if key == "segment" else (lambda k: t.get(f"type_{k}", k))
                    if key == "typology" else (lambda k: t.get(f"abc_{k}", str(k))))
            # the groups in the order of their own table (RFM: largest first; ABC: A, B,
            # C), each labelled with its n
            order = [r["segment"] for r in c["segments"]] if key == "segment" else \
                [r["abc"] for r in c["abc"]] if key == "abc" else []
            place = {g: k for k, g in enumerate(order)}
            rows = sorted((dict(r, label=t["label_n"].format(label=name(r["group"]),
                                                             n=num(r["n"], 0)))
                           for r in sat["rows"]),
                          key=lambda r: place.get(r["group"], len(place)))
            tests = sat["tests"]
            by[key] = {"title": t["sat_by"].format(construct=names.get(sat["construct"]),
                                                   by=title),
                       "rows": rows, "chart": data_uri(charts.mean_chart(rows, t["mean"])),
                       "legend": t["mean_chart_note"].format(
                           construct=names.get(sat["construct"])),
                       "test": t["test_line"].format(f=num(tests["anova_f"], 1),
                                                     p=pval(tests["anova_p"]),
                                                     kp=pval(tests["kruskal_p"]))}
        ctx["customers"] = {
            "linked": t["linked"].format(**c["link"]),
            "segments": [dict(r, label=seg(r["segment"])) for r in c["segments"]],
            "abc": [dict(r, abc=t.get(f"abc_{r['abc']}", r["abc"])) for r in c["abc"]],
            "by": by,
            "clv_note": t["clv_note"].format(margin=pct(100 * c["margin"], 0),
                                             discount=pct(100 * c["discount"], 0),
                                             retention=pct(100 * (c["retention"] or 0), 0))}
    return ctx


# --- data quality and method -----------------------------------------------------------------

def _design_text(results: Results, t: dict) -> list[str]:
    """How standard errors were computed (results.uncertainty), in sentences the data
    license: the design only when there is one, re-raking only when it was done."""
    u = results.uncertainty
    if u is None:
        return []
    parts = []
    if u.cluster and u.strata:
        parts.append(t["design_both"].format(clusters=u.n_clusters, cluster=u.cluster,
                                             strata=u.n_strata, strata_item=u.strata))
    elif u.cluster:
        parts.append(t["design_clusters"].format(clusters=u.n_clusters, cluster=u.cluster))
    elif u.strata:
        parts.append(t["design_strata"].format(strata=u.n_strata, strata_item=u.strata))
    if u.scores == "taylor":
        parts.append(t["scores_taylor"])
    elif u.scores == "replicates":
        parts.append(t["scores_replicates"].format(replicates=u.replicates))
    else:
        weighted = results.settings.weight or results.weighting is not None
        csat = "" if any(x.measure == "csat" for x in results.scores) else "_nocsat"
        parts.append(t[("scores_kish_weighted" if weighted else "scores_kish") + csat])
    if u.resampling == "cluster":
        parts.append(t["boot_cluster"])
    elif u.resampling == "rerake":
        parts.append(t["boot_rerake_cluster" if u.cluster else "boot_rerake"])
    if u.lonely:
        parts.append(t["design_lonely"].format(strata=", ".join(u.lonely)))
    return parts


def _method(results: Results, names: Names, t: dict, level: str, lang: str) -> dict:
    s = results.settings
    p = s.pls or {}
    disclosures = [m.disclosure for m in results.models]
    if results.cbsem is not None and results.cbsem.disclosure is not None:
        disclosures.append(results.cbsem.disclosure)
    def glabel(group: Group) -> str:
        """A group named in full; the whole sample of one wave is "All respondents ·
        2026", not the bare wave."""
        text = names.group(group, {})
        return f"{t['all']} · {text}" if s.waves and set(group) == {s.waves} else text

    rows = [dict(x.model_dump(), label=glabel(x.group),
                 model_name=t["col_pls"] if x.model == "pls" else t["col_cbsem"],
                 method=_handling(x, t, lang)) for x in disclosures]
    sm = results.sample.set_missing
    fw = results.study.fieldwork or {}
    fieldwork = [(t[f"fw_{k}"], text_in(v, lang) if isinstance(v, dict) else
                  (f"{v:g}%" if k == "response_rate" else
                   format_date(v) if k in ("start", "end") else str(v)))
                 for k, v in fw.items() if v is not None]
    head = results.index_of(results.headline.group, next(
        (c for c in results.model.index_constructs if "sat" in c.lower()),
        (results.model.index_constructs or [""])[0]))
    return {
        "screening_text": t["screening_text"].format(rules=t["list_sep"].join(
            t[f"rule_{r}"] for r in s.exclude)) if s.exclude else t["no_exclusion"],
        "screening_notes": [note_text(n, lang) for n in s.screening_notes],
        "weight_text": t["weight_raked"] if results.weighting is not None else
        t["weight_text"].format(weight=s.weight) if s.weight else t["no_weight"],
        "design_text": _design_text(results, t),
        "pls_text": t["pls_settings"].format(scheme=t.get(f"scheme_{p.get('scheme')}",
                                                          p.get("scheme", "path")),
                                             boot=p.get("bootstrap", 0), seed=p.get("seed"),
                                             level=level, missing=_pls_missing(p, t, False))
        + _poisson_text(results, p, t) + _p_values_text(p, t)
        if p else "",
        # the comparisons the study ran, no more (no paths: no permutation; no MICOM)
        "comparison_method_key": "comparison_method"
        if any(c.paths or c.micom for c in results.comparisons)
        else "comparison_method_indices",
        "cb_text": t["cb_settings_fiml" if (results.cbsem is not None and
                      (results.cbsem.settings or {}).get("missing") == "fiml")
                      else "cb_settings"].format(estimator=t.get(
            f"estimator_{(s.cbsem or {}).get('estimator', 'ML')}",
            (s.cbsem or {}).get("estimator", "ML"))) if s.cbsem else "",
        # MICOM's sentence only where MICOM was run
        "multiplicity_text": t["multiplicity_text" if any(c.micom for c in results.comparisons)
                               else "multiplicity_text_nomicom"].format(
            alpha=s.multiplicity.alpha) + (
            t["resamples_text2"].format(tail=s.multiplicity.tail_draws, boot=p["bootstrap"])
            if p.get("bootstrap") else "") + (
            t["resamples_compare"].format(perm=s.compare.get("permutations"),
                                          boot=s.compare.get("bootstrap"))
            if s.compare and any(c.paths or c.micom for c in results.comparisons)
            else "") + "".join(
            t["multiplicity_client" if c.reference else "multiplicity_many"].format(
                many=s.multiplicity.many_groups, k=len(c.levels) - 1,
                m=len({(group_key(d.group_a), group_key(d.group_b))
                       for d in c.all_pairs or c.differences}))
            for c in results.comparisons if len(c.levels) > s.multiplicity.many_groups),
        "group_sizes_note": t["group_sizes_wave"].format(wave=s.current_wave)
        if s.current_wave else "",
        "waves_text": t["waves_text" if s.groups else "waves_text_one"].format(
            wave=s.current_wave) if s.current_wave else "",
        "syntax": results.model.syntax,
        "disclosures": [d for d, x in zip(rows, disclosures) if _within(results, x.group)],
        "disclosures_other": [d for d, x in zip(rows, disclosures)
                              if not _within(results, x.group)],
        "set_missing_text": t["set_missing"].format(items=t["list_sep"].join(
            f"{k} {v}" for k, v in sm.items())) if sm else t["no_set_missing"],
        "diagnostics": [{"label": glabel(x.group),
                         "message": diagnostic_text(x.code, x.message, x.concerns, lang)}
                        for x in results.diagnostics],
        "fieldwork": fieldwork,
        "skipped": [{"label": names.group(x.group, {}), "n": x.n,
                     "reason": (why := _note(x.reason, names, lang)),
                     "text": t["skipped_entry"].format(group=names.group(x.group, {}), n=x.n,
                                                       reason=why)}
                    for x in results.skipped],
        "margin_text": t["margin_text"].format(construct=names[head.construct],
                                               margin=num((head.ci_upper - head.ci_lower) / 2, 1),
                                               level=level, n=head.n)
        if head is not None and head.ci_lower is not None else "",
        "questionnaire_items": [{"item": i, "question": names.question(i),
                                 "construct": names[v.construct] if v.construct else t["col_nps"],
                                 "scale": t["binary_item"] if _measured_by(
                                     results.model, v.construct) == "binary"
                                 else f"{v.min:g}–{v.max:g}"}
                                for i, v in results.model.items.items() if v.min is not None]}


# --- what the study's shape licenses -----------------------------------------------------------

def _shape(results: Results, ctx: dict, lang: str) -> dict:
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
    micom = bool(ctx.get("comparisons")) or any(d.get("warranted") is not None
                                                  for d in changes)
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
    limits = ["cross_section" if s.waves else "cross_section_one",
              "sample" if weighted else "sample_unweighted",
              "self_report" if ctx.get("customers") else "self_report_only",
              "model"] + (["small_groups"] if s.groups else [])
    rules = [note_text(n, lang) for n in s.screening_notes]
    # what reading a file did (every note that is not a screening rule), by its code
    loader = [note_text(n, lang) for src in results.sample.sources for n in src.notes
              if n.code not in SCREENING_CODES]
    waves = "_wave" if s.current_wave else ""
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
           "glossary_terms": terms, "limitations": limits,
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
            missing=_pls_missing(p, t, len(results.models) <= 1)) + \
            _poisson_text(results, p, t) + _p_values_text(p, t)
    out.update(_many_groups(results, ctx))
    return out


#: more levels than this in one group item, and the report shows the client against each
#: competitor (or, without a client, the significant pairs); every pair stays in tables.xlsx
#: (the study tests them so: see crmsurvey.study.contrasts.families)
MANY_GROUPS = _MANY_GROUPS


def _many_groups(results: Results, ctx: dict) -> dict:
    """A study of many groups reads as one of three: the pairwise tables of the body and
    the appendix keep the pairs with the client's group (without a client: the
    significant ones), the scores chart and the trend the whole sample and the client,
    and a matrix of the client against each competitor replaces the long index table.
    Nothing changes for a study of up to :data:`MANY_GROUPS` levels."""
    t, names = ctx["t"], ctx["labels"]
    client = results.study.client_group or {}
    scope = results.headline.group
    mine = lambda g: bool(client) and all(g.get(k) == v for k, v in client.items())  # noqa: E731
    out: dict = {"pairs_body_note": "",
                 "comparisons": [dict(c, matrix=None, matrix_note="", pairs_note="",
                                      paths_note="",
                                      micom_note="",
                                      paths_m=len(c.get("paths") or []))
                                 for c in ctx.get("comparisons") or []]}
    if ctx.get("trend"):
        out["trend"] = dict(ctx["trend"], pairs_note="")
        if len({r["group"] for r in out["trend"]["table"]}) <= 1:  # one line per panel
            out["trend"]["note"] = t["trend_note_one"]
    many_items = []
    comps = []
    for c, shown in zip(results.comparisons, out["comparisons"]):
        levels = {d.group_a.get(c.item) for d in c.differences} | \
                 {d.group_b.get(c.item) for d in c.differences}
        if len(levels) <= MANY_GROUPS:
            comps.append(shown)
            continue
        many_items.append(c.item)
        by_client = bool(client) and c.item in client
        keep = (lambda r: mine(r["group_a"]) or mine(r["group_b"])) if by_client else \
            (lambda r: bool(r.get("significant")))
        keep_micom = keep if by_client else (lambda r: not r.get("compositional", True))
        total = len({(group_key(d.group_a), group_key(d.group_b))
                     for d in c.all_pairs or c.differences})
        # the appendix keeps what a reader acts on: significant path differences and
        # pairs MICOM did not find fully invariant (with the client, when there is one)
        # counted over the pairs the report shows (the client's family), as the † marks
        family = [r for r in c.micom if keep(r)] if by_client else c.micom
        shown_m = len({(group_key(d.group_a), group_key(d.group_b)) for d in c.differences
                       if keep({"group_a": d.group_a, "group_b": d.group_b})}) \
            if by_client else total
        failed: dict[str, int] = {}
        for r in family:
            failed[r["construct"]] = failed.get(r["construct"], 0) + (not r["compositional"])
        none = [t["micom_pairs_n"].format(construct=names[k], k=v, m=shown_m)
                for k, v in failed.items() if v]
        shown = dict(shown, indices=[r for r in shown["indices"] if keep(r)],
                     paths=[r for r in shown["paths"] if keep(r) and r.get("significant")],
                     micom=[r for r in shown["micom"] if keep_micom(r)
                            and not r.get("compositional", True)],
                     micom_text=t["micom_none"].format(names=and_list(none, t)) if none
                     else shown["micom_text"],
                     pairs_note=t["pairs_client" if by_client else "pairs_significant"]
                     .format(m=total),
                     paths_note=t["paths_pairs_client" if by_client else
                                  "pairs_significant"].format(m=total),
                     micom_note=t["micom_pairs_client" if by_client else
                                  "pairs_significant"].format(m=total))
        if by_client:
            shown["matrix"] = _client_matrix(shown["indices"], mine, names, scope)
            dagger = any(r.get("warranted") is False for r in shown["indices"])
            shown["matrix_note"] = t["client_matrix_note_m" if dagger else
                                     "client_matrix_note_m_plain"].format(m=shown_m)
        comps.append(shown)
    if not many_items:
        return out
    out["comparisons"] = comps
    by_client = bool(client) and any(i in client for i in many_items)

    def pairs(rows: list[dict]) -> list[dict]:
        return [r for r in rows if (mine(r["group_a"]) or mine(r["group_b"])
                                    if by_client else r.get("significant"))]
    for key in ("nps_differences", "csat_differences"):
        if ctx.get(key):
            out[key] = pairs(ctx[key])
    out["pairs_body_note"] = t["pairs_client" if by_client else "pairs_significant"].format(
        m=max(len({(group_key(d.group_a), group_key(d.group_b))
                   for d in c.all_pairs or c.differences})
              for c in results.comparisons if c.item in many_items))
    focus = [scope] + ([{**client, **scope}] if client else [])
    keys = [group_key(g) for g in focus]
    rows = [dict(r.model_dump(), group=group_key(r.group)) for r in results.indices
            if not r.pooled and group_key(r.group) in keys]
    if ctx.get("index_chart") and rows:
        out["index_chart"] = data_uri(charts.index_chart(
            rows, results.model.index_constructs, names.constructs, keys,
            {group_key(g): names.group(g) for g in focus}, _styles(results, keys)))
    tr = results.trend
    if ctx.get("trend") and tr is not None:
        rest = lambda g: {k: v for k, v in g.items() if k != tr.item}  # noqa: E731
        wanted = {group_key(rest(g)) for g in focus}
        trend = dict(out["trend"])
        trend["changes"] = [r for r in trend["changes"]
                            if group_key(rest(r["group_a"])) in wanted]
        shown_labels = {names.group(rest(g), {}) for g in focus}
        trend["table"] = [r for r in trend["table"] if r["group"] in shown_labels]
        rows = [{"group": group_key(rest(r.group)), "wave": r.group[tr.item],
                 "construct": r.construct, "index": r.index}
                for r in results.indices if tr.item in r.group and not r.pooled
                and group_key(rest(r.group)) in wanted]
        order = [group_key(rest(g)) for g in focus]
        if trend.get("chart") and rows:
            trend["chart"] = data_uri(charts.trend_panels(
                rows, results.model.index_constructs, names.constructs, tr.waves, order,
                {group_key(rest(g)): names.group(rest(g), {}) for g in focus},
                group_key(rest({**client, **scope})) if client else None,
                _styles(results, order)))
        trend["pairs_note"] = t["trend_client"]
        out["trend"] = trend
        out["disclosures_other"] = [d for d in ctx.get("disclosures_other") or []
                                    if group_key(rest(d["group"])) in wanted]
    labels = {names.group(g) for g in focus}
    cols = [i for i, g in enumerate(ctx.get("item_groups") or []) if g in labels]
    if ctx.get("item_table") and cols:
        out["item_groups"] = [ctx["item_groups"][i] for i in cols]
        out["item_table"] = [dict(r, cells=[r["cells"][i] for i in cols])
                             for r in ctx["item_table"]]
    comp = ctx.get("complaints")
    if comp and len(comp["rows"]) == len(comp["lines"]):
        out["complaints"] = dict(comp, lines=[x for r, x in zip(comp["rows"], comp["lines"])
                                              if r["label"] in labels | {t["all"]}])
    return out


def _client_matrix(rows: list[dict], mine, names: Names, scope: Group) -> dict:
    """The client's index minus each competitor's, one row per competitor and one column
    per construct, with the marks of the pairwise table (* significant, † not warranted)."""
    constructs = list(dict.fromkeys(r["name"] for r in rows))
    table: dict[str, dict] = {}
    for r in rows:
        flip = 1 if mine(r["group_a"]) else -1
        other = r["group_b"] if flip == 1 else r["group_a"]
        table.setdefault(names.group(other, scope), {})[r["name"]] = {
            "difference": flip * r["difference"], "significant": r.get("significant"),
            "difference_shown": flip * r["difference_shown"],
            "warranted": r.get("warranted")}
    return {"constructs": [names[c] for c in constructs],
            "rows": [{"label": k, "cells": [v.get(c) for c in constructs]}
                     for k, v in table.items()]}
