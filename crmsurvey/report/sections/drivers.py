"""Drivers (IPMA): the importance–performance map of the story's focus, its reading,
the questions to act on first and each group's priorities."""
from __future__ import annotations

from ...study.results import Results
from .. import charts
from ..charts import data_uri
from ..._format import difference, num
from ..findings import level_text
from ..i18n import and_list
from .common import Names, measured_by

__all__ = ["drivers_context"]


def drivers_context(results: Results, names: Names, t: dict, lang: str) -> dict:
    """The IPMA of the story's focus (the client's group, or the whole sample), with the
    whole market's construct table as context when the focus is the client's."""
    scope = results.headline.group
    focus = results.story.focus if results.story is not None else scope
    main = results.drivers_of(focus) or results.drivers_of(scope)
    if main is None or not main.constructs:
        return {}
    market = results.drivers_of(scope) if main.group != scope else None
    recommended = {x.item for x in results.story.recommendations} \
        if results.story is not None and main.group == results.story.focus else set()
    sep = names.t["list_sep"]
    drivers = [r for r in main.constructs if r.actionable]
    # "below the others" is said of the drivers: the outcome is not among the others
    ref = drivers or main.constructs
    mp = sum(r.performance for r in ref) / len(ref)
    if len(drivers) == 1 and main.priorities:  # nothing to stand out from
        reading = [t["ipma_reading_only"].format(names=names[drivers[0].construct],
                                                 target=names[main.target])]
    elif main.standout:
        r = next(r for r in main.constructs if r.construct == main.standout)
        key = "ipma_reading_act" if r.performance < mp else "ipma_reading_keep"
        reading = [t[key].format(names=names[r.construct])]
        if main.lead_ci is not None and len(main.priorities) >= 2:
            # the lead the summary's "stands out" rests on, as no_standout_lead prints it
            reading.append(_lead(results, main, names, t, "standout_lead"))
    elif main.priorities:
        # only the strongest and the next were tested against each other: say that of them
        first, second = main.priorities[0], main.priorities[min(1, len(main.priorities) - 1)]
        said = and_list([names[c] for c in main.priorities], t)
        reading = [_no_standout(results, main, names, t, said)]
    else:
        reading = [t["no_driver"].format(target=names[main.target])]
    levers = {r.construct for r in main.constructs if r.actionable}
    weak = {r.construct for r in main.constructs if r.construct in main.priorities
            and r.performance < mp and len(drivers) > 1}
    lever_items = [i for i in main.items if i.construct in levers] or list(main.items)
    item_mean = (sum(i.performance for i in lever_items) / len(lever_items)) if lever_items else 0
    def tag(r) -> str:
        """What a construct that is not a driver is: the target itself, or (a mediator)
        the target's mediator."""
        if r.actionable:
            return ""
        if r.construct == main.target:
            return t["outcome_tag"]
        return t["mediator_tag"].format(target=names[main.target])

    # the chart's lines average what charts.ipma_chart averages: the drivers (every
    # construct shown when none is one), and only with two or more; the caption names
    # them and the constructs plotted but left out of the averages
    averaged = drivers or list(main.constructs)
    left_out = [r for r in main.constructs if r not in averaged]
    target = names[main.target]
    if len(averaged) < 2:
        note = t["ipma_note_one"].format(target=target)
    else:
        note = t["ipma_note_lines_not" if left_out else "ipma_note_lines"].format(
            target=target, averaged=and_list([names[r.construct] for r in averaged], t),
            others=and_list([names[r.construct] for r in left_out], t))
    # a point that is not a driver says so on the chart too (the table's tag, shortened)
    marks = {r.construct: names[r.construct] + (t["chart_outcome"] if r.construct == main.target
                                                else t["chart_mediator"])
             for r in main.constructs if not r.actionable}
    if marks and len(marks) < len(main.constructs):  # drawn hollow (charts.ipma_figure)
        note = t["sentence_sep"].join([note, t["ipma_note_context"].format(
            others=and_list([names[c] for c in marks], t), n=len(marks))])
    return {
        "ipma_note": note,
        # constructs with a path into the target that the map cannot show, and why
        "ipma_left_out": t["sentence_sep"].join(_left_out(results, main, names, t)),
        "ipma_chart": data_uri(charts.ipma_chart([r.model_dump() for r in main.constructs],
                                                 {**names.constructs, **marks},
                                                 t["importance"], t["performance"])),
        "ipma_reading": reading,
        "ipma_group": names.group(main.group),  # whose IPMA: the chart and the question table
        "ipma_rows": [dict(r.model_dump(), label=names[r.construct], tag=tag(r))
                      for r in main.constructs],
        "ipma_title": t["ipma_focus_title"].format(target=names[main.target],
                                                   group=names.group(main.group)),
        "ipma_market": {"title": t["ipma_market_title"].format(target=names[market.target]),
                        "rows": [dict(r.model_dump(), label=names[r.construct], tag=tag(r))
                                 for r in market.constructs]} if market else None,
        # "act first": the questions the summary recommends, where it recommends some
        "item_rows": [dict(r.model_dump(), label=names[r.construct],
                           question=names.question_row(r.item),
                           act=r.item in recommended if recommended else
                           r.construct in weak and r.performance < item_mean)
                      for r in sorted(main.items, key=lambda r: -r.importance)
                      if r.construct in levers],
        "item_note": "item_ipma_note_actions" if recommended else "item_ipma_note",
        "ipma_reversed_note": names.reversed_note(r.item for r in main.items
                                                  if r.construct in levers),
        "group_drivers": [{"label": names.group(d.group),
                           "priorities": and_list([names[c] for c in d.priorities], t)
                           or t["none"],
                           "standout": names[d.standout] if d.standout else t["none"]}
                          for d in results.drivers if d.group != scope]}


