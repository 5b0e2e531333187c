"""The study's results: frozen, typed sections — the one source of every number a report,
a CSV table or a reader of ``results.json`` sees.

``results.json`` is :meth:`Results.to_json`; :func:`load_results` reads it back into the
same types and refuses old or foreign files with one line (exit 2 in the CLI).

Groups are structured, never strings to split: ``{}`` is the whole sample,
``{"wave": "2026"}`` the whole sample of one wave, ``{"brand": "Brand A", "wave": "2026"}``
one brand in one wave. A row whose figure pools several waves says so (``pooled``).
"""
from __future__ import annotations

import json
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..questionnaire.schema import Text

__all__ = ["SCHEMA_VERSION", "Group", "Note", "Results", "load_results", "group_key", "group_label"]

#: Bumped whenever a section changes shape; a results.json of another version is refused.
SCHEMA_VERSION = 5

Group = dict[str, str]
Number = float | None  # None where a value could not be computed (NaN is not JSON)
Records = list[dict[str, Any]]  # a tidy table, as a list of rows


def group_key(group: Group) -> str:
    """A stable text key for a group (``"brand=Brand A|wave=2026"``, ``"all"``) — for
    file names, chart series and lookups; never parsed back."""
    return "|".join(f"{k}={v}" for k, v in group.items()) or "all"


def group_label(group: Group, *, all_label: str = "all", sep: str = " · ") -> str:
    """What a reader sees: the levels joined (``"Brand A · 2026"``)."""
    return sep.join(group.values()) or all_label


@contextmanager
def _construct_field():
    """Our rows name a field ``construct``, as the field does; pydantic warns that it
    shadows the deprecated ``BaseModel.construct()``, which nothing here uses."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Field name "construct"')
        yield


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Diagnostic(_Section):
    """A :class:`crmsurvey.diagnostics.Diagnostic` with the group whose model raised it:
    a stable ``code`` (reports translate by it), a severity, a plain sentence and what it
    concerns."""

    code: str
    severity: Literal["info", "warning", "error"] = "warning"
    message: str
    concerns: list[str] = Field(default_factory=list)
    group: Group = Field(default_factory=dict)
    #: The named values its catalogue wording ``diagnostic:<code>`` is filled with.
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params", mode="before")
    @classmethod
    def _plain_params(cls, value):
        from ..diagnostics import _plain

        return {k: _plain(v) for k, v in (value or {}).items()}

    @classmethod
    def of(cls, diagnostics, group: Group) -> list["Diagnostic"]:
        """The estimators' diagnostics, for ``group``."""
        return [cls(code=d.code, severity=d.severity, message=d.message,
                    concerns=list(d.concerns), group=group, params=dict(d.params))
                for d in diagnostics]


class Note(_Section):
    """A :class:`crmsurvey.notes.Note`: a note or reason as a stable ``code`` and the
    ``params`` that fill its wording (each catalogue's entry ``note:<code>``)."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, notes) -> list["Note"]:
        """The stages' notes (:class:`crmsurvey.notes.Note`), as results records."""
        return [cls(code=n.code, params=dict(n.params)) for n in notes]


