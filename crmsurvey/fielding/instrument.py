"""The questionnaire as a respondent meets it, in one language: numbered questions,
answer options with their codes, scale anchors, and routing written out.

Question numbers count the questions a respondent answers — every item except the
roles whose values come from elsewhere (``id``, ``duration``, ``weight``, and ``group``
items without a scale, which are recorded rather than asked). A ``group`` item with a
scale (an age band, a city tier) is asked like any question and numbered. The printed
questionnaire, the codebook, the platform exports and the recognition of numbered
headers (问卷星 ``5、…``) all use these numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

from .._catalogue import catalogue
from ..questionnaire import Questionnaire
from ..questionnaire.relevance import parse_relevance
from ..questionnaire.schema import ROLES_WITHOUT_SCALE, Item, Scale

__all__ = ["Option", "Question", "questions", "question_numbers", "options", "routing_text",
           "labels"]

_OPS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def labels(lang: str) -> dict[str, str]:
    """The fixed wording of the printed instrument and the codebook in ``lang``: the
    catalogue's ``instrument:`` entries (English for a language without a catalogue)."""
    return {k.removeprefix("instrument:"): v for k, v in catalogue(lang).items()
            if k.startswith("instrument:")}


@dataclass(frozen=True)
class Option:
    """An answer option: its code, its label in the language, and whether it is a
    special code (don't know, not applicable) rather than a point of the scale."""

    code: int
    label: str
    special: bool = False


@dataclass(frozen=True)
class Question:
    """One item as fielded: ``number`` is None for recorded (not asked) items; ``kind``
    is ``single`` (one option), ``numeric``, ``text`` or ``open`` (an open question)."""

    number: int | None
    id: str
    section: str
    text: str
    kind: str
    options: tuple[Option, ...]
    routing: str | None
    relevance: str | None
    note: str | None
    item: Item
    scale: Scale | None


def question_numbers(q: Questionnaire) -> dict[str, int]:
    """Item id → question number, for the items a respondent answers (a ``group`` item
    with a scale is answered; one without is recorded)."""
    asked = [i for i, it in q.items.items() if it.role not in ROLES_WITHOUT_SCALE
             or (it.role == "group" and it.scale is not None)]
    return {item: k for k, item in enumerate(asked, start=1)}


def options(q: Questionnaire, sc: Scale | None, lang: str) -> tuple[Option, ...]:
    """Answer options of a scale in ``lang``: every point of a rating scale (anchor
    labels where given), the values of a categorical one, then the special codes."""
    if sc is None or sc.type == "numeric":
        return ()
    if sc.type == "rating":
        points = range(int(sc.min), int(sc.max) + 1)
        out = [Option(k, q.text(sc.anchors.get(k), lang)) for k in points]
    else:
        out = [Option(k, q.text(v, lang)) for k, v in sc.values.items()]
    words = catalogue(lang)
    out += [Option(k, words.get(f"special:{name}", name.replace("_", " ")), True)
            for k, name in sc.special.items()]
    return tuple(out)


def routing_text(q: Questionnaire, relevance: str | None, lang: str,
                 numbers: dict[str, int] | None = None) -> str | None:
    """``"comp1 == 1"`` → ``Ask if Q13 comp1 = 1 “Yes”`` (仅当 第13题 comp1 = 1“是”时询问)."""
    if not relevance:
        return None
    words = labels(lang)
    numbers = question_numbers(q) if numbers is None else numbers

    def name(item: str) -> str:
        n = numbers.get(item)
        return item if n is None else words["question_ref"].format(n=n, item=item)

    def value(item: str, v: float) -> str:
        code = int(v) if float(v).is_integer() else v
        sc = q.scale(item) if item in q.items else None
        label = next((o.label for o in options(q, sc, lang) if o.code == code and o.label), "")
        return words["value_label"].format(code=code, label=label) if label else f"{code}"

    clauses = []
    for clause in parse_relevance(relevance):
        atoms = []
        for c in clause:
            if c.op == "in":
                vals = ", ".join(value(c.item, v) for v in c.values)
                atoms.append(f"{name(c.item)} {words['one_of']} {vals}")
            else:
                atoms.append(f"{name(c.item)} {_OPS[c.op]} {value(c.item, c.values[0])}")
        clauses.append(f" {words['and']} ".join(atoms))
    body = f" {words['or']} ".join(clauses)
    return words["ask_if"].format(condition=body)


def questions(q: Questionnaire, lang: str | None = None) -> list[Question]:
    """Every item in questionnaire order as fielded in ``lang`` (recorded items have no
    number; ``kind`` ``open`` is an open question, ``text`` a scale-less write-in).
    Routing comes from the section's ``relevance``."""
    lang = lang or q.languages[0]
    numbers = question_numbers(q)
    out = []
    for sec in q.sections:
        route = routing_text(q, sec.relevance, lang, numbers)
        for it in sec.items:
            sc = q.definition.scales[it.scale] if it.scale else None
            kind = "open" if it.open_text else "text" if sc is None else \
                "numeric" if sc.type == "numeric" else "single"
            out.append(Question(numbers.get(it.id), it.id, sec.id, q.text(it.text, lang), kind,
                                options(q, sc, lang), route, sec.relevance,
                                q.text(it.note, lang) or None, it, sc))
    return out
