"""The cleaning log: what was read, kept, excluded and why; every bad value."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..notes import Note

__all__ = ["Problem", "CleaningLog"]


@dataclass(frozen=True)
class Problem:
    """One value (or row) that is not what the questionnaire allows.

    ``row`` is the 1-based respondent row of the data file (1 = first response row);
    ``rule`` names the check: ``value`` (out of range, unparseable), ``relevance``,
    ``duration``, ``weight``.
    """

    row: int
    column: str
    value: Any
    message: str
    rule: str

    def to_dict(self) -> dict:
        d = asdict(self)
        v = d["value"]
        d["value"] = v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
        return d


@dataclass
class CleaningLog:
    """Accounting of one load: ``rows_read == rows_kept + sum(excluded.values())``."""

    source: str
    format: str
    encoding: str | None
    rows_read: int
    rows_kept: int
    excluded: dict[str, int]
    flagged: dict[str, int]
    rules_on: list[str]
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = self.rows_kept + sum(self.excluded.values())
        if total != self.rows_read:  # an internal fault, never the user's
            raise RuntimeError(f"cleaning log does not add up: {self.rows_read} read, {total} "
                               "kept or excluded")

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "excluded": dict(self.excluded),
            "flagged": dict(self.flagged),
            "rules_on": list(self.rules_on),
            "problems": [p.to_dict() for p in self.problems],
            "notes": [n.to_dict() for n in self.notes],
        }

    def set_missing(self, kept: "set[int] | None" = None) -> dict[str, int]:
        """Answers per column that were off the scale or unreadable and so became missing
        values (of the rows in ``kept``, 1-based; every row read when None)."""
        counts: dict[str, int] = {}
        for p in self.problems:
            if p.rule == "value" and (kept is None or p.row in kept):
                counts[p.column] = counts.get(p.column, 0) + 1
        return dict(sorted(counts.items()))

    def also_flag(self, rule: str, rows: list[int], problems: list[Problem], note: Note
                  ) -> "CleaningLog":
        """This log with ``rows`` (1-based, all kept so far) flagged under ``rule`` as
        well — and excluded when the rule is on — adding up as before."""
        excluded = dict(self.excluded)
        drop = len(rows) if rule in self.rules_on else 0
        if drop:
            excluded[rule] = excluded.get(rule, 0) + drop
        flagged = dict(self.flagged)
        flagged[rule] = flagged.get(rule, 0) + len(rows)
        return replace(self, rows_kept=self.rows_kept - drop, excluded=excluded,
                       flagged=flagged, problems=sorted(self.problems + problems,
                                                        key=lambda p: (p.row, p.column)),
                       notes=self.notes + [note])

    def problem_counts(self) -> dict[str, int]:
        """Problems by column, most first."""
        counts: dict[str, int] = {}
        for p in self.problems:
            counts[p.column] = counts.get(p.column, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
