"""Notes and reasons are data: every note a stage writes (reading a file, screening rules,
why a group was not analysed, how missing values were handled) is a code with parameters,
stored so in results.json and worded by each language's catalogue — nothing is parsed back
from English.

- every code the code base can produce (found by scanning the source) is known to
  :mod:`crmsurvey.notes` and has an entry in every catalogue, translated, with the same
  placeholders in every language;
- a study with loader notes, skipped groups and dropped rows is reported in Chinese with
  each of them in Chinese and no English sentence; the loader notes stay out of the
  methodology.
"""
from __future__ import annotations

import html
import json
import re
import string
import typing
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey import notes as N
from crmsurvey._catalogue import catalogue, languages

PACKAGE = Path(cs.__file__).resolve().parent

#: A note made in code: ``Note("code"``, ``Note(code="code"`` (either Note class),
#: ``LogNote("code"``, or a choice ``Note("a" if ... else "b"``.
_MADE = re.compile(r'\b(?:Log)?Note\(\s*(?:code=)?"([a-z0-9_]+)"'
                   r'(?:\s+if\s[^"]*?\selse\s+"([a-z0-9_]+)")?')


def _codes_in_source() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for pair in _MADE.findall(path.read_text(encoding="utf-8")):
            found |= {c for c in pair if c}
    return found


def _disclosure_codes() -> set[str]:
    """The codes a :class:`Disclosure` holds, worded as ``dropped_<code>`` and
    ``missing_<code>``."""
    from crmsurvey.study.results import Disclosure

    def values(ann) -> set[str]:  # the strings of a Literal, also inside an Optional
        return {a for a in typing.get_args(ann) if isinstance(a, str)} | {
            v for a in typing.get_args(ann) if not isinstance(a, str) for v in values(a)}

    fields = Disclosure.model_fields

    return {f"dropped_{c}" for c in values(fields["dropped_reason"].annotation)} | \
        {f"missing_{c}" for c in values(fields["missing_method"].annotation)}


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_code_made_is_known_and_every_known_code_is_made():
    made = _codes_in_source() | _disclosure_codes()
    assert made, "the scan found no notes"
    assert made - set(N.CODES) == set(), "codes made but not listed in notes.CODES"
    assert set(N.CODES) - made == set(), "codes listed but made nowhere"
    assert len(set(N.CODES)) == len(N.CODES)
    assert set(N.SCREENING_CODES) <= set(N.CODES)


def _made_with_params(classes: tuple[str, ...] = ("Note", "LogNote"), at: int = 1,
                      ) -> list[tuple[str, object, set[str]]]:
    """Every call of ``classes`` in the package with literal parameters (the ``params``
    keyword or the positional argument ``at``): (where, code, the parameter names it
    gives). A code is a literal string, or for an f-string (``f"{key}_skipped"``) the
    pattern it matches (a compiled regular expression)."""
    import ast

    def code_of(node):
        if isinstance(node, ast.Constant):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return code_of(node.body) + code_of(node.orelse)
        if isinstance(node, ast.JoinedStr):
            return [re.compile("".join(re.escape(v.value) if isinstance(v, ast.Constant)
                                       else "[a-z0-9_]+" for v in node.values))]
        return []

    out = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None)
                    in classes):
                continue
            args = list(node.args) + [k.value for k in node.keywords if k.arg == "code"]
            codes = code_of(args[0]) if args else []
            given = node.args[at] if len(node.args) > at else next(
                (k.value for k in node.keywords if k.arg == "params"), None)
            if given is not None and not isinstance(given, ast.Dict):
                continue  # parameters built elsewhere: not checked here
            names = set() if given is None else {k.value for k in given.keys if k is not None}
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            out += [(where, c, names) for c in codes]
    return out


def test_every_note_made_gives_the_parameters_its_wording_needs():
    """Read from the source: each Note(...) call's literal parameters include every
    placeholder of its code's wording (in every language), so no note fails to render."""
    made = _made_with_params()
    assert len(made) >= 30, made
    for lang in languages():
        t = catalogue(lang)
        for where, code, names in made:
            needed = _fields(t[f"note:{code}"])
            assert needed <= names, (lang, where, code, needed - names)
        for code in _disclosure_codes():  # a Disclosure's codes come without parameters
            assert _fields(t[f"note:{code}"]) == set(), (lang, code)


