"""Safe YAML loading that remembers where every key and value stood.

Shared by questionnaires and studies: errors name ``file:line:col``. Only the safe
loader is used; tags such as ``!!python/object`` are refused, never executed. Files are
bounded: only regular files, at most ``MAX_YAML_BYTES``, expanding to at most
``MAX_YAML_NODES`` nodes (aliases counted each time they are used).
"""
from __future__ import annotations

import difflib
import os
import re
import stat
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import _defaults as D
from ._limits import env_limit
from .errors import InputError

__all__ = ["MarkedYAML", "load_marked", "pydantic_errors", "validate", "read_text",
           "read_bytes", "max_yaml_bytes"]


@dataclass
class MarkedYAML:
    """Plain data from a YAML file, with the position of every value and key."""

    data: Any
    source: str
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: tuple, *, key: bool = False) -> tuple[int | None, int | None]:
        """(line, column) of the value (or key) at ``loc``, or of its nearest parent."""
        loc = tuple(loc)
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), (None, None))

    def error(self, msg: str, loc: tuple, *, key: bool = False, hint: str = "") -> InputError:
        line, col = self.where(loc, key=key)
        return InputError(msg, path=self.source, line=line, column=col, hint=hint)


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


#: Deepest nesting of mappings and lists a YAML document may have.
MAX_DEPTH = 200
#: Longest number a YAML scalar may spell (digits and signs): Python refuses to read
#: integers of more than 4,300 digits, and no setting needs more than a few dozen.
MAX_NUMBER_CHARS = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing documents nested deeper than :data:`MAX_DEPTH` while it
    composes them (PyYAML composes recursively: 5,000 levels exhaust Python's stack)."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML's hook
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise InputError(f"cannot read YAML: nested more than {MAX_DEPTH} levels deep",
                                 path=self.name, line=mark.line + 1, column=mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_scalar(node: yaml.Node, source: str) -> None:
    """Refuse a scalar no file of ours needs: a lone surrogate (``"\\ud800"``, which no
    encoder can write back) or a number hundreds of digits long."""
    if not isinstance(node, yaml.ScalarNode):
        return
    line, col = _pos(node.start_mark)
    if _SURROGATE.search(node.value):
        raise InputError("cannot read YAML: a text contains a lone surrogate escape "
                         "(\\ud800-\\udfff), which is not a character", path=source,
                         line=line, column=col)
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and \
            len(node.value) > MAX_NUMBER_CHARS:
        raise InputError(f"cannot read YAML: a number longer than {MAX_NUMBER_CHARS} "
                         "characters", path=source, line=line, column=col)


def load_marked(text: str, source: str) -> MarkedYAML:
    """Load YAML ``text`` safely; duplicate keys and unknown tags are errors."""
    try:
        loader = _Loader(text)
        loader.name = source
        try:
            node = loader.get_single_node()
            if node is None:
                raise InputError("the file is empty", path=source)
            _count_nodes(node, source)
            out = MarkedYAML(None, source)
            _walk(loader, node, (), out)
            out.data = loader.construct_document(node)
            return out
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or str(exc)).strip()
        if "could not determine a constructor" in problem:
            problem = "this YAML tag is not allowed (only plain data is read)"
        line, col = _pos(mark) if mark else (None, None)
        raise InputError(f"cannot read YAML: {problem}", path=source, line=line,
                         column=col) from None
    except yaml.YAMLError as exc:
        raise InputError(f"cannot read YAML: {exc}", path=source) from None


def _count_nodes(root: yaml.Node, source: str, limit: int = D.MAX_YAML_NODES) -> None:
    """Refuse a document that expands to more than ``limit`` nodes (an alias is counted
    as often as it is used) before anything walks or constructs it."""
    sizes: dict[int, int] = {}  # id(node) → expanded size, so shared nodes cost once here

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_DEPTH:
            raise InputError(f"cannot read YAML: nested more than {MAX_DEPTH} levels deep",
                             path=source,
                             line=node.start_mark.line + 1)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(v, depth + 1) for v in node.value)
        sizes[id(node)] = total
        if total > limit:
            line, col = _pos(node.start_mark)
            raise InputError(f"cannot read YAML: the document expands to more than {limit:,} "
                             "values (aliases repeated over and over?)", path=source,
                             line=line, column=col)
        return total

    size(root, 0)


