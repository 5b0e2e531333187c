"""Defaults and thresholds, each with its source."""
from __future__ import annotations

# --- PLS-PM -----------------------------------------------------------------------
#: Stop criterion on the largest change of an outer weight (SmartPLS 2/3 default 1e-7;
#: seminr uses the same).
PLS_TOLERANCE = 1e-7
#: Iteration cap (SmartPLS: 300; seminr: 100). We use SmartPLS's.
PLS_MAX_ITER = 300
#: Chunk of bootstrap resamples computed together; bounds memory.
PLS_BOOT_CHUNK = 500
#: ``resampling="auto"`` draws Poisson bootstrap resamples from this many rows on (each
#: row's count Poisson(1): the standard for massive and distributed data, and the same
#: numbers however the rows are split); multinomial below, so the figures of ordinary
#: surveys are the classic bootstrap's.
POISSON_FROM = 100_000
#: Poisson resamples of n rows vary in size (sd √n): below this many rows (sd above 10 %
#: of n) their intervals can differ from the classic bootstrap's more than by Monte
#: Carlo error, and ``resampling="poisson"`` is a ``poisson_small_n`` diagnostic.
POISSON_SMALL_N = 100

# --- Screening ----------------------------------------------------------------------
#: A speeder took less than this fraction of the median interview duration
#: (common practice in online panels uses 30–50 % of the median; we take half).
SPEEDER_FRACTION = 0.5
#: A respondent with more than this share of construct items missing is flagged
#: (Hair et al., A Primer on PLS-SEM, 2nd ed., 2017: "more than 15 %").
MAX_MISSING_SHARE = 0.15
#: Straight-lining is judged in blocks (and across the questionnaire) with at least this
#: many rating items answered: identical answers to 3 correlated items are common among
#: honest respondents, so short blocks are not judged alone.
STRAIGHTLINE_MIN_ITEMS = 5
#: Duplicates by answers: the answered item columns a row needs before identical answers
#: count as a second submission (see crmsurvey.responses.screening.same_answers).
DUPLICATE_MIN_ITEMS = 10
#: Rules that exclude rows unless the user says otherwise (the study file's ``exclude:``,
#: the CLI's ``--exclude``): rows that are not a valid, distinct, attentive interview —
#: the screening of the bundled demo study. Straight-lining and missing answers are
#: judgement calls (Hair et al. 2017 flag them for review), so they only flag.
SCREEN_EXCLUDE = ("duplicate", "screened_out", "attention", "speeder")

# --- Simulation ----------------------------------------------------------------------
#: Population values the simulator uses unless the questionnaire or the user says
#: otherwise: standardised path coefficient, loading, and the rates of blanks and of
#: special ("don't know") codes in construct items.
SIM_PATH = 0.4
SIM_LOADING = 0.8
SIM_MISSING_RATE = 0.02
SIM_SPECIAL_RATE = 0.01
#: Median interview duration (seconds) and share of speeders in simulated data.
SIM_MEDIAN_DURATION = 420.0
SIM_SPEEDER_RATE = 0.03
SIM_ATTENTION_FAIL_RATE = 0.04

# --- Quality thresholds shown in reports (Hair et al. 2017; Henseler et al. 2015) ----
ALPHA_MIN = 0.7
RHO_MIN = 0.7
AVE_MIN = 0.5
HTMT_MAX = 0.85
VIF_MAX = 5.0

# --- Weighting ------------------------------------------------------------------------
#: Kish's design effect of weighting above which a diagnostic is raised: beyond 2 the
#: weights more than halve the effective sample (Kish 1992, "Weighting for unequal Pi";
#: a usual trigger for trimming or coarser targets).
WEIGHT_DEFF_MAX = 2.0

# --- Trust boundaries ---------------------------------------------------------------
#: Largest questionnaire, study or model file read (bytes); the environment variable
#: CRMSURVEY_MAX_YAML_BYTES overrides it. Bundled questionnaires are ~10 KB.
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Most YAML nodes a document may expand to, aliases counted every time they are used
#: (a "billion laughs" file expands to 10⁹): bundled questionnaires have ~2,000.
MAX_YAML_NODES = 200_000
#: Largest logo file accepted (bytes).
MAX_LOGO_BYTES = 5 * 1024 * 1024