@pytest.mark.parametrize("lang", languages())
def test_every_code_has_wording_in_every_catalogue(lang):
    source, own = catalogue("en"), catalogue(lang)
    for code in N.CODES:
        key = f"note:{code}"
        assert key in own, (lang, key)
        assert _fields(own[key]) == _fields(source[key]), (lang, key)
        if lang != "en":  # translated, not the English text read through
            assert own[key] != source[key], (lang, key)
    assert "list_sep" in own and "skipped_entry" in own


def test_no_english_is_parsed_back_into_codes():
    """The wording layer matches no English text against patterns any more."""
    from crmsurvey.report import i18n

    assert not hasattr(i18n, "screening_note")
    assert not any(k.startswith("screening:") for k in catalogue("en"))
    text = (PACKAGE / "report" / "context.py").read_text(encoding="utf-8")
    assert "re.fullmatch" not in text and "screening_note(" not in text


def test_note_is_a_value():
    a = N.Note("columns_ignored", {"n": 12, "columns": N.short_list(f"c{i}" for i in range(12))})
    assert a.params["columns"][-1] == "…" and len(a.params["columns"]) == 11
    b = N.Note.from_dict(json.loads(json.dumps(a.to_dict())))
    assert a == b and hash(a) == hash(b)
    assert N.unique([a, N.Note("too_few", {"min": 5}), b]) == [a, N.Note("too_few", {"min": 5})]
    # worded from the catalogue, lists joined with the language's separator
    assert str(N.Note("too_few", {"min": 5})) == catalogue("en")["note:too_few"].format(min=5)
    assert N.Note("wave_lacks_constructs", {"constructs": ["A", "B"]}).text("zh-CN").endswith(
        "A" + catalogue("zh-CN")["list_sep"] + "B")


def _sample(n: int = 200, seed: int = 5) -> pd.DataFrame:
    q = cs.load_questionnaire("ccsi")
    return cs.simulate(q, n, seed=seed, groups={"brand": ["A", "B", "C"],
                                                 "wave": ["2024", "2025", "2026"]})


def test_loader_notes_are_codes(tmp_path):
    """A file not in UTF-8 with a column the questionnaire lacks: the log says so in codes
    (no English in the log), worded in each language by the catalogue."""
    q = cs.load_questionnaire("ccsi")
    df = _sample(40).assign(**{"备注": "无"})
    path = tmp_path / "legacy.csv"
    path.write_bytes(df.to_csv(index=False).encode("gb18030"))
    r = cs.load_responses(q, path, exclude=["duplicate"])
    codes = [n.code for n in r.log.notes]
    assert codes[:2] == ["read_gb18030", "columns_ignored"], codes
    ignored = r.log.notes[1]
    assert ignored.params == {"n": 1, "columns": ["备注"]}
    assert {"screen_duplicate_id", "screen_straightlining", "screen_missing"} <= set(codes)
    assert all(isinstance(n, N.Note) for n in r.log.notes)
    logged = json.loads(json.dumps(r.log.to_dict()))["notes"]
    assert logged[1] == {"code": "columns_ignored", "params": {"n": 1, "columns": ["备注"]}}
    zh = ignored.text("zh-CN")
    assert "备注" in zh and not re.search(r"[A-Za-z]{3,}", zh)


def _make_study(root: Path) -> Path:
    """Two files (the first in GB18030, with a column the questionnaire lacks; the second
    repeating five rows of the first), a first wave without any answer to one construct,
    a brand too small in the current wave, and PLS with listwise deletion."""
    df = _sample()
    small = df.index[(df["brand"] == "C") & (df["wave"] == "2026")]
    df = df.drop(index=small[12:])
    q = cs.load_questionnaire("ccsi")
    lacking = list(q.definition.constructs)[0]
    df.loc[df["wave"] == "2024", q.definition.constructs[lacking].items] = np.nan
    df["备注"] = "无"
    half = len(df) // 2
    root.mkdir(parents=True, exist_ok=True)
    (root / "part1.csv").write_bytes(df.iloc[:half].to_csv(index=False).encode("gb18030"))
    df.iloc[half - 5:].to_csv(root / "part2.csv", index=False)
    (root / "study.yaml").write_text(
        "id: notes_study\n"
        "title: {en: Notes study, zh-CN: 说明研究}\n"
        "questionnaire: ccsi\n"
        "data: [{path: part1.csv}, {path: part2.csv}]\n"
        "exclude: [duplicate, screened_out, attention, speeder]\n"
        "groups: [brand]\nwaves: wave\nmin_group_size: 30\n"
        "pls: {bootstrap: 0, seed: 1, missing: listwise, fit_test: 0, predict_folds: 0}\n"
        "ipma_target: LOY\nreport: {language: en}\n", encoding="utf-8")
    return root / "study.yaml"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study run once; its results read back from results.json; its report's HTML
    in each language."""
    from crmsurvey.report.render import build_html
    from crmsurvey.study.load import load_study
    from crmsurvey.study.results import load_results
    from crmsurvey.study.run import run_study

    root = tmp_path_factory.mktemp("notes")
    done = run_study(load_study(_make_study(root)))
    (root / "results.json").write_text(done.results.to_json(), encoding="utf-8")
    results = load_results(root / "results.json")
    return results, {lang: build_html(results, lang=lang) for lang in ("en", "zh-CN")}


class _Text(HTMLParser):
    """The visible text of each chapter (by the id of its ``<h1>``)."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self._where, self._skip = "", 0

    def handle_starttag(self, tag, attrs):
        ids = dict(attrs).get("id")
        if tag == "h1" and ids:
            self._where = ids
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.sections.setdefault(self._where, []).append(data.strip())


