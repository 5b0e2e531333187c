"""The report's wording catalogues (crmsurvey/locales/, issue 27 item 2): every key in every
language, the same placeholders per key, no fuzzy or untranslated entry, and the wording
API reading them."""
from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from crmsurvey import _catalogue
from crmsurvey._format import date as format_date
from crmsurvey._format import number_locale
from crmsurvey.report import i18n

LOCALES = _catalogue.LOCALES_DIR
TRANSLATIONS = sorted(LOCALES.glob("*.po"))


def _fields(text) -> set[str]:
    """The placeholders of a message, or of every form of a plural one."""
    if not isinstance(text, str):  # plural forms (msgid, msgid_plural / msgstr[n])
        return set().union(*(_fields(t) for t in text))
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def _read(path):
    with open(path, "rb") as f:
        return read_po(f, charset="utf-8")


def _entries(path) -> dict[str, object]:
    return {m.context: m for m in _read(path) if m.id}


def test_there_is_a_source_and_a_chinese_catalogue():
    assert (LOCALES / "messages.pot").is_file()
    assert i18n.languages()[0] == "en" and "zh-CN" in i18n.languages()


@pytest.mark.parametrize("path", [LOCALES / "messages.pot", *TRANSLATIONS],
                         ids=lambda p: p.name)
def test_every_entry_has_one_unique_key(path):
    raw = path.read_text(encoding="utf-8")
    keys = re.findall(r'^msgctxt "(.*)"$', raw, flags=re.M)
    assert len(re.findall(r"^msgid ", raw, flags=re.M)) == len(keys) + 1  # + the header
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert dup == [], f"{path.name}: a key twice: {dup}"


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.name)
def test_every_key_in_every_language_with_its_placeholders(path):
    source, own = _entries(LOCALES / "messages.pot"), _entries(path)
    assert sorted(set(source) - set(own)) == [], f"{path.name} lacks these keys"
    assert sorted(set(own) - set(source)) == [], f"{path.name} has keys the source lacks"
    for key, m in own.items():
        assert m.id == source[key].id, f"{path.name} {key}: msgid differs from the source"
        assert not m.fuzzy, f"{path.name} {key}: fuzzy"
        assert m.string and all(m.string), f"{path.name} {key}: not translated"
        assert _fields(m.string) == _fields(m.id), f"{path.name} {key}: placeholders differ"


def test_source_entries_have_no_translation_and_formats_are_flagged():
    for key, m in _entries(LOCALES / "messages.pot").items():
        assert not any(m.string) if m.pluralizable else m.string == "", key
        assert not m.fuzzy, key
        if _fields(m.id):
            assert "python-brace-format" in m.flags, f"{key}: placeholders unflagged"


def test_the_api_reads_the_catalogues():
    zh, en = i18n.strings("zh-CN"), i18n.strings("en")
    assert en["contents"] == "Contents" and zh["contents"] == "目录"
    assert en["sentence_sep"] == " " and zh["sentence_sep"] == ""
    assert i18n.sentences("zh-CN") == {k.removeprefix("finding:"): v for k, v in
                                       _catalogue.catalogue("zh-CN").items()
                                       if k.startswith("finding:")}
    # a diagnostic by code, its named parameters filled in (lists the language's way)
    from crmsurvey.diagnostics import Diagnostic
    d = Diagnostic("latent_not_pd", "English message", "error", ("F1", "F2"),
                   params={"constructs": ["F1", "F2"]})
    text = i18n.diagnostic_text(d, "zh-CN")
    assert "F1、F2" in text and "English" not in text
    assert i18n.diagnostic_text(d, "en").endswith(": F1, F2.")
    small = Diagnostic("small_sample", "m", params={"n": 20})
    assert i18n.diagnostic_text(small, "zh-CN").startswith("样本量过小（20名受访者），")
    # a note by its code, with its parameters (crmsurvey.notes)
    from crmsurvey.notes import Note
    assert Note("too_few", {"min": 30}).text("zh-CN") == "少于30名受访者"


