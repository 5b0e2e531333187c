"""Qualtrics survey files (``.qsf``, Qualtrics' JSON survey format): export a
questionnaire so that the platform's response export loads back with no mapping, and
import a ``.qsf`` as questionnaire YAML.

Export: one block per section, one question per fielded item with ``DataExportTag`` =
the item id; choices carry ``RecodeValues`` equal to our codes (special codes included),
so "export with numeric values" gives our codes; a section's ``relevance`` becomes each
of its questions' ``DisplayLogic``; ``group`` items become embedded data fields. Items
the platform records itself (``id`` → ``ResponseId``, ``duration`` → ``Duration (in
seconds)``) and weights are not questions. Other languages go in each question's
``Language`` translations (``zh-CN`` → ``ZH-S``).
"""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import write_text
from ..errors import InputError
from ..questionnaire import Questionnaire
from ..questionnaire.relevance import evaluate, parse_relevance
from ._json import Node, read_json
from .instrument import options

__all__ = ["to_qsf", "write_qsf", "from_qsf", "QUALTRICS_LANGUAGES"]

QUALTRICS_LANGUAGES = {"en": "EN", "zh-CN": "ZH-S", "zh-TW": "ZH-T", "de": "DE", "fr": "FR",
                       "es": "ES-ES", "ja": "JA", "ko": "KO"}
_FROM_QUALTRICS = {v: k for k, v in QUALTRICS_LANGUAGES.items()}
_RECORDED = ("id", "duration", "weight")  # the platform records these, or they come later


def _code_of(lang: str) -> str:
    return QUALTRICS_LANGUAGES.get(lang, lang.upper())


def _choices(q: Questionnaire, sc, lang: str) -> dict[str, dict]:
    return {str(k): {"Display": o.label or str(o.code)}
            for k, o in enumerate(options(q, sc, lang), start=1)}


def _display_logic(q: Questionnaire, relevance: str, qids: dict[str, str]) -> dict:
    """A section's relevance as Qualtrics display logic: the condition in disjunctive
    form, each term a run of ``Selected`` choices joined by ``And``, terms by ``Or``
    (a list or a comparison on a choice question becomes the choices it allows)."""
    terms = []
    for clause in parse_relevance(relevance):
        atoms = []
        for c in clause:
            sc = q.scale(c.item)
            codes = [o.code for o in options(q, sc, q.languages[0])]
            if not codes:
                raise InputError(f"relevance on {c.item!r} cannot become Qualtrics display "
                                 "logic: it is not a choice question", path=q.source)
            allowed = evaluate([[c]], pd.DataFrame({c.item: codes}))  # the loader's rule
            atoms.append([(c.item, k + 1) for k in np.flatnonzero(allowed)])
        terms += list(itertools.product(*atoms))
    logic, n = {"Type": "If"}, 0
    for t, term in enumerate(terms):
        for a, (item, choice) in enumerate(term):
            qid = qids[item]
            loc = f"q://{qid}/SelectableChoice/{choice}"
            expr = {"LogicType": "Question", "QuestionID": qid, "QuestionIsInLoop": "no",
                    "ChoiceLocator": loc, "Operator": "Selected", "QuestionIDFromLocator": qid,
                    "LeftOperand": loc, "Type": "Expression",
                    "Description": f"If {item} choice {choice} is selected"}
            if n:
                expr["Conjuction"] = "And" if a else "Or"  # Qualtrics' own spelling
            logic[str(n)] = expr
            n += 1
    return {"0": logic, "Type": "BooleanExpression", "inPage": False}


