"""The client's story as data: the scorecard, the findings and the recommendations of the
executive summary, built from the results at the study stage.

A finding is a code with parameters (numbers as in the results, groups as groups,
constructs and items by name), the preconditions that license it (:data:`REQUIREMENTS`)
and the ids of the report's body tables its numbers come from; the report renders it
through the catalogue, in any language. Nothing here is wording.

The focus is the client's group in the headline wave (``report.client_group``), or the
whole sample when the study names no client. Recommendations are the client's
question-level levers that matter most and perform worst (and below the best competitor,
where there are competitors), each with its ACSI-style impact: what a :data:`STEP`-point
rise in the lever's construct score would do to the satisfaction index and to the IPMA
target — the unstandardised total effect on the 0–100 scores, with a percentile interval
from the model's own bootstrap resamples (:func:`.impacts.importance_draws`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._format import shown_difference
from ..errors import InputError
from .impacts import importance_draws, percentile
from .results import (Finding, Group, Impact, Recommendation, Results, ScoreLine, Scorecard,
                      Story, group_key)

__all__ = ["STEP", "REQUIREMENTS", "build_story", "market_shares", "holds"]

#: ACSI's convention: the effect of a 5-point rise in a driver's 0–100 score.
STEP = 5.0
#: at most this many recommendations: only levers the rule licenses (below the levers'
#: average, and below the best competitor where there are competitors) — never filled up
MOST_RECOMMENDATIONS = 5

#: the preconditions a finding may name, checked against the results by :func:`holds`
REQUIREMENTS = ("client", "groups>=2", "waves>=2", "bootstrap", "drivers>=2", "drivers==1",
                "significant", "nps", "csat", "segments")


# --- market shares ------------------------------------------------------------------------

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


# --- the story ----------------------------------------------------------------------------

class _Ctx:
    """What every part of the story looks up once."""

    def __init__(self, results: Results, fits: dict):
        self.r, self.fits = results, fits
        self.scope = results.headline.group
        cons = results.model.index_constructs
        self.sat = next((c for c in cons if "sat" in c.lower()), cons[0] if cons else None)
        client = results.study.client_group or {}
        focus = {**client, **self.scope}
        self.client = bool(client) and any(r.group == focus for r in results.indices)
        self.focus = self.canonical(focus) if self.client else self.scope
        # the group item the story compares along: the client's, or the first compared
        items = [c.item for c in results.comparisons]
        self.item = next((i for i in client if i in items), items[0] if items else None)
        self.members = self._members()
        self.competitors = [g for g in self.members if g != self.focus] if self.client else []
        self.level = float((results.settings.pls or {}).get("ci") or 0.95)
        self.previous = results.headline.previous_wave
        self.wave_item = results.settings.waves
        self.more_levers: list[str] = []  # set by _recommendations

    def policy_level(self) -> float:
        """The level of an unadjusted interval (a family of one)."""
        return 1 - self.r.settings.multiplicity.alpha

    def _members(self) -> list[Group]:
        if self.item is None:
            return []
        comp = next(c for c in self.r.comparisons if c.item == self.item)
        return [self.canonical({**self.scope, self.item: level}) for level in comp.levels]

    def canonical(self, group: Group) -> Group:
        """``group`` with its keys in the order the results write it (a group's key — for
        its fit and draws — follows that order)."""
        return next((r.group for r in self.r.indices if r.group == group), group)

    def index(self, group: Group, construct: str | None = None):
        return self.r.index_of(group, construct or self.sat)

    def score(self, measure: str, group: Group, item: str | None = None):
        return next((s for s in self.r.scores if s.measure == measure and s.group == group
                     and not s.pooled and (item is None or s.item == item)), None)

    def earlier(self, group: Group) -> Group | None:
        if not (self.wave_item and self.previous):
            return None
        return {**group, self.wave_item: self.previous}

    def change(self, group: Group, quantity: str, name: str):
        tr = self.r.trend
        return None if tr is None else next(
            (d for d in tr.changes if d.group_a == group and d.quantity == quantity
             and d.name == name), None)

    def difference(self, quantity: str, name: str, a: Group, b: Group):
        """The difference ``a − b`` of the comparisons (flipped when stored as b − a)."""
        for c in self.r.comparisons:
            for d in c.differences:
                if d.quantity == quantity and d.name == name:
                    if (d.group_a, d.group_b) == (a, b):
                        return d, 1
                    if (d.group_a, d.group_b) == (b, a):
                        return d, -1
        return None, 1


#: Key findings in the executive summary at most; the body has the rest.
MAX_FINDINGS = 5


def _at_most(findings: list, k: int) -> list:
    """``findings`` cut to ``k``: findings that report no difference (codes ending in
    ``_similar``, and the ``change_flat`` family) leave first, the latest first; then the
    latest of the rest."""
    out = list(findings)
    while len(out) > k:
        quiet = [i for i, f in enumerate(out) if f.code.endswith("_similar")
                 or f.code.startswith("change_flat")]
        out.pop(quiet[-1] if quiet else -1)
    return out


def build_story(results: Results, fits: dict, market_weights=None) -> Story:
    """The story of ``results`` (see the module docstring). ``fits``: group key → the
    PLS result of that unit (for the index and importance draws); ``market_weights``:
    the study's ``report.market_weights``."""
    x = _Ctx(results, fits)
    levels = {c.item: list(c.levels) for c in results.comparisons}
    shares = market_shares(market_weights, levels)
    scorecard = _scorecard(x, shares) if x.sat and x.index(x.scope) is not None else None
    recs = _recommendations(x)
    findings = [f for f in (_position(x, scorecard), _spread(x, scorecard), _pairs(x),
                            _gaps(x), *_scores(x), *_changes(x), _complaints(x),
                            *_drivers(x), _segments(x))
                if f is not None]
    findings = _at_most(findings, MAX_FINDINGS)
    return Story(focus=x.focus, market=x.scope, item=x.item, construct=x.sat,
                 scorecard=scorecard, findings=findings, recommendations=recs,
                 more_levers=x.more_levers)


