"""The CB-SEM estimators as records: what each fits, how its standard errors and test are
computed, and which settings it takes.

One :class:`EstimatorRecord` per lavaan estimator name. :func:`check` is the one place a
combination of settings is accepted or refused, with the real reason; the options record
(:class:`crmsurvey.options.CBSEMOptions`, hence the study file and the CLI) asks it for the
settings known before the data are read, :func:`crmsurvey.cbsem` for the rest (weights,
groups). :func:`auto_missing` resolves ``missing="auto"`` from the same records.

Examples
--------
>>> ESTIMATORS["MLM"].missing
('listwise',)
>>> try:
...     check("MLM", missing="fiml")
... except ValueError as exc:
...     print(str(exc).split(":")[0])
estimator='MLM' needs complete rows (missing='listwise')
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..notes import Note

__all__ = ["EstimatorRecord", "ESTIMATORS", "check", "auto_missing"]


@dataclass(frozen=True)
class EstimatorRecord:
    """One estimator: ``objective`` fitted to the covariance structure (``casewise``: to
    the rows, by FIML), standard errors ``se`` and ``test`` in lavaan's names, and what it
    takes: missing-data methods, sampling weights, bootstrap, groups, ordered items,
    equality constraints. ``why`` says, per refused setting, the reason."""

    name: str
    objective: str
    se: str
    test: str
    missing: tuple[str, ...] = ("listwise",)
    weights: bool = True
    bootstrap: bool = True
    group: bool = True
    ordered: bool = False  # True: needs ordered items; False: refuses them
    constraints: bool = True
    casewise: bool = False
    why: tuple[tuple[str, str], ...] = ()

    def reason(self, setting: str, default: str) -> str:
        return dict(self.why).get(setting, default)


_ADF = "its Satorra–Bentler correction uses the complete-data fourth moments"
ESTIMATORS: dict[str, EstimatorRecord] = {r.name: r for r in (
    EstimatorRecord("ML", "ML", "expected", "standard", ("listwise", "fiml")),
    EstimatorRecord("MLM", "ML", "robust.sem", "satorra.bentler", weights=False,
                    constraints=False,
                    why=(("missing", _ADF), ("weights", _ADF))),
    EstimatorRecord("MLR", "ML", "robust.huber.white", "yuan.bentler.mplus",
                    ("listwise", "fiml"), weights=False, constraints=False, casewise=True,
                    why=(("weights", "its Huber–White errors use unweighted casewise "
                          "scores"),)),
    EstimatorRecord("GLS", "GLS", "expected", "standard"),
    EstimatorRecord("ULS", "ULS", "standard", "standard", bootstrap=False,
                    why=(("bootstrap", "its resamples are not refitted here"),)),
    EstimatorRecord("DWLS", "DWLS", "standard", "standard", weights=False, bootstrap=False,
                    constraints=False,
                    why=(("weights", "its weights are the unweighted ADF variances"),
                         ("bootstrap", "its resamples are not refitted here"))),
    EstimatorRecord("WLSMV", "DWLS", "robust.sem", "scaled.shifted", weights=False,
                    ordered=True,
                    why=(("missing", "ordered items are fitted on complete rows (lavaan's "
                          "pairwise deletion for ordered data is not available here)"),
                         ("weights", "polychoric correlations are unweighted here"),
                         ("bootstrap", "its resamples refit one group of ordered items "
                          "with free thresholds"))),
)}


def check(estimator: str, *, missing: str = "listwise", bootstrap: int = 0,
          ordered: bool = False, weighted: bool | None = None, group: bool | None = None,
          carried: bool = False) -> EstimatorRecord:
    """The record of ``estimator`` if it takes these settings, else an
    :class:`~crmsurvey.errors.InputError` naming the setting and the reason. Settings given
    as ``None`` are not known yet (weights and groups come with the data)."""
    rec = ESTIMATORS[estimator]
    if rec.ordered and not ordered:
        raise InputError(f"estimator={estimator!r} goes with ordered items (ordered=[...] or "
                         "ordered=True)", hint="or estimator='ML' for continuous items")
    if ordered and not rec.ordered:
        raise InputError(f"ordered items go with estimator='WLSMV', not {estimator!r}",
                         hint="leave the estimator unset (ML turns into WLSMV), or leave "
                         "the items unordered")
    if missing not in rec.missing and missing != "auto":
        if missing == "fiml" and ordered:
            raise InputError("missing='fiml' is for continuous items: " + rec.reason(
                "missing", ""), hint="missing='listwise', or leave the items unordered (ML)")
        raise InputError(f"estimator={estimator!r} needs complete rows (missing='listwise'): "
                         + rec.reason("missing", "FIML goes with 'ML' or 'MLR'"),
                         hint="or estimator='ML' / 'MLR' with missing='fiml'")
    if bootstrap and not rec.bootstrap:
        raise InputError(f"estimator={estimator!r} takes no bootstrap here: "
                         + rec.reason("bootstrap", ""), hint="bootstrap=0")
    if bootstrap and missing == "fiml":
        raise InputError("missing='fiml' takes no bootstrap here (resamples are refitted on "
                         "complete rows)", hint="bootstrap=0, or missing='listwise'")
    if weighted and not rec.weights:
        raise InputError(f"estimator={estimator!r} takes no sampling weights here: "
                         + rec.reason("weights", ""), hint="weights=False in Python, "
                         "--weight none on the command line, no `weight:` in a study")
    if weighted and missing == "fiml":
        source = " (the questionnaire's weight column, applied by the responses)" \
            if carried else ""
        raise InputError(f"missing='fiml' takes no sampling weights, and the data are "
                         f"weighted{source}", hint="switch the weights off: weights=False "
                         "in Python, --weight none on the command line, no `weight:` in "
                         "a study; or use missing='listwise'")
    if group and not rec.group:
        raise InputError(f"estimator={estimator!r} takes no group here: "
                         + rec.reason("group", ""), hint="fit the groups one by one")
    return rec


def auto_missing(estimator: str, weighted: bool, bootstrap: int) -> tuple[str, Note | None]:
    """``missing="auto"``: ``"fiml"`` where the estimator's record takes it (unweighted,
    no bootstrap), else ``"listwise"`` with the reason (a note), as ``(missing, reason)``."""
    if "fiml" in ESTIMATORS[estimator].missing and not weighted and not bootstrap:
        return "fiml", None
    return "listwise", Note("cb_auto_listwise")
