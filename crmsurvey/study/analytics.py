"""The study's CRM analytics: complaints, Kano, Dick & Basu, and the firm's transactions
(RFM, ABC, CLV) linked to respondents — each a part of the results bundle."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analytics import (abc_classes, clv_simple, compare_groups, dick_basu, kano_pairs,
                         kano_table, link_customers, load_transactions, nps_compare, nps_table,
                         rfm, typology_shares)
from .._format import json_safe
from ..analytics.complaints import complaint_table
from ..simulation import simulate_transactions
from ..errors import InputError
from .load import Study

__all__ = ["run_analytics"]


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


def run_analytics(study: Study, data: pd.DataFrame, overall, weights
                  ) -> tuple[dict, dict[str, pd.DataFrame]]:
    """``overall`` is the whole-sample PLS result (or None)."""
    d, q = study.definition, study.questionnaire
    a = d.analytics
    group = d.groups[0] if d.groups else None
    out: dict = {}
    tables: dict[str, pd.DataFrame] = {}
    if a.kano:
        t = kano_table(data, kano_pairs(q))
        tables["kano"] = t
        out["kano"] = _records(t)
    customers = None
    if a.transactions is not None:
        customers, tx_part, tx_tables = _transactions(study, data)
        out["customers"] = tx_part
        tables.update(tx_tables)
    if a.typology is not None:
        out["typology"], tables["typology"] = _typology(study, data, overall, customers, group)
    if customers is not None:
        out["customers"]["by"] = _by_customer_group(study, data, overall, customers,
                                                    out.get("typology"))
    if "typology" in out:  # the per-respondent types served the comparisons; not the bundle
        out["typology"].pop("types")
    found = complaint_items(study)
    if found is not None:
        out["complaints"], tables["complaints"] = _complaints(study, data, overall, weights,
                                                              group, found)
    return out, tables


def complaint_items(study: Study) -> dict | None:
    """The complaint item the study names (``analytics.complaints``), else the ACSI
    complaint construct of the questionnaire, or None: a construct measured by
    one yes/no (binary) item with a path to another construct (complaints → loyalty);
    "yes" is the code a section's relevance asks of it (``comp1 == 1``), else the
    scale's higher code; the handling question is a rated item of a section shown only
    to those who said yes; the loyalty construct is the one the complaint construct
    drives (the IPMA target when it is one of them)."""
    from ..questionnaire.relevance import parse_relevance

    q = study.questionnaire
    chosen = study.definition.analytics.complaints
    if chosen is not None:  # the study names the yes/no item (checked at load)
        return {"construct": None, "item": chosen.item,
                "yes": float(1 if chosen.yes_code is None else chosen.yes_code),
                "handling": chosen.handling, "loyalty": chosen.loyalty or study.ipma_target}
    constructs = q.definition.constructs
    paths = list(q.model_spec().paths) if constructs else []
    for name, c in constructs.items():
        items = list(c.items)
        scale = q.scale(items[0]) if len(items) == 1 else None
        if scale is None or scale.type != "binary":
            continue
        driven = [lhs for lhs, rhs in paths if rhs == name]
        if not driven:
            continue
        item = items[0]
        yes, handling = float(max(scale.values)), None
        for section in q.definition.sections:
            if not section.relevance:
                continue
            try:
                clauses = parse_relevance(section.relevance)
            except ValueError:
                continue
            if len(clauses) == 1 and len(clauses[0]) == 1 and clauses[0][0].item == item \
                    and clauses[0][0].op == "==":
                yes = clauses[0][0].values[0]
                handling = next((it.id for it in section.items
                                 if getattr(q.scale(it.id), "type", None) == "rating"), None)
                break
        loyalty = study.ipma_target if study.ipma_target in driven else driven[0]
        return {"construct": name, "item": item, "yes": yes, "handling": handling,
                "loyalty": loyalty}
    return None


def _complaints(study: Study, data: pd.DataFrame, overall, weights, group,
                found: dict) -> tuple[dict, pd.DataFrame]:
    """Complaint rate, handling and loyalty of complainers per level of the first group
    item among the headline rows; loyalty as the whole-sample model's 0–100 scores."""
    loyalty = None
    if overall is not None and found["loyalty"] in overall.index_scores():
        loyalty = overall.index_scores()[found["loyalty"]].reindex(data.index).to_numpy()
    handling = data[found["handling"]] if found["handling"] in data else None
    table = complaint_table(data[found["item"]], yes=found["yes"], handling=handling,
                            loyalty=loyalty, groups=data[group] if group else None,
                            weights=weights)
    bounds = study.questionnaire.item_bounds(found["handling"]) if handling is not None \
        else None
    rows = json_safe(table.astype(object).where(table.notna(), None).to_dict("records"))
    for r in rows:
        r["group"] = {} if r["group"] == "all" else {group: r["group"]}
    part = {**found, "handling_scale": list(bounds) if bounds else None,
            "loyalty_scored": loyalty is not None, "rows": rows}
    out = table.copy()
    if group:
        out.insert(0, group, ["" if g == "all" else g for g in table.group])
        out = out.drop(columns="group")
    return part, out


def _attitude(study: Study, data: pd.DataFrame, overall, name: str) -> pd.Series:
    if name in study.questionnaire.definition.constructs:
        if overall is None:
            raise InputError(f"typology attitude {name!r} is a construct: it needs the PLS "
                             "model", hint="remove 'pls: null', or name an item instead")
        return overall.index_scores()[name].reindex(data.index)
    return pd.to_numeric(data[name], errors="coerce")


