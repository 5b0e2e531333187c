"""Faults left open by session 5: an InputError with its fields crosses processes intact
(pickled by the process and Dask engines), and the implied-latent-means note names
(I − B)⁻¹α only for a model with regressions among its latent variables."""
from __future__ import annotations

import pickle

import pytest

from crmsurvey.errors import InputError, ModelSyntaxError

FIELDS = ("msg", "path", "line", "column", "hint", "concerns")


def _error(kind: type = InputError) -> InputError:
    """An error with every field set, a further error in ``more`` and an attribute a
    caller added afterwards."""
    err = kind("unknown item 'sat9'", path="study.yaml", line=12, column=7,
               hint="did you mean 'sat1'?", concerns="sat9",
               more=[InputError("unknown item 'loy7'", path="study.yaml", line=14,
                                concerns="loy7")])
    err.rows = [3, 8]
    return err


def _same(got: InputError, want: InputError) -> None:
    assert type(got) is type(want)
    assert str(got) == str(want) == want.one_line()
    assert got.args == want.args
    for name in FIELDS:
        assert getattr(got, name) == getattr(want, name), name
    assert [str(e) for e in got.more] == [str(e) for e in want.more]
    assert [(e.line, e.concerns) for e in got.more] == [(e.line, e.concerns)
                                                       for e in want.more]
    assert got.rows == want.rows


@pytest.mark.parametrize("kind", [InputError, ModelSyntaxError])
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_input_error_pickles_with_every_field(kind, protocol):
    err = _error(kind)
    assert str(err) == ("study.yaml:12:7: unknown item 'sat9' (did you mean 'sat1'?)")
    _same(pickle.loads(pickle.dumps(err, protocol)), err)


def test_input_error_without_a_place_pickles_too():
    err = InputError("weights must be positive")
    got = pickle.loads(pickle.dumps(err))
    assert str(got) == "weights must be positive" and got.path is None and got.more == []


def _refuse(item: int) -> None:
    """A work unit that refuses its input (module level: the workers import it)."""
    if item == 1:
        raise _error()
    return None


def test_input_error_from_a_worker_process_reaches_the_parent_intact():
    from crmsurvey.engine import ProcessEngine

    engine = ProcessEngine(1)
    try:
        with pytest.raises(InputError) as got:
            engine.map(_refuse, [0, 1])
    finally:
        engine.close()
    _same(got.value, _error())


@pytest.mark.slow
def test_input_error_from_a_dask_worker_reaches_the_parent_intact():
    distributed = pytest.importorskip("distributed")
    from crmsurvey.engine import DaskEngine

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with pytest.raises(InputError) as got:
            DaskEngine(client).map(_refuse, [0, 1])
    _same(got.value, _error())


# --- the implied-latent-means note: (I − B)⁻¹α only where the model has B -------------

STUDY = """\
id: faults6_{estimator}
title: Latent means note
questionnaire: ccsi
data:
  - simulate: {{n: 200, seed: 11, groups: {{brand: [Brand A, Brand B]}}}}
exclude: []
groups: [brand]
pls: {{bootstrap: 50, seed: 2, predict_folds: 0, fit_test: 0, tail_draws: 1}}
cbsem: {{missing: listwise}}
compare: {{permutations: 100, bootstrap: 100, seed: 3, invariance_estimator: {estimator}}}
"""


@pytest.fixture(scope="module")
def means_runs(tmp_path_factory):
    """The CCSI study of two brands with ML invariance (the whole model: paths among the
    constructs) and with MLR (the measurement model: no paths), each run once."""
    from ._studies import study_run

    return {e: study_run(tmp_path_factory, f"faults6_{e}", STUDY.format(estimator=e))
            for e in ("ML", "MLR")}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_latent_means_note_names_the_paths_only_for_a_model_with_paths(means_runs,
                                                                      estimator, lang):
    import html as html_text

    from crmsurvey.report.i18n import strings

    run = means_runs[estimator]
    (c,) = run.results().comparisons
    inv = c.invariance
    assert "error" not in inv or not inv["error"]
    paths = estimator == "ML"
    assert inv["structural"] is paths
    # every construct's latent mean, the single-item complaints factor too
    assert {r["construct"] for r in inv["latent_means"]} == {
        "IMAG", "EXPE", "QUAL", "VAL", "SAT", "COMP", "LOY"}
    assert [n["code"] for n in inv["notes"] if n["code"].startswith("cb_latent_means")] \
        == ["cb_latent_means_reference" + ("" if paths else "_cfa")]
    t = strings(lang)
    page = html_text.unescape(run.html(lang))
    said, unsaid = ("latent_means_note", "latent_means_note_cfa")[::1 if paths else -1]
    assert t[said] in page and t[unsaid] not in page
    assert ("B)⁻¹α" in page) is paths


# --- ML's discrepancy: a positive determinant is not a covariance matrix -------------

def test_ml_discrepancy_refuses_an_indefinite_sigma_with_a_positive_determinant():
    """Two negative roots give det Σ > 0; F_ML there is not a likelihood (the scalar
    invariance model's scoring stepped into such a Σ with a single-item factor)."""
    import numpy as np

    from crmsurvey.cbsem.scoring import discrepancy

    s = np.eye(3) * 2
    indefinite = np.diag([-1.0, -2.0, 3.0])
    assert np.linalg.det(indefinite) > 0
    f = discrepancy(np.stack([indefinite, s + 0.5 * np.eye(3)]), np.stack([s, s]), "ML")
    assert np.isnan(f[0])
    # F_ML written out: log|Σ| + tr(SΣ⁻¹) − log|S| − p
    sig = s + 0.5 * np.eye(3)
    want = np.log(np.linalg.det(sig)) + np.trace(s @ np.linalg.inv(sig)) \
        - np.log(np.linalg.det(s)) - 3
    assert f[1] == pytest.approx(want, rel=1e-12)
