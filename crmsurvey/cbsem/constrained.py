"""Fisher scoring under equality constraints, over one or several groups at once.

The free rows of a parameter table are ``θ_rows = K θ + c`` (:func:`crmsurvey.cbsem.
partable.constraints`); groups share θ wherever a label (or ``==``) ties them. The
discrepancy is lavaan's multi-group ``F = Σ_g (N_g/N) F_g`` (ML, GLS or ULS), its gradient
and expected information those of :mod:`crmsurvey.cbsem.scoring` carried through ``K``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._threads import blas_threads
from .partable import records
from .scoring import _weight, discrepancy, information
from .structure import BETA, LAMBDA, Structure

__all__ = ["GroupsFit", "fit_groups", "group_information", "MeanPart", "mean_part",
           "implied_mean", "intercepts", "fit_groups_means"]


@dataclass(frozen=True, eq=False)
class GroupsFit:
    theta: list[np.ndarray]  # each group's free rows
    u: np.ndarray  # the unique parameters
    f: np.ndarray  # each group's discrepancy F_g
    converged: bool
    iterations: int


def _split(rows: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(rows, np.cumsum(sizes)[:-1])


def _block_diag(blocks: list[np.ndarray]) -> np.ndarray:
    """The groups' square blocks on one diagonal (groups share no free row)."""
    q = sum(len(b) for b in blocks)
    out, at = np.zeros((q, q)), 0
    for b in blocks:
        out[at:at + len(b), at:at + len(b)] = b
        at += len(b)
    return out


def group_information(structs: list[Structure], thetas: list[np.ndarray], s: list,
                      weights: np.ndarray, estimator: str, s_inv=None):
    """Σ_g w_g (F_g, gradient, expected information) over the groups' free rows."""
    grads, infos, fs = [], [], []
    for g, (st, th) in enumerate(zip(structs, thetas)):
        sig, aux = st.implied(th[None])
        si = None if s_inv is None else s_inv[g][None]
        v = _weight(sig, si, estimator)
        deriv = st.derivatives(aux)
        grads.append(weights[g] * np.einsum("bij,bkji->bk", v @ (sig - s[g][None]) @ v,
                                            deriv)[0])
        infos.append(weights[g] * information(deriv, v)[0])
        fs.append(discrepancy(sig, s[g][None], estimator, si)[0])
    return np.array(fs), np.concatenate(grads), _block_diag(infos)


def _halving(total, u: np.ndarray, step: np.ndarray, f: float, tries: int = 20
             ) -> tuple[np.ndarray, float, float] | None:
    """Step-halving line search: the first of ``u − step``, ``u − step/2``, … whose
    objective is finite and not above ``f``, as ``(u_new, f_new, scale)``; None when
    twenty halvings find none (the scoring stops there)."""
    scale = 1.0
    for _ in range(tries):
        new = u - scale * step
        f_new = total(new)
        if np.isfinite(f_new) and f_new <= f + 1e-12:
            return new, f_new, scale
        scale /= 2
    return None


def _scoring(evaluate, sizes: list[int], n: list[float], theta0: list[np.ndarray],
             k: np.ndarray, c: np.ndarray, tol: float, max_iter: int):
    """Fisher scoring on the unique parameters ``u`` (the groups' rows ``K u + c``) of
    ``F = Σ_g (N_g/N) F_g``, with step halving; the one loop of every constrained fit.

    ``evaluate(thetas, need)`` gives the groups' ``F_g`` and, if ``need``, the gradient
    and expected information of ``F`` over all groups' rows (weights ``N_g/N`` applied;
    None where ``F`` is not finite). Returns the :class:`GroupsFit` and ``K' I K`` at the
    end (None if it could not be evaluated). Small matrices: one BLAS thread."""
    w = np.asarray(n, float) / float(np.sum(n))

    def at(uu, need):
        return evaluate(_split(k @ uu + c, sizes), need)

    with blas_threads(1):
        u = np.linalg.lstsq(k, np.concatenate(theta0) - c, rcond=None)[0]
        fs, grad, info = at(u, True)
        f, converged, it = float(np.dot(w, fs)), False, 0
        for it in range(1, max_iter + 1):
            if grad is None:
                break
            gu, iu = k.T @ grad, k.T @ info @ k
            try:
                step = np.linalg.solve(iu, gu)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(iu, gu, rcond=None)[0]
            found = _halving(lambda uu: float(np.dot(w, at(uu, False)[0])), u, step, f)
            if found is None:
                break
            u, f, scale = found
            fs, grad, info = at(u, True)
            if np.abs(scale * step).max() < tol:
                converged = True
                break
    iu = None if info is None else k.T @ info @ k
    return GroupsFit(_split(k @ u + c, sizes), u, fs, converged, it), iu


