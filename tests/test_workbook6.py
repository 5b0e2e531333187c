"""tables.xlsx in the report's language and the appendix/cover wording (issue 27, items 8
and 4): both workbooks of a study hold the same sheets with the same shapes, no formula
cell and no raw code as a heading; the cleaning log says what was simulated; the cover
writes its date as the body does; the appendix shows a pair's single indirect chain once,
leaves near-zero chains to the workbook and a single item's loading as fixed."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

openpyxl = pytest.importorskip("openpyxl")

from crmsurvey._catalogue import catalogue  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The example studies whose shared runs (tests/_studies.py) these tests read.
STUDIES = ("shape_single", "shape_waves", "shape_segments", "shape_brands", "example_file",
           "demo_ccsi")
#: Headings that are notation in every language (a statistic's letter).
NOTATION = {"n", "p", "t", "z", "c", "df"}


def _books(run) -> dict[str, "openpyxl.Workbook"]:
    """The run's workbook per language: tables.xlsx of the English run and the
    tables.zh-CN.xlsx its Chinese re-rendering wrote."""
    return {"en": openpyxl.load_workbook(run.folder("en") / "tables.xlsx"),
            "zh-CN": openpyxl.load_workbook(run.folder("zh-CN") / "tables.zh-CN.xlsx")}


@pytest.mark.parametrize("name", STUDIES)
def test_both_workbooks_have_the_same_sheets_worded_and_no_formula(bundled_runs, name):
    run = bundled_runs[name]
    books = _books(run)
    shapes = {lang: [(ws.max_row, ws.max_column) for ws in wb.worksheets]
              for lang, wb in books.items()}
    assert shapes["en"] == shapes["zh-CN"], name
    # every table the run wrote as CSV is a sheet (plus the notes sheet), in both
    csvs = sorted(run.folder("en").glob("*.csv"))
    assert len(books["en"].worksheets) == len(csvs) + 1
    raw = {c for f in csvs for c in f.read_text(encoding="utf-8-sig").splitlines()[0]
           .split(",")} | {f.stem for f in csvs}
    for lang, wb in books.items():
        for ws in wb.worksheets:
            assert ws.title not in raw - NOTATION, (name, lang, ws.title)
            heads = [c.value for c in ws[1]]
            for head in heads:
                assert isinstance(head, str) and head, (name, lang, ws.title, heads)
                assert head in NOTATION or head not in raw, (name, lang, ws.title, head)
                assert "_" not in head, (name, lang, ws.title, head)
                if lang == "zh-CN":  # no lowercase identifier left in the Chinese book
                    assert head in NOTATION or not re.fullmatch(r"[a-z][a-z0-9_ ]*", head), (
                        name, ws.title, head)
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, lang, ws.title, cell.coordinate)
    # no code left in a Chinese cell (variable names — the questionnaire's items and the
    # weighting variables — are the user's names, kept)
    results = run.results()
    own = set(results.model.items) | set(results.weighting.variables
                                         if results.weighting else ())
    for ws in books["zh-CN"].worksheets[:-1]:  # the last: the notes (the study's own ids)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                v = cell.value
                if isinstance(v, str) and v not in own:
                    assert not re.fullmatch(r"[a-z][a-z_ ]*[a-z]", v), (name, ws.title, v)
    # lavaan's operators stay text (=~ is no formula) where the run has CB-SEM
    cb = run.folder("en") / "cbsem_estimates.csv"
    if cb.exists():
        for wb in books.values():
            cells = {c.value for ws in wb.worksheets for row in ws.iter_rows(min_row=2)
                     for c in row}
            assert "=~" in cells


def _simulated(study: str) -> tuple[str, dict]:
    """The study file's questionnaire (a name or a path) and its simulate: entry."""
    text = (ROOT / "studies" / f"{study}.yaml").read_text(encoding="utf-8")
    d = yaml.safe_load(text)
    q = d["questionnaire"]
    return (q if "/" not in q else str(ROOT / "studies" / q)), d["data"][0]["simulate"]


