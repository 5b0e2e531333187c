"""Everything a report template shows, built from the typed study results in display
order — the templates only loop and test. Every number comes from one estimate in the
results; the only arithmetic here is presentation (a margin of error is half an
interval's width)."""
from __future__ import annotations

from ..errors import escape_controls
from ..study.results import Group, Results, group_key
from . import charts
from .charts import data_uri
from .filters import pval, text_in
from .findings import findings
from .i18n import diagnostic_text, screening_note, strings

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
        if self.lang == "zh-CN":  # a wave reads "2026年"
            parts = [p + "年" if p.isdigit() and len(p) == 4 and k in wave else p
                     for p, k in zip(parts, wave)]
        return " · ".join(parts) or self.t["all"]

    def question(self, item: str) -> str:
        info = self.items.get(item)
        return text_in(info.text, self.lang) if info and info.text else item


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
    ctx.update(_analytics(results.analytics, names, t, lang))
    ctx.update(_method(results, names, t, level, lang))
    return ctx


def _within(results: Results, group: Group) -> bool:
    """``group`` is the headline scope or one of its groups (same wave)."""
    scope, wave = results.headline.group, results.settings.waves
    if any(group.get(k) != v for k, v in scope.items()):
        return False
    return bool(scope) or wave is None or wave not in group


# --- executive summary ------------------------------------------------------------------

def _summary(results: Results, names: Names, t: dict, level: str, sat) -> dict:
    scope = results.headline.group
    client = results.study.client_group
    focus = {**client, **scope} if client else None
    kpis = []
    for group in [g for g in (scope, focus) if g is not None]:
        row = results.index_of(group, sat) if sat else None
        if row is not None:
            kpis.append({"label": t["kpi_index"].format(construct=names[sat],
                                                         group=names.group(group)),
                         "value": row.index, "lo": row.ci_lower, "hi": row.ci_upper,
                         "n": row.n, "level": level})
        nps = next((s for s in results.scores if s.measure == "nps" and s.group == group
                    and not s.pooled), None)
        if nps is not None:
            kpis.append({"label": t["kpi_nps"].format(group=names.group(group)),
                         "value": nps.value, "lo": nps.ci_lower, "hi": nps.ci_upper,
                         "n": nps.n, "level": "95%"})
    head = results.headline
    return {"kpis": kpis,
            "headline_text": t["headline_scope"].format(wave=head.wave, n=kpis[0]["n"])
            if head.wave and kpis else "",
            "findings": findings(results, names, level)}


# --- current wave by group, trend -------------------------------------------------------

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
    csat = [dict(s.model_dump(), label=names.group(s.group), top=s.detail.get("top"))
            for s in results.scores if s.measure == "csat" and not s.pooled
            and _within(results, s.group)]
    return {"current_rows": rows, "current_constructs": [names[c] for c in constructs],
            "has_previous": bool(change), "previous": results.headline.previous_wave,
            "index_chart": data_uri(charts.index_chart(
                chart_rows, constructs, names.constructs, groups,
                {k: names.group(by_key[k]) for k in groups})) if chart_rows else None,
            "pooled_rows": pooled, "csat": csat,
            "nps_rows": [dict(s.model_dump(), **s.detail, label=names.group(s.group))
                         for s in results.scores if s.measure == "nps" and not s.pooled
                         and _within(results, s.group)],
            "nps_differences": [dict(d.model_dump(), pair=f"{names.group(d.group_a)} – "
                                                          f"{names.group(d.group_b)}")
                                for c in results.comparisons for d in c.differences
                                if d.quantity == "nps"]}


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
                                              else None)) if rows else None,
        "waves": tr.waves,
        "table": [{"group": labels[g], "label": names[c],
                   "values": [table.get((g, c, w)) for w in tr.waves]}
                  for g in groups for c in constructs],
        "changes": [dict(d.model_dump(), glabel=names.group(rest(d.group_a), {}),
                         label=names[d.name] if d.quantity == "index" else d.quantity.upper())
                    for d in tr.changes],
        "title": t["changes_title"].format(prev=tr.previous) if tr.previous else "",
        "note": t["trend_note2"].format(level=level)}}


# --- drivers and items --------------------------------------------------------------------

