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

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Patterns", "em_saturated", "fiml_fit", "FimlFit", "fiml_measures", "with_intercepts",
           "saturated_information", "curvature", "observed_information", "pair_trace",
           "moment_jacobian", "pattern_inverses"]

LOG2PI = np.log(2 * np.pi)
_LAST: list = []  # the last (data key, Patterns): a fit asks twice for the same data


@dataclass(frozen=True, eq=False)
class Patterns:
    """Rows grouped by which variables they answered: per pattern the observed index,
    the row count, mean and (divisor n) covariance of those rows; for batched work the
    same padded to all ``p`` variables (zeros where not observed) and the patterns
    grouped by how many variables they miss (:attr:`groups`)."""

    obs: list[np.ndarray]
    n: np.ndarray
    mean: list[np.ndarray]
    cov: list[np.ndarray]
    index: list[np.ndarray]  # the pattern's row numbers
    seen: np.ndarray  # (K, p) bool
    mean_pad: np.ndarray  # (K, p)
    cov_pad: np.ndarray  # (K, p, p)
    row_pattern: np.ndarray  # (N,) each row's pattern
    groups: tuple[tuple[np.ndarray, np.ndarray], ...]  # (pattern ids (G,), missed (G, m))
    memo: dict = field(default_factory=dict, repr=False)  # the EM moments, once computed

    @classmethod
    def of(cls, x: np.ndarray) -> "Patterns":
        """The patterns of ``x`` (N, p) with NaN for missing answers; the same data twice
        in a row give the same object (its EM moments computed once)."""
        x = np.ascontiguousarray(x, dtype=float)
        key = (x.shape, hashlib.blake2b(x.view(np.uint8), digest_size=16).digest())
        if _LAST and _LAST[0][0] == key:
            return _LAST[0][1]
        pat = cls._build(x)
        _LAST[:] = [(key, pat)]
        return pat

    @classmethod
    def _build(cls, x: np.ndarray) -> "Patterns":
        seen_rows = ~np.isnan(x)
        keys, inverse = np.unique(seen_rows, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        keep = keys.any(axis=1)
        renumber = np.cumsum(keep) - 1
        keys = keys[keep]
        row_pattern = np.where(keep[inverse], renumber[inverse], -1)
        order = np.argsort(row_pattern, kind="stable")
        bounds = np.searchsorted(row_pattern[order], np.arange(len(keys) + 1))
        k, p = keys.shape
        obs, n, mean, cov, index = [], np.zeros(k), [], [], []
        mean_pad, cov_pad = np.zeros((k, p)), np.zeros((k, p, p))
        for r, key in enumerate(keys):
            o = np.flatnonzero(key)
            idx = order[bounds[r]:bounds[r + 1]]
            xk = x[np.ix_(idx, o)]
            m = xk.mean(axis=0)
            d = xk - m
            c = d.T @ d / len(xk)
            obs.append(o)
            index.append(idx)
            n[r] = len(xk)
            mean.append(m)
            cov.append(c)
            mean_pad[r, o] = m
            cov_pad[r][np.ix_(o, o)] = c
        sizes = (~keys).sum(axis=1)
        groups = tuple((ids, np.array([np.flatnonzero(~keys[r]) for r in ids], dtype=int)
                        .reshape(len(ids), size))
                       for size in np.unique(sizes) for ids in [np.flatnonzero(sizes == size)])
        return cls(obs, n, mean, cov, index, keys, mean_pad, cov_pad, row_pattern, groups)

    @property
    def total(self) -> float:
        return float(self.n.sum())


def pattern_inverses(pat: Patterns, sigma: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """``A = Σ_oo⁻¹`` of every pattern padded with zeros (K, p, p) and ``ln|Σ_oo|`` (K,),
    or None when Σ is not positive definite.

    With ``P = Σ⁻¹`` and ``m`` the variables a pattern misses, ``A = P − P_·m P_mm⁻¹
    P_m·`` and ``ln|Σ_oo| = ln|Σ| + ln|P_mm|`` (Schur complements): only the small
    ``P_mm`` is inverted per pattern, all patterns missing as many variables at once.
    """
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    k, p = pat.mean_pad.shape
    prec = np.linalg.inv(sigma)
    prec = (prec + prec.T) / 2
    logdet_full = 2 * np.log(np.diag(chol)).sum()
    a = np.empty((k, p, p))
    logdet = np.full(k, logdet_full)
    for ids, mis in pat.groups:
        if mis.shape[1] == 0:
            a[ids] = prec
            continue
        p_m = prec[:, mis].transpose(1, 0, 2)  # (G, p, m)
        p_mm = prec[mis[:, :, None], mis[:, None, :]]
        logdet[ids] += np.linalg.slogdet(p_mm)[1]
        a[ids] = prec - p_m @ np.linalg.solve(p_mm, p_m.transpose(0, 2, 1))
    a *= pat.seen[:, :, None] & pat.seen[:, None, :]  # exact zeros off the observed block
    return a, logdet


def _pattern_terms(pat: Patterns, mu: np.ndarray, sigma: np.ndarray):
    """Per pattern, padded to p: ``A = Σ_oo⁻¹`` (K, p, p) and ``A d`` (K, p) with ``d = m
    − μ_o``, and −ℓ (``inf`` where Σ is not positive definite)."""
    inv = pattern_inverses(pat, sigma)
    if inv is None:
        return None, None, np.inf
    a, logdet = inv
    d = np.where(pat.seen, pat.mean_pad - mu, 0.0)
    ad = np.einsum("kxy,ky->kx", a, d)
    size = pat.seen.sum(axis=1)
    value = pat.n @ (size * LOG2PI + logdet + np.einsum("kxy,kyx->k", a, pat.cov_pad)
                     + np.einsum("kx,kx->k", d, ad))
    return a, ad, 0.5 * float(value)


def _weighted_aca(pat: Patterns, a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ w_k A_k C_k A_k`` over the patterns with more than one row (C is 0 for one)."""
    many = np.flatnonzero(pat.n > 1)
    am = a[many]
    return np.einsum("k,kxy->xy", w[many], am @ pat.cov_pad[many] @ am)


def _sigma_gradient(pat: Patterns, a: np.ndarray, ad: np.ndarray) -> np.ndarray:
    """``∂(−ℓ)/∂Σ`` with every entry free: ``Σ n/2 (A − A T A)``, ``T = C + dd'``."""
    n = pat.n
    return 0.5 * (np.einsum("k,kxy->xy", n, a) - _weighted_aca(pat, a, n)
                  - (ad * n[:, None]).T @ ad)


def loglik(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """ℓ of the rows under ``N(μ, Σ)`` (−inf where a ``Σ_oo`` is not positive definite)."""
    return -_pattern_terms(pat, mu, sigma)[2]


def em_saturated(pat: Patterns, p: int, *, tol: float = 1e-10,
                 max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """ML means and covariance of the unrestricted model under missing data (EM), from
    the patterns' statistics (no loop over rows): each pattern's expected sum and sum of
    squares given its observed part."""
    key = ("em", p, tol, max_iter)
    if key not in pat.memo:
        pat.memo[key] = _em(pat, p, tol, max_iter)
    mu, sigma = pat.memo[key]
    return mu.copy(), sigma.copy()


def _em(pat: Patterns, p: int, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    n, total = pat.n, pat.total
    counts = n @ pat.seen
    mu = n @ pat.mean_pad / counts  # start: each variable's observed mean and variance
    sigma = np.diag(np.einsum("k,kxx->x", n, pat.cov_pad) / counts
                    + n @ pat.mean_pad ** 2 / counts - mu * mu)
    for _ in range(max_iter):
        # a row's expected full vector: μ + Σ A d (A = Σ_oo⁻¹ padded, d = x_o − μ_o);
        # summed over a pattern's rows, its second moments add Σ A C A Σ (the observed
        # spread carried over) and n (Σ − Σ A Σ) (the conditional covariance)
        a, _ = pattern_inverses(pat, sigma)
        ad = np.einsum("kxy,ky->kx", a, np.where(pat.seen, pat.mean_pad - mu, 0.0))
        e = mu + ad @ sigma
        aca = _weighted_aca(pat, a, n)
        spread = sigma @ (aca - np.einsum("k,kxy->xy", n, a)) @ sigma + total * sigma
        new_mu = n @ e / total
        new_sigma = (spread + (e * n[:, None]).T @ e) / total - np.outer(new_mu, new_mu)
        new_sigma = (new_sigma + new_sigma.T) / 2
        change = np.abs(new_sigma - sigma).max() + np.abs(new_mu - mu).max()
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


def _objective(st, pat: Patterns, p: int):
    """−ℓ and its analytic gradient in ``(θ, μ)``."""
    q = st.q

    def f(par: np.ndarray) -> tuple[float, np.ndarray]:
        theta, mu = par[:q], par[q:]
        sigma, aux = st.implied(theta[None])
        a, ad, value = _pattern_terms(pat, mu, sigma[0])
        if a is None:
            return np.inf, np.zeros_like(par)
        g_sigma = _sigma_gradient(pat, a, ad)
        g_mu = -pat.n @ ad
        g_theta = np.einsum("ij,kij->k", g_sigma, st.derivatives(aux)[0])
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


def fiml_fit(st, x: np.ndarray, theta0: np.ndarray, *, pat: Patterns | None = None,
             h1: tuple[np.ndarray, np.ndarray] | None = None) -> FimlFit:
    """FIML estimates from ``theta0`` (see the module docstring): Newton steps with the
    analytic Hessian (halved until −ℓ falls), BFGS from there if a step cannot be found;
    ``pat`` and ``h1`` (the EM moments) when the caller has them."""
    from .._threads import blas_threads

    p = x.shape[1]
    pat = Patterns.of(x) if pat is None else pat
    with blas_threads(1):
        h1_mu, h1_sigma = em_saturated(pat, p) if h1 is None else h1
        f = _objective(st, pat, p)
        par, value, grad, iterations, converged = _newton(st, pat, f,
                                                          np.concatenate([theta0, h1_mu]))
        if not converged:
            from scipy import optimize

            res = optimize.minimize(f, par, jac=True, method="BFGS",
                                    options={"gtol": 1e-9, "maxiter": 2000})
            par, value, grad = res.x, float(res.fun), res.jac
            iterations += int(res.nit)
            # BFGS often stops on "precision loss" at the optimum: judge by the gradient
            converged = bool(res.success) or float(np.abs(grad).max()) / pat.total < 1e-6
        cov = _observed_cov(st, pat, par)
        h1_loglik = loglik(pat, h1_mu, h1_sigma)
    base = 0.0
    for j in range(p):
        v = x[:, j][~np.isnan(x[:, j])]
        base -= len(v) / 2 * (LOG2PI + np.log(v.var()) + 1)
    return FimlFit(par[:st.q], par[st.q:], -value, converged, iterations, cov,
                   h1_mu, h1_sigma, h1_loglik, base)


def _newton(st, pat: Patterns, f, par: np.ndarray, *, max_iter: int = 50,
            tol: float = 1e-9):
    """Damped Newton on −ℓ: ``(par, value, gradient, iterations, converged)``;
    converged when the largest gradient entry per row is below ``tol``."""
    q = st.q
    value, grad = f(par)
    for it in range(1, max_iter + 1):
        if np.abs(grad).max() / pat.total < tol:
            return par, value, grad, it - 1, True
        if not np.isfinite(value):
            break
        try:
            hess = observed_information(st, pat, par[:q], par[q:])
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not grad @ step > 0:  # the Hessian is not positive definite here
            break
        scale = 1.0
        for _ in range(30):
            new = par - scale * step
            new_value, new_grad = f(new)
            if new_value <= value + 1e-12 * abs(value):
                break
            scale /= 2
        else:
            break
        par, value, grad = new, new_value, new_grad
    done = bool(np.isfinite(value) and np.abs(grad).max() / pat.total < tol)
    return par, value, grad, max_iter, done


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
    k, p = u.shape[0], u.shape[-1]
    i, j = np.tril_indices(p)
    # the trace term of the positions (y, z) of E_ab and (w, x) of E_cd is U_xy V_zw;
    # U and V are symmetric, so one product over the vech entries holds every such term
    t = (u[:, i, j] * w[:, None]).T @ v[:, i, j]  # (p*, p*): Σ_k w_k U_{ij} V_{kl}
    pos = np.empty((p, p), dtype=int)
    pos[i, j] = pos[j, i] = np.arange(len(i))
    off = (i != j).astype(float)
    a, b = (i[:, None], j[:, None]), (i[None, :], j[None, :])

    def at(y, z, w_, x):
        return t[pos[x, y], pos[z, w_]]

    out = at(a[0], a[1], b[0], b[1]) + off[:, None] * at(a[1], a[0], b[0], b[1])
    out += off[None, :] * at(a[0], a[1], b[1], b[0])
    out += (off[:, None] * off[None, :]) * at(a[1], a[0], b[1], b[0])
    return out


def _pattern_pieces(pat: Patterns, mu: np.ndarray, sigma: np.ndarray):
    """``A``, ``A T A`` and ``A d`` of every pattern (see :func:`_pattern_terms`)."""
    a, ad, _ = _pattern_terms(pat, mu, sigma)
    if a is None:
        raise np.linalg.LinAlgError("the implied covariance matrix is not positive definite")
    ata = a @ pat.cov_pad @ a + ad[:, :, None] * ad[:, None, :]
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
    cross_a = pair_trace(a, ata, half)  # pair_trace(ATA, A) is its transpose
    out[p:, p:] = cross_a + cross_a.T - pair_trace(a, a, half)
    return out / pat.total


def sigma_gradient(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``∂(−ℓ)/∂Σ`` with every entry free (symmetric p × p): ``Σ n/2 (A − ATA)``."""
    a, ad, _ = _pattern_terms(pat, mu, sigma)
    return _sigma_gradient(pat, a, ad)


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
