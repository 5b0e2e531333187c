"""Full-information maximum likelihood with a saturated mean structure (lavaan's
``missing = "ml"``), written here: semopy's FIML mishandles the means.

The log-likelihood sums over the missing-data patterns: for a pattern with observed set
``o``, ``n_k`` rows, their mean ``m_k`` and (divisor ``n_k``) covariance ``C_k``,
``−n_k/2 [p_o ln 2π + ln|Σ_oo| + tr(Σ_oo⁻¹ (C_k + (m_k − μ_o)(m_k − μ_o)'))]``.
Parameters are the covariance structure ``θ`` and one free intercept per variable ``μ``;
they are found by BFGS with the analytic gradient from the ML fit to the EM covariance.
Standard errors come from the observed information, lavaan's default for ``missing =
"ml"``, here analytic (:func:`observed_information`): the saturated model's observed
information in ``φ = (μ, vech Σ)`` pattern by pattern (:func:`saturated_information`),
carried to the parameters by ``Δ = ∂φ/∂(θ, μ)``, plus the curvature of ``Σ(θ)`` weighted
by the likelihood's gradient in ``Σ`` (:func:`curvature`). The test statistic is
``2 (ℓ_H1 − ℓ)`` against the unrestricted model (EM estimates of μ and Σ); the baseline
model has free means and variances and no covariances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["Patterns", "em_saturated", "fiml_fit", "FimlFit", "fiml_measures", "with_intercepts",
           "saturated_information", "curvature", "observed_information", "pair_trace",
           "moment_jacobian"]

LOG2PI = np.log(2 * np.pi)


@dataclass(frozen=True, eq=False)
class Patterns:
    """Rows grouped by which variables they answered: per pattern the observed index,
    the row count, mean and (divisor n) covariance of those rows."""

    obs: list[np.ndarray]
    n: np.ndarray
    mean: list[np.ndarray]
    cov: list[np.ndarray]
    rows: list[np.ndarray]  # the pattern's answers (n_k, p_o)
    index: list[np.ndarray]  # the pattern's row numbers

    @classmethod
    def of(cls, x: np.ndarray) -> "Patterns":
        seen = ~np.isnan(x)
        keys, inverse = np.unique(seen, axis=0, return_inverse=True)
        obs, n, mean, cov, rows, index = [], [], [], [], [], []
        for k, key in enumerate(keys):
            if not key.any():
                continue
            o = np.flatnonzero(key)
            idx = np.flatnonzero(inverse.ravel() == k)
            xk = x[idx][:, o]
            index.append(idx)
            obs.append(o)
            n.append(len(xk))
            mean.append(xk.mean(axis=0))
            cov.append(np.cov(xk, rowvar=False, bias=True).reshape(len(o), len(o)))
            rows.append(xk)
        return cls(obs, np.array(n, dtype=float), mean, cov, rows, index)

    @property
    def total(self) -> float:
        return float(self.n.sum())


def loglik(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    out = 0.0
    for o, n, m, c in zip(pat.obs, pat.n, pat.mean, pat.cov):
        s_oo = sigma[np.ix_(o, o)]
        sign, logdet = np.linalg.slogdet(s_oo)
        if sign <= 0:
            return -np.inf
        d = m - mu[o]
        t = c + np.outer(d, d)
        out -= n / 2 * (len(o) * LOG2PI + logdet + np.trace(np.linalg.solve(s_oo, t)))
    return float(out)


def em_saturated(pat: Patterns, p: int, *, tol: float = 1e-10,
                 max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """ML means and covariance of the unrestricted model under missing data (EM)."""
    sums, squares, counts = np.zeros(p), np.zeros(p), np.zeros(p)
    for o, n, m, c in zip(pat.obs, pat.n, pat.mean, pat.cov):
        sums[o] += n * m
        squares[o] += n * (np.diag(c) + m * m)
        counts[o] += n
    mu = sums / counts  # start: each variable's observed mean and variance
    sigma = np.diag(squares / counts - mu * mu)
    total = pat.total
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for o, xk in zip(pat.obs, pat.rows):
            mis = np.setdiff1d(np.arange(p), o)
            full = np.empty((len(xk), p))
            full[:, o] = xk
            extra = np.zeros((p, p))
            if mis.size:
                b = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, mis)])  # (o, m)
                full[:, mis] = mu[mis] + (xk - mu[o]) @ b
                extra[np.ix_(mis, mis)] = len(xk) * (sigma[np.ix_(mis, mis)]
                                                     - sigma[np.ix_(mis, o)] @ b)
            t1 += full.sum(axis=0)
            t2 += full.T @ full + extra
        new_mu = t1 / total
        new_sigma = t2 / total - np.outer(new_mu, new_mu)
        change = np.abs(new_sigma - sigma).max() + np.abs(new_mu - mu).max()
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


def _objective(st, pat: Patterns, p: int):
    q = st.q

    def f(par: np.ndarray) -> tuple[float, np.ndarray]:
        theta, mu = par[:q], par[q:]
        sigma, aux = st.implied(theta[None])
        sigma = sigma[0]
        deriv = st.derivatives(aux)[0]  # (q, p, p)
        value = 0.0
        g_sigma = np.zeros((p, p))
        g_mu = np.zeros(p)
        for o, n, m, c in zip(pat.obs, pat.n, pat.mean, pat.cov):
            s_oo = sigma[np.ix_(o, o)]
            sign, logdet = np.linalg.slogdet(s_oo)
            if sign <= 0:
                return np.inf, np.zeros_like(par)
            a = np.linalg.inv(s_oo)
            d = m - mu[o]
            t = c + np.outer(d, d)
            at = a @ t
            value += n / 2 * (len(o) * LOG2PI + logdet + np.trace(at))
            g_sigma[np.ix_(o, o)] += n / 2 * (a - at @ a)
            g_mu[o] -= n * (a @ d)
        g_theta = np.einsum("ij,kij->k", g_sigma, deriv)
        return value, np.concatenate([g_theta, g_mu])

    return f


@dataclass(frozen=True)
class FimlFit:
    theta: np.ndarray
    mu: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    cov: np.ndarray | None  # (q + p, q + p) from the observed information
    h1_mu: np.ndarray
    h1_sigma: np.ndarray
    h1_loglik: float
    baseline_loglik: float


def fiml_fit(st, x: np.ndarray, theta0: np.ndarray) -> FimlFit:
    """FIML estimates from ``theta0`` (see the module docstring)."""
    p = x.shape[1]
    pat = Patterns.of(x)
    h1_mu, h1_sigma = em_saturated(pat, p)
    f = _objective(st, pat, p)
    start = np.concatenate([theta0, h1_mu])
    res = optimize.minimize(f, start, jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 2000})
    par = res.x
    # BFGS often stops on "precision loss" at the optimum: judge by the gradient per row
    converged = bool(res.success) or float(np.abs(res.jac).max()) / pat.total < 1e-6
    cov = _observed_cov(st, pat, par)
    base = 0.0
    for j in range(p):
        v = x[:, j][~np.isnan(x[:, j])]
        base -= len(v) / 2 * (LOG2PI + np.log(v.var()) + 1)
    return FimlFit(par[:st.q], par[st.q:], -float(res.fun), converged, int(res.nit), cov,
                   h1_mu, h1_sigma, loglik(pat, h1_mu, h1_sigma), base)


def _observed_cov(st, pat: Patterns, par: np.ndarray) -> np.ndarray | None:
    """Inverse of the analytic Hessian of −ℓ at ``par = (θ, μ)``."""
    h = observed_information(st, pat, par[:st.q], par[st.q:])
    try:
        return np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return None


def pair_trace(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ_k w_k tr(U_k E_ab V_k E_cd)`` over the vech pairs ``ab``, ``cd`` (lower
    triangle, row-major as ``np.tril_indices``), ``E_ab`` the symmetric unit matrix of the
    pair; ``u``, ``v`` (K, p, p) symmetric. ``pair_trace(V, V, [1])`` is ``D'(V⊗V)D``."""
    p = u.shape[-1]
    t = np.einsum("k,kxy,kzw->yzwx", w, u, v, optimize=True)  # tr term U_xy V_zw
    i, j = np.tril_indices(p)
    off = (i != j).astype(float)
    a, b = (i[:, None], j[:, None]), (i[None, :], j[None, :])
    out = t[a[0], a[1], b[0], b[1]] + off[:, None] * t[a[1], a[0], b[0], b[1]]
    out += off[None, :] * t[a[0], a[1], b[1], b[0]]
    out += (off[:, None] * off[None, :]) * t[a[1], a[0], b[1], b[0]]
    return out


