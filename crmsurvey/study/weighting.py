"""The study's ``weighting:`` section: checked against the questionnaire when the study is
loaded — an unknown item or code is an InputError at its line, in the study file or in
the targets table — and applied after screening, before any estimate (the weights are
then used wherever the study uses a weight)."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .._yaml import MarkedYAML
from ..errors import InputError
from ..questionnaire import Questionnaire
from ..weighting import Raking, poststratify, weigh
from ..weighting.targets import (code_key, margins_from, read_cell_table, read_target_table,
                                 shown_code)
from .schema import StudyDef, WeightingOptions

__all__ = ["check_weighting", "check_section", "check_options", "read_section", "apply_weighting",
           "weigh_section", "weighting_method", "weighting_section"]

METHODS = ("rake", "linear", "poststratify")

#: Builds an InputError at a place: (message, loc below the targets, key?, hint).
Err = Callable[..., InputError]


def weighting_method(w: WeightingOptions) -> str:
    """The one method the section names (``rake``, ``linear`` or ``poststratify``)."""
    return _method_or_none(w)


def check_weighting(d: StudyDef, q: Questionnaire, m: MarkedYAML, folder: Path,
                    root: Path) -> None:
    """Every name and code of the study's ``weighting:`` checked against the
    questionnaire; targets read from a table are checked at the table's lines."""
    if d.weighting is None:
        return
    if d.weight:
        raise m.error("weight: and weighting: are both given", ("weight",),
                      hint="the design weight to start from is weighting.base")
    check_section(d.weighting, q, m, folder, root, prefix=("weighting",))


def check_section(w: WeightingOptions, q: Questionnaire, m: MarkedYAML, folder: Path,
                  root: Path, *, prefix: tuple = ()) -> None:
    """A weighting section (at ``prefix`` in the marked YAML ``m``) checked against the
    questionnaire; a targets table it names must lie inside ``root``."""
    given = [k for k in METHODS if getattr(w, k) is not None]
    if len(given) != 1:
        raise m.error("weighting needs exactly one of rake, linear or poststratify"
                      + (f" (got {', '.join(given)})" if given else ""), prefix,
                      hint=WeightingOptions.FORMS)
    check_options(q, lambda msg, key, hint="": m.error(f"weighting.{key} {msg}",
                                                       prefix + (key,), hint=hint),
                  base=w.base, by=w.by, trim=w.trim)
    method = given[0]
    value = getattr(w, method)
    if isinstance(value, str):
        from .load import inside_root

        loc = prefix + (method,)
        inside_root(root, folder, value, "targets table", marked=m, loc=loc)
        if not (folder / value).is_file():
            raise m.error(f"targets table {value!r} not found", loc)
        _check_table(folder / value, value, method, w, q)
        return

    def err(msg: str, loc: tuple = (), *, key: bool = False, hint: str = "") -> InputError:
        return m.error(msg, prefix + (method,) + tuple(loc), key=key, hint=hint)

    if method == "poststratify":
        for i, rec in enumerate(value):
            _check_cell(rec, q, w, lambda msg, loc=(), key=False, hint="", i=i:
                        err(msg, (i,) + tuple(loc), key=key, hint=hint))
        return
    for level, targets in _levels(value, q, w, err):
        place = (level,) if level is not None else ()
        for var, cats in targets.items():
            if not isinstance(cats, dict):
                raise err(f"targets of {var!r}: expected {{code: share}}, got {cats!r}",
                          place + (var,))
            for code in cats:
                _check_code(q, var, code, lambda msg, hint="", c=code, v=var:
                            err(msg, place + (v, c), key=True, hint=hint))
        try:
            margins_from(targets, where=f"weighting.{method}")
        except InputError as exc:
            raise err(exc.msg, place, hint=exc.hint) from None


def check_options(q: Questionnaire, err: Callable[..., InputError], *, base: str | None = None,
                  by: str | None = None, trim: tuple | None = None) -> None:
    """``base``, ``by`` and ``trim`` checked against the questionnaire; ``err(msg, key,
    hint=)`` builds the error at the option's place (the section's line, or the CLI's
    flag)."""
    if base and (base not in q.items or q.items[base].role != "weight"):
        raise err(f"{base!r} is not a weight item of the questionnaire", "base")
    if by and by not in q.items:
        raise err(f"{by!r} is not an item of the questionnaire", "by",
                  hint=_close(by, q.items))
    if trim and not (0 <= trim[0] < 1 < trim[1]):
        raise err(f"{list(trim)}: bounds relative to the mean weight are low < 1 < high",
                  "trim", hint="e.g. [0.3, 3.0]")