def _no_standout(results: Results, main, names: Names, t: dict, said: str) -> str:
    """No driver stands out: the strongest and the next, with the lead's bootstrap
    interval where it was tested (the interval the summary's tie rests on)."""
    first, second = main.priorities[0], main.priorities[min(1, len(main.priorities) - 1)]
    if main.lead_ci is None or first == second:
        return t["no_standout"].format(names=said, first=names[first], second=names[second])
    return _lead(results, main, names, t, "no_standout_lead", said)


def _lead(results: Results, main, names: Names, t: dict, key: str, said: str = "") -> str:
    """The strongest driver's lead over the next with its bootstrap interval, worded by
    ``key`` (a tie: ``no_standout_lead``; a driver that stands out: ``standout_lead``)."""
    first, second = main.priorities[:2]
    by = {r.construct: r for r in main.constructs}
    lo, hi = main.lead_ci
    level = level_text(1 - results.settings.multiplicity.alpha)
    return t[key].format(
        names=said, first=names[first], second=names[second], level=level,
        # the lead beside the table's two printed effects is their printed difference
        lead=difference(abs(by[first].total_std), abs(by[second].total_std), 3),
        lo=num(lo, 3), hi=num(hi, 3))


def _left_out(results: Results, main, names: Names, t: dict) -> list[str]:
    """Why a construct with a path into the target is not in the map or the table: it
    has no 0–100 index, so no performance (a yes/no question, e.g. complaints)."""
    paths = results.model.paths
    ancestors, todo = set(), [main.target]
    while todo:  # every construct with a chain of paths into the target
        here = todo.pop()
        for lhs, rhs in paths:
            if lhs == here and rhs not in ancestors:
                ancestors.add(rhs)
                todo.append(rhs)
    shown = {r.construct for r in main.constructs}
    return [t["ipma_left_out_binary" if measured_by(results.model, c) == "binary"
              else "ipma_left_out"].format(construct=names[c], target=names[main.target])
            for c in results.model.constructs if c in ancestors - shown]
