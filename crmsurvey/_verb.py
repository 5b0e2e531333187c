"""Packages that are also their verb: ``crmsurvey.pls(model, data)`` and
``crmsurvey.cbsem(model, data)``.

The package stays a package (``from crmsurvey.pls import PLSResult``,
``crmsurvey.pls.model_weights``, ``import crmsurvey.pls.mga`` keep working), and it shows
the verb's real signature and docstring to ``inspect.signature``, ``help()``, IPython's
``?`` and IDEs that ask at run time. Both are read from the function each time they are
asked for, so they follow the function as it is.
"""
from __future__ import annotations

import inspect
import sys
import types

__all__ = ["make_verb_package"]


def make_verb_package(module_name: str, verb_name: str) -> None:
    """Make the loaded package ``module_name`` callable as its attribute ``verb_name``.

    ``inspect.signature(package)`` is the function's signature; ``package.__doc__`` is
    the function's signature and docstring followed by the package's own docstring;
    ``package.__wrapped__`` is the function.
    """
    module = sys.modules[module_name]
    package_doc = module.__doc__ or ""

    def verb(self):
        return self.__dict__[verb_name]

    class _VerbPackage(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return verb(self)(*args, **kwargs)

        @property
        def __signature__(self) -> inspect.Signature:
            return inspect.signature(verb(self))

        @property
        def __wrapped__(self):
            return verb(self)

        @property
        def __doc__(self) -> str:  # type: ignore[override]
            fn = verb(self)
            own = inspect.cleandoc(fn.__doc__ or "")
            return (f"{verb_name}{inspect.signature(fn)}\n\n{own}\n\n"
                    f"The package {module_name}\n{'-' * (12 + len(module_name))}\n"
                    f"{inspect.cleandoc(package_doc)}\n")

    _VerbPackage.__name__ = _VerbPackage.__qualname__ = f"VerbPackage[{verb_name}]"
    module.__class__ = _VerbPackage
