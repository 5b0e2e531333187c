"""Render a study's results bundle to HTML and PDF (jinja2 + WeasyPrint).

Templates autoescape every value and use ``StrictUndefined``; untrusted text (question
wording, group names, data values) therefore shows as text. The PDF renderer fetches only
``data:`` URIs and files inside the template folder or the run's ``assets`` folder —
never the network and no other file.
"""
from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote, urlparse

from .._io import atomic_path
from .._resources import bundled_dir
from ..errors import InputError
from . import charts
from .filters import num, pct, pval, text_in
from .i18n import diagnostic_text, strings
from ..study.results import Results, group_key, group_label

__all__ = ["render_report", "build_html", "restricted_fetcher"]

HU_BENTLER = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06),
              "srmr": ("<=", 0.08)}


def _allowed(url: str, roots: list[Path]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        return any(path == r or r in path.parents for r in roots) and path.is_file()
    return False


def restricted_fetcher(allowed: list[Path], refused: list[str] | None = None):
    """A WeasyPrint URL fetcher that serves data: URIs and files under ``allowed`` and
    refuses everything else (recording it in ``refused``)."""
    from weasyprint import urls

    roots = [p.resolve() for p in allowed]

    def refuse(url: str):
        if refused is not None:
            refused.append(url)
        raise ValueError(f"the report renderer fetches only its own assets, not {url!r}")

    if hasattr(urls, "URLFetcher"):  # WeasyPrint ≥ 68: a fetcher class
        class Restricted(urls.URLFetcher):
            def fetch(self, url, headers=None):
                if not _allowed(url, roots):
                    refuse(url)
                return super().fetch(url, headers)

        return Restricted(allowed_protocols=("data", "file"))

    def fetch(url: str, *args, **kwargs):  # older WeasyPrint: a function
        if not _allowed(url, roots):
            refuse(url)
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}


