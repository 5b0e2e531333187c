"""Per-unit figures: index rows, NPS and CSAT rows, and each PLS model with what it did
to the rows (its disclosure)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._data import kish_n_eff
from .._format import json_safe
from ..analytics.scores import csat, nps
from .results import Diagnostic, Disclosure, IndexRow, ItemRow, PLSModel, ScoreRow
from .units import Unit

__all__ = ["index_rows", "score_rows", "item_rows", "pls_model"]

def _num(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def index_rows(unit: Unit, res, constructs: list[str]) -> list[IndexRow]:
    t = res.index.set_index("construct")
    return [IndexRow(group=unit.group, construct=c, index=float(t.at[c, "index"]),
                     se=_num(t.at[c, "se"]) if "se" in t else None,
                     ci_lower=_num(t.at[c, "ci_lower"]) if "ci_lower" in t else None,
                     ci_upper=_num(t.at[c, "ci_upper"]) if "ci_upper" in t else None,
                     n=int(res.settings.n), pooled=unit.pooled)
            for c in constructs if c in t.index]


def score_rows(unit: Unit, data: pd.DataFrame, weights, nps_item: str | None,
               csat_items: dict[str, float], design=None) -> list[ScoreRow]:
    """NPS (points) and CSAT (% top box) of one unit's rows, weighted when the study is;
    with a ``design`` (:class:`~.design.StudyDesign`) their standard errors, intervals and
    effective n are design-based."""
    rows = data[unit.rows]
    w = None if weights is None else weights[unit.rows]
    out = []
    if nps_item:
        r = nps(rows[nps_item], weights=w)
        if design is not None:
            r = design.score(unit, ("nps", nps_item), r, "nps")
        out.append(ScoreRow(measure="nps", item=nps_item, group=unit.group,
                            value=_num(r["nps"]), se=_num(r["se"]), ci_lower=_num(r["ci_lower"]),
                            ci_upper=_num(r["ci_upper"]), n=int(r["n"]), n_eff=_num(r["n_eff"]),
                            detail={k: _num(r[k]) for k in ("promoters", "passives",
                                                            "detractors")},
                            pooled=unit.pooled))
    for item, top in csat_items.items():
        r = csat(rows[item], top=top, weights=w)
        if design is not None:
            r = design.score(unit, ("csat", item), r, "csat")
        out.append(ScoreRow(measure="csat", item=item, group=unit.group, value=_num(r["csat"]),
                            se=_num(r["se"]), ci_lower=_num(r["ci_lower"]),
                            ci_upper=_num(r["ci_upper"]), n=int(r["n"]),
                            n_eff=_num(r["n_eff"]), detail={"top": float(top)},
                            pooled=unit.pooled))
    return out


def item_rows(unit: Unit, data: pd.DataFrame, weights, bounds: dict[str, tuple[float, float]],
              design=None) -> list[ItemRow]:
    """Mean and top-2-box share of each rated item (``bounds``: item → scale min, max)
    among one unit's rows, weighted when the study is; with a ``design`` the means'
    design-based standard errors."""
    items = [i for i in bounds if i in data]
    x = data.loc[unit.rows, items].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    w = np.ones(len(x)) if weights is None else weights[unit.rows]
    answered = ~np.isnan(x)
    wa = answered * w[:, None]
    total = wa.sum(axis=0)
    top = np.array([bounds[i][1] - 1 for i in items])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(np.where(answered, x, 0) * w[:, None], axis=0) / total
        top2 = 100 * ((x >= top) * wa).sum(axis=0) / total
    se = [design.se(unit, ("item", i))[0] if design is not None else np.nan for i in items]
    return [ItemRow(group=unit.group, item=i, mean=_num(mean[k]), top2=_num(top2[k]),
                    n=int(answered[:, k].sum()), pooled=unit.pooled, se=_num(se[k]))
            for k, i in enumerate(items)]


def pls_model(unit: Unit, res, data: pd.DataFrame, items: list[str], weights,
              prediction=None, cvpat=None, copula=None) -> PLSModel:
    s = res.settings
    cells = int(data.loc[unit.rows, items].apply(pd.to_numeric, errors="coerce").isna()
                .to_numpy().sum())
    w = None if weights is None else weights[unit.rows]
    disclosure = Disclosure(
        model="pls", group=unit.group, rows=unit.n, used=int(s.n), dropped=unit.n - int(s.n),
        dropped_reason="listwise" if s.missing == "listwise" else
        "zero_weight" if unit.n != s.n else None,
        cells_missing=cells, cells_imputed=int(s.n_imputed),
        missing_method="mean" if s.missing == "mean" else "listwise",
        weighted=bool(s.weighted), n_eff=kish_n_eff(w, unit.n))
    d = res.to_dict()
    return PLSModel(group=unit.group, n=int(s.n), pooled=unit.pooled,
                    **{k: d[k] for k in ("paths", "loadings", "weights", "total_effects", "r2",
                                         "quality", "htmt_intervals", "indirect", "inner_vif",
                                         "item_vif", "f2", "model_fit", "model_selection",
                                         "slopes")},
                    settings=json_safe(d["settings"]),
                    diagnostics=Diagnostic.of(res.diagnostics, unit.group),
                    disclosure=disclosure,
                    predict=None if prediction is None else prediction.to_dict(),
                    cvpat=None if cvpat is None else json_safe(cvpat.to_dict("records")),
                    endogeneity=None if copula is None
                    else json_safe(copula.to_dict("records")))
