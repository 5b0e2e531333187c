"""Bounded reading of survey-platform JSON (``.qsf``) and a small accessor layer that
checks the structure as it is read: every value is taken through a :class:`Node` that
knows its JSON path (``SurveyElements[3].Payload.Choices``), and a value of the wrong
kind is an :class:`InputError` naming the file and that path.

Limits (checked before the file is parsed):

- ``MAX_QSF_BYTES``: the largest file read; ``CRMSURVEY_MAX_QSF_BYTES`` overrides it
  (a whole number of bytes). Qualtrics surveys of several hundred questions are 1–5 MB;
  16 MB imports in about 6 s.
- ``MAX_JSON_DEPTH``: the deepest nesting of objects and lists; Qualtrics' own files
  nest about a dozen levels (display logic inside a question inside the elements).
- Codes (recode values) are whole numbers of at most ``MAX_CODE`` in size.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .._limits import env_limit
from .._yaml import read_bytes
from ..errors import InputError

__all__ = ["MAX_QSF_BYTES", "MAX_JSON_DEPTH", "MAX_CODE", "Node", "max_qsf_bytes",
           "read_json"]

#: Largest .qsf read (bytes); the environment variable CRMSURVEY_MAX_QSF_BYTES overrides it.
MAX_QSF_BYTES = 16 * 1024 * 1024
#: Deepest nesting of JSON objects and lists accepted.
MAX_JSON_DEPTH = 100
#: Largest code (recode value) in absolute value: SPSS and Stata keep codes far below.
MAX_CODE = 2**31 - 1

_ENV = "CRMSURVEY_MAX_QSF_BYTES"
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_WHOLE = re.compile(r"^\s*[-+]?\d{1,10}(?:\.0*)?\s*$")


def max_qsf_bytes() -> int:
    """The size limit for ``.qsf`` files: ``CRMSURVEY_MAX_QSF_BYTES`` or the default."""
    return env_limit(_ENV, MAX_QSF_BYTES)


def _check_depth(raw: bytes, source: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse nesting deeper than ``limit`` before parsing (vectorised: strings are
    blanked out, then brackets counted)."""
    bare = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    step = (np.isin(bare, (ord("["), ord("{"))).astype(np.int32)
            - np.isin(bare, (ord("]"), ord("}"))))
    depth = np.cumsum(step)
    if depth.size and depth.max() > limit:
        at = int(np.argmax(depth > limit))
        # JSON strings hold no raw line break, so blanking them keeps the line numbers
        line = int(np.count_nonzero(bare[:at] == ord("\n"))) + 1
        raise InputError(f"JSON nested deeper than {limit} levels", path=source, line=line)


def _constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > 30:
        raise ValueError(f"number {text[:20]}… is out of range")
    return int(text)


def read_json(path: str | Path, *, what: str = "Qualtrics survey file") -> "Node":
    """Parse a JSON file within the limits above; the root as a :class:`Node`."""
    p = Path(path)
    raw = read_bytes(p, max_qsf_bytes(), _ENV)
    _check_depth(raw, str(p))
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text, parse_constant=_constant, parse_float=_float,
                          parse_int=_int)
    except UnicodeDecodeError as exc:
        raise InputError(f"not a {what}: not UTF-8 text (byte {exc.start})",
                         path=str(p)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a {what}: {exc.msg}", path=str(p), line=exc.lineno,
                         column=exc.colno) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not a {what}: {exc}", path=str(p)) from None
    return Node(data, "", str(p))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "a list" if isinstance(value, list) else "an object"


_NAME = re.compile(r"[A-Za-z0-9_]+")


