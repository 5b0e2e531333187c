"""The PLS result: tidy tables in lavaan's column names, diagnostics, settings."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from .._format import json_safe
from .._random import DEFAULT_SEED
from ..diagnostics import Diagnostic

__all__ = ["Diagnostic", "PLSSettings", "PLSResult"]


@dataclass(frozen=True)
class PLSSettings:
    scheme: str
    missing: str
    n: int
    n_dropped: int
    n_imputed: int
    weighted: bool
    consistent: bool
    tol: float
    max_iter: int
    iterations: int
    converged: bool
    bootstrap: int
    seed: int | None
    ci: float
    ci_method: str
    sign_change: str
    n_failed: int
    pvalue_df: int
    fit_test: int
    version: str
    #: the bootstrap's resampling scheme (crmsurvey.resampling): multinomial or poisson
    resampling: str = "multinomial"


@dataclass(frozen=True, eq=False)
class PLSResult:
    """What :func:`crmsurvey.pls` returns. Tables are plain DataFrames.

    ``paths``, ``loadings``, ``weights``: ``lhs, op, rhs, est`` (+ ``se, t, pvalue,
    ci_lower, ci_upper`` after a bootstrap). ``total_effects``: ``lhs, op, rhs, direct,
    indirect, total`` (+ intervals of ``total``). ``r2``: ``construct, r2, r2_adj``.
    ``index``: ``construct, index`` (+ ``se, ci_lower, ci_upper``). ``quality``:
    ``construct, mode, items, alpha, alpha_raw, rho_a, rho_c, ave``.
    """

    paths: pd.DataFrame
    loadings: pd.DataFrame
    weights: pd.DataFrame
    total_effects: pd.DataFrame
    r2: pd.DataFrame
    index: pd.DataFrame
    quality: pd.DataFrame
    htmt: pd.DataFrame
    fornell_larcker: pd.DataFrame
    cross_loadings: pd.DataFrame
    item_vif: pd.DataFrame
    inner_vif: pd.DataFrame
    f2: pd.DataFrame
    scores: pd.DataFrame
    diagnostics: tuple[Diagnostic, ...]
    settings: PLSSettings
    model: str
    htmt_intervals: pd.DataFrame | None = None
    #: every specific indirect effect (``from, through, to, est`` + ``se, ci_lower,
    #: ci_upper, pvalue`` after a bootstrap) and each pair's total indirect effect
    #: (``through == "total"``); see :mod:`crmsurvey.pls.mediation`
    indirect: pd.DataFrame | None = None
    #: the bootstrap draws behind every interval (``draws.values["index"]``: (B, K), in
    #: ``index`` row order; NaN rows for failed resamples), or None without a bootstrap.
    #: Differences between two results' statistics are built from these, so that they
    #: come from the same resamples as the intervals shown.
    #: overall fit (``measure, saturated, estimated`` + ``*_hi95``, ``*_hi99`` after an
    #: exact fit test); see :mod:`crmsurvey.pls.fit`. None where not defined.
    model_fit: pd.DataFrame | None = None
    #: AIC, BIC and Geweke–Meese per endogenous construct (:mod:`crmsurvey.pls.selection`)
    model_selection: pd.DataFrame | None = None
    #: simple slopes of each interaction term at −1/0/+1 SD of the moderator
    #: (``lhs, iv, moderator, level, slope`` + ``se, ci_lower, ci_upper``); see
    #: :func:`crmsurvey.pls.moderation.simple_slopes`. None without interaction terms.
    slopes: pd.DataFrame | None = None
    #: the first-stage measurement model of a two-stage model (``lhs, op, rhs, loading,
    #: weight``), or None
    first_stage: pd.DataFrame | None = None
    draws: Any = field(default=None, repr=False)
    _predict: Any = field(default=None, repr=False)
    _ipma: Any = field(default=None, repr=False)
    _ipma_items: Any = field(default=None, repr=False)
    _index_scores: Any = field(default=None, repr=False)
    #: what CVPAT and the copula test re-estimate from (:class:`.source.Fitted`)
    _fitted: Any = field(default=None, repr=False)

    def predict(self, folds: int = 10, reps: int = 10, *, seed: int | None = DEFAULT_SEED,
                technique: str = "DA", fold_ids=None):
        """PLSpredict: ``folds``-fold cross-validation repeated ``reps`` times (Shmueli et
        al. 2019), ``technique`` ``"DA"`` (direct antecedents) or ``"EA"`` (earliest
        antecedents); ``fold_ids`` fixes the folds. Returns a
        :class:`~crmsurvey.pls.predict.Prediction` (``.items``: Q²predict, RMSE, MAE and
        the LM benchmark per indicator; ``.constructs``: predictive power)."""
        if self._predict is None:
            from ..errors import InputError

            raise InputError("PLSpredict is not available for this model "
                             "(higher-order constructs have no published PLSpredict)")
        return self._predict(folds=folds, reps=reps, seed=seed, technique=technique,
                             fold_ids=fold_ids)

    def index_scores(self) -> pd.DataFrame:
        """Each respondent's construct scores on the 0–100 index scale (the items rescaled
        to 0–100, weighted as the index is); their (weighted) mean is ``index``."""
        return self._index_scores()

    def ipma(self, target: str) -> pd.DataFrame:
        """Importance–performance map for ``target``.

        ``importance``: unstandardised total effect on the target (scores on 0–100);
        ``performance``: mean 0–100 construct score (the index).
        """
        self._staged_refusal("IPMA")
        return self._ipma(target)

    def _staged_refusal(self, what: str) -> None:
        if self._ipma is None:
            from ..errors import InputError

            raise InputError(f"{what} is not available for models with interaction terms or "
                             "higher-order constructs")

    def ipma_items(self, target: str) -> pd.DataFrame:
        """Item-level importance–performance map for ``target`` (as SmartPLS's indicator
        IPMA): ``construct, item, importance, performance``.

        ``importance``: the unstandardised total effect of the item (rescaled to 0–100)
        on the target's 0–100 score — the construct's IPMA importance times the item's
        normalised unstandardised weight; ``performance``: the item's (weighted) mean on
        0–100. The items of a construct add up to its importance.
        """
        self._staged_refusal("IPMA")
        return self._ipma_items(target)

    def summary(self, *, cvpat=False, copula=False):
        """Tables and notes as text (``print(res.summary())``).

        ``cvpat=True`` adds CVPAT against the IA and LM benchmarks
        (:func:`crmsurvey.pls.cvpat.cvpat`: 10 folds × 10 repetitions, PLSpredict's folds
        of the default seed); ``copula=True`` the Gaussian copula test of endogeneity
        (:func:`crmsurvey.pls.endogeneity.copula_test`, from the fit's bootstrap
        resamples). Either may also be a table those functions returned, shown as given.
        """
        from .summary import Summary

        if cvpat is True:
            from .cvpat import cvpat as run_cvpat

            cvpat = run_cvpat(self, benchmark="both")
        if copula is True:
            from .endogeneity import copula_test

            copula = copula_test(self)
        return Summary(self, cvpat=None if cvpat is False else cvpat,
                       copula=None if copula is False else copula)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        s = self.settings
        r2 = ", ".join(f"{c} {v:.2f}" for c, v in zip(self.r2["construct"], self.r2["r2"]))
        boot = f", bootstrap {s.bootstrap} (seed {s.seed})" if s.bootstrap else ""
        return (f"<PLSResult: n = {s.n}, {len(self.loadings.lhs.unique())} constructs, "
                f"{len(self.paths)} paths, {s.scheme} scheme{boot}"
                f"{'' if s.converged else ', NOT converged'}; R² {r2 or 'none'}; "
                f"{len(self.diagnostics)} diagnostics — print(res.summary()) for the tables>")

    def to_dict(self) -> dict:
        """Plain data for JSON: every table as a list of records."""
        def records(df):
            if df is None:
                return None
            out = df.reset_index() if df.index.name or not isinstance(df.index, pd.RangeIndex) \
                else df
            return json_safe(out.to_dict("records"))

        tables = ["paths", "loadings", "weights", "total_effects", "r2", "index", "quality",
                  "htmt", "fornell_larcker", "item_vif", "inner_vif", "f2", "htmt_intervals",
                  "indirect", "model_fit", "model_selection", "slopes", "first_stage"]
        out = {t: records(getattr(self, t)) for t in tables}
        out["diagnostics"] = [asdict(d) for d in self.diagnostics]
        out["settings"] = asdict(self.settings)
        out["model"] = self.model
        return out


