"""The report's segment profile page: the segments found in the answers (the study's
``segments:``), worded through the catalogue — size, index, NPS, what distinguishes
them, which drivers matter in each, and how the number of segments was chosen."""
from __future__ import annotations

from ..study.results import Results
from ..study.segments import MIN_SEGMENT_N
from .filters import num, pct, pval, text_in

__all__ = ["segments_context"]

#: Difference between segments reported when its test's p-value is below this.
ALPHA = 0.05
#: Criteria shown in the fit table (those of the method's record that exist).
_SHOWN = {"latent_class": ("aic3", "bic", "caic", "entropy", "share_best"),
          "fimix": ("aic3", "aic4", "bic", "caic", "en", "nfi", "share_best")}


def _p(p) -> str:
    shown = pval(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def segments_context(results: Results, names, t: dict) -> dict | None:
    """Everything the segment page shows, or None without a ``segments:`` section."""
    s = results.segments
    if s is None:
        return None
    lang = names.lang
    sep = t["list_sep"]

    def var(v: str) -> str:
        if v in results.model.labels:
            return names[v]
        if v == "nps_group":
            return t["seg_nps_group"]
        return text_in(s.labels[v], lang) if v in s.labels else v

    def level(v: str, lev: str) -> str:
        if v == "nps_group" and lev in ("promoter", "passive", "detractor"):
            return t[f"{lev}s"]
        if v in s.levels and lev in s.levels[v]:
            return text_in(s.levels[v][lev], lang)
        return names.level(v, lev)

    segs = [r.segment for r in s.segments]
    heads = [t["seg_label"].format(k=k) for k in segs]
    tried = sep.join(str(r["segments"]) for r in s.fit)
    crit = t[f"seg_crit_{s.criterion}"]
    if s.method == "latent_class":
        indicators = list(dict.fromkeys(r["variable"] for r in s.profile))
        what = {"indicators": sep.join(var(v) for v in indicators)}
    else:
        what = {}
    key = f"seg_one_{s.method}" if s.chosen == 1 else f"seg_intro_{s.method}"
    intro = t[key].format(k=s.chosen, criterion=crit, tried=tried, **what)
    quality = "" if s.chosen == 1 else t["seg_quality"].format(
        entropy=num(s.entropy, 2), share=pct(100 * s.share_best, 0))
    codes = {x.code for x in s.diagnostics}
    said = [quality] if quality else []
    if "segments_weak_classification" in codes:
        said.append(t["seg_weak"].format(entropy=num(s.entropy, 2)))
    # the other criterion and its choice, by name (a run before parameters: not said)
    others = [x.params for x in s.diagnostics if x.code == "segments_criteria_disagree"
              and {"other", "other_k"} <= set(x.params)]
    if others:
        said.append(t["seg_disagree"].format(choices=sep.join(t["seg_disagree_one"].format(
            criterion=_criterion(p["other"], t), k=num(p["other_k"], 0)) for p in others)))
    quality = ""
    for x in said:
        quality = t["sentence_join"].format(first=quality, next=x) if quality else x
    constructs = [c for c in results.model.index_constructs
                  if any(r.indices.get(c) is not None for r in s.segments)]
    sizes = [{"label": h, "n": r.n, "share": pct(100 * r.share, 0),
              "indices": [num(r.indices.get(c), 1) for c in constructs],
              "nps": num(r.nps, 1)} for h, r in zip(heads, s.segments)]
    out = {"intro": intro, "quality": quality, "heads": heads, "sizes": sizes,
           "index_heads": [names[c] for c in constructs], "has_nps": any(
               r.nps is not None for r in s.segments), "several": s.chosen > 1}
    out["profile"] = _profile(s, t, var, level) if s.method == "latent_class" else []
    out.update(_reading(s, t, names, heads, constructs))
    out["method_text"] = t[f"seg_method_{s.method}"]
    if s.chosen > 1:  # with one segment there is nothing to compare
        out["method_text"] = t["sentence_join"].format(first=out["method_text"],
                                                       next=t["seg_method_contrasts"])
    out.update(_distinguish(s, t, var, level, segs))
    out.update(_drivers(s, t, names, segs))
    out["paths"] = _paths(s, names, segs)
    out.update(_fit(s, t))
    return out


def _criterion(name: str, t: dict) -> str:
    """An information criterion (``"AIC3"``) in the report's language."""
    return t.get(f"seg_crit_{name.lower()}", name)


def _value(v, is_share: bool) -> str:
    return pct(100 * v, 0) if is_share else num(v, 2)


def _profile(s, t, var, level) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    for r in s.profile:
        cell = rows.setdefault((r["variable"], r["level"]), {
            "label": var(r["variable"]) if not r["level"] else t["seg_item_level"].format(
                item=var(r["variable"]), level=level(r["variable"], r["level"])),
            "values": {}})
        cell["values"][r["segment"]] = _value(r["value"], bool(r["level"]))
    return [{"label": c["label"], "values": [c["values"].get(k, "–") for k in
                                             sorted(c["values"])]} for c in rows.values()]


def _distinguish(s, t, var, level, segs) -> dict:
    tested = [r for r in s.distinguish if r.get("pvalue") is not None]
    sig = sorted((r for r in tested if r["pvalue"] < ALPHA),
                 key=lambda r: -(r.get("effect") or 0))
    blocks = []
    for r in sig:
        v = r["variable"]
        line = t[f"seg_test_{r['test']}"].format(
            stat=num(r["statistic"], 1 if r["test"] == "chi2" else 2), df=r["df"],
            p=_p(r["pvalue"]), effect=num(r["effect"], 2))
        cells: dict[str, dict] = {}
        for d in s.described:
            if d["variable"] == v:
                cells.setdefault(d["level"], {})[d["segment"]] = d["value"]
        rows = [{"label": level(v, lev) if lev else t["seg_mean"],
                 "values": [_value(vals.get(k), bool(lev)) if vals.get(k) is not None
                            else "–" for k in segs]} for lev, vals in cells.items()]
        blocks.append({"title": var(v), "test": line, "rows": rows})
    none = ""
    if tested and not sig:
        none = t["seg_none_differ"].format(items=t["list_sep"].join(
            var(r["variable"]) for r in tested))
    return {"distinguish": blocks, "distinguish_none": none}


def _reading(s, t, names, heads, constructs) -> dict:
    """Each segment named by what distinguishes it — the indices that differ significantly
    from the other respondents' (Holm-adjusted Welch tests), largest first, and a majority
    NPS group — and the table of those differences."""
    if s.chosen == 1:
        return {"reading": [], "contrasts": [], "contrasts_note": ""}
    reading, table = [], {c: [] for c in constructs}
    for h, r in zip(heads, s.segments):
        got = {c["construct"]: c for c in r.contrasts}
        sig = sorted((c for c in r.contrasts if c.get("p_holm") is not None
                      and c["p_holm"] < ALPHA and c["construct"] in constructs),
                     key=lambda c: -abs(c["t"]))[:2]
        parts = [t["seg_name_higher" if c["diff"] > 0 else "seg_name_lower"].format(
            construct=names[c["construct"]]) for c in sig]
        major = [g for g, v in (r.nps_shares or {}).items() if v is not None and v > 0.5]
        parts += [t[f"seg_mostly_{g}"] for g in major]
        share = pct(100 * r.share, 0)
        reading.append(t["seg_reading" if parts else "seg_reading_none"].format(
            label=h, share=share, name=t["list_sep"].join(parts)))
        for c in constructs:
            x = got.get(c)
            table[c].append("–" if x is None or x.get("diff") is None else
                            num(x["diff"], 1, sign=True) + (
                                "*" if x.get("p_holm") is not None and x["p_holm"] < ALPHA
                                else ""))
    rows = [{"label": names[c], "values": v} for c, v in table.items()]
    return {"reading": reading, "contrasts": rows,
            "contrasts_note": t["seg_contrasts_note"] if rows else ""}


def _drivers(s, t, names, segs) -> dict:
    if s.formed_on:
        def var(v):
            return names[v] if v in names.constructs else t["seg_nps_group"]
        return {"drivers": [], "drivers_title": "", "drivers_note": t["seg_drivers_outcome"]
                .format(outcomes=t["list_sep"].join(var(v) for v in s.formed_on))}
    if s.target is None or not any(r.drivers for r in s.segments):
        return {"drivers": [], "drivers_title": "", "drivers_note": ""}
    order = list(dict.fromkeys(d["construct"] for r in s.segments for d in r.drivers))
    rows = []
    for c in order:
        cells = []
        for r in s.segments:
            d = next((d for d in r.drivers if d["construct"] == c), None)
            cells.append({"text": num(d["effect"], 2) if d else "–",
                          "strong": bool(d and d.get("significant"))})
        rows.append({"label": names[c], "cells": cells})
    has_ci = any(d.get("significant") is not None for r in s.segments for d in r.drivers)
    note = t["seg_drivers_note" if has_ci else "seg_drivers_note_noci"].format(
        target=names[s.target])
    if any(not r.drivers and r.n < MIN_SEGMENT_N for r in s.segments):
        note = t["sentence_join"].format(first=note, next=t["seg_drivers_small"].format(
            n=MIN_SEGMENT_N))
    return {"drivers": rows,
            "drivers_title": t["seg_drivers"].format(target=names[s.target]),
            "drivers_note": note}


def _paths(s, names, segs) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    for r in s.segments:
        for p in r.paths:
            rows.setdefault((p["lhs"], p["rhs"]), {})[r.segment] = p["est"]
    return [{"label": f"{names[rhs]} → {names[lhs]}",
             "values": [num(v.get(k), 2) for k in segs]} for (lhs, rhs), v in rows.items()]


def _fit(s, t) -> dict:
    shown = _SHOWN[s.method]
    shown = shown if s.criterion in shown else (s.criterion, *shown)
    cols = [c for c in shown if s.fit and c in s.fit[0]]
    rows = []
    for r in s.fit:
        rows.append({"k": r["segments"], "chosen": r["segments"] == s.chosen,
                     "loglik": num(r["loglik"], 1),
                     "values": [pct(100 * r[c], 0) if c == "share_best" and r[c] is not None
                                else "–" if r[c] is None or (c in ("entropy", "en", "nfi")
                                                             and r["segments"] == 1)
                                else num(r[c], 3 if c in ("entropy", "en", "nfi") else 1)
                                for c in cols]})
    return {"fit_heads": [t[f"seg_crit_{c}"] for c in cols], "fit_rows": rows,
            # a column the table shows is explained under it ("Starts at best")
            "fit_note": t["seg_fit_note_starts" if "share_best" in cols else "seg_fit_note"]
            .format(criterion=t[f"seg_crit_{s.criterion}"])}
