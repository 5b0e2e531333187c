"""Scores of the headline wave by group: indices with their change marks, NPS, CSAT
(top-box rules in words) and their pairwise differences; each question's results."""
from __future__ import annotations

from ..._format import num, shown_difference
from ...study.results import Results, group_key
from .. import charts
from ..charts import data_uri
from .common import Names, box_rule, diff_row, floors, group_styles, left_out, within

__all__ = ["current_context", "items_context"]


def current_context(results: Results, names: Names, t: dict, sat) -> dict:
    """Indices and NPS by group for the headline wave, with ACSI-style change marks
    (▲ ▼ where the change since the previous wave is significant)."""
    scope = results.headline.group
    client = results.study.client_group
    groups = list(dict.fromkeys(group_key(r.group) for r in results.indices
                                if not r.pooled and within(results, r.group)))
    by_key = {group_key(r.group): r.group for r in results.indices}
    change = {}
    if results.trend is not None:
        change = {(group_key(d.group_a), d.quantity, d.name): d for d in results.trend.changes}
    constructs = results.model.index_constructs
    nps_rows = {group_key(s.group): s for s in results.scores
                if s.measure == "nps" and not s.pooled}

    def cell(value, d):
        # a change MICOM between the waves does not warrant (†) is no change to mark
        mark = "" if d is None or not d.significant or d.warranted is False \
            else ("▲" if d.difference > 0 else "▼")
        return {"value": value, "mark": mark}

    rows = []
    for key in groups:
        g = by_key[key]
        cells = [cell(r.index if (r := results.index_of(g, c)) else None,
                      change.get((key, "index", c))) for c in constructs]
        nps = nps_rows.get(key)
        rows.append({"label": names.group(g), "cells": cells,
                     "nps": cell(nps.value if nps else None,
                                 next((d for (k, q, _), d in change.items()
                                       if k == key and q == "nps"), None)),
                     "client": bool(client) and all(g.get(k) == v for k, v in client.items()),
                     "overall": g == scope})
    chart_rows = [dict(r.model_dump(), group=group_key(r.group)) for r in results.indices
                  if not r.pooled and within(results, r.group)]
    # the chart emphasises the client's group (not the whole sample's row)
    highlight = next((k for k, r in zip(groups, rows) if r["client"] and not r["overall"]),
                     None)
    pooled = [dict(r.model_dump(), label=names[r.construct],
                   glabel=names.group(r.group, {})) for r in results.indices if r.pooled]
    csat = [dict(s.model_dump(), label=names.group(s.group), top=s.detail.get("top"),
                 rule=box_rule(results, s.item, s.detail.get("top"), t))
            for s in results.scores if s.measure == "csat" and not s.pooled
            and within(results, s.group)]
    rules = {s.item: box_rule(results, s.item, s.detail.get("top"), t) for s in results.scores
             if s.measure == "csat"}
    # the CSAT headings name the rule when every CSAT item has the same one (top-2 box)
    boxes = {box_rule(results, s.item, s.detail.get("top"), t, "csat_box_name")
             for s in results.scores if s.measure == "csat"}
    box = next(iter(boxes)) if len(boxes) == 1 and not boxes & set(rules) else None
    # rows name the question (not its code); its rule only where the heading does not
    shown = {s.item: names.question(s.item) if box else
             box_rule(results, s.item, s.detail.get("top"), t, label=names.question(s.item))
             for s in results.scores if s.measure == "csat"}
    # by question (the tables print a question once, above its groups' rows)
    csat = by_question([dict(r, rule=shown[r["item"]]) for r in csat], "item")
    rules = {k: shown[k] for k in rules}
    return {"current_rows": rows, "current_constructs": [names[c] for c in constructs],
            # the groups these tables leave out and why, said beside each of them
            "left_out": left_out(results, names, t),
            # the ▲ ▼ legend only where the table shows a mark
            "has_previous": bool(change) and any(c["mark"] for r in rows
                                                 for c in [*r["cells"], r["nps"]]),
            "previous": results.headline.previous_wave,
            "index_chart": data_uri(charts.index_chart(
                chart_rows, constructs, names.constructs, groups,
                {k: names.group(by_key[k]) for k in groups}, group_styles(results, groups),
                highlight)) if chart_rows else None,
            "index_chart_by_group": len(groups) > 1,
            "index_chart_client": names.group(by_key[highlight]) if highlight else None,
            "pooled_rows": pooled, "csat": csat,
            "csat_heading": t["csat_rule_heading"].format(box=box) if box else t["csat"],
            "csat_differences_heading": t["csat_differences_rule"].format(box=box) if box
            else t["csat_differences"],
            "nps_rows": [dict(s.model_dump(), **s.detail, label=names.group(s.group))
                         for s in results.scores if s.measure == "nps" and not s.pooled
                         and within(results, s.group)],
            # the NPS is the unrounded shares' difference: said where a printed NPS is
            # not the printed promoters' share minus the printed detractors'
            "nps_rounding": any(
                num(s.value, 1) != num(shown_difference(s.detail.get("promoters"),
                                                        s.detail.get("detractors")), 1)
                for s in results.scores if s.measure == "nps" and not s.pooled
                and within(results, s.group) and s.value is not None),
            "nps_differences": [floors(diff_row(d, pair=f"{names.group(d.group_a)} – "
                                                          f"{names.group(d.group_b)}"))
                                for c in results.comparisons for d in c.differences
                                if d.quantity == "nps"],
            "csat_differences": by_question(
                [floors(diff_row(d, rule=rules.get(d.name, d.name),
                                 pair=f"{names.group(d.group_a)} – {names.group(d.group_b)}"))
                 for c in results.comparisons for d in c.differences
                 if d.quantity == "csat"], "name")}


def by_question(rows: list[dict], key: str) -> list[dict]:
    """``rows`` with each question's rows together, questions in order of first
    appearance and rows in their order within one (a stable sort on ``row[key]``).

    >>> [r["i"] for r in by_question([{"i": "a"}, {"i": "b"}, {"i": "a"}], "i")]
    ['a', 'a', 'b']
    """
    first = {}
    for r in rows:
        first.setdefault(r[key], len(first))
    return sorted(rows, key=lambda r: first[r[key]])


def items_context(results: Results, names: Names) -> dict:
    """Each question of the headline wave: wording, mean and top-2-box by group."""
    rows = [r for r in results.items if not r.pooled and within(results, r.group)]
    groups = list(dict.fromkeys(group_key(r.group) for r in rows))
    by_key = {group_key(r.group): r.group for r in rows}
    table = {(r.item, group_key(r.group)): r for r in rows}
    info = results.model.items
    items = [i for i in dict.fromkeys(r.item for r in rows) if info[i].min is not None]
    # the kind a question is tagged with: its construct, NPS for the study's NPS item only
    # (a 1–5 question outside the model, e.g. complaint handling, has no tag)
    nps_items = {i for i, v in info.items() if v.role == "nps"} | {
        s.item for s in results.scores if s.measure == "nps"}
    return {"item_groups": [names.group(by_key[g]) for g in groups],
            # (left_out: already in the context, from current_context)
            "items_reversed_note": names.reversed_note(items),
            "item_table": [{"item": i, "question": names.question_row(i),
                            "construct": names[info[i].construct] if info[i].construct
                            else names.t["col_nps"] if i in nps_items else None,
                            "scale": f"{info[i].min:g}–{info[i].max:g}",
                            "cells": [table.get((i, g)) for g in groups]} for i in items]}