def _step(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    if _NAME.fullmatch(key):
        return f"{where}.{key}" if where else key
    return f"{where}[{key[:40]!r}]"


def _utf8(value: str, node: "Node") -> str:
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise node.fail("text with a broken character (an unpaired \\ud800–\\udfff "
                        "escape)") from None
    return value


class Node:
    """A JSON value with its path; the accessors check the kind of what they return."""

    __slots__ = ("value", "source", "_parent", "_key")

    def __init__(self, value: Any, where: "str | Node", source: str,
                 key: str | int | None = None) -> None:
        """``where`` is the path as text, or the parent node with ``key`` (the path is
        then written only when an error needs it)."""
        self.value, self.source, self._parent, self._key = value, source, where, key

    @property
    def where(self) -> str:
        """The JSON path of this value, e.g. ``SurveyElements[3].Payload``."""
        if isinstance(self._parent, Node):
            up = self._parent.where
            return up if self._key is None else _step(up, self._key)
        return self._parent

    def fail(self, what: str, hint: str = "") -> InputError:
        """An InputError at this node: ``file: path: what``."""
        return InputError(f"{self.where or 'the file'}: {what}", path=self.source, hint=hint)

    def at(self, key: str) -> "Node":
        """The member ``key`` of this object (a null node when it is missing)."""
        d = self._mapping()
        return Node(d.get(key), self, self.source, key)

    def _mapping(self) -> dict:
        if self.value is None or self.value == []:  # PHP writes an empty object as []
            return {}
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, found {_kind(self.value)}")
        return self.value

    def obj(self, key: str | None = None, *, required: bool = False) -> "Node":
        """This node (or member ``key``) as an object; missing, null or ``[]`` (PHP's
        empty object) is an empty one unless ``required``."""
        node = self if key is None else self.at(key)
        if required and node.value is None:
            raise node.fail("missing (an object is expected)")
        if required and not isinstance(node.value, dict):
            raise node.fail(f"expected an object, found {_kind(node.value)}")
        return Node(node._mapping(), node._parent, node.source, node._key)

    def seq(self, key: str | None = None, *, required: bool = False,
            numbered: bool = False) -> list["Node"]:
        """This node (or member ``key``) as a list of nodes; ``numbered`` also takes an
        object (``{"0": …, "1": …}``) as the list of its values."""
        node = self if key is None else self.at(key)
        v = node.value
        if v is None:
            if required:
                raise node.fail("missing (a list is expected)")
            return []
        if numbered and isinstance(v, dict):
            return [Node(x, node, node.source, str(k)) for k, x in v.items()]
        if not isinstance(v, list):
            raise node.fail(f"expected a list, found {_kind(v)}")
        return [Node(x, node, node.source, i) for i, x in enumerate(v)]

    def items(self) -> Iterator[tuple[str, "Node"]]:
        """The members of this object, keys checked as text."""
        for k, v in self._mapping().items():
            yield _utf8(k, self), Node(v, self, self.source, k)

    def text(self, key: str | None = None, default: str = "") -> str:
        """This node (or member ``key``) as text; a number is written as text, null or
        missing is ``default``."""
        node = self if key is None else self.at(key)
        v = node.value
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise node.fail(f"expected text, found {_kind(v)}")
        return _utf8(v, node) if isinstance(v, str) else f"{v:g}" \
            if isinstance(v, float) else str(v)

    def number(self, key: str | None = None) -> float | None:
        """This node (or member ``key``) as a finite number; missing, null or blank text
        is None."""
        node = self if key is None else self.at(key)
        v = node.value
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            if isinstance(v, bool):
                raise ValueError
            out = float(v)
        except (TypeError, ValueError):
            raise node.fail(f"expected a number, found {_kind(v)}") from None
        if not math.isfinite(out):
            raise node.fail(f"expected a finite number, found {_kind(v)}")
        return out

    def code(self) -> int:
        """This node as a whole-number code (``3``, ``"3"``, ``"3.0"``)."""
        v = self.value
        if isinstance(v, int) and not isinstance(v, bool):
            out = v
        elif isinstance(v, float) and v.is_integer():
            out = int(v)
        elif isinstance(v, str) and _WHOLE.match(v):
            out = int(float(v))
        else:
            raise self.fail(f"expected a whole-number code, found {_kind(v)}")
        if abs(out) > MAX_CODE:
            raise self.fail(f"code {out} is out of range (at most {MAX_CODE:,} in size)")
        return out
