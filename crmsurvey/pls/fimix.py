"""FIMIX-PLS: finite-mixture regression on a PLS model's construct scores (Hahn, Johnson,
Herrmann and Huber 2002; Sarstedt, Becker, Ringle and Schwaiger 2011).

Unobserved heterogeneity in the structural model: the respondents are a mixture of K
segments, and in segment k every endogenous construct is a regression on its
predictors with segment-specific coefficients and error variance,
``η_j = x_j' β_jk + ζ_jk``, ``ζ_jk ~ N(0, ψ_jk)``, the equations' errors independent
(the model is recursive, so the Jacobian of Hahn et al.'s density is 1). As SmartPLS,
the regressions have no intercept (the scores are standardised) and the free
parameters are ``N_K = (K − 1) + K·R + K·Q`` (R paths, Q endogenous constructs).

EM runs for all random starts at once; the best log-likelihood is kept and the share of
starts reaching it reported. Criteria as SmartPLS (``I`` respondents):
``AIC = −2lnL + 2N``, ``AIC3 = −2lnL + 3N``, ``AIC4 = −2lnL + 4N``,
``BIC = −2lnL + ln(I)·N``, ``CAIC = −2lnL + (ln(I)+1)·N``, ``HQ = −2lnL + 2N·ln(ln(I))``,
``MDL5 = −2lnL + 5N·ln(I)``, ``EN = 1 − Σ −P ln P / (I ln K)``,
``NFI = (K Σ P² − I) / (I (K − 1))``, ``NEC = Σ −P ln P / (lnL_K − lnL_1)``.
Segments are numbered by size, largest first. Then, as the literature recommends,
:meth:`FIMIX.reestimate` fits the PLS model again within each segment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from .._random import DEFAULT_SEED, block_rng, resolve_seed
from .._threads import blas_threads
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError, check_choice
from ..options import LATENT_CLASS as _LC

__all__ = ["FIMIX", "FimixFit", "fimix", "CRITERIA"]

#: Criteria the number of segments may be chosen by (smallest wins).
CRITERIA = ("caic", "aic3", "aic4", "bic", "aic", "hq", "mdl5")
SAME_LOGL = 1e-6


@dataclass(frozen=True, eq=False)
class FimixFit:
    """A FIMIX-PLS solution with ``k`` segments (the best of its starts).

    ``paths``: ``segment, lhs, op, rhs, est``; ``r2``: ``segment, construct, r2,
    variance`` (error variance ψ); ``posterior``: (n, k); ``segments``: most likely
    segment (1…k) of each respondent; ``sizes``: segment shares.
    """

    k: int
    loglik: float
    npar: int
    criteria: dict[str, float]
    sizes: np.ndarray
    posterior: np.ndarray
    segments: np.ndarray
    paths: pd.DataFrame
    r2: pd.DataFrame
    starts: int
    share_best: float
    converged: bool


@dataclass(frozen=True, eq=False)
class FIMIX:
    """FIMIX-PLS solutions for each number of segments tried, and the one chosen.

    ``table``: ``segments, loglik, npar, aic, aic3, aic4, bic, caic, hq, mdl5, en, nfi,
    nec, share_best`` (one row per number of segments).
    """

    fits: dict[int, FimixFit]
    chosen: int
    criterion: str
    table: pd.DataFrame
    index: pd.Index
    model: str
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def fit(self) -> FimixFit:
        """The chosen solution."""
        return self.fits[self.chosen]

    def membership(self) -> pd.DataFrame:
        """Each respondent's segment and posterior probabilities (``segment, p1 … pk``)."""
        f = self.fit
        out = pd.DataFrame(f.posterior, index=self.index,
                           columns=[f"p{j + 1}" for j in range(f.k)])
        out.insert(0, "segment", f.segments)
        return out

    def reestimate(self, data: pd.DataFrame, **options: Any) -> dict[int, Any]:
        """The PLS model fitted again on each segment's respondents (most likely
        segment), ``{segment: PLSResult}``. ``data`` holds the rows the FIMIX model was
        estimated on (matched by index); ``options`` go to :func:`crmsurvey.pls`."""
        from .estimate import pls

        missing = self.index.difference(data.index)
        if len(missing):
            raise InputError("FIMIX re-estimation: the data lack rows the segments were "
                             f"found on (first: {missing[0]!r})",
                             hint="pass the data the PLS model was estimated on")
        seg = pd.Series(self.fit.segments, index=self.index)
        return {k: pls(self.model, data.loc[seg.index[seg.to_numpy() == k]], **options)
                for k in range(1, self.fit.k + 1)}


@dataclass(frozen=True)
class _Eqs:
    names: list[str]            # endogenous constructs
    preds: list[list[str]]      # their predictors
    y: np.ndarray               # (n, Q)
    xs: list[np.ndarray]        # (n, p_j) each
    w: np.ndarray               # (n,) sampling weights, mean 1