def _logo_uri(path: Path) -> str:
    """The logo embedded as a data: URI (no machine path in report.html)."""
    kind = _IMAGE_TYPES.get(path.suffix, "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


class _Names(dict):
    """Display names: a name without one shows as itself."""

    def __missing__(self, key):
        return key


def _label(results: Results, lang: str) -> dict[str, str]:
    return _Names({c: text_in(v, lang) for c, v in results.model.labels.items()})


def _glabel(group: dict, scope: dict, t: dict) -> str:
    """A group's name within a scope: the levels that are not the scope's own."""
    return group_label({k: v for k, v in group.items() if scope.get(k) != v}, all_label=t["all"])


def build_context(results: Results, lang: str) -> dict:
    """Everything the template shows, already in display order (no logic in templates
    beyond loops and conditions)."""
    t = strings(lang)
    labels = _label(results, lang)
    model = results.model
    target = model.ipma_target
    head = results.headline
    scope = head.group
    wave_item = results.settings.waves
    idx_constructs = model.index_constructs
    sat = next((c for c in idx_constructs if "sat" in c.lower()),
               idx_constructs[0] if idx_constructs else None)
    in_scope = [r for r in results.indices if not r.pooled and _within(r.group, scope, wave_item)]
    gl = lambda g: _glabel(g, scope, t)  # noqa: E731
    ctx = {"t": t, "lang": lang, "labels": labels, "study": results.study.model_dump(),
           "settings": results.settings.model_dump(), "sample": results.sample.model_dump(),
           "sections": results.study.sections, "sat": sat, "target": target,
           "skipped": [{"label": group_label(s.group, all_label=t["all"]), "n": s.n,
                        "reason": s.reason} for s in results.skipped]}
    level = f"{100 * ((results.settings.pls or {}).get('ci') or 0.95):.0f}%"
    ctx["level"] = level
    ctx["headline_text"] = t["headline_scope"].format(
        wave=head.wave, n=(results.index_of(scope, sat) or in_scope[0]).n
        if (sat and in_scope) else "–") if head.wave else ""
    # executive summary
    ctx["sat_rows"] = [dict(r.model_dump(), label=gl(r.group), overall=r.group == scope)
                       for r in in_scope if r.construct == sat]
    scores = [r for r in results.scores if not r.pooled and _within(r.group, scope, wave_item)]
    ctx["nps_rows"] = [dict(r.model_dump(), **r.detail, nps=r.value, label=gl(r.group),
                            overall=r.group == scope) for r in scores if r.measure == "nps"]
    diffs = [d for c in results.comparisons for d in c.differences]
    ctx["nps_differences"] = [dict(d.model_dump(), pair=f"{gl(d.group_a)} – {gl(d.group_b)}")
                              for d in diffs if d.quantity == "nps"]
    ctx["csat"] = [dict(r.model_dump(), csat=r.value, top=r.detail.get("top"),
                        label=gl(r.group)) for r in scores if r.measure == "csat"]
    main = results.drivers_of(scope)
    ctx["drivers"], ctx["driver_reading"] = [], ""
    if main is not None:
        by = {r.construct: r for r in main.constructs}
        ctx["drivers"] = [t["driver_sentence"].format(
            construct=labels[c], target=labels[target], effect=by[c].importance,
            sig=t["significant"]) for c in main.priorities[:3]]
        sep = "、" if lang == "zh-CN" else ", "
        ctx["driver_reading"] = (
            t["standout"].format(construct=labels[main.standout], target=labels[target])
            if main.standout else t["no_standout"].format(
                names=sep.join(labels[c] for c in main.priorities))
            if main.priorities else t["no_driver"].format(target=labels[target]))
    # charts
    keys = [group_key(r.group) for r in in_scope if r.construct == (sat or r.construct)]
    keys = list(dict.fromkeys(keys))
    chart_rows = [dict(r.model_dump(), group=group_key(r.group)) for r in in_scope]
    glabels = _Names({group_key(r.group): gl(r.group) for r in in_scope})
    ctx["index_chart"] = _data_uri(charts.index_chart(
        chart_rows, idx_constructs, labels, keys, glabels)) if chart_rows else None
    ctx["index_rows"] = [dict(r.model_dump(), label=labels[r.construct], glabel=gl(r.group))
                         for r in in_scope]
    ctx["pooled_rows"] = [dict(r.model_dump(), label=labels[r.construct],
                               glabel=group_label({k: v for k, v in r.group.items()},
                                                  all_label=t["all"]))
                          for r in results.indices if r.pooled]
    nps_chart_rows = [dict(r, group=group_key(r["group"])) for r in ctx["nps_rows"]]
    ctx["nps_chart"] = _data_uri(charts.nps_chart(
        nps_chart_rows, _Names({group_key(r["group"]): r["label"] for r in ctx["nps_rows"]}),
        (t["detractors"], t["passives"], t["promoters"]))) if nps_chart_rows else None
    ctx.update(_model_context(results.model_of(scope), model, labels))
    ctx.update(_drivers_context(results, main, scope, labels, t, lang))
    ctx.update(_cbsem_context(results.cbsem, t, lang))
    ctx.update(_analytics_context(results.analytics, t, labels, lang))
    ctx.update(_comparison_context(results, t, labels, level, gl))
    ctx.update(_method_context(results, t, labels, level, lang))
    return ctx


def _within(group: dict, scope: dict, wave_item: str | None) -> bool:
    """``group`` is the scope or one of its groups (same wave; no wave when the scope has
    none)."""
    if any(group.get(k) != v for k, v in scope.items()):
        return False
    return bool(scope) or wave_item is None or wave_item not in group


def _model_context(fit, model, labels) -> dict:
    if fit is None:
        return {}
    r2 = {r["construct"]: r["r2"] for r in fit.r2}
    names = list(model.constructs)
    htmt = {(r["lhs"], r["rhs"]): r for r in fit.htmt_intervals or []}
    return {
        "path_chart": _data_uri(charts.path_diagram(names, fit.paths, r2, labels)),
        "paths": [dict(p, label=f"{labels[p['rhs']]} → {labels[p['lhs']]}") for p in fit.paths],
        "r2": [dict(r, label=labels[r["construct"]]) for r in fit.r2],
        "quality": [dict(q, label=labels[q["construct"]]) for q in fit.quality],
        "loadings": [dict(r, label=labels[r["lhs"]]) for r in fit.loadings],
        "htmt_names": [labels[n] for n in names],
        "htmt": [[(htmt.get((b, a)) or {}).get("est") if j < i else None
                  for j, b in enumerate(names)] for i, a in enumerate(names)]}


def _drivers_context(results, main, scope, labels, t, lang) -> dict:
    """The priorities page: a quadrant reading only for a driver that stands out (its lead
    over the next is beyond its uncertainty); otherwise the summary's sentence."""
    if main is None or not main.constructs:
        return {}
    sep = "、" if lang == "zh-CN" else ", "
    ctx = {"ipma_chart": _data_uri(charts.ipma_chart(
        [r.model_dump() for r in main.constructs], labels, t["importance"], t["performance"]))}
    mp = sum(r.performance for r in main.constructs) / len(main.constructs)
    if main.standout:
        r = next(r for r in main.constructs if r.construct == main.standout)
        key = "ipma_reading_act" if r.performance < mp else "ipma_reading_keep"
        ctx["ipma_reading"] = [t[key].format(names=labels[r.construct])]
    elif main.priorities:
        ctx["ipma_reading"] = [t["no_standout"].format(
            names=sep.join(labels[c] for c in main.priorities))]
    else:
        ctx["ipma_reading"] = [t["no_driver"].format(target=labels[main.target])]
    ctx["ipma_rows"] = [dict(r.model_dump(), label=labels[r.construct]) for r in main.constructs]
    levers = {r.construct for r in main.constructs if r.actionable}
    ctx["item_rows"] = [dict(r.model_dump(), label=labels[r.construct])
                        for r in sorted(main.items, key=lambda r: -r.importance)
                        if r.construct in levers]
    ctx["group_drivers"] = [
        {"label": _glabel(d.group, scope, t),
         "priorities": sep.join(labels[c] for c in d.priorities) or t["none"],
         "standout": labels[d.standout] if d.standout else t["none"]}
        for d in results.drivers if d.group != scope]
    return ctx


def _cbsem_context(cb, t, lang) -> dict:
    if cb is None:
        return {"cbsem": None}
    ctx: dict = {"cbsem": cb.model_dump(), "cb_problems": [
        diagnostic_text(d.code, d.message, d.concerns, lang) for d in cb.diagnostics]}
    if cb.error:
        return ctx
    x = cb.disclosure
    ctx["cb_disclosure"] = t["cb_disclosure"].format(
        used=x.used, rows=x.rows, dropped=x.dropped, group=group_label(x.group, all_label=t["all"]),
        method={"listwise deletion": t["missing_listwise"]}.get(x.missing_method, t["missing_fiml"]))
    f = cb.fit
    rows = []
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"):
        rule = HU_BENTLER.get(key)
        value = f.get(key)
        meets = None
        if rule and value is not None:
            meets = value >= rule[1] if rule[0] == ">=" else value <= rule[1]
        rows.append({"measure": key.upper() if key in ("cfi", "tli", "rmsea", "srmr")
                     else {"chisq": "χ²", "df": "df", "pvalue": "p"}[key],
                     "value": value, "threshold": f"{rule[0].replace('>=', '≥').replace('<=', '≤')}"
                     f" {rule[1]}" if rule else "", "meets": meets,
                     "interval": (f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"))
                     if key == "rmsea" else None})
    ctx["fit_rows"] = rows
    return ctx


def _method_context(results: Results, t, labels, level, lang) -> dict:
    s = results.settings
    ctx = {"screening_text": t["screening_text"].format(
        rules=", ".join(t.get(f"rule_{r}", r) for r in s.exclude)) if s.exclude
        else t["no_exclusion"],
        "weight_text": t["weight_text"].format(weight=s.weight) if s.weight else t["no_weight"]}
    p = s.pls or {}
    ctx["pls_text"] = t["pls_settings"].format(scheme=p.get("scheme", "path"),
                                               boot=p.get("bootstrap", 0),
                                               seed=p.get("seed"), level=level) if p else ""
    ctx["cb_text"] = t["cb_settings"].format(estimator=(s.cbsem or {}).get("estimator", "ML")) \
        if s.cbsem else ""
    ctx["multiplicity_text"] = t["multiplicity_text"].format(alpha=s.multiplicity.alpha)
    ctx["waves_text"] = t["waves_text"].format(wave=s.current_wave) if s.current_wave else ""
    ctx["syntax"] = results.model.syntax
    method = {"item mean replacement": t["missing_pls"], "listwise deletion":
              t["missing_listwise"], "full-information ML": t["missing_fiml"]}
    disclosures = [m.disclosure for m in results.models]
    if results.cbsem is not None and results.cbsem.disclosure is not None:
        disclosures.append(results.cbsem.disclosure)
    ctx["disclosures"] = [dict(x.model_dump(), label=group_label(x.group, all_label=t["all"]),
                               model_name="PLS" if x.model == "pls" else "CB-SEM",
        method=method.get(x.missing_method, x.missing_method)) for x in disclosures]
    sm = results.sample.set_missing
    ctx["set_missing_text"] = t["set_missing"].format(
        items=", ".join(f"{k} {v}" for k, v in sm.items())) if sm else t["no_set_missing"]
    ctx["diagnostics"] = [{"label": group_label(x.group, all_label=t["all"]),
                           "message": diagnostic_text(x.code, x.message, x.concerns, lang)}
                          for x in results.diagnostics]
    return ctx


def _analytics_context(a: dict, t: dict, labels: dict, lang: str) -> dict:
    ctx: dict = {"kano": None, "typology": None, "customers": None}
    sep = "、" if lang == "zh-CN" else ", "
    if a.get("kano"):
        rows = [dict(r, label=r["feature"]) for r in a["kano"]]
        ctx["kano"] = rows
        ctx["kano_chart"] = _data_uri(charts.kano_chart(
            [r for r in rows if r["better"] is not None], t["worse"], t["better"]))
        by_cat: dict[str, list[str]] = {}
        for r in rows:
            if r["dominant"]:
                by_cat.setdefault(r["dominant"], []).append(r["feature"])
        ctx["kano_reading"] = [t["kano_reading"].format(
            names=sep.join(names), category=t[f"kano_{c}"], advice=t[f"kano_advice_{c}"])
            for c, names in by_cat.items()]
    if a.get("typology"):
        ty = a["typology"]
        overall = next((r for r in ty["shares"] if r["group"] == {}), None)
        names = {k: t[f"type_{k}"] for k in ("loyal", "latent", "spurious", "no_loyalty")}
        behaviour = t["transactions"] if ty["behaviour"] == "transactions" else ty["behaviour"]
        medians = t["medians"] if all(ty["cuts_are_medians"].values()) else ""
        ctx["typology"] = {
            "rows": [dict(r, label=group_label(r["group"], all_label=t["all"]))
                     for r in ty["shares"]],
            "names": names,
            "note": t["typology_note"].format(attitude=labels[ty["attitude"]],
                                              behaviour=behaviour, ca=f"{ty['cuts']['attitude']:.1f}",
                                              cb=f"{ty['cuts']['behaviour']:.1f}", medians=medians),
            "reading": t["typology_reading"].format(**{k: overall.get(k) or 0 for k in names})
            if overall else "",
            "chart": _data_uri(charts.typology_chart({k: overall.get(k) or 0 for k in names}, names,
                                                     t["attitude"], t["behaviour"]))
            if overall else None}
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
            by[key] = {"title": t["sat_by"].format(construct=labels.get(sat["construct"],
                                                                        sat["construct"]), by=title),
                       "rows": rows, "chart": _data_uri(charts.mean_chart(rows, t["mean"])),
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


def _comparison_context(results: Results, t: dict, labels: dict, level: str, gl) -> dict:
    idx = set(results.model.index_constructs)
    pair = lambda r: f"{gl(r['group_a'])} – {gl(r['group_b'])}"  # noqa: E731
    comps = []
    for c in results.comparisons:
        none = sorted({labels[r["construct"]] for r in c.micom if not r["compositional"]})
        comps.append({
            "group": c.item,
            "indices": [dict(d.model_dump(), pair=pair(d.model_dump()), label=labels[d.name])
                        for d in c.differences if d.quantity == "index" and d.name in idx],
            "paths": [dict(r, pair=pair(r), label=f"{labels[r['rhs']]} → {labels[r['lhs']]}")
                      for r in c.paths],
            "micom": [dict(r, pair=pair(r), label=labels[r["construct"]],
                           status=t[f"status_{r['invariance']}"]) for r in c.micom],
            "micom_text": t["micom_none"].format(names=", ".join(none)) if none
            else t["micom_ok"],
            "invariance": c.invariance})
    ctx: dict = {"comparisons": comps, "trend": None}
    tr = results.trend
    if tr is not None:
        constructs = results.model.index_constructs
        overall = [dict(r.model_dump(), wave=r.group[tr.item]) for r in results.indices
                   if set(r.group) == {tr.item} and not r.pooled]
        groups = list(dict.fromkeys(group_key({k: v for k, v in r.group.items() if k != tr.item})
                                    for r in results.indices if tr.item in r.group))
        table = {(group_key({k: v for k, v in r.group.items() if k != tr.item}), r.construct,
                  r.group[tr.item]): r.index for r in results.indices if tr.item in r.group}
        names = {group_key({k: v for k, v in r.group.items() if k != tr.item}):
                 group_label({k: v for k, v in r.group.items() if k != tr.item},
                             all_label=t["all"]) for r in results.indices if tr.item in r.group}
        ctx["trend"] = {
            "chart": _data_uri(charts.trend_chart(overall, constructs, labels, tr.waves))
            if overall else None,
            "waves": tr.waves,
            "table": [{"group": names[g], "label": labels[c],
                       "values": [table.get((g, c, w)) for w in tr.waves]}
                      for g in groups for c in constructs],
            "changes": [dict(d.model_dump(), glabel=group_label(
                {k: v for k, v in d.group_a.items() if k != tr.item}, all_label=t["all"]),
                label=labels[d.name] if d.quantity == "index" else d.quantity.upper())
                for d in tr.changes],
            "title": t["changes_title"].format(prev=tr.previous) if tr.previous else "",
            "note": t["trend_note2"].format(level=level)}
    return ctx


def _environment(template_dir: Path):
    """Templates are code: rendered in Jinja's immutable sandbox (no attribute starting
    with ``_``, no mutation, format strings checked), autoescaped, strict."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(template_dir)),
                                        autoescape=True, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pval=pval, pct=pct, text=text_in)
    return env


def build_html(results: Results, *, lang: str | None = None, template_dir: Path | None = None,
               logo: str | None = None) -> str:
    """The report as HTML. A template that fails — a syntax error, a missing include, an
    unknown name or an operation the sandbox refuses — is an InputError naming the
    template and, where known, the line."""
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    lang = lang or results.study.language
    template_dir = Path(template_dir or bundled_dir("reports") / "default")
    main = template_dir / "report.html.j2"
    if not main.is_file():
        raise InputError(f"no report.html.j2 in template folder {str(template_dir)!r}")
    ctx = build_context(results, lang)
    ctx["logo"] = logo
    try:
        return _environment(template_dir).get_template("report.html.j2").render(**ctx)
    except TemplateSyntaxError as exc:
        raise InputError(f"template error: {exc.message}", path=exc.filename or str(main),
                         line=exc.lineno) from None
    except TemplateNotFound as exc:
        raise InputError(f"template {exc.name!r} not found in the template folder",
                         path=str(template_dir)) from None
    except TemplateError as exc:  # SecurityError (the sandbox), UndefinedError, ...
        where = _template_frame()
        raise InputError(f"template error: {exc}", path=where[0] if where else str(main),
                         line=where[1] if where else None) from None


def _template_frame() -> tuple[str, int] | None:
    """(file, line) of the template being rendered when the error arose: Jinja rewrites
    tracebacks so that template frames carry their own file and line."""
    import sys
    import traceback

    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(".j2")]
    return (frames[-1].filename, frames[-1].lineno) if frames else None


def render_report(results: Results, outdir: Path, *, lang: str | None = None,
                  template_dir: Path | None = None, refused: list[str] | None = None
                  ) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``outdir`` (each atomically)."""
    import logging

    from weasyprint import HTML

    outdir = Path(outdir)
    template_dir = Path(template_dir or bundled_dir("reports") / "default").resolve()
    assets = (outdir / "assets").resolve()
    logo = next((p for p in sorted(assets.glob("logo.*"))), None) if assets.is_dir() else None
    html = build_html(results, lang=lang, template_dir=template_dir,
                      logo=_logo_uri(logo) if logo else None)
    with atomic_path(outdir / "report.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=template_dir.as_uri() + "/",
                    url_fetcher=restricted_fetcher([template_dir, assets], refused))
    with atomic_path(outdir / "report.pdf") as tmp:
        document.write_pdf(str(tmp))
    return outdir / "report.html", outdir / "report.pdf"