# --- a report language without a catalogue is an input error, exit 2 -----------------------

def _cli(*args, cwd=None):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def test_require_language_names_the_languages_with_a_catalogue():
    from crmsurvey.errors import InputError

    assert _catalogue.require_language("zh-CN") == "zh-CN"
    with pytest.raises(InputError) as e:
        _catalogue.require_language("fr")
    assert "'fr'" in str(e.value) and "en, zh-CN" in str(e.value)


@pytest.mark.slow
def test_cli_demo_refuses_a_language_without_a_catalogue(tmp_path):
    code, out, err = _cli("demo", "--lang", "fr", "-o", tmp_path / "out")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "'fr'" in lines[0] and "en, zh-CN" in lines[0], err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_study_report_language_without_a_catalogue_is_exit_2(tmp_path):
    import shutil
    from pathlib import Path

    studies = Path(__file__).resolve().parent.parent / "studies"
    shutil.copytree(studies / "questionnaires", tmp_path / "questionnaires")
    text = (studies / "shape_single.yaml").read_text(encoding="utf-8")
    assert "  language: en\n" in text
    (tmp_path / "s.yaml").write_text(text.replace("  language: en\n", "  language: xx\n"),
                                     encoding="utf-8")
    code, out, err = _cli("run", tmp_path / "s.yaml", "-o", tmp_path / "out")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "'xx'" in lines[0] and "s.yaml" in lines[0] and "en, zh-CN" in lines[0], err


# --- pseudo-locale: every visible text run of the demo report came through the catalogue --

_ACCENTED = str.maketrans("aeiouycnAEIOUYCN", "áéíóúýçñÁÉÍÓÚÝÇÑ")
_VOID = {"br", "img", "meta", "link", "hr", "col", "input", "wbr"}


def _pseudo(text: str) -> str:
    """Every letter accented and the whole wrapped in ⟦ ⟧; ``{placeholders}`` kept."""
    parts = re.split(r"(\{[^{}]*\})", text)
    return "⟦" + "".join(p if p.startswith("{") else p.translate(_ACCENTED)
                         for p in parts) + "⟧"


class _TextRuns:
    """The visible text runs of an HTML page (not style/script, not elements marked
    ``translate="no"`` — code and notation) and the text of its embedded SVG charts."""

    def __init__(self, html: str):
        import base64
        from html.parser import HTMLParser

        runs, svgs, stack = [], [], []

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                src = a.get("src") or ""
                if tag == "img" and src.startswith("data:image/svg+xml;base64,"):
                    svgs.append(base64.b64decode(src.split(",", 1)[1]).decode("utf-8"))
                if tag not in _VOID:
                    stack.append((tag, tag in ("style", "script", "metadata")
                                  or a.get("translate") == "no"))

            def handle_endtag(self, tag):  # an element left open closes with its parent
                while tag in (x for x, _ in stack):
                    if stack.pop()[0] == tag:
                        break

            def handle_data(self, data):
                if data.strip() and not any(skip for _, skip in stack):
                    runs.append(data.strip())

        P(convert_charrefs=True).feed(html)
        for svg in svgs:  # a chart's texts as one run: a label wrapped over lines is whole
            start = len(runs)
            P(convert_charrefs=True).feed(svg)
            runs[start:] = [" ".join(runs[start:])]
        self.runs, self.charts = runs, len(svgs)


def _user_texts(results, questionnaire_yaml: str, study_yaml: str) -> list[str]:
    """What the report may print as the user wrote it: every text of the questionnaire
    and study files (labels, question texts, names, group levels) and the group levels
    and item ids in the results."""
    import yaml

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                yield str(k)
                yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)
        elif x is not None:
            yield str(x)

    texts = set(walk(yaml.safe_load(questionnaire_yaml))) | set(walk(yaml.safe_load(study_yaml)))
    texts |= {str(v) for row in results.indices for v in row.group.values()}
    texts |= set(results.model.items)
    fieldwork = results.study.fieldwork or {}
    texts |= {format_date(fieldwork[k]) for k in ("start", "end") if fieldwork.get(k)}
    texts.add(format_date(results.settings.created))  # the cover's date, as Babel writes it
    # a user text is matched whole; one Latin letter alone is never taken as user data
    keep = {t.strip() for t in texts if re.search(r"[^\W\d_]", t)
            and not re.fullmatch(r"[A-Za-z]", t.strip())}
    return sorted(keep, key=len, reverse=True)


