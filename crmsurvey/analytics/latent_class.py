"""Latent-class segmentation of respondents (latent profile / latent class analysis).

A finite mixture on chosen indicators — continuous ones (construct scores, key items)
normal within a class with class-specific means and variances, categorical ones (the
NPS group, a yes/no item) multinomial within a class — assumed independent given the
class (local independence). Covariates describe who is in each class: the class
probabilities are a multinomial logit of them (one-step estimation; the first class is
the reference). Missing indicator values are left out of a respondent's likelihood
(missing at random); a respondent missing a covariate is refused.

EM runs for all random starts at once (arrays ``starts × respondents × classes``); the
start with the best log-likelihood is kept, and the share of starts reaching it (within
:data:`SAME_LOGL` · |logL|) is reported — a low share says the likelihood has several
local maxima. Classes are numbered by size, largest first.

Criteria (``npar`` free parameters, ``n`` respondents): ``AIC = −2logL + 2·npar``,
``AIC3 = −2logL + 3·npar``, ``BIC = −2logL + ln(n)·npar``, ``CAIC = −2logL +
(ln(n)+1)·npar``; relative entropy ``1 − Σ −p·ln p / (n·ln K)`` (1: classes perfectly
separated).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 150), rng.normal(4, 1, 150)]})
>>> lc = latent_classes(df, continuous=["x"], classes=[1, 2, 3], starts=5, seed=1)
>>> lc.chosen, lc.fit.sizes.round(1).tolist()
(2, [0.5, 0.5])
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from .._random import DEFAULT_SEED, block_rng, resolve_seed
from .._threads import blas_threads
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError, check_choice
from ..options import LATENT_CLASS as _LC

__all__ = ["LatentClassFit", "LatentClasses", "latent_classes", "scaled_weights",
           "one_start", "CRITERIA"]

#: Criteria the number of classes may be chosen by (smallest wins).
CRITERIA = ("bic", "aic3", "caic", "aic")
#: Starts whose log-likelihood is within this relative distance of the best reached it.
SAME_LOGL = 1e-6
_VAR_FLOOR = 1e-6   # times the indicator's overall variance
_P_FLOOR = 1e-10


@dataclass(frozen=True, eq=False)
class LatentClassFit:
    """A latent-class model with ``k`` classes (the best of its starts).

    ``posterior``: (n, k) class probabilities of each respondent; ``classes``: the most
    likely class (1…k); ``sizes``: class shares (mean posterior); ``profiles``:
    ``variable, level, class, value`` (a class mean, or for a categorical indicator the
    share of each level); ``covariates``: ``class, covariate, coef`` (log-odds against
    class 1; empty without covariates).
    """

    k: int
    loglik: float
    npar: int
    n: int
    criteria: dict[str, float]
    entropy: float
    sizes: np.ndarray
    posterior: np.ndarray
    classes: np.ndarray
    profiles: pd.DataFrame
    covariates: pd.DataFrame
    starts: int
    share_best: float
    iterations: int
    converged: bool


@dataclass(frozen=True, eq=False)
class LatentClasses:
    """Latent-class models for each number of classes tried, and the one chosen.

    ``table``: ``classes, loglik, npar, aic, aic3, bic, caic, entropy, share_best``.
    """

    fits: dict[int, LatentClassFit]
    chosen: int
    criterion: str
    table: pd.DataFrame
    index: pd.Index
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def fit(self) -> LatentClassFit:
        """The chosen model."""
        return self.fits[self.chosen]

    def membership(self) -> pd.DataFrame:
        """Each respondent's class and posterior probabilities (``class, p1 … pk``),
        indexed as the data."""
        f = self.fit
        out = pd.DataFrame(f.posterior, index=self.index,
                           columns=[f"p{j + 1}" for j in range(f.k)])
        out.insert(0, "class", f.classes)
        return out


@dataclass(frozen=True)
class _Data:
    x: np.ndarray        # (n, J) continuous, NaN → 0
    m: np.ndarray        # (n, J) 1 where observed
    onehot: np.ndarray   # (n, C) categorical levels, all 0 where missing
    block: np.ndarray    # (C, V) level → its variable
    levels: list[tuple[str, str]]
    z: np.ndarray        # (n, p) intercept + covariates
    var0: np.ndarray     # (J,) overall variances
    floor: np.ndarray    # (J,) smallest within-class variance (:func:`variance_floor`)
    w: np.ndarray        # (n,) sampling weights, mean 1


def variance_floor(x: np.ndarray, var0: np.ndarray) -> np.ndarray:
    """The smallest within-class variance of each continuous indicator.

    An answer recorded on a scale with step ``h`` (a 0–10 rating: ``h = 1``) stands for
    any value within ``h/2`` of it, so a class giving everyone the same answer has
    variance ``h²/12`` (Sheppard's correction), not zero; without this floor such a class
    has an unbounded likelihood and the criteria choose ever more classes of identical
    answers. Indicators not on a grid of at most 101 steps get ``1e-6`` of their variance.

    >>> variance_floor(np.array([[0.0, 0.1], [1.0, 0.35], [10.0, 0.2]]), np.ones(2)).round(4).tolist()
    [0.0833, 0.0]
    """
    out = _VAR_FLOOR * np.asarray(var0, float)
    for j, col in enumerate(np.asarray(x, float).T):
        v = np.unique(col[np.isfinite(col)])
        if len(v) < 2:
            continue
        h = float(np.min(np.diff(v)))
        steps = (v - v[0]) / h
        if len(v) <= 101 and (v[-1] - v[0]) / h <= 100 and np.allclose(steps, np.rint(steps)):
            out[j] = max(out[j], h * h / 12.0)
    return out


def scaled_weights(weights, n: int) -> np.ndarray:
    """Sampling weights of ``n`` respondents scaled to mean 1 (ones without them).

    >>> scaled_weights([1, 3], 2).tolist()
    [0.5, 1.5]
    """
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError("segments: weights must be one finite, non-negative number per "
                         "respondent")
    return w * (n / w.sum())


def _prepare(data: pd.DataFrame, continuous, categorical, covariates,
             weights=None) -> _Data:
    names = list(continuous) + list(categorical) + list(covariates)
    if not list(continuous) + list(categorical):
        raise InputError("latent classes need at least one indicator",
                         hint="name columns under continuous: or categorical:")
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise InputError(f"latent classes: no column {missing[0]!r} in the data",
                         hint="columns: " + ", ".join(map(str, data.columns[:12])))
    n = len(data)
    if continuous:
        x = data[list(continuous)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    else:
        x = np.zeros((n, 0))
    m = np.isfinite(x).astype(float)
    var0 = np.array([np.nanvar(c) if np.isfinite(c).sum() > 1 else 0.0 for c in x.T])
    bad = [c for c, v in zip(continuous, var0) if not v > 0]
    if bad:
        raise InputError(f"latent classes: indicator {bad[0]!r} does not vary",
                         hint="leave it out, or treat it as categorical")
    cols, block, levels = [], [], []
    for v, name in enumerate(categorical):
        s = data[name]
        cats = pd.Categorical(s.dropna()).categories
        codes = pd.Categorical(s, categories=cats).codes
        for c, lev in enumerate(cats):
            cols.append(codes == c)
            block.append(v)
            levels.append((str(name), str(lev)))
    onehot = np.column_stack(cols).astype(float) if cols else np.zeros((n, 0))
    blk = np.zeros((len(block), len(categorical)))
    blk[np.arange(len(block)), block] = 1.0
    z = np.ones((n, 1))
    if covariates:
        zc = data[list(covariates)]
        if zc.isna().any().any():
            bad = zc.columns[zc.isna().any()][0]
            raise InputError(f"latent classes: covariate {bad!r} is missing for "
                             f"{int(zc[bad].isna().sum())} respondents",
                             hint="drop those rows or impute the covariate first")
        zc = pd.get_dummies(zc, drop_first=True, dtype=float) if any(
            zc[c].dtype == object or isinstance(zc[c].dtype, pd.CategoricalDtype)
            for c in zc) else zc.apply(pd.to_numeric, errors="coerce")
        zc = zc.to_numpy(float)
        if not np.isfinite(zc).all():
            raise InputError("latent classes: a covariate is missing or not a number",
                             hint="drop the rows or impute the covariate first")
        sd = zc.std(axis=0)
        z = np.column_stack([z, (zc - zc.mean(axis=0)) / np.where(sd > 0, sd, 1.0)])
    return _Data(np.nan_to_num(x), m, onehot, blk, levels, z, var0, variance_floor(x, var0),
                 scaled_weights(weights, n))


def _log_dens(d: _Data, mu, var, theta) -> np.ndarray:
    """log f(y_i | class k) for every start: (S, n, K)."""
    inv = 1.0 / var                                              # (S, K, J)
    xm, x2m = d.m * d.x, d.m * d.x ** 2
    out = -0.5 * (x2m @ _t(inv) - 2 * xm @ _t(mu * inv)
                  + d.m @ _t(mu ** 2 * inv + np.log(2 * np.pi * var)))
    if d.onehot.shape[1]:
        out = out + d.onehot @ _t(np.log(theta))
    return out


def _lse(a: np.ndarray) -> np.ndarray:
    """log Σ exp over the last axis (kept)."""
    top = a.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=-1, keepdims=True))


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _log_prior(d: _Data, gamma) -> np.ndarray:
    eta = d.z @ _t(gamma)
    return eta - _lse(eta)


def _m_step(d: _Data, r, gamma):
    rt = _t(r) * d.w                                             # (S, K, n) weighted
    nk = np.maximum(rt @ d.m, 1e-12)
    mu = rt @ (d.m * d.x) / nk
    ex2 = rt @ (d.m * d.x ** 2) / nk
    var = np.maximum(ex2 - mu ** 2, d.floor)
    counts = rt @ d.onehot
    tot = counts @ d.block @ d.block.T
    theta = np.maximum(counts / np.maximum(tot, 1e-12), _P_FLOOR)
    return mu, var, theta, _gamma_step(d, r, gamma)


def _gamma_step(d: _Data, r, gamma) -> np.ndarray:
    """One Newton step of the weighted multinomial logit (class 1 the reference)."""
    s, k, p = gamma.shape
    if p == 1:   # no covariates: closed form
        pi = d.w @ r / d.w.sum()
        lp = np.log(np.maximum(pi, 1e-300))
        return (lp - lp[:, :1])[:, :, None]
    if k == 1:
        return gamma
    pr = np.exp(_log_prior(d, gamma))[:, :, 1:]                  # (S, n, K-1)
    g = (_t(r[:, :, 1:] - pr) @ (d.z * d.w[:, None])).reshape(s, -1)
    eye = np.eye(k - 1)
    w = pr[:, :, :, None] * (eye[None, None] - pr[:, :, None, :])   # (S, n, K-1, K-1)
    wz = np.moveaxis(w, 1, -1)[..., None, :] * (d.z * d.w[:, None]).T  # (S, K-1, K-1, p, n)
    h = (wz @ d.z).transpose(0, 1, 3, 2, 4).reshape(s, (k - 1) * p, (k - 1) * p)
    h = h + 1e-6 * np.eye((k - 1) * p)
    step = np.linalg.solve(h, g[..., None])[..., 0]
    norm = np.linalg.norm(step, axis=1, keepdims=True)
    step = step * np.minimum(1.0, 5.0 / np.maximum(norm, 1e-300))  # no wild first steps
    out = gamma.copy()
    out[:, 1:, :] += step.reshape(s, k - 1, p)
    return out


def _start(d: _Data, k: int, starts: int, rng) -> np.ndarray:
    """Starting posteriors: ``k`` respondents drawn at random as the classes' seeds, and
    each respondent's posterior a softmax of minus half its squared distance to them
    (indicators standardised, categories one-hot, missing values at the mean)."""
    sd = np.sqrt(d.var0)
    mean = (d.m * d.x).sum(0) / np.maximum(d.m.sum(0), 1)
    f = np.hstack([d.m * (d.x - mean) / sd, d.onehot])               # (n, F)
    seeds = f[np.argsort(rng.random((starts, len(f))), axis=1)[:, :k]]  # (S, K, F)
    dist = ((f ** 2).sum(1)[:, None] - 2 * f @ _t(seeds)
            + (seeds ** 2).sum(-1)[:, None, :])                      # (S, n, K)
    e = -0.5 * dist
    e = np.exp(e - e.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def _fit_k(d: _Data, k: int, starts: int, rng, max_iter: int, tol: float):
    """EM for every start together; a start stops when its log-likelihood settles
    (only the others go on)."""
    n = d.x.shape[0]
    r = _start(d, k, starts, rng)
    gamma = np.zeros((starts, k, d.z.shape[1]))
    mu = np.zeros((starts, k, d.x.shape[1]))
    var, theta = np.ones_like(mu), np.ones((starts, k, d.onehot.shape[1]))
    ll, done = np.full(starts, -np.inf), np.zeros(starts, bool)
    it = 0
    for it in range(1, max_iter + 1):
        a = np.flatnonzero(~done)
        mu[a], var[a], theta[a], gamma[a] = _m_step(d, r[a], gamma[a])
        joint = _log_prior(d, gamma[a]) + _log_dens(d, mu[a], var[a], theta[a])
        row = _lse(joint)
        r[a] = np.exp(joint - row)
        new = row[..., 0] @ d.w
        done[a] = np.abs(new - ll[a]) <= tol * n      # change per respondent
        ll[a] = new
        if done.all():
            break
    return ll, r, mu, var, theta, gamma, it, bool(done.all())


def _npar(d: _Data, k: int) -> int:
    j, c, v = d.x.shape[1], d.onehot.shape[1], d.block.shape[1]
    return (k - 1) * d.z.shape[1] + k * 2 * j + k * (c - v)


def one_start(what: str, fit) -> Diagnostic | None:
    """A ``segments_one_start`` diagnostic when only one of several random starts reached
    the best log-likelihood of the chosen solution (it may not be the global maximum)."""
    if fit.starts > 1 and round(fit.share_best * fit.starts) <= 1:
        return Diagnostic("segments_one_start", f"{what}: only one of {fit.starts} random "
                          "starts reached the best solution; more starts may find a better "
                          "one", "warning", (str(fit.starts),),
                          params={"starts": fit.starts})
    return None


def latent_classes(data: pd.DataFrame, *, continuous: Sequence[str] = (),
                   categorical: Sequence[str] = (), covariates: Sequence[str] = (),
                   classes: Sequence[int] = _LC.default("classes"), weights=None,
                   criterion: Literal["bic", "aic3", "caic", "aic"] = "bic",
                   starts: int = _LC.default("starts"), seed: int | None = DEFAULT_SEED,
                   max_iter: int = 1000, tol: float = 1e-6) -> LatentClasses:
    """Latent-class (latent profile) models for each number of ``classes``; the one with
    the smallest ``criterion`` is chosen.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    continuous, categorical : list of str
        Indicator columns: normal within a class, or multinomial within a class.
    covariates : list of str
        Columns describing class membership (multinomial logit of the class
        probabilities; numeric ones standardised, text ones as dummies).
    classes : list of int
        Numbers of classes to fit.
    weights : array-like, optional
        Sampling weights (pseudo-likelihood: each respondent's log-likelihood weighted;
        scaled to mean 1, so the criteria count respondents).
    criterion : {"bic", "aic3", "caic", "aic"}
        How the number of classes is chosen.
    starts : int
        Random starts per number of classes (random posteriors); the best log-likelihood
        is kept.
    seed : int or None
        Seed of the starts (:mod:`crmsurvey._random`).
    max_iter, tol : int, float
        A start's EM stops when its log-likelihood changes by less than ``tol`` per
        respondent, or after ``max_iter`` iterations (a ``non_convergence`` diagnostic).

    Returns
    -------
    LatentClasses
    """
    check_choice("criterion", criterion, CRITERIA)
    classes = sorted({int(k) for k in classes})
    if not classes or classes[0] < 1:
        raise InputError("latent classes: classes must be whole numbers from 1",
                         hint="for example classes: [1, 2, 3, 4]")
    if starts < 1:
        raise InputError("latent classes: starts must be at least 1")
    d = _prepare(data, continuous, categorical, covariates, weights)
    n = d.x.shape[0]
    if n < 2 * max(classes):
        raise InputError(f"latent classes: {n} respondents are too few for "
                         f"{max(classes)} classes")
    seed = resolve_seed(seed)
    fits, diags = {}, []
    with blas_threads(1):
        for k in classes:
            ll, r, mu, var, theta, gamma, it, conv = _fit_k(
                d, k, starts, block_rng(seed, k), max_iter, tol)
            fits[k] = _finish(d, k, ll, r, mu, var, theta, gamma, it, conv,
                              list(continuous), list(covariates), data)
            if not conv:
                diags.append(Diagnostic("non_convergence", f"latent classes: EM with {k} "
                                        f"classes did not converge in {max_iter} "
                                        "iterations", "warning", (f"{k}",),
                                        params={"segments": k, "iterations": max_iter}))
    table = pd.DataFrame([{"classes": k, "loglik": f.loglik, "npar": f.npar, **f.criteria,
                           "entropy": f.entropy, "share_best": f.share_best}
                          for k, f in fits.items()])
    chosen = int(table.loc[table[criterion].idxmin(), "classes"])
    if (d1 := one_start("latent classes", fits[chosen])) is not None:
        diags.append(d1)
    if chosen == max(classes) and len(classes) > 1:
        diags.append(Diagnostic("segments_at_limit", f"latent classes: {criterion} is "
                                f"smallest at the largest number tried ({chosen})",
                                "warning", (str(chosen),),
                                params={"criterion": criterion.upper(), "k": chosen}))
    diags += _choice_diagnostics(table, chosen, criterion)
    diags = tuple(diags)
    warn_all(diags)
    return LatentClasses(fits, chosen, criterion, table, data.index, diags)


#: Relative entropy below this: classification into the chosen classes is weak.
WEAK_ENTROPY = 0.8


def _choice_diagnostics(table: pd.DataFrame, chosen: int, criterion: str) -> list:
    """A ``segments_weak_classification`` warning when the chosen solution's entropy is
    below :data:`WEAK_ENTROPY`; a ``segments_criteria_disagree`` note for each of BIC,
    AIC3 and CAIC that would choose another number of classes."""
    out = []
    rows = table.set_index("classes")
    ent = float(rows.loc[chosen, "entropy"])
    if chosen > 1 and ent < WEAK_ENTROPY:
        out.append(Diagnostic("segments_weak_classification", f"latent classes: entropy "
                              f"{ent:.2f} is below {WEAK_ENTROPY:.1f}: classification is "
                              "weak", "warning", (f"{ent:.2f}",),
                              params={"entropy": ent, "limit": WEAK_ENTROPY}))
    for other in ("bic", "aic3", "caic"):
        k = int(rows[other].idxmin())
        if other != criterion and k != chosen:
            out.append(Diagnostic("segments_criteria_disagree", f"latent classes: "
                                  f"{criterion.upper()} chooses {chosen} and "
                                  f"{other.upper()} {k} classes",
                                  "info", (criterion, str(chosen), other, str(k)),
                                  params={"criterion": criterion.upper(), "k": chosen,
                                          "other": other.upper(), "other_k": k}))
    return out


def _finish(d, k, ll, r, mu, var, theta, gamma, it, conv, continuous, covariates, data):
    best = int(np.argmax(ll))
    share = float(np.mean(ll >= ll[best] - SAME_LOGL * abs(ll[best]) - 1e-9))
    post = r[best]
    order = np.argsort(-(d.w @ post), kind="stable")              # largest class first
    post, mu, var, theta = post[:, order], mu[best][order], var[best][order], theta[best][order]
    g = gamma[best][order]
    g = g - g[:1]
    n = post.shape[0]
    npar = _npar(d, k)
    m2 = -2 * ll[best]
    crit = {"aic": m2 + 2 * npar, "aic3": m2 + 3 * npar, "bic": m2 + np.log(n) * npar,
            "caic": m2 + (np.log(n) + 1) * npar}
    ent = 1.0 if k == 1 else 1 - float(-(d.w @ (post * np.log(np.maximum(post, 1e-300))))
                                       .sum() / (n * np.log(k)))
    rows = [(name, "", c + 1, mu[c, j]) for j, name in enumerate(continuous) for c in range(k)]
    rows += [(var_, lev, c + 1, theta[c, i]) for i, (var_, lev) in enumerate(d.levels)
             for c in range(k)]
    profiles = pd.DataFrame(rows, columns=["variable", "level", "class", "value"])
    zn = list(pd.get_dummies(data[covariates], drop_first=True).columns) if covariates else []
    cov = pd.DataFrame([(c + 1, name, g[c, a + 1]) for c in range(1, k)
                        for a, name in enumerate(zn)], columns=["class", "covariate", "coef"])
    return LatentClassFit(k, float(ll[best]), npar, n, crit, ent, d.w @ post / n, post,
                          post.argmax(axis=1) + 1, profiles, cov, len(ll), share, it, conv)