def _equations(result, weights=None) -> _Eqs:
    from ..analytics.latent_class import scaled_weights  # not at import (a PLS fit)

    paths = result.paths
    paths = paths[paths["op"] == "~"]
    if paths.empty:
        raise InputError("FIMIX-PLS needs a structural model (paths ~)")
    scores = result.scores
    names = list(dict.fromkeys(paths["lhs"]))
    preds = [list(paths.loc[paths["lhs"] == nm, "rhs"]) for nm in names]
    s = scores.to_numpy(float)
    if not np.isfinite(s).all():
        raise InputError("FIMIX-PLS: the construct scores have missing values",
                         hint="estimate the PLS model with missing='mean' or on complete rows")
    col = {c: i for i, c in enumerate(scores.columns)}
    return _Eqs(names, preds, s[:, [col[n] for n in names]],
                [s[:, [col[p] for p in ps]] for ps in preds],
                scaled_weights(weights, len(s)))


def _m_step(eq: _Eqs, r):
    """Weighted least squares of every equation in every start and segment."""
    rt = np.swapaxes(r, 1, 2) * eq.w                              # (S, K, n) weighted
    w = np.maximum(rt.sum(axis=2), 1e-12)                          # (S, K)
    betas, psis = [], []
    for j, x in enumerate(eq.xs):
        y = eq.y[:, j]
        a = np.swapaxes(rt[..., None] * x, -1, -2) @ x            # (S, K, p, p)
        b = rt @ (x * y[:, None])                                  # (S, K, p)
        beta = np.linalg.solve(a + 1e-10 * np.eye(x.shape[1]), b[..., None])[..., 0]
        res = y - beta @ x.T                                       # (S, K, n)
        psi = np.maximum((rt * res ** 2).sum(axis=2) / w, 1e-8 * y.var())
        betas.append(beta)
        psis.append(psi)
    return betas, psis


def _log_dens(eq: _Eqs, betas, psis) -> np.ndarray:
    out = 0.0
    for j, x in enumerate(eq.xs):
        res = eq.y[:, j] - betas[j] @ x.T                          # (S, K, n)
        out = out - 0.5 * (np.log(2 * np.pi * psis[j])[..., None] + res ** 2
                           / psis[j][..., None])
    return np.swapaxes(out, 1, 2)                                  # (S, n, K)


def _fit_k(eq: _Eqs, k: int, starts: int, rng, max_iter: int, tol: float):
    """EM for every start together; a start stops when its log-likelihood settles
    (only the others go on)."""
    n = eq.y.shape[0]
    r = rng.dirichlet(np.full(k, 0.5), size=(starts, n))
    betas = [np.zeros((starts, k, x.shape[1])) for x in eq.xs]
    psis = [np.ones((starts, k)) for _ in eq.xs]
    ll, done = np.full(starts, -np.inf), np.zeros(starts, bool)
    for _ in range(max_iter):
        a = np.flatnonzero(~done)
        pi = eq.w @ r[a] / n                                       # (S, K)
        b, p = _m_step(eq, r[a])
        for j in range(len(eq.xs)):
            betas[j][a], psis[j][a] = b[j], p[j]
        joint = np.log(np.maximum(pi, 1e-300))[:, None, :] + _log_dens(eq, b, p)
        top = joint.max(axis=2, keepdims=True)
        row = top + np.log(np.exp(joint - top).sum(axis=2, keepdims=True))
        r[a] = np.exp(joint - row)
        new = row[..., 0] @ eq.w
        done[a] = np.abs(new - ll[a]) <= tol * n      # change per respondent
        ll[a] = new
        if done.all():
            break
    return ll, r, betas, psis, bool(done.all())


