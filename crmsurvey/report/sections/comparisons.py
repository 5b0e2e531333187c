"""Group comparisons: index differences, path differences (permutation and
Henseler's test), MICOM and CB-SEM measurement invariance, per group item."""
from __future__ import annotations

from ..._format import shown_difference
from ...study.results import Results
from ..filters import pval
from ..i18n import and_list
from .common import Names, decisive_digits, diff_row, floors, measured_by

__all__ = ["comparisons_context"]


def _least_p(floor: float) -> str:
    """The smallest adjusted p-value resamples can give, as the tables print it
    (``.030`` where the tables read ``< .030``)."""
    return pval(min(1.0, floor), min(1.0, floor)).removeprefix("< ")


def comparisons_context(results: Results, names: Names, t: dict) -> dict:
    """``comparisons``: per group item, the index and path differences, MICOM and the
    CB-SEM invariance table, with the sentence each licenses."""
    idx = set(results.model.index_constructs)
    pair = lambda r: f"{names.group(r['group_a'])} – {names.group(r['group_b'])}"  # noqa: E731
    comps = []
    sep = t["list_sep"]
    for c in results.comparisons:
        index = [d for d in c.differences if d.quantity == "index" and d.name in idx]
        # a construct of one question is its own composite: MICOM has nothing to test
        single = list(dict.fromkeys(r["construct"] for r in c.micom
                                    if measured_by(results.model, r["construct"])))
        c = c.model_copy(update={"micom": [r for r in c.micom if r["construct"] not in single]})
        # not warranted: the construct, with the pairs MICOM did not warrant
        failed: dict[str, list[str]] = {}
        for r in c.micom:
            if not r["compositional"]:
                failed.setdefault(r["construct"], []).append(pair(r))
        pairs_of = {r["construct"]: 0 for r in c.micom}
        for r in c.micom:
            pairs_of[r["construct"]] += 1
        none = [names[k] + t["list_paren"].format(items=sep.join(v))
                if len(v) < pairs_of[k] else names[k] for k, v in failed.items()]
        warranted = [d for d in index if d.warranted is not False]
        sig = [d for d in warranted if d.significant]
        skipped = len(index) - len(warranted)
        inv = c.invariance
        comps.append({
            "group": names.group_name(c.item),
            "indices": [floors(diff_row(d, pair=pair(d.model_dump()),
                                     label=names[d.name])) for d in index],
            "reading": t["cmp_reading_warranted_one" if skipped == 1 else
                         "cmp_reading_warranted"].format(n=len(sig), m=len(warranted),
                                                         k=skipped) if skipped
            else t["cmp_reading"].format(n=len(sig), m=len(index)),
            "paths": [floors(floors(dict(r, pair=pair(r),
                                           label=f"{names[r['rhs']]} → {names[r['lhs']]}")),
                              p="p_henseler", res="p_henseler_resolution",
                              adj="p_henseler_adj", prefix="ph")
                      for r in c.paths],
            # a difference MICOM does not warrant (†) is neither marked nor counted
            "paths_sig": sum(1 for r in c.paths
                             if r["significant"] and r.get("warranted", True)),
            "paths_unwarranted": sum(1 for r in c.paths if r.get("warranted") is False),
            # which test sets the * and how far the resamples let an adjusted p fall
            "paths_star": t["paths_star" if (
                floor := _least_p(c.paths[0]["m"] * c.paths[0]["p_resolution"])) != (
                floor_h := _least_p(c.paths[0]["m"] * c.paths[0]["p_henseler_resolution"]))
                else "paths_star_same"].format(
                m=c.paths[0]["m"], perm=(results.settings.compare or {}).get("permutations"),
                boot=(results.settings.compare or {}).get("bootstrap"),
                floor=floor, floor_h=floor_h)
            if c.paths and results.settings.compare and c.paths[0].get("p_resolution")
            and c.paths[0].get("p_henseler_resolution") else "",
            # c and its quantile printed to the decimals that show the decision
            "micom": [dict(r, pair=pair(r), label=names[r["construct"]],
                           digits=decisive_digits(r["c"], r["c_5pct"]),
                           status=t[f"micom_status_{r['invariance']}"]) for r in c.micom],
            "micom_single": t["micom_single"].format(names=sep.join(names[k] for k in single))
            if single else "",
            "micom_text": t["micom_none"].format(names=and_list(none, t)) if none
            else t["micom_ok"],
            "invariance": None if inv is None else {
                "error": inv.get("error"),
                "table": _invariance_rows(inv.get("table", []), t),
                "reference": names.group({c.item: inv["reference"]}) if inv.get("reference")
                else None,
                "latent_means": [dict(r, label=names[r["construct"]],
                                      group=names.group({c.item: r["group"]}))
                                 for r in inv.get("latent_means", [])],
                # (I − B)⁻¹α is worth saying only where the model has B (results of
                # runs before this key said it for every model)
                "means_note": t["latent_means_note" if inv.get("structural", True)
                                else "latent_means_note_cfa"]}})
    return {"comparisons": comps}


def _invariance_rows(rows: list[dict], t: dict) -> list[dict]:
    """The invariance table's steps, worded; ΔCFI and an ML Δχ² (the difference of the
    two models' χ²) printed as the difference of the figures printed above them (χ² to
    two decimals, CFI to three). A scaled (MLM/MLR) Δχ² is a statistic of its own: as
    estimated."""
    out = []
    for prev, r in zip([None, *rows], rows):
        r = dict(r, model=t.get(f"inv_{r['model']}", r["model"]),
                 decision=t.get(r["decision"], r["decision"]))
        if prev is not None and r.get("delta_cfi") is not None:
            r["delta_cfi"] = shown_difference(r["cfi"], prev["cfi"], 3)
        if prev is not None and r.get("delta_chisq") is not None and \
                abs(r["delta_chisq"] - (r["chisq"] - prev["chisq"])) <= 1e-6 * max(
                    1.0, abs(r["chisq"])):
            r["delta_chisq"] = shown_difference(r["chisq"], prev["chisq"], 2)
        out.append(r)
    return out
