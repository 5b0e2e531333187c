"""The estimators' options, defined once: allowed values, defaults, validation.

One frozen record per estimator — :class:`PLSOptions` for :func:`crmsurvey.pls`,
:class:`CBSEMOptions` for :func:`crmsurvey.cbsem`. Every surface is built from them:

- the Python functions take each option as a keyword with the record's default and
  validate through :meth:`_Record.validated` (an :class:`~crmsurvey.errors.InputError`
  naming the option and the allowed values);
- the study file's ``pls:`` and ``cbsem:`` sections are these records (plus study-only
  fields), with the study defaults of :data:`STUDY_DEFAULTS`;
- the CLI's ``pls`` and ``cbsem`` commands take each option as a flag with the record's
  default, its allowed values (``Literal``) as choices and its description as help.

``tests/test_options.py`` walks every option and checks that the three agree.

>>> PLSOptions().scheme, PLSOptions.choices("ci_method")
('path', ('percentile', 'bca'))
>>> PLSOptions.validated(scheme="radial")
Traceback (most recent call last):
...
crmsurvey.errors.InputError: scheme must be one of 'path', 'factorial', 'centroid', not 'radial'
"""
from __future__ import annotations

import typing
from typing import Any, ClassVar, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, create_model,
                      model_validator)
from pydantic.fields import FieldInfo

from . import _defaults as D
from ._random import DEFAULT_SEED, MAX_SEED
from .errors import InputError

__all__ = ["PLSOptions", "CBSEMOptions", "STUDY_DEFAULTS", "study_record", "Scheme",
           "CIMethod", "SignChange", "PLSMissing", "Interaction", "HigherOrder", "Resampling",
           "Estimator", "CBSEMMissing", "DEFAULT_SEED"]

# --- allowed values (the first is the default) ------------------------------------------
Scheme = Literal["path", "factorial", "centroid"]
CIMethod = Literal["percentile", "bca"]
SignChange = Literal["construct", "none"]
PLSMissing = Literal["mean", "listwise"]
Interaction = Literal["two_stage", "product_indicator", "orthogonal"]
HigherOrder = Literal["two_stage", "repeated"]
Resampling = Literal["auto", "multinomial", "poisson"]
Estimator = Literal["ML", "MLM", "MLR", "GLS", "ULS", "DWLS", "WLSMV"]
CBSEMMissing = Literal["listwise", "fiml", "auto"]

_SEED_HELP = "Random seed of the resamples: same seed, same numbers."


class _Record(BaseModel):
    """Base of the options records: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: the estimator record a (study) subclass extends: its fields are the estimator's
    record: ClassVar[type["_Record"]]

    @classmethod
    def validated(cls, **values: Any) -> "_Record":
        """The record of ``values``, or an :class:`InputError` naming the first bad option
        and what it allows."""
        try:
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            if not err["loc"] and isinstance(err.get("ctx", {}).get("error"), InputError):
                raise err["ctx"]["error"] from None  # a record's own check of its settings
            name = ".".join(str(p) for p in err["loc"][:1]) or "option"
            value = values.get(name, err.get("input"))
            allowed = cls.choices(name) if name in cls.model_fields else None
            if allowed:
                raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}, "
                                 f"not {value!r}") from None
            if err["type"] == "extra_forbidden":
                raise InputError(f"unknown option {name!r}", hint="options: " + ", ".join(
                    cls.model_fields)) from None
            raise InputError(f"{name}: {err['msg'][0].lower()}{err['msg'][1:]}, "
                             f"not {value!r}") from None

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of option ``name``."""
        return cls.model_fields[name].get_default(call_default_factory=True)

    @classmethod
    def choices(cls, name: str) -> tuple | None:
        """The allowed values of option ``name`` when they are a list (``Literal``)."""
        tp = cls.model_fields[name].annotation
        return typing.get_args(tp) if typing.get_origin(tp) is Literal else None

    @classmethod
    def bounds(cls, name: str) -> dict[str, float]:
        """The numeric bounds of option ``name``: ``{"ge": 0, "lt": 1, …}``."""
        out = {}
        for m in cls.model_fields[name].metadata:
            for key in ("ge", "gt", "le", "lt"):
                if getattr(m, key, None) is not None:
                    out[key] = getattr(m, key)
        return out

    @classmethod
    def help(cls, name: str) -> str:
        """The description of option ``name`` (CLI help, docs)."""
        return cls.model_fields[name].description or ""

    def kwargs(self) -> dict[str, Any]:
        """The estimator's keyword arguments (the record's own fields, not study-only
        ones)."""
        return {k: getattr(self, k) for k in type(self).record.model_fields}