def _finding(code: str, requires: list[str], refs: list[str], **params: Any) -> Finding:
    return Finding(code=code, params=params, requires=requires, refs=refs)


# --- the scorecard (ACSI's table) ---------------------------------------------------------

def _line(x: _Ctx, group: Group) -> ScoreLine:
    row, before = x.index(group), None
    past = x.earlier(group)
    if past is not None:
        before = x.index(past)
    d = x.change(group, "index", x.sat)
    return ScoreLine(group=group, index=row.index, ci_lower=row.ci_lower,
                     ci_upper=row.ci_upper, n=row.n,
                     previous=before.index if before is not None else None,
                     change=d.difference if d is not None else None,
                     change_lower=d.ci_lower if d is not None else None,
                     change_upper=d.ci_upper if d is not None else None,
                     change_level=d.ci_level if d is not None else None,
                     significant=d.significant if d is not None and d.ci_lower is not None
                     else None)


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


# --- findings -----------------------------------------------------------------------------

def _position(x: _Ctx, card: Scorecard | None) -> Finding | None:
    """The satisfaction index of the focus: against the market and its rank (client), or
    the whole sample's with the spread between groups (no client)."""
    if x.sat is None or x.index(x.focus) is None:
        return None
    row = x.index(x.focus)
    base = dict(construct=x.sat, value=row.index, ci_lower=row.ci_lower,
                ci_upper=row.ci_upper, level=x.level, wave=x.r.headline.wave)
    noci = row.ci_lower is None
    if x.client and card is not None and card.rows:
        rank = next(r.rank for r in card.rows if r.group == x.focus)
        return _finding("client_position_noci" if noci else "client_position",
                        ["client", "groups>=2"],
                        ["scorecard"], group=x.focus, rank=rank, of=len(card.rows),
                        market=card.market.index, weighted=card.weights is not None, **base)
    if card is not None and card.rows:  # no client: the range of the groups
        top, low = card.rows[0], card.rows[-1]
        tested, sig = _pair_tests(x, {x.sat})
        code = "market_spread_noci" if noci else \
            "market_spread_nopair" if tested and not sig else "market_spread"
        return _finding(code,
                        ["groups>=2"], ["scorecard"], top=top.group, top_value=top.index,
                        low=low.group, low_value=low.index, **base)
    return _finding("market_position_noci" if noci else "market_position", [], ["scorecard"],
                    **base)


