"""The study file's reference, generated from its pydantic models.

Two views of the same models (:mod:`crmsurvey.study.schema`), built at run time so they
never drift from what the loader accepts:

- :func:`json_schema` — a JSON Schema (draft 2020-12) for editors' YAML support
  (``crmsurvey schema study > study.schema.json``);
- :func:`markdown` — the page ``docs/study-file.md``
  (``crmsurvey schema study --markdown > docs/study-file.md``; a test fails when the
  page in the repository differs).

Descriptions come from the models: a field's ``description``, else the ``#:`` comment
above it or the ``#`` comment beside it in the source, else a note kept here.

>>> schema = json_schema()
>>> sorted(schema["$defs"]["DataSource"]["properties"])[:3]
['codes', 'encoding', 'mapping']
"""
from __future__ import annotations

import inspect
import json
import re
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from . import schema as S

__all__ = ["json_schema", "markdown", "models", "field_notes"]

#: Notes for fields whose model carries no comment (used only when the model is silent).
_NOTES: dict[tuple[str, str], str] = {
    ("StudyDef", "id"): "a short name for the study (letters, digits, `_`, `-`)",
    ("StudyDef", "title"): "the study's title (one text, or language → text)",
    ("StudyDef", "data"): "the response files (or simulated responses); at least one",
    ("StudyDef", "exclude"): "screening rules whose rows are excluded: duplicate, "
                             "screened_out, attention, speeder, straightlining, missing, "
                             "invalid_weight",
    ("StudyDef", "min_group_size"): "groups with fewer kept rows are skipped (and said so)",
    ("StudyDef", "pls"): "PLS path modelling for every unit (`null`: none)",
    ("StudyDef", "cbsem"): "covariance-based SEM of the whole sample (absent: none)",
    ("StudyDef", "analytics"): "CSAT, Kano, loyalty typology, transactions",
    ("StudyDef", "compare"): "tests between groups: path tests, MICOM, invariance "
                             "(absent: none)",
    ("StudyDef", "report"): "what the report shows and how",
    ("Simulated", "n"): "respondents per level of the first group item",
    ("Simulated", "seed"): "random seed of the simulation",
    ("Simulated", "groups"): "group item → its levels, e.g. `{brand: [A, B, C]}`",
    ("Simulated", "paths"): "true path coefficients to use instead of the questionnaire's, "
                            "e.g. `{LOY~SAT: 0.6}`",
    ("DataSource", "path"): "a response file (CSV, XLSX, SAV, DTA, Parquet, Qualtrics or "
                            "platform export), relative to the study file",
    ("DataSource", "simulate"): "responses drawn from the questionnaire's model instead "
                                "of a file",
    ("DataSource", "mapping"): "column in the file → item id, for columns named otherwise",
    ("DataSource", "encoding"): "the file's text encoding when it is not detected",
    ("DataSource", "sheet"): "the XLSX sheet (name or 0-based number)",
    ("TransactionOptions", "path"): "a transaction file (CSV, XLSX, Parquet), relative to "
                                    "the study file",
    ("TransactionOptions", "customer"): "the customer-id column",
    ("TransactionOptions", "date"): "the date column",
    ("TransactionOptions", "amount"): "the amount column",
    ("TransactionOptions", "as_of"): "the analysis date (default: the last transaction)",
    ("TransactionOptions", "encoding"): "the file's text encoding when it is not detected",
    ("TransactionOptions", "abc"): "ABC classes by share of customers or share of value",
    ("AnalyticsOptions", "kano"): "Kano table from the questionnaire's Kano items",
    ("CompareOptions", "permutations"): "permutations of the path-difference test",
    ("CompareOptions", "bootstrap"): "bootstrap resamples of MGA and MICOM",
    ("CompareOptions", "seed"): "random seed of the tests",
    ("PLSOptions", "predict_reps"): "PLSpredict repetitions (headline model only)",
    ("TypologyOptions", "attitude"): "a construct (its PLS score) or an item",
    ("TypologyOptions", "behaviour"): "an item, or `transactions`",
    ("TypologyOptions", "cut_behaviour"): "default: median",
    ("AnalyticsOptions", "typology"): "Dick & Basu loyalty types (absent: none)",
    ("AnalyticsOptions", "transactions"): "the firm's transactions (absent: none)",
    ("StudyDef", "fieldwork"): "how the data were collected (shown in the method section)",
    ("Fieldwork", "end"): "the last day of fieldwork",
    ("Fieldwork", "invited"): "people invited",
    ("ReportOptions", "title"): "the report's title (default: the study's)",
    ("ReportOptions", "subtitle"): "a line under the title",
    ("ReportOptions", "author"): "who wrote the report",
    ("ReportOptions", "language"): "the report's language: any with a catalogue in "
                                   "crmsurvey/locales/ (en, zh-CN)",
    ("ReportOptions", "sections"): "the report sections, in this order",
}


