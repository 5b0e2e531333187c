"""The parameter structure of a model, in batched form.

A model is written as ``Σ = Λ C Ψ C'Λ' + Θ`` with ``C = (I − B)⁻¹`` (matrices ``B``,
``Λ``, ``Ψ``, ``Θ``). :class:`Structure` holds which entry of which matrix each free
parameter sets (built from lavaan's parameter table by :func:`structure_from_partable`,
or read from a semopy model by :func:`structure_of`), so that ``Σ(θ)`` and its
derivatives can be computed for a whole stack of parameter vectors at once — the
bootstrap refits every resample together.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .partable import records

__all__ = ["Structure", "structure_of", "structure_from_partable", "start_values",
           "simple_start", "BETA", "LAMBDA", "PSI", "THETA"]

BETA, LAMBDA, PSI, THETA = range(4)


@dataclass(frozen=True, eq=False)
class Structure:
    """Free parameters of a semopy model and the fixed part of its matrices."""

    names: tuple[str, ...]  # semopy parameter names, in semopy's order
    matrix: np.ndarray  # (q,) which matrix: BETA, LAMBDA, PSI, THETA
    row: np.ndarray  # (q,)
    col: np.ndarray  # (q,)
    base: tuple[np.ndarray, ...]  # the four matrices with free entries zeroed
    inner: tuple[str, ...]  # rows/columns of B and Ψ (latent and structural variables)
    observed: tuple[str, ...]  # rows of Λ and Θ
    fixed: tuple[tuple[str, int, int, int, float], ...]  # (name, matrix, row, col, value)

    @property
    def q(self) -> int:
        return len(self.names)

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """The four matrices for each row of ``theta`` (B, q): list of (B, ., .)."""
        b = theta.shape[0]
        mats = [np.broadcast_to(m, (b, *m.shape)).copy() for m in self.base]
        for k in range(4):
            sel = np.flatnonzero(self.matrix == k)
            if sel.size:
                mats[k][:, self.row[sel], self.col[sel]] = theta[:, sel]
                if k in (PSI, THETA):
                    mats[k][:, self.col[sel], self.row[sel]] = theta[:, sel]
        return mats

    def implied(self, theta: np.ndarray):
        """``Σ(θ)`` (B, p, p) and the pieces the derivatives reuse."""
        beta, lam, psi, th = self.matrices(theta)
        c = np.linalg.inv(np.eye(beta.shape[-1]) - beta)
        m = lam @ c
        sigma = m @ psi @ m.transpose(0, 2, 1) + th
        return sigma, (m, c, psi)

    def inner_cov(self, theta: np.ndarray) -> np.ndarray:
        """Covariance of the inner (latent and structural) variables: ``C Ψ C'``."""
        beta, _, psi, _ = self.matrices(theta)
        c = np.linalg.inv(np.eye(beta.shape[-1]) - beta)
        return c @ psi @ c.transpose(0, 2, 1)

    def derivatives(self, aux) -> np.ndarray:
        """``∂Σ/∂θ_k`` for every parameter: (B, q, p, p)."""
        m, c, psi = aux
        b, p = m.shape[0], m.shape[1]
        out = np.zeros((b, self.q, p, p))
        d = c @ psi @ m.transpose(0, 2, 1)  # (B, n_inner, p): C Ψ M'
        for k in range(self.q):
            i, j, which = self.row[k], self.col[k], self.matrix[k]
            if which == BETA:  # M E_ij C Ψ M' + transpose
                t = m[:, :, i, None] * d[:, None, j, :]
                out[:, k] = t + t.transpose(0, 2, 1)
            elif which == LAMBDA:  # E_ij C Ψ M' + transpose
                out[:, k, i, :] += d[:, j, :]
                out[:, k, :, i] += d[:, j, :]
            elif which == PSI:
                t = m[:, :, i, None] * m[:, None, :, j]
                out[:, k] = t if i == j else t + t.transpose(0, 2, 1)
            else:
                out[:, k, i, j] = 1.0
                out[:, k, j, i] = 1.0
        return out