def _sections(page: str) -> dict[str, str]:
    p = _Text()
    p.feed(page)
    return {k: "\n".join(v) for k, v in p.sections.items()}


def _notes_of(results):
    loader = [n for s in results.sample.sources for n in s.notes
              if n.code not in N.SCREENING_CODES]
    return loader, list(results.settings.screening_notes), [s.reason for s in results.skipped]


@pytest.mark.slow
def test_results_hold_codes(study):
    results, _ = study
    loader, rules, reasons = _notes_of(results)
    assert {n.code for n in loader} == {"read_gb18030", "columns_ignored", "repeat_rows"}
    repeat = next(n for n in loader if n.code == "repeat_rows")
    assert repeat.params == {"n": 5, "sources": ["part1.csv"]}
    assert rules and {n.code for n in rules} <= set(N.SCREENING_CODES)
    lacking = list(cs.load_questionnaire("ccsi").definition.constructs)[0]
    assert {(r.code, json.dumps(r.params)) for r in reasons} == {
        ("wave_lacks_constructs", json.dumps({"constructs": [lacking]})),
        ("too_few", json.dumps({"min": 30}))}
    for m in results.models:
        assert m.disclosure.missing_method == "listwise"
        assert (m.disclosure.dropped_reason == "listwise") == (m.disclosure.dropped > 0)
    assert any(m.disclosure.dropped > 0 for m in results.models)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_report_words_every_note_in_its_language(study, lang):
    """Every loader note, screening rule, skip reason and missing-data method is printed
    from the catalogue of the report's language; the loader notes only in the appendix."""
    results, pages = study
    page = html.unescape(pages[lang])
    other = "en" if lang == "zh-CN" else "zh-CN"
    loader, rules, reasons = _notes_of(results)
    for note in loader + rules + [r for r in reasons if r.code != "wave_lacks_constructs"]:
        assert N.note_text(note, lang) in page, (lang, note)
        assert N.note_text(note, other) not in page, (lang, note)
    sep = catalogue(lang)["list_sep"]
    label = {c: (v.get(lang) or v.get("en")) for c, v in results.model.labels.items()}
    lacks = next(r for r in reasons if r.code == "wave_lacks_constructs")
    named = catalogue(lang)["note:wave_lacks_constructs"].format(
        constructs=sep.join(label[c] for c in lacks.params["constructs"]))
    assert named in page  # the construct by its name, not its id
    method = catalogue(lang)["note:missing_listwise"]
    assert method in page
    # the method text says what the models did with missing answers: listwise, as asked
    assert catalogue(lang)["pls_missing_listwise"] in page
    assert catalogue(lang)["pls_missing_mean"] not in page
    assert catalogue(lang)["pls_missing_mean_one"] not in page
    sections = _sections(pages[lang])
    methodology = sections.get("methodology", "")
    assert methodology, sorted(sections)
    for note in loader:
        assert N.note_text(note, lang) not in methodology


