"""CB-SEM: its disclosure, fit against Hu and Bentler's cut-offs, the estimates in
words, and where it disagrees with the headline PLS model."""
from __future__ import annotations

from ..._format import num
from ...notes import note_text
from ...study.results import Results
from ..filters import pval
from ..i18n import diagnostic_text
from .common import Names

__all__ = ["HU_BENTLER", "cbsem_context", "disagreements"]


HU_BENTLER = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06),
              "srmr": ("<=", 0.08)}


def cbsem_context(cb, names: Names, t: dict, lang: str) -> dict:
    """``cbsem``: None without a CB-SEM fit; else its problems, disclosure, fit rows
    against Hu and Bentler's cut-offs and worded estimates."""
    if cb is None:
        return {"cbsem": None}
    ctx: dict = {"cbsem": cb.model_dump(), "cb_problems": [
        diagnostic_text(d, lang, names.constructs) for d in cb.diagnostics]}
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
                     "meets": meets,
                     "threshold": f"{rule[0].replace('>=', '≥').replace('<=', '≤')} {num(rule[1], 2)}"
                     if rule else "",
                     "shown": _fit_value(key, f, t)})
    ctx["fit_rows"] = rows
    ctx["cb_estimates"] = [dict(r, label=_cb_row(r, names, t)) for r in cb.estimates]
    return ctx


def _fit_value(key: str, fit: dict, t: dict) -> str:
    """A fit measure as the fit table prints it: the χ² p as every p of the report
    (``.308``, no leading zero), RMSEA with its interval in the report's format
    (``value_ci``: ``0.017 (0.000 – 0.040)``), the rest to three decimals (df whole)."""
    value = fit.get(key)
    if key == "pvalue":
        return pval(value)
    shown = num(value, 0 if key == "df" else 3)
    lo, hi = fit.get("rmsea_ci_lower"), fit.get("rmsea_ci_upper")
    if key == "rmsea" and value is not None and lo is not None and hi is not None:
        return t["value_ci"].format(value=shown, lo=num(lo), hi=num(hi))
    return shown


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


def _p_text(p) -> str:
    """``p = .034`` or ``p < .001``, for sentences."""
    shown = pval(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def disagreements(results: Results, names: Names, t: dict) -> list[str]:
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