def fimix(result, *, segments: Sequence[int] = _LC.default("classes"), weights=None,
          criterion: Literal["caic", "aic3", "aic4", "bic", "aic", "hq", "mdl5"] = "caic",
          starts: int = _LC.default("starts"), seed: int | None = DEFAULT_SEED,
          max_iter: int = 5000,
          tol: float = 1e-6) -> FIMIX:
    """FIMIX-PLS on a fitted PLS model's construct scores.

    Parameters
    ----------
    result : PLSResult
        A fitted model (:func:`crmsurvey.pls`) with structural paths.
    segments : list of int
        Numbers of segments to try (1 is always fitted: NEC needs it).
    weights : array-like, optional
        Sampling weights of the rows of ``result.scores`` (pseudo-likelihood; scaled to
        mean 1, so the criteria count respondents).
    criterion : str
        How the number of segments is chosen (smallest wins); Sarstedt et al. (2011)
        recommend AIC3 and CAIC read together — a :class:`Diagnostic` says when they
        disagree.
    starts : int
        Random starts per number of segments; the best log-likelihood is kept.
    seed : int or None
        Seed of the starts (:mod:`crmsurvey._random`).
    max_iter, tol : int, float
        A start's EM stops when its log-likelihood changes by less than ``tol`` per
        respondent, or after ``max_iter`` iterations (a ``non_convergence`` diagnostic).

    Returns
    -------
    FIMIX
    """
    check_choice("criterion", criterion, CRITERIA)
    ks = sorted({int(k) for k in segments} | {1})
    if ks[0] < 1 or starts < 1:
        raise InputError("FIMIX-PLS: segments and starts must be whole numbers from 1")
    eq = _equations(result, weights)
    n = eq.y.shape[0]
    n_paths = sum(len(p) for p in eq.preds)
    if n < 5 * max(ks) * max(len(p) for p in eq.preds):
        raise InputError(f"FIMIX-PLS: {n} respondents are too few for {max(ks)} segments",
                         hint="try fewer segments")
    seed = resolve_seed(seed)
    fits, diags = {}, []
    with blas_threads(1):
        for k in ks:
            ll, r, betas, psis, conv = _fit_k(eq, k, starts, block_rng(seed, k), max_iter,
                                              tol)
            fits[k] = _finish(eq, k, ll, r, betas, psis, conv, n_paths)
            if not conv:
                diags.append(Diagnostic("non_convergence", f"FIMIX-PLS with {k} segments "
                                        f"did not converge in {max_iter} iterations",
                                        "warning", (str(k),),
                                        params={"segments": k, "iterations": max_iter}))
    ll1 = fits[1].loglik
    rows = []
    for k, f in fits.items():
        p = f.posterior
        ec = float(-(eq.w @ (p * np.log(np.maximum(p, 1e-300)))).sum())
        rows.append({"segments": k, "loglik": f.loglik, "npar": f.npar, **f.criteria,
                     "en": 1 - ec / (n * np.log(k)) if k > 1 else np.nan,
                     "nfi": (k * (eq.w @ p ** 2).sum() - n) / (n * (k - 1)) if k > 1
                     else np.nan,
                     "nec": ec / (f.loglik - ll1) if k > 1 and f.loglik > ll1 else np.nan,
                     "share_best": f.share_best})
    table = pd.DataFrame(rows)
    tried = table[table["segments"].isin([int(k) for k in segments])]
    chosen = int(tried.loc[tried[criterion].idxmin(), "segments"])
    other = "aic3" if criterion == "caic" else "caic"
    other_k = int(tried.loc[tried[other].idxmin(), "segments"])
    if other_k != chosen:
        diags.append(Diagnostic("segments_criteria_disagree", f"FIMIX-PLS: {criterion} "
                                f"chooses {chosen} segments, {other} {other_k}", "info",
                                (criterion, str(chosen), other, str(other_k)),
                                params={"criterion": criterion.upper(), "k": chosen,
                                        "other": other.upper(), "other_k": other_k}))
    if chosen > 1 and chosen == max(int(k) for k in segments):
        diags.append(Diagnostic("segments_at_limit", f"FIMIX-PLS: {criterion} is smallest "
                                f"at the largest number tried ({chosen})", "warning",
                                (str(chosen),),
                                params={"criterion": criterion.upper(), "k": chosen}))
    from ..analytics.latent_class import one_start

    if (d1 := one_start("FIMIX-PLS", fits[chosen])) is not None:
        diags.append(d1)
    en = table.set_index("segments").loc[chosen, "en"]
    if chosen > 1 and en < 0.5:
        diags.append(Diagnostic("segments_low_entropy", f"FIMIX-PLS: the segments are "
                                f"poorly separated (EN = {en:.2f} < 0.50)", "warning",
                                (f"{en:.2f}",), params={"en": en}))
    diags = tuple(diags)
    warn_all(diags)
    return FIMIX(fits, chosen, criterion, table, result.scores.index, result.model, diags)


def _finish(eq: _Eqs, k, ll, r, betas, psis, conv, n_paths) -> FimixFit:
    best = int(np.argmax(ll))
    share = float(np.mean(ll >= ll[best] - SAME_LOGL * abs(ll[best]) - 1e-9))
    post = r[best]
    order = np.argsort(-(eq.w @ post), kind="stable")
    post = post[:, order]
    n = post.shape[0]
    npar = (k - 1) + k * n_paths + k * len(eq.names)
    m2 = -2 * ll[best]
    ln = np.log(n)
    crit = {"aic": m2 + 2 * npar, "aic3": m2 + 3 * npar, "aic4": m2 + 4 * npar,
            "bic": m2 + ln * npar, "caic": m2 + (ln + 1) * npar,
            "hq": m2 + 2 * npar * np.log(ln), "mdl5": m2 + 5 * npar * ln}
    paths, r2 = [], []
    for j, (name, preds) in enumerate(zip(eq.names, eq.preds)):
        beta, psi = betas[j][best][order], psis[j][best][order]
        y = eq.y[:, j]
        for c in range(k):
            w = post[:, c] * eq.w / (post[:, c] @ eq.w)
            vy = float((w * (y - (w * y).sum()) ** 2).sum())
            paths += [(c + 1, name, "~", p, float(beta[c, a])) for a, p in enumerate(preds)]
            r2.append((c + 1, name, 1 - psi[c] / vy, float(psi[c])))
    return FimixFit(k, float(ll[best]), npar, crit, eq.w @ post / n, post,
                    post.argmax(axis=1) + 1,
                    pd.DataFrame(paths, columns=["segment", "lhs", "op", "rhs", "est"]),
                    pd.DataFrame(r2, columns=["segment", "construct", "r2", "variance"]),
                    len(ll), share, conv)