def _pattern_pieces(pat: Patterns, mu: np.ndarray, sigma: np.ndarray):
    """Per pattern, padded to (p, p): ``A = Σ_oo⁻¹``, ``A T A`` with ``T = C + dd'``
    and ``A d`` (``d = m − μ_o``)."""
    p = len(mu)
    k = len(pat.obs)
    a, ata, ad = np.zeros((k, p, p)), np.zeros((k, p, p)), np.zeros((k, p))
    for r, (o, m, c) in enumerate(zip(pat.obs, pat.mean, pat.cov)):
        inv = np.linalg.inv(sigma[np.ix_(o, o)])
        d = m - mu[o]
        ai = inv @ (c + np.outer(d, d)) @ inv
        a[r][np.ix_(o, o)] = inv
        ata[r][np.ix_(o, o)] = ai
        ad[r, o] = inv @ d
    return a, ata, ad


def saturated_information(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Observed information per row of the normal model in ``φ = (μ, vech Σ)`` at ``(μ,
    Σ)`` under the rows' missing-data patterns: ``−∂²ℓ/∂φ∂φ' / N`` (p + p*, p + p*),
    lavaan's ``lav_mvnorm_missing_information_observed_samplestats``.

    Per pattern with ``A = Σ_oo⁻¹``, ``d = m − μ_o`` and ``T = C + dd'``: ``n A`` for the
    means, ``n A E_ab A d`` between a mean and ``σ_ab``, and ``n/2 [tr(A E (ATA) F) +
    tr(ATA E A F) − tr(A E A F)]`` between ``σ_E`` and ``σ_F``.
    """
    p = len(mu)
    a, ata, ad = _pattern_pieces(pat, mu, sigma)
    n = pat.n
    i, j = np.tril_indices(p)
    off = (i != j).astype(float)
    out = np.empty((p + len(i), p + len(i)))
    out[:p, :p] = np.einsum("k,kxy->xy", n, a)
    m = np.einsum("k,kxa,kb->xab", n, a, ad)  # n A[:, a] (Ad)_b
    cross = m[:, i, j] + off * m[:, j, i]
    out[:p, p:] = cross
    out[p:, :p] = cross.T
    half = n / 2
    out[p:, p:] = (pair_trace(a, ata, half) + pair_trace(ata, a, half)
                   - pair_trace(a, a, half))
    return out / pat.total


def sigma_gradient(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``∂(−ℓ)/∂Σ`` with every entry free (symmetric p × p): ``Σ n/2 (A − ATA)``."""
    a, ata, _ = _pattern_pieces(pat, mu, sigma)
    return np.einsum("k,kxy->xy", pat.n / 2, a - ata)


def curvature(st, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``tr(G ∂²Σ/∂θ_k∂θ_l)`` (q, q) for a symmetric ``G`` (p, p), ``Σ = MΨM' + Θ`` with
    ``M = ΛC``, ``C = (I − B)⁻¹``: the part of the Hessian that ``Δ'(·)Δ`` leaves out."""
    from .structure import BETA, LAMBDA, PSI

    beta, lam, psi, _ = (x[0] for x in st.matrices(theta[None]))
    r = beta.shape[0]
    c = np.linalg.inv(np.eye(r) - beta)
    mm = lam @ c
    q, p = st.q, lam.shape[0]
    d_m = np.zeros((q, p, r))
    d_psi = np.zeros((q, r, r))
    kind, row, col = st.matrix, st.row, st.col
    for k in range(q):
        i, j = row[k], col[k]
        if kind[k] == LAMBDA:
            d_m[k, i] = c[j]
        elif kind[k] == BETA:
            d_m[k] = np.outer(mm[:, i], c[j])
        elif kind[k] == PSI:
            d_psi[k, i, j] = d_psi[k, j, i] = 1.0
    gm = g @ d_m  # (q, p, r)
    out = 2 * np.einsum("kpr,rs,lps->kl", gm, psi, d_m, optimize=True)
    mq = np.einsum("pr,kps->krs", mm, gm)  # M' G dM_k
    t2 = 2 * np.einsum("kxy,lyx->kl", mq, d_psi)
    out += t2 + t2.T
    h = g @ mm @ psi  # (p, r)
    hc = h @ c.T  # (p, r): (H C')[x, b]
    mhc = mm.T @ hc  # (r, r)
    lam_k = np.flatnonzero(kind == LAMBDA)
    beta_k = np.flatnonzero(kind == BETA)
    for l in beta_k:  # noqa: E741 — the pair (k, l) of the formula
        a_, b_ = row[l], col[l]
        for k in lam_k:
            v = 2 * c[col[k], a_] * hc[row[k], b_]
            out[k, l] += v
            out[l, k] += v
        for k in beta_k:
            i, j = row[k], col[k]
            out[k, l] += 2 * (c[j, a_] * mhc[i, b_] + c[b_, i] * mhc[a_, j])
    return out


def moment_jacobian(deriv: np.ndarray, p: int) -> np.ndarray:
    """``Δ = ∂(μ, vech Σ)/∂(θ, μ)`` (p + p*, q + p) from ``∂Σ/∂θ`` (q, p, p), the means
    free and saturated."""
    q = deriv.shape[0]
    i, j = np.tril_indices(p)
    delta = np.zeros((p + len(i), q + p))
    delta[:p, q:] = np.eye(p)
    delta[p:, :q] = deriv[:, i, j].T
    return delta


def observed_information(st, pat: Patterns, theta: np.ndarray, mu: np.ndarray
                         ) -> np.ndarray:
    """The Hessian of −ℓ (not per row) in ``(θ, μ)``: ``N Δ' H Δ`` with ``H`` the
    saturated observed information at the implied moments, plus the curvature term."""
    sigma, aux = st.implied(theta[None])
    sigma = sigma[0]
    delta = moment_jacobian(st.derivatives(aux)[0], len(mu))
    h = pat.total * delta.T @ saturated_information(pat, mu, sigma) @ delta
    q = st.q
    h[:q, :q] += curvature(st, theta, sigma_gradient(pat, mu, sigma))
    return (h + h.T) / 2


def fiml_measures(fiml, sigma: np.ndarray, npar: int, df: int, n: float) -> dict:
    """lavaan's fit measures for FIML: χ² = 2(ℓ_H1 − ℓ), npar counts the intercepts."""
    from .fitmeasures import FIT_NAMES, _from_chisq, srmr

    p = len(sigma)
    chisq = 2 * (fiml.h1_loglik - fiml.loglik)
    base = 2 * (fiml.h1_loglik - fiml.baseline_loglik)
    k = npar + p
    fit = dict.fromkeys(FIT_NAMES, np.nan)
    fit.update(_from_chisq(chisq, df, base, p * (p - 1) // 2, n))
    fit.update(npar=k, srmr=srmr(fiml.h1_sigma, sigma, fiml.h1_mu, fiml.mu),
               loglik=fiml.loglik, aic=-2 * fiml.loglik + 2 * k,
               bic=-2 * fiml.loglik + k * np.log(n), ntotal=n)
    return fit


def with_intercepts(est: pd.DataFrame, observed, fiml, cov, sigma: np.ndarray,
                     ci: float) -> pd.DataFrame:
    """The free intercepts as lavaan's ``~1`` rows."""
    from .tables import more_rows

    q = len(fiml.theta)
    se = np.sqrt(np.diag(cov))[q:] if cov is not None else np.full(len(observed), np.nan)
    return more_rows(est, lhs=list(observed), op="~1", rhs="", value=fiml.mu, se=se, ci=ci,
                     std_lv=fiml.mu, std_all=fiml.mu / np.sqrt(np.diag(sigma)))
