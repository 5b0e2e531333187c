"""The executive summary's findings: three to five sentences written from the results,
each backed by a number with its interval, from the catalogue's sentence templates
(``finding:`` keys, see :mod:`crmsurvey.report.i18n`) —
and a plain statement instead of a finding wherever the statistics do not support one.

The focus is the client's group in the current wave (``report.client_group``), or the
whole sample of the current wave when the study names no client.
"""
from __future__ import annotations

from ..study.results import Difference, Results, group_key
from .i18n import sentences

__all__ = ["findings"]


def _n(x: float | None, digits: int = 1, sign: bool = False) -> str:
    if x is None:
        return "–"
    if round(x, digits) == 0:  # no "-0.0" or "+0.0"
        return f"{0.0:.{digits}f}"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def findings(results: Results, names, level: str) -> list[str]:
    """Three to five sentences for the executive summary (see the module docstring).
    ``names``: the report's :class:`~crmsurvey.report.context.Names`."""
    lang, labels, item_text = names.lang, names, names.question
    s = sentences(lang)
    sep = "、" if lang == "zh-CN" else ", "
    head = results.headline
    scope = head.group
    sat = next((c for c in results.model.index_constructs if "sat" in c.lower()),
               (results.model.index_constructs or [None])[0])
    client = results.study.client_group
    focus_group = {**client, **scope} if client and results.index_of(
        {**client, **scope}, sat) else scope
    name = names.group
    focus = name(focus_group, scope) if focus_group != scope else s["everyone"]
    when = s["when"].format(wave=head.wave) if head.wave else ""
    out: list[str] = []
    if sat is None:
        return out
    row, market = results.index_of(focus_group, sat), results.index_of(scope, sat)
    if row is not None and focus_group != scope:
        key = "position" if row.ci_lower is not None else "position_noci"
        position = s[key].format(when=when, focus=focus, construct=labels[sat],
                                        value=_n(row.index), level=level,
                                        lo=_n(row.ci_lower), hi=_n(row.ci_upper),
                                        market=_n(market.index))
        versus = _versus(results, s, sep, focus_group, sat, name, scope, focus)
        out.append(position + (" " if lang != "zh-CN" and versus else "") + versus)
    elif market is not None:
        key = "position_all" if market.ci_lower is not None else "position_all_noci"
        out.append(s[key].format(when=when, construct=labels[sat],
                                            value=_n(market.index), level=level,
                                            lo=_n(market.ci_lower), hi=_n(market.ci_upper))
                   + (" " if lang != "zh-CN" else "") + _spread(results, s, sat, name, labels))
    nps = {(x.measure, group_key(x.group)): x for x in results.scores if not x.pooled}
    mine, all_ = nps.get(("nps", group_key(focus_group))), nps.get(("nps", group_key(scope)))
    if mine is not None and focus_group != scope and all_ is not None:
        out.append(s["nps"].format(focus=focus, value=_n(mine.value), level="95%",
                                   lo=_n(mine.ci_lower), hi=_n(mine.ci_upper),
                                   market=_n(all_.value)))
    if results.trend is not None and results.trend.previous:
        out.append(_change(results, s, focus_group, focus, labels, level))
    drivers = results.drivers_of(focus_group) or results.drivers_of(scope)
    if drivers is not None:
        out += _drivers(s, sep, drivers, labels, level, item_text)
    return [x[0].upper() + x[1:] for x in out if x][:5]


def _versus(results, s, sep, focus_group, sat, name, scope, focus) -> str:
    rows = [d for c in results.comparisons for d in c.differences
            if d.quantity == "index" and d.name == sat and focus_group in (d.group_a, d.group_b)]
    ahead, behind, level_with = [], [], []
    for d in rows:
        other, flip = (d.group_b, 1) if d.group_a == focus_group else (d.group_a, -1)
        # the gap as the reader says it: "behind B by 10.9 points", never "by -10.9"
        gap = flip * d.difference
        way = 1 if gap > 0 else -1
        ends = [None if v is None else way * flip * v for v in (d.ci_lower, d.ci_upper)]
        lo, hi = sorted(ends) if None not in ends else ends
        text = s["gap"].format(name=name(other, scope), diff=_n(abs(gap)),
                               lo=_n(lo), hi=_n(hi))
        if not d.significant:
            level_with.append(name(other, scope))
        elif gap > 0:
            ahead.append((-abs(gap), text))
        else:
            behind.append((-abs(gap), text))

    def listed(gaps: list) -> str:
        """The largest gaps first; beyond three, how many more (a study of many groups)."""
        texts = [x for _, x in sorted(gaps, key=lambda g: g[0])]
        if len(texts) <= 3:
            return sep.join(texts)
        return s["and_more"].format(names=sep.join(texts[:3]), k=len(texts) - 3)
    parts = []
    if ahead:
        parts.append(s["ahead"].format(focus=focus, names=listed(ahead)))
    if behind:
        parts.append(s["behind"].format(focus=focus, names=listed(behind)))
    if len(level_with) > 3:
        parts.append(s["level_with_n"].format(focus=focus, n=len(level_with)))
    elif level_with:
        parts.append(s["level_with"].format(focus=focus, names=sep.join(level_with)))
    return s["joined"].format(parts=s["semi"].join(parts)) if parts else ""