@pytest.mark.parametrize("name", ["shape_waves", "demo_ccsi"])
def test_the_cleaning_log_says_what_was_simulated(bundled_runs, name):
    """The count is what simulate() drew: n per level of the first group item (one brand
    over three waves: n in all) — checked by drawing the same respondents again, clean."""
    import crmsurvey as cs
    from crmsurvey.simulation import SimulationSettings

    source, sim = _simulated(name)
    run = bundled_runs[name]
    q = cs.load_questionnaire(source)
    drawn = cs.simulate(q, sim["n"], seed=sim["seed"], groups=sim.get("groups"),
                        settings=SimulationSettings(messy=False))
    total = len(drawn)
    first = next(iter(sim.get("groups") or {}), None)
    levels = len(sim["groups"][first]) if first else 1
    assert total == sim["n"] * levels
    for lang, wb in _books(run).items():
        t = catalogue(lang)
        ws = wb[t["sheet:cleaning_log"][:31]]
        source = ws.cell(row=2, column=1).value
        assert "per group" not in source and "seed=" not in source
        assert f"{total}" in source and str(sim["seed"]) in source, (lang, source)
        if levels == 1:
            assert source == t["source_simulated"].format(n=total, seed=sim["seed"])
        else:
            assert str(sim["n"]) in source and str(levels) in source, (lang, source)