class PLSOptions(_Record):
    """Options of :func:`crmsurvey.pls` (and of a study's ``pls:`` section)."""

    scheme: Scheme = Field("path", description="Inner weighting scheme.")
    bootstrap: int = Field(0, ge=0, description="Bootstrap resamples (0: none).")
    resampling: Resampling = Field(
        "auto", description="How bootstrap resamples are drawn: multinomial (n rows with "
        "replacement), poisson (each row's count Poisson(1): the same numbers however the "
        f"rows are split, for large or distributed data) or auto (poisson from "
        f"{D.POISSON_FROM:,} rows, multinomial below).")
    seed: int | None = Field(DEFAULT_SEED, ge=0, le=MAX_SEED, description=_SEED_HELP)
    ci: float = Field(0.95, gt=0, lt=1, description="Confidence level of the intervals.")
    ci_method: CIMethod = Field("percentile", description="Bootstrap interval method.")
    sign_change: SignChange = Field(
        "construct", description="Sign-change correction of the bootstrap resamples "
        "(construct: Tenenhaus et al. 2005; none).")
    missing: PLSMissing = Field(
        "mean", description="Missing answers: mean (item-mean replacement, as SmartPLS and "
        "seminr) or listwise.")
    consistent: bool = Field(False, description="Consistent PLS (PLSc) for reflective "
                             "constructs.")
    fit_test: int = Field(0, ge=0, description="Resamples of the exact fit test of the "
                          "model fit (SRMR, d_ULS, d_G; 0: distances only).")
    interaction: Interaction = Field(
        "two_stage", description="How interaction terms (A:B) are built.")
    higher_order: HigherOrder = Field(
        "two_stage", description="How higher-order constructs are estimated (embedded "
        "two-stage, or repeated indicators).")
    tol: float = Field(D.PLS_TOLERANCE, gt=0, description="Stop when no outer weight "
                       "changes by more than this (SmartPLS and seminr: 1e-7).")
    max_iter: int = Field(D.PLS_MAX_ITER, ge=1, description="Most iterations of the PLS "
                          "algorithm (SmartPLS: 300).")


PLSOptions.record = PLSOptions


class CBSEMOptions(_Record):
    """Options of :func:`crmsurvey.cbsem` (and of a study's ``cbsem:`` section)."""

    estimator: Estimator = Field(
        "ML", description="Estimator (lavaan's names); WLSMV goes with ordered items.")
    ordered: list[str] | bool | None = Field(
        None, description="Ordered (ordinal) items, or true for all of them: thresholds, "
        "polychoric correlations and WLSMV.")
    missing: CBSEMMissing = Field(
        "listwise", description="Missing answers: listwise, fiml (full-information ML, "
        "lavaan's \"ml\"; ML or MLR, unweighted, no bootstrap) or auto (fiml where it "
        "applies, listwise otherwise, said in the notes).")
    bootstrap: int = Field(0, ge=0, description="Bootstrap resamples (0: none).")
    seed: int | None = Field(DEFAULT_SEED, ge=0, le=MAX_SEED, description=_SEED_HELP)
    ci: float = Field(0.95, gt=0, lt=1, description="Confidence level of the intervals.")
    std_lv: bool = Field(
        False, description="Identify each factor by fixing its variance to 1, all loadings "
        "free (lavaan's std.lv); otherwise each factor's first loading is fixed to 1.")
    orthogonal: bool = Field(
        False, description="Uncorrelated exogenous factors (lavaan's orthogonal).")

    @model_validator(mode="after")
    def _estimator_takes_these(self) -> "CBSEMOptions":
        """The settings together, as the estimator's record allows them
        (:func:`crmsurvey.cbsem.estimators.check`): refused with the real reason."""
        from .cbsem.estimators import check

        estimator = "WLSMV" if self.ordered and self.estimator == "ML" else self.estimator
        check(estimator, missing=self.missing, bootstrap=self.bootstrap,
              ordered=bool(self.ordered))
        return self


CBSEMOptions.record = CBSEMOptions

#: Where a study's default deliberately differs from the function's, and why. A study
#: writes a client report, so its PLS models are bootstrapped (intervals, tests) and get
#: the exact fit test by default; its CB-SEM uses FIML where it applies. A study's seed
#: may not be null: a study always gives the same numbers.
STUDY_DEFAULTS: dict[type[_Record], dict[str, Any]] = {
    PLSOptions: {"bootstrap": 1000, "fit_test": 499},
    CBSEMOptions: {"missing": "auto"},
}


def study_record(record: type[_Record]) -> type[_Record]:
    """``record`` with the study's defaults (:data:`STUDY_DEFAULTS`) and a seed that
    may not be null: the base of the study schema's section."""
    fields: dict[str, Any] = {}
    for name, value in STUDY_DEFAULTS.get(record, {}).items():
        f = record.model_fields[name]
        fields[name] = (f.annotation, FieldInfo.merge_field_infos(f, default=value))
    if "seed" in record.model_fields:
        f = record.model_fields["seed"]
        fields["seed"] = (int, FieldInfo.merge_field_infos(f, default=DEFAULT_SEED))
    return create_model(f"Study{record.__name__}", __base__=record, __module__=__name__,
                        **fields)
