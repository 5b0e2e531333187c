"""PLSpredict (Shmueli et al. 2016, 2019): k-fold cross-validated predictions of every
indicator of every endogenous construct, with repetitions, and the linear-model benchmark.

Every training fold of every repetition is one row-frequency vector, so all ``folds ×
reps`` models are estimated together by the batched engine. For a held-out row, items are
standardised with the training fold's means and standard deviations, construct scores are
formed with the training weights, the endogenous scores predicted from the training path
coefficients — from the row's own scores of the direct antecedents (``"DA"``) or, through
the chain of paths, from the exogenous constructs only (``"EA"``) — and turned back into
items through the training loadings, SDs and means (as seminr's ``predict_pls``). The LM
benchmark regresses each endogenous item on the items of the same antecedents (``DA``:
the direct antecedents; ``EA``: all exogenous constructs), with an intercept, per fold.

Metrics pool the held-out errors of all repetitions: ``rmse = sqrt(mean e²)``,
``mae = mean |e|`` and ``q2_predict = 1 − Σ e² / Σ (y − ȳ_train)²`` (the naive benchmark
predicts the training-fold mean). Sampling weights weight the estimation, not the errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._random import block_rng, resolve_seed
from ..errors import InputError
from .layout import Layout
from .stats import Options, batch_statistics

__all__ = ["Prediction", "HeldOut", "plspredict", "held_out", "assign_folds"]


@dataclass(frozen=True, eq=False)
class Prediction:
    """What :meth:`PLSResult.predict` returns.

    ``items``: ``construct, item, q2_predict, rmse, mae, lm_rmse, lm_mae`` per indicator of
    each endogenous construct. ``constructs``: per endogenous construct, how many of its
    items PLS predicts better than the LM benchmark (RMSE) and the verdict of Shmueli et
    al. (2019): ``high`` (all), ``medium`` (most), ``low`` (a minority), ``none`` (no item,
    or any Q²predict ≤ 0). ``predictions``: the held-out PLS predictions of each row
    (averaged over repetitions), ``lm_predictions`` the LM's.
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    predictions: pd.DataFrame = field(repr=False)
    lm_predictions: pd.DataFrame = field(repr=False)
    folds: int = 10
    reps: int = 10
    technique: str = "DA"
    seed: int | None = None

    def summary(self) -> str:
        head = (f"PLSpredict: {self.folds}-fold cross-validation, {self.reps} repetition(s), "
                f"{self.technique} approach, seed {self.seed}")
        return "\n\n".join([head, self.items.round(4).to_string(index=False),
                            self.constructs.to_string(index=False)]) + "\n"

    def to_dict(self) -> dict:
        from .._format import json_safe

        return json_safe({"folds": self.folds, "reps": self.reps, "technique": self.technique,
                          "seed": self.seed, "items": self.items.to_dict("records"),
                          "constructs": self.constructs.to_dict("records")})


def assign_folds(n: int, folds: int, reps: int, seed: int) -> np.ndarray:
    """(reps, n) fold numbers 0..folds−1: each repetition shuffles the rows
    (``SeedSequence([seed, rep])``) and cuts them into ``folds`` near-equal parts."""
    out = np.empty((reps, n), dtype=int)
    for r in range(reps):
        perm = block_rng(seed, r).permutation(n)
        out[r, perm] = np.arange(n) * folds // n
    return out


