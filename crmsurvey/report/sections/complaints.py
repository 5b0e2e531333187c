"""Complaints: rate, handling and complainers' loyalty by group, with the sentences
each group's data license."""
from __future__ import annotations

from ..._format import num, shown_difference
from ...study.results import Results
from .common import Names, floors

__all__ = ["complaints_context"]


def complaints_context(results: Results, names: Names, t: dict) -> dict | None:
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
        rows.append(floors(dict(r, label=label, difference_shown=shown, whole=not r["group"])))
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
            # the interval as the table prints it (complainers − others), named the
            # interval of the difference where the sentence says "below"
            said.append(t[key].format(loyalty=loyalty, diff=f(diff), lo=f(r["ci_lower"]),
                                      hi=f(r["ci_upper"])))
        lines.append(t["sentence_sep"].join(said))
    intro_key = ("complaints_intro" if a.get("handling") else "complaints_intro_nohandling") \
        + ("" if groups > 1 else "_one")
    return {"rows": rows, "lines": lines, "handling": bool(a.get("handling")),
            "loyalty": bool(a.get("loyalty_scored")),
            "intro": t[intro_key].format(loyalty=loyalty),
            "complainers": t["complainers"].format(loyalty=loyalty),
            "others": t["non_complainers"].format(loyalty=loyalty),
            "note": t[("complaints_note" if sum(1 for r in rows if r.get("group"))
                       else "complaints_note_one")
                      + ("" if a.get("handling") else "_nohandling")].format(scale=scale_text)}
