"""The WLSMV model on lavaan's parameter table: thresholds, scale factors and the
statistics the model implies (delta parameterisation, lavaan's default).

:func:`ordered_table` completes :func:`~crmsurvey.cbsem.partable.partable` as lavaan's
``lavaanify`` does for ordered items: thresholds ``y | t1 …`` (free), the ordered items'
intercepts fixed at 0 and residual variances at 1 (they are not parameters: ``θ_jj =
1/Δ_j² − (ΛCΨC'Λ')_jj``), scale factors ``y ~*~ y`` (``Δ``) fixed at 1, latent means 0.
``group_equal`` ties ``"loadings"``, ``"thresholds"`` (with the continuous items'
intercepts, as lavaan) or ``"intercepts"`` (with the thresholds, as lavaan) across groups
by shared labels; with thresholds or intercepts tied, the scale factors and latent means
of the other groups are freed, and with loadings tied under ``std_lv`` their factor
variances (lavaan's identification).

:class:`OrderedModel` maps the unique parameters ``u`` (``x = K u + c`` over the free
rows) to each group's statistics in :mod:`crmsurvey.cbsem.ordered`'s order: thresholds
``Δ_j (τ_jk − μ_j)``, means ``μ = ν + ΛCα``, continuous variances, and the covariances
of ``Σ* = D Σ D`` (``D`` = Δ for ordered items, 1 otherwise), batched over stacks of
``u``, with its analytic Jacobian.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .partable import (Constraints, equalities, numbered, parse_syntax, partable,
                       records, variables)
from .ordered import pair_index
from .structure import BETA, LAMBDA, PSI, THETA, Structure, start_values, \
    structure_from_partable

__all__ = ["GROUP_EQUAL", "ordered_table", "table_constraints", "OrderedModel"]

GROUP_EQUAL = ("loadings", "thresholds", "intercepts")
_ORDER = {"=~": 0, "~": 1, "|": 2, "~~": 3, "~*~": 4, "~1": 5}


def ordered_table(syntax: str, ordered: list[str], n_thresholds: dict[str, int], *,
                  ngroups: int = 1, std_lv: bool = False, orthogonal: bool = False,
                  group_equal: tuple[str, ...] = ()) -> pd.DataFrame:
    """lavaan's parameter table of a model with ordered items (see the module docstring);
    ``n_thresholds``: categories − 1 of each ordered item."""
    bad = [g for g in group_equal if g not in GROUP_EQUAL]
    if bad:
        raise InputError(f"group_equal={bad[0]!r} is not available with WLSMV here",
                         hint="one or more of " + ", ".join(GROUP_EQUAL))
    if "intercepts" in group_equal:  # lavaan: with ordered items, thresholds go too
        group_equal = (*group_equal, "thresholds")
    flat = parse_syntax(syntax)
    for f in flat:
        if f.op == "~~" and f.lhs == f.rhs and f.lhs in ordered and f.fixed is None:
            raise InputError(f"{f.lhs} ~~ {f.lhs}: the residual variance of an ordered item "
                             "is not a parameter in the delta parameterisation",
                             path="model", line=f.line)
    lv = set(variables(flat).lv)
    pt = partable(flat, ngroups=ngroups, meanstructure=True, std_lv=std_lv,
                  orthogonal=orthogonal)
    pt = pt[pt.group > 0].copy()
    user_rows = set(zip(pt.lhs, pt.op, pt.rhs))
    ords = pt.lhs.isin(ordered)
    pt.loc[ords & (pt.op == "~1") & (pt.user == 0), ["free", "ustart"]] = [0, 0.0]
    pt.loc[ords & (pt.op == "~~") & (pt.lhs == pt.rhs), ["free", "ustart"]] = [0, 1.0]
    extra = []
    for g in range(1, ngroups + 1):
        for y in ordered:
            extra += [dict(lhs=y, op="|", rhs=f"t{k}", user=0, group=g, free=1,
                           ustart=np.nan) for k in range(1, n_thresholds[y] + 1)
                      if (y, "|", f"t{k}") not in user_rows]
            extra.append(dict(lhs=y, op="~*~", rhs=y, user=0, group=g, free=0, ustart=1.0))
    more = pd.DataFrame(extra).assign(block=lambda d: d.group, exo=0, label="")
    pt = pd.concat([pt, more], ignore_index=True)
    pt["rank"] = pt.op.map(_ORDER)
    pt = pt.sort_values(["group", "rank"], kind="stable").drop(columns="rank")
    pt = pt.reset_index(drop=True)
    free_later = {"thresholds", "intercepts"} & set(group_equal)
    later = pt.group > 1
    if std_lv and "loadings" in group_equal:  # lavaan: factor variances free after group 1
        pt.loc[later & (pt.op == "~~") & (pt.lhs == pt.rhs) & pt.lhs.isin(lv)
               & (pt.user == 0), ["free", "ustart"]] = [1, np.nan]
    if free_later:
        pt.loc[later & (pt.op == "~*~"), ["free", "ustart"]] = [1, np.nan]
        pt.loc[later & (pt.op == "~1") & pt.lhs.isin(lv) & (pt.user == 0),
               ["free", "ustart"]] = [1, np.nan]
    pt["id"] = np.arange(1, len(pt) + 1)
    pt["plabel"] = [f".p{i}." for i in pt.id]
    tied = _tied(pt, group_equal, ordered, lv)
    first = {(r.lhs, r.op, r.rhs): r.plabel for r in records(pt[pt.group == 1])}
    for i in np.flatnonzero(tied):
        key = (pt.lhs.iat[i], pt.op.iat[i], pt.rhs.iat[i])
        if pt.label.iat[i] == "" and key in first:
            pt.iat[i, pt.columns.get_loc("label")] = first[key]
    return numbered(pt, flat)


def _tied(pt: pd.DataFrame, group_equal, ordered, lv) -> np.ndarray:
    """Free rows that ``group_equal`` makes equal across groups."""
    free = pt.free > 0
    out = np.zeros(len(pt), bool)
    if "loadings" in group_equal:
        out |= (pt.op == "=~").to_numpy()
    if "thresholds" in group_equal:
        out |= (pt.op == "|").to_numpy()
        out |= ((pt.op == "~1") & ~pt.lhs.isin(ordered) & ~pt.lhs.isin(lv)).to_numpy()
    if "intercepts" in group_equal:
        out |= ((pt.op == "~1") & ~pt.lhs.isin(lv)).to_numpy()
    return out & free.to_numpy()


def table_constraints(pt: pd.DataFrame) -> Constraints:
    """``x = K u + c`` over every free row of the table (in its order): shared labels and
    ``a == b`` / ``a == number`` rows; other constraints are refused."""
    return equalities(pt[pt.free > 0], pt)


def _predictors(rows: pd.DataFrame, ordered: list[str]) -> None:
    """Refuse an ordered item that explains or covaries with another variable in the
    structural part: its residual variance (``1/Δ² − explained``) would then enter other
    covariances, which the delta parameterisation here does not solve for."""
    reg = rows[(rows.op == "~") & rows.rhs.isin(ordered)]
    cov = rows[(rows.op == "~~") & (rows.lhs != rows.rhs) & rows.lhs.isin(ordered)
               & rows.rhs.isin(list(rows.lhs[rows.op == "=~"]))]
    bad = list(reg.rhs) + list(cov.lhs)
    if bad:
        raise InputError(f"ordered item {bad[0]!r} predicts (or covaries with) a variable "
                         "of the structural part: not available with WLSMV here",
                         path="model", hint="let it measure a factor, or be an outcome "
                         "(y ~ ...)")


@dataclass(frozen=True, eq=False)
class _Group:
    """One group's maps from the free-row vector to its matrices and vectors."""

    st: Structure
    cov_rows: np.ndarray  # positions (in the free-row vector) of st's parameters
    ordered: np.ndarray  # (p,) bool
    nu: tuple  # (free positions, obs index) and fixed (obs index, value) of intercepts
    alpha: tuple  # the same for the inner variables' intercepts
    tau: tuple  # (free positions or -1, fixed values) per threshold slot
    delta: tuple  # per ordered item
    th_item: np.ndarray
    n_stats: int
    own: np.ndarray  # (p,) the fixed residual variance of each ordered item (Θ or Ψ)


