"""The trend across waves: the panels chart, the index table by wave and the changes
since the previous wave."""
from __future__ import annotations

from ...study.results import Results, group_key
from .. import charts
from ..charts import data_uri
from ..i18n import and_list
from .common import (Names, decisive_digits, diff_row, floors, group_styles, measured_by,
                     waves_compared)

__all__ = ["trend_context"]


def _micom(results: Results, names: Names, t: dict) -> dict:
    """MICOM between the previous and current wave (``Trend.micom``): its table (the
    group comparisons' columns; constructs of one question left out, invariant by
    construction), the pair it compares, the note beside the changes (the † of a
    construct whose compositional invariance was not established, or that every
    construct's was) and the methodology's sentence. Empty where MICOM did not run."""
    tr = results.trend
    if not tr.micom:
        return {"micom": [], "micom_pair": "", "micom_single": "", "micom_changes": "",
                "micom_method": ""}
    single = list(dict.fromkeys(r["construct"] for r in tr.micom
                                if measured_by(results.model, r["construct"])))
    rows = [r for r in tr.micom if r["construct"] not in single]
    first = rows[0] if rows else tr.micom[0]
    a, b = first["group_a"][tr.item], first["group_b"][tr.item]
    failed = [names[r["construct"]] for r in rows if not r["compositional"]]
    method = ("waves_micom_method_short" if any(c.micom for c in results.comparisons)
              else "waves_micom_method")
    # the groups both waves hold, where MICOM ran on them only (Trend.micom_groups)
    common = [names.level(g, v) for g, levels in (getattr(tr, "micom_groups", None) or {}
                                                  ).items() for v in levels]
    # the † stands beside index changes only: a construct whose index is not reported
    # has no change to mark
    marked = {d.name for d in tr.changes if d.quantity == "index" and d.warranted is False}
    return {
        "micom": [dict(r, label=names[r["construct"]],
                       digits=decisive_digits(r["c"], r["c_5pct"]),
                       status=t[f"micom_status_{r['invariance']}"]) for r in rows],
        "micom_pair": f"{a} – {b}",
        "micom_single": t["micom_single"].format(names=t["list_sep"].join(
            names[k] for k in single)) if single else "",
        "micom_changes": t["waves_micom_dagger"].format(
            prev=tr.previous, cur=tr.current,
            names=and_list([names[k] for k in dict.fromkeys(
                r["construct"] for r in rows if r["construct"] in marked)], t))
        if marked else t["waves_micom_ok"].format(prev=tr.previous, cur=tr.current)
        if not failed else "",
        # MICOM's multiplicity policy is stated once: by the groups' sentence where the
        # group comparisons ran MICOM too
        "micom_method": t[method + ("_groups" if common else "")].format(
            prev=tr.previous, cur=tr.current, groups=and_list(common, t))}


def _by_group(changes: list, rest) -> list:
    """The changes with each group's together (the table prints a group's name once,
    above its measures), groups in order of first appearance, measures in their order
    within one (a stable sort; ``rest`` drops the wave from a group)."""
    first: dict[str, int] = {}
    for d in changes:
        first.setdefault(group_key(rest(d.group_a)), len(first))
    return sorted(changes, key=lambda d: first[group_key(rest(d.group_a))])


def trend_context(results: Results, names: Names, t: dict, level: str) -> dict:
    """``trend``: None with one wave (a wave item of one level included); else its
    chart, index table by wave, the changes since the previous wave and MICOM between
    the two waves (:func:`_micom`)."""
    tr = results.trend
    if tr is None or not waves_compared(results):
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
                                              else None, group_styles(results, groups)))
        if rows else None,
        "waves": tr.waves, "span": f"{tr.previous} → {tr.current}" if tr.previous else "",
        "table": [{"group": labels[g], "label": names[c],
                   "values": [table.get((g, c, w)) for w in tr.waves]}
                  for g in groups for c in constructs],
        "changes": [floors(diff_row(d, glabel=names.group(rest(d.group_a), {}),
                                 label=names[d.name] if d.quantity == "index"
                                 else t[f"col_{d.quantity}"],
                                 whole=not rest(d.group_a),  # a family of its own
                                 percent=d.quantity == "csat",  # shown as the CSAT table
                                 # † where the MICOM it rests on is shown (results
                                 # written before the trend kept it: no mark, no note)
                                 dagger=bool(tr.micom) and d.warranted is False))
                    for d in _by_group(tr.changes, rest)],
        "title": t["changes_title"].format(prev=tr.previous) if tr.previous else "",
        "withheld": _withheld(tr, names, t),
        "note": t["trend_note3"].format(file=names.workbook), **_micom(results, names, t)}}


def _withheld(tr, names: Names, t: dict) -> str:
    """Why the whole sample's change is not shown: the groups present in one wave and not
    the other (``Trend.only_in``); "" when both waves hold the same groups."""
    only_in = getattr(tr, "only_in", None) or {}
    if not only_in or tr.previous is None:
        return ""
    def wave(w: str) -> str:  # as every wave is named: its label, a year as a year
        return names.group({tr.item: w}, {})

    clauses = [t["trend_whole_includes"].format(
                   wave=wave(w), levels=and_list([names.level(g, v) for v in levels], t),
                   other=wave(tr.previous if w == tr.current else tr.current))
               for g, by_wave in only_in.items() for w, levels in by_wave.items()]
    return t["trend_whole_withheld"].format(reasons=t["list_sep_clause"].join(clauses))