def _drivers(results: Results, names: Names, t: dict, lang: str) -> dict:
    scope = results.headline.group
    main = results.drivers_of(scope)
    if main is None or not main.constructs:
        return {}
    sep = "、" if lang == "zh-CN" else ", "
    mp = sum(r.performance for r in main.constructs) / len(main.constructs)
    if main.standout:
        r = next(r for r in main.constructs if r.construct == main.standout)
        key = "ipma_reading_act" if r.performance < mp else "ipma_reading_keep"
        reading = [t[key].format(names=names[r.construct])]
    elif main.priorities:
        reading = [t["no_standout"].format(names=sep.join(names[c] for c in main.priorities))]
    else:
        reading = [t["no_driver"].format(target=names[main.target])]
    levers = {r.construct for r in main.constructs if r.actionable}
    weak = {r.construct for r in main.constructs if r.construct in main.priorities
            and r.performance < mp}
    item_mean = (sum(i.performance for i in main.items) / len(main.items)) if main.items else 0
    return {
        "ipma_chart": data_uri(charts.ipma_chart([r.model_dump() for r in main.constructs],
                                                 names.constructs, t["importance"],
                                                 t["performance"])),
        "ipma_reading": reading,
        "ipma_rows": [dict(r.model_dump(), label=names[r.construct]) for r in main.constructs],
        "item_rows": [dict(r.model_dump(), label=names[r.construct],
                           question=names.question(r.item),
                           act=r.construct in weak and r.performance < item_mean)
                      for r in sorted(main.items, key=lambda r: -r.importance)
                      if r.construct in levers],
        "group_drivers": [{"label": names.group(d.group),
                           "priorities": sep.join(names[c] for c in d.priorities) or t["none"],
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
                            else "NPS",
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
        "path_chart": data_uri(charts.path_diagram(order, fit.paths, r2, names.constructs)),
        "paths": [dict(p, label=f"{names[p['rhs']]} → {names[p['lhs']]}") for p in fit.paths],
        "r2": [dict(r, label=names[r["construct"]]) for r in fit.r2],
        "quality": [dict(q, label=names[q["construct"]]) for q in fit.quality],
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
        "model_group": names.group(fit.group, {}), **_assessment(fit, names)}


def _assessment(fit, names: Names) -> dict:
    """Model fit, PLSpredict, mediation and information criteria of the headline model."""
    out: dict = {}
    mf = {r["measure"]: r for r in fit.model_fit or []}
    if mf:
        rows = []
        for key, label in (("srmr", "SRMR"), ("d_uls", "d_ULS"), ("d_g", "d_G")):
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
                      "power": c["predictive_power"]} for c in p.constructs],
            "items": [dict(r, label=names[r["construct"]]) for r in p.items]}
    if fit.indirect:
        out["indirect_rows"] = [
            dict(r, label=f"{names[r['from']]} → {names[r['to']]}",
                 chain=None if r["through"] == "total" else
                 " → ".join(names[x] for x in r["through"].split(" -> ")))
            for r in fit.indirect]
    if fit.model_selection:
        out["selection_rows"] = [dict(r, label=names[r["construct"]])
                                 for r in fit.model_selection]
    return out


def _comparisons(results: Results, names: Names, t: dict) -> dict:
    idx = set(results.model.index_constructs)
    pair = lambda r: f"{names.group(r['group_a'])} – {names.group(r['group_b'])}"  # noqa: E731
    comps = []
    for c in results.comparisons:
        index = [d for d in c.differences if d.quantity == "index" and d.name in idx]
        none = sorted({names[r["construct"]] for r in c.micom if not r["compositional"]})
        sig = [d for d in index if d.significant]
        inv = c.invariance
        comps.append({
            "group": names.question(c.item),
            "indices": [dict(d.model_dump(), pair=pair(d.model_dump()), label=names[d.name])
                        for d in index],
            "reading": t["cmp_reading"].format(n=len(sig), m=len(index)),
            "paths": [dict(r, pair=pair(r), label=f"{names[r['rhs']]} → {names[r['lhs']]}")
                      for r in c.paths],
            "paths_sig": sum(1 for r in c.paths if r["significant"]),
            "micom": [dict(r, pair=pair(r), label=names[r["construct"]],
                           status=t[f"status_{r['invariance']}"]) for r in c.micom],
            "micom_text": t["micom_none"].format(names="、".join(none) if names.lang == "zh-CN"
                                                 else ", ".join(none)) if none
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
    ctx["cb_disclosure"] = t["cb_disclosure"].format(
        used=x.used, rows=x.rows, dropped=x.dropped, group=names.group(x.group, {}),
        method={"listwise deletion": t["missing_listwise"]}.get(x.missing_method,
                                                                 t["missing_fiml"]))
    f = cb.fit
    rows = []
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"):
        rule = HU_BENTLER.get(key)
        value = f.get(key)
        meets = None
        if rule and value is not None:
            meets = value >= rule[1] if rule[0] == ">=" else value <= rule[1]
        rows.append({"measure": key.upper() if key in HU_BENTLER else t[f"fit_{key}"],
                     "value": value, "meets": meets, "digits": 0 if key == "df" else 3,
                     "threshold": f"{rule[0].replace('>=', '≥').replace('<=', '≤')} {rule[1]}"
                     if rule else "",
                     "interval": (f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"))
                     if key == "rmsea" else None})
    ctx["fit_rows"] = rows
    ctx["cb_estimates"] = [dict(r, label=f"{names.get(r['lhs'])} {r['op']} {names.get(r['rhs'])}")
                           for r in cb.estimates]
    return ctx


# --- analytics -------------------------------------------------------------------------------

def _analytics(a: dict, names: Names, t: dict, lang: str) -> dict:
    ctx: dict = {"kano": None, "typology": None, "customers": None}
    sep = "、" if lang == "zh-CN" else ", "
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
            names=sep.join(n), category=t[f"kano_{c}"], advice=t[f"kano_advice_{c}"])
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
                                              ca=f"{ty['cuts']['attitude']:.1f}",
                                              cb=f"{ty['cuts']['behaviour']:.1f}",
                                              medians=medians),
            "reading": t["typology_reading"].format(**shares) if overall else "",
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
                    if key == "typology" else str)
            rows = [dict(r, label=name(r["group"])) for r in sat["rows"]]
            tests = sat["tests"]
            by[key] = {"title": t["sat_by"].format(construct=names.get(sat["construct"]),
                                                   by=title),
                       "rows": rows, "chart": data_uri(charts.mean_chart(rows, t["mean"])),
                       "test": t["test_line"].format(f=tests["anova_f"] or float("nan"),
                                                     p=pval(tests["anova_p"]),
                                                     kp=pval(tests["kruskal_p"]))}
        ctx["customers"] = {
            "linked": t["linked"].format(**c["link"]),
            "segments": [dict(r, label=seg(r["segment"])) for r in c["segments"]],
            "abc": c["abc"], "by": by,
            "clv_note": t["clv_note"].format(margin=c["margin"], discount=c["discount"],
                                             retention=c["retention"] or 0)}
    return ctx