def _typology(study, data, overall, customers, group):
    o = study.definition.analytics.typology
    attitude = _attitude(study, data, overall, o.attitude)
    if o.behaviour == "transactions":
        behaviour = customers["frequency"].reindex(data.index)
        behaviour_name = "transactions"
    else:
        behaviour = pd.to_numeric(data[o.behaviour], errors="coerce")
        behaviour_name = o.behaviour
    types, cuts = dick_basu(attitude.to_numpy(), behaviour.to_numpy(),
                            cut_attitude=o.cut_attitude, cut_behaviour=o.cut_behaviour)
    types.index = data.index
    shares = typology_shares(types, data[group] if group else None)
    shares["group"] = [{} if g == "all" else {group: g} for g in shares.group]
    part = {"attitude": o.attitude, "behaviour": behaviour_name, "cuts": cuts,
            "cuts_are_medians": {"attitude": o.cut_attitude is None,
                                 "behaviour": o.cut_behaviour is None},
            "shares": _records(shares), "types": types}
    table = shares.drop(columns="group")  # the table: one column for the group item
    if group:
        table.insert(0, group, [g.get(group, "") for g in shares.group])
    return part, table


def _transactions(study: Study, data: pd.DataFrame):
    d, q = study.definition, study.questionnaire
    o = d.analytics.transactions
    id_item = q.role_item("id")
    if o.simulate is not None:
        constructs = q.definition.constructs
        loyalty = next((c for c in constructs if "loy" in c.lower()), None)
        items = constructs[loyalty].items if loyalty else []
        propensity = data[items].mean(axis=1) if items else pd.Series(0.0, index=data.index)
        raw = simulate_transactions(data[id_item], propensity, seed=o.simulate,
                                    **({"as_of": o.as_of} if o.as_of else {}))
        tx = load_transactions(raw, as_of=o.as_of)
        tx.log.source = f"simulated transactions (seed {o.simulate})"
    else:
        tx = load_transactions(study.path(o.path), customer=o.customer, date=o.date,
                               amount=o.amount, as_of=o.as_of, encoding=o.encoding,
                               date_format=o.date_format, dayfirst=o.dayfirst)
        tx.log.source = o.path  # as the study names it: no machine path in outputs
    table = rfm(tx)
    table["abc"] = abc_classes(table.set_index("customer").monetary, rule=o.abc).to_numpy()
    # yearly retention: of customers who bought in the half-year before the last one,
    # the share who bought again in the last half-year, squared
    f = tx.frame
    half = pd.Timedelta(days=182)
    earlier = set(f.customer[(f.date > tx.as_of - 2 * half) & (f.date <= tx.as_of - half)])
    later = set(f.customer[f.date > tx.as_of - half])
    retention = (len(earlier & later) / len(earlier)) ** 2 if earlier else np.nan
    yearly = f[f.date > tx.as_of - 2 * half].groupby("customer")["amount"].sum()
    table["yearly_spend"] = table.customer.map(yearly).fillna(0.0).to_numpy()
    table["clv"] = [clv_simple(o.margin * s, retention, o.discount)
                    if np.isfinite(retention) else np.nan for s in table.yearly_spend]
    joined, link = link_customers(data[[id_item]], id_item,
                                  table[["customer", "frequency", "segment", "abc", "clv"]])
    joined.index = data.index
    seg = table.groupby("segment").agg(n=("customer", "size"), recency=("recency", "mean"),
                                       frequency=("frequency", "mean"),
                                       monetary=("monetary", "mean"), clv=("clv", "mean"))
    seg["share"] = 100 * seg.n / seg.n.sum()
    total = table.monetary.sum()
    abc = table.groupby("abc").agg(n=("customer", "size"), value=("monetary", "sum"))
    abc["share_customers"] = 100 * abc.n / abc.n.sum()
    abc["share_value"] = 100 * abc.value / total if total else np.nan
    part = {"log": {**tx.log.to_dict(), "problems": [p.to_dict() for p in tx.log.problems[:50]]},
            "as_of": str(tx.as_of.date()), "link": link, "retention": retention,
            "margin": o.margin, "discount": o.discount, "abc_rule": o.abc,
            "segments": _records(seg.reset_index().sort_values("n", ascending=False)),
            "abc": _records(abc.reset_index())}
    tables = {"rfm": table, "rfm_segments": seg.reset_index(), "abc": abc.reset_index()}
    return joined, part, tables


def _by_customer_group(study, data, overall, customers, typology) -> dict:
    """Satisfaction (0–100 score) and NPS by RFM segment, ABC class and Dick & Basu type."""
    q = study.questionnaire
    sat = next((c for c in study.index_constructs if "sat" in c.lower()), None)
    nps_item = next(iter(q.items_with_role("nps")), None)
    score = overall.index_scores()[sat].reindex(data.index) if overall is not None and sat \
        else None
    groups = {"segment": customers["segment"], "abc": customers["abc"]}
    if typology is not None:
        groups["typology"] = typology["types"]
    out = {}
    for name, g in groups.items():
        entry: dict = {}
        if score is not None:
            table, tests = compare_groups(score, g.astype("string"))
            entry["satisfaction"] = {"construct": sat, "rows": _records(table), "tests": tests}
        if nps_item is not None:
            frame = pd.DataFrame({"nps": data[nps_item].to_numpy(), "g": g.to_numpy()})
            t = nps_table(frame.dropna(subset=["g"]), "nps", by="g")
            entry["nps"] = {"rows": _records(t), "pairs": _records(nps_compare(t))}
        out[name] = entry
    return out
