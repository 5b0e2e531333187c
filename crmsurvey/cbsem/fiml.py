"""Full-information maximum likelihood with a saturated mean structure (lavaan's
``missing = "ml"``), written here: semopy's FIML mishandles the means.

The log-likelihood sums over the missing-data patterns: for a pattern with observed set
``o``, ``n_k`` rows, their mean ``m_k`` and (divisor ``n_k``) covariance ``C_k``,
``−n_k/2 [p_o ln 2π + ln|Σ_oo| + tr(Σ_oo⁻¹ (C_k + (m_k − μ_o)(m_k − μ_o)'))]``.
Parameters are the covariance structure ``θ`` and one free intercept per variable ``μ``;
they are found by Newton steps with the analytic gradient and Hessian from the ML fit to
the EM covariance (BFGS only if a step cannot be found).
Standard errors come from the observed information, lavaan's default for ``missing =
"ml"``, here analytic (:mod:`crmsurvey.cbsem.information`); the patterns and the EM
estimates are in :mod:`crmsurvey.cbsem.patterns`. The test statistic is
``2 (ℓ_H1 − ℓ)`` against the unrestricted model (EM estimates of μ and Σ); the baseline
model has free means and variances and no covariances.

Exogenous observed covariates (``F ~ x``) are treated as lavaan's ``fixed.x = TRUE``: rows
missing a covariate are left out, the covariates' means and covariances stay at their
sample values (not parameters, not in ``npar``), ``logl`` is that of the indicators given
the covariates, the baseline keeps the covariates' covariances, and the ``~1`` rows are
intercepts ``ν = μ − Λ(I − B)⁻¹α`` (:func:`crmsurvey.cbsem.constrained.intercepts`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .information import observed_information
from .patterns import (LOG2PI, Patterns, em_saturated, loglik, pattern_terms,
                       summed_sigma_gradient)

__all__ = ["Patterns", "em_saturated", "fiml_fit", "FimlFit", "fiml_measures",
           "with_intercepts"]


def _objective(st, pat: Patterns, p: int):
    """−ℓ and its analytic gradient in ``(θ, μ)``."""
    q = st.q

    def f(par: np.ndarray) -> tuple[float, np.ndarray]:
        theta, mu = par[:q], par[q:]
        sigma, aux = st.implied(theta[None])
        a, ad, value = pattern_terms(pat, mu, sigma[0])
        if a is None:
            return np.inf, np.zeros_like(par)
        g_sigma = summed_sigma_gradient(pat, a, ad)
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
    cov: np.ndarray | None  # (q + p, q + p) from the observed information; 0 where fixed
    h1_mu: np.ndarray
    h1_sigma: np.ndarray
    h1_loglik: float
    baseline_loglik: float
    fixed_mu: np.ndarray | None = None  # (p,) bool: means fixed (exogenous covariates)
    x_loglik: float = 0.0  # ℓ of the exogenous covariates alone (fixed.x), else 0


def fiml_fit(st, x: np.ndarray, theta0: np.ndarray, *, pat: Patterns | None = None,
             h1: tuple[np.ndarray, np.ndarray] | None = None,
             fixed_mu: np.ndarray | None = None) -> FimlFit:
    """FIML estimates from ``theta0`` (see the module docstring): Newton steps with the
    analytic Hessian (halved until −ℓ falls), BFGS from there if a step cannot be found;
    ``pat`` and ``h1`` (the EM moments) when the caller has them.

    ``fixed_mu`` marks exogenous observed covariates (complete columns), lavaan's
    ``fixed.x``: their means (and, in ``st``, their covariances) stay at the sample
    values, the free parameters are θ and the other means, and ``x_loglik`` holds the
    covariates' own log-likelihood (lavaan reports ℓ without it: that of y given x)."""
    from .._threads import blas_threads

    p, q = x.shape[1], st.q
    pat = Patterns.of(x) if pat is None else pat
    fixed = np.zeros(p, bool) if fixed_mu is None else np.asarray(fixed_mu, bool)
    free = np.concatenate([np.ones(q, bool), ~fixed])
    with blas_threads(1):
        h1_mu, h1_sigma = em_saturated(pat, p) if h1 is None else h1
        full = np.concatenate([theta0, h1_mu])
        f_all = _objective(st, pat, p)

        def at(par: np.ndarray) -> np.ndarray:
            out = full.copy()
            out[free] = par
            return out

        def f(par: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = f_all(at(par))
            return value, grad[free]

        def hessian(par: np.ndarray) -> np.ndarray:
            whole = at(par)
            return observed_information(st, pat, whole[:q], whole[q:])[np.ix_(free, free)]

        par, value, grad, iterations, converged = _newton(pat, f, hessian, full[free])
        if not converged:
            from scipy import optimize

            res = optimize.minimize(f, par, jac=True, method="BFGS",
                                    options={"gtol": 1e-9, "maxiter": 2000})
            par, value, grad = res.x, float(res.fun), res.jac
            iterations += int(res.nit)
            # BFGS often stops on "precision loss" at the optimum: judge by the gradient
            converged = bool(res.success) or float(np.abs(grad).max()) / pat.total < 1e-6
        cov = _observed_cov(hessian(par), free)
        h1_loglik = loglik(pat, h1_mu, h1_sigma)
    whole = at(par)
    base = 0.0
    for j in np.flatnonzero(~fixed):
        v = x[:, j][~np.isnan(x[:, j])]
        base -= len(v) / 2 * (LOG2PI + np.log(v.var()) + 1)
    x_ll = _complete_loglik(x[:, fixed]) if fixed.any() else 0.0
    return FimlFit(whole[:q], whole[q:], -value, converged, iterations, cov, h1_mu,
                   h1_sigma, h1_loglik, base + x_ll, fixed if fixed.any() else None, x_ll)


def _complete_loglik(x: np.ndarray) -> float:
    """ℓ of complete columns ``x`` (N, k) at their sample moments (divisor N)."""
    n, k = x.shape
    return float(-n / 2 * (k * LOG2PI + np.linalg.slogdet(np.atleast_2d(
        np.cov(x, rowvar=False, bias=True)))[1] + k))


def _newton(pat: Patterns, f, hessian, par: np.ndarray, *, max_iter: int = 50,
            tol: float = 1e-9):
    """Damped Newton on −ℓ: ``(par, value, gradient, iterations, converged)``;
    converged when the largest gradient entry per row is below ``tol``."""
    value, grad = f(par)
    for it in range(1, max_iter + 1):
        if np.abs(grad).max() / pat.total < tol:
            return par, value, grad, it - 1, True
        if not np.isfinite(value):
            break
        try:
            step = np.linalg.solve(hessian(par), grad)
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


def _observed_cov(h: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """Inverse of the Hessian ``h`` of −ℓ over the free parameters, placed in the rows
    and columns of all of ``(θ, μ)`` (zero for fixed means)."""
    try:
        inv = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return None
    out = np.zeros((len(free), len(free)))
    out[np.ix_(free, free)] = inv
    return out


def fiml_measures(fiml, sigma: np.ndarray, npar: int, df: int, n: float) -> dict:
    """lavaan's fit measures for FIML: χ² = 2(ℓ_H1 − ℓ), npar counts the free intercepts.
    With exogenous covariates (fixed.x) ℓ and ℓ_H1 are those of y given x, and the
    baseline keeps the covariates' covariances (lavaan)."""
    from .fitmeasures import FIT_NAMES, _from_chisq, information_criteria, srmr

    p = len(sigma)
    kx = 0 if fiml.fixed_mu is None else int(fiml.fixed_mu.sum())
    chisq = 2 * (fiml.h1_loglik - fiml.loglik)
    base = 2 * (fiml.h1_loglik - fiml.baseline_loglik)
    k = npar + p - kx
    fit = dict.fromkeys(FIT_NAMES, np.nan)
    fit.update(_from_chisq(chisq, df, base, p * (p - 1) // 2 - kx * (kx - 1) // 2, n))
    fit.update(npar=k, srmr=srmr(fiml.h1_sigma, sigma, fiml.h1_mu, fiml.mu), ntotal=n,
               **information_criteria(fiml.loglik - fiml.x_loglik, k, n))
    return fit


def with_intercepts(est: pd.DataFrame, st, fiml, cov, sigma: np.ndarray, ci: float,
                    rows=None) -> pd.DataFrame:
    """The observed variables' ``~1`` rows as lavaan's: intercepts ``ν = μ − Λ(I − B)⁻¹α``
    (``α``: the exogenous covariates' means, as inner variables; ν = μ without them),
    standard errors by the delta method from the covariance of ``(θ, μ)``; the
    covariates' means fixed (no standard error). ``rows``: the group's table rows (their
    ``~1`` rows place the covariates' means)."""
    from .constrained import intercepts
    from .tables import more_rows

    p = len(st.observed)
    fixed = np.zeros(p, bool) if fiml.fixed_mu is None else fiml.fixed_mu
    nu, se = intercepts(st, rows, fiml.theta, fiml.mu, fixed, cov)
    return more_rows(est, lhs=list(st.observed), op="~1", rhs="", value=nu, se=se, ci=ci,
                     std_lv=nu, std_all=nu / np.sqrt(np.diag(sigma)), free=~fixed)
