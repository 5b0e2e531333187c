"""The analytics commands: ``nps``, ``weights``, ``kano``, ``rfm`` and ``clv``."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, Optional

import typer

from ..errors import InputError
from . import app
from ._common import (_check_output, _out, _say, _stages, _table_out, check_group,
                      group_flag, renamed_flag)
from .reading import Reading, _screened, _weight_flag, reads_responses


@app.command("nps")
@reads_responses
def nps_cmd(
    questionnaire: Path, data: Path, reading: Reading,
    group: Optional[str] = group_flag("The NPS of each level of this group item too, and "
                                      "the pairwise tests of their differences."),
    by: Optional[str] = typer.Option(None, "--by", hidden=True,
                                     help="The old name of --group."),
    weight: Optional[str] = _weight_flag(),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """NPS with standard error and interval, overall and by group, and the pairwise tests."""
    by = renamed_flag(group, by, "--by", "--group")
    from ..analytics import nps_compare, nps_table
    from ..questionnaire import load_questionnaire

    q = load_questionnaire(questionnaire)
    item = next(iter(q.items_with_role("nps")), None)
    if item is None:
        raise InputError("the questionnaire has no item with role 'nps'", path=str(questionnaire))
    if by is not None:  # a group item of the questionnaire, before the file is read
        check_group(q, by)
    r, w, said = _screened(q, data, reading, weight)
    if by is not None:  # ... and a column of the file (an optional item may be absent)
        check_group(q, by, r.data.columns, data)
    if w is None and r.weights is not None:
        w = r.weights.to_numpy()
    table = nps_table(r.data, item, by=by, weights=w if w is not False else None)
    if by is not None:  # a coded group item's levels by the questionnaire's labels
        sc = q.scale(by)
        names = {str(k): q.text(v) if isinstance(v, dict) else str(v)
                 for k, v in (getattr(sc, "values", None) or {}).items()}
        table["group"] = [names.get(g, g) for g in table.group]
    _say(said)
    extra = {"comparisons": nps_compare(table).to_dict("records")} if by else None
    _table_out(table, as_json, extra if as_json else None)
    if by and not as_json:
        pairs = nps_compare(table)
        _out("\n" + (pairs.round(4).to_string(index=False) if len(pairs) else
                     f"pairwise tests: none ({by} has one level in these rows)"))


@app.command("weights")
@reads_responses
def weights_cmd(
    questionnaire: Path, data: Path, reading: Reading,
    targets: Path = typer.Option(..., "--targets", help="Population targets: a YAML file "
                                 "holding what a study's weighting: section holds (rake:, "
                                 "linear: or poststratify:, with by:, trim:, base:), or a "
                                 "CSV table with columns variable, category, target."),
    output: Path = typer.Option(..., "-o", "--output", help="The data with the weight "
                                "column added (.csv, .xlsx, .parquet, .sav, .dta)."),
    method: Optional[str] = typer.Option(None, "--method",
                                         metavar="[rake|linear|poststratify]",
                                         help="How a CSV table's targets are met (default "
                                         "rake: iterative proportional fitting)."),
    by: Optional[str] = typer.Option(None, "--by", metavar="ITEM", help="Rake within "
                                     "each level of this item: the targets are met in each "
                                     "level separately (the targets file's by:); not a "
                                     "comparison of groups, which is --group."),
    trim: Optional[str] = typer.Option(None, "--trim", metavar="LOW,HIGH",
                                       help="Bounds on the weights relative to their mean, "
                                       "e.g. 0.3,3; weights are fitted again after trimming."),
    base: Optional[str] = typer.Option(None, "--base", help="Design-weight column to start "
                                       "from (a weight item of the questionnaire)."),
    name: Optional[str] = typer.Option(None, "--name", help="The weight column written "
                                       "(default: the questionnaire's weight item, or "
                                       "'weight'); it replaces a column of that name."),
    as_json: bool = typer.Option(False, "--json", help="The diagnostics as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when the weights do not "
                                "meet every target: no convergence, or a target category "
                                "without respondents (written all the same)."),
) -> None:
    """Weights from population targets (raking, linear calibration or post-stratification)
    for the screened rows: writes the data with the weight column (blank for excluded
    rows) and prints the targets against the achieved shares, the weight range, Kish's
    design effect and effective n, and every problem found."""
    import warnings

    import numpy as np

    from .._io import check_frame_path, write_frame
    from ..errors import CrmWarning
    from ..questionnaire import load_questionnaire
    from ..responses.readers import read_table
    from ..study.weighting import METHODS, read_section, weigh_section

    _check_output(output, questionnaire, data, targets)
    check_frame_path(output)
    if method is not None and method not in METHODS:
        raise InputError(f"--method {method!r}: one of {', '.join(METHODS)}")
    bounds = None
    if trim is not None:
        try:
            low, high = (float(x) for x in trim.split(","))
        except ValueError:
            raise InputError(f"--trim {trim!r} is not LOW,HIGH (e.g. 0.3,3)") from None
        bounds = (low, high)
    q = load_questionnaire(questionnaire)
    section = read_section(targets, q, method=method, by=by, trim=bounds, base=base)
    column = name or q.role_item("weight") or "weight"
    if section.base is not None and column == section.base:
        raise InputError(f"the weight column {column!r} holds the design weights (base)",
                         hint="give the computed weights another --name")
    r, _, said = _screened(q, data, reading, weighted=False)
    folder = targets.resolve().parent
    with warnings.catch_warnings():  # the summary below prints every diagnostic
        warnings.simplefilter("ignore", CrmWarning)
        raking = weigh_section(section, r.data,  # labels: 1-based data rows
                               lambda rel: folder / rel, str(targets))
    raw = read_table(data, encoding=reading.kwargs["encoding"],  # read as the screening read it
                     sheet=reading.kwargs["sheet"]).frame
    replaced = column in raw.columns
    weights = np.full(len(raw), np.nan)
    weights[r.data.index.to_numpy() - 1] = raking.weights  # index: 1-based file rows
    write_frame(raw.assign(**{column: weights}), output)
    _say(said)
    _say(f"wrote {len(raw):,} rows to {output} with the weight column {column!r}"
         + (" (replacing the file's own)" if replaced else "")
         + (f"; the {len(raw) - len(r.data):,} excluded rows have none"
            if len(raw) > len(r.data) else ""))
    if as_json:
        from .._format import json_safe

        _out(json.dumps(json_safe(raking.to_dict()), ensure_ascii=False, indent=2))
    else:
        _out(raking.summary())
    empty = [d for d in raking.diagnostics  # a target category without respondents
             if d.code == "weight_target_empty" and d.severity != "info"]
    if strict and (empty or not raking.converged):
        _say("strict: " + "; ".join(
            ([f"the weights miss a target by up to {raking.max_error:.2g} (a share)"]
             if not raking.converged else [])
            + [f"{len(empty)} target(s) without respondents"] * bool(empty)))
        raise typer.Exit(3)


@app.command("kano")
@reads_responses
def kano_cmd(questionnaire: Path, data: Path, reading: Reading,
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Kano categories per feature: shares, dominant category, better/worse."""
    from ..analytics import kano_pairs, kano_table
    from ..questionnaire import load_questionnaire

    q = load_questionnaire(questionnaire)
    pairs = kano_pairs(q)
    if not pairs:
        raise InputError("the questionnaire has no Kano items", path=str(questionnaire))
    r, _, said = _screened(q, data, reading, weighted=False)
    table = kano_table(r.data, pairs)
    _say(said)
    _table_out(table, as_json)


