"""Errors and warnings raised by crmsurvey.

Every error about the user's input is an :class:`InputError` whose message is one line
naming the place (``file:line:col`` or ``column …, row …``) and the offender. The CLI
prints that line and exits with code 2.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

__all__ = [
    "InputError",
    "ModelSyntaxError",
    "check_choice",
    "surface",
    "mapping_hint",
    "printable",
    "escape_controls",
    "CrmWarning",
    "DataWarning",
    "EstimationWarning",
    "ConvergenceWarning",
    "IndexWarning",
]


class InputError(ValueError):
    """Bad input from the user: one line, with the place and the offender.

    Parameters
    ----------
    msg : str
        What is wrong, naming the offending id or value.
    path : str, optional
        The file the problem is in.
    line, column : int, optional
        1-based position in that file, where known.
    hint : str, optional
        How to fix it (``did you mean 'loy3'?``).
    more : list of InputError, optional
        Further errors found in the same pass (``crmsurvey questionnaire validate``
        prints them all).
    concerns : str, optional
        The id the error is about (a variable, an item), for a caller that places it
        in a file (the line of that variable) without reading the message.

    Picklable with every field (``Exception`` pickles the line and the attributes), so
    an error raised in a process or Dask worker reaches the caller whole
    (tests/test_faults6.py).
    """

    def __init__(
        self,
        msg: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str = "",
        more: list["InputError"] | None = None,
        concerns: str | None = None,
    ) -> None:
        self.msg, self.path, self.line, self.column, self.hint = msg, path, line, column, hint
        self.more = list(more or [])
        self.concerns = concerns
        super().__init__(self.one_line())

    def one_line(self) -> str:
        place = ""
        if self.path:
            place = str(self.path)
            if self.line is not None:
                place += f":{self.line}"
                if self.column is not None:
                    place += f":{self.column}"
            place += ": "
        text = f"{place}{self.msg}" + (f" ({self.hint})" if self.hint else "")
        return printable(" ".join(text.splitlines()))

    @property
    def all(self) -> list["InputError"]:
        """This error and every further one found with it."""
        return [self, *self.more]


def printable(text: str) -> str:
    r"""``text`` safe for a terminal line: control characters (ESC, NUL, …) shown escaped.

    >>> printable("B\x1b[31m")
    'B\\x1b[31m'
    """
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape")
                   .decode("ascii") for c in text)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` with control characters (ESC, vertical tab, …) shown as escapes
    (``\\x1b``), for spreadsheets and reports, which cannot hold them (tab and newline
    kept). For one line on a terminal use :func:`printable`."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def check_choice(name: str, value: object, allowed) -> None:
    """Raise InputError listing the allowed values when ``value`` is not one of them."""
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}, "
                         f"not {value!r}")


#: Where the user is giving input: "python" (the API), "cli" (command-line options) or
#: "study" (a study file) — so that a hint names what the user can type there.
_SURFACE: ContextVar[str] = ContextVar("crmsurvey_surface", default="python")


@contextmanager
def surface(name: str) -> Iterator[None]:
    """Within the block, hints speak of ``name``'s means: ``"cli"``, ``"study"`` or
    ``"python"``. Nested blocks win (a study run from the command line is ``"study"``)."""
    check_choice("surface", name, ("python", "cli", "study"))
    token = _SURFACE.set(name)
    try:
        yield
    finally:
        _SURFACE.reset(token)


def mapping_hint(item: str = "ITEM") -> str:
    """How to give a column for ``item``, in the means of the current :func:`surface`.

    >>> mapping_hint("sat1")
    "map a column to it with mapping={'COLUMN': 'sat1'}, or mark the item optional: true in the questionnaire"
    """
    how = {"cli": f"--map COLUMN={item}",
           "study": f"mapping: {{COLUMN: {item}}} under the data entry of the study file",
           "python": f"mapping={{'COLUMN': {item!r}}}"}[_SURFACE.get()]
    return f"map a column to it with {how}, or mark the item optional: true in the questionnaire"


class ModelSyntaxError(InputError):
    """Model syntax (lavaan) that cannot be read or does not fit the data."""


class CrmWarning(UserWarning):
    """Base class of every warning crmsurvey issues (filter on it)."""


class DataWarning(CrmWarning):
    """Something in the data the user should know about (not an error)."""


class EstimationWarning(CrmWarning):
    """An estimation problem: improper solution, negative weight, …"""


class ConvergenceWarning(EstimationWarning):
    """An iterative algorithm stopped before its convergence criterion was met."""


class IndexWarning(EstimationWarning):
    """A 0–100 index that is invalid or depends on the sample."""
