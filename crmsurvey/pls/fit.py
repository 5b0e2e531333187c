"""Overall model fit of a PLS path model: SRMR, d_ULS, d_G, χ², NFI and the exact fit test.

Definitions (Henseler et al. 2014, "Common beliefs and reality about PLS"; Dijkstra &
Henseler 2015, "Consistent and asymptotically normal PLS estimators"), all on correlation
matrices of the items, ``S`` observed and ``Σ`` implied by the model, as ADANCO and cSEM
(``calculateSRMR``, ``calculateDL``, ``calculateDG`` in its ``R/helper_assess.R``)
report them:

- SRMR: ``sqrt(mean((S − Σ)²))`` over the lower triangle with the diagonal;
- d_ULS: ``½ Σ_ij (s_ij − σ_ij)²`` (squared Euclidean distance, whole matrix);
- d_G: ``½ Σ_k (log₁₀ φ_k)²``, φ the eigenvalues of ``S⁻¹Σ`` (geodesic distance with the
  **base-10** logarithm, as ADANCO and cSEM print it; with the natural logarithm the
  value would be (ln 10)² ≈ 5.30 times larger);
- χ² ``= (n − 1) F_ML(S, Σ)`` and NFI ``= 1 − F_ML(S, Σ) / F_ML(S, I)``.

The implied matrix ``Σ`` (as cSEM's ``fit()`` in ``R/csem_fit.R``): ``Σ = Λ V Λ' + Θ``
with ``Θ = I − diag(Λ Λ')`` (so unit diagonal), where ``Λ`` holds each item's loading on
its own construct and ``V`` is the construct correlation matrix. For a **composite**
(every construct of PLS-PM, and mode B or single-item constructs under PLSc) the loadings
are the item–composite correlations and the block's own correlations are left free
(``Σ_jj = S_jj``). For a **common factor** (a multi-item mode A construct under PLSc,
``consistent=True``) the loadings are the consistent loadings and the block follows
``λλ'``, and ``V`` is the disattenuated matrix. *Saturated* model: ``V`` is the estimated
construct correlation matrix. *Estimated* model: ``V`` implied by the recursive
structural model ``η = Bη + ζ`` — the exogenous constructs' correlations as estimated,
uncorrelated disturbances with ``var ζ_j = 1 − Σ_i β_ij v_ij = 1 − R²_j``, so
``V = (I − B)⁻¹ Ψ (I − B)⁻ᵀ``; its diagonal is then set to 1 (an outcome's implied
variance differs from 1 where the model omits paths). A ``~~`` line between two
constructs keeps their estimated correlation, between two items their observed one.

The exact fit test (Dijkstra & Henseler 2015; Bollen–Stine / Beran–Srivastava) draws
resamples from the standardised data transformed to fit the model exactly,
``Z S^{-1/2} Σ^{1/2}``, refits the model on each and reports the 95 % and 99 % quantiles
of each distance (``HI95``, ``HI99``; d_G with the same base-10 definition): a distance
above its HI95 rejects exact fit at 5 %.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._threads import blas_threads
from ..moments import PairProducts, chunk_blocks
from ..resampling import scheme_for
from .layout import Layout
from .stats import BatchStats, Options, batch_statistics

__all__ = ["implied_correlations", "distances", "model_fit", "MEASURES"]

MEASURES = ("srmr", "d_uls", "d_g", "chisq", "nfi")


def common_factors(lay: Layout, consistent: bool) -> np.ndarray:
    """(K,) True for constructs modelled as common factors (PLSc, mode A, ≥ 2 items)."""
    if not consistent:
        return np.zeros(lay.k, dtype=bool)
    sizes = lay.mask.sum(axis=0)
    return ~lay.mode_b & (sizes > 1)


def structural_correlations(st: BatchStats, lay: Layout) -> np.ndarray:
    """Construct correlations (B, K, K) implied by the recursive structural model.

    Built in causal order, which is ``(I − B)⁻¹ Ψ (I − B)⁻ᵀ`` written for a recursive
    model: ``cov(η_j, η_d) = Σ_i β_ij cov(η_i, η_d)`` and ``var η_j = β' V_pred β + ψ_j``
    with ``ψ_j = 1 − Σ_i β_ij ccor_ij``; the diagonal is set to 1 at the end, as cSEM."""
    c = st.ccor
    v = np.zeros_like(c)
    order = lay.causal_order()
    exo = [j for j in order if not lay.adj[:, j].any()]
    ix = np.ix_(exo, exo)
    v[:, ix[0], ix[1]] = c[:, ix[0], ix[1]]
    psi = 1.0 - (st.beta * c).sum(axis=1)  # (B, K): 1 − R² of each outcome
    for pos in range(len(exo), lay.k):
        j, done = order[pos], order[:pos]
        pred = lay.predecessors(j)
        b = st.beta[:, pred, j]
        cov = np.einsum("bq,bqd->bd", b, v[:, pred][:, :, done])
        v[:, j, done] = cov
        v[:, done, j] = cov
        v[:, j, j] = np.einsum("bq,bqr,br->b", b, v[:, pred][:, :, pred], b) + psi[:, j]
    v[:, np.arange(lay.k), np.arange(lay.k)] = 1.0
    for a, b_ in _pairs(lay, lay.constructs):  # correlated disturbances: as estimated
        v[:, a, b_] = v[:, b_, a] = c[:, a, b_]
    return v


def _pairs(lay: Layout, names) -> list[tuple[int, int]]:
    """Index pairs of the model's ``~~`` lines whose both ends are in ``names``."""
    index = {n: i for i, n in enumerate(names)}
    return [(index[a], index[b]) for a, b in lay.spec.covariances
            if a in index and b in index and a != b]


