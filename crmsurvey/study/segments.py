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
from .drivers import mediators
from .load import Study
from .results import Diagnostic, Segments, SegmentRow

__all__ = ["run_segments", "index_contrasts", "NPS_GROUP"]

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
    target = study.ipma_target
    # the target and its own mediators are outcomes, not levers (as the main IPMA)
    outcomes = set() if target is None else \
        ({target} | (set() if d.ipma_mediators else mediators(target, list(spec.paths))))
    formed_on: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrmWarning)  # kept as the section's diagnostics
        if method == "latent_class":
            # by default the drivers' indices: segments formed on the target would select
            # respondents on the outcome whose drivers each segment then shows
            o_ind = o.indicators or [c for c in study.index_constructs
                                     if c not in outcomes] or list(study.index_constructs)
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
            profile = _modal_profile(frame, labels, w.loc[frame.index].to_numpy(), cont, cat)
            formed_on = [v for v in dict.fromkeys([*cont, *cat])
                         if v in outcomes or v == NPS_GROUP]
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
    # an item with one value (or none) among these respondents describes nothing
    constant = [c for c in describe if shown[c].nunique(dropna=True) < 2]
    for c in constant:
        diagnostics.append(Diagnostic(
            code="segments_describe_constant", severity="info", concerns=[c],
            params={"item": c},
            message=f"segments.describe: {c!r} has "
                    f"{'no answers' if shown[c].notna().sum() == 0 else 'one value'} among "
                    f"the segmented respondents; it cannot describe the segments"))
    describe = [c for c in describe if c not in constant]
    shown = shown[describe]
    categorical = [c for c in describe if _is_categorical(q, c, shown[c])]
    for c in categorical:
        shown[c] = _codes(shown[c])
    described = explain_segments(labels, shown, describe) if describe else None
    # per segment: size, index, NPS, drivers (its own PLS model)
    idx_scores = overall.index_scores().reindex(index)
    nps_item = next((i for i in study.questionnaire.items_with_role("nps") if i in data),
                    None)
    wi = w.loc[index].to_numpy()
    contrasts = index_contrasts(idx_scores[[c for c in study.index_constructs
                                            if c in idx_scores]], labels, wi, fit.k)
    groups = None if nps_item is None else pd.to_numeric(data.loc[index, nps_item],
                                                         errors="coerce").to_numpy()
    rows = []
    for k in range(1, fit.k + 1):
        inseg = labels == k
        wk = wi[inseg]
        ix = {c: _wmean(idx_scores[c].to_numpy()[inseg], wk) for c in study.index_constructs
              if c in idx_scores}
        nps_k = None
        if nps_item is not None:
            r = nps_of(data.loc[index, nps_item].to_numpy()[inseg], weights=wk)
            nps_k = None if not np.isfinite(r["nps"]) else float(r["nps"])
        drivers, r2 = [], {}
        if formed_on:
            pass            # selection on the outcome: no drivers within these segments
        elif inseg.sum() >= MIN_SEGMENT_N:
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
                                              concerns=[str(k)], params={"segment": k}))
            else:
                drivers = _drivers(res, target, outcomes)
                r2 = {row.construct: float(row.r2) for row in res.r2.itertuples()}
        else:
            diagnostics.append(Diagnostic(code="segment_too_small", severity="info",
                                          message=f"segment {k} has {int(inseg.sum())} "
                                                  f"respondents: its model is not fitted",
                                          concerns=[str(k), str(int(inseg.sum()))],
                                          params={"segment": k, "n": int(inseg.sum())}))
        rows.append(SegmentRow(
            segment=k, n=int(inseg.sum()), share=float(wk.sum() / wi.sum()),
            indices=ix, nps=nps_k, drivers=drivers, r2=r2,
            contrasts=contrasts[contrasts["segment"] == k].drop(columns="segment")
            .pipe(_records), nps_shares=_nps_shares(groups, inseg, wi),
            paths=_records(seg_paths[seg_paths["segment"] == k].drop(columns="segment"))))
    section = Segments(
        method=method, criterion=crit, chosen=fit.k, fit=_records(table),
        share_best=float(share_best), entropy=_num(entropy), target=target,
        formed_on=formed_on,
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


def _modal_profile(frame: pd.DataFrame, labels: np.ndarray, w: np.ndarray, cont, cat
                   ) -> pd.DataFrame:
    """The segments' profile on the same basis as their size, index and NPS: the
    (weighted) mean of each continuous indicator and share of each category among the
    respondents most likely in the segment (``variable, level, segment, value``)."""
    out = []
    for v in [*cont, *cat]:
        x = frame[v]
        ok = x.notna().to_numpy()
        if v in cont:
            num = pd.DataFrame({"s": labels[ok], "wx": w[ok] * x[ok].to_numpy(float),
                                "w": w[ok]}).groupby("s").sum()
            out += [(v, "", int(k), float(r.wx / r.w)) for k, r in num.iterrows()]
        else:
            tab = pd.crosstab(labels[ok], x[ok].astype(str).to_numpy(), values=w[ok],
                              aggfunc="sum").fillna(0.0)
            share = tab.div(tab.sum(axis=1), axis=0)
            out += [(v, str(lev), int(k), float(share.loc[k, lev]))
                    for lev in share.columns for k in share.index]
    return pd.DataFrame(out, columns=["variable", "level", "segment", "value"])


def index_contrasts(scores: pd.DataFrame, labels, weights, k: int) -> pd.DataFrame:
    """Each segment's mean index against the other respondents': Welch's t test
    (weighted means and variances, Kish's effective sizes), Holm-adjusted over the
    distinct tests (with two segments, one test per index).

    Returns ``segment, construct, mean, rest, diff, t, df, pvalue, p_holm``.

    Examples
    --------
    >>> sc = pd.DataFrame({"SAT": [60., 62, 64, 80, 82, 84]})
    >>> r = index_contrasts(sc, np.array([1, 1, 1, 2, 2, 2]), np.ones(6), 2)
    >>> float(r.loc[0, "diff"])
    -20.0
    """
    from scipy import stats

    labels = np.asarray(labels)
    x = scores.to_numpy(float)
    ok = np.isfinite(x)
    w = np.asarray(weights, float)[:, None] * ok
    x0 = np.where(ok, x, 0.0)
    segs = np.arange(1, k + 1)
    inside = (labels[None, :] == segs[:, None])[:, :, None]          # K × n × 1

    def moments(m):
        ww = w[None] * m                                              # K × n × C
        sw = ww.sum(1)
        mean = (ww * x0[None]).sum(1) / np.where(sw > 0, sw, np.nan)
        n_eff = sw ** 2 / np.where((ww ** 2).sum(1) > 0, (ww ** 2).sum(1), np.nan)
        var = (ww * (x0[None] - mean[:, None]) ** 2).sum(1) / sw * n_eff / (n_eff - 1)
        return mean, var / n_eff, n_eff

    with np.errstate(invalid="ignore", divide="ignore"):
        m1, v1, n1 = moments(inside)
        m2, v2, n2 = moments(~inside)
        t = (m1 - m2) / np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    family = p[:1] if k == 2 else p
    adj = _holm(family.ravel()).reshape(family.shape)
    adj = np.vstack([adj, adj]) if k == 2 else adj
    cols = list(scores.columns)
    return pd.DataFrame({
        "segment": np.repeat(segs, len(cols)), "construct": np.tile(cols, k),
        "mean": m1.ravel(), "rest": m2.ravel(), "diff": (m1 - m2).ravel(), "t": t.ravel(),
        "df": df.ravel(), "pvalue": p.ravel(), "p_holm": adj.ravel()})


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (missing ones stay missing)."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    order = np.argsort(q, kind="stable")
    m = len(q)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def _nps_shares(groups, inseg: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Weighted shares of promoters, passives and detractors among a segment's
    respondents who answered the NPS question."""
    if groups is None:
        return {}
    g = groups[inseg]
    wk = w[inseg]
    ok = np.isfinite(g)
    if not ok.any():
        return {}
    tot = wk[ok].sum()
    return {"promoter": float(wk[ok & (g >= 9)].sum() / tot),
            "passive": float(wk[ok & (g >= 7) & (g < 9)].sum() / tot),
            "detractor": float(wk[ok & (g < 7)].sum() / tot)}


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


def _drivers(res, target: str | None, outcomes: set[str]) -> list[dict]:
    """Total effects on ``target`` (standardised) of its actionable drivers (not the
    target's own mediators, the ``outcomes``), strongest first, with their interval when
    the model was bootstrapped."""
    if target is None:
        return []
    t = res.total_effects
    t = t[(t["lhs"] == target) & (t["total"].abs() > 0) & ~t["rhs"].isin(outcomes)]
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
