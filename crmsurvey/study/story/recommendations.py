"""Recommendations: the focus's question-level levers that matter most and perform
worst (and below the best competitor, where there are competitors), each with its
ACSI-style impact — what a :data:`STEP`-point rise in the lever's construct score would
do to the satisfaction index and to the IPMA target (the unstandardised total effect on
the 0–100 scores, with a percentile interval from the model's own bootstrap resamples)."""
from __future__ import annotations

from ..._format import shown_difference
from ..impacts import importance_draws, percentile
from ..results import Finding, Group, Impact, Recommendation, group_key
from .context import _Ctx
from .records import _finding

__all__ = ["STEP", "MOST_RECOMMENDATIONS"]

#: ACSI's convention: the effect of a 5-point rise in a driver's 0–100 score.
STEP = 5.0
#: at most this many recommendations: only levers the rule licenses (below the levers'
#: average, and below the best competitor where there are competitors) — never filled up
MOST_RECOMMENDATIONS = 5


def _item_scores(x: _Ctx, group: Group) -> dict[str, float]:
    """Each rated question's mean on 0–100 (its scale's bounds) in ``group``."""
    info = x.r.model.items
    out = {}
    for r in x.r.items:
        i = info.get(r.item)
        if r.group == group and not r.pooled and r.mean is not None and i is not None \
                and i.min is not None and i.max > i.min:
            out[r.item] = 100 * (r.mean - i.min) / (i.max - i.min)
    return out


def _item_means(x: _Ctx, group: Group) -> dict[str, tuple]:
    """Each rated question's mean on its own scale and its top-2 share in ``group`` (the
    figures of the question-level table)."""
    return {r.item: (r.mean, r.top2) for r in x.r.items
            if r.group == group and not r.pooled and r.mean is not None}


def _below(mine: float | None, theirs: float | None) -> bool:
    """Is ``mine`` below ``theirs`` as the report prints both (one decimal)? A tie in the
    printed figures is no shortfall."""
    gap = shown_difference(theirs, mine)
    return gap is not None and gap > 0


