"""Hand-made story contexts for the finding builders' tests (no fits needed)."""
from __future__ import annotations

from types import SimpleNamespace

from crmsurvey.study.story import _Ctx


def changes_ctx(changes: list, focus: dict, previous: str = "2025") -> _Ctx:
    """A story context whose results hold only a trend: ``changes`` since ``previous``,
    told for the client group ``focus``."""
    x = object.__new__(_Ctx)
    x.r = SimpleNamespace(trend=SimpleNamespace(previous=previous, changes=changes))
    x.focus = focus
    return x
