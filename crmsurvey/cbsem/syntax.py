"""Model syntax for CB-SEM: from a questionnaire, and the fixed error variance of
single-indicator factors."""
from __future__ import annotations

import pandas as pd

from ..errors import InputError
from ..notes import Note

__all__ = ["cbsem_syntax", "fix_single_indicators"]


def fix_single_indicators(syntax: str, data: pd.DataFrame,
                          reliability: dict[str, float]) -> tuple[str, list[str]]:
    """Fix the error variance of each item that alone measures a factor (unless the
    syntax sets it): ``item ~~ v*item`` with ``v = (1 − reliability) · var(item)``."""
    from .partable import parse_syntax

    indicators: dict[str, list[str]] = {}
    variances = set()
    for f in parse_syntax(syntax):
        if f.op == "=~":
            indicators.setdefault(f.lhs, []).append(f.rhs)
        elif f.op == "~~" and f.lhs == f.rhs:
            variances.add(f.lhs)
    lines, notes = [], []
    for factor, items in indicators.items():
        item = items[0]
        if len(items) != 1 or item in indicators or item in variances:
            continue
        rel = float(reliability.get(item, 1.0))
        if not 0 < rel <= 1:
            raise InputError(f"reliability of {item!r} must be in (0, 1], not {rel!r}")
        var = 0.0
        if rel < 1:
            if item not in data.columns:
                raise InputError(f"{item!r} is not a column of the data")
            var = (1 - rel) * float(pd.to_numeric(data[item], errors="coerce").var(ddof=0))
        lines.append(f"{item} ~~ {var:.10g}*{item}")
        notes.append(Note("cb_single_indicator", {"factor": factor, "item": item,
                                                  "variance": var, "reliability": rel}))
    return (syntax.rstrip("\n") + "\n" + "\n".join(lines) + "\n" if lines else syntax), notes


def cbsem_syntax(spec, *, paths: bool = True, min_items: int = 1) -> str:
    """lavaan syntax for CB-SEM from a ModelSpec or Questionnaire; composite (``<~``)
    blocks are refused — covariance-based SEM estimates common factors. A single-item
    construct stays a factor; :func:`cbsem` fixes its item's error variance.
    ``paths=False``: the measurement model alone (the factors correlated, as lavaan's
    ``cfa``), of the constructs with at least ``min_items`` items."""
    if hasattr(spec, "model_spec"):
        spec = spec.model_spec()
    composite = [c.name for c in spec.constructs if c.mode == "B"]
    if composite:
        raise InputError(f"construct {composite[0]!r} is composite ('<~'); CB-SEM fits "
                         "reflective factors only", hint="fit it with pls() instead")
    lines = [f"{c.name} =~ {' + '.join(c.items)}" for c in spec.constructs]
    if not paths:
        return "".join(f"{line}\n" for line, c in zip(lines, spec.constructs)
                       if len(c.items) >= min_items)
    by_outcome: dict[str, list[str]] = {}
    for lhs, rhs in spec.paths:
        by_outcome.setdefault(lhs, []).append(rhs)
    lines += [f"{lhs} ~ {' + '.join(r)}" for lhs, r in by_outcome.items()]
    return "\n".join(lines) + "\n"
