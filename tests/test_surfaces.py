"""Options on every surface: the study file's invariance estimator (issue: compare used
ML only), the table of where each option of the options tables can be set, and the
weighting loader's error field in place of a split message."""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import crmsurvey as cs
from crmsurvey.errors import InputError

STUDY = """\
id: surfaces
title: Invariance estimator
questionnaire: ccsi
data:
  - path: answers.csv
exclude: []
groups: [brand]
pls: {{bootstrap: 50, seed: 2, predict_folds: 0, fit_test: 0}}
cbsem: {{missing: listwise}}
compare: {{permutations: 100, bootstrap: 100, seed: 3{estimator}}}
"""


def _study(tmp_path, estimator: str | None):
    """The study file (clean simulated answers of two brands) with
    ``invariance_estimator`` (None: left out), the questionnaire and the answers."""
    from crmsurvey.simulation import SimulationSettings

    q = cs.load_questionnaire("ccsi")
    df = cs.simulate(q, 200, seed=11, groups={"brand": ["Brand A", "Brand B"]},
                     settings=SimulationSettings(messy=False))
    df.to_csv(tmp_path / "answers.csv", index=False)
    extra = f", invariance_estimator: {estimator}" if estimator else ""
    (tmp_path / "study.yaml").write_text(STUDY.format(estimator=extra), encoding="utf-8")
    return tmp_path / "study.yaml", q, df


def test_study_refuses_an_invariance_estimator_the_tests_do_not_have(tmp_path):
    from crmsurvey.study import load_study

    _study(tmp_path, "WLSMV")
    with pytest.raises(InputError) as err:
        load_study(tmp_path / "study.yaml")
    assert "compare.invariance_estimator" in err.value.msg and "'MLR'" in err.value.msg
    assert err.value.line is not None  # placed in the study file


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The study run with the default (ML) and with MLR: {estimator: (results, data)}."""
    from crmsurvey.study import load_study, run_study

    out = {}
    for estimator in (None, "MLR"):
        path, q, df = _study(tmp_path_factory.mktemp(estimator or "default"), estimator)
        out[estimator or "ML"] = (run_study(load_study(path)).results, q, df)
    return out


@pytest.mark.slow
def test_invariance_table_is_that_of_the_chosen_estimator(runs):
    from crmsurvey.cbsem.syntax import cbsem_syntax
    from crmsurvey.study.schema import StudyDef

    for estimator, (results, q, df) in runs.items():
        (c,) = results.comparisons
        assert results.settings.compare["invariance_estimator"] == estimator
        got = c.invariance["table"]
        # the same tests called directly on the same answers (no screening: every row)
        spec = q.model_spec()
        # ML: the whole model; MLR: the factors of two or more items, correlated, no paths
        syntax = cbsem_syntax(spec) if estimator == "ML" else "".join(
            f"{c.name} =~ {' + '.join(c.items)}\n" for c in spec.constructs
            if len(c.items) > 1)
        want = cs.measurement_invariance(syntax, df, "brand",
                                         min_size=StudyDef.model_fields[
                                             "min_group_size"].default,
                                         estimator=estimator).table
        assert [r["model"] for r in got] == list(want.model)
        for col in ("chisq", "df", "cfi", "delta_chisq"):
            shown = [np.nan if r.get(col) is None else r[col] for r in got]  # NaN: null
            np.testing.assert_allclose(shown, want[col].to_numpy(float), rtol=1e-6,
                                       equal_nan=True)
        scaled = [r.get("chisq_scaled") for r in got]
        if estimator == "ML":
            assert all(v is None for v in scaled)
        else:  # lavaan's scaled test: a scaling factor other than 1
            assert all(v is not None and v != r["chisq"] for v, r in zip(scaled, got))
    # the scaled difference test is not ML's
    ml, mlr = (runs[k][0].comparisons[0].invariance["table"] for k in ("ML", "MLR"))
    assert ml[1]["delta_chisq"] != pytest.approx(mlr[1]["delta_chisq"], rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_methodology_names_the_invariance_estimator(runs, lang):
    from crmsurvey.report import build_html
    from crmsurvey.report.i18n import strings

    t = strings(lang)
    for estimator, (results, _, _) in runs.items():
        html = build_html(results, lang=lang)
        key = "comparison_invariance_estimator" + ("" if estimator == "ML" else "_cfa")
        said = t[key].format(estimator=t[f"estimator_{estimator}"]).strip()
        assert said in html
        other = "MLR" if estimator == "ML" else "ML"
        for k in ("comparison_invariance_estimator", "comparison_invariance_estimator_cfa"):
            assert t[k].format(estimator=t[f"estimator_{other}"]).strip() not in html


# --- 3. the weighting loader places an error by its field, not by splitting its text ----

def test_targets_error_names_its_variable_as_a_field():
    from crmsurvey.weighting.targets import margins_from

    with pytest.raises(InputError) as err:
        margins_from({"age.group": {1: 0.5, 2: 0.4}}, where="t.csv: north")
    # a variable name with a dot, and a place with a colon, do not matter
    assert err.value.concerns == "age.group"


def test_study_places_a_per_level_targets_error_at_its_variables_line(tmp_path):
    from crmsurvey.study import load_study

    q = cs.load_questionnaire("ccsi")
    cs.simulate(q, 60, seed=5, groups={"brand": ["A", "B"]}).to_csv(tmp_path / "d.csv",
                                                                     index=False)
    # level B's gender shares add up to 0.9: its first gender row is line 5
    (tmp_path / "t.csv").write_text(
        "by,variable,category,target\n"
        "A,gender,1,0.5\nA,gender,2,0.5\n"
        "B,age,1,0.5\nB,gender,1,0.5\nB,gender,2,0.4\nB,age,2,0.5\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "id: w\ntitle: Targets by level\nquestionnaire: ccsi\ndata:\n  - path: d.csv\n"
        "groups: [brand]\nweighting: {rake: t.csv, by: brand}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_study(tmp_path / "study.yaml")
    assert err.value.line == 5 and err.value.path.endswith("t.csv")
    assert "gender" in err.value.msg and "0.9" in err.value.msg