def models() -> list[type[BaseModel]]:
    """The study file's models: :class:`StudyDef` first, then each model in the order
    the fields first reach it."""
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.append(tp)
            for f in tp.model_fields.values():
                visit(f.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(S.StudyDef)
    return seen


def field_notes(model: type[BaseModel]) -> dict[str, str]:
    """Each field's description: ``Field(description=)``, its ``#:`` or trailing ``#``
    comment in the source, or a note of this module ('' when none)."""
    comments = _source_comments(model)
    out = {}
    for name, f in model.model_fields.items():
        out[name] = (f.description or comments.get(name)
                     or _NOTES.get((model.__name__, name), ""))
    return out


def _source_comments(model: type[BaseModel]) -> dict[str, str]:
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    above: list[str] = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("#:"):
            above.append(stripped[2:].strip())
            continue
        m = re.match(r"\s{4}(\w+)\s*:[^#]*(?:#\s*(.*))?$", line)
        if m and m.group(1) in model.model_fields:
            beside = m.group(2) or ""
            if re.match(r"(type:|noqa)", beside):
                beside = ""
            out[m.group(1)] = " ".join(x for x in (" ".join(above), beside) if x)
        if stripped and not stripped.startswith("#"):
            above = []
    return out


class _Generator(GenerateJsonSchema):
    """pydantic's generator, knowing that a text (``Text``) may be one string."""

    def function_before_schema(self, schema):  # noqa: D102 - pydantic's hook
        inner = super().function_before_schema(schema)
        from ..questionnaire.schema import _text

        if schema.get("function", {}).get("function") is _text:
            return {"anyOf": [{"type": "string"}, inner]}
        return inner


def json_schema() -> dict[str, Any]:
    """The study file's JSON Schema (draft 2020-12), from the models as they are now.

    Save it and point an editor at it, e.g. with the YAML language server's first-line
    comment ``# yaml-language-server: $schema=study.schema.json``.
    """
    out = S.StudyDef.model_json_schema(schema_generator=_Generator, mode="validation")
    defs = out.setdefault("$defs", {})
    for model in models():
        node = out if model is S.StudyDef else defs.get(model.__name__)
        if node is None:
            continue
        forms = getattr(model, "FORMS", None)
        if forms:
            node["description"] = forms
        for name, note in field_notes(model).items():
            prop = node.get("properties", {}).get(name)
            if prop is not None and note and "description" not in prop:
                prop["description"] = note
    # one of path / simulate (the loader says so too)
    for name in ("DataSource", "TransactionOptions"):
        if name in defs:
            defs[name]["oneOf"] = [{"required": ["path"]}, {"required": ["simulate"]}]
    out["title"] = "crmsurvey study file"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}


def _type(prop: dict[str, Any]) -> str:
    """A JSON Schema property as a short Markdown type."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop:
        parts = [_type(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(dict.fromkeys(parts))
    t = prop.get("type")
    if t == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if t == "object":
        if "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
            return f"mapping → {_type(prop['additionalProperties'])}"
        return "mapping"
    names = {"string": "text", "integer": "integer", "number": "number",
             "boolean": "true/false"}
    return names.get(t, "any")


def _limits(prop: dict[str, Any]) -> str:
    words = []
    for key, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"),
                      ("exclusiveMaximum", "<"), ("minItems", "items ≥")):
        if key in prop:
            words.append(f"{sign} {prop[key]}")
    for p in prop.get("anyOf", []):
        words.extend(x for x in _limits(p).split(", ") if x and x not in words)
    return ", ".join(words)


def _default(model: type[BaseModel], name: str) -> str:
    f = model.model_fields[name]
    if f.is_required():
        return "**required**"
    value = f.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(its defaults)"
    if value is None:
        return "—"
    if isinstance(value, list) and len(value) > 6:
        return "all"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


_INTRO = """\
# The study file

<!-- Generated by `crmsurvey schema study --markdown > docs/study-file.md` from the
models in crmsurvey/study/schema.py; tests/test_docs.py fails when this page is stale.
Edit the models (or crmsurvey/study/reference.py), not this page. -->

A study file is YAML: it names the questionnaire, the responses, the screening, the
models, the groups and the report. `crmsurvey run STUDY.yaml -o OUT/` runs it. File
names in it are relative to the study file and must lie inside its folder (or
`--root DIR`). Unknown keys are errors naming the keys allowed at that place.

An example that reads a response file (`studies/example_file.yaml`; its data file is
written by the command in its first lines):

```yaml
{example}```

A **data entry** is `{path: FILE}` (with `mapping:`, `encoding:`, `sheet:`, `codes:` as
needed) or `{simulate: {n: N, seed: S, groups: {...}}}` — never a bare file name.

**Editors**: `crmsurvey schema study > study.schema.json` writes the JSON Schema of
this page; with the YAML language server (VS Code's YAML extension, and others) a first
line `# yaml-language-server: $schema=study.schema.json` gives completion and checks
while you type.

A *text* is one string for every language, or a mapping language → string
(`{en: …, zh-CN: …}`).
"""


def markdown() -> str:
    """``docs/study-file.md``: one table per section of the study file, from the
    models."""
    schema = json_schema()
    defs = schema.get("$defs", {})
    from .._resources import bundled_dir

    example = (bundled_dir("studies") / "example_file.yaml").read_text(encoding="utf-8")
    parts = [_INTRO.replace("{example}", example)]
    for model in models():
        node = schema if model is S.StudyDef else defs.get(model.__name__, {})
        name = model.__name__
        title = "top level" if model is S.StudyDef else name
        parts.append(f"\n## {name}\n" if model is not S.StudyDef else
                     f"\n## {name}\n\nThe {title} of a study file.\n")
        doc = inspect.getdoc(model) if model.__doc__ and model is not S.StudyDef else ""
        if getattr(model, "FORMS", None):
            doc = model.FORMS
        if doc:
            doc = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", " ".join(doc.split()))  # reST roles
            parts.append(f"\n{doc.replace('``', '`')}\n")
        parts.append("\n| key | type | default | limits | meaning |\n|---|---|---|---|---|\n")
        notes = {k: v.replace("|", "\\|") for k, v in field_notes(model).items()}
        for field, prop in node.get("properties", {}).items():
            if field not in model.model_fields:
                continue
            typ = _type({k: v for k, v in prop.items() if k != "description"})
            parts.append(f"| `{field}` | {typ} | {_default(model, field)} | "
                         f"{_limits(prop)} | {notes.get(field, '')} |\n")
    return "".join(parts)