def _vector(rows, size, where) -> tuple:
    """Free positions and fixed values of a vector of length ``size`` filled from
    ``rows`` (``where(r)`` gives the entry, or None)."""
    pos, at, fixed = [], [], np.zeros(size)
    for r in rows:
        i = where(r)
        if i is None:
            continue
        if r.free_pos >= 0:
            pos.append(r.free_pos)
            at.append(i)
        else:
            fixed[i] = 0.0 if not np.isfinite(r.ustart) else r.ustart
    return np.array(pos, int), np.array(at, int), fixed


class OrderedModel:
    """The statistics each group's parameters imply (see the module docstring)."""

    def __init__(self, pt: pd.DataFrame, cons: Constraints, observed: list[str],
                 ordered: list[str], th_items: list[np.ndarray], covs: list[np.ndarray]):
        self.pt, self.cons, self.observed = pt, cons, list(observed)
        free_pos = np.full(len(pt), -1)
        free_pos[(pt.free > 0).to_numpy()] = np.arange(int((pt.free > 0).sum()))
        self.pt_pos = free_pos
        self.groups = []
        for g, (th_item, s) in enumerate(zip(th_items, covs), start=1):
            mine = (pt.group == g).to_numpy()
            rows = pt[mine].assign(free_pos=free_pos[mine])
            cov = rows[rows.op.isin(["=~", "~", "~~"])]
            st = structure_from_partable(cov, self.observed, s)
            recs = records(rows)
            obs = {v: k for k, v in enumerate(self.observed)}
            inner = {v: k for k, v in enumerate(st.inner)}
            is_ord = np.array([v in ordered for v in self.observed])
            slot = {}
            for k, j in enumerate(th_item):
                n_before = int((th_item[:k] == j).sum())
                slot[(self.observed[j], f"t{n_before + 1}")] = k
            nu = _vector([r for r in recs if r.op == "~1"], len(obs),
                         lambda r: obs[r.lhs] if r.lhs in obs and r.lhs not in inner
                         else None)
            alpha = _vector([r for r in recs if r.op == "~1"], len(inner),
                            lambda r: inner.get(r.lhs))
            tau = _vector([r for r in recs if r.op == "|"], len(th_item),
                          lambda r: slot.get((r.lhs, r.rhs)))
            delta = _vector([r for r in recs if r.op == "~*~"], len(obs),
                            lambda r: obs[r.lhs])
            delta[2][~is_ord] = 1.0
            p = len(self.observed)
            _predictors(cov, ordered)
            own = np.zeros(p)
            for _, k, i, j, value in st.fixed:
                v = (st.observed if k == THETA else st.inner)[i] if i == j and k in (
                    THETA, PSI) else None
                if v in obs and is_ord[obs[v]]:
                    own[obs[v]] = value
            self.groups.append(_Group(st, cov.free_pos[cov.free > 0].to_numpy(), is_ord,
                                      nu, alpha, tau, delta, np.asarray(th_item),
                                      len(th_item) + int((~is_ord).sum())
                                      + p * (p - 1) // 2, own))

    @property
    def npar(self) -> int:
        return self.cons.npar

    def rows(self, u: np.ndarray) -> np.ndarray:
        """Free-row values ``K u + c`` of a stack of ``u`` (B, npar)."""
        return u @ self.cons.k.T + self.cons.c

    @staticmethod
    def _fill(x: np.ndarray, spec: tuple) -> np.ndarray:
        pos, at, fixed = spec
        out = np.broadcast_to(fixed, (len(x), len(fixed))).copy()
        out[:, at] = x[:, pos]
        return out

    def parts(self, x: np.ndarray, g: int) -> dict:
        """Group ``g``'s (0-based) matrices and vectors for free-row stacks ``x``."""
        grp = self.groups[g]
        theta = x[:, grp.cov_rows]
        sigma, (m, c, psi) = grp.st.implied(theta)
        delta = self._fill(x, grp.delta)
        ordr = np.flatnonzero(grp.ordered)
        common = sigma[:, ordr, ordr] - grp.own[ordr]  # less the fixed residual variance
        sigma[:, ordr, ordr] = 1 / delta[:, ordr] ** 2
        mu = self._fill(x, grp.nu) + np.einsum("bpm,bm->bp", m, self._fill(x, grp.alpha))
        return dict(theta=theta, sigma=sigma, delta=delta, mu=mu, tau=self._fill(x, grp.tau),
                    resid=sigma[:, ordr, ordr] - common, inner_cov=c @ psi @
                    c.transpose(0, 2, 1))

    def implied(self, x: np.ndarray, g: int) -> np.ndarray:
        """Group ``g``'s statistics (B, n_stats) for free-row stacks ``x`` (B, q)."""
        grp = self.groups[g]
        pr = self.parts(x, g)
        sigma, delta, mu = pr["sigma"], pr["delta"], pr["mu"]
        star = sigma * delta[:, :, None] * delta[:, None, :]
        j = grp.th_item
        th = np.where(grp.ordered[j], delta[:, j] * (pr["tau"] - mu[:, j]), mu[:, j])
        num = np.flatnonzero(~grp.ordered)
        pi, pj = pair_index(len(self.observed))
        return np.hstack([th, sigma[:, num, num], star[:, pi, pj]])

    def jacobian(self, u: np.ndarray, g: int) -> np.ndarray:
        """``∂ stats_g / ∂u`` (n_stats, npar), analytic: ``∂Σ/∂θ`` from the structure,
        ``∂μ = ∂ν + M ∂α + (∂M) α`` (``M = ΛC``; a loading moves its row by ``(Cα)_j``, a
        path ``B_ij`` every row by ``M_·i (Cα)_j``), thresholds ``Δ_j(τ − μ_j)`` and
        covariances ``Δ_iΔ_jΣ_ij`` by the product rule."""
        grp, st = self.groups[g], self.groups[g].st
        x = self.rows(u[None])
        pr = self.parts(x, g)
        _, aux = st.implied(pr["theta"])
        d = st.derivatives(aux)[0]  # (q_st, p, p)
        m, c = aux[0][0], aux[1][0]
        sigma, delta, mu, tau = pr["sigma"][0], pr["delta"][0], pr["mu"][0], pr["tau"][0]
        ca = c @ self._fill(x, grp.alpha)[0]
        p, q = len(self.observed), x.shape[1]
        dmu = np.zeros((p, q))
        pos, at, _ = grp.nu
        dmu[at, pos] += 1.0
        pos, at, _ = grp.alpha
        dmu[:, pos] += m[:, at]
        dsig = np.zeros((p, p, q))
        dsig[:, :, grp.cov_rows] = d.transpose(1, 2, 0)
        for k, (which, i, j) in enumerate(zip(st.matrix, st.row, st.col)):
            if which == LAMBDA:
                dmu[i, grp.cov_rows[k]] += ca[j]
            elif which == BETA:
                dmu[:, grp.cov_rows[k]] += m[:, i] * ca[j]
        item = grp.th_item
        is_ord = grp.ordered[item]
        jt = np.where(is_ord[:, None], -delta[item][:, None] * dmu[item], dmu[item])
        pos, at, _ = grp.tau
        jt[at, pos] += delta[item[at]]
        num = np.flatnonzero(~grp.ordered)
        pi, pj = pair_index(p)
        jc = (delta[pi] * delta[pj])[:, None] * dsig[pi, pj]
        for pos_d, i in zip(*grp.delta[:2]):
            slots = (item == i) & is_ord
            jt[slots, pos_d] += tau[slots] - mu[i]
            jc[pi == i, pos_d] += delta[pj[pi == i]] * sigma[i, pj[pi == i]]
            jc[pj == i, pos_d] += delta[pi[pj == i]] * sigma[pi[pj == i], i]
        return np.vstack([jt, dsig[num, num], jc]) @ self.cons.k

    def start(self, sample: list) -> np.ndarray:
        """Starting ``u``: the covariance part from :func:`start_values` on each group's
        sample matrix, thresholds and means at their sample values, scale factors 1."""
        x = np.zeros(self.cons.k.shape[0])
        for g, (grp, sm) in enumerate(zip(self.groups, sample), start=1):
            rows = self.pt[(self.pt.group == g) & self.pt.op.isin(["=~", "~", "~~"])]
            x[grp.cov_rows] = start_values(grp.st, rows, sm.cov)
            pos, at, _ = grp.tau
            x[pos] = sm.stats[at]
            pos, at, _ = grp.nu
            mean = {j: sm.stats[k] for k, j in enumerate(sm.th_item) if sm.th_number[k] == 0}
            x[pos] = [mean.get(i, 0.0) for i in at]
            pos, _, _ = grp.delta
            x[pos] = 1.0
        start = self.pt.ustart.to_numpy()[self.pt.free.to_numpy() > 0]
        x = np.where(np.isfinite(start), start, x)
        return np.linalg.lstsq(self.cons.k, x - self.cons.c, rcond=None)[0]