class Multiplicity(_Section):
    """How p-values and intervals of comparisons are adjusted — stated once, used by every
    comparison table. ``significant`` is ``pvalue_adj < alpha``, which holds exactly when
    the interval beside it excludes 0."""

    method: Literal["bonferroni"] = "bonferroni"
    alpha: float = 0.05
    families: str = ("the pairs of levels of one group item for one quantity (a construct's "
                     "index, the NPS, a CSAT item, a path)")
    #: a group item with more levels than this is compared in two families: the client's
    #: level against each other level (m = levels − 1, Bonferroni as above; the body's
    #: tables, path tests and MICOM) and every pair (``Comparison.all_pairs``: z tests of
    #: the difference over its standard error — the bootstrap draws' for an index, the
    #: scores' for NPS and CSAT — Holm over all pairs of one quantity, needing no tail
    #: draws). Without a client level every pair is tested that way in ``differences``
    many_groups: int = 6
    reference: str = ("more levels than many_groups in one group item: the client against "
                      "each competitor (Bonferroni over levels − 1); every pair by a z test "
                      "on standard errors, Holm over all pairs (all_pairs; without a client "
                      "the pairwise table itself)")
    #: changes since the previous wave: Holm's step-down over the groups of one group item
    #: for one quantity (the whole sample's change is a family of its own); each interval
    #: at the level its step was tested at, so it excludes 0 exactly when the change is
    #: significant
    changes: Literal["holm"] = "holm"
    #: MICOM's step 2 and 3 tests: each construct and pair at ``alpha`` unadjusted — their
    #: null hypothesis is invariance, so adjusting would declare invariance more easily
    micom: Literal["unadjusted"] = "unadjusted"
    #: the fewest draws beyond each limit of a bootstrap interval (resamples are checked
    #: or raised so that ``B · a / 2`` reaches it at the smallest adjusted level ``a``)
    tail_draws: int = 20
    adjusted: list[str] = Field(default_factory=lambda: ["pvalue_adj", "ci_lower", "ci_upper"])
    unadjusted: list[str] = Field(default_factory=lambda: ["pvalue"])


class StudyInfo(_Section):
    id: str
    title: Text
    client: Text | None = None
    client_group: Group | None = None
    report_title: Text | None = None
    subtitle: Text | None = None
    author: Text | None = None
    language: str = "en"
    languages: list[str] = Field(default_factory=list)  # the questionnaire's
    sections: list[str]
    questionnaire: dict[str, Any]
    fieldwork: dict[str, Any] | None = None
    group_labels: dict[str, dict[str, Text]] = Field(default_factory=dict)
    group_names: dict[str, Text] = Field(default_factory=dict)


class Settings(_Section):
    versions: dict[str, str]
    created: str
    exclude: list[str]
    weight: str | None
    groups: list[str]
    waves: str | None
    current_wave: str | None
    pooled: bool
    min_group_size: int
    pls: dict[str, Any] | None
    cbsem: dict[str, Any] | None
    compare: dict[str, Any] | None
    #: the screening rules as applied (codes in :data:`crmsurvey.notes.SCREENING_CODES`)
    screening_notes: list[Note]
    multiplicity: Multiplicity


with _construct_field():
    class ItemInfo(_Section):
        """A questionnaire item as the report quotes it."""

        text: Text | None
        construct: str | None
        min: float | None
        max: float | None
        role: str
        reverse: bool = False  # reverse-keyed: its figures are on the reversed scale


class ModelInfo(_Section):
    syntax: str
    labels: dict[str, Text]
    constructs: dict[str, list[str]]
    paths: list[tuple[str, str]]
    index_constructs: list[str]
    ipma_target: str | None
    items: dict[str, ItemInfo] = Field(default_factory=dict)
    #: constructs that are context, not levers (``lever: false``): never recommended
    context: list[str] = Field(default_factory=list)


class SourceLog(_Section):
    source: str
    format: str
    encoding: str | None
    rows_read: int
    rows_kept: int
    excluded: dict[str, int]
    flagged: dict[str, int]
    rules_on: list[str]
    notes: list[Note]  # what reading this file did (for the sample appendix)
    problems: Records
    problems_total: int
    #: simulated responses: ``n`` per level of the group item ``item`` (``levels`` of
    #: them; None and 1 without groups) and the ``seed`` (None for a file)
    simulated: dict[str, int | str | None] | None = None


class Sample(_Section):
    """What was read and kept; ``set_missing``: answers per item that were out of scale
    or unreadable and so became missing values (kept rows only)."""

    rows_read: int
    rows_kept: int
    excluded: dict[str, int]
    flagged: dict[str, int]
    sources: list[SourceLog]
    group_sizes: dict[str, dict[str, int]]
    set_missing: dict[str, int]


