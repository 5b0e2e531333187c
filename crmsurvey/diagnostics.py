"""One convention for trouble: a :class:`Diagnostic` — a stable code, a severity, a
plain sentence and what it concerns — kept on every result (PLS, CB-SEM, group
comparisons, invariance), raised as the matching :class:`~crmsurvey.errors.CrmWarning`
subclass, and worded in reports by its code: each language's catalogue entry
``diagnostic:<code>``, its ``{placeholders}`` filled from the diagnostic's named ``params``
(:func:`diagnostic_text`), exactly as a :class:`~crmsurvey.notes.Note` is. ``message``
stays the estimator's own English sentence, for logs and Python warnings.

Severities: ``error`` — the estimates cannot be trusted (no convergence, an improper or
unidentified solution, a model that could not be fitted); ``warning`` — usable with
care (a negative weight voids an index, failed resamples were left out); ``info`` —
something done that the reader should know.
"""
from __future__ import annotations

import os
import string
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from .errors import (ConvergenceWarning, CrmWarning, DataWarning, EstimationWarning,
                     IndexWarning)

__all__ = ["Diagnostic", "diagnostic_text", "warn_all", "WARNING_CLASS"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem found by an estimator or a check.

    Examples
    --------
    >>> d = Diagnostic("negative_weight", "item 'q3' has a negative outer weight",
    ...                concerns=("q3", "QUAL"),
    ...                params={"item": "q3", "construct": "QUAL", "weight": -0.12})
    >>> d.severity, WARNING_CLASS[d.code].__name__
    ('warning', 'IndexWarning')
    >>> diagnostic_text(d)
    'The outer weight of q3 in QUAL is negative (-0.120), so the 0–100 index of QUAL is not valid.'
    """

    code: str
    message: str
    severity: Severity = "warning"
    concerns: tuple[str, ...] = ()
    #: The named values the catalogue's wording of ``code`` is filled with (JSON values:
    #: text, numbers, lists of text); not part of equality (``message`` says the same).
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", {k: _plain(v) for k, v in self.params.items()})

    def text(self, lang: str = "en") -> str:
        """This diagnostic worded by the catalogue of ``lang``."""
        return diagnostic_text(self, lang)


def _plain(value: Any) -> Any:
    """A parameter as a JSON value (numpy scalars as Python numbers, tuples as lists)."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class _Numbers(string.Formatter):
    """``str.format`` whose numbers take the locale's decimal and minus sign (inside
    :func:`crmsurvey._format.number_locale`, as a report is rendered), and never show a
    sign when they round to zero (``0.000``, not ``-0.000``)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return text
        from ._format import _local

        if text.startswith("-") and not any(c in "123456789" for c in text):
            text = text[1:]
        return _local(text)


_NUMBERS = _Numbers()


def diagnostic_text(diagnostic: Any, lang: str = "en",
                    labels: Mapping[str, str] | None = None) -> str:
    """The wording of ``diagnostic`` (a :class:`Diagnostic`, its record in the results,
    or a mapping with ``code``, ``params`` and ``message``) in ``lang``: the catalogue
    entry ``diagnostic:<code>`` with its placeholders filled from the parameters (lists
    joined with the language's separator). A diagnostic raised inside one group of a
    multi-group fit (parameter ``in_group``) is prefixed with that group
    (``diagnostic_in_group``). A record of an older run without the parameters its
    wording needs keeps its English ``message``. ``labels``: display names for values
    that are ids (a report passes its constructs' labels in the language)."""
    from ._catalogue import catalogue, plural_form

    get = diagnostic.get if isinstance(diagnostic, Mapping) else \
        lambda k, default=None: getattr(diagnostic, k, default)
    code, params = get("code"), dict(get("params") or {})
    t = catalogue(lang)
    sep = t["list_sep"]
    labels = labels or {}

    def shown(v):
        return labels.get(v, v) if isinstance(v, str) else v

    filled = {k: sep.join(str(shown(x)) for x in v) if isinstance(v, list) else shown(v)
              for k, v in params.items()}
    template = t.get(f"diagnostic:{code}")
    try:
        text = _NUMBERS.format(plural_form(template, filled), **filled)  # "1 stratum has"
    except (AttributeError, KeyError, IndexError, ValueError, TypeError):
        return str(get("message") or code)
    if params.get("in_group") is not None:
        text = t["diagnostic_in_group"].format(group=params["in_group"], text=text)
    return text


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
