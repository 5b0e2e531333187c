"""No random corruption of a valid file produces anything but a clean result or one
InputError line (which the CLI turns into exit code 2)."""
from __future__ import annotations

import io

import pytest

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmsurvey as cs
from crmsurvey.errors import InputError

from .conftest import MINI

_Q = cs.parse_questionnaire(MINI, source="mini.yaml")
_CSV = (pd.DataFrame({"rid": ["r1", "r2", "r3"], "secs": [300, 40, 310], "w": [1, 1, 1],
                      "a1": [1, 2, 9], "a2": [2, 2, 3], "a3": [1, 2, 3], "b1": [2, 3, 4],
                      "b2": [3, 2, 3], "chk": [2, 2, 5], "c1": [0, 1, 1]})
        .to_csv(index=False).encode())

edits = st.lists(
    st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 10_000),
              st.binary(min_size=1, max_size=4)),
    min_size=1, max_size=6)


def _corrupt(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for kind, pos, chunk in ops:
        pos = pos % (len(buf) + 1)
        if kind == "replace":
            buf[pos:pos + len(chunk)] = chunk
        elif kind == "insert":
            buf[pos:pos] = chunk
        else:
            del buf[pos:pos + len(chunk)]
    return bytes(buf)


_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@_SETTINGS
@given(ops=edits)
def test_corrupted_csv_never_tracebacks(tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("c") / "data.csv"
    path.write_bytes(_corrupt(_CSV, ops))
    try:
        r = cs.load_responses(_Q, path, exclude="all")
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        log = r.log
        assert log.rows_read == log.rows_kept + sum(log.excluded.values())


@_SETTINGS
@given(ops=edits)
def test_corrupted_questionnaire_never_tracebacks(ops):
    text = _corrupt(MINI.encode(), ops).decode("utf-8", errors="replace")
    try:
        cs.parse_questionnaire(text, source="q.yaml")
    except InputError as exc:
        assert "\n" not in str(exc)


@_SETTINGS
@given(cells=st.lists(st.one_of(st.text(max_size=6), st.floats(allow_nan=True),
                                st.integers(-10**6, 10**6), st.none()),
                      min_size=10, max_size=10))
@pytest.mark.slow
def test_any_cell_values_are_kept_or_logged(cells):
    df = pd.read_csv(io.BytesIO(_CSV), dtype=object)
    df.loc[1] = cells
    r = cs.load_responses(_Q, df)
    assert r.log.rows_read == 3 == len(r.all_rows)
