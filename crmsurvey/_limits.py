"""Limits that a user can raise through the environment, read in one way everywhere.

Each limit has a documented default beside the code it protects (``_yaml``,
``responses.limits``, ``fielding._json``, ``study.limits``); a variable such as
``CRMSURVEY_MAX_YAML_BYTES`` raises it. A value that is not plain digits within range is
an :class:`~crmsurvey.errors.InputError` naming the variable (exit 2), never ignored.
"""
from __future__ import annotations

import os

from .errors import InputError

__all__ = ["env_limit"]


def env_limit(name: str, default: int, *, most: int = 10**12) -> int:
    """An integer limit from the environment variable ``name`` (``default`` when unset or
    empty): plain digits, from 1 to ``most``; anything else is an InputError naming the
    variable."""
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(most))
            and 1 <= int(raw) <= most):
        raise InputError(f"environment variable {name}={raw[:40]!r} is not a whole number "
                         f"from 1 to {most:,}", hint=f"unset it for the default of {default:,}")
    return int(raw)
