"""The CB-SEM result: lavaan-layout estimates, lavaan-definition fit, problems."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from .._format import json_safe
from ..diagnostics import Diagnostic
from ..notes import Note

__all__ = ["CBSEMSettings", "CBSEMResult"]


@dataclass(frozen=True)
class CBSEMSettings:
    estimator: str
    missing: str
    n: int
    n_dropped: int
    weighted: bool
    n_effective: float
    se: str  # "expected" (information), "robust.sandwich", "semopy", "bootstrap"
    bootstrap: int
    seed: int | None
    ci: float
    n_failed: int
    n_inadmissible: int
    group: str | None
    iterations: int
    semopy_version: str  # "" where semopy was not used
    version: str


@dataclass(frozen=True, eq=False)
class CBSEMResult:
    """What :func:`crmsurvey.cbsem` returns.

    ``estimates``: ``lhs, op, rhs, est, se, z, pvalue, ci_lower, ci_upper, std_lv,
    std_all`` (``group`` first for multi-group fits); ``fit``: a Series with lavaan's names;
    ``r2``: ``variable, r2``; ``admissible`` (lavaan's sense) and ``diagnostics`` say what
    went wrong; ``problems`` are their sentences; ``draws``: with a bootstrap, one row per
    resample and one column per free parameter (``lhs op rhs``), NaN rows for failures.
    """

    estimates: pd.DataFrame
    fit: pd.Series
    r2: pd.DataFrame
    admissible: bool
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[Note, ...]  # how the estimates were computed (codes; str() words them)
    settings: CBSEMSettings
    model: str
    groups: dict[str, "CBSEMResult"] = field(default_factory=dict)
    draws: pd.DataFrame | None = field(default=None, repr=False)
    _mi: Any = field(default=None, repr=False)

    @property
    def problems(self) -> tuple[str, ...]:
        """The diagnostics' sentences."""
        return tuple(d.message for d in self.diagnostics)

    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """lavaan's ``modindices``: ``lhs, op, rhs, mi, epc`` for parameters fixed to zero
        (cross-loadings, residual covariances), largest first."""
        if self._mi is None:
            raise ValueError("modification indices are computed for single-group ML fits")
        out = self._mi()
        return out[out.mi >= minimum].reset_index(drop=True)

    def summary(self):
        from .summary import Summary

        return Summary(self)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        s, f = self.settings, self.fit
        shown = [f"{k} {float(f[k]):.{0 if k == 'df' else 3}f}"
                 for k in ("chisq", "df", "cfi", "rmsea", "srmr") if k in f.index]
        group = f", groups by {s.group}" if s.group else ""
        return (f"<CBSEMResult: {s.estimator}, n = {s.n}{group}; {', '.join(shown)}; "
                f"{'admissible' if self.admissible else 'NOT admissible'}, "
                f"{len(self.diagnostics)} diagnostics — print(res.summary()) for the tables>")

    def to_dict(self) -> dict:
        return json_safe({
            "estimates": self.estimates.to_dict("records"),
            "fit": {k: v for k, v in self.fit.items()},
            "r2": self.r2.to_dict("records"),
            "admissible": self.admissible,
            "problems": list(self.problems),
            "diagnostics": [asdict(d) for d in self.diagnostics],
            "notes": [n.to_dict() for n in self.notes],
            "settings": asdict(self.settings),
            "model": self.model,
        })
