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
from .i18n import strings

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


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


class _Names(dict):
    """Display names: a name without one shows as itself."""

    def __missing__(self, key):
        return key


def _sig(p) -> bool:
    """Significant at 5 % (a missing p never is)."""
    return p is not None and p < 0.05


def _label(bundle: dict, lang: str) -> dict[str, str]:
    return _Names({c: text_in(v, lang) for c, v in bundle["model"]["labels"].items()})


def _group_label(name: str, t: dict) -> str:
    return t["all"] if name == "all" else name.split("=", 1)[-1]


def build_context(bundle: dict, lang: str) -> dict:
    """Everything the template shows, already in display order (no logic in templates
    beyond loops and conditions)."""
    t = strings(lang)
    labels = _label(bundle, lang)
    model = bundle["model"]
    target = model["ipma_target"]
    pls_all = bundle["pls"].get("all")
    groups = ["all"] + [g for g in bundle["pls"] if g != "all"]
    first_group = next((g.split("=")[0] for g in groups if "=" in g), None)
    chart_groups = ["all"] + [g for g in groups if first_group and g.startswith(f"{first_group}=")]
    glabels = _Names({g: _group_label(g, t) for g in groups})
    glabels.update({r["group"]: _group_label(r["group"], t) for r in bundle["nps"]})
    idx_constructs = model["index_constructs"]
    sat = next((c for c in idx_constructs if "sat" in c.lower()),
               idx_constructs[0] if idx_constructs else None)
    ctx = {"t": t, "lang": lang, "labels": labels, "study": bundle["study"],
           "settings": bundle["settings"], "sample": bundle["sample"],
           "sections": bundle["study"]["sections"], "skipped": bundle["skipped"],
           "glabels": glabels, "sat": sat, "target": target}
    level = f"{100 * ((bundle['settings'].get('pls') or {}).get('ci') or 0.95):.0f}%"
    ctx["level"] = level
    # executive summary
    ctx["sat_rows"] = [dict(r, label=glabels[r["group"]])
                       for r in bundle["indices"] if r["construct"] == sat]
    ctx["nps_rows"] = [dict(r, label=glabels[r["group"]])
                       for r in bundle["nps"]]
    ctx["nps_differences"] = [
        dict(r, pair=f"{_group_label(r['group_a'], t)} – {_group_label(r['group_b'], t)}",
             sig=_sig(r["pvalue_holm"])) for r in bundle.get("nps_differences", [])]
    ctx["drivers"] = [] if target is None else [t["driver_sentence"].format(
        construct=labels[d["construct"]], target=labels[target],
        effect=d["total"], sig=t["significant"] if d["significant"] else t["not_significant"])
        for d in bundle["drivers"]]
    # charts
    ctx["index_chart"] = _data_uri(charts.index_chart(
        [r for r in bundle["indices"] if r["group"] in chart_groups], idx_constructs, labels,
        chart_groups, glabels)) if bundle["indices"] else None
    ctx["index_rows"] = [dict(r, label=labels[r["construct"]],
                              glabel=glabels[r["group"]])
                         for r in bundle["indices"]]
    ctx["nps_chart"] = _data_uri(charts.nps_chart(
        bundle["nps"], glabels, (t["detractors"], t["passives"], t["promoters"]))) \
        if bundle["nps"] else None
    if pls_all:
        r2 = {r["construct"]: r["r2"] for r in pls_all["r2"]}
        ctx["path_chart"] = _data_uri(charts.path_diagram(
            list(model["constructs"]), pls_all["paths"], r2, labels))
        ctx["paths"] = [dict(p, label=f"{labels[p['rhs']]} → "
                                      f"{labels[p['lhs']]}") for p in pls_all["paths"]]
        ctx["r2"] = [dict(r, label=labels[r["construct"]])
                     for r in pls_all["r2"]]
        ctx["quality"] = [dict(q, label=labels[q["construct"]])
                          for q in pls_all["quality"]]
        ctx["loadings"] = [dict(r, label=labels[r["lhs"]])
                           for r in pls_all["loadings"]]
        names = list(model["constructs"])
        htmt = {(r["lhs"], r["rhs"]): r for r in pls_all.get("htmt_intervals") or []}
        ctx["htmt_names"] = [labels[n] for n in names]
        ctx["htmt"] = [[(htmt.get((b, a)) or {}).get("est") if j < i else None
                        for j, b in enumerate(names)] for i, a in enumerate(names)]
        ctx["diagnostics"] = bundle["diagnostics"]
    ipma_rows = bundle["ipma"]["rows"]
    if ipma_rows:
        ctx["ipma_chart"] = _data_uri(charts.ipma_chart(
            ipma_rows, labels, t["importance"], t["performance"]))
        mi = sum(r["importance"] for r in ipma_rows) / len(ipma_rows)
        mp = sum(r["performance"] for r in ipma_rows) / len(ipma_rows)
        act = [labels[r["construct"]] for r in ipma_rows
               if r["importance"] > mi and r["performance"] < mp]
        keep = [labels[r["construct"]] for r in ipma_rows
                if r["importance"] > mi and r["performance"] >= mp]
        sep = "、" if lang == "zh-CN" else ", "
        ctx["ipma_reading"] = [t["ipma_reading_act"].format(names=sep.join(act)) if act
                               else t["ipma_reading_none"]]
        if keep:
            ctx["ipma_reading"].append(t["ipma_reading_keep"].format(names=sep.join(keep)))
        ctx["ipma_rows"] = [dict(r, label=labels[r["construct"]])
                            for r in ipma_rows]
    cb = bundle.get("cbsem")
    ctx["cbsem"] = cb
    if cb and "fit" in cb:
        f = cb["fit"]
        rows = []
        for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"):
            rule = HU_BENTLER.get(key)
            value = f.get(key)
            meets = None
            if rule and value is not None:
                meets = value >= rule[1] if rule[0] == ">=" else value <= rule[1]
            rows.append({"measure": key.upper() if key in ("cfi", "tli", "rmsea", "srmr")
                         else {"chisq": "χ²", "df": "df", "pvalue": "p"}[key],
                         "value": value, "threshold": f"{rule[0].replace('>=', '≥').replace('<=', '≤')} {rule[1]}"
                         if rule else "", "meets": meets,
                         "interval": (f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"))
                         if key == "rmsea" else None})
        ctx["fit_rows"] = rows
    ctx.update(_analytics_context(bundle, t, labels, glabels, lang))
    ctx.update(_comparison_context(bundle, t, labels, level))
    s = bundle["settings"]
    ctx["screening_text"] = (t["screening_text"].format(
        rules=", ".join(t.get(f"rule_{r}", r) for r in s["exclude"])) if s["exclude"]
        else t["no_exclusion"])
    ctx["weight_text"] = t["weight_text"].format(weight=s["weight"]) if s["weight"] \
        else t["no_weight"]
    p = s.get("pls") or {}
    ctx["pls_text"] = t["pls_settings"].format(scheme=p.get("scheme", "path"),
                                               boot=p.get("bootstrap", 0),
                                               seed=p.get("seed"), level=level) if p else ""
    ctx["cb_text"] = t["cb_settings"].format(estimator=(s.get("cbsem") or {}).get(
        "estimator", "ML")) if s.get("cbsem") else ""
    ctx["syntax"] = model["syntax"]
    return ctx


def _analytics_context(bundle: dict, t: dict, labels: dict, glabels: dict, lang: str) -> dict:
    a = bundle.get("analytics") or {}
    ctx: dict = {"kano": None, "typology": None, "customers": None, "csat": None}
    sep = "、" if lang == "zh-CN" else ", "
    if a.get("csat"):
        ctx["csat"] = [dict(r, label=glabels[r["group"]]) for r in a["csat"]]
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
        overall = next((r for r in ty["shares"] if r["group"] == "all"), None)
        names = {k: t[f"type_{k}"] for k in ("loyal", "latent", "spurious", "no_loyalty")}
        behaviour = t["transactions"] if ty["behaviour"] == "transactions" else ty["behaviour"]
        medians = t["medians"] if all(ty["cuts_are_medians"].values()) else ""
        ctx["typology"] = {
            "rows": [dict(r, label=glabels[r["group"]]) for r in ty["shares"]],
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


def _comparison_context(bundle: dict, t: dict, labels: dict, level: str) -> dict:
    idx = set(bundle["model"].get("index_constructs") or [])
    comps = []
    for group, c in (bundle.get("comparisons") or {}).items():
        pair = lambda r: f"{r['group_a']} – {r['group_b']}"  # noqa: E731
        henseler = {(r["group_a"], r["group_b"], r["lhs"], r["rhs"]): r["pvalue_holm"]
                    for r in c["henseler"]}
        none = sorted({labels[r["construct"]] for r in c["micom"]
                       if not r["compositional"]})
        comps.append({
            "group": group,
            "indices": [dict(r, pair=pair(r), label=labels[r["construct"]],
                             sig=_sig(r["pvalue_holm"])) for r in c["indices"]
                        if r["construct"] in idx],
            "paths": [dict(r, pair=pair(r), label=f"{labels[r['rhs']]} → "
                                                  f"{labels[r['lhs']]}",
                           p_hens=henseler.get((r["group_a"], r["group_b"], r["lhs"], r["rhs"])),
                           sig=_sig(r["pvalue_holm"])) for r in c["permutation"]],
            "micom": [dict(r, pair=pair(r), label=labels[r["construct"]],
                           status=t[f"status_{r['invariance']}"]) for r in c["micom"]],
            "micom_text": t["micom_none"].format(names=", ".join(none)) if none
            else t["micom_ok"],
            "invariance": c.get("invariance")})
    ctx: dict = {"comparisons": comps, "trend": None}
    tr = bundle.get("trend")
    if tr and tr["rows"]:
        constructs = [c for c in bundle["model"]["index_constructs"]]
        ctx["trend"] = {
            "chart": _data_uri(charts.trend_chart(tr["rows"], constructs, labels, tr["waves"])),
            "rows": [dict(r, label=labels[r["construct"]]) for r in tr["rows"]],
            "changes": [dict(r, label=labels[r["construct"]],
                             sig=_sig(r["pvalue"]))
                        for r in tr["changes"]],
            "note": t["trend_note"].format(level=level)}
    return ctx


def _environment(template_dir: Path):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(template_dir)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pval=pval, pct=pct, text=text_in)
    return env


def build_html(bundle: dict, *, lang: str | None = None, template_dir: Path | None = None,
               logo: str | None = None) -> str:
    lang = lang or bundle["study"]["language"]
    template_dir = Path(template_dir or bundled_dir("reports") / "default")
    if not (template_dir / "report.html.j2").is_file():
        raise InputError(f"no report.html.j2 in template folder {str(template_dir)!r}")
    ctx = build_context(bundle, lang)
    ctx["logo"] = logo
    return _environment(template_dir).get_template("report.html.j2").render(**ctx)


def render_report(bundle: dict, outdir: Path, *, lang: str | None = None,
                  template_dir: Path | None = None, refused: list[str] | None = None
                  ) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``outdir`` (each atomically)."""
    import logging

    from weasyprint import HTML

    outdir = Path(outdir)
    template_dir = Path(template_dir or bundled_dir("reports") / "default").resolve()
    assets = (outdir / "assets").resolve()
    logo = next((p for p in sorted(assets.glob("logo.*"))), None) if assets.is_dir() else None
    html = build_html(bundle, lang=lang, template_dir=template_dir,
                      logo=logo.as_uri() if logo else None)
    with atomic_path(outdir / "report.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=template_dir.as_uri() + "/",
                    url_fetcher=restricted_fetcher([template_dir, assets], refused))
    with atomic_path(outdir / "report.pdf") as tmp:
        document.write_pdf(str(tmp))
    return outdir / "report.html", outdir / "report.pdf"
