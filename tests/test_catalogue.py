"""The report's wording catalogues (crmsurvey/locales/, issue 27 item 2): every key in every
language, the same placeholders per key, no fuzzy or untranslated entry, and the wording
API reading them."""
from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from crmsurvey import _catalogue
from crmsurvey.report import i18n

LOCALES = _catalogue.LOCALES_DIR
TRANSLATIONS = sorted(LOCALES.glob("*.po"))


def _fields(text: str) -> set[str]:
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
        assert m.string, f"{path.name} {key}: not translated"
        assert _fields(m.string) == _fields(m.id), f"{path.name} {key}: placeholders differ"


def test_source_entries_have_no_translation_and_formats_are_flagged():
    for key, m in _entries(LOCALES / "messages.pot").items():
        assert m.string == "", key
        assert not m.fuzzy, key
        if _fields(m.id):
            assert "python-brace-format" in m.flags, f"{key}: placeholders unflagged"


def test_the_api_reads_the_catalogues():
    zh, en = i18n.strings("zh-CN"), i18n.strings("en")
    assert en["contents"] == "Contents" and zh["contents"] == "目录"
    assert en["sentence_sep"] == " " and zh["sentence_sep"] == ""
    assert "{driver}" in i18n.sentences("zh-CN")["standout"]
    # a diagnostic by code, its concerns listed the language's way
    text = i18n.diagnostic_text("heywood", "English message", ["F1", "F2"], "zh-CN")
    assert "F1、F2" in text and "English" not in text
    assert i18n.diagnostic_text("heywood", "English message", ["F1"], "en") == \
        "English message"
    assert i18n.diagnostic_text("small_sample", "m", ["n = 20"], "zh-CN").startswith(
        "样本量过小（n = 20），")
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


def test_cli_demo_refuses_a_language_without_a_catalogue(tmp_path):
    code, out, err = _cli("demo", "--lang", "fr", "-o", tmp_path / "out")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "'fr'" in lines[0] and "en, zh-CN" in lines[0], err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


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