class Weighting(_Section):
    """Weights computed from population targets (the study's ``weighting:``;
    :class:`crmsurvey.weighting.Raking`): convergence, the weight range, Kish's design
    effect, efficiency and effective n (overall and per ``by`` level in ``groups``), and
    ``table`` — per variable and category the sample, target and weighted shares."""

    method: Literal["rake", "linear", "poststratify"]
    variables: list[str]
    by: str | None
    base: str | None
    trim: list[float] | None
    source: str | None  # the targets table, as the study names it
    iterations: int
    max_error: float
    converged: bool
    tol: float
    max_iter: int
    n: int
    deff: float
    efficiency: float
    n_eff: float
    weight_min: float
    weight_max: float
    groups: Records
    table: Records
    diagnostics: list[Diagnostic]
    #: per variable its question (``text``) and its codes' labels (``codes``), as the
    #: questionnaire words them, for the report's table
    labels: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Uncertainty(_Section):
    """How standard errors and intervals were computed. ``scores`` (NPS, CSAT, item
    means): ``kish`` (simple random sampling, Kish's effective n when weighted),
    ``taylor`` (Taylor linearisation under the design) or ``replicates`` (the standard
    deviation over ``replicates`` resamples, raking repeated in each). ``resampling``:
    what the PLS bootstrap resampled — ``multinomial``/``poisson`` (respondents),
    ``cluster`` (clusters within strata, Rao–Wu) or ``rerake`` (raked again in each
    resample; of clusters when the design names them). ``lonely``: strata with a single
    cluster (they add no variance)."""

    scores: Literal["kish", "taylor", "replicates"]
    resampling: str | None
    rake_in_bootstrap: bool = False
    replicates: int | None = None
    strata: str | None = None
    cluster: str | None = None
    fpc: str | None = None
    n_strata: int | None = None
    n_clusters: int | None = None
    lonely: list[str] = Field(default_factory=list)


class Headline(_Section):
    """Which group the headline figures describe: the current wave's whole sample, or
    the whole sample when the study has no waves."""

    group: Group
    wave: str | None
    previous_wave: str | None
    pooled: bool = False


with _construct_field():
    class IndexRow(_Section):
        group: Group
        construct: str
        index: float
        se: Number = None
        ci_lower: Number = None
        ci_upper: Number = None
        n: int
        pooled: bool = False


class ScoreRow(_Section):
    """An NPS or CSAT figure (in points or %) for one group."""

    measure: Literal["nps", "csat"]
    item: str
    group: Group
    value: Number
    se: Number
    ci_lower: Number
    ci_upper: Number
    n: int
    n_eff: Number
    detail: dict[str, Number] = Field(default_factory=dict)  # promoters, passives, ...
    pooled: bool = False


class ItemRow(_Section):
    """One question's answers in one group: mean on its scale and the top-2-box share
    (%, the two highest scale points), over the answers given (``n``); ``se``: the
    mean's standard error (see :class:`Uncertainty`)."""

    group: Group
    item: str
    mean: Number
    top2: Number
    n: int
    se: Number = None
    pooled: bool = False


class Difference(_Section):
    """``difference == value_a − value_b`` exactly, both taken from the rows of
    ``indices`` / ``scores`` for ``group_a`` and ``group_b``."""

    quantity: Literal["index", "nps", "csat"]
    name: str  # the construct (index) or the item (NPS, CSAT)
    kind: Literal["groups", "change"]
    group_a: Group
    group_b: Group
    value_a: float
    value_b: float
    difference: float
    se: Number
    ci_lower: Number
    ci_upper: Number
    ci_level: float
    pvalue: Number
    pvalue_adj: Number
    m: int  # the size of the family the adjustment is over
    significant: bool
    method: Literal["bonferroni", "holm"] = "bonferroni"
    #: "percentile": the bootstrap draws of the difference (an index); "z": the difference
    #: over its standard error (NPS and CSAT; an index's from its bootstrap draws)
    test: Literal["percentile", "z"] | None = None
    #: 1/B for a test from B resamples (its p-value is never below it), None otherwise
    p_resolution: Number = None
    warranted: bool | None = None  # MICOM step 2 (compositional invariance) where it applies
    micom: str | None = None  # "full", "partial", "none"


