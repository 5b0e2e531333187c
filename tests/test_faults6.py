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
