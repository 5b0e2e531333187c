"""Simulate respondents from a questionnaire's structural model.

Latent construct scores are drawn from the standardised structural model (path
coefficients from the questionnaire's ``simulate:`` block, else ``_defaults.SIM_PATH``),
items from ``loading · construct + noise``, and answers are put on each item's scale.
Data carry a realistic sprinkling of blanks, special codes, speeders, straight-liners,
failed attention checks and duplicate submissions. Same seed, same data.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.special import ndtri

from . import _defaults as D
from ._random import block_rng, text_key
from .questionnaire import Questionnaire
from .questionnaire.relevance import evaluate, parse_relevance

__all__ = ["SimulationSettings", "simulate", "population_paths", "simulate_transactions"]


@dataclass(frozen=True)
class SimulationSettings:
    """Population values; ``paths`` maps ``"Outcome ~ Predictor"`` to a coefficient."""

    paths: dict[str, float] = field(default_factory=dict)
    loading: float = D.SIM_LOADING
    missing_rate: float = D.SIM_MISSING_RATE
    special_rate: float = D.SIM_SPECIAL_RATE
    speeder_rate: float = D.SIM_SPEEDER_RATE
    attention_fail_rate: float = D.SIM_ATTENTION_FAIL_RATE
    straightline_rate: float = 0.01
    duplicate_rate: float = 0.005
    #: the realistic mess above (blanks, special codes, speeders, failed attention checks,
    #: straight-liners, duplicate submissions — the only extra rows); False: clean data
    messy: bool = True

    def effective(self) -> "SimulationSettings":
        """These settings, with every rate of mess at zero when ``messy`` is off."""
        if self.messy:
            return self
        return replace(self, missing_rate=0.0, special_rate=0.0, speeder_rate=0.0,
                       attention_fail_rate=0.0, straightline_rate=0.0, duplicate_rate=0.0)


def population_paths(q: Questionnaire, overrides: dict[str, float] | None = None
                     ) -> dict[tuple[str, str], float]:
    """(outcome, predictor) → standardised coefficient used by the simulator."""
    given = {**q.definition.simulate.paths, **(overrides or {})}
    norm = {tuple(s.strip() for s in k.split("~")): float(v) for k, v in given.items()}
    return {p: norm.get(p, D.SIM_PATH) for p in q.structural_paths}


def _topological(constructs: list[str], paths) -> list[str]:
    preds = {c: {p for o, p in paths if o == c} for c in constructs}
    order: list[str] = []
    while len(order) < len(constructs):
        ready = [c for c in constructs if c not in order and preds[c] <= set(order)]
        order += ready
    return order


def _latents(q: Questionnaire, n: int, coefs: dict, shift: dict, rng) -> dict[str, np.ndarray]:
    constructs = list(q.definition.constructs)
    order = _topological(constructs, coefs)
    idx = {c: i for i, c in enumerate(order)}
    k = len(order)
    sigma = np.eye(k)
    exo = [c for c in order if not any(o == c for o, _ in coefs)]
    for a in exo:
        for b in exo:
            if a != b:
                sigma[idx[a], idx[b]] = 0.3
    eta = np.empty((n, k))
    z = rng.standard_normal((n, k))
    chol = np.linalg.cholesky(sigma[np.ix_([idx[c] for c in exo], [idx[c] for c in exo])])
    eta[:, [idx[c] for c in exo]] = z[:, : len(exo)] @ chol.T
    for j, c in enumerate(order):
        preds = [(p, b) for (o, p), b in coefs.items() if o == c]
        if not preds:
            continue
        pi = [idx[p] for p, _ in preds]
        b = np.array([bb for _, bb in preds])
        explained = float(b @ sigma[np.ix_(pi, pi)] @ b)
        if explained > 0.95:  # keep the construct's variance at 1
            b *= np.sqrt(0.95 / explained)
            explained = 0.95
        sigma[j, :j] = sigma[:j, j] = b @ sigma[pi, :j]
        eta[:, j] = eta[:, pi] @ b + np.sqrt(1 - explained) * z[:, j]
    return {c: eta[:, idx[c]] + shift.get(c, 0.0) for c in order}


def _to_scale(x: np.ndarray, lo: float, hi: float, centre: float = 0.7, spread: float = 0.18
              ) -> np.ndarray:
    return np.clip(np.round(lo + (hi - lo) * (centre + spread * x)), lo, hi)


def simulate(q: Questionnaire, n: int, *, seed: int | None = None,
             groups: dict[str, list[str]] | None = None,
             settings: SimulationSettings | None = None) -> pd.DataFrame:
    """Draw ``n`` distinct respondents (per group level when ``groups`` is given), plus
    a few duplicate submissions unless ``settings.messy`` is off.

    Parameters
    ----------
    groups : dict, optional
        Group item → levels, e.g. ``{"brand": ["A", "B", "C"]}``. Each level of the first
        group item gets its own true parameters (shifted construct means, perturbed
        paths); levels of the others are drawn per respondent and raise every
        construct's mean by 0.08 SD per position (a gentle trend, e.g. over waves).

    Returns
    -------
    DataFrame
        One column per questionnaire item, as a survey platform would export it.

    Examples
    --------
    >>> from crmsurvey import load_questionnaire
    >>> df = simulate(load_questionnaire("ccsi"), 500, seed=1, groups={"brand": ["A", "B"]})
    >>> sorted(df["brand"].unique()), len(df) >= 1000      # plus a few duplicate submissions
    (['A', 'B'], True)
    """
    s = (settings or SimulationSettings(paths={})).effective()
    rng = np.random.default_rng(seed)
    base = population_paths(q, s.paths)
    groups = dict(groups or {})
    group_items = q.items_with_role("group")
    first = next(iter(groups), next((g for g in group_items if not q.items[g].optional),
                                    group_items[0] if group_items else None))
    levels = groups.get(first, ["A"]) if first else ["A"]
    frames = []
    for g, level in enumerate(levels):
        grng = block_rng(seed or 0, g)  # the group's own stream
        coefs = dict(base)
        shift: dict[str, float] = {}
        if len(levels) > 1:
            coefs = {p: b * (1 + grng.uniform(-0.25, 0.25)) for p, b in base.items()}
            shift = {c: grng.normal(0, 0.3) for c in q.definition.constructs}
        # other group items (waves, regions): drawn per respondent; each level moves
        # every construct's mean a little, by its position (a gentle trend over waves)
        assigned = {o: rng.choice(groups[o], n) for o in group_items
                    if o != first and groups.get(o)}
        for o, values in assigned.items():
            position = pd.Categorical(values, categories=groups[o]).codes.astype(float)
            shift = {c: shift.get(c, 0.0) + 0.08 * position for c in q.definition.constructs}
        eta = _latents(q, n, coefs, shift, rng)
        frame = _items(q, eta, n, s, rng)
        if first:
            frame[first] = level
        for other in group_items:
            if other != first:
                frame[other] = assigned[other] if other in assigned else "2026"
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    _roles(q, df, s, rng, seed)
    df = _duplicates(df, s, rng)
    return df[[i for i in q.items if i in df.columns]]


def _items(q: Questionnaire, eta, n: int, s: SimulationSettings, rng) -> pd.DataFrame:
    out: dict[str, np.ndarray] = {}
    lam = s.loading if s.loading != D.SIM_LOADING else (q.definition.simulate.loadings or s.loading)
    for name, c in q.definition.constructs.items():
        for item in c.items:
            x = lam * eta[name] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            sc = q.scale(item)
            if sc.type == "binary":
                codes = sorted(sc.values)
                y = np.where(x > ndtri(0.8), codes[1], codes[0]).astype(float)
            elif sc.type == "rating":
                y = _to_scale(x, sc.min, sc.max)
                if q.items[item].reverse:
                    y = sc.min + sc.max - y
            else:
                lo = sc.min if sc.min is not None else 0.0
                y = lo + np.abs(x)
            out[item] = y
    loyalty = next((c for c in q.definition.constructs if "loy" in c.lower()), None)
    for item in q.items_with_role("nps"):
        sc = q.scale(item)
        base = eta[loyalty] if loyalty else rng.standard_normal(n)
        out[item] = _to_scale(0.85 * base + 0.5 * rng.standard_normal(n), sc.min, sc.max,
                              0.76, 0.2)
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    _straightline(q, frame, s, rng)
    _blanks(q, frame, s, rng)
    return frame


def _straightline(q: Questionnaire, frame: pd.DataFrame, s, rng) -> None:
    block = [i for i in frame.columns if q.items[i].role == "indicator"
             and q.scale(i).type == "rating"]
    rows = rng.random(len(frame)) < s.straightline_rate
    frame.loc[rows, block] = np.repeat(frame.loc[rows, block[:1]].to_numpy(), len(block), axis=1)


def _blanks(q: Questionnaire, frame: pd.DataFrame, s, rng) -> None:
    for item in list(frame.columns):
        sc = q.scale(item)
        u = rng.random(len(frame))
        col = frame[item].astype(object)
        col[u < s.missing_rate] = ""
        if sc.special:
            special = (u >= s.missing_rate) & (u < s.missing_rate + s.special_rate)
            col[special] = float(next(iter(sc.special)))
        frame[item] = col


def _kano(q: Questionnaire, df: pd.DataFrame, rng) -> None:
    """Each feature gets its own mix of Kano categories; each respondent draws one and
    answers a functional/dysfunctional pair that the evaluation table maps to it."""
    n = len(df)
    pairs: dict[str, dict[str, str]] = {}
    for item_id, item in q.items.items():
        if item.role.startswith("kano_"):
            pairs.setdefault(item.feature, {})[item.role] = item_id
    mid = np.array([2, 3, 4])
    for feature, p in pairs.items():
        mix = rng.dirichlet([2, 2, 2, 1.5, 0.2, 0.1])  # A, O, M, I, R, Q
        cat = rng.choice(6, size=n, p=mix)
        f = np.select([cat <= 1, cat == 2, cat == 3, cat == 4], [1, rng.choice(mid, n),
                      rng.choice(mid, n), 5], default=np.where(rng.random(n) < 0.5, 1, 5))
        d = np.select([cat == 0, cat == 1, cat == 2, cat == 3, cat == 4],
                      [rng.choice(mid, n), 5, 5, rng.choice(mid, n), rng.choice([1, 2, 3, 4], n)],
                      default=f)
        df[p["kano_functional"]] = f.astype(float)
        df[p["kano_dysfunctional"]] = d.astype(float)


def _roles(q: Questionnaire, df: pd.DataFrame, s: SimulationSettings, rng,
           seed: int | None = None) -> None:
    n = len(df)
    _kano(q, df, rng)
    for item_id, item in q.items.items():
        if item_id in df:
            continue
        sc = q.scale(item_id)
        if item.role == "id":
            df[item_id] = [f"R{i:06d}" for i in range(1, n + 1)]
        elif item.role == "duration":
            d = D.SIM_MEDIAN_DURATION * np.exp(0.35 * rng.standard_normal(n))
            fast = rng.random(n) < s.speeder_rate
            d[fast] = D.SIM_MEDIAN_DURATION * rng.uniform(0.15, 0.4, fast.sum())
            df[item_id] = np.round(d)
        elif item.role == "weight":
            w = np.exp(0.3 * rng.standard_normal(n))
            df[item_id] = np.round(w / w.mean(), 4)
        elif item.role == "attention":
            others = [v for v in range(int(sc.min), int(sc.max) + 1) if v != item.expected]
            fail = rng.random(n) < s.attention_fail_rate
            df[item_id] = np.where(fail, rng.choice(others, n), item.expected).astype(float)
        elif item.role == "screener" and item.qualify:
            others = [v for v in sc.values if v not in item.qualify] or item.qualify
            df[item_id] = np.where(rng.random(n) < 0.98, item.qualify[0],
                                   rng.choice(others, n)).astype(float)
        elif item.open_text:  # an open question: left blank (no words are made up)
            df[item_id] = ""
        elif sc is not None and sc.type in ("binary", "categorical"):
            df[item_id] = rng.choice(sorted(sc.values), n).astype(float)
            if item_id in q.definition.simulate.shares:
                df[item_id] = _skewed(sorted(sc.values), q.definition.simulate.shares[item_id],
                                      n, seed, item_id)
        elif sc is not None and sc.type == "rating":
            df[item_id] = _to_scale(rng.standard_normal(n), sc.min, sc.max, 0.6, 0.22)
        elif sc is not None:
            df[item_id] = np.round(np.abs(rng.standard_normal(n)) * 10, 1)
    for sec in q.sections:
        if sec.relevance:
            clauses = parse_relevance(sec.relevance)
            asked = evaluate(clauses, df)
            for it in sec.items:
                col = df[it.id].astype(object)
                col[~asked] = ""
                df[it.id] = col


def _skewed(codes: list[int], shares: dict[int, float], n: int, seed: int | None,
            item: str) -> np.ndarray:
    """Codes drawn with the questionnaire's ``simulate.shares`` of ``item``, from the
    item's own stream (the other columns stay as without shares)."""
    p = np.array([max(float(shares.get(c, 0.0)), 0.0) for c in codes])
    p = p / p.sum() if p.sum() > 0 else np.full(len(codes), 1 / len(codes))
    own = block_rng(seed, text_key(f"shares:{item}")) if seed is not None \
        else np.random.default_rng()
    return own.choice(codes, n, p=p).astype(float)