class Disclosure(_Section):
    """What one model did with the rows: ``rows == used + dropped``. ``dropped_reason``
    and ``missing_method`` are codes (worded by ``note:dropped_<code>`` and
    ``note:missing_<code>``): rows dropped by ``listwise`` deletion or for a
    ``zero_weight``; missing answers replaced by the item ``mean``, deleted
    ``listwise``, or used by ``fiml``."""

    model: Literal["pls", "cbsem"]
    group: Group
    rows: int
    used: int
    dropped: int
    dropped_reason: Literal["listwise", "zero_weight"] | None
    cells_missing: int
    cells_imputed: int
    missing_method: Literal["mean", "listwise", "fiml"]
    weighted: bool
    n_eff: Number


class Prediction(_Section):
    """PLSpredict of a model (:class:`crmsurvey.pls.predict.Prediction`)."""

    folds: int
    reps: int
    technique: str
    seed: int
    items: Records
    constructs: Records


class PLSModel(_Section):
    group: Group
    n: int
    pooled: bool = False
    paths: Records
    loadings: Records
    weights: Records
    total_effects: Records
    r2: Records
    quality: Records
    htmt_intervals: Records | None
    indirect: Records | None = None
    model_fit: Records | None = None  # SRMR, d_ULS, d_G, χ², NFI (+ HI95/HI99: headline)
    model_selection: Records | None = None  # AIC, BIC, GM per outcome
    slopes: Records | None = None  # simple slopes of interaction terms
    predict: Prediction | None = None  # PLSpredict (headline model)
    #: CVPAT against IA and LM (crmsurvey.pls.cvpat; headline model, when asked)
    cvpat: Records | None = None
    #: Gaussian copula test per path (crmsurvey.pls.endogeneity; headline, when asked)
    endogeneity: Records | None = None
    inner_vif: Records
    item_vif: Records
    f2: Records
    settings: dict[str, Any]
    diagnostics: list[Diagnostic]
    disclosure: Disclosure


class CBSEMModel(_Section):
    group: Group
    fit: dict[str, Number]
    estimates: Records
    r2: Records
    admissible: bool
    diagnostics: list[Diagnostic]
    notes: list[Note]  # how the estimates were computed (crmsurvey.notes codes)
    settings: dict[str, Any]
    disclosure: Disclosure | None
    error: str | None = None


with _construct_field():
    class DriverRow(_Section):
        construct: str
        importance: float  # IPMA: unstandardised total effect on the target (0–100 scores)
        performance: float  # the construct's index
        total_std: float  # standardised total effect (bootstrap interval below)
        ci_lower: Number
        ci_upper: Number
        significant: bool
        actionable: bool


    class ItemDriverRow(_Section):
        construct: str
        item: str
        importance: float
        performance: float


class Drivers(_Section):
    """IPMA for one group. ``priorities``: the actionable drivers with a significant total
    effect, strongest first; ``standout`` is the first of them only when its lead over the
    next is larger than the lead's bootstrap uncertainty (interval of the difference of
    their standardised total effects excludes 0); otherwise no driver stands out."""

    group: Group
    target: str
    constructs: list[DriverRow]
    items: list[ItemDriverRow]
    priorities: list[str]
    standout: str | None
    lead_ci: tuple[Number, Number] | None


class Comparison(_Section):
    """Pairwise comparisons between the levels of one group item within ``scope``."""

    item: str
    scope: Group
    levels: list[str]
    differences: list[Difference]
    #: the client's level when ``differences`` hold its pairs only (many levels; see
    #: :class:`Multiplicity`); every pair is then in ``all_pairs``
    reference: str | None = None
    all_pairs: list[Difference] = Field(default_factory=list)
    paths: Records  # permutation and Henseler tests of path differences
    micom: Records
    invariance: dict[str, Any] | None = None
    diagnostics: list[Diagnostic] = Field(default_factory=list)


class Trend(_Section):
    item: str
    waves: list[str]
    current: str
    previous: str | None
    changes: list[Difference]  # current vs previous wave, per group and quantity
    #: MICOM steps 2–3 between the previous and current wave on their whole samples, one
    #: row per construct (the group comparisons' columns); its verdict governs every
    #: group's change of that construct's index (``Difference.warranted``). Empty with one
    #: wave, without ``compare:``, or where MICOM could not run (results before it: empty)
    micom: Records = Field(default_factory=list)
    #: Per group item, the levels with rows in only one of the two waves, by that wave
    #: (``{"operator": {"2026": ["星河通信"]}}``): the whole sample's change is then not
    #: made (``run.composition_change``). Empty when both waves hold the same groups.
    only_in: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    #: The levels of each group item MICOM between the waves ran on where the waves hold
    #: different groups (those both hold); empty: every respondent of both waves.
    micom_groups: dict[str, list[str]] = Field(default_factory=dict)