@pytest.mark.slow
def test_chinese_report_has_no_english_sentence_in_its_notes(study):
    """The Chinese report's sample chapter, methodology and appendix — where the notes,
    the skipped groups and the rows each model used are printed — hold no run of three
    English words."""
    _, pages = study
    sections = _sections(pages["zh-CN"])
    english = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'()-]+[A-Za-z]{2,}){2,}")
    for key in ("sample", "methodology", "appendix"):
        text = sections.get(key, "")
        assert text, (key, sorted(sections))
        assert not english.findall(text), (key, english.findall(text)[:5])


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_rows_dropped_for_a_zero_weight_are_said(study, lang):
    """Rows a model left out for another reason than its missing-data method (a zero
    sampling weight beside item-mean replacement) are said beside the method; rows left
    out by listwise deletion are not said twice."""
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import Results

    results, pages = study
    data = json.loads(results.to_json())
    x = data["models"][0]["disclosure"]
    x.update(missing_method="mean", dropped_reason="zero_weight", dropped=3,
             used=x["rows"] - 3, cells_imputed=0)
    page = html.unescape(build_html(Results.model_validate(data), lang=lang))
    t = catalogue(lang)
    said = t["handling_dropped"].format(method=t["note:missing_mean"],
                                        reason=t["note:dropped_zero_weight"])
    assert said in page
    listwise = t["handling_dropped"].format(method=t["note:missing_listwise"],
                                            reason=t["note:dropped_listwise"])
    assert listwise not in html.unescape(pages[lang])


@pytest.fixture(scope="module")
def pseudo(tmp_path_factory):
    """A pseudo-locale ``en-XA`` made here from the English source: every entry wrapped in
    ⟦ ⟧ with its letters accented (placeholders kept); the catalogue folder swapped for
    one holding it."""
    import shutil

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from crmsurvey import _catalogue

    accented = str.maketrans("aeiouycnAEIOUYCN", "áéíóúýçñÁÉÍÓÚÝÇÑ")

    def transformed(text: str) -> str:
        parts = re.split(r"(\{[^{}]*\})", text)
        return "⟦" + "".join(p if p.startswith("{") else p.translate(accented)
                             for p in parts) + "⟧"

    where = tmp_path_factory.mktemp("pseudo")
    source = _catalogue.LOCALES_DIR / "messages.pot"
    shutil.copy(source, where / "messages.pot")
    cat = Catalog(locale="en")
    with open(source, "rb") as f:
        for m in read_po(f, charset="utf-8"):
            if m.id:
                text = transformed(m.id) if isinstance(m.id, str) else \
                    tuple(map(transformed, m.id))  # a plural entry: each form
                cat.add(m.id, text, context=m.context, flags=m.flags)
    with open(where / "en_XA.po", "wb") as f:
        write_po(f, cat)
    mp = pytest.MonkeyPatch()
    mp.setattr(_catalogue, "LOCALES_DIR", where)
    yield "en-XA"
    mp.undo()


class _Items(HTMLParser):
    """The text of every list item (``<li>``), by chapter (the id of its ``<h1>``)."""

    def __init__(self):
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self._chapter, self._li = "", None

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and dict(attrs).get("id"):
            self._chapter = dict(attrs)["id"]
        if tag == "li":
            self._li = []

    def handle_endtag(self, tag):
        if tag == "li" and self._li is not None:
            self.items.append((self._chapter, " ".join(self._li)))
            self._li = None

    def handle_data(self, data):
        if self._li is not None:
            self._li.append(data)


@pytest.mark.slow
def test_pseudo_locale_every_note_and_reason_comes_from_the_catalogue(study, pseudo):
    """In a pseudo-locale, each list item of the sample chapter, the methodology and the
    appendix (the notes, screening rules and skipped groups) is catalogue text: with the
    ⟦…⟧ spans and the user's data (group levels, file and column names, item ids,
    construct ids and labels) taken out, no letter is left."""
    from crmsurvey.report.render import build_html

    results, _ = study
    parser = _Items()
    parser.feed(html.unescape(build_html(results, lang=pseudo)))
    items = [text for chapter, text in parser.items
             if chapter in ("sample", "methodology", "appendix")]
    user = {v for row in results.indices for v in row.group.values()}
    user |= {s.source for s in results.sample.sources} | {"备注", "resp_id"}
    user |= set(results.model.items) | set(results.model.labels)
    user |= {t for v in results.model.labels.values() for t in v.values()}
    notes = [n for s in results.sample.sources for n in s.notes] + \
        [s.reason for s in results.skipped]
    assert len(items) >= len({n.code for n in notes}), items
    for text in items:
        left = text
        while (cut := re.sub(r"⟦[^⟦⟧]*⟧", " ", left)) != left:
            left = cut
        for u in sorted(user, key=len, reverse=True):
            left = left.replace(u, " ")
        assert not re.search(r"[^\W\d_]", left), (text, left)
