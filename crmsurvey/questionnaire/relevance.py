"""Simple relevance conditions for sections: ``item op value`` joined by ``and``/``or``.

``op`` is one of ``== != < <= > >=`` or ``in [a, b]``. ``and`` binds tighter than ``or``.
Evaluated on a whole DataFrame at once; a condition on a missing answer is false.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas are imported only to evaluate (keeps validation fast)
    import numpy as np
    import pandas as pd

__all__ = ["Condition", "parse_relevance", "evaluate"]

_CMP = {"==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge,
        "<": operator.lt, ">": operator.gt}
_ATOM = re.compile(
    r"^\s*(?P<item>[A-Za-z_][\w\.]*)\s*(?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)"
    r"|\s+in\s*\[(?P<values>[^\]]*)\])\s*$"
)


@dataclass(frozen=True)
class Condition:
    item: str
    op: str
    values: tuple[float, ...]


def parse_relevance(text: str) -> list[list[Condition]]:
    """Parse into disjunctive normal form: a list (or) of lists (and) of conditions.

    Raises ValueError naming the part that cannot be read.
    """
    clauses = []
    for part in re.split(r"\s+or\s+", text.strip()):
        atoms = []
        for atom in re.split(r"\s+and\s+", part):
            m = _ATOM.match(atom)
            if not m:
                raise ValueError(f"cannot read condition {atom.strip()!r} "
                                 "(write e.g. 'q1 == 1' or 'q2 in [1, 2]')")
            if m.group("op"):
                atoms.append(Condition(m.group("item"), m.group("op"), (float(m.group("value")),)))
            else:
                try:
                    vals = tuple(float(v) for v in m.group("values").split(",") if v.strip())
                except ValueError:
                    raise ValueError(f"cannot read the list in {atom.strip()!r}") from None
                atoms.append(Condition(m.group("item"), "in", vals))
        clauses.append(atoms)
    return clauses


def evaluate(clauses: list[list[Condition]], data: pd.DataFrame) -> np.ndarray:
    """Boolean array: where the condition holds for each row of ``data``."""
    import numpy as np
    import pandas as pd

    out = np.zeros(len(data), dtype=bool)
    for clause in clauses:
        hold = np.ones(len(data), dtype=bool)
        for c in clause:
            col = pd.to_numeric(data[c.item], errors="coerce").to_numpy(dtype=float)
            if c.op == "in":
                hold &= np.isin(col, c.values)
            else:
                with np.errstate(invalid="ignore"):
                    hold &= _CMP[c.op](col, c.values[0]) & ~np.isnan(col)
        out |= hold
    return out
