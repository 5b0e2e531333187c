"""The study definition: questionnaire + data + screening + models + groups + report."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import _defaults as D
from .. import options
from .._random import DEFAULT_SEED
from ..options import study_record
from ..questionnaire.schema import Text
from .limits import MAX_SEED

__all__ = ["StudyDef", "DataSource", "PLSOptions", "CBSEMOptions", "ReportOptions",
           "SECTIONS", "known_keys"]

#: Report sections in their order; a study may leave some out.
SECTIONS = ("summary", "indices", "trend", "priorities", "items", "model", "comparisons",
            "quality", "cbsem", "kano", "loyalty", "customers", "segments", "sample", "methodology",
            "glossary", "appendix")


#: A random seed: a 32-bit unsigned integer (numpy's generators take every one).
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


#: The reading options (:data:`crmsurvey.options.READING`): one declaration for the
#: study's data: entries and screening:, the CLI's reading flags and load_responses.
_READ = options.READING.fields


def _reading_field(name: str) -> Any:
    """The study field of reading option ``name``: its default, bounds and description."""
    o = _READ[name]
    return Field(o.default, description=o.description, **o.bounds)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Simulated(_Strict):
    """Responses drawn by the simulator (the demo; tests)."""

    n: int = Field(gt=0)
    seed: Seed = 0
    groups: dict[str, list[str]] = Field(default_factory=dict)
    paths: dict[str, float] = Field(default_factory=dict)


class DataSource(_Strict):
    """One response file (path relative to the study file) or simulated responses."""

    #: The accepted forms, named by error messages and the reference.
    FORMS: ClassVar[str] = ("a data entry is {path: FILE} (with mapping:, encoding:, sheet:, "
                            "codes:, values: as needed) or {simulate: {n: N, seed: S, groups: {...}}}")

    path: str | None = None
    simulate: Simulated | None = None
    mapping: dict[str, str] = Field(default_factory=dict,
                                    description=_READ["mapping"].description)
    encoding: str | None = Field(None, description=_READ["encoding"].description)
    sheet: str | int | None = Field(None, description=_READ["sheet"].description)
    codes: options.Codes | None = Field(None, description=_READ["codes"].description)
    values: dict[str, str | int | float] = Field(default_factory=dict,
                                                 description=_READ["values"].description)


class ScreeningOptions(_Strict):
    """The thresholds of the screening rules (:func:`crmsurvey.load_responses`; the CLI's
    flags of the same names); which rules exclude rows is ``exclude:``."""

    speeder_fraction: float = _reading_field("speeder_fraction")
    straightline_min_items: int = _reading_field("straightline_min_items")
    max_missing_share: float = _reading_field("max_missing_share")
    duplicate_min_items: int = _reading_field("duplicate_min_items")


class PLSOptions(study_record(options.PLSOptions)):
    """Every option of :func:`crmsurvey.pls` (:class:`crmsurvey.options.PLSOptions`),
    with the study defaults of :data:`crmsurvey.options.STUDY_DEFAULTS`, and PLSpredict.
    The exact fit test and PLSpredict run on the headline model only."""

    predict_folds: int = Field(default=10, ge=0)  # 0: no PLSpredict
    predict_reps: int = Field(default=10, ge=1)
    #: CVPAT against the IA and LM benchmarks (Liengaard et al. 2021), on PLSpredict's
    #: folds (10 when predict_folds is 0) — headline model only
    cvpat: bool = False
    #: Gaussian copula test of endogeneity of every path (Park & Gupta 2012; Hult et al.
    #: 2018), from the bootstrap resamples — headline model only
    copula: bool = False
    #: the fewest bootstrap draws beyond each limit of the intervals that compare groups
    #: or waves (``B·α/(2m)`` at the smallest level, m the largest family; m = 1 for one
    #: pair): a study setting ``bootstrap`` below that is refused, one leaving it at the
    #: default is raised. Set it lower to accept fewer draws — the report states it
    tail_draws: int = Field(default=20, ge=1)


class CBSEMOptions(study_record(options.CBSEMOptions)):
    """Every option of :func:`crmsurvey.cbsem` (:class:`crmsurvey.options.CBSEMOptions`,
    WLSMV with ``ordered:`` included), with the study defaults of
    :data:`crmsurvey.options.STUDY_DEFAULTS` (``missing: auto``)."""


class TypologyOptions(_Strict):
    """Dick & Basu: ``attitude`` is a construct (its PLS score) or an item; ``behaviour``
    an item, or ``transactions`` (purchase frequency from the linked transaction file)."""

    attitude: str
    behaviour: str
    cut_attitude: float | None = None  # default: median
    cut_behaviour: float | None = None


class TransactionOptions(_Strict):
    """The firm's transactions, linked to respondents by the questionnaire's id item."""

    #: The accepted forms, named by error messages and the reference.
    FORMS: ClassVar[str] = ("transactions are {path: FILE, customer: COL, date: COL, "
                            "amount: COL} or {simulate: SEED}")

    path: str | None = None
    simulate: Seed | None = None  # seed: purchases drawn from the respondents' loyalty
    customer: str = "customer_id"
    date: str = "date"
    amount: str = "amount"
    as_of: str | None = None
    encoding: str | None = None
    date_format: str | None = None  # strftime codes, e.g. "%d.%m.%Y"; default: detected
    dayfirst: bool | None = None  # 03/04/2025 is 3 April (true) or 4 March (false)
    abc: Literal["customers", "value"] = "customers"
    margin: float = 0.3  # share of spend kept as margin (for the CLV formula)
    discount: float = 0.1  # yearly discount rate


#: Targets of one variable (category → share or count), of several (variable → that),
#: or per level of ``by`` (level → variable → …); checked by the study loader.
Targets = dict[Any, Any]


class WeightingOptions(_Strict):
    """Weights computed from population targets after screening, used wherever the study
    uses a weight (:func:`crmsurvey.rake`). Exactly one method: ``rake`` (iterative
    proportional fitting to margins), ``linear`` (linear/GREG calibration to margins) or
    ``poststratify`` (cells); targets as shares or counts, inline or a CSV file relative
    to the study file (``variable, category, target``; for cells one column per variable
    and ``target``; ``by`` first to give each level its own targets). Weights have mean 1
    within each level of ``by`` (in the whole sample without it)."""

    #: The accepted forms, named by error messages and the reference.
    FORMS: ClassVar[str] = ("weighting is {rake: {VARIABLE: {CODE: SHARE}}} (or linear: …, "
                            "or poststratify: [{VARIABLE: CODE, …, target: SHARE}], or a "
                            "CSV file) with by: COLUMN, trim: [LOW, HIGH], base: WEIGHT_ITEM "
                            "as needed")

    #: raking (iterative proportional fitting) to margins: {VARIABLE: {CODE: SHARE}},
    #: the same per level of by, or a CSV table
    rake: Targets | str | None = None
    linear: Targets | str | None = None  # linear (GREG) calibration to margins, as rake
    #: cells: [{VARIABLE: CODE, …, target: SHARE}] or a CSV table
    poststratify: list[dict[str, Any]] | str | None = None
    by: str | None = None  # an item: weight within each of its levels, to its targets
    #: [LOW, HIGH] relative to the mean weight (1); fitted again after trimming
    trim: list[float] | None = Field(default=None, min_length=2, max_length=2)
    base: str | None = None  # a weight item of the questionnaire: design weights to start from
    max_iter: int = Field(default=100, ge=1, le=10_000)  # most iterations (sweeps)
    tol: float = Field(default=1e-6, gt=0, lt=0.1)  # largest margin error accepted (a share)


class DesignOptions(_Strict):
    """How the sample was drawn, for design-based standard errors: strata and clusters
    (primary sampling units: the stores of a store intercept, the areas of a regional
    panel) named by items of the questionnaire; either may be left out. NPS, CSAT and
    item means get Taylor-linearised standard errors, and the PLS bootstrap resamples
    clusters within strata (Rao–Wu). ``fpc``: an item giving per stratum its number of
    clusters in the population, or the sampling fraction (finite-population correction;
    leave it out when few of the population's clusters were sampled)."""

    #: The accepted forms, named by error messages and the reference.
    FORMS: ClassVar[str] = "design is {strata: ITEM, cluster: ITEM} (fpc: ITEM optional)"

    strata: str | None = None  # the item holding each respondent's stratum
    cluster: str | None = None  # the item holding each respondent's cluster (PSU)
    fpc: str | None = None  # population clusters per stratum, or the sampling fraction


class ComplaintOptions(_Strict):
    """Complaints (ACSI) from a yes/no ``item`` that is not a construct of the model:
    the complaint rate, ``handling`` satisfaction (a rating item asked of complainers)
    and the ``loyalty`` index of complainers against non-complainers, per group. Without
    this entry, a one-item binary construct with a path to another construct is used."""

    #: The accepted forms, named by error messages and the reference.
    FORMS: ClassVar[str] = ("complaints is {item: YES_NO_ITEM} with handling: RATING_ITEM, "
                            "loyalty: CONSTRUCT, yes_code: CODE as needed")

    item: str  # a binary item: did the respondent complain
    yes_code: int | None = None  # the code meaning "complained" (default: 1)
    handling: str | None = None  # a rating item: satisfaction with how it was handled
    loyalty: str | None = None  # a construct (default: ipma_target)


class AnalyticsOptions(_Strict):
    kano: bool = False
    csat: dict[str, float] = Field(default_factory=dict)  # item → top-box threshold
    typology: TypologyOptions | None = None
    transactions: TransactionOptions | None = None
    complaints: ComplaintOptions | None = None  # complaint rate, handling, loyalty by group


class SegmentsOptions(_Strict):
    """Segments found in the answers (issue 23), on the headline group's respondents:
    ``latent_class`` — latent classes on ``indicators`` (constructs by their PLS scores,
    or items; ``categorical`` items and ``nps_group`` — promoter/passive/detractor — as
    categories), with ``covariates`` describing membership; ``fimix`` — FIMIX-PLS on the
    structural model. Then every segment is described by the ``describe`` items (default:
    the study's group items) and its PLS model fitted again (drivers per segment) — unless
    the segments were formed on an outcome (the IPMA target, its mediators, nps_group):
    selecting respondents on the outcome would bias its drivers within each segment."""

    method: Literal["latent_class", "fimix"] = "latent_class"  # latent classes or FIMIX-PLS
    indicators: list[str] = Field(default_factory=list)  # default: the drivers' indices
    categorical: list[str] = Field(default_factory=list)  # items, or nps_group
    covariates: list[str] = Field(default_factory=list)  # items describing membership
    describe: list[str] | None = None  # items that describe segments (default: groups)
    #: the numbers of segments tried (1 to 9)
    numbers: list[Annotated[int, Field(ge=1, le=9)]] = Field(
        default_factory=lambda: list(options.LATENT_CLASS.default("classes")), min_length=1,
        description=options.LATENT_CLASS.fields["classes"].description)
    #: how the number is chosen (default: bic for latent classes, caic for FIMIX-PLS)
    criterion: Literal["bic", "aic3", "caic", "aic", "aic4", "hq", "mdl5"] | None = None
    starts: int = Field(default=options.LATENT_CLASS.default("starts"),
                        description=options.LATENT_CLASS.fields["starts"].description,
                        **options.LATENT_CLASS.fields["starts"].bounds)
    seed: Seed = DEFAULT_SEED  # random seed of the starts


class CompareOptions(_Strict):
    """Tests between the groups of each group item (and between waves)."""

    permutations: int = Field(default=1000, ge=100)
    bootstrap: int = Field(default=1000, ge=100)
    seed: Seed = DEFAULT_SEED
    invariance: bool = True  # CB-SEM configural/metric invariance (needs cbsem:)
    invariance_estimator: options.InvarianceEstimator = Field(
        default=options.INVARIANCE.default("estimator"),
        description=options.INVARIANCE.fields["estimator"].description)


class Fieldwork(_Strict):
    """How the data were collected — shown in the report's method section when given."""

    start: str | None = None  # dates as written, e.g. 2026-09-01
    end: str | None = None
    mode: Text | None = None  # e.g. online panel, CATI
    frame: Text | None = None  # the sample frame
    invited: int | None = Field(default=None, ge=1)
    response_rate: float | None = Field(default=None, gt=0, le=100)  # in %


class ReportOptions(_Strict):
    language: str = "en"
    client: Text | None = None  # the client's name (per language, or one for all)
    title: Text | None = None
    subtitle: Text | None = None
    author: Text | None = None
    client_group: dict[str, str] | None = None  # e.g. {brand: Brand A}: the client's group
    #: market shares of the levels of one group item ({brand: {Brand A: 0.3, ...}}, shares
    #: or percentages, normalised): the scorecard's market row is their weighted index
    market_weights: dict[str, dict[str, float]] | None = None
    #: display names of group levels per language: {brand: {Brand A: {zh-CN: 品牌甲}}}
    group_labels: dict[str, dict[str, Text]] = Field(default_factory=dict)
    #: display name of each group item per language, for headings ({brand: {en: Brand,
    #: zh-CN: 品牌}}); default: the item's text in the questionnaire
    group_names: dict[str, Text] = Field(default_factory=dict)
    logo: str | None = None  # file relative to the study file
    template: str | None = None  # folder relative to the study file (default: bundled)
    sections: list[Literal[SECTIONS]] = Field(default_factory=lambda: list(SECTIONS))  # type: ignore[valid-type]


class StudyDef(_Strict):
    id: str
    title: Text
    questionnaire: str  # file relative to the study file, or a bundled id ("ccsi")
    data: list[DataSource] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=lambda: list(D.SCREEN_EXCLUDE),
                               description=_READ["exclude"].description)
    #: the thresholds of the screening rules (which rules exclude rows: exclude)
    screening: ScreeningOptions = Field(default_factory=lambda: ScreeningOptions())
    weight: str | None = None  # item id of the weight column
    groups: list[str] = Field(default_factory=list)  # group item ids to compare
    min_group_size: int = Field(default=50, ge=2)
    pls: PLSOptions | None = Field(default_factory=PLSOptions)
    cbsem: CBSEMOptions | None = None
    indices: list[str] | None = None  # default: constructs with index: true
    ipma_target: str | None = None  # default: the loyalty construct
    analytics: AnalyticsOptions = Field(default_factory=AnalyticsOptions)
    segments: SegmentsOptions | None = None  # latent classes or FIMIX-PLS segments
    compare: "CompareOptions | None" = None
    waves: str | None = None  # group item holding the survey wave (year) for trends
    current_wave: str | None = None  # the headline wave (default: the last)
    pooled: bool = False  # also report figures pooled over all waves (labelled pooled)
    ipma_mediators: bool = False  # let the target's own mediators be priorities
    engine: str | int | None = None  # "serial", "processes" or a worker count (a scheduler: --scheduler)
    fieldwork: Fieldwork | None = None
    weighting: WeightingOptions | None = None  # weights from population targets
    design: DesignOptions | None = None  # strata and clusters: design-based errors
    #: rake every bootstrap resample again (needs weighting: with rake:), so intervals
    #: carry the weighting's own uncertainty
    rake_in_bootstrap: bool = False
    report: ReportOptions = Field(default_factory=ReportOptions)


def known_keys() -> set[str]:
    keys: set[str] = set()
    for model in (Simulated, DataSource, ScreeningOptions, PLSOptions, CBSEMOptions,
                  ReportOptions, StudyDef,
                  WeightingOptions, DesignOptions,
                  Fieldwork,
                  TypologyOptions, TransactionOptions, AnalyticsOptions, CompareOptions,
                  SegmentsOptions):
        keys.update(model.model_fields)
    return keys


StudyDef.model_rebuild()
