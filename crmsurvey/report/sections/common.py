"""What several report sections share: display names in the report's language
(:class:`Names`), the p-value floors and shown differences of a table row, a CSAT rule
in words, the headline scope and a chart series' look by group."""
from __future__ import annotations

from ..._format import num, shown_difference
from ...errors import escape_controls
from ...notes import note_text
from ...study.results import Group, Results, group_key
from .. import charts
from ..filters import text_in
from ..i18n import and_list

__all__ = ["Names", "box_rule", "decisive_digits", "diff_row", "floors", "group_styles",
           "left_out", "measured_by", "within"]


class Names:
    """Display names in the report's language: constructs, groups (with the study's
    localised level names, shown within a scope), items' wording."""

    def __init__(self, results: Results, lang: str, t: dict):
        self.lang, self.t = lang, t
        # a language the questionnaire lacks: its English text, else its first language's
        self.languages = results.study.languages
        self.constructs = {c: self.text(v) for c, v in results.model.labels.items()}
        self.levels = results.study.group_labels
        self.group_names = results.study.group_names
        self.items = results.model.items
        self.scope = results.headline.group
        # the workbook beside this report, as pipeline.rerender names it: tables.xlsx in
        # the results' own language, tables.<lang>.xlsx in another
        self.workbook = ("tables.xlsx" if lang == getattr(results.study, "language", lang)
                         else f"tables.{lang}.xlsx")

    def text(self, value) -> str:
        """A text mapping of the questionnaire or the study in the report's language
        (:func:`crmsurvey.report.filters.text_in`)."""
        return text_in(value, self.lang, self.languages)

    def __getitem__(self, construct: str) -> str:
        return self.constructs.get(construct, construct)

    def get(self, construct: str, default=None) -> str:
        return self.constructs.get(construct, default if default is not None else construct)

    def level(self, item: str, value: str) -> str:
        """A group level's display name; control characters a name from the data may
        carry are shown as escapes (no font has them)."""
        text = self.levels.get(item, {}).get(value)
        return escape_controls(self.text(text) if text else value)

    def group(self, group: Group, scope: Group | None = None) -> str:
        """``group`` named within ``scope`` (default: the headline's): the levels that
        are not the scope's own, or "all respondents"."""
        scope = self.scope if scope is None else scope
        parts = [self.level(k, v) for k, v in group.items() if scope.get(k) != v]
        wave = [k for k in group if scope.get(k) != group[k]]
        # a year-like wave as the language writes it ("2026年"): the catalogue's wave_label
        parts = [self.t["wave_label"].format(wave=p) if p.isdigit() and len(p) == 4
                 and k in wave else p for p, k in zip(parts, wave)]
        return " · ".join(parts) or self.t["all"]

    def question(self, item: str) -> str:
        info = self.items.get(item)
        return self.text(info.text) if info and info.text else item

    def question_row(self, item: str) -> str:
        """A question as a table of figures names it: marked where it is reverse-keyed
        (its figures are on the reversed scale, under its original wording)."""
        info = self.items.get(item)
        text = self.question(item)
        return self.t["item_reversed"].format(question=text) if info and info.reverse \
            else text

    def reversed_note(self, items) -> str:
        """The table note for reverse-keyed questions among ``items`` ("" if none)."""
        return self.t["items_reversed_note"] if any(
            getattr(self.items.get(i), "reverse", False) for i in items) else ""

    def group_name(self, item: str) -> str:
        """A group item's name for headings: the study's ``report.group_names`` in the
        report's language, else the item's text in the questionnaire."""
        name = self.group_names.get(item)
        return escape_controls(self.text(name)) if name else self.question(item)


def floors(row: dict, p: str = "pvalue", res: str = "p_resolution",
            adj: str = "pvalue_adj", prefix: str = "p") -> dict:
    """``row`` with the floors its p-values are printed against (``pval(v, floor)``): a
    p-value from B resamples at its floor 1/B reads ``< 1/B``, and its adjusted value
    ``< `` that value adjusted."""
    floor, v = row.get(res), row.get(p)
    at = floor is not None and v is not None and v <= floor * (1 + 1e-9)
    return {**row, f"{prefix}_floor": floor, f"{prefix}_adj_floor": row.get(adj) if at else None}