def fit_groups(structs: list[Structure], s: list[np.ndarray], n: list[float],
               theta0: list[np.ndarray], k: np.ndarray, c: np.ndarray, *,
               estimator: str = "ML", tol: float = 1e-9, max_iter: int = 500) -> GroupsFit:
    """Minimise ``Σ_g (N_g/N) F_g`` (the covariance structures) over the unique
    parameters from ``theta0``."""
    w = np.asarray(n, float) / float(np.sum(n))
    s_inv = [np.linalg.inv(x) for x in s] if estimator == "GLS" else None

    def evaluate(ths, need):
        if need:
            fs, grad, info = group_information(structs, ths, s, w, estimator, s_inv)
            return (fs, grad, info) if np.all(np.isfinite(fs)) else (fs, None, None)
        return np.array([discrepancy(st.implied(t[None])[0], x[None], estimator,
                                     None if s_inv is None else s_inv[g][None])[0]
                         for g, (st, t, x) in enumerate(zip(structs, ths, s))]), None, None

    return _scoring(evaluate, [st.q for st in structs], n, theta0, k, c, tol, max_iter)[0]


# --- with a mean structure: μ = ν + Λ C α ----------------------------------------------

@dataclass(frozen=True, eq=False)
class MeanPart:
    """One group's mean structure ``μ = ν + Λ (I − B)⁻¹ α``: the entry of ν (observed
    variables) or α (inner variables: factors, and observed variables in the structural
    part) each free intercept row sets, and the fixed values of both."""

    to_alpha: np.ndarray  # (r,) bool
    pos: np.ndarray  # (r,)
    nu0: np.ndarray  # (p,)
    alpha0: np.ndarray  # (m,)

    @property
    def r(self) -> int:
        return len(self.pos)


def mean_part(rows, st: Structure, mean: np.ndarray) -> MeanPart:
    """The :class:`MeanPart` of one group's table rows (exogenous covariates' means: the
    sample ``mean``)."""
    obs = {v: k for k, v in enumerate(st.observed)}
    inner = {v: k for k, v in enumerate(st.inner)}
    nu0, alpha0 = np.zeros(len(obs)), np.zeros(len(inner))
    to_alpha, pos = [], []
    for r in records(rows[rows.op == "~1"]):
        a = r.lhs in inner
        k = inner[r.lhs] if a else obs[r.lhs]
        if r.free > 0:
            to_alpha.append(a)
            pos.append(k)
            continue
        value = mean[obs[r.lhs]] if r.exo else (r.ustart if np.isfinite(r.ustart) else 0.0)
        (alpha0 if a else nu0)[k] = value
    return MeanPart(np.array(to_alpha, bool), np.array(pos, int), nu0, alpha0)


def implied_mean(st: Structure, mp: MeanPart, theta: np.ndarray, means: np.ndarray):
    """``μ`` and the pieces of its derivatives (ΛC, Cα)."""
    beta, lam, _, _ = (a[0] for a in st.matrices(theta[None]))
    nu, alpha = mp.nu0.copy(), mp.alpha0.copy()
    nu[mp.pos[~mp.to_alpha]] = means[~mp.to_alpha]
    alpha[mp.pos[mp.to_alpha]] = means[mp.to_alpha]
    c = np.linalg.inv(np.eye(len(beta)) - beta)
    ca = c @ alpha
    return nu + lam @ ca, (lam @ c, ca)


def mean_derivatives(st: Structure, mp: MeanPart, aux) -> np.ndarray:
    """``∂μ/∂θ`` for the structure's free rows, then the free intercepts: (q + r, p)."""
    lc, ca = aux
    out = np.zeros((st.q + mp.r, lc.shape[0]))
    for k in range(st.q):
        which, i, j = st.matrix[k], st.row[k], st.col[k]
        if which == LAMBDA:
            out[k, i] = ca[j]
        elif which == BETA:
            out[k] = lc[:, i] * ca[j]
    for t in range(mp.r):
        if mp.to_alpha[t]:
            out[st.q + t] = lc[:, mp.pos[t]]
        else:
            out[st.q + t, mp.pos[t]] = 1.0
    return out


