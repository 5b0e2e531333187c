"""The validated questionnaire: items, scales, constructs and the structural model."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from .._catalogue import text_in_language
from .._display import clip, html_summary
from ..errors import InputError
from ..model import Construct, ModelSpec
from .schema import Item, QuestionnaireDef, Scale, Section

__all__ = ["Questionnaire", "parse_path_line"]


def parse_path_line(line: str) -> tuple[str, list[str]]:
    """``"SAT ~ PQ + PV"`` → ``("SAT", ["PQ", "PV"])``; ValueError if not of that form."""
    if line.count("~") != 1 or "=~" in line or "~~" in line:
        raise ValueError(f"a path is written 'Outcome ~ Predictor + Predictor', not {line!r}")
    lhs, rhs = (s.strip() for s in line.split("~"))
    preds = [p.strip() for p in rhs.split("+")]
    if not lhs or not all(preds):
        raise ValueError(f"a path is written 'Outcome ~ Predictor + Predictor', not {line!r}")
    return lhs, preds


@dataclass(frozen=True, eq=False)
class Questionnaire:
    """A questionnaire that passed validation. Build it with ``load_questionnaire``."""

    definition: QuestionnaireDef
    source: str = "<questionnaire>"

    # -- look-ups -----------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def languages(self) -> list[str]:
        return self.definition.languages

    @property
    def sections(self) -> list[Section]:
        return self.definition.sections

    @cached_property
    def items(self) -> dict[str, Item]:
        """Every item by id, in questionnaire order."""
        return {it.id: it for s in self.definition.sections for it in s.items}

    @cached_property
    def section_of(self) -> dict[str, str]:
        return {it.id: s.id for s in self.definition.sections for it in s.items}

    def scale(self, item_id: str) -> Scale | None:
        name = self.items[item_id].scale
        return self.definition.scales[name] if name else None

    def items_with_role(self, role: str) -> list[str]:
        return [i for i, it in self.items.items() if it.role == role]

    def role_item(self, role: str) -> str | None:
        """The one item with ``role`` (``id``, ``duration``, ``weight``), if any."""
        found = self.items_with_role(role)
        return found[0] if found else None

    def text(self, value: dict[str, str] | None, lang: str | None = None) -> str:
        """The text in ``lang`` (default: the questionnaire's first language); a language
        it lacks reads English, else its first language that has the text
        (:func:`crmsurvey._catalogue.text_in_language`, as the report and workbook pick)."""
        if not value:
            return ""
        return text_in_language(value, lang or self.languages[0], self.languages)

    def item_bounds(self, item_id: str) -> tuple[float, float] | None:
        """Response-scale bounds of an item (for 0–100 indices)."""
        sc = self.scale(item_id)
        if sc is None:
            return None
        if sc.type in ("binary", "categorical"):
            return float(min(sc.values)), float(max(sc.values))
        if sc.min is None or sc.max is None:
            return None
        return float(sc.min), float(sc.max)

    # -- the model ------------------------------------------------------------------
    @cached_property
    def structural_paths(self) -> tuple[tuple[str, str], ...]:
        pairs = []
        for line in self.definition.paths:
            lhs, preds = parse_path_line(line)
            pairs += [(lhs, p) for p in preds]
        return tuple(pairs)

    def model_spec(self) -> ModelSpec:
        """Constructs and paths as a :class:`~crmsurvey.model.ModelSpec` (an InputError
        for a questionnaire without constructs, such as a Kano module)."""
        if not self.definition.constructs:
            raise InputError(f"questionnaire {self.id!r} has no constructs: there is no "
                             "model to fit", hint="add 'constructs:' and 'paths:'")
        blocks = tuple(
            Construct(name, tuple(c.of or c.items), "A" if c.mode == "reflective" else "B")
            for name, c in self.definition.constructs.items()
        )
        spec = ModelSpec(blocks, self.structural_paths)
        return replace(spec, syntax=spec.to_lavaan())

    def to_lavaan(self) -> str:
        """lavaan model syntax (``=~`` reflective, ``<~`` composite, ``~`` paths)."""
        return self.model_spec().to_lavaan()

    def scale_bounds(self) -> dict[str, tuple[float, float]]:
        """Item → (min, max) for every construct item (what ``pls(scale=...)`` takes)."""
        out = {}
        for c in self.definition.constructs.values():
            for i in c.items:
                b = self.item_bounds(i)
                if b:
                    out[i] = b
        return out

    @property
    def path(self) -> Path:
        return Path(self.source)

    # -- display --------------------------------------------------------------------
    def __repr__(self) -> str:
        d = self.definition
        return (f"<Questionnaire {d.id!r} ({clip(self.text(d.title), 40)!r}): "
                f"{len(self.items)} items in {len(d.sections)} sections, "
                f"{len(d.constructs)} constructs, {len(self.structural_paths)} paths; "
                f"languages {', '.join(d.languages)}; from {clip(self.source, 60)}>")

    def _repr_html_(self) -> str:
        d = self.definition
        facts = [("id", d.id), ("version", d.version), ("source", self.source),
                 ("languages", ", ".join(d.languages)), ("items", len(self.items)),
                 ("sections", ", ".join(s.id for s in d.sections))]
        constructs = [(name, c.mode, ", ".join(c.of or c.items), "yes" if c.index else "no")
                      for name, c in d.constructs.items()]
        tables = [("Constructs", ("construct", "mode", "items", "index"), constructs)] \
            if constructs else []
        if d.paths:
            tables.append(("Paths", ("path",), [(line,) for line in d.paths]))
        return html_summary(f"Questionnaire {self.text(d.title)}", facts, tables)
