"""Covariance-based SEM on lavaan's parameter table, reported with lavaan's conventions.

``crmsurvey.cbsem`` is both this package and the estimator (the module is callable, as
``crmsurvey.pls`` is). No estimator here imports semopy.
``cs.cbsem.partable(syntax)`` shows the parameter table a model is fitted from (lavaan's
``parTable``).
"""
from __future__ import annotations

from .._verb import make_verb_package
from .fit import cbsem
from .partable import partable
from .polychoric import polychoric
from .result import CBSEMResult, CBSEMSettings

__all__ = ["cbsem", "partable", "polychoric", "CBSEMResult", "CBSEMSettings"]

# the package is callable as its verb, with the verb's signature and docstring
make_verb_package(__name__, "cbsem")
