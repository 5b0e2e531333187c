"""Read a firm's transaction file (customer id, date, amount) with the same care as
responses: every row kept or excluded with a reason, every bad value listed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..notes import Note
from ..responses.log import CleaningLog, Problem
from ..responses.readers import RawTable, read_table
from .dates import parse_date, parse_dates

__all__ = ["Transactions", "load_transactions"]

REASONS = ("missing_customer", "bad_date", "future_date", "bad_amount", "negative_amount")


@dataclass(frozen=True, eq=False)
class Transactions:
    """Kept transactions (``customer, date, amount``), the reference date and the log."""

    frame: pd.DataFrame
    as_of: pd.Timestamp
    log: CleaningLog


def load_transactions(data: str | Path | pd.DataFrame, *, customer: str = "customer_id",
                      date: str = "date", amount: str = "amount", as_of=None,
                      encoding: str | None = None, sheet: str | int | None = None,
                      date_format: str | None = None, dayfirst: bool | None = None
                      ) -> Transactions:
    """Load transactions from CSV (GBK too), XLSX, Parquet or a DataFrame.

    Dates are read by :func:`crmsurvey.analytics.dates.parse_dates`: the format is
    decided on the whole column; a day/month column that could be read either way needs
    ``dayfirst`` (True: 03/04 is 3 April) or ``date_format``; times with a time-zone
    offset are converted to UTC (the log says so), and a column mixing times with and
    without an offset is refused. ``as_of`` is the analysis date (default: the day after
    the last transaction), read the same way; rows dated after it are excluded as
    ``future_date``. Amounts must be finite numbers (``inf`` is ``bad_amount``); negative
    amounts (returns, refunds) are excluded and listed: net them against their purchases
    before loading.
    """
    raw = (RawTable(data.reset_index(drop=True), "<DataFrame>", "dataframe")
           if isinstance(data, pd.DataFrame) else read_table(data, encoding=encoding, sheet=sheet))
    cols = [str(c) for c in raw.frame.columns]
    for role, col in (("customer", customer), ("date", date), ("amount", amount)):
        if col not in cols:
            raise InputError(f"missing the {role} column {col!r}", path=raw.source,
                             hint=f"columns are {', '.join(cols[:8])}; name it with "
                                  f"--{role} / {role}=...")
    f = raw.frame
    rows = np.arange(1, len(f) + 1)
    cust = f[customer].astype("string").str.strip()
    dates, notes = parse_dates(f[date], what=f"column {date!r}", source=raw.source,
                               date_format=date_format, dayfirst=dayfirst)
    amounts = pd.to_numeric(f[amount], errors="coerce").astype(float)
    amounts = amounts.where(np.isfinite(amounts))  # inf is no amount
    ref = parse_date(as_of, what="the analysis date (as_of, --as-of)",
                     date_format=date_format, dayfirst=dayfirst) if as_of is not None else (
        dates.max() + pd.Timedelta(days=1) if dates.notna().any()
        else pd.Timestamp.today().normalize())
    reason = pd.Series(pd.NA, index=f.index, dtype="object")
    checks = {  # reason: (column, rows, message); a row gets the first reason in REASONS
        "missing_customer": (customer, cust.isna() | (cust == ""), "no customer id"),
        "bad_date": (date, dates.isna(), "date cannot be read"),
        "future_date": (date, dates > ref, f"dated after the analysis date {ref.date()}"),
        "bad_amount": (amount, amounts.isna(), "amount is not a (finite) number"),
        "negative_amount": (amount, amounts < 0, "negative amount"),
    }
    for name in reversed(REASONS):
        reason[checks[name][1].fillna(False).to_numpy()] = name
    problems = []
    for i in np.flatnonzero(reason.notna().to_numpy()):  # the excluded rows only
        col, _, message = checks[reason.iloc[i]]
        value = f[col].iloc[i]
        problems.append(Problem(int(rows[i]), col, None if pd.isna(value) else str(value),
                                message, reason.iloc[i]))
    kept = reason.isna().to_numpy()
    frame = pd.DataFrame({"customer": cust[kept].to_numpy(), "date": dates[kept].to_numpy(),
                          "amount": amounts[kept].to_numpy(dtype=float)})
    log = CleaningLog(source=raw.source, format=raw.format, encoding=raw.encoding,
                      rows_read=len(f), rows_kept=int(kept.sum()),
                      excluded={r: int((reason == r).sum()) for r in REASONS},
                      flagged={}, rules_on=list(REASONS), problems=problems,
                      notes=[Note("analysis_date", {"date": ref.date().isoformat()}), *notes])
    return Transactions(frame, ref, log)
