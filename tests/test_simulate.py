import numpy as np
import pandas as pd

import crmsurvey as cs
from crmsurvey.simulation import SimulationSettings, population_paths


def test_same_seed_same_data(ccsi):
    a = cs.simulate(ccsi, 100, seed=3, groups={"brand": ["A", "B"]})
    b = cs.simulate(ccsi, 100, seed=3, groups={"brand": ["A", "B"]})
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(cs.simulate(ccsi, 100, seed=4, groups={"brand": ["A", "B"]}))


def test_every_item_and_scale(ccsi):
    df = cs.simulate(ccsi, 400, seed=1)
    assert list(df.columns) == list(ccsi.items)
    r = cs.load_responses(ccsi, df)
    assert not [p for p in r.log.problems if p.rule != "relevance"]
    assert r.log.flagged["speeder"] > 0 and r.log.flagged["attention"] > 0
    assert (r.codes == "dont_know").any().any() and (r.codes == "blank").any().any()


def test_structure_recovered_in_correlations(ccsi):
    """Item correlations follow the population model: loading² within a block and a
    positive/negative sign where the paths say so."""
    settings = SimulationSettings(missing_rate=0, special_rate=0, straightline_rate=0,
                                  duplicate_rate=0)
    df = cs.simulate(ccsi, 4000, seed=2, settings=settings)
    x = df[["sat1", "sat2", "qual1", "comp1"]].astype(float)
    c = x.corr()
    assert 0.5 < c.loc["sat1", "sat2"] < 0.75  # 0.8² = 0.64 before rounding
    assert c.loc["sat1", "comp1"] < -0.1  # COMP ~ SAT is negative in ccsi.yaml
    assert population_paths(ccsi)[("COMP", "SAT")] == -0.35


def test_groups_differ(ccsi):
    df = cs.simulate(ccsi, 1500, seed=5, groups={"brand": ["A", "B", "C"]})
    means = df.assign(sat1=pd.to_numeric(df["sat1"], errors="coerce")).groupby("brand")["sat1"].mean()
    assert list(means.index) == ["A", "B", "C"]
    assert np.ptp(means.to_numpy()) > 0.1