def _duplicates(df: pd.DataFrame, s: SimulationSettings, rng) -> pd.DataFrame:
    dup = np.flatnonzero(rng.random(len(df)) < s.duplicate_rate)
    if not len(dup):
        return df
    out = pd.concat([df, df.iloc[dup]], ignore_index=True)
    order = np.argsort(np.concatenate([np.arange(len(df)), dup + 0.5]), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def simulate_transactions(customers, propensity, *, seed: int | None = None,
                          as_of: str = "2026-10-31", days: int = 365,
                          share_unknown: float = 0.05) -> pd.DataFrame:
    """A year of purchases for ``customers`` whose purchase rate rises with
    ``propensity`` (e.g. stated loyalty): Poisson counts, uniform dates, gamma amounts.
    A share of respondents has no purchase record (unknown to the firm), as in practice.
    Columns ``customer_id, date, amount``."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(customers).astype(str).to_numpy()
    z = pd.to_numeric(pd.Series(propensity), errors="coerce").to_numpy(dtype=float)
    z = np.nan_to_num((z - np.nanmean(z)) / (np.nanstd(z) or 1.0))
    known = rng.random(len(ids)) >= share_unknown
    counts = rng.poisson(np.exp(1.2 + 0.6 * z)) * known
    owner = np.repeat(np.arange(len(ids)), counts)
    end = pd.Timestamp(as_of)
    dates = end - pd.to_timedelta(rng.integers(0, days, len(owner)), unit="D")
    amounts = np.round(rng.gamma(3.0, 40.0 * (1 + 0.15 * z[owner]).clip(0.3)), 2)
    return pd.DataFrame({"customer_id": ids[owner], "date": dates.normalize(),
                         "amount": amounts}).sort_values(["date", "customer_id"],
                                                          kind="stable").reset_index(drop=True)