def diff_row(d, **extra) -> dict:
    """A difference's row with ``difference_shown``: ``value_a − value_b`` as the report
    prints it beside the two figures (the difference of the rounded figures,
    :func:`crmsurvey._format.shown_difference`); its interval and test stay the
    estimate's."""
    return dict(d.model_dump(), difference_shown=shown_difference(d.value_a, d.value_b),
                **extra)


def box_rule(results: Results, item: str, top, t: dict, key: str = "box_rule",
         label: str | None = None) -> str:
    """A CSAT rule as the reader says it: ``sat1 (top-2 box: 9–10)``; ``key="csat_box"``:
    without the item, ``top-2 box, 9–10``."""
    info = results.model.items.get(item)
    high = info.max if info is not None else None
    if top is None or high is None:
        return item
    k = int(round(high - top)) + 1
    name = t["box_1"] if k == 1 else t["box_2"] if k == 2 else t["box_n"].format(k=k)
    span = f"{high:g}" if k == 1 else f"{top:g}–{high:g}"
    return t[key].format(item=label or item, box=name, span=span)


def waves_compared(results: Results) -> bool:
    """Does the study have two waves or more (a previous wave to compare with)? A wave
    item of one level is a cross-section: nothing about waves is said."""
    tr = results.trend
    return tr is not None and tr.previous is not None and len(tr.waves) >= 2


def within(results: Results, group: Group) -> bool:
    """``group`` is the headline scope or one of its groups (same wave)."""
    scope, wave = results.headline.group, results.settings.waves
    if any(group.get(k) != v for k, v in scope.items()):
        return False
    return bool(scope) or wave is None or wave not in group


def measured_by(model, construct: str) -> str | None:
    """``"binary"`` or ``"single"`` for a construct of one question (a yes/no item, or
    any other), whose α, ρ and AVE are 1 by construction and say nothing; None
    otherwise."""
    items = model.constructs.get(construct, [])
    if len(items) != 1:
        return None
    info = model.items.get(items[0])
    rated = info is not None and info.min is not None and info.max is not None \
        and info.max - info.min > 1
    return "single" if rated else "binary"


def group_styles(results: Results, keys) -> dict[str, dict]:
    """Each chart series' look (colour, marker, line style) from the group it shows, the
    wave left aside: the whole sample first, then the client, then the other groups in
    the order of the results — the same for a group in every chart of the report."""
    wave = results.settings.waves
    rest = lambda g: {k: v for k, v in g.items() if k != wave}  # noqa: E731
    client = results.study.client_group or {}
    order = [{}] + ([client] if client else []) + [rest(r.group) for r in results.indices
                                                     if not r.pooled]
    look = charts.series_styles(list(dict.fromkeys(group_key(g) for g in order)))
    groups = {group_key(r.group): group_key(rest(r.group)) for r in results.indices}
    return {k: look[k] if k in look else look[groups[k]] for k in keys
            if k in look or groups.get(k) in look}


def left_out(results: Results, names: Names, t: dict) -> str:
    """The note beside a table of the headline wave's groups that names the groups it
    leaves out and why ("18-29 and 30-44 are not shown: fewer than 50 respondents"), one
    sentence per reason; "" when every group is shown."""
    scope, wave = results.headline.group, results.settings.waves
    by_reason: dict[str, list[str]] = {}
    for skip in results.skipped:
        g = skip.group
        if any(g.get(k) != v for k, v in scope.items()) \
                or not [k for k in g if k not in scope and k != wave]:
            continue  # another wave's group, or a wave itself
        params = dict(skip.reason.params)
        if "constructs" in params:
            params["constructs"] = [names[c] for c in params["constructs"]]
        why = note_text({"code": skip.reason.code, "params": params}, names.lang)
        by_reason.setdefault(why, []).append(names.group(g))
    return t["sentence_sep"].join(
        t["groups_left_out"].format(groups=and_list(groups, t), reason=why, n=len(groups))
        for why, groups in by_reason.items())


def decisive_digits(value, bound, least: int = 4, most: int = 8) -> int:
    """The decimals to print ``value`` and ``bound`` with so that the printed pair shows
    which is larger: ``least``, or the fewest beyond it at which the two printed figures
    differ (``most`` when they agree even there). Rounding keeps order, so printed
    figures that differ are ordered as the values are (MICOM's c and its 5% quantile).

    >>> decisive_digits(0.998255, 0.998322), decisive_digits(0.99991, 0.98528)
    (5, 4)
    """
    if value is None or bound is None:
        return least
    for digits in range(least, most):
        if num(value, digits) != num(bound, digits):
            return digits
    return most
