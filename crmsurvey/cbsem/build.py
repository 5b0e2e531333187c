"""From model syntax to what the estimators fit: lavaan's parameter table, the groups'
matrix structures, the equality map, and the covariance-structure fit (ML, GLS, ULS,
DWLS) by Fisher scoring from the table's starting values.

semopy is not used here: the table is built by :mod:`crmsurvey.cbsem.partable`, the
matrices by :func:`~crmsurvey.cbsem.structure.structure_from_partable`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._threads import blas_threads
from ..errors import InputError
from .constrained import _block_diag, fit_groups, group_information
from .partable import Constraints, constraints, needs_meanstructure, parse_syntax, \
    partable, variables
from .scoring import score_fit
from .structure import Structure, simple_start, start_values, structure_from_partable

__all__ = ["Built", "build", "fit_covariance", "Fitted", "group_rows", "ls_measures",
           "LEAST_SQUARES"]


@dataclass(frozen=True, eq=False)
class Built:
    """A model read and completed: ``pt`` (every group), its observed and latent
    variables, whether it has a mean structure, and the equality map."""

    pt: pd.DataFrame
    observed: tuple[str, ...]
    latent: tuple[str, ...]
    meanstructure: bool
    cons: Constraints
    ngroups: int
    ov_x: tuple[str, ...] = ()  # exogenous covariates, fixed at their sample moments
    restricted_means: bool = False  # fixed or labelled intercepts, free latent means

    @property
    def n_means(self) -> int:
        """Free intercepts (all groups), counted in lavaan's ``npar``."""
        return int(((self.pt.op == "~1") & (self.pt.free > 0)).sum())

    @property
    def npar(self) -> int:
        """lavaan's ``npar``: unique free parameters, intercepts included."""
        return self.cons.npar + self.n_means

    @property
    def n_exo(self) -> int:
        """Moments of the exogenous covariates per group (not modelled: fixed.x)."""
        k = len(self.ov_x)
        return k * (k + 1) // 2

    @property
    def cross_group(self) -> bool:
        """Do constraints tie parameters of different groups?"""
        if self.ngroups < 2 or self.cons.trivial:
            return False
        rows = self.pt[(self.pt.free > 0) & self.pt.op.isin(["=~", "~", "~~"])]
        group_of_row = rows.group.to_numpy()
        for col in self.cons.k.T:
            if len(set(group_of_row[col != 0])) > 1:
                return True
        return False


def build(syntax: str, *, ngroups: int = 1, group: bool = False, fiml: bool = False,
          std_lv: bool = False, orthogonal: bool = False,
          meanstructure: bool | None = None) -> Built:
    """lavaan's table for ``syntax`` with lavaan's rule for the mean structure."""
    flat = parse_syntax(syntax)
    v = variables(flat)
    if not v.ov:
        raise InputError("the model names no observed variable", path="model")
    ms = needs_meanstructure(flat, group=group, fiml=fiml, meanstructure=meanstructure)
    pt = partable(flat, ngroups=ngroups, meanstructure=ms, std_lv=std_lv,
                  orthogonal=orthogonal)
    composite = pt[pt.op == "<~"]
    if len(composite):
        raise InputError(f"construct {composite.lhs.iloc[0]!r} is composite ('<~'); CB-SEM "
                         "fits reflective factors only", hint="fit it with pls() instead")
    if (pt.op == "|").any():
        raise InputError("thresholds (|) in the syntax are not supported here",
                         hint="name the ordered items with ordered=[...] instead")
    means = pt[pt.op == "~1"]
    restricted = bool(len(means[((means.free == 0) & (means.exo == 0) & ~means.lhs.isin(v.lv))
                                | ((means.free > 0) & means.lhs.isin(v.lv))
                                | ((means.free > 0) & (means.label != ""))]))
    return Built(pt, v.ov, v.lv, ms, constraints(pt), ngroups, v.ov_x, restricted)


def group_rows(pt: pd.DataFrame, g: int) -> pd.DataFrame:
    """Group ``g``'s (1-based) rows of the table."""
    return pt[pt.group == g]


@dataclass(frozen=True, eq=False)
class Fitted:
    """A covariance-structure fit of one or more groups."""

    structs: list[Structure]
    theta: list[np.ndarray]  # each group's free rows
    fmin: np.ndarray  # each group's discrepancy
    converged: bool
    iterations: int
    cov: np.ndarray | None  # covariance of all groups' free rows (expected information)


def fit_covariance(built: Built, s: list[np.ndarray], n: list[float], *,
                   estimator: str = "ML", x: list[np.ndarray] | None = None) -> Fitted:
    """See :func:`_fit_covariance`; its small matrices run on one BLAS thread."""
    with blas_threads(1):
        return _fit_covariance(built, s, n, estimator=estimator, x=x)