def _spread(x: _Ctx, card: Scorecard | None) -> Finding | None:
    """Without a client: whether the highest and the lowest group differ significantly
    (the numbers only when they do: a study of many groups shows the significant pairs)."""
    if x.client or card is None or len(card.rows) < 2:
        return None
    top, low = card.rows[0].group, card.rows[-1].group
    d, flip = x.difference("index", x.sat, top, low)
    if d is None or d.ci_lower is None:
        return None
    base = dict(construct=x.sat, top=top, low=low)
    if d.warranted is False:  # the body does not count it (†): neither a gap nor a tie
        return _finding("spread_unwarranted", ["groups>=2", "bootstrap"], [], **base)
    if not d.significant:
        return _finding("spread_similar", ["groups>=2", "bootstrap"], [], **base)
    lo, hi = sorted((flip * d.ci_lower, flip * d.ci_upper))
    return _finding("spread_gap", ["groups>=2", "bootstrap", "significant"],
                    ["index-differences"], gap=flip * d.difference, gap_lower=lo,
                    gap_upper=hi, level=d.ci_level, warranted=d.warranted, **base)


def _pairs(x: _Ctx) -> Finding | None:
    """Without a client: every significant index difference between the groups (the
    pairs MICOM warrants), largest first — the summary names the largest and counts the
    rest, which the group comparisons list. None when no pair was tested or none is
    significant (the spread finding then says what there is to say)."""
    if x.client or x.item is None:
        return None
    tested, sig = _pair_tests(x, set(x.r.model.index_constructs))
    if not sig:
        return None
    entries = []
    for d in sig:
        way = 1 if d.difference > 0 else -1  # the higher group first: a positive gap
        hi_g, lo_g = (d.group_a, d.group_b) if way > 0 else (d.group_b, d.group_a)
        glo, ghi = sorted((way * d.ci_lower, way * d.ci_upper))
        entries.append(dict(construct=d.name, high=hi_g, low=lo_g, warranted=d.warranted,
                            high_value=d.value_a if way > 0 else d.value_b,
                            low_value=d.value_b if way > 0 else d.value_a,
                            gap=abs(d.difference), gap_lower=glo, gap_upper=ghi,
                            level=d.ci_level))
    return _finding("pairs_significant", ["groups>=2", "bootstrap", "significant"],
                    ["index-differences"], entries=entries, tested=len(tested))


def _pair_tests(x: _Ctx, constructs: set[str]) -> tuple[list, list]:
    """The index differences between the groups of the study's grouping item over
    ``constructs`` that were tested (an interval, a pair MICOM does not refuse) and the
    significant ones, largest first."""
    comp = next((c for c in x.r.comparisons if c.item == x.item), None)
    if comp is None:
        return [], []
    tested = [d for d in comp.differences if d.quantity == "index" and d.name in constructs
              and d.ci_lower is not None and d.warranted is not False]
    sig = sorted((d for d in tested if d.significant), key=lambda d: -abs(d.difference))
    return tested, sig


def _gaps(x: _Ctx) -> Finding | None:
    """The client's significant index gaps to competitors, over every index construct
    and every pair MICOM warrants (a not-warranted pair is no gap to report): the
    deficits and the leads, each largest first. The summary names the three largest of
    each and counts the rest; the body's gap table lists them all."""
    if not (x.client and x.competitors):
        return None
    behind, ahead, tested = [], [], 0
    for c in x.r.model.index_constructs:
        for other in x.competitors:
            d, flip = x.difference("index", c, x.focus, other)
            if d is None or d.ci_lower is None:
                continue
            tested += 1
            if not d.significant or d.warranted is False:
                continue
            gap = flip * d.difference
            lo, hi = sorted((flip * d.ci_lower, flip * d.ci_upper))
            way = 1 if gap > 0 else -1  # the gap as the reader says it: never "by -8.0"
            glo, ghi = sorted((way * lo, way * hi))
            entry = dict(construct=c, other=other, value=d.value_a if flip == 1 else d.value_b,
                         other_value=d.value_b if flip == 1 else d.value_a, gap=abs(gap),
                         gap_lower=glo, gap_upper=ghi, level=d.ci_level, warranted=d.warranted)
            (ahead if gap > 0 else behind).append(entry)
    if not tested:
        return None
    behind.sort(key=lambda e: -e["gap"])
    ahead.sort(key=lambda e: -e["gap"])
    if not behind and not ahead:
        return _finding("gaps_none", ["client", "groups>=2", "bootstrap"], ["scorecard"],
                        group=x.focus)
    code = "gaps_mixed" if behind and ahead else "gaps_behind" if behind else "gaps_ahead"
    return _finding(code, ["client", "groups>=2", "bootstrap", "significant"],
                    ["gaps"], group=x.focus, behind=behind, ahead=ahead)