def _spread(results, s, sat, name, labels) -> str:
    """Without a client: the significant gaps between groups, or that there are none."""
    rows = [d for c in results.comparisons for d in c.differences
            if d.quantity == "index" and d.name == sat]
    if not rows:
        return ""
    sig = [d for d in rows if d.significant]
    if not sig:
        return s["no_gap"].format(construct=labels[sat])
    parts = []
    for d in sig:
        lead, lag, diff = (d.group_a, d.group_b, d.difference) if d.difference > 0 else \
            (d.group_b, d.group_a, -d.difference)
        lo, hi = (d.ci_lower, d.ci_upper) if d.difference > 0 else (-d.ci_upper, -d.ci_lower)
        parts.append(s["ahead"].format(focus=name(lead), names=s["gap"].format(
            name=name(lag), diff=_n(diff, sign=True), lo=_n(lo, sign=True),
            hi=_n(hi, sign=True))))
    return s["joined"].format(parts=s["semi"].join(parts))


def _change(results, s, focus_group, focus, labels, level) -> str:
    tr = results.trend
    mine = [d for d in tr.changes if d.group_a == focus_group]
    if not mine:
        return ""

    def what(d: Difference) -> str:
        return labels[d.name] if d.quantity == "index" else d.quantity.upper()

    sig = sorted((d for d in mine if d.significant), key=lambda d: -abs(d.difference))
    if sig:
        out = []
        for d in sig[:2]:
            out.append(s["change_sig"].format(
                prev=tr.previous, what=f"{focus} · {what(d)}",
                direction=s["rose"] if d.difference > 0 else s["fell"],
                diff=_n(abs(d.difference)), level=_level(d),
                lo=_n(d.ci_lower, sign=True), hi=_n(d.ci_upper, sign=True)))
            if d.warranted is False:
                out[-1] += s["caveat"].format(construct=what(d))
        return " ".join(out)
    tested = [d for d in mine if d.ci_lower is not None]  # "no significant change" only
    if not tested:                                        # where a change was tested
        return ""
    d = max(tested, key=lambda d: abs(d.difference))
    return s["change_none"].format(focus=focus, prev=tr.previous, what=what(d),
                                   diff=_n(d.difference, sign=True),
                                   level=_level(d),
                                   lo=_n(d.ci_lower, sign=True), hi=_n(d.ci_upper, sign=True))


def _level(d: Difference) -> str:
    """The level of a difference's own interval (Holm's step level for a wave change):
    ``95%``, ``98.3%``."""
    return f"{100 * d.ci_level:.1f}".removesuffix(".0") + "%"


def _drivers(s, sep, drivers, labels, level, item_text) -> list[str]:
    target = labels[drivers.target]
    by = {r.construct: r for r in drivers.constructs}
    if not drivers.priorities:
        tested = any(r.ci_lower is not None for r in drivers.constructs if r.actionable)
        return [s["no_driver"].format(target=target)] if tested else []  # untested: no claim
    first = by[drivers.priorities[0]]
    actionable = [r for r in drivers.constructs if r.actionable]
    if len(actionable) == 1:  # no other driver to stand out from or to perform below
        return _only_driver(s, first, target, level, drivers, labels, item_text)
    out = []
    if drivers.standout:
        out.append(s["standout"].format(driver=labels[first.construct], target=target,
                                        importance=_n(first.importance, 2),
                                        effect=_n(first.total_std, 2), level=level,
                                        lo=_n(first.ci_lower, 2), hi=_n(first.ci_upper, 2)))
    else:
        out.append(s["several"].format(drivers=sep.join(labels[c] for c in drivers.priorities),
                                       target=target, first=labels[first.construct],
                                       effect=_n(first.total_std, 2), level=level,
                                       lo=_n(first.ci_lower, 2), hi=_n(first.ci_upper, 2)))
    # the drivers' average: the outcomes (not actionable) are not drivers
    mean = sum(r.performance for r in actionable) / len(actionable)
    weak = [by[c] for c in drivers.priorities if by[c].performance < mean]
    if weak:
        r = weak[0]
        items = sorted((i for i in drivers.items if i.construct == r.construct),
                       key=lambda i: i.performance)
        if items:
            out.append(s["act"].format(driver=labels[r.construct], target=target,
                                       performance=_n(r.performance),
                                       question=item_text(items[0].item),
                                       item_performance=_n(items[0].performance)))
    else:
        out.append(s["keep"].format(driver=labels[first.construct],
                                    performance=_n(first.performance)))
    return out


def _only_driver(s, r, target, level, drivers, labels, item_text) -> list[str]:
    """The one actionable driver: its effect, and where it scores lowest — never that it
    "stands out" or performs below "the other drivers" (there are none)."""
    out = [s["only"].format(driver=labels[r.construct], target=target,
                            importance=_n(r.importance, 2), effect=_n(r.total_std, 2),
                            level=level, lo=_n(r.ci_lower, 2), hi=_n(r.ci_upper, 2))]
    items = sorted((i for i in drivers.items if i.construct == r.construct),
                   key=lambda i: i.performance)
    if items:
        out.append(s["only_perf"].format(driver=labels[r.construct],
                                         performance=_n(r.performance),
                                         question=item_text(items[0].item),
                                         item_performance=_n(items[0].performance)))
    return out