def _recommendations(x: _Ctx) -> list[Recommendation]:
    """The levers: questions of the focus's significant actionable drivers — not the
    model's context (``lever: false``, customer expectations) — that perform
    below the levers' average — and, with competitors, below the best competitor — most
    important first (at most :data:`MOST_RECOMMENDATIONS`). Only these: the report's
    caption states this rule, so nothing is added to reach a count."""
    dr = x.r.drivers_of(x.focus)
    res = x.fits.get(group_key(x.canonical(x.focus)))
    if dr is None or not dr.priorities or res is None:
        return []
    mine = _item_scores(x, x.focus)
    rivals = {group_key(g): (g, _item_scores(x, g)) for g in x.competitors}
    context = set(x.r.model.context)  # expectations: context, not an action (caption)
    levers = [i for i in dr.items if i.construct in dr.priorities and i.item in mine
              and i.importance > 0 and i.construct not in context]
    if not levers:
        return []
    mean = sum(mine[i.item] for i in levers) / len(levers)

    def best(item: str):
        found = [(g, s[item]) for g, s in rivals.values() if item in s]
        return max(found, key=lambda t: t[1]) if found else (None, None)

    raw = _item_means(x, x.focus)
    rival_raw = {group_key(g): _item_means(x, g) for g in x.competitors}

    def beaten(item: str) -> bool:
        """Below the best competitor at the question as the report prints it: the mean
        in the actions table (0–100) and in the question-level table (the item's own
        scale), and not ahead on the question's top-2 share there either."""
        g, v = best(item)
        if not rivals:
            return True
        if g is None or item not in raw or item not in rival_raw[group_key(g)]:
            return False
        (m, top), (m2, top2) = raw[item], rival_raw[group_key(g)][item]
        ahead = top is not None and top2 is not None and round(top) > round(top2)
        return _below(mine[item], v) and _below(m, m2) and not ahead
    # most important first; a construct's questions share its importance, and among
    # them the lowest-scoring comes first
    # below the average as the report prints both (one decimal): 74.109 against an
    # average of 74.116 both print 74.1, and is no shortfall
    qualify = [i for i in sorted(levers, key=lambda i: (-i.importance, mine[i.item]))
               if _below(mine[i.item], mean) and beaten(i.item)]

    def shy(item: str) -> bool:
        """Below the best competitor on a figure the report prints of the question (its
        0–100 score, its mean): not "at or above" it."""
        g, v = best(item)
        if g is None:
            return False
        theirs = rival_raw[group_key(g)].get(item)
        return _below(mine[item], v) or (item in raw and theirs is not None
                                          and _below(raw[item][0], theirs[0]))
    x.levers = dict(constructs=list(dict.fromkeys(i.construct for i in levers)),
                    behind=[i.item for i in levers if rivals and shy(i.item)],
                    low=[i.item for i in levers if _below(mine[i.item], mean)])
    chosen = qualify[:MOST_RECOMMENDATIONS]
    x.more_levers = [i.item for i in qualify[MOST_RECOMMENDATIONS:]]
    effects = importance_draws(res)
    lay = res._fitted.lay
    targets = list(dict.fromkeys(t for t in (x.sat, dr.target) if t is not None))
    out = []
    for i in chosen:
        g, v = best(i.item)
        impacts = []
        for t in targets:
            if t == i.construct:
                continue
            row = res.ipma(t).set_index("construct")
            if i.construct not in row.index:
                continue  # no path from the lever to this target
            value = float(row.at[i.construct, "importance"])
            lo = hi = None
            if effects is not None:
                a, b = lay.constructs.index(i.construct), lay.constructs.index(t)
                lo, hi = percentile(STEP * effects[:, a, b], x.level)
            impacts.append(Impact(target=t, value=STEP * value, ci_lower=lo, ci_upper=hi,
                                  level=x.level))
        out.append(Recommendation(item=i.item, construct=i.construct, group=x.focus,
                                  performance=mine[i.item], competitor=g,
                                  competitor_performance=v, importance=i.importance,
                                  step=STEP, impacts=impacts, refs=["actions", "ipma-focus"],
                                  average=mean))
    return out



def _no_recommendation(x: _Ctx, recs: list[Recommendation]) -> Finding | None:
    """Why no question qualifies, where none does (call after :func:`_recommendations`):
    no actionable driver is significant for the focus (``recs_none_ns``, only where the
    drivers were tested); the significant ones are all context (``recs_none_context``);
    the focus is at or above the best competitor on every lever question
    (``recs_none_lead``: on every figure the report prints of them), or below it only
    on questions at or above the levers' average (``recs_none_above``); without
    competitors, no lever question is below the levers' average (``recs_none_even``).
    None where there are recommendations or no IPMA, and where a question below the
    average is below the best competitor on one printed figure but ahead on another."""
    dr = x.r.drivers_of(x.focus)
    if recs or dr is None or group_key(x.canonical(x.focus)) not in x.fits:
        return None
    req, refs = ["no_recommendations"], ["ipma-focus"]
    base = dict(group=x.focus, target=dr.target)
    if not dr.priorities:
        tested = any(r.ci_lower is not None for r in dr.constructs if r.actionable)
        return _finding("recs_none_ns", ["bootstrap"] + req, refs, **base) if tested else None
    context = set(x.r.model.context)
    if all(c in context for c in dr.priorities):
        return _finding("recs_none_context", req, refs, drivers=list(dr.priorities), **base)
    if x.levers is None:  # the levers' questions have no scores: nothing to say of them
        return None
    drivers = x.levers["constructs"]
    if not x.competitors:
        return _finding("recs_none_even", req, refs, drivers=drivers, **base)
    behind = x.levers["behind"]
    if not behind:
        return _finding("recs_none_lead", ["client", "groups>=2"] + req, refs,
                        drivers=drivers, **base)
    if set(behind) & set(x.levers["low"]):  # below the average and the competitor on
        return None  # one printed figure, ahead on another: neither sentence holds
    return _finding("recs_none_above", ["client", "groups>=2"] + req, refs,
                    drivers=drivers, questions=behind, **base)