def structure_of(model) -> Structure:
    """Read the structure of a semopy ``Model`` (after ``load``/``fit``)."""
    mats = list(model.matrices[:4])
    names, which, rows, cols, fixed = [], [], [], [], []
    base = [m.copy() for m in mats]
    for name, par in model.parameters.items():
        for loc in par.locations:
            k = next(i for i, mx in enumerate(mats) if mx is loc.matrix)
            i, j = loc.indices
            if par.active:
                names.append(name)
                which.append(k)
                rows.append(i)
                cols.append(j)
                base[k][i, j] = 0.0
                if k in (PSI, THETA):
                    base[k][j, i] = 0.0
            else:
                fixed.append((name, k, i, j, float(mats[k][i, j])))
    return Structure(tuple(names), np.array(which), np.array(rows), np.array(cols),
                     tuple(base), tuple(model.names_beta[0]), tuple(model.names_lambda[0]),
                     tuple(fixed))


def structure_from_partable(pt, observed: list[str], s: np.ndarray | None = None
                            ) -> Structure:
    """The :class:`Structure` of one group's rows of a parameter table
    (:func:`crmsurvey.cbsem.partable.partable`), its observed variables in ``observed``'s
    order. Free rows become the parameters, in the table's order, named by their label
    (or plabel); fixed rows set the matrices; exogenous covariates (``exo = 1``) take their
    sample moments from ``s``. Observed variables in the structural part (regressions,
    covariances with factors) are carried as inner variables with a unit loading."""
    rows = pt[pt.op.isin(["=~", "~", "~~"])]
    lv = list(dict.fromkeys(rows.lhs[rows.op == "=~"]))
    inner_ov = {v for v in rows.lhs[rows.op == "~"]} | {v for v in rows.rhs[rows.op == "~"]}
    inner_ov |= {r.lhs if r.rhs in lv else r.rhs for r in records(rows[rows.op == "~~"])
                 if (r.lhs in lv) != (r.rhs in lv)}
    inner_ov -= set(lv)
    changed = True
    while changed:  # covariances between a structural observed variable and another
        changed = False
        for r in records(rows[(rows.op == "~~") & (rows.lhs != rows.rhs)]):
            if (r.lhs in inner_ov) != (r.rhs in inner_ov) and r.lhs not in lv \
                    and r.rhs not in lv:
                inner_ov |= {r.lhs, r.rhs}
                changed = True
    inner = lv + [v for v in observed if v in inner_ov]
    pos_in = {v: k for k, v in enumerate(inner)}
    pos_ob = {v: k for k, v in enumerate(observed)}
    m, p = len(inner), len(observed)
    base = [np.zeros((m, m)), np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p))]
    for v in inner:
        if v in pos_ob:
            base[LAMBDA][pos_ob[v], pos_in[v]] = 1.0
    names, which, rr, cc, fixed = [], [], [], [], []
    for r in records(rows):
        if r.op == "=~":
            k, i, j = (BETA, pos_in[r.rhs], pos_in[r.lhs]) if r.rhs in pos_in else \
                (LAMBDA, pos_ob[r.rhs], pos_in[r.lhs])
        elif r.op == "~":
            k, i, j = BETA, pos_in[r.lhs], pos_in[r.rhs]
        elif r.lhs in pos_in and r.rhs in pos_in:
            k, i, j = PSI, pos_in[r.lhs], pos_in[r.rhs]
        else:
            k, i, j = THETA, pos_ob[r.lhs], pos_ob[r.rhs]
        name = r.label or r.plabel
        if r.free > 0:
            names.append(name)
            which.append(k)
            rr.append(i)
            cc.append(j)
            continue
        value = r.ustart
        if r.exo and s is not None:
            value = s[pos_ob[r.lhs], pos_ob[r.rhs]]
        value = 0.0 if not np.isfinite(value) else float(value)
        base[k][i, j] = value
        if k in (PSI, THETA):
            base[k][j, i] = value
        fixed.append((name, k, i, j, value))
    return Structure(tuple(names), np.array(which, dtype=int), np.array(rr, dtype=int),
                     np.array(cc, dtype=int), tuple(base), tuple(inner), tuple(observed),
                     tuple(fixed))


