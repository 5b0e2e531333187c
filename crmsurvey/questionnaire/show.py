"""A readable outline of a questionnaire, in one of its languages."""
from __future__ import annotations

from .._catalogue import catalogue
from .questionnaire import Questionnaire

__all__ = ["outline"]


def _scale_text(q: Questionnaire, name: str | None, lang: str, w: dict[str, str]) -> str:
    if name is None:
        return ""
    sc = q.definition.scales[name]
    if sc.type == "rating":
        anchors = "; ".join(f"{k}={q.text(v, lang)}" for k, v in sorted(sc.anchors.items()))
        out = f"{sc.min:g}–{sc.max:g}" + (f" ({anchors})" if anchors else "")
    elif sc.type in ("binary", "categorical"):
        out = ", ".join(f"{k}={q.text(v, lang)}" for k, v in sc.values.items())
    else:
        out = w["outline:number"]
    if sc.special:
        out += " · " + w["outline:special"].format(
            codes=", ".join(f"{k}={w.get(f'special:{v}', v.replace('_', ' '))}"
                            for k, v in sc.special.items()))  # the codebook's labels
    return out


def outline(q: Questionnaire, lang: str | None = None) -> str:
    """Title, sections with their items, constructs and the structural model as text
    (fixed wording from the catalogue's ``outline:`` entries; ids and roles as codes)."""
    lang = lang or q.languages[0]
    w = catalogue(lang)
    d = q.definition
    lines = [f"{q.text(d.title, lang)}", w["outline:meta"].format(
        id=d.id, version=d.version, languages=", ".join(d.languages)), ""]
    for sec in d.sections:
        rel = ("   [" + w["outline:asked_if"].format(condition=sec.relevance) + "]"
               if sec.relevance else "")
        lines.append(f"§ {sec.id}: {q.text(sec.title, lang)}{rel}")
        for it in sec.items:
            flags = [it.role] + ([w["outline:reversed"]] if it.reverse else []) + \
                ([w["outline:optional"]] if it.optional else [])
            lines.append(f"  {it.id:<14} {q.text(it.text, lang)}")
            scale = w["outline:open_text"] if it.open_text else \
                _scale_text(q, it.scale, lang, w)
            lines.append(f"  {'':<14} [{', '.join(flags)}]" + (f" {scale}" if scale else ""))
        lines.append("")
    lines.append(w["outline:constructs"])
    for name, c in d.constructs.items():
        mode = w["outline:reflective" if c.mode == "reflective" else "outline:composite"]
        idx = " · " + w["outline:index"] if c.index else ""
        lines.append(f"  {name:<14} {q.text(c.label, lang)} ({mode}{idx}): {', '.join(c.items)}")
    lines.append("")
    lines.append(w["outline:structural"])
    lines += [f"  {p}" for p in d.paths]
    return "\n".join(lines) + "\n"
