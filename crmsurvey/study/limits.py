"""The limits a study file is held to, in one place, checked when the study is loaded —
before any data are read or any model is fitted — so that a typo such as
``bootstrap: 1000000000`` is one line and exit 2 in a second, not an hour of work ending
out of memory.

Each is generous for a real study; the one a real study could need more of (resamples)
can be raised with an environment variable, validated strictly.
"""
from __future__ import annotations

from .._limits import env_limit
from .._random import MAX_SEED

__all__ = ["MAX_RESAMPLES", "MAX_PREDICT_FOLDS", "MAX_PREDICT_REPS", "MAX_SIMULATED_ROWS",
           "MAX_TEXT_CHARS", "MAX_STRING_CHARS", "MAX_WORKERS", "MAX_SEED", "env_limit",
           "max_resamples"]

#: Most resamples of any kind one study asks for: PLS and CB-SEM bootstrap, the exact
#: fit test, permutations and bootstrap of group comparisons (5,000 is the usual
#: recommendation for final results; Hair et al. 2017). ``CRMSURVEY_MAX_RESAMPLES``
#: raises it.
MAX_RESAMPLES = 100_000
#: PLSpredict: most folds and most repetitions (Shmueli et al. 2019 use 10 × 10).
MAX_PREDICT_FOLDS = 100
MAX_PREDICT_REPS = 1_000
#: Most rows one ``simulate:`` entry may draw (``n`` × the combinations of its groups):
#: simulated data are for demonstrations and tests.
MAX_SIMULATED_ROWS = 200_000
#: Longest text shown as a title or label (report title, subtitle, client, author,
#: fieldwork texts, group labels and simulated group levels), in characters.
MAX_TEXT_CHARS = 500
#: Longest string anywhere else in a study file (paths, ids, item names), in characters.
MAX_STRING_CHARS = 4_096
#: Most local worker processes a study file may ask for.
MAX_WORKERS = 256
# MAX_SEED, the largest seed, is defined with the seeds (crmsurvey._random).


def max_resamples() -> int:
    """:data:`MAX_RESAMPLES`, or ``CRMSURVEY_MAX_RESAMPLES`` when set."""
    return env_limit("CRMSURVEY_MAX_RESAMPLES", MAX_RESAMPLES, most=10**9)