def _untranslated(runs: list[str], user: list[str]) -> list[str]:
    """The pieces of text left when every pseudo-locale span (``⟦…⟧``, nested ones too,
    a span may run across elements: a link inside a sentence) and every user text are
    taken out, that still hold a letter of any script."""
    sep = "\u2063"  # between two text runs: a leftover piece is reported per run
    s = sep.join(runs)
    while (t := re.sub(r"⟦[^⟦⟧]*⟧", " ", s)) != s:
        s = t
    out = []
    for piece in s.split(sep):
        for u in user:
            if u in piece:
                piece = piece.replace(u, " ")
        if re.search(r"[^\W\d_]", piece):
            out.append(" ".join(piece.split()))
    return sorted(set(out))


@pytest.fixture(scope="module")
def pseudo_folder(tmp_path_factory):
    """A catalogue folder holding the English source and a pseudo-locale ``en-XA`` built
    here from it: every msgid visibly transformed."""
    import shutil

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    where = tmp_path_factory.mktemp("locales")
    shutil.copy(LOCALES / "messages.pot", where / "messages.pot")
    cat = Catalog(locale="en")
    for m in _read(LOCALES / "messages.pot"):
        if m.id:
            text = _pseudo(m.id) if isinstance(m.id, str) else tuple(map(_pseudo, m.id))
            cat.add(m.id, text, context=m.context, flags=m.flags)
    with open(where / "en_XA.po", "wb") as f:
        write_po(f, cat)
    return where


@pytest.fixture
def pseudo_catalogue(pseudo_folder, monkeypatch):
    """The catalogue folder swapped for the pseudo one, for one test."""
    monkeypatch.setattr(_catalogue, "LOCALES_DIR", pseudo_folder)
    return pseudo_folder


def test_pseudo_locale_is_built_from_every_source_entry(pseudo_catalogue):
    assert "en-XA" in _catalogue.languages()
    t = i18n.strings("en-XA")
    assert t["contents"] == "⟦Çóñtéñts⟧"
    assert _fields(t["summary_note"]) == {"level"}
    assert all(v.startswith("⟦") for v in _catalogue.catalogue("en-XA").values())


@pytest.mark.slow
def test_pseudo_locale_demo_report_has_no_text_outside_the_catalogue(pseudo_catalogue,
                                                                     demo_runs):
    from crmsurvey._resources import bundled_dir, bundled_questionnaire
    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import load_results

    results = load_results(demo_runs["en"] / "results.json")
    html = build_html(results, lang="en-XA")
    text = _TextRuns(html)
    assert text.charts >= 3 and len(text.runs) > 500
    with number_locale("en-XA"):  # dates as Babel writes them in the locale
            user = _user_texts(results, bundled_questionnaire("ccsi").read_text(encoding="utf-8"),
                           (bundled_dir("studies") / "demo_ccsi.yaml").read_text(
                               encoding="utf-8"))
    leaks = _untranslated(text.runs, user)
    assert leaks == [], f"{len(leaks)} text runs not from the catalogue:\n" + "\n".join(leaks)


def test_the_leak_check_finds_text_outside_the_catalogue():
    """The check itself: a hard-coded "n", an English word in a chart, a sentence glued
    from a catalogue piece and English are found; notation marked translate="no", user
    texts and numbers are not."""
    import base64

    svg = '<svg><metadata>Matplotlib</metadata><text>Brand A</text><text>Index</text></svg>'
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    html = (f"<html><body><h1>⟦Çóñtéñts⟧</h1><p>⟦Íñ ⟦2026⟧, thé <a>íñdéx</a> ís⟧ 71.3</p>"
            f"<td>n</td><td translate='no'>ρ<sub>A</sub></td><p>⟦Bráñd⟧ Brand A, 1–10</p>"
            f"<p>⟦Ñét Prómótér⟧ and more</p><img src='{uri}'></body></html>")
    runs = _TextRuns(html)
    assert runs.charts == 1
    assert _untranslated(runs.runs, ["Brand A"]) == ["Index", "and more", "n"]


