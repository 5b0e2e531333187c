"""Questionnaire validation: each error is one line naming file, line and offender."""
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError
from crmsurvey.model import parse_model

from .conftest import MINI


@pytest.mark.parametrize("name", ["acsi", "ccsi", "ecsi"])
def test_bundled_instruments_are_valid_and_bilingual(name):
    q = cs.load_questionnaire(name)
    assert {"en", "zh-CN"} <= set(q.languages)
    assert q.items_with_role("nps"), "every bundled instrument has an NPS item"
    spec = parse_model(q.to_lavaan())  # compiles to lavaan syntax that reads back
    assert len(spec.constructs) >= 6
    for it in q.items.values():
        if it.text:
            assert set(q.languages) <= set(it.text), it.id


def test_ccsi_is_chinese_first_with_seven_constructs(ccsi):
    assert ccsi.languages[0] == "zh-CN"
    assert list(ccsi.definition.constructs) == ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "COMP",
                                                "LOY"]
    assert ccsi.text(ccsi.definition.constructs["SAT"].label) == "顾客满意度"
    # image is exogenous
    assert not [p for p in ccsi.structural_paths if p[0] == "IMAG"]


def test_acsi_paths_match_fornell_1996():
    q = cs.load_questionnaire("acsi")
    assert set(q.structural_paths) == {("PQ", "CE"), ("PV", "CE"), ("PV", "PQ"), ("SAT", "CE"),
                                       ("SAT", "PQ"), ("SAT", "PV"), ("COMP", "SAT"),
                                       ("LOY", "SAT"), ("LOY", "COMP")}
    assert q.scale("comp1").type == "binary"


def test_lavaan_syntax_modes():
    text = MINI.replace("A: {items: [a1, a2, a3]}", "A: {items: [a1, a2, a3], mode: composite}")
    syntax = cs.parse_questionnaire(text).to_lavaan()
    assert "A <~ a1 + a2 + a3" in syntax and "B =~ b1 + b2" in syntax and "B ~ A" in syntax


def _error(text):
    with pytest.raises(InputError) as err:
        cs.parse_questionnaire(text, source="q.yaml")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("q.yaml:")
    return err.value


def _line_of(text, needle):
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.parametrize("old, new, expect, needle", [
    ("{id: a2, scale: five}", "{id: a2, scael: five}", "unknown key 'scael'", "scael"),
    ("{id: a2, scale: five}", "{id: a1, scale: five}", "duplicate item id 'a1'", "{id: a1, scale: five}\n      - {id: a3"),
    ("B: {items: [b1, b2]}", "B: {items: [b1, b9]}", "unknown item 'b9'", "b9"),
    ("  - B ~ A", "  - B ~ Z", "unknown construct 'Z'", "B ~ Z"),
    ("{id: b2, scale: five}", "{id: b2}", "item 'b2' has no scale", "{id: b2}"),
    ("{id: b2, scale: five}", "{id: b2, scale: seven}", "unknown scale 'seven'", "seven"),
    ("min: 1, max: 5", "min: 5, max: 1", "impossible", "min: 5"),
    ("special: {9: dont_know}", "special: {3: dont_know}", "also a scale point", "special"),
    ("role: attention, expected: 2", "role: attention, expected: 7", "expects 7", "expected: 7"),
    ("role: attention, expected: 2", "role: attention", "needs 'expected'", "role: attention"),
    ("{id: a1, scale: five}", "{id: a1, scale: five, role: boss}", "a1", "boss"),
])
def test_each_validation_error(old, new, expect, needle):
    text = MINI.replace(old, new, 1)
    assert text != MINI
    err = _error(text)
    assert expect in str(err)
    if needle == "{id: a1, scale: five}\n      - {id: a3":
        assert err.line == _line_of(text, "{id: a1, scale: five}") + 1
    else:
        assert err.line == _line_of(text, needle), str(err)


def test_unknown_key_suggests_the_right_one():
    err = _error(MINI.replace("{id: a2, scale: five}", "{id: a2, scael: five}"))
    assert "did you mean 'scale'" in str(err)
    assert err.column is not None


def test_cycle_in_structural_model():
    err = _error(MINI.replace("  - B ~ A", "  - B ~ A\n  - A ~ B"))
    assert "cycle" in str(err) and "A → B → A" in str(err) or "B → A → B" in str(err)


def test_all_errors_are_collected():
    text = MINI.replace("[b1, b2]", "[b1, b9]").replace("  - B ~ A", "  - B ~ Z")
    err = _error(text)
    assert len(err.all) == 2


def test_yaml_tags_are_refused_not_executed(tmp_path):
    evil = MINI.replace("title: Mini", "title: !!python/object/apply:os.system ['touch pwned']")
    err = _error(evil)
    assert "tag is not allowed" in str(err) and err.line == 2
    assert not (tmp_path / "pwned").exists()


def test_duplicate_yaml_key():
    err = _error(MINI.replace("title: Mini", "title: Mini\ntitle: Again"))
    assert "duplicate key 'title'" in str(err) and err.line == 3


def test_missing_translation():
    text = MINI.replace("languages: [en]", "languages: [en, zh-CN]").replace(
        "title: Mini", "title: {en: Mini}")
    assert "lacks language 'zh-CN'" in str(_error(text))


def test_relevance_must_name_known_items():
    text = MINI.replace("  - id: s1\n", "  - id: s1\n    relevance: c9 == 1\n")
    assert "unknown item 'c9'" in str(_error(text))


def test_broken_yaml_gives_line():
    err = _error(MINI.replace("sections:", "sections: [", 1))
    assert "cannot read YAML" in str(err) and err.line


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        cs.load_questionnaire(tmp_path / "nope.yaml")
