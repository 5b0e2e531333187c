"""The headline PLS model: path diagram and coefficients, measurement quality, HTMT,
collinearity, and its assessment (model fit, PLSpredict, CVPAT, copulas, mediation,
information criteria)."""
from __future__ import annotations

from ..._format import num, shown_difference
from ...study.results import Group, Results
from .. import charts
from ..charts import data_uri
from ..filters import pval
from .common import Names, measured_by, waves_compared

__all__ = ["model_context"]


def model_context(fit, results: Results, names: Names) -> dict:
    """The headline PLS model ``fit`` (empty without one): paths, R², quality, loadings,
    HTMT, VIF and f², and its assessment."""
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
        # the dashed arrows are explained only where one is drawn
        "path_chart_note": names.t["path_diagram_note" if not all(
            charts.path_significant(p) for p in fit.paths) else "path_diagram_note_solid"],
        # a p-value from B resamples (its t test's standard error, or a percentile) is
        # printed no finer than 1/B, as every other bootstrap p of the report
        "paths": [dict(p, label=f"{names[p['rhs']]} → {names[p['lhs']]}",
                       p_floor=1 / boot if (boot := (fit.settings or {}).get("bootstrap"))
                       else None) for p in fit.paths],
        "r2": [dict(r, label=names[r["construct"]]) for r in fit.r2],
        "quality": [dict(q, label=names[q["construct"]],
                         kind=measured_by(model, q["construct"])) for q in fit.quality],
        # a single-item construct's loading is 1 by definition: shown as fixed
        "loadings": [dict(r, label=names[r["lhs"]],
                          single=len(model.constructs.get(r["lhs"], ())) == 1)
                     for r in fit.loadings],
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
        "model_intro": _model_intro(fit.group, results, names),
        **_assessment(fit, names, model)}


def _model_intro(group: Group, results: Results, names: Names) -> str:
    """The model's opening sentence: estimated on a group, or on a wave ("the 2026
    wave") when the group is the whole sample of one wave."""
    t, wave = names.t, results.settings.waves
    if wave and set(group) == {wave} and waves_compared(results):  # one wave: no wave
        name = names.level(wave, group[wave])
        year = name.isdigit() and len(name) == 4  # a year as the language writes it
        return t["model_intro_wave"].format(wave=t["wave_label"].format(wave=name) if year
                                            else name)
    if not group or (wave and set(group) == {wave}):
        return t["model_intro_all"]
    return t["model_intro"].format(group=names.group(group, {}))


def _relevance(q2: float | None) -> str:
    """Hair et al. (2019): Q²predict above 0, 0.25 and 0.5 is small, medium and large
    predictive relevance."""
    if q2 is None or q2 <= 0:
        return "none"
    return "small" if q2 < 0.25 else "medium" if q2 < 0.5 else "large"


def predict_class(power: str, relevance: str, kind: str | None) -> tuple[str, str]:
    """The PLSpredict table's two verdict cells (keys ``rel_*`` and ``power_*``): a
    construct of one yes/no question is not classified (``binary``); where Q²predict is
    above 0 but small, beating the linear benchmark is said with the small Q² beside it
    (``high_small``, ``medium_small``), never as a bare "high" (Shmueli et al. 2019 class
    the errors against LM only once Q²predict > 0; Hair et al. 2019 read the size).

    >>> predict_class("high", "small", "binary"), predict_class("high", "small", None)
    (('binary', 'binary'), ('small', 'high_small'))
    >>> predict_class("high", "medium", None), predict_class("low", "small", None)
    (('medium', 'high'), ('small', 'low'))
    """
    if kind == "binary":
        return "binary", "binary"
    if relevance == "small" and power in ("high", "medium"):
        return relevance, f"{power}_small"
    return relevance, power