# --- numbers, percentages and dates in the report's locale (Babel's CLDR data) ------------

def test_locale_formatting_keeps_the_digits_and_takes_the_locales_signs():
    from babel import Locale
    from babel.numbers import get_decimal_symbol

    from crmsurvey._format import num, pct, pval

    values = [0.51249, -0.0004, -12.25, 3.0, 0.1235]
    plain = [num(v) for v in values] + [pct(23.56), pval(0.034), pval(0.0004)]
    for lang in ("en", "zh-CN", "en-XA"):  # '.' and '%' as in English; the report's minus
        with number_locale(lang):             # sign U+2212 for CLDR's hyphen-minus
            assert [num(v) for v in values] + [pct(23.56), pval(0.034), pval(0.0004)] == \
                [x.replace("-", "\u2212") for x in plain]
    assert get_decimal_symbol(Locale.parse("de")) == ","
    with number_locale("de"):  # the same digits, the locale's decimal sign and % layout
        got = [num(v) for v in values]
        assert got == [x.replace(".", ",").replace("-", "\u2212") for x in plain[:5]]
        assert pct(23.56) == "23,6\xa0%" and pval(0.034) == ",034"
        assert num(-0.0004, 3) == "0,000" and num(2, 1, sign=True) == "+2,0"
    with number_locale("sv"):  # Swedish writes a real minus sign
        assert num(-1.5, 1) == "\u22121,5"
    with number_locale("zh-CN"):
        assert format_date("2026-09-01") == "2026年9月1日"
    with number_locale("en"):
        assert format_date("2026-09-01") == "Sep 1, 2026" and format_date("autumn") == "autumn"
    assert format_date("2026-09-01") == "2026-09-01"  # outside a report: ISO, as written


# --- other wording a reader sees: CLI outline, printed questionnaire, codebook -------------

def test_questionnaire_outline_and_routing_in_the_chosen_language():
    import crmsurvey as cs
    from crmsurvey.fielding.instrument import labels, routing_text
    from crmsurvey.questionnaire.show import outline

    q = cs.load_questionnaire("ccsi")
    zh, en = outline(q, "zh-CN"), outline(q, "en")
    zh_words = _catalogue.catalogue("zh-CN")
    for key in ("outline:constructs", "outline:structural"):
        assert zh_words[key] in zh and _catalogue.catalogue("en")[key] in en
    assert "Constructs" not in zh and "Structural model" not in zh and "version" not in zh
    # routing and numbers from templates, not language branches
    assert routing_text(q, "comp1 == 1", "zh-CN").startswith("仅当 第")
    assert routing_text(q, "comp1 == 1", "en").startswith("Ask if Q")
    assert labels("zh-CN")["codebook"] == "编码手册" and labels("de")["codebook"] == "Codebook"


def test_chinese_wording_keeps_the_fixed_terms():
    """One term per concept in the Chinese catalogue (CCSI usage), full-width
    punctuation beside Chinese text, no space after a full stop."""
    zh, en = _catalogue.catalogue("zh-CN"), _catalogue.catalogue("en")
    wrong = {r"顾客满意指数": "顾客满意度指数", r"顾客满意(?![度率])": "顾客满意度",
             r"顾客忠诚(?!度)": "顾客忠诚度", r"标准化前": "未标准化", r"最高选项": "满意率（最高两档）",
             r"CSAT(?!）)": "满意率", r"(?<!（)NPS": "净推荐值（NPS）",
             r"[\u4e00-\u9fff][:,;]|[:,;][\u4e00-\u9fff]": "full-width ：，；",
             r"[。；！？] ": "no space after full-width punctuation"}
    found = [f"{key}: {want} — {text}" for key, text in zh.items() if text != en[key]
             for pattern, want in wrong.items() if re.search(pattern, text)]
    assert found == []