def to_qsf(q: Questionnaire) -> dict:
    """The questionnaire as a Qualtrics survey (the ``.qsf`` JSON as a dict)."""
    sid = "SV_" + re.sub(r"[^A-Za-z0-9]", "", q.id)[:15].ljust(15, "0")
    main, others = q.languages[0], q.languages[1:]
    elements, blocks, flow, qids, embedded = [], [], [], {}, []
    n = 0
    for b, sec in enumerate(q.sections, start=1):
        block = {"Type": "Standard" if b > 1 else "Default", "ID": f"BL_{b:015d}",
                 "Description": q.text(sec.title, main) or sec.id, "BlockElements": []}
        for it in sec.items:
            sc = q.scale(it.id)
            if it.role in _RECORDED:
                continue
            if it.role == "group" and sc is None:
                embedded.append({"Description": it.id, "Type": "Recipient", "Field": it.id,
                                 "VariableType": "String", "DataVisibility": []})
                continue
            n += 1
            qid = qids[it.id] = f"QID{n}"
            payload = {"QuestionText": q.text(it.text, main), "DataExportTag": it.id,
                       "QuestionID": qid, "QuestionDescription": q.text(it.text, main),
                       "Validation": {"Settings": {"ForceResponse": "OFF", "Type": "None"}},
                       "Language": {}, "DataVisibility": {"Private": False, "Hidden": False}}
            if sc is None or sc.type == "numeric":
                payload.update(QuestionType="TE", Selector="ML" if it.open_text else "SL",
                               Configuration={})  # ML: an open question's text box
                if sc is not None:
                    payload["Validation"]["Settings"].update(
                        Type="ContentType", ContentType="ValidNumber",
                        ValidNumber={"Min": "" if sc.min is None else f"{sc.min:g}",
                                     "Max": "" if sc.max is None else f"{sc.max:g}"})
            else:
                opts = options(q, sc, main)
                payload.update(
                    QuestionType="MC", Selector="SAHR" if sc.type == "rating" else "SAVR",
                    SubSelector="TX", Configuration={"QuestionDescriptionOption": "UseText"},
                    Choices=_choices(q, sc, main),
                    ChoiceOrder=list(range(1, len(opts) + 1)),
                    RecodeValues={str(k): str(o.code) for k, o in enumerate(opts, start=1)})
            for la in others:
                tr = {"QuestionText": q.text(it.text, la)}
                if "Choices" in payload:
                    tr["Choices"] = _choices(q, sc, la)
                payload["Language"][_code_of(la)] = tr
            if sec.relevance:
                payload["DisplayLogic"] = _display_logic(q, sec.relevance, qids)
            elements.append({"SurveyID": sid, "Element": "SQ", "PrimaryAttribute": qid,
                             "SecondaryAttribute": q.text(it.text, main)[:100],
                             "TertiaryAttribute": None, "Payload": payload})
            block["BlockElements"].append({"Type": "Question", "QuestionID": qid})
        if block["BlockElements"]:
            blocks.append(block)
            flow.append({"Type": "Block" if len(flow) else "Standard", "ID": block["ID"],
                         "FlowID": f"FL_{len(flow) + 2}"})
    if embedded:
        flow.insert(0, {"Type": "EmbeddedData", "FlowID": "FL_1", "EmbeddedData": embedded})
    head = [
        {"SurveyID": sid, "Element": "BL", "PrimaryAttribute": "Survey Blocks",
         "SecondaryAttribute": None, "TertiaryAttribute": None, "Payload": blocks},
        {"SurveyID": sid, "Element": "FL", "PrimaryAttribute": "Survey Flow",
         "SecondaryAttribute": None, "TertiaryAttribute": None,
         "Payload": {"Type": "Root", "FlowID": "FL_0", "Flow": flow,
                     "Properties": {"Count": len(flow) + 1}}},
    ]
    return {"SurveyEntry": {"SurveyID": sid, "SurveyName": q.text(q.definition.title, main),
                            "SurveyDescription": q.text(q.definition.description, main) or None,
                            "SurveyLanguage": _code_of(main), "SurveyStatus": "Inactive",
                            "crmsurvey": {"id": q.id, "version": str(q.definition.version),
                                          "languages": q.languages}},
            "SurveyElements": head + elements}


def write_qsf(q: Questionnaire, out: str | Path) -> Path:
    """Write :func:`to_qsf` as a ``.qsf`` file (UTF-8 JSON), atomically."""
    write_text(out, json.dumps(to_qsf(q), ensure_ascii=False, indent=1))
    return Path(out)


