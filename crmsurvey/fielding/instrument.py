"""The questionnaire as a respondent meets it, in one language: numbered questions,
answer options with their codes, scale anchors, and routing written out.

Question numbers count the questions a respondent answers — every item except the
roles whose values come from elsewhere (``id``, ``duration``, ``weight``, and ``group``
items, which are recorded rather than asked). The printed questionnaire, the codebook,
the platform exports and the recognition of numbered headers (问卷星 ``5、…``) all use
these numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..questionnaire import Questionnaire
from ..questionnaire.relevance import parse_relevance
from ..questionnaire.schema import ROLES_WITHOUT_SCALE, Item, Scale

__all__ = ["Option", "Question", "questions", "question_numbers", "options", "routing_text",
           "LABELS"]

#: Fixed wording of the printed instrument, by language.
LABELS = {
    "en": {"ask_if": "Ask if", "and": "and", "or": "or", "one_of": "is one of",
           "note": "Interviewer", "recorded": "Recorded, not asked", "number": "Number",
           "write_in": "Write in", "codes": "Codes", "special": "special",
           "missing": "missing", "reversed": "reverse-coded", "version": "version",
           "questions": "questions", "codebook": "Codebook", "variable": "Variable",
           "text": "Text", "scale": "Scale", "role": "Role", "construct": "Construct",
           "routing": "Routing", "translation": "Translation check"},
    "zh-CN": {"ask_if": "仅当", "ask_if_end": "时询问", "and": "且", "or": "或",
              "one_of": "为以下之一：", "note": "访问员", "recorded": "记录项，不向受访者提问",
              "number": "数字", "write_in": "请填写", "codes": "编码", "special": "特殊编码",
              "missing": "缺失编码", "reversed": "反向计分", "version": "版本",
              "questions": "题", "codebook": "编码手册", "variable": "变量",
              "text": "题目", "scale": "量表", "role": "角色", "construct": "构念",
              "routing": "跳转条件", "translation": "翻译核对"},
}

_OPS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def labels(lang: str) -> dict[str, str]:
    """The fixed wording in ``lang`` (English for a language without its own)."""
    return {**LABELS["en"], "ask_if_end": "", **LABELS.get(lang, {})}


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
    is ``single`` (one option), ``numeric`` or ``text``."""

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
    """Item id → question number, for the items a respondent answers."""
    asked = [i for i, it in q.items.items() if it.role not in ROLES_WITHOUT_SCALE]
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
    special = {"dont_know": {"en": "Don't know", "zh-CN": "不知道"},
               "not_applicable": {"en": "Not applicable", "zh-CN": "不适用"},
               "refused": {"en": "Refused", "zh-CN": "拒答"}}
    out += [Option(k, special.get(name, {}).get(lang, name.replace("_", " ")), True)
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
        if n is None:
            return item
        return f"第{n}题 {item}" if lang.startswith("zh") else f"Q{n} {item}"

    def value(item: str, v: float) -> str:
        code = int(v) if float(v).is_integer() else v
        sc = q.scale(item) if item in q.items else None
        label = next((o.label for o in options(q, sc, lang) if o.code == code and o.label), "")
        return f"{code}“{label}”" if label and lang.startswith("zh") else \
            f"{code} “{label}”" if label else f"{code}"

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
    return f"{words['ask_if']} {body}{words['ask_if_end']}"


def questions(q: Questionnaire, lang: str | None = None) -> list[Question]:
    """Every item in questionnaire order as fielded in ``lang`` (recorded items have no
    number). Routing comes from the section's ``relevance``."""
    lang = lang or q.languages[0]
    numbers = question_numbers(q)
    out = []
    for sec in q.sections:
        route = routing_text(q, sec.relevance, lang, numbers)
        for it in sec.items:
            sc = q.definition.scales[it.scale] if it.scale else None
            kind = "text" if sc is None else "numeric" if sc.type == "numeric" else "single"
            out.append(Question(numbers.get(it.id), it.id, sec.id, q.text(it.text, lang), kind,
                                options(q, sc, lang), route, sec.relevance,
                                q.text(it.note, lang) or None, it, sc))
    return out
