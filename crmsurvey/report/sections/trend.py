"""The trend across waves: the panels chart, the index table by wave and the changes
since the previous wave."""
from __future__ import annotations

from ...study.results import Results, group_key
from .. import charts
from ..charts import data_uri
from .common import Names, diff_row, floors, group_styles, waves_compared

__all__ = ["trend_context"]


def trend_context(results: Results, names: Names, t: dict, level: str) -> dict:
    """``trend``: None with one wave (a wave item of one level included); else its
    chart, index table by wave and the changes since the previous wave."""
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
                                 whole=not rest(d.group_a)))  # a family of its own
                    for d in tr.changes],
        "title": t["changes_title"].format(prev=tr.previous) if tr.previous else "",
        "note": t["trend_note3"]}}