# -- import ------------------------------------------------------------------------------
_SPECIAL_NAMES = (("dont_know", r"know|不知道|不清楚"), ("not_applicable", r"applicable|不适用"),
                  ("refused", r"refuse|拒"))


def _plain(html: str) -> str:
    text = re.sub(r"<br\s*/?>", " ", str(html or ""), flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " ")).strip()


def _comment(text: str, limit: int = 80) -> str:
    """Text for one YAML comment line: no line breaks or other unprintable characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text(main: str, values: dict[str, str]) -> dict[str, str] | str:
    values = {k: v for k, v in values.items() if v}
    return values[main] if set(values) == {main} else values


def _choice_codes(payload: Node) -> tuple[list[str], list[int]]:
    """A choice question's choice ids in display order and their codes (the recode value,
    else the choice id), each checked."""
    choices = payload.obj("Choices")
    ids = [k for k, _ in choices.items()]
    if payload.at("ChoiceOrder").value:
        order, seen = [], set()
        for node in payload.seq("ChoiceOrder"):
            c = node.text()
            if c not in choices.value:
                raise node.fail(f"choice {c!r} is not one of the question's Choices "
                                f"({', '.join(ids[:12])})")
            if c in seen:
                raise node.fail(f"choice {c!r} is listed twice")
            seen.add(c)
            order.append(c)
    else:
        order = ids
    recode = payload.obj("RecodeValues")
    codes = []
    for c in order:
        node = recode.at(c)
        if node.value is None:  # no recode value: the choice id is the code
            node = Node(c, choices, payload.source, c)
        codes.append(node.code())
    if len(set(codes)) < len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise recode.fail(f"code {dup} is given to two choices")
    return order, codes


def _scale_of(payload: Node, langs: list[str], tr: dict[str, Node]) -> dict | None:
    """A scale definition from a question's choices and recode values."""
    qtype = payload.text("QuestionType")
    if qtype == "TE":
        settings = payload.obj("Validation").obj("Settings")
        if settings.text("ContentType") != "ValidNumber":
            return None
        rng = settings.obj("ValidNumber")
        out = {"type": "numeric"}
        for key, name in (("Min", "min"), ("Max", "max")):
            value = rng.number(key)
            if value is not None:
                out[name] = value
        return out
    choices = payload.obj("Choices")
    if qtype != "MC" or not choices.value:
        return None
    order, codes = _choice_codes(payload)
    labels = {la: [_plain(tr[la].obj("Choices").obj(c).text("Display")) for c in order]
              for la in langs[1:]}
    main = langs[0]
    labels[main] = [_plain(choices.obj(c).text("Display")) for c in order]
    # special codes: a run at the end, after a gap in the codes (98, 99 after 1–10)
    cut = len(codes)
    for k in range(len(codes) - 1, 0, -1):
        if codes[k] - codes[k - 1] > 1:
            cut = k
            break
    main_codes = codes[:cut]
    special = {}
    for k in range(cut, len(codes)):
        label = " ".join(labels[la][k] for la in langs)
        name = next((n for n, pat in _SPECIAL_NAMES if re.search(pat, label, re.I)),
                    f"special_{codes[k]}")
        special[codes[k]] = name
    text = {code: _text(main, {la: labels[la][k] for la in langs})
            for k, code in enumerate(main_codes)
            if labels[main][k] and labels[main][k] != str(code)}
    contiguous = main_codes == list(range(main_codes[0], main_codes[0] + len(main_codes)))
    numbered = all(not labels[main][k] or labels[main][k] == str(c)
                   for k, c in enumerate(main_codes[1:-1], start=1))
    if payload.text("Selector") in ("SAHR", "NPS") or (contiguous and numbered
                                                        and len(main_codes) > 3):
        out = {"type": "rating", "min": main_codes[0], "max": main_codes[-1],
               "anchors": text}
    else:
        out = {"type": "binary" if len(main_codes) == 2 else "categorical", "values": text}
    if special:
        out["special"] = special
    return out


