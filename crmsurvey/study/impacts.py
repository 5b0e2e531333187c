"""ACSI-style impacts with their bootstrap intervals: the unstandardised total effects on
the 0–100 construct scores (the IPMA importances) in every bootstrap resample of a PLS
model — its **own** resamples, so that their intervals come from the same draws as the
model's other intervals (a test refits one resample and finds the same numbers)."""
from __future__ import annotations

import numpy as np

__all__ = ["importance_draws", "unstandardised_effects", "percentile"]


def importance_draws(res) -> np.ndarray | None:
    """Bootstrap draws (B, K, K) of the unstandardised total effects of construct ``i`` on
    construct ``j`` on the 0–100 scores — the IPMA importances — from the model's **own**
    resamples: the row frequencies of its bootstrap (:func:`crmsurvey.pls.source.fit_scheme`)
    and, per resample, the outer weights its intervals came from. NaN where a resample
    failed; None without a bootstrap or for a staged model (no IPMA).

    Per resample: the unstandardised weights (standardised weights over the items' SDs,
    normalised per block), the covariances of the 0–100 scores, OLS of every outcome on
    its predecessors, and the total effects ``(I − B)⁻¹ − I``, as :func:`crmsurvey.pls.ipma.ipma`
    does on the full sample."""
    from ..moments import Moments, chunk_blocks, resample_moments
    from ..pls.source import fit_scheme

    f = getattr(res, "_fitted", None)
    if res.draws is None or f is None or f.staged:
        return None
    lay, weights = f.lay, res.draws.values["weights"]
    scheme = fit_scheme(res)
    out = []
    for blocks, stop in chunk_blocks(len(weights), 512):
        m: Moments = resample_moments(f.source, scheme, f.base_w, blocks, stop)
        start = sum(len(x) for x in out)
        out.append(unstandardised_effects(weights[start:start + len(m.sd)], m.sd, m.cov,
                                          f.opts.bounds, lay))
    return np.concatenate(out)


def unstandardised_effects(w: np.ndarray, sd: np.ndarray, cov: np.ndarray,
                           bounds: np.ndarray, lay) -> np.ndarray:
    """Total effects (B, K, K) on the 0–100 construct scores from standardised outer
    weights ``w`` (B, p), item SDs (B, p), item covariances (B, p, p) on their own
    scales and the scales' bounds (p, 2)."""
    from ..pls.index import unstandardised_weights

    b, k = len(w), lay.k
    ok = np.isfinite(w).all(axis=1) & np.isfinite(cov).all(axis=(1, 2))
    total = np.full((b, k, k), np.nan)
    if not ok.any():
        return total
    wt = unstandardised_weights(w[ok], sd[ok], lay)
    scale = 100.0 / (bounds[:, 1] - bounds[:, 0])
    c = cov[ok] * scale[None, :, None] * scale[None, None, :]
    u = wt[:, :, None] * lay.mask[None]
    s = np.einsum("bpk,bpq,bql->bkl", u, c, u)
    beta = np.zeros((int(ok.sum()), k, k))
    for j in lay.endogenous:  # one regression per outcome, all resamples at once
        pred = lay.predecessors(j)
        beta[:, pred, j] = np.linalg.solve(s[:, pred[:, None], pred[None, :]],
                                           s[:, pred, j][..., None])[..., 0]
    eye = np.eye(k)
    total[ok] = np.linalg.inv(eye - beta) - eye
    return total


def percentile(draws: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """The percentile interval of ``draws`` at ``level`` over the finite draws (None, None
    when there are none)."""
    ok = draws[np.isfinite(draws)]
    if not len(ok):
        return None, None
    a = (1 - level) / 2
    lo, hi = np.quantile(ok, [a, 1 - a])
    return float(lo), float(hi)