def _scores(x: _Ctx) -> list[Finding]:
    """NPS and each CSAT item of the focus: against the best competitor (client), or the
    whole sample's."""
    out = []
    measures = [("nps", s.item) for s in x.r.scores if s.measure == "nps" and s.group == x.focus]
    measures += [("csat", s.item) for s in x.r.scores if s.measure == "csat"
                 and s.group == x.focus and not s.pooled]
    for measure, item in measures:
        mine = x.score(measure, x.focus, item)
        if mine is None or mine.value is None:
            continue
        base = dict(measure=measure, item=item, group=x.focus, value=mine.value,
                    ci_lower=mine.ci_lower, ci_upper=mine.ci_upper, level=0.95)
        if not x.competitors:
            out.append(_finding(f"{measure}_all", [measure], [f"{measure}-table"], **base))
            continue
        others = [(g, s) for g in x.competitors if (s := x.score(measure, g, item)) is not None
                  and s.value is not None]
        if not others:
            continue
        best, top = max(others, key=lambda o: o[1].value)
        refs = [f"{measure}-table", f"{measure}-differences"]
        d, flip = x.difference(measure, item, x.focus, best)
        if d is None or d.ci_lower is None:
            continue  # untested: neither "ahead" nor "behind" is licensed
        # the body's row as it prints it (its pair, its direction): the summary quotes it
        base.update(pair_a=d.group_a, pair_b=d.group_b, pair_lower=d.ci_lower,
                    pair_upper=d.ci_upper)
        if top.value < mine.value:  # a lead is said only where its test says so
            lo, hi = sorted((flip * d.ci_lower, flip * d.ci_upper))
            code = f"{measure}_ahead" if d.significant else f"{measure}_ahead_similar"
            out.append(_finding(code, ["client", "groups>=2", measure]
                                + (["significant"] if d.significant else []), refs,
                                best=best, best_value=top.value, gap=flip * d.difference,
                                gap_lower=lo, gap_upper=hi, gap_level=d.ci_level, **base))
            continue
        lo, hi = sorted((-flip * d.ci_lower, -flip * d.ci_upper))
        code = f"{measure}_behind" if d.significant else f"{measure}_similar"
        out.append(_finding(code, ["client", "groups>=2", measure]
                            + (["significant"] if d.significant else []), refs,
                            best=best, best_value=top.value, gap=-flip * d.difference,
                            gap_lower=lo, gap_upper=hi, gap_level=d.ci_level, **base))
    return out


def _changes(x: _Ctx) -> list[Finding]:
    """The focus's significant changes since the previous wave (the two largest), or —
    where changes were tested — that none is, with the largest."""
    tr = x.r.trend
    if tr is None or not tr.previous:
        return []
    mine = [d for d in tr.changes if d.group_a == x.focus]
    tested = [d for d in mine if d.ci_lower is not None]
    if not tested:
        return []
    req, refs = ["waves>=2", "bootstrap"], ["changes"]

    def params(d) -> dict:
        return dict(group=x.focus, quantity=d.quantity, name=d.name, previous_wave=tr.previous,
                    before=d.value_b, after=d.value_a, change=d.difference,
                    ci_lower=d.ci_lower, ci_upper=d.ci_upper, level=d.ci_level,
                    warranted=d.warranted, adjusted=d.m > 1)
    # changes are ranked within one unit only: index points first, then NPS points, then
    # CSAT percentage points (a code of its own: "_pp"); "no change" names the unit it
    # compares within (the indices, the NPS alone, the CSAT items)
    unit = {"index": 0, "nps": 1, "csat": 2}

    def code(stem: str, d) -> str:
        if stem == "change_flat" and d.quantity in ("index", "nps"):
            return f"change_flat_{d.quantity}"
        return stem + ("_pp" if d.quantity == "csat" else "")
    sig = sorted((d for d in tested if d.significant),
                 key=lambda d: (unit.get(d.quantity, 3), -abs(d.difference)))
    if sig:
        return [_finding(code("change_up" if d.difference > 0 else "change_down", d),
                         req + ["significant"], refs, **params(d)) for d in sig[:2]]
    first = min(unit.get(d.quantity, 3) for d in tested)
    d = max((d for d in tested if unit.get(d.quantity, 3) == first),
            key=lambda d: abs(d.difference))
    return [_finding(code("change_flat", d), req, refs, **params(d))]