class _Page(HTMLParser):
    """The cover's text and every table of an HTML report, each under the heading
    (h1–h3) before it: ``tables[heading]`` = rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.cover, self.tables, self.heading = [], {}, ""
        self._in_cover = self._in_heading = False
        self._depth = 0
        self._rows: list | None = None
        self._cell: list | None = None
        self._notes: dict[str, list[str]] = {}
        self._para: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section" and ("class", "cover") in attrs:
            self._in_cover = True
        if tag in ("h1", "h2", "h3"):
            self._in_heading, self.heading = True, ""
        if tag == "table":
            self._rows = []
        if tag == "tr" and self._rows is not None:
            self._rows.append([])
        if tag in ("td", "th") and self._rows is not None:
            self._cell = []
        if tag == "p":
            self._para = []

    def handle_endtag(self, tag):
        if tag == "section":
            self._in_cover = False
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False
        if tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "table" and self._rows is not None:
            self.tables.setdefault(self.heading.strip(), []).append(self._rows)
            self._rows = None
        if tag == "p" and self._para is not None:
            self._notes.setdefault(self.heading.strip(), []).append("".join(self._para))
            self._para = None

    def handle_data(self, data):
        if self._in_cover:
            self.cover.append(data.strip())
        if self._in_heading:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data)
        if self._para is not None:
            self._para.append(data)

    def notes(self, heading: str) -> str:
        return " ".join(self._notes.get(heading, []))


def _page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_cover_writes_the_date_as_the_body_does(bundled_runs, lang):
    from babel.dates import format_date

    run = bundled_runs["shape_single"]
    results = run.results()
    t = catalogue(lang)
    cover = [x for x in _page(run.html(lang)).cover if x]
    created = dt.date.fromisoformat(results.settings.created)
    shown = format_date(created, format="medium", locale=lang.replace("-", "_"))
    assert results.settings.created not in cover
    # the date under its own label, the questionnaire's title under its own
    assert cover[cover.index(t["cover_date"]) + 1] == shown
    title = results.study.questionnaire["title"]
    title = title.get(lang) if isinstance(title, dict) else title
    assert cover[cover.index(t["cover_questionnaire"]) + 1] == title


def _indirect(run, lang: str) -> tuple[list[list[str]], str]:
    page = _page(run.html(lang))
    t = catalogue(lang)
    (table,) = page.tables[t["indirect_title"]]
    return table[1:], page.notes(t["indirect_title"])


def _headline_indirect(run) -> list[dict]:
    r = run.results()
    head = next(m for m in r.models if m.group == r.headline.group)
    return head.indirect


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_pair_with_one_chain_shows_the_chain_only(bundled_runs, lang):
    run = bundled_runs["shape_single"]
    rows = _headline_indirect(run)
    chains = [r for r in rows if r["through"] != "total"]
    assert len(chains) == 1 and len(rows) == 2  # the fixture: one chain and its total
    shown, note = _indirect(run, lang)
    assert len(shown) == 1
    assert catalogue(lang)["total_indirect"] not in shown[0]
    assert "xlsx" not in note


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_near_zero_chains_are_left_to_the_workbook(bundled_runs, lang):
    """Kept: every total of a pair with several chains, and every chain whose interval
    excludes zero or whose size is at least .01 (a pair's only chain stands for its
    total); the note counts the rest and names the workbook of the report's language,
    which keeps every chain."""
    run = bundled_runs["shape_waves"]
    rows = _headline_indirect(run)
    per_pair: dict = {}
    for r in rows:
        if r["through"] != "total":
            per_pair[r["from"], r["to"]] = per_pair.get((r["from"], r["to"]), 0) + 1
    keep = [r for r in rows if (r["through"] == "total" and per_pair.get((r["from"], r["to"]), 0) != 1)
            or (r["through"] != "total" and (per_pair[r["from"], r["to"]] == 1
                                             or abs(r["est"]) >= 0.01
                                             or r["ci_lower"] > 0 or r["ci_upper"] < 0))]
    left = len([r for r in rows if r["through"] != "total"]) - len(
        [r for r in keep if r["through"] != "total"])
    assert left > 0, "the fixture has near-zero chains"
    shown, note = _indirect(run, lang)
    assert len(shown) == len(keep)
    file = "tables.xlsx" if lang == "en" else "tables.zh-CN.xlsx"
    assert str(left) in note and file in note
    # the workbook keeps them all (every model's rows)
    t = catalogue(lang)
    ws = _books(run)[lang][t["sheet:indirect"][:31]]
    every = sum(len(m.indirect or []) for m in run.results().models)
    assert ws.max_row - 1 == every


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_single_item_loading_is_shown_as_fixed(bundled_runs, lang):
    run = bundled_runs["shape_waves"]
    results = run.results()
    single = {c for c, items in results.model.constructs.items() if len(items) == 1}
    assert single, "the fixture has a single-item construct (complaints)"
    names = {c: (v.get(lang) or v.get("en")) for c, v in results.model.labels.items()}
    t = catalogue(lang)
    (table,) = _page(run.html(lang)).tables[t["loadings"]]
    rows = {r[0]: r for r in table[1:] if r}
    for c in single:
        row = rows[names[c]]
        assert row[2] == t["loading_fixed"] and row[3] == "–", row


def test_run_only_tables_read_back_as_the_run_wrote_them(bundled_runs, tmp_path):
    """A table only the run could make (complaints) comes back from its CSV with its
    formula-like text restored (the CSV's apostrophe guard removed), group levels as
    text, and numbers as numbers; in the workbook the text is a string cell."""
    import io
    import shutil

    import pandas as pd

    from crmsurvey.study.export import bundle_tables, neutralise, results_tables
    from crmsurvey.study.workbook import workbook

    run = bundled_runs["shape_waves"]
    folder = tmp_path / "bundle"
    shutil.copytree(run.folder("en"), folder)
    path = folder / "complaints.csv"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    frame["reason"] = frame["reason"].astype(object)
    frame.loc[0, "reason"] = "=HYPERLINK(\"x\")"
    neutralise(frame).to_csv(path, index=False, encoding="utf-8-sig")
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8-sig")
    results = run.results()
    tables = bundle_tables(results, folder)
    assert "complaints" not in results_tables(results) and "complaints" in tables
    back = tables["complaints"]
    assert back.loc[0, "reason"] == "=HYPERLINK(\"x\")"
    assert back.loc[0, "n"] == frame.loc[0, "n"] and back["rate"].dtype.kind == "f"
    assert back["group"].map(type).eq(str).all()
    book = openpyxl.load_workbook(io.BytesIO(workbook(tables, results, lang="zh-CN")))
    ws = book[catalogue("zh-CN")["sheet:complaints"][:31]]
    cell = next(c for row in ws.iter_rows(min_row=2) for c in row
                if c.value == "=HYPERLINK(\"x\")")
    assert cell.data_type == "s"
