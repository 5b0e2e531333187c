"""LimeSurvey's tab-separated survey format (``.txt``, "Import survey" in LimeSurvey):
one group per section, one question per fielded item, answer options with our codes,
and each section's relevance as an ExpressionScript condition; every language's rows.

LimeSurvey question codes are letters and digits only, so an item id such as
``comp_handle`` is exported as ``comphandle``; the response loader matches such a column
back to its item (names compared without ``_``) and says so in the cleaning notes.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .._io import write_text
from ..questionnaire import Questionnaire
from ..questionnaire.relevance import parse_relevance
from .instrument import options

__all__ = ["to_limesurvey", "write_limesurvey", "limesurvey_code"]

_COLUMNS = ["id", "related_id", "class", "type/scale", "name", "relevance", "text", "help",
            "language", "validation", "mandatory", "other", "default", "same_default"]
_RECORDED = ("id", "duration", "weight")  # LimeSurvey records id and interview time


def limesurvey_code(item_id: str) -> str:
    """An item id as a LimeSurvey question code (letters and digits only)."""
    return re.sub(r"[^A-Za-z0-9]", "", item_id)


def _expression(relevance: str | None) -> str:
    if not relevance:
        return "1"
    ops = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
    clauses = []
    for clause in parse_relevance(relevance):
        atoms = []
        for c in clause:
            name = f"{limesurvey_code(c.item)}.NAOK"
            if c.op == "in":
                atoms.append("(" + " or ".join(f"{name} == {v:g}" for v in c.values) + ")")
            else:
                atoms.append(f"{name} {ops[c.op]} {c.values[0]:g}")
        clauses.append("(" + " and ".join(atoms) + ")")
    return " or ".join(clauses)


def to_limesurvey(q: Questionnaire) -> str:
    """The questionnaire in LimeSurvey's tab-separated survey format."""
    rows = [{"class": "S", "name": "language", "text": q.languages[0]},
            {"class": "S", "name": "additional_languages", "text": " ".join(q.languages[1:])},
            {"class": "S", "name": "format", "text": "G"}]
    for lang in q.languages:
        rows += [{"class": "SL", "name": "surveyls_title", "language": lang,
                  "text": q.text(q.definition.title, lang)},
                 {"class": "SL", "name": "surveyls_description", "language": lang,
                  "text": q.text(q.definition.description, lang)}]
    qn = 0
    for g, sec in enumerate(q.sections, start=1):
        fielded = [it for it in sec.items if it.role not in _RECORDED]
        if not fielded:
            continue
        for lang in q.languages:
            rows.append({"id": g, "class": "G", "name": q.text(sec.title, lang) or sec.id,
                         "relevance": _expression(sec.relevance), "language": lang})
            for k, it in enumerate(fielded):
                sc = q.scale(it.id)
                kind = "T" if it.open_text else "S" if sc is None else \
                    "N" if sc.type == "numeric" else "L"  # T: long free text
                rows.append({"id": qn + k + 1, "class": "Q", "type/scale": kind,
                             "name": limesurvey_code(it.id), "relevance": "1",
                             "text": q.text(it.text, lang), "language": lang,
                             "mandatory": "N", "other": "N",
                             "help": q.text(it.note, lang) if it.note else ""})
                for o in options(q, sc, lang):
                    rows.append({"id": qn + k + 1, "class": "A", "type/scale": 0,
                                 "name": str(o.code), "text": o.label or str(o.code),
                                 "language": lang})
        qn += len(fielded)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, _COLUMNS, delimiter="\t", lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_limesurvey(q: Questionnaire, out: str | Path) -> Path:
    """Write :func:`to_limesurvey` (UTF-8), atomically."""
    write_text(out, to_limesurvey(q))
    return Path(out)