class Skip(_Section):
    """A group or wave not analysed, with ``n`` rows and the ``reason`` (a note)."""

    group: Group
    n: int
    reason: Note


with _construct_field():
    class ScoreLine(_Section):
        """One row of the scorecard (ACSI's table): a group's index this wave and last, the
        change with its interval and flag (the trend's, Holm-adjusted; the weighted market's
        own, unadjusted) and its rank (None for the market)."""

        group: Group
        index: float
        ci_lower: Number = None
        ci_upper: Number = None
        n: int = 0
        rank: int | None = None
        previous: Number = None
        change: Number = None
        change_lower: Number = None
        change_upper: Number = None
        change_level: Number = None
        significant: bool | None = None
        #: False where MICOM between the waves does not warrant comparing the index
        #: (the change is shown, flagged †, and not called significant)
        warranted: bool | None = None


    class Scorecard(_Section):
        """Groups ranked by the satisfaction index, with the market: the whole sample, or —
        with ``weights`` (the study's ``report.market_weights``, normalised) — the
        share-weighted sum of the groups' indices."""

        item: str | None
        construct: str
        wave: str | None
        previous_wave: str | None
        weights: dict[str, float] | None
        market: ScoreLine
        rows: list[ScoreLine]
        #: with weights, the whole sample's own line beside the weighted market
        sample: ScoreLine | None = None


    class Finding(_Section):
        """A sentence of the executive summary as data: a ``code`` the report's catalogue
        words, its ``params`` (numbers as in the results), the preconditions that license it
        (:data:`crmsurvey.study.story.REQUIREMENTS`) and the ids of the body tables its
        numbers come from."""

        code: str
        params: dict[str, Any]
        requires: list[str]
        refs: list[str]


    class Impact(_Section):
        """ACSI-style impact: a ``step``-point rise in a driver's score moves ``target`` by
        ``value`` points (unstandardised total effect × step; interval from the bootstrap)."""

        target: str
        value: float
        ci_lower: Number
        ci_upper: Number
        level: float


    class Recommendation(_Section):
        """A question-level lever of the focus group: its 0–100 score, the best competitor's,
        its IPMA importance and the impacts of a ``step``-point rise of its construct."""

        item: str
        construct: str
        group: Group
        performance: float
        competitor: Group | None
        competitor_performance: Number
        importance: float
        step: float
        impacts: list[Impact]
        refs: list[str]
        #: the average 0–100 score of the lever questions the rule compares with (the
        #: question is below it as the report prints both)
        average: Number = None


    class Story(_Section):
        """The client's story (:mod:`crmsurvey.study.story`): the focus group (the client's,
        or the whole sample), the scorecard, findings and recommendations."""

        focus: Group
        market: Group
        item: str | None
        construct: str | None
        scorecard: Scorecard | None
        findings: list[Finding]
        recommendations: list[Recommendation]
        #: questions the recommendation rule also selects, left out by its cap
        #: (:data:`crmsurvey.study.story.MOST_RECOMMENDATIONS`), most important first
        more_levers: list[str] = []
        #: why there is no recommendation, where none qualifies (a coded finding,
        #: ``recs_none_*``; :func:`crmsurvey.study.story.holds` re-checks it)
        no_recommendation: Finding | None = None


class SegmentRow(_Section):
    """One segment: size (``n``, ``share``: the respondents most likely in it), the mean
    index of each index construct (the whole-sample model's 0–100 scores), NPS, and its
    own PLS model's ``drivers`` (total effects on the target of its actionable drivers:
    ``construct, effect, ci_lower, ci_upper, significant``, strongest first) and R²;
    FIMIX-PLS's segment ``paths`` (``lhs, op, rhs, est``)."""

    segment: int
    n: int
    share: float
    indices: dict[str, Number]
    nps: Number
    drivers: Records
    r2: dict[str, Number]
    paths: Records
    #: its mean index against the other respondents' (Welch's t test, Holm-adjusted):
    #: ``construct, mean, rest, diff, t, df, pvalue, p_holm``
    contrasts: Records = Field(default_factory=list)
    #: shares of promoters, passives and detractors among its respondents
    nps_shares: dict[str, Number] = Field(default_factory=dict)


