"""Customer lifetime value: the textbook discounted-margin formula and the probabilistic
BG/NBD + Gamma-Gamma model (fitted with pymc-marketing, an optional dependency)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .transactions import Transactions

__all__ = ["clv_simple", "rfm_summary", "clv_bgnbd", "MIN_REPEAT_CUSTOMERS"]

#: Fewest customers with a repeat purchase of positive amount the Gamma-Gamma spend
#: model is fitted to.
MIN_REPEAT_CUSTOMERS = 10


def clv_simple(margin: float, retention: float, discount: float, *,
               periods: int | None = None, cost: float = 0.0) -> float:
    """``Σ_{t=1..T} (margin − cost) · retention^(t−1) / (1 + discount)^t``.

    The customer is active in period 1, stays each further period with probability
    ``retention``, and margins arrive at the end of each period. With ``periods=None``
    the horizon is infinite: ``(margin − cost) / (1 + discount − retention)``.

    Examples
    --------
    >>> round(clv_simple(100, 0.8, 0.1), 2)          # 100 / (1.1 − 0.8)
    333.33
    >>> round(clv_simple(100, 0.8, 0.1, periods=2), 2)   # 100/1.1 + 80/1.21
    157.02
    """
    for name, value in (("margin", margin), ("cost", cost), ("retention", retention),
                        ("discount", discount)):
        if not np.isfinite(value):
            raise InputError(f"{name} must be a finite number, got {value}")
    if not 0 <= retention <= 1:
        raise InputError(f"retention must be in [0, 1], got {retention}")
    if discount < 0:
        raise InputError(f"discount rate must be ≥ 0, got {discount}",
                         hint="a negative rate makes later margins worth more than today's")
    if periods is not None and (periods < 1 or int(periods) != periods):
        raise InputError(f"periods must be a whole number ≥ 1, got {periods}",
                         hint="leave it out for an infinite horizon")
    if periods is None and retention >= 1 + discount:
        raise InputError(f"an infinite horizon needs retention below 1 + discount "
                         f"(retention {retention}, discount {discount}): the sum diverges",
                         hint="give --periods, or a retention below 1")
    net = margin - cost
    if periods is None:
        return net / (1 + discount - retention)
    t = np.arange(1, periods + 1)
    return float(np.sum(net * retention ** (t - 1) / (1 + discount) ** t))


def rfm_summary(tx: Transactions, *, period_days: float = 1.0) -> pd.DataFrame:
    """The BG/NBD inputs per customer: ``frequency`` (repeat purchase days), ``recency``
    (time from first to last purchase), ``T`` (age at ``as_of``), ``monetary_value``
    (mean amount of repeat purchases), in units of ``period_days``."""
    daily = tx.frame.assign(day=tx.frame["date"].dt.normalize()) \
        .groupby(["customer", "day"], as_index=False)["amount"].sum()
    g = daily.groupby("customer")
    first, last = g["day"].min(), g["day"].max()
    freq = g.size() - 1
    repeat_value = (g["amount"].sum() - daily.sort_values("day").groupby("customer")["amount"]
                    .first()) / freq.where(freq > 0)
    return pd.DataFrame({
        "frequency": freq,
        "recency": (last - first).dt.days / period_days,
        "T": (tx.as_of.normalize() - first).dt.days / period_days,
        "monetary_value": repeat_value.fillna(0.0),
    }).reset_index()


def clv_bgnbd(tx: Transactions, *, horizon: float = 12, period_days: float = 30.0,
              discount: float = 0.01, margin: float = 1.0) -> pd.DataFrame:
    """BG/NBD (Fader, Hardie & Lee 2005) for purchases and Gamma-Gamma for spend, fitted by
    MAP with pymc-marketing; CLV over ``horizon`` periods with a per-period ``discount``
    rate and a ``margin`` share of spend. Returns per customer ``expected_purchases``,
    ``expected_spend``, ``probability_alive`` and ``clv``."""
    for name, value in (("horizon", horizon), ("period_days", period_days),
                        ("margin", margin)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, got {value}")
    if not (np.isfinite(discount) and discount >= 0):
        raise InputError(f"discount rate must be ≥ 0, got {discount}")
    if tx.frame.empty:
        raise InputError("no transactions left to fit the BG/NBD model to",
                         path=tx.log.source)
    s = rfm_summary(tx, period_days=period_days)
    names = s.pop("customer")
    s.insert(0, "customer_id", np.arange(len(s)))  # pymc-marketing wants numeric ids
    # checked before the (slow) fit: Gamma-Gamma models positive spend of repeat buyers
    repeat = s[(s.frequency > 0) & (s.monetary_value > 0)]
    if len(repeat) < MIN_REPEAT_CUSTOMERS:
        zero = int(((s.frequency > 0) & (s.monetary_value <= 0)).sum())
        raise InputError(f"only {len(repeat)} customers bought more than once with a "
                         f"positive amount{f' ({zero} more spent 0)' if zero else ''}; the "
                         f"Gamma-Gamma spend model needs at least {MIN_REPEAT_CUSTOMERS}",
                         path=tx.log.source, hint="use --model formula, or more history")
    try:
        from pymc_marketing import clv as pmc
    except ImportError:
        raise InputError("the BG/NBD model needs pymc-marketing",
                         hint="pip install 'crmsurvey[clv]'") from None
    bg = pmc.BetaGeoModel()
    bg.fit(s[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    gg = pmc.GammaGammaModel()
    gg.fit(repeat[["customer_id", "frequency", "monetary_value"]], method="map",
           progressbar=False)
    purchases = bg.expected_purchases(future_t=horizon).mean(("chain", "draw")).to_numpy()
    alive = bg.expected_probability_alive().mean(("chain", "draw")).to_numpy()
    spend = gg.expected_customer_spend(data=s[["customer_id", "frequency", "monetary_value"]]) \
        .mean(("chain", "draw")).to_numpy()
    # discounting: spread the horizon's purchases evenly over its periods
    t = np.arange(1, int(np.ceil(horizon)) + 1)
    factor = np.mean(1 / (1 + discount) ** t)
    return pd.DataFrame({"customer": names, "frequency": s.frequency, "recency": s.recency,
                         "T": s["T"], "expected_purchases": purchases,
                         "probability_alive": alive, "expected_spend": spend,
                         "clv": margin * purchases * spend * factor})