def _complaints(x: _Ctx) -> Finding | None:
    """Complainers' loyalty index against the others' in the focus (the complaints
    table's row of the focus), only where its test is significant (Holm-adjusted over
    the groups where there are several): the difference, its interval and the
    complaint rate, as the complaints page prints them."""
    a = (x.r.analytics or {}).get("complaints") or {}
    own = {k: v for k, v in x.focus.items() if k not in x.scope}
    row = next((r for r in a.get("rows") or [] if (r.get("group") or {}) == own), None)
    if row is None or not row.get("significant") or row.get("difference") is None \
            or row.get("ci_lower") is None:
        return None
    adjusted = sum(1 for r in a["rows"] if r.get("group")
                   and r.get("reason") != "no_answers") > 1 and bool(own)
    return _finding("complaints_lower" if row["difference"] < 0 else "complaints_higher",
                    ["significant"], ["complaints"], group=x.focus, loyalty=a["loyalty"],
                    rate=row["rate"], complainers=row["loyalty_complainers"],
                    others=row["loyalty_others"], ci_lower=row["ci_lower"],
                    ci_upper=row["ci_upper"], level=row.get("ci_level") or 0.95,
                    p_adj=row["pvalue_adj"], adjusted=adjusted)


def _drivers(x: _Ctx) -> list[Finding]:
    """The focus's own drivers: one that stands out (its lead over the next is larger than
    the lead's bootstrap uncertainty), several whose strongest cannot be told apart from
    the next (the one pair that was tested: nothing is said of the others), the only one,
    or none significant — never "strongest" for a tie, never "stands out" alone."""
    dr = x.r.drivers_of(x.focus)
    if dr is None:
        return []
    by = {r.construct: r for r in dr.constructs}
    actionable = [r for r in dr.constructs if r.actionable]
    tested = any(r.ci_lower is not None for r in actionable)
    refs = ["ipma-focus"]
    if not dr.priorities:
        return [_finding("drivers_none", ["bootstrap"], refs, group=x.focus, target=dr.target)] \
            if tested else []
    first = by[dr.priorities[0]]
    effect = dict(driver=first.construct, target=dr.target, importance=first.importance,
                  effect=first.total_std, ci_lower=first.ci_lower, ci_upper=first.ci_upper,
                  level=x.level, group=x.focus)
    if len(actionable) == 1:
        return [_finding("driver_only", ["drivers==1", "bootstrap", "significant"], refs,
                         **effect)]
    if dr.standout and len(dr.priorities) == 1:
        return [_finding("driver_single", ["drivers>=2", "bootstrap", "significant"], refs,
                         others=len(actionable) - 1, **effect)]
    if dr.standout:
        return [_finding("driver_standout", ["drivers>=2", "bootstrap", "significant"], refs,
                         second=dr.priorities[1], **effect)]
    return [_finding("drivers_similar", ["drivers>=2", "bootstrap", "significant"], refs,
                     drivers=list(dr.priorities), first=dr.priorities[0],
                     second=dr.priorities[1], target=dr.target, group=x.focus)]