def _fit_covariance(built: Built, s: list[np.ndarray], n: list[float], *,
                    estimator: str = "ML", x: list[np.ndarray] | None = None) -> Fitted:
    """Fit the covariance structure of every group (equality constraints through
    ``built.cons``). ML: S with divisor N, standard errors from the expected information.
    The least-squares estimators use S with divisor N − 1, as lavaan: GLS by Fisher
    scoring (``2/(N − 1) I⁻¹``), ULS and DWLS as weighted least squares on the
    covariances (``((N − 1) Δ'WΔ)⁻¹``, W = I or the inverse ADF variances)."""
    if estimator in LEAST_SQUARES:
        s = [sg * ng / (ng - 1) for sg, ng in zip(s, n)]
        n = [ng - 1 for ng in n]
    structs, theta0 = [], []
    for g, sg in enumerate(s, start=1):
        rows = group_rows(built.pt, g)
        st = structure_from_partable(rows, list(built.observed), sg)
        structs.append(st)
        theta0.append(start_values(st, rows, sg))
    k, c = built.cons.k, built.cons.c
    if estimator in ("ULS", "DWLS"):
        if len(structs) != 1 or x is None:
            raise InputError(f"estimator={estimator!r} fits one group at a time here",
                             hint="estimator='ML' or 'GLS' for parameters shared by groups")
    simple = [simple_start(st, group_rows(built.pt, g), sg)
              for g, (st, sg) in enumerate(zip(structs, s), start=1)]
    if estimator in ("ULS", "DWLS"):
        w = ls_weights(x[0], estimator)
        out = _diagonal_ls(structs[0], s[0], n[0], theta0[0], k, c, w)
        if not out.converged:  # again from lavaan's simple start
            again = _diagonal_ls(structs[0], s[0], n[0], simple[0], k, c, w)
            out = again if again.converged else out
        return out
    if len(structs) == 1 and built.cons.trivial:  # both starts at once; the better fit
        sc = score_fit(structs[0], np.stack([s[0], s[0]]), np.stack([theta0[0], simple[0]]),
                       estimator=estimator)
        ok = sc.converged & np.isfinite(sc.fmin)
        if not ok.any():  # a flat ridge (a weak marker): damped scoring, then polish
            ends = np.stack([_damped_scoring(structs[0], s[0], t, estimator)
                             for t in (simple[0], theta0[0])])
            sc = score_fit(structs[0], np.stack([s[0], s[0]]), ends, estimator=estimator)
            ok = sc.converged & np.isfinite(sc.fmin)
        best = int(np.argmin(np.where(ok, sc.fmin, np.inf))) if ok.any() else 0
        theta, fmin = [sc.theta[best]], sc.fmin[best:best + 1]
        converged, iterations = bool(sc.converged[best]), int(sc.iterations.max())
    else:
        gf = fit_groups(structs, s, n, theta0, k, c, estimator=estimator)
        if not (gf.converged and np.all(np.isfinite(gf.f))):  # again from lavaan's start
            again = fit_groups(structs, s, n, simple, k, c, estimator=estimator)
            if again.converged and np.all(np.isfinite(again.f)):
                gf = again
        theta, fmin, converged, iterations = gf.theta, gf.f, gf.converged, gf.iterations
    cov = _expected_cov(structs, theta, s, n, k, estimator)
    return Fitted(structs, theta, fmin, converged and np.all(np.isfinite(fmin)), iterations,
                  cov)


LEAST_SQUARES = ("GLS", "ULS", "DWLS")


def _damped_scoring(st: Structure, s: np.ndarray, theta: np.ndarray, estimator: str,
                    max_iter: int = 500) -> np.ndarray:
    """Fisher scoring damped à la Levenberg–Marquardt (``(I + λ diag I) step = g``, λ
    shrunk after a step that lowers F and grown otherwise): it walks along the flat
    ridges where plain scoring with step halving stalls (a factor whose marker barely
    loads). Returns the end point, for plain scoring to polish."""
    from .scoring import _weight, discrepancy, information

    s_inv = np.linalg.inv(s)[None] if estimator == "GLS" else None
    sig, aux = st.implied(theta[None])
    f, lam = discrepancy(sig, s[None], estimator, s_inv)[0], 1e-3
    for _ in range(max_iter):
        v = _weight(sig, s_inv, estimator)[0]
        deriv = st.derivatives(aux)[0]
        g = np.einsum("ij,kji->k", v @ (sig[0] - s) @ v, deriv)
        info = information(deriv[None], v[None])[0]
        while lam < 1e12:
            step = np.linalg.lstsq(info + lam * np.diag(np.diag(info)), g, rcond=None)[0]
            sig_new, aux_new = st.implied((theta - step)[None])
            f_new = discrepancy(sig_new, s[None], estimator, s_inv)[0]
            if np.isfinite(f_new) and f_new <= f:
                theta, f, sig, aux, lam = theta - step, f_new, sig_new, aux_new, lam / 10
                break
            lam *= 10
        else:
            return theta
        if np.abs(step).max() < 1e-9:
            break
    return theta