def read_section(path: str | Path, q: Questionnaire, **given) -> WeightingOptions:
    """A weighting section from a file of its own, checked: YAML holding what a study's
    ``weighting:`` holds (or ``weighting:`` itself), or a CSV targets table (``variable,
    category, target``); ``given`` (method, by, trim, base — None: not given) overrides
    or completes it. Files it names are relative to it and lie in its folder."""
    from .._yaml import load_marked, read_text, validate

    p = Path(path)
    folder = p.resolve().parent
    method = given.pop("method", None)
    extra = {k: v for k, v in given.items() if v is not None}
    # options given beside the file (the CLI's flags) are wrong there, not at its lines
    check_options(q, lambda msg, key, hint="": InputError(f"--{key} {msg}", hint=hint),
                  **extra)
    if p.suffix.lower() == ".csv":
        if not p.is_file():
            raise InputError("no such file", path=str(path))
        w = WeightingOptions(**{method or "rake": p.name}, **extra)
        check_section(w, q, MarkedYAML(None, str(path)), folder, folder)
        return w
    m = load_marked(read_text(p), str(path))
    if isinstance(m.data, dict) and list(m.data) == ["weighting"]:
        m = MarkedYAML(m.data["weighting"], m.source,
                       {k[1:]: v for k, v in m.values.items() if k[:1] == ("weighting",)},
                       {k[1:]: v for k, v in m.keys.items() if k[:1] == ("weighting",)})
    w = validate(m, WeightingOptions, set(WeightingOptions.model_fields),
                 WeightingOptions.FORMS)
    named = _method_or_none(w)
    if method is not None and method != named:
        raise InputError(f"--method {method} but the targets file gives "
                         f"{named or 'no method'}", path=str(path))
    w = WeightingOptions.model_validate({**w.model_dump(exclude_unset=True), **extra})
    check_section(w, q, m, folder, folder)
    return w


def _method_or_none(w: WeightingOptions) -> str | None:
    """The method the section names, None when it names none (a CSV given alone)."""
    return next((k for k in METHODS if getattr(w, k) is not None), None)


def _levels(value: dict, q: Questionnaire, w: WeightingOptions, err: Err):
    """(level or None, variable → targets): one set, or one per level of ``by``."""
    if not isinstance(value, dict) or not value:
        raise err("expected variable → {code: share}", hint=WeightingOptions.FORMS)
    items = [k for k in value if isinstance(k, str) and k in q.items]
    if len(items) == len(value):
        return [(None, value)]
    if w.by is None or items:
        key = next(k for k in value if not (isinstance(k, str) and k in q.items))
        raise err(f"{key!r} is not an item of the questionnaire", (key,), key=True,
                  hint=_close(str(key), q.items) or (
                      "per-level targets need weighting.by" if w.by is None else ""))
    for level, targets in value.items():
        _check_code(q, w.by, level, lambda msg, hint="", lv=level:
                    err(msg, (lv,), key=True, hint=hint))
        if not isinstance(targets, dict) or not targets:
            raise err(f"targets for {w.by} {level!r}: expected variable → {{code: share}}",
                      (level,))
        for var in targets:
            if not (isinstance(var, str) and var in q.items):
                raise err(f"{var!r} is not an item of the questionnaire", (level, var),
                          key=True, hint=_close(str(var), q.items))
    return list(value.items())


