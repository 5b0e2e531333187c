"""Data handed to an estimator beside a questionnaire: checked against it once.

``cs.pls(q, df)`` and ``cs.cbsem(q, df)`` with a raw DataFrame read the frame as
:func:`~crmsurvey.responses.load_responses` does with no screening rule on — special and
missing codes (98 "don't know") become missing, reverse-coded items are turned, answers
off the scale are set missing and said — so the estimates equal those from
``cs.pls(q, cs.load_responses(q, df, exclude=[]))``. Only the construct items need
columns; an unreadable frame (option numbers, two columns for one item, …) is refused by
the same checks, naming the column.
"""
from __future__ import annotations

import pandas as pd

from ..diagnostics import Diagnostic
from ..notes import short_list
from ..questionnaire import Questionnaire
from .load import CHECKED, Responses, load_responses

__all__ = ["checked_data", "is_checked"]


def is_checked(data) -> bool:
    """True for :class:`Responses` and frames taken from ``Responses.data`` (whose codes
    are applied already)."""
    if isinstance(data, Responses):
        return True
    return isinstance(data, pd.DataFrame) and bool(data.attrs.get(CHECKED))


def checked_data(questionnaire: Questionnaire, data, *, items=None
                 ) -> tuple[Responses | pd.DataFrame, list[Diagnostic]]:
    """``data`` checked against ``questionnaire``, and what the check set missing.

    Parameters
    ----------
    questionnaire : Questionnaire
    data : Responses or DataFrame
        Responses, and frames taken from ``Responses.data``, are returned as they are;
        any other DataFrame is read as raw answers (no row excluded).
    items : list of str, optional
        The items that must have a column (default: the construct items).

    Returns
    -------
    (Responses or DataFrame, list of Diagnostic)
        A ``set_missing`` diagnostic counts the answers off the scale or unreadable, by
        column (special and missing codes of the questionnaire are not counted: they are
        what the questionnaire says they are).

    Examples
    --------
    >>> import crmsurvey as cs
    >>> q = cs.load_questionnaire("ccsi")
    >>> raw = cs.simulate(q, 100, seed=2)
    >>> r, found = checked_data(q, raw)
    >>> bool(r.data["sat1"].max() <= 10), found
    (True, [])
    """
    if is_checked(data) or not isinstance(data, pd.DataFrame):
        return data, []
    if items is None:
        items = [i for c in questionnaire.definition.constructs.values() for i in c.items]
    r = load_responses(questionnaire, data, exclude=(), required=list(items))
    off = r.log.set_missing()
    found = [] if not off else [Diagnostic(
        "set_missing", f"{sum(off.values())} answer(s) off the scale or unreadable were set "
        "missing (" + ", ".join(f"{k} {v}" for k, v in list(off.items())[:8])
        + (", …" if len(off) > 8 else "") + "): see cs.load_responses(q, df).log.problems",
        concerns=tuple(off),
        params={"n": sum(off.values()), "items": short_list(off, 8)})]
    return r, found