def _relevance(logic: Node, items: dict[str, dict], item_id: str) -> str | None:
    """Our relevance syntax from ``Selected``/``NotSelected`` display logic."""
    logic = logic.obj()
    if not logic.value:
        return None
    terms, term = [], []

    def refuse(node: Node, what: str) -> InputError:
        return node.fail(f"question {item_id!r}: cannot read {what} as a condition on a "
                         "choice")

    for key in sorted((k for k, _ in logic.items() if k.isdigit()), key=int):
        group = logic.obj(key)
        for sub in sorted((k for k, _ in group.items() if k.isdigit()), key=int):
            e = group.obj(sub)
            m = re.fullmatch(r"q://(QID\d+)/SelectableChoice/(\d+)", e.text("ChoiceLocator"))
            if not m or m.group(1) not in items:
                raise refuse(e, f"display logic {e.text('Description')!r}")
            info = items[m.group(1)]
            recode = info["recode"]
            choice = m.group(2)
            code = recode.at(choice)
            if code.value is None:
                code = Node(choice, e.at("ChoiceLocator"), e.source)
            code = code.code()
            op = {"Selected": "==", "NotSelected": "!="}.get(e.text("Operator"))
            if op is None:
                raise refuse(e, f"display logic operator {e.text('Operator')!r}")
            if term and e.text("Conjuction", "And") == "Or":
                terms.append(term)
                term = []
            term.append(f"{info['id']} {op} {code}")
    if term:
        terms.append(term)
    merged = []
    for t in terms:  # "a == 1" or "a == 2" → "a in [1, 2]"
        single = len(t) == 1 and " == " in t[0]
        if single and merged and merged[-1][0] == t[0].split(" == ")[0]:
            merged[-1][1].append(t[0].split(" == ")[1])
        elif single:
            item, code = t[0].split(" == ")
            merged.append((item, [code]))
        else:
            merged.append((None, [" and ".join(t)]))
    parts = [body[0] if item is None else f"{item} == {body[0]}" if len(body) == 1
             else f"{item} in [{', '.join(body)}]" for item, body in merged]
    return " or ".join(parts)


def _embedded(flow: Node) -> list[str]:
    """Embedded-data field names anywhere in a survey flow (nesting is bounded by the
    reader's depth limit)."""
    flow = flow.obj()
    out = [f for e in flow.seq("EmbeddedData") if (f := e.obj().text("Field"))]
    for sub in flow.seq("Flow"):
        out += _embedded(sub)
    return out