_DATE_FORMAT = typer.Option(None, "--date-format", help="How dates are written, in "
                            "strftime codes (e.g. %d.%m.%Y); default: found from the column.")
_DAYFIRST = typer.Option(None, "--dayfirst/--monthfirst", help="Read 03/04/2025 as 3 April "
                         "(--dayfirst) or 4 March (--monthfirst); needed when the column "
                         "does not say.")


def _transactions(path, customer, date, amount, as_of, encoding, date_format=None,
                  dayfirst=None):
    from ..analytics import load_transactions

    tx = load_transactions(path, customer=customer, date=date, amount=amount, as_of=as_of,
                           encoding=encoding, date_format=date_format, dayfirst=dayfirst)
    if tx.log.rows_kept < tx.log.rows_read:
        excluded = ", ".join(f"{k} {v}" for k, v in tx.log.excluded.items() if v)
        sys.stderr.write(f"note: {tx.log.rows_read - tx.log.rows_kept} of {tx.log.rows_read} "
                         f"transactions excluded ({excluded}); first: row "
                         f"{tx.log.problems[0].row}, column {tx.log.problems[0].column}: "
                         f"{tx.log.problems[0].message}\n")
    return tx


@app.command("rfm")
def rfm_cmd(
    transactions: Path,
    customer: str = typer.Option("customer_id"), date: str = typer.Option("date"),
    amount: str = typer.Option("amount"),
    as_of: Optional[str] = typer.Option(None, help="Analysis date (default: day after the "
                                        "last transaction)."),
    abc: Literal["customers", "value"] = typer.Option(
        "customers", help="ABC rule: customers (5/15/80 %) or value (80/15/5 %)."),
    encoding: Optional[str] = typer.Option(None),
    date_format: Optional[str] = _DATE_FORMAT,
    dayfirst: Optional[bool] = _DAYFIRST,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """RFM scores and segments, with ABC classes, per customer."""
    from ..analytics import abc_classes, rfm

    tx = _transactions(transactions, customer, date, amount, as_of, encoding, date_format,
                       dayfirst)
    table = rfm(tx)
    table["abc"] = abc_classes(table.set_index("customer").monetary, rule=abc).to_numpy()
    summary = table.groupby("segment").size().sort_values(ascending=False).to_dict()
    _table_out(table, as_json, {"segments": summary, "log": tx.log.to_dict()} if as_json
               else {"segments": summary})


@app.command("clv")
def clv_cmd(
    transactions: Optional[Path] = typer.Argument(None),
    margin: Optional[float] = typer.Option(None, help="Margin per period (formula)."),
    retention: Optional[float] = typer.Option(None, help="Retention rate per period."),
    discount: float = typer.Option(0.1, help="Discount rate per period."),
    periods: Optional[int] = typer.Option(None, help="Horizon (default: infinite)."),
    cost: float = typer.Option(0.0, help="Retention cost per period."),
    model: Literal["formula", "bgnbd"] = typer.Option(
        "formula", help="The discounted-margin formula, or BG/NBD + Gamma-Gamma (needs "
        "TRANSACTIONS)."),
    horizon: float = typer.Option(12, help="bgnbd: periods ahead."),
    period_days: float = typer.Option(30.0, help="bgnbd: days per period."),
    customer: str = typer.Option("customer_id"), date: str = typer.Option("date"),
    amount: str = typer.Option("amount"), as_of: Optional[str] = typer.Option(None),
    date_format: Optional[str] = _DATE_FORMAT,
    dayfirst: Optional[bool] = _DAYFIRST,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Customer lifetime value: the discounted-margin formula, or BG/NBD + Gamma-Gamma."""
    import pandas as pd

    from ..analytics import clv_bgnbd, clv_simple

    if model == "formula":
        if margin is None or retention is None:
            raise InputError("the formula needs --margin and --retention")
        value = clv_simple(margin, retention, discount, periods=periods, cost=cost)
        _table_out(pd.DataFrame([{"margin": margin, "retention": retention,
                                  "discount": discount, "periods": periods or "infinite",
                                  "cost": cost, "clv": value}]), as_json)
    elif model == "bgnbd":
        if transactions is None:
            raise InputError("--model bgnbd needs a TRANSACTIONS file")
        tx = _transactions(transactions, customer, date, amount, as_of, None, date_format,
                           dayfirst)
        with _stages() as say:
            say("BG/NBD + Gamma-Gamma", 0, None)  # no count to show: a pulsing bar
            table = clv_bgnbd(tx, horizon=horizon, period_days=period_days,
                              discount=discount, margin=margin or 1.0)
        _table_out(table, as_json)
    else:
        raise InputError(f"--model must be 'formula' or 'bgnbd', not {model!r}")