def _check_cell(rec: Any, q: Questionnaire, w: WeightingOptions, err: Err) -> None:
    if not isinstance(rec, dict) or "target" not in rec or len(rec) < 2:
        raise err("a cell is {VARIABLE: CODE, …, target: SHARE}", hint=WeightingOptions.FORMS)
    for var, code in rec.items():
        if var == "target":
            continue
        if var == "by":
            if w.by is None:
                raise err("a cell's by: needs weighting.by", (var,), key=True)
            _check_code(q, w.by, code, lambda msg, hint="": err(msg, (var,), hint=hint))
            continue
        if var not in q.items:
            raise err(f"{var!r} is not an item of the questionnaire", (var,), key=True,
                      hint=_close(str(var), q.items))
        _check_code(q, var, code, lambda msg, hint="", v=var: err(msg, (v,), hint=hint))
    t = rec["target"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0:
        raise err(f"target {t!r} is not a non-negative number", ("target",))


def valid_codes(q: Questionnaire, item: str) -> set | None:
    """The codes an item's answers can take after loading (its scale's values or
    points; special and missing codes become missing), or None when they cannot be told
    (group items without a scale, numeric scales)."""
    sc = q.scale(item)
    if sc is None:
        return None
    if sc.type in ("binary", "categorical"):
        return {float(k) for k in sc.values}
    if sc.type == "rating" and sc.min is not None and sc.max is not None:
        return {float(v) for v in np.arange(sc.min, sc.max + 1)}
    return None


def _check_code(q: Questionnaire, item: str, code: Any, err: Callable[..., InputError]
                ) -> None:
    codes = valid_codes(q, item)
    if codes is None:
        return
    key = code_key(code)
    if key not in codes:
        sc = q.scale(item)
        special = key is not None and sc is not None and (
            key in {float(k) for k in sc.special} or key in {float(k) for k in sc.missing})
        raise err(f"{code!r} is not a code of {item!r}", hint=(
            "special and missing codes become missing values, so they have no respondents"
            if special else "its codes: " + ", ".join(
                str(shown_code(c)) for c in sorted(codes))))


def _check_table(path: Path, name: str, method: str, w: WeightingOptions,
                 q: Questionnaire) -> None:
    """A targets (or cells) table: every variable and code checked at its line."""
    def at(line: int) -> Err:
        return lambda msg, *_, hint="", **__: InputError(msg, path=name, line=line, hint=hint)

    if method == "poststratify":
        records, lines = read_cell_table(path, name=name)
        for rec, line in zip(records, lines):
            _check_cell(rec, q, w, at(line))
        return
    lines: dict = {}
    table = read_target_table(path, name=name, lines=lines)
    if None not in table and w.by is None:
        raise InputError("a table with a by column needs weighting.by", path=name, line=1)
    for (level, var, cat), line in lines.items():
        if var not in q.items:
            raise InputError(f"{var!r} is not an item of the questionnaire", path=name,
                             line=line, hint=_close(var, q.items))
        _check_code(q, var, cat, at(line))
        if level is not None:
            _check_code(q, w.by, level, at(line))
    for level, targets in table.items():
        try:
            margins_from(targets, where=name if level is None else f"{name}: {level}")
        except InputError as exc:
            first = min((ln for (lv, v, _), ln in lines.items()
                         if lv == level and str(v) == exc.concerns), default=None)
            raise InputError(exc.msg, path=name, line=first, hint=exc.hint) from None


def _close(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def apply_weighting(study, data: pd.DataFrame) -> Raking:
    """The study's weights for the screened ``data`` (rows in order), with their
    diagnostics; a problem only the data show (a level of ``by`` without targets, a
    variable the data lack) is an InputError at the section's line."""
    def where() -> int | None:
        return _line(study, ("weighting", weighting_method(study.definition.weighting)))

    return weigh_section(study.definition.weighting, data, study.path, study.source, where)


def weigh_section(w: WeightingOptions, data: pd.DataFrame, resolve: Callable[[str], Path],
                  source: str | None, line: Callable[[], int | None] = lambda: None
                  ) -> Raking:
    """Weights for ``data`` as the section ``w`` says; targets tables are found by
    ``resolve``; an InputError without a place gets ``source`` and ``line()``."""
    method = weighting_method(w)
    value = getattr(w, method)
    kwargs = dict(base=w.base, by=w.by, trim=w.trim, max_iter=w.max_iter, tol=w.tol)
    try:
        if method == "poststratify":
            records = read_cell_table(resolve(value), name=value)[0] \
                if isinstance(value, str) else value
            return poststratify(data, records, **kwargs)
        if isinstance(value, str):
            table = read_target_table(resolve(value), name=value)
            value = table[None] if set(table) == {None} else table
        return weigh(data, value, method=method, **kwargs)
    except InputError as exc:
        if exc.path is not None:
            raise
        raise InputError(f"weighting: {exc.msg}", path=source, line=line(),
                         hint=exc.hint) from None


def _line(study, loc: tuple) -> int | None:
    if study.file is None:
        return None
    from .._yaml import load_marked, read_text

    return load_marked(read_text(study.file), study.source).where(loc)[0]


def weighting_section(raking: Raking, w: WeightingOptions, q: Questionnaire) -> dict:
    """The results' ``weighting`` section: the raking's diagnostics and table, with the
    options, the targets table's name, and the questionnaire's wording of each variable
    and code."""
    out = raking.to_dict()
    method = weighting_method(w)
    value = getattr(w, method)
    labels = {}
    for var in raking.variables:
        if var not in q.items:
            continue
        sc = q.scale(var)
        labels[var] = {"text": q.items[var].text,
                       "codes": {str(k): v for k, v in (sc.values if sc else {}).items()}}
    out.update(base=w.base, source=value if isinstance(value, str) else None, labels=labels)
    return out
