"""Load and validate a study YAML file (same error style as questionnaires)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .._catalogue import language_hint, languages
from .._yaml import MarkedYAML, load_marked, read_text, validate
from ..errors import InputError
from ..questionnaire import Questionnaire, load_questionnaire
from ..responses import RULES
from ..responses.constants import value_refusal
from . import limits as L
from .schema import DataSource, StudyDef, TransactionOptions, known_keys

__all__ = ["Study", "load_study"]


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: its definition, the questionnaire it names, and its folder."""

    definition: StudyDef
    questionnaire: Questionnaire
    folder: Path
    source: str
    root: Path | None = None  # files the study reads lie inside it (default: ``folder``)
    file: Path | None = None  # the study file itself, resolved

    def path(self, relative: str) -> Path:
        """A file named in the study, relative to the study file, links followed; one
        outside the study's root is an InputError."""
        return inside_root(self.root or self.folder, self.folder, relative, "file",
                           source=self.source)

    def error(self, msg: str, loc: tuple, *, key: bool = False, hint: str = "") -> InputError:
        """An InputError at the study file's line of ``loc`` (a checked file re-read for
        its positions: an error found once the data are read, e.g. a level not in them)."""
        if self.file is None or not self.file.is_file():
            return InputError(msg, path=self.source, hint=hint)
        return load_marked(read_text(self.file), self.source).error(msg, loc, key=key,
                                                                     hint=hint)

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


#: How a refusal says where the root comes from and how to widen it.
ROOT_HINT = ("files a study reads must lie inside the study's folder, or inside the "
             "folder given with --root DIR")


def inside_root(root: Path, folder: Path, relative: str, what: str, *,
                source: str | None = None, marked: MarkedYAML | None = None,
                loc: tuple = ()) -> Path:
    """``folder / relative`` with every link followed, refused (InputError naming the
    path, at the study file's line where known) unless it lies inside ``root``."""
    target = (folder / relative).resolve()
    root = root.resolve()
    if target == root or root in target.parents:
        return target
    msg = f"{what} {relative!r} is outside the study's root folder {str(root)!r}"
    if marked is not None:
        raise marked.error(msg, loc, hint=ROOT_HINT)
    raise InputError(msg, path=source, hint=ROOT_HINT)


def load_study(path: str | Path, *, root: str | Path | None = None) -> Study:
    """Read and check a study file: every name it uses must exist, and every file it
    reads must lie inside ``root`` (default: the study's folder) after links are
    followed. A :class:`Study` is returned as it is."""
    if isinstance(path, Study):
        return path
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
    base = Path(root).resolve() if root is not None else folder
    if root is not None and not base.is_dir():
        raise InputError("the --root folder does not exist", path=str(root))
    q_path = _questionnaire_path(d.questionnaire, folder, base, marked)
    q = load_questionnaire(q_path)
    _check_limits(d, marked)
    _check_names(d, q, marked, folder, base)
    if d.weighting is not None:
        from .weighting import check_weighting

        check_weighting(d, q, marked, folder, base)
    if d.design is not None or d.rake_in_bootstrap:
        from .design import check_design

        check_design(d, q, marked)
    return Study(d, q, folder, source, base, p.resolve())


#: Where a study shows text to readers (a title or a label), by the start of its place.
_DISPLAY = (("title",), ("report", "title"), ("report", "subtitle"), ("report", "client"),
            ("report", "author"), ("report", "group_labels"), ("report", "group_names"),
            ("fieldwork",))