def intercepts(st: Structure, rows, theta: np.ndarray, mu: np.ndarray, fixed: np.ndarray,
               cov: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """lavaan's intercepts of the observed variables from their means ``μ`` (a saturated
    mean structure) and their standard errors by the delta method from ``cov``, the
    covariance of ``(θ, μ)`` (q + p).

    The free ``~1`` rows ``τ`` (ν of an indicator, α of an observed variable in the
    structural part) solve ``μ = ν + Λ(I − B)⁻¹α`` given θ and the ``fixed`` means (the
    exogenous covariates', kept at ``μ``, no standard error): linear in τ, so
    ``τ = A⁻¹(μ − b)`` with ``A = ∂μ/∂τ``, and ``∂τ/∂θ = −A⁻¹ ∂μ/∂θ``, ``∂τ/∂μ = A⁻¹``.
    Without covariates or structural observed variables τ = μ. ``rows``: the group's
    table rows."""
    q, p = len(theta), len(mu)
    mp = mean_part(rows, st, mu)
    obs = {v: k for k, v in enumerate(st.observed)}
    at = np.array([obs[v] for v in rows.lhs[(rows.op == "~1") & (rows.free > 0)]], int)
    base, aux = implied_mean(st, mp, theta, np.zeros(mp.r))
    a = mean_derivatives(st, mp, aux)[q:, at].T  # (r, r): ∂μ_at/∂τ
    a_inv = np.linalg.inv(a)
    tau = a_inv @ (mu[at] - base[at])
    _, aux = implied_mean(st, mp, theta, tau)
    jac = np.zeros((p, q + p))
    jac[at, :q] = -a_inv @ mean_derivatives(st, mp, aux)[:q, at].T
    jac[np.ix_(at, q + at)] = a_inv
    nu = mu.copy()
    nu[at] = tau
    if cov is None:
        return nu, np.full(p, np.nan)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, cov, jac), 0, None))
    return nu, np.where(fixed, np.nan, se)


def _ml_means(st, mp, th, s, m, need: bool):
    """F_ML with means (``log|Σ| + tr((S + dd')Σ⁻¹) − log|S| − p``, d = m − μ) and, if
    ``need``, its gradient and expected information over [θ, intercepts]."""
    theta, means = th[:st.q], th[st.q:]
    sig, aux = st.implied(theta[None])
    sigma = sig[0]
    try:  # positive definite, not a positive determinant (two negative roots have one)
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf, None, None
    logdet = 2 * float(np.log(np.diag(chol)).sum())
    mu, maux = implied_mean(st, mp, theta, means)
    d = m - mu
    v = np.linalg.inv(sigma)
    t = s + np.outer(d, d)
    f = logdet + np.trace(t @ v) - np.linalg.slogdet(s)[1] - len(s)
    if not need:
        return f, None, None
    deriv = st.derivatives(aux)
    dm = mean_derivatives(st, mp, maux)
    grad = -2 * dm @ (v @ d)
    grad[:st.q] += np.einsum("ij,kji->k", v @ (sigma - t) @ v, deriv[0])
    info = 2 * dm @ v @ dm.T
    info[:st.q, :st.q] += information(deriv, v[None])[0]
    return f, grad, info


def fit_groups_means(structs: list[Structure], parts: list[MeanPart], s: list, m: list,
                     n: list[float], theta0: list[np.ndarray], k: np.ndarray, c: np.ndarray,
                     *, tol: float = 1e-9, max_iter: int = 500):
    """ML with a mean structure over the groups, ``F = Σ_g (N_g/N) F_g``, by Fisher
    scoring on the unique parameters (:func:`_scoring`); each group's vector is
    [θ_g, intercepts_g]. Returns the fit and the covariance of all rows (expected
    information; None when singular)."""
    w = np.asarray(n, float) / float(np.sum(n))

    def evaluate(ths, need):
        out = [_ml_means(st, mp, th, s[g], m[g], need)
               for g, (st, mp, th) in enumerate(zip(structs, parts, ths))]
        fs = np.array([o[0] for o in out])
        if not need or any(o[1] is None for o in out):
            return fs, None, None
        return fs, np.concatenate([w[g] * o[1] for g, o in enumerate(out)]), \
            _block_diag([w[g] * o[2] for g, o in enumerate(out)])

    sizes = [st.q + mp.r for st, mp in zip(structs, parts)]
    gf, iu = _scoring(evaluate, sizes, n, theta0, k, c, tol, max_iter)
    try:
        cov = None if iu is None else k @ (2 / float(np.sum(n)) * np.linalg.inv(iu)) @ k.T
    except np.linalg.LinAlgError:
        cov = None
    return gf, cov