# --- data quality and method -----------------------------------------------------------------

def _method(results: Results, names: Names, t: dict, level: str, lang: str) -> dict:
    s = results.settings
    p = s.pls or {}
    method = {"item mean replacement": t["missing_pls"], "listwise deletion":
              t["missing_listwise"], "full-information ML": t["missing_fiml"]}
    disclosures = [m.disclosure for m in results.models]
    if results.cbsem is not None and results.cbsem.disclosure is not None:
        disclosures.append(results.cbsem.disclosure)
    rows = [dict(x.model_dump(), label=names.group(x.group, {}),
                 model_name="PLS" if x.model == "pls" else "CB-SEM",
                 method=method.get(x.missing_method, x.missing_method)) for x in disclosures]
    sm = results.sample.set_missing
    fw = results.study.fieldwork or {}
    fieldwork = [(t[f"fw_{k}"], text_in(v, lang) if isinstance(v, dict) else
                  (f"{v:g}%" if k == "response_rate" else str(v)))
                 for k, v in fw.items() if v is not None]
    head = results.index_of(results.headline.group, next(
        (c for c in results.model.index_constructs if "sat" in c.lower()),
        (results.model.index_constructs or [""])[0]))
    return {
        "screening_text": t["screening_text"].format(rules="、".join(
            t.get(f"rule_{r}", r) for r in s.exclude) if lang == "zh-CN" else ", ".join(
            t.get(f"rule_{r}", r) for r in s.exclude)) if s.exclude else t["no_exclusion"],
        "screening_notes": [screening_note(n, lang) for n in s.screening_notes] +
        [screening_note(n, lang) for src in results.sample.sources for n in src.notes
         if n not in s.screening_notes],
        "weight_text": t["weight_text"].format(weight=s.weight) if s.weight else t["no_weight"],
        "pls_text": t["pls_settings"].format(scheme=t.get(f"scheme_{p.get('scheme')}",
                                                          p.get("scheme", "path")),
                                             boot=p.get("bootstrap", 0), seed=p.get("seed"),
                                             level=level) if p else "",
        "cb_text": t["cb_settings_fiml" if (results.cbsem is not None and
                      (results.cbsem.settings or {}).get("missing") == "fiml")
                      else "cb_settings"].format(estimator=t.get(
            f"estimator_{(s.cbsem or {}).get('estimator', 'ML')}",
            (s.cbsem or {}).get("estimator", "ML"))) if s.cbsem else "",
        "multiplicity_text": t["multiplicity_text"].format(alpha=s.multiplicity.alpha),
        "waves_text": t["waves_text"].format(wave=s.current_wave) if s.current_wave else "",
        "syntax": results.model.syntax,
        "disclosures": [d for d, x in zip(rows, disclosures) if _within(results, x.group)],
        "disclosures_other": [d for d, x in zip(rows, disclosures)
                              if not _within(results, x.group)],
        "set_missing_text": t["set_missing"].format(items="、".join(
            f"{k} {v}" for k, v in sm.items()) if lang == "zh-CN" else ", ".join(
            f"{k} {v}" for k, v in sm.items())) if sm else t["no_set_missing"],
        "diagnostics": [{"label": names.group(x.group, {}),
                         "message": diagnostic_text(x.code, x.message, x.concerns, lang)}
                        for x in results.diagnostics],
        "fieldwork": fieldwork,
        "skipped": [{"label": names.group(x.group, {}), "n": x.n,
                     "reason": screening_note(x.reason, lang)} for x in results.skipped],
        "margin_text": t["margin_text"].format(construct=names[head.construct],
                                               margin=(head.ci_upper - head.ci_lower) / 2,
                                               level=level, n=head.n)
        if head is not None and head.ci_lower is not None else "",
        "questionnaire_items": [{"item": i, "question": names.question(i),
                                 "construct": names[v.construct] if v.construct else "NPS",
                                 "scale": f"{v.min:g}–{v.max:g}"}
                                for i, v in results.model.items.items() if v.min is not None]}