def _walk(loader: yaml.SafeLoader, node: yaml.Node, loc: tuple, out: MarkedYAML) -> None:
    out.values[loc] = _pos(node.start_mark)
    _check_scalar(node, out.source)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for knode, vnode in node.value:
            _check_scalar(knode, out.source)
            key = loader.construct_object(knode, deep=True)
            try:
                hash(key)
            except TypeError:
                raise InputError("a mapping key must be a plain value", path=out.source,
                                 line=knode.start_mark.line + 1) from None
            if key in seen:
                line, col = _pos(knode.start_mark)
                raise InputError(f"duplicate key {key!r}", path=out.source, line=line,
                                 column=col)
            seen.add(key)
            out.keys[loc + (key,)] = _pos(knode.start_mark)
            _walk(loader, vnode, loc + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _walk(loader, child, loc + (i,), out)


def pydantic_errors(exc: Any, marked: MarkedYAML, known_keys: set[str],
                    model: Any = None) -> list[InputError]:
    """Turn a pydantic ``ValidationError`` into one-line errors with positions.

    With the root ``model``, an unknown key's "did you mean" looks only among the keys
    allowed at that place, and a value that should be a mapping names the accepted forms
    there (a model's ``FORMS``, or its keys); ``known_keys`` is the fallback."""
    errors = []
    for e in exc.errors():
        # drop pydantic's validator tags (``function-after[...]``), not keys a user wrote
        loc = tuple(x for x in e["loc"]
                    if not (isinstance(x, str) and re.fullmatch(r"[\w-]+\[.*\]", x)))
        where = _name(marked.data, loc)
        if e["type"] == "extra_forbidden":
            key = loc[-1]
            place = _model_at(model, loc[:-1])
            allowed = sorted(place.model_fields) if place is not None else sorted(known_keys)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = (f"did you mean {close[0]!r}?" if close
                    else _forms(place) if place is not None else "")
            errors.append(marked.error(
                f"unknown key {key!r} in {'.'.join(map(str, loc[:-1])) or 'top level'}",
                loc, key=True, hint=hint))
        elif e["type"] == "missing":
            place = _model_at(model, loc[:-1])
            errors.append(marked.error(
                f"missing required key {loc[-1]!r} in {'.'.join(map(str, loc[:-1])) or 'top level'}",
                loc[:-1], hint=getattr(place, "FORMS", "") or ""))
        elif e["type"] in ("model_type", "model_attributes_type", "dict_type") and \
                _model_at(model, loc) is not None:
            place = _model_at(model, loc)
            errors.append(marked.error(
                f"{where}: expected a mapping, got {e.get('input')!r}", loc,
                hint=_forms(place)))
        elif e["type"] == "list_type" and _model_at(model, loc + (0,)) is not None:
            errors.append(marked.error(
                f"{where}: expected a list (one '- ' line per entry), got {e.get('input')!r}",
                loc, hint=_forms(_model_at(model, loc + (0,)))))
        else:
            errors.append(marked.error(f"{where}: {e['msg']} (got {e.get('input')!r})", loc))
    return errors


def _forms(model: Any) -> str:
    """What may be written where ``model`` is expected: its ``FORMS`` or its keys."""
    forms = getattr(model, "FORMS", None)
    return forms or "allowed keys: " + ", ".join(model.model_fields)


def _model_at(model: Any, loc: tuple) -> Any:
    """The pydantic model expected at ``loc`` under the root ``model`` (None when the
    place holds no model, or cannot be told)."""
    from pydantic import BaseModel

    tp = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    members = typing.get_args(tp) if typing.get_origin(tp) not in (list, dict, None) else (tp,)
    found = [t for t in members if isinstance(t, type) and issubclass(t, BaseModel)]
    return found[0] if len(found) == 1 else None


def _step(tp: Any, part: Any) -> Any:
    """The type one step (a key, an index) inside ``tp``."""
    from pydantic import BaseModel

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _step(args[0], part)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        f = tp.model_fields.get(part) if isinstance(part, str) else None
        return f.annotation if f is not None else None
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if args and origin not in (list, tuple, set, frozenset, dict):  # a union
        found = [t for t in (_step(a, part) for a in args if a is not type(None)) if t]
        return found[0] if len(found) == 1 else None
    return None


def _name(data: Any, loc: tuple) -> str:
    """``sections.0.items.3.role`` → ``item 'a1' role`` where the data give an id."""
    named, node, rest = "", data, []
    for i, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            rest = list(loc[i:])
            break
        rest.append(part)
        if isinstance(node, dict) and isinstance(node.get("id"), (str, int)) and i > 0:
            kind = str(loc[i - 1]).rstrip("s")
            named, rest = f"{kind} {node['id']!r}", []
    tail = ".".join(str(x) for x in rest)
    return " ".join(x for x in (named, tail) if x) or "top level"


def validate(marked: MarkedYAML, model: Any, known_keys: set[str], shape: str):
    """The pydantic ``model`` of a marked YAML document; every problem one InputError
    (the first raised, the rest on its ``more``). ``shape`` says what a valid top level
    looks like, for a document that is not a mapping."""
    from pydantic import ValidationError

    if not isinstance(marked.data, dict):
        raise InputError(f"expected a mapping ({shape})", path=marked.source, line=1)
    try:
        return model.model_validate(marked.data)
    except ValidationError as exc:
        errors = pydantic_errors(exc, marked, known_keys, model)
        first = errors[0]
        raise InputError(first.msg, path=marked.source, line=first.line, column=first.column,
                         hint=first.hint, more=errors[1:]) from None


def max_yaml_bytes() -> int:
    """The size limit for YAML files: ``CRMSURVEY_MAX_YAML_BYTES`` (at most 1 GiB) or
    the default."""
    return env_limit("CRMSURVEY_MAX_YAML_BYTES", D.MAX_YAML_BYTES, most=2**30)


def read_bytes(path: str | Path, limit: int,
               variable: str = "CRMSURVEY_MAX_YAML_BYTES") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes — refused by its size
    before it is read — or an InputError with the path; ``variable`` is the environment
    variable that raises the limit (named in the hint). Shared by every bounded reader
    (YAML here, ``.qsf`` in :mod:`crmsurvey.fielding._json`)."""
    def too_big() -> InputError:
        return InputError(f"larger than the limit of {limit:,} bytes", path=str(path),
                          hint=f"set {variable} to allow larger files")

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder, not a file", path=str(path))
        if not stat.S_ISREG(st.st_mode):
            raise InputError("not a regular file (a device, pipe or socket)", path=str(path))
        if st.st_size > limit:
            raise too_big()
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if len(raw) > limit:  # the file grew after stat
        raise too_big()
    return raw


def read_text(path: str | Path, *, max_bytes: int | None = None) -> str:
    """Read a UTF-8 text file — a regular file of at most ``max_bytes`` (default:
    :func:`max_yaml_bytes`), see :func:`read_bytes` — or raise InputError with the path."""
    raw = read_bytes(path, max_yaml_bytes() if max_bytes is None else max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
