"""Covariance-based SEM on semopy, reported with lavaan's conventions.

``crmsurvey.cbsem`` is both this package and the estimator (the module is callable, as
``crmsurvey.pls`` is). semopy is imported only when a model is fitted.
"""
from __future__ import annotations

import sys
import types

from .fit import cbsem
from .polychoric import polychoric
from .result import CBSEMResult, CBSEMSettings

__all__ = ["cbsem", "polychoric", "CBSEMResult", "CBSEMSettings"]


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return cbsem(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
