"""The estimators' options, defined once: allowed values, defaults, validation.

One declaration per estimator — :data:`PLS` for :func:`crmsurvey.pls`, :data:`CBSEM`
for :func:`crmsurvey.cbsem` — a plain table of :class:`Option` (type, default, bounds,
description). Every surface is built from it:

- the Python functions take each option as a keyword with the declared default and
  validate through :meth:`Declared.validated` (an :class:`~crmsurvey.errors.InputError`
  naming the option and the allowed values). Plain values are checked here without
  pydantic, so a fit does not import it; anything else (a value to coerce, a bad value)
  goes through the pydantic record, whose message is the one every surface gives;
- the pydantic records :class:`PLSOptions` and :class:`CBSEMOptions` (built from the
  declarations on first use) are the study file's ``pls:`` and ``cbsem:`` sections (plus
  study-only fields), with the study defaults of :data:`STUDY_DEFAULTS`;
- the CLI's ``pls`` and ``cbsem`` commands take each option as a flag with the record's
  default, its allowed values (``Literal``) as choices and its description as help.

``tests/test_options.py`` walks every option and checks that the three agree.

>>> PLS.default("scheme"), PLS.choices("ci_method")
('path', ('percentile', 'bca'))
>>> PLS.validated(scheme="radial")
Traceback (most recent call last):
...
crmsurvey.errors.InputError: scheme must be one of 'path', 'factorial', 'centroid', not 'radial'
>>> CBSEM.validated(estimator="MLR", bootstrap=10).estimator
'MLR'
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Literal

from . import _defaults as D
from ._random import DEFAULT_SEED, MAX_SEED
from .errors import InputError

__all__ = ["PLSOptions", "CBSEMOptions", "STUDY_DEFAULTS", "study_record", "Scheme",
           "CIMethod", "SignChange", "PLSMissing", "Interaction", "HigherOrder", "Resampling",
           "Estimator", "CBSEMMissing", "InvarianceEstimator", "InvarianceOptions", "DEFAULT_SEED",
           "Option", "Declared", "PLS", "CBSEM", "INVARIANCE", "READING", "LATENT_CLASS",
           "Codes", "ReadingOptions", "LatentClassOptions", "SURFACES", "NOT_ON",
           "literal_choices"]

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
InvarianceEstimator = Literal["ML", "MLM", "MLR"]
Codes = Literal["values", "option_numbers"]


def literal_choices(tp: Any) -> tuple | None:
    """The allowed values of a ``Literal`` type, also when it may be None (``Literal[...]
    | None``); None for any other type."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = arms[0] if len(arms) == 1 else tp
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else None

_SEED_HELP = "Random seed of the resamples: same seed, same numbers."


@dataclass(frozen=True)
class Option:
    """One option: its type (``Literal`` for a list of allowed values), default, numeric
    bounds (pydantic's ``ge``/``gt``/``le``/``lt``) and description."""

    annotation: Any
    default: Any
    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    @property
    def bounds(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("ge", "gt", "le", "lt")
                if getattr(self, k) is not None}


class Values:
    """Validated options: read-only attributes, and :meth:`kwargs`."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("validated options are read-only")

    def __repr__(self) -> str:
        return "Values(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def kwargs(self) -> dict[str, Any]:
        """The estimator's keyword arguments."""
        return dict(self._values)


_ABSENT = object()


