"""Survey weights computed from population targets: raking (iterative proportional
fitting), post-stratification on cells and linear (GREG) calibration, with trimming and
within the levels of a ``by`` column; Kish's design effect and effective n; every
problem a :class:`~crmsurvey.diagnostics.Diagnostic`.

Written on numpy rather than a weighting library: raking a few margins is one vectorised
sweep (``np.bincount`` per margin), and the libraries made for this pull in far more
than they add (``balance``: numpy < 2 on Python 3.11, plus seaborn, plotly, ipython;
``samplics``: polars and pyarrow; ``weightipy``: watchdog and requests at run time).
The results are checked in the tests against IPF written out independently and against
R's ``survey::rake`` / ``calibrate``.

Design-based uncertainty: :mod:`.design` (a stratified cluster design, Taylor-linearised
standard errors of means, shares and NPS per domain) and :mod:`.replicates` (raking
repeated in every bootstrap resample, all at once), checked against R's ``survey``.
"""
from __future__ import annotations

from .design import Design, design_means, survey_design
from .rake import GROUP_COLUMNS, TABLE_COLUMNS, Raking, calibrate, poststratify, rake, weigh
from .replicates import Rerake
from .targets import SHARE_SLACK, code_key, margins_from, read_target_table

__all__ = ["Raking", "rake", "poststratify", "calibrate", "weigh", "read_target_table",
           "margins_from", "code_key", "TABLE_COLUMNS", "GROUP_COLUMNS", "SHARE_SLACK",
           "Design", "survey_design", "design_means", "Rerake"]
