"""The study's ``segments:`` stage: segments found in the answers of the headline group's
respondents — latent classes on chosen indicators, or FIMIX-PLS on the structural model —
then each segment's size, index, NPS, what distinguishes it (the ``describe`` items) and
its drivers (its own PLS model, fitted again with the study's PLS options)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._random import child_seed
from ..analytics.latent_class import latent_classes
from ..analytics.profiling import explain_segments
from ..analytics.scores import nps as nps_of
from ..errors import CrmWarning, InputError
from ..pls.fimix import fimix
from .load import Study
from .results import Diagnostic, Segments, SegmentRow

__all__ = ["run_segments", "NPS_GROUP"]

#: The categorical indicator name for the NPS group (promoter / passive / detractor).
NPS_GROUP = "nps_group"
#: Fewer respondents than this in a segment: its PLS model is not fitted again.
MIN_SEGMENT_N = 30


def _frame(study: Study, data: pd.DataFrame, overall, o) -> pd.DataFrame:
    """Indicators, covariates and described items of the respondents with scores."""
    q = study.questionnaire
    scores = overall.scores
    rows = data.loc[data.index.intersection(scores.index)]
    out = pd.DataFrame(index=rows.index)
    constructs = set(scores.columns)
    nps_item = next((i for i in q.items_with_role("nps") if i in data), None)
    for name in dict.fromkeys([*o.indicators, *o.categorical, *o.covariates]):
        if name in constructs:
            out[name] = scores.loc[rows.index, name]
        elif name == NPS_GROUP:
            if nps_item is None:
                raise InputError("segments: nps_group needs an NPS item in the questionnaire")
            x = pd.to_numeric(rows[nps_item], errors="coerce")
            out[name] = np.where(x >= 9, "promoter", np.where(x >= 7, "passive",
                                 "detractor"))
            out.loc[x.isna(), name] = np.nan
        elif name in rows.columns:
            x = rows[name]
            out[name] = _codes(x) if _is_categorical(q, name, x) else x
        else:
            raise InputError(f"segments: {name!r} is neither a construct nor an item",
                             hint="constructs: " + ", ".join(scores.columns))
    return out


def run_segments(study: Study, data: pd.DataFrame, overall, weights, bounds, spec
                 ) -> tuple[Segments, dict[str, pd.DataFrame]]:
    """Segments of ``data`` (the headline group's rows) from its PLS result ``overall``;
    ``weights`` (or None) are the rows' sampling weights."""
    from ..pls import pls

    d = study.definition
    o = d.segments
    if overall is None:
        raise InputError("segments: needs the PLS model (a pls: section and constructs)")
    method = o.method
    crit = o.criterion or ("bic" if method == "latent_class" else "caic")
    w = pd.Series(np.ones(len(data)) if weights is None else weights, index=data.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)  # kept as the section's diagnostics
        if method == "latent_class":
            o_ind = o.indicators or list(study.index_constructs)
            o = o.model_copy(update={"indicators": o_ind})
            frame = _frame(study, data, overall, o)
            cont = [c for c in o.indicators if c not in o.categorical and c != NPS_GROUP]
            cat = list(dict.fromkeys([*o.categorical,
                                      *[c for c in o.indicators if c == NPS_GROUP]]))
            if crit not in ("bic", "aic3", "caic", "aic"):
                raise InputError(f"segments: criterion {crit!r} is for FIMIX-PLS",
                                 hint="latent classes: bic, aic3, caic or aic")
            found = latent_classes(frame, continuous=cont, categorical=cat,
                                   covariates=o.covariates, classes=o.numbers,
                                   weights=None if weights is None
                                   else w.loc[frame.index].to_numpy(),
                                   criterion=crit, starts=o.starts, seed=o.seed)
            fit = found.fit
            labels, post = fit.classes, fit.posterior
            table = found.table.rename(columns={"classes": "segments"})
            profile = fit.profiles.rename(columns={"class": "segment"})
            covariates = fit.covariates.rename(columns={"class": "segment"})
            share_best, entropy = fit.share_best, fit.entropy
            seg_paths = pd.DataFrame(columns=["segment", "lhs", "op", "rhs", "est"])
        else:
            if crit not in ("caic", "aic3", "aic4", "bic", "aic", "hq", "mdl5"):
                raise InputError(f"segments: criterion {crit!r} is not a FIMIX-PLS one")
            found = fimix(overall, segments=o.numbers, criterion=crit, starts=o.starts,
                          seed=o.seed, weights=None if weights is None
                          else w.loc[overall.scores.index].to_numpy())
            fit = found.fit
            labels, post = fit.segments, fit.posterior
            table = found.table
            profile = pd.DataFrame(columns=["variable", "level", "segment", "value"])
            covariates = pd.DataFrame(columns=["segment", "covariate", "coef"])
            share_best = fit.share_best
            entropy = table.set_index("segments").loc[found.chosen, "en"]
            seg_paths = fit.paths
    index = found.index
    diagnostics = Diagnostic.of(found.diagnostics, {})
    describe = d.groups if o.describe is None else o.describe
    q = study.questionnaire
    missing = [c for c in describe if c not in data.columns]
    if missing:
        raise InputError(f"segments.describe: {missing[0]!r} is not an item in the data")
    shown = data.loc[index, describe].copy()
    categorical = [c for c in describe if _is_categorical(q, c, shown[c])]
    for c in categorical:
        shown[c] = _codes(shown[c])
    described = explain_segments(labels, shown, describe) if describe else None
    # per segment: size, index, NPS, drivers (its own PLS model)
    idx_scores = overall.index_scores().reindex(index)
    nps_item = next((i for i in study.questionnaire.items_with_role("nps") if i in data),
                    None)
    target = study.ipma_target
    rows = []
    for k in range(1, fit.k + 1):
        inseg = labels == k
        wk = w.loc[index].to_numpy()[inseg]
        ix = {c: _wmean(idx_scores[c].to_numpy()[inseg], wk) for c in study.index_constructs
              if c in idx_scores}
        nps_k = None
        if nps_item is not None:
            r = nps_of(data.loc[index, nps_item].to_numpy()[inseg], weights=wk)
            nps_k = None if not np.isfinite(r["nps"]) else float(r["nps"])
        drivers, r2 = [], {}
        if inseg.sum() >= MIN_SEGMENT_N:
            rows_k = index[inseg]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", CrmWarning)
                    res = pls(spec, data.loc[rows_k], **{
                        **d.pls.kwargs(), "fit_test": 0,
                        "seed": child_seed(d.pls.seed, 23, k)},
                        weights=None if weights is None else w.loc[rows_k].to_numpy(),
                        scale=bounds)
            except InputError as exc:
                diagnostics.append(Diagnostic(code="segment_model_failed", severity="warning",
                                              message=f"segment {k}: {exc.msg}",
                                              concerns=[str(k)]))
            else:
                drivers = _drivers(res, target)
                r2 = {row.construct: float(row.r2) for row in res.r2.itertuples()}
        else:
            diagnostics.append(Diagnostic(code="segment_too_small", severity="info",
                                          message=f"segment {k} has {int(inseg.sum())} "
                                                  f"respondents: its model is not fitted",
                                          concerns=[str(k), str(int(inseg.sum()))]))
        rows.append(SegmentRow(
            segment=k, n=int(inseg.sum()), share=float(post[:, k - 1].mean()),
            indices=ix, nps=nps_k, drivers=drivers, r2=r2,
            paths=_records(seg_paths[seg_paths["segment"] == k].drop(columns="segment"))))
    section = Segments(
        method=method, criterion=crit, chosen=fit.k, fit=_records(table),
        share_best=float(share_best), entropy=_num(entropy), target=target,
        segments=rows, profile=_records(profile), covariates=_records(covariates),
        distinguish=[] if described is None else _records(
            described.tests.sort_values("pvalue", kind="stable")),
        described=[] if described is None else _records(described.profile),
        labels={c: q.items[c].text for c in [*describe, *o.indicators, *o.covariates]
                if c in q.items and q.items[c].text},
        levels={c: {str(k): v for k, v in q.scale(c).values.items()} for c in categorical
                if c in q.items and getattr(q.scale(c), "values", None)},
        diagnostics=diagnostics)
    member = pd.DataFrame(post, index=index, columns=[f"p{j + 1}" for j in range(fit.k)])
    member.insert(0, "segment", labels)
    return section, {"segments_fit": table, "segments_membership": member.rename_axis("row").reset_index()}


def _codes(x: pd.Series) -> pd.Series:
    """Category codes as text (``1.0`` → ``"1"``), missing values kept missing."""
    num = pd.to_numeric(x, errors="coerce")
    if num.notna().sum() == x.notna().sum() and (num.dropna() % 1 == 0).all():
        x = num.astype("Int64")
    return x.astype("string").astype(object).where(x.notna(), None)


def _is_categorical(q, item: str, x: pd.Series) -> bool:
    """A group item, a categorical or yes/no question, or text: crosstabulated; other
    numbers (ratings, counts): compared by their means."""
    if item in q.items:
        if q.items[item].role == "group":
            return True
        scale = q.scale(item)
        if scale is not None and getattr(scale, "type", None) in ("categorical", "binary"):
            return True
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        return False
    return bool(pd.to_numeric(x.dropna(), errors="coerce").isna().any())


def _drivers(res, target: str | None) -> list[dict]:
    """Total effects on ``target`` (standardised), strongest first, with their interval
    when the model was bootstrapped."""
    if target is None:
        return []
    t = res.total_effects
    t = t[(t["lhs"] == target) & (t["total"].abs() > 0)]
    out = []
    for row in t.sort_values("total", key=abs, ascending=False).to_dict("records"):
        lo, hi = row.get("ci_lower"), row.get("ci_upper")
        out.append({"construct": row["rhs"], "effect": float(row["total"]),
                    "ci_lower": _num(lo), "ci_upper": _num(hi),
                    "significant": None if lo is None or not np.isfinite(lo)
                    else bool(lo > 0 or hi < 0)})
    return out


def _wmean(x: np.ndarray, w: np.ndarray) -> float | None:
    ok = np.isfinite(x) & np.isfinite(w)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() and w[ok].sum() > 0 else None


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in out]