def ls_weights(x: np.ndarray, estimator: str) -> np.ndarray:
    """The weights of the covariances (lower triangle, row by row): 1 for ULS, the
    inverse ADF variances of the sample covariances for DWLS."""
    from .robust import gamma

    p = x.shape[1]
    return np.ones(p * (p + 1) // 2) if estimator == "ULS" else 1 / np.diag(gamma(x))


def _expected_cov(structs, theta, s, n, k, estimator):
    n_tot = float(np.sum(n))
    w = np.asarray(n, float) / n_tot
    s_inv = [np.linalg.inv(x) for x in s] if estimator == "GLS" else None
    _, _, info = group_information(structs, theta, s, w, estimator, s_inv)
    try:
        a_inv = np.linalg.inv(k.T @ info @ k)
    except np.linalg.LinAlgError:
        return None
    if estimator in ("ML", "GLS"):
        return k @ (2 / n_tot * a_inv) @ k.T
    # ULS: normal-theory sandwich, group by group (Γ_g = 2 D⁺(Σ⊗Σ)D⁺' in trace form)
    blocks = []
    for g, (st, th) in enumerate(zip(structs, theta)):
        sig, aux = st.implied(th[None])
        d = st.derivatives(aux)[0]
        sigma = sig[0]
        bg = np.einsum("kij,jl,mlr,ri->km", d, sigma, d, sigma, optimize=True)
        blocks.append(w[g] ** 2 * bg * n_tot / n[g])
    b = _block_diag(blocks)
    return 2 / n_tot * k @ a_inv @ (k.T @ b @ k) @ a_inv @ k.T


def _diagonal_ls(st, s, n_eff, theta0, k, c, w) -> Fitted:
    """Weighted least squares on the covariances with a diagonal weight ``w``:
    ``F = Σ w (s − σ)²`` by Gauss–Newton (lavaan's ULS, W = I, and continuous DWLS), and
    the standard errors ``(n_eff Δ'WΔ)⁻¹`` (lavaan's "standard" for them)."""
    il = np.tril_indices(len(s))
    u = np.linalg.lstsq(k, theta0 - c, rcond=None)[0]

    def parts(uu):
        sig, aux = st.implied((k @ uu + c)[None])
        delta = st.derivatives(aux)[0][:, il[0], il[1]].T @ k  # (p*, npar)
        r = (s - sig[0])[il]
        return float(np.sum(w * r * r)), r, delta

    f, r, delta = parts(u)
    converged, it = False, 0
    for it in range(1, 500):
        a = delta.T @ (w[:, None] * delta)
        step = np.linalg.lstsq(a, delta.T @ (w * r), rcond=None)[0]
        scale = 1.0
        for _ in range(20):
            f_new, r_new, d_new = parts(u + scale * step)
            if f_new <= f + 1e-14:
                break
            scale /= 2
        stalled = f - f_new < 1e-10 * (1 + f)  # F no longer moves (an ill-conditioned
        u, f, r, delta = u + scale * step, f_new, r_new, d_new  # ridge): judge by ∂F
        gradient = np.abs(delta.T @ (w * r)).max()  # ½ ∂F/∂θ
        if np.abs(scale * step).max() < 1e-9 or gradient < 1e-10 or \
                (stalled and gradient < 1e-3 * (1 + f)):
            converged = True
            break
    try:
        cov = k @ np.linalg.inv(delta.T @ (w[:, None] * delta)) @ k.T / n_eff
    except np.linalg.LinAlgError:
        cov = None
    return Fitted([st], [k @ u + c], np.array([f]), converged, it, cov)


def ls_measures(x: np.ndarray, sigma: np.ndarray, fmin: float, npar: int,
                estimator: str) -> dict:
    """lavaan's fit measures of a least-squares fit (S with divisor N − 1): ``χ² =
    (N − 1) F`` and the baseline the same statistic of the independence model fitted by
    the same estimator (GLS: its diagonal by least squares), RMSEA with N, SRMR."""
    from .fitmeasures import FIT_NAMES, _from_chisq, srmr

    n, p = len(x), x.shape[1]
    s = np.cov(x, rowvar=False)
    if estimator == "GLS":
        v = np.linalg.inv(s)
        d = np.linalg.solve(v * v, np.diag(v))  # GLS independence model: Σ = diag(d)
        base_f = 0.5 * (p - np.diag(v) @ d)
    else:
        il = np.tril_indices(p)
        off = il[0] != il[1]
        base_f = float(np.sum(ls_weights(x, estimator)[off] * s[il][off] ** 2))
    df = p * (p + 1) // 2 - npar
    out = dict.fromkeys(FIT_NAMES, np.nan)
    out.update(_from_chisq((n - 1) * fmin, df, (n - 1) * base_f, p * (p - 1) // 2, n))
    out.update(npar=npar, srmr=srmr(s, sigma), ntotal=n)
    return out