class Segments(_Section):
    """Segments found in the answers (the study's ``segments:``;
    :mod:`crmsurvey.study.segments`). ``fit``: one row per number of segments tried
    (log-likelihood, parameters, criteria, entropy, share of starts at the best);
    ``profile``: the latent classes' indicator means and shares (``variable, level,
    segment, value``); ``distinguish``: tests of the ``describe`` items across segments
    (``variable, test, statistic, df, pvalue, effect``, smallest p first) and
    ``described`` their shares or means per segment."""

    method: Literal["latent_class", "fimix"]
    criterion: str
    chosen: int
    fit: Records
    share_best: float
    entropy: Number
    target: str | None
    segments: list[SegmentRow]
    profile: Records
    #: the outcomes (the target, its mediators, the NPS group) the segments were formed
    #: on: then no drivers are estimated within them (selection on the outcome)
    formed_on: list[str] = Field(default_factory=list)
    #: latent classes' covariates: ``segment, covariate, coef`` (log-odds of the segment
    #: against segment 1 per standard deviation, or for a category against the first)
    covariates: Records = Field(default_factory=list)
    distinguish: Records
    described: Records
    #: the questionnaire's wording of the items named (indicators, described items) and
    #: of their categories' codes, as reports quote them
    labels: dict[str, Text] = Field(default_factory=dict)
    levels: dict[str, dict[str, Text]] = Field(default_factory=dict)
    diagnostics: list[Diagnostic] = Field(default_factory=list)


class Results(_Section):
    schema_version: int = SCHEMA_VERSION
    study: StudyInfo
    settings: Settings
    model: ModelInfo
    sample: Sample
    headline: Headline
    indices: list[IndexRow]
    scores: list[ScoreRow]
    items: list[ItemRow]
    models: list[PLSModel]
    cbsem: CBSEMModel | None
    comparisons: list[Comparison]
    trend: Trend | None
    drivers: list[Drivers]
    skipped: list[Skip]
    diagnostics: list[Diagnostic]
    analytics: dict[str, Any]
    weighting: Weighting | None = None  # weights computed from population targets
    uncertainty: Uncertainty | None = None  # how standard errors were computed
    story: Story | None = None  # the executive summary's scorecard, findings, actions
    segments: Segments | None = None  # latent classes or FIMIX-PLS segments (segments:)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=1,
                          allow_nan=False)

    # --- lookups the report and the tests share -------------------------------------
    def index_of(self, group: Group, construct: str) -> IndexRow | None:
        return next((r for r in self.indices if r.group == group and r.construct == construct),
                    None)

    def model_of(self, group: Group) -> PLSModel | None:
        return next((m for m in self.models if m.group == group), None)

    def drivers_of(self, group: Group) -> Drivers | None:
        return next((d for d in self.drivers if d.group == group), None)

    # --- display (notebooks) -----------------------------------------------------------
    def __repr__(self) -> str:
        head = self.headline.group
        shown = ", ".join(f"{r.construct} {r.index:.1f}" for r in self.indices
                          if r.group == head)
        return (f"<Results of study {self.study.id!r}: {self.sample.rows_kept} of "
                f"{self.sample.rows_read} rows kept, {len(self.models)} PLS models, "
                f"CB-SEM {'yes' if self.cbsem else 'no'}, {len(self.diagnostics)} diagnostics; "
                f"headline ({group_label(head)}) {shown or 'no indices'}>")

    def _repr_html_(self) -> str:
        from .._display import html_summary

        facts = [("study", self.study.id), ("rows read", self.sample.rows_read),
                 ("rows kept", self.sample.rows_kept),
                 ("headline", group_label(self.headline.group)),
                 ("PLS models", len(self.models)), ("CB-SEM", "yes" if self.cbsem else "no")]
        indices = [(group_label(r.group), r.construct, r.index, r.ci_lower, r.ci_upper, r.n)
                   for r in self.indices[:60]]
        scores = [(r.measure, r.item, group_label(r.group), r.value, r.se)
                  for r in self.scores[:60]]
        tables = [("Indices (0–100)", ("group", "construct", "index", "ci_lower", "ci_upper",
                                        "n"), indices)]
        if scores:
            tables.append(("NPS and CSAT", ("measure", "item", "group", "value", "se"), scores))
        notes = [f"[{d.severity}] {group_label(d.group)}: {d.message}"
                 for d in self.diagnostics[:10]]
        return html_summary("Study results", facts, tables, notes)


