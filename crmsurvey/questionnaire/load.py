"""Load and validate a questionnaire YAML file.

Every problem becomes a one-line :class:`~crmsurvey.errors.InputError` naming the file,
line and column and the offending id; all problems found in one pass are kept on the
first error's ``more`` list.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..model import find_cycle
from .._yaml import MarkedYAML, load_marked, read_text, validate
from ..errors import InputError
from .questionnaire import Questionnaire, parse_path_line
from .relevance import parse_relevance
from .schema import ROLES_WITHOUT_SCALE, QuestionnaireDef, Scale, known_keys

__all__ = ["load_questionnaire", "parse_questionnaire"]


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate a questionnaire file.

    ``path`` may also name a bundled instrument: ``"acsi"``, ``"ccsi"``, ``"ecsi"``.

    Examples
    --------
    >>> q = load_questionnaire("ccsi")
    >>> list(q.definition.constructs)[:3]
    ['IMAG', 'EXPE', 'QUAL']
    """
    p = Path(path)
    if not p.exists() and p.suffix == "" and len(p.parts) == 1:
        from .._resources import bundled_questionnaire

        if bundled_questionnaire(str(path)).exists():
            p = bundled_questionnaire(str(path))
    return parse_questionnaire(read_text(p), source=str(path))


def parse_questionnaire(text: str, *, source: str = "<questionnaire>") -> Questionnaire:
    """Validate questionnaire YAML given as text."""
    marked = load_marked(text, source)
    definition = validate(marked, QuestionnaireDef, known_keys(),
                          "a questionnaire: id:, title:, sections: …")
    errors = _check(definition, marked)
    if errors:
        first = errors[0]
        raise InputError(first.msg, path=source, line=first.line, column=first.column,
                         hint=first.hint, more=errors[1:])
    return Questionnaire(definition, source)


#: Names that stand in lavaan model syntax unquoted.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NAME_HINT = "use letters, digits, '_' and '.', starting with a letter or '_'"