def _assessment(fit, names: Names, model=None) -> dict:
    """Model fit, PLSpredict, mediation and information criteria of the headline model
    (``model``: the study's measurement, to tell a yes/no construct)."""
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
                      **dict(zip(("relevance", "power"), predict_class(
                          c["predictive_power"], _relevance(min(by[c["construct"]])),
                          measured_by(model, c["construct"]) if model else None)))}
                     for c in p.constructs],
            "items": [dict(r, label=names[r["construct"]]) for r in p.items]}
    if fit.cvpat:
        out["cvpat"] = _cvpat(fit.cvpat, names)
    if fit.endogeneity:
        out["copula"] = _copula(fit.endogeneity, names)
    boot = (fit.settings or {}).get("bootstrap")  # bootstrap p: no finer than 1/B
    if fit.indirect:
        shown, omitted = indirect_shown(fit.indirect)
        digits = indirect_digits(shown)
        out["indirect_rows"] = [
            dict(r, label=f"{names[r['from']]} → {names[r['to']]}",
                 chain=None if r["through"] == "total" else
                 " → ".join(names[x] for x in r["through"].split(" -> ")),
                 p_floor=1 / boot if boot else None, digits=digits)
            for r in shown]
        if omitted:  # the workbook of the report's language keeps every chain
            out["indirect_omitted"] = names.t[
                "indirect_omitted_one" if omitted == 1 else "indirect_omitted"].format(
                n=omitted, limit=num(INDIRECT_NEAR_ZERO, 2),
                file=names.workbook)
    if fit.model_selection:
        out["selection_rows"] = [dict(r, label=names[r["construct"]])
                                 for r in fit.model_selection]
        # one model fitted: the criteria are for a comparison this study does not make
        out["selection_note"] = names.t["selection_note_one"]
    return out


#: An indirect chain smaller than this (standardised), with an interval that includes
#: zero, is left out of the report's appendix (the workbook keeps it).
INDIRECT_NEAR_ZERO = 0.01


def indirect_shown(rows: list[dict]) -> tuple[list[dict], int]:
    """The indirect-effect rows the appendix prints, and how many chains it leaves out.

    A pair with one chain shows the chain alone (its total is the same effect); a pair
    with several shows its total and the chains whose interval excludes zero or whose
    size is at least :data:`INDIRECT_NEAR_ZERO`.

    >>> rows = [{"from": "A", "to": "C", "through": "B", "est": 0.2},
    ...         {"from": "A", "to": "C", "through": "total", "est": 0.2},
    ...         {"from": "A", "to": "D", "through": "B -> C", "est": 0.004,
    ...          "ci_lower": -0.01, "ci_upper": 0.02},
    ...         {"from": "A", "to": "D", "through": "C", "est": 0.05},
    ...         {"from": "A", "to": "D", "through": "total", "est": 0.054}]
    >>> shown, omitted = indirect_shown(rows)
    >>> [(r["to"], r["through"]) for r in shown], omitted
    ([('C', 'B'), ('D', 'C'), ('D', 'total')], 1)
    """
    chains: dict[tuple[str, str], int] = {}
    for r in rows:
        if r["through"] != "total":
            chains[r["from"], r["to"]] = chains.get((r["from"], r["to"]), 0) + 1
    shown, omitted = [], 0
    for r in rows:
        many = chains.get((r["from"], r["to"]), 0) > 1
        if r["through"] == "total":
            if many or not chains.get((r["from"], r["to"])):
                shown.append(r)
        elif not many or _significant(r) or abs(r["est"]) >= INDIRECT_NEAR_ZERO:
            shown.append(r)
        else:
            omitted += 1
    return shown, omitted


def indirect_digits(rows: list[dict]) -> int:
    """One precision for the indirect-effects table (estimates and intervals): as many
    decimals as its smallest significant effect needs not to read 0.000 (two significant
    digits), at least three.

    >>> indirect_digits([{"est": 0.000062, "ci_lower": 1e-5, "ci_upper": 3e-4},
    ...                  {"est": 0.25, "ci_lower": 0.1, "ci_upper": 0.4},
    ...                  {"est": 0.000004, "ci_lower": -1e-5, "ci_upper": 3e-5}])
    6
    """
    return max([_digits(r["est"]) for r in rows if _significant(r)], default=3)


def _significant(r: dict) -> bool:
    """Does an effect's interval exclude zero (else, without one, its p fall below .05)?"""
    lo, hi = r.get("ci_lower"), r.get("ci_upper")
    if lo is not None and hi is not None:
        return lo > 0 or hi < 0
    return r.get("pvalue") is not None and r["pvalue"] < 0.05


def _digits(v, least: int = 3, most: int = 6) -> int:
    """Decimals that print ``v`` as nonzero (two significant digits once it is below what
    ``least`` decimals show): a tiny effect never reads ``0.000``.

    >>> _digits(0.25), _digits(0.00042), _digits(-0.00003), _digits(0.0)
    (3, 5, 6, 3)
    """
    import math

    if v is None or not math.isfinite(v) or v == 0 or abs(v) >= 0.5 * 10 ** -least:
        return least
    return min(most, max(least, math.ceil(-math.log10(abs(v))) + 1))


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
