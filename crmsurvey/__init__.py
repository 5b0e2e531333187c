"""crmsurvey: customer-satisfaction and loyalty research.

The public verbs are imported lazily, so ``import crmsurvey`` stays fast:

- :func:`load_questionnaire` — YAML questionnaire → :class:`Questionnaire`
- :func:`load_responses` — data file + questionnaire → :class:`Responses` with a cleaning log
- :func:`simulate` — respondents drawn from a questionnaire's structural model
- :func:`pls` — PLS path modelling (PLS-PM) with a batched bootstrap, CSI indices, IPMA
- :func:`cbsem` — covariance-based SEM on lavaan's parameter table, with its fit measures
- :func:`measurement_invariance` — configural, metric and scalar invariance (ML, MLM, MLR)
- :func:`parse_model` — lavaan model syntax → :class:`ModelSpec`
- :func:`rake` — survey weights from population targets (also :func:`poststratify`,
  :func:`calibrate`), with the margins table, Kish's design effect and diagnostics
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "load_questionnaire": "crmsurvey.questionnaire",
    "parse_questionnaire": "crmsurvey.questionnaire",
    "Questionnaire": "crmsurvey.questionnaire",
    "load_responses": "crmsurvey.responses",
    "Responses": "crmsurvey.responses",
    "simulate": "crmsurvey.simulation",
    "pls": "crmsurvey.pls",
    "PLSResult": "crmsurvey.pls",
    "cbsem": "crmsurvey.cbsem",
    "CBSEMResult": "crmsurvey.cbsem",
    "measurement_invariance": "crmsurvey.cbsem.invariance",
    "load_study": "crmsurvey.study",
    "run_study": "crmsurvey.study",
    "render_report": "crmsurvey.report.render",
    "nps": "crmsurvey.analytics",
    "latent_classes": "crmsurvey.analytics",
    "explain_segments": "crmsurvey.analytics",
    "fimix": "crmsurvey.pls",
    "rake": "crmsurvey.weighting",
    "poststratify": "crmsurvey.weighting",
    "calibrate": "crmsurvey.weighting",
    "Raking": "crmsurvey.weighting",
    "parse_model": "crmsurvey.model",
    "ModelSpec": "crmsurvey.model",
    "InputError": "crmsurvey.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        # ``pls`` is a callable sub-package: the package itself is the verb
        value = module if name == _LAZY[name].rsplit(".", 1)[-1] else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'crmsurvey' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
