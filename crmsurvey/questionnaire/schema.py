"""The questionnaire schema (pydantic v2): what a researcher may write in YAML.

Every mapping forbids unknown keys, so a typo (``scael:``) is an error with its line.
A human-readable text is either one string (used for every language) or a mapping
language → string.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "Text", "Scale", "Item", "Section", "ConstructDef", "SimulationDef", "QuestionnaireDef",
    "ITEM_ROLES", "ROLES_WITHOUT_SCALE",
]


def _text(value: object) -> object:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"*": str(value)}
    return value


#: One string for every language ("*") or language → string.
Text = Annotated[dict[str, str], BeforeValidator(_text)]

ITEM_ROLES = ("indicator", "nps", "screener", "attention", "demographic", "group", "id",
              "duration", "weight", "kano_functional", "kano_dysfunctional", "other")
#: Roles whose values are not answers on a scale (ids, group labels, seconds, weights).
ROLES_WITHOUT_SCALE = ("group", "id", "duration", "weight")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    """A response scale.

    ``rating``: integer points ``min``…``max`` with optional anchor labels;
    ``binary``/``categorical``: the listed ``values`` (code → label);
    ``numeric``: any number within optional ``min``/``max``.
    ``special`` codes (don't know, not applicable) and ``missing`` codes are never
    treated as answers.
    """

    type: Literal["rating", "binary", "categorical", "numeric"] = "rating"
    min: float | None = None
    max: float | None = None
    anchors: dict[int, Text] = Field(default_factory=dict)
    values: dict[int, Text] = Field(default_factory=dict)
    special: dict[int, str] = Field(default_factory=dict)
    missing: list[int] = Field(default_factory=list)


class Item(_Strict):
    """A question. ``role`` says what the answer is used for; ``type: text`` makes it
    an open question answered in words (no scale, role ``other``: kept as text, never
    in a model or an index)."""

    id: str
    text: Text | None = None
    type: Literal["closed", "text"] = "closed"  # text: an open question (a comment)
    scale: str | None = None
    role: Literal[ITEM_ROLES] = "indicator"  # type: ignore[valid-type]
    reverse: bool = False
    expected: int | None = None  # attention checks: the answer a careful respondent gives
    qualify: list[int] = Field(default_factory=list)  # screeners: answers that qualify
    optional: bool = False  # a column the data file may lack
    feature: str | None = None  # Kano items: the feature this question is about
    note: Text | None = None  # an instruction for the interviewer (printed questionnaire)

    @model_validator(mode="before")
    @classmethod
    def _open_role(cls, data: object) -> object:
        """An open-text item's role is ``other`` unless written."""
        if isinstance(data, dict) and data.get("type") == "text" and "role" not in data:
            return {**data, "role": "other"}
        return data

    @property
    def open_text(self) -> bool:
        """Whether this is an open question answered in words."""
        return self.type == "text"


class Section(_Strict):
    """A block of items, asked only where ``relevance`` holds (``"q1 == 1"``)."""

    id: str
    title: Text | None = None
    relevance: str | None = None
    items: list[Item]


class ConstructDef(_Strict):
    """A construct: its items (or, for a higher-order construct, the constructs it is
    made of: ``of:``), measurement mode and whether an index is reported."""

    label: Text | None = None
    items: list[str] = Field(default_factory=list)
    of: list[str] = Field(default_factory=list)
    mode: Literal["reflective", "composite"] = "reflective"
    index: bool = True
    #: False: context a brand does not set directly (customer expectations): never
    #: recommended as an action, though its effects are estimated and shown
    lever: bool = True


class SimulationDef(_Strict):
    """Population values for ``crmsurvey simulate`` (defaults in ``_defaults.py``)."""

    paths: dict[str, float] = Field(default_factory=dict)  # "SAT ~ PQ": 0.5
    loadings: float | None = None
    missing_rate: float | None = None
    special_rate: float | None = None
    #: item → code → its share among simulated respondents: a known skew (an online
    #: panel's young, male sample) for weighting to correct; other codes are not drawn
    shares: dict[str, dict[int, float]] = Field(default_factory=dict)


class QuestionnaireDef(_Strict):
    """A whole questionnaire as written in YAML."""

    id: str
    version: str | int | float = "1"
    title: Text
    languages: list[str] = Field(default_factory=lambda: ["en"])
    description: Text | None = None
    scales: dict[str, Scale] = Field(default_factory=dict)
    sections: list[Section]
    constructs: dict[str, ConstructDef] = Field(default_factory=dict)
    paths: list[str] = Field(default_factory=list)
    simulate: SimulationDef = Field(default_factory=SimulationDef)


def known_keys() -> set[str]:
    """Every key the schema knows (for 'did you mean' hints)."""
    keys: set[str] = set()
    for model in (Scale, Item, Section, ConstructDef, SimulationDef, QuestionnaireDef):
        keys.update(model.model_fields)
    return keys
