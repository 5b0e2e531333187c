"""Issue 27, item 2 (final terms): one Chinese term per concept, enforced from the
terminology table of crmsurvey/locales/README.md; the CB-SEM fit table's p and RMSEA
interval in the report's formats; no significance star beside a † (a difference the
text calls not warranted); the MICOM sentence and the weighting variables as a list."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from crmsurvey._format import number_locale
from crmsurvey.report.i18n import strings
from crmsurvey.report.sections.cbsem import cbsem_context
from crmsurvey.report.weighting import weighting_context

from ._studies import bundled

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "crmsurvey" / "locales"
TEMPLATE = ROOT / "reports" / "default" / "report.html.j2"


# ---------------------------------------------------------------- terminology

def terminology() -> list[tuple[str, str, list[str]]]:
    """(concept, 中文 term, variants not used) from the README's terminology table."""
    text = (LOCALES / "README.md").read_text(encoding="utf-8")
    section = text.split("## Terminology", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("concept", "") or set(cells[0]) <= set("-"):
            continue
        rows.append((cells[0], cells[2], [v.strip() for v in cells[3].split(",")
                                          if v.strip()]))
    return rows


def zh_texts() -> list[tuple[str, str]]:
    """(key, translation) of every zh_CN entry, plural forms included."""
    with open(LOCALES / "zh_CN.po", "rb") as f:
        cat = read_po(f)
    out = []
    for m in cat:
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        out += [(m.context or str(m.id), s) for s in forms if s]
    return out


def rejected_in(texts, rows) -> list[str]:
    return [f"{key}: {variant!r} (use {term}) in {text!r}"
            for key, text in texts for _, term, variants in rows for variant in variants
            if variant in text]


def test_terminology_table_has_the_fixed_concepts():
    rows = {concept: (term, variants) for concept, term, variants in terminology()}
    for concept, term in [("composite", "复合变量"), ("wave", "年度"),
                          ("whole sample", "全部受访者"), ("single item", "单题"),
                          ("satisfaction index", "顾客满意度指数"), ("loyalty", "顾客忠诚度"),
                          ("unstandardised", "未标准化"), ("construct (PLS)", "结构变量")]:
        assert concept in rows and rows[concept][0].startswith(term), concept
        assert rows[concept][1], f"{concept}: no rejected variants listed"
    assert {"组合变量", "合成变量"} <= set(rows["composite"][1])
    assert {"各期", "两期", "这一期"} <= set(rows["wave"][1])
    assert {"全体样本", "全部样本"} <= set(rows["whole sample"][1])
    assert "单题项" in rows["single item"][1]


def test_no_rejected_variant_in_any_translation():
    rows = terminology()
    # the scanner finds what it looks for (so an empty result means something)
    assert rejected_in([("x", "基于两期的组合变量")], rows)
    assert rejected_in(zh_texts(), rows) == []


def test_chosen_terms_are_the_ones_used():
    texts = dict(zh_texts())
    # composite: the MICOM title, its glossary term and the CB-SEM/MICOM note agree
    for key in ("micom", "term_micom", "invariance_micom", "micom_single"):
        assert "复合变量" in texts[key], key
    # whole sample as the tables' row label
    assert "全部受访者" in texts["market_row"]
    assert texts["single_item"] == "单题" and "1（单题）" == texts["loading_fixed"]
    # waves: the trend note says 年度; a year-like wave is "{wave}年" (wave_label), which
    # the model introduction takes whole (no second 年: "基于2026年的样本")
    assert "各年度" in texts["trend_note3"] and texts["wave_label"] == "{wave}年"
    assert "{wave}的样本" in texts["model_intro_wave"] and "{wave}年" not in texts[
        "model_intro_wave"]


# ---------------------------------------------------------------- CB-SEM fit table

def _cb(fit: dict):
    disclosure = SimpleNamespace(dropped=0, used=300, rows=300, group={},
                                 missing_method="fiml")
    return SimpleNamespace(model_dump=lambda: {}, diagnostics=[], error=None,
                           disclosure=disclosure, fit=fit, estimates=[])


FIT = {"chisq": 26.3, "df": 24.0, "pvalue": 0.3081, "cfi": 0.998, "tli": 0.997,
       "rmsea": 0.0171, "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.0404, "srmr": 0.0402}


@pytest.mark.parametrize("lang, rmsea", [("en", "0.017 (0.000 – 0.040)"),
                                         ("zh-CN", "0.017（0.000–0.040）")])
def test_fit_table_p_and_rmsea_interval(lang, rmsea):
    names = SimpleNamespace(group=lambda g, scope=None: "", constructs={})
    with number_locale(lang):
        ctx = cbsem_context(_cb(FIT), names, strings(lang), lang)
    shown = {r["measure"]: r["shown"] for r in ctx["fit_rows"]}
    t = strings(lang)
    assert shown[t["fit_pvalue"]] == ".308"            # APA: no leading zero, as every p
    assert shown[t["col_rmsea"]] == rmsea               # the report's interval format
    assert shown[t["fit_df"]] == "24"
    assert shown[t["col_cfi"]] == "0.998"
    if lang == "zh-CN":
        assert not re.search(r"[\[\]()]", shown[t["col_rmsea"]])   # full-width only
    # RMSEA without its interval is the value alone
    with number_locale(lang):
        ctx = cbsem_context(_cb(dict(FIT, rmsea_ci_lower=None)), names, t, lang)
    assert {r["measure"]: r["shown"] for r in ctx["fit_rows"]}[t["col_rmsea"]] == "0.017"


# ---------------------------------------------------------------- * beside †

def test_template_never_stars_a_daggered_cell():
    """Every cell that may print † prints * only where it does not (the † note says
    the difference is not interpreted, and it is not counted)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    cells = re.findall(r"\{% if (\w+)\.significant([^%]*)%\} \*\{% endif %\}"
                       r"\{% if \1\.(warranted == false|dagger) %\} †", text)
    assert len(cells) >= 4                      # scorecard, wave changes, two index tables
    for var, cond, dagger in cells:
        want = f" and {var}.warranted != false " if dagger.startswith("warranted") \
            else f" and not {var}.dagger "
        assert cond == want, (var, cond)
    assert "%} *{% endif %}{% if" not in re.sub(
        r"\{% if \w+\.significant and [^%]*%\} \*\{% endif %\}", "", text).replace(
        "{% if r.significant %} *{% endif %}{% if has_adjusted", "")


# ---------------------------------------------------------------- weighting list

def _weighting(variables):
    wt = SimpleNamespace(variables=variables, method="rake", by=None, trim=None,
                         converged=True, max_error=0.0, iterations=5, weight_min=0.5,
                         weight_max=2.0, deff=1.2, efficiency=0.83, n=300, n_eff=250,
                         table=[], groups=[],
                         labels={v: {"text": {"en": f"Your {v}", "zh-CN": f"您的{v}"}}
                                 for v in variables})
    return SimpleNamespace(weighting=wt, settings=SimpleNamespace(waves=None),
                           sample=SimpleNamespace(group_sizes={}))


@pytest.mark.parametrize("lang, two, three", [
    ("en", "“Your gender” and “Your age” by", "“Your gender”, “Your age” and “Your region” by"),
    ("zh-CN", "“您的gender”和“您的age”上", "“您的gender”、“您的age”和“您的region”上")])
def test_weighting_variables_are_a_list(lang, two, three):
    with number_locale(lang):
        text = weighting_context(_weighting(["gender", "age"]), None, strings(lang),
                                 lang)["weighting"]["text"]
        assert two in text, text
        text3 = weighting_context(_weighting(["gender", "age", "region"]), None,
                                  strings(lang), lang)["weighting"]["text"]
    assert three in text3, text3


# ---------------------------------------------------------------- the demo, rendered

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return bundled(tmp_path_factory, "demo_ccsi")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.mark.slow
def test_demo_report_formats(demo):
    en, zh = _text(demo.html("en")), _text(demo.html("zh-CN"))
    for text in (en, zh):
        assert "* †" not in text and "*†" not in text
        assert not re.search(r"RMSEA \d\.\d{3} ?[\[（(]?\s*\d\.\d{3}, ", text)
    assert re.search(r"RMSEA \d\.\d{3} \(\d\.\d{3} – \d\.\d{3}\)", en)
    assert re.search(r"RMSEA \d\.\d{3}（\d\.\d{3}–\d\.\d{3}）", zh)
    # the χ² p row (after df): ".ddd" (or "< .001"), never "0.ddd"
    for lang, text in (("en", en), ("zh-CN", zh)):
        t = strings(lang)
        row = re.search(re.escape(t["fit_df"]) + r" \d+ " + re.escape(t["fit_pvalue"])
                        + r" (\S+)", text)
        assert row and not row.group(1).startswith("0"), (lang, row)
    assert "comparisons are not warranted, for:" not in en
    if "not warranted:" in en:
        assert "so these comparisons are not warranted: " in en
    if "by raking" in en:
        assert re.search(r"shares on “[^”]+”( and |, )“[^”]+”", en)
        assert not re.search(r"“[^”]+”, “[^”]+” by raking", en)
