"""Drivers (IPMA): the importance–performance map of the story's focus, its reading,
the questions to act on first and each group's priorities."""
from __future__ import annotations

from ...study.results import Results
from .. import charts
from ..charts import data_uri
from ..i18n import and_list
from .common import Names

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
    elif main.priorities:
        # only the strongest and the next were tested against each other: say that of them
        first, second = main.priorities[0], main.priorities[min(1, len(main.priorities) - 1)]
        said = and_list([names[c] for c in main.priorities], t)
        reading = [t["no_standout"].format(names=said,
                                           first=names[first], second=names[second])]
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
    return {
        "ipma_note": note,
        "ipma_chart": data_uri(charts.ipma_chart([r.model_dump() for r in main.constructs],
                                                 names.constructs, t["importance"],
                                                 t["performance"])),
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
