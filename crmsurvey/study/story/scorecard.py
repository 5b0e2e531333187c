"""The scorecard (ACSI's table): the groups ranked by the satisfaction index with this
wave, last wave and the change, and the market's line — optionally weighted by the
study's market shares (``report.market_weights``)."""
from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..impacts import percentile
from ..results import Group, ScoreLine, Scorecard, group_key
from .context import _Ctx

__all__ = ["market_shares"]

def market_shares(weights: dict[str, dict[str, float]] | None, levels: dict[str, list[str]]
                  ) -> tuple[str, dict[str, float]] | None:
    """The study's ``report.market_weights`` checked against the levels of each group item
    in the headline wave and normalised to shares that add up to 1: ``(item, shares)``,
    or None when the study gives none. One group item; every level of it, and only its
    levels; each weight positive and finite — an :class:`InputError` otherwise."""
    if not weights:
        return None
    where = "report.market_weights"
    if len(weights) != 1:
        raise InputError(f"{where}: give the shares of one group item, not "
                         f"{len(weights)} ({', '.join(weights)})")
    (item, given), = weights.items()
    if item not in levels:
        raise InputError(f"{where}: {item!r} is not a group item compared in the study",
                         hint="group items: " + ", ".join(levels))
    known = levels[item]
    unknown = [k for k in given if k not in known]
    if unknown:
        raise InputError(f"{where}.{item}: {unknown[0]!r} is not a level of {item!r} in the "
                         "data", hint="levels: " + ", ".join(known))
    missing = [k for k in known if k not in given]
    if missing:
        raise InputError(f"{where}.{item}: no share for {', '.join(map(repr, missing))}",
                         hint="give every level its market share")
    bad = [k for k, v in given.items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise InputError(f"{where}.{item}.{bad[0]}: a share must be positive and finite, not "
                         f"{given[bad[0]]!r}")
    total = float(sum(given.values()))
    return item, {k: float(given[k]) / total for k in known}



def _line(x: _Ctx, group: Group) -> ScoreLine:
    row, before = x.index(group), None
    past = x.earlier(group)
    if past is not None:
        before = x.index(past)
    d = x.change(group, "index", x.sat)
    warranted = d.warranted if d is not None else None
    return ScoreLine(group=group, index=row.index, ci_lower=row.ci_lower,
                     ci_upper=row.ci_upper, n=row.n,
                     previous=before.index if before is not None else None,
                     change=d.difference if d is not None else None,
                     change_lower=d.ci_lower if d is not None else None,
                     change_upper=d.ci_upper if d is not None else None,
                     change_level=d.ci_level if d is not None else None,
                     # a change MICOM between the waves does not warrant is no change (†)
                     significant=d.significant and warranted is not False
                     if d is not None and d.ci_lower is not None else None,
                     warranted=warranted)


def _draws(x: _Ctx, group: Group) -> np.ndarray | None:
    res = x.fits.get(group_key(x.canonical(group)))
    if res is None or res.draws is None:
        return None
    k = list(res.index.construct).index(x.sat)
    return res.draws.values["index"][:, k]


def _scorecard(x: _Ctx, shares) -> Scorecard:
    """The market's line, and the groups' ranked (none with fewer than two groups)."""
    rows = [_line(x, g) for g in x.members if x.index(g) is not None] \
        if len(x.members) >= 2 else []
    rows.sort(key=lambda r: -r.index)
    rows = [r.model_copy(update={"rank": k + 1}) for k, r in enumerate(rows)]
    if shares is None or shares[0] != x.item:
        market = _line(x, x.scope)
        return Scorecard(item=x.item, construct=x.sat, wave=x.r.headline.wave,
                         previous_wave=x.previous, weights=None, market=market, rows=rows)
    _, share = shares
    return Scorecard(item=x.item, construct=x.sat, wave=x.r.headline.wave,
                     previous_wave=x.previous, weights=share,
                     market=_weighted_market(x, share), rows=rows, sample=_line(x, x.scope))


def _weighted_market(x: _Ctx, share: dict[str, float]) -> ScoreLine:
    """The market as the share-weighted sum of its groups' indices, this wave and last;
    intervals from the groups' own bootstrap draws (independent samples), the change's at
    the 95 % level unadjusted (the market's change is a family of its own)."""
    now = [{**x.scope, x.item: k} for k in share]
    w = np.array(list(share.values()))

    def total(groups):
        rows = [x.index(g) for g in groups]
        if any(r is None for r in rows):
            return None, None, 0
        draws = [_draws(x, g) for g in groups]
        d = None if any(v is None for v in draws) else np.column_stack(draws) @ w
        return float(np.dot(w, [r.index for r in rows])), d, sum(r.n for r in rows)

    value, d_now, n = total(now)
    lo, hi = percentile(d_now, x.level) if d_now is not None else (None, None)
    line = dict(group=x.scope, index=value, ci_lower=lo, ci_upper=hi, n=n)
    past = [x.earlier(g) for g in now]
    if None not in past:
        before, d_before, _ = total(past)
        if before is not None:
            line.update(previous=before, change=value - before)
            if d_now is not None and d_before is not None:
                clo, chi = percentile(d_now - d_before, x.policy_level())
                line.update(change_lower=clo, change_upper=chi, change_level=x.policy_level(),
                            significant=clo is not None and (clo > 0 or chi < 0))
    return ScoreLine(**line)

