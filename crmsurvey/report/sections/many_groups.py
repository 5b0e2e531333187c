"""A study of many groups: the client against each competitor, or the significant
pairs, in place of every pair (all pairs stay in tables.xlsx)."""
from __future__ import annotations

from ...study.contrasts import MANY_GROUPS as _MANY_GROUPS
from ...study.results import Group, Results, group_key
from .. import charts
from ..charts import data_uri
from ..i18n import and_list
from .common import Names, group_styles

__all__ = ["MANY_GROUPS", "many_groups_context"]


#: more levels than this in one group item, and the report shows the client against each
#: competitor (or, without a client, the significant pairs); every pair stays in tables.xlsx
#: (the study tests them so: see crmsurvey.study.contrasts.families)
MANY_GROUPS = _MANY_GROUPS


def many_groups_context(results: Results, ctx: dict) -> dict:
    """A study of many groups reads as one of three: the pairwise tables of the body and
    the appendix keep the pairs with the client's group (without a client: the
    significant ones), the scores chart and the trend the whole sample and the client,
    and a matrix of the client against each competitor replaces the long index table.
    Nothing changes for a study of up to :data:`MANY_GROUPS` levels."""
    t, names = ctx["t"], ctx["labels"]
    file = names.workbook
    client = results.study.client_group or {}
    scope = results.headline.group
    mine = lambda g: bool(client) and all(g.get(k) == v for k, v in client.items())  # noqa: E731
    out: dict = {"pairs_body_note": "", "index_chart_caption": "",
                 "comparisons": [dict(c, matrix=None, matrix_note="", pairs_note="",
                                      paths_note="",
                                      micom_note="",
                                      paths_m=len(c.get("paths") or []))
                                 for c in ctx.get("comparisons") or []]}
    if ctx.get("trend"):
        out["trend"] = dict(ctx["trend"], pairs_note="")
        if len({r["group"] for r in out["trend"]["table"]}) <= 1:  # one line per panel
            out["trend"]["note"] = t["trend_note_one"]
    many_items = []
    comps = []
    for c, shown in zip(results.comparisons, out["comparisons"]):
        levels = {d.group_a.get(c.item) for d in c.differences} | \
                 {d.group_b.get(c.item) for d in c.differences}
        if len(levels) <= MANY_GROUPS:
            comps.append(shown)
            continue
        many_items.append(c.item)
        by_client = bool(client) and c.item in client
        keep = (lambda r: mine(r["group_a"]) or mine(r["group_b"])) if by_client else \
            (lambda r: bool(r.get("significant")))
        keep_micom = keep if by_client else (lambda r: not r.get("compositional", True))
        total = len({(group_key(d.group_a), group_key(d.group_b))
                     for d in c.all_pairs or c.differences})
        # the appendix keeps what a reader acts on: significant path differences and
        # pairs MICOM did not find fully invariant (with the client, when there is one)
        # counted over the pairs the report shows (the client's family), as the † marks
        family = [r for r in c.micom if keep(r)] if by_client else c.micom
        shown_m = len({(group_key(d.group_a), group_key(d.group_b)) for d in c.differences
                       if keep({"group_a": d.group_a, "group_b": d.group_b})}) \
            if by_client else total
        failed: dict[str, int] = {}
        for r in family:
            failed[r["construct"]] = failed.get(r["construct"], 0) + (not r["compositional"])
        none = [t["micom_pairs_n"].format(construct=names[k], k=v, m=shown_m)
                for k, v in failed.items() if v]
        shown = dict(shown, indices=[r for r in shown["indices"] if keep(r)],
                     paths=[r for r in shown["paths"] if keep(r) and r.get("significant")
                            and r.get("warranted", True)],
                     micom=[r for r in shown["micom"] if keep_micom(r)
                            and not r.get("compositional", True)],
                     micom_text=t["micom_none"].format(names=and_list(none, t)) if none
                     else shown["micom_text"],
                     pairs_note=t["pairs_client" if by_client else "pairs_significant"]
                     .format(m=total, file=file),
                     paths_note=t["paths_pairs_client" if by_client else
                                  "pairs_significant"].format(m=total, file=file),
                     micom_note=t["micom_pairs_client" if by_client else
                                  "pairs_significant"].format(m=total, file=file))
        tests = [r for r in family if r.get("c") is not None and r["c"] < 1 - 1e-12]
        if tests:  # a single-question construct (c = 1) is no test
            shown["micom_note"] = t["sentence_join"].format(
                first=shown["micom_note"], next=t["micom_chance"].format(
                    tests=len(tests), failed=sum(not r["compositional"] for r in tests),
                    expected=round(0.05 * len(tests))))
        if by_client:
            shown["matrix"] = _client_matrix(shown["indices"], mine, names, scope)
            dagger = any(r.get("warranted") is False for r in shown["indices"])
            shown["matrix_note"] = t["client_matrix_note_m" if dagger else
                                     "client_matrix_note_m_plain"].format(m=shown_m)
            # the reading counts the client's pairs only: say so
            index = [d for d in c.differences if d.quantity == "index"
                     and d.name in results.model.index_constructs
                     and keep({"group_a": d.group_a, "group_b": d.group_b})]
            ok = [d for d in index if d.warranted is not False]
            shown["reading"] = t["cmp_reading_client" + (
                "" if len(ok) == len(index) else "_warranted")].format(
                n=sum(bool(d.significant) for d in ok), m=len(ok), k=len(index) - len(ok),
                client=names.group({**scope, **client}))
        comps.append(shown)
    if not many_items:
        return out
    out["comparisons"] = comps
    by_client = bool(client) and any(i in client for i in many_items)

    def pairs(rows: list[dict]) -> list[dict]:
        return [r for r in rows if (mine(r["group_a"]) or mine(r["group_b"])
                                    if by_client else r.get("significant"))]
    for key in ("nps_differences", "csat_differences"):
        if ctx.get(key):
            out[key] = pairs(ctx[key])
    gaps = ctx.get("gaps_table")
    if gaps and by_client:  # the group comparisons show the client's pairs only
        ran = any(c.micom and c.item in client for c in results.comparisons)
        out["gaps_table"] = dict(gaps, note=t["gaps_note_many" + (
            "" if ran else "_nomicom")].format(file=file))
    out["pairs_body_note"] = t["pairs_client" if by_client else "pairs_significant"].format(
        file=file, m=max(len({(group_key(d.group_a), group_key(d.group_b))
                   for d in c.all_pairs or c.differences})
              for c in results.comparisons if c.item in many_items))
    focus = [scope] + ([{**client, **scope}] if client else [])
    keys = [group_key(g) for g in focus]
    rows = [dict(r.model_dump(), group=group_key(r.group)) for r in results.indices
            if not r.pooled and group_key(r.group) in keys]
    if ctx.get("index_chart") and rows:
        out["index_chart"] = data_uri(charts.index_chart(
            rows, results.model.index_constructs, names.constructs, keys,
            {group_key(g): names.group(g) for g in focus}, group_styles(results, keys),
            highlight=keys[1] if client else None))
        out["index_chart_by_group"] = len(keys) > 1
        out["index_chart_client"] = names.group(focus[1]) if client else None
        if client:  # the whole sample and the client only: the caption says so
            out["index_chart_caption"] = t["index_chart_caption_focus" + (
                "" if any(r.get("ci_lower") is not None for r in rows) else "_noci")].format(
                group=names.group(focus[1]), level=ctx.get("level"))
    tr = results.trend
    if ctx.get("trend") and tr is not None:
        rest = lambda g: {k: v for k, v in g.items() if k != tr.item}  # noqa: E731
        wanted = {group_key(rest(g)) for g in focus}
        trend = dict(out["trend"])
        trend["changes"] = [r for r in trend["changes"]
                            if group_key(rest(r["group_a"])) in wanted]
        shown_labels = {names.group(rest(g), {}) for g in focus}
        trend["table"] = [r for r in trend["table"] if r["group"] in shown_labels]
        rows = [{"group": group_key(rest(r.group)), "wave": r.group[tr.item],
                 "construct": r.construct, "index": r.index}
                for r in results.indices if tr.item in r.group and not r.pooled
                and group_key(rest(r.group)) in wanted]
        order = [group_key(rest(g)) for g in focus]
        if trend.get("chart") and rows:
            trend["chart"] = data_uri(charts.trend_panels(
                rows, results.model.index_constructs, names.constructs, tr.waves, order,
                {group_key(rest(g)): names.group(rest(g), {}) for g in focus},
                group_key(rest({**client, **scope})) if client else None,
                group_styles(results, order)))
        trend["pairs_note"] = t["trend_client"].format(file=file)
        if client:  # two lines per panel: the client's and the whole sample's
            trend["note"] = t["trend_note_focus"].format(
                group=names.group(rest({**client, **scope}), {}), file=file)
        out["trend"] = trend
        out["disclosures_other"] = [d for d in ctx.get("disclosures_other") or []
                                    if group_key(rest(d["group"])) in wanted]
        # the appendix lists the earlier waves' models of these groups only: say which
        out["disclosures_more"] = t["disclosures_more_some"].format(file=file,
            groups=and_list([names.group(g) if g != scope else t["all"] for g in focus], t))
    labels = {names.group(g) for g in focus}
    cols = [i for i, g in enumerate(ctx.get("item_groups") or []) if g in labels]
    if ctx.get("item_table") and cols:
        out["item_groups"] = [ctx["item_groups"][i] for i in cols]
        out["item_table"] = [dict(r, cells=[r["cells"][i] for i in cols])
                             for r in ctx["item_table"]]
    comp = ctx.get("complaints")
    if comp and len(comp["rows"]) == len(comp["lines"]):
        out["complaints"] = dict(comp, lines=[x for r, x in zip(comp["rows"], comp["lines"])
                                              if r["label"] in labels | {t["all"]}])
    return out


def _client_matrix(rows: list[dict], mine, names: Names, scope: Group) -> dict:
    """The client's index minus each competitor's, one row per competitor and one column
    per construct, with the marks of the pairwise table (* significant, † not warranted)."""
    constructs = list(dict.fromkeys(r["name"] for r in rows))
    table: dict[str, dict] = {}
    for r in rows:
        flip = 1 if mine(r["group_a"]) else -1
        other = r["group_b"] if flip == 1 else r["group_a"]
        table.setdefault(names.group(other, scope), {})[r["name"]] = {
            "difference": flip * r["difference"], "significant": r.get("significant"),
            "difference_shown": flip * r["difference_shown"],
            "warranted": r.get("warranted")}
    return {"constructs": [names[c] for c in constructs],
            "rows": [{"label": k, "cells": [v.get(c) for c in constructs]}
                     for k, v in table.items()]}