def _hint(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def _check(q: QuestionnaireDef, m: MarkedYAML) -> list[InputError]:
    errs: list[InputError] = []
    langs = set(q.languages)

    def texts(value, loc):
        if value and "*" not in value:
            for lang in value:
                if lang not in langs:
                    errs.append(m.error(f"text in undeclared language {lang!r}", loc + (lang,),
                                        key=True, hint=f"languages are {sorted(langs)}"))
            for lang in q.languages:
                if lang not in value:
                    errs.append(m.error(f"text lacks language {lang!r}", loc))

    texts(q.title, ("title",))
    for name, sc in q.scales.items():
        errs += _check_scale(name, sc, m, ("scales", name))
        for code, t in {**sc.anchors, **sc.values}.items():
            texts(t, ("scales", name, "anchors" if code in sc.anchors else "values", code))

    seen_sections: set[str] = set()
    seen_items: dict[str, tuple] = {}
    for si, sec in enumerate(q.sections):
        sloc = ("sections", si)
        if sec.id in seen_sections:
            errs.append(m.error(f"duplicate section id {sec.id!r}", sloc + ("id",)))
        seen_sections.add(sec.id)
        texts(sec.title, sloc + ("title",))
        for ii, it in enumerate(sec.items):
            iloc = sloc + ("items", ii)
            if it.id in seen_items:
                errs.append(m.error(f"duplicate item id {it.id!r}", iloc + ("id",),
                                    hint=f"first defined at line {m.where(seen_items[it.id])[0]}"))
                continue
            seen_items[it.id] = iloc + ("id",)
            if not _NAME.fullmatch(it.id):
                errs.append(m.error(f"item id {it.id!r} cannot stand in model syntax",
                                    iloc + ("id",), hint=_NAME_HINT))
            texts(it.text, iloc + ("text",))
            errs += _check_item(it, q, m, iloc)
    items = {it.id: it for s in q.sections for it in s.items}

    features: dict[str, list[str]] = {}
    for i, it in items.items():
        if it.role.startswith("kano_") and it.feature:
            features.setdefault(it.feature, []).append(it.role)
    for feature, roles in features.items():
        if sorted(roles) != ["kano_dysfunctional", "kano_functional"]:
            first = next(i for i, it in items.items() if it.feature == feature)
            errs.append(m.error(f"Kano feature {feature!r} needs one functional and one "
                                f"dysfunctional item (has {', '.join(sorted(roles))})",
                                seen_items[first]))

    for role in ("id", "duration", "weight"):
        found = [i for i, it in items.items() if it.role == role]
        if len(found) > 1:
            errs.append(m.error(f"more than one item with role {role!r}: {found}",
                                seen_items[found[1]]))

    for si, sec in enumerate(q.sections):
        if sec.relevance:
            loc = ("sections", si, "relevance")
            try:
                for clause in parse_relevance(sec.relevance):
                    for c in clause:
                        if c.item not in items:
                            errs.append(m.error(f"relevance of section {sec.id!r} names unknown "
                                                f"item {c.item!r}", loc, hint=_hint(c.item, items)))
            except ValueError as exc:
                errs.append(m.error(f"section {sec.id!r}: {exc}", loc))

    in_construct: dict[str, str] = {}
    for name, c in q.constructs.items():
        cloc = ("constructs", name)
        if not _NAME.fullmatch(name):
            errs.append(m.error(f"construct name {name!r} cannot stand in model syntax", cloc,
                                key=True, hint=_NAME_HINT))
        texts(c.label, cloc + ("label",))
        if c.of:
            errs += _check_higher_order(q, name, c, m, cloc)
            continue
        if not c.items:
            errs.append(m.error(f"construct {name!r} has no items", cloc + ("items",),
                                hint="list its items, or 'of: [...]' the constructs it is "
                                     "made of"))
        for k, item_id in enumerate(c.items):
            loc = cloc + ("items", k)
            it = items.get(item_id)
            if it is None:
                errs.append(m.error(f"construct {name!r} names unknown item {item_id!r}", loc,
                                    hint=_hint(item_id, items)))
                continue
            if item_id in in_construct:
                errs.append(m.error(f"item {item_id!r} is in constructs {in_construct[item_id]!r} "
                                    f"and {name!r}", loc))
            in_construct[item_id] = name
            if it.open_text:
                errs.append(m.error(f"construct {name!r} uses open-text item {item_id!r}", loc,
                                    hint="answers in words cannot measure a construct; "
                                         "remove it from 'items:'"))
            elif it.role != "indicator":
                errs.append(m.error(f"construct {name!r} uses item {item_id!r} whose role is "
                                    f"{it.role!r}", loc, hint="constructs take 'indicator' items"))
            sc = q.scales.get(it.scale or "")
            if sc is not None and sc.type == "categorical":
                errs.append(m.error(f"construct {name!r} uses categorical item {item_id!r}", loc,
                                    hint="indicators need a rating, binary or numeric scale"))

    errs += _check_paths(q, m)
    if q.constructs and not q.paths:
        errs.append(m.error("the model has constructs but no paths", ("constructs",), key=True,
                            hint="add 'paths:' lines such as 'SAT ~ QUAL + VAL'"))
    return sorted(errs, key=lambda e: (e.line or 0, e.column or 0))


def _check_scale(name: str, sc: Scale, m: MarkedYAML, loc: tuple) -> list[InputError]:
    errs = []
    codes = set(sc.special) | set(sc.missing)
    if sc.type == "rating":
        if sc.min is None or sc.max is None:
            return [m.error(f"rating scale {name!r} needs min and max", loc)]
        if sc.min != int(sc.min) or sc.max != int(sc.max):
            errs.append(m.error(f"rating scale {name!r} has non-integer bounds", loc))
        if sc.min >= sc.max:
            errs.append(m.error(f"scale {name!r} is impossible: min {sc.min:g} is not below "
                                f"max {sc.max:g}", loc + ("min",)))
        for a in sc.anchors:
            if not sc.min <= a <= sc.max:
                errs.append(m.error(f"scale {name!r}: anchor {a} lies outside {sc.min:g}–{sc.max:g}",
                                    loc + ("anchors", a), key=True))
        for code in codes:
            if sc.min <= code <= sc.max:
                errs.append(m.error(f"scale {name!r}: special/missing code {code} is also a scale "
                                    "point", loc + ("special",) if code in sc.special else loc + ("missing",)))
        if sc.values:
            errs.append(m.error(f"rating scale {name!r} takes anchors, not values", loc + ("values",),
                                key=True))
    elif sc.type in ("binary", "categorical"):
        want = "exactly 2" if sc.type == "binary" else "at least 2"
        n = len(sc.values)
        if (sc.type == "binary" and n != 2) or n < 2:
            errs.append(m.error(f"{sc.type} scale {name!r} needs {want} values, has {n}",
                                loc + ("values",)))
        for code in codes & set(sc.values):
            errs.append(m.error(f"scale {name!r}: special/missing code {code} is also a value", loc))
        if sc.min is not None or sc.max is not None or sc.anchors:
            errs.append(m.error(f"{sc.type} scale {name!r} takes values, not min/max/anchors", loc))
    elif sc.min is not None and sc.max is not None and sc.min >= sc.max:
        errs.append(m.error(f"scale {name!r} is impossible: min {sc.min:g} is not below "
                            f"max {sc.max:g}", loc + ("min",)))
    return errs


def _check_open(it, m: MarkedYAML, loc: tuple) -> list[InputError]:
    """An open question (``type: text``): answered in words, so no scale, no coding."""
    errs = []
    if it.scale is not None:
        errs.append(m.error(f"open-text item {it.id!r} has a scale", loc + ("scale",),
                            hint="an open question is answered in words: remove 'scale:', "
                                 "or remove 'type: text' for a closed question"))
    if it.role != "other":
        errs.append(m.error(f"open-text item {it.id!r} has role {it.role!r}", loc + ("role",),
                            hint="an open question's answers are kept as text: leave 'role:' "
                                 "out (it is 'other')"))
    for key in ("reverse", "expected", "qualify", "feature"):
        if getattr(it, key):
            errs.append(m.error(f"open-text item {it.id!r} cannot have {key!r}",
                                loc + (key,), key=True))
    return errs


def _check_item(it, q: QuestionnaireDef, m: MarkedYAML, loc: tuple) -> list[InputError]:
    errs = []
    if it.open_text:
        return _check_open(it, m, loc)
    if it.scale is None:
        if it.role not in ROLES_WITHOUT_SCALE:
            errs.append(m.error(f"item {it.id!r} has no scale", loc + ("id",),
                                hint=f"add 'scale:' (one of {sorted(q.scales)})"))
        return errs
    sc = q.scales.get(it.scale)
    if sc is None:
        return [m.error(f"item {it.id!r} uses unknown scale {it.scale!r}", loc + ("scale",),
                        hint=_hint(it.scale, q.scales))]
    valid = _valid_codes(sc)
    if it.role == "attention":
        if it.expected is None:
            errs.append(m.error(f"attention check {it.id!r} needs 'expected'", loc + ("id",)))
        elif valid is not None and it.expected not in valid:
            errs.append(m.error(f"attention check {it.id!r} expects {it.expected}, which is not on "
                                f"scale {it.scale!r}", loc + ("expected",)))
    if it.role.startswith("kano_"):
        if not it.feature:
            errs.append(m.error(f"Kano item {it.id!r} needs 'feature'", loc + ("id",)))
        if sc.type != "categorical" or sorted(sc.values) != [1, 2, 3, 4, 5]:
            errs.append(m.error(f"Kano item {it.id!r} needs a categorical scale with codes "
                                "1–5 (like, must-be, neutral, live with, dislike)",
                                loc + ("scale",)))
    elif it.feature:
        errs.append(m.error(f"item {it.id!r} has 'feature' but is not a Kano item",
                            loc + ("feature",)))
    if it.role == "nps" and not (sc.type == "rating" and sc.min == 0 and sc.max == 10):
        errs.append(m.error(f"NPS item {it.id!r} needs a 0–10 rating scale (scale {it.scale!r} "
                            "is not)", loc + ("scale",), hint="promoters answer 9–10, "
                            "detractors 0–6: the NPS is defined on 0–10 only"))
    for code in it.qualify:
        if valid is not None and code not in valid:
            errs.append(m.error(f"screener {it.id!r} qualifies answer {code}, which is not on "
                                f"scale {it.scale!r}", loc + ("qualify",)))
    if it.reverse and sc.type != "rating":  # a reversed yes/no would swap Yes and No
        errs.append(m.error(f"item {it.id!r} is reverse-coded on a {sc.type} scale",
                            loc + ("reverse",), hint="only rating items can be reversed; "
                            "reword the question or list its values the other way round"))
    return errs


def _valid_codes(sc: Scale) -> set[int] | None:
    if sc.type == "rating" and sc.min is not None and sc.max is not None:
        return set(range(int(sc.min), int(sc.max) + 1))
    if sc.type in ("binary", "categorical"):
        return set(sc.values)
    return None


def _check_higher_order(q: QuestionnaireDef, name: str, c, m: MarkedYAML,
                        cloc: tuple) -> list[InputError]:
    """A construct made of constructs: first-order dimensions only, none of them in a path
    of its own, and no items beside them."""
    errs = []
    if c.items:
        errs.append(m.error(f"construct {name!r} has both 'items' and 'of'", cloc + ("of",),
                            key=True, hint="a higher-order construct is made of constructs "
                                           "only"))
    used = {n for line in q.paths for n in _path_names(line)}
    for k, dim in enumerate(c.of):
        loc = cloc + ("of", k)
        d = q.constructs.get(dim)
        if d is None or dim == name:
            errs.append(m.error(f"construct {name!r} is made of unknown construct {dim!r}", loc,
                                hint=_hint(dim, q.constructs)))
        elif d.of:
            errs.append(m.error(f"{dim!r} in {name!r} is itself higher-order; only two levels "
                                "are supported", loc))
        elif dim in used:
            errs.append(m.error(f"{dim!r} is a dimension of {name!r} and cannot have paths of "
                                "its own", loc, hint=f"write the paths with {name!r}"))
    return errs


def _path_names(line: str) -> list[str]:
    try:
        lhs, preds = parse_path_line(line)
    except ValueError:
        return []
    return [lhs, *preds]


def _check_paths(q: QuestionnaireDef, m: MarkedYAML) -> list[InputError]:
    errs = []
    graph: dict[str, set[str]] = {c: set() for c in q.constructs}
    where: dict[tuple[str, str], tuple] = {}
    for k, line in enumerate(q.paths):
        loc = ("paths", k)
        try:
            lhs, preds = parse_path_line(line)
        except ValueError as exc:
            errs.append(m.error(str(exc), loc))
            continue
        for name in (lhs, *preds):
            if name not in q.constructs:
                errs.append(m.error(f"path {line.strip()!r} names unknown construct {name!r}",
                                    loc, hint=_hint(name, q.constructs)))
        for p in preds:
            if p == lhs:
                errs.append(m.error(f"path {line.strip()!r}: construct {p!r} predicts itself", loc))
            elif lhs in graph and p in graph:
                if p in graph[lhs]:
                    errs.append(m.error(f"path {p} → {lhs} is written twice", loc))
                graph[lhs].add(p)
                where[(lhs, p)] = loc
    for key, value in q.simulate.paths.items():
        loc = ("simulate", "paths", key)
        try:
            lhs, preds = parse_path_line(key)
        except ValueError as exc:
            errs.append(m.error(f"simulate path {key!r}: {exc}", loc, key=True))
            continue
        if len(preds) != 1 or preds[0] not in graph.get(lhs, ()):
            errs.append(m.error(f"simulate path {key!r} is not a path of the model", loc,
                                key=True, hint="write one path of 'paths:', as 'SAT ~ QUAL'"))
        if not -1 < value < 1:
            errs.append(m.error(f"simulate path {key!r}: {value} is not a standardised "
                                "coefficient between −1 and 1", loc))
    cycle = find_cycle(graph)
    if cycle:
        loc = where.get((cycle[1], cycle[0]), ("paths",))
        errs.append(m.error("the structural model has a cycle: " + " → ".join(cycle),
                            loc, hint="PLS-PM and the CSI models are recursive"))
    return errs
