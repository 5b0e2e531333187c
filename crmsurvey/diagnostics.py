"""One convention for trouble: a :class:`Diagnostic` — a stable code, a severity, a
plain sentence and what it concerns — kept on every result (PLS, CB-SEM, group
comparisons, invariance), raised as the matching :class:`~crmsurvey.errors.CrmWarning`
subclass, and translated in reports by its code (the ``concerns`` fill the translation).

Severities: ``error`` — the estimates cannot be trusted (no convergence, an improper or
unidentified solution, a model that could not be fitted); ``warning`` — usable with
care (a negative weight voids an index, failed resamples were left out); ``info`` —
something done that the reader should know.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from typing import Iterable, Literal

from .errors import (ConvergenceWarning, CrmWarning, DataWarning, EstimationWarning,
                     IndexWarning)

__all__ = ["Diagnostic", "warn_all", "WARNING_CLASS"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem found by an estimator or a check.

    Examples
    --------
    >>> d = Diagnostic("negative_weight", "item 'q3' has a negative outer weight",
    ...                concerns=("q3", "QUAL"))
    >>> d.severity, WARNING_CLASS[d.code].__name__
    ('warning', 'IndexWarning')
    """

    code: str
    message: str
    severity: Severity = "warning"
    concerns: tuple[str, ...] = ()


#: The warning class each code is raised as (EstimationWarning for codes not listed).
WARNING_CLASS: dict[str, type[CrmWarning]] = {
    "non_convergence": ConvergenceWarning,
    "negative_weight": IndexWarning,
    "index_bounds": IndexWarning,
    "collinearity": DataWarning,
    "far_values": DataWarning,
    "set_missing": DataWarning,
    "small_sample": DataWarning,
    "sample_not_pd": DataWarning,
    "group_too_small": DataWarning,
    "weight_not_converged": ConvergenceWarning,
    "weight_target_empty": DataWarning,
    "weight_deff_high": DataWarning,
    "weight_negative": DataWarning,
    "weight_uncovered": DataWarning,
    "weight_missing": DataWarning,
}


def warn_all(diagnostics: Iterable[Diagnostic]) -> None:
    """Raise each diagnostic as its warning class, attributed to the first caller outside
    crmsurvey (the user's line, whichever entry point it came through)."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return
    level, frame = 2, sys._getframe(1)  # stacklevel 2 = the caller of warn_all
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    for d in diagnostics:
        warnings.warn(d.message, WARNING_CLASS.get(d.code, EstimationWarning),
                      stacklevel=level)
