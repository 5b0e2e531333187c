"""Write a study's results: results.json, one CSV per table, one XLSX workbook. Every
table is a view of the typed results (groups spread into one column per group item)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._io import atomic_path
from ..errors import escape_controls  # noqa: F401  (re-exported: its old home)
from .results import Results
from .workbook import workbook

__all__ = ["write_results", "write_tables", "results_tables", "bundle_tables", "neutralise",
           "workbook", "escape_controls"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: Columns the program writes itself: lavaan operators (``=~``, ``~~``) are no formula.
_OWN_COLUMNS = {"op"}


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe —
    in every column that can hold user-controlled text (not lavaan's ``op``)."""
    out = frame.copy()
    for col in out.columns:
        if col in _OWN_COLUMNS:
            continue
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str)
                                    and v.startswith(_FORMULA_START) else v)
    return out


def _restored(value):
    """A CSV cell as it was before :func:`neutralise` (its apostrophe before a formula
    character removed)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and \
            value[1:2] in _FORMULA_START:
        return value[1:]
    return value


#: Tables a run makes from the respondents' (or customers') rows, which results.json
#: does not hold (analytics, segments), in the order the run writes them.
RUN_TABLES = ("kano", "rfm", "rfm_segments", "abc", "typology", "complaints",
              "segments_fit", "segments_membership")


def bundle_tables(results: Results, folder: Path) -> dict[str, pd.DataFrame]:
    """Every table of the bundle in ``folder``: those derived from ``results``
    (:func:`results_tables`) and those only the run could make (:data:`RUN_TABLES`, and
    any other table the run listed in the bundle's manifest), read back from their CSV
    files — so a workbook written again in another language has the run's sheets, rows
    and values. Group columns stay text (a wave "2026" is no number)."""
    from .._bundle import previous

    tables = results_tables(results)
    written = sorted(Path(p).stem for p in previous(folder) if p.endswith(".csv")
                     and "/" not in p)
    names = [n for n in RUN_TABLES if n in written] + [n for n in written
                                                       if n not in RUN_TABLES]
    groups = [*results.settings.groups, *([results.settings.waves]
                                          if results.settings.waves else [])]
    for name in names:
        path = folder / f"{name}.csv"
        if name in tables or not path.is_file():
            continue
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""], dtype={g: str for g in [*groups, "group"]})
        for col in frame.columns:
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].map(_restored)
        tables[name] = frame
    return tables


def _spread(rows: list[dict], keys: tuple[str, ...] = ("group",)) -> pd.DataFrame:
    """Records whose group fields are dicts → one column per group item, first (``brand``,
    ``wave``; ``group_a.brand`` … for pairs); the whole sample leaves them empty."""
    flat, group_columns = [], {}
    for r in rows:
        row = {}
        for k, v in r.items():
            if k in keys and isinstance(v, dict):
                prefix = "" if k == "group" else f"{k}."
                spread = {f"{prefix}{g}": level for g, level in v.items()}  # {}: all
                row.update(spread)
                group_columns.update(dict.fromkeys(spread))
            elif not isinstance(v, (dict, list)):
                row[k] = v
        flat.append(row)
    frame = pd.DataFrame(flat)
    first = [c for c in group_columns if c in frame]
    return frame[first + [c for c in frame.columns if c not in group_columns]]


def _vif_f2(model: dict) -> list[dict]:
    """A model's structural VIF rows with each path's f² beside its VIF."""
    f2 = {(x["lhs"], x["rhs"]): x["f2"] for x in model["f2"]}
    return [{"group": model["group"], **r, "f2": f2.get((r["lhs"], r["rhs"]))}
            for r in model["inner_vif"]]


def results_tables(results: Results) -> dict[str, pd.DataFrame]:
    """The tables written beside results.json, each derived from ``results``."""
    dump = results.model_dump(mode="json")
    pairs = ("group_a", "group_b")
    tables = {
        "indices": _spread(dump["indices"]),
        "scores": _spread([{**{k: v for k, v in r.items() if k != "detail"}, **r["detail"]}
                           for r in dump["scores"]]),
        # family: the pairs of the report ("client": the client against each competitor
        # of a many-level item), every pair of such an item ("all_pairs"), or a change
        "differences": _spread([dict(d, scope_item=c["item"], family="client"
                                     if c.get("reference") else "pairs")
                                for c in dump["comparisons"] for d in c["differences"]]
                               + [dict(d, scope_item=c["item"], family="all_pairs")
                                  for c in dump["comparisons"] for d in c.get("all_pairs", [])]
                               + [dict(d, scope_item=dump["trend"]["item"], family="change")
                                  for d in (dump["trend"] or {}).get("changes", [])], pairs),
        "path_differences": _spread([r for c in dump["comparisons"] for r in c["paths"]], pairs),
        # the group comparisons' MICOM, then the trend's (previous against current wave)
        "micom": _spread([r for c in dump["comparisons"] for r in c["micom"]]
                         + list((dump["trend"] or {}).get("micom", [])), pairs),
        "disclosures": _spread([m["disclosure"] for m in dump["models"]]
                               + ([dump["cbsem"]["disclosure"]] if dump["cbsem"] and
                                  dump["cbsem"]["disclosure"] else [])),
        "ipma": _spread([{"group": dr["group"], "target": dr["target"], **r}
                         for dr in dump["drivers"] for r in dr["constructs"]]),
        "ipma_items": _spread([{"group": dr["group"], "target": dr["target"], **r}
                               for dr in dump["drivers"] for r in dr["items"]]),
        "item_results": _spread(dump["items"]),
        "drivers": _spread([{"group": dr["group"], "target": dr["target"],
                             "priorities": ", ".join(dr["priorities"]),
                             "standout": dr["standout"] or "",
                             "lead_ci_lower": (dr["lead_ci"] or [None, None])[0],
                             "lead_ci_upper": (dr["lead_ci"] or [None, None])[1]}
                            for dr in dump["drivers"]]),
        "cleaning_log": pd.DataFrame(
            [{"source": s["source"], "rows_read": s["rows_read"], "rows_kept": s["rows_kept"],
              **{f"excluded_{k}": v for k, v in s["excluded"].items()}}
             for s in dump["sample"]["sources"]]),
    }
    for name in ("paths", "loadings", "quality", "r2", "total_effects", "htmt_intervals",
                 "indirect", "model_fit", "model_selection", "slopes", "cvpat",
                 "endogeneity", "item_vif"):
        tables[name] = _spread([{"group": m["group"], **r} for m in dump["models"]
                                for r in m[name] or []])
    tables["vif_f2"] = _spread([row for m in dump["models"] for row in _vif_f2(m)])
    for part in ("items", "constructs"):  # PLSpredict of the models that ran it
        tables[f"predict_{part}"] = _spread([{"group": m["group"], **r} for m in dump["models"]
                                             if m["predict"] for r in m["predict"][part]])
    invariance = [(c["item"], c["scope"], c["invariance"]) for c in dump["comparisons"]
                  if c["invariance"] and not c["invariance"].get("error")]
    tables["invariance"] = _spread([{"group": scope, "compared": item, **r}
                                    for item, scope, inv in invariance for r in inv["table"]])
    for name, key in (("latent_means", "latent_means"), ("latent_intercepts", "intercepts")):
        tables[name] = _spread([{"group": {**scope, item: r["group"]}, "reference":
                                 inv.get("reference"), **{k: v for k, v in r.items()
                                                          if k != "group"}}
                                for item, scope, inv in invariance for r in inv.get(key) or []])
    if dump.get("weighting"):  # weights from population targets: margins and groups
        w = dump["weighting"]
        table = pd.DataFrame(w["table"])
        if w["by"]:  # the whole sample's rows first, named as group_key names it
            table = table.assign(by=table["by"].fillna("all")).rename(columns={"by": w["by"]})
        tables["weighting"] = table if w["by"] else table.drop(columns="by")
        tables["weighting_groups"] = pd.DataFrame(w["groups"]).rename(
            columns={"by": w["by"] or "by"})
    if dump["cbsem"] and not dump["cbsem"]["error"]:
        tables["cbsem_estimates"] = pd.DataFrame(dump["cbsem"]["estimates"])
        tables["cbsem_fit"] = pd.DataFrame({"measure": list(dump["cbsem"]["fit"]),
                                            "value": list(dump["cbsem"]["fit"].values())})
    return {k: v for k, v in tables.items() if len(v)}


def write_results(results: Results, tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write results.json, the CSV tables and tables.xlsx into ``folder`` (each file
    atomically); return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "results.json") as tmp:
        tmp.write_text(results.to_json(), encoding="utf-8")
    return [folder / "results.json"] + write_tables(tables, folder, results=results)


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, *,
                 results: Results | None = None) -> list[Path]:
    """One CSV per table (codes, as the results have them) and one workbook for people
    (see :func:`workbook`), formula-like text neutralised in both."""
    written = []
    for name, t in tables.items():
        with atomic_path(folder / f"{name}.csv") as tmp:
            neutralise(t).to_csv(tmp, index=False, encoding="utf-8-sig")
        written.append(folder / f"{name}.csv")
    with atomic_path(folder / "tables.xlsx") as tmp:
        tmp.write_bytes(workbook(tables, results))
    written.append(folder / "tables.xlsx")
    return written
