"""Rows of a data set grouped by which variables they answered, and the normal model's
pieces over those patterns: every pattern's ``Σ_oo⁻¹`` at once, the log-likelihood, its
gradient in ``Σ`` and the EM estimates of the unrestricted model (lavaan's h1 under
``missing = "ml"``).

For a pattern with observed set ``o``, ``n_k`` rows, their mean ``m_k`` and (divisor
``n_k``) covariance ``C_k``, the log-likelihood is ``−n_k/2 [p_o ln 2π + ln|Σ_oo| +
tr(Σ_oo⁻¹ (C_k + (m_k − μ_o)(m_k − μ_o)'))]``; nothing loops over rows.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Patterns", "pattern_inverses", "pattern_terms", "summed_sigma_gradient",
           "loglik", "em_saturated", "LOG2PI"]

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
        groups = []
        for size in np.unique(sizes):
            ids = np.flatnonzero(sizes == size)
            missed = np.array([np.flatnonzero(~keys[r]) for r in ids], dtype=int)
            groups.append((ids, missed.reshape(len(ids), size)))
        groups = tuple(groups)
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


def pattern_terms(pat: Patterns, mu: np.ndarray, sigma: np.ndarray):
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


def summed_sigma_gradient(pat: Patterns, a: np.ndarray, ad: np.ndarray) -> np.ndarray:
    """``∂(−ℓ)/∂Σ`` with every entry free: ``Σ n/2 (A − A T A)``, ``T = C + dd'``."""
    n = pat.n
    return 0.5 * (np.einsum("k,kxy->xy", n, a) - _weighted_aca(pat, a, n)
                  - (ad * n[:, None]).T @ ad)


def loglik(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """ℓ of the rows under ``N(μ, Σ)`` (−inf where a ``Σ_oo`` is not positive definite)."""
    return -pattern_terms(pat, mu, sigma)[2]


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
        inv = pattern_inverses(pat, sigma)
        if inv is None:  # Σ singular (collinear items): stop here; the caller's check of
            break        # the matrix reports it (sample_not_pd), nothing is smoothed over
        a = inv[0]
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
