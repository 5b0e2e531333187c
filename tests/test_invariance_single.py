"""Robust (MLM, MLR) measurement invariance of a model with a single-item factor (the
CCSI's complaint item, a yes/no answer) against lavaan 0.6 run in the test
(tests/lavaan/invariance_single.R): the scaled and robust fit of the configural, metric
and scalar models, lavTestLRT's scaled differences, and the scalar model's implied latent
means (lavInspect "mean.lv") with their robust SEs, to 1e-3. lavaan fixes the single
item's residual variance to 0 itself; the test's model does not say so."""
import warnings

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs

from .lavaan import run_lavaan

MEASURES = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "chisq_scaled",
            "chisq_scaling_factor", "pvalue_scaled", "cfi_robust", "tli_robust",
            "rmsea_robust", "delta_chisq", "delta_df", "delta_pvalue")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """(lavaan's results, {estimator: Invariance}, the factors of one item)."""
    from crmsurvey.cbsem.syntax import cbsem_syntax
    from crmsurvey.simulation import SimulationSettings

    q = cs.load_questionnaire("ccsi")
    spec = q.model_spec()
    data = cs.simulate(q, 200, seed=11, groups={"brand": ["Brand A", "Brand B"]},
                       settings=SimulationSettings(messy=False))
    syntax = cbsem_syntax(spec, paths=False)  # every factor, the single-item one too
    single = [c.name for c in spec.constructs if len(c.items) == 1]
    items = [i for c in spec.constructs for i in c.items]
    ref = run_lavaan("invariance_single.R",
                     data[items + ["brand"]].rename(columns={"brand": "g"}).dropna(),
                     tmp_path_factory.mktemp("invariance_single"), model=syntax)
    got = {}
    for estimator in ("MLM", "MLR"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got[estimator] = cs.measurement_invariance(syntax, data, "brand",
                                                       estimator=estimator)
    return ref, got, single


def _close(got, want, what):
    assert np.isfinite(got), what
    assert got == pytest.approx(want, abs=1e-3, rel=1e-6), what


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["MLM", "MLR"])
def test_robust_invariance_with_a_single_item_factor_is_lavaans(compared, estimator):
    ref, got, single = compared
    assert single == ["COMP"]  # the case this test is about
    # lavaan measures the single item without error: its residual variance fixed at 0
    est = ref["est"][ref["est"].estimator == estimator]
    res = est[est.op == "~~"]
    assert list(res.lhs) == ["comp1", "comp1"] and (res.est == 0).all()
    inv = got[estimator]
    assert not [d for d in inv.diagnostics if d.severity == "error"]
    table = inv.table.set_index("model")
    assert list(table.index) == ["configural", "metric", "scalar"]
    for model in table.index:
        for m in MEASURES:
            key = f"{estimator}:{model}:{m.replace('_', '.')}"
            if model == "configural" and m.startswith("delta"):
                assert np.isnan(table.loc[model, m])
                continue
            _close(float(table.loc[model, m]), float(ref["fit"][key]), (model, m))
    means = est[est.op == "mean.lv"]
    reference = means[means.rhs == "Brand A"]
    assert (reference.est == 0).all()  # lavaan's reference group
    want = means[means.rhs == "Brand B"].set_index("lhs")
    lm = inv.latent_means.set_index("construct")
    assert set(lm.index) == set(want.index) and "COMP" in lm.index
    assert (inv.latent_means.group == "Brand B").all()
    for c in want.index:
        _close(float(lm.loc[c, "est"]), float(want.loc[c, "est"]), (c, "mean"))
        _close(float(lm.loc[c, "se"]), float(want.loc[c, "se"]), (c, "se"))