def from_qsf(path: str | Path) -> str:
    """Questionnaire YAML from a Qualtrics ``.qsf``: sections from blocks, items from
    questions (id = ``DataExportTag``), scales from choices and recode values (codes set
    apart after a gap — 98, 99 — become special codes), routing from display logic,
    translations from the questions' languages, embedded-data fields as optional group
    items (brand, panel, quota cells). Constructs and paths are left for the
    researcher, with a comment saying so. Names from the file are data: the YAML is
    written by the emitter, and the header comment holds them on one line.

    Raises InputError for a file that is too large or too deeply nested (see
    :mod:`crmsurvey.fielding._json`), not a survey file, a value of the wrong kind
    (naming its JSON path, e.g. ``SurveyElements[3].Payload.Choices``), or logic that
    cannot be read."""
    import yaml

    p = Path(path)
    root = read_json(p).obj()
    entry = root.obj("SurveyEntry", required=True)
    elements = [e.obj() for e in root.seq("SurveyElements", required=True)]
    main = _FROM_QUALTRICS.get(entry.text("SurveyLanguage", "EN"), "en")
    questions: dict[str, Node] = {}
    for e in elements:
        if e.text("Element") != "SQ":
            continue
        qid = e.text("PrimaryAttribute")
        if not qid:
            raise e.fail("a question (Element SQ) without a PrimaryAttribute (its id)")
        questions[qid] = e.obj("Payload", required=True)
    if not questions:
        raise root.fail("no questions (no SurveyElements with Element SQ)")
    languages = {qid: dict(pl.obj("Language").items()) for qid, pl in questions.items()}
    codes = sorted({c for tr in languages.values() for c in tr})
    langs = [main] + [_FROM_QUALTRICS.get(c, c.lower()) for c in codes
                      if _FROM_QUALTRICS.get(c, c.lower()) != main]
    by_code = {_FROM_QUALTRICS.get(c, c.lower()): c for c in codes}
    blocks = next((e.seq("Payload", numbered=True) for e in elements
                   if e.text("Element") == "BL"), [])
    items = {qid: {"id": pl.text("DataExportTag") or qid, "recode": pl.obj("RecodeValues")}
             for qid, pl in questions.items()}
    scales, scale_names, sections = {}, {}, []
    for block in (b.obj() for b in blocks):
        if block.text("Type") == "Trash":
            continue
        run, run_logic = [], None
        for el in block.seq("BlockElements"):
            el = el.obj()
            qid = el.text("QuestionID")
            pl = questions.get(qid)
            if el.text("Type") != "Question" or pl is None or pl.text("QuestionType") == "DB":
                continue
            empty = Node({}, pl, pl.source, "Language")
            tr = {la: languages[qid].get(by_code.get(la, ""), empty).obj() for la in langs}
            texts = {main: _plain(pl.text("QuestionText"))}
            texts.update({la: _plain(tr[la].text("QuestionText")) for la in langs[1:]})
            item = {"id": items[qid]["id"], "text": _text(main, texts)}
            sc = _scale_of(pl, langs, tr)
            if sc is not None:
                key = json.dumps(sc, sort_keys=True, ensure_ascii=False, default=str)
                name = scale_names.get(key)
                if name is None:
                    name = scale_names[key] = f"{sc['type']}{len(scales) + 1}"
                    scales[name] = sc
                item["scale"] = name
                item["role"] = "indicator" if sc["type"] == "rating" else "other"
            else:  # a text entry without number validation: an open question
                item["type"] = "text"
            logic = _relevance(pl.at("DisplayLogic"), items, item["id"])
            if run and logic != run_logic:
                sections.append((block, run, run_logic))
                run = []
            run.append(item)
            run_logic = logic
        if run:
            sections.append((block, run, run_logic))
    out_sections, seen = [], set()
    embedded = [f for e in elements if e.text("Element") == "FL"
                for f in _embedded(e.at("Payload"))]
    if embedded:
        out_sections.append({"id": "embedded", "title": "Embedded data", "items": [
            {"id": f, "role": "group", "optional": True} for f in dict.fromkeys(embedded)]})
        seen.add("embedded")
    for k, (block, run, logic) in enumerate(sections, start=1):
        title = _plain(block.text("Description"))
        sid = re.sub(r"\W+", "_", title).strip("_").lower()
        sid = sid if re.match(r"^[a-z_][a-z0-9_]*$", sid) else f"section{k}"
        base, n = sid, 1
        while sid in seen:
            n += 1
            sid = f"{base}_{n}"
        seen.add(sid)
        sec = {"id": sid, "title": title or sid, "items": run}
        if logic:
            sec["relevance"] = logic
        out_sections.append(sec)
    own = entry.obj("crmsurvey")
    name = entry.text("SurveyName")
    doc = {"id": re.sub(r"\W+", "_", own.text("id") or entry.text("SurveyID", "survey"))
           .strip("_").lower() or "survey",
           "version": own.text("version", "1"),
           "languages": langs, "title": name or p.stem}
    if entry.text("SurveyDescription"):
        doc["description"] = entry.text("SurveyDescription")
    doc["scales"] = scales
    doc["sections"] = out_sections
    head = (f"# Imported from the Qualtrics survey file {_comment(p.name)}"
            f"{f' ({_comment(name)})' if _comment(name) else ''}.\n"
            "# Items, scales, codes and routing come from the survey. Constructs and paths\n"
            "# are left for you: add `constructs:` (items per construct) and `paths:`\n"
            "# (one 'Outcome ~ Predictor + …' line each), and set item roles (id,\n"
            "# duration, group, nps, …) where the survey could not say.\n")
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when installed: faster
    return head + yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
