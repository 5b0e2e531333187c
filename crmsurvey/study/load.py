"""Load and validate a study YAML file (same error style as questionnaires)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._yaml import MarkedYAML, load_marked, read_text, validate
from ..errors import InputError
from ..questionnaire import Questionnaire, load_questionnaire
from ..responses import RULES
from .schema import StudyDef, known_keys

__all__ = ["Study", "load_study"]


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: its definition, the questionnaire it names, and its folder."""

    definition: StudyDef
    questionnaire: Questionnaire
    folder: Path
    source: str

    def path(self, relative: str) -> Path:
        """A file named in the study, relative to the study file."""
        return (self.folder / relative).resolve()

    @property
    def index_constructs(self) -> list[str]:
        d = self.definition
        constructs = self.questionnaire.definition.constructs
        return list(d.indices) if d.indices else [c for c, v in constructs.items() if v.index]

    @property
    def ipma_target(self) -> str | None:
        d = self.definition
        names = list(self.questionnaire.definition.constructs)
        if d.ipma_target:
            return d.ipma_target
        return next((c for c in names if "loy" in c.lower()), names[-1] if names else None)


def load_study(path: str | Path) -> Study:
    """Read and check a study file: every name it uses must exist."""
    p = Path(path)
    if not p.exists() and p.suffix == "" and len(p.parts) == 1:
        from .._resources import bundled_dir

        candidate = bundled_dir("studies") / f"{p.name}.yaml"
        if candidate.exists():
            p = candidate
    source = str(path)
    marked = load_marked(read_text(p), source)
    d = validate(marked, StudyDef, known_keys(), "a study: id:, title:, questionnaire:, data: …")
    folder = p.resolve().parent
    q_path = folder / d.questionnaire
    if not q_path.exists():  # a bundled instrument, by id or by a path to its file
        from .._resources import bundled_questionnaire

        bundled = bundled_questionnaire(Path(d.questionnaire).stem)
        q_path = bundled if bundled.exists() else Path(d.questionnaire)
    try:
        q = load_questionnaire(q_path)
    except InputError as exc:
        if "no such file" in exc.msg and exc.path == str(q_path):
            raise marked.error(f"questionnaire {d.questionnaire!r} not found (relative to the "
                               "study file, or a bundled id such as 'ccsi')",
                               ("questionnaire",)) from None
        raise
    _check_names(d, q, marked, folder)
    return Study(d, q, folder, source)


def _check_names(d: StudyDef, q: Questionnaire, m: MarkedYAML, folder: Path) -> None:
    constructs = q.definition.constructs
    for k, rule in enumerate(d.exclude):
        if rule not in RULES:
            raise m.error(f"unknown screening rule {rule!r}", ("exclude", k),
                          hint=f"rules are {', '.join(RULES)}")
    if d.weight and (d.weight not in q.items or q.items[d.weight].role != "weight"):
        raise m.error(f"weight {d.weight!r} is not a weight item of the questionnaire",
                      ("weight",))
    for k, g in enumerate(d.groups):
        if g not in q.items or q.items[g].role != "group":
            raise m.error(f"group {g!r} is not a group item of the questionnaire",
                          ("groups", k), hint="group items: " +
                          ", ".join(q.items_with_role("group")))
    for k, c in enumerate(d.indices or []):
        if c not in constructs:
            raise m.error(f"index construct {c!r} is not in the questionnaire", ("indices", k))
    if d.ipma_target and d.ipma_target not in constructs:
        raise m.error(f"ipma_target {d.ipma_target!r} is not a construct", ("ipma_target",))
    for k, src in enumerate(d.data):
        if (src.path is None) == (src.simulate is None):
            raise m.error("each data entry needs exactly one of 'path' or 'simulate'",
                          ("data", k))
        if src.path and not (folder / src.path).is_file():
            raise m.error(f"data file {src.path!r} not found", ("data", k, "path"))
    if d.waves and (d.waves not in q.items or q.items[d.waves].role != "group"):
        raise m.error(f"waves {d.waves!r} is not a group item of the questionnaire", ("waves",))
    if d.current_wave is not None and not d.waves:
        raise m.error("current_wave needs waves: (the group item holding the wave)",
                      ("current_wave",))
    if d.pooled and not d.waves:
        raise m.error("pooled: true pools waves and needs waves:", ("pooled",))
    for k, g in enumerate(d.report.client_group or {}):
        if g not in d.groups and g != d.waves:
            raise m.error(f"client_group item {g!r} is not one of the study's groups",
                          ("report", "client_group", g), key=True,
                          hint="groups: " + ", ".join(d.groups))
    for g in d.report.group_labels:
        if g not in d.groups and g != d.waves:
            raise m.error(f"group_labels item {g!r} is not one of the study's groups",
                          ("report", "group_labels", g), key=True)
    a = d.analytics
    items_or_constructs = set(q.items) | set(constructs)
    if a.typology is not None:
        if a.typology.attitude not in items_or_constructs:
            raise m.error(f"typology attitude {a.typology.attitude!r} is neither a construct "
                          "nor an item", ("analytics", "typology", "attitude"))
        if a.typology.behaviour != "transactions" and a.typology.behaviour not in q.items:
            raise m.error(f"typology behaviour {a.typology.behaviour!r} is not an item (or "
                          "'transactions')", ("analytics", "typology", "behaviour"))
        if a.typology.behaviour == "transactions" and a.transactions is None:
            raise m.error("typology behaviour 'transactions' needs an analytics.transactions "
                          "entry", ("analytics", "typology", "behaviour"))
    for k, item in enumerate(a.csat):
        if item not in q.items:
            raise m.error(f"CSAT item {item!r} is not in the questionnaire",
                          ("analytics", "csat", item), key=True)
    if a.kano and not any(it.role.startswith("kano_") for it in q.items.values()):
        raise m.error("analytics.kano is on but the questionnaire has no Kano items",
                      ("analytics", "kano"))
    t = a.transactions
    if t is not None:
        if (t.path is None) == (t.simulate is None):
            raise m.error("transactions need exactly one of 'path' or 'simulate'",
                          ("analytics", "transactions"))
        if t.path and not (folder / t.path).is_file():
            raise m.error(f"transaction file {t.path!r} not found",
                          ("analytics", "transactions", "path"))
        if not q.role_item("id"):
            raise m.error("linking transactions needs an item with role 'id' in the "
                          "questionnaire", ("analytics", "transactions"))
    lang = d.report.language
    if lang not in q.languages:
        raise m.error(f"report language {lang!r} is not a language of the questionnaire",
                      ("report", "language"), hint=f"it has {', '.join(q.languages)}")
    for key in ("logo", "template"):
        rel = getattr(d.report, key)
        if rel and not (folder / rel).exists():
            raise m.error(f"report {key} {rel!r} not found", ("report", key))
    if d.report.template and not (folder / d.report.template).is_dir():
        raise m.error(f"report template {d.report.template!r} is not a folder",
                      ("report", "template"))
    if d.report.logo:
        from .._assets import image_kind

        try:
            image_kind(folder / d.report.logo)
        except ValueError as exc:
            raise m.error(f"report logo {d.report.logo!r} is not accepted: {exc}",
                          ("report", "logo"), hint="a PNG, JPEG or SVG image") from None
