"""The first fit in a fresh process imports only what it uses (issue 20: "the first fit
in a fresh process under 0.5 s"): no pydantic (the options are checked from their plain
declarations), no semopy, SciPy, YAML, Jinja or the questionnaire/response/study/report
stages. Asserted on ``sys.modules`` in a fresh interpreter, not on time. And the fast
validation of plain values gives what the pydantic records give, value for value and
message for message."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crmsurvey import options
from crmsurvey.errors import InputError

HEAVY = ("pydantic", "semopy", "scipy", "yaml", "jinja2", "typer", "sklearn", "statsmodels",
         "dask", "weasyprint", "crmsurvey.questionnaire", "crmsurvey.responses",
         "crmsurvey.study", "crmsurvey.report", "crmsurvey.pls")

FIRST_FIT = """
import json, sys
import numpy as np, pandas as pd
import crmsurvey as cs
rng = np.random.default_rng(3)
f = rng.normal(size=(200, 2))
x = np.column_stack([f[:, k // 3] + rng.normal(scale=.6, size=200) for k in range(6)])
x[rng.random(x.shape) < .05] = np.nan
df = pd.DataFrame(x, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
res = cs.cbsem("A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A", df, **%s)
assert res.fit["df"] == 8, res.fit
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("kw", ["{}", "dict(missing='fiml')",
                                "dict(estimator='MLR', missing='fiml')",
                                "dict(estimator='MLM')"])
def test_first_fit_imports_only_what_it_uses(kw):
    out = subprocess.run([sys.executable, "-c", FIRST_FIT % kw], capture_output=True,
                         text=True, check=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "crmsurvey.cbsem.fit" in loaded and "crmsurvey.options" in loaded
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], heavy


PLS_FIT = """
import json, sys
import numpy as np, pandas as pd
import crmsurvey as cs
rng = np.random.default_rng(3)
f = rng.normal(size=(200, 2))
x = np.column_stack([f[:, k // 3] + rng.normal(scale=.6, size=200) for k in range(6)])
df = pd.DataFrame(x, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
res = cs.pls("A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A", df, scale=(-4, 4), **%s)
assert res.settings.converged and len(res.paths) == 1, res.paths
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("kw, allowed", [("{}", ()), ("dict(bootstrap=50)", ("scipy",))])
def test_pls_fit_imports_only_what_it_uses(kw, allowed):
    """A PLS fit in a fresh process: no pydantic, YAML, questionnaire or response stage
    (the post-estimation verbs of ``crmsurvey.pls`` load theirs when called), and SciPy
    only for a bootstrap's t-based p-values."""
    out = subprocess.run([sys.executable, "-c", PLS_FIT % kw], capture_output=True,
                         text=True, check=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "crmsurvey.pls.algorithm" in loaded and "crmsurvey.pls.fimix" in loaded
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY
                                            if h != "crmsurvey.pls" and h not in allowed))
    assert heavy == [], heavy


# --- the fast path and the pydantic record agree --------------------------------------

class Odd(int):
    """An int subclass: not plainly an int, so pydantic decides."""


TRIES = [None, True, False, 0, 1, -1, 2, 7, 10**10, 0.5, 1.0, 1.5, 0.0, float("nan"),
         float("inf"), "1", "ML", "MLR", "WLSMV", "fiml", "listwise", "auto", "path",
         "bca", "none", "mean", "repeated", "poisson", "bogus", ["a1", "a2"], [], ["a1", 3],
         ("a1",), Odd(5), 1e-7]


def _outcome(validate, **kw):
    try:
        return "ok", validate(**kw).kwargs()
    except InputError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("declared", [options.PLS, options.CBSEM], ids=lambda d: d.name)
def test_fast_validation_is_the_records(declared):
    record = declared.record
    assert list(declared.fields) == list(record.model_fields)
    for name in declared.fields:
        assert declared.default(name) == record.default(name)
        assert declared.choices(name) == record.choices(name)
        assert declared.fields[name].bounds == record.bounds(name)
        for value in TRIES:
            fast = _outcome(declared.validated, **{name: value})
            slow = _outcome(record.validated, **{name: value})
            assert fast == slow, (name, value)
            if fast[0] == "ok":
                assert [type(v) for v in fast[1].values()] == \
                    [type(v) for v in slow[1].values()], (name, value)
    assert _outcome(declared.validated, nonsense=1) == _outcome(record.validated, nonsense=1)


def test_settings_refused_together_with_the_estimators_reason():
    kw = dict(estimator="MLM", missing="fiml")
    fast, slow = _outcome(options.CBSEM.validated, **kw), _outcome(
        options.CBSEMOptions.validated, **kw)
    assert fast == slow and fast[0] == "error" and "complete rows" in fast[1]
    ok = options.CBSEM.validated(ordered=["a1"], bootstrap=20)
    assert ok.ordered == ["a1"] and ok.bootstrap == 20
    with pytest.raises(AttributeError):
        ok.bootstrap = 3
