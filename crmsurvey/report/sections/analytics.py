"""Further analyses: Kano categories, the loyalty typology and the customer-value
section (RFM segments, ABC classes, satisfaction by each)."""
from __future__ import annotations

from ..._format import num, pct
from .. import charts
from ..charts import data_uri
from ..filters import pval
from ..i18n import and_list
from .common import Names

__all__ = ["analytics_context"]


def analytics_context(a: dict, names: Names, t: dict, lang: str) -> dict:
    """``kano``, ``typology`` and ``customers``: each None unless the study ran it."""
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
                       "rows": rows, "construct": sat["construct"],
                       "legend": t["mean_chart_note"].format(
                           construct=names.get(sat["construct"])),
                       "test": t["test_line"].format(f=num(tests["anova_f"], 1),
                                                     p=pval(tests["anova_p"]),
                                                     kp=pval(tests["kruskal_p"]))}
        # charts of one construct's means side by side share one x range
        for b in by.values():
            xlim = charts.shared_range(*(o["rows"] for o in by.values()
                                         if o["construct"] == b["construct"]))
            b["chart"] = data_uri(charts.mean_chart(b["rows"], t["mean"], xlim))
        ctx["customers"] = {
            "linked": t["linked"].format(**c["link"]),
            "segments": [dict(r, label=seg(r["segment"])) for r in c["segments"]],
            "abc": [dict(r, abc=t.get(f"abc_{r['abc']}", r["abc"])) for r in c["abc"]],
            "by": by,
            "clv_note": t["sentence_sep"].join([t["value_note"], t["clv_note"].format(
                margin=pct(100 * c["margin"], 0), discount=pct(100 * c["discount"], 0),
                retention=pct(100 * (c["retention"] or 0), 0))]),
            "abc_note": _abc_note(c.get("abc_rule", "customers"), t)}
    return ctx


def _abc_note(rule: str, t: dict) -> str:
    """The ABC rule the classes were cut by (the analytics' default cuts of that rule)."""
    from ...analytics.segments import ABC_CUTS  # the analytics' own cuts, when asked
    a, b = ABC_CUTS[rule]
    if rule == "customers":
        return t["abc_note_customers"].format(a=pct(100 * a, 0), b=pct(100 * (b - a), 0))
    return t["abc_note_value"].format(a=pct(100 * a, 0), b=pct(100 * b, 0))