def load_results(path: str | Path) -> Results:
    """Read a ``results.json`` back into :class:`Results`; anything else is an
    :class:`InputError` naming the file and the first offending field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable results file: {exc}", path=str(path)) from None
    except RecursionError:
        raise InputError("not a results file: nested too deep to read",
                         path=str(path)) from None
    deep = _too_deep(data, MAX_RESULTS_DEPTH)
    if deep is not None:
        raise InputError(f"{deep}: nested more than {MAX_RESULTS_DEPTH} levels deep "
                         "(not a results file)", path=str(path))
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(f"results of schema version {version!r}, this crmsurvey reads "
                         f"version {SCHEMA_VERSION}", path=str(path),
                         hint="run the study again with this version")
    try:
        results = Results.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{where}: {err['msg']} ({exc.error_count()} problem(s))",
                         path=str(path)) from None
    unknown = _unknown_construct(results)
    if unknown is not None:
        where, name = unknown
        raise InputError(f"{where}: construct {str(name)[:80]!r} is not in model.constructs",
                         path=str(path), hint="the file was changed after the run; run the "
                         "study again")
    return results


#: Deepest nesting a results.json may have (the results themselves are about 6 deep).
MAX_RESULTS_DEPTH = 32


def _too_deep(data: Any, most: int) -> str | None:
    """The place (``analytics.x.0``) of the first value nested deeper than ``most``, or
    None; iterative, so no depth exhausts the stack."""
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if len(loc) > most:
            return ".".join(map(str, loc[:6])) + "…"
        if isinstance(node, dict):
            stack += [(v, loc + (k,)) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, loc + (i,)) for i, v in enumerate(node)]
    return None


def _unknown_construct(r: Results) -> tuple[str, Any] | None:
    """The first (field, name) where the results name a construct their model lacks (an
    interaction term ``A:B`` names two)."""
    names = set(r.model.constructs)

    def known(name: Any) -> bool:
        return isinstance(name, str) and all(p in names for p in name.split(":"))

    named: list[tuple[str, Any]] = [("model.ipma_target", r.model.ipma_target)] \
        if r.model.ipma_target is not None else []
    named += [(f"model.paths.{i}", n) for i, p in enumerate(r.model.paths) for n in p]
    named += [(f"model.index_constructs.{i}", n)
              for i, n in enumerate(r.model.index_constructs)]
    named += [(f"indices.{i}.construct", x.construct) for i, x in enumerate(r.indices)]
    for i, m in enumerate(r.models):
        for key, fields in (("paths", ("lhs", "rhs")), ("total_effects", ("lhs", "rhs")),
                            ("loadings", ("lhs",)), ("r2", ("construct",)),
                            ("quality", ("construct",))):
            named += [(f"models.{i}.{key}.{j}.{f}", row.get(f))
                      for j, row in enumerate(getattr(m, key) or []) for f in fields]
    for i, d in enumerate(r.drivers):
        named.append((f"drivers.{i}.target", d.target))
        named += [(f"drivers.{i}.constructs.{j}.construct", x.construct)
                  for j, x in enumerate(d.constructs)]
        named += [(f"drivers.{i}.priorities.{j}", x) for j, x in enumerate(d.priorities)]
        if d.standout is not None:
            named.append((f"drivers.{i}.standout", d.standout))
    return next(((where, n) for where, n in named if not known(n)), None)
