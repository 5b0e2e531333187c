"""The finding builders: each reads the results through :class:`~.context._Ctx` and
returns coded findings (:func:`~.records._finding`) — the focus's position, the spread
and the significant pairs between groups, the client's gaps, NPS and CSAT, changes
since the last wave, complaints, drivers and segments. Nothing here is wording."""
from __future__ import annotations

from ..results import Finding, Scorecard
from .context import _Ctx
from .records import _finding

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
        # a pair MICOM does not warrant was not tested: "no tested pair" then
        comp = next((c for c in x.r.comparisons if c.item == x.item), None)
        untested = comp is not None and any(
            d.quantity == "index" and d.name == x.sat and d.warranted is False
            for d in comp.differences)
        code = "market_spread_noci" if noci else \
            ("market_spread_nopair" + ("_untested" if untested else "")) \
            if tested and not sig else "market_spread"
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
    # a change MICOM between the waves does not warrant (the body's †) is neither a
    # change nor "no change": left out, as the group comparisons leave such pairs out
    tested = [d for d in mine if d.ci_lower is not None and d.warranted is not False]
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


def _weakest(x: _Ctx) -> Finding | None:
    """Without a client: the group where the strongest lever's index is lowest, where it
    is significantly below another group (the largest such gap of the pairs MICOM
    warrants, as the group comparisons print it). None where the lowest group differs
    significantly from none (the point estimate alone is no finding)."""
    dr = x.r.drivers_of(x.focus)
    if x.client or dr is None or len(x.members) < 2:
        return None
    levers = [c for c in dr.priorities if c not in set(x.r.model.context)]
    if not levers:
        return None
    c = levers[0]
    rows = [(g, r.index) for g in x.members if (r := x.index(g, c)) is not None]
    if len(rows) < 2:
        return None
    low, low_value = min(rows, key=lambda t: t[1])
    found = []
    for g, v in rows:
        d, flip = x.difference("index", c, g, low)
        if g == low or d is None or d.ci_lower is None or not d.significant \
                or d.warranted is False or flip * d.difference <= 0:
            continue
        lo, hi = sorted((flip * d.ci_lower, flip * d.ci_upper))
        found.append(dict(high=g, high_value=v, gap=flip * d.difference, gap_lower=lo,
                          gap_upper=hi, level=d.ci_level, warranted=d.warranted))
    if not found:
        return None
    top = max(found, key=lambda e: e["gap"])
    return _finding("driver_weakest", ["groups>=2", "bootstrap", "significant"],
                    ["index-differences"], driver=c, low=low, low_value=low_value, **top)


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

