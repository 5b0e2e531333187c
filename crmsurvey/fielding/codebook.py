"""The codebook: one row per variable of the questionnaire — what a data manager, a
fieldwork agency or a reviewer needs to read a data file without the YAML."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._catalogue import catalogue
from .._io import write_frame
from .._render import render_template, write_pdf
from .._resources import bundled_dir
from ..errors import InputError
from ..questionnaire import Questionnaire
from .instrument import labels, options, question_numbers

__all__ = ["codebook", "write_codebook"]

def _codes(q: Questionnaire, item: str, lang: str) -> str:
    sc = q.scale(item)
    if sc is None:
        return ""
    if sc.type == "numeric":
        lo = "" if sc.min is None else f"{sc.min:g}"
        hi = "" if sc.max is None else f"{sc.max:g}"
        return f"{lo}–{hi}" if lo or hi else ""
    return "; ".join(f"{o.code}={o.label}" if o.label else f"{o.code}"
                     for o in options(q, sc, lang) if not o.special)


def codebook(q: Questionnaire, lang: str | None = None) -> pd.DataFrame:
    """One row per item: ``variable, question, section, text_<lang>`` (each language),
    ``scale, type, codes`` (labels in ``lang``, default the first language), ``special,
    missing, role, construct, reverse, routing``.

    Examples
    --------
    >>> import crmsurvey as cs
    >>> cb = codebook(cs.load_questionnaire("ccsi"))
    >>> row = cb.set_index("variable").loc["comp_handle"]
    >>> int(row.question), row.construct, row.routing
    (19, '', 'comp1 == 1')
    """
    lang = lang or q.languages[0]
    numbers = question_numbers(q)
    construct = {i: name for name, c in q.definition.constructs.items() for i in c.items}
    rows = []
    for sec in q.sections:
        for it in sec.items:
            sc = q.scale(it.id)
            rows.append({
                "variable": it.id, "question": numbers.get(it.id), "section": sec.id,
                **{f"text_{la}": q.text(it.text, la) for la in q.languages},
                "scale": it.scale or "",
                "type": sc.type if sc else "text" if it.open_text else "",
                "codes": _codes(q, it.id, lang),
                "special": "; ".join(f"{o.code}={o.label}" for o in options(q, sc, lang)
                                     if o.special) if sc else "",
                "missing": "; ".join(str(m) for m in sc.missing) if sc else "",
                "role": it.role, "construct": construct.get(it.id, ""),
                "reverse": it.reverse, "routing": sec.relevance or ""})
    out = pd.DataFrame(rows)
    out["question"] = out["question"].astype("Int64")
    return out


def write_codebook(q: Questionnaire, out: str | Path, *, lang: str | None = None,
                   template_dir: Path | None = None) -> Path:
    """Write the codebook by file ending: ``.xlsx``, ``.csv`` (UTF-8 with a byte-order
    mark, so that Excel shows Chinese text) or ``.pdf`` (headings in ``lang``)."""
    out = Path(out)
    table = codebook(q, lang)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        from .._io import atomic_path

        with atomic_path(out) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        return out
    if suffix == ".xlsx":
        write_frame(table, out)
        return out
    if suffix != ".pdf":
        raise InputError(f"cannot write a codebook as {suffix or 'a file without an ending'!r}",
                         path=str(out), hint="use .xlsx, .csv or .pdf")
    words = labels(lang or q.languages[0])
    texts = [f"text_{la}" for la in q.languages]
    cols = ["variable", "question", *texts, "type", "codes", "special", "missing", "role",
            "construct", "reverse", "routing"]
    header = [words["variable"], "#", *[words["text_column"].format(text=words["text"], lang=la)
                                        for la in q.languages],
              words["scale"], words["codes"], words["special"], words["missing"],
              words["role"], words["construct"], words["reversed"], words["routing"]]
    shown = table[cols].astype(object).where(table[cols].notna(), "")
    shown["reverse"] = shown["reverse"].map({True: "✓", False: ""})
    names = catalogue(lang or q.languages[0])  # roles and scale types by name
    for col in ("role", "type"):
        shown[col] = shown[col].map(lambda r: names.get(f"role:{r}", r))
    folder = Path(template_dir or bundled_dir("reports") / "questionnaire").resolve()
    html = render_template(folder, "codebook.html.j2", {
        "lang": lang or q.languages[0], "words": words,
        "title": q.text(q.definition.title, lang), "id": q.id,
        "version": str(q.definition.version), "header": header,
        "rows": [[str(v) for v in r] for r in shown.itertuples(index=False)]}, {})
    return write_pdf(html, out, base=folder, allowed=[folder])
