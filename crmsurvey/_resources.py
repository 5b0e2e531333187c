"""Where the bundled questionnaires and report templates are.

In a source checkout they are the top-level folders ``questionnaires/`` and
``reports/``; an installed wheel carries them as ``crmsurvey/_bundled_questionnaires``
and ``crmsurvey/_bundled_reports`` (see ``package-dir`` in pyproject.toml).
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The folder of bundled ``questionnaires`` or ``reports``."""
    installed = _HERE / f"_bundled_{name}"
    if installed.is_dir():
        return installed
    return _HERE.parent / name


def bundled_questionnaire(name: str) -> Path:
    """Path of a bundled questionnaire by id (``"ccsi"``) or file name."""
    stem = name[:-5] if name.endswith(".yaml") else name
    return bundled_dir("questionnaires") / f"{stem}.yaml"
