"""What every part of the story looks up once: the focus (the client's group in the
headline wave, or the whole sample), its competitors, and the results' rows of a group."""
from __future__ import annotations

from ..results import Group, Results

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
        #: what the recommendation rule found (set by _recommendations): the lever
        #: constructs, and the questions below the best competitor
        self.levers: dict | None = None

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