def _texts(data, loc: tuple = ()):
    """Every string in plain YAML data (keys too), with its place."""
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str):
                yield loc + (k,), k
            yield from _texts(v, loc + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _texts(v, loc + (i,))


def _threshold_refusal(q: Questionnaire, item: str, value: float, *, top: bool = False
                       ) -> str:
    """Why ``value`` cannot be a threshold on ``item``'s scale ("" when it can): off the
    scale, or (a top box, ``top``) at its lowest point, where every answer counts."""
    bounds = q.item_bounds(item)
    if bounds is None:
        return ""
    lo, hi = bounds
    if not lo <= value <= hi:
        return f"it lies off the item's scale {lo:g}–{hi:g}"
    if top and value <= lo:
        return f"every answer on the scale {lo:g}–{hi:g} is at or above it"
    return ""


def _top2_hint(q: Questionnaire, item: str) -> str:
    lo, hi = q.item_bounds(item) or (0, 0)
    return (f"the top-2 box of {lo:g}–{hi:g} is {hi - 1:g}: the share answering {hi - 1:g} "
            f"or {hi:g}") if hi - lo >= 2 else ""


def _check_limits(d: StudyDef, m: MarkedYAML) -> None:
    """The limits of :mod:`.limits`, checked before any data are read."""
    for loc, text in _texts(m.data):
        display = any(loc[:len(p)] == p for p in _DISPLAY) or (
            len(loc) > 3 and loc[0] == "data" and loc[2:4] == ("simulate", "groups"))
        most = L.MAX_TEXT_CHARS if display else L.MAX_STRING_CHARS
        if len(text) > most:
            raise m.error(f"{'.'.join(map(str, loc))}: a text of {len(text):,} characters "
                          f"(at most {most:,} here)", loc, key=loc[-1] == text)
    most = L.max_resamples()
    asked = []
    if d.pls is not None:
        asked += [(("pls", "bootstrap"), d.pls.bootstrap), (("pls", "fit_test"), d.pls.fit_test)]
    if d.cbsem is not None:
        asked.append((("cbsem", "bootstrap"), d.cbsem.bootstrap))
    if d.compare is not None:
        asked += [(("compare", "permutations"), d.compare.permutations),
                  (("compare", "bootstrap"), d.compare.bootstrap)]
    for loc, n in asked:
        if n > most:
            raise m.error(f"{'.'.join(loc)}: {n:,} resamples, more than the limit of "
                          f"{most:,}", loc, hint="set CRMSURVEY_MAX_RESAMPLES to allow more")
    if d.pls is not None:
        for key, limit in (("predict_folds", L.MAX_PREDICT_FOLDS),
                           ("predict_reps", L.MAX_PREDICT_REPS)):
            if getattr(d.pls, key) > limit:
                raise m.error(f"pls.{key}: at most {limit:,}", ("pls", key))
    for k, src in enumerate(d.data):
        sim = src.simulate
        if sim is not None:
            rows = sim.n * max([len(v) for v in sim.groups.values()] + [1])
            if rows > L.MAX_SIMULATED_ROWS:
                raise m.error(f"simulate: {rows:,} rows, more than the limit of "
                              f"{L.MAX_SIMULATED_ROWS:,}", ("data", k, "simulate", "n"))
    if isinstance(d.engine, int) and d.engine > L.MAX_WORKERS:
        raise m.error(f"engine: {d.engine:,} workers, more than the limit of "
                      f"{L.MAX_WORKERS}", ("engine",))


def _questionnaire_path(name: str, folder: Path, root: Path, m: MarkedYAML) -> Path:
    """The questionnaire file: inside the root, or one of the bundled instruments (by
    id, or by a path that leads to a bundled file, as the shipped demo names it)."""
    from .._resources import bundled_dir, bundled_questionnaire

    q_path = folder / name
    if not q_path.exists():  # a bundled instrument, by id or by a path to its file
        bundled = bundled_questionnaire(Path(name).stem)
        if bundled.exists():
            return bundled
        raise m.error(f"questionnaire {name!r} not found (relative to the study file, or a "
                      "bundled id such as 'ccsi')", ("questionnaire",))
    shipped = bundled_dir("questionnaires").resolve()
    if shipped in q_path.resolve().parents:
        return q_path.resolve()
    return inside_root(root, folder, name, "questionnaire", marked=m, loc=("questionnaire",))


def _check_complaints(c, q: Questionnaire, m: MarkedYAML, ipma_target: str | None) -> None:
    """``analytics.complaints``: a yes/no item, its "yes" code, a rating item for the
    handling and a construct for loyalty — each refused at its line."""
    loc = ("analytics", "complaints")
    sc = q.scale(c.item) if c.item in q.items else None
    if sc is None or sc.type != "binary":
        raise m.error(f"complaint item {c.item!r} is not a yes/no (binary) item of the "
                      "questionnaire", (*loc, "item"), hint="binary items: " + ", ".join(
                          i for i in q.items if getattr(q.scale(i), "type", "") == "binary"))
    if c.yes_code is None and 1 not in sc.values:
        raise m.error(f"complaint item {c.item!r} has no code 1: say which code means "
                      "'complained'", (*loc, "item"), hint="add yes_code: CODE (codes: " +
                      ", ".join(str(v) for v in sc.values) + ")")
    if c.yes_code is not None and c.yes_code not in sc.values:
        raise m.error(f"complaint code {c.yes_code} is not a code of {c.item!r}",
                      (*loc, "yes_code"),
                      hint="codes: " + ", ".join(str(v) for v in sc.values))
    if c.handling is not None and getattr(q.scale(c.handling) if c.handling in q.items
                                          else None, "type", None) != "rating":
        raise m.error(f"complaint handling {c.handling!r} is not a rating item of the "
                      "questionnaire", (*loc, "handling"))
    constructs = q.definition.constructs
    if c.loyalty is not None and c.loyalty not in constructs:
        raise m.error(f"complaint loyalty {c.loyalty!r} is not a construct", (*loc, "loyalty"),
                      hint="constructs: " + ", ".join(constructs))


def _refuse_open_text(d: StudyDef, q: Questionnaire, m: MarkedYAML) -> None:
    """An open-text item (answers in words) named where a number is needed: a CSAT
    item, a typology attitude or behaviour, a segment indicator or covariate."""
    a, seg = d.analytics, d.segments
    named = [(i, ("analytics", "csat", i), True) for i in a.csat]
    if a.typology is not None:
        named += [(a.typology.attitude, ("analytics", "typology", "attitude"), False),
                  (a.typology.behaviour, ("analytics", "typology", "behaviour"), False)]
    if seg is not None:
        named += [(i, ("segments", key, k), False) for key in ("indicators", "covariates")
                  for k, i in enumerate(getattr(seg, key))]
    for item, loc, key in named:
        if item in q.items and q.items[item].open_text:
            raise m.error(f"{item!r} is an open-text item: its answers are words, not "
                          "numbers", loc, key=key, hint="name a rated item")


def _close_item(item: str, q: Questionnaire) -> str:
    if item in q.items:
        return ""
    close = difflib.get_close_matches(item, list(q.items), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def _check_names(d: StudyDef, q: Questionnaire, m: MarkedYAML, folder: Path,
                 root: Path) -> None:
    constructs = q.definition.constructs
    if d.engine is not None and not (d.engine in ("serial", "processes") or (
            isinstance(d.engine, int) and not isinstance(d.engine, bool) and d.engine >= 1)):
        network = isinstance(d.engine, str) and "://" in d.engine
        raise m.error(f"engine {d.engine!r} is not allowed in a study file" + (
            ": a network scheduler would receive the data" if network else ""), ("engine",),
            hint="a study file names 'serial', 'processes' or a worker count; give a Dask "
                 "scheduler with --scheduler or CRMSURVEY_SCHEDULER")
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
                          ("data", k), hint=DataSource.FORMS)
        if src.path:
            inside_root(root, folder, src.path, "data file", marked=m, loc=("data", k, "path"))
        if src.path and not (folder / src.path).is_file():
            raise m.error(f"data file {src.path!r} not found", ("data", k, "path"))
        for item, value in src.values.items():
            refusal = value_refusal(q, item, value)
            if refusal:
                raise m.error(f"values: {refusal}", ("data", k, "values", item),
                              key=item not in q.items, hint=_close_item(item, q))
    if d.waves and (d.waves not in q.items or q.items[d.waves].role != "group"):
        raise m.error(f"waves {d.waves!r} is not a group item of the questionnaire", ("waves",))
    if d.current_wave is not None and not d.waves:
        raise m.error("current_wave needs waves: (the group item holding the wave)",
                      ("current_wave",))
    if d.pooled and not d.waves:
        raise m.error("pooled: true pools waves and needs waves:", ("pooled",))
    if d.report.language not in languages():
        raise m.error(f"no catalogue for report language {d.report.language!r}",
                      ("report", "language"), hint=language_hint())
    for k, g in enumerate(d.report.client_group or {}):
        if g not in d.groups and g != d.waves:
            raise m.error(f"client_group item {g!r} is not one of the study's groups",
                          ("report", "client_group", g), key=True,
                          hint="groups: " + ", ".join(d.groups))
    for g in d.report.market_weights or {}:
        if g not in d.groups or g == d.waves:
            raise m.error(f"market_weights item {g!r} is not one of the study's groups",
                          ("report", "market_weights", g), key=True,
                          hint="groups: " + ", ".join(x for x in d.groups if x != d.waves))
    for field in ("group_labels", "group_names"):
        for g in getattr(d.report, field):
            if g not in d.groups and g != d.waves:
                raise m.error(f"{field} item {g!r} is not one of the study's groups",
                              ("report", field, g), key=True)
    a = d.analytics
    _refuse_open_text(d, q, m)
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
        refusal = _threshold_refusal(q, item, a.csat[item], top=True)
        if refusal:
            raise m.error(f"CSAT threshold {a.csat[item]:g} for {item!r}: {refusal}",
                          ("analytics", "csat", item), hint=_top2_hint(q, item))
    if a.typology is not None:
        for field, item in (("cut_attitude", a.typology.attitude),
                            ("cut_behaviour", a.typology.behaviour)):
            cut = getattr(a.typology, field)
            refusal = cut is not None and item in q.items and _threshold_refusal(q, item, cut)
            if refusal:
                raise m.error(f"typology {field} {cut:g} for {item!r}: {refusal}",
                              ("analytics", "typology", field))
    if a.kano and not any(it.role.startswith("kano_") for it in q.items.values()):
        raise m.error("analytics.kano is on but the questionnaire has no Kano items",
                      ("analytics", "kano"))
    if a.complaints is not None:
        _check_complaints(a.complaints, q, m, d.ipma_target)
    t = a.transactions
    if t is not None:
        if (t.path is None) == (t.simulate is None):
            raise m.error("transactions need exactly one of 'path' or 'simulate'",
                          ("analytics", "transactions"), hint=TransactionOptions.FORMS)
        if t.path:
            inside_root(root, folder, t.path, "transaction file", marked=m,
                        loc=("analytics", "transactions", "path"))
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
        if rel:
            inside_root(root, folder, rel, f"report {key}", marked=m, loc=("report", key))
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