def implied_correlations(st: BatchStats, r: np.ndarray, lay: Layout, *,
                         common: np.ndarray, saturated: bool) -> np.ndarray:
    """The model-implied item correlation matrices (B, p, p) (see the module docstring)."""
    lam = st.loadings[:, np.arange(lay.p), lay.block]
    v = st.ccor if saturated else structural_correlations(st, lay)
    big = lam[:, :, None] * lay.mask[None]
    sigma = big @ v @ big.transpose(0, 2, 1)
    sigma[:, np.arange(lay.p), np.arange(lay.p)] = 1.0
    comp = lay.mask[:, ~common]
    free = (comp @ comp.T) > 0  # both items in the same composite block
    for a, b in _pairs(lay, lay.items):  # correlated measurement errors: as observed
        free[a, b] = free[b, a] = True
    return np.where(free[None], r, sigma)


def distances(s: np.ndarray, sigma: np.ndarray) -> dict[str, np.ndarray]:
    """SRMR, d_ULS, d_G and F_ML between batches of correlation matrices (B, p, p)."""
    p = s.shape[-1]
    diff = s - sigma
    il = np.tril_indices(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        srmr = np.sqrt((diff[:, il[0], il[1]] ** 2).mean(axis=1))
        d_uls = 0.5 * (diff ** 2).sum(axis=(1, 2))
        _, logdet_sigma = np.linalg.slogdet(sigma)
        _, logdet_s = np.linalg.slogdet(s)
        d_g, trace = _solved(s, sigma)
    singular = ~np.isfinite(d_g) | (np.linalg.cond(s) > 1e12)
    f_ml = np.where(singular, np.nan, logdet_sigma + trace - logdet_s - p)
    logdet_s = np.where(singular, np.nan, logdet_s)
    d_g = np.where(singular, np.nan, d_g)
    return {"srmr": srmr, "d_uls": d_uls, "d_g": d_g, "f_ml": f_ml, "f_null": -logdet_s}


def _solved(s: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d_G (base-10 logarithm, as ADANCO and cSEM) and tr(SΣ⁻¹) per sample; NaN where S
    or Σ is singular (collinear items)."""
    try:
        phi = np.linalg.eigvals(np.linalg.solve(s, sigma)).real
        return 0.5 * (np.log10(phi) ** 2).sum(axis=1), np.trace(np.linalg.solve(sigma, s),
                                                              axis1=1, axis2=2)
    except np.linalg.LinAlgError:
        if len(s) == 1:
            return np.array([np.nan]), np.array([np.nan])
        parts = [_solved(s[i:i + 1], sigma[i:i + 1]) for i in range(len(s))]
        return np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])


def _measures(st: BatchStats, r: np.ndarray, lay: Layout, common: np.ndarray,
              saturated: bool, n: int) -> dict[str, np.ndarray]:
    d = distances(r, implied_correlations(st, r, lay, common=common, saturated=saturated))
    return {"srmr": d["srmr"], "d_uls": d["d_uls"], "d_g": d["d_g"],
            "chisq": (n - 1) * d["f_ml"], "nfi": 1 - d["f_ml"] / d["f_null"]}


def _sqrtm(a: np.ndarray, power: float) -> np.ndarray:
    val, vec = np.linalg.eigh(a)
    return (vec * np.clip(val, 1e-12, None) ** power) @ vec.T


def model_fit(x: np.ndarray, base_w: np.ndarray, full: BatchStats, r: np.ndarray,
              lay: Layout, opts: Options, *, n_boot: int = 0, seed: int = 0,
              chunk: int = 500, resampling: str = "multinomial"
              ) -> tuple[pd.DataFrame, int]:
    """The fit table (one row per measure; ``saturated``, ``estimated`` and, with
    ``n_boot`` resamples, their ``*_hi95``/``*_hi99`` quantiles) and the number of
    resamples that failed. ``resampling``: the bootstrap's scheme
    (:func:`crmsurvey.resampling.scheme_for`)."""
    from ..moments import resample_moments

    common = common_factors(lay, opts.consistent)
    n = len(x)
    est = {m: _measures(full, r[None], lay, common, m == "saturated", n)
           for m in ("saturated", "estimated")}
    out = pd.DataFrame({"measure": list(MEASURES)})
    for m in ("saturated", "estimated"):
        out[m] = [float(est[m][k][0]) for k in MEASURES]
    if not n_boot or not np.isfinite(out[["saturated", "estimated"]].to_numpy()).all():
        return out, 0  # no test on singular correlation matrices (collinear items)
    wt = base_w / base_w.sum()
    z = (x - wt @ x) / np.sqrt(wt @ (x - wt @ x) ** 2)
    draws: dict[str, list[np.ndarray]] = {"saturated": [], "estimated": []}
    failed = 0
    for m in ("saturated", "estimated"):
        sigma = implied_correlations(full, r[None], lay, common=common,
                                     saturated=m == "saturated")[0]
        pp = PairProducts(z @ _sqrtm(r, -0.5) @ _sqrtm(sigma, 0.5))
        scheme = scheme_for(resampling, n, seed)
        for blocks, stop in chunk_blocks(n_boot, chunk):
            with blas_threads(1):
                mom = resample_moments(pp, scheme, base_w, blocks, stop)
                st = batch_statistics(mom, lay, opts)
            vals = np.column_stack([_measures(st, mom.corr, lay, common, m == "saturated", n)[k]
                                    for k in MEASURES])
            vals[~st.converged | ~np.isfinite(vals).all(axis=1)] = np.nan
            draws[m].append(vals)
    for m in ("saturated", "estimated"):
        d = np.concatenate(draws[m])
        failed = max(failed, int(np.isnan(d).any(axis=1).sum()))
        for q in (95, 99):
            out[f"{m}_hi{q}"] = np.nanquantile(d, q / 100, axis=0)
    out.loc[out.measure == "nfi", [c for c in out.columns if "_hi" in c]] = np.nan
    return out, failed