def simple_start(st: Structure, pt, s: np.ndarray) -> np.ndarray:
    """lavaan's "simple" starting values: free loadings 1, residual variances half the
    observed ones, factor variances 0.05, everything else 0 (``start()`` kept)."""
    obs = {v: k for k, v in enumerate(st.observed)}
    theta, k = np.zeros(st.q), 0
    for lhs, op, rhs, free, ustart in zip(pt.lhs, pt.op, pt.rhs, pt.free, pt.ustart):
        if op not in ("=~", "~", "~~") or not free:
            continue
        if np.isfinite(ustart):
            theta[k] = ustart
        elif op == "=~":
            theta[k] = 1.0
        elif op == "~~" and lhs == rhs:
            theta[k] = 0.5 * s[obs[lhs], obs[lhs]] if lhs in obs else 0.05
        k += 1
    return theta


def start_values(st: Structure, pt, s: np.ndarray) -> np.ndarray:
    """Starting values of the free rows: ``start()`` where given; loadings and factor
    variances from each factor's first principal component (scaled to its fixed loading
    or variance), residual variances what the factors leave of the observed ones, all
    else 0."""
    rows = [r for r in zip(pt.lhs, pt.op, pt.rhs, pt.free, pt.ustart)
            if r[1] in ("=~", "~", "~~")]
    obs = {v: k for k, v in enumerate(st.observed)}
    items: dict[str, list[str]] = {}
    marker: dict[str, tuple[str, float]] = {}
    fixed_var: dict[str, float] = {}
    for lhs, op, rhs, free, ustart in rows:
        if op == "=~" and rhs in obs:
            items.setdefault(lhs, []).append(rhs)
            if not free and np.isfinite(ustart) and ustart != 0:
                marker.setdefault(lhs, (rhs, ustart))
        elif op == "=~":
            items.setdefault(lhs, [])
        elif op == "~~" and lhs == rhs and not free and np.isfinite(ustart):
            fixed_var[lhs] = ustart
    load, lv_var = {}, {}
    for f, its in items.items():
        if not its:
            continue
        idx = [obs[v] for v in its]
        w, vec = np.linalg.eigh(s[np.ix_(idx, idx)])
        lam = vec[:, -1] * np.sqrt(max(w[-1], 1e-8))
        lam = lam if lam.sum() >= 0 else -lam
        scale = 1.0
        if f in marker:
            scale = lam[its.index(marker[f][0])] / marker[f][1]
        elif fixed_var.get(f, 0) > 0:
            scale = np.sqrt(fixed_var[f])
        scale = scale if abs(scale) > 1e-8 else 1.0
        for v, value in zip(its, lam / scale):
            load[(f, v)] = value
        lv_var[f] = scale ** 2
    common: dict[str, float] = {}
    for (f, v), value in load.items():
        common[v] = common.get(v, 0.0) + value ** 2 * lv_var[f]
    theta = np.zeros(st.q)
    inner = set(st.inner)
    k = 0
    for lhs, op, rhs, free, ustart in rows:
        if not free:
            continue
        if np.isfinite(ustart):
            theta[k] = ustart
        elif op == "=~":
            theta[k] = load.get((lhs, rhs), 1.0)
        elif op == "~~" and lhs == rhs:
            if lhs in obs:
                total = s[obs[lhs], obs[lhs]]
                theta[k] = max(total - common[lhs], 0.1 * total) if lhs in common else \
                    (total if lhs in inner else 0.5 * total)
            else:
                theta[k] = lv_var.get(lhs, 0.05)
        elif op == "~~" and lhs in obs and rhs in obs and lhs in inner and rhs in inner:
            theta[k] = s[obs[lhs], obs[rhs]]
        k += 1
    return theta
