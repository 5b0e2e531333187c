"""Group comparisons and wave trends for a study (PLS-MGA, MICOM, index differences,
CB-SEM invariance), each a part of the results bundle."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import CrmWarning, InputError
from .load import Study

__all__ = ["check_waves", "run_comparisons", "wave_trend"]


def check_waves(study: Study, data: pd.DataFrame) -> dict[str, str]:
    """Waves whose rows lack a construct entirely cannot join the trend: level → reason."""
    d, q = study.definition, study.questionnaire
    out = {}
    for level, rows in data.groupby(data[d.waves].astype(str)):
        lacking = [c for c, v in q.definition.constructs.items()
                   if rows[[i for i in v.items if i in rows]].isna().all().all()]
        if lacking:
            out[level] = f"this wave lacks construct(s) {', '.join(lacking)}"
    return out


def run_comparisons(study: Study, data, spec, weights, bounds, skipped) -> dict:
    from ..cbsem.fit import cbsem_syntax
    from ..cbsem.invariance import measurement_invariance
    from ..pls.mga import compare_groups

    d = study.definition
    o = d.compare
    out = {}
    for g in d.groups + ([d.waves] if d.waves and d.waves not in d.groups else []):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CrmWarning)
                cmp = compare_groups(spec, data, g, permutations=o.permutations,
                                     bootstrap=o.bootstrap, seed=o.seed, scale=bounds,
                                     weights=weights, min_size=d.min_group_size)
        except InputError as exc:
            skipped.append({"group": g, "level": None, "n": int(data[g].notna().sum()),
                            "reason": f"no comparison: {exc.msg}"})
            continue
        entry = {name: getattr(cmp, name).to_dict("records")
                 for name in ("permutation", "henseler", "micom", "indices", "groups")}
        entry["settings"] = cmp.settings
        if o.invariance and d.cbsem is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    inv = measurement_invariance(cbsem_syntax(spec), data, g,
                                                 min_size=d.min_group_size)
                entry["invariance"] = {"table": inv.table.to_dict("records"),
                                       "notes": list(inv.notes), "groups": inv.groups}
            except InputError as exc:
                entry["invariance"] = {"error": exc.msg}
        out[g] = entry
    return out


def wave_trend(study: Study, fits, comparisons) -> dict | None:
    """Indices per wave with intervals, and the differences between consecutive waves
    (bootstrap of the difference, from the comparison of the waves)."""
    d = study.definition
    wave = d.waves
    names = sorted(k.split("=", 1)[1] for k in fits if k.startswith(f"{wave}="))
    rows = [{"wave": w, "construct": r.construct, "index": r.index,
             "ci_lower": getattr(r, "ci_lower", np.nan), "ci_upper": getattr(r, "ci_upper", np.nan),
             "n": int(fits[f"{wave}={w}"].settings.n)}
            for w in names for r in fits[f"{wave}={w}"].index.itertuples()
            if r.construct in study.index_constructs]
    steps = []
    if wave in comparisons:
        table = pd.DataFrame(comparisons[wave]["indices"])
        for a, b in zip(names, names[1:]):
            pair = table[((table.group_a == a) & (table.group_b == b))]
            for r in pair.itertuples():
                if r.construct in study.index_constructs:
                    steps.append({"from": a, "to": b, "construct": r.construct,
                                  "change": -r.difference, "ci_lower": -r.ci_upper,
                                  "ci_upper": -r.ci_lower, "pvalue": r.pvalue_holm})
    return {"item": wave, "waves": names, "rows": rows, "changes": steps}