@pytest.mark.slow
def test_pseudo_locale_workbook_titles_headings_and_notes(pseudo_catalogue, demo_runs):
    """tables.xlsx in the pseudo-locale: every sheet title, column heading and notes label
    came through the catalogue (a group item keeps its id or the study's name for it: the
    user's text)."""
    import io

    import openpyxl
    import pandas as pd

    from crmsurvey.study.results import load_results
    from crmsurvey.study.workbook import workbook

    results = load_results(demo_runs["en"] / "results.json")
    local = results.model_copy(update={"study": results.study.model_copy(
        update={"language": "en-XA"})})
    tables = {p.stem: pd.read_csv(p) for p in sorted(demo_runs["en"].glob("*.csv"))}
    book = openpyxl.load_workbook(io.BytesIO(workbook(tables, local)))
    groups = set(results.settings.groups) | {results.settings.waves}
    # or by the name the study gives it (report.group_names: the user's text)
    groups |= {v for name in results.study.group_names.values()
               for v in ([name] if isinstance(name, str) else name.values())}
    # or by its wording in the questionnaire (the user's text, as the report names it)
    from crmsurvey.study.workbook import group_name

    groups |= {group_name(results, item, "en-XA") for item in list(groups)}
    assert len(book.sheetnames) == len(tables) + 1
    bad = [title for title in book.sheetnames if not title.startswith("⟦")]
    for ws in book.worksheets:
        heads = [c.value for c in ws[1]]
        bad += [f"{ws.title}: {h}" for h in heads if isinstance(h, str)
                and not h.startswith("⟦") and h not in groups]
    notes = book.worksheets[-1]
    bad += [f"notes: {r[0].value}" for r in notes.iter_rows(min_row=2)
            if not str(r[0].value).startswith("⟦")]
    assert bad == []


@pytest.mark.slow
def test_rerender_in_a_language_without_a_catalogue_is_an_input_error(demo_runs):
    from crmsurvey.errors import InputError
    from crmsurvey.pipeline import rerender

    with pytest.raises(InputError, match="no catalogue for report language 'fr'.*: en, "):
        rerender(demo_runs["zh-CN"], lang="fr")
    assert not list(demo_runs["zh-CN"].glob("report.fr.*"))


@pytest.mark.slow
def test_a_new_language_file_renders_the_demo_with_its_locale_numbers(tmp_path, monkeypatch,
                                                                      demo_runs):
    """Adding a language is one file: a ``de.po`` (here the source text copied, as a
    translator starts) makes ``de`` a report language, and every number of the tables
    is written the German way (decimal comma) with the same digits as in English."""
    import shutil

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from crmsurvey.report.render import build_html
    from crmsurvey.study.results import load_results

    shutil.copy(LOCALES / "messages.pot", tmp_path / "messages.pot")
    cat = Catalog(locale="de")
    for m in _read(LOCALES / "messages.pot"):
        if m.id:
            cat.add(m.id, m.id, context=m.context, flags=m.flags)
    with open(tmp_path / "de.po", "wb") as f:
        write_po(f, cat)
    monkeypatch.setattr(_catalogue, "LOCALES_DIR", tmp_path)
    assert "de" in _catalogue.languages()
    results = load_results(demo_runs["en"] / "results.json")
    cells = {lang: re.findall(r'<td class="num[^"]*">([^<]*)</td>',
                              build_html(results, lang=lang)) for lang in ("en", "de")}
    assert len(cells["de"]) == len(cells["en"]) > 500
    assert [c for c in cells["de"] if re.search(r"\d\.\d", c)] == []
    english = [re.sub(r",(?=\d)", ".", c).replace("\xa0%", "%") for c in cells["de"]]
    assert english == cells["en"]