def _plain(tp: Any, value: Any) -> Any:
    """``value`` as pydantic would store it when it plainly is of type ``tp`` (no
    coercion to decide), else ``_ABSENT``."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return value if type(value) is str and value in typing.get_args(tp) else _ABSENT
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(tp):
            out = _plain(arm, value)
            if out is not _ABSENT:
                return out
        return _ABSENT
    if origin is list:
        (item,) = typing.get_args(tp)
        ok = type(value) is list and all(type(v) is item for v in value)
        return list(value) if ok else _ABSENT
    if tp is type(None):
        return None if value is None else _ABSENT
    if tp in (bool, int, str):
        return value if type(value) is tp else _ABSENT
    if tp is float:
        return float(value) if type(value) in (int, float) else _ABSENT
    return _ABSENT


def _within(value: Any, bounds: dict[str, float]) -> bool:
    if value is None or isinstance(value, (str, list, bool)):
        return True
    return all({"ge": value >= b, "gt": value > b, "le": value <= b,
                "lt": value < b}[k] for k, b in bounds.items())


class Declared:
    """An estimator's options: the declarations, defaults, allowed values and the fast
    validation of plain values (the pydantic record :attr:`record` for the rest)."""

    def __init__(self, name: str, fields: dict[str, Option], doc: str,
                 together: Callable[[Any], None] | None = None) -> None:
        self.name, self.fields, self.doc, self.together = name, fields, doc, together

    @property
    def record(self) -> type:
        """The pydantic record of these options (:class:`PLSOptions`, ...)."""
        return globals()[self.name] if self.name in globals() else __getattr__(self.name)

    def defaults(self) -> Values:
        return Values({k: o.default for k, o in self.fields.items()})

    def default(self, name: str) -> Any:
        return self.fields[name].default

    def choices(self, name: str) -> tuple | None:
        return literal_choices(self.fields[name].annotation)

    def validated(self, **values: Any) -> Values:
        """The options of ``values`` (the defaults for the others), or the
        :class:`InputError` of the pydantic record naming the first bad one."""
        out = {k: o.default for k, o in self.fields.items()}
        for name, value in values.items():
            o = self.fields.get(name)
            v = _ABSENT if o is None else _plain(o.annotation, value)
            if v is _ABSENT or not _within(v, o.bounds):
                return Values(self.record.validated(**values).kwargs())
            out[name] = v
        settings = Values(out)
        if self.together is not None:
            self.together(settings)
        return settings


def _cbsem_together(o: Any) -> None:
    """The settings together, as the estimator's record allows them
    (:func:`crmsurvey.cbsem.estimators.check`): refused with the real reason."""
    from .cbsem.estimators import check

    estimator = "WLSMV" if o.ordered and o.estimator == "ML" else o.estimator
    check(estimator, missing=o.missing, bootstrap=o.bootstrap, ordered=bool(o.ordered))


PLS = Declared("PLSOptions", {
    "scheme": Option(Scheme, "path", "Inner weighting scheme."),
    "bootstrap": Option(int, 0, "Bootstrap resamples (0: none).", ge=0),
    "resampling": Option(
        Resampling, "auto", "How bootstrap resamples are drawn: multinomial (n rows with "
        "replacement), poisson (each row's count Poisson(1): the same numbers however the "
        f"rows are split, for large or distributed data) or auto (poisson from "
        f"{D.POISSON_FROM:,} rows, multinomial below)."),
    "seed": Option(int | None, DEFAULT_SEED, _SEED_HELP, ge=0, le=MAX_SEED),
    "ci": Option(float, 0.95, "Confidence level of the intervals.", gt=0, lt=1),
    "ci_method": Option(CIMethod, "percentile", "Bootstrap interval method."),
    "sign_change": Option(
        SignChange, "construct", "Sign-change correction of the bootstrap resamples "
        "(construct: Tenenhaus et al. 2005; none)."),
    "missing": Option(
        PLSMissing, "mean", "Missing answers: mean (item-mean replacement, as SmartPLS and "
        "seminr) or listwise."),
    "consistent": Option(bool, False, "Consistent PLS (PLSc) for reflective constructs."),
    "fit_test": Option(int, 0, "Resamples of the exact fit test of the model fit (SRMR, "
                       "d_ULS, d_G; 0: distances only).", ge=0),
    "interaction": Option(Interaction, "two_stage", "How interaction terms (A:B) are "
                          "built."),
    "higher_order": Option(
        HigherOrder, "two_stage", "How higher-order constructs are estimated (embedded "
        "two-stage, or repeated indicators)."),
    "tol": Option(float, D.PLS_TOLERANCE, "Stop when no outer weight changes by more than "
                  "this (SmartPLS and seminr: 1e-7).", gt=0),
    "max_iter": Option(int, D.PLS_MAX_ITER, "Most iterations of the PLS algorithm "
                       "(SmartPLS: 300).", ge=1),
}, "Options of :func:`crmsurvey.pls` (and of a study's ``pls:`` section).")

CBSEM = Declared("CBSEMOptions", {
    "estimator": Option(Estimator, "ML", "Estimator (lavaan's names); WLSMV goes with "
                        "ordered items."),
    "ordered": Option(
        list[str] | bool | None, None, "Ordered (ordinal) items, or true for all of them: "
        "thresholds, polychoric correlations and WLSMV."),
    "missing": Option(
        CBSEMMissing, "listwise", "Missing answers: listwise, fiml (full-information ML, "
        "lavaan's \"ml\"; ML or MLR, unweighted, no bootstrap) or auto (fiml where it "
        "applies, listwise otherwise, said in the notes)."),
    "bootstrap": Option(int, 0, "Bootstrap resamples (0: none).", ge=0),
    "seed": Option(int | None, DEFAULT_SEED, _SEED_HELP, ge=0, le=MAX_SEED),
    "ci": Option(float, 0.95, "Confidence level of the intervals.", gt=0, lt=1),
    "std_lv": Option(
        bool, False, "Identify each factor by fixing its variance to 1, all loadings "
        "free (lavaan's std.lv); otherwise each factor's first loading is fixed to 1."),
    "orthogonal": Option(bool, False, "Uncorrelated exogenous factors (lavaan's "
                         "orthogonal)."),
}, "Options of :func:`crmsurvey.cbsem` (and of a study's ``cbsem:`` section).",
    together=_cbsem_together)

INVARIANCE = Declared("InvarianceOptions", {
    "estimator": Option(
        InvarianceEstimator, "ML", "Estimator of the invariance models: ML, or MLM / MLR "
        "(robust standard errors, lavaan's scaled chi-square and robust CFI; the "
        "differences by the scaled test)."),
    "min_size": Option(int, 30, "Fewest complete rows a group needs to be compared.", ge=2),
}, "Options of :func:`crmsurvey.measurement_invariance` (a study: ``compare:`` "
   "``invariance_estimator``, and ``min_group_size``).")

READING = Declared("ReadingOptions", {
    "mapping": Option(dict[str, str] | None, None, "Column name → item id, for columns not "
                      "named like their item."),
    "exclude": Option(
        list[str], (), "Screening rules that exclude rows (the others only flag them): "
        "duplicate, screened_out, attention, speeder, straightlining, missing, "
        "invalid_weight, or all."),
    "encoding": Option(str | None, None, "Text encoding of a CSV file (default: UTF-8, "
                       "UTF-16 with a BOM, GB18030)."),
    "sheet": Option(str | int | None, None, "XLSX sheet: its name, or its number from 0 "
                    "(default: the first)."),
    "codes": Option(
        Codes | None, None, "How answers are coded: the scale's values, or option numbers "
        "(1 = the first option, as 问卷星's 按选项序号 download). Unset: values, and a column "
        "that looks like option numbers is an error."),
    "speeder_fraction": Option(
        float, D.SPEEDER_FRACTION, "A speeder took less than this share of the median "
        "interview duration.", gt=0, lt=1),
    "straightline_min_items": Option(
        int, D.STRAIGHTLINE_MIN_ITEMS, "Straight-lining is judged on grids of at least "
        "this many answered items.", ge=2),
    "max_missing_share": Option(
        float, D.MAX_MISSING_SHARE, "A row missing more than this share of its items is "
        "flagged missing.", ge=0, le=1),
    "duplicate_min_items": Option(
        int, D.DUPLICATE_MIN_ITEMS, "A row repeating an earlier row's answers is a "
        "duplicate (a second submission) when it answers at least this many item columns "
        "and its construct items are not all one value; an id repeated within the file "
        "is one always (ids identify rows within their file).",
        ge=1),
    "values": Option(
        dict[str, str | int | float] | None, None, "Item id → the value every row of the "
        "file takes, for what the file holds but has no column for (a wave's export: "
        "{wave: \"2025\", operator: 1}); a code of the item's scale where it has one, and "
        "a column of the file for that item must hold it (or nothing) in every row."),
}, "How a response file is read and screened: the keywords of "
   ":func:`crmsurvey.load_responses` (a study: ``data:`` entries, ``exclude`` and "
   "``screening:``; the CLI: the reading flags of every command that reads responses).")

LATENT_CLASS = Declared("LatentClassOptions", {
    "classes": Option(list[int], (1, 2, 3, 4), "The numbers of segments (classes) tried."),
    "starts": Option(int, 10, "Random starts per number of segments; the best "
                     "log-likelihood is kept.", ge=1, le=1000),
    "seed": Option(int | None, DEFAULT_SEED, "Random seed of the starts: same seed, same "
                   "segments.", ge=0, le=MAX_SEED),
}, "Segments found in the answers: :func:`crmsurvey.latent_classes` (and FIMIX-PLS, "
   ":func:`crmsurvey.pls.fimix.fimix`, with the same numbers and starts; a study: "
   "``segments:``).")

#: The commands that read a response file (a questionnaire's or a model's ``DATA``):
#: each takes every reading option as a flag (:mod:`crmsurvey.cli.reading`).
READING_COMMANDS = ("responses check", "pls", "cbsem", "invariance", "nps", "weights",
                    "kano")

#: The commands that fit or compare by the levels of a group item (the study file's
#: ``groups:``): each takes it as ``--group ITEM`` (:func:`crmsurvey.cli._common.group_flag`).
#: ``weights --by`` is another thing: raking within each level.
GROUP_COMMANDS = ("pls", "cbsem", "invariance", "nps")

#: Where each table's options are set: the Python function, the CLI command (None: no
#: command) and the study file — a section holding every option by its name, or per
#: option its dotted place in the study file. ``tests/test_surfaces.py`` checks each.
SURFACES: dict[str, dict[str, Any]] = {
    "PLSOptions": {"python": "crmsurvey.pls", "cli": "pls", "study": "pls"},
    "CBSEMOptions": {"python": "crmsurvey.cbsem", "cli": "cbsem", "study": "cbsem"},
    "InvarianceOptions": {"python": "crmsurvey.measurement_invariance", "cli": "invariance",
                          "study": {"estimator": "compare.invariance_estimator",
                                    "min_size": "min_group_size"}},
    "ReadingOptions": {"python": "crmsurvey.load_responses", "cli": READING_COMMANDS,
                       "study": {"mapping": "data.mapping", "exclude": "exclude",
                                 "encoding": "data.encoding", "sheet": "data.sheet",
                                 "codes": "data.codes", "values": "data.values",
                                 **{k: f"screening.{k}" for k in (
                                     "speeder_fraction", "straightline_min_items",
                                     "max_missing_share", "duplicate_min_items")}}},
    "LatentClassOptions": {"python": "crmsurvey.latent_classes", "cli": None,
                           "study": {"classes": "segments.numbers",
                                     "starts": "segments.starts", "seed": "segments.seed"}},
}

#: Why an option cannot be set on a surface: (table, option or None for all, surface).
NOT_ON: dict[tuple[str, str | None, str], str] = {
    ("LatentClassOptions", None, "cli"): "no command forms segments: they are formed on a "
    "study's construct scores or items (segments:), or in Python",
}

#: Where a study's default deliberately differs from the function's, and why. A study
#: writes a client report, so its PLS models are bootstrapped (intervals, tests) and get
#: the exact fit test by default; its CB-SEM uses FIML where it applies. A study's seed
#: may not be null: a study always gives the same numbers. (Keyed by the pydantic
#: records as ``STUDY_DEFAULTS``.)
_STUDY_DEFAULTS: dict[str, dict[str, Any]] = {
    "PLSOptions": {"bootstrap": 1000, "fit_test": 499},
    "CBSEMOptions": {"missing": "auto"},
    # a study (and a CLI command) screens by default: the rules of a client report
    "ReadingOptions": {"exclude": list(D.SCREEN_EXCLUDE)},
    # group comparisons in a report (PLS-MGA, permutations) need more than the invariance
    # tests' fewest rows
    "InvarianceOptions": {"min_size": 50},
}


def _records() -> dict[str, Any]:
    """The pydantic records, built from the declarations (pydantic imported here only)."""
    from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, \
        model_validator

    class _Record(BaseModel):
        """Base of the options records: frozen, unknown keys refused."""

        model_config = ConfigDict(extra="forbid", frozen=True)
        #: the estimator record a (study) subclass extends: its fields are the estimator's
        record: ClassVar[type["_Record"]]

        @classmethod
        def validated(cls, **values: Any) -> "_Record":
            """The record of ``values``, or an :class:`InputError` naming the first bad
            option and what it allows."""
            try:
                return cls(**values)
            except ValidationError as exc:
                err = exc.errors()[0]
                if not err["loc"] and isinstance(err.get("ctx", {}).get("error"),
                                                 InputError):
                    raise err["ctx"]["error"] from None  # a record's own check
                name = ".".join(str(p) for p in err["loc"][:1]) or "option"
                value = values.get(name, err.get("input"))
                allowed = cls.choices(name) if name in cls.model_fields else None
                if allowed:
                    raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}"
                                     f", not {value!r}") from None
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
            return literal_choices(cls.model_fields[name].annotation)

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

    out: dict[str, Any] = {}
    for declared in (PLS, CBSEM, INVARIANCE, READING, LATENT_CLASS):
        validators = {}
        if declared.together is not None:
            def _together(self, _check=declared.together):
                _check(self)
                return self
            validators["_settings_together"] = model_validator(mode="after")(_together)
        record = create_model(
            declared.name, __base__=_Record, __module__=__name__, __validators__=validators,
            **{k: (o.annotation, Field(o.default, description=o.description, **o.bounds))
               for k, o in declared.fields.items()})
        record.__doc__ = declared.doc
        record.record = record
        out[declared.name] = record
    out["STUDY_DEFAULTS"] = {out[k]: v for k, v in _STUDY_DEFAULTS.items()}
    return out


def __getattr__(name: str) -> Any:
    """:class:`PLSOptions`, :class:`CBSEMOptions`, :class:`InvarianceOptions` and
    :data:`STUDY_DEFAULTS` (pydantic),
    built on first use."""
    if name in ("PLSOptions", "CBSEMOptions", "InvarianceOptions", "ReadingOptions",
                "LatentClassOptions", "STUDY_DEFAULTS"):
        globals().update(_records())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def study_record(record: type) -> type:
    """``record`` with the study's defaults (:data:`STUDY_DEFAULTS`) and a seed that
    may not be null: the base of the study schema's section."""
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    fields: dict[str, Any] = {}
    for name, value in _STUDY_DEFAULTS.get(record.__name__, {}).items():
        f = record.model_fields[name]
        fields[name] = (f.annotation, FieldInfo.merge_field_infos(f, default=value))
    if "seed" in record.model_fields:
        f = record.model_fields["seed"]
        fields["seed"] = (int, FieldInfo.merge_field_infos(f, default=DEFAULT_SEED))
    return create_model(f"Study{record.__name__}", __base__=record, __module__=__name__,
                        **fields)
