"""PLS path modelling: our own batched engine, CSI indices, IPMA.

``crmsurvey.pls`` is both this package and the estimator: ``crmsurvey.pls(model, data)``
calls :func:`crmsurvey.pls.estimate.pls` (the module is made callable so that the
sub-package and the verb can share the name users expect).
"""
from __future__ import annotations

from .._verb import make_verb_package
from .cvpat import cvpat, cvpat_compare
from .endogeneity import copula_test
from .fimix import FIMIX, fimix
from .estimate import pls
from .result import Diagnostic, PLSResult, PLSSettings
from .selection import model_weights

__all__ = ["pls", "PLSResult", "PLSSettings", "Diagnostic", "model_weights", "cvpat",
           "cvpat_compare", "copula_test", "fimix", "FIMIX"]

# the package is callable as its verb, with the verb's signature and docstring
make_verb_package(__name__, "pls")
