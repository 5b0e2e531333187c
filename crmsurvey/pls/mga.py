"""Comparing groups with PLS: the permutation test of path differences (Chin & Dibbern
2010), Henseler's bootstrap MGA (2009), MICOM (Henseler, Ringle & Sarstedt 2016) and
bootstrap intervals of index differences.

Missing item values are replaced by the (weighted) item mean of the respondent's own
group — what a separate fit of that group (``pls(..., missing="mean")``) does — so each
group's estimates equal that separate fit's. All groups are then prepared together
(pooled scale bounds) and each group is estimated on its own rows — a row-frequency
vector — so permutations and resamples are batches of frequency vectors like the
bootstrap's.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from .. import _defaults as D
from .._data import numeric_columns, sampling_weights
from .._random import DEFAULT_SEED, block_rng, child_seed
from .._stats import holm
from .._threads import blas_threads
from ..diagnostics import Diagnostic, warn_all
from ..errors import InputError
from ..moments import BLOCK, WORK_BYTES, PairProducts, chunk_blocks
from ..resampling import Multinomial
from .data import prepare
from .estimate import _inputs
from .extract import extract_stats, path_pairs
from .layout import Layout, layout_of
from .stats import Options, batch_statistics

__all__ = ["GroupComparison", "compare_groups"]


@dataclass(frozen=True, eq=False)
class GroupComparison:
    """Tables with one row per group pair and path (or construct)."""

    permutation: pd.DataFrame  # group_a, group_b, lhs, op, rhs, est_a, est_b, difference, pvalue, pvalue_holm
    henseler: pd.DataFrame  # ... difference, p_one_sided (H1: a > b), pvalue, pvalue_holm
    micom: pd.DataFrame  # group_a, group_b, construct, c, c_5pct, compositional, ...
    indices: pd.DataFrame  # group_a, group_b, construct, index_a, index_b, difference, ci_lower, ci_upper, pvalue
    groups: pd.DataFrame  # group, n
    settings: dict
    diagnostics: tuple[Diagnostic, ...] = ()


def compare_groups(model, data: pd.DataFrame, group: str, *, permutations: int = 1000,
                   bootstrap: int = 1000, seed: int = DEFAULT_SEED, scale=None, weights=None,
                   scheme: str = "path", min_size: int = 30, ci: float = 0.95
                   ) -> GroupComparison:
    """Compare the groups of ``group``: every pair of levels with at least ``min_size``
    rows. Holm's correction runs over the pairs of each path (and each construct).

    Examples
    --------
    >>> import crmsurvey as cs
    >>> q = cs.load_questionnaire("acsi")
    >>> df = cs.simulate(q, 150, seed=1, groups={"company": ["X", "Y"]})
    >>> cmp = compare_groups(q, df, "company", permutations=200, bootstrap=200)
    >>> list(cmp.micom.columns[:4])
    ['group_a', 'group_b', 'construct', 'c']
    """
    spec, data, weights, scale, found = _inputs(model, data, weights, scale)
    if group not in data.columns:
        raise InputError(f"group column {group!r} is not in the data")
    lay = layout_of(spec)
    data = _impute_within(data, list(lay.items), group, weights)
    prep = prepare(data, lay, weights=weights, scale=scale)
    labels = data.loc[prep.index, group].astype("string").to_numpy()
    sizes = pd.Series(labels).value_counts().sort_index()
    levels = [str(g) for g, n in sizes.items() if n >= min_size and pd.notna(g)]
    diagnostics = [Diagnostic("group_too_small", f"group {g!r} left out: {n} respondents, "
                              f"fewer than {min_size}", "warning", (str(g),),
                              params={"group": str(g), "n": n, "min": min_size})
                   for g, n in sizes.items() if n < min_size and pd.notna(g)] + found
    if len(levels) < 2:
        raise InputError(f"group column {group!r} needs at least two levels with "
                         f"{min_size}+ respondents; sizes: {sizes.to_dict()}")
    opts = Options(scheme, D.PLS_TOLERANCE, D.PLS_MAX_ITER, False, prep.bounds)
    pp = PairProducts(prep.x)
    masks = {g: (labels == g).astype(float) for g in levels}
    boot = {g: _bootstrap_group(pp, prep.weights, masks[g], lay, opts, bootstrap,
                                child_seed(seed, 0, k))
            for k, g in enumerate(levels)}
    perm, hens, micom, idx = [], [], [], []
    for k, (a, b) in enumerate(combinations(levels, 2)):
        fa = prep.weights * masks[a]
        fb = prep.weights * masks[b]
        obs = batch_statistics(pp.moments(np.stack([fa, fb])), lay, opts)
        # MICOM step 3 scores: pooled weights on the pooled standardised data
        pooled = pp.moments((fa + fb)[None])
        wp = batch_statistics(pooled, lay, opts).weights[0]
        scores = (prep.x - pooled.mean[0]) / pooled.sd[0] @ (lay.mask * wp[:, None])
        permuted = _permutations(pp, prep.weights, lay, opts, masks[a], masks[b], scores,
                                 permutations, child_seed(seed, 1, k))
        perm.append(_perm_table(obs, permuted, lay, a, b))
        hens.append(_henseler_table(obs, boot[a], boot[b], lay, a, b))
        micom.append(_micom(pooled.corr[0], obs, permuted, lay, scores, fa, fb, a, b))
        idx.append(_index_table(obs, boot[a], boot[b], lay, a, b, ci))
        failed = int((~np.isfinite(permuted.paths_a - permuted.paths_b).all(axis=1)).sum())
        if failed:
            diagnostics.append(Diagnostic(
                "permutation_failures", f"{failed} of {permutations} permutations of {a} vs "
                f"{b} gave no estimate; p-values use the others", "warning", (a, b),
                params={"failed": failed, "total": permutations, "first": a, "second": b}))
    for g in levels:
        failed = int((~np.isfinite(boot[g]["paths"]).all(axis=1)).sum())
        if failed:
            diagnostics.append(Diagnostic(
                "bootstrap_failures", f"{failed} of {bootstrap} bootstrap resamples of group "
                f"{g} gave no estimate; intervals use the others", "warning", (g,),
                params={"failed": failed, "total": bootstrap}))
    warn_all(diagnostics)
    perm_t, hens_t, idx_t = (pd.concat(x, ignore_index=True) for x in (perm, hens, idx))
    for t, key in ((perm_t, ["lhs", "rhs"]), (hens_t, ["lhs", "rhs"]), (idx_t, ["construct"])):
        t["pvalue_holm"] = t.groupby(key, sort=False)["pvalue"].transform(
            lambda p: holm(p.to_numpy()))
    return GroupComparison(perm_t, hens_t, pd.concat(micom, ignore_index=True), idx_t,
                           pd.DataFrame({"group": sizes.index.astype(str), "n": sizes.to_numpy()}),
                           {"permutations": permutations, "bootstrap": bootstrap, "seed": seed,
                            "min_size": min_size, "levels": levels}, tuple(diagnostics))


def _impute_within(data: pd.DataFrame, items: list[str], group: str, weights
                   ) -> pd.DataFrame:
    """Each group's missing item values replaced by that group's (weighted) item means."""
    x = numeric_columns(data, items)
    if not x.isna().to_numpy().any():
        return data
    w = pd.Series(1.0 if weights is None else sampling_weights(weights, data), index=data.index)
    key = data[group].astype("string")
    present = x.notna()
    means = (x.fillna(0).mul(w, axis=0).groupby(key).transform("sum")
             / present.mul(w, axis=0).groupby(key).transform("sum"))
    out = data.copy()
    out[items] = x.fillna(means)
    return out


def _bootstrap_group(pp, base_w, mask, lay, opts, n_boot, seed) -> dict:
    """Resample within one group only (its rows' counts; other rows get 0: they are left
    out of the sums, accumulated over row chunks about the pooled centre)."""
    from ..moments import resample_moments

    rows = np.flatnonzero(mask)
    group = PairProducts(pp.x[rows] + pp.centre, centre=pp.centre)
    scheme = Multinomial(len(rows), seed)
    parts: dict[str, list] = {}
    for blocks, stop in chunk_blocks(n_boot, D.PLS_BOOT_CHUNK):
        with blas_threads(1):
            m = resample_moments(group, scheme, base_w[rows], blocks, stop)
            stats = extract_stats(batch_statistics(m, lay, opts), lay)
        for k, v in stats.items():
            parts.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in parts.items()}


@dataclass(frozen=True, eq=False)
class _Permuted:
    """Both groups' statistics under each relabelling, and their frequency vectors'
    composite means and variances (MICOM step 3)."""

    paths_a: np.ndarray
    paths_b: np.ndarray
    weights_a: np.ndarray
    weights_b: np.ndarray
    mean_diff: np.ndarray
    logvar_diff: np.ndarray


def _mean_var(freq: np.ndarray, scores: np.ndarray):
    tot = freq.sum(axis=-1, keepdims=True)
    m = freq @ scores / tot
    return m, freq @ scores**2 / tot - m**2


class _Relabelled:
    """Row frequencies of both groups under ``t`` relabellings (the first ``t`` samples
    group a's, the next ``t`` group b's), handed out by row ranges
    (:class:`crmsurvey.moments.Frequencies`) from the (t, pair rows) membership
    ``in_a``: no (relabellings × rows) float array exists."""

    def __init__(self, in_a: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> None:
        self.in_a, self.rows, self.weights = in_a, rows, weights
        self.size, self.n = 2 * len(in_a), len(weights)

    def chunk(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.n)
        lo, hi = np.searchsorted(self.rows, [start, stop])
        at = self.rows[lo:hi]
        a, w = self.in_a[:, lo:hi], self.weights[at]
        out = np.zeros((self.size, stop - start))
        t = len(self.in_a)
        out[:t, at - start] = np.where(a, w, 0.0)
        out[t:, at - start] = np.where(a, 0.0, w)
        return out


def _permutations(pp, weights, lay: Layout, opts, mask_a, mask_b, scores, n_perm: int,
                  seed: int, work: int = WORK_BYTES) -> _Permuted:
    """Refit both groups under ``n_perm`` random relabellings of their rows (group sizes
    kept), in seeded blocks of :data:`~crmsurvey.moments.BLOCK`: in each, every pair row
    draws a uniform key per relabelling and the ``n_a`` smallest keys are group a. A
    block is taken a few relabellings at a time (about ``work`` bytes of keys and
    memberships; the keys drawn in sequence, so the same relabellings however it is
    split) and their moments accumulated over row chunks."""
    rows = np.flatnonzero((mask_a + mask_b) > 0)
    n_a = int(mask_a.sum())
    w_pair, s_pair = weights[rows], scores[rows]
    step = max(1, work // (32 * len(rows)))
    parts: dict[str, list] = {k: [] for k in _Permuted.__dataclass_fields__}
    for b in range(-(-n_perm // BLOCK)):
        rng = block_rng(seed, b)
        size = min(BLOCK, n_perm - b * BLOCK)
        for t in [min(step, size - i) for i in range(0, size, step)]:
            keys = rng.random((t, len(rows)))
            in_a = np.zeros(keys.shape, bool)
            np.put_along_axis(in_a, np.argpartition(keys, n_a - 1, axis=1)[:, :n_a], True,
                              axis=1)
            del keys
            with blas_threads(1):
                stats = batch_statistics(pp.moments(_Relabelled(in_a, rows, weights)), lay,
                                         opts)
            paths = extract_stats(stats, lay)["paths"]
            ma, va = _mean_var(np.where(in_a, w_pair, 0.0), s_pair)
            mb, vb = _mean_var(np.where(in_a, 0.0, w_pair), s_pair)
            for key, value in (("paths_a", paths[:t]), ("paths_b", paths[t:]),
                               ("weights_a", stats.weights[:t]),
                               ("weights_b", stats.weights[t:]), ("mean_diff", ma - mb),
                               ("logvar_diff", np.log(va) - np.log(vb))):
                parts[key].append(value)
    return _Permuted(**{k: np.concatenate(v) for k, v in parts.items()})


def _perm_table(obs, perm: _Permuted, lay, a, b) -> pd.DataFrame:
    ea = extract_stats(obs, lay)["paths"]
    d_obs = ea[0] - ea[1]
    d_perm = perm.paths_a - perm.paths_b
    ok = np.isfinite(d_perm)
    p = (1 + np.sum((np.abs(d_perm) >= np.abs(d_obs)) & ok, axis=0)) / (1 + ok.sum(axis=0))
    pairs = path_pairs(lay)
    return pd.DataFrame({"group_a": a, "group_b": b,
                         "lhs": [lay.constructs[j] for _, j in pairs], "op": "~",
                         "rhs": [lay.constructs[i] for i, _ in pairs], "est_a": ea[0],
                         "est_b": ea[1], "difference": d_obs, "pvalue": p})


def _henseler_table(obs, boot_a, boot_b, lay, a, b) -> pd.DataFrame:
    ea = extract_stats(obs, lay)["paths"]
    da, db = boot_a["paths"], boot_b["paths"]
    p_one = []
    for j in range(da.shape[1]):
        x = da[:, j][np.isfinite(da[:, j])]
        y = db[:, j][np.isfinite(db[:, j])]
        # Henseler (2009): 1 − Σ Θ(2θ̄a − θa,i − 2θ̄b + θb,j) / (B_a B_b)
        left = np.sort(2 * x.mean() - x)
        right = 2 * y.mean() - y
        greater = len(left) - np.searchsorted(left, right, side="right")
        p_one.append(1 - greater.sum() / (len(x) * len(y)))
    p_one = np.array(p_one)
    pairs = path_pairs(lay)
    return pd.DataFrame({"group_a": a, "group_b": b,
                         "lhs": [lay.constructs[j] for _, j in pairs], "op": "~",
                         "rhs": [lay.constructs[i] for i, _ in pairs], "est_a": ea[0],
                         "est_b": ea[1], "difference": ea[0] - ea[1], "p_one_sided": p_one,
                         "pvalue": np.minimum(1, 2 * np.minimum(p_one, 1 - p_one))})


def _composite_cor(r, wa, wb, lay) -> np.ndarray:
    """cor(X w_a, X w_b) per construct on the pooled correlation matrix ``r`` (p, p)."""
    out = np.empty((wa.shape[0], lay.k))
    for j in range(lay.k):
        idx = lay.items_of(j)
        rj = r[np.ix_(idx, idx)]
        xa, xb = wa[:, idx], wb[:, idx]
        num = np.einsum("bi,ij,bj->b", xa, rj, xb)
        out[:, j] = num / np.sqrt(np.einsum("bi,ij,bj->b", xa, rj, xa) *
                                  np.einsum("bi,ij,bj->b", xb, rj, xb))
    return out


def _micom(r, obs, perm: _Permuted, lay, scores, fa, fb, a, b) -> pd.DataFrame:
    """MICOM steps 2 and 3 (step 1, configural invariance, holds by construction: the
    same model, items and algorithm for every group)."""
    c_obs = _composite_cor(r, obs.weights[:1], obs.weights[1:2], lay)[0]
    c_perm = _composite_cor(r, perm.weights_a, perm.weights_b, lay)
    ma, va = _mean_var(fa[None], scores)
    mb, vb = _mean_var(fb[None], scores)
    mean_obs, lv_obs = (ma - mb)[0], (np.log(va) - np.log(vb))[0]
    q5 = np.nanquantile(c_perm, 0.05, axis=0)
    mlo, mhi = np.nanquantile(perm.mean_diff, [0.025, 0.975], axis=0)
    vlo, vhi = np.nanquantile(perm.logvar_diff, [0.025, 0.975], axis=0)
    comp = c_obs >= q5
    m_eq = (mean_obs >= mlo) & (mean_obs <= mhi)
    v_eq = (lv_obs >= vlo) & (lv_obs <= vhi)
    status = np.where(comp & m_eq & v_eq, "full", np.where(comp, "partial", "none"))
    return pd.DataFrame({
        "group_a": a, "group_b": b, "construct": list(lay.constructs), "c": c_obs,
        "c_5pct": q5, "p_c": np.mean(c_perm <= c_obs, axis=0), "compositional": comp,
        "mean_diff": mean_obs, "mean_ci_lower": mlo, "mean_ci_upper": mhi, "mean_equal": m_eq,
        "logvar_diff": lv_obs, "var_ci_lower": vlo, "var_ci_upper": vhi, "var_equal": v_eq,
        "invariance": status})


def _index_table(obs, boot_a, boot_b, lay, a, b, ci) -> pd.DataFrame:
    ea = extract_stats(obs, lay)["index"]
    d = boot_a["index"] - boot_b["index"]
    alpha = (1 - ci) / 2
    lo, hi = np.nanquantile(d, [alpha, 1 - alpha], axis=0)
    p = np.minimum(1, 2 * np.minimum(np.nanmean(d <= 0, axis=0), np.nanmean(d >= 0, axis=0)))
    return pd.DataFrame({"group_a": a, "group_b": b, "construct": list(lay.constructs),
                         "index_a": ea[0], "index_b": ea[1], "difference": ea[0] - ea[1],
                         "ci_lower": lo, "ci_upper": hi, "pvalue": p})