def _segments(x: _Ctx) -> Finding | None:
    """Segments of the study's ``segments:`` that differ: each index a segment has
    significantly above or below the other respondents' (Holm-adjusted Welch tests, the
    segment page's table), largest first. Only where the segments are licensed: two or
    more, a classification that is not weak (no ``segments_weak_classification``), and
    at least one significant difference."""
    s = x.r.segments
    if s is None or s.chosen < 2 or any(d.code == "segments_weak_classification"
                                        for d in s.diagnostics):
        return None
    alpha, idx = x.r.settings.multiplicity.alpha, set(x.r.model.index_constructs)
    entries = [dict(segment=seg.segment, share=seg.share, construct=c["construct"],
                    mean=c["mean"], rest=c["rest"], diff=c["diff"], p_holm=c["p_holm"])
               for seg in s.segments for c in seg.contrasts
               if c.get("p_holm") is not None and c["p_holm"] < alpha
               and c.get("diff") is not None and c["construct"] in idx]
    if not entries:
        return None
    entries.sort(key=lambda e: -abs(e["diff"]))
    return _finding("segments_differ", ["segments", "significant"], ["segment-contrasts"],
                    k=s.chosen, method=s.method, entries=entries)


# --- recommendations ----------------------------------------------------------------------

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
    qualify = [i for i in sorted(levers, key=lambda i: (-i.importance, mine[i.item]))
               if mine[i.item] < mean and beaten(i.item)]
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
                                  step=STEP, impacts=impacts, refs=["actions", "ipma-focus"]))
    return out


# --- preconditions ------------------------------------------------------------------------

def holds(results: Results, requirement: str, finding: Finding | None = None) -> bool:
    """Does ``requirement`` (one of :data:`REQUIREMENTS`) hold in ``results`` — for
    ``finding``'s own numbers where it names some (``significant``)?"""
    story = results.story
    focus = story.focus if story is not None else results.headline.group
    if requirement == "client":
        return bool(results.study.client_group) and focus != results.headline.group
    if requirement == "groups>=2":
        return any(len(c.levels) >= 2 for c in results.comparisons)
    if requirement == "waves>=2":
        return results.trend is not None and results.trend.previous is not None
    if requirement == "bootstrap":
        return bool((results.settings.pls or {}).get("bootstrap"))
    if requirement == "segments":
        return results.segments is not None and results.segments.chosen >= 2
    dr = results.drivers_of(focus)
    n = sum(r.actionable for r in dr.constructs) if dr is not None else 0
    if requirement == "drivers>=2":
        return n >= 2
    if requirement == "drivers==1":
        return n == 1
    if requirement in ("nps", "csat"):
        return any(s.measure == requirement and s.group == focus for s in results.scores)
    if requirement == "significant":
        return finding is None or _significant(results, finding)
    raise ValueError(f"unknown requirement {requirement!r}; known: {', '.join(REQUIREMENTS)}")


def _significant(results: Results, f: Finding) -> bool:
    """Significant as the body counts it: an index difference between groups only where
    MICOM warrants it (``warranted`` not False), as the group comparisons count it."""
    p = f.params
    if f.code.startswith("gaps_") and f.code != "gaps_none":
        return all(e["gap_lower"] > 0 and e.get("warranted") is not False
                   for e in p["behind"] + p["ahead"])
    if f.code == "segments_differ":
        alpha = results.settings.multiplicity.alpha
        return bool(p["entries"]) and all(e["p_holm"] < alpha for e in p["entries"])
    if f.code == "pairs_significant":
        return bool(p["entries"]) and all(e["gap_lower"] > 0 and e.get("warranted") is not False
                                          for e in p["entries"])
    if f.code == "spread_gap":
        return p["gap_lower"] > 0 and p.get("warranted") is not False
    if f.code.startswith("complaints_"):
        return (p["ci_lower"] > 0 or p["ci_upper"] < 0) \
            and p["p_adj"] < results.settings.multiplicity.alpha
    if f.code.startswith(("change_up", "change_down")):
        return p["ci_lower"] > 0 or p["ci_upper"] < 0
    if f.code in ("nps_ahead", "csat_ahead"):
        return p["gap_lower"] > 0
    if f.code.endswith("_behind"):
        return p["gap_lower"] > 0 or p["gap_upper"] < 0
    if f.code.startswith("driver") and f.code != "drivers_none":
        dr = results.drivers_of(results.story.focus if results.story else
                                results.headline.group)
        return dr is not None and bool(dr.priorities)
    return True
