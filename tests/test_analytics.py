"""CRM analytics: hand-computed small cases for every formula, bad input reported."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import crmsurvey as cs
from crmsurvey.analytics import (abc_classes, clv_simple, compare_groups, csat, dick_basu,
                                 kano_classify, kano_pairs, kano_table, link_customers,
                                 load_transactions, nps, nps_compare, nps_table,
                                 quintile_scores, rfm, rfm_summary, typology_shares)
from crmsurvey.errors import InputError


# --- NPS and CSAT -------------------------------------------------------------------

def test_nps_by_hand():
    # 4 promoters, 3 passives, 3 detractors of 10
    r = nps([10, 9, 9, 10, 7, 8, 8, 0, 5, 6])
    assert r.nps == pytest.approx(10.0)
    # var of the +1/0/-1 score: pP + pD - (pP - pD)^2 = .4 + .3 - .01 = .69
    assert r.se == pytest.approx(100 * np.sqrt(0.69 / 10))
    # the adjusted-Wald interval (Rocks 2016): 3/4 promoter and 3/4 detractor added, n + 3
    pp, pd_ = (4 + 0.75) / 13, (3 + 0.75) / 13
    half = 1.959964 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / 13)
    assert r.ci_lower == pytest.approx(100 * (pp - pd_ - half), abs=1e-3)
    assert r.ci_upper == pytest.approx(100 * (pp - pd_ + half), abs=1e-3)


def test_weighted_nps_uses_effective_n():
    r = nps([10, 0], weights=[3, 1])
    assert r.nps == pytest.approx(50.0)  # .75 - .25
    assert r.n_eff == pytest.approx(16 / 10)
    assert r.se == pytest.approx(100 * np.sqrt((1 - 0.25) / 1.6))


def test_nps_table_and_difference():
    df = pd.DataFrame({"rec": [10] * 30 + [0] * 10 + [10] * 10 + [0] * 30,
                       "brand": ["A"] * 40 + ["B"] * 40})
    t = nps_table(df, "rec", by="brand")
    assert t.group.tolist() == ["all", "A", "B"]
    assert t.nps.tolist() == pytest.approx([0.0, 50.0, -50.0])
    diff = nps_compare(t).iloc[0]
    assert diff.difference == pytest.approx(100.0)
    assert diff.se == pytest.approx(np.hypot(t.se[1], t.se[2]))
    assert diff.pvalue < 1e-6 and diff.pvalue_holm == diff.pvalue


def test_nps_rejects_off_scale_answers():
    with pytest.raises(InputError, match="0–10"):
        nps([10, 11])


def test_csat_top_box():
    r = csat([10, 9, 8, 3], top=9)
    assert r.csat == pytest.approx(50.0)
    assert r.se == pytest.approx(100 * np.sqrt(0.25 / 4))


# --- Kano ---------------------------------------------------------------------------

def test_kano_evaluation_table():
    f = [1, 1, 1, 2, 3, 5, 1, 5, np.nan]
    d = [5, 3, 1, 5, 3, 1, 5, 5, 5]
    assert kano_classify(f, d).tolist() == ["O", "A", "Q", "M", "I", "R", "O", "Q", None]


def test_kano_table_by_hand():
    data = pd.DataFrame({"f": [1, 1, 1, 2, 2, 3, 1, np.nan], "d": [5, 5, 3, 5, 5, 3, 2, 5]})
    t = kano_table(data, {"feat": ("f", "d")}).iloc[0]
    # O, O, A, M, M, I, A  (7 complete pairs, 1 missing half)
    assert (t.n, t.incomplete) == (7, 1)
    assert t.O == pytest.approx(200 / 7) and t.A == pytest.approx(200 / 7)
    assert t.better == pytest.approx(4 / 7) and t.worse == pytest.approx(-4 / 7)
    assert t.dominant == "M"  # M, O and A tie at 2: Berger's order M > O > A > I


def test_kano_questionnaire_validation():
    text = open("questionnaires/kano_appliance.yaml", encoding="utf-8").read()
    q = cs.parse_questionnaire(text)
    assert kano_pairs(q)["warranty_5y"] == ("warranty_f", "warranty_d")
    broken = text.replace("{id: quiet_d, role: kano_dysfunctional", "{id: quiet_d, role: kano_functional")
    with pytest.raises(InputError, match="quiet_running.*one functional and one dysfunctional"):
        cs.parse_questionnaire(broken, source="k.yaml")


def test_simulated_kano_module_recovers_structure():
    q = cs.load_questionnaire("questionnaires/kano_appliance.yaml")
    r = cs.load_responses(q, cs.simulate(q, 2000, seed=4))
    t = kano_table(r.data, kano_pairs(q))
    assert (t.n > 1900).all() and t[list("AOMIRQ")].sum(axis=1).round(6).eq(100).all()
    assert set(t.dominant) <= set("AOMI")


# --- Loyalty typology -----------------------------------------------------------------

def test_dick_basu_median_cuts_and_shares():
    att = [1, 2, 3, 4, 5, 6]
    beh = [6, 1, 5, 2, 4, 3]
    types, cuts = dick_basu(att, beh)
    assert cuts == {"attitude": 3.5, "behaviour": 3.5}
    assert types.tolist() == ["spurious", "no_loyalty", "spurious", "latent", "loyal", "latent"]
    shares = typology_shares(types, pd.Series(["a", "a", "a", "b", "b", "b"]))
    row = shares.set_index("group").loc["b"]
    assert row.n == 3 and row.latent == pytest.approx(200 / 3)


# --- Transactions, RFM, ABC, CLV -------------------------------------------------------

def _tx_frame():
    return pd.DataFrame({
        "customer_id": ["c1", "c1", "c2", "c3", "c3", "c3", "c4", "", "c5", "c6", "c7"],
        "date": ["2026-01-05", "2026-03-01", "2026-02-10", "2026-01-01", "2026-02-01",
                 "2026-03-10", "2025-12-01", "2026-01-01", "not a date", "2026-12-31",
                 "2026-02-02"],
        "amount": [100, 50, 30, 20, 20, 60, 500, 10, 10, 10, -40],
    })


def test_transactions_log_adds_up_and_names_problems():
    tx = load_transactions(_tx_frame(), as_of="2026-03-31")
    log = tx.log
    assert log.rows_read == 11 and log.rows_kept == 7
    assert log.excluded == {"missing_customer": 1, "bad_date": 1, "future_date": 1,
                            "bad_amount": 0, "negative_amount": 1}
    by_rule = {p.rule: (p.row, p.column) for p in log.problems}
    assert by_rule["negative_amount"] == (11, "amount")
    assert by_rule["future_date"] == (10, "date")


def test_transactions_gbk_file_and_missing_column(tmp_path):
    f = _tx_frame().assign(customer_id=lambda d: d.customer_id.replace("c1", "客户一"))
    path = tmp_path / "tx.csv"
    f.to_csv(path, index=False, encoding="gbk")
    tx = load_transactions(path, as_of="2026-03-31")
    assert "客户一" in set(tx.frame.customer)
    with pytest.raises(InputError, match="missing the amount column 'value'"):
        load_transactions(path, amount="value")


def test_quintile_edges_and_ties():
    assert quintile_scores(range(1, 11)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([5, 5, 5, 5, 1]).tolist() == [2, 2, 2, 2, 1]  # ties share
    assert quintile_scores([1, 2, 3, 4, 5], higher_is_better=False).tolist() == [5, 4, 3, 2, 1]


def test_rfm_by_hand():
    tx = load_transactions(_tx_frame(), as_of="2026-03-31")
    t = rfm(tx).set_index("customer")
    assert t.loc["c1"].recency == 30 and t.loc["c1"].frequency == 2
    assert t.loc["c3"].monetary == 100 and t.loc["c4"].recency == 120
    assert t.loc["c3"].f == 5 and t.loc["c4"].r == t.r.min() < t.loc["c1"].r
    assert set(t.segment) <= {"champions", "cannot_lose", "loyal", "at_risk", "new",
                              "promising", "potential_loyalist", "need_attention",
                              "about_to_sleep", "hibernating", "lost", "others"}


def test_abc_cutoffs():
    values = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"c{i:03d}" for i in range(100)])
    cls = abc_classes(values)
    assert (cls == "A").sum() == 5 and (cls == "B").sum() == 15 and (cls == "C").sum() == 80
    assert cls["c000"] == "A" and cls["c005"] == "B" and cls["c020"] == "C"
    pareto = abc_classes(pd.Series([80.0, 15.0, 5.0], index=["x", "y", "z"]), rule="value")
    assert pareto.tolist() == ["A", "B", "C"]
    with pytest.raises(InputError):
        abc_classes(values, cuts=(0.3, 0.2))


def test_clv_closed_form_by_hand():
    assert clv_simple(100, 0.8, 0.1) == pytest.approx(100 / 0.3)
    assert clv_simple(100, 0.8, 0.1, periods=3) == pytest.approx(100 / 1.1 + 80 / 1.21 + 64 / 1.331)
    assert clv_simple(100, 0.8, 0.1, periods=400) == pytest.approx(clv_simple(100, 0.8, 0.1))
    assert clv_simple(100, 0.5, 0.0, cost=20) == pytest.approx(160.0)
    with pytest.raises(InputError):
        clv_simple(100, 1.2, 0.1)


def test_rfm_summary_for_bgnbd():
    tx = load_transactions(_tx_frame(), as_of="2026-03-31")
    s = rfm_summary(tx).set_index("customer")
    # c3: purchases on Jan 1, Feb 1, Mar 10 -> 2 repeats, recency 68 days, age 89 days
    assert (s.loc["c3"].frequency, s.loc["c3"].recency, s.loc["c3"]["T"]) == (2, 68, 89)
    assert s.loc["c3"].monetary_value == pytest.approx(40.0)
    assert s.loc["c2"].frequency == 0 and s.loc["c2"].monetary_value == 0


@pytest.mark.slow
def test_bgnbd_recovers_purchase_rates():
    """Simulated customers with known rates: heavier buyers are expected to buy more."""
    from crmsurvey.analytics import clv_bgnbd

    rng = np.random.default_rng(0)
    rows = []
    for c in range(300):
        rate = 0.02 if c < 150 else 0.10  # purchases per day
        days = np.cumsum(rng.exponential(1 / rate, 120))
        days = days[days < 365]
        for d in days:
            rows.append((f"c{c:03d}", pd.Timestamp("2025-01-01") + pd.Timedelta(days=float(d)),
                         float(rng.gamma(4, 10))))
    rows += [(f"c{c:03d}", pd.Timestamp("2025-01-01"), 30.0) for c in range(300)]
    tx = load_transactions(pd.DataFrame(rows, columns=["customer_id", "date", "amount"]),
                           as_of="2026-01-01")
    out = clv_bgnbd(tx, horizon=6, period_days=30)
    light = out[out.customer < "c150"].expected_purchases.mean()
    heavy = out[out.customer >= "c150"].expected_purchases.mean()
    assert heavy > 3 * light
    assert (out.clv >= 0).all() and out.probability_alive.between(0, 1).all()


# --- Linking ------------------------------------------------------------------------

def test_link_and_compare():
    survey = pd.DataFrame({"resp_id": ["c1", "c2", "c3", "zz"], "sat": [9, 7, 8, 5]})
    customers = pd.DataFrame({"customer": ["c1", "c2", "c3"], "segment": ["x", "y", "x"]})
    joined, info = link_customers(survey, "resp_id", customers)
    assert info == {"respondents": 4, "matched": 3, "unknown_ids": ["zz"], "unknown": 1}
    table, tests = compare_groups(joined.sat, joined.segment)
    assert table.set_index("group").loc["x", "mean"] == 8.5
    assert np.isnan(tests["anova_p"])  # group y has one respondent only


# --- CLI ----------------------------------------------------------------------------

def _cli(*args):
    p = subprocess.run([sys.executable, "-m", "crmsurvey.cli", *map(str, args)],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.slow
def test_cli_commands(tmp_path):
    data = tmp_path / "s.csv"
    _cli("simulate", "ccsi", "--n", 200, "--groups", "brand=A,B", "-o", data)
    code, out, err = _cli("nps", "ccsi", data, "--by", "brand", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert [r["group"] for r in res["rows"]] == ["all", "A", "B"] and res["comparisons"]
    tx = tmp_path / "tx.csv"
    _tx_frame().to_csv(tx, index=False)
    code, out, err = _cli("rfm", tx, "--as-of", "2026-03-31", "--json")
    assert code == 0 and "excluded" in err
    assert {r["customer"] for r in json.loads(out)["rows"]} == {"c1", "c2", "c3", "c4"}
    code, out, _ = _cli("clv", "--margin", 100, "--retention", 0.8, "--discount", 0.1, "--json")
    assert json.loads(out)["rows"][0]["clv"] == pytest.approx(333.333, abs=1e-3)
    code, out, err = _cli("clv", "--margin", 100)
    assert code == 2 and "--retention" in err
    kano_data = tmp_path / "k.csv"
    _cli("simulate", "questionnaires/kano_appliance.yaml", "--n", 100, "-o", kano_data)
    code, out, err = _cli("kano", "questionnaires/kano_appliance.yaml", kano_data, "--json")
    assert code == 0, err
    assert {r["feature"] for r in json.loads(out)["rows"]} == {"app_control", "warranty_5y",
                                                               "quiet_running"}


def test_nps_table_refuses_rows_without_a_weight():
    df = pd.DataFrame({"rec": [10, 9, 0], "w": [1.0, np.nan, 1.0]})
    with pytest.raises(InputError, match="no valid weight.*invalid_weight"):
        nps_table(df, "rec", weights="w")