def _antecedent_items(lay: Layout, j: int, technique: str) -> np.ndarray:
    exo = [c for c in range(lay.k) if not lay.adj[:, c].any()]
    cons = lay.predecessors(j) if technique == "DA" else exo
    return np.flatnonzero(np.isin(lay.block, cons))


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out predictions of every training fold of every repetition (the ``B = folds ×
    reps`` fold models), for the endogenous items ``targets`` (layout item indices).

    ``y``, ``pls``, ``lm``: (B, n, T) observed items and the PLS and LM predictions (each
    meaningful where ``test``); ``ia``: (B, 1, T) the training fold's item means (the
    indicator-average benchmark); ``test``: (B, n) which rows fold model b predicts. Each
    row is in exactly one test fold per repetition."""

    y: np.ndarray
    pls: np.ndarray
    lm: np.ndarray
    ia: np.ndarray
    test: np.ndarray
    targets: np.ndarray
    folds: int
    reps: int
    seed: int
    technique: str


def held_out(source, base_w: np.ndarray, lay: Layout, opts: Options, *, folds: int = 10,
             reps: int = 10, seed: int | None = None, technique: str = "DA",
             fold_ids=None) -> HeldOut:
    """The cross-validated predictions behind :func:`plspredict` and CVPAT (see the module
    docstring); the folds are :func:`assign_folds`'s unless ``fold_ids`` fixes them."""
    technique = technique.upper()
    if technique not in ("DA", "EA"):
        raise InputError(f"technique must be 'DA' or 'EA', not {technique!r}")
    n = len(base_w)
    seed = resolve_seed(seed)
    if fold_ids is None:
        if not 2 <= folds <= n or reps < 1:
            raise InputError(f"folds must be between 2 and {n} and reps ≥ 1 "
                             f"(got folds={folds}, reps={reps})")
        ids = assign_folds(n, folds, reps, seed)
    else:
        ids = np.atleast_2d(np.asarray(fold_ids, dtype=int))
        if ids.shape[1] != n:
            raise InputError(f"fold_ids must give a fold for each of the {n} rows")
        folds, reps = int(ids.max()) + 1, ids.shape[0]
    fold_list = [(r, f) for r in range(reps) for f in np.unique(ids[r])]
    train = np.stack([base_w * (ids[r] != f) for r, f in fold_list])  # (B, n)
    test = np.stack([ids[r] == f for r, f in fold_list])  # (B, n) bool

    m = source.moments(train)
    st = batch_statistics(m, lay, opts)
    if not st.converged.all():
        raise InputError(f"{int((~st.converged).sum())} of {len(fold_list)} PLSpredict "
                         "training models did not converge")
    xb = source.data(train)  # (B, n, P) or (n, P)
    z = (xb - m.mean[:, None, :]) / m.sd[:, None, :]
    scores = z @ (st.weights[:, :, None] * lay.mask)  # (B, n, K)
    beta = st.beta
    endo = np.zeros(lay.k, dtype=bool)
    endo[lay.endogenous] = True
    if technique == "DA":
        pred = np.where(endo, scores @ beta, scores)
    else:
        pred = np.where(endo, 0.0, scores) @ np.linalg.inv(np.eye(lay.k) - beta)
    own = st.loadings[:, np.arange(lay.p), lay.block]  # (B, p)
    targets = np.flatnonzero(endo[lay.block])
    y_hat = (pred[:, :, lay.block[targets]] * own[:, None, targets] * m.sd[:, None, targets]
             + m.mean[:, None, targets])
    xs_all = np.broadcast_to(xb, (len(fold_list), n, xb.shape[-1]))  # (B, n, P)
    lm_hat = np.empty_like(y_hat)
    cov = m.cov
    for t, i in enumerate(targets):
        x_idx = _antecedent_items(lay, lay.block[i], technique)
        # pseudo-inverse: collinear antecedent items (copies) still give the LM's fit
        coef = (np.linalg.pinv(cov[:, x_idx[:, None], x_idx[None, :]])
                @ cov[:, x_idx, i][..., None])[..., 0]
        xs = xs_all[:, :, x_idx]
        lm_hat[:, :, t] = m.mean[:, None, i] + np.einsum(
            "bnq,bq->bn", xs - m.mean[:, None, x_idx], coef)
    return HeldOut(xs_all[:, :, targets], y_hat, lm_hat, m.mean[:, None, targets], test,
                   targets, folds, reps, seed, technique)


def plspredict(source, base_w: np.ndarray, lay: Layout, opts: Options, *, folds: int = 10,
               reps: int = 10, seed: int | None = None, technique: str = "DA",
               fold_ids=None) -> Prediction:
    """Cross-validated predictions (see the module docstring). ``fold_ids`` (n,) or
    (reps, n) fixes the folds instead of drawing them; ``source`` gives the data and
    moments of each training set (derived columns are rebuilt per fold)."""
    h = held_out(source, base_w, lay, opts, folds=folds, reps=reps, seed=seed,
                 technique=technique, fold_ids=fold_ids)
    y, y_hat, lm_hat, test, targets = h.y, h.pls, h.lm, h.test, h.targets
    naive = np.broadcast_to(h.ia, y.shape)
    sel = test[:, :, None]
    cnt = test.sum()

    def pooled(p):
        e = np.where(sel, y - p, 0.0)
        return np.sqrt((e**2).sum(axis=(0, 1)) / cnt), np.abs(e).sum(axis=(0, 1)) / cnt, \
            (e**2).sum(axis=(0, 1))

    rmse, mae, sse = pooled(y_hat)
    lm_rmse, lm_mae, _ = pooled(lm_hat)
    _, _, sse0 = pooled(naive)
    names = [lay.items[i] for i in targets]
    owners = [lay.constructs[lay.block[i]] for i in targets]
    items = pd.DataFrame({"construct": owners, "item": names, "q2_predict": 1 - sse / sse0,
                          "rmse": rmse, "mae": mae, "lm_rmse": lm_rmse, "lm_mae": lm_mae})

    def averaged(p):
        return pd.DataFrame((np.where(sel, p, 0.0).sum(axis=0)
                             / test.sum(axis=0)[:, None]), columns=names)

    return Prediction(items, _verdicts(items), averaged(y_hat), averaged(lm_hat),
                      folds=h.folds, reps=h.reps, technique=h.technique, seed=h.seed)


def _verdicts(items: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c, g in items.groupby("construct", sort=False):
        better = int((g.rmse < g.lm_rmse).sum())
        if (g.q2_predict <= 0).any() or better == 0:
            power = "none"
        elif better == len(g):
            power = "high"
        elif better > len(g) / 2:
            power = "medium"
        else:
            power = "low"
        rows.append((c, len(g), int((g.q2_predict > 0).sum()), better, power))
    return pd.DataFrame(rows, columns=["construct", "items", "q2_positive", "below_lm",
                                       "predictive_power"])
