"""The report's words and table for weights computed from population targets: per
variable and category the sample, population and weighted shares (the whole sample's
rows of :attr:`Results.weighting.table <crmsurvey.study.results.Weighting>`), the
effective n of each level of ``by``, and the sentences the weighting licenses."""
from __future__ import annotations

from .._format import num, pct
from ..study.results import Results
from .filters import text_in
from .i18n import and_list

__all__ = ["weighting_context"]


def weighting_context(results: Results, names, t: dict, lang: str) -> dict:
    """``weighting``: None without weights from targets; else its sentences (``text``),
    the shares table (``rows``) and, with ``by``, one row per level (``groups``)."""
    wt = results.weighting
    if wt is None:
        return {"weighting": None}
    sep = t["list_sep"]
    # "“Your gender” and “Your age”": the catalogue's list join
    variables = and_list([t["quoted"].format(text=_question(wt, v, names, lang))
                          for v in wt.variables], t)
    parts = [t["weighting_done"].format(variables=variables,
                                        method=t[f"wmethod_{wt.method}"])]
    if wt.by:
        parts.append(t["weighting_by"].format(by=_question(wt, wt.by, names, lang)))
    if wt.trim:
        parts.append(t["weighting_trim"].format(low=f"{wt.trim[0]:g}", high=f"{wt.trim[1]:g}"))
    if wt.converged:
        exact = 100 * wt.max_error < 0.01
        parts.append(t["weighting_converged_exact" if exact else "weighting_converged"]
                     .format(iterations=wt.iterations, error=_points(wt.max_error)))
    else:
        parts.append(t["weighting_not_converged"].format(error=_points(wt.max_error)))
    parts.append(t["weighting_deff"].format(
        low=num(wt.weight_min, 2), high=num(wt.weight_max, 2), deff=num(wt.deff, 2),
        efficiency=pct(100 * wt.efficiency, 0), n=num(wt.n, 0), n_eff=num(wt.n_eff, 0)))  # as the sample tiles print them
    waves = results.settings.waves
    per_wave = results.sample.group_sizes.get(waves, {}) if waves else {}
    if len(per_wave) > 1 and wt.n == sum(per_wave.values()):
        # the weights were fitted on every wave at once: the tables below are pooled
        parts.append(t["weighting_pooled"].format(k=len(per_wave), n=num(wt.n, 0), waves=sep.join(
            t["wave_label"].format(wave=names.level(waves, w)) for w in per_wave)))
    rows, seen = [], set()
    for r in wt.table:
        if r["by"] is not None:
            continue
        var = r["variable"]
        rows.append({"variable": _question(wt, var, names, lang) if var not in seen else "",
                     "category": _category(wt, var, r["category"], lang),
                     "n": r["n"], "sample": _pct(r["sample_share"]),
                     "target": _pct(r["target_share"]), "weighted": _pct(r["weighted_share"])})
        seen.add(var)
    groups = [{"label": names.level(wt.by, str(g["by"])), "n": g["n"],
               "n_eff": f"{g['n_eff']:,.0f}", "deff": num(g["deff"], 2),
               "range": f"{num(g['weight_min'], 2)}–{num(g['weight_max'], 2)}"}
              for g in wt.groups] if wt.by else []
    return {"weighting": {"text": t.get("sentence_sep", " ").join(parts), "rows": rows,
                          "groups": groups,
                          "by": _question(wt, wt.by, names, lang) if wt.by else ""}}


def _points(share_error: float) -> str:
    """A share's error in percentage points, as a reader compares shares."""
    return f"{100 * share_error:.2g}"


def _pct(v) -> str:
    """A share (0–1) as a percentage; ``–`` when missing (None or NaN)."""
    return pct(None if v is None else 100 * v)


def _question(wt, var: str, names, lang: str) -> str:
    """A variable's name in the report: its question, or the cells' variables joined."""
    if " × " in var:
        return " × ".join(_question(wt, v, names, lang) for v in var.split(" × "))
    text = (wt.labels.get(var) or {}).get("text")
    return text_in(text, lang) if text else names.question(var)


def _category(wt, var: str, code, lang: str) -> str:
    """A category's label (a cell's labels joined), or its code as written."""
    if " × " in var:
        return " / ".join(_category(wt, v, c, lang)
                          for v, c in zip(var.split(" × "), str(code).split(" / ")))
    label = ((wt.labels.get(var) or {}).get("codes") or {}).get(str(code))
    return text_in(label, lang) if label else str(code)
